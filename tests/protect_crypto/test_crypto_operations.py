"""Pseudonyms, tokens and FF1 over Arrow arrays: properties, determinism, unlinkability, refusals."""

from __future__ import annotations

import base64
import hashlib
import hmac

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datacustoms.errors import InputError, KeyMaterialError, UsageError
from datacustoms.protect import crypto

MASTER = bytes.fromhex("8f3c0e5b2a61d7f49e0b5c3a7d2e91f6c4b8a05d3e7f1a2b6c9d0e4f8a1b3c5d")


def _phones(n: int, start: int = 0) -> list[str]:
    return [f"010{i:08d}" for i in range(start, start + n)]


def _key(recipient: str = "alipay", purpose: str = "nsf", operation: str = "pseudonymize") -> bytes:
    return crypto.derive_key(MASTER, recipient=recipient, purpose=purpose, operation=operation)


# -- derivation ---------------------------------------------------------------------------------


def test_info_fields_are_length_prefixed() -> None:
    assert crypto.encode_info("ab", "c") != crypto.encode_info("a", "bc")
    a = crypto.derive_key(MASTER, recipient="ab", purpose="c", operation="pseudonymize")
    b = crypto.derive_key(MASTER, recipient="a", purpose="bc", operation="pseudonymize")
    assert a != b


def test_derived_keys_differ_per_recipient_purpose_operation_and_have_their_lengths() -> None:
    keys = {
        _key(),
        _key(recipient="naver"),
        _key(purpose="marketing"),
        _key(operation="fpe"),
    }
    assert len(keys) == 4
    assert len(_key(operation="tokenize")) == 64
    assert len(_key(operation="fpe")) == 32
    assert _key() == _key()  # deterministic


def test_derive_key_refuses_short_master_and_empty_labels() -> None:
    with pytest.raises(KeyMaterialError):
        crypto.derive_key(b"short", recipient="a", purpose="b", operation="pseudonymize")
    with pytest.raises(UsageError):
        crypto.derive_key(MASTER, recipient=" ", purpose="b", operation="pseudonymize")


def test_key_id_is_short_stable_and_not_the_key() -> None:
    kid = crypto.key_id(MASTER)
    assert kid == crypto.key_id(MASTER)
    assert kid.startswith("k1-") and len(kid) == 15
    assert kid[3:] not in MASTER.hex()
    assert crypto.key_id(_key()) != kid


# -- pseudonyms ---------------------------------------------------------------------------------


def _reference(key: bytes, value: str, encoding: str, bits: int) -> str:
    digest = hmac.new(key, value.encode(), hashlib.sha256).digest()[: bits // 8]
    if encoding == "hex":
        return digest.hex()
    if encoding == "base64url":
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return base64.b32encode(digest).decode().rstrip("=").lower()


@pytest.mark.parametrize("encoding", ["hex", "base64url", "base32"])
@pytest.mark.parametrize("bits", [128, 136, 160, 192, 248, 256])
def test_pseudonymize_equals_reference_hmac_encoding(encoding: str, bits: int) -> None:
    key = _key()
    values = ["010-1234-5678", "", "홍길동", "a@example.com", *_phones(40)]
    out = crypto.pseudonymize(key, pa.array(values), encoding=encoding, bits=bits)  # type: ignore[arg-type]
    assert out.to_pylist() == [_reference(key, v, encoding, bits) for v in values]
    assert len({len(p) for p in out.to_pylist()}) == 1  # no length leak (R7)


@given(
    st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=30), st.sampled_from([16, 17, 20, 32])
)
@settings(max_examples=60, deadline=None)
def test_vectorised_encoding_matches_base64_module(rows: list[bytes], width: int) -> None:
    matrix = np.array([list((r + bytes(width))[:width]) for r in rows], dtype=np.uint8)
    for encoding in ("hex", "base64url", "base32"):
        encoded = crypto.encode_matrix(matrix, encoding)
        for row, text in zip(matrix, encoded, strict=True):
            raw = bytes(row)
            expected = {
                "hex": raw.hex(),
                "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
                "base32": base64.b32encode(raw).decode().rstrip("=").lower(),
            }[encoding]
            assert bytes(text).decode() == expected


def test_nulls_stay_null_and_string_types_are_kept() -> None:
    key = _key()
    for typ in (pa.string(), pa.large_string()):
        values = pa.array(["01012345678", None, "01087654321", None], typ)
        out = crypto.pseudonymize(key, values)
        assert out.type == typ
        assert out.null_count == 2 and out.is_null().to_pylist() == [False, True, False, True]
        out.validate(full=True)
    sliced = pa.array(_phones(10)).slice(3, 4)
    assert (
        crypto.pseudonymize(key, sliced).to_pylist()
        == crypto.pseudonymize(key, pa.array(_phones(10)[3:7])).to_pylist()
    )


def test_chunked_arrays_map_chunk_by_chunk() -> None:
    key = _key()
    chunked = pa.chunked_array([pa.array(_phones(3)), pa.array(_phones(2, 3))])
    out = crypto.pseudonymize(key, chunked)
    assert isinstance(out, pa.ChunkedArray) and out.num_chunks == 2
    assert out.to_pylist() == crypto.pseudonymize(key, pa.array(_phones(5))).to_pylist()


def test_native_and_python_paths_agree() -> None:
    key = _key()
    values = pa.array([*_phones(500), None, "", "é" * 70, "x" * 200])
    a = crypto.pseudonymize(key, values)
    b = crypto.pseudonymize(key, values, force_python=True)
    assert a.equals(b)


def test_pseudonyms_are_deterministic_per_key() -> None:
    values = pa.array(_phones(1000))
    assert crypto.pseudonymize(_key(), values).equals(crypto.pseudonymize(_key(), values))


def test_different_recipients_get_unlinkable_pseudonyms() -> None:
    """R8: 10,000 identifiers sent to two recipients share no pseudonym."""
    values = pa.array(_phones(10_000))
    a = set(crypto.pseudonymize(_key("alipay"), values).to_pylist())
    b = set(crypto.pseudonymize(_key("naver"), values).to_pylist())
    c = set(crypto.pseudonymize(_key("alipay", purpose="marketing"), values).to_pylist())
    assert len(a) == len(b) == len(c) == 10_000
    assert not a & b and not a & c and not b & c


def test_pseudonymize_refuses_short_keys_and_bad_lengths() -> None:
    with pytest.raises(KeyMaterialError) as err:
        crypto.pseudonymize(b"0123456789", pa.array(["x"]))
    assert "datacustoms keys create" in (err.value.hint or "")
    with pytest.raises(UsageError):
        crypto.pseudonymize(_key(), pa.array(["x"]), bits=64)
    with pytest.raises(UsageError):
        crypto.pseudonymize(_key(), pa.array(["x"]), bits=130)
    with pytest.raises(UsageError):
        crypto.pseudonymize(_key(), pa.array(["x"]), encoding="base58")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        crypto.pseudonymize(_key(), pa.array([1, 2]))


def test_translation_table_rekeys_pseudonyms_from_the_source() -> None:
    old, new = (
        _key(),
        crypto.derive_key(bytes(range(32)), recipient="alipay", purpose="nsf", operation="pseudonymize"),
    )
    source = pa.array([*_phones(50), None, "01000000001"])
    table = crypto.pseudonym_translation(old, new, source)
    mapping = dict(zip(table["old"].to_pylist(), table["new"].to_pylist(), strict=True))
    assert len(mapping) == 50
    old_p = crypto.pseudonymize(old, pa.array(_phones(50))).to_pylist()
    new_p = crypto.pseudonymize(new, pa.array(_phones(50))).to_pylist()
    assert [mapping[p] for p in old_p] == new_p


# -- tokens -------------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(st.lists(st.one_of(st.none(), TEXT), max_size=25))
@settings(max_examples=80, deadline=None)
def test_tokenize_detokenize_round_trip(values: list[str | None]) -> None:
    key = _key(operation="tokenize")
    for typ in (pa.string(), pa.large_string()):
        tokens = crypto.tokenize(key, pa.array(values, typ), column="phone")
        assert tokens.type == typ
        assert crypto.detokenize(key, tokens, column="phone").to_pylist() == values


def test_tokens_are_deterministic_padded_and_bound_to_column() -> None:
    key = _key(operation="tokenize")
    values = pa.array(["010-1234-5678", "010-1234-5678", "01012345678", "a"])
    tokens = crypto.tokenize(key, values, column="phone").to_pylist()
    assert tokens[0] == tokens[1] and tokens[0] != tokens[2]
    assert len({len(t) for t in tokens}) == 1  # 13, 13, 11 and 1 bytes share one 16-byte bucket
    assert all("=" not in t and "+" not in t and "/" not in t for t in tokens)
    assert "1234" not in "".join(tokens)
    with pytest.raises(KeyMaterialError):
        crypto.detokenize(key, pa.array(tokens), column="email")


def test_detokenize_with_wrong_key_or_tampered_token_fails_cleanly() -> None:
    key = _key(operation="tokenize")
    other = _key(recipient="naver", operation="tokenize")
    secret_value = "010-9876-5432"
    tokens = crypto.tokenize(key, pa.array(["x", secret_value]), column="phone")
    with pytest.raises(KeyMaterialError) as err:
        crypto.detokenize(other, tokens, column="phone")
    text = err.value.one_line()
    assert "row 1" in text and crypto.key_id(other) in text
    assert secret_value not in text and key.hex() not in text and other.hex() not in text
    tok = tokens[1].as_py()
    tampered = tok[:-2] + ("A" if tok[-2] != "A" else "B") + tok[-1]
    with pytest.raises(KeyMaterialError) as err2:
        crypto.detokenize(key, pa.array([tampered]), column="phone")
    assert secret_value not in err2.value.one_line()
    with pytest.raises(KeyMaterialError):
        crypto.detokenize(key, pa.array(["not base64 ***"]), column="phone")


def test_token_key_must_be_an_aes_siv_key() -> None:
    with pytest.raises(KeyMaterialError):
        crypto.tokenize(b"x" * 16, pa.array(["a"]), column="c")


def test_retokenize_moves_tokens_to_the_new_key() -> None:
    old = _key(operation="tokenize")
    new = crypto.derive_key(bytes(range(32)), recipient="alipay", purpose="nsf", operation="tokenize")
    values = pa.array(["a", None, "010-1111-2222"])
    moved = crypto.retokenize(old, new, crypto.tokenize(old, values, column="c"), column="c")
    assert moved.equals(crypto.tokenize(new, values, column="c"))
    assert crypto.detokenize(new, moved, column="c").to_pylist() == values.to_pylist()


# -- FF1 ----------------------------------------------------------------------------------------


@given(st.lists(st.one_of(st.none(), st.integers(0, 10**8 - 1)), max_size=20))
@settings(max_examples=40, deadline=None)
def test_fpe_round_trip_keeps_the_phone_shape(numbers: list[int | None]) -> None:
    key = _key(operation="fpe")
    values = [None if n is None else f"010-{n // 10**4:04d}-{n % 10**4:04d}" for n in numbers]
    enc = crypto.fpe_encrypt(key, pa.array(values, pa.string()), column="phone", keep_prefix=3)
    for before, after in zip(values, enc.to_pylist(), strict=True):
        if before is None:
            assert after is None
        else:
            assert after is not None and after.startswith("010-") and len(after) == 13
            assert after[8] == "-" and after.replace("-", "").isdigit()
    dec = crypto.fpe_decrypt(key, enc, column="phone", keep_prefix=3)
    assert dec.to_pylist() == values


def test_fpe_is_a_permutation_on_a_small_domain() -> None:
    key = _key(operation="fpe")
    values = pa.array([f"{i:06d}" for i in range(0, 10**6, 997)])
    enc = crypto.fpe_encrypt(key, values, column="pin")
    assert len(set(enc.to_pylist())) == len(values)
    assert enc.to_pylist() != values.to_pylist()


def test_fpe_tweak_defaults_to_column_and_changes_output() -> None:
    key = _key(operation="fpe")
    values = pa.array(["01012345678"])
    a = crypto.fpe_encrypt(key, values, column="phone").to_pylist()
    b = crypto.fpe_encrypt(key, values, column="mobile").to_pylist()
    c = crypto.fpe_encrypt(key, values, column="x", tweak=b"phone").to_pylist()
    assert a != b and a == c


def test_fpe_refuses_short_values_without_echoing_them() -> None:
    key = _key(operation="fpe")
    with pytest.raises(InputError) as err:
        crypto.fpe_encrypt(key, pa.array(["01012345678", "010-99"]), column="phone", keep_prefix=3)
    assert "row 2" in err.value.message and "99" not in err.value.message
    with pytest.raises(UsageError):
        crypto.fpe_encrypt(key, pa.array(["12345678"]), column="c", alphabet="0011")


def test_refpe_rekeys_in_memory() -> None:
    old, new = _key(operation="fpe"), _key(recipient="naver", operation="fpe")
    values = pa.array(["010-1234-5678", None])
    moved = crypto.refpe(
        old, new, crypto.fpe_encrypt(old, values, column="p", keep_prefix=3), column="p", keep_prefix=3
    )
    assert moved.equals(crypto.fpe_encrypt(new, values, column="p", keep_prefix=3))


@pytest.mark.parametrize("force_python", [True, False])
def test_digests_keep_nulls_on_sliced_arrays(force_python: bool) -> None:
    key = _key()
    values = pa.array(["a", None, "b", "c"]).slice(1)
    digests = crypto.hmac_sha256_digests(key, values, force_python=force_python)
    digests.validate(full=True)
    assert digests.null_count == 1 and digests[0].as_py() is None
    assert digests[1].as_py() == hmac.new(key, b"b", hashlib.sha256).digest()


# -- fast paths: C hex output and dictionary columns ---------------------------------------------


@pytest.mark.parametrize("bits", [128, 136, 256])
@pytest.mark.parametrize("text_type", [pa.string(), pa.large_string()])
def test_native_hex_path_equals_the_general_path(bits: int, text_type: pa.DataType) -> None:
    key = _key()
    values = pa.array([*_phones(40), None, "", "한국어", "x" * 120, None], text_type).slice(1)
    fast = crypto.pseudonymize(key, values, encoding="hex", bits=bits)
    plain = crypto.pseudonymize(key, values, encoding="hex", bits=bits, force_python=True)
    assert fast.type == plain.type == text_type
    assert fast.to_pylist() == plain.to_pylist()
    expected = [None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[: bits // 4]
                for v in values.to_pylist()]  # fmt: skip
    assert fast.to_pylist() == expected


@pytest.mark.parametrize("encoding", ["hex", "base64url", "base32"])
def test_dictionary_column_gives_the_same_pseudonyms_as_the_plain_column(encoding: str) -> None:
    from datacustoms.policy import Pseudonymize
    from datacustoms.protect.operators.pseudonymize import pseudonymize_values

    key = _key()
    rows = [f" 010{i % 7:08d}" if i % 5 else None for i in range(60)] + ["  ", "010-1234-5678"]
    plain = pa.array(rows, pa.string())
    encoded = plain.dictionary_encode()
    assert pa.types.is_dictionary(encoded.type) and len(encoded.dictionary) < len(encoded)
    for how in ("trim", "digits", "none"):
        act = Pseudonymize(action="pseudonymize", encoding=encoding, normalize=how)
        got = pseudonymize_values(key, encoded, act)
        want = pseudonymize_values(key, plain, act)
        assert got.type == want.type
        assert got.to_pylist() == want.to_pylist(), how
    direct = crypto.pseudonymize(key, encoded, encoding=encoding)
    assert direct.to_pylist() == crypto.pseudonymize(key, plain, encoding=encoding).to_pylist()
