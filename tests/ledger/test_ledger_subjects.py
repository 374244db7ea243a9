"""Keyed subject hashes: known answers, one canonical form per phone, the key file, a wrong key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datacustoms.errors import KeyMaterialError
from datacustoms.ledger import LedgerStore
from datacustoms.ledger.keys import KEY_ENV, key_check_value, parse_key
from datacustoms.ledger.subjects import (
    SubjectHasher,
    SubjectKind,
    index_digest,
    normalise_email,
    normalise_phone,
)

KEY = bytes(range(32))


def test_known_answers() -> None:
    hasher = SubjectHasher(KEY)
    # HMAC-SHA-256(key=00 01 … 1f, "phone:+821012345678"), pinned
    assert hasher.hash_value("010-1234-5678") == "a15762bfa27179ef8b247d7226e913359443523010c4b024aa2d07fbff1b323b"
    assert hasher.hash_value(" Minsu.Kim@NAVER.com") == (
        "93863287398fe731c477866bc305805a12de59f3ea02152ed57296f1c6916da7"
    )
    assert key_check_value(KEY) == key_check_value(KEY) and key_check_value(KEY) != key_check_value(b"\x01" * 32)
    assert index_digest(["b", "a", "a"]) == index_digest(["a", "b"])


@pytest.mark.parametrize(
    "raw",
    [
        "010-1234-5678",
        "01012345678",
        "+82 10-1234-5678",
        "+821012345678",
        "010 1234 5678",
        "(010) 1234-5678",
        "0082 10 1234 5678",
        "+82 010-1234-5678",
    ],
)
def test_korean_mobile_formats_share_one_canonical_form(raw: str) -> None:
    assert normalise_phone(raw) == "+821012345678"


def test_other_numbers_and_emails() -> None:
    assert normalise_phone("011-234-5678") == "+82112345678"  # legacy 3-digit middle block
    assert normalise_phone("02-123-4567") == "+8221234567"  # Seoul landline
    assert normalise_phone("+1 650-253-0000") == "+16502530000"
    assert normalise_phone("12") is None and normalise_phone("") is None
    assert normalise_email("not an email") is None
    hasher = SubjectHasher(KEY)
    assert hasher.hash_value("010-1234-5678") != hasher.hash_value("010-1234-5679")
    assert hasher.hash_value("nonsense", "phone") is None


def test_key_file_is_private_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    db = tmp_path / "l.db"
    with LedgerStore(str(db)) as store:
        token = store.hasher.hash_value("010-1234-5678")
    key_file = tmp_path / "l.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with LedgerStore(str(db)) as store:
        assert store.hasher.hash_value("01012345678") == token  # same key on reopen
    os.chmod(key_file, 0o644)
    with LedgerStore(str(db)) as store, pytest.raises(KeyMaterialError, match="chmod 600"):
        _ = store.hasher
    os.chmod(key_file, 0o600)
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    with LedgerStore(str(db)) as store, pytest.raises(KeyMaterialError, match="not the one"):
        _ = store.hasher


def test_weak_env_keys_are_refused() -> None:
    with pytest.raises(KeyMaterialError, match="64 bits"):
        parse_key("00" * 8, KEY_ENV)
    with pytest.raises(KeyMaterialError, match="not hexadecimal"):
        parse_key("correct horse battery staple", KEY_ENV)
    assert parse_key("ab" * 16, KEY_ENV) == b"\xab" * 16


def test_server_ledger_needs_the_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from datacustoms.ledger.keys import load_key

    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(KeyMaterialError, match=KEY_ENV):
        load_key(None, create=True)


_ALPHABET = "0123456789" * 3 + "+-() @.abcXYZ\t\v\x1c０é＠"
_FORMS = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=22),
    st.from_regex(r"\A ?(\+82 ?|0082 ?)?0?1[016-9][- ]?[0-9]{3,4}[- ]?[0-9]{4} ?\Z"),
    st.from_regex(r"\A ?[A-Za-z0-9._]{1,8}@[a-zA-Z]{1,6}\.(com|net|kr) ?\Z"),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _FORMS), max_size=40),
       kind=st.sampled_from([None, "phone", "email"]))
def test_batch_path_equals_the_per_value_path(values: list[str | None], kind: SubjectKind | None) -> None:
    """The Arrow + batch-HMAC path must give exactly the tokens of hash_value (consent depends on it)."""
    hasher = SubjectHasher(KEY)
    for array in (pa.array(values, pa.string()), pa.array(values, pa.large_string())):
        assert hasher.hash_array(array, kind) == [None if v is None else hasher.hash_value(v, kind) for v in values]


def test_full_width_digits_normalise() -> None:
    assert normalise_phone("０１０－１２３４－５６７８") == "+821012345678"
