"""What a Spark task runs: for ``protect`` the plan's kernels, its Parquet part and its class
counts; for the risk profile a task's partial cell counts.

Kept apart from the driver's modules so that a Python worker, which imports this module to run
the task, loads only pyarrow, the kernels and the writer (not DuckDB, pandas or the report models).
A kernel that raises raises :class:`KernelFailure`, whose text carries the column and the
exception's type and nothing of the data.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.io.spark_pieces import (
    ArrowFunction,
    Piece,
    piece_numbers,
    read_piece,
    sampled_rows,
    sampled_schema,
    stored_dictionaries,
)
from datacustoms.protect.operators.common import Kernel, as_text
from datacustoms.protect.writer import OutputWriter

#: the marker a failing kernel's exception carries from an executor back to the driver
FAILURE = "datacustoms-kernel-failure"
FAILURE_RE = re.compile(FAILURE + r"\[column=(.*?)\]\[error=(\w+)\]")

Step = tuple[str, Kernel]


class KernelFailure(RuntimeError):
    """Raised on an executor: names the column and the error type, never a value from the data."""

    def __init__(self, column: str, error: BaseException) -> None:
        super().__init__(f"{FAILURE}[column={column}][error={type(error).__name__}]")


def run_steps(steps: Sequence[Step], batch: pa.RecordBatch) -> pa.RecordBatch:
    """Apply ``(column, kernel)`` steps; a failure names its column (and nothing of the data)."""
    for column, kernel in steps:
        try:
            batch = kernel(batch)
        except Exception as err:
            raise KernelFailure(column, err) from None
    return batch


def qi_text(qi: Sequence[str], count: str | None = None) -> Kernel:
    """A kernel that keeps the ``qi`` columns only, as text (and ``count`` as it is): what a class
    histogram groups. Defined here, beside the other task functions, so that shipping it makes a
    worker import only this module's light dependencies, not the driver's (the policy models)."""
    names = list(qi)

    def to_text(batch: pa.RecordBatch) -> pa.RecordBatch:
        cols = [pc.cast(as_text(batch.column(c)), pa.string()) for c in names]
        if count is None:
            return pa.RecordBatch.from_arrays(cols, names=names)
        return pa.RecordBatch.from_arrays([*cols, batch.column(count)], names=[*names, count])

    return to_text


KIND, N = "__kind", "__n"
#: the kinds of count rows a task returns: classes over the raw and the protected QIs (as text),
#: the task's rows, or the raw QI inputs grouped on their own types
RAW, PROTECTED, ROWS, INPUTS = 0, 1, 2, 3
TEMPORARY = "_temporary"


def task_files(folder: str, suffix: str) -> tuple[Path, Path]:
    """This task's file under ``folder/_temporary`` (named by partition and attempt) and the part
    it is renamed to once whole (``part-<partition><suffix>``): a retried or speculative attempt
    renames the same bytes, and a failed one leaves only its temporary file."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    part, attempt = (ctx.partitionId(), ctx.taskAttemptId()) if ctx is not None else (0, 0)
    return Path(folder, TEMPORARY, f"{part:05d}-{attempt}{suffix}"), Path(folder, f"part-{part:05d}{suffix}")


def _classes(columns: Sequence[pa.Array], width: int) -> pa.Table:
    """One batch's class sizes over ``columns`` (as text), named ``q0…`` (nulls are one class)."""
    names = [f"q{i}" for i in range(width)]
    texts = pa.table([pc.cast(as_text(c), pa.string()) for c in columns], names=names)
    return texts.group_by(names, use_threads=False).aggregate([([], "count_all")]).rename_columns([*names, N])


def _count_batch(kind: int, parts: list[pa.Table], width: int) -> pa.RecordBatch:
    names = [f"q{i}" for i in range(width)]
    table = pa.concat_tables(parts).group_by(names, use_threads=False).aggregate([(N, "sum")])
    cols = [table.column(n).combine_chunks() for n in names]
    n = pc.cast(table.column(f"{N}_sum"), pa.int64()).combine_chunks()
    kinds = pa.array([kind] * table.num_rows, pa.int32())
    return pa.RecordBatch.from_arrays([kinds, *cols, n], names=[KIND, *names, N])


class _TextClasses:
    """Class sizes over the raw and the protected QIs, as text, per batch (``q0…`` columns)."""

    def __init__(self, qi: Sequence[str]) -> None:
        self.qi, self.width = list(qi), len(qi)
        self.raw: list[pa.Table] = []
        self.protected: list[pa.Table] = []

    def add(self, batch: pa.RecordBatch, mid: pa.RecordBatch) -> None:
        self.raw.append(_classes([batch.column(c) for c in self.qi], self.width))
        self.protected.append(_classes([mid.column(c) for c in self.qi], self.width))

    def batches(self, rows: int) -> Iterator[pa.RecordBatch]:
        if self.raw:  # an empty partition has no classes
            yield _count_batch(RAW, self.raw, self.width)
            yield _count_batch(PROTECTED, self.protected, self.width)
        yield _rows_batch(rows, pa.schema([pa.field(f"q{i}", pa.string()) for i in range(self.width)]))


class _InputGroups:
    """The raw QI inputs grouped on their own types (``i0…`` columns in ``schema``'s types), with
    no text and no kernel: the driver sums them and runs the QI kernels on the distinct rows
    (:class:`~datacustoms.protect.histogram.GroupedInputs`). Folded as they grow."""

    def __init__(self, inputs: Sequence[str], schema: pa.Schema) -> None:
        self.inputs, self.schema = list(inputs), schema
        self.names = schema.names
        self.parts: list[pa.Table] = []
        self.held = 0

    def add(self, batch: pa.RecordBatch, mid: pa.RecordBatch) -> None:
        keys = pa.table([batch.column(c) for c in self.inputs], names=self.names)
        if keys.schema != self.schema:  # the types (and nullability) the job was told it returns
            keys = keys.cast(self.schema)
        part = keys.group_by(self.names, use_threads=False).aggregate([([], "count_all")])
        self.parts.append(part.rename_columns([*self.names, N]))
        self.held += part.num_rows
        if self.held > FOLD_GROUPS and len(self.parts) > 1:
            self.parts = [self._fold()]
            self.held = self.parts[0].num_rows

    def _fold(self) -> pa.Table:
        return sum_groups(self.parts, self.names, N)

    def batches(self, rows: int) -> Iterator[pa.RecordBatch]:
        if self.parts:
            table = self._fold() if len(self.parts) > 1 else self.parts[0]
            kinds = pa.array([INPUTS] * table.num_rows, pa.int32())
            cols = [table.column(c).combine_chunks() for c in self.names]
            n = pc.cast(table.column(N), pa.int64()).combine_chunks()
            yield pa.RecordBatch.from_arrays([kinds, *cols, n], names=[KIND, *self.names, N])
        yield _rows_batch(rows, self.schema)


def _rows_batch(rows: int, keys: pa.Schema) -> pa.RecordBatch:
    nulls = [pa.nulls(1, f.type) for f in keys]
    return pa.RecordBatch.from_arrays(
        [pa.array([ROWS], pa.int32()), *nulls, pa.array([rows], pa.int64())], names=[KIND, *keys.names, N]
    )


def protect_task(staging: str, steps: Sequence[Step], position: int, qi: Sequence[str], keyed: tuple[str, ...],
          target: pa.Schema, inputs: pa.Schema | None = None) -> Any:  # fmt: skip
    """The function every partition runs: protect, write the part, yield the counts.

    ``inputs`` (the raw QI inputs and the types to group them on): count those instead of the
    text classes over ``qi`` (:class:`_InputGroups`); the output's ``i0…`` columns hold them."""
    before, after = list(steps[:position]), list(steps[position:])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        tmp, part = task_files(staging, ".parquet")
        writer = OutputWriter(tmp, "parquet", keyed)
        counts: _TextClasses | _InputGroups | None = None
        if inputs is not None:
            renamed = pa.schema([pa.field(f"i{i}", f.type) for i, f in enumerate(inputs)])
            counts = _InputGroups(inputs.names, renamed)
        elif qi:
            counts = _TextClasses(qi)
        rows = 0
        try:
            for batch in batches:
                rows += batch.num_rows
                mid = run_steps(before, batch)
                if counts is not None:
                    counts.add(batch, mid)
                out = run_steps(after, mid)
                writer.write(out if out.schema == target else out.cast(target))
            if writer.schema is None:  # an empty partition still leaves a file with the schema
                writer.write(empty_batch(target))
            writer.close()
            os.replace(tmp, part)
        except BaseException:
            writer.close()
            tmp.unlink(missing_ok=True)
            raise
        if counts is None:
            yield _rows_batch(rows, pa.schema([]))
        else:
            yield from counts.batches(rows)

    return run


#: a task folds its per-batch counts together once they hold this many groups
FOLD_GROUPS = 1 << 20


def sum_groups(parts: list[pa.Table], names: Sequence[str], count: str) -> pa.Table:
    """Tables of groups (``names`` and their ``count``) as one: the counts summed per group."""
    table = pa.concat_tables(parts).group_by(list(names), use_threads=False).aggregate([(count, "sum")])
    return table.select([*names, f"{count}_sum"]).rename_columns([*names, count])


class PartialCounts:
    """A partition's rows grouped by ``columns`` (renamed ``names``; a null is a value of its own,
    as in Spark and SQL) with their number in ``count``, in the ``out`` schema: what Spark's own
    partial aggregation would give, summed per group by Spark or the driver. Key columns may
    arrive as Arrow dictionaries (grouped by their codes, each batch's groups then decoded to
    ``out``'s text). Folded as the groups grow past :data:`FOLD_GROUPS`."""

    def __init__(self, columns: Sequence[str], names: Sequence[str], count: str, out: pa.Schema) -> None:
        self.columns, self.names, self.count, self.out = list(columns), list(names), count, out
        self.parts: list[pa.Table] = []
        self.held = 0

    def add(self, batch: pa.RecordBatch) -> None:
        keys = pa.table([batch.column(c) for c in self.columns], names=self.names)
        part = keys.group_by(self.names, use_threads=False).aggregate([([], "count_all")])
        self.parts.append(
            part.select([*self.names, "count_all"]).rename_columns([*self.names, self.count]).cast(self.out)
        )
        self.held += self.parts[-1].num_rows
        if self.held > FOLD_GROUPS and len(self.parts) > 1:
            self.parts = [sum_groups(self.parts, self.names, self.count)]
            self.held = self.parts[0].num_rows

    def table(self) -> pa.Table:
        """The counts so far, one row per group (an empty table where no row came)."""
        if not self.parts:
            return self.out.empty_table()
        return sum_groups(self.parts, self.names, self.count) if len(self.parts) > 1 else self.parts[0]


def partial_counts(columns: Sequence[str], names: Sequence[str], count: str, out: pa.Schema) -> Any:
    """The function a partition runs for a count ``groupBy``: its :class:`PartialCounts`, which
    Spark sums per group as its own partial aggregation would have."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        counts = PartialCounts(columns, names, count, out)
        rows = 0
        for batch in batches:
            counts.add(batch)
            rows += batch.num_rows
        if rows:
            yield from counts.table().to_batches()

    return run


#: the prefix of the cell columns in the rows of :func:`sample_cells_task` that carry cells
CELL = "__cell_"


def with_cells(sampled: pa.Schema, cells: pa.Schema) -> pa.Schema:
    """The output of :func:`sample_cells_task` without a folder: the sample's columns, then the
    cells' prefixed with :data:`CELL`; every column nullable (a row carries a sample row or a cell)."""
    return pa.schema([f.with_nullable(True) for f in sampled] + [f.with_name(CELL + f.name) for f in cells])


def sample_cells_task(
    pieces: Sequence[Piece], read: pa.Schema, seed: int, below: float, cells: PartialCounts, folder: str | None
) -> ArrowFunction:
    """The function a task runs to draw its pieces' sample rows and count their cells in one read.

    It returns what :func:`~datacustoms.io.spark_pieces.sample_task` returns (the rows of draws
    under ``below``, text as text) and counts its rows' :class:`PartialCounts` (``cells``, a fresh
    copy per task). With a ``folder`` the counts go to ``part-<partition>.arrow`` under it once the
    pieces are read (renamed into place when whole: a retried attempt writes the same counts);
    without one they follow the sample rows in the same output, in :data:`CELL`-prefixed columns
    (the sample's columns null, as the cells' are in the sample rows).
    """
    sampled = sampled_schema(read)
    out = sampled if folder is not None else with_cells(sampled, cells.out)

    def run(numbers: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        counts = PartialCounts(cells.columns, cells.names, cells.count, cells.out)

        def counted(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                counts.add(batch)
                yield batch

        for piece in piece_numbers(pieces, numbers):
            batches = read_piece(piece, read, stored_dictionaries(piece, read))
            for rows in sampled_rows(piece, counted(batches), seed, below):
                values = dict(zip(sampled.names, rows.columns, strict=True))
                yield _filled(values, out, rows.num_rows)
        table = counts.table()
        if folder is None:
            named = [CELL + n for n in table.schema.names]
            for batch in table.to_batches():
                yield _filled(dict(zip(named, batch.columns, strict=True)), out, batch.num_rows)
            return
        tmp, whole = task_files(folder, ".arrow")
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, whole)

    return run


def _filled(values: dict[str, pa.Array], schema: pa.Schema, rows: int) -> pa.RecordBatch:
    """A batch of ``schema`` from the named ``values`` (cast to the schema's types: text read as
    dictionaries goes back to text), nulls in every other column."""
    arrays = [values[f.name].cast(f.type) if f.name in values else pa.nulls(rows, f.type) for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)
