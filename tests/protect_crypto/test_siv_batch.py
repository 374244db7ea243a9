"""Batched AES-SIV equals RFC 5297 and ``cryptography``'s one-message AESSIV; tokens and FF1 values
made in batches equal the one-value-at-a-time definitions on every shape of input."""

from __future__ import annotations

import base64
import os

import numpy as np
import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from datacustoms.errors import InputError
from datacustoms.protect import crypto
from datacustoms.protect.ff1 import FF1
from datacustoms.protect.siv_batch import SivBatch


def test_rfc5297_a1_deterministic_known_answer() -> None:
    key = bytes.fromhex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
    ad = bytes.fromhex("101112131415161718191a1b1c1d1e1f2021222324252627")
    plaintext = np.frombuffer(bytes.fromhex("112233445566778899aabbccddee"), np.uint8)[None, :]
    sealed = SivBatch(key, [ad]).seal(plaintext)
    assert sealed.tobytes().hex() == "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c"


@pytest.mark.parametrize("key_bytes", [32, 48, 64])
def test_every_length_equals_one_message_aessiv(key_bytes: int) -> None:
    """Lengths around the block size (S2V's two branches, CMAC's two subkeys, partial CTR blocks)."""
    rng = np.random.default_rng(key_bytes)
    key, ad = os.urandom(key_bytes), [b"customer_id", b"k1-0123"]
    for length in (1, 15, 16, 17, 31, 32, 33, 48, 100):
        rows = rng.integers(0, 256, (40, length), dtype=np.uint8)
        sealed = SivBatch(key, ad).seal(rows)
        assert [r.tobytes() for r in sealed] == [AESSIV(key).encrypt(r.tobytes(), ad) for r in rows], length


def _one_by_one(key: bytes, values: list[str | None], column: str, pad_block: int) -> list[str | None]:
    ad = [column.encode(), crypto.key_id(key).encode()]
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        raw = v.encode() + b"\x80"
        sealed = AESSIV(key).encrypt(raw + bytes(-len(raw) % pad_block), ad)
        out.append(base64.urlsafe_b64encode(sealed).rstrip(b"=").decode())
    return out


@pytest.mark.parametrize("pad_block", [16, 1, 7, 32])
def test_tokens_equal_the_one_value_definition(pad_block: int) -> None:
    key = os.urandom(64)
    values = ["", "a", "010-1234-5678", None, "x" * 15, "y" * 16, "z" * 40, "010-1234-5678", "한국어 이름", None]
    values += [f"u{i}@example.com" for i in range(300)]
    want = _one_by_one(key, values, "col", pad_block)
    for typ in (pa.string(), pa.large_string()):
        got = crypto.tokenize(key, pa.array(values, typ), column="col", pad_block=pad_block)
        assert got.type == typ and got.to_pylist() == want
    chunked = pa.chunked_array([pa.array(values[:5]), pa.array(values[5:])])
    assert crypto.tokenize(key, chunked, column="col", pad_block=pad_block).to_pylist() == want
    assert crypto.detokenize(key, pa.array(want), column="col").to_pylist() == values


def test_tokens_of_many_rows_and_empty_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several batches of one padded length (the batch limit lowered), and nothing at all."""
    monkeypatch.setattr(crypto, "_TOKEN_ROWS", 100)
    key = os.urandom(64)
    values = [f"{i:09d}" for i in range(1_000)] + [f"{i:020d}" for i in range(250)]
    got = crypto.tokenize(key, pa.array(values), column="customer_id")
    assert got.to_pylist() == _one_by_one(key, values, "customer_id", crypto.TOKEN_PAD_BLOCK)
    assert crypto.tokenize(key, pa.array([], pa.string()), column="c").to_pylist() == []
    assert crypto.tokenize(key, pa.array([None, None], pa.string()), column="c").to_pylist() == [None, None]
    assert crypto.tokenize(key, pa.array([b"\x00\xff"], pa.binary()), column="c").type == pa.string()


def _ff1_one_by_one(key: bytes, values: list[str | None], column: str, alphabet: str, keep: int) -> list[str | None]:
    """FF1 of each value on its own: the alphabet's characters after the first ``keep`` of them."""
    cipher = FF1(key, alphabet=alphabet)
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        spots = [p for p, ch in enumerate(v) if ch in alphabet][keep:]
        enc = cipher.encrypt("".join(v[p] for p in spots), column.encode())
        chars = list(v)
        for p, ch in zip(spots, enc, strict=True):
            chars[p] = ch
        out.append("".join(chars))
    return out


@pytest.mark.parametrize(
    ("alphabet", "keep"), [("0123456789", 0), ("0123456789", 3), ("0123456789abcdef", 2), ("가나다라마바사아자차", 0)]
)
def test_fpe_equals_the_one_value_definition(alphabet: str, keep: int) -> None:
    """Several lengths and patterns of encrypted positions in one batch, characters outside the
    alphabet (dashes, Hangul) kept in place, 19-digit values (past 64 bits), nulls and repeats."""
    key = os.urandom(32)
    pick = alphabet * 3
    values: list[str | None] = [
        pick[:9], "010-" + pick[:4] + "-" + pick[4:8], "+82 " + pick[:9], None, pick[:9], "이름 " + pick[:9],
        pick[:19], "-".join([pick[:3], pick[:6], pick[:5]]), pick[:6] + "한" + pick[:6],
    ]  # fmt: skip
    values += [pick[:30] + "-" + pick[:39], pick[:31] + "-" + pick[:38]]  # one length, two patterns, > 64 bytes
    values += [f"{i:09d}".translate(str.maketrans("0123456789", alphabet[:10])) for i in range(0, 10**8, 997_001)]
    want = _ff1_one_by_one(key, values, "col", alphabet, keep)
    for typ in (pa.string(), pa.large_string()):
        got = crypto.fpe_encrypt(key, pa.array(values, typ), column="col", alphabet=alphabet, keep_prefix=keep)
        assert got.type == typ and got.to_pylist() == want
        back = crypto.fpe_decrypt(key, got, column="col", alphabet=alphabet, keep_prefix=keep)
        assert back.to_pylist() == values


def test_fpe_names_the_first_row_too_short_to_encrypt() -> None:
    values = ["0101234567", "010-12", "12345678", "12"]
    with pytest.raises(InputError, match=r"row 2 of column 'c' has 2 characters to encrypt"):
        crypto.fpe_encrypt(os.urandom(32), pa.array(values), column="c", keep_prefix=3)
    with pytest.raises(InputError, match=r"row 3 of column 'c' has 0 characters"):
        crypto.fpe_encrypt(os.urandom(32), pa.array(["01234567", "01234567", "ab"]), column="c")
