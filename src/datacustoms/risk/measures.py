"""Added risk measures: a figure derived from the equivalence-class histogram, with a limit.

The built-in figures (k, sample uniques, prosecutor / journalist / marketer risk, …) are fields
of :class:`~datacustoms.model.risk.RiskProfile`. A new measure needs no new field: it is a
function of the class histogram (class size → number of classes) and the thresholds, handed to
``inspect`` (or ``risk_profile``) in ``measures=``; its figure lands in ``RiskProfile.measures``
and its check in the report, so every renderer and the JSON report show it unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from datacustoms.model.findings import Check
from datacustoms.model.risk import ClassHistogram, MeasureResult, RiskProfile
from datacustoms.model.thresholds import Thresholds


class RiskMeasure(Protocol):
    """``(class histogram, thresholds) -> MeasureResult``; it must not read the data again."""

    def __call__(self, histogram: ClassHistogram, thresholds: Thresholds) -> MeasureResult: ...


def apply_measures(histogram: ClassHistogram, thresholds: Thresholds, measures: Sequence[RiskMeasure]) -> list[MeasureResult]:
    """Every added measure on one histogram, in order."""
    return [measure(histogram, thresholds) for measure in measures]


def measure_checks(profile: RiskProfile) -> list[Check]:
    """One check per added measure: fail when its figure is above its limit, pass otherwise."""
    subject = ", ".join(profile.qi)
    checks = []
    for m in profile.measures:
        limit = "" if m.limit is None else f" (limit {m.limit:.4g})"
        checks.append(
            Check(
                rule=m.rule,
                subject=subject,
                status="pass" if m.passed else "fail",
                message=f"{m.name} = {m.value:.4g}{limit}" + (f": {m.description}" if m.description else ""),
            )
        )
    return checks
