"""The API end to end: submit → proof → review (four eyes) → one-time release → ledger, lookup, exposure."""

from __future__ import annotations

import hashlib
import io
import time

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from svc_helpers import World

from datacustoms.service.db import links_t, transfers_t
from datacustoms.service.server import demo_policy


def test_openapi_is_published_and_versioned(world: World) -> None:
    doc = world.client.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "datacustoms"
    paths = set(doc["paths"])
    assert paths and all(p.startswith("/api/v1/") for p in paths)
    for needed in ("/api/v1/transfers", "/api/v1/transfers/{transfer_id}/approve", "/api/v1/releases/{token}",
                   "/api/v1/ledger", "/api/v1/subjects/lookup", "/api/v1/exposure", "/api/v1/recipients",
                   "/api/v1/sources"):
        assert needed in paths, needed
    assert world.client.get("/docs").status_code == 404  # no page that pulls scripts from a CDN


def test_submit_returns_at_once_and_the_worker_reports_progress(world: World) -> None:
    t = world.submit()
    assert t["state"] == "queued" and t["phase"] == "waiting for a worker" and t["ledger_entry"] is None
    assert world.state(t["id"])["state"] == "queued"  # nothing ran in the request
    assert world.run_jobs() == 1
    s = world.state(t["id"])
    assert s["state"] == "awaiting_review" and s["verdict"] == "pass" and s["attempts"] == 1
    assert s["ledger_entry"] == 1 and "400 rows" in s["summary"]


def test_full_flow_four_eyes_release_once(any_world: World) -> None:
    w = any_world
    tid = w.ready()
    # the protected file is held by the service, not released
    held = w.svc.config.held_dir(tid) / "daily.parquet"
    assert held.is_file()
    assert w.client.post(f"/api/v1/transfers/{tid}/release", headers=w.h("operator")).status_code == 409
    r = w.approve(tid)
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["review_entry"] == 3
    assert r.json()["review"]["checklist"] == {k: True for k in r.json()["review"]["checklist"]}
    link = w.client.post(f"/api/v1/transfers/{tid}/release", headers=w.h("operator")).json()
    got = w.client.get(link["link"], headers=w.h("recipient"))
    assert got.status_code == 200
    table = pq.read_table(io.BytesIO(got.content))
    assert table.num_rows == 400 and table.column_names == ["phone", "age", "region", "balance"]
    assert "010-" not in str(table.column("phone").to_pylist()[:5])
    entries = w.client.get("/api/v1/ledger", headers=w.h("auditor")).json()
    assert [e["kind"] for e in entries] == ["transfer", "custody", "review", "release"]
    transfer, custody, review, release = entries
    assert custody["body"]["transfer_entry"] == transfer["seq"] and custody["body"]["submitter"] == "olivia"
    assert transfer["body"]["dataset"]["sha256"] == hashlib.sha256(got.content).hexdigest()
    assert review["body"]["rule"] == "R35" and review["body"]["reviewer"] == "rita"
    assert review["body"]["submitter"] == "olivia" and review["body"]["verdict"] == "approved"
    assert set(review["body"]["checklist"]) >= {"purpose_compatible", "minimum_necessary", "proof_reviewed"}
    assert release["body"]["review_entry"] == review["seq"] and release["body"]["collected_by"] == "alipay"
    assert w.client.get(link["link"], headers=w.h("recipient")).status_code == 410  # one time
    assert w.state(tid)["state"] == "released" and not held.exists()  # the service keeps no copy
    verified = w.client.get("/api/v1/ledger/verify", headers=w.h("auditor")).json()
    assert verified["ok"] is True and verified["four_eyes"] == {"ok": True, "releases": 1, "problems": []}


def test_lookup_and_exposure_follow_the_ledger(world: World) -> None:
    phone = next(line.split(",")[0] for line in (world.svc.config.data_dir / "demo-customers.csv")
                 .read_text().splitlines()[1:2])
    tid = world.ready()
    hits = world.client.post("/api/v1/subjects/lookup", headers=world.h("auditor"), json={"phone": phone}).json()
    assert [(h["review"], h["left"]) for h in hits["transfers"]] == [(None, False)]  # held, not left
    exp = world.client.get("/api/v1/exposure", headers=world.h("auditor")).json()
    assert exp[0]["withheld"] == 1 and exp[0]["transfers_left"] == 0 and exp[0]["distinct_identifiers"] == 0
    world.approve(tid)
    link = world.client.post(f"/api/v1/transfers/{tid}/release", headers=world.h("operator")).json()["link"]
    assert world.client.get(link, headers=world.h("recipient")).status_code == 200
    hits = world.client.post("/api/v1/subjects/lookup", headers=world.h("auditor"), json={"phone": phone}).json()
    assert len(hits["transfers"]) == 1
    row = hits["transfers"][0]
    assert row["recipient"] == "Alipay Singapore" and row["review"] == "approved" and row["left"] is True
    assert row["released"] and row["fields"] == ["phone", "age", "region", "balance"]
    exp = world.client.get("/api/v1/exposure", headers=world.h("auditor")).json()[0]
    assert exp["transfers_left"] == 1 and exp["rows_left"] == 400
    assert exp["distinct_identifiers"] == 800  # 400 phones + 400 e-mails in the subject index
    assert exp["cumulative_identifiers_by_day"][-1]["identifiers"] == 800
    nobody = world.client.post("/api/v1/subjects/lookup", headers=world.h("auditor"), json={"email": "x@nowhere.example"})
    assert nobody.json() == {"transfers": []}
    bad = world.client.post("/api/v1/subjects/lookup", headers=world.h("auditor"), json={"phone": "not a phone"})
    assert bad.status_code == 422 and "not a phone number" in bad.json()["error"]


def test_rejected_transfer_leaves_no_file_and_records_its_destruction(any_world: World) -> None:
    w = any_world
    tid = w.ready()
    checklist = {k: True for k in w.client.get("/api/v1/review/checklist", headers=w.h("reviewer")).json()}
    checklist["minimum_necessary"] = False
    bad = w.client.post(f"/api/v1/transfers/{tid}/approve", headers=w.h("reviewer"), json={"checklist": checklist})
    assert bad.status_code == 422 and "minimum_necessary" in bad.json()["error"]
    r = w.client.post(f"/api/v1/transfers/{tid}/reject", headers=w.h("reviewer"),
                      json={"checklist": checklist, "comment": "too many fields"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert not w.svc.config.held_dir(tid).exists()
    kinds = [e["kind"] for e in w.client.get("/api/v1/ledger", headers=w.h("auditor")).json()]
    assert kinds == ["transfer", "custody", "review", "destruction"]
    assert w.client.post(f"/api/v1/transfers/{tid}/release", headers=w.h("operator")).status_code == 409
    assert w.approve(tid, "ray").status_code == 409  # decided once


def test_expired_transfer_and_expired_link(world: World) -> None:
    tid = world.ready()
    world.approve(tid)
    link = world.client.post(f"/api/v1/transfers/{tid}/release", headers=world.h("operator")).json()["link"]
    with world.svc.db.begin() as conn:
        conn.execute(sa.update(links_t).values(expires=time.time() - 1))
    assert world.client.get(link, headers=world.h("recipient")).status_code == 410
    with world.svc.db.begin() as conn:
        conn.execute(sa.update(transfers_t).where(transfers_t.c.id == tid).values(hold_until=time.time() - 1))
    world.run_jobs()
    assert world.state(tid)["state"] == "expired"
    assert not world.svc.config.held_dir(tid).exists()
    kinds = [e["kind"] for e in world.client.get("/api/v1/ledger", headers=world.h("auditor")).json()]
    assert kinds == ["transfer", "custody", "review", "destruction"]


def test_refused_transfer_is_recorded_and_never_reviewable(world: World) -> None:
    policy = demo_policy().replace("transfer_mechanism: SCC module 2 (2024-03-01)", "transfer_mechanism: none")
    policy = policy.replace("overseas_ground: contract", "overseas_ground: null")
    tid = world.submit(policy_yaml=policy)["id"]
    world.run_jobs()
    s = world.state(tid)
    assert s["state"] == "refused" and s["verdict"] == "fail" and "R25" in s["summary"]
    assert not world.svc.config.held_dir(tid).exists()
    assert world.approve(tid).status_code == 409
    report = world.client.get(f"/api/v1/transfers/{tid}/report", headers=world.h("reviewer"))
    assert report.status_code == 200 and "<html" in report.text.lower()


def test_submit_checks_the_policy_against_the_registered_recipient(world: World) -> None:
    r = world.client.post("/api/v1/transfers", headers=world.h("operator"), json={
        "source": "demo-customers", "recipient": "Other Partner", "output_name": "x.parquet",
        "policy_yaml": demo_policy()})
    assert r.status_code == 422 and "not to the registered recipient 'Other Partner'" in r.json()["error"]
    for name in ("../x.parquet", "x.txt", ""):
        r = world.client.post("/api/v1/transfers", headers=world.h("operator"), json={
            "source": "demo-customers", "recipient": "Alipay Singapore", "output_name": name,
            "policy_yaml": demo_policy()})
        assert r.status_code == 422, name
    r = world.client.post("/api/v1/transfers", headers=world.h("operator"), json={
        "source": "nope", "recipient": "Alipay Singapore", "output_name": "x.parquet", "policy_yaml": demo_policy()})
    assert r.status_code == 404
    r = world.client.post("/api/v1/transfers", headers=world.h("operator"), json={
        "source": "demo-customers", "recipient": "Alipay Singapore", "output_name": "x.parquet",
        "policy_yaml": "recipient: [unclosed"})
    assert r.status_code == 422 and "not valid YAML" in r.json()["error"]


def test_registration_of_recipients_sources_and_users(world: World) -> None:
    c, h = world.client, world.h
    r = c.post("/api/v1/recipients", headers=h("admin"), json={
        "name": "Bank X", "role": "processor", "country": "de", "safeguards": "SCC module 2", "purpose": "fraud"})
    assert r.status_code == 201 and r.json()["country"] == "DE"
    bank = r.json()
    assert c.post("/api/v1/recipients", headers=h("admin"), json={
        "name": "Bank X", "role": "processor", "country": "DE", "safeguards": "x", "purpose": "y"}).status_code == 409
    assert c.post("/api/v1/recipients", headers=h("admin"), json={
        "name": "Bank Y", "role": "owner", "country": "DE", "safeguards": "x", "purpose": "y"}).status_code == 422
    src = world.svc.config.data_dir / "demo-customers.csv"
    r = c.post("/api/v1/sources", headers=h("operator"), json={"name": "again", "location": str(src)})
    assert r.status_code == 201 and r.json()["created_by"] == "olivia"
    assert c.post("/api/v1/sources", headers=h("operator"), json={"name": "gone", "location": "/nonexistent/x.csv"}
                  ).status_code == 422
    u = c.post("/api/v1/users", headers=h("admin"), json={"name": "bx", "role": "recipient", "recipient": "Bank X"})
    assert u.status_code == 201 and u.json()["token"].startswith("dct_")
    me = c.get("/api/v1/me", headers={"authorization": f"Bearer {u.json()['token']}"}).json()
    assert me["role"] == "recipient" and me["recipient_id"] == bank["id"]
    assert c.post("/api/v1/users", headers=h("admin"), json={"name": "nobody", "role": "recipient"}).status_code == 422
    # tokens are stored only as their SHA-256
    from datacustoms.service.db import tokens_t

    stored = {row["token_hash"] for row in world.svc.db.all(sa.select(tokens_t))}
    assert u.json()["token"] not in stored and hashlib.sha256(u.json()["token"].encode()).hexdigest() in stored


def test_an_inspection_runs_in_the_worker_and_keeps_its_report(world: World) -> None:
    r = world.client.post("/api/v1/inspections", headers=world.h("operator"),
                          json={"source": "demo-customers", "attack": False})
    assert r.status_code == 202 and r.json()["state"] == "queued"
    iid = r.json()["id"]
    assert world.client.get(f"/api/v1/inspections/{iid}/report", headers=world.h("reviewer")).status_code == 404
    world.run_jobs()
    s = world.client.get(f"/api/v1/inspections/{iid}", headers=world.h("reviewer")).json()
    # plaintext phone numbers and e-mails: the identifier checks fail
    assert s["state"] == "done" and s["verdict"] == "fail" and "checks failed" in s["summary"]
    assert s["source"] == "demo-customers" and s["attempts"] == 1
    html = world.client.get(f"/api/v1/inspections/{iid}/report", headers=world.h("reviewer"))
    assert html.status_code == 200 and "<html" in html.text.lower()
    doc = world.client.get(f"/api/v1/inspections/{iid}/report.json", headers=world.h("auditor")).json()
    assert doc["verdict"] == "fail" and {f["column"] for f in doc["findings"]} >= {"phone", "email"}
    assert world.client.get("/api/v1/ledger", headers=world.h("auditor")).json() == []  # nothing recorded
    bad = world.client.post("/api/v1/inspections", headers=world.h("operator"),
                            json={"source": "demo-customers", "attack_budget": 0})
    assert bad.status_code == 422


def test_the_four_eyes_audit_reads_the_ledger_alone(world: World) -> None:
    """A release the service did not gate (appended behind its back) is named by the audit."""
    tid = world.ready()
    ledger_tid = world.state(tid)["ledger_transfer_id"]
    store = world.svc.ledger
    store.append("release", {"transfer_id": ledger_tid, "collected_by": "mallory"})
    store.append("review", {"transfer_id": ledger_tid, "verdict": "approved", "reviewer": "olivia",
                            "submitter": "olivia", "checklist": {"proof_reviewed": True}})
    store.append("release", {"transfer_id": ledger_tid, "collected_by": "mallory"})
    audit = world.client.get("/api/v1/ledger/verify", headers=world.h("auditor")).json()["four_eyes"]
    assert audit["ok"] is False and audit["releases"] == 2
    assert [p["message"].split(" was ")[1] for p in audit["problems"]] == [
        "released without an approving review", "approved by its own submitter", "released twice"]


def test_source_root_limits_sources_and_policy_paths(world: World, tmp_path_factory: pytest.TempPathFactory) -> None:
    world.svc.config.source_root = tmp_path_factory.mktemp("only-here")
    src = str(world.svc.config.data_dir / "demo-customers.csv")
    r = world.client.post("/api/v1/sources", headers=world.h("operator"), json={"name": "outside", "location": src})
    assert r.status_code == 422 and "outside the service's source root" in r.json()["error"]
    r = world.client.post("/api/v1/transfers", headers=world.h("operator"), json={
        "source": "demo-customers", "recipient": "Alipay Singapore", "output_name": "x.parquet",
        "policy_path": str(world.svc.config.data_dir / "demo-policy.yaml")})
    assert r.status_code == 422 and "policy lies outside" in r.json()["error"]


def test_progress_reports_the_step_and_rows_done_of_total(world: World) -> None:
    from datacustoms.service.db import transfers_t
    from datacustoms.service.jobs import JobProgress

    tid = world.submit()["id"]
    job = world.worker.claim(tid)  # running, as a worker holds it mid-job
    assert job is not None and world.state(tid)["progress"] is None
    progress = JobProgress(world.svc, world.worker.owner, tid, transfers_t, 400)
    progress("reading the source", 0.0)
    progress("protecting demo-customers into daily.parquet", 0.0)
    s = world.state(tid)["progress"]
    assert s["rows_done"] == 0 and s["rows_total"] == 400 and s["step"].startswith("protecting")
    progress("protecting demo-customers into daily.parquet", 0.5)  # a batch written: half the rows read
    assert progress.state["rows_done"] == 200 and progress.state["steps_done"] == 2  # the same step
    progress("proof: inspecting the input", 0.0)
    progress("sha256 over phone numbers", 0.25)
    s = world.state(tid)
    assert s["phase"] == "sha256 over phone numbers" and s["progress"]["step_fraction"] == 0.25
    assert s["progress"]["rows_done"] == 400 and s["progress"]["steps_done"] == 4
    page = world.client.get(f"/ui/transfers/{tid}", headers=world.h("auditor")).text
    assert 'id="progress"' in page and "rows 400 of 400 protected" in page and '<progress max="1" value="0.25"' in page
    home = world.client.get("/ui/", headers=world.h("auditor")).text
    assert "running — sha256 over phone numbers 25 %" in home
    assert "<table" not in home.split("</title>")[0]  # the page title is text only
    world.worker.run(job)  # the real run reports its own steps
    done = world.state(tid)
    assert done["state"] == "awaiting_review" and done["progress"]["rows_done"] == 400
    assert done["progress"]["step"] == "recording the transfer in the ledger" and done["progress"]["steps_done"] >= 3
