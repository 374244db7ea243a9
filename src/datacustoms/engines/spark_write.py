"""``protect`` on Spark in one job: each task writes its own Parquet part and returns its class counts.

Spark reads the source and schedules one task per partition; the task runs the plan's kernels
(``mapInArrow``), writes the protected rows with the embedded engine's Parquet writer
(:class:`~datacustoms.protect.pipeline.OutputWriter`: the same encodings and codecs) and returns
only small counts: its rows, and the class sizes over the raw and the generalised
quasi-identifiers (as text, as the embedded histograms count them). Spark sums those per class.
So the data crosses from the JVM to Python once and never comes back, and the class histograms
need no pass of their own.

Task commit: a task writes ``_temporary/<partition>-<attempt>.parquet`` and renames it to
``part-<partition>.parquet`` when its last batch is written (a retried or speculative attempt
renames the same bytes: the kernels are deterministic). The driver writes ``_SUCCESS`` only after
the job succeeded, and :func:`~datacustoms.engines.spark_commit.staged_folder` renames the
folder into place; a failed job leaves nothing under the target's name.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.engines.spark_commit import (
    SUCCESS,
    Step,
    output_schema,
    plain_type,
    raise_job_error,
    run_steps,
)
from datacustoms.io.spark import arrow_schema
from datacustoms.protect.histogram import COUNT
from datacustoms.protect.operators.common import as_text
from datacustoms.protect.pipeline import OutputWriter

KIND = "__kind"
#: the kinds of count rows a task returns
RAW, PROTECTED, ROWS = 0, 1, 2
TEMPORARY = "_temporary"


@dataclass(frozen=True)
class Counted:
    """What the write job counted: rows read, and both class histograms (``qi`` as text, ``__n``)."""

    rows: int
    raw: pa.Table
    protected: pa.Table


def _classes(columns: Sequence[pa.Array], width: int) -> pa.Table:
    """One batch's class sizes over ``columns`` (as text), named ``q0…`` (nulls are one class)."""
    names = [f"q{i}" for i in range(width)]
    texts = pa.table([pc.cast(as_text(c), pa.string()) for c in columns], names=names)
    return texts.group_by(names, use_threads=False).aggregate([([], "count_all")]).rename_columns([*names, COUNT])


def _count_batch(kind: int, parts: list[pa.Table], width: int) -> pa.RecordBatch:
    names = [f"q{i}" for i in range(width)]
    table = pa.concat_tables(parts).group_by(names, use_threads=False).aggregate([(COUNT, "sum")])
    cols = [table.column(n).combine_chunks() for n in names]
    n = pc.cast(table.column(f"{COUNT}_sum"), pa.int64()).combine_chunks()
    kinds = pa.array([kind] * table.num_rows, pa.int32())
    return pa.RecordBatch.from_arrays([kinds, *cols, n], names=[KIND, *names, COUNT])


def _task(staging: str, steps: Sequence[Step], position: int, qi: Sequence[str], keyed: tuple[str, ...],
          target: pa.Schema) -> Any:  # fmt: skip
    """The function every partition runs: protect, write the part, yield the counts."""
    before, after, qi, width = list(steps[:position]), list(steps[position:]), list(qi), len(qi)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        part, attempt = (ctx.partitionId(), ctx.taskAttemptId()) if ctx is not None else (0, 0)
        tmp = Path(staging, TEMPORARY, f"{part:05d}-{attempt}.parquet")
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
                writer.write(_empty(target))
            writer.close()
            os.replace(tmp, Path(staging, f"part-{part:05d}.parquet"))
        except BaseException:
            writer.close()
            tmp.unlink(missing_ok=True)
            raise
        if width:
            yield _count_batch(RAW, raw, width)
            yield _count_batch(PROTECTED, protected, width)
        nulls = [pa.nulls(1, pa.string()) for _ in range(width)]
        yield pa.RecordBatch.from_arrays(
            [pa.array([ROWS], pa.int32()), *nulls, pa.array([rows], pa.int64())],
            names=[KIND, *[f"q{i}" for i in range(width)], COUNT],
        )

    return run


def _empty(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)


def write_parts(
    df: Any, steps: Sequence[Step], staging: Path, *, position: int = 0, qi: Sequence[str] = (),
    keyed: tuple[str, ...] = (), what: str = "the write",
) -> Counted:  # fmt: skip
    """Run ``steps`` over ``df`` and write one Parquet part per partition into ``staging``.

    ``qi``: count the classes over these columns as read and after ``steps[:position]`` (the
    QI rewrite); empty: count rows only. Raises :class:`~datacustoms.io.spark.SparkJobError`.
    """
    from pyspark.sql import functions as F

    out = output_schema(steps, arrow_schema(df))
    target = pa.schema([pa.field(f.name, plain_type(f.type)) for f in out])
    names = [f"q{i}" for i in range(len(qi))]
    ddl = ", ".join([f"{KIND} int", *(f"{n} string" for n in names), f"{COUNT} long"])
    (staging / TEMPORARY).mkdir(parents=True, exist_ok=True)
    counts = df.mapInArrow(_task(str(staging), steps, position, qi, keyed, target), ddl)
    try:
        table = counts.groupBy(KIND, *names).agg(F.sum(COUNT).alias(COUNT)).toArrow()
    except Exception as err:
        raise_job_error(err, what)
        raise
    shutil.rmtree(staging / TEMPORARY, ignore_errors=True)
    if not any(staging.glob("part-*.parquet")):  # no partition at all: one empty file keeps the schema
        writer = OutputWriter(staging / "part-00000.parquet", "parquet", keyed)
        writer.write(_empty(target))
        writer.close()
    kind = table.column(KIND)
    rows = int(pc.sum(table.filter(pc.equal(kind, ROWS)).column(COUNT)).as_py() or 0)
    raw = table.filter(pc.equal(kind, RAW)).select([COUNT])
    protected = table.filter(pc.equal(kind, PROTECTED)).select([*names, COUNT]).rename_columns([*qi, COUNT])
    return Counted(rows, raw, protected)


def clear_parts(staging: Path) -> None:
    """Remove the parts of a first pass (suppression needs a second one)."""
    for part in staging.glob("part-*.parquet"):
        part.unlink()


def mark_committed(staging: Path) -> None:
    """Write ``_SUCCESS``: every task's part is in place and the job succeeded."""
    (staging / SUCCESS).write_bytes(b"")
