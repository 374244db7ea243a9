"""Which columns the risk measure treats as quasi-identifiers, and why each other one is left out.

Conservative by default: every column that is not a direct identifier, a pseudonym or a
sensitive attribute is a candidate quasi-identifier — numbers, counts, bands, booleans and
coordinates included — because an attacker may know any of them. Only the user (``--qi``) or the
policy narrow the set, and the scope table records who did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from datacustoms.model.findings import ColumnFinding
from datacustoms.model.risk import ColumnScope


def is_identifier(finding: ColumnFinding) -> bool:
    """Direct identifiers, pseudonyms and digests are checked by R1 / R2, never by class counts."""
    return finding.role in ("direct_identifier", "pseudonym") or finding.kind.startswith("digest")


def _left_out(finding: ColumnFinding) -> str:
    if finding.role == "direct_identifier":
        return f"direct identifier ({finding.kind}): checked by R1"
    return f"pseudonym or key ({finding.kind}): checked by R2"


def is_text(finding: ColumnFinding) -> bool:
    """Free text singles out by its wording, not by combination: R12 / R13 judge it, not R10."""
    return finding.kind == "free_text"


def candidate_columns(findings: Sequence[ColumnFinding], sensitive: Sequence[str]) -> list[str]:
    """Every column that may be a quasi-identifier when nobody said which ones are.

    Sensitive attributes count too (a balance band or a diagnosis code may be known to a
    neighbour): they are measured both ways. Only free text stays a sensitive attribute alone.
    """
    return [f.column for f in findings if not is_identifier(f) and not (f.column in sensitive and is_text(f))]


def column_scope(
    findings: Sequence[ColumnFinding],
    *,
    qi: Sequence[str],
    sensitive: Sequence[str],
    narrowed_by: str | None = None,
    constants: Sequence[str] = (),
    reasons: Mapping[str, str] | None = None,
) -> list[ColumnScope]:
    """One row per column: role, how the risk measure uses it, and the reason when it does not.

    ``narrowed_by`` names who chose ``qi`` ("--qi", "the policy's quasi_identifiers"); None means
    the candidates were taken conservatively and only ``constants`` were dropped from them.
    ``reasons`` says, per column, why whoever narrowed the set left it out (a policy's
    :meth:`~datacustoms.policy.Policy.qi_reasons`: "declared non-QI by policy line 12 (…)").
    """
    scope = []
    for f in findings:
        reason: str | None = None
        measured: Literal["quasi_identifier", "sensitive", "excluded"] = "excluded"
        if f.column in qi:
            measured = "quasi_identifier"
        elif f.column in sensitive and (narrowed_by is not None or is_text(f)):
            measured = "sensitive"
            reason = "sensitive attribute: measured by l-diversity (R12), not as a quasi-identifier"
        elif is_identifier(f):
            reason = _left_out(f)
        elif f.column in constants:
            reason = "constant: one value on every row"
        elif narrowed_by is not None:
            reason = (reasons or {}).get(f.column) or f"not a quasi-identifier: narrowed by {narrowed_by}"
        else:
            reason = "not measured"
        scope.append(
            ColumnScope(
                column=f.column, role=f.role, measured_as=measured, sensitive=f.column in sensitive, reason=reason
            )
        )
    return scope
