"""The detection sample and the class cells from one Spark job, where the flow knows both ahead.

``inspect`` with its quasi-identifiers and sensitive columns given needs two things of every row:
the detection sample (drawn from every row, reading every column) and the cells of the risk
profile (counted over every row). As two jobs they read the source twice, and in a fresh session
each job of a new kind pays for Spark's Python workers starting. Where the executors read a
Parquet source's pieces with pyarrow, one job does both: each task returns its sample rows and
counts its pieces' cells (:func:`~datacustoms.engines.spark_task.sample_cells_task`).

* On a local master the executors share a folder with the driver: each task writes its partial
  counts to a file there (:class:`FileCells`), and when the risk profile loads its cells the
  driver sums the files in the same bounded, spilling DuckDB the cells table goes to anyway.
* On a cluster the partial counts follow the sample rows in the job's output, which Spark keeps
  (memory, then disk) until the risk profile loads its cells: then Spark sums them in a
  ``groupBy`` over the kept output, with no second read of the source (:class:`CachedCells`).

Nothing is taken on trust: counts that do not add up to the source's rows, a file missing or a
failed job, and Spark's own group-by counts the cells again over the source.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from datacustoms.engines.spark_stages import cells_schema
from datacustoms.engines.spark_task import CELL, TEMPORARY, PartialCounts, sample_cells_task, with_cells
from datacustoms.io.spark import SparkTable, executor_sample, is_local_master, sample_bound, spark_schema
from datacustoms.io.spark_pieces import KEY, ParquetPieces, sample_schema
from datacustoms.risk.classes import cell_names
from datacustoms.risk.profile import CellLoader


class SampledCells:
    """Cells over ``qi`` and ``sensitive`` counted in the sample's job, summed when first loaded."""

    def __init__(self, qi: Sequence[str], sensitive: Sequence[str], rows: int, release: Callable[[], None]) -> None:
        self.qi, self.sensitive, self.rows = tuple(qi), tuple(sensitive), rows
        # what the counts hold goes when the cells are loaded, or with the table if they never are
        self._release = weakref.finalize(self, release)

    @property
    def names(self) -> list[str]:
        return cell_names(self.qi, self.sensitive)

    def covers(self, qi: Sequence[str], sensitive: Sequence[str]) -> bool:
        """True when these are the cells asked for (the same columns, in the same order), not yet loaded."""
        return (tuple(qi), tuple(sensitive)) == (self.qi, self.sensitive) and self._release.alive

    def loader(self, recount: CellLoader) -> CellLoader:
        """Fill ``dc_cells`` with the summed partial counts; ``recount`` (Spark's group-by over the
        source) where they cannot be summed or do not add up to the source's rows. Once: what
        held the counts is released after the first load."""

        def load_cells(con: duckdb.DuckDBPyConnection) -> None:
            try:
                summed = self._release.alive and self._sum(con)
                if not summed or not self._adds_up(con):
                    recount(con)
            finally:
                self._release()

        return load_cells

    def _sum(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Fill ``dc_cells`` with the summed counts; False where they cannot be."""
        raise NotImplementedError

    def _adds_up(self, con: duckdb.DuckDBPyConnection) -> bool:
        # fetched whole: a result left unfinished would keep the connection busy
        counted = con.execute("SELECT COALESCE(SUM(n), 0) FROM dc_cells").fetchall()
        return int(counted[0][0]) == self.rows


class FileCells(SampledCells):
    """Partial counts the tasks wrote to ``folder``, a file per piece (a local master)."""

    def __init__(self, qi: Sequence[str], sensitive: Sequence[str], rows: int, folder: Path, pieces: int) -> None:
        super().__init__(qi, sensitive, rows, lambda: shutil.rmtree(folder, ignore_errors=True))
        self.folder, self.pieces = folder, pieces

    def _sum(self, con: duckdb.DuckDBPyConnection) -> bool:
        import pyarrow.dataset as ds

        files = sorted(self.folder.glob("part-*.arrow"))
        if len(files) != self.pieces:
            return False
        keys = ", ".join(f'"{n}"' for n in self.names)
        try:
            con.register("dc_partial_cells", ds.dataset([str(f) for f in files], format="ipc"))
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE dc_cells AS "
                f"SELECT {keys}, SUM(n)::BIGINT AS n FROM dc_partial_cells GROUP BY {keys}"
            )
        except (pa.ArrowException, duckdb.Error, OSError):  # a file that cannot be read: count again
            return False
        finally:
            con.unregister("dc_partial_cells")
        return True


class CachedCells(SampledCells):
    """Partial counts in the sample job's output (``both``), kept by Spark until summed (a cluster)."""

    def __init__(self, qi: Sequence[str], sensitive: Sequence[str], rows: int, both: Any) -> None:
        super().__init__(qi, sensitive, rows, lambda: _unpersist(both))
        self.both = both

    def _sum(self, con: duckdb.DuckDBPyConnection) -> bool:
        from pyspark.sql import functions as F

        names = self.names
        try:
            cells = (
                self.both.where(F.col(CELL + "n").isNotNull())
                .groupBy(*(F.col(CELL + n).alias(n) for n in names))
                .agg(F.sum(CELL + "n").alias("n"))
                .toArrow()
            )
        except Exception:  # a lost executor took kept blocks Spark could not rebuild: count again
            return False
        con.register("dc_spark_cells", cells)
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE dc_cells AS SELECT * EXCLUDE (n), n::BIGINT AS n FROM dc_spark_cells"
            )
        finally:
            con.unregister("dc_spark_cells")
        return True


def _unpersist(frame: Any) -> None:
    """Let Spark drop the kept output (nothing to do once the session is gone)."""
    with contextlib.suppress(Exception):  # at exit the gateway may be closed: the cache went with the session
        frame.unpersist(blocking=False)


def sample_with_cells(
    table: SparkTable, rows: int, qi: Sequence[str], sensitive: Sequence[str], seed: int = 0
) -> SampledCells | None:
    """Draw ``table``'s sample (exactly :meth:`SparkTable.sample`'s rows) in a job that also counts
    the cells over ``qi`` and ``sensitive``; None, with nothing drawn, where one job cannot do
    both: not a Parquet source read by the executors, a column the pieces do not read, or a job
    that failed (the plain sample then runs and reports)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    columns = [*qi, *sensitive]
    pieces: ParquetPieces | None = table.pieces if table.parquet is not None else None
    if (
        not qi
        or pieces is None
        or table._sample is not None
        or not pieces.reads(table.schema.names)
        or not set(columns) <= set(table.schema.names)
    ):
        return None
    out = cells_schema(table.frame, qi, sensitive)
    cells = PartialCounts(columns, cell_names(qi, sensitive), "n", out)
    spark, total = table.frame.sparkSession, table.num_rows
    read, sampled = sample_schema(pieces, table.schema)
    below = sample_bound(rows, total)  # the first job's bound, as executor_sample sets it
    counted: SampledCells
    if is_local_master(table.frame):  # the partial counts to files in a folder the driver shares
        folder = Path(tempfile.mkdtemp(prefix="datacustoms-spark-cells-"))
        (folder / TEMPORARY).mkdir()
        counted = FileCells(qi, sensitive, total, folder, len(pieces.pieces))
        task = sample_cells_task(pieces.pieces, read, seed, below, cells, str(folder))
        job = pieces.map_pieces(spark, task, spark_schema(sampled))
        first = job.toArrow
    else:  # the partial counts in the job's output, kept by Spark
        task = sample_cells_task(pieces.pieces, read, seed, below, cells, None)
        schema = spark_schema(with_cells(sampled, out))
        both = pieces.map_pieces(spark, task, schema).persist(StorageLevel.MEMORY_AND_DISK)
        counted = CachedCells(qi, sensitive, total, both)
        first = both.where(F.col(KEY).isNotNull()).select(*sampled.names).toArrow
    try:
        table._sample = executor_sample(spark, pieces, table.schema, rows, seed, total, first=first)
    except Exception:  # the plain sample runs next and reports Spark's trouble in its own words
        counted._release()
        return None
    return counted
