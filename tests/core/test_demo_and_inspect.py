"""End to end: the demo's story holds, and `inspect` gates an export the way a pipeline uses it."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path

import pytest

from datacustoms.cli import app
from datacustoms.flows.demo import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("demo") / "run"
    lines: list[str] = []
    result = run_demo(out, customers=400, days=2, seed=7, budget=40, say=lines.append)
    return result, lines


def test_demo_reverses_phones_and_accounts_and_refuses_the_declared_transfer(demo) -> None:  # type: ignore[no-untyped-def]
    result, lines = demo
    assert result.phone_reversed_share >= 0.97  # the 010 range; legacy 01X numbers are the rest
    assert result.account_reversed_share == 1.0
    assert 0.05 < result.email_linked_share < 0.4  # the recipient holds about a fifth of the e-mails
    assert result.export_report.verdict == "fail"
    text = "\n".join(lines)
    assert "REFUSED" in text and "k: 1 → 5" in text
    assert "0% reversible" in text
    assert "daily exports share one hash per person" in text


def test_demo_never_prints_recovered_numbers(demo) -> None:  # type: ignore[no-untyped-def]
    result, lines = demo
    import pyarrow.csv as pacsv

    customers = pacsv.read_csv(result.folder / "customers.csv").column("mobile").to_pylist()
    text = "\n".join(lines) + (result.folder / "export-report.json").read_text(encoding="utf-8")
    assert not any(str(m) in text for m in customers[:400])


def test_demo_writes_offline_html(demo) -> None:  # type: ignore[no-untyped-def]
    result, _ = demo
    page = result.files["export_html"].read_text(encoding="utf-8")
    assert "FAIL" in page.upper()
    assert "http://" not in page and "https://" not in page.replace("https://json-schema.org", "")


def _export(tmp_path: Path, keyed: bool) -> Path:
    key = secrets.token_bytes(32)
    path = tmp_path / ("keyed.csv" if keyed else "plain.csv")
    with path.open("w") as fh:
        fh.write("phone_hash,joined\n")
        for i in range(300):
            phone = f"0102{i:03d}{i * 7 % 10000:04d}".encode()
            digest = hmac.new(key, phone, "sha256").hexdigest() if keyed else hashlib.sha256(phone).hexdigest()
            fh.write(f"{digest},2020-01\n")
    return path


def test_inspect_gate_exit_codes_and_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    plain = runner.invoke(
        app, ["inspect", str(_export(tmp_path, keyed=False)), "--format", "json", "--attack-budget", "60"]
    )
    assert plain.exit_code == 1, plain.output
    report = json.loads(plain.output)
    assert report["verdict"] == "fail"
    attack = report["attacks"][0]
    assert attack["status"] == "reversed" and attack["rows_reversed"] == 300
    assert any(c["rule"] == "R2" and c["status"] == "fail" for c in report["checks"])
    keyed = runner.invoke(
        app, ["inspect", str(_export(tmp_path, keyed=True)), "--format", "json", "--attack-budget", "5"]
    )
    # 5 s cannot finish the cheap keyspaces (010 mobiles in every format, serials, RRNs): an unfinished
    # search proves nothing, so the keyed column fails R2 as "not proven safe", never "0% reversible"
    assert keyed.exit_code == 1, keyed.output
    doc = json.loads(keyed.output)
    assert doc["attacks"][0]["status"] == "incomplete"
    assert doc["attacks"][0]["reason"].startswith("not reversed within the budget; covered: ")
    assert any(c["rule"] == "R2" and c["message"].startswith("not proven safe") for c in doc["checks"])


def test_inspect_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for args in (
        ["inspect", str(tmp_path / "missing.csv")],
        ["inspect", str(empty)],
        ["inspect", str(empty), "--attack-budget", "-1"],
    ):
        proc = subprocess.run([sys.executable, "-m", "datacustoms", *args], capture_output=True, text=True)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
        assert "Traceback" not in proc.stderr


def test_inspect_output_file_is_written_atomically(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["inspect", str(_export(tmp_path, keyed=True)), "-f", "json", "-o", str(out), "--no-attack"]
    )
    assert result.exit_code == 0
    assert json.loads(out.read_text())["source"]["rows"] == 300
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
