"""What the service does, independent of HTTP: register, submit, review, release, collect, look up.

The API (``app.py``) and the web UI (``ui.py``) both call these functions, so a rule lives in one
place. Errors are :class:`~datacustoms.errors.DatacustomsError` (a one-line message and the next
step), :class:`NotFound` or :class:`Conflict`; the app maps them to 422, 404 and 409.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa

from datacustoms.errors import DatacustomsError, UsageError
from datacustoms.ledger.store import LedgerStore
from datacustoms.service.auth import Principal, hash_token
from datacustoms.service.db import (
    ServiceDB,
    dumps,
    inspections_t,
    links_t,
    now_iso,
    recipients_t,
    sources_t,
    transfers_t,
)
from datacustoms.service.queue import DEFAULT_PREFIX

#: the R35 appropriateness checklist a reviewer answers (every item true to approve)
CHECKLIST: dict[str, str] = {
    "purpose_compatible": "The recipient's purpose is compatible with the purpose the data was collected for",
    "minimum_necessary": "Only the fields the purpose needs leave; the rest are dropped or generalised",
    "safeguards_adequate": "The recipient's role, country and safeguards (transfer mechanism) were checked",
    "proof_reviewed": "The before → after proof (reversal, re-identification risk) was read and passes",
    "legal_basis_verified": "The legal basis (or the consent counts) supports this transfer",
}
REVIEWER_SYSTEM = "datacustoms serve"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.(parquet|csv)$")


class NotFound(Exception):
    """No such object (or not one the caller may see)."""


class Conflict(Exception):
    """The object is not in a state that allows this."""


class Gone(Conflict):
    """A one-time link that was used already or has expired."""


@dataclass
class ServiceConfig:
    data_dir: Path
    database_url: str
    ledger_url: str
    hold_hours: float = 72.0
    link_minutes: float = 60.0
    lease_seconds: float = 30.0
    attack_budget: float = 30.0
    attack: bool = True
    source_root: Path | None = None
    max_attempts: int = 3
    queue_url: str | None = None  # None: the workers poll the database; or redis://… (see service/queue.py)
    queue_name: str = DEFAULT_PREFIX  # the Redis keys' prefix (one per service; serve --queue-prefix)
    engine: str = "embedded"  # reads each transfer's and inspection's source (engines.resolve_engine)
    spark_master: str = "local[*]"  # for engine "spark"

    def held_dir(self, transfer_id: str) -> Path:
        return self.data_dir / "held" / transfer_id

    def report_path(self, job_id: str, suffix: str) -> Path:
        """A transfer's or inspection's report (job ids are random and never collide)."""
        return self.data_dir / "reports" / f"{job_id}.{suffix}"

    def policy_dir(self) -> Path:
        return self.data_dir / "policies"


class Service:
    """The service's state: its database, its ledger and its folders."""

    def __init__(self, config: ServiceConfig, db: ServiceDB, ledger: LedgerStore, queue: Any = None) -> None:
        self.config = config
        self.db = db
        self.ledger = ledger
        self.queue = queue  # a RedisQueue, or None when the workers poll the database
        self._engine: Any = None
        for sub in ("held", "reports", "policies"):
            (config.data_dir / sub).mkdir(parents=True, exist_ok=True, mode=0o700)

    def engine(self) -> Any:
        """The engine the jobs read their sources with, started on first use (a Spark session once)."""
        if self._engine is None:
            from datacustoms.engines import resolve_engine

            self._engine = resolve_engine(self.config.engine, master=self.config.spark_master)
        return self._engine

    def announce(self, kind: str, job_id: str) -> None:
        """Tell the workers a job is queued (with a Redis queue; the database row is already there)."""
        if self.queue is not None:
            self.queue.push(kind, job_id)

    def close(self) -> None:
        if self.queue is not None:
            self.queue.close()
        self.ledger.close()
        self.db.close()


# ------------------------------------------------------------------------------ registration


def register_recipient(svc: Service, *, name: str, role: str, country: str, safeguards: str, purpose: str,
                       contact: str | None = None) -> dict[str, Any]:
    name, country = name.strip(), country.strip().upper()
    if not name or not re.fullmatch(r"[A-Z]{2}", country):
        raise UsageError("a recipient needs a name and a two-letter country code", "e.g. country: SG")
    if role not in ("controller", "processor", "joint_controller"):
        raise UsageError(f"unknown recipient role {role!r}", "use controller, processor or joint_controller")
    if not safeguards.strip() or not purpose.strip():
        raise UsageError("a recipient needs its safeguards and its purpose", "e.g. safeguards: SCC module 2 (2024-03-01)")
    if svc.db.one(sa.select(recipients_t.c.id).where(recipients_t.c.name == name)):
        raise Conflict(f"recipient {name!r} exists already")
    with svc.db.begin() as conn:
        conn.execute(sa.insert(recipients_t).values(
            name=name, role=role, country=country, safeguards=safeguards.strip(), purpose=purpose.strip(),
            contact=(contact or "").strip() or None, created=now_iso()))
    row = svc.db.one(sa.select(recipients_t).where(recipients_t.c.name == name))
    assert row is not None
    return row


def register_source(svc: Service, who: Principal, *, name: str, location: str) -> dict[str, Any]:
    name, location = name.strip(), location.strip()
    if not name or not location:
        raise UsageError("a source needs a name and a location", "a file path or a SQL URL")
    if "://" not in location:
        path = Path(location).expanduser().resolve()
        root = svc.config.source_root
        if root is not None and not path.is_relative_to(root.resolve()):
            raise UsageError("the source lies outside the service's source root", "put it under --source-root")
        if not path.exists():
            raise UsageError(f"source file {path.name!r} not found", "check the path on the server")
        location = str(path)
    if svc.db.one(sa.select(sources_t.c.id).where(sources_t.c.name == name)):
        raise Conflict(f"source {name!r} exists already")
    with svc.db.begin() as conn:
        conn.execute(sa.insert(sources_t).values(name=name, location=location, created_by=who.name,
                                                 created=now_iso()))
    row = svc.db.one(sa.select(sources_t).where(sources_t.c.name == name))
    assert row is not None
    if "://" in row["location"]:  # never echo a database password
        from datacustoms.service.db import safe_url

        row["location"] = safe_url(row["location"])
    return row


def _by_name_or_id(svc: Service, table: sa.Table, ref: str | int, what: str) -> dict[str, Any]:
    cond = table.c.id == int(ref) if isinstance(ref, int) or str(ref).isdigit() else table.c.name == str(ref)
    row = svc.db.one(sa.select(table).where(cond))
    if row is None:
        raise NotFound(f"no {what} {ref!r}")
    return row


def recipient(svc: Service, ref: str | int) -> dict[str, Any]:
    return _by_name_or_id(svc, recipients_t, ref, "recipient")


def source(svc: Service, ref: str | int) -> dict[str, Any]:
    return _by_name_or_id(svc, sources_t, ref, "source")


# ------------------------------------------------------------------------------ submit


def _policy_file(svc: Service, transfer_id: str, policy_yaml: str | None, policy_path: str | None) -> Path:
    if (policy_yaml is None) == (policy_path is None):
        raise UsageError("give exactly one of policy_yaml and policy_path", "send the policy's text or its server path")
    if policy_path is not None:
        path = Path(policy_path).expanduser().resolve()
        root = svc.config.source_root
        if root is not None and not path.is_relative_to(root.resolve()):
            raise UsageError("the policy lies outside the service's source root", "put it under --source-root")
        if not path.is_file():
            raise UsageError(f"policy file {path.name!r} not found", "check the path on the server")
        return path
    from datacustoms.io.atomic import atomic_write_text

    path = svc.config.policy_dir() / f"{transfer_id}.yaml"
    atomic_write_text(path, policy_yaml or "")
    return path


def _check_terms(policy_path: Path, rcpt: dict[str, Any]) -> None:
    """The policy must send to the registered recipient, in its country, for its purpose."""
    from datacustoms.ledger.terms import load_transfer_policy

    _policy, spec = load_transfer_policy(policy_path)
    if spec.recipient.name.strip().casefold() != rcpt["name"].casefold():
        raise UsageError(f"the policy sends to {spec.recipient.name!r}, not to the registered recipient {rcpt['name']!r}",
                         "submit it for the recipient it names")
    if (spec.recipient.country or "").upper() != rcpt["country"]:
        raise UsageError(f"the policy names country {spec.recipient.country!r} but {rcpt['name']!r} is registered in "
                         f"{rcpt['country']}", "correct the policy or the registration")
    if spec.purpose.strip().casefold() != rcpt["purpose"].strip().casefold():
        raise UsageError("the policy's purpose is not the recipient's registered purpose",
                         f"register a recipient for {spec.purpose!r} or correct the policy")


def submit(svc: Service, who: Principal, *, source_ref: str | int, recipient_ref: str | int, output_name: str,
           policy_yaml: str | None = None, policy_path: str | None = None) -> dict[str, Any]:
    """Queue a transfer; the worker protects, proves and records it, then it waits for review."""
    src, rcpt = source(svc, source_ref), recipient(svc, recipient_ref)
    if not _NAME.fullmatch(output_name or ""):
        raise UsageError("output_name must be a plain file name ending in .parquet or .csv", "e.g. daily.parquet")
    transfer_id = uuid.uuid4().hex
    path = _policy_file(svc, transfer_id, policy_yaml, policy_path)
    try:
        _check_terms(path, rcpt)
    except DatacustomsError:
        if policy_yaml is not None:
            path.unlink(missing_ok=True)
        raise
    stamp = now_iso()
    with svc.db.begin() as conn:
        conn.execute(sa.insert(transfers_t).values(
            id=transfer_id, source_id=src["id"], recipient_id=rcpt["id"], output_name=output_name,
            policy_path=str(path), submitter=who.name, state="queued", phase="waiting for a worker", attempts=0,
            created=stamp, updated=stamp, options_json="{}"))
    svc.announce("transfer", transfer_id)
    row = svc.db.transfer(transfer_id)
    assert row is not None
    return row


# ------------------------------------------------------------------------------ inspections


def submit_inspection(svc: Service, who: Principal, *, source_ref: str | int, attack: bool = True,
                      attack_budget: float = 30.0) -> dict[str, Any]:
    """Queue an inspection of a registered source (detect, reverse, measure); nothing is recorded."""
    src = source(svc, source_ref)
    if not 0 < attack_budget <= 3600:
        raise UsageError("attack_budget must be between 0 and 3600 seconds", "e.g. 30")
    inspection_id, stamp = uuid.uuid4().hex, now_iso()
    with svc.db.begin() as conn:
        conn.execute(sa.insert(inspections_t).values(
            id=inspection_id, source_id=src["id"], submitter=who.name, state="queued", phase="waiting for a worker",
            attempts=0, attack=attack, attack_budget=attack_budget, created=stamp, updated=stamp))
    svc.announce("inspection", inspection_id)
    return inspection_view(svc, inspection_id)


def inspection_view(svc: Service, inspection_id: str) -> dict[str, Any]:
    row = svc.db.one(sa.select(inspections_t).where(inspections_t.c.id == inspection_id))
    if row is None:
        raise NotFound(f"no inspection {inspection_id!r}")
    src = svc.db.one(sa.select(sources_t.c.name).where(sources_t.c.id == row["source_id"]))
    keep = ("id", "state", "phase", "attempts", "submitter", "attack", "attack_budget", "created", "updated",
            "started", "finished", "verdict", "summary", "error")
    return {**{k: row[k] for k in keep}, "source": src["name"] if src else None,
            "progress": _progress(row)}


def _progress(row: dict[str, Any]) -> dict[str, Any] | None:
    """A job's last progress (step, its fraction, rows done / total), or None before it ran."""
    import json

    return json.loads(row["progress_json"]) if row.get("progress_json") else None


def list_inspections(svc: Service, limit: int = 50) -> list[dict[str, Any]]:
    rows = svc.db.all(sa.select(inspections_t.c.id).order_by(inspections_t.c.created.desc()).limit(limit))
    return [inspection_view(svc, r["id"]) for r in rows]


# ------------------------------------------------------------------------------ review (R35)


def _checklist(answers: dict[str, Any]) -> dict[str, bool]:
    unknown = sorted(set(answers) - set(CHECKLIST))
    if unknown:
        raise UsageError(f"unknown checklist item {unknown[0]!r}", f"answer {', '.join(CHECKLIST)}")
    missing = [k for k in CHECKLIST if not isinstance(answers.get(k), bool)]
    if missing:
        raise UsageError(f"checklist item {missing[0]!r} is not answered (true or false)", "answer every item")
    return {k: bool(answers[k]) for k in CHECKLIST}


def review(svc: Service, who: Principal, transfer_id: str, *, approve: bool, checklist: dict[str, Any],
           comment: str = "") -> dict[str, Any]:
    """Approve or reject a transfer awaiting review (R35): the reviewer must not be the submitter."""
    t = svc.db.transfer(transfer_id)
    if t is None:
        raise NotFound(f"no transfer {transfer_id!r}")
    if t["submitter"] == who.name:
        raise PermissionError("four eyes (R35): the submitter may not review their own transfer")
    answers = _checklist(checklist)
    if approve and not all(answers.values()):
        failed = [k for k, v in answers.items() if not v]
        raise UsageError(f"cannot approve with checklist item {failed[0]!r} answered false", "reject it instead")
    body = {"rule": "R35", "verdict": "approved" if approve else "rejected", "reviewer": who.name,
            "checklist": answers, "comment": comment.strip()[:2000], "reviewed": now_iso()}
    state = "approved" if approve else "rejected"
    if not svc.db.move(transfer_id, "awaiting_review", state=state, reviewer=who.name, review_json=dumps(body),
                       phase=f"{state} by {who.name}"):
        raise Conflict(f"transfer {transfer_id} is {t['state']}, not awaiting review")
    finish_review(svc, transfer_id)
    row = svc.db.transfer(transfer_id)
    assert row is not None
    return row


def finish_review(svc: Service, transfer_id: str) -> None:
    """Record a decided review in the ledger (once) and, for a rejection, destroy the held file.

    Runs right after the decision and again from the worker's sweep, so a crash between the
    decision and the ledger entry is finished later instead of lost.
    """
    import json

    t = svc.db.transfer(transfer_id)
    if t is None or t["review_json"] is None:
        return
    if t["review_seq"] is None:
        seq = ledger_seq(svc, "review", transfer_id)
        if seq is None:
            body = {**json.loads(t["review_json"]), "transfer_id": t["ledger_transfer_id"],
                    "transfer_entry": t["ledger_seq"], "service_transfer": transfer_id, "submitter": t["submitter"]}
            seq = svc.ledger.append("review", body).seq
        svc.db.move(transfer_id, t["state"], review_seq=seq)
    if t["state"] == "rejected":
        destroy_held(svc, t, "rejected at review")


def ledger_seq(svc: Service, kind: str, transfer_id: str) -> int | None:
    for entry in svc.ledger.iter_entries(kind):
        if entry.body.get("service_transfer") == transfer_id:
            return entry.seq
    return None


def destroy_held(svc: Service, t: dict[str, Any], why: str) -> None:
    """Delete a held file that will never leave, and record its destruction in the ledger (once)."""
    from datacustoms.ledger.destruction import destructions, record_destruction

    shutil.rmtree(svc.config.held_dir(t["id"]), ignore_errors=True)
    lid = t["ledger_transfer_id"]
    if lid and t["verdict"] == "pass" and lid not in destructions(svc.ledger):
        record_destruction(svc.ledger, str(t["ledger_seq"]), destroyed_on=datetime.now(UTC).date(),
                           method=f"deleted by the service before release ({why})", confirmed_by=REVIEWER_SYSTEM)


# ------------------------------------------------------------------------------ release


def release(svc: Service, who: Principal, transfer_id: str) -> dict[str, Any]:
    """A one-time, expiring link for the recipient (earlier unused links stop working)."""
    t = svc.db.transfer(transfer_id)
    if t is None:
        raise NotFound(f"no transfer {transfer_id!r}")
    if t["state"] != "approved" or t["review_seq"] is None:
        raise Conflict(f"transfer {transfer_id} is {t['state']}: only an approved transfer can be released")
    if not (svc.config.held_dir(transfer_id) / t["output_name"]).is_file():
        raise Conflict(f"the protected file of transfer {transfer_id} is no longer held")
    token = "dcl_" + secrets.token_urlsafe(32)
    expires = time.time() + svc.config.link_minutes * 60
    with svc.db.begin() as conn:
        conn.execute(sa.delete(links_t).where(links_t.c.transfer_id == transfer_id, links_t.c.used.is_(None)))
        conn.execute(sa.insert(links_t).values(token_hash=hash_token(token), transfer_id=transfer_id,
                                               recipient_id=t["recipient_id"], created_by=who.name, expires=expires))
    return {"transfer_id": transfer_id, "link": f"/api/v1/releases/{token}", "token": token,
            "expires": datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds")}


def collect(svc: Service, who: Principal, token: str) -> tuple[BinaryIO, str]:
    """Use a one-time link: record the release in the ledger, then hand over the open file.

    The link is burned before anything else (a second use finds it used); the ledger entry is
    written before the file is served, so the record never under-states what left.
    """
    link = svc.db.one(sa.select(links_t).where(links_t.c.token_hash == hash_token(token)))
    if link is None:
        raise NotFound("no such release link")
    if who.recipient_id != link["recipient_id"]:
        raise PermissionError("this release is for another recipient")
    if link["used"] is not None or link["expires"] < time.time():
        raise Gone("this link was used already or has expired; ask the sender for a new one")
    with svc.db.begin() as conn:
        won = conn.execute(sa.update(links_t).where(links_t.c.token_hash == link["token_hash"], links_t.c.used.is_(None))
                           .values(used=now_iso())).rowcount
    if not won:
        raise Gone("this link was used already; ask the sender for a new one")
    t = svc.db.transfer(link["transfer_id"])
    assert t is not None
    path = svc.config.held_dir(t["id"]) / t["output_name"]
    if t["state"] != "approved" or not path.is_file():
        raise Conflict(f"transfer {t['id']} is {t['state']}: nothing to collect")
    handle = path.open("rb")  # opened before the state changes: a sweep may unlink it, the handle stays valid
    try:
        entry = svc.ledger.append("release", {
            "transfer_id": t["ledger_transfer_id"], "transfer_entry": t["ledger_seq"], "service_transfer": t["id"],
            "review_entry": t["review_seq"], "recipient_id": t["recipient_id"], "collected_by": who.name,
            "released": now_iso()})
    except BaseException:
        handle.close()
        raise
    svc.db.move(t["id"], "approved", state="released", release_seq=entry.seq, phase=f"collected by {who.name}",
                finished=now_iso())
    return handle, t["output_name"]


def after_download(svc: Service, transfer_id: str) -> None:
    """The file left: the service keeps no copy."""
    shutil.rmtree(svc.config.held_dir(transfer_id), ignore_errors=True)


# ------------------------------------------------------------------------------ reading


def transfer_view(svc: Service, t: dict[str, Any]) -> dict[str, Any]:
    """A transfer as the API shows it (no paths on the server, no tokens)."""
    import json

    rcpt = svc.db.one(sa.select(recipients_t.c.name).where(recipients_t.c.id == t["recipient_id"]))
    src = svc.db.one(sa.select(sources_t.c.name).where(sources_t.c.id == t["source_id"]))
    started = t["started"]
    elapsed = None
    if started and t["state"] == "running":
        elapsed = round((datetime.now(UTC) - datetime.fromisoformat(started)).total_seconds(), 1)
    return {
        "id": t["id"], "state": t["state"], "phase": t["phase"], "attempts": t["attempts"], "elapsed_s": elapsed,
        "source": src["name"] if src else None, "recipient": rcpt["name"] if rcpt else None,
        "output_name": t["output_name"], "submitter": t["submitter"], "created": t["created"],
        "updated": t["updated"], "finished": t["finished"], "verdict": t["verdict"], "summary": t["summary"],
        "error": t["error"], "progress": _progress(t), "ledger_entry": t["ledger_seq"], "ledger_transfer_id": t["ledger_transfer_id"],
        "reviewer": t["reviewer"], "review": json.loads(t["review_json"]) if t["review_json"] else None,
        "review_entry": t["review_seq"], "release_entry": t["release_seq"],
        "hold_until": datetime.fromtimestamp(t["hold_until"], UTC).isoformat(timespec="seconds")
        if t["hold_until"] else None,
    }


def list_transfers(svc: Service, *, state: str | None = None, recipient_id: int | None = None,
                   limit: int = 200) -> list[dict[str, Any]]:
    q = sa.select(transfers_t).order_by(transfers_t.c.created.desc()).limit(max(1, min(limit, 1000)))
    if state:
        q = q.where(transfers_t.c.state == state)
    if recipient_id is not None:
        q = q.where(transfers_t.c.recipient_id == recipient_id)
    return [transfer_view(svc, t) for t in svc.db.all(q)]


def releases_for(svc: Service, who: Principal) -> list[dict[str, Any]]:
    """A recipient's own approved or collected transfers (nothing about anyone else's)."""
    out = []
    for t in svc.db.all(sa.select(transfers_t).where(transfers_t.c.recipient_id == who.recipient_id,
                                                     transfers_t.c.state.in_(("approved", "released")))
                        .order_by(transfers_t.c.created.desc())):
        out.append({"id": t["id"], "state": t["state"], "output_name": t["output_name"],
                    "ledger_entry": t["ledger_seq"], "sha256": _dataset_sha(svc, t["ledger_seq"]),
                    "released_entry": t["release_seq"]})
    return out


def _dataset_sha(svc: Service, seq: int | None) -> str | None:
    if seq is None:
        return None
    return ((svc.ledger.get(str(seq)).body.get("dataset") or {}).get("sha256"))


def report_html(svc: Service, transfer_id: str) -> str:
    path = svc.config.report_path(transfer_id, "html")
    if not path.is_file():
        raise NotFound("no report (the job has not finished, or failed before one was written)")
    return path.read_text(encoding="utf-8")


def held_file_exists(svc: Service, transfer_id: str, name: str) -> bool:
    return os.path.isfile(svc.config.held_dir(transfer_id) / name)
