"""The exact lookup's directory: a bucket per top bits of a digest, 32-bit prefixes within it.

A target keeps only the 32 bits below its bucket's, so two targets in different buckets may hold
the same 32 bits: a lookup must stay inside its own bucket, and name the row of the target whose
digest it met, at every size of directory.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from engine_helpers import native_impls, needs_native

from datacustoms.attack.hashes import engine, unverified
from datacustoms.attack.hashes.engine import Mask, TargetSet, search_candidates

MASK = Mask.from_pattern(b"0101000XXXX")
REAL = (7, 4_321, 9_998)


def _twin(digest: bytes) -> bytes:
    """The digest in the other half of the directory (top bit flipped): every bucket bit count
    splits there, while the 32 bits below the bucket and the last 4 bytes (the bitmap key) stay."""
    return bytes([digest[0] ^ 0x80]) + digest[1:]


def _neighbour(digest: bytes) -> bytes:
    """Same first 8 bytes and last 4, a different middle: one bucket, one 32-bit prefix, two rows."""
    return digest[:8] + bytes(b ^ 0x5A for b in digest[8:-4]) + digest[-4:]


@needs_native
@pytest.mark.parametrize("fillers", [0, 300, 20_000])
def test_rows_are_found_in_their_own_bucket(fillers: int) -> None:
    real = [hashlib.sha256(MASK.candidate(i)).digest() for i in REAL]
    rng = np.random.default_rng(fillers)
    filler = [rng.bytes(32) for _ in range(fillers)]
    targets = TargetSet.from_digests([*real, *map(_twin, real), *map(_neighbour, real), *filler], 32)
    rows = {d.tobytes(): r for r, d in enumerate(targets._sorted)}
    want = [(i, rows[d]) for i, d in zip(REAL, real, strict=True)]
    plan = engine._plan(MASK, "sha256", 1)
    for impl in native_impls():
        pairs = unverified.mask_pairs(plan, targets._native_handle(), "sha256", 0, MASK.size, impl).in_order()
        got = list(zip(pairs.found.tolist(), pairs.rows.tolist(), strict=True)) if pairs.rows is not None else []
        assert got == want, impl  # neither the twin nor the neighbour's row, whatever the bucket count
    # by digest: the twins and neighbours are targets; their near misses are not
    assert targets.contains_many(b"".join([*real, *map(_twin, real), *map(_neighbour, real)])).all()
    misses = [_neighbour(_twin(d)) for d in real] + [d[:-1] + bytes([d[-1] ^ 1]) for d in real]
    assert not targets.contains_many(b"".join(misses)).any()


@needs_native
def test_list_hits_name_their_target_rows() -> None:
    """A list search's verified hits carry their target rows: the runner joins by them, shard by
    shard, without an index of every digest."""
    cands = [MASK.candidate(i) for i in range(0, 10_000, 7)]
    real = [hashlib.sha256(c).digest() for c in cands[::3]]
    targets = TargetSet.from_digests([*real, *(_neighbour(d) for d in real[:5])], 32)
    hits = search_candidates(cands, "sha256", targets)
    assert hits.indices.tolist() == list(range(0, len(cands), 3))
    assert hits.rows is not None
    assert [targets._sorted[r].tobytes() for r in hits.rows] == list(hits.digests) == real


@needs_native
@pytest.mark.parametrize("n", [1, 63, 64, 65, 127, 128, 129, 1_000])
def test_every_target_is_in_both_kinds_of_bitmap(n: int) -> None:
    """The bitmaps are filled a block of 64 keys ahead of their writes: every target, the last
    of a partial block included, must be found by digest (keyed by its last word) and by a search
    whose kernels key by SHA-256's a after round 56."""
    idx = sorted({(17 + 7_919 * k) % MASK.size for k in range(n)})
    digests = [hashlib.sha256(MASK.candidate(i)).digest() for i in idx]
    by_digest = TargetSet.from_digests(digests, 32)
    by_digest._native_handle(0)
    assert by_digest.contains_many(b"".join(digests)).all()
    by_round = TargetSet.from_digests(digests, 32)
    by_round._native_handle(1)
    assert engine.search_mask(MASK, "sha256", by_round).indices.tolist() == idx
