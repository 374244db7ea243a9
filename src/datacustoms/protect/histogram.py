"""The equivalence-class histogram over (generalised) quasi-identifiers: one DuckDB group-by.

Batches stream into DuckDB as an Arrow reader (with the risk stage's bounded-memory settings); the result holds one row per class (the QI
values as text, and ``n``), which is small next to the table. ``k`` is the smallest class.
:class:`GroupedInputs` gives both histograms of a protect run (raw and protected) from one
group-by of the raw QI inputs, where their types allow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.protect.operators.common import Kernel, as_text
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


def _groups_exactly(dtype: pa.DataType) -> bool:
    """Types whose DuckDB grouping forms the classes grouping their text forms, and which come
    back from DuckDB as the same values (cast back to the source's type): integers, text, booleans,
    dates, timestamps without a time zone and decimals. Not floats (-0.0 and 0.0, NaNs are one
    group to DuckDB, not to their text), binary, nested or dictionary types."""
    t = pa.types
    if t.is_timestamp(dtype):
        return dtype.tz is None
    return bool(
        t.is_integer(dtype)
        or t.is_string(dtype)
        or t.is_large_string(dtype)
        or t.is_boolean(dtype)
        or t.is_date(dtype)
        or t.is_decimal128(dtype)
    )


def pregroupable(schema: pa.Schema, inputs: list[str]) -> bool:
    """True when both histograms may come from one grouping of ``inputs`` (:class:`GroupedInputs`)."""
    return bool(inputs) and COUNT not in inputs and all(_groups_exactly(schema.field(c).type) for c in inputs)


class GroupedInputs:
    """Both class histograms from one DuckDB grouping of the raw QI inputs.

    The table is read once: DuckDB groups the QI inputs (the QIs and what their kernels read) on
    their own types, giving one row per distinct combination and its count. The raw histogram
    sums the counts over the raw QIs; the protected one runs the QI kernels on the grouped rows
    only and sums over their text. The plan's kernels are row-wise and deterministic (the write
    pass relies on that too), so these are the classes of :func:`class_histogram` over the raw
    and over the protected batches; :func:`pregroupable` says which types allow it. The Spark
    engine's ``GroupedHistograms`` does the same with ``groupBy``.
    """

    def __init__(
        self, batches: Iterable[pa.RecordBatch], schema: pa.Schema, qi: list[str], kernels: Sequence[Kernel]
    ) -> None:
        self.batches, self.schema, self.qi, self.kernels = batches, schema, qi, list(kernels)
        self._grouped: pa.Table | None = None

    @classmethod
    def from_counts(cls, grouped: pa.Table, qi: list[str], kernels: Sequence[Kernel]) -> GroupedInputs:
        """From inputs already grouped elsewhere (the Spark write job's sums): their columns and
        ``__n``, one row per distinct combination. The kernels see the inputs in these types."""
        inputs = pa.schema([f for f in grouped.schema if f.name != COUNT])
        made = cls((), inputs, qi, kernels)
        made._grouped = grouped.select([*inputs.names, COUNT]).cast(pa.schema([*inputs, pa.field(COUNT, pa.int64())]))
        return made

    def grouped(self) -> pa.Table:
        if self._grouped is None:
            names, schema = self.schema.names, self.schema
            conformed = (b if b.schema.equals(schema) else b.select(names).cast(schema) for b in self.batches)
            reader = pa.RecordBatchReader.from_batches(schema, conformed)
            cols = ", ".join(quote(c) for c in names)
            with connect() as con:
                con.register("qi_inputs", reader)
                table = con.sql(f"SELECT {cols}, count(*) AS {COUNT} FROM qi_inputs GROUP BY ALL").to_arrow_table()
            # back to the source's types: the kernels see what the write pass gives them
            arrays = [pc.cast(table.column(c), self.schema.field(c).type) for c in names]
            self._grouped = pa.table([*arrays, pc.cast(table.column(COUNT), pa.int64())], names=[*names, COUNT])
        return self._grouped

    def raw(self) -> pa.Table:
        """Class sizes over the raw QIs (only ``__n`` is read: k before protection)."""
        sums = self.grouped().group_by(self.qi, use_threads=False).aggregate([(COUNT, "sum")])
        return pa.table({COUNT: sums.column(f"{COUNT}_sum")})

    def protected(self) -> pa.Table:
        """:func:`class_histogram`'s table over the protected QIs."""
        qi = self.qi

        def texts() -> Iterator[pa.RecordBatch]:
            for batch in self.grouped().to_batches(max_chunksize=65_536):
                for kernel in self.kernels:
                    batch = kernel(batch)
                cols = [pc.cast(as_text(batch.column(c)), pa.large_string()) for c in qi]
                yield pa.RecordBatch.from_arrays([*cols, batch.column(COUNT)], names=[*qi, COUNT])

        schema = pa.schema([*(pa.field(c, pa.large_string()) for c in qi), pa.field(COUNT, pa.int64())])
        cols = ", ".join(quote(c) for c in qi)
        with connect() as con:
            con.register("qi_texts", pa.RecordBatchReader.from_batches(schema, texts()))
            sql = f"SELECT {cols}, CAST(sum({COUNT}) AS BIGINT) AS {COUNT} FROM qi_texts GROUP BY ALL"
            return con.sql(sql).to_arrow_table()
