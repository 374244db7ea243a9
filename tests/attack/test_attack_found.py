"""What a run keeps of its hits: a flag per target, counts per recipe, the first plaintexts only."""

from __future__ import annotations

import hashlib

import numpy as np

from datacustoms.attack.hashes.runner import Found


def _keys(plains: list[bytes]) -> np.ndarray:
    return np.array(sorted(hashlib.sha256(p).digest() for p in plains), dtype="S32")


def test_counts_every_hit_but_keeps_only_the_first_plaintexts() -> None:
    plains = [f"0101234{i:04d}".encode() for i in range(20)]
    keys = _keys(plains)
    by_digest = {hashlib.sha256(p).digest(): p for p in plains}
    found = Found(keys, keep=5)
    rows = np.arange(len(keys))
    matrix = np.frombuffer(b"".join(by_digest[bytes(k)] for k in keys), np.uint8).reshape(len(keys), -1)
    # recipe 0 finds targets 3, 1, 3 (a repeat) and 7; recipe 1 finds 7 again and 10..19
    assert found.add_rows(np.array([3, 1, 3, 7]), matrix[[3, 1, 3, 7]], 0) == 3
    assert found.add_rows(rows[[7, *range(10, 20)]], matrix[[7, *range(10, 20)]], 1) == 10
    assert found.count == len(found) == 13
    assert found.mask.sum() == 13 and found.mask[[1, 3, 7, 10, 19]].all() and not found.mask[[0, 2, 9]].any()
    assert found.per_recipe(3) == [3, 10, 0]
    head = found.head(100)
    assert len(head) == 5  # the first five found: targets 1, 3, 7 (recipe 0), then 10 and 11
    assert head == sorted((bytes(keys[i]), by_digest[bytes(keys[i])]) for i in (1, 3, 7, 10, 11))
    assert found.head(2) == sorted((bytes(keys[i]), by_digest[bytes(keys[i])]) for i in (1, 3))


def test_hits_by_digest_keep_their_own_plaintexts() -> None:
    plains = [b"a", b"b", b"c", b"d"]
    found = Found(_keys(plains), keep=2)
    digests = [hashlib.sha256(p).digest() for p in plains]
    assert found.add([digests[2], hashlib.sha256(b"not a target").digest(), digests[0]], [b"c", b"x", b"a"], 0) == 2
    assert found.add(digests, plains, 1) == 2
    assert found.per_recipe(2) == [2, 2]
    assert {p for _, p in found.head(10)} == {b"a", b"c"}
    assert all(hashlib.sha256(p).digest() == d for d, p in found.head(10))


def test_unordered_distinct_hits_keep_the_plaintexts_of_their_own_rows() -> None:
    plains = [f"0109876{i:04d}".encode() for i in range(12)]
    keys = _keys(plains)
    by_digest = {hashlib.sha256(p).digest(): p for p in plains}
    matrix = np.frombuffer(b"".join(by_digest[bytes(k)] for k in keys), np.uint8).reshape(len(keys), -1)
    found = Found(keys, keep=2)
    order = [9, 2, 11, 5, 0]  # no repeat, found in counter order, not row order
    assert found.add_rows(np.array(order), matrix[order], 0) == 5
    assert found.head(10) == [(bytes(keys[i]), by_digest[bytes(keys[i])]) for i in (0, 2)]
    assert found.mask.sum() == 5 and found.mask[order].all()
