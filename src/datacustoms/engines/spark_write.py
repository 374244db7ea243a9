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

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.engines.spark_commit import SUCCESS, Step, output_schema, plain_type, raise_job_error
from datacustoms.engines.spark_task import (
    KIND,
    PROTECTED,
    RAW,
    ROWS,
    TEMPORARY,
    N,
    empty_batch,
    protect_task,
)
from datacustoms.io.spark import arrow_schema
from datacustoms.io.spark_pieces import ParquetPieces, map_rows
from datacustoms.protect.histogram import COUNT
from datacustoms.protect.writer import OutputWriter


@dataclass(frozen=True)
class Counted:
    """What the write job counted: rows read, and both class histograms (``qi`` as text, ``__n``)."""

    rows: int
    raw: pa.Table
    protected: pa.Table


def write_parts(
    df: Any, steps: Sequence[Step], staging: Path, *, position: int = 0, qi: Sequence[str] = (),
    keyed: tuple[str, ...] = (), what: str = "the write", pieces: ParquetPieces | None = None,
) -> Counted:  # fmt: skip
    """Run ``steps`` over ``df`` and write one Parquet part per partition into ``staging``.

    ``qi``: count the classes over these columns as read and after ``steps[:position]`` (the
    QI rewrite); empty: count rows only. ``pieces``: the source's row groups, read by pyarrow in
    the tasks where they cover ``df``'s columns (one part per piece). Raises
    :class:`~datacustoms.io.spark.SparkJobError`.
    """
    from pyspark.sql import functions as F

    out = output_schema(steps, arrow_schema(df))
    target = pa.schema([pa.field(f.name, plain_type(f.type)) for f in out])
    names = [f"q{i}" for i in range(len(qi))]
    ddl = ", ".join([f"{KIND} int", *(f"{n} string" for n in names), f"{N} long"])
    (staging / TEMPORARY).mkdir(parents=True, exist_ok=True)
    counts = map_rows(df, protect_task(str(staging), steps, position, qi, keyed, target), ddl, None, pieces)
    try:
        table = counts.groupBy(KIND, *names).agg(F.sum(N).alias(COUNT)).toArrow()
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
