"""``datacustoms keys`` and ``datacustoms reveal`` end to end, with the audit log line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from datacustoms.cli import keys as keys_cli
from datacustoms.cli import reveal as reveal_cli
from datacustoms.protect import crypto
from datacustoms.protect.keys import AuditLog, Keystore

PHONES = ["010-1234-5678", None, "010-9999-0000", "010-1234-5678"]


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    keys_cli.register(application)
    reveal_cli.register(application)

    @application.callback()
    def _root() -> None:  # keeps sub-commands named on a one-command app
        pass

    return application


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATACUSTOMS_KEYSTORE", str(tmp_path / "home" / "keystore.json"))
    return CliRunner()


def _tokens(store: Keystore, name: str, tmp_path: Path, *, purpose: str = "nsf") -> Path:
    master = store.active(name).material
    key = crypto.derive_key(master, recipient="alipay", purpose=purpose, operation="tokenize")
    table = pa.table({"row": [1, 2, 3, 4], "phone": crypto.tokenize(key, pa.array(PHONES), column="phone")})
    path = tmp_path / f"tokens-{purpose}.parquet"
    pq.write_table(table, path)
    return path


def test_keys_create_list_rotate_never_print_material(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    ks = tmp_path / "ks.json"
    created = runner.invoke(app, ["keys", "create", "alipay-nsf", "--keystore", str(ks)])
    assert created.exit_code == 0, created.output
    material = json.loads(ks.read_text())["keys"][0]["key"]
    listed = runner.invoke(app, ["keys", "list", "--keystore", str(ks), "--json"])
    rotated = runner.invoke(app, ["keys", "rotate", "alipay-nsf", "--keystore", str(ks)])
    text_list = runner.invoke(app, ["keys", "list", "--keystore", str(ks)])
    audit = runner.invoke(app, ["keys", "audit", "--keystore", str(ks)])
    for result in (created, listed, rotated, text_list, audit):
        assert result.exit_code == 0, result.output
        assert material not in result.output
    rows = json.loads(listed.output)["keys"]
    assert rows[0]["name"] == "alipay-nsf" and "key" not in rows[0] and "material" not in rows[0]
    assert "retired" in text_list.output and "active" in text_list.output
    assert "2 entries, hash chain intact" in audit.output
    dup = runner.invoke(app, ["keys", "create", "alipay-nsf", "--keystore", str(ks)])
    assert dup.exit_code == 2 and "keys rotate alipay-nsf" in dup.output


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_keys_list_refuses_an_open_keystore(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    ks = tmp_path / "ks.json"
    runner.invoke(app, ["keys", "create", "k", "--keystore", str(ks)])
    os.chmod(ks, 0o644)
    result = runner.invoke(app, ["keys", "list", "--keystore", str(ks)])
    assert result.exit_code == 2 and "chmod 600" in result.output and "Traceback" not in result.output


def test_reveal_round_trip_and_audit_line(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    store = Keystore()
    store.create("acme")
    src = _tokens(store, "acme", tmp_path)
    out = tmp_path / "revealed.csv"
    args = ["reveal", str(src), "--column", "phone", "-o", str(out), "--reason", "fraud case 42",
            "--key-name", "acme", "--recipient", "alipay", "--purpose", "nsf"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    back = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    assert back["phone"].to_pylist() == PHONES
    assert "010-1234-5678" not in result.output
    entry = AuditLog.beside(store.path).entries()[-1]
    assert entry["action"] == "reveal" and entry["reason"] == "fraud case 42"
    assert entry["rows"] == 4 and entry["values"] == {"phone": 3}
    assert entry["key_ids"] == [store.active("acme").id] and entry["who"]
    assert entry["recipient"] == "alipay" and entry["purpose"] == "nsf"
    log_text = AuditLog.beside(store.path).path.read_text()
    assert "010-" not in log_text and store.active("acme").material.hex() not in log_text
    assert AuditLog.beside(store.path).verify() == 2  # key_create, reveal


def test_reveal_after_rotation_uses_the_retired_version(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    store = Keystore()
    old = store.create("acme")
    src = _tokens(store, "acme", tmp_path)
    store.rotate("acme")
    out = tmp_path / "revealed.parquet"
    args = ["reveal", str(src), "-c", "phone", "-o", str(out), "--reason", "audit",
            "--key-name", "acme", "--recipient", "alipay", "--purpose", "nsf"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert pq.read_table(out)["phone"].to_pylist() == PHONES
    assert AuditLog.beside(store.path).entries()[-1]["key_ids"] == [old.id]


def test_reveal_with_wrong_purpose_writes_nothing_and_logs_the_refusal(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    store = Keystore()
    store.create("acme")
    src = _tokens(store, "acme", tmp_path)
    out = tmp_path / "revealed.csv"
    args = ["reveal", str(src), "-c", "phone", "-o", str(out), "--reason", "curious",
            "--key-name", "acme", "--recipient", "alipay", "--purpose", "marketing"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "does not decrypt" in result.output and "Traceback" not in result.output
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    entry = AuditLog.beside(store.path).entries()[-1]
    assert entry["action"] == "reveal_refused" and entry["reason"] == "curious"


def test_reveal_needs_a_reason_and_a_known_column(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    store = Keystore()
    store.create("acme")
    src = _tokens(store, "acme", tmp_path)
    base = ["reveal", str(src), "-o", str(tmp_path / "o.csv"), "--key-name", "acme",
            "--recipient", "alipay", "--purpose", "nsf"]  # fmt: skip
    no_reason = runner.invoke(app, [*base, "-c", "phone", "--reason", "  "])
    assert no_reason.exit_code == 2 and "reason" in no_reason.output
    typo = runner.invoke(app, [*base, "-c", "phnoe", "--reason", "x"])
    assert typo.exit_code == 2 and "Did you mean 'phone'" in typo.output


def test_reveal_fpe_column_with_env_key(
    app: typer.Typer, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = bytes.fromhex("5f0e3c9a7b21d84e6f13a0c9b7e25d48a1f03b6c9d2e7f40b8c1a5d3e9f7026b")
    monkeypatch.setenv("DC_MASTER", master.hex())
    key = crypto.derive_key(master, recipient="alipay", purpose="nsf", operation="fpe")
    phones = ["010-1234-5678", None, "010-0000-0001"]
    enc = crypto.fpe_encrypt(key, pa.array(phones), column="phone", keep_prefix=3)
    src = tmp_path / "fpe.csv"
    pacsv.write_csv(pa.table({"row": [1, 2, 3], "phone": enc}), src)
    out = tmp_path / "plain.jsonl"
    args = ["reveal", str(src), "-c", "phone", "-o", str(out), "--reason", "customer request",
            "--key-name", "env:DC_MASTER", "--recipient", "alipay", "--purpose", "nsf",
            "--method", "fpe", "--keep-prefix", "3"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["phone"] for r in rows] == phones
    entry = AuditLog.beside(Keystore().path).entries()[-1]
    assert entry["method"] == "fpe" and entry["key_ids"] == [crypto.key_id(master)]


def test_keys_list_warns_about_old_active_keys(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    ks = tmp_path / "ks.json"
    runner.invoke(app, ["keys", "create", "old-key", "--keystore", str(ks)])
    runner.invoke(app, ["keys", "create", "new-key", "--keystore", str(ks)])
    doc = json.loads(ks.read_text())
    doc["keys"][0]["created"] = "2023-01-01T00:00:00+00:00"
    ks.write_text(json.dumps(doc))
    os.chmod(ks, 0o600)
    result = runner.invoke(app, ["keys", "list", "--keystore", str(ks)])
    assert result.exit_code == 0
    assert "key old-key is older than 365 days" in result.output
    assert "keys rotate old-key" in result.output and "new-key is older" not in result.output


def test_rekey_tokens_after_rotation(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    store = Keystore()
    old = store.create("acme")
    src = _tokens(store, "acme", tmp_path)
    new = store.rotate("acme")
    out = tmp_path / "rekeyed.parquet"
    args = ["keys", "rekey", str(src), "-c", "phone", "-o", str(out), "--key-name", "acme",
            "--recipient", "alipay", "--purpose", "nsf"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    new_key = crypto.derive_key(store.active("acme").material, recipient="alipay", purpose="nsf", operation="tokenize")
    rekeyed = pq.read_table(out)
    assert rekeyed["phone"].to_pylist() == crypto.tokenize(new_key, pa.array(PHONES), column="phone").to_pylist()
    assert rekeyed["row"].to_pylist() == [1, 2, 3, 4]
    assert pq.read_table(src)["phone"].to_pylist() != rekeyed["phone"].to_pylist()
    entry = AuditLog.beside(store.path).entries()[-1]
    assert entry["action"] == "rekey" and entry["from_key_ids"] == [old.id] and entry["to_key_id"] == new.id
    assert "010-" not in AuditLog.beside(store.path).path.read_text()
    # only the active version is needed to reveal the re-keyed file
    plain = tmp_path / "plain.parquet"
    args = ["reveal", str(out), "-c", "phone", "-o", str(plain), "--reason", "check", "--key-name", "acme",
            "--recipient", "alipay", "--purpose", "nsf", "--key-id", new.id]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    assert pq.read_table(plain)["phone"].to_pylist() == PHONES


def test_rekey_fpe_defaults_to_the_previous_version(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    store = Keystore()
    store.create("acme")
    phones = ["010-1234-5678", None, "010-0000-0001"]
    opts = {"column": "phone", "keep_prefix": 3}

    def fpe_key() -> bytes:
        return crypto.derive_key(store.active("acme").material, recipient="r", purpose="p", operation="fpe")

    src = tmp_path / "fpe.parquet"
    pq.write_table(pa.table({"phone": crypto.fpe_encrypt(fpe_key(), pa.array(phones), **opts)}), src)
    store.rotate("acme")
    out = tmp_path / "fpe2.parquet"
    args = ["keys", "rekey", str(src), "-c", "phone", "-o", str(out), "--key-name", "acme", "--recipient", "r",
            "--purpose", "p", "--method", "fpe", "--keep-prefix", "3"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = crypto.fpe_encrypt(fpe_key(), pa.array(phones), **opts).to_pylist()
    assert pq.read_table(out)["phone"].to_pylist() == expected


def test_rekey_with_wrong_purpose_writes_nothing(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    store = Keystore()
    store.create("acme")
    src = _tokens(store, "acme", tmp_path)
    store.rotate("acme")
    out = tmp_path / "rekeyed.parquet"
    args = ["keys", "rekey", str(src), "-c", "phone", "-o", str(out), "--key-name", "acme",
            "--recipient", "alipay", "--purpose", "other"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and not out.exists()
    assert AuditLog.beside(store.path).entries()[-1]["action"] == "rekey_refused"
