"""The Spark adapter: a session, a Spark-side source, and Spark tables seen as a :class:`Table`.

pyspark is an optional extra (``pip install 'datacustoms[spark]'``); nothing here imports it at
module import time, so the embedded engine never pays for it. A session costs seconds to start,
so one session per process is kept and reused (:func:`session`).

A Spark source is a ``pyspark.sql.DataFrame``, a table name in the session's catalog, or a path
Spark reads (Parquet file or folder, CSV, JSON Lines, Delta when ``delta-spark`` is installed).
:func:`as_table` wraps a DataFrame as a :class:`Table` whose sample and row count come from Spark
and whose batches stream to the driver one partition at a time (each partition is serialised to
Arrow IPC on the executor by ``mapInArrow``), so code written for the embedded engine still works
on it — slowly, on the driver — wherever the Spark engine has no distributed path of its own.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from datacustoms.errors import DatacustomsError, InputError, MissingDependency, UsageError
from datacustoms.io.spark_classes import archive_options, record_writer
from datacustoms.io.spark_pieces import KEY, ROW, ParquetPieces, parquet_pieces, sample_schema, sample_task
from datacustoms.table import BATCH_ROWS, DEFAULT_SAMPLE_ROWS, Table

DEFAULT_SPARK_MASTER = "local[*]"

#: seconds of silence after which a Spark Python worker is taken for stuck and stopped
WORKER_IDLE_SECONDS = 900

#: session settings for a small local run; a cluster's own defaults win for anything not set here
DEFAULT_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    # PySpark's call-site capture for its own error messages walks the stack (and imports IPython
    # where it is installed: half a second) on every DataFrame call; the engines report a failed
    # job in their own words
    "spark.python.sql.dataFrameDebugging.enabled": "false",
    # rows per Arrow batch between the JVM and the Python workers (Spark's default: 10,000): the
    # kernels are vectorised, so larger batches spend less on per-batch overhead
    "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
    # a Python worker that sends nothing for 15 minutes is stuck, not busy (a 100,000-row batch
    # takes well under a second): Spark's Arrow exchange with a worker has been seen to stall, the
    # task and the worker each waiting for the other, with no error, for ever (a 50 M-row digest
    # stage did here). Stopping the worker fails the job, which the engines report in one line
    "spark.sql.execution.pyspark.udf.idleTimeoutSeconds": str(WORKER_IDLE_SECONDS),
    "spark.sql.execution.pyspark.udf.killOnIdleTimeout": "true",
    "spark.python.worker.idleTimeoutSeconds": str(WORKER_IDLE_SECONDS),
    "spark.python.worker.killOnIdleTimeout": "true",
}

#: added for a local master (the executors run inside the driver's JVM): compile with the quick C1
#: compiler only. A fresh session's jobs are short and mostly warm-up; C2's compile threads compete
#: with the tasks for the cores (docs/scaling.md: the 1 M- and 5 M-row inspect, with and without).
#: And the serial collector with a C1-sized code cache: one JVM on a few cores needs neither G1's
#: remembered sets nor C2's 240 MiB of code cache (the 10 M-row digest stage with a 1 GiB heap:
#: JVM peak 995-1,113 MiB against 1,229-1,281 MiB, the time the same within the noise)
#: A local master's JVM also maps the class-data archive of :mod:`datacustoms.io.spark_classes`,
#: and its Python workers import the installed, compiled pyspark rather than compiling the copy
#: in Spark's zip (:mod:`datacustoms._spark_daemon`; docs/scaling.md, "Python workers").
JAVA_OPTIONS = "spark.driver.extraJavaOptions"
DAEMON_MODULE = "spark.python.daemon.module"
LOCAL_CONF: dict[str, str] = {
    JAVA_OPTIONS: "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=64m",
    DAEMON_MODULE: "datacustoms._spark_daemon",
}

_lock = threading.Lock()
_sessions: dict[str, Any] = {}


class SparkJobError(DatacustomsError):
    """A Spark job failed (a kernel raised on an executor, or Spark itself failed)."""


def is_spark_dataframe(obj: object) -> bool:
    """True for a ``pyspark.sql.DataFrame`` (classic or Connect), detected without importing pyspark."""
    module = type(obj).__module__ or ""
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


def require_pyspark() -> Any:
    """The ``pyspark`` module, or a :class:`MissingDependency` that says what to install."""
    try:
        import pyspark
    except ImportError:
        raise MissingDependency("the Spark engine", "spark", "pyspark") from None
    major = int(str(getattr(pyspark, "__version__", "0")).split(".")[0] or 0)
    if major < 4:  # DataFrame.toArrow() arrived in Spark 4.0
        raise MissingDependency("the Spark engine (pyspark 4 or later)", "spark", "pyspark>=4")
    return pyspark


def session(master: str = DEFAULT_SPARK_MASTER, conf: dict[str, str] | None = None) -> Any:
    """A SparkSession on ``master`` (started once per process, then reused).

    Executors must run this interpreter (``PYSPARK_PYTHON``) so they import the same datacustoms;
    a local master binds to 127.0.0.1 unless ``SPARK_LOCAL_IP`` says otherwise.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    with _lock:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        cached = _sessions.pop(master, None)
        if cached is not None and getattr(cached.sparkContext, "_jsc", None) is not None:  # not stopped
            _sessions[master] = cached
            return cached
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        if master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = SparkSession.builder.master(master).appName("datacustoms")
        local = dict(LOCAL_CONF) if master.startswith("local") else {}
        archive = ""
        if local and JAVA_OPTIONS not in (conf or {}):  # the user's own JVM options win, archive and all
            archive = archive_options(conf or {}, local[JAVA_OPTIONS])
            local[JAVA_OPTIONS] = f"{local[JAVA_OPTIONS]} {archive}".strip()
        for key, value in {**DEFAULT_CONF, **local, **(conf or {})}.items():
            builder = builder.config(key, value)
        try:
            spark = builder.getOrCreate()
        except Exception as err:  # Java missing, bad master URL …
            first = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
            raise SparkJobError(
                f"could not start Spark on {master!r} ({first})",
                "check that Java 17+ is installed and the master URL is right",
            ) from None
        spark.sparkContext.setLogLevel("ERROR")
        record_writer(archive, spark.sparkContext._jvm)
        _sessions[master] = spark
        return spark


# ---------------------------------------------------------------------------------- sources


def frame(source: Any, spark: Any = None, *, format: str | None = None, master: str = DEFAULT_SPARK_MASTER) -> Any:
    """A Spark DataFrame for ``source``: a DataFrame, a path Spark reads, or a catalog table name.

    CSV is read with a header and every column as text, as the embedded CSV reader does, so both
    engines see the same values.
    """
    if is_spark_dataframe(source):
        return source
    if not isinstance(source, str | os.PathLike):
        raise InputError(
            f"the Spark engine cannot read a {type(source).__name__}", "pass a path, a table name or a Spark DataFrame"
        )
    spark = spark or session(master)
    text = os.fspath(source)
    path = Path(text)
    fmt = format or _spark_format(path)
    if fmt is None:  # not a local path: a catalog table, or a URI Spark resolves (s3a://, hdfs://)
        if "://" in text:
            return _read(spark, "parquet", text)
        try:
            return spark.table(text)
        except Exception:
            raise InputError(
                f"{text!r} is neither a file nor a table Spark knows",
                "pass a Parquet / CSV path or a catalog table name",
            ) from None
    return _read(spark, fmt, text)


def _spark_format(path: Path) -> str | None:
    if not path.exists():
        return None
    if path.is_dir():
        return "delta" if (path / "_delta_log").is_dir() else "parquet"
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "json"
    return "parquet"


def reads_as_text(source: Any) -> bool:
    """True when Spark reads ``source`` as CSV, every column as text (a path, or a table over one)."""
    text = getattr(source, "source", source)
    return isinstance(text, str | os.PathLike) and _spark_format(Path(os.fspath(text))) == "csv"


def _read(spark: Any, fmt: str, path: str) -> Any:
    reader = spark.read
    if fmt == "parquet" and (known := footer_schema(path)) is not None:
        reader = reader.schema(known)  # Spark would run a job to read the footer it is given here
    if fmt == "csv":
        sep = "\t" if path.lower().endswith(".tsv") else ","
        reader = reader.option("header", "true").option("inferSchema", "false").option("sep", sep)
    try:
        return reader.format(fmt).load(path)
    except Exception as err:
        text = str(err)
        if fmt == "delta" and "delta" in text.lower():
            raise MissingDependency("reading a Delta table", "spark", "delta-spark") from None
        first = text.strip().splitlines()[0][:200] if text.strip() else type(err).__name__
        raise InputError(f"Spark cannot read {path} as {fmt} ({first})", "check the path and its format") from None


#: Arrow types whose Spark type is the one Spark's own Parquet schema inference gives
_FOOTER_TYPES = (
    pa.types.is_boolean, pa.types.is_signed_integer, pa.types.is_floating, pa.types.is_string,
    pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary, pa.types.is_date32,
)  # fmt: skip


def footer_schema(path: str) -> Any:
    """The Spark schema of one local Parquet file, read from its footer on the driver, or None.

    Given this schema Spark skips the job its schema inference runs (the first, and slowest, job
    of a fresh session). Only a single file whose columns are all plain types is covered: there the
    mapping is Spark's own; timestamps, decimals, unsigned, nested and dictionary types, and folders
    (partition columns, several footers) are left to Spark's inference.
    """
    import pyarrow.parquet as pq

    if not Path(path).is_file():
        return None
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError):
        return None  # Spark reports the damage in its own words
    if not all(any(kind(f.type) for kind in _FOOTER_TYPES) for f in schema):
        return None
    return spark_schema(schema)


# ---------------------------------------------------------------------------------- tables


def arrow_schema(df: Any) -> pa.Schema:
    """The Arrow schema Spark hands to ``mapInArrow`` for ``df`` (text is ``string``; a timestamp
    carries the session's time zone)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(df.schema, timezone=df.sparkSession.conf.get("spark.sql.session.timeZone"))


def spark_schema(schema: pa.Schema) -> Any:
    """A Spark ``StructType`` for an Arrow schema (what ``mapInArrow`` needs to be told)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    plain = pa.schema([_plain_field(f) for f in schema])
    return from_arrow_schema(plain)


def _plain_field(f: pa.Field) -> pa.Field:
    t = f.type
    if pa.types.is_large_string(t):
        t = pa.string()
    elif pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        t = pa.binary()
    return pa.field(f.name, t, nullable=True)


def sample_arrow(df: Any, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = 0, total: int | None = None) -> pa.Table:
    """A uniform random sample of about ``rows`` rows, collected to the driver as Arrow."""
    total = df.count() if total is None else total
    if total <= rows:
        part = df
    else:  # oversample a little so the limit rarely leaves the sample short
        fraction = min(1.0, rows * 1.1 / total + 1e-4)
        part = df.sample(withReplacement=False, fraction=fraction, seed=seed).limit(rows)
    return part.toArrow()


#: the most bytes of Arrow data in one IPC blob (one Spark row): the JVM pickles each blob for the
#: Python driver through a text copy, several contiguous arrays of a few times its size, so a blob
#: of one 100,000-row batch (megabytes) ran a 1 GiB driver heap out of memory at 50 M rows
IPC_BLOB_BYTES = 256 << 10


def _ipc_partitions(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Executor side: a partition's Arrow batches as IPC blobs of at most about
    :data:`IPC_BLOB_BYTES` each (one Spark row per blob)."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        step = max(1, batch.num_rows * IPC_BLOB_BYTES // max(1, batch.nbytes))
        for start in range(0, batch.num_rows, step):
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch.slice(start, step))
            yield pa.RecordBatch.from_arrays([pa.array([sink.getvalue().to_pybytes()], pa.binary())], names=["ipc"])


def stream_batches(df: Any, schema: pa.Schema | None = None) -> Iterator[pa.RecordBatch]:
    """Stream a DataFrame to the driver as Arrow batches, one partition at a time."""
    blobs = df.mapInArrow(_ipc_partitions, "ipc binary")
    for row in blobs.toLocalIterator(prefetchPartitions=True):
        for batch in pa.ipc.open_stream(row[0]):
            if schema is not None and batch.schema != schema:
                batch = batch.cast(schema)
            yield batch


def is_local_master(df: Any) -> bool:
    """True when ``df``'s session runs a local master: its executors share the driver's disks."""
    context = getattr(getattr(df, "sparkSession", None), "sparkContext", None)
    return str(getattr(context, "master", "")).startswith("local")


def spilled_batches(df: Any, schema: pa.Schema | None = None) -> Iterator[pa.RecordBatch]:
    """Stream a DataFrame to the driver through Parquet files: Spark's own writer puts each
    partition in a temporary folder, the driver reads them back a batch at a time.

    For a local master only (:func:`is_local_master`: the folder must be the driver's). Nothing
    passes through the task results, so the driver's JVM, which in local mode also runs the
    executors' shuffle and aggregation, never holds a partition: :func:`stream_batches` made one job
    per partition and kept its result in the JVM's block manager, which a 1 GiB heap lost at
    50 M rows. Files come back in partition order; the folder is removed when the stream ends.
    """
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="datacustoms-spark-"))
    try:
        target = folder / "parts"
        df.write.option("compression", "none").parquet(str(target))  # short-lived, and digests do not compress
        for batch in bounded_batches(sorted(target.glob("part-*.parquet"))):
            yield batch.cast(schema) if schema is not None and batch.schema != schema else batch
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def local_parquet(source: Any, df: Any) -> Any:
    """A ``pyarrow.dataset`` over ``source`` when it is the local Parquet file or folder ``df`` reads.

    Its footers give the row count and the driver can draw the sample without a Spark job. None
    when ``source`` is not a local Parquet path, or when the files show other columns than Spark
    does (a partitioned folder, say): then Spark counts and samples.
    """
    import pyarrow.dataset as ds

    if not isinstance(source, str | os.PathLike) or _spark_format(Path(os.fspath(source))) != "parquet":
        return None
    try:
        dataset = ds.dataset(os.fspath(source), format="parquet")
    except (pa.ArrowException, OSError, ValueError):
        return None
    return dataset if dataset.schema.names == list(df.columns) else None


#: who reads a local Parquet source for the executors' Arrow stages: ``auto`` (pyarrow, in the
#: task, where the executors see the same files: :mod:`datacustoms.io.spark_pieces`) or ``spark``
READER_CONF = "spark.datacustoms.reader"


def reader_choice(spark: Any) -> str:
    """``spark``'s :data:`READER_CONF`: auto or spark (anything else: a usage error)."""
    choice = (spark.conf.get(READER_CONF, "auto") or "auto").strip().lower()
    if choice not in ("auto", "spark"):
        raise UsageError(
            f"{READER_CONF} must be auto or spark, not {choice!r}", f"pass --spark-conf {READER_CONF}=spark (or auto)"
        )
    return str(choice)


#: the Spark setting naming a folder the driver and every executor mount at the same path
SHARED_DIR_CONF = "spark.datacustoms.sharedDir"


def shared_folder(spark: Any) -> Path | None:
    """``spark``'s :data:`SHARED_DIR_CONF` (:func:`shared_dir`)."""
    return shared_dir(spark.conf.get(SHARED_DIR_CONF, ""))


def shared_dir(value: str | None) -> Path | None:
    """A :data:`SHARED_DIR_CONF` value: None when unset, else a folder the driver can write
    (anything else: a usage error). That the executors see the same folder is checked by the
    files they write there (:func:`~datacustoms.engines.spark_runs.shared_runs`)."""
    value = (value or "").strip()
    if not value:
        return None
    folder = Path(value)
    hint = f"pass --spark-conf {SHARED_DIR_CONF}=/path, a folder the driver and every executor mount at that path"
    if not folder.is_absolute():
        raise UsageError(f"{SHARED_DIR_CONF} must be an absolute path, not {value!r}", hint)
    if not folder.is_dir():
        raise UsageError(f"{SHARED_DIR_CONF}: {value} is not a folder", hint)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{SHARED_DIR_CONF}: {value} cannot be written here", hint)
    return folder


def source_pieces(dataset: Any, df: Any) -> ParquetPieces | None:
    """``df``'s local Parquet source (``dataset``, from :func:`local_parquet`) as pieces the
    executors read with pyarrow, or None: Spark's reader then reads it.

    Only where Spark itself reads those files from the local file system (``file:`` paths: with a
    cluster master the executors must see the same mount) and :data:`READER_CONF` allows it.
    """
    if dataset is None or reader_choice(df.sparkSession) != "auto":
        return None
    try:
        if not all(str(f).startswith("file:") for f in df.inputFiles()):
            return None
        slots = int(df.sparkSession.sparkContext.defaultParallelism)
        return parquet_pieces(dataset, arrow_schema(df), slots)
    except Exception:  # a footer pyarrow cannot read, a listing Spark refuses: Spark's reader reads, and reports
        return None


@dataclass
class SparkTable(Table):
    """A :class:`Table` over a Spark DataFrame (``frame``): the row count and the sample come from
    Spark when first asked for (from the footers and the driver for a local Parquet source,
    ``parquet``), batches stream to the driver."""

    frame: Any = None
    parquet: Any = None
    #: cells an engine counted in the pass that drew the sample, for its own ``class_cells``
    #: (:class:`datacustoms.engines.spark_sample.SampledCells`)
    sampled_cells: Any = None
    _pieces: tuple[ParquetPieces | None] | None = None

    @property
    def pieces(self) -> ParquetPieces | None:
        """The local Parquet source as pieces pyarrow reads on the executors (:func:`source_pieces`)."""
        if self._pieces is None:
            self._pieces = (source_pieces(self.parquet, self.frame),)
        return self._pieces[0]

    @property
    def num_rows(self) -> int:
        if self._num_rows is None:
            if self.num_rows_hint is None:
                self.num_rows_hint = int(self.parquet.count_rows() if self.parquet is not None else self.frame.count())
            self._num_rows = self.num_rows_hint
        return self._num_rows

    def sample(self, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = 0) -> pa.Table:
        if self._sample is None:
            self._sample = self._local_sample(rows, seed)
            if self._sample is None:
                self._sample = sample_arrow(self.frame, rows, seed, total=self.num_rows).cast(self.schema)
            return self._sample
        return super().sample(rows, seed)

    def _local_sample(self, rows: int, seed: int) -> pa.Table | None:
        """The embedded engine's own reservoir sample of the local files: drawn by the executors
        where they read every column (:func:`executor_sample`), else read by the driver."""
        if self.parquet is None:
            return None
        pieces = self.pieces
        if pieces is not None and pieces.reads(self.schema.names):
            try:
                return executor_sample(self.frame.sparkSession, pieces, self.schema, rows, seed, self.num_rows)
            except Exception as err:  # the driver draws the very same sample below; a later job reports Spark's trouble
                self.notes.append(f"the executors could not draw the sample ({type(err).__name__}); the driver read it")
        dataset = self.parquet
        local = Table(name=self.name, schema=dataset.schema, open_batches=lambda: bounded_batches(dataset.files))
        try:
            return local.sample(rows, seed).cast(self.schema)
        except (pa.ArrowException, ValueError):
            return None  # a type Spark reads differently: Spark samples


def sample_bound(rows: int, total: int) -> float:
    """A priority under which at least ``rows`` of ``total`` rows fall but for a chance of about
    10^-9: the bound whose expected count is ``rows`` + 6 standard deviations (+ 10); 1 for a
    small source (every row)."""
    import math

    mean = rows + 6 * math.sqrt(rows) + 10
    return 1.0 if total <= mean else mean / total


def executor_sample(
    spark: Any, pieces: ParquetPieces, schema: pa.Schema, rows: int, seed: int, total: int,
    first: Callable[[], pa.Table] | None = None,
) -> pa.Table:  # fmt: skip
    """:meth:`Table.sample` of a local Parquet source, drawn by the executors: the same rows.

    Each task returns its rows whose priority is under :func:`sample_bound`, about ``rows`` rows
    in all whatever the source's size; where fewer than ``rows`` came back (a chance of about
    10^-9) the bound doubles and the tasks run again. The driver keeps the ``rows`` smallest, in
    row order, and reads no row itself. ``first``, where given, runs the first job (for
    :func:`sample_bound`'s bound) in place of :func:`~datacustoms.io.spark_pieces.sample_task`'s:
    a job that does more in the same pass and returns the same rows, in :func:`sample_schema`'s
    output; a second job, if any, samples alone.
    """
    import numpy as np

    read, out = sample_schema(pieces, schema)

    def plain(below: float) -> pa.Table:
        job = pieces.map_pieces(spark, sample_task(pieces.pieces, read, seed, below), spark_schema(out))
        table: pa.Table = job.toArrow()
        return table

    below = sample_bound(rows, total)
    got = first() if first is not None else plain(below)
    while got.num_rows < min(rows, total) and below < 1.0:
        below = min(1.0, 2 * below)
        got = plain(below)
    keys = got.column(KEY).to_numpy()
    order = np.argpartition(keys, rows)[:rows] if got.num_rows > rows else np.arange(got.num_rows)
    order = order[np.argsort(got.column(ROW).to_numpy()[order], kind="stable")]
    return got.take(pa.array(order)).select(schema.names).cast(schema).combine_chunks()


def bounded_batches(files: Iterable[str | os.PathLike[str]]) -> Iterator[pa.RecordBatch]:
    """The Parquet files' rows in the embedded reader's batches, file by file: no row group's buffers
    kept (``pre_buffer``), nothing read ahead, and each column's pages read through a 1 MiB buffer
    rather than its whole column chunk at once, so the driver holds about one batch at a time."""
    import pyarrow.parquet as pq

    for path in files:
        yield from pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20).iter_batches(batch_size=BATCH_ROWS)


def as_table(
    df: Any,
    name: str = "table",
    *,
    source: str | None = None,
    sample_rows: int | None = DEFAULT_SAMPLE_ROWS,
    notes: list[str] | None = None,
) -> SparkTable:
    """A :class:`Table` over a Spark DataFrame: row count and sample from Spark, batches streamed.

    With ``sample_rows`` the rows are counted and sampled now; with None, on first use.
    """
    schema = arrow_schema(df)
    table = SparkTable(
        name=name,
        schema=schema,
        open_batches=lambda: stream_batches(df, schema),
        source=source or name,
        format="spark",
        notes=list(notes or ()),
        frame=df,
        parquet=local_parquet(source, df) if source is not None else None,
    )
    if sample_rows is not None:
        table.sample(sample_rows)
    return table


def source_name(source: Any) -> str:
    """A display name for a Spark source (a path's stem, a table name, or ``dataframe``)."""
    if is_spark_dataframe(source):
        return "dataframe"
    text = os.fspath(source)
    path = Path(text)
    return path.stem if path.exists() else text


def read_spark(source: Any, *, master: str = DEFAULT_SPARK_MASTER, name: str | None = None, **options: Any) -> Table:
    """``datacustoms.read`` for Spark sources: the DataFrame (or what Spark reads) as a Table."""
    df = frame(source, master=master, format=options.get("format"))
    return as_table(df, name or source_name(source), source=None if is_spark_dataframe(source) else os.fspath(source))
