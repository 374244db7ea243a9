"""The worker: runs queued transfers in a thread, persists every state in the database, recovers.

A job is a row of ``svc_transfers``. The worker claims it with one guarded UPDATE (queued →
running, with a lease it renews while the flow runs), runs the library's transfer flow into the
service's private ``held/<id>/`` folder (nothing reaches the recipient until review and release),
appends a ``custody`` entry to the ledger (the recorded file is held, not yet with the recipient),
writes the report, and moves the row on. Before a run the row stores the timestamp the flow will
write into its ledger record (``record_at``), which links the job to its record.

A worker killed mid-job (SIGKILL, power loss) leaves a running row whose lease runs out. Recovery
then asks the ledger, never guesses:

* no record with the job's timestamp → nothing left and nothing was recorded: the held folder
  (the flow's hidden staging folder) is removed and the job is queued again, or failed cleanly
  after ``max_attempts`` tries;
* a record exists → the job is adopted, never run twice: a refused record makes the job refused;
  a sent one makes it await review, its file taken from the staging folder when the kill came
  between the record's commit and the rename (the file's SHA-256 must equal the recorded one).

So a kill loses no transfer and duplicates none. Every move of a running job is guarded by its
lease owner, and the lease (30 s by default) is renewed every third of it; a worker stalled longer
than its lease (a paused VM) finds its lease taken and stops renewing, but its flow may still
finish — keep ``lease_seconds`` well above any pause you expect.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from datacustoms.errors import DatacustomsError
from datacustoms.io.atomic import atomic_write_text, file_sha256
from datacustoms.service import ops
from datacustoms.service.db import TERMINAL, inspections_t, now_iso, sources_t, transfers_t

log = logging.getLogger("datacustoms.service")


def run_flow(source: Any, policy: str, target: Path, *, ledger: Any, attack_budget: float, attack: bool,
             at: datetime, engine: Any = None, progress: Any = None) -> tuple[Any, str, str]:
    """The library's transfer flow (protect, prove, record) and its HTML and JSON reports.

    The only place the service calls into the transfer flow; ``engine`` reads the source.
    """
    from datacustoms.flows.transfer import run_transfer

    outcome = run_transfer(source, policy, target, ledger=ledger, attack_budget=attack_budget, attack=attack,
                           measure_risk=True, at=at, engine=engine, progress=progress)
    return outcome, outcome_html(outcome), outcome_json(outcome)


class JobProgress:
    """The flows' ``progress(label, fraction)`` callback, kept in the job's row for the API and UI.

    The flows announce each step (reading, protecting, the proof's inspections and reversal
    recipes with the share of their keyspace done, risk, recording); the source's row count is
    known once it is open. While protecting, a transfer's ``rows_done`` follows the share of rows the
    protection has read, batch by batch; it is ``rows_total`` once that step ends (an inspection
    protects nothing: ``rows_done`` is None). Writes are throttled (one a second, and
    every change of step) so a fast attack does not flood the database.
    """

    def __init__(self, svc: ops.Service, owner: str, job_id: str, table: sa.Table, rows_total: int | None) -> None:
        self.svc, self.owner, self.job_id, self.table = svc, owner, job_id, table
        self.state: dict[str, Any] = {"step": "starting", "steps_done": 0, "step_fraction": 0.0,
                                      "rows_total": rows_total,
                                      "rows_done": 0 if rows_total is not None and table is transfers_t else None}
        self._protecting = False
        self._last = 0.0

    def __call__(self, label: str, fraction: float) -> None:
        st = self.state
        changed = label != st["step"]
        if changed:
            st["steps_done"] += 1
            if label.startswith("protecting"):
                self._protecting = True
            elif self._protecting and st["rows_done"] is not None:
                st["rows_done"] = st["rows_total"]  # the protection step is over: every row went through it
        st["step"], st["step_fraction"] = label[:200], round(max(0.0, min(float(fraction), 1.0)), 4)
        if self._protecting and label.startswith("protecting") and st["rows_done"] is not None and st["rows_total"]:
            st["rows_done"] = max(st["rows_done"], int(st["step_fraction"] * st["rows_total"]))
        if changed or time.monotonic() - self._last >= 1.0:
            self._last = time.monotonic()
            self.svc.db.move(self.job_id, "running", owner=self.owner, table=self.table, phase=label[:200],
                             progress_json=json.dumps(st, sort_keys=True))


def open_source(svc: ops.Service, location: str) -> tuple[Any, int | None]:
    """The source opened by the service's engine, and its row count (None when the engine cannot tell)."""
    table = svc.engine().open(location)
    try:
        return table, int(table.num_rows)
    except Exception:  # a lazy table may not know its length; progress then shows steps only
        return table, None


def outcome_json(outcome: Any) -> str:
    """The transfer's JSON report, as ``datacustoms transfer --format json`` writes it."""
    from datacustoms.flows.documents import transfer_json

    return transfer_json(outcome)


def outcome_html(outcome: Any) -> str:
    """The transfer's HTML report (the library's offline page), as ``datacustoms transfer --format html``."""
    from datacustoms.flows.documents import transfer_html

    return transfer_html(outcome)


class Worker:
    """One in-process worker thread (several processes may each run one against PostgreSQL)."""

    def __init__(self, svc: ops.Service, *, poll_seconds: float = 0.5) -> None:
        self.svc = svc
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: str | None = None
        self.queue = svc.queue.for_owner(self.owner) if svc.queue is not None else None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="datacustoms-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as err:  # the loop must survive a bad row or a database hiccup
                log.error("worker: %s", type(err).__name__)
            if self.queue is not None:  # wait on Redis: a push wakes this worker, whichever process made it
                try:
                    self._drain(self.poll_seconds)
                except Exception as err:
                    log.error("worker: queue: %s", type(err).__name__)
                    self._stop.wait(self.poll_seconds)
                continue
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def tick(self) -> int:
        """Recover, sweep, then run every queued job (transfers first); returns how many jobs ran."""
        self.recover()
        self.recover_inspections()
        self.sweep()
        if self.queue is not None:
            self.queue.reconcile(self.svc.db, older_than=self.svc.config.lease_seconds)
            return self._drain(0.0)
        ran = 0
        while not self._stop.is_set():
            job = self.claim()
            if job is not None:
                self.run(job)
            else:
                inspection = self.claim_inspection()
                if inspection is None:
                    break
                self.run_inspection(inspection)
            ran += 1
        return ran

    def _drain(self, timeout: float) -> int:
        """Run the jobs the Redis queue hands this worker (waiting up to ``timeout`` for the first).

        The item stays in this worker's working list until the job's row has moved on, so a kill
        mid-job leaves it there for the recovery; a duplicate item finds no queued row to claim.
        """
        assert self.queue is not None
        ran = 0
        while not self._stop.is_set():
            item = self.queue.pop(timeout)
            if item is None:
                break
            timeout = 0.0
            kind, job_id = item
            if kind == "transfer" and (job := self.claim(job_id)) is not None:
                self.run(job)
                ran += 1
            elif kind == "inspection" and (inspection := self.claim_inspection(job_id)) is not None:
                self.run_inspection(inspection)
                ran += 1
            self.queue.ack(kind, job_id)
        return ran

    def _requeued(self, kind: str, job: dict[str, Any], table: sa.Table) -> None:
        """After recovery: drop the dead worker's queue item; push the job again if it was queued again."""
        if self.queue is None:
            return
        self.queue.ack(kind, job["id"], owner=job["lease_owner"])
        row = self.svc.db.one(sa.select(table.c.state).where(table.c.id == job["id"]))
        if row is not None and row["state"] == "queued":
            self.queue.push(kind, job["id"])

    # ------------------------------------------------------------------ claim and run

    def claim(self, job_id: str | None = None) -> dict[str, Any] | None:
        """Take a queued transfer (``job_id``, or the oldest ones in turn) with a guarded UPDATE."""
        db = self.svc.db
        query = sa.select(transfers_t.c.id, transfers_t.c.attempts).where(transfers_t.c.state == "queued")
        if job_id is not None:
            query = query.where(transfers_t.c.id == job_id)
        for row in db.all(query.order_by(transfers_t.c.created).limit(5)):
            stamp = now_iso()
            if db.move(row["id"], "queued", state="running", lease_owner=self.owner,
                       lease_until=time.time() + self.svc.config.lease_seconds, attempts=row["attempts"] + 1,
                       record_at=stamp, started=stamp, phase="protecting and proving", progress_json=None):
                return db.transfer(row["id"])
        return None

    def run(self, job: dict[str, Any]) -> None:
        svc, tid = self.svc, job["id"]
        self._current = tid
        beat = threading.Thread(target=self._heartbeat, args=(tid,), daemon=True)
        beat.start()
        try:
            src = svc.db.one(sa.select(sources_t).where(sources_t.c.id == job["source_id"]))
            if src is None:
                raise DatacustomsError("the source was removed", "register it again and resubmit")
            held = svc.config.held_dir(tid)
            shutil.rmtree(held, ignore_errors=True)
            held.mkdir(parents=True, mode=0o700)
            table, rows = open_source(svc, src["location"])
            outcome, html, doc = run_flow(table, job["policy_path"], held / job["output_name"],
                                          ledger=svc.ledger, attack_budget=svc.config.attack_budget,
                                          attack=svc.config.attack, at=datetime.fromisoformat(job["record_at"]),
                                          engine=svc.engine(), progress=JobProgress(svc, self.owner, tid, transfers_t,
                                                                                    rows))
            atomic_write_text(svc.config.report_path(tid, "html"), html)
            atomic_write_text(svc.config.report_path(tid, "json"), doc)
            self._finish(tid, outcome.record.status, outcome.entry.seq, outcome.record.model_dump(mode="json"),
                         recovering=False)
        except DatacustomsError as err:
            self._fail(tid, err.one_line())
        except Exception as err:  # never a traceback or a cell value in the row
            log.error("worker: transfer %s failed: %s", tid, type(err).__name__)
            self._fail(tid, f"internal error ({type(err).__name__}); see the service log")
        finally:
            self._current = None

    def _heartbeat(self, tid: str, table: sa.Table = transfers_t) -> None:
        lease = self.svc.config.lease_seconds
        while self._current == tid and not self._stop.is_set():
            time.sleep(max(0.05, lease / 3))
            if self._current == tid and not self.svc.db.move(tid, "running", owner=self.owner, table=table,
                                                             lease_until=time.time() + lease):
                log.error("worker: lost the lease of transfer %s (another worker took it over)", tid)
                return

    def _finish(self, tid: str, status: str, seq: int, record: dict[str, Any], *, recovering: bool) -> None:
        cfg = self.svc.config
        sent = status == "sent"
        if sent and not (recovering and ops.ledger_seq(self.svc, "custody", tid) is not None):
            self._custody(tid, seq, record)
        ds = record.get("dataset") or {}
        summary = (f"proof passed: {ds.get('rows', 0):,} rows, {len(record.get('data_items') or [])} fields, "
                   f"{record.get('subjects_indexed', 0):,} subjects indexed; awaiting review" if sent else
                   "refused: " + "; ".join(record.get("refusal_reasons") or [])[:400])
        if not sent:
            shutil.rmtree(cfg.held_dir(tid), ignore_errors=True)
        self.svc.db.move(tid, "running", owner=self.owner, state="awaiting_review" if sent else "refused",
                         verdict=record.get("verdict"),
                         ledger_seq=seq, ledger_transfer_id=record.get("transfer_id"), summary=summary,
                         phase="awaiting review" if sent else "refused (recorded)", lease_owner=None,
                         lease_until=None, finished=None if sent else now_iso(),
                         hold_until=time.time() + cfg.hold_hours * 3600 if sent else None)

    def _custody(self, tid: str, seq: int, record: dict[str, Any]) -> None:
        """Say in the ledger that the recorded file is held by the service, not yet with the recipient."""
        job = self.svc.db.transfer(tid) or {}
        self.svc.ledger.append("custody", {
            "transfer_id": record.get("transfer_id"), "transfer_entry": seq, "service_transfer": tid,
            "submitter": job.get("submitter"), "held_by": ops.REVIEWER_SYSTEM,
            "until": "released after an R35 review, or destroyed"})

    def _fail(self, tid: str, message: str) -> None:
        shutil.rmtree(self.svc.config.held_dir(tid), ignore_errors=True)
        self.svc.db.move(tid, "running", owner=self.owner, state="failed", error=message[:400], phase="failed",
                         lease_owner=None, lease_until=None, finished=now_iso())

    # ------------------------------------------------------------------ inspections

    def claim_inspection(self, job_id: str | None = None) -> dict[str, Any] | None:
        db = self.svc.db
        query = sa.select(inspections_t.c.id, inspections_t.c.attempts).where(inspections_t.c.state == "queued")
        if job_id is not None:
            query = query.where(inspections_t.c.id == job_id)
        for row in db.all(query.order_by(inspections_t.c.created).limit(5)):
            if db.move(row["id"], "queued", table=inspections_t, state="running", lease_owner=self.owner,
                       lease_until=time.time() + self.svc.config.lease_seconds, attempts=row["attempts"] + 1,
                       started=now_iso(), phase="detecting", progress_json=None):
                return db.one(sa.select(inspections_t).where(inspections_t.c.id == row["id"]))
        return None

    def run_inspection(self, job: dict[str, Any]) -> None:
        """Inspect a source (detect, reverse, measure) and keep its HTML and JSON report; records nothing."""
        from datacustoms.flows.inspect import inspect
        from datacustoms.report.html import render_html

        svc, iid = self.svc, job["id"]
        self._current = iid
        threading.Thread(target=self._heartbeat, args=(iid, inspections_t), daemon=True).start()
        try:
            src = svc.db.one(sa.select(sources_t).where(sources_t.c.id == job["source_id"]))
            if src is None:
                raise DatacustomsError("the source was removed", "register it again")
            table, rows = open_source(svc, src["location"])
            report = inspect(table, engine=svc.engine(), attack=bool(job["attack"]),
                             attack_budget=float(job["attack_budget"]),
                             progress=JobProgress(svc, self.owner, iid, inspections_t, rows))
            atomic_write_text(svc.config.report_path(iid, "html"),
                              render_html(report, title=f"datacustoms inspection — {src['name']}"))
            atomic_write_text(svc.config.report_path(iid, "json"), report.to_json())
            failed = [c for c in report.checks if c.status == "fail"]
            summary = (f"{report.verdict}: {len(failed)} of {len(report.checks)} checks failed"
                       + (f" ({', '.join(sorted({c.rule for c in failed}))})" if failed else ""))
            svc.db.move(iid, "running", owner=self.owner, table=inspections_t, state="done", verdict=report.verdict,
                        summary=summary, phase="done", lease_owner=None, lease_until=None, finished=now_iso())
        except DatacustomsError as err:
            self._fail_inspection(iid, err.one_line())
        except Exception as err:  # never a traceback or a cell value in the row
            log.error("worker: inspection %s failed: %s", iid, type(err).__name__)
            self._fail_inspection(iid, f"internal error ({type(err).__name__}); see the service log")
        finally:
            self._current = None

    def _fail_inspection(self, iid: str, message: str) -> None:
        self.svc.db.move(iid, "running", owner=self.owner, table=inspections_t, state="failed", error=message[:400],
                         phase="failed", lease_owner=None, lease_until=None, finished=now_iso())

    def recover_inspections(self) -> list[str]:
        """An inspection records nothing, so a dead worker's inspection simply runs again (or fails)."""
        db, taken = self.svc.db, []
        for job in db.all(sa.select(inspections_t).where(inspections_t.c.state == "running",
                                                         inspections_t.c.lease_until < time.time())):
            owner = job["lease_owner"]
            with db.begin() as conn:
                won = conn.execute(sa.update(inspections_t).where(
                    inspections_t.c.id == job["id"], inspections_t.c.state == "running",
                    inspections_t.c.lease_owner == owner).values(lease_owner=self.owner)).rowcount
            if not won:
                continue
            if job["attempts"] >= self.svc.config.max_attempts:
                self._fail_inspection(job["id"], f"the worker died {job['attempts']} times running this inspection")
            else:
                db.move(job["id"], "running", table=inspections_t, state="queued", lease_owner=None, lease_until=None,
                        phase="queued again after its worker died")
            self._requeued("inspection", job, inspections_t)
            taken.append(job["id"])
        return taken

    # ------------------------------------------------------------------ recovery and sweeping

    def recover(self) -> list[str]:
        """Take over running jobs whose lease ran out (their worker died); returns their ids."""
        db, taken = self.svc.db, []
        stale = db.all(sa.select(transfers_t).where(transfers_t.c.state == "running",
                                                    transfers_t.c.lease_until < time.time()))
        for job in stale:
            with db.begin() as conn:  # only one recoverer wins a stale job
                won = conn.execute(sa.update(transfers_t).where(
                    transfers_t.c.id == job["id"], transfers_t.c.state == "running",
                    transfers_t.c.lease_owner == job["lease_owner"]).values(
                    lease_owner=self.owner, lease_until=time.time() + self.svc.config.lease_seconds)).rowcount
            if won:
                self._recover_one(job)
                self._requeued("transfer", job, transfers_t)
                taken.append(job["id"])
        return taken

    def _recover_one(self, job: dict[str, Any]) -> None:
        tid, cfg = job["id"], self.svc.config
        entry = self._recorded(job)
        if entry is None:
            shutil.rmtree(cfg.held_dir(tid), ignore_errors=True)
            if job["attempts"] >= cfg.max_attempts:
                self._fail(tid, f"the worker died {job['attempts']} times running this transfer; nothing was "
                                "recorded or released — resubmit it")
            else:
                self.svc.db.move(tid, "running", owner=self.owner, state="queued", lease_owner=None, lease_until=None,
                                 phase="queued again after its worker died (nothing was recorded)")
            log.warning("worker: transfer %s resumed after its worker died", tid)
            return
        body = entry.body
        if body.get("status") == "sent" and not self._adopt_file(job, (body.get("dataset") or {}).get("sha256")):
            self._fail(tid, f"recorded as ledger entry {entry.seq} but its file was lost when the worker died; "
                            "nothing was released")
            self.svc.db.move(tid, "failed", ledger_seq=entry.seq, ledger_transfer_id=body.get("transfer_id"),
                             verdict=body.get("verdict"))
            return
        self._finish(tid, body.get("status", "refused"), entry.seq, body, recovering=True)
        log.warning("worker: transfer %s adopted its ledger entry %s after its worker died", tid, entry.seq)

    def _recorded(self, job: dict[str, Any]) -> Any:
        """The ledger record this job's run wrote, found by the timestamp it was given."""
        if not job["record_at"]:
            return None
        at = datetime.fromisoformat(job["record_at"])
        for entry in self.svc.ledger.iter_entries("transfer"):
            created = entry.body.get("created")
            if created and datetime.fromisoformat(created) == at:
                return entry
        return None

    def _adopt_file(self, job: dict[str, Any], digest: str | None) -> bool:
        """Put the recorded file in place (from the flow's staging folder if the rename never came)."""
        held = self.svc.config.held_dir(job["id"])
        target = held / job["output_name"]
        candidates = [target, *held.glob(f".{job['output_name']}.transfer-*/{job['output_name']}")]
        for path in candidates:
            if path.is_file() and digest and file_sha256(path) == digest:
                if path != target:
                    os.replace(path, target)
                for stage in held.glob(f".{job['output_name']}.transfer-*"):
                    shutil.rmtree(stage, ignore_errors=True)
                return True
        return False

    def sweep(self) -> None:
        """Expire held files past their time, finish interrupted reviews, delete leftovers."""
        svc = self.svc
        for t in svc.db.all(sa.select(transfers_t).where(transfers_t.c.state.in_(("awaiting_review", "approved")),
                                                         transfers_t.c.hold_until < time.time())):
            if svc.db.move(t["id"], t["state"], state="expired", phase="expired before release", finished=now_iso()):
                ops.destroy_held(svc, t, "expired")
        for t in svc.db.all(sa.select(transfers_t).where(transfers_t.c.state.in_(("approved", "rejected")),
                                                         transfers_t.c.review_seq.is_(None))):
            ops.finish_review(svc, t["id"])
        for t in svc.db.all(sa.select(transfers_t.c.id, transfers_t.c.state)
                            .where(transfers_t.c.state.in_(tuple(TERMINAL)))):
            if svc.config.held_dir(t["id"]).exists():
                shutil.rmtree(svc.config.held_dir(t["id"]), ignore_errors=True)


def utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")
