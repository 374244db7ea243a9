"""Helpers for detector tests: detect in-memory columns, build valid identifiers."""

from __future__ import annotations

import random
from collections.abc import Callable

import pyarrow as pa
import pytest

from datacustoms.detect.registry import DetectorRegistry, detect_arrow
from datacustoms.model.findings import ColumnFinding

Detect = Callable[..., dict[str, ColumnFinding]]


@pytest.fixture()
def detect() -> Detect:
    """``detect(name=[values], ...)`` → finding per column name (short columns padded with nulls).

    ``_registry=`` runs other detectors than the built-ins.
    """

    def run(_registry: DetectorRegistry | None = None, **columns: list[str | None]) -> dict[str, ColumnFinding]:
        rows = max(len(v) for v in columns.values())
        padded = {name: list(values) + [None] * (rows - len(values)) for name, values in columns.items()}
        table = pa.table({name: pa.array(values, pa.string()) for name, values in padded.items()})
        return {f.column: f for f in detect_arrow(table, _registry)}

    return run


@pytest.fixture()
def rng() -> random.Random:
    return random.Random(7)
