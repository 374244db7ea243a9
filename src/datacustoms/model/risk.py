"""Result models of the measure stage (pydantic, so they render to JSON unchanged).

Every figure in a :class:`RiskProfile` derives from one equivalence-class histogram
(:class:`ClassHistogram`: class size → number of classes) plus, for sensitive columns, the
per-class value counts of the same group-by. Thresholds are engineering defaults (rules R10–R13)
and travel with the profile so a report can say what it was judged against.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from datacustoms.model.thresholds import Thresholds


class ClassHistogram(BaseModel):
    """Equivalence classes by size: ``counts[i]`` classes hold exactly ``sizes[i]`` records."""

    sizes: list[int] = Field(default_factory=list, description="distinct class sizes, ascending")
    counts: list[int] = Field(default_factory=list, description="number of classes of each size")

    @property
    def records(self) -> int:
        return sum(s * c for s, c in zip(self.sizes, self.counts, strict=True))

    @property
    def classes(self) -> int:
        return sum(self.counts)

    @property
    def min_size(self) -> int:
        """k of k-anonymity (0 for an empty table)."""
        return self.sizes[0] if self.sizes else 0

    def classes_of_size(self, size: int) -> int:
        return next((c for s, c in zip(self.sizes, self.counts, strict=True) if s == size), 0)

    def classes_below(self, k: int) -> int:
        return sum(c for s, c in zip(self.sizes, self.counts, strict=True) if s < k)

    def records_below(self, k: int) -> int:
        return sum(s * c for s, c in zip(self.sizes, self.counts, strict=True) if s < k)


class AttackerRisk(BaseModel):
    """Re-identification risk for one attacker model (ARX's prosecutor / journalist / marketer)."""

    model: Literal["prosecutor", "journalist", "marketer"]
    highest: float = Field(description="highest risk of any record (1 / smallest class)")
    average: float = Field(description="average risk over records (classes / records)")
    records_at_highest: int = Field(description="records that carry the highest risk")
    records_above_threshold: int = Field(default=0, description="records with risk above max_risk")
    note: str | None = None


class PopulationUniqueness(BaseModel):
    """Estimated population uniques (ARX's RiskModelPopulationUniqueness, Dankar et al. 2012)."""

    population: float
    sampling_fraction: float
    sample_uniques: int
    pitman: float | None = Field(description="estimated population uniques, Pitman / Hoshino 2001")
    zayatz: float | None = Field(description="estimated population uniques, Zayatz 1991")
    snb: float | None = Field(description="estimated population uniques, SNB / Chen & Keller-McNulty 1998")
    dankar: float = Field(description="estimate chosen by Dankar et al.'s decision rule")
    dankar_model: Literal["pitman", "zayatz", "snb", "none"]
    dankar_share: float = Field(description="dankar / population")


class Diversity(BaseModel):
    """Attribute disclosure on one sensitive column (rule R12)."""

    column: str
    ordered: bool = Field(description="numeric values: t uses the ordered distance, else equal distance")
    distinct_values: int
    distinct_l: int = Field(description="fewest distinct sensitive values in any class")
    classes_below_l: int
    records_below_l: int
    entropy_l: float = Field(description="exp(smallest class entropy), natural log")
    classes_below_entropy_l: int
    recursive_l: int = Field(description="l used for recursive (c, l)-diversity")
    recursive_c: float | None = Field(
        description="smallest c making every class (c, l)-diverse is any c above this; "
        "None when some class has fewer than l distinct values"
    )
    classes_failing_recursive: int = Field(description="classes with r1 >= c * (r_l + ... + r_m)")
    t: float = Field(description="largest distance between a class and the whole table")
    classes_above_t: int = 0
    records_above_t: int = 0
    dominance: float
    dominated_classes: int = Field(description="classes where one value covers >= dominance")
    dominated_records: int


class RareValues(BaseModel):
    """Values of one column that occur fewer than ``threshold`` times (rule R13)."""

    column: str
    threshold: int
    distinct: int
    rare_values: int
    rare_records: int
    examples: list[str] = Field(default_factory=list, description="a few rare values, truncated")


class ColumnUniqueness(BaseModel):
    """How close a column is to a unique key (rule R13)."""

    column: str
    rows: int
    distinct: int
    ratio: float
    near_unique: bool


class MeasureResult(BaseModel):
    """One figure of an added risk measure (:mod:`datacustoms.risk.measures`), with its limit."""

    name: str
    value: float
    limit: float | None = Field(default=None, description="the check fails when the value is above it")
    rule: str = Field(default="R11", description="the rule the figure is judged under")
    description: str = ""

    @property
    def passed(self) -> bool:
        return self.limit is None or self.value <= self.limit + 1e-12


class RiskProfile(BaseModel):
    """Everything the measure stage found for one table and one quasi-identifier set."""

    rows: int
    qi: list[str]
    sensitive: list[str] = Field(default_factory=list)
    thresholds: Thresholds
    histogram: ClassHistogram
    k: int
    classes: int
    classes_below_k: int
    records_below_k: int
    sample_uniques: int
    prosecutor: AttackerRisk
    journalist: AttackerRisk
    marketer: AttackerRisk
    population: PopulationUniqueness | None = None
    diversity: list[Diversity] = Field(default_factory=list)
    rare: list[RareValues] = Field(default_factory=list)
    uniqueness: list[ColumnUniqueness] = Field(default_factory=list)
    measures: list[MeasureResult] = Field(default_factory=list, description="figures of added risk measures")


class UnicityPoint(BaseModel):
    """ε_p: the share of sampled people singled out by p random points of their trace."""

    p: int
    eligible: int = Field(description="sampled people with at least p distinct points")
    unique: int
    epsilon: float
    ci_low: float
    ci_high: float


class UnicityResult(BaseModel):
    """p-point unicity of transaction traces (de Montjoye et al., Science 2015), rule R14."""

    people: int
    events: int
    sampled: int
    time_granularity: str
    place: str | None
    amount: str | None
    amount_bins: int | None
    median_points: float = Field(description="median distinct points per sampled person")
    confidence: float = 0.95
    seed: int
    points: list[UnicityPoint]


class LinkageResult(BaseModel):
    """How many records an auxiliary table links (rule R16)."""

    on: list[str]
    rows: int
    aux_rows: int
    linked_records: int = Field(description="records matching at least one auxiliary record")
    unique_links: int = Field(description="records matching exactly one auxiliary record")
    one_to_one: int = Field(description="records unique on both sides and matching each other")
    unique_link_rate: float = Field(description="unique_links / rows")


class ColumnScope(BaseModel):
    """One column's part in the risk measure, and why (the report's scope table)."""

    column: str
    role: str = Field(description="detected role (direct_identifier, pseudonym, quasi_identifier, ...)")
    measured_as: Literal["quasi_identifier", "sensitive", "excluded"]
    sensitive: bool = Field(default=False, description="also measured as a sensitive attribute (l-diversity)")
    reason: str | None = Field(default=None, description="why the column is left out of the quasi-identifiers")


class CombinationRisk(BaseModel):
    """Equivalence classes over one combination of candidate quasi-identifiers."""

    columns: list[str]
    k: int
    classes: int
    sample_uniques: int
    records_below_k: int
    highest_risk: float = Field(description="prosecutor risk of the smallest class (1 / k)")
    exact: bool = Field(default=True, description="measured on every row (False: on the sample only)")
    fails: bool = Field(description="k below the threshold or highest risk above max_risk")


class SpecialUniques(BaseModel):
    """Minimal sample uniques (MSUs, SUDA2 as in sdcMicro) up to ``max_size`` columns."""

    max_size: int
    records: int = Field(description="records with at least one MSU (special uniques)")
    msus_by_size: list[int] = Field(description="MSUs found of size 1, 2, ... max_size")
    contributions: dict[str, float] = Field(
        default_factory=dict, description="share of the SUDA score carried by MSUs holding each column"
    )


class CombinationSearch(BaseModel):
    """Risk over every combination of up to ``depth`` candidate quasi-identifiers (fail closed)."""

    candidates: list[str]
    depth: int = Field(description="largest combination measured (0: the search did not run)")
    combinations: int = Field(description="combinations measured")
    rows: int
    sampled_rows: int = Field(description="rows the search read (a seeded sample beyond the cell budget)")
    complete: bool = Field(description="False: the search could not be completed; the verdict fails")
    reason: str | None = None
    failing: int = Field(default=0, description="combinations that break k or max_risk")
    worst: list[CombinationRisk] = Field(default_factory=list, description="the riskiest combinations")
    special: SpecialUniques | None = None
