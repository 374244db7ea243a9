"""Double hashing (the algorithm again over the lower-case hex of the first digest) on every path."""

from __future__ import annotations

import hashlib
import random

import pytest
from engine_helpers import native_impls, needs_native

from datacustoms.attack.hashes import engine
from datacustoms.attack.hashes.engine import Mask, TargetSet, search_candidates, search_mask
from datacustoms.errors import UsageError

# hashlib.new(alg, hashlib.new(alg, m).hexdigest().encode()).hexdigest(), fixed here as bytes
DOUBLE = {
    ("md5", b"abc"): "ec0405c5aef93e771cd80e0db180b88b",
    ("md5", b"01012345678"): "f2d987e95930dd6461bfa80a015b64f4",
    ("sha1", b"abc"): "9ef2bdeea2b1bae79b9ddb930427d0b2c880bdac",
    ("sha1", b"01012345678"): "1c6174bc78770b7f6ba3cae9877566d6cfb03725",
    ("sha256", b"abc"): "dfe7a23fefeea519e9bbfdd1a6be94c4b2e4529dd6b7cbea83f9959c2621b13c",
    ("sha256", b"01012345678"): "5531a78c3cbbfceb5580e25ccade5996856df8be557f4135e20332f8af27246a",
}
SIZES = {"md5": 16, "sha1": 20, "sha256": 32}


def twice(alg: str, m: bytes) -> bytes:
    return hashlib.new(alg, hashlib.new(alg, m).hexdigest().encode()).digest()


def _plant(mask: Mask, alg: str, lo: int, hi: int, n: int, seed: int = 3) -> tuple[list[int], list[bytes]]:
    idx = sorted(random.Random(seed).sample(range(lo, hi), n))
    return idx, [twice(alg, mask.candidate(i)) for i in idx]


@needs_native
@pytest.mark.parametrize(("alg", "message"), list(DOUBLE))
@pytest.mark.parametrize("impl", ["scalar", "auto"])
def test_native_double_digest_known_answers(alg: str, message: bytes, impl: str) -> None:
    assert engine._native.digest(alg, message, impl, 2).hex() == DOUBLE[(alg, message)]


@needs_native
@pytest.mark.parametrize("impl", native_impls())
@pytest.mark.parametrize("alg", ["sha256", "md5", "sha1"])
@pytest.mark.parametrize("pattern", [b"010XXXXXXXX", b"+82 10-XXXX-XXXX", b"pepper|010-XXXX-XXXX"])
def test_double_hashes_are_recovered_on_every_path(pattern: bytes, alg: str, impl: str) -> None:
    """The multi-buffer double kernels (hex digits made in the vector registers) and the scalar
    path recover exactly the planted numbers; the hex of every nibble value 0-f occurs."""
    mask = Mask.from_pattern(pattern)
    lo, hi = 5_000_000, 5_000_000 + (40_000 if impl in ("scalar", "sha_ni") else 300_000)
    idx, digests = _plant(mask, alg, lo, hi, 40, seed=len(pattern))
    targets = TargetSet.from_digests(digests, SIZES[alg])
    hits = search_mask(mask, alg, targets, start=lo, stop=hi, impl=impl, rounds=2)
    assert list(hits.indices) == idx
    assert hits.candidates == [mask.candidate(i) for i in idx]
    assert hits.digests == digests


@pytest.mark.parametrize("alg", ["sha256", "md5"])
def test_native_and_python_agree_on_double_hashes(alg: str) -> None:
    mask = Mask.from_pattern(b"010-XXXX-XXXX")
    idx, digests = _plant(mask, alg, 77_000_000, 77_020_000, 15)
    targets = TargetSet.from_digests([*digests, b"\x07" * SIZES[alg]], SIZES[alg])
    a = search_mask(mask, alg, targets, start=77_000_000, stop=77_020_000, rounds=2)
    b = search_mask(mask, alg, targets, start=77_000_000, stop=77_020_000, rounds=2, force_python=True)
    assert list(a.indices) == list(b.indices) == idx
    assert a.candidates == b.candidates


def test_single_and_double_hashes_are_never_confused() -> None:
    """A column of single hashes yields nothing to a double search, and the reverse."""
    mask = Mask.from_pattern(b"010XXXXXXXX")
    idx = [3, 999, 123_456]
    single = TargetSet.from_digests([hashlib.sha256(mask.candidate(i)).digest() for i in idx], 32)
    double = TargetSet.from_digests([twice("sha256", mask.candidate(i)) for i in idx], 32)
    assert len(search_mask(mask, "sha256", single, stop=200_000, rounds=2)) == 0
    assert len(search_mask(mask, "sha256", double, stop=200_000)) == 0
    assert list(search_mask(mask, "sha256", double, stop=200_000, rounds=2).indices) == idx


@pytest.mark.parametrize("force_python", [False, True])
def test_double_hashed_candidate_lists(force_python: bool) -> None:
    emails = ["kim@naver.com", None, "lee@gmail.com", "park@daum.net"]
    targets = TargetSet.from_digests([twice("sha1", b"lee@gmail.com"), twice("sha1", b"park@daum.net")], 20)
    hits = search_candidates(emails, "sha1", targets, rounds=2, force_python=force_python)
    assert list(hits.indices) == [2, 3]
    assert hits.candidates == [b"lee@gmail.com", b"park@daum.net"]


def test_rounds_other_than_one_or_two_are_refused() -> None:
    targets = TargetSet.from_digests([b"\x00" * 32], 32)
    with pytest.raises(UsageError, match="rounds"):
        search_mask(Mask.from_pattern(b"XX"), "sha256", targets, rounds=3)
    with pytest.raises(UsageError, match="rounds"):
        search_candidates([b"a"], "sha256", targets, rounds=0)


@needs_native
def test_the_native_module_refuses_other_rounds() -> None:
    with pytest.raises(ValueError, match="rounds"):
        engine._native.digest("sha256", b"abc", "auto", 3)
    with pytest.raises(ValueError, match="rounds"):
        engine._plan(Mask.from_pattern(b"010XXXXXXXX"), "sha256", 3)
