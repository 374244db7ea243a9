"""Batched C verification of mask hits: known answers come back exactly, wrong hits never do."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from engine_helpers import native_impls, needs_native

from datacustoms.attack.hashes import engine
from datacustoms.attack.hashes.engine import Mask, TargetSet, search_mask

# SHA-256 of fixed phone numbers, from `printf %s 01012345678 | openssl dgst -sha256`
KNOWN = {
    b"01012345678": "e60124f2fe2045215abda1ae912aa80bb66dab5fc231a758387682c9c0e70c01",
    b"01000000000": "7c5e4f5dd5736fad6b2ecf2fbb273c1fa4d2fe8b0c9af5e9062b75ae232ea7bc",
    b"01099999999": "5ce7480da9abbb367f37ede1f4389a06231c2ad1015625f13f341f0dce3e006f",
    b"01055501234": "de828b3921046d81601a5bd942fcb4a4e3b597ccf7dfda93854936b79e35fb5a",
}
PHONE = Mask.from_pattern(b"010XXXXXXXX")


def _rows(digests: list[bytes]) -> dict[bytes, int]:
    """Each digest's row among the sorted distinct targets (what the kernel reports)."""
    return {d: r for r, d in enumerate(sorted(set(digests)))}


def _verify(mask: Mask, targets: TargetSet, pairs: list[tuple[int, int]]) -> tuple[list[int], list[bytes], int]:
    from datacustoms import _native

    raw = np.array(pairs, np.uint64).reshape(-1, 2).tobytes()
    ok, texts, rejected = _native.verify_mask_hits(engine._plan(mask, "sha256"), targets._native_handle(), raw)
    got = np.frombuffer(ok, np.uint64).reshape(-1, 2)[:, 0].tolist()
    width = len(mask.template)
    return got, [texts[width * k : width * (k + 1)] for k in range(len(got))], rejected


def test_known_digests_match_hashlib() -> None:
    """The fixed vectors are what hashlib computes too (so the other tests rest on two sources)."""
    for phone, hexdigest in KNOWN.items():
        assert hashlib.sha256(phone).hexdigest() == hexdigest


@needs_native
def test_known_phone_numbers_recovered_exactly_in_batches() -> None:
    """The four fixed numbers among 36 other hits (three batches of 16 lanes, the last partial),
    handed to the verifier out of order: every one comes back, sorted, with its exact plaintext."""
    fixed = {int(p[3:]): bytes.fromhex(h) for p, h in KNOWN.items()}
    others = {i: hashlib.sha256(PHONE.candidate(i)).digest() for i in range(31_337, 10**8, 2_718_281)[:36]}
    both = {**fixed, **others}
    targets = TargetSet.from_digests(list(both.values()), 32)
    row = _rows(list(both.values()))
    pairs = [(i, row[d]) for i, d in sorted(both.items(), reverse=True)]
    got, texts, rejected = _verify(PHONE, targets, pairs)
    assert rejected == 0 and got == sorted(both)
    assert dict(zip(got, texts, strict=True))[12_345_678] == b"01012345678"
    assert {t for t in texts if t in KNOWN} == set(KNOWN)
    assert all(hashlib.sha256(t).digest() == both[i] for i, t in zip(got, texts, strict=True))


@needs_native
@pytest.mark.parametrize("lane", [0, 7, 15, 16, 31, 39])
def test_an_injected_wrong_hit_is_refused_in_any_lane(lane: int) -> None:
    """A pair whose plaintext does not hash to the row it names is refused wherever it falls in
    a batch, and the right pairs around it are kept."""
    idx = list(range(500, 500 + 40 * 1_009, 1_009))
    digests = [hashlib.sha256(PHONE.candidate(i)).digest() for i in idx]
    targets = TargetSet.from_digests(digests, 32)
    row = _rows(digests)
    pairs = [(i, row[d]) for i, d in zip(idx, digests, strict=True)]
    liar = (idx[lane] + 1, pairs[lane][1])  # the neighbouring number claimed for this row
    pairs[lane] = liar
    got, texts, rejected = _verify(PHONE, targets, pairs)
    assert rejected == 1
    assert got == [i for k, i in enumerate(idx) if k != lane]
    assert texts == [PHONE.candidate(i) for i in got]


@needs_native
@pytest.mark.parametrize("impl", native_impls())
def test_search_recovers_the_known_numbers(impl: str) -> None:
    """The whole path (search, batched verification, sampled hashlib check) on the fixed
    numbers near 01012345678, on every native kernel."""
    near = [b"01012345678", b"01012340000", b"01012349999", b"01012345679"]
    want = {p: hashlib.sha256(p).digest() for p in near}
    assert want[b"01012345678"].hex() == KNOWN[b"01012345678"]
    targets = TargetSet.from_digests(list(want.values()), 32)
    hits = search_mask(PHONE, "sha256", targets, start=12_340_000, stop=12_350_000, impl=impl, threads=2)
    assert hits.indices.tolist() == sorted(int(p[3:]) for p in near)
    assert hits.candidates == sorted(near)
    assert hits.digests == [want[p] for p in sorted(near)]


@needs_native
def test_a_verifier_that_accepts_a_wrong_hit_is_never_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """If verify_mask_hits passed a false pair, the engine's self-test fails and every hit goes
    through hashlib instead."""
    real = engine._native

    def lying(plan: Any, handle: Any, raw: bytes) -> tuple[bytes, bytes, int]:
        ok, texts, rejected = real.verify_mask_hits(plan, handle, raw)
        width = len(texts) // (len(ok) // 16)
        return ok + raw[-16:], texts + texts[:width], rejected - 1  # the last pair passed unchecked

    fake = SimpleNamespace(**{n: getattr(real, n) for n in dir(real) if not n.startswith("__")})
    fake.verify_mask_hits = lying
    monkeypatch.setattr(engine, "_native", fake)
    monkeypatch.setattr(engine, "_C_VERIFIER", [])
    assert engine._c_verifier_ok() is False
    monkeypatch.setattr(engine, "_native", real)
    monkeypatch.setattr(engine, "_C_VERIFIER", [])
    assert engine._c_verifier_ok() is True


def _forged(digest: bytes) -> bytes:
    """A digest sharing the real one's first 8 and last 4 bytes (so it passes the kernel's bitmap
    and prefix index) but not the middle: a target no candidate of the mask hashes to."""
    middle = bytes(b ^ 0x5A for b in digest[8:-4])
    return digest[:8] + middle + digest[-4:]


@needs_native
@pytest.mark.parametrize("c_verifier", [True, False])
@pytest.mark.parametrize("impl", native_impls())
def test_a_forged_target_is_never_claimed(impl: str, c_verifier: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel matches a target by its first 8 bytes when only one target has them; a target
    forged to share those (and the bitmap's last 4) with a real candidate's digest reaches the
    verification as a wrong pair and is refused there, by C or by hashlib. Where two targets share
    the prefix, the real one is still found."""
    if not c_verifier:
        monkeypatch.setattr(engine, "_C_VERIFIER", [False])
    real = {i: hashlib.sha256(PHONE.candidate(i)).digest() for i in (12_345_678, 12_345_999, 12_346_500)}
    alone = _forged(real[12_345_678])  # only the forged digest: must not come back at all
    both = [real[12_345_999], _forged(real[12_345_999])]  # the real one and its forged twin
    targets = TargetSet.from_digests([alone, *both, real[12_346_500]], 32)
    hits = search_mask(PHONE, "sha256", targets, start=12_340_000, stop=12_350_000, impl=impl, threads=1)
    assert hits.indices.tolist() == [12_345_999, 12_346_500]
    assert hits.candidates == [b"01012345999", b"01012346500"]
    assert hits.digests == [real[12_345_999], real[12_346_500]]


@needs_native
def test_tables_built_beside_the_kernel_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    """search_mask builds a large target set's tables on a helper thread while it times the
    kernels; a failure there is raised on the caller's thread, and a later call builds them."""
    digests = np.random.default_rng(4).integers(0, 256, (120_000, 32), dtype=np.uint8)
    targets = TargetSet(engine._sort_unique(digests), 32)
    real = engine._native

    def no_memory(digests: np.ndarray, size: int, bits: int, keys: int = -1) -> Any:
        if len(digests) >= 100_000:  # the kernel timing's one-target set still builds
            raise MemoryError
        return real.targets_new(digests, size, bits, keys)

    fake = SimpleNamespace(**{n: getattr(real, n) for n in dir(real) if not n.startswith("__")})
    fake.targets_new = no_memory
    monkeypatch.setattr(engine, "_native", fake)
    monkeypatch.setattr(engine, "_FASTEST", {})  # the kernels are timed while the tables fail
    monkeypatch.setattr(engine, "_cores", lambda: 2)  # the helper thread runs on any machine
    with pytest.raises(MemoryError):
        engine._prepare(PHONE, "sha256", targets)
    assert targets._native is None
    monkeypatch.setattr(engine, "_native", real)
    assert engine._prepare(PHONE, "sha256", targets) in ("auto", *engine.IMPLEMENTATIONS)
    assert targets._native is not None
    hits = search_mask(PHONE, "sha256", targets, stop=100_000)
    assert len(hits) == 0
