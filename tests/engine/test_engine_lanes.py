"""The search kernels that keep lane-invariant words as scalars, and the 32-lane AVX-512 kernel:
known plaintexts come back exactly on every kernel, across the groups that mix words 0-1 (where
the general kernel takes over), and a forged near-collision target is never claimed."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from engine_helpers import native_impls, needs_native

from datacustoms.attack.hashes import engine
from datacustoms.attack.hashes.engine import Mask, TargetSet, search_mask

# "010XXXXXXXX": lanes share words 0-1 inside each run of 1,000 counters (words 0-2, NZ 3);
# "+8210XXXXXXXX": the same with a fourth word (NZ 4); "010-XXXX-XXXX": no low digit in words 0-1
MASKS = [b"010XXXXXXXX", b"+8210XXXXXXXX", b"010-XXXX-XXXX"]
START, STOP = 12_339_979, 12_352_013  # partial groups at both ends, thirteen 1,000-counter runs


def _planted(mask: Mask) -> tuple[list[int], list[bytes]]:
    """Every 7th counter of the range, and the counters on each side of every 1,000 boundary."""
    edges = [b + d for b in range(12_340_000, STOP, 1000) for d in (-1, 0, 1, 15, 16, 31, 32)]
    idx = sorted(set(range(START, STOP, 7)) | {i for i in edges if START <= i < STOP} | {START, STOP - 1})
    return idx, [hashlib.sha256(mask.candidate(i)).digest() for i in idx]


def _forged(digest: bytes) -> bytes:
    """Shares the real digest's first 8 and last 4 bytes (bitmap and prefix index), not the middle."""
    return digest[:8] + bytes(b ^ 0xA5 for b in digest[8:-4]) + digest[-4:]


@needs_native
@pytest.mark.parametrize("pattern", MASKS)
@pytest.mark.parametrize("impl", native_impls())
def test_known_plaintexts_come_back_on_every_kernel(pattern: bytes, impl: str) -> None:
    mask = Mask.from_pattern(pattern)
    idx, digests = _planted(mask)
    lonely = 12_345_500  # not planted: only its forged twin is a target
    forged = _forged(hashlib.sha256(mask.candidate(lonely)).digest())
    targets = TargetSet.from_digests([*digests, forged], 32)
    hits = search_mask(mask, "sha256", targets, start=START, stop=STOP, impl=impl, threads=2)
    assert hits.indices.tolist() == idx
    assert hits.candidates == [mask.candidate(i) for i in idx]
    assert hits.digests == digests


@needs_native
@pytest.mark.parametrize("pattern", MASKS)
@pytest.mark.parametrize("impl", native_impls())
def test_the_unverified_search_reports_exactly_the_planted_counters(pattern: bytes, impl: str) -> None:
    """The kernels alone (no verification in the search): every planted counter, with its row."""
    from datacustoms import _native

    mask = Mask.from_pattern(pattern)
    idx, digests = _planted(mask)
    targets = TargetSet.from_digests(digests, 32)
    rows = {d: r for r, d in enumerate(sorted(digests))}
    raw = _native.search_mask(engine._plan(mask, "sha256"), targets._native_handle(), "sha256", START, STOP, impl)
    pairs = np.frombuffer(raw, np.uint64).reshape(-1, 2)
    got = sorted(map(tuple, pairs.tolist()))
    assert got == sorted((i, rows[d]) for i, d in zip(idx, digests, strict=True))


@needs_native
@pytest.mark.parametrize("impl", native_impls())
def test_a_forged_near_collision_alone_is_refused(impl: str) -> None:
    """A target sharing 12 of a candidate's 32 digest bytes, with no real target beside it, in the
    middle of a run where the lanes share words 0-1: the search returns nothing."""
    mask = Mask.from_pattern(b"010XXXXXXXX")
    targets = TargetSet.from_digests([_forged(hashlib.sha256(mask.candidate(12_345_678)).digest())], 32)
    assert len(search_mask(mask, "sha256", targets, start=12_345_000, stop=12_346_000, impl=impl)) == 0


@needs_native
def test_a_search_that_claims_a_forged_target_is_never_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The self-test runs the verifying search on known answers and a forged near-collision: a
    search that reports the forged target (as one that skipped the full compare would) fails it,
    and every hit then goes through hashlib."""
    real = engine._native

    def lying(plan: Any, handle: Any, alg: str, a: int, b: int, impl: str) -> tuple[bytes, bytes, int]:
        found, texts, rejected = real.search_mask_verified(plan, handle, alg, a, b, impl)
        extra = np.array([[50_001, 0]], np.uint64).tobytes()
        return found + extra, texts + Mask.from_pattern(b"010XXXXXXXX").candidate(50_001), rejected

    fake = SimpleNamespace(**{n: getattr(real, n) for n in dir(real) if not n.startswith("__")})
    fake.search_mask_verified = lying
    monkeypatch.setattr(engine, "_native", fake)
    monkeypatch.setattr(engine, "_C_VERIFIER", [])
    assert engine._c_verifier_ok() is False
    monkeypatch.setattr(engine, "_native", real)
    monkeypatch.setattr(engine, "_C_VERIFIER", [])
    assert engine._c_verifier_ok() is True
