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


KIND, N = "__kind", "__n"
#: the kinds of count rows a task returns
RAW, PROTECTED, ROWS = 0, 1, 2
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


def protect_task(staging: str, steps: Sequence[Step], position: int, qi: Sequence[str], keyed: tuple[str, ...],
          target: pa.Schema) -> Any:  # fmt: skip
    """The function every partition runs: protect, write the part, yield the counts."""
    before, after, qi, width = list(steps[:position]), list(steps[position:]), list(qi), len(qi)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        tmp, part = task_files(staging, ".parquet")
        writer = OutputWriter(tmp, "parquet", keyed)
        raw: list[pa.Table] = []
        protected: list[pa.Table] = []
        rows = 0
        try:
            for batch in batches:
                rows += batch.num_rows
                mid = run_steps(before, batch)
                if width:
                    raw.append(_classes([batch.column(c) for c in qi], width))
                    protected.append(_classes([mid.column(c) for c in qi], width))
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
        if raw:  # an empty partition has no classes
            yield _count_batch(RAW, raw, width)
            yield _count_batch(PROTECTED, protected, width)
        nulls = [pa.nulls(1, pa.string()) for _ in range(width)]
        yield pa.RecordBatch.from_arrays(
            [pa.array([ROWS], pa.int32()), *nulls, pa.array([rows], pa.int64())],
            names=[KIND, *[f"q{i}" for i in range(width)], N],
        )

    return run


#: a task folds its per-batch counts together once they hold this many groups
FOLD_GROUPS = 1 << 20


def partial_counts(columns: Sequence[str], names: Sequence[str], count: str, out: pa.Schema) -> Any:
    """The function a partition runs for a count ``groupBy``: its rows grouped by ``columns``
    (renamed ``names``; a null is a value of its own, as in Spark and SQL) with their number in
    ``count``, in the ``out`` schema. Spark sums these per group, as its own partial aggregation
    would have. Key columns may arrive as Arrow dictionaries (grouped by their codes, each
    batch's groups then decoded to ``out``'s text)."""
    columns, names = list(columns), list(names)

    def fold(parts: list[pa.Table]) -> pa.Table:
        table = pa.concat_tables(parts).group_by(names, use_threads=False).aggregate([(count, "sum")])
        return table.select([*names, f"{count}_sum"]).rename_columns([*names, count])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        parts: list[pa.Table] = []
        held = 0
        for batch in batches:
            keys = pa.table([batch.column(c) for c in columns], names=names)
            part = keys.group_by(names, use_threads=False).aggregate([([], "count_all")])
            parts.append(part.select([*names, "count_all"]).rename_columns([*names, count]).cast(out))
            held += parts[-1].num_rows
            if held > FOLD_GROUPS and len(parts) > 1:
                parts = [fold(parts)]
                held = parts[0].num_rows
        if parts:
            yield from (fold(parts) if len(parts) > 1 else parts[0]).to_batches()

    return run


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)
