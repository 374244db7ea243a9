"""Service test helpers: a service over SQLite (and PostgreSQL when reachable) with a demo organisation.

The PostgreSQL variant uses the real server at 127.0.0.1:5432 (database ``test``, trust auth,
user ``postgres`` or ``root``, as the ledger tests do), in a fresh schema dropped afterwards; it
skips, saying why, when the server is unreachable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from datacustoms.service import auth
from datacustoms.service.app import create_app
from datacustoms.service.jobs import Worker
from datacustoms.service.ops import Service, ServiceConfig
from datacustoms.service.server import demo_policy, open_service, seed_demo
from pg_schema import pg_schema_url as shared_pg_schema_url

TEST_KEY = "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"


def pg_schema_url() -> Iterator[str]:
    """A URL on a fresh PostgreSQL schema for the service (see tests/pg_schema.py)."""
    yield from shared_pg_schema_url("dc_svc")


@dataclass
class World:
    """A running service (worker driven by the test), its client and one token per role."""

    svc: Service
    worker: Worker
    client: TestClient
    tokens: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens[who]}"} if who != "anonymous" else {}

    def submit(self, who: str = "operator", **extra: Any) -> dict[str, Any]:
        body = {"source": "demo-customers", "recipient": "Alipay Singapore", "output_name": "daily.parquet",
                "policy_yaml": demo_policy(), **extra}
        r = self.client.post("/api/v1/transfers", headers=self.h(who), json=body)
        assert r.status_code == 202, r.text
        return r.json()

    def run_jobs(self) -> int:
        return self.worker.tick()

    def state(self, tid: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/transfers/{tid}", headers=self.h("auditor"))
        assert r.status_code == 200, r.text
        return r.json()

    def approve(self, tid: str, who: str = "reviewer") -> Any:
        checklist = {k: True for k in self.client.get("/api/v1/review/checklist", headers=self.h(who)).json()}
        return self.client.post(f"/api/v1/transfers/{tid}/approve", headers=self.h(who),
                                json={"checklist": checklist, "comment": "checked"})

    def ready(self) -> str:
        """A transfer that passed its proof and awaits review."""
        tid = self.submit()["id"]
        self.run_jobs()
        assert self.state(tid)["state"] == "awaiting_review", self.state(tid)
        return tid

    def denials(self) -> int:
        return len(self.client.get("/api/v1/denials?limit=1000", headers=self.h("admin")).json())


def make_world(tmp: Path, database_url: str, ledger_url: str, **options: Any) -> World:
    config = ServiceConfig(data_dir=tmp / "data", database_url=database_url, ledger_url=ledger_url, attack=False,
                           lease_seconds=5.0, **options)
    svc = open_service(config)
    seeded = seed_demo(svc)
    tokens = {u["role"]: u["token"] for u in seeded["users"]}
    # a second operator and reviewer, and a second recipient with its own user
    from datacustoms.service import ops

    other = ops.register_recipient(svc, name="Other Partner", role="controller", country="JP",
                                   safeguards="adequacy decision", purpose="marketing")
    for name, role, rid in (("oscar", "operator", None), ("ray", "reviewer", None), ("bob", "recipient", other["id"])):
        tokens[name] = auth.issue_token(svc.db, auth.create_user(svc.db, name, role, rid))
    worker = Worker(svc)
    client = TestClient(create_app(svc, worker=worker, start_worker=False))
    return World(svc, worker, client, tokens)


RUNNER = textwrap.dedent("""
    import os, pathlib, signal, sys, time
    from pathlib import Path
    import datacustoms.flows.transfer as transfer_flow
    from datacustoms.service.jobs import Worker
    from datacustoms.service.ops import ServiceConfig
    from datacustoms.service.server import open_service
    mode, data_dir, db_url, ledger_url, flag, *queue = sys.argv[1:]
    if mode == "stall-before-record":
        def stall(*args, **kwargs):
            pathlib.Path(flag).write_text("ready")
            time.sleep(600)
        transfer_flow.prove = stall
    elif mode == "die-after-record":
        real_replace = os.replace
        def replace(src, dst, *args, **kwargs):
            if Path(dst).name == "daily.parquet" and Path(dst).parent.parent.name == "held":
                os.kill(os.getpid(), signal.SIGKILL)
            return real_replace(src, dst, *args, **kwargs)
        os.replace = replace
    config = ServiceConfig(data_dir=Path(data_dir), database_url=db_url, ledger_url=ledger_url, attack=False,
                           lease_seconds=5.0, queue_url=queue[0] if queue else None,
                           queue_name=queue[1] if queue else "datacustoms")
    Worker(open_service(config)).tick()
""")


def kill_mid_job(w: World, mode: str, tmp: Path) -> None:
    """Run one worker tick in a subprocess (same database, ledger and queue) and SIGKILL it mid-job:
    ``stall-before-record`` (in the proof, nothing recorded) or ``die-after-record`` (recorded, file unnamed)."""
    flag = tmp / f"{mode}.flag"
    cfg = w.svc.config
    queue = [cfg.queue_url, cfg.queue_name] if cfg.queue_url else []
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, mode, str(cfg.data_dir), cfg.database_url, cfg.ledger_url,
                             str(flag), *queue], env=dict(os.environ), stderr=subprocess.PIPE, text=True)
    try:
        if mode == "stall-before-record":
            for _ in range(1200):
                if flag.exists() or proc.poll() is not None:
                    break
                time.sleep(0.1)
            assert flag.exists(), proc.stderr.read() if proc.stderr else ""
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
