"""The ledger, consent and transfer commands: exit codes, one-line errors, exports, lookup."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_ledger_transfer import CONSENTS, INPUT, write_policy
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.ledger.chain import Entry, verify_chain

runner = CliRunner()


@pytest.fixture()
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: str) -> Path:
    monkeypatch.setenv("DC_TEST_TRANSFER_KEY", "5e0d9c2b7a4f81e3c6d0b9a8f7e6d5c4b3a29180f7e6d5c4b3a2918077665544")
    (tmp_path / "in.csv").write_text(INPUT, encoding="utf-8")
    (tmp_path / "consents.csv").write_text(CONSENTS, encoding="utf-8")
    write_policy(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_consent_transfer_lookup_verify_export(setup: Path, ledger_url: str) -> None:
    code, out, _ = run("consent", "import", str(setup / "consents.csv"), "--ledger", ledger_url)
    assert code == 0 and "5 new" in out
    code, out, err = run(
        "transfer",
        str(setup / "in.csv"),
        "--policy",
        str(setup / "policy.yaml"),
        "-o",
        str(setup / "out.parquet"),
        "--ledger",
        ledger_url,
        "--no-attack",
        "--report",
        str(setup / "report.html"),
    )
    assert code == 0, err
    assert out.startswith("SENT") and (setup / "out.parquet").is_file()
    page = (setup / "report.html").read_text(encoding="utf-8")
    assert "SENT" in page and "https://" not in page and "Transfer record" in page
    assert 'id="scope"' in page  # the proof's assumptions: the columns its risk figures measured
    code, out, _ = run("ledger", "lookup", "--phone", "+82 10-1234-5678", "--ledger", ledger_url, "--json")
    found = json.loads(out)
    assert code == 0 and found["subject"] == "010-****-5678" and len(found["transfers"]) == 1
    assert found["transfers"][0]["recipient"] == "Alipay Singapore" and "phone" in found["transfers"][0]["fields"]
    code, out, _ = run("ledger", "lookup", "--email", "nobody@example.com", "--ledger", ledger_url)
    assert code == 0 and "No recorded transfer" in out
    code, out, _ = run("ledger", "verify", "--ledger", ledger_url)
    assert code == 0 and out.startswith("ok: 2 entries")
    code, head, _ = run("ledger", "head", "--ledger", ledger_url)
    code, out, _ = run("ledger", "verify", "--ledger", ledger_url, "--expect-head", head.split()[0])
    assert code == 0
    code, out, _ = run("ledger", "show", "2", "--ledger", ledger_url)
    assert code == 0 and json.loads(out)["body"]["status"] == "sent"
    code, out, _ = run("ledger", "list", "--ledger", ledger_url)
    assert code == 0 and "transfer" in out
    # the JSON export verifies on its own, away from the database
    target = setup / "ledger.json"
    assert run("ledger", "export", "--format", "json", "-o", str(target), "--ledger", ledger_url)[0] == 0
    doc = json.loads(target.read_text(encoding="utf-8"))
    entries = [
        Entry(e["seq"], e["kind"], e["created"], e["body"], e["prev_hash"], e["entry_hash"]) for e in doc["entries"]
    ]
    assert verify_chain(entries, doc["head"]).ok and doc["head"] == head.split()[0]
    code, out, _ = run("ledger", "export", "--format", "csv", "--ledger", ledger_url)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["kind"] for r in rows] == ["consent_import", "transfer"]
    assert rows[1]["recipient.country"] == "SG" and rows[1]["consent.rows_dropped"] == "3"


def test_refused_transfer_exits_1_and_verify_detects_tampering(setup: Path, ledger_url: str, raw_sql) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        "transfer",
        str(setup / "in.csv"),
        "--policy",
        str(setup / "policy.yaml"),
        "-o",
        str(setup / "out.csv"),
        "--ledger",
        ledger_url,
        "--no-attack",
        "--strict",
        "--format",
        "json",
    )
    assert code == 1 and json.loads(out)["status"] == "refused" and not (setup / "out.csv").exists()
    raw_sql("UPDATE dc_entries SET body = REPLACE(body, :a, :b)", a='"refused"', b='"sent"')
    code, _, err = run("ledger", "verify", "--ledger", ledger_url)
    assert code == 1 and "edited" in err and "entry 1" in err and "Traceback" not in err


def test_bad_input_is_one_line_exit_2(setup: Path, ledger_url: str, tmp_path: Path) -> None:
    code, _, err = run("ledger", "lookup", "--phone", "12", "--ledger", ledger_url)
    assert code == 2 and err.count("\n") == 1 and "not a phone number" in err
    code, _, err = run("ledger", "lookup", "--ledger", ledger_url)
    assert code == 2 and "exactly one" in err
    assert run("consent", "import", str(setup / "consents.csv"), "--ledger", ledger_url)[0] == 0
    code, _, err = run("ledger", "show", "999", "--ledger", ledger_url)
    assert code == 2 and "no ledger entry" in err
    code, _, err = run("ledger", "list", "--ledger", str(tmp_path / "missing" / "nope.db"))
    assert code == 2 and "no ledger" in err
    code, _, err = run(
        "transfer",
        str(setup / "in.csv"),
        "--policy",
        str(setup / "policy.yaml"),
        "-o",
        str(setup / "out.txt"),
        "--ledger",
        ledger_url,
    )
    assert code == 2 and ".parquet or .csv" in err
    code, _, err = run("ledger", "list", "--ledger", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert code == 2 and "cannot open the ledger" in err


def test_destruction_is_recorded_and_shown_by_lookup(setup: Path, ledger_url: str) -> None:
    assert run("consent", "import", str(setup / "consents.csv"), "--ledger", ledger_url)[0] == 0
    code, _, err = run("transfer", str(setup / "in.csv"), "--policy", str(setup / "policy.yaml"),
                       "-o", str(setup / "out.csv"), "--ledger", ledger_url, "--no-attack")
    assert code == 0, err
    receipt = setup / "certificate.pdf"
    receipt.write_bytes(b"%PDF destruction certificate")
    code, out, err = run("ledger", "destroyed", "2", "--on", "2026-01-31", "--method", "secure erase",
                         "--confirmed-by", "recipient DPO", "--receipt", str(receipt), "--ledger", ledger_url)
    assert code == 0 and "destroyed on 2026-01-31" in out, err
    code, _, err = run("ledger", "destroyed", "2", "--on", "2026-01-31", "--method", "again",
                       "--confirmed-by", "x", "--ledger", ledger_url)
    assert code == 2 and "already recorded" in err
    code, _, err = run("ledger", "destroyed", "1", "--on", "2026-01-31", "--method", "m",
                       "--confirmed-by", "x", "--ledger", ledger_url)
    assert code == 2 and "not a sent transfer" in err
    code, _, err = run("ledger", "destroyed", "2", "--on", "2999-01-01", "--method", "m",
                       "--confirmed-by", "x", "--ledger", ledger_url)
    assert code == 2 and "future" in err
    code, out, _ = run("ledger", "lookup", "--phone", "010-1234-5678", "--json", "--ledger", ledger_url)
    assert json.loads(out)["transfers"][0]["destroyed_on"] == "2026-01-31"
    code, out, _ = run("ledger", "show", "3", "--ledger", ledger_url)
    body = json.loads(out)["body"]
    assert body["receipt_name"] == "certificate.pdf" and len(body["receipt_sha256"]) == 64
    assert run("ledger", "verify", "--ledger", ledger_url)[0] == 0
