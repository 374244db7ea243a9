"""The Spark engine's stages: digests and classes counted by Spark ``groupBy``.

How the work divides (see docs/scaling.md):

* detection: ``sample()`` on the executors, the embedded detectors on the collected Arrow sample;
* reversal: one ``groupBy(digest).count()`` shuffles the column down to its distinct digests with
  row counts (a local master over a local Parquet source needs no shuffle: each task sorts its
  piece's digests into counted runs the driver merges); the driver enumerates the keyspace with
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

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.attack.hashes.targets import (
    DigestCounter,
    DigestFormat,
    ParsedColumn,
    ParseStats,
    _lengths,
    decode_rows,
    guess_format,
)
from datacustoms.engines.spark_commit import raise_job_error
from datacustoms.engines.spark_task import TEMPORARY, partial_counts, task_files
from datacustoms.errors import DatacustomsError
from datacustoms.io.spark import (
    SHARED_DIR_CONF,
    SparkJobError,
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


def decode_kernel(fmt: DigestFormat) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Executor side: each row's raw digest (null unless valid), its status and a whitespace flag.

    Decoding before the shuffle halves what moves (32 bytes instead of 64 hex characters) and
    merges spellings of one digest (case, padding, surrounding whitespace) before they meet.
    Status: 0 valid, 1 null, 2 malformed — counted exactly as the embedded parser counts them.
    """
    expected = _lengths(fmt.encoding, fmt.size)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            arr = batch.column(0)
            out, valid, _ = decode_rows(arr, fmt)
            nulls = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            status = np.where(valid, 0, np.where(nulls, 1, 2)).astype(np.int8)
            spaced = np.zeros(len(arr), dtype=bool)
            if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                raw = np.asarray(pc.fill_null(pc.binary_length(arr), -1).to_numpy(zero_copy_only=False))
                if (~np.isin(raw, expected) & (raw >= 0)).any():
                    trimmed = pc.fill_null(pc.binary_length(pc.utf8_trim_whitespace(arr)), -1)
                    spaced = np.asarray(trimmed.to_numpy(zero_copy_only=False)) != raw
            digests = pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(fmt.size),
                len(arr),
                [
                    pa.py_buffer(np.packbits(valid, bitorder="little").tobytes()),
                    pa.py_buffer(np.ascontiguousarray(out)),
                ],
            ).cast(pa.binary())
            yield pa.RecordBatch.from_arrays([digests, pa.array(status), pa.array(spaced)], names=["d", "st", "ws"])

    return run


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
    names a folder the driver and every executor mount, each grouping task writes its groups there
    as sorted runs instead, and none passes through the JVM (:func:`_shared_runs`).
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
        return _local_runs(df, column, fmt, pieces)
    decoded = map_rows(df, decode_kernel(fmt), "d binary, st byte, ws boolean", [column], pieces)
    # one group per distinct valid digest (st 0), one for nulls (st 1) and one for malformed values
    # (st 2); ``w`` counts the rows of each group that carried surrounding whitespace
    rows = int(df.count()) if rows is None else rows
    parts = stream_partitions(rows, FILE_GROUPS_PER_PARTITION if local else None)
    # partitioned by digest, the groupBy needs no second shuffle (it forgoes the map-side partial
    # counts, which save little when digests rarely repeat)
    grouped = decoded.repartition(parts, "d").groupBy("d", "st").agg(
        F.count(F.lit(1)).alias("n"), F.sum(F.col("ws").cast("long")).alias("w")
    )
    schema = pa.schema([("d", pa.binary()), ("st", pa.int8()), ("n", pa.int64()), ("w", pa.int64())])
    shared = None if local else shared_folder(df.sparkSession)
    if shared is not None:
        return _shared_runs(grouped, column, fmt, shared)
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


#: a task sorts and counts its valid digests in runs of at most this many rows (32 MiB of SHA-256)
RUN_ROWS = 1 << 20
RUN_STATS = ("rows", "nulls", "valid", "malformed", "whitespace")
#: what a run-writing task returns besides :data:`RUN_STATS`: its partition, the digests its file holds
RUN_CHECKS = ("part", "groups")


def _local_runs(df: Any, column: str, fmt: DigestFormat, pieces: ParquetPieces) -> ParsedColumn:
    """The distinct digests of a local Parquet source on a local master, with no shuffle.

    Each task reads its piece's column with pyarrow, decodes it, sorts and counts its digests in
    runs (the embedded engine's :func:`~datacustoms.attack.hashes.targets.sort_unique_counts`)
    and writes them to a file in a temporary folder the driver shares with its local executors;
    it returns only its row counts. The driver hands each run to the same
    :class:`~datacustoms.attack.hashes.targets.DigestCounter` the embedded engine uses, which
    merges them into the sorted, memory-mapped distinct digests: no digest passes through the JVM.
    """
    with _runs_folder(None) as folder:
        try:
            counted = pieces.map_in_arrow(df.sparkSession, _run_task(fmt, str(folder)), _RUNS_DDL, [column]).toArrow()
        except Exception as err:  # a failed Spark job (a full disk, a lost worker): one line, no verdict
            raise_job_error(err, f"counting the digests of column {column!r}", "no verdict was given")
        return _merge_runs(folder, counted, fmt, LOCAL_RUNS_MISSING)


def _shared_runs(grouped: Any, column: str, fmt: DigestFormat, shared: Path) -> ParsedColumn:
    """A cluster's grouped digests, written by the grouping tasks into ``shared`` as sorted runs
    (a task's groups are distinct: the shuffle put each digest in one partition) and merged by the
    driver from there as :func:`_local_runs` merges its runs. None passes through the JVM, where
    streaming them (:func:`_kept_batches`) cost about 1.4 µs a group on the driver."""
    with _runs_folder(shared) as folder:
        try:
            counted = grouped.mapInArrow(_group_task(fmt, str(folder)), _RUNS_DDL).toArrow()
        except Exception as err:  # a failed Spark job (a full disk, a folder an executor lacks): one line
            raise_job_error(err, f"counting the digests of column {column!r}", "no verdict was given")
        return _merge_runs(folder, counted, fmt)


_RUNS_DDL = ", ".join(f"{name} long" for name in (*RUN_STATS, *RUN_CHECKS))


@contextmanager
def _runs_folder(parent: Path | None) -> Iterator[Path]:
    """A private folder for one stage's run files (in ``parent``, else the temporary folder),
    removed with whatever is left in it."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="datacustoms-spark-runs-", dir=parent))
    try:
        (folder / TEMPORARY).mkdir()
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: the refusal of a stage whose run files the driver does not find whole: in the shared folder …
RUNS_MISSING = (
    "the executors' digest runs are not all in the folder the driver reads; no verdict was given",
    f"{SHARED_DIR_CONF} must name a folder that the driver and every executor mount at the same path",
)
#: … and in a local master's temporary folder
LOCAL_RUNS_MISSING = (
    "the tasks' digest runs are not all in the temporary folder the driver reads; no verdict was given",
    "run it again, and see the Spark log if it recurs",
)


def _merge_runs(
    folder: Path, counted: pa.Table, fmt: DigestFormat, missing: tuple[str, str] = RUNS_MISSING
) -> ParsedColumn:
    """The run files the tasks wrote (one per task; ``counted``, the rows they returned) merged by
    the embedded :class:`~datacustoms.attack.hashes.targets.DigestCounter`.

    Every task's file must be there holding as many digests as the task wrote, and the merged
    counts must add up to the valid rows, or nothing is counted and ``missing`` is raised: an
    executor that sees another folder under the same name would otherwise leave its digests out
    of the verdict.
    """
    totals = {name: int(pc.sum(counted.column(name)).as_py() or 0) for name in RUN_STATS}
    stats = ParseStats(rows=totals["rows"], nulls=totals["nulls"], valid=totals["valid"],
                       malformed=totals["malformed"], whitespace=totals["whitespace"])  # fmt: skip
    expected = dict(zip(counted.column("part").to_pylist(), counted.column("groups").to_pylist(), strict=True))
    files = {int(p.name[len("part-") : -len(".arrow")]): p for p in folder.glob("part-*.arrow")}
    if set(files) != set(expected):
        raise SparkJobError(*missing)
    counter = DigestCounter(fmt.size, weighted=True)
    for part in sorted(files):
        with pa.memory_map(str(files[part])) as source:
            reader = pa.ipc.open_file(source)
            runs = [reader.get_batch(i) for i in range(reader.num_record_batches)]
            if sum(run.num_rows for run in runs) != expected[part]:
                raise SparkJobError(*missing)
            for run in runs:
                counter.add_run(_digest_rows(run.column(0), fmt.size), run.column(1).to_numpy())
            del runs
        files[part].unlink()  # in the counter's spill now: the disk holds the digests about twice, not three times
    mat, counts = counter.finish()
    if int(counts.sum()) != stats.valid:
        raise SparkJobError(*missing)
    arr = pa.FixedSizeBinaryArray.from_buffers(pa.binary(fmt.size), len(mat), [None, pa.py_buffer(mat)])
    return ParsedColumn(fmt=fmt, stats=stats, distinct=arr, counts=counts, matrix=mat)


class _RunFile:
    """Executor side: one task's valid digests, sorted and counted in runs of at most
    :data:`RUN_ROWS`, written to its file (renamed into place when whole: a retried attempt
    writes the same bytes), and the statistics the task returns."""

    def __init__(self, folder: str, size: int) -> None:
        self.size = size
        self.totals = dict.fromkeys((*RUN_STATS, *RUN_CHECKS), 0)
        self._schema = pa.schema([("d", pa.binary(size)), ("n", pa.int64())])
        self._tmp, self._whole = task_files(folder, ".arrow")
        self._held: list[np.ndarray] = []
        self._weights: list[np.ndarray] = []
        self._count = 0
        self._sink = pa.OSFile(str(self._tmp), "wb")
        self._writer = pa.ipc.new_file(self._sink, self._schema)

    def add(self, valid: pa.Array, weights: np.ndarray | None = None) -> None:
        """Valid digests (``binary(size)``, no nulls), with their counts where already grouped."""
        if not len(valid):
            return
        self._held.append(_digest_rows(valid, self.size).copy())
        if weights is not None:
            self._weights.append(np.asarray(weights, dtype=np.int64))
        self._count += len(valid)
        if self._count >= RUN_ROWS:
            self._flush()

    def _flush(self) -> None:
        from datacustoms.attack.hashes.targets import sort_unique_counts

        held = np.concatenate(self._held) if len(self._held) > 1 else self._held[0]
        weights = np.concatenate(self._weights) if self._weights else None
        distinct, counts = sort_unique_counts(held, weights=weights)
        buffer = pa.py_buffer(np.ascontiguousarray(distinct))
        digests = pa.FixedSizeBinaryArray.from_buffers(pa.binary(self.size), len(distinct), [None, buffer])
        self._writer.write_batch(pa.record_batch([digests, pa.array(counts, pa.int64())], schema=self._schema))
        self.totals["groups"] += len(distinct)
        self._held, self._weights, self._count = [], [], 0

    def close(self) -> pa.RecordBatch:
        """The file renamed into place; the task's one row of statistics."""
        from pyspark import TaskContext

        if self._held:
            self._flush()
        self._writer.close()
        self._sink.close()
        os.replace(self._tmp, self._whole)
        ctx = TaskContext.get()
        self.totals["part"] = ctx.partitionId() if ctx is not None else 0
        names = [*RUN_STATS, *RUN_CHECKS]
        return pa.RecordBatch.from_arrays([pa.array([self.totals[n]], pa.int64()) for n in names], names=names)


def _run_task(fmt: DigestFormat, folder: str) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Executor side of :func:`_local_runs`: decode each row, count the statuses, keep the valid
    digests in the task's :class:`_RunFile`."""
    decode = decode_kernel(fmt)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        runs = _RunFile(folder, fmt.size)
        totals = runs.totals
        for decoded in decode(batches):
            status = decoded.column("st").to_numpy()
            totals["rows"] += len(status)
            totals["valid"] += int((status == 0).sum())
            totals["nulls"] += int((status == 1).sum())
            totals["malformed"] += int((status == 2).sum())
            totals["whitespace"] += int(pc.sum(decoded.column("ws").cast(pa.int64())).as_py() or 0)
            runs.add(decoded.column("d").filter(pc.equal(decoded.column("st"), 0)).cast(pa.binary(fmt.size)))
        yield runs.close()

    return run


def _group_task(fmt: DigestFormat, folder: str) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Executor side of :func:`_shared_runs`: the task's groups ``(d, st, n, w)`` counted into the
    statuses, the valid ones (each digest once) kept with their counts in its :class:`_RunFile`."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        runs = _RunFile(folder, fmt.size)
        totals = runs.totals
        for batch in batches:
            n = np.asarray(batch.column("n").to_numpy(), dtype=np.int64)
            status = np.asarray(batch.column("st").to_numpy(), dtype=np.int8)
            totals["rows"] += int(n.sum())
            totals["valid"] += int(n[status == 0].sum())
            totals["nulls"] += int(n[status == 1].sum())
            totals["malformed"] += int(n[status == 2].sum())
            spaced = batch.column("w").to_numpy(zero_copy_only=False)
            totals["whitespace"] += int(np.asarray(spaced, dtype=np.int64).sum())
            valid = status == 0
            runs.add(batch.column("d").filter(pa.array(valid)).cast(pa.binary(fmt.size)), n[valid])
        yield runs.close()

    return run


def _digest_rows(digests: pa.Array, size: int) -> np.ndarray:
    """A null-free ``binary(size)`` array's values as an ``(n, size)`` byte matrix (a view)."""
    flat = np.frombuffer(digests.buffers()[1], np.uint8, count=(digests.offset + len(digests)) * size)
    return flat[digests.offset * size :].reshape(-1, size)


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
            counter.add(_digest_rows(fixed, fmt.size), weights[valid])
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
