"""The limits a table is judged against (rules R10–R13): one type for the measure stage and the policy.

The defaults are the measure stage's (Ontario IPC / El Emam figures, rules R10–R13); a policy
starts from :data:`POLICY_DEFAULTS`, which keeps the policy's own, looser highest risk and leaves
l-diversity unchecked unless the policy asks for it. All are engineering defaults, not law.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Thresholds(BaseModel):
    """Limits the risk checks compare against (all configurable; defaults from rules R10–R13)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    k: int = Field(default=5, ge=1, description="R10: minimum equivalence-class size")
    max_risk: float = Field(default=0.09, gt=0, le=1, description="R11: highest prosecutor risk")
    avg_risk: float = Field(default=0.075, gt=0, le=1, description="R11: average prosecutor risk")
    l: int | None = Field(  # noqa: E741
        default=2, ge=1, description="R12: distinct / entropy / recursive l-diversity (None: not checked)"
    )
    c: float = Field(default=3.0, gt=0, description="R12: c of recursive (c, l)-diversity")
    t: float | None = Field(default=None, ge=0, le=1, description="R12: t-closeness (None: report only)")
    dominance: float = Field(default=0.9, gt=0, le=1, description="R12: share of one value in a class")
    rare_below: int | None = Field(default=None, ge=1, description="R13: rare value frequency (None: k)")
    near_unique: float = Field(default=0.9, gt=0, le=1, description="R13: distinct / rows of a column")

    @property
    def rare_threshold(self) -> int:
        return self.rare_below if self.rare_below is not None else self.k

    @property
    def diversity_l(self) -> int:
        """The l that diversity is measured with (2 when no l is required)."""
        return self.l if self.l is not None else 2


#: the thresholds a policy file may set
POLICY_FIELDS = frozenset({"k", "max_risk", "l"})
#: what a policy that states no thresholds is judged against: k 5, highest risk 0.2, no l check
POLICY_DEFAULTS = Thresholds(max_risk=0.2, l=None)
