"""The ``Engine`` protocol: what a flow asks of whatever reads, counts and writes the data.

A flow (:mod:`datacustoms.flows`) decides *what* is done — detect, attack, measure, protect,
prove — and in which order; an engine decides *where* the heavy parts run. Everything an engine
returns is a shared type (a :class:`~datacustoms.table.Table`, a parsed digest column, a cells
table, a :class:`~datacustoms.protect.pipeline.ProtectResult`), so every figure is derived by the
same functions whichever engine produced the counts.

Adding an engine: one module implementing this protocol, and one line in
:data:`datacustoms.engines.ENGINE_FACTORIES`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from datacustoms.attack.hashes.targets import ParsedColumn
from datacustoms.io.series import ReleaseSeries
from datacustoms.model.risk import CombinationSearch
from datacustoms.model.series import SeriesResult
from datacustoms.model.thresholds import Thresholds
from datacustoms.policy import Policy
from datacustoms.protect.pipeline import ProtectResult
from datacustoms.risk.profile import CellLoader
from datacustoms.table import Table

PathLike = str | os.PathLike[str]


@runtime_checkable
class Engine(Protocol):
    """Open a source as a Table, count distinct digests and class cells, write, scan for key leaks.

    Optionally, ``mask_farm() -> MaskFarm | None`` (:mod:`datacustoms.attack.hashes.farm`): where
    the attack searches its large masks, when the engine has workers of its own (Spark's
    executors); an engine without it, or returning None, leaves them to this process's cores.
    And ``open_counting(source, *, sample_rows, qi, sensitive, **read_options) -> Table``:
    :meth:`open` where the flow already knows the cells :meth:`class_cells` will be asked for,
    so an engine may count them in the pass that draws the sample (Spark: one job, not two).
    """

    #: the name ``--engine`` takes
    name: str

    def open(self, source: Any, *, sample_rows: int | None = None, **read_options: Any) -> Table:
        """``source`` (a path, URL, frame, table name …) as a :class:`Table`.

        ``sample_rows`` says how large a detection sample will be asked for (an engine may draw
        it now); ``read_options`` are :func:`datacustoms.io.read`'s (an engine refuses those it
        cannot honour rather than ignoring them).
        """
        ...

    def distinct_digests(self, table: Table, column: str) -> ParsedColumn | None:
        """The column's distinct digests with row counts; None when its values are not digests."""
        ...

    def class_cells(self, table: Table, qi: Sequence[str], sensitive: Sequence[str]) -> CellLoader | None:
        """What fills the cells table ``dc_cells(q0.., s0.., n)`` the risk measures are derived from;
        None: ``risk_profile`` counts the table itself (the embedded engine)."""
        ...

    def combinations(
        self, table: Table, candidates: list[str], limits: Thresholds
    ) -> tuple[list[str], CombinationSearch] | None:
        """(constant columns left out, the search over small combinations of the rest), or None
        when the engine cannot search (the flow then measures the candidates together)."""
        ...

    def check_output(self, output: PathLike) -> None:
        """Refuse an output this engine cannot write, before anything is read."""
        ...

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
        """Protect ``table`` by ``policy`` into ``output`` (atomically) and say what was done.

        ``keep_rows`` asks for the per-row record of what suppression kept
        (:attr:`ProtectResult.kept_rows`), for engines that can give it; ``progress(label, fraction)``
        hears the share of rows protected, for engines that can tell it as they go.
        """
        ...

    def key_leaks(self, table: Table, policy: Policy, master_key: bytes) -> dict[str, int]:
        """R18: per column, the cells holding the master key or a key derived from it (counts only)."""
        ...

    def series(self, series: ReleaseSeries, **options: Any) -> SeriesResult:
        """R17: what the recipient holds after every release of ``series``
        (options: :func:`datacustoms.risk.series.analyse_series`'s; every figure as the embedded engine's)."""
        ...
