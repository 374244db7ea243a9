"""A transfer = check the terms, apply consent, protect, prove, record — then release the file.

Order of events, and why a crash at any point is safe:

1. The policy and its ``record:`` section are validated, and the transfer's own terms are checked
   (R27 role, R25/R36 third-country ground, R34 Korean profile, R28 consent possible) before a
   row is read.
2. Consent is judged per row (keyed hashes only); rows without a valid consent are dropped, or
   the transfer is refused with ``strict``.
3. The protected output is written into a private staging folder beside the target
   (``.<name>.transfer-<id>/``), flushed to disk, read back and proven (detect, attack, risk).
4. Refused: the staging folder is deleted and a *refused* record is appended.
   Passed: the record (with the output's SHA-256 and the subject index) is appended and
   committed, **then** the staged file is renamed onto the target, then the folder removed.

A process killed before step 4 commits leaves no record and no output file (only the hidden
staging folder, which never carries the target's name). Killed between the commit and the rename,
it leaves a record whose output never appeared under its name — the record then over-states what
left, never under-states it; the staged file's SHA-256 equals the recorded digest, so the state
is recognisable. The reverse order (rename, then record) could let a file leave without a record,
the failure this ledger exists to prevent.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from datacustoms import __version__
from datacustoms.detect import detect_columns
from datacustoms.engines.base import Engine
from datacustoms.errors import ColumnError, LedgerError
from datacustoms.flows.inspect import Progress, engine_of, silent
from datacustoms.flows.protect import one_step, prove
from datacustoms.io import read
from datacustoms.io.atomic import file_sha256, staging_dir
from datacustoms.io.targets import check_outputs, input_paths
from datacustoms.ledger.chain import Entry, canonical_json
from datacustoms.ledger.consent import judge_rows
from datacustoms.ledger.cumulative import prepare_sent
from datacustoms.ledger.model import (
    CREDIT_RECORD_YEARS,
    ConsentCounts,
    DatasetInfo,
    FailedCheck,
    PseudonymEntry,
    RecordSpec,
    TransferRecord,
    classify_role,
)
from datacustoms.ledger.store import LedgerStore
from datacustoms.ledger.subject_keys import KeyRing
from datacustoms.ledger.subjects import index_digest
from datacustoms.ledger.terms import KEYED, TransferCheck, load_transfer_policy, risk_scope, term_checks
from datacustoms.model.thresholds import Thresholds
from datacustoms.protect.pipeline import ProtectResult, output_format, protect_table
from datacustoms.protect.prove import Proof
from datacustoms.protect.rotation import epoch_transfer, release_epoch
from datacustoms.risk.profile import risk_profile
from datacustoms.table import Table

#: detector kinds whose values identify a person for consent and lookup
SUBJECT_KINDS = frozenset({"kr_mobile", "phone", "email"})


@dataclass
class TransferOutcome:
    """What ``run_transfer`` did: the record, its ledger entry, and the evidence behind the verdict."""

    record: TransferRecord
    entry: Entry
    output: Path | None
    checks: list[TransferCheck] = field(default_factory=list)
    protect: ProtectResult | None = None
    proof: Proof | None = None
    risk_before: Any = None
    risk_after: Any = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    exposure: Any = None  # datacustoms.ledger.exposure.ExposureJudgement (R17)
    source: dict[str, Any] = field(default_factory=dict)  #: the input as read: name, format, rows, columns

    @property
    def refused(self) -> bool:
        return self.record.status == "refused"

    def verification(self) -> dict[str, Any]:
        """The verification report whose SHA-256 the record carries (``report_sha256``)."""
        return _verification(self.checks, self.proof)


def _verification(checks: list[TransferCheck], proof: Proof | None) -> dict[str, Any]:
    return {
        "checks": [c.as_dict() for c in checks],
        "proof": proof.model_dump(mode="json") if proof is not None else None,
    }


def _subject_columns(table: Table, spec: RecordSpec) -> list[str]:
    names = table.column_names
    if spec.subject_columns:
        for c in spec.subject_columns:
            if c not in names:
                raise ColumnError(c, names, what="record.subject_columns column")
        return list(spec.subject_columns)
    return [f.column for f in detect_columns(table) if f.kind in SUBJECT_KINDS]


# ---------------------------------------------------------------------------------------- consent


@dataclass
class _ConsentPass:
    masks: list[np.ndarray]
    tokens: set[str]
    counts: ConsentCounts


def _consent_pass(store: LedgerStore, table: Table, spec: RecordSpec, columns: list[str],
                  at: datetime) -> _ConsentPass:
    """One streaming pass: keyed hashes of the subject columns, and per row whether it may leave."""
    counts = ConsentCounts(required=spec.consent_required)
    masks: list[np.ndarray] = []
    tokens: set[str] = set()
    hasher = store.hasher
    if spec.consent_required:
        store.check_consents()
    for batch in table.batches(columns):
        per_col = [hasher.hash_array(batch.column(c)) for c in columns]
        if spec.consent_required:
            known = store.consents_for(t for col in per_col for t in col if t is not None)
            verdicts = judge_rows(per_col, known, spec.recipient.name, spec.purpose, spec.recipient.country, at)
            keep = np.fromiter((v == "ok" for v in verdicts), dtype=bool, count=batch.num_rows)
            for v in verdicts:
                if v != "ok":
                    setattr(counts, v, getattr(counts, v) + 1)
        else:
            keep = np.ones(batch.num_rows, dtype=bool)
        masks.append(keep)
        for col in per_col:
            tokens.update(t for t, k in zip(col, keep, strict=True) if k and t is not None)
        counts.rows_checked += batch.num_rows
        counts.rows_kept += int(keep.sum())
    counts.rows_dropped = counts.rows_checked - counts.rows_kept
    return _ConsentPass(masks, tokens, counts)


def _filtered(table: Table, masks: list[np.ndarray]) -> Table:
    """The table without the rows the consent pass dropped (re-iterable, streamed, nothing copied)."""

    def open_batches() -> Iterator[pa.RecordBatch]:
        for i, batch in enumerate(table.batches()):
            if i >= len(masks) or len(masks[i]) != batch.num_rows:
                raise LedgerError("the input changed while it was being transferred",
                                  "make sure nothing writes to the input during a transfer")
            yield batch.filter(pa.array(masks[i])) if not masks[i].all() else batch

    return Table(name=table.name, schema=table.schema, open_batches=open_batches, source=table.source,
                 format=table.format, num_rows_hint=int(sum(int(m.sum()) for m in masks)), notes=list(table.notes))


def _index_tokens(store: LedgerStore, table: Table, columns: list[str], kept: list[pa.BooleanArray]) -> set[str]:
    """Keyed hashes of the identifiers in the rows that protection kept (``kept``: per batch)."""
    keep = np.concatenate([np.asarray(k.to_numpy(zero_copy_only=False), dtype=bool) for k in kept]) if kept \
        else np.empty(0, dtype=bool)
    tokens: set[str] = set()
    hasher = store.hasher
    offset = 0
    for batch in table.batches(columns):
        rows = keep[offset: offset + batch.num_rows]
        if len(rows) != batch.num_rows:
            raise LedgerError("the input changed while it was being transferred",
                              "make sure nothing writes to the input during a transfer")
        offset += batch.num_rows
        for name in columns:
            tokens.update(t for t, k in zip(hasher.hash_array(batch.column(name)), rows, strict=True)
                          if k and t is not None)
    return tokens


# ---------------------------------------------------------------------------------------- files


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# ---------------------------------------------------------------------------------------- run


@dataclass
class _Transfer:
    """One transfer under way: its terms, its ledger and the record fields known before any row."""

    policy: Any
    spec: RecordSpec
    table: Table
    target: Path
    store: LedgerStore
    at: datetime
    subject_cols: list[str] = field(default_factory=list)
    checks: list[TransferCheck] = field(default_factory=list)
    base: dict[str, Any] = field(default_factory=dict)

    def record_base(self) -> dict[str, Any]:
        spec, at = self.spec, self.at
        return {
            "transfer_id": epoch_transfer() or uuid.uuid4().hex, "created": at, "operator": _operator(), "tool_version": __version__,
            "recipient": spec.recipient, "role": classify_role(spec.role, spec.role_questions),
            "purpose": spec.purpose, "legal_basis": spec.legal_basis,
            "transfer_mechanism": spec.transfer_mechanism, "sender_country": spec.sender_country,
            "subject_categories": spec.subject_categories, "key_holder": spec.key_holder,
            "retention_until": spec.retention_until, "source_name": self.table.name, "korea": spec.korea,
            "record_keep_until": _add_years(at.date(), CREDIT_RECORD_YEARS)
            if spec.korea is not None and spec.korea.credit_data else None,
            "risk_scope": risk_scope(self.policy, self.table.column_names),
        }  # fmt: skip

    def report_sha256(self, proof: Proof | None) -> str:
        return hashlib.sha256(canonical_json(_verification(self.checks, proof)).encode()).hexdigest()

    def refuse(self, reasons: list[str], counts: ConsentCounts, source_rows: int, proof: Proof | None = None,
               protect: ProtectResult | None = None) -> TransferOutcome:
        failed = [FailedCheck(rule=c.rule, subject=c.subject, message=c.message)
                  for c in self.checks if c.status == "fail"]
        record = TransferRecord(
            **self.base, status="refused", data_items=[], source_rows=source_rows,
            dataset=DatasetInfo(name=self.target.name, format=output_format(self.target), sha256=None),
            subjects_indexed=0, subject_index_sha256=index_digest([]), consent=counts, verdict="fail",
            failed_checks=failed, refusal_reasons=reasons, report_sha256=self.report_sha256(proof),
        )  # fmt: skip
        entry = self.store.append("transfer", record.model_dump(mode="json"))
        return TransferOutcome(record, entry, None, self.checks, protect, proof)

    def consent(self, strict: bool) -> tuple[_ConsentPass, TransferOutcome | None]:
        """The consent pass (R28); a refusal under ``strict`` when a row lacks consent."""
        spec, rows = self.spec, self.table.num_rows if not self.subject_cols else 0
        cpass = _consent_pass(self.store, self.table, spec, self.subject_cols, self.at) if self.subject_cols \
            else _ConsentPass([], set(), ConsentCounts(required=spec.consent_required, rows_checked=rows,
                                                       rows_kept=rows))
        if not spec.consent_required:
            return cpass, None
        c = cpass.counts
        status = "fail" if strict and c.rows_dropped else ("warn" if c.rows_dropped else "pass")
        self.checks.append(TransferCheck("R28", "consent", status,
                                         f"{c.rows_kept:,} of {c.rows_checked:,} rows have a valid consent for "
                                         f"{spec.recipient.name}, {spec.purpose!r}, {spec.recipient.country}; "
                                         f"{c.rows_dropped:,} " + ("refused (--strict)" if strict else "dropped")))
        if strict and c.rows_dropped:
            return cpass, self.refuse([f"R28: {c.rows_dropped:,} row(s) without a valid consent (--strict)"],
                                      c, c.rows_checked)
        return cpass, None

    def sent_record(self, result: ProtectResult, proof: Proof, staged: Path, out_columns: list[str],
                    counts: ConsentCounts, tokens: set[str]) -> TransferRecord:
        keyed = [s for s in result.steps if s.action in KEYED]
        return TransferRecord(
            **self.base, status="sent", data_items=out_columns,
            pseudonymisation=[PseudonymEntry(column=s.column, method=f"{s.action}" + (f" ({s.detail})" if s.detail else ""),
                                             key_id=result.derived_key_ids.get(s.action) or result.key_id)
                              for s in keyed],
            source_rows=counts.rows_checked,
            dataset=DatasetInfo(name=self.target.name, format=output_format(self.target), sha256=file_sha256(staged),
                                bytes=staged.stat().st_size, rows=result.rows_out),
            subjects_indexed=len(tokens), subject_index_sha256=index_digest(tokens),
            consent=counts, verdict="pass", report_sha256=self.report_sha256(proof),
            label="pseudonymised personal data" if keyed else "de-identified personal data (not anonymous)",
        )  # fmt: skip

    def subjects(self, sending: Table, cpass: _ConsentPass, result: ProtectResult) -> set[str]:
        """The keyed hashes of the people whose rows left (suppressed rows did not)."""
        if not self.subject_cols or not result.suppressed_rows:
            return cpass.tokens
        kept = result.kept_rows or []
        if sum(k.true_count for k in kept) != result.rows_out:
            raise LedgerError("the rows kept by suppression could not be matched to the output",
                              "report this as a bug; nothing was recorded or released")
        return _index_tokens(self.store, sending, self.subject_cols, kept)


def run_transfer(
    source: Any,
    policy_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    ledger: str | LedgerStore | None = None,
    strict: bool = False,
    keystore: str | os.PathLike[str] | None = None,
    attack_budget: float = 30.0,
    attack: bool = True,
    measure_risk: bool = False,
    at: datetime | None = None,
    engine: Engine | str | None = None,
    progress: Progress | None = None,
) -> TransferOutcome:
    """Protect ``source`` by the policy, prove the result, record it, then release ``output``.

    Returns the outcome whether the transfer was sent or refused (both are recorded). Raises a
    :class:`~datacustoms.errors.DatacustomsError` without recording when the request itself is
    malformed (bad policy, unreadable input, unknown column): nothing was attempted then.
    ``engine`` reads the source (a Spark table streams to this process); the protected file,
    whose SHA-256 the record carries, is written and proven here. ``progress(label, fraction)``
    hears each step (consent, protection, proof, record) and the attack's progress.
    """
    target = Path(output)
    output_format(target)
    check_outputs([("output", target)], input_paths([source if isinstance(source, str) else None]))
    policy, spec = load_transfer_policy(policy_path)
    table = engine_of(engine).open(source)
    policy.check_columns(table.column_names)
    store = ledger if isinstance(ledger, LedgerStore) else LedgerStore(ledger)
    try:
        t = _Transfer(policy, spec, table, target, store, at or datetime.now(UTC))
        with release_epoch(t.at.date()):  # rotating pseudonym keys: this transfer's epoch (its id)
            outcome = _run(t, strict=strict, keystore=keystore, attack_budget=attack_budget, attack=attack,
                           measure_risk=measure_risk, progress=progress or silent)
        outcome.source = {"name": Path(table.source).name if table.source not in ("", "<memory>") else table.name,
                          "format": table.format, "rows": outcome.record.source_rows,
                          "columns": len(table.column_names)}
        return outcome
    finally:
        if not isinstance(ledger, LedgerStore):
            store.close()


def _run(t: _Transfer, *, strict: bool, keystore: str | os.PathLike[str] | None, attack_budget: float,
         attack: bool, measure_risk: bool, progress: Progress) -> TransferOutcome:
    """Terms, consent, then protect, prove and record in a private staging folder."""
    t.subject_cols = _subject_columns(t.table, t.spec)
    t.checks = term_checks(t.policy, t.spec, t.subject_cols)
    t.base = t.record_base()
    if any(c.status == "fail" for c in t.checks):
        reasons = [f"{c.rule} {c.subject}: {c.message}" for c in t.checks if c.status == "fail"]
        return t.refuse(reasons, ConsentCounts(required=t.spec.consent_required), t.table.num_rows)
    progress("checking consent (R28)" if t.spec.consent_required else "reading the source", 0.0)
    cpass, refused = t.consent(strict)
    if refused is not None:
        return refused
    sending = _filtered(t.table, cpass.masks) if t.subject_cols and cpass.counts.rows_dropped else t.table
    staging = staging_dir(t.target, t.base["transfer_id"])
    try:
        staged = staging / t.target.name
        step = one_step(progress, f"protecting {t.table.name} into {t.target.name}")
        step(0.0)
        keys = KeyRing(keystore, t.policy)  # read before this run adds its own line to the keys' audit log
        result = protect_table(sending, t.policy, staged, keystore=keystore, progress=lambda _, f: step(f),
                               keep_rows=bool(t.subject_cols) or t.spec.subject_table is not None)
        _fsync(staged)
        out_table = read(str(staged))
        proof = prove(sending, out_table, t.policy, attack_budget=attack_budget, attack=attack, progress=progress)
        t.checks += [TransferCheck(f.rule, f.subject, "fail", f.line()) for f in proof.failures]
        if measure_risk:
            progress("measuring risk for the report", 0.0)
        risks = _risks(sending, out_table, t.policy) if measure_risk else (None, None)
        if not proof.passed:
            outcome = t.refuse([f"the output does not meet the policy: {f.line()}" for f in proof.failures],
                               cpass.counts, cpass.counts.rows_checked, proof, result)
        elif (extra := prepare_sent(t.store, t.spec, t.policy, sending, out_table, t.subject_cols,
                                    result.kept_rows if result.suppressed_rows else None, result.rows_out or 0,
                                    keys)).refusal:
            outcome = t.refuse([str(extra.refusal)], cpass.counts, cpass.counts.rows_checked, proof, result)
            outcome.exposure = extra.judgement
        else:  # R17 passed; the index holds the people of every identifier column that left
            progress("recording the transfer in the ledger", 0.0)
            tokens = t.subjects(sending, cpass, result) | extra.tokens
            record = t.sent_record(result, proof, staged, list(out_table.column_names), cpass.counts, tokens)
            record.subject_index, record.exposure_sha256 = extra.coverage, extra.exposure_sha256
            entry = t.store.append("transfer", record.model_dump(mode="json"), extra.index(tokens), within=extra.within)
            # the record is committed: only now may the file appear under its name
            os.replace(staged, t.target)
            _fsync(t.target.parent)
            outcome = TransferOutcome(record, entry, t.target, t.checks, result, proof, exposure=extra.judgement)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outcome.risk_before, outcome.risk_after = risks
    return outcome


def _risks(before: Table, after: Table, policy: Any) -> tuple[Any, Any]:
    """Risk profiles of input and output over the policy's QIs (for the report's charts)."""
    qi = policy.qi_columns()
    if not qi:
        return None, None
    th = Thresholds(k=policy.thresholds.k, max_risk=policy.thresholds.max_risk)
    with contextlib.suppress(Exception):  # charts are optional; the verdict never depends on them
        out_qi = [c for c in qi if c in after.column_names]
        return (risk_profile(before, qi, thresholds=th),
                risk_profile(after, out_qi, thresholds=th) if out_qi else None)
    return None, None
