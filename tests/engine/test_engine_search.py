"""Recovery of planted plaintexts from masks and lists, on every native path and in Python."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from engine_helpers import native_impls, needs_native

from datacustoms.attack.hashes import engine, unverified
from datacustoms.attack.hashes.engine import Mask, TargetSet, search_candidates, search_mask
from datacustoms.errors import AttackError, UsageError

PHONE_FORMATS = [b"010XXXXXXXX", b"010-XXXX-XXXX", b"+8210XXXXXXXX", b"+82 10-XXXX-XXXX"]


def _plant(mask: Mask, alg: str, lo: int, hi: int, n: int, seed: int = 1) -> tuple[list[int], TargetSet]:
    idx = sorted(random.Random(seed).sample(range(lo, hi), n))
    digests = [hashlib.new(alg, mask.candidate(i)).digest() for i in idx]
    return idx, TargetSet.from_digests(digests, hashlib.new(alg).digest_size)


def test_mask_candidate_layout() -> None:
    m = Mask.from_pattern(b"010-XXXX-XXXX")
    assert m.size == 10**8
    assert m.positions == (4, 5, 6, 7, 9, 10, 11, 12)
    assert m.candidate(12345678) == b"010-1234-5678"
    assert m.candidate(0) == b"010-0000-0000"
    assert Mask(b"pre:0100000", (5, 6)).candidate(42) == b"pre:0420000"
    with pytest.raises(UsageError):
        m.candidate(10**8)


@needs_native
@pytest.mark.parametrize("alg", ["sha256", "md5", "sha1"])
@pytest.mark.parametrize("impl", native_impls())
def test_recovers_200_planted_numbers_in_a_million(impl: str, alg: str) -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    lo, hi = (3_000_000, 4_000_000) if impl != "scalar" or alg == "sha256" else (3_000_000, 3_300_000)
    idx, targets = _plant(mask, alg, lo, hi, 200)
    hits = search_mask(mask, alg, targets, start=lo, stop=hi, impl=impl)
    assert [h.index for h in hits] == idx
    assert all(h.candidate == mask.candidate(h.index) for h in hits)
    assert all(hashlib.new(alg, h.candidate).digest() == h.digest for h in hits)


@needs_native
@pytest.mark.parametrize("pattern", [*PHONE_FORMATS, b"SALT-2024|010XXXXXXXX", b"x" * 60 + b"010-XXXX-XXXX"])
@pytest.mark.parametrize("alg", ["sha256", "sha1", "md5"])
def test_formats_salts_and_algorithms(pattern: bytes, alg: str) -> None:
    mask = Mask.from_pattern(pattern)
    idx, targets = _plant(mask, alg, 12_340_000, 12_440_000, 50, seed=len(pattern))
    hits = search_mask(mask, alg, targets, start=12_340_000, stop=12_440_000)
    assert [h.index for h in hits] == idx


@needs_native
@pytest.mark.parametrize(
    ("pattern", "nonzero_words"),
    [(b"XXXXX", 2), (b"010XXXXXXXX", 3), (b"010-XXXX-XXXX", 4), (b"+82 10-XXXX-XXXX", 5),
     (b"+82 10-XXXX-XXXX/kr!", 6), (b"z" * 40 + b"XXXXX", 12), (b"z" * 64 + b"010XXXXXXXX", 3)],
)  # fmt: skip
@pytest.mark.parametrize("impl", native_impls())
def test_zero_word_kernels_on_every_path(pattern: bytes, nonzero_words: int, impl: str) -> None:
    """Short messages run kernels that skip their zero block words; each must match hashlib."""
    mask = Mask.from_pattern(pattern)
    assert engine._native.plan_info(engine._plan(mask, "sha256"))["nonzero_words"] == nonzero_words
    hi = min(mask.size, 200_000)
    idx, targets = _plant(mask, "sha256", 0, hi, 60, seed=nonzero_words)
    hits = search_mask(mask, "sha256", targets, stop=hi, impl=impl)
    assert [h.index for h in hits] == idx
    assert [h.candidate for h in hits] == [mask.candidate(i) for i in idx]


@pytest.mark.parametrize("pattern", [b"+8210XXXXXXXX", b"pepper!010-XXXX-XXXX", b"y" * 70 + b"XXXXXX"])
def test_native_and_python_agree_on_random_slices(pattern: bytes) -> None:
    mask = Mask.from_pattern(pattern)
    rng = random.Random(7)
    for _ in range(3):
        lo = rng.randrange(0, mask.size - 30_000)
        idx, targets = _plant(mask, "sha256", lo, lo + 30_000, 25, seed=lo)
        # a few targets outside the slice and one that matches nothing
        extra = [hashlib.sha256(mask.candidate((lo + 50_000) % mask.size)).digest(), b"\x00" * 32]
        targets = TargetSet.from_digests(list(targets_digests(targets)) + extra, 32)
        a = search_mask(mask, "sha256", targets, start=lo, stop=lo + 30_000)
        b = search_mask(mask, "sha256", targets, start=lo, stop=lo + 30_000, force_python=True)
        assert [h.index for h in a] == [h.index for h in b] == idx
        assert [h.candidate for h in a] == [h.candidate for h in b]


def targets_digests(t: TargetSet) -> list[bytes]:
    raw = t.digests()
    return [raw[i : i + t.digest_size] for i in range(0, len(raw), t.digest_size)]


def test_empty_targets_and_no_match() -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    empty = TargetSet.from_digests([], 32)
    assert len(empty) == 0
    assert search_mask(mask, "sha256", empty, stop=100_000) == []
    nothing = TargetSet.from_digests([hashlib.sha256(b"not a phone").digest()], 32)
    assert search_mask(mask, "sha256", nothing, stop=200_000) == []
    assert search_mask(mask, "sha256", nothing, stop=2_000, force_python=True) == []


def test_duplicate_targets_are_merged_and_found_once() -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    d = hashlib.sha256(mask.candidate(777)).digest()
    targets = TargetSet.from_digests([d, d, d, hashlib.sha256(b"other").digest()], 32)
    assert len(targets) == 2
    assert d in targets and b"\x01" * 32 not in targets
    hits = search_mask(mask, "sha256", targets, stop=1000)
    assert [(h.index, h.candidate) for h in hits] == [(777, b"01000000777")]


def test_targets_from_arrow_and_equal_prefixes() -> None:
    base = bytes(8)
    digests = [base + bytes([i]) * 24 for i in (3, 1, 2, 1)] + [None]
    targets = TargetSet.from_digests(pa.array(digests, pa.binary()), 32)
    assert len(targets) == 3
    assert all(base + bytes([i]) * 24 in targets for i in (1, 2, 3))
    assert base + bytes([4]) * 24 not in targets
    with pytest.raises(UsageError):
        TargetSet.from_digests(pa.array([b"short"]), 32)


def test_wrong_digest_size_is_an_attack_error() -> None:
    targets = TargetSet.from_digests([hashlib.md5(b"x").digest()], 16)
    with pytest.raises(AttackError):
        search_mask(Mask.from_pattern(b"XX"), "sha256", targets)


def test_progress_reports_every_candidate() -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    seen: list[int] = []
    targets = TargetSet.from_digests([hashlib.sha256(b"01000000001").digest()], 32)
    search_mask(mask, "sha256", targets, start=0, stop=300_000, progress=seen.append, threads=2)
    assert seen and seen[-1] == 300_000 and seen == sorted(seen)


def test_kr_rrn_check_digit_mask() -> None:
    mask = Mask.from_pattern(b"900101-1XXXXXC", check="kr_rrn")
    assert mask.size == 10**5
    rrn = mask.candidate(23456)
    digits = [int(c) for c in rrn.decode().replace("-", "")]
    s = sum(d * w for d, w in zip(digits[:12], (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
    assert digits[12] == (11 - s % 11) % 10
    assert rrn.startswith(b"900101-123456")
    targets = TargetSet.from_digests([hashlib.sha256(rrn).digest(), hashlib.sha256(b"900101-1234567").digest()], 32)
    for force in (False, True):
        hits = search_mask(mask, "sha256", targets, force_python=force)
        assert [h.candidate for h in hits] == [rrn]  # the wrong-check-digit target is not an RRN


@needs_native
@pytest.mark.parametrize("impl", native_impls())
def test_kr_rrn_mask_on_every_path(impl: str) -> None:
    mask = Mask.from_pattern(b"salt:850615-2XXXXXC", check="kr_rrn")
    idx, targets = _plant(mask, "sha256", 0, mask.size, 40, seed=3)
    assert [h.index for h in search_mask(mask, "sha256", targets, impl=impl)] == idx
    idx1, t1 = _plant(mask, "sha1", 0, mask.size, 10, seed=4)
    assert [h.index for h in search_mask(mask, "sha1", t1, impl=impl)] == idx1


@pytest.mark.parametrize("alg", ["sha256", "md5", "sha1", "sha512", "sha3_256", "blake2b", "sha224"])
def test_list_keyspace(alg: str) -> None:
    emails = [f"user{i}@example.com" for i in range(3000)]
    planted = [5, 999, 2999]
    size = hashlib.new(alg).digest_size
    targets = TargetSet.from_digests([hashlib.new(alg, emails[i].encode()).digest() for i in planted], size)
    for cands in (emails, pa.array(emails), pa.array(emails, pa.large_string())):
        for force in (False, True):
            hits = search_candidates(cands, alg, targets, force_python=force)
            assert [(h.index, h.candidate) for h in hits] == [(i, emails[i].encode()) for i in planted]


def test_list_keyspace_skips_nulls_and_handles_chunks() -> None:
    empty_digest = hashlib.sha256(b"").digest()
    targets = TargetSet.from_digests([empty_digest, hashlib.sha256(b"b").digest()], 32)
    arr = pa.chunked_array([pa.array(["a", None]), pa.array(["", "b"])])
    hits = search_candidates(arr, "sha256", targets)
    assert [(h.index, h.candidate) for h in hits] == [(2, b""), (3, b"b")]


def test_measure_rate_is_positive() -> None:
    assert engine.measure_rate("sha256", seconds=0.05) > 0


def test_targetset_sorts_and_dedups_with_shared_prefixes() -> None:
    rng = random.Random(3)
    for _ in range(100):
        pool = [
            bytes([rng.randrange(3)]) * 8 + bytes(rng.randrange(3) for _ in range(8))
            for _ in range(rng.randrange(0, 30))
        ]
        ts = TargetSet.from_digests(pool, 16)
        assert ts.digests() == b"".join(sorted(set(pool)))
        assert all(d in ts for d in pool)
        assert bool(ts.contains_many(b"".join(pool)).all())
        assert not ts.contains_many(b"\x07" * 16).any()


def test_a_failing_progress_callback_stops_the_search() -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    targets = TargetSet.from_digests([hashlib.sha256(b"01099999999").digest()], 32)
    calls: list[int] = []

    def stop_early(done: int) -> None:
        calls.append(done)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        search_mask(mask, "sha256", targets, progress=stop_early, threads=2)
    assert len(calls) == 1 and calls[0] < mask.size


def test_bulk_candidates_equal_one_by_one_even_with_nul_bytes() -> None:
    masks = [
        Mask(b"a\x00\x000", (3,)),
        Mask(b"0\x00", (0,)),
        Mask.from_pattern(b"900101-1XXXXXC", check="kr_rrn"),
        Mask.from_pattern(b"010-XXXX-XXXX"),
    ]
    for m in masks:
        idx = list(range(0, m.size, max(1, m.size // 500)))
        assert engine._mask_candidates(m, idx) == [m.candidate(i) for i in idx]


def test_without_the_extension_everything_still_answers_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    mask = Mask.from_pattern(b"pre|010-XXXX-XXXX")
    idx, targets = _plant(mask, "sha256", 5_000, 25_000, 30, seed=11)
    emails = [f"u{i}@example.org" for i in range(100)]
    list_targets = TargetSet.from_digests([hashlib.md5(emails[7].encode()).digest()], 16)
    with_native = (
        [h.index for h in search_mask(mask, "sha256", targets, start=5_000, stop=25_000)],
        [h.index for h in search_candidates(emails, "md5", list_targets)],
        engine.hmac_sha256_batch(b"key", pa.array(["a", None, "b"])).to_pylist(),
    )
    monkeypatch.setattr(engine, "_native", None)
    assert not engine.native_available()
    assert engine.cpu_features()["native"] is False
    fresh = TargetSet.from_digests([*targets_digests(targets), bytes(8) + b"\x01" * 24, bytes(8) + b"\x02" * 24], 32)
    without = (
        [h.index for h in search_mask(mask, "sha256", fresh, start=5_000, stop=25_000)],
        [h.index for h in search_candidates(emails, "md5", TargetSet.from_digests(targets_digests(list_targets), 16))],
        engine.hmac_sha256_batch(b"key", pa.array(["a", None, "b"])).to_pylist(),
    )
    assert with_native == without
    assert with_native[0] == idx and with_native[1] == [7]
    ties = fresh.contains_many(bytes(8) + b"\x02" * 24 + bytes(8) + b"\x03" * 24)
    assert ties.tolist() == [True, False]


def test_string_view_columns_are_accepted() -> None:
    values = pa.array(["a", None, "bc"], pa.string_view())
    targets = TargetSet.from_digests([hashlib.sha256(b"bc").digest()], 32)
    assert [(h.index, h.candidate) for h in search_candidates(values, "sha256", targets)] == [(2, b"bc")]
    out = engine.hmac_sha256_batch(b"k", values).to_pylist()
    assert out[1] is None and out[2] == hmac.new(b"k", b"bc", "sha256").digest()


def test_hits_are_columns_that_read_as_rows_and_never_print_plaintexts() -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    idx, targets = _plant(mask, "sha256", 0, 5_000, 3, seed=9)
    hits = search_mask(mask, "sha256", targets, stop=5_000, force_python=True)
    assert isinstance(hits, engine.Hits) and hits.indices.tolist() == idx
    assert [h.index for h in hits] == idx and hits[1] == engine.Hit(idx[1], mask.candidate(idx[1]), hits.digests[1])
    assert hits[1:] == list(hits)[1:] and hits == search_mask(mask, "sha256", targets, stop=5_000)
    assert not any(c.decode() in repr(hits) for c in hits.candidates) and repr(hits) == "Hits(3 verified)"


@needs_native
def test_a_faulty_kernel_can_lose_hits_but_never_invent_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reported pair (counter, target row) is re-hashed with hashlib against its row."""
    mask = Mask.from_pattern(b"010XXXXXXXX")
    idx, targets = _plant(mask, "sha256", 0, 1_000, 3, seed=5)
    sorted_digests = [targets.digests()[k : k + 32] for k in range(0, len(targets) * 32, 32)]
    rows = {d: r for r, d in enumerate(sorted_digests)}
    good = [(i, rows[hashlib.sha256(mask.candidate(i)).digest()]) for i in idx]
    bad = [
        (idx[0], (good[0][1] + 1) % 3),  # a real plaintext paired with another target's row
        (idx[1] + 1, good[1][1]),  # a counter that is not a plaintext of any target
        (idx[2], 3),  # a row past the end
        (idx[2], -1),
    ]
    reported = np.array([p for pair in good + bad for p in pair], np.int64).tobytes()
    monkeypatch.setattr(engine._native, "search_mask", lambda *a: reported)
    hits = search_mask(mask, "sha256", targets, stop=1_000, threads=1, impl="scalar")
    assert [h.index for h in hits] == idx
    assert all(hashlib.sha256(h.candidate).digest() == h.digest for h in hits)


@needs_native
def test_auto_times_the_kernels_once_per_message_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    """``auto`` runs whichever SHA-256 kernel this CPU runs fastest, timed once per shape."""
    feats = engine.cpu_features()
    # AVX2 is timed only where there is no AVX-512 (the same kernel on half the lanes)
    kernels = [k for k in ("avx512", "sha_ni", "avx2") if feats[k] and not (k == "avx2" and feats["avx512"])]
    monkeypatch.setattr(engine, "_FASTEST", {})
    timed: list[tuple[str, ...]] = []
    real = engine._time_kernels

    def spy(mask: Mask, ks: tuple[str, ...], rounds: int = 1) -> str:
        timed.append(ks)
        return real(mask, ks, rounds)

    monkeypatch.setattr(engine, "_time_kernels", spy)
    phone, legacy = Mask.from_pattern(b"010XXXXXXXX"), Mask.from_pattern(b"011XXXXXXXX")
    first = engine._fastest_impl(phone, "sha256")
    assert engine._fastest_impl(legacy, "sha256") == first  # same zero words: no second timing
    assert engine._fastest_impl(phone, "md5") == "auto"  # MD5 and SHA-1 have one kernel per CPU
    if not kernels:
        assert first == "auto" and timed == []
    else:  # one kernel is timed too: the timing runs are its self-test
        assert first in kernels and timed == [tuple(kernels)]
    idx, targets = _plant(phone, "sha256", 0, 300_000, 40, seed=3)
    assert [h.index for h in search_mask(phone, "sha256", targets, stop=300_000)] == idx
    # double hashing has its own kernels, so its own timing, once for every shape
    double = engine._fastest_impl(phone, "sha256", 2)
    assert engine._fastest_impl(Mask.from_pattern(b"+82 10-XXXX-XXXX"), "sha256", 2) == double
    if kernels:
        assert double in kernels and timed == [tuple(kernels)] * 2


@pytest.mark.parametrize("force_python", [False, True])
def test_hits_stream_to_a_callback_in_counter_order(force_python: bool) -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    hi = 5_000_000 if not force_python else 200_000
    idx, targets = _plant(mask, "sha256", 0, hi, 50, seed=9)
    whole = search_mask(mask, "sha256", targets, stop=hi, force_python=force_python, threads=2)
    streamed: list[engine.Hits] = []
    rest = search_mask(mask, "sha256", targets, stop=hi, force_python=force_python, threads=2, on_hits=streamed.append)
    assert len(rest) == 0 and len(streamed) > 1 and all(len(h) for h in streamed)
    assert engine.Hits.concat(streamed) == whole and [h.index for h in whole] == idx


@needs_native
@pytest.mark.parametrize("impl", native_impls())
def test_lanes_past_the_range_never_report(impl: str) -> None:
    """A group's spare lanes hash the candidates just past ``stop``: planted there, none may come back."""
    mask = Mask.from_pattern(b"010XXXXXXXX")
    for start, stop in [(1_003, 2_009), (9_990, 10_005), (77_777, 77_778)]:
        around = [*range(start - 20, start), *range(stop, stop + 40)]
        inside = [start, stop - 1]
        targets = TargetSet.from_digests([hashlib.sha256(mask.candidate(i)).digest() for i in around + inside], 32)
        hits = search_mask(mask, "sha256", targets, start=start, stop=stop, impl=impl, threads=1)
        assert [h.index for h in hits] == sorted(set(inside))


@needs_native
def test_c_verifier_rejects_a_planted_false_hit() -> None:
    """The C verification re-hashes each reported (counter, row) pair from its plaintext and
    drops any whose digest is not the row it names: a kernel fault cannot invent a hit."""
    from datacustoms import _native

    mask = engine.Mask.from_pattern(b"010XXXXXXXX")
    good = [5, 123_456, 99_999_999]
    digests = [hashlib.sha256(mask.candidate(i)).digest() for i in good]
    targets = engine.TargetSet.from_digests(digests, 32)
    row_of = {d: r for r, d in enumerate(sorted(digests))}
    pairs = [(i, row_of[d]) for i, d in zip(good, digests, strict=True)]
    planted = [(42, 0), (7, 99), (10**9, 1)]  # wrong row, a row outside the set, a counter outside the mask
    raw = np.array(pairs + planted, np.uint64).tobytes()
    plan = engine._plan(mask, "sha256")
    ok, texts, rejected = _native.verify_mask_hits(plan, targets._native_handle(), raw)
    got = np.frombuffer(ok, np.uint64).reshape(-1, 2)
    assert rejected == 3
    assert got[:, 0].tolist() == good  # sorted by counter value
    assert [texts[11 * k : 11 * k + 11] for k in range(3)] == [mask.candidate(i) for i in good]


@needs_native
def test_sampled_check_catches_a_wrong_verifier() -> None:
    """If the C verifier passed a false hit, hashlib's sample finds it and the chunk is re-checked in full."""
    mask = engine.Mask.from_pattern(b"010XXXXXXXX")
    good = [11, 22, 33]
    digests = [hashlib.sha256(mask.candidate(i)).digest() for i in good]
    targets = engine.TargetSet.from_digests(digests, 32)
    rows = np.array([sorted(digests).index(d) for d in digests], np.int64)
    found = np.array(good, np.int64)
    plain = np.frombuffer(b"".join(mask.candidate(i) for i in good), np.uint8).reshape(3, 11).copy()
    plain[1] = np.frombuffer(mask.candidate(44), np.uint8)  # a plaintext that does not hash to its row
    saved = list(engine._C_VERIFIER)
    try:
        hits = engine._sample_checked("sha256", targets, found, plain, rows, 1)
        assert engine._C_VERIFIER == [False]  # later chunks go through hashlib in full
    finally:
        engine._C_VERIFIER[:] = saved
    assert hits.indices.tolist() == [11, 33]
    assert hits.candidates == [mask.candidate(11), mask.candidate(33)]


@needs_native
def test_verified_path_matches_hashlib_path() -> None:
    """Hits from the C-verified path equal those of the path that re-hashes every hit with hashlib."""
    mask = engine.Mask.from_pattern(b"SALT|010XXXXX")
    idx = list(range(0, 100_000, 997))
    targets = engine.TargetSet.from_digests([hashlib.sha1(mask.candidate(i)).digest() for i in idx], 20)
    fast = engine.search_mask(mask, "sha1", targets)
    saved = list(engine._C_VERIFIER)
    try:
        engine._C_VERIFIER[:] = [False]
        slow = engine.search_mask(mask, "sha1", targets)
    finally:
        engine._C_VERIFIER[:] = saved
    assert fast.plaintext_matrix() is not None and fast.rows is not None
    assert fast == slow and fast.indices.tolist() == idx
    assert fast.digests == [hashlib.sha1(c).digest() for c in fast.candidates]


@pytest.mark.parametrize(
    ("start", "stop", "chunk", "workers"),
    [(0, 10**8, 1 << 21, 2), (7, 70_000, 1 << 14, 1), (0, 10**6, 1 << 16, 4), (3, 5, 1 << 14, 2)],
)
def test_chunks_cover_the_range_and_shrink_at_the_end(start: int, stop: int, chunk: int, workers: int) -> None:
    """Chunks tile [start, stop) in order; with several threads the last ``workers`` chunks' worth
    come in quarters, so the threads finish close together."""
    bounds = engine._chunk_bounds(start, stop, chunk, workers)
    assert bounds[0][0] == start and bounds[-1][1] == stop
    assert all(a < b for a, b in bounds) and all(x[1] == y[0] for x, y in itertools.pairwise(bounds))
    assert max(b - a for a, b in bounds) <= chunk
    if workers > 1 and stop - start > workers * chunk:
        tail = [b - a for a, b in bounds if a >= stop - workers * chunk]
        assert len(tail) >= 4 * workers - 1 and max(tail) <= chunk // 4


def test_hit_parts_keep_counter_order_across_forms_and_growth() -> None:
    """A search's hits gathered chunk by chunk: matrix chunks copied into columns (grown past
    their first size), a list-form chunk between them kept as its own part, order unchanged."""
    mask = Mask.from_pattern(b"010XXXXXXXX")
    idx = list(range(100, 160))
    digests = [hashlib.sha256(mask.candidate(i)).digest() for i in idx]
    targets = TargetSet.from_digests(digests, 32)
    row = {d: r for r, d in enumerate(sorted(digests))}

    def matrix(lo: int, hi: int) -> engine.Hits:
        plain = np.frombuffer(b"".join(mask.candidate(i) for i in idx[lo:hi]), np.uint8).reshape(-1, 11)
        rows = np.array([row[d] for d in digests[lo:hi]], np.int64)
        return engine.Hits.from_matrices(np.array(idx[lo:hi], np.int64), plain, rows=rows, table=targets._sorted)

    parts = engine._HitParts(4, 11)  # room for 4: the first matrix chunk already outgrows it
    for h in (
        matrix(0, 10),
        matrix(10, 25),
        engine.Hits(idx[25:30], [mask.candidate(i) for i in idx[25:30]], digests[25:30]),
        engine.Hits(),
        matrix(30, 60),
    ):
        parts.add(h)
    got = parts.hits()
    assert got.indices.tolist() == idx
    assert got.candidates == [mask.candidate(i) for i in idx]
    assert got.digests == digests


@needs_native
@pytest.mark.parametrize("impl", native_impls())
def test_groups_that_straddle_a_digit_run_find_every_candidate(impl: str) -> None:
    """Where the digit in word 1 changes (every 1,000 candidates of ``010XXXXXXXX``), a 16-lane
    group stops short so the kernel that shares words 0 and 1 still applies: every candidate on
    both sides of the boundary must come back, none twice."""
    mask = Mask.from_pattern(b"010XXXXXXXX")
    planted = [*range(960, 1_060), *range(1_990, 2_020), *range(9_990, 10_010)]
    targets = TargetSet.from_digests([hashlib.sha256(mask.candidate(i)).digest() for i in planted], 32)
    hits = search_mask(mask, "sha256", targets, stop=20_000, impl=impl, threads=1)
    assert [h.index for h in hits] == planted


@needs_native
def test_round56_and_last_word_keys_answer_alike_on_one_target_set() -> None:
    """The SIMD kernels of one-block SHA-256 key by a after round 56 (bitmaps built from each
    digest by undoing rounds 63-57), every other path by the digest's last word: one target set
    serves both, in either order, and lookups by digest still work after a round-56 search."""
    mask = Mask.from_pattern(b"010XXXXXXXX")
    idx, targets = _plant(mask, "sha256", 0, 300_000, 40, seed=56)
    impls = [i for i in native_impls() if i != "scalar"] + ["scalar"]
    for impl in impls:
        assert [h.index for h in search_mask(mask, "sha256", targets, stop=300_000, impl=impl)] == idx
    fresh = TargetSet.from_digests(targets_digests(targets), 32)  # the other order: last word first
    for impl in reversed(impls):
        assert [h.index for h in search_mask(mask, "sha256", fresh, stop=300_000, impl=impl)] == idx
    fresh = TargetSet.from_digests(targets_digests(targets), 32)
    search_mask(mask, "sha256", fresh, stop=1_000, impl="auto")
    assert fresh.contains_many(b"".join(targets_digests(targets)[:3])).all()
    with pytest.raises(ValueError, match="key kind"):  # round-56 keys are for SHA-256 digests only
        TargetSet.from_digests([b"\x01" * 20], 20)._native_handle(1)


@needs_native
def test_tables_built_with_either_key_kind_at_once_answer_alike() -> None:
    """``targets_new`` may build a kind of bitmaps on a second thread beside the exact-lookup
    tables; searches find the same hits either way, and a wrong kind for the digest size or an
    unknown kind is refused."""
    from datacustoms import _native

    mask = Mask.from_pattern(b"010XXXXXXXX")
    idx, targets = _plant(mask, "sha256", 0, 200_000, 30, seed=3)
    for keys in (-1, 0, 1):
        fresh = TargetSet.from_digests(targets_digests(targets), 32)
        fresh._native_handle(keys)
        for impl in native_impls():
            assert [h.index for h in search_mask(mask, "sha256", fresh, stop=200_000, impl=impl)] == idx, (keys, impl)
    sorted_md5 = engine._sort_unique(np.zeros((1, 16), np.uint8))
    for bad in (1, 2, -2):
        with pytest.raises(ValueError, match="key kind"):
            _native.targets_new(sorted_md5, 16, 16, bad)


@needs_native
@pytest.mark.parametrize("rounds", [1, 2])
def test_a_kernel_that_loses_hits_is_never_picked(monkeypatch: pytest.MonkeyPatch, rounds: int) -> None:
    """The kernel timing searches for planted candidates: a kernel that misses one (a lost hit
    would understate what can be reversed) is passed over, portable C is the last resort, and
    when that misses one too the search stops with an AttackError instead of answering."""
    feats = engine.cpu_features()
    kernels = tuple(k for k in ("avx512", "sha_ni", "avx2") if feats[k] and not (k == "avx2" and feats["avx512"]))
    if not kernels:
        pytest.skip("no SIMD kernel to test")
    real = engine.mask_pairs
    broken: set[str] = set()

    def lossy(plan: Any, targets: Any, algorithm: str, start: int, stop: int, impl: str) -> Any:
        pairs = real(plan, targets, algorithm, start, stop, impl)
        if impl in broken:  # the hit at counter value 1000 (a digit run's first) goes missing
            ordered = pairs.in_order()
            keep = ordered.found != 1000
            rows = None if ordered.rows is None else ordered.rows[keep]
            return unverified.Unverified(ordered.found[keep], rows)
        return pairs

    monkeypatch.setattr(engine, "mask_pairs", lossy)
    phone = Mask.from_pattern(b"010XXXXXXXX")
    broken.add(kernels[0])
    picked = engine._time_kernels(phone, kernels, rounds)
    assert picked != kernels[0] and picked in (*kernels[1:], "scalar")
    broken.update(kernels)
    assert engine._time_kernels(phone, kernels, rounds) == "scalar"
    broken.add("scalar")
    with pytest.raises(AttackError, match="self-test"):
        engine._time_kernels(phone, kernels, rounds)
