"""Keystore permissions, rotation, keys from the environment, weak-key refusal, the audit log."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from pathlib import Path

import pytest

from datacustoms.errors import KeyMaterialError, LedgerTampered, UsageError
from datacustoms.protect import crypto, keys
from datacustoms.protect.keys import AuditLog, Keystore

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def store(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "cfg" / "keystore.json")


@posix_only
def test_keystore_is_created_0600_in_a_0700_folder(store: Keystore) -> None:
    info = store.create("alipay-nsf")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert info.id.startswith("k1-") and info.version == 1 and info.status == "active"
    master = store.active("alipay-nsf")
    assert len(master.material) == 32 and crypto.key_id(master.material) == info.id
    assert master.material.hex() not in repr(master)
    leftovers = [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_keystore_readable_by_others_is_refused(store: Keystore, mode: int) -> None:
    store.create("k")
    os.chmod(store.path, mode)
    with pytest.raises(KeyMaterialError) as err:
        store.active("k")
    assert str(store.path) in err.value.message
    assert f"chmod 600 {store.path}" in (err.value.hint or "")
    material = json.loads(store.path.read_text())["keys"][0]["key"]
    assert material not in err.value.one_line()


def test_keys_are_random_256_bit_and_names_unique(store: Keystore) -> None:
    store.create("alipay")
    store.create("naver")
    assert store.active("alipay").material != store.active("naver").material
    with pytest.raises(KeyMaterialError, match="already exists"):
        store.create("alipay")
    with pytest.raises(UsageError):
        store.create("bad name!")
    with pytest.raises(KeyMaterialError, match="Did you mean 'alipay'"):
        store.active("alipya")


def test_rotation_keeps_the_old_version_retired(store: Keystore) -> None:
    first = store.create("acme")
    second = store.rotate("acme")
    assert second.version == 2 and second.rotated_from == first.id
    infos = {i.version: i for i in store.list()}
    assert infos[1].status == "retired" and infos[1].retired
    assert infos[2].status == "active"
    assert store.active("acme").id == second.id
    assert [m.id for m in store.versions("acme")] == [second.id, first.id]
    assert store.by_id(first.id).status == "retired"
    third = store.rotate("acme")
    assert [m.version for m in store.versions("acme")] == [3, 2, 1]
    assert third.rotated_from == second.id


def test_resolve_key_from_keystore_and_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ks.json"
    monkeypatch.setenv(keys.ENV_KEYSTORE, str(path))
    assert keys.default_keystore_path() == path
    Keystore().create("acme")
    assert keys.resolve_key("acme") == keys.resolve_key("keystore:acme", keystore=path)
    assert keys.resolve_master_key("acme").name == "acme"


def test_damaged_or_foreign_keystore_is_refused(store: Keystore) -> None:
    store.create("k")
    doc = json.loads(store.path.read_text())
    doc["keys"][0]["key"] = secrets.token_hex(32)
    store.path.write_text(json.dumps(doc))
    with pytest.raises(KeyMaterialError, match="damaged"):
        store.active("k")
    store.path.write_text("[]")
    with pytest.raises(KeyMaterialError, match="not a datacustoms keystore"):
        store.list()


# -- keys from the environment (R5) -------------------------------------------------------------


def test_env_key_hex_and_base64(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = secrets.token_bytes(32)
    monkeypatch.setenv("DC_KEY", raw.hex())
    assert keys.resolve_key("env:DC_KEY") == raw
    monkeypatch.setenv("DC_KEY", base64.b64encode(raw).decode())
    assert keys.resolve_key("env:DC_KEY") == raw
    monkeypatch.setenv("DC_KEY", base64.urlsafe_b64encode(raw).decode().rstrip("="))
    assert keys.resolve_key("env:DC_KEY") == raw
    short = secrets.token_bytes(16)
    monkeypatch.setenv("DC_KEY", short.hex())
    assert keys.resolve_key("env:DC_KEY") == short
    assert keys.resolve_master_key("env:DC_KEY").id == crypto.key_id(short)


def test_env_key_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DC_NOPE", raising=False)
    with pytest.raises(KeyMaterialError, match="DC_NOPE is not set"):
        keys.resolve_key("env:DC_NOPE")


WEAK = {
    "short": secrets.token_hex(8),  # 64 bits
    "word": "password",
    "words": "CorrectHorseBatteryStaple2024xyz",
    "date": "20240101",
    "iso-date": "2024-01-01",
    "repeated-date": "20240101202401012024010120240101",
    "column": "phone_number",
    "column-b64": "PhoneNumberPhoneNumberPhone",
    "passphrase": "Tr0ub4dor&3",
    "sequence": "0123456789abcdef0123456789abcdef",
    "repeats": "00000000000000000000000000000000",
    "ab-pattern": "abababababababababababababababab",
}


@pytest.mark.parametrize("name", list(WEAK))
def test_weak_env_keys_are_refused_and_never_echoed(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    value = WEAK[name]
    monkeypatch.setenv("DC_KEY", value)
    with pytest.raises(KeyMaterialError) as err:
        keys.resolve_key("env:DC_KEY", column_names=["phone_number", "email", "signup_date"])
    text = err.value.one_line()
    assert value not in text and value.lower() not in text.lower()
    assert "DC_KEY" in text
    assert "datacustoms keys create" in text or "openssl rand" in text


def test_refusal_reasons_name_the_problem() -> None:
    cols = ["phone_number"]
    assert "column name" in (keys.text_weakness("phone_number", cols) or "")
    assert "date" in (keys.text_weakness("2024-01-01") or "")
    assert "word" in (keys.text_weakness("password") or "")
    with pytest.raises(KeyMaterialError, match="128"):
        keys.parse_key_text(secrets.token_hex(15))


def test_random_keys_pass_the_weak_key_checks() -> None:
    for _ in range(300):
        assert keys.text_weakness(secrets.token_hex(16)) is None
        assert keys.text_weakness(secrets.token_hex(32)) is None
        assert keys.text_weakness(base64.b64encode(secrets.token_bytes(16)).decode()) is None
        keys.check_key_material(secrets.token_bytes(16))


def test_byte_keys_that_are_really_text_are_refused() -> None:
    with pytest.raises(KeyMaterialError, match="passphrase"):
        keys.check_key_material(b"passwordpassword")
    with pytest.raises(KeyMaterialError, match="passphrase"):
        keys.check_key_material(b"phone_number_key", column_names=["phone_number"])
    with pytest.raises(KeyMaterialError, match="distinct"):
        keys.check_key_material(bytes(32))
    with pytest.raises(KeyMaterialError, match="128"):
        keys.check_key_material(secrets.token_bytes(15))


def test_secret_never_in_exception_text(store: Keystore, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = secrets.token_bytes(12)  # too short
    monkeypatch.setenv("DC_KEY", raw.hex())
    with pytest.raises(KeyMaterialError) as err:
        keys.resolve_key("env:DC_KEY")
    assert raw.hex() not in str(err.value) and raw.hex() not in err.value.one_line()
    with pytest.raises(KeyMaterialError) as err2:
        crypto.pseudonymize(raw, __import__("pyarrow").array(["x"]))
    assert raw.hex() not in str(err2.value)


# -- audit log (R20) ----------------------------------------------------------------------------


@posix_only
def test_audit_log_is_hash_chained_and_detects_edits(store: Keystore) -> None:
    store.create("acme")
    store.rotate("acme")
    log = store.audit
    assert log.path == store.path.with_name("keystore.audit.jsonl")
    entry = log.append("reveal", rows=3, key_ids=["k1-x"], reason="case 7")
    assert entry["seq"] == 3 and entry["who"] and entry["at"]
    assert log.verify() == 3
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    material = [r["key"] for r in json.loads(store.path.read_text())["keys"]]
    text = log.path.read_text()
    assert not any(m in text for m in material)
    lines = text.splitlines()
    edited = json.loads(lines[2])
    edited["rows"] = 300
    lines[2] = json.dumps(edited, sort_keys=True, separators=(",", ":"))
    log.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LedgerTampered, match="line 3"):
        log.verify()
    log.path.write_text("\n".join(text.splitlines()[1:]) + "\n")  # first line removed
    with pytest.raises(LedgerTampered, match="line 1"):
        AuditLog(log.path).verify()


@posix_only
def test_audit_who_is_the_os_account_not_the_user_variable(store: Keystore, monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    entry = store.audit.append("reveal", rows=1)
    assert entry["who"] == pwd.getpwuid(os.getuid()).pw_name


def test_find_key_material_in_an_export() -> None:
    import pyarrow as pa

    master = secrets.token_bytes(32)
    derived = crypto.derive_key(master, recipient="a", purpose="b", operation="pseudonymize")
    clean = pa.record_batch({"id": ["1", "2"], "note": ["fine", None], "n": [1, 2]})
    leaky = pa.record_batch(
        {
            "id": ["3", "4"],
            "note": [f"key={master.hex().upper()}", "x"],
            "n": [3, 4],
        }
    )
    leaky2 = pa.record_batch({"id": [base64.urlsafe_b64encode(derived).decode(), "6"], "note": ["y", "z"], "n": [5, 6]})
    assert keys.find_key_material([clean], [master, derived]) == {}
    assert keys.find_key_material([clean, leaky, leaky2], [master, derived]) == {"note": 1, "id": 1}
    assert keys.find_key_material([leaky], []) == {}
