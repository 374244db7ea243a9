"""The embedded engine: pyarrow streams and DuckDB group-bys in this process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from datacustoms.attack.column import read_column
from datacustoms.attack.hashes.farm import MaskFarm
from datacustoms.attack.hashes.targets import ParsedColumn
from datacustoms.engines.base import PathLike
from datacustoms.io import read
from datacustoms.io.series import ReleaseSeries
from datacustoms.model.risk import CombinationSearch
from datacustoms.model.series import SeriesResult
from datacustoms.model.thresholds import Thresholds
from datacustoms.policy import Policy
from datacustoms.protect.pipeline import ProtectResult, output_format, protect_table
from datacustoms.protect.prove import key_leaks
from datacustoms.risk.combos import constant_columns, search_combinations
from datacustoms.risk.profile import CellLoader
from datacustoms.risk.series import analyse_series
from datacustoms.table import Table


class EmbeddedEngine:
    """:class:`~datacustoms.engines.base.Engine` on one machine: nothing to start, nothing to install."""

    name = "embedded"

    def open(self, source: Any, *, sample_rows: int | None = None, **read_options: Any) -> Table:
        return source if isinstance(source, Table) else read(source, **read_options)

    def distinct_digests(self, table: Table, column: str) -> ParsedColumn | None:
        return read_column(table, column)

    def mask_farm(self) -> MaskFarm | None:
        return None  # the attack enumerates on this process's cores

    def class_cells(self, table: Table, qi: Sequence[str], sensitive: Sequence[str]) -> CellLoader | None:
        return None  # risk_profile counts on this machine: numpy over codes where it can, else DuckDB

    def combinations(
        self, table: Table, candidates: list[str], limits: Thresholds
    ) -> tuple[list[str], CombinationSearch] | None:
        constants = constant_columns(table, candidates)
        kept = [c for c in candidates if c not in constants]
        return sorted(constants), search_combinations(table, kept, limits)

    def check_output(self, output: PathLike) -> None:
        output_format(output)

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
        return protect_table(table, policy, output, keystore=keystore, dry_run=dry_run, keep_rows=keep_rows,
                             progress=progress)

    def key_leaks(self, table: Table, policy: Policy, master_key: bytes) -> dict[str, int]:
        return key_leaks(table, policy, master_key)

    def series(self, series: ReleaseSeries, **options: Any) -> SeriesResult:
        return analyse_series(series, **options)
