"""What a Spark task runs to search mask slices: the shard's digests from the file the driver
shipped (``SparkContext.addFile``, or written to the folder every machine mounts), the embedded
engine's :func:`search_mask` on each slice.

Kept apart from the driver's modules so that a Python worker loads only numpy and the search
engine. A worker process keeps the digests and their lookup tables between tasks (Spark reuses
its Python workers), so a shard's tables are built once per worker, not once per slice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from datacustoms.attack.hashes.engine import Mask, TargetSet, search_mask
from datacustoms.attack.hashes.farm import Unit, hits_matrices

#: the shards this worker holds, by shipped file name (at most a few: one attack's at a time)
_SHARDS: dict[str, TargetSet] = {}
_KEEP = 2


def _shard(name: str, size: int) -> TargetSet:
    """The shard in the shipped file ``name`` (or at the absolute path ``name``, in the folder
    every machine mounts): memory-mapped (the page cache is shared by the workers of one
    machine), with the search's lookup tables built on first use."""
    if name not in _SHARDS:
        import os

        from pyspark import SparkFiles

        matrix = np.memmap(name if os.path.isabs(name) else SparkFiles.get(name), dtype=np.uint8, mode="r")
        while len(_SHARDS) >= _KEEP:
            _SHARDS.pop(next(iter(_SHARDS)))
        _SHARDS[name] = TargetSet(matrix.reshape(-1, size), size)
    return _SHARDS[name]


def search_units(
    name: str, size: int, algorithm: str, rounds: int, units: Iterable[tuple[int, Unit]]
) -> Iterator[tuple[int, bytes, bytes, bytes]]:
    """Each ``(number, unit)`` searched on one core: (number, counter values, digests, target
    rows), arrays as bytes (:func:`hits_matrices`). Hits are verified as in the embedded engine."""
    targets = _shard(name, size)
    for k, u in units:
        mask = Mask(template=u.template, positions=u.positions, check=u.check)
        hits = search_mask(mask, algorithm, targets, start=u.start, stop=u.stop, threads=1, rounds=rounds)
        indices, digests, rows = hits_matrices(hits, size)
        yield (k, np.ascontiguousarray(indices, np.int64).tobytes(), np.ascontiguousarray(digests).tobytes(),
               np.ascontiguousarray(rows, np.int64).tobytes())  # fmt: skip


def task(name: str, size: int, algorithm: str, rounds: int) -> Any:
    """The partition function Spark runs: its task's ``(number, unit)`` pairs through :func:`search_units`."""

    def run(batches: Iterable[list[tuple[int, Unit]]]) -> Iterator[tuple[int, bytes, bytes, bytes]]:
        return search_units(name, size, algorithm, rounds, (pair for batch in batches for pair in batch))

    return run
