"""The detection sample and the class cells from one Spark job, where the flow knows both ahead.

``inspect`` with its quasi-identifiers and sensitive columns given needs two things of every row:
the detection sample (drawn from every row, reading every column) and the cells of the risk
profile (counted over every row). As two jobs they read the source twice, and in a fresh session
each job of a new kind pays for Spark's Python workers starting. Where the executors read a local
Parquet source's pieces with pyarrow and share a folder with the driver (a local master), one job
does both: each task returns its sample rows and writes its pieces' partial cell counts to a file
(:func:`~datacustoms.engines.spark_task.sample_cells_task`); when the risk profile loads its cells,
the driver sums the files in the same bounded, spilling DuckDB the cells table goes to anyway.

Nothing is taken on trust: the summed counts must add up to the source's rows, or Spark's own
group-by counts the cells again (as it does wherever one job cannot do both).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from datacustoms.engines.spark_task import TEMPORARY, PartialCounts, sample_cells_task
from datacustoms.io.spark import SparkTable, arrow_schema, executor_sample, is_local_master
from datacustoms.io.spark_pieces import ParquetPieces
from datacustoms.risk.profile import CellLoader


class SampledCells:
    """Partial cell counts that the sample's tasks wrote to ``folder``, one file per piece."""

    def __init__(self, qi: Sequence[str], sensitive: Sequence[str], folder: Path, rows: int, pieces: int) -> None:
        self.qi, self.sensitive = tuple(qi), tuple(sensitive)
        self.folder, self.rows, self.pieces = folder, rows, pieces
        # the files go when the cells are loaded, or with the table if they never are
        self._cleanup = weakref.finalize(self, shutil.rmtree, folder, True)

    @property
    def names(self) -> list[str]:
        return [f"q{i}" for i in range(len(self.qi))] + [f"s{i}" for i in range(len(self.sensitive))]

    def covers(self, qi: Sequence[str], sensitive: Sequence[str]) -> bool:
        """True when these are the cells asked for (the same columns, in the same order)."""
        return (tuple(qi), tuple(sensitive)) == (self.qi, self.sensitive) and self._cleanup.alive

    def loader(self, recount: CellLoader) -> CellLoader:
        """Fill ``dc_cells`` with the summed partial counts; ``recount`` (Spark's group-by) where a
        task's file is missing or the counts do not add up to the source's rows. Once: the files
        are removed after the first load."""

        def load_cells(con: duckdb.DuckDBPyConnection) -> None:
            try:
                if not self._sum_files(con):
                    recount(con)
            finally:
                self._cleanup()

        return load_cells

    def _sum_files(self, con: duckdb.DuckDBPyConnection) -> bool:
        import pyarrow.dataset as ds

        if not self._cleanup.alive:
            return False
        files = sorted(self.folder.glob("part-*.arrow"))
        if len(files) != self.pieces:
            return False
        keys = ", ".join(f'"{n}"' for n in self.names)
        con.register("dc_partial_cells", ds.dataset([str(f) for f in files], format="ipc"))
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE dc_cells AS "
                f"SELECT {keys}, SUM(n)::BIGINT AS n FROM dc_partial_cells GROUP BY {keys}"
            )
        finally:
            con.unregister("dc_partial_cells")
        # fetched whole: a result left unfinished would keep the connection busy
        counted = con.execute("SELECT COALESCE(SUM(n), 0) FROM dc_cells").fetchall()
        return int(counted[0][0]) == self.rows


def sample_with_cells(
    table: SparkTable, rows: int, qi: Sequence[str], sensitive: Sequence[str], seed: int = 0
) -> SampledCells | None:
    """Draw ``table``'s sample (exactly :meth:`SparkTable.sample`'s rows) in a job that also counts
    the cells over ``qi`` and ``sensitive``; None, with nothing drawn, where one job cannot do
    both: not a local Parquet source read by the executors, not a local master, a column the
    pieces do not read, or a job that failed (the plain sample then runs and reports)."""
    columns = [*qi, *sensitive]
    pieces: ParquetPieces | None = table.pieces if table.parquet is not None else None
    if (
        not qi
        or pieces is None
        or table._sample is not None
        or not is_local_master(table.frame)
        or not pieces.reads(table.schema.names)
        or not set(columns) <= set(table.schema.names)
    ):
        return None
    names = [f"q{i}" for i in range(len(qi))] + [f"s{i}" for i in range(len(sensitive))]
    types = arrow_schema(table.frame.select(*columns))
    out = pa.schema([pa.field(n, f.type) for n, f in zip(names, types, strict=True)] + [pa.field("n", pa.int64())])
    cells = PartialCounts(columns, names, "n", out)
    read = pa.schema([pieces.schema.field(c) for c in table.schema.names])
    folder = Path(tempfile.mkdtemp(prefix="datacustoms-spark-cells-"))
    sampled = SampledCells(qi, sensitive, folder, table.num_rows, len(pieces.pieces))
    try:
        (folder / TEMPORARY).mkdir()
        table._sample = executor_sample(
            table.frame.sparkSession, pieces, table.schema, rows, seed, table.num_rows,
            task=lambda below: sample_cells_task(pieces.pieces, read, seed, below, cells, str(folder)),
        )  # fmt: skip
    except Exception:  # the plain sample runs next and reports Spark's trouble in its own words
        sampled._cleanup()
        return None
    return sampled
