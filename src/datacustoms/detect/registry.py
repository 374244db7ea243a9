"""An immutable registry of detectors, handed to detection explicitly (no process-wide state).

``builtin_registry()`` is built once and cached; ``with_yaml(path)`` and ``extended(...)`` return
a new registry, so custom detectors of one run never leak into the next. ``detect_columns``
samples the table once, runs every detector of the registry on each column and keeps the best
finding: highest score, then highest priority (then the earlier detector). A column nobody claims
is ``other``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

import pyarrow as pa

from datacustoms.detect.base import ColumnSample, Detector
from datacustoms.model.findings import ColumnFinding
from datacustoms.table import Table


@dataclass(frozen=True)
class DetectorRegistry:
    """Detector classes by kind, in order; every change returns a new registry."""

    classes: tuple[type[Detector], ...] = ()

    def __post_init__(self) -> None:
        by_kind: dict[str, type[Detector]] = {}
        for cls in self.classes:
            by_kind[cls.kind] = cls  # a later detector of the same kind replaces the earlier one
        object.__setattr__(self, "classes", tuple(by_kind.values()))

    def extended(self, *classes: type[Detector]) -> DetectorRegistry:
        """A new registry with ``classes`` added (same kind: replaced in place)."""
        return DetectorRegistry((*self.classes, *classes))

    def without(self, *kinds: str) -> DetectorRegistry:
        """A new registry without the detectors of ``kinds``."""
        return DetectorRegistry(tuple(cls for cls in self.classes if cls.kind not in kinds))

    def with_yaml(self, path: str | Path) -> DetectorRegistry:
        """A new registry with the detectors of a YAML file (validated completely first)."""
        from datacustoms.detect.yaml_detectors import detector_class, parse_yaml_detectors

        return self.extended(*(detector_class(spec) for spec in parse_yaml_detectors(path)))

    @property
    def by_kind(self) -> Mapping[str, type[Detector]]:
        """Kind → detector class (read-only)."""
        return MappingProxyType({cls.kind: cls for cls in self.classes})

    def detectors(self) -> list[Detector]:
        """Fresh instances of every detector."""
        return [cls() for cls in self.classes]


@cache
def builtin_registry() -> DetectorRegistry:
    """The built-in detectors (built once; immutable)."""
    from datacustoms.detect.builtin import BUILTIN_DETECTORS

    return DetectorRegistry(BUILTIN_DETECTORS)


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


def detect_arrow(sample: pa.Table, registry: DetectorRegistry | None = None) -> list[ColumnFinding]:
    """Detect every column of an in-memory Arrow table (already a sample)."""
    active = (registry or builtin_registry()).detectors()
    return [
        best_finding(ColumnSample.from_array(name, sample.column(index)), active)
        for index, name in enumerate(sample.column_names)
    ]


def detect_columns(
    table: Table, sample_rows: int = 20_000, *, registry: DetectorRegistry | None = None
) -> list[ColumnFinding]:
    """Detect every column of ``table`` from one random sample (built-in detectors by default)."""
    return detect_arrow(table.sample(sample_rows), registry)
