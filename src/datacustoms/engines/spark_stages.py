"""The Spark engine's stages: digests and classes counted by Spark ``groupBy``.

How the work divides (see docs/scaling.md):

* detection: ``sample()`` on the executors, the embedded detectors on the collected Arrow sample;
* reversal: one ``groupBy(digest).count()`` shuffles the column down to its distinct digests with
  row counts (a local master over a local Parquet source needs no shuffle: each task sorts its
  piece's digests into counted runs the driver merges; nor does a cluster with a folder every
  machine mounts: :mod:`~datacustoms.engines.spark_runs`); the driver enumerates the keyspace with
  the native engine (the same :func:`~datacustoms.attack.api.attack_blind` as the embedded
  engine), and rows reversed are the hits weighted by those counts;
* risk: one ``groupBy(quasi-identifiers, sensitive columns)`` gives the cells table the
  embedded engine builds with DuckDB (over a local Parquet source, of the counts each task made
  of its own piece); the driver loads it into the same bounded DuckDB and derives every figure
  with the embedded engine's own functions.

A local Parquet source is read by pyarrow in the tasks wherever its pieces cover the columns a
stage needs (:mod:`datacustoms.io.spark_pieces`).

The flow (:func:`datacustoms.flows.inspect.inspect`) is the same for both engines, so the result
is the same :class:`~datacustoms.model.report.Report` as the embedded engine's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from datacustoms.attack.hashes.targets import (
    DigestCounter,
    DigestFormat,
    ParsedColumn,
    ParseStats,
    guess_format,
)
from datacustoms.engines.spark_commit import raise_job_error
from datacustoms.engines.spark_runs import decode_kernel, digest_rows, local_runs, shared_runs
from datacustoms.engines.spark_task import partial_counts
from datacustoms.errors import DatacustomsError
from datacustoms.io.spark import (
    arrow_schema,
    is_local_master,
    shared_folder,
    spark_schema,
    spilled_batches,
    stream_batches,
)
from datacustoms.io.spark_pieces import ParquetPieces, map_rows
from datacustoms.risk.classes import cell_names
from datacustoms.risk.profile import CellLoader
from datacustoms.table import Table

# ---------------------------------------------------------------------------------- reversal


#: grouped digests per partition as they stream to the driver. A partition is one task result
#: (about 55 B per group) that the driver's JVM holds whole (two with prefetch) while it is stored
#: by the block manager, read back and served to Python; in local mode the executors' shuffle
#: shares that heap. At 500,000 groups (about 27 MB a result) a 1 GiB heap lost results
#: (``TaskResultLost``) or ran out of memory; 125,000 keeps each near 7 MB
GROUPS_PER_PARTITION = 125_000
#: grouped digests per partition when they reach a local driver through files
#: (:func:`~datacustoms.io.spark.spilled_batches`): no partition is ever held whole by the JVM, so
#: the size only bounds one task's aggregation (about 80 MB at 1 M groups; Spark spills beyond)
FILE_GROUPS_PER_PARTITION = 1_000_000
#: at most this many partitions (each is one small job when it streams to the driver)
MAX_PARTITIONS = 20_000


def stream_partitions(rows: int, per_partition: int | None = None) -> int:
    """Partitions for ``rows`` rows' grouped digests: at most ``per_partition`` groups each
    (:data:`GROUPS_PER_PARTITION` unless given)."""
    per_partition = per_partition or GROUPS_PER_PARTITION
    return min(MAX_PARTITIONS, max(1, -(-rows // per_partition)))


def distinct_digests(
    df: Any, column: str, fmt: DigestFormat | None = None, head: pa.Array | None = None, rows: int | None = None,
    pieces: ParquetPieces | None = None,
) -> ParsedColumn | None:  # fmt: skip
    """The column's distinct digests with row counts, as the embedded :func:`parse_batches` gives them.

    The encoding is guessed on the driver from ``head`` (or the first 2,000 values); the
    executors decode every row and ``groupBy`` counts each distinct raw digest. The groups reach
    the driver as Arrow batches into the embedded engine's
    :class:`~datacustoms.attack.hashes.targets.DigestCounter`: the driver's memory stays flat (one
    block), and the distinct digests end up sorted in a memory-mapped file, never all in the
    driver's memory at once. With a local master Spark writes the groups to temporary Parquet
    files the driver reads back (:func:`~datacustoms.io.spark.spilled_batches`); otherwise they
    are grouped in one job over every partition and kept by Spark, then stream one merged
    partition of about :data:`GROUPS_PER_PARTITION` groups at a time (:func:`_kept_batches`), so
    the driver's JVM holds one small partition at a time. Where ``spark.datacustoms.sharedDir``
    names a folder the driver and every executor mount, the tasks count the digests into run files
    there instead, with no shuffle, and none passes through the JVM
    (:func:`~datacustoms.engines.spark_runs.shared_runs`).
    """
    from pyspark.sql import functions as F

    if fmt is None:
        if head is None:
            head = df.select(column).where(F.col(column).isNotNull()).limit(2_000).toArrow().column(0)
        head = head.combine_chunks() if isinstance(head, pa.ChunkedArray) else head
        fmt = guess_format(head) if len(head) else None
        if fmt is None:
            return None
    # where ``pieces`` cover the column, each task reads its row groups with pyarrow (the rows never
    # enter the JVM); otherwise Spark reads and hands the column over
    local = is_local_master(df)
    if local and pieces is not None and pieces.reads([column]):
        return local_runs(df, column, fmt, pieces)
    rows = int(df.count()) if rows is None else rows
    shared = None if local else shared_folder(df.sparkSession)
    if shared is not None:
        return shared_runs(df, column, fmt, shared, rows, pieces)
    decoded = map_rows(df, decode_kernel(fmt), "d binary, st byte, ws boolean", [column], pieces)
    # one group per distinct valid digest (st 0), one for nulls (st 1) and one for malformed values
    # (st 2); ``w`` counts the rows of each group that carried surrounding whitespace
    parts = stream_partitions(rows, FILE_GROUPS_PER_PARTITION if local else None)
    # partitioned by digest, the groupBy needs no second shuffle (it forgoes the map-side partial
    # counts, which save little when digests rarely repeat)
    grouped = decoded.repartition(parts, "d").groupBy("d", "st").agg(
        F.count(F.lit(1)).alias("n"), F.sum(F.col("ws").cast("long")).alias("w")
    )
    schema = pa.schema([("d", pa.binary()), ("st", pa.int8()), ("n", pa.int64()), ("w", pa.int64())])
    try:
        if local:
            return _count_groups(spilled_batches(grouped, schema), fmt)
        return _count_groups(_kept_batches(grouped, schema), fmt)
    except DatacustomsError:
        raise
    except Exception as err:  # a failed Spark job (lost results, a full disk): one line, no verdict
        raise_job_error(err, f"counting the digests of column {column!r}", "no verdict was given")


def _kept_batches(grouped: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The grouped digests to the driver: counted in one job over all the cluster's cores into
    Spark's cache (memory, then disk), then streamed from it a few partitions at a time.

    Streamed straight from the shuffle, every partition would be grouped in a job of its own, at
    most two at a time (:func:`~datacustoms.io.spark.stream_batches`): the grouping would use two
    of the cluster's cores. Kept first, the streaming jobs only read the kept groups, merged into
    partitions of about :data:`GROUPS_PER_PARTITION` each by the number of groups the first job counted.
    """
    from pyspark import StorageLevel

    kept = grouped.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        groups = int(kept.count())
        yield from stream_batches(kept.coalesce(stream_partitions(groups)), schema)
    finally:
        kept.unpersist(blocking=False)


def _count_groups(batches: Iterator[pa.RecordBatch], fmt: DigestFormat) -> ParsedColumn:
    """The grouped digests' batches into the embedded block reducer, and the parse statistics."""
    stats = ParseStats()
    counter = DigestCounter(fmt.size, weighted=True)
    for batch in batches:
        weights = np.asarray(batch.column("n").to_numpy(), dtype=np.int64)
        status = np.asarray(batch.column("st").to_numpy(), dtype=np.int8)
        stats.add(
            ParseStats(
                rows=int(weights.sum()),
                nulls=int(weights[status == 1].sum()),
                valid=int(weights[status == 0].sum()),
                malformed=int(weights[status == 2].sum()),
                whitespace=int(np.asarray(batch.column("w").to_numpy(), dtype=np.int64).sum()),
            )
        )
        valid = status == 0
        fixed = batch.column("d").filter(pa.array(valid)).cast(pa.binary(fmt.size))
        if len(fixed):
            counter.add(digest_rows(fixed, fmt.size), weights[valid])
    mat, counts = counter.finish()
    arr = pa.FixedSizeBinaryArray.from_buffers(pa.binary(fmt.size), len(mat), [None, pa.py_buffer(mat)])
    return ParsedColumn(fmt=fmt, stats=stats, distinct=arr, counts=counts, matrix=mat)


def sampled_head(table: Table, column: str, n: int = 2_000) -> pa.Array | None:
    """Up to ``n`` non-null sampled values of ``column`` (to tell the encoding without a Spark job)."""
    if table._sample is None:
        return None
    values = table._sample.column(column).combine_chunks().drop_null()
    return values.slice(0, n) if len(values) else None


# ---------------------------------------------------------------------------------- risk


def cells_schema(df: Any, qi: Sequence[str], sensitive: Sequence[str]) -> pa.Schema:
    """The partial cell counts' schema: the columns as Spark types them, named ``q0.., s0..``, and ``n``."""
    types = arrow_schema(df.select(*qi, *sensitive))
    fields = [pa.field(n, f.type) for n, f in zip(cell_names(qi, sensitive), types, strict=True)]
    return pa.schema([*fields, pa.field("n", pa.int64())])


def spark_cells(df: Any, qi: Sequence[str], sensitive: Sequence[str], pieces: ParquetPieces | None = None) -> pa.Table:
    """The cells table ``(q0.., s0.., n)``: one row per class × sensitive values, counted by Spark.

    The same table :func:`datacustoms.risk.classes.build_cells` makes with DuckDB; SQL's
    ``GROUP BY`` and Spark's ``groupBy`` both keep NULL as a value of its own. Where ``pieces``
    cover the columns, each task reads its row groups with pyarrow and counts them
    (:func:`~datacustoms.engines.spark_task.partial_counts`), and Spark sums the partial counts;
    otherwise Spark reads and groups alone.
    """
    from pyspark.sql import functions as F

    columns = [*qi, *sensitive]
    names = cell_names(qi, sensitive)
    if pieces is not None and pieces.reads(columns):
        out = cells_schema(df, qi, sensitive)
        counts = partial_counts(columns, names, "n", out)
        partial = pieces.map_in_arrow(df.sparkSession, counts, spark_schema(out), columns, dictionary=True)
        cells = partial.groupBy(*names).agg(F.sum("n").alias("n"))
    else:
        keys = [F.col(c).alias(n) for c, n in zip(columns, names, strict=True)]
        cells = df.select(*keys).groupBy(*names).agg(F.count(F.lit(1)).alias("n"))
    try:
        return cells.toArrow()
    except Exception as err:  # a failed Spark job (a file changed under it, a lost worker): one line, no verdict
        raise_job_error(err, "counting the classes", "no verdict was given")


def spark_cell_loader(
    df: Any, qi: Sequence[str], sensitive: Sequence[str], pieces: ParquetPieces | None = None
) -> CellLoader:
    """Fill ``dc_cells`` from Spark's group-by: the driver loads the small cells table into the same
    bounded, spilling DuckDB the embedded engine uses, and every figure is derived the same way."""
    qi, sensitive = list(qi), list(sensitive)

    def load_cells(con: duckdb.DuckDBPyConnection) -> None:
        cells = spark_cells(df, qi, sensitive, pieces)
        con.register("dc_spark_cells", cells)
        con.execute("CREATE OR REPLACE TEMP TABLE dc_cells AS SELECT * EXCLUDE (n), n::BIGINT AS n FROM dc_spark_cells")
        con.unregister("dc_spark_cells")

    return load_cells
