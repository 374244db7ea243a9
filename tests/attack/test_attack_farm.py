"""Cutting masks for a farm (Spark's executors) and packing a search's hits to travel back."""

from __future__ import annotations

import hashlib
from itertools import pairwise
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from datacustoms.attack.api import attack_column
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.engine import Hits, Mask, TargetSet, mask_plaintexts, search_mask
from datacustoms.attack.hashes.farm import Unit, UnitHits, hits_matrices, split
from datacustoms.attack.hashes.runner import _tasks
from datacustoms.errors import AttackError
from datacustoms.table import from_arrow


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
    indices, digests, rows = hits_matrices(hits, 32)
    assert indices.tolist() == planted and len(digests) == 0  # the rows name the digests
    assert [targets.matrix[r].tobytes() for r in rows] == [hashlib.sha256(mask.candidate(i)).digest() for i in planted]
    listed = Hits(hits.indices, hits.candidates, hits.digests)  # hits without rows (a list search's)
    indices, digests, rows = hits_matrices(listed, 32)
    assert len(rows) == 0 and [d.tobytes() for d in digests] == hits.digests
    empty = hits_matrices(Hits(), 32)
    assert [len(a) for a in empty] == [0, 0, 0] and empty[1].shape == (0, 32)
    assert mask_plaintexts(mask, indices).tolist() == [list(mask.candidate(i)) for i in planted]


class InProcessFarm:
    """A farm whose workers are this process: each task searched with the embedded engine, one
    task a wave; ``shift`` moves every row named (a worker on the wrong shard)."""

    def __init__(self, shift: int = 0) -> None:
        self.shift, self.units = shift, 0

    def worth(self, candidates: int, local_rate: float) -> bool:
        return True

    def pieces(self, candidates: int, digests: int) -> int:
        return 3

    def search(self, tasks: Any, digests: np.ndarray, algorithm: str, rounds: int) -> Any:
        targets = TargetSet(digests, digests.shape[1])
        for task in tasks:
            wave = []
            for u in task:
                self.units += 1
                mask = Mask(u.template, u.positions, u.check)
                found = search_mask(mask, algorithm, targets, start=u.start, stop=u.stop, rounds=rounds)
                indices, digs, rows = hits_matrices(found, digests.shape[1])
                wave.append(UnitHits(u, indices, digs, (rows + self.shift) % len(digests)))
            yield wave


def _phone_column(n: int = 200) -> Any:
    phones = [b"0105555%04d" % (37 * i % 10_000) for i in range(n)]
    return from_arrow(pa.table({"h": [hashlib.sha256(p).hexdigest() for p in phones] * 2}), "farm")


def test_a_farmed_attack_reports_what_a_local_one_does() -> None:
    table, space = _phone_column(), [ks.kr_mobile().narrowed("5555")]
    here = attack_column(table, "h", keyspaces=space)
    farm = InProcessFarm()
    there = attack_column(table, "h", keyspaces=space, farm=farm)
    assert farm.units == 3  # the first format's mask in three slices reverses every digest: done
    assert there.status == here.status == "reversed" and there.recipe == here.recipe
    assert (there.rows_reversed, there.distinct_reversed, there.keyspace_covered) == (
        here.rows_reversed, here.distinct_reversed, here.keyspace_covered,
    )  # fmt: skip


def test_hits_that_do_not_verify_here_fail_closed() -> None:
    table, space = _phone_column(), [ks.kr_mobile().narrowed("5555")]
    with pytest.raises(AttackError, match="do not verify here"):
        attack_column(table, "h", keyspaces=space, farm=InProcessFarm(shift=1))


def test_sender_mode_farms_the_salted_recipe_it_found() -> None:
    from test_attack_sender import PHONES, SLICE, _export, _reference

    from datacustoms.attack.hashes.recipes import normalise

    values = [hashlib.sha256(b"alipay_feed" + (normalise(p, "e164") or "").encode()).hexdigest() for p in PHONES]
    order = list(range(len(PHONES)))
    here = attack_column(_export(values), "phone_hash", reference=_reference(order), join="uid", keyspaces=SLICE)
    farm = InProcessFarm()
    there = attack_column(_export(values), "phone_hash", reference=_reference(order), join="uid", keyspaces=SLICE,
                          farm=farm)  # fmt: skip
    assert farm.units == 3  # the salted mask (salt in its template) in three slices
    assert there.mode == here.mode == "sender" and there.status == here.status == "reversed"
    assert there.recipe == here.recipe and there.rows_reversed == here.rows_reversed == len(PHONES)
