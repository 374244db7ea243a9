"""The keystore encrypted at rest: known answers for scrypt and AES key wrap, round trips, wrong passphrase."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.errors import KeyMaterialError
from datacustoms.protect import keywrap
from datacustoms.protect.keys import Keystore


def test_aes_key_wrap_rfc3394_known_answer() -> None:
    """RFC 3394 section 4.6: 256 bits of key data wrapped with a 256-bit KEK."""
    kek = bytes.fromhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
    data = bytes.fromhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
    expected = bytes.fromhex("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21")
    wrapped = keywrap.wrap(kek, data)
    import base64

    assert base64.b64decode(wrapped) == expected
    assert keywrap.unwrap(kek, wrapped) == data


def test_scrypt_rfc7914_known_answer() -> None:
    """RFC 7914 section 12, second vector (first 32 bytes: PBKDF2 output is a prefix)."""
    got = keywrap.kek_from_passphrase("password", b"NaCl", n=1024, r=8, p=16)
    assert got.hex() == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"


def test_encrypt_round_trip_and_wrong_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ks = tmp_path / "ks" / "keystore.json"
    monkeypatch.delenv(keywrap.ENV_PASSPHRASE, raising=False)
    monkeypatch.delenv(keywrap.ENV_PASSPHRASE_FILE, raising=False)
    store = Keystore(ks)
    store.create("acme")
    material = store.active("acme").material
    secret = tmp_path / "pass.txt"
    secret.write_text("correct horse battery staple\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["keys", "encrypt", "--keystore", str(ks), "--passphrase-file", str(secret)])
    assert result.exit_code == 0, result.output
    text = ks.read_text(encoding="utf-8")
    assert material.hex() not in text and '"key"' not in text and json.loads(text)["encryption"]["kek"] == "scrypt"
    monkeypatch.setenv(keywrap.ENV_PASSPHRASE_FILE, str(secret))
    assert Keystore(ks).active("acme").material == material
    monkeypatch.setenv(keywrap.ENV_PASSPHRASE_FILE, str(tmp_path / "none"))
    monkeypatch.setenv(keywrap.ENV_PASSPHRASE, "a wrong passphrase here")
    with pytest.raises(KeyMaterialError, match="wrong passphrase"):
        Keystore(ks).active("acme")
    result = runner.invoke(app, ["keys", "rotate", "acme", "--keystore", str(ks)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    monkeypatch.setenv(keywrap.ENV_PASSPHRASE, "correct horse battery staple")
    Keystore(ks).rotate("acme")  # re-sealed under the same data key
    versions = Keystore(ks).versions("acme")
    assert len(versions) == 2 and versions[1].material == material
    monkeypatch.delenv(keywrap.ENV_PASSPHRASE)
    monkeypatch.delenv(keywrap.ENV_PASSPHRASE_FILE)
    with pytest.raises(KeyMaterialError, match="no passphrase"):
        Keystore(ks).active("acme")


def test_new_keystore_is_encrypted_when_a_passphrase_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keywrap.ENV_PASSPHRASE, "another long passphrase")
    ks = tmp_path / "k.json"
    Keystore(ks).create("k")
    assert keywrap.is_sealed(json.loads(ks.read_text(encoding="utf-8")))
    assert len(Keystore(ks).active("k").material) == 32
