"""FF1 carries no integrity check: after a rotation, reveal must be told which version made the values."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from datacustoms.cli import keys as keys_cli
from datacustoms.cli import reveal as reveal_cli
from datacustoms.protect import crypto
from datacustoms.protect.keys import Keystore

PHONES = ["010-1234-5678", None, "010-0000-0001", "010-5555-1212"]


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    keys_cli.register(application)
    reveal_cli.register(application)

    @application.callback()
    def _root() -> None:
        pass

    return application


def _fpe_file(store: Keystore, tmp_path: Path) -> tuple[Path, bytes]:
    key = crypto.derive_key(store.active("acme").material, recipient="r", purpose="p", operation="fpe")
    src = tmp_path / "fpe.parquet"
    pq.write_table(pa.table({"phone": crypto.fpe_encrypt(key, pa.array(PHONES), column="phone", keep_prefix=3)}), src)
    return src, key


def test_fpe_reveal_after_rotation_refuses_to_guess_then_uses_the_key_id(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATACUSTOMS_KEYSTORE", str(tmp_path / "ks" / "keystore.json"))
    store = Keystore()
    old = store.create("acme")
    src, derived = _fpe_file(store, tmp_path)
    store.rotate("acme")
    out = tmp_path / "plain.parquet"
    base = ["reveal", str(src), "-c", "phone", "-o", str(out), "--reason", "request", "--key-name", "acme",
            "--recipient", "r", "--purpose", "p", "--method", "fpe", "--keep-prefix", "3"]  # fmt: skip
    runner = CliRunner()
    refused = runner.invoke(app, base)
    assert refused.exit_code == 2 and "--key-id" in refused.output and not out.exists()
    assert len(refused.output.strip().splitlines()) == 1
    for key_id in (old.id, crypto.key_id(derived)):  # the version ID, or the derived ID protect prints
        result = runner.invoke(app, [*base, "--key-id", key_id])
        assert result.exit_code == 0, result.output
        assert pq.read_table(out)["phone"].to_pylist() == PHONES
        assert out.stat().st_mode & 0o077 == 0  # plaintext output is owner-only
