"""Starting the service: open its database and ledger, seed a demo organisation, run uvicorn."""

from __future__ import annotations

import os
import random
import secrets
import textwrap
from pathlib import Path
from typing import Any

from datacustoms.io.atomic import atomic_write_text
from datacustoms.ledger.store import LedgerStore
from datacustoms.service import auth, ops
from datacustoms.service.db import ServiceDB

DEMO_KEY_ENV = "DATACUSTOMS_DEMO_KEY"
DEMO_RECIPIENT = "Alipay Singapore"


def open_service(config: ops.ServiceConfig) -> ops.Service:
    """The service over its database and ledger (created on first use)."""
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    from datacustoms.service.queue import open_queue

    db = ServiceDB(config.database_url)
    try:
        ledger = LedgerStore(config.ledger_url)
    except BaseException:
        db.close()
        raise
    try:
        queue = open_queue(config.queue_url, name=config.queue_name)
    except BaseException:
        ledger.close()
        db.close()
        raise
    return ops.Service(config, db, ledger, queue)


def demo_policy(recipient: str = DEMO_RECIPIENT) -> str:
    """A policy that passes: keyed phone pseudonyms, e-mail dropped, ages in decades, k = 5."""
    return textwrap.dedent(f"""\
        recipient: {recipient}
        recipient_country: SG
        purpose: NSF score
        legal_basis: contract
        role: processor
        key: env:{DEMO_KEY_ENV}
        default_action: drop
        columns:
          phone: {{action: pseudonymize, normalize: digits}}
          email: drop
          age: {{action: generalize, method: age, width: 10}}
          region: keep
          balance: keep
        thresholds: {{k: 5, max_risk: 0.5}}
        record:
          contact: dpo@alipay.example
          role_questions: {{purpose: sender, benefit: sender, control: sender}}
          transfer_mechanism: SCC module 2 (2024-03-01)
          subject_categories: [payment customers]
          key_holder: sender
          retention_until: 2027-12-31
          consent: not_required
          korea:
            overseas_ground: contract
            pseudonym_purpose: NSF score
            pseudonym_use: scoring the risk of non-sufficient funds per customer
            use_until: 2027-12-31
            destruction: deleted at the end of use
        """)


def demo_rows(n: int = 400, seed: int = 2018) -> str:
    """Synthetic customers (phone, e-mail, age, region, balance) as CSV text."""
    rng = random.Random(seed)
    regions = ["Seoul", "Busan", "Incheon", "Daegu"]
    lines = ["phone,email,age,region,balance"]
    for i in range(n):
        lines.append(f"010-{rng.randrange(2000, 9999)}-{i:04d},user{i}@example.com,{rng.randrange(20, 70)},"
                     f"{rng.choice(regions)},{rng.randrange(0, 100) * 1000}")
    return "\n".join(lines) + "\n"


def demo_key(data_dir: Path) -> None:
    """The demo's pseudonym key, kept owner-only in the data folder and put in the environment."""
    path = data_dir / "demo-key.hex"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    os.environ.setdefault(DEMO_KEY_ENV, path.read_text().strip())


def seed_demo(svc: ops.Service) -> dict[str, Any]:
    """A demo organisation: a recipient, a source, a policy and one user per role.

    Returns the users and their tokens (printed once by ``serve --demo``); a second run adds nothing.
    """
    demo_key(svc.config.data_dir)
    if svc.db.setting("demo_seeded") is not None:
        return {"users": [], "policy": str(svc.config.data_dir / "demo-policy.yaml")}
    data = svc.config.data_dir / "demo-customers.csv"
    atomic_write_text(data, demo_rows())
    policy = svc.config.data_dir / "demo-policy.yaml"
    atomic_write_text(policy, demo_policy())
    rcpt = ops.register_recipient(svc, name=DEMO_RECIPIENT, role="processor", country="SG",
                                  safeguards="SCC module 2 (2024-03-01)", purpose="NSF score",
                                  contact="dpo@alipay.example")
    admin = auth.create_user(svc.db, "admin", "admin")
    users = []
    for name, role in (("admin", "admin"), ("olivia", "operator"), ("rita", "reviewer"), ("audrey", "auditor"),
                       ("alipay", "recipient")):
        uid = admin if name == "admin" else auth.create_user(svc.db, name, role,
                                                             rcpt["id"] if role == "recipient" else None)
        users.append({"name": name, "role": role, "token": auth.issue_token(svc.db, uid, "demo")})
    who = auth.Principal(admin, "admin", "admin", None)
    ops.register_source(svc, who, name="demo-customers", location=str(data))
    svc.db.ensure_setting("demo_seeded", "1")
    return {"users": users, "policy": str(policy)}


#: seconds an idle keep-alive connection stays open. uvicorn's default (5 s) equals the idle expiry
#: of common clients (httpx: 5 s), so the server closed connections at the instant a client reused
#: them and the request failed ("server disconnected without sending a response"); a server must
#: keep idle connections longer than its clients and proxies do (60 s for most load balancers).
KEEP_ALIVE_SECONDS = 65


def run_server(svc: ops.Service, *, host: str, port: int, worker: bool = True, log_level: str = "info",
               keep_alive: int = KEEP_ALIVE_SECONDS) -> None:
    """Serve the API and UI with uvicorn until interrupted (the worker runs in the same process)."""
    import uvicorn

    from datacustoms.service.app import create_app
    from datacustoms.service.jobs import Worker

    app = create_app(svc, worker=Worker(svc) if worker else None)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, timeout_keep_alive=keep_alive)
