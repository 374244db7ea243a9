"""What the stages say about a table: column findings with their evidence, and rule checks.

Detection fills :class:`ColumnFinding` (with :class:`Evidence`); every stage states its verdicts as
:class:`Check` objects (rule id → pass / fail / warn), so a renderer or the ledger never parses a
rule id out of a sentence. The rule texts come from :mod:`datacustoms.model.rules`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from datacustoms.model.rules import explain

Role = Literal["direct_identifier", "pseudonym", "quasi_identifier", "sensitive", "other"]
Status = Literal["pass", "fail", "warn", "info"]


class Evidence(BaseModel):
    """Why a detector matched: which detector, on what share, with which header hint."""

    detector: str
    matched_share: float = Field(description="share of distinct sampled non-null values that matched and validated")
    distinct_sampled: int = Field(description="distinct non-null values the detector looked at")
    header_hint: str | None = Field(default=None, description="header word that raised confidence")
    note: str | None = None


class ColumnFinding(BaseModel):
    """What one column is, with the evidence."""

    column: str
    kind: str = Field(description="e.g. kr_mobile, email, kr_rrn, digest:sha256/hex, other")
    role: Role
    score: float = Field(ge=0, le=1)
    evidence: list[Evidence] = Field(default_factory=list)
    null_share: float = 0.0
    distinct_sampled: int = 0
    details: dict[str, Any] = Field(default_factory=dict)
    uncertain: str | None = Field(default=None, description="what the evidence cannot settle")


class Check(BaseModel):
    """One rule applied to one subject (a column, the table, the transfer)."""

    rule: str = Field(description="rule id from the rules reference, e.g. R1")
    subject: str
    status: Status
    message: str

    @property
    def explanation(self) -> str:
        """The rule in one plain-language line (empty for an id outside the catalogue)."""
        return explain(self.rule)

    def line(self) -> str:
        """The message with its rule id, as the command-line summaries print a failure."""
        return f"{self.message} ({self.rule})"
