"""inspect: read → detect → attack → measure, and the checks that turn findings into a verdict.

The same call runs on an export before it leaves and on the protected output afterwards, so the
report can show before → after with figures computed the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from datacustoms import __version__
from datacustoms.detect import detect_columns
from datacustoms.io import read
from datacustoms.report.model import Check, ColumnFinding, Report, SourceInfo
from datacustoms.table import Table

Progress = Callable[[str, float], None]


def inspect(
    source: Any,
    *,
    attack: bool = True,
    attack_budget: float = 30.0,
    qi: Sequence[str] | None = None,
    sensitive: Sequence[str] | None = None,
    thresholds: Any = None,
    population: int | None = None,
    sampling_fraction: float | None = None,
    measure: bool = True,
    reveal: bool = False,
    sample_rows: int = 20_000,
    progress: Progress | None = None,
    **read_options: Any,
) -> Report:
    """Inspect ``source`` (a path, URL, frame or Table) and return the full :class:`Report`."""
    table = source if isinstance(source, Table) else read(source, **read_options)
    findings = detect_columns(table, sample_rows=sample_rows)
    report = Report(
        tool_version=__version__,
        source=SourceInfo(
            name=table.name,
            path=table.source,
            format=table.format,
            rows=table.num_rows,
            columns=len(table.column_names),
            notes=list(table.notes),
        ),
        findings=findings,
    )
    report.checks.extend(identifier_checks(findings))
    return report


def identifier_checks(findings: Sequence[ColumnFinding]) -> list[Check]:
    """R1: no direct identifier in clear. R2 (shape only): digest columns need the attack's proof."""
    checks: list[Check] = []
    for f in findings:
        if f.role == "direct_identifier":
            checks.append(
                Check(
                    rule="R1",
                    subject=f.column,
                    status="fail",
                    message=f"{f.kind} in clear ({f.score:.0%} of sampled values) — drop it or pseudonymise with a key",
                )
            )
    return checks
