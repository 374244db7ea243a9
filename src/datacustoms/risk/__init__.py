"""Measure: re-identification risk from quasi-identifiers and from behaviour (rules R10–R16).

One equivalence-class histogram (a DuckDB group-by that streams the source) gives k-anonymity,
uniqueness, prosecutor / journalist / marketer risk, population-uniqueness estimates,
l-diversity, t-closeness and rare values; ``unicity`` measures how few points of a transaction
trace single a person out; ``linkage_rate`` joins an auxiliary table on the quasi-identifiers.
"""

from datacustoms.risk.classes import check_columns, class_sizes
from datacustoms.risk.estimators import population_uniqueness
from datacustoms.risk.linkage import linkage_rate
from datacustoms.risk.model import (
    AttackerRisk,
    ClassHistogram,
    ColumnUniqueness,
    Diversity,
    LinkageResult,
    PopulationUniqueness,
    RareValues,
    RiskProfile,
    Thresholds,
    UnicityPoint,
    UnicityResult,
)
from datacustoms.risk.profile import (
    linkage_checks,
    propose_columns,
    risk_checks,
    risk_profile,
    unicity_checks,
)
from datacustoms.risk.rare import column_uniqueness
from datacustoms.risk.unicity import unicity

__all__ = [
    "AttackerRisk",
    "ClassHistogram",
    "ColumnUniqueness",
    "Diversity",
    "LinkageResult",
    "PopulationUniqueness",
    "RareValues",
    "RiskProfile",
    "Thresholds",
    "UnicityPoint",
    "UnicityResult",
    "check_columns",
    "class_sizes",
    "column_uniqueness",
    "linkage_checks",
    "linkage_rate",
    "population_uniqueness",
    "propose_columns",
    "risk_checks",
    "risk_profile",
    "unicity",
    "unicity_checks",
]
