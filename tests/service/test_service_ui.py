"""The web UI through TestClient: sign in, submit, review, release, collect, ledger, exposure, data subject."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from svc_helpers import World

from datacustoms.service.server import demo_policy


def _login(w: World, role: str) -> TestClient:
    c = TestClient(w.client.app)
    r = c.post("/ui/login", data={"token": w.tokens[role]}, follow_redirects=False)
    assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    return c


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert m, "no CSRF field in the form"
    return m.group(1)


def test_pages_need_a_session_and_load_nothing_from_outside(world: World) -> None:
    r = world.client.get("/ui/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
    login = world.client.get("/ui/login")
    assert "script-src" not in login.headers["content-security-policy"]  # no script may run
    assert "frame-ancestors 'self'" in login.headers["content-security-policy"]
    page = login.text
    assert "<script" not in page and "http://" not in page and "https://" not in page
    bad = world.client.post("/ui/login", data={"token": "dct_wrong"})
    assert bad.status_code == 401 and "not valid" in bad.text


def test_submit_review_release_collect_lookup_in_the_ui(world: World) -> None:
    op = _login(world, "operator")
    form = op.get("/ui/submit").text
    r = op.post("/ui/submit", data={"csrf": _csrf(form), "source": "demo-customers", "recipient": "Alipay Singapore",
                                    "output_name": "daily.parquet", "policy_yaml": demo_policy()},
                follow_redirects=False)
    assert r.status_code == 303
    tid = r.headers["location"].rsplit("/", 1)[-1]
    assert "QUEUED" in op.get(f"/ui/transfers/{tid}").text
    world.run_jobs()

    rev = _login(world, "reviewer")
    queue = rev.get("/ui/").text
    assert f"/ui/transfers/{tid}" in queue and "Review queue" in queue
    page = rev.get(f"/ui/transfers/{tid}").text
    top = re.search(r'<p class="verdict[^"]*" id="verdict">([^<]*)</p>', page)
    assert top and top.group(1).startswith("PROOF PASSED — awaiting review (R35, four eyes).")
    assert page.index('id="verdict"') < page.index("<h1>")  # the verdict is the first thing on the page
    assert f'src="/api/v1/transfers/{tid}/report"' in page and "<script" not in page
    report = rev.get(f"/api/v1/transfers/{tid}/report")  # the existing HTML report, through the session
    assert report.status_code == 200 and "<html" in report.text.lower()
    checks = {k: "yes" for k in ("purpose_compatible", "minimum_necessary", "safeguards_adequate", "proof_reviewed",
                                 "legal_basis_verified")}
    r = rev.post(f"/ui/transfers/{tid}/review", data={"csrf": _csrf(page), "decision": "approve", **checks},
                 follow_redirects=False)
    assert r.status_code == 303
    assert "APPROVED by rita" in rev.get(f"/ui/transfers/{tid}").text

    page = op.get(f"/ui/transfers/{tid}").text
    released = op.post(f"/ui/transfers/{tid}/release", data={"csrf": _csrf(page)}).text
    link = re.search(r'<code id="link">([^<]+)</code>', released)
    assert link

    rc = _login(world, "recipient")
    assert "daily.parquet" in rc.get("/ui/releases").text
    got = rc.get("/ui/collect", params={"link": link.group(1)})
    assert got.status_code == 200 and got.content[:4] == b"PAR1"
    assert rc.get("/ui/collect", params={"link": link.group(1)}).status_code == 410

    aud = _login(world, "auditor")
    ledger = aud.get("/ui/ledger").text
    assert "VERIFIED" in ledger and "R35 review: approved by rita (submitted by olivia)" in ledger
    assert "collected by alipay" in ledger and "FOUR EYES</span> — each of 1 release(s)" in ledger
    exposure = aud.get("/ui/exposure").text
    assert "Alipay Singapore" in exposure and "<svg" in exposure and "800</strong> distinct identifiers" in exposure
    phone = (world.svc.config.data_dir / "demo-customers.csv").read_text().splitlines()[1].split(",")[0]
    form = aud.get("/ui/subjects").text
    found = aud.post("/ui/subjects", data={"csrf": _csrf(form), "identifier": phone}).text
    assert 'id="subject-transfers"' in found and "Alipay Singapore" in found and ">yes<" in found
    assert phone not in found  # the page does not echo the identifier
    none = aud.post("/ui/subjects", data={"csrf": _csrf(form), "identifier": "nobody@example.org"}).text
    assert 'id="subject-none"' in none


def test_denied_pages_and_forms_without_their_token(world: World) -> None:
    rc = _login(world, "recipient")
    before = world.denials()
    assert rc.get("/ui/ledger").status_code == 403
    assert rc.get("/ui/subjects").status_code == 403
    assert rc.get("/ui/", follow_redirects=False).headers["location"] == "/ui/releases"
    assert world.denials() == before + 2
    tid = world.ready()
    rev = _login(world, "reviewer")
    r = rev.post(f"/ui/transfers/{tid}/review", data={"decision": "approve"})  # no CSRF token
    assert r.status_code == 403 and world.state(tid)["state"] == "awaiting_review"
    op = _login(world, "operator")
    page = op.get(f"/ui/transfers/{tid}").text
    assert "Approve" not in page  # an operator gets no review form
    r = op.post(f"/ui/transfers/{tid}/review", data={"csrf": _csrf(op.get("/ui/submit").text), "decision": "approve"})
    assert r.status_code == 403 and world.state(tid)["state"] == "awaiting_review"


def test_a_failed_submission_says_why_in_one_line(world: World) -> None:
    op = _login(world, "operator")
    form = op.get("/ui/submit").text
    r = op.post("/ui/submit", data={"csrf": _csrf(form), "source": "demo-customers", "recipient": "Other Partner",
                                    "output_name": "daily.parquet", "policy_yaml": demo_policy()})
    assert r.status_code == 422 and "not to the registered recipient" in r.text


def test_inspect_a_source_from_the_ui(world: World) -> None:
    op = _login(world, "operator")
    form = op.get("/ui/submit").text
    r = op.post("/ui/inspect", data={"csrf": _csrf(form), "source": "demo-customers"}, follow_redirects=False)
    assert r.status_code == 303
    iid = r.headers["location"].rsplit("/", 1)[-1]
    assert "QUEUED" in op.get(f"/ui/inspections/{iid}").text
    world.run_jobs()
    page = _login(world, "reviewer").get(f"/ui/inspections/{iid}").text
    top = re.search(r'id="verdict">([^<]*)</p>', page)
    assert top and top.group(1).startswith("FAIL — ") and "checks failed" in top.group(1)
    assert f'src="/api/v1/inspections/{iid}/report"' in page
    assert f"/ui/inspections/{iid}" in _login(world, "auditor").get("/ui/").text
    assert _login(world, "recipient").get(f"/ui/inspections/{iid}").status_code == 403
