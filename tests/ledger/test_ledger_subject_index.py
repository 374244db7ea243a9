"""'Where did my data go?' for hashed exports: the index is built from the sender's own customers table."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.flows.transfer import run_transfer
from datacustoms.ledger import LedgerStore
from datacustoms.synth import generate_kakaopay

POLICY = """
recipient: Alipay Singapore
recipient_country: KR
purpose: NSF score
legal_basis: contract
role: processor
default_action: drop
quasi_identifiers: [balance_category]
columns:
  account_sha256: keep
  balance_category: keep
thresholds: {k: 1, max_risk: 1.0}
record:
  contact: dpo@alipay.example
  role_questions: {purpose: sender, benefit: sender, control: sender}
  subject_categories: [payment customers]
  key_holder: sender
  retention_until: 2027-12-31
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kakao")
    generate_kakaopay(out, customers=400, days=1)
    return out


def _transfer(folder: Path, scenario: Path, subject_table: bool, rows: int = 300) -> tuple[str, object]:
    policy = folder / "policy.yaml"
    text = textwrap.dedent(POLICY)
    if subject_table:
        text += f"  subject_table: {{path: {scenario / 'customers.csv'}, customer_id: account_id}}\n"
    policy.write_text(text, encoding="utf-8")
    export = next((scenario / "export").glob("*.csv"))
    part = folder / "part.csv"
    pacsv.write_csv(pacsv.read_csv(export).slice(0, rows), part)  # only some customers are sent
    url = f"sqlite:///{folder / 'ledger.db'}"
    outcome = run_transfer(str(part), policy, folder / "sent.csv", ledger=url, attack=False)
    return url, outcome


def _customer(scenario: Path, sent: bool) -> dict[str, str]:
    """A customer whose row was (or was not) in the first 300 rows of the export."""
    import hashlib

    customers = pacsv.read_csv(scenario / "customers.csv", convert_options=pacsv.ConvertOptions(
        column_types={"mobile": pa.string(), "rrn": pa.string()})).to_pylist()  # fmt: skip
    export = next((scenario / "export").glob("*.csv"))
    first = set(pacsv.read_csv(export).column("account_sha256").to_pylist()[:300])
    for c in customers:
        if (hashlib.sha256(str(c["account_id"]).encode()).hexdigest() in first) == sent:
            return c
    raise AssertionError("no such customer")


def _lookup(url: str, *args: str) -> tuple[int, dict]:
    res = CliRunner().invoke(app, ["ledger", "lookup", *args, "--ledger", url, "--json"])
    return res.exit_code, json.loads(res.stdout)


def test_hashed_export_is_indexed_through_the_subject_table(tmp_path: Path, scenario: Path) -> None:
    url, outcome = _transfer(tmp_path, scenario, subject_table=True)
    record = outcome.record  # type: ignore[attr-defined]
    assert record.status == "sent" and record.subjects_indexed > 0
    source = record.subject_index.sources[0]
    assert source.column == "account_sha256" and source.rows_matched == 300 and source.rows_unmatched == 0
    assert "sha256" in source.how and "account_id" in source.how
    c = _customer(scenario, sent=True)
    for flag, value in (("--phone", c["mobile"]), ("--email", c["email"]), ("--rrn", c["rrn"]),
                        ("--customer-id", str(c["account_id"]))):  # fmt: skip
        code, data = _lookup(url, flag, value)
        assert code == 0 and data["complete"] and len(data["transfers"]) == 1, flag
    code, data = _lookup(url, "--phone", _customer(scenario, sent=False)["mobile"])
    assert code == 0 and data["transfers"] == [] and data["complete"]  # known: not sent
    with LedgerStore(url) as store:
        assert store.verify().ok
        tokens = store.subject_tokens(outcome.entry.seq)  # type: ignore[attr-defined]
    assert c["mobile"] not in "".join(tokens) and str(c["account_id"]) not in "".join(tokens)  # keyed only


def test_without_a_subject_table_lookup_never_answers_none(tmp_path: Path, scenario: Path) -> None:
    url, outcome = _transfer(tmp_path, scenario, subject_table=False)
    record = outcome.record  # type: ignore[attr-defined]
    assert record.status == "sent" and record.subjects_indexed == 0
    assert [n.column for n in record.subject_index.not_indexed] == ["account_sha256"]
    code, data = _lookup(url, "--phone", _customer(scenario, sent=True)["mobile"])
    assert code == 1 and not data["complete"] and data["transfers"] == []
    assert "subject_table" in data["not_indexed"][0]["reasons"][0]
    text = CliRunner().invoke(app, ["ledger", "lookup", "--phone", _customer(scenario, sent=True)["mobile"],
                                    "--ledger", url]).stdout  # fmt: skip
    assert "No recorded transfer" not in text and "could not be" in text
