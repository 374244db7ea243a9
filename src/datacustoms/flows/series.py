"""Inspect a release series: the latest release in full, and everything the recipient holds (R17).

``inspect export/`` on a folder of daily files runs the usual inspection on the latest release
(detection, reversal, risk) and adds the series measure of :mod:`datacustoms.risk.series`, whose
R17 check joins the report's checks (so the verdict and the exit code follow it).
"""

from __future__ import annotations

from typing import Any

from datacustoms.engines.base import Engine
from datacustoms.flows.inspect import engine_of, inspect
from datacustoms.io.series import ReleaseSeries, looks_like_series, open_series
from datacustoms.model.report import Report
from datacustoms.model.series import SeriesColumn, SeriesResult

__all__ = ["inspect_series", "looks_like_series", "measure_series", "open_series"]


def measure_series(
    series: ReleaseSeries, *, engine: Engine | str | None = None, detect: bool = True, **options: Any
) -> SeriesResult:
    """The series measure (run by ``engine``, default embedded), with each column's detected kind and
    role from the first release."""
    result = engine_of(engine).series(series, **options)
    if detect:
        _label(result.columns, series)
    return result


def inspect_series(
    source: str,
    *,
    release_key: str | None = None,
    link: str | None = None,
    max_unicity: float = 0.05,
    seed: int = 0,
    engine: Engine | str | None = None,
    **inspect_options: Any,
) -> Report:
    """Inspect the latest release of ``source`` and attach the measure of the whole series
    (both run by ``engine``)."""
    eng = engine_of(engine)
    series = open_series(source, release_key=release_key)
    result = measure_series(series, engine=eng, link=link, max_unicity=max_unicity, seed=seed)
    report = inspect(str(series.latest_file().path), engine=eng, **inspect_options)
    report.source.notes.append(
        f"a series of {result.releases:,} releases ({len(series.files):,} files); the latest release "
        f"({result.last_key}) is inspected in full, the series section covers all of them"
    )
    report.series = result
    report.checks.extend(result.checks)
    return report


def _label(columns: list[SeriesColumn], series: ReleaseSeries) -> None:
    from datacustoms.detect.registry import detect_columns

    first = series.release_table(series.keys[0])
    found = {f.column: f for f in detect_columns(first)}
    for c in columns:
        f = found.get(c.column)
        if f is not None:
            c.kind, c.role = f.kind, f.role
