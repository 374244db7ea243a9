"""Cutting masks for a farm (Spark's executors) and packing a search's hits to travel back."""

from __future__ import annotations

import hashlib
from itertools import pairwise

import numpy as np

from datacustoms.attack.hashes.engine import Hits, Mask, TargetSet, search_mask
from datacustoms.attack.hashes.farm import Unit, hits_matrices, split
from datacustoms.attack.hashes.runner import _tasks


def test_split_covers_the_range_once_in_order() -> None:
    units = split(b"010XXXXXXXX", (3, 4, 5, 6, 7, 8, 9, 10), None, 7, 1_000_007, 6)
    assert units[0].start == 7 and units[-1].stop == 1_000_007
    assert all(a.stop == b.start for a, b in pairwise(units))
    assert len(units) == 6 and max(u.size for u in units) - min(u.size for u in units) <= 1
    assert len(split(b"010XXXXXXXX", (10,), None, 0, 3, 8)) == 3  # never an empty slice


def test_small_masks_are_grouped_into_tasks_of_a_minimum_size() -> None:
    units = [Unit(b"X", (0,), None, 0, n) for n in (5, 5, 20, 1, 1, 1)]
    tasks = _tasks(units, 10)
    assert [[u.size for u in t] for t in tasks] == [[5, 5], [20], [1, 1, 1]]
    assert [u for t in tasks for u in t] == units


def test_hits_travel_as_rows_or_as_digests() -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    planted = [3, 4_444, 99_998]
    targets = TargetSet.from_digests([hashlib.sha256(mask.candidate(i)).digest() for i in planted], 32)
    hits = search_mask(mask, "sha256", targets, stop=100_000)
    indices, plain, digests, rows = hits_matrices(hits, 32)
    assert indices.tolist() == planted and len(digests) == 0  # the rows name the digests
    assert [targets.matrix[r].tobytes() for r in rows] == [hashlib.sha256(p.tobytes()).digest() for p in plain]
    listed = Hits(hits.indices, hits.candidates, hits.digests)  # hits without rows (a list search's)
    indices, plain, digests, rows = hits_matrices(listed, 32)
    assert len(rows) == 0 and [d.tobytes() for d in digests] == hits.digests
    assert [p.tobytes() for p in plain] == [mask.candidate(i) for i in planted]
    empty = hits_matrices(Hits(), 32)
    assert [len(a) for a in empty] == [0, 0, 0, 0] and empty[2].shape == (0, 32)
    assert np.array_equal(hits_matrices(hits, 32)[0], hits.indices)
