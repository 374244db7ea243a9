"""A digest that matches a target only on its first 8 bytes (and its bitmap bits) is reported by
the raw kernels, and by no public function: every way to a hit goes through full verification."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from engine_helpers import native_impls, needs_native

import datacustoms
from datacustoms.attack import attack_column
from datacustoms.attack.hashes import engine, unverified
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.engine import Mask, TargetSet, search_candidates, search_mask
from datacustoms.attack.hashes.recipes import digest_function
from datacustoms.table import from_arrow

MASK = Mask.from_pattern(b"0101000XXXX")
FORGED, REAL = 1_234, 5_678  # counter values: one matches a forged target's prefix, one a real target


IV = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19)
M32 = 0xFFFFFFFF


def _t2(a: int, b: int, c: int) -> int:
    """SHA-256's Sigma0(a) + Maj(a, b, c)."""
    ror = lambda x, n: ((x >> n) | (x << (32 - n))) & M32  # noqa: E731
    return ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & M32


def _a57(words: list[int]) -> int:
    """a after round 56 of a one-block SHA-256, from its digest words (rounds 63-57 undone)."""
    a = [0] * 4 + [(words[3 - k] - IV[3 - k]) & M32 for k in range(4)]  # a[k] = a(57 + k)
    e = [(words[7 - k] - IV[7 - k]) & M32 for k in range(4)]  # e[k] = e(61 + k)
    for t in range(63, 59, -1):
        a[t - 60] = (e[t - 60] - a[t - 56] + _t2(a[t - 57], a[t - 58], a[t - 59])) & M32
    return a[0]


def _forge(digest: bytes, round56: bool = False) -> bytes:
    """The digest with its first 8 bytes (the kernels' prefix) kept, every byte between flipped
    (no plaintext of the mask hashes to it) and its bitmap key kept: the last 4 bytes, or with
    ``round56`` (SHA-256's SIMD kernels) the last word solved so that a after round 56 is the same."""
    forged = digest[:8] + bytes(b ^ 0xFF for b in digest[8:-4]) + digest[-4:]
    if not round56:
        return forged
    words = [int.from_bytes(forged[i : i + 4], "big") for i in range(0, 32, 4)]
    key = _a57([int.from_bytes(digest[i : i + 4], "big") for i in range(0, 32, 4)])
    # a57 = e61 - a61 + T2(a60, a59, a58): the last word enters through e61 alone, linearly
    last = (key - _a57([*words[:7], 0])) & M32
    return forged[:28] + last.to_bytes(4, "big")


def _targets(algorithm: str, rounds: int = 1, round56: bool = False) -> tuple[TargetSet, bytes]:
    digest = digest_function(algorithm, rounds)
    forged = _forge(digest(MASK.candidate(FORGED)), round56)
    return TargetSet.from_digests([forged, digest(MASK.candidate(REAL))], len(forged)), forged


COMBINATIONS = [("sha256", 1), ("sha256", 2), ("sha1", 1), ("md5", 1)]
# each forgery keeps the bitmap key of some kernels: the last word, or (one-block SHA-256 on the
# SIMD kernels) a after round 56
FORGERIES = [(alg, rounds, False) for alg, rounds in COMBINATIONS] + [("sha256", 1, True)]


@needs_native
def test_the_raw_kernels_report_the_forged_pair() -> None:
    """The trap exists, so the public functions below meet a real false match: the mask search's
    grouped kernels take a prefix that one target row holds for a hit (SHA-256 on every path);
    the list search compares in full."""
    reported = []
    for algorithm, rounds, round56 in FORGERIES:
        targets, forged = _targets(algorithm, rounds, round56)
        digest = digest_function(algorithm, rounds)(MASK.candidate(FORGED))
        assert digest not in targets and not targets.contains_many(digest)[0] and forged in targets
        plan = engine._plan(MASK, algorithm, rounds)
        for impl in native_impls():
            found = unverified.mask_pairs(plan, targets._native_handle(), algorithm, 0, MASK.size, impl).in_order()
            assert found.found.tolist() in ([REAL], [FORGED, REAL])
            if FORGED in found.found.tolist():
                reported.append((algorithm, rounds, impl))
            listed = pa.array([MASK.candidate(i) for i in (FORGED, REAL)], pa.binary())
            args = engine._buffers(listed)
            assert unverified.list_pairs(*args, targets._native_handle(), algorithm, impl, rounds).found.tolist() == [1]
    assert {("sha256", 1, impl) for impl in native_impls()} <= set(reported)


@pytest.mark.parametrize("c_verifier", [True, False])
@pytest.mark.parametrize(("algorithm", "rounds", "round56"), FORGERIES)
def test_no_public_search_reports_a_prefix_only_match(
    algorithm: str, rounds: int, round56: bool, c_verifier: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """search_mask (every native path, one and two threads, streamed or not, the C verifier on
    or off, and the Python engine) and search_candidates find the real target only."""
    if not c_verifier:
        monkeypatch.setattr(engine, "_C_VERIFIER", [False])  # every hit through hashlib
    targets, _forged = _targets(algorithm, rounds, round56)
    runs = [{"force_python": True}] + [{"impl": i, "threads": t} for i in native_impls() for t in (1, 2)]
    for kw in runs:
        hits = search_mask(MASK, algorithm, targets, rounds=rounds, **kw)  # type: ignore[arg-type]
        assert hits.indices.tolist() == [REAL], kw
        streamed: list[int] = []
        search_mask(
            MASK, algorithm, targets, rounds=rounds, on_hits=lambda h, out=streamed: out.extend(h.indices), **kw
        )  # type: ignore[arg-type]
        assert streamed == [REAL], kw
    listed = [MASK.candidate(i) for i in (FORGED, REAL)]
    for force_python in (False, True):
        hits = search_candidates(listed, algorithm, targets, force_python=force_python, rounds=rounds)
        assert hits.indices.tolist() == [1] and hits.candidates == [MASK.candidate(REAL)]


@pytest.mark.parametrize("round56", [False, True])
@pytest.mark.parametrize("engine_name", ["python", "native"])
def test_an_attack_never_reports_a_prefix_only_match(engine_name: str, round56: bool) -> None:
    """The whole blind attack on a column of the two digests reverses the real one only."""
    if engine_name == "native" and not engine.native_available():
        pytest.skip("native extension not built")
    targets, forged = _targets("sha256", round56=round56)
    real = hashlib.sha256(MASK.candidate(REAL)).hexdigest()
    table = from_arrow(pa.table({"phone_hash": [forged.hex(), real]}))
    res = attack_column(
        table, "phone_hash", keyspaces=[ks.kr_mobile().narrowed("1000")], engine=engine_name, reveal=True
    )
    assert res.distinct_reversed == 1 and len(targets) == 2


def test_only_the_unverified_module_calls_the_raw_searches() -> None:
    """A new caller of ``_native.search_mask`` or ``search_list`` would get prefix-only matches:
    every call goes through :mod:`~datacustoms.attack.hashes.unverified`, whose pairs only the
    engine's verification turns into hits."""
    root = Path(datacustoms.__file__).parent
    callers = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            raw = isinstance(node, ast.Attribute) and node.attr in ("search_mask", "search_list")
            if raw and isinstance(node.value, ast.Name) and node.value.id == "_native":
                callers.append(path.relative_to(root).as_posix())
            if isinstance(node, ast.Constant) and node.value in ("search_mask", "search_list"):
                callers.append(path.relative_to(root).as_posix())  # getattr(_native, "search_mask")
    assert sorted(set(callers)) == ["attack/hashes/unverified.py"]
    assert np.array_equal(unverified.Unverified.joined([]).found, np.empty(0, np.int64))
