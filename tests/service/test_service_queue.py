"""``serve --queue redis://…``: jobs reach the workers through the real Redis server at 127.0.0.1:6379.

The database keeps every job's state; Redis only hands out ids. A worker killed mid-job (SIGKILL)
leaves its item in its working list and its row running; after the lease runs out another worker
adopts or re-runs the job, exactly once. Skipped, saying why, when Redis is unreachable.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from svc_helpers import TEST_KEY, World, kill_mid_job, make_world, pg_schema_url

from datacustoms.ledger.keys import KEY_ENV
from datacustoms.service.db import transfers_t
from datacustoms.service.jobs import Worker

REDIS_URL = os.environ.get("DATACUSTOMS_TEST_REDIS", "redis://127.0.0.1:6379/0")
pytestmark = pytest.mark.redis


def _redis() -> Any:
    redis = pytest.importorskip("redis", reason="the queue extra is not installed (pip install 'datacustoms[queue]')")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable — {str(err).splitlines()[0][:120]}")
    return client


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def rworld(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A service whose jobs go through Redis (its own key prefix), on SQLite and on PostgreSQL."""
    client = _redis()
    name = f"dc_test_{uuid.uuid4().hex[:12]}"
    options = {"queue_url": REDIS_URL, "queue_name": name}
    try:
        if request.param == "sqlite":
            w = make_world(tmp_path, f"sqlite:///{tmp_path / 'service.db'}", f"sqlite:///{tmp_path / 'ledger.db'}",
                           **options)
            yield w
            w.svc.close()
        else:
            monkeypatch.setenv(KEY_ENV, TEST_KEY)
            for url in pg_schema_url():
                w = make_world(tmp_path, url, url, **options)
                try:
                    yield w
                finally:
                    w.svc.close()
    finally:
        for key in client.scan_iter(f"{name}:*"):
            client.delete(key)
        client.close()


def _lists(w: World) -> dict[str, list[str]]:
    """Every list of the service's queue: the shared one and each worker's working list."""
    client = w.svc.queue.client
    return {k.decode(): [v.decode() for v in client.lrange(k, 0, -1)]
            for k in client.scan_iter(f"{w.svc.config.queue_name}:*")}


def _entries(w: World) -> list[dict[str, Any]]:
    return [e.body for e in w.svc.ledger.iter_entries("transfer")]


def _lease_runs_out(w: World, tid: str) -> None:
    with w.svc.db.begin() as conn:
        conn.execute(sa.update(transfers_t).where(transfers_t.c.id == tid).values(lease_until=0.0))


def test_submit_pushes_the_job_and_a_worker_takes_it_from_redis(rworld: World) -> None:
    w = rworld
    tid = w.submit()["id"]
    assert _lists(w) == {f"{w.svc.config.queue_name}:jobs": [f"transfer:{tid}"]}
    assert w.run_jobs() == 1
    s = w.state(tid)
    assert s["state"] == "awaiting_review" and s["attempts"] == 1
    assert s["progress"]["rows_total"] == 400 and s["progress"]["rows_done"] == 400
    assert _lists(w) == {}  # taken, run and acknowledged: nothing left in any list


def test_killed_before_the_record_over_redis_resumes_once(rworld: World, tmp_path: Path) -> None:
    w = rworld
    tid = w.submit()["id"]
    kill_mid_job(w, "stall-before-record", tmp_path)
    lists = _lists(w)
    dead = [k for k in lists if ":working:" in k]
    assert len(dead) == 1 and lists[dead[0]] == [f"transfer:{tid}"]  # the dead worker still holds its item
    assert w.svc.db.transfer(tid)["state"] == "running" and _entries(w) == []  # type: ignore[index]
    _lease_runs_out(w, tid)
    assert w.run_jobs() == 1  # recovery drops the dead item, pushes the job again, this worker runs it
    s = w.state(tid)
    assert s["state"] == "awaiting_review" and s["attempts"] == 2
    entries = _entries(w)
    assert len(entries) == 1 and entries[0]["status"] == "sent"
    assert _lists(w) == {}
    assert w.client.get("/api/v1/ledger/verify", headers=w.h("auditor")).json()["ok"] is True


def test_killed_after_the_record_over_redis_is_adopted_not_rerun(rworld: World, tmp_path: Path) -> None:
    w = rworld
    tid = w.submit()["id"]
    kill_mid_job(w, "die-after-record", tmp_path)
    assert len(_entries(w)) == 1
    _lease_runs_out(w, tid)
    assert w.run_jobs() == 0  # adopted from the ledger: nothing runs again
    s = w.state(tid)
    assert s["state"] == "awaiting_review" and s["attempts"] == 1 and len(_entries(w)) == 1
    assert _lists(w) == {}
    assert w.approve(tid).status_code == 200


def test_two_workers_and_duplicate_items_run_each_transfer_once(rworld: World) -> None:
    w = rworld
    ids = [w.submit()["id"] for _ in range(3)]
    for tid in ids:  # a duplicate push (a reconcile racing a slow submit) must not double a transfer
        w.svc.queue.push("transfer", tid)
    other = Worker(w.svc)
    ran = other.tick() + w.run_jobs()
    assert ran == 3
    states = [w.state(t) for t in ids]  # the later ones may be refused (cumulative exposure): recorded all the same
    assert all(s["state"] in ("awaiting_review", "refused") and s["attempts"] == 1 for s in states)
    assert sorted(e["transfer_id"] for e in _entries(w)) == sorted(s["ledger_transfer_id"] for s in states)
    assert len(_entries(w)) == 3 and len({s["ledger_entry"] for s in states}) == 3
    assert _lists(w) == {}


def test_a_lost_push_is_reconciled_from_the_database(rworld: World) -> None:
    w = rworld
    tid = w.submit()["id"]
    w.svc.queue.client.delete(w.svc.queue.jobs_key)  # the push never arrived (Redis restarted empty)
    assert w.svc.queue.reconcile(w.svc.db, older_than=3600) == 0  # too young: maybe still in flight
    assert w.svc.queue.reconcile(w.svc.db, older_than=0) == 1
    assert w.run_jobs() == 1 and w.state(tid)["state"] == "awaiting_review"


def test_an_unreachable_redis_is_a_one_line_error(tmp_path: Path) -> None:
    pytest.importorskip("redis")
    from datacustoms.errors import UsageError

    with pytest.raises(UsageError, match=re.escape("cannot reach the Redis queue at redis://127.0.0.1:1/0")):
        make_world(tmp_path, f"sqlite:///{tmp_path / 's.db'}", f"sqlite:///{tmp_path / 'l.db'}",
                   queue_url="redis://127.0.0.1:1/0")


def _wait_for(check: Any, seconds: float = 180.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_an_api_process_and_a_worker_process_share_the_redis_queue(tmp_path: Path) -> None:
    """The real commands: ``serve --no-worker`` and ``serve --worker-only``, both with ``--queue redis://…``."""
    client = _redis()
    url = "redis://127.0.0.1:6379/15"  # the default key prefix, in a database of its own
    client.close()
    port = _free_port()
    env = {**os.environ, KEY_ENV: TEST_KEY}
    env.pop("DATACUSTOMS_DEMO_KEY", None)
    common = ["--data-dir", str(tmp_path), "--ledger", str(tmp_path / "ledger.db"), "--queue", url, "--no-attack"]
    api = subprocess.Popen([sys.executable, "-m", "datacustoms", "serve", "--demo", "--no-worker", "--port", str(port),
                            *common], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    worker = None
    try:
        assert api.stdout is not None
        lines = [api.stdout.readline() for _ in range(7)]
        tokens = {ln.split()[1]: ln.split()[2] for ln in lines if ln.startswith("  ")}
        base = f"http://127.0.0.1:{port}/api/v1"
        _wait_for(lambda: _http(f"{base}/health"))
        worker = subprocess.Popen([sys.executable, "-m", "datacustoms", "serve", "--worker-only", *common],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        body = {"source": "demo-customers", "recipient": "Alipay Singapore", "output_name": "daily.parquet",
                "policy_path": str(tmp_path / "demo-policy.yaml")}
        tid = _http(f"{base}/transfers", tokens["olivia"], body)["id"]
        done = _wait_for(lambda: (s := _http(f"{base}/transfers/{tid}", tokens["audrey"]))["state"]
                         not in ("queued", "running") and s)
        assert done["state"] == "awaiting_review", done
        assert done["progress"]["rows_done"] == done["progress"]["rows_total"] == 400
    finally:
        for proc in (worker, api):
            if proc is not None:
                proc.send_signal(signal.SIGTERM if proc is worker else signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _http(url: str, token: str | None = None, body: dict[str, Any] | None = None) -> Any:
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"content-type": "application/json",
                                          **({"authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
