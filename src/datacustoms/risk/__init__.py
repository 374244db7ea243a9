"""Measure: re-identification risk from quasi-identifiers and from behaviour (rules R10–R16).

One equivalence-class histogram (a DuckDB group-by that streams the source) gives k-anonymity,
uniqueness, prosecutor / journalist / marketer risk, population-uniqueness estimates,
l-diversity, t-closeness and rare values; ``unicity`` measures how few points of a transaction
trace single a person out; ``linkage_rate`` joins an auxiliary table on the quasi-identifiers.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# the check functions (risk.profile) load on first use; the result types live in
# datacustoms.model.risk. ``unicity`` is both a module and a function: the explicit import below
# binds the function.
from datacustoms.risk.classes import check_columns, class_sizes
from datacustoms.risk.estimators import population_uniqueness
from datacustoms.risk.linkage import linkage_rate
from datacustoms.risk.rare import column_uniqueness
from datacustoms.risk.unicity import unicity

_LAZY = {
    "linkage_checks": "profile",
    "propose_columns": "profile",
    "risk_checks": "profile",
    "risk_profile": "profile",
    "unicity_checks": "profile",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"datacustoms.risk.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'datacustoms.risk' has no attribute {name!r}")


__all__ = [
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
