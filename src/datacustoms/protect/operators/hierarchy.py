"""Generalisation hierarchies in ARX's CSV format: ``value;level1;level2;…;*`` one row per value.

Level 0 is the value itself, the last level is usually ``*`` (fully suppressed). Every row must
have the same number of levels. Lookups are vectorised: ``index_in`` against the value column,
then ``take`` from the wanted level.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.errors import InputError, PolicyError
from datacustoms.protect.operators.common import as_text, blank_to_null, count_true, like


@dataclass(frozen=True)
class Hierarchy:
    """One column's hierarchy: ``levels[0]`` are the values, ``levels[i]`` their i-th generalisation."""

    levels: tuple[pa.Array, ...]
    source: str

    @property
    def height(self) -> int:
        """The highest level (``len(levels) - 1``)."""
        return len(self.levels) - 1

    def generalize(self, values: pa.Array, level: int, column: str) -> pa.Array:
        """Map ``values`` to ``level``; a non-null value missing from the hierarchy is an error."""
        if level > self.height:
            raise PolicyError(f"column {column!r}: level {level} is above the hierarchy's top {self.height}")
        text = blank_to_null(pc.utf8_trim_whitespace(as_text(values)))
        if level == 0:
            return like(text, values.type)
        idx = pc.index_in(text, value_set=self.levels[0])
        missing = count_true(pc.and_(pc.is_valid(text), pc.is_null(idx)))
        if missing:
            raise InputError(
                f"column {column!r}: {missing} value(s) are not in the hierarchy {Path(self.source).name}",
                "add them to the hierarchy file",
            )
        return like(pc.take(self.levels[level], idx), values.type)


@functools.lru_cache(maxsize=64)
def _load(path: str, mtime: float) -> Hierarchy:
    rows: list[list[str]] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        delimiter = ";" if ";" in sample else ","
        for row in csv.reader(fh, delimiter=delimiter):
            if row and any(cell.strip() for cell in row):
                rows.append([cell.strip() for cell in row])
    if not rows:
        raise PolicyError(f"hierarchy {Path(path).name} is empty", "one row per value: value;level1;…;*")
    width = len(rows[0])
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise PolicyError(
                f"hierarchy {Path(path).name} line {number} has {len(row)} levels, the first line {width}",
                "every row needs the same number of levels",
            )
    values = [r[0] for r in rows]
    if len(set(values)) != len(values):
        raise PolicyError(f"hierarchy {Path(path).name} lists a value twice", "one row per value")
    return Hierarchy(tuple(pa.array([r[i] for r in rows], pa.string()) for i in range(width)), path)


def load_hierarchy(path: str | Path) -> Hierarchy:
    """Read (and cache) a hierarchy file."""
    p = Path(path)
    if not p.is_file():
        raise PolicyError(f"hierarchy file {str(p)!r} not found", "check the path")
    return _load(str(p.resolve()), p.stat().st_mtime)
