"""Prove the protection: run detection, the reversal attack and the risk profile on the input and
on the output, and show **before → after** ("phone_sha256: 100% reversible → dropped; k: 1 → 7").

Both sides go through the inspect flow (:func:`datacustoms.flows.inspect.inspect`, the call behind
``datacustoms inspect``, run by :func:`datacustoms.flows.protect.prove`), so the figures are the
ones an auditor would get; this module compares the two sides. The output fails the policy
(``Proof.passed`` is false, the CLI exits 1) when any output column is still reversible, when k
or the highest prosecutor risk misses the policy's thresholds, when l-diversity is below the
policy's l, or when a column the policy sends in clear (``keep``, ``mask``) still holds a direct
identifier. Nothing here holds a value from the data: counts, shares, kinds and recipes only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from datacustoms.model.attack import ColumnAttack
from datacustoms.model.findings import Check
from datacustoms.model.report import Report
from datacustoms.model.risk import ColumnScope
from datacustoms.policy import KEYED_ACTIONS, Policy
from datacustoms.protect import crypto
from datacustoms.protect.keys import find_key_material
from datacustoms.table import Table

CLEAR_ACTIONS = frozenset({"keep", "mask"})
ACTION_LABELS = {
    "drop": "dropped",
    "pseudonymize": "keyed pseudonym",
    "tokenize": "AES-SIV token",
    "fpe": "FF1-encrypted",
    "generalize": "generalised",
    "mask": "masked",
    "shift_dates": "dates shifted",
}


class ColumnState(BaseModel):
    column: str
    kind: str
    role: str
    attacked: bool = False
    reversed_share: float | None = Field(default=None, description="share of rows the attack re-identified")
    recipe: str | None = None
    attack_status: str | None = None
    not_proven: list[str] = Field(
        default_factory=list, description="cheap keyspaces the search did not finish (an incomplete search)"
    )
    attack_reused: bool = Field(default=False, description="the input's attack result, reused for an unchanged column")


class Snapshot(BaseModel):
    """One side of the comparison."""

    rows: int
    columns: list[ColumnState] = Field(default_factory=list)
    qi: list[str] = Field(default_factory=list)
    k: int | None = None
    max_risk: float | None = None
    records_below_k: int | None = None
    l: int | None = None  # noqa: E741
    attack_available: bool = True
    risk_available: bool = True
    notes: list[str] = Field(default_factory=list)
    scope: list[ColumnScope] = Field(
        default_factory=list, description="every column's part in this side's risk measure, and why"
    )
    _attacks: dict[str, ColumnAttack] = PrivateAttr(default_factory=dict)

    def column(self, name: str) -> ColumnState | None:
        return next((c for c in self.columns if c.column == name), None)


class Proof(BaseModel):
    before: Snapshot
    after: Snapshot
    lines: list[str] = Field(default_factory=list, description="before → after, one line per change")
    failures: list[Check] = Field(default_factory=list, description="why the output fails the policy")

    @property
    def passed(self) -> bool:
        return not self.failures


def snapshot_with(
    inspect: Callable[..., Report],
    source: Any,
    columns: Sequence[str],
    *,
    qi: list[str],
    sensitive: Sequence[str],
    k: int,
    max_risk: float,
    attack_budget: float,
    attack: bool,
    reuse: Mapping[str, ColumnAttack] | None = None,
) -> Snapshot:
    """A :class:`Snapshot` of ``source`` through an engine's ``inspect`` (embedded or Spark).

    Both sides of a proof must be measured with the same options, whichever engine reads them.
    """
    usable_sensitive = [c for c in sensitive if c in columns and c not in qi]
    extra: dict[str, Any] = {"attacks": dict(reuse)} if reuse else {}
    report = inspect(
        source,
        attack=attack,
        attack_budget=attack_budget,
        qi=qi,
        sensitive=usable_sensitive,
        thresholds={"k": k, "max_risk": max_risk},
        measure=bool(qi),
        qi_origin="policy",
        **extra,
    )
    snap = snapshot_of(report, qi, attack)
    for state in snap.columns:
        state.attack_reused = bool(reuse) and state.column in (reuse or {})
    return snap


def snapshot_of(report: Report, qi: list[str], attack: bool) -> Snapshot:
    """The fields a proof compares, taken from an inspection report."""
    attacks = {a.column: a for a in report.attacks}
    snap = Snapshot(rows=report.source.rows or 0, qi=qi, attack_available=attack, scope=list(report.scope))
    for f in report.findings:
        state = ColumnState(column=f.column, kind=f.kind, role=f.role)
        result = attacks.get(f.column)
        if result is not None:
            state.attacked = True
            state.reversed_share = result.rows_reversed_share
            state.recipe = result.recipe
            state.attack_status = str(result.status)
            state.not_proven = [c.keyspace for c in result.unfinished_cheap]
            snap._attacks[f.column] = result
        snap.columns.append(state)
    if report.risk is not None:
        snap.k = report.risk.k
        snap.max_risk = report.risk.prosecutor.highest
        snap.records_below_k = report.risk.records_below_k
        if report.risk.diversity:
            snap.l = min(d.distinct_l for d in report.risk.diversity)
    return snap


def scope_line(snapshot: Snapshot) -> str | None:
    """One line of the assumptions behind a side's risk figures: what was measured, what was left out."""
    if not snapshot.scope:
        return None
    qi = [c.column for c in snapshot.scope if c.measured_as == "quasi_identifier"]
    sensitive = [c.column for c in snapshot.scope if c.sensitive or c.measured_as == "sensitive"]
    left = [f"{c.column} ({c.reason})" if c.reason else c.column
            for c in snapshot.scope if c.measured_as == "excluded"]
    parts = [f"quasi-identifiers {', '.join(qi) or 'none'}"]
    if sensitive:
        parts.append(f"sensitive {', '.join(sensitive)}")
    if left:
        parts.append(f"left out {'; '.join(left)}")
    return "; ".join(parts)


def _name_protected_scope(after: Snapshot, policy: Policy) -> None:
    """Say why the output's keyed columns are out of the risk measure in the policy's words.

    Detection sees an HMAC or token column as some digest (it may guess MD5 from the width); the
    proof knows what the policy made of it.
    """
    for i, entry in enumerate(after.scope):
        action = policy.action_for(entry.column).action
        if entry.measured_as == "excluded" and action in KEYED_ACTIONS and action != "shift_dates":
            reason = f"{ACTION_LABELS[action]} written by this protection: checked by R2"
            after.scope[i] = entry.model_copy(update={"role": "pseudonym", "reason": reason})


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}" if x in (0.0, 1.0) else f"{x:.1%}"


def _reversal(state: ColumnState) -> str:
    """What the attack established: a share reversed, or an unfinished search (never "0%")."""
    if state.attack_status == "incomplete":
        return "not reversed within the budget (search incomplete)"
    return f"{_pct(state.reversed_share)} reversible"


def _fail(rule: str, subject: str, what: str) -> Check:
    """A failed check; a column's message starts with the column, as the summaries print it."""
    message = what if subject == "table" else f"{subject}: {what}"
    return Check(rule=rule, subject=subject, status="fail", message=message)


def compare(before: Snapshot, after: Snapshot, policy: Policy) -> Proof:
    """The before → after lines and the policy failures."""
    _name_protected_scope(after, policy)
    proof = Proof(before=before, after=after)
    for col in before.columns:
        out = after.column(col.column)
        if col.attacked:
            right = (
                "dropped"
                if out is None
                else (_reversal(out) if out.attacked else f"not a digest ({out.kind})")
            )
            reused = " (the input's result: column unchanged)" if out is not None and out.attack_reused else ""
            proof.lines.append(f"{col.column}: {_reversal(col)} → {right}{reused}")
        elif col.role == "pseudonym" or col.kind.startswith("digest"):
            action = policy.action_for(col.column).action
            right = "dropped" if out is None else ACTION_LABELS.get(action, f"kept as {out.kind}")
            proof.lines.append(f"{col.column}: {col.kind} (not attacked) → {right}")
        elif col.role == "direct_identifier":
            action = policy.action_for(col.column).action
            right = "dropped" if out is None else ACTION_LABELS.get(action, action)
            if action == "keep" and out is not None:
                right = f"in clear ({out.kind})"
            proof.lines.append(f"{col.column}: {col.kind} in clear → {right}")
    if before.qi or after.qi:
        proof.lines.append(
            f"k: {before.k if before.k is not None else 'n/a'} → {after.k if after.k is not None else 'n/a'}"
        )
        if before.max_risk is not None or after.max_risk is not None:
            proof.lines.append(f"highest re-identification risk: {_pct(before.max_risk)} → {_pct(after.max_risk)}")
        if after.l is not None:
            proof.lines.append(f"l (distinct sensitive values per class): {before.l} → {after.l}")
    proof.lines.append(f"rows: {before.rows} → {after.rows}")
    for col in after.columns:
        if col.attacked and col.reversed_share:
            proof.failures.append(_fail("R2", col.column, f"{_pct(col.reversed_share)} of rows still reversible"))
        elif col.attacked and col.not_proven and policy.action_for(col.column).action not in KEYED_ACTIONS:
            proof.failures.append(_fail("R2", col.column, "not proven irreversible: the search stopped before "
                                        f"{', '.join(col.not_proven[:4])} — raise the attack budget"))  # fmt: skip
        if col.role == "direct_identifier" and policy.action_for(col.column).action in CLEAR_ACTIONS:
            proof.failures.append(_fail("R1", col.column, f"still holds {col.kind} values in clear"))
    th = policy.thresholds
    if after.qi and after.risk_available:
        if after.k is None or after.k < th.k:
            proof.failures.append(_fail("R10", "table", f"k = {after.k} is below the policy's {th.k}"))
        if after.max_risk is not None and after.max_risk > th.max_risk + 1e-12:
            proof.failures.append(
                _fail("R11", "table", f"highest risk {_pct(after.max_risk)} is above the policy's {_pct(th.max_risk)}")
            )
        if th.l is not None and after.l is not None and after.l < th.l:
            proof.failures.append(_fail("R12", "table", f"l = {after.l} is below the policy's {th.l}"))
    if not after.attack_available:
        proof.lines.append("reversal attack: skipped (--no-attack); digest columns were not attacked")
    return proof


def key_leaks(table: Table, policy: Policy, master_key: bytes) -> dict[str, int]:
    """R18: cells of ``table`` that contain the master key or a key derived from it (counts only)."""
    derived = [
        crypto.derive_key(master_key, recipient=policy.recipient, purpose=policy.purpose, operation=op)
        for op in sorted(KEYED_ACTIONS)
    ]
    return find_key_material(table.batches(), [master_key, *derived])


def kept_attacks(snap: Snapshot | None, before: Table, after: Table, policy: Policy) -> dict[str, ColumnAttack]:
    """The input's attack results for the columns the policy keeps unchanged (same rows, same values)."""
    if snap is None or before.num_rows != after.num_rows:
        return {}
    return {
        c: result
        for c, result in snap._attacks.items()
        if c in after.column_names and policy.action_for(c).action == "keep"
    }


#: ``(qi, k, max_risk, attack budget) -> Snapshot``: one side of a proof, measured by some engine
TakeSnapshot = Callable[[list[str], int, float, float], Snapshot]


def prove_with(
    policy: Policy,
    *,
    attack_budget: float,
    before: TakeSnapshot,
    after: TakeSnapshot,
    after_columns: Sequence[str],
    leaks: Callable[[], dict[str, int]] | None,
) -> Proof:
    """Before → after with the policy's thresholds, then R18.

    The input gets the whole attack budget per column (its verdict is the "before" a reader
    compares with), the output half of it (its digest columns are keyed pseudonyms, or columns
    kept unchanged whose input result the embedded proof reuses). The engines differ in how they
    take a snapshot and scan for key material, not in what a proof compares; ``leaks`` is None
    when no master key is known.
    """
    qi = policy.qi_columns()
    k, max_risk = policy.thresholds.k, policy.thresholds.max_risk
    half = attack_budget / 2
    snap_before = before(qi, k, max_risk, attack_budget)
    snap_after = after([c for c in qi if c in after_columns], k, max_risk, half)
    proof = compare(snap_before, snap_after, policy)
    if leaks is not None:
        found = leaks()
        proof.lines.append(f"key material in the output: {sum(found.values())} cells")
        proof.failures += [_fail("R18", col, f"{n} cells hold key material") for col, n in sorted(found.items())]
    return proof
