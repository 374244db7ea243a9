"""Known-answer tests: fixed keys and inputs give exactly the published output bytes.

RFC 4231 (HMAC-SHA-256), RFC 5869 (HKDF-SHA-256), RFC 5297 (AES-SIV), NIST SP 800-38G FF1
samples 1-9. The HMAC cases run through the same code path ``pseudonymize`` uses, in both the
native kernel (when built) and the pure-Python fallback.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from datacustoms.protect import crypto
from datacustoms.protect.ff1 import FF1

RFC4231 = [
    # (key, data, HMAC-SHA-256)
    (bytes([0x0B] * 20), b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        bytes([0xAA] * 20),
        bytes([0xDD] * 50),
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        bytes(range(1, 26)),
        bytes([0xCD] * 50),
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
]


@pytest.mark.parametrize("force_python", [True, False], ids=["python", "auto"])
@pytest.mark.parametrize("case", range(4), ids=[f"rfc4231-{i + 1}" for i in range(4)])
def test_hmac_sha256_rfc4231(case: int, force_python: bool) -> None:
    key, data, expected = RFC4231[case]
    digests = crypto.hmac_sha256_digests(key, pa.array([data], pa.binary()), force_python=force_python)
    assert digests.type == pa.binary(32)
    assert digests[0].as_py().hex() == expected


@pytest.mark.parametrize("force_python", [True, False], ids=["python", "auto"])
def test_hmac_text_cases_through_string_arrays(force_python: bool) -> None:
    """Cases 1 and 2 are UTF-8 text, so they also run through string/large_string (the native path)."""
    for key, data, expected in RFC4231[:2]:
        for typ in (pa.string(), pa.large_string()):
            values = pa.array([data.decode(), None], typ)
            matrix = crypto.hmac_sha256_matrix(key, values, force_python=force_python)
            assert bytes(matrix[0]).hex() == expected


def test_pseudonymize_is_truncated_hmac() -> None:
    """RFC 4231 case 1 (a 160-bit key) through pseudonymize itself: 256 bits hex = the full MAC."""
    key, data, expected = RFC4231[0]
    out = crypto.pseudonymize(key, pa.array([data.decode()]), encoding="hex", bits=256)
    assert out.to_pylist() == [expected]
    out128 = crypto.pseudonymize(key, pa.array([data.decode()]), encoding="hex", bits=128)
    assert out128.to_pylist() == [expected[:32]]


def test_hkdf_rfc5869_case1() -> None:
    okm = crypto.hkdf_sha256(
        bytes([0x0B] * 22), salt=bytes(range(13)), info=bytes(range(0xF0, 0xFA)), length=42
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_aes_siv_rfc5297_a1() -> None:
    key = bytes.fromhex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
    ad = bytes.fromhex("101112131415161718191a1b1c1d1e1f2021222324252627")
    plaintext = bytes.fromhex("112233445566778899aabbccddee")
    sealed = crypto.siv_encrypt(key, plaintext, [ad])
    assert sealed.hex() == "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c"
    assert crypto.siv_decrypt(key, sealed, [ad]) == plaintext


K128 = "2B7E151628AED2A6ABF7158809CF4F3C"
K192 = K128 + "EF4359D8D580AA4F"
K256 = K192 + "7F036D6F04FC6A94"
DIGITS = "0123456789"
ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"
T2 = "39383736353433323130"
T3 = "3737373770717273373737"
PT36 = "0123456789abcdefghi"
NIST_FF1 = [
    # (sample, key, alphabet, tweak, plaintext, ciphertext)
    (1, K128, DIGITS, "", "0123456789", "2433477484"),
    (2, K128, DIGITS, T2, "0123456789", "6124200773"),
    (3, K128, ALNUM, T3, PT36, "a9tv40mll9kdu509eum"),
    (4, K192, DIGITS, "", "0123456789", "2830668132"),
    (5, K192, DIGITS, T2, "0123456789", "2496655549"),
    (6, K192, ALNUM, T3, PT36, "xbj3kv35jrawxv32ysr"),
    (7, K256, DIGITS, "", "0123456789", "6657667009"),
    (8, K256, DIGITS, T2, "0123456789", "1001623463"),
    (9, K256, ALNUM, T3, PT36, "xs8a0azh2avyalyzuwd"),
]


@pytest.mark.parametrize("vector", NIST_FF1, ids=[f"sample-{v[0]}" for v in NIST_FF1])
def test_ff1_nist_samples(vector: tuple[int, str, str, str, str, str]) -> None:
    _, key, alphabet, tweak, plaintext, ciphertext = vector
    cipher = FF1(bytes.fromhex(key), alphabet=alphabet)
    assert cipher.encrypt(plaintext, bytes.fromhex(tweak)) == ciphertext
    assert cipher.decrypt(ciphertext, bytes.fromhex(tweak)) == plaintext


def test_ff1_numeral_interface_matches_sample_1() -> None:
    cipher = FF1(bytes.fromhex(K128), radix=10)
    assert cipher.encrypt_numerals(list(range(10))) == [2, 4, 3, 3, 4, 7, 7, 4, 8, 4]


def test_fpe_encrypt_runs_ff1_over_the_alphabet_characters() -> None:
    """The array helper with tweak 39383736... gives sample 2's answer, dashes kept in place."""
    key = bytes.fromhex(K128)
    out = crypto.fpe_encrypt(key, pa.array(["01234-56789"]), column="x", tweak=bytes.fromhex(T2))
    assert out.to_pylist() == ["61242-00773"]


def test_ff1_batched_paths_match_the_nist_pinned_scalar_path() -> None:
    """encrypt_many (numpy uint64 and big-int paths) equals encrypt_numerals string by string."""
    import random

    rng = random.Random(11)
    for key_hex, radix in ((K128, 10), (K192, 36), (K256, 2), (K256, 10)):
        cipher = FF1(bytes.fromhex(key_hex), radix=radix)
        lengths = [n for n in (cipher.minlen, cipher.minlen + 1, 11, 18, 19, 20, 33, 64) if n >= cipher.minlen]
        xs = [[rng.randrange(radix) for _ in range(n)] for n in lengths for _ in range(12)]
        for tweak in (b"", bytes.fromhex(T2), bytes(range(30))):
            enc = cipher.encrypt_many(xs, tweak)
            assert enc == [cipher.encrypt_numerals(x, tweak) for x in xs]
            assert cipher.decrypt_many(enc, tweak) == xs
    samples = FF1(bytes.fromhex(K256), radix=10).encrypt_many([list(range(10))], bytes.fromhex(T2))
    assert samples == [[1, 0, 0, 1, 6, 2, 3, 4, 6, 3]]  # NIST sample 8 through the batched path
