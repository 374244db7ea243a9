"""What a recipient holds after a series of releases (rule R17): typed results of the series measure.

A series is a sequence of releases to one recipient (one file per day, a partitioned dataset).
The measure says which columns link the releases, how many people become traceable across them,
and how unique the linked snapshots make each person, and how that grows with the number held.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from datacustoms.model.findings import Check
from datacustoms.model.risk import UnicityResult


class SeriesColumn(BaseModel):
    """One column's part in linking releases."""

    column: str
    kind: str | None = Field(default=None, description="detected kind in the first release, if any")
    role: str | None = Field(default=None, description="detected role in the first release, if any")
    unique_share: float = Field(description="distinct values / rows within one release (mean over the releases measured)")
    recurring_share: float | None = Field(
        default=None, description="share of the column's distinct values seen in two or more of the releases measured"
    )
    stable_share: float | None = Field(
        default=None, description="share of people (by the link key) whose value never changes across releases"
    )
    links: bool = Field(description="the column alone joins the releases (near-unique and recurring)")


class SeriesGrowth(BaseModel):
    """The recipient's holding after the first ``releases`` releases."""

    releases: int
    last_key: str = Field(description="release key of the last release included")
    rows: int
    people: int = Field(description="distinct link-key values seen so far")
    traceable: int = Field(description="people seen in two or more releases (their rows join into a trace)")
    traceable_share: float
    p: int | None = Field(default=None, description="linked snapshots known per person for epsilon (min(releases, max p))")
    epsilon: float | None = Field(default=None, description="share of sampled people singled out by p of their snapshots")
    ci_low: float | None = None
    ci_high: float | None = None


class SeriesResult(BaseModel):
    """Cumulative exposure of a release series (R17)."""

    source: str
    releases: int
    release_key: str = Field(description="where the release key comes from: a column name, 'file name' or 'partition'")
    first_key: str
    last_key: str
    rows: int
    measured_releases: list[str] = Field(description="release keys the column statistics were measured on")
    columns: list[SeriesColumn] = Field(default_factory=list)
    link: str | None = Field(default=None, description="the column used as the person key across releases")
    exact_match_qi: list[str] = Field(
        default_factory=list, description="columns whose value per person never changes: they link releases by exact match"
    )
    exact_match_unique_share: float | None = Field(
        default=None, description="distinct combinations of exact_match_qi / rows within one release"
    )
    profile: list[str] = Field(default_factory=list, description="columns forming each release's snapshot")
    people: int = 0
    traceable: int = 0
    traceable_share: float = 0.0
    unicity: UnicityResult | None = Field(default=None, description="unicity of linked snapshots (point = release × profile)")
    growth: list[SeriesGrowth] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)
