"""What ``protect_and_prove`` returns: the protected table and a proof that shows itself in a notebook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import pyarrow as pa

from datacustoms.model.display import list_html, plural, verdict_html
from datacustoms.model.findings import Check
from datacustoms.protect.pipeline import ProtectResult
from datacustoms.protect.prove import Proof


@dataclass(frozen=True)
class ProofResult:
    """Before → after for one protection: the proof (``lines``, ``failures``) and what protect did."""

    proof: Proof
    result: ProtectResult

    @property
    def passed(self) -> bool:
        return self.proof.passed

    @property
    def verdict(self) -> Literal["pass", "fail"]:
        return "pass" if self.passed else "fail"

    @property
    def lines(self) -> list[str]:
        """Before → after, one line per change (``phone_sha256: 100% reversible → dropped``)."""
        return list(self.proof.lines)

    @property
    def failures(self) -> list[Check]:
        """Why the output misses the policy (rule checks); empty when it passes."""
        return list(self.proof.failures)

    def summary(self) -> str:
        r = self.result
        out = f"{r.rows_out:,}" if r.rows_out is not None else "?"
        parts = [f"rows {r.rows_in:,} → {out}"]
        if r.qi:
            parts.append(f"k {r.k_before} → {r.k_after} (policy {r.k_required})")
        parts.append(f"{plural(len(r.steps), 'column')} rewritten, {len(r.dropped)} dropped")
        if self.failures:
            parts.append(plural(len(self.failures), "failure"))
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"<Proof {self.result.recipient} / {self.result.purpose}: {self.verdict} — {self.summary()}>"

    def _repr_html_(self) -> str:
        title = f"proof for {self.result.recipient} / {self.result.purpose}"
        return (
            verdict_html(self.verdict, title, self.summary())
            + list_html(self.lines)
            + list_html(f.line() for f in self.failures)
        )


class ProtectedTable(NamedTuple):
    """``table, proof = datacustoms.protect_and_prove(df, policy)``."""

    table: pa.Table
    proof: ProofResult

    def __repr__(self) -> str:
        shape = f"{self.table.num_rows:,} rows × {self.table.num_columns} columns"
        return f"<ProtectedTable {shape}: {self.proof.verdict} — {self.proof.summary()}>"

    def _repr_html_(self) -> str:
        return self.proof._repr_html_()
