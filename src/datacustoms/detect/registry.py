"""One registry of detectors. Built-ins register the same way as user detectors (YAML or Python).

``detect_columns`` samples the table once, runs every registered detector on each column and
keeps the best finding: highest score, then highest priority. A column nobody claims is
``other``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from datacustoms.detect.base import ColumnSample, Detector
from datacustoms.model.findings import ColumnFinding
from datacustoms.table import Table

_REGISTRY: dict[str, type[Detector]] = {}


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: add a detector to the registry (later registrations replace by kind)."""
    _REGISTRY[cls.kind] = cls
    return cls


def unregister(kind: str) -> type[Detector] | None:
    """Remove the detector registered for ``kind`` (returns it, or ``None`` if there was none)."""
    return _REGISTRY.pop(kind, None)


def registered() -> dict[str, type[Detector]]:
    """A copy of the registry, kind → detector class (built-ins included)."""
    import datacustoms.detect.builtin  # noqa: F401  (registers the built-in detectors)

    return dict(_REGISTRY)


def detectors() -> list[Detector]:
    """Fresh instances of every registered detector (built-ins are imported on first use)."""
    import datacustoms.detect.builtin  # noqa: F401  (registers the built-in detectors)

    return [cls() for cls in _REGISTRY.values()]


def best_finding(sample: ColumnSample, candidates: Iterable[Detector]) -> ColumnFinding:
    """The strongest claim on a column, or an ``other`` finding when no detector claims it."""
    best: tuple[float, int, ColumnFinding] | None = None
    for detector in candidates:
        finding = detector.match(sample)
        if finding is None:
            continue
        rank = (finding.score, detector.priority)
        if best is None or rank > best[:2]:
            best = (*rank, finding)
    if best is not None:
        return best[2]
    return ColumnFinding(
        column=sample.name,
        kind="other",
        role="other",
        score=0.0,
        null_share=round(sample.nulls / sample.rows, 4) if sample.rows else 0.0,
        distinct_sampled=sample.distinct_count,
    )


def detect_arrow(sample: pa.Table) -> list[ColumnFinding]:
    """Detect every column of an in-memory Arrow table (already a sample)."""
    active = detectors()
    return [
        best_finding(ColumnSample.from_array(name, sample.column(index)), active)
        for index, name in enumerate(sample.column_names)
    ]


def detect_columns(table: Table, sample_rows: int = 20_000) -> list[ColumnFinding]:
    """Detect every column of ``table`` from one random sample."""
    return detect_arrow(table.sample(sample_rows))
