"""Who may do what: every role boundary of the API, the recipient's own releases, four eyes, denials logged."""

from __future__ import annotations

from typing import Any

import pytest
from svc_helpers import World

from datacustoms.service.auth import PERMISSIONS, Principal, hash_token, read_session, sign_session
from datacustoms.service.server import demo_policy

ROLES = ("admin", "operator", "reviewer", "auditor", "recipient")
_N = iter(range(1_000_000))


def _body(action: str, w: World) -> dict[str, Any] | None:
    n = next(_N)
    src = str(w.svc.config.data_dir / "demo-customers.csv")
    checklist = dict.fromkeys(("purpose_compatible", "minimum_necessary", "safeguards_adequate", "proof_reviewed",
                               "legal_basis_verified"), True)
    return {
        "users.manage": {"name": f"u{n}", "role": "auditor"},
        "recipients.register": {"name": f"R{n}", "role": "processor", "country": "DE", "safeguards": "SCC",
                                "purpose": "p"},
        "sources.register": {"name": f"s{n}", "location": src},
        "transfers.submit": {"source": "demo-customers", "recipient": "Alipay Singapore", "output_name": "a.csv",
                             "policy_yaml": demo_policy()},
        "transfers.review": {"checklist": checklist, "comment": ""},
        "inspections.run": {"source": "demo-customers", "attack": False},
        "subjects.lookup": {"phone": "010-1234-5678"},
    }.get(action)


#: (action, method, path template); {ready} is a transfer awaiting review, {approved} an approved one
ENDPOINTS = [
    ("users.manage", "POST", "/api/v1/users"),
    ("users.manage", "GET", "/api/v1/users"),
    ("recipients.register", "POST", "/api/v1/recipients"),
    ("recipients.read", "GET", "/api/v1/recipients"),
    ("sources.register", "POST", "/api/v1/sources"),
    ("sources.read", "GET", "/api/v1/sources"),
    ("inspections.run", "POST", "/api/v1/inspections"),
    ("inspections.read", "GET", "/api/v1/inspections/{inspection}"),
    ("transfers.submit", "POST", "/api/v1/transfers"),
    ("transfers.read", "GET", "/api/v1/transfers"),
    ("transfers.read", "GET", "/api/v1/transfers/{ready}"),
    ("transfers.read", "GET", "/api/v1/transfers/{ready}/report"),
    ("transfers.review", "POST", "/api/v1/transfers/{ready}/reject"),
    ("transfers.release", "POST", "/api/v1/transfers/{approved}/release"),
    ("releases.read", "GET", "/api/v1/releases"),
    ("ledger.read", "GET", "/api/v1/ledger"),
    ("ledger.read", "GET", "/api/v1/ledger/verify"),
    ("subjects.lookup", "POST", "/api/v1/subjects/lookup"),
    ("exposure.read", "GET", "/api/v1/exposure"),
    ("denials.read", "GET", "/api/v1/denials"),
]
CASES = [pytest.param(action, method, path, role, role in PERMISSIONS[action], id=f"{role}-{method}-{path}")
         for action, method, path in ENDPOINTS for role in ROLES]


@pytest.fixture(scope="module")
def prepared(shared_world: World) -> dict[str, str]:
    w = shared_world
    ready = [w.submit()["id"] for _ in range(2)]
    w.run_jobs()
    assert w.approve(ready[1]).status_code == 200
    inspection = w.client.post("/api/v1/inspections", headers=w.h("operator"),
                               json={"source": "demo-customers", "attack": False}).json()["id"]
    return {"ready": ready[0], "approved": ready[1], "inspection": inspection}


@pytest.mark.parametrize(("action", "method", "path", "role", "allowed"), CASES)
def test_role_boundary(shared_world: World, prepared: dict[str, str], action: str, method: str, path: str,
                       role: str, allowed: bool) -> None:
    w = shared_world
    before = w.denials()
    url = path.format(**prepared)
    r = w.client.request(method, url, headers=w.h(role), json=_body(action, w) if method == "POST" else None)
    if allowed:
        assert r.status_code not in (401, 403), r.text
        assert w.denials() == before
    else:
        assert r.status_code == 403, r.text
        assert r.json() == {"error": f"role {role} may not {action}"}
        assert w.denials() == before + 1


@pytest.mark.parametrize(("method", "path"), [(m, p) for _, m, p in ENDPOINTS[::3]])
def test_anonymous_and_bad_tokens_are_refused(shared_world: World, prepared: dict[str, str], method: str,
                                              path: str) -> None:
    w = shared_world
    url = path.format(**prepared)
    for headers in ({}, {"authorization": "Bearer dct_not-a-real-token"}, {"authorization": "Basic abc"}):
        before = w.denials()
        r = w.client.request(method, url, headers=headers, json={} if method == "POST" else None)
        assert r.status_code == 401 and w.denials() == before + 1


def test_recipient_sees_and_collects_only_its_own_releases(shared_world: World, prepared: dict[str, str]) -> None:
    w = shared_world
    approved = prepared["approved"]
    mine = w.client.get("/api/v1/releases", headers=w.h("recipient")).json()
    assert approved in [r["id"] for r in mine] and all(set(r) >= {"id", "state", "sha256"} for r in mine)
    assert w.client.get("/api/v1/releases", headers=w.h("bob")).json() == []  # another recipient's user
    link = w.client.post(f"/api/v1/transfers/{approved}/release", headers=w.h("operator")).json()["link"]
    before = w.denials()
    r = w.client.get(link, headers=w.h("bob"))
    assert r.status_code == 403 and r.json() == {"error": "this release is for another recipient"}
    assert w.denials() == before + 1
    for role in ("admin", "operator", "reviewer", "auditor"):  # only a recipient collects
        assert w.client.get(link, headers=w.h(role)).status_code == 403
    assert w.client.get(link, headers=w.h("recipient")).status_code == 200  # still unused: bob was refused
    assert w.client.get(link, headers=w.h("recipient")).status_code == 410


def test_four_eyes_the_submitter_cannot_approve(world: World) -> None:
    """Even a user who holds the reviewer role cannot approve a transfer it submitted (R35)."""
    import sqlalchemy as sa

    from datacustoms.service.db import transfers_t

    tid = world.ready()
    with world.svc.db.begin() as conn:  # rita submitted it (e.g. she was an operator when she did)
        conn.execute(sa.update(transfers_t).where(transfers_t.c.id == tid).values(submitter="rita"))
    before = world.denials()
    r = world.approve(tid, "reviewer")
    assert r.status_code == 403 and "four eyes" in r.json()["error"] and world.denials() == before + 1
    assert world.state(tid)["state"] == "awaiting_review"
    assert world.approve(tid, "ray").status_code == 200  # a second pair of eyes


def test_denials_are_logged_without_secrets(world: World, caplog: pytest.LogCaptureFixture) -> None:
    token = world.tokens["recipient"]
    with caplog.at_level("WARNING", logger="datacustoms.service"):
        world.client.post("/api/v1/subjects/lookup", headers=world.h("recipient"), json={"phone": "010-9999-8888"})
    assert "denied POST /api/v1/subjects/lookup for alipay (recipient)" in caplog.text
    assert token not in caplog.text and "9999" not in caplog.text
    rows = world.client.get("/api/v1/denials", headers=world.h("auditor")).json()
    assert rows[0]["who"] == "alipay" and rows[0]["path"] == "/api/v1/subjects/lookup"
    assert token not in str(rows) and hash_token(token) not in str(rows)


def test_session_cookie_is_signed_and_expires() -> None:
    secret = b"k" * 32
    cookie = sign_session(secret, 7, now=1000.0)
    assert read_session(secret, cookie, now=1001.0) == 7
    assert read_session(b"x" * 32, cookie, now=1001.0) is None  # another secret
    payload, mac = cookie.split(".")
    assert read_session(secret, payload[:-2] + "AA." + mac, now=1001.0) is None  # tampered
    assert read_session(secret, cookie, now=1000.0 + 9 * 3600) is None  # expired
    assert read_session(secret, "garbage", now=1001.0) is None


def test_every_action_has_a_role_and_recipients_only_collect() -> None:
    assert {a for a, roles in PERMISSIONS.items() if "recipient" in roles} == {"releases.read", "releases.download"}
    assert PERMISSIONS["transfers.review"] == frozenset({"reviewer"})
    assert not Principal(1, "x", "operator", None).may("transfers.review")


def test_revoked_tokens_and_their_sessions_stop_working(world: World) -> None:
    from fastapi.testclient import TestClient

    ui = TestClient(world.client.app)
    assert ui.post("/ui/login", data={"token": world.tokens["ray"]}, follow_redirects=False).status_code == 303
    assert ui.get("/ui/").status_code == 200
    me = world.client.get("/api/v1/me", headers=world.h("ray")).json()
    r = world.client.delete(f"/api/v1/users/{me['id']}/tokens", headers=world.h("admin"))
    assert r.status_code == 200 and r.json()["revoked"] == 1
    assert world.client.get("/api/v1/me", headers=world.h("ray")).status_code == 401
    assert ui.get("/ui/", follow_redirects=False).status_code == 303  # back to the sign-in page
    new = world.client.post(f"/api/v1/users/{me['id']}/tokens", headers=world.h("admin")).json()["token"]
    assert world.client.get("/api/v1/me", headers={"authorization": f"Bearer {new}"}).json()["name"] == "ray"
    assert world.client.delete("/api/v1/users/9999/tokens", headers=world.h("admin")).status_code == 404
    assert world.client.delete(f"/api/v1/users/{me['id']}/tokens", headers=world.h("auditor")).status_code == 403
