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
import pyarrow.compute as pc
import yaml
from pydantic import ValidationError

from datacustoms.errors import ColumnError, LedgerError, PolicyError, UsageError
from datacustoms.ledger.chain import Entry, canonical_json
from datacustoms.ledger.consent import judge_rows
from datacustoms.ledger.model import (
    CREDIT_RECORD_YEARS,
    ConsentCounts,
    DatasetInfo,
    FailedCheck,
    IndexSource,
    PseudonymEntry,
    RecordSpec,
    RiskScope,
    TransferRecord,
    classify_role,
)
from datacustoms.ledger.store import LedgerStore
from datacustoms.ledger.subjects import index_digest
from datacustoms.table import Table

#: detector kinds whose values identify a person for consent and lookup
SUBJECT_KINDS = frozenset({"kr_mobile", "phone", "email"})
KEYED = frozenset({"pseudonymize", "tokenize", "fpe", "shift_dates"})
#: words that state no transfer mechanism at all
_NO_ANSWER = frozenset({"", "none", "n/a", "na", "-", "null", "no", "tbd", "unknown"})


@dataclass
class TransferCheck:
    rule: str
    subject: str
    status: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "subject": self.subject, "status": self.status, "message": self.message}


@dataclass
class TransferOutcome:
    """What ``run_transfer`` did: the record, its ledger entry, and the evidence behind the verdict."""

    record: TransferRecord
    entry: Entry
    output: Path | None
    checks: list[TransferCheck] = field(default_factory=list)
    protect: Any = None  # datacustoms.protect.pipeline.ProtectResult
    proof: Any = None  # datacustoms.protect.prove.Proof
    risk_before: Any = None
    risk_after: Any = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    exposure: Any = None  # datacustoms.ledger.exposure.ExposureJudgement (R17)

    @property
    def refused(self) -> bool:
        return self.record.status == "refused"

    def verification(self) -> dict[str, Any]:
        """The verification report whose SHA-256 the record carries (``report_sha256``)."""
        return _verification(self.checks, self.proof)


def _verification(checks: list[TransferCheck], proof: Any) -> dict[str, Any]:
    return {
        "checks": [c.as_dict() for c in checks],
        "proof": proof.model_dump(mode="json") if proof is not None else None,
    }


# ---------------------------------------------------------------------------------------- policy


def load_transfer_policy(path: str | os.PathLike[str]) -> tuple[Any, RecordSpec]:
    """The protection policy and its ``record:`` section, both validated before data is read.

    The ``record:`` section is taken out before the policy proper is validated, so the policy
    model stays the protection contract; recipient name, country, purpose, legal basis and role
    come from the policy's top level when it states them.
    """
    from datacustoms.policy import parse_policy

    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"policy file {str(path)!r} not found", "check the path")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise PolicyError(f"{path.name} is not valid YAML{where}", "fix the syntax") from None
    if not isinstance(data, dict):
        raise PolicyError("a policy must be a mapping", "see docs/policy.md")
    record = data.pop("record", None)
    policy = parse_policy(data, base_dir=path.parent.resolve())
    return policy, record_spec(policy, record)


def record_spec(policy: Any, record: Any) -> RecordSpec:
    """Merge the policy's transfer fields with its ``record:`` section into one :class:`RecordSpec`."""
    if record is None:
        raise PolicyError(
            "the policy has no record: section, so the transfer record would be incomplete (R24)",
            "add record: with contact, role_questions, subject_categories, key_holder, retention_until "
            "(see docs/ledger.md)",
        )
    if not isinstance(record, dict):
        raise PolicyError("record: must be a mapping", "see docs/ledger.md")
    rec = dict(record)
    role = policy.role or rec.get("role")
    if role == "joint":
        role = "joint_controller"
    for name, ours in (("country", policy.recipient_country), ("role", policy.role),
                       ("legal_basis", policy.legal_basis)):
        theirs = rec.get(name)
        if theirs is not None and ours is not None and str(theirs).upper() != str(ours).upper() and not (
            name == "role" and {theirs, ours} == {"joint", "joint_controller"}
        ):
            raise PolicyError(f"record.{name} {theirs!r} contradicts the policy's {ours!r}",
                              f"state {name} once, at the policy's top level")
    merged = {
        **{k: v for k, v in rec.items() if k not in ("country", "contact", "role", "legal_basis")},
        "recipient": {"name": policy.recipient, "contact": rec.get("contact"),
                      "country": policy.recipient_country or rec.get("country")},
        "role": role,
        "purpose": policy.purpose,
        "legal_basis": policy.legal_basis or rec.get("legal_basis"),
    }
    try:
        return RecordSpec.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        top = {"recipient.country": "recipient_country", "role": "role", "legal_basis": "legal_basis"}
        where = "recipient_country" if loc == "recipient.country" else top.get(loc, f"record.{loc}")
        if loc == "recipient.contact":
            where = "record.contact"
        if err.get("type") == "missing" or (err.get("type") == "string_type" and err.get("input") is None):
            raise PolicyError(f"the transfer record needs {where} (R24)", "add it to the policy (see docs/ledger.md)") from None
        if err.get("type") == "extra_forbidden":
            raise PolicyError(f"unknown option {where!r} in the record section", "see docs/ledger.md") from None
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise PolicyError(f"{where}: {msg}", "fix the policy (see docs/ledger.md)") from None


# ---------------------------------------------------------------------------------------- checks


def term_checks(policy: Any, spec: RecordSpec, subject_columns: list[str]) -> list[TransferCheck]:
    """The transfer's own terms, judged before any row is read (R25, R27, R28, R34, R36)."""
    checks: list[TransferCheck] = []
    role = classify_role(spec.role, spec.role_questions)
    checks.append(TransferCheck("R27", "recipient role", "pass" if role.consistent else "fail",
                                f"declared {role.declared}; "
                                + (f"the answers make it a {role.classified}: " if role.classified else "")
                                + role.reason))
    country = spec.recipient.country
    abroad = country != spec.sender_country
    if abroad:
        korea_ground = spec.korea.overseas_ground if spec.korea else None
        mechanism = spec.transfer_mechanism
        if mechanism is not None and mechanism.strip().lower() in _NO_ANSWER:
            mechanism = None
        if mechanism or korea_ground:
            checks.append(TransferCheck("R25", f"transfer to {country}", "pass",
                                        f"recorded ground: {mechanism or korea_ground}"))
        else:
            checks.append(TransferCheck("R25", f"transfer to {country}", "fail",
                                        "a transfer abroad needs adequacy, a safeguard (SCC module and date) or "
                                        "a documented derogation in record.transfer_mechanism"))
        if spec.sender_country == "KR":
            if korea_ground is None:
                checks.append(TransferCheck("R36", f"transfer to {country}", "fail",
                                            "PIPA 28-8(1): name one of the five grounds in record.korea.overseas_ground "
                                            "(consent, law_or_treaty, contract, certification, adequacy)"))
            else:
                checks.append(TransferCheck("R36", f"transfer to {country}", "pass",
                                            f"PIPA 28-8(1) ground: {korea_ground}"
                                            + ("; the five 28-8(2) items were notified" if spec.korea and
                                               spec.korea.notice else "")))
    keyed = [n for n, a in policy.columns.items() if a.action in KEYED]
    if spec.korea is not None and keyed:
        missing = [f for f in ("pseudonym_purpose", "pseudonym_use", "use_until", "destruction") if getattr(spec.korea, f) is None]
        if missing:
            checks.append(TransferCheck("R34", "pseudonymised-information record", "fail",
                                        f"PIPA 28-4: record.korea needs {', '.join(missing)}"))
        else:
            checks.append(TransferCheck("R34", "pseudonymised-information record", "pass",
                                        "purpose, items, use, recipient, period and destruction recorded"))
    if spec.consent_required and not subject_columns:
        checks.append(TransferCheck("R28", "consent", "fail",
                                    "consent is required but no phone or email column identifies the subjects; "
                                    "name them in record.subject_columns"))
    return checks


def _subject_columns(table: Table, spec: RecordSpec) -> list[str]:
    names = table.column_names
    if spec.subject_columns:
        for c in spec.subject_columns:
            if c not in names:
                raise ColumnError(c, names, what="record.subject_columns column")
        return list(spec.subject_columns)
    from datacustoms.detect import detect_columns

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


def _suppression_masks(table: Table, policy: Any, keystore: str | os.PathLike[str] | None) -> list[np.ndarray]:
    """Per batch: the rows protection keeps after suppressing classes below k.

    Rebuilt from the protect stage's own building blocks (the plan's QI kernels, the class
    histogram, the small-class keys), so the subject index names only the people whose rows left.
    """
    from datacustoms.protect.histogram import class_histogram, small_class_keys
    from datacustoms.protect.operators.suppress import class_keys
    from datacustoms.protect.pipeline import load_master_key
    from datacustoms.protect.plan import build_plan

    loaded = load_master_key(policy, keystore, table.column_names)
    plan = build_plan(policy, table.column_names, loaded[0] if loaded else None)
    qi = list(plan.qi)
    needed = list(qi)
    for name in qi:
        act = policy.action_for(name)
        subject = getattr(act, "subject", None)
        if act.action == "shift_dates" and subject and subject not in needed:
            needed.append(subject)
    kernels = plan.qi_kernels()

    def stream() -> Iterator[pa.RecordBatch]:
        for batch in table.batches(needed):
            for kernel in kernels:
                batch = kernel(batch)
            yield batch.select(qi)

    small = pc.cast(small_class_keys(class_histogram(stream(), qi), qi, policy.thresholds.k), pa.large_string())
    return [~np.asarray(pc.is_in(class_keys([b.column(c) for c in qi]), value_set=small)
                        .to_numpy(zero_copy_only=False), dtype=bool) for b in stream()]


def _index_tokens(store: LedgerStore, table: Table, columns: list[str], masks: list[np.ndarray]) -> set[str]:
    """Keyed hashes of the identifiers in the rows that ``masks`` keep."""
    tokens: set[str] = set()
    hasher = store.hasher
    for batch, keep in zip(table.batches(columns), masks, strict=True):
        for name in columns:
            tokens.update(t for t, k in zip(hasher.hash_array(batch.column(name)), keep, strict=True)
                          if k and t is not None)
    return tokens


# ---------------------------------------------------------------------------------------- files


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def run_transfer(
    source: str | Table,
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
) -> TransferOutcome:
    """Protect ``source`` by the policy, prove the result, record it, then release ``output``.

    Returns the outcome whether the transfer was sent or refused (both are recorded). Raises a
    :class:`~datacustoms.errors.DatacustomsError` without recording when the request itself is
    malformed (bad policy, unreadable input, unknown column): nothing was attempted then.
    """
    from datacustoms import __version__
    from datacustoms.io import read
    from datacustoms.protect.pipeline import output_format, protect_table
    from datacustoms.protect.prove import prove

    at = at or datetime.now(UTC)
    target = Path(output)
    output_format(target)
    if isinstance(source, str) and "://" not in source and Path(source).resolve() == target.resolve():
        raise UsageError("the output would overwrite the input", "write to another file")
    if not target.parent.is_dir():
        raise UsageError(f"output folder {str(target.parent)!r} does not exist", "create it first")
    policy, spec = load_transfer_policy(policy_path)
    table = source if isinstance(source, Table) else read(source)
    policy.check_columns(table.column_names)
    store = ledger if isinstance(ledger, LedgerStore) else LedgerStore(ledger)
    own_store = not isinstance(ledger, LedgerStore)
    from datacustoms.protect.rotation import reset_epoch, set_epoch

    transfer_id = uuid.uuid4().hex
    epoch = set_epoch(at.date(), transfer_id)  # rotating pseudonym keys: this transfer's epoch
    try:
        subject_cols = _subject_columns(table, spec)
        checks = term_checks(policy, spec, subject_cols)
        role = classify_role(spec.role, spec.role_questions)
        base: dict[str, Any] = {
            "transfer_id": transfer_id, "created": at, "operator": _operator(), "tool_version": __version__,
            "recipient": spec.recipient, "role": role, "purpose": spec.purpose, "legal_basis": spec.legal_basis,
            "transfer_mechanism": spec.transfer_mechanism, "sender_country": spec.sender_country,
            "subject_categories": spec.subject_categories, "key_holder": spec.key_holder,
            "retention_until": spec.retention_until, "source_name": table.name, "korea": spec.korea,
            "record_keep_until": _add_years(at.date(), CREDIT_RECORD_YEARS)
            if spec.korea is not None and spec.korea.credit_data else None,
            "risk_scope": risk_scope(policy, table.column_names),
        }

        def refuse(reasons: list[str], counts: ConsentCounts, source_rows: int, proof: Any = None,
                   protect: Any = None) -> TransferOutcome:
            failed = [FailedCheck(rule=c.rule, subject=c.subject, message=c.message)
                      for c in checks if c.status == "fail"]
            record = TransferRecord(
                **base, status="refused", data_items=[], source_rows=source_rows,
                dataset=DatasetInfo(name=target.name, format=output_format(target), sha256=None),
                subjects_indexed=0, subject_index_sha256=index_digest([]), consent=counts, verdict="fail",
                failed_checks=failed, refusal_reasons=reasons,
                report_sha256=hashlib.sha256(canonical_json(_verification(checks, proof)).encode()).hexdigest(),
            )
            entry = store.append("transfer", record.model_dump(mode="json"))
            return TransferOutcome(record, entry, None, checks, protect, proof)

        if any(c.status == "fail" for c in checks):
            reasons = [f"{c.rule} {c.subject}: {c.message}" for c in checks if c.status == "fail"]
            return refuse(reasons, ConsentCounts(required=spec.consent_required), table.num_rows)

        cpass = _consent_pass(store, table, spec, subject_cols, at) if subject_cols else _ConsentPass(
            [], set(), ConsentCounts(required=spec.consent_required, rows_checked=table.num_rows,
                                     rows_kept=table.num_rows))
        source_rows = cpass.counts.rows_checked
        if spec.consent_required:
            c = cpass.counts
            status = "fail" if strict and c.rows_dropped else ("warn" if c.rows_dropped else "pass")
            checks.append(TransferCheck("R28", "consent", status,
                                        f"{c.rows_kept:,} of {c.rows_checked:,} rows have a valid consent for "
                                        f"{spec.recipient.name}, {spec.purpose!r}, {spec.recipient.country}; "
                                        f"{c.rows_dropped:,} " + ("refused (--strict)" if strict else "dropped")))
            if strict and c.rows_dropped:
                return refuse([f"R28: {c.rows_dropped:,} row(s) without a valid consent (--strict)"],
                              cpass.counts, source_rows)
        sending = _filtered(table, cpass.masks) if subject_cols and cpass.counts.rows_dropped else table

        staging = target.parent / f".{target.name}.transfer-{transfer_id[:12]}"
        staging.mkdir(mode=0o700)
        try:
            staged = staging / target.name
            result = protect_table(sending, policy, staged, keystore=keystore)
            _fsync(staged)
            out_table = read(str(staged))
            proof = prove(sending, out_table, policy, attack_budget=attack_budget, attack=attack)
            checks += [TransferCheck(f.rule, f.subject, "fail", f.line()) for f in proof.failures]
            outcome_risk: tuple[Any, Any] = (None, None)
            if measure_risk:
                outcome_risk = _risks(sending, out_table, policy)
            if not proof.passed:
                outcome = refuse([f"the output does not meet the policy: {f.line()}" for f in proof.failures],
                                 cpass.counts, source_rows, proof, result)
                outcome.risk_before, outcome.risk_after = outcome_risk
                return outcome
            from datacustoms.ledger.exposure import judge_transfer

            fingerprint, exposure = judge_transfer(store, spec.recipient.name, out_table, policy)
            from datacustoms.ledger.exposure import writer as exposure_writer

            exposure_sha256, write_exposure = exposure_writer(store, fingerprint)
            if exposure.refused:
                outcome = refuse([str(exposure.reason)], cpass.counts, source_rows, proof, result)
                outcome.exposure, (outcome.risk_before, outcome.risk_after) = exposure, outcome_risk
                return outcome
            tokens = cpass.tokens
            masks: list[np.ndarray] | None = None
            if result.suppressed_rows:
                # suppressed rows did not leave: index only the people whose rows did
                masks = _suppression_masks(sending, policy, keystore)
                if sum(int(m.sum()) for m in masks) != result.rows_out:
                    raise LedgerError("the rows kept by suppression could not be matched to the output",
                                      "report this as a bug; nothing was recorded or released")
                tokens = _index_tokens(store, sending, subject_cols, masks) if subject_cols else set()
            from datacustoms.ledger.subject_index import derived_index

            derived, coverage = derived_index(store.hasher, sending, spec, subject_cols, masks, policy.base_dir,
                                            out_table.column_names)
            tokens = tokens | derived
            coverage.sources[:0] = [IndexSource(column=c, how="clear identifier", rows_matched=result.rows_out or 0)
                                    for c in subject_cols]  # fmt: skip
            keyed = [s for s in result.steps if s.action in KEYED]
            record = TransferRecord(
                **base, status="sent", data_items=list(out_table.column_names),
                pseudonymisation=[PseudonymEntry(column=s.column, method=f"{s.action}" + (f" ({s.detail})" if s.detail else ""),
                                                 key_id=result.derived_key_ids.get(s.action) or result.key_id)
                                  for s in keyed],
                source_rows=source_rows,
                dataset=DatasetInfo(name=target.name, format=output_format(target), sha256=_sha256_file(staged),
                                    bytes=staged.stat().st_size, rows=result.rows_out),
                subjects_indexed=len(tokens), subject_index_sha256=index_digest(tokens), subject_index=coverage,
                consent=cpass.counts, verdict="pass",
                report_sha256=hashlib.sha256(canonical_json(_verification(checks, proof)).encode()).hexdigest(),
                label="pseudonymised personal data" if keyed else "de-identified personal data (not anonymous)",
                exposure_sha256=exposure_sha256,
            )
            from datacustoms.ledger.subject_index import INCOMPLETE

            entry = store.append("transfer", record.model_dump(mode="json"),
                                 tokens if coverage.complete else {*tokens, INCOMPLETE},
                                 within=lambda conn, seq: write_exposure(conn, seq))  # fmt: skip
            # the record is committed: only now may the file appear under its name
            os.replace(staged, target)
            _fsync(target.parent)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        outcome = TransferOutcome(record, entry, target, checks, result, proof)
        outcome.risk_before, outcome.risk_after = outcome_risk
        outcome.exposure = exposure
        return outcome
    finally:
        reset_epoch(epoch)
        if own_store:
            store.close()


def risk_scope(policy: Any, columns: list[str]) -> RiskScope:
    """The policy's narrowing of the quasi-identifiers, for the record (what R10 was judged on)."""
    qi = policy.qi_columns()
    declared = "quasi_identifiers" if policy.quasi_identifiers is not None else "generalised columns"
    return RiskScope(quasi_identifiers=qi, declared_by=declared, left_out=[c for c in columns if c not in qi])


def _risks(before: Table, after: Table, policy: Any) -> tuple[Any, Any]:
    """Risk profiles of input and output over the policy's QIs (for the report's charts)."""
    qi = policy.qi_columns()
    if not qi:
        return None, None
    try:
        from datacustoms.model.thresholds import Thresholds
        from datacustoms.risk.profile import risk_profile
    except ImportError:
        return None, None
    th = Thresholds(k=policy.thresholds.k, max_risk=policy.thresholds.max_risk)
    with contextlib.suppress(Exception):  # charts are optional; the verdict never depends on them
        out_qi = [c for c in qi if c in after.column_names]
        return (risk_profile(before, qi, thresholds=th),
                risk_profile(after, out_qi, thresholds=th) if out_qi else None)
    return None, None
