"""A worker killed with SIGKILL mid-job: on restart the job resumes or is adopted; no transfer is lost or doubled."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from svc_helpers import World, kill_mid_job

from datacustoms.service.db import transfers_t


def _lease_runs_out(w: World, tid: str) -> None:
    """The dead worker stops renewing its lease; let it run out now instead of waiting."""
    with w.svc.db.begin() as conn:
        conn.execute(sa.update(transfers_t).where(transfers_t.c.id == tid).values(lease_until=0.0))


def _transfer_entries(w: World) -> list[dict[str, object]]:
    return [e.body for e in w.svc.ledger.iter_entries("transfer")]


def test_killed_before_the_record_resumes_and_records_once(any_world: World, tmp_path: Path) -> None:
    w = any_world
    tid = w.submit()["id"]
    kill_mid_job(w, "stall-before-record", tmp_path)
    row = w.svc.db.transfer(tid)
    assert row is not None and row["state"] == "running" and row["attempts"] == 1
    assert _transfer_entries(w) == []  # nothing recorded, nothing released
    _lease_runs_out(w, tid)
    w.run_jobs()  # recovery queues it again; the same tick runs it
    s = w.state(tid)
    assert s["state"] == "awaiting_review" and s["attempts"] == 2
    entries = _transfer_entries(w)
    assert len(entries) == 1 and entries[0]["status"] == "sent"
    held = w.svc.config.held_dir(tid)
    assert sorted(p.name for p in held.iterdir()) == ["daily.parquet"]  # the dead run's staging folder is gone
    assert w.client.get("/api/v1/ledger/verify", headers=w.h("auditor")).json()["ok"] is True


def test_killed_after_the_record_is_adopted_not_rerun(any_world: World, tmp_path: Path) -> None:
    w = any_world
    tid = w.submit()["id"]
    kill_mid_job(w, "die-after-record", tmp_path)
    entries = _transfer_entries(w)
    assert len(entries) == 1  # recorded, then killed before the file got its name
    held = w.svc.config.held_dir(tid)
    assert not (held / "daily.parquet").exists()
    _lease_runs_out(w, tid)
    assert w.run_jobs() == 0  # adopted: nothing to run again
    s = w.state(tid)
    assert s["state"] == "awaiting_review" and s["attempts"] == 1 and s["ledger_entry"] == 1
    assert len(_transfer_entries(w)) == 1
    digest = hashlib.sha256((held / "daily.parquet").read_bytes()).hexdigest()
    assert digest == entries[0]["dataset"]["sha256"]  # type: ignore[index]
    kinds = [e["kind"] for e in w.client.get("/api/v1/ledger", headers=w.h("auditor")).json()]
    assert kinds == ["transfer", "custody"]
    assert w.approve(tid).status_code == 200


@pytest.mark.parametrize("attempts", [3])
def test_a_job_that_keeps_killing_its_worker_fails_cleanly(world: World, attempts: int) -> None:
    tid = world.submit()["id"]
    with world.svc.db.begin() as conn:  # its worker died `attempts` times (the limit) without a record
        conn.execute(sa.update(transfers_t).where(transfers_t.c.id == tid).values(
            state="running", attempts=attempts, lease_owner="dead", lease_until=0.0,
            record_at="2026-01-01T00:00:00.000001+00:00"))
    (world.svc.config.held_dir(tid) / ".daily.parquet.transfer-abc").mkdir(parents=True)
    assert world.run_jobs() == 0
    s = world.state(tid)
    assert s["state"] == "failed" and "died 3 times" in s["error"] and "nothing was recorded" in s["error"]
    assert not world.svc.config.held_dir(tid).exists() and _transfer_entries(world) == []


def test_a_live_lease_is_not_taken_over(world: World) -> None:
    tid = world.submit()["id"]
    with world.svc.db.begin() as conn:
        conn.execute(sa.update(transfers_t).where(transfers_t.c.id == tid).values(
            state="running", attempts=1, lease_owner="alive", lease_until=time.time() + 3600))
    assert world.worker.recover() == []
    assert world.state(tid)["state"] == "running"


def test_a_dead_workers_inspection_runs_again(world: World) -> None:
    from datacustoms.service.db import inspections_t

    iid = world.client.post("/api/v1/inspections", headers=world.h("operator"),
                            json={"source": "demo-customers", "attack": False}).json()["id"]
    with world.svc.db.begin() as conn:  # claimed by a worker that died
        conn.execute(sa.update(inspections_t).where(inspections_t.c.id == iid).values(
            state="running", attempts=1, lease_owner="dead", lease_until=0.0))
    world.run_jobs()
    s = world.client.get(f"/api/v1/inspections/{iid}", headers=world.h("auditor")).json()
    assert s["state"] == "done" and s["attempts"] == 2
