"""Known answers from the C kernels (FIPS 180 / RFC 1321 / RFC 4231) and agreement with hashlib."""

from __future__ import annotations

import hashlib
import hmac
import os

import pyarrow as pa
import pytest
from engine_helpers import native_impls, needs_native

from datacustoms.attack.hashes import engine

FIPS = {
    "sha256": (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ),
    "sha1": ("a9993e364706816aba3e25717850c26c9cd0d89d", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
    "md5": ("900150983cd24fb0d6963f7d28e17f72", "8215ef0796a20bcaaae116d3876c664a"),
}
TWO_BLOCK = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

# RFC 4231 test cases 1-4 and 6 (key longer than a block): key, data, HMAC-SHA-256
RFC4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (b"\xaa" * 20, b"\xdd" * 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
]


@needs_native
@pytest.mark.parametrize("impl", ["scalar", "auto"])
@pytest.mark.parametrize("alg", ["md5", "sha1", "sha256"])
def test_fips_known_answers(alg: str, impl: str) -> None:
    from datacustoms import _native

    assert _native.digest(alg, b"abc", impl).hex() == FIPS[alg][0]
    assert _native.digest(alg, TWO_BLOCK, impl).hex() == FIPS[alg][1]


@needs_native
@pytest.mark.parametrize("alg", ["md5", "sha1", "sha256"])
def test_kernels_match_hashlib_at_block_edges(alg: str) -> None:
    from datacustoms import _native

    impls = ["scalar", "sha_ni"] if engine.cpu_features()["sha_ni"] else ["scalar"]
    for impl in impls:
        for n in (0, 1, 54, 55, 56, 63, 64, 65, 119, 120, 128, 300):
            m = os.urandom(n)
            assert _native.digest(alg, m, impl) == hashlib.new(alg, m).digest(), (impl, n)


@pytest.mark.parametrize("force_python", [False, True])
@pytest.mark.parametrize("key,data,expected", RFC4231)
def test_hmac_rfc4231(key: bytes, data: bytes, expected: str, force_python: bool) -> None:
    out = engine.hmac_sha256_batch(key, pa.array([data], pa.binary()), force_python=force_python)
    assert out.type == pa.binary(32)
    assert out[0].as_py().hex() == expected
    for impl in native_impls():
        assert engine.hmac_sha256_batch(key, pa.array([data], pa.binary()), impl=impl)[0].as_py().hex() == expected


@needs_native
@pytest.mark.parametrize("impl", native_impls())
def test_hmac_batch_matches_hmac_module(impl: str) -> None:
    key = b"k" * 32
    values = ["010-1234-5678", "", None, "x" * 55, "y" * 56, "z" * 200, "한국어 이름"]
    values += [f"row-{i}" * (i % 9) for i in range(40)]  # fills several 16-lane groups, long rows between
    values += [f"{i:03d}" * (14 + i % 26) for i in range(48)]  # 42 to 117 bytes: two inner blocks for most
    for typ in (pa.string(), pa.large_string()):
        arr = pa.array(values, typ).slice(1)  # a non-zero offset too
        out = engine.hmac_sha256_batch(key, arr, impl=impl)
        assert out.null_count == 1
        for v, o in zip(values[1:], out.to_pylist(), strict=True):
            if v is None:
                assert o is None
            else:
                assert o == hmac.new(key, v.encode(), "sha256").digest()


@needs_native
def test_auto_pseudonyms_lead_with_a_unit_the_cpu_has() -> None:
    """With AVX-512 and SHA-NI both there, ``auto`` times their 16-row units once per process and
    leads with one of them (only the speed depends on which); the MACs are the hmac module's."""
    from datacustoms import _native

    feats, lead = engine.cpu_features(), _native.hmac_auto()
    assert lead in (("avx512", "sha_ni") if feats["avx512"] and feats["sha_ni"] else ("auto",))
    assert _native.hmac_auto() == lead  # decided once
    key = bytes(range(32))
    values = [hashlib.sha256(b"%d" % i).hexdigest() if i % 3 else f"010{i:08d}" for i in range(200)]
    out = engine.hmac_sha256_batch(key, pa.array(values))
    assert out.to_pylist() == [hmac.new(key, v.encode(), "sha256").digest() for v in values]


def test_hmac_native_and_python_agree_on_chunked_input() -> None:
    chunks = pa.chunked_array([pa.array([f"010{i:08d}" for i in range(500)]), pa.array(["a", None])])
    a = engine.hmac_sha256_batch(b"secret-key-0123456789", chunks)
    b = engine.hmac_sha256_batch(b"secret-key-0123456789", chunks, force_python=True)
    assert isinstance(a, pa.ChunkedArray)
    assert a.to_pylist() == b.to_pylist()


def test_impls_listed_are_runnable() -> None:
    feats = engine.cpu_features()
    assert set(feats) == {"avx512", "avx2", "sha_ni", "native"}
    assert feats["native"] == engine.native_available()
    for impl in native_impls():
        assert impl in engine.IMPLEMENTATIONS


@needs_native
def test_kernel_rate_times_each_simd_kernel_and_refuses_the_rest() -> None:
    """``kernel_rate`` (benchmarks/kernel_rates.py's "kernel alone") runs the kernel the search
    would pick for a one-block SHA-256 mask; portable C, ``auto`` and masks it cannot time are
    refused with a ValueError instead of a made-up rate."""
    from datacustoms import _native

    plan = engine._plan(engine.Mask.from_pattern(b"010XXXXXXXX"), "sha256")
    simd = [impl for impl in native_impls() if impl != "scalar"]
    for impl in simd:
        assert _native.kernel_rate(plan, impl, 2_000) > 1e6
    for impl in ("scalar", "auto"):
        with pytest.raises(ValueError, match="SIMD kernel"):
            _native.kernel_rate(plan, impl, 100)
    md5 = engine._plan(engine.Mask.from_pattern(b"010XXXXXXXX"), "md5")
    for impl in simd:
        with pytest.raises(ValueError, match="SIMD kernel"):
            _native.kernel_rate(md5, impl, 100)
