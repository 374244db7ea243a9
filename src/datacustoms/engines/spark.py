"""The Spark engine: Spark reads, samples, groups and writes; the driver runs the same stages.

pyspark is an optional extra (``pip install 'datacustoms[spark]'``): resolving this engine
starts (or reuses) the process's Spark session and says what to install when pyspark is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from datacustoms.attack.hashes.farm import MaskFarm
from datacustoms.attack.hashes.targets import ParsedColumn
from datacustoms.engines.base import PathLike
from datacustoms.engines.spark_protect import spark_key_leaks, spark_protect
from datacustoms.engines.spark_sample import sample_with_cells
from datacustoms.engines.spark_search import enumerate_choice, farm_for
from datacustoms.engines.spark_stages import distinct_digests, sampled_head, spark_cell_loader
from datacustoms.errors import ColumnError, UsageError
from datacustoms.io.series import ReleaseSeries
from datacustoms.io.spark import (
    DEFAULT_SPARK_MASTER,
    SHARED_DIR_CONF,
    SparkTable,
    as_table,
    frame,
    reader_choice,
    session,
    shared_dir,
    shared_folder,
    source_name,
)
from datacustoms.io.spark_classes import archive_choice
from datacustoms.io.spark_pieces import ParquetPieces
from datacustoms.model.risk import CombinationSearch
from datacustoms.model.series import SeriesResult
from datacustoms.model.thresholds import Thresholds
from datacustoms.policy import Policy
from datacustoms.protect.pipeline import ProtectResult
from datacustoms.risk.profile import CellLoader
from datacustoms.table import Table


class SparkEngine:
    """:class:`~datacustoms.engines.base.Engine` on Apache Spark (``master``, with ``conf`` settings)."""

    name = "spark"

    def __init__(self, master: str = DEFAULT_SPARK_MASTER, conf: dict[str, str] | None = None) -> None:
        self.master = master
        self.conf = dict(conf or {})
        # start once, with the user's settings; checks pyspark is there and the farm's, reader's and shared folder's settings
        archive_choice(self.conf)
        shared_dir(self.conf.get(SHARED_DIR_CONF))  # before Spark starts, where the flag gave it
        spark = session(master, self.conf)
        enumerate_choice(spark)
        reader_choice(spark)
        shared_folder(spark)

    def open(self, source: Any, *, sample_rows: int | None = None, **read_options: Any) -> Table:
        """``source``: a Spark DataFrame, a path Spark reads or a catalog table name.

        Of :func:`datacustoms.io.read`'s options ``format`` and ``name`` apply; the others are
        refused, not ignored.
        """
        if isinstance(source, SparkTable):
            return source
        unsupported = sorted(k for k, v in read_options.items() if v is not None and k not in ("format", "name"))
        if unsupported:
            raise UsageError(
                f"{', '.join(unsupported)} cannot be used with the Spark engine",
                "Spark reads CSV as UTF-8 with a header and a comma; convert the file or use --engine embedded",
            )
        fmt = read_options.get("format")
        df = frame(source, master=self.master, format={"jsonl": "json"}.get(fmt, fmt) if fmt else None)
        return as_table(
            df,
            read_options.get("name") or source_name(source),
            source=None if not isinstance(source, str | os.PathLike) else os.fspath(source),
            sample_rows=sample_rows,
            notes=[f"engine: spark ({df.sparkSession.sparkContext.master})"],
        )

    def open_counting(
        self, source: Any, *, sample_rows: int, qi: Sequence[str], sensitive: Sequence[str], **read_options: Any
    ) -> Table:
        """:meth:`open`, where the job that draws the sample also counts the cells over ``qi`` and
        ``sensitive`` that :meth:`class_cells` will be asked for (a Parquet source the executors
        read: one read of the rows instead of two, :mod:`~datacustoms.engines.spark_sample`)."""
        table = self.open(source, sample_rows=None, **read_options)
        if isinstance(table, SparkTable) and table._sample is None:
            table.sampled_cells = sample_with_cells(table, sample_rows, qi, sensitive)
        table.sample(sample_rows)  # drawn already where the cells were counted
        return table

    def _frame(self, table: Table) -> Any:
        if not isinstance(table, SparkTable):
            raise UsageError(f"{table.name} was not opened by the Spark engine", "open it with the Spark engine")
        return table.frame

    def distinct_digests(self, table: Table, column: str) -> ParsedColumn | None:
        if column not in table.column_names:
            raise ColumnError(column, table.column_names)
        return distinct_digests(
            self._frame(table), column, head=sampled_head(table, column), rows=table.num_rows, pieces=_pieces(table)
        )

    def mask_farm(self) -> MaskFarm | None:
        return farm_for(session(self.master, self.conf))

    def class_cells(self, table: Table, qi: Sequence[str], sensitive: Sequence[str]) -> CellLoader:
        recount = spark_cell_loader(self._frame(table), qi, sensitive, _pieces(table))
        sampled = getattr(table, "sampled_cells", None)
        return sampled.loader(recount) if sampled is not None and sampled.covers(qi, sensitive) else recount

    def combinations(
        self, table: Table, candidates: list[str], limits: Thresholds
    ) -> tuple[list[str], CombinationSearch] | None:
        return None  # not distributed yet: the flow measures the candidates together

    def check_output(self, output: PathLike) -> None:
        if Path(os.fspath(output)).suffix.lower() not in (".parquet", ".pq"):
            raise UsageError("--engine spark writes a folder of Parquet files", "name the output OUTPUT.parquet")

    def write(
        self,
        table: Table,
        policy: Policy,
        output: PathLike | None,
        *,
        keystore: PathLike | None = None,
        dry_run: bool = False,
        keep_rows: bool = False,
        progress: Callable[[str, float], None] | None = None,
    ) -> ProtectResult:
        return spark_protect(table, policy, output, master=self.master, keystore=keystore, dry_run=dry_run)

    def key_leaks(self, table: Table, policy: Policy, master_key: bytes) -> dict[str, int]:
        return spark_key_leaks(self._frame(table), policy, master_key, _pieces(table))

    def series(self, series: ReleaseSeries, **options: Any) -> SeriesResult:
        """The series measure on Spark (:mod:`datacustoms.engines.spark_series`): same figures, read by Spark."""
        from datacustoms.engines.spark_series import spark_series

        return spark_series(series, session(self.master, self.conf), **options)


def _pieces(table: Table) -> ParquetPieces | None:
    """The table's local Parquet source as pieces for the executors' pyarrow (None: Spark reads)."""
    return table.pieces if isinstance(table, SparkTable) else None
