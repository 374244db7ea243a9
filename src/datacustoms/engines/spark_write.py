"""``protect`` on Spark in one job: each task writes its own Parquet part and returns its class counts.

Spark reads the source and schedules one task per partition; the task runs the plan's kernels
(``mapInArrow``), writes the protected rows with the embedded engine's Parquet writer
(:class:`~datacustoms.protect.pipeline.OutputWriter`: the same encodings and codecs) and returns
only small counts: its rows, and its raw QI inputs grouped on their own types (where those types
allow it; otherwise the class sizes over the raw and the generalised quasi-identifiers, as text).
Spark sums those per group; the driver runs the QI kernels on the distinct input rows, as the
embedded engine's :class:`~datacustoms.protect.histogram.GroupedInputs` does. So the data crosses
from the JVM to Python once and never comes back, and the class histograms need no pass of their own.

Task commit: a task writes ``_temporary/<partition>-<attempt>.parquet`` and renames it to
``part-<partition>.parquet`` when its last batch is written (a retried or speculative attempt
renames the same bytes: the kernels are deterministic). The driver writes ``_SUCCESS`` only after
the job succeeded, and :func:`~datacustoms.engines.spark_commit.staged_folder` renames the
folder into place; a failed job leaves nothing under the target's name.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.engines.spark_commit import SUCCESS, Step, output_schema, plain_type, raise_job_error
from datacustoms.engines.spark_task import (
    INPUTS,
    KIND,
    PROTECTED,
    RAW,
    ROWS,
    TEMPORARY,
    N,
    empty_batch,
    protect_task,
)
from datacustoms.io.spark import arrow_schema, spark_schema
from datacustoms.io.spark_pieces import ParquetPieces, map_rows
from datacustoms.protect.histogram import COUNT, GroupedInputs
from datacustoms.protect.operators.common import Kernel
from datacustoms.protect.writer import OutputWriter


@dataclass(frozen=True)
class Counted:
    """What the write job counted: rows read, and both class histograms (``qi`` as text, ``__n``)."""

    rows: int
    raw: pa.Table
    protected: pa.Table


@dataclass(frozen=True)
class InputCounts:
    """Count the classes from the raw QI inputs grouped on their own types (where they allow it:
    :func:`~datacustoms.engines.spark_protect.grouped_in_tasks`); the QI kernels then run on the
    driver over the distinct rows (:meth:`GroupedInputs.from_counts`)."""

    inputs: Sequence[str]
    kernels: Sequence[Kernel]


def write_parts(
    df: Any, steps: Sequence[Step], staging: Path, *, position: int = 0, qi: Sequence[str] = (),
    keyed: tuple[str, ...] = (), what: str = "the write", pieces: ParquetPieces | None = None,
    grouped: InputCounts | None = None,
) -> Counted:  # fmt: skip
    """Run ``steps`` over ``df`` and write one Parquet part per partition into ``staging``.

    ``qi``: count the classes over these columns as read and after ``steps[:position]`` (the
    QI rewrite), from each batch's text, or with ``grouped`` from the raw QI inputs; empty:
    count rows only. ``pieces``: the source's row groups, read by pyarrow in the tasks where
    they cover ``df``'s columns (one part per piece). Raises
    :class:`~datacustoms.io.spark.SparkJobError`.
    """
    from pyspark.sql import functions as F

    source = arrow_schema(df)
    out = output_schema(steps, source)
    target = pa.schema([pa.field(f.name, plain_type(f.type)) for f in out])
    inputs = pa.schema([source.field(c) for c in grouped.inputs]) if grouped is not None and qi else None
    if inputs is not None:  # typed as Spark gives them, named i0…
        keys = pa.schema([pa.field(f"i{i}", f.type) for i, f in enumerate(inputs)])
    else:
        keys = pa.schema([pa.field(f"q{i}", pa.string()) for i in range(len(qi))])
    schema = spark_schema(pa.schema([pa.field(KIND, pa.int32()), *keys, pa.field(N, pa.int64())]))
    (staging / TEMPORARY).mkdir(parents=True, exist_ok=True)
    task = protect_task(str(staging), steps, position, qi, keyed, target, inputs)
    counts = map_rows(df, task, schema, None, pieces)
    try:
        table = counts.groupBy(KIND, *keys.names).agg(F.sum(N).alias(COUNT)).toArrow()
    except Exception as err:
        raise_job_error(err, what)
        raise
    shutil.rmtree(staging / TEMPORARY, ignore_errors=True)
    if not any(staging.glob("part-*.parquet")):  # no partition at all: one empty file keeps the schema
        writer = OutputWriter(staging / "part-00000.parquet", "parquet", keyed)
        writer.write(empty_batch(target))
        writer.close()
    kind = table.column(KIND)
    rows = int(pc.sum(table.filter(pc.equal(kind, ROWS)).column(COUNT)).as_py() or 0)
    if inputs is not None and grouped is not None:
        sums = table.filter(pc.equal(kind, INPUTS)).select([*keys.names, COUNT])
        counts_of = GroupedInputs.from_counts(sums.rename_columns([*inputs.names, COUNT]), list(qi), grouped.kernels)
        return Counted(rows, counts_of.raw(), counts_of.protected())
    names = keys.names
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
