"""Mask searches farmed out to other machines: the protocol a :class:`~.runner.Runner` uses.

The embedded engine enumerates on this process's cores. An engine with executors elsewhere (Spark)
can take the large masks instead: the runner cuts a job's keyspace into :class:`Unit` slices, the
farm searches them where it runs tasks, each against the whole current shard of the distinct
digests, and hands back each slice's verified hits in order. Nothing else changes: the runner
records the hits by their target rows, counts the candidates covered and stops between waves of
slices at the deadline, so a farmed job reports what a local one reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Unit:
    """One slice of one mask: counter values ``[start, stop)`` of the template with these digit
    positions (and check digit), as :class:`~.engine.Mask` takes them."""

    template: bytes
    positions: tuple[int, ...]
    check: str | None
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass
class UnitHits:
    """The verified hits of one unit: counter values and their digests' rows among the shard's
    sorted digests, or, where a search could not name the rows, the digests themselves (a
    ``(k, size)`` matrix; else an empty one). No plaintext travels: the runner renders them from
    the counter values, so a recovered identifier never passes through the farm's channels."""

    unit: Unit
    indices: np.ndarray
    digests: np.ndarray
    rows: np.ndarray


class MaskFarm(Protocol):
    """Searches mask slices on workers of its own."""

    def worth(self, candidates: int, local_rate: float) -> bool:
        """Whether a mask of ``candidates`` ends sooner on the farm than here, where it runs at
        ``local_rate`` candidates per second (all this process's cores, lookup included)."""
        ...

    def pieces(self, candidates: int, digests: int) -> int:
        """How many slices one mask of ``candidates`` is cut into, searched against ``digests``
        distinct digests (no slice may bring back more than :data:`SLICE_HITS` hits)."""
        ...

    def search(
        self, tasks: Sequence[Sequence[Unit]], digests: np.ndarray, algorithm: str, rounds: int
    ) -> Iterator[list[UnitHits]]:
        """Search each task's units on one worker against ``digests`` (sorted, distinct, an
        ``(n, size)`` uint8 matrix); yield the results a wave of tasks at a time, units in the
        order given. Closing the iterator runs no further wave."""
        ...


#: hits one slice or task brings back at most (32 MB of counter values and rows): a candidate is at
#: most one hit and a mask hits each digest at most once, so a slice of no more candidates, or of a
#: mask against no more digests, cannot bring back more
SLICE_HITS = 1 << 21


def split(template: bytes, positions: Sequence[int], check: str | None, start: int, stop: int, pieces: int) -> list[Unit]:
    """``[start, stop)`` of one mask in ``pieces`` slices of nearly equal size (none empty)."""
    pieces = max(1, min(pieces, stop - start))
    bounds = [start + (stop - start) * k // pieces for k in range(pieces + 1)]
    return [Unit(template, tuple(positions), check, a, b) for a, b in pairwise(bounds) if b > a]


def hits_matrices(hits: Any, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices, digests, rows) of a search's hits: the rows where the search named them and no
    digests (16 bytes a hit travel back), else the digest matrix and no rows."""
    if hits.rows is not None:
        return hits.indices, np.empty((0, size), np.uint8), hits.rows
    digests = hits.digest_matrix() if len(hits) else np.empty((0, size), np.uint8)
    return hits.indices, digests, np.empty(0, np.int64)
