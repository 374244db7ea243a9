"""Prove the protection: run detection, the reversal attack and the risk profile on the input and
on the output, and show **before → after** ("phone_sha256: 100% reversible → dropped; k: 1 → 7").

The same calls run on both sides, so the figures are comparable. The output fails the policy
(``Proof.passed`` is false, the CLI exits 1) when any output column is still reversible, when k
or the highest prosecutor risk misses the policy's thresholds, when l-diversity is below the
policy's l, or when a column the policy sends in clear (``keep``, ``mask``) still holds a direct
identifier. Nothing here holds a value from the data: counts, shares, kinds and recipes only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from datacustoms.policy import Policy
from datacustoms.report.model import ColumnFinding
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

    def column(self, name: str) -> ColumnState | None:
        return next((c for c in self.columns if c.column == name), None)


class Proof(BaseModel):
    before: Snapshot
    after: Snapshot
    lines: list[str] = Field(default_factory=list, description="before → after, one line per change")
    failures: list[str] = Field(default_factory=list, description="why the output fails the policy")

    @property
    def passed(self) -> bool:
        return not self.failures


def _attack_function() -> Callable[..., Any] | None:
    """The reversal attack on one column, when the attack stage is installed in this build."""
    for name in ("datacustoms.attack", "datacustoms.attack.api"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found = getattr(module, "attack_column", None)
        if callable(found):
            return found
    return None


def _is_digest(f: ColumnFinding) -> bool:
    return f.role == "pseudonym" or f.kind.startswith("digest")


def snapshot(
    table: Table,
    *,
    qi: list[str],
    sensitive: list[str],
    k: int,
    max_risk: float,
    attack_budget: float = 30.0,
    attack: bool = True,
) -> Snapshot:
    """Detect, attack digest-like columns, and measure risk on one table."""
    from datacustoms.detect import detect_columns

    findings = detect_columns(table)
    snap = Snapshot(rows=table.num_rows, qi=[c for c in qi if c in table.column_names])
    run_attack = _attack_function() if attack else None
    snap.attack_available = run_attack is not None
    digests = [f for f in findings if _is_digest(f)]
    budget = attack_budget / max(1, len(digests))
    for f in findings:
        state = ColumnState(column=f.column, kind=f.kind, role=f.role)
        if run_attack is not None and _is_digest(f):
            result = run_attack(table, f.column, budget_s=budget)
            state.attacked = True
            state.reversed_share = float(getattr(result, "rows_reversed_share", 0.0))
            state.recipe = getattr(result, "recipe", None)
            state.attack_status = str(getattr(result, "status", ""))
        snap.columns.append(state)
    if snap.qi:
        try:
            from datacustoms.risk.model import Thresholds as RiskThresholds
            from datacustoms.risk.profile import risk_profile
        except ImportError:
            snap.risk_available = False
            return snap
        usable_sensitive = [c for c in sensitive if c in table.column_names and c not in snap.qi]
        profile = risk_profile(
            table, snap.qi, usable_sensitive, thresholds=RiskThresholds(k=k, max_risk=max_risk)
        )
        snap.k = profile.k
        snap.max_risk = profile.prosecutor.highest
        snap.records_below_k = profile.records_below_k
        if profile.diversity:
            snap.l = min(d.distinct_l for d in profile.diversity)
    return snap


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}" if x in (0.0, 1.0) else f"{x:.1%}"


def compare(before: Snapshot, after: Snapshot, policy: Policy) -> Proof:
    """The before → after lines and the policy failures."""
    proof = Proof(before=before, after=after)
    for col in before.columns:
        out = after.column(col.column)
        if col.attacked:
            right = (
                "dropped"
                if out is None
                else (
                    f"{_pct(out.reversed_share)} reversible" if out.attacked else f"not a digest ({out.kind})"
                )
            )
            proof.lines.append(f"{col.column}: {_pct(col.reversed_share)} reversible → {right}")
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
            proof.lines.append(
                f"highest re-identification risk: {_pct(before.max_risk)} → {_pct(after.max_risk)}"
            )
        if after.l is not None:
            proof.lines.append(f"l (distinct sensitive values per class): {before.l} → {after.l}")
    proof.lines.append(f"rows: {before.rows} → {after.rows}")
    for col in after.columns:
        if col.attacked and col.reversed_share:
            proof.failures.append(f"{col.column}: {_pct(col.reversed_share)} of rows still reversible (R2)")
        if col.role == "direct_identifier" and policy.action_for(col.column).action in CLEAR_ACTIONS:
            proof.failures.append(f"{col.column}: still holds {col.kind} values in clear (R1)")
    th = policy.thresholds
    if after.qi and after.risk_available:
        if after.k is None or after.k < th.k:
            proof.failures.append(f"k = {after.k} is below the policy's {th.k} (R10)")
        if after.max_risk is not None and after.max_risk > th.max_risk + 1e-12:
            proof.failures.append(
                f"highest risk {_pct(after.max_risk)} is above the policy's {_pct(th.max_risk)} (R11)"
            )
        if th.l is not None and after.l is not None and after.l < th.l:
            proof.failures.append(f"l = {after.l} is below the policy's {th.l} (R12)")
    if not after.attack_available:
        proof.lines.append("reversal attack: not available in this build; digests were not attacked")
    return proof


def prove(
    before: Table, after: Table, policy: Policy, *, attack_budget: float = 30.0, attack: bool = True
) -> Proof:
    """Run the same checks on the input and the output and compare them."""
    qi = policy.qi_columns()
    k, max_risk = policy.thresholds.k, policy.thresholds.max_risk
    half = attack_budget / 2
    snap_before = snapshot(
        before, qi=qi, sensitive=policy.sensitive, k=k, max_risk=max_risk, attack_budget=half, attack=attack
    )
    out_qi = [c for c in qi if c in after.column_names]
    snap_after = snapshot(
        after,
        qi=out_qi,
        sensitive=policy.sensitive,
        k=k,
        max_risk=max_risk,
        attack_budget=half,
        attack=attack,
    )
    return compare(snap_before, snap_after, policy)
