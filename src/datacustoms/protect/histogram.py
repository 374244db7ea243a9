"""The equivalence-class histogram over (generalised) quasi-identifiers: one DuckDB group-by.

Batches stream into DuckDB as an Arrow reader (with the risk stage's bounded-memory settings); the result holds one row per class (the QI
values as text, and ``n``), which is small next to the table. ``k`` is the smallest class.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.protect.operators.common import as_text
from datacustoms.protect.operators.suppress import class_keys
from datacustoms.risk.classes import connect  # bounded memory, spills to disk

COUNT = "__n"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text_batches(batches: Iterable[pa.RecordBatch], qi: list[str]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        cols = [pc.cast(as_text(batch.column(c)), pa.large_string()) for c in qi]
        yield pa.RecordBatch.from_arrays(cols, names=qi)


def class_histogram(batches: Iterable[pa.RecordBatch], qi: list[str]) -> pa.Table:
    """``qi`` columns (as text) plus ``__n``: one row per equivalence class."""
    schema = pa.schema([pa.field(c, pa.large_string()) for c in qi])
    reader = pa.RecordBatchReader.from_batches(schema, _text_batches(batches, qi))
    cols = ", ".join(quote(c) for c in qi)
    with connect() as con:
        con.register("qi_stream", reader)
        return con.sql(f"SELECT {cols}, count(*) AS {COUNT} FROM qi_stream GROUP BY ALL").to_arrow_table()


@dataclass(frozen=True)
class ClassStats:
    """What the histogram says, with and without suppressing the classes below ``k``."""

    rows: int
    classes: int
    k: int | None  # smallest class before suppression (None: no rows or no QIs)
    suppressed_rows: int
    suppressed_classes: int
    k_after: int | None  # smallest class after suppression

    @property
    def max_risk(self) -> float | None:
        return 1.0 / self.k_after if self.k_after else None


def class_stats(hist: pa.Table, k: int, *, suppress: bool) -> ClassStats:
    n = hist.column(COUNT)
    rows = int(pc.sum(n).as_py() or 0)
    smallest = pc.min(n).as_py()
    small = pc.less(n, k)
    sup_rows = int(pc.sum(pc.filter(n, small)).as_py() or 0) if suppress else 0
    sup_classes = int(pc.sum(pc.cast(small, pa.int64())).as_py() or 0) if suppress else 0
    if suppress:
        kept = pc.filter(n, pc.invert(small))
        k_after = pc.min(kept).as_py() if len(kept) else None
    else:
        k_after = smallest
    return ClassStats(rows, hist.num_rows, smallest, sup_rows, sup_classes, k_after)


def small_class_keys(hist: pa.Table, qi: list[str], k: int) -> pa.Array:
    """The class keys (see :func:`~datacustoms.protect.operators.suppress.class_keys`) of classes below k."""
    small = hist.filter(pc.less(hist.column(COUNT), k))
    return (
        class_keys([small.column(c).combine_chunks() for c in qi])
        if small.num_rows
        else pa.array([], pa.large_string())
    )
