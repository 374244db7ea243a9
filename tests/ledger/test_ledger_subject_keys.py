"""'Where did my data go?' for exports that arrived keyed: HMAC pseudonyms, AES-SIV tokens and FF1.

10,000 customers' rows are protected with a keystore key (``protect``), then transferred as they
are: the subject index is built from the sender's customers table and its keys, so a lookup by the
plaintext phone, RRN or customer ID of a customer whose row was sent returns that transfer, and one
whose row was not returns none — while the ledger holds no identifier in clear.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.flows.transfer import run_transfer
from datacustoms.ledger import LedgerStore
from datacustoms.policy import load_policy
from datacustoms.protect.keys import Keystore
from datacustoms.protect.pipeline import protect_table
from datacustoms.synth import generate_kakaopay
from datacustoms.table import from_arrow

SENT = 10_000
PROTECT = """
recipient: Upstream Lake
purpose: analytics
key: keystore:export-key
default_action: keep
columns:
  mobile: {action: pseudonymize, normalize: digits}
  account_id: tokenize
  rrn: fpe
quasi_identifiers: [province, sex]
thresholds: {k: 1, max_risk: 1.0}
"""
TRANSFER = """
recipient: Upstream Lake
recipient_country: KR
purpose: analytics
legal_basis: contract
role: processor
default_action: drop
columns:
  account_id: keep
  mobile: keep
  rrn: keep
  province: keep
  sex: keep
quasi_identifiers: [province, sex]
thresholds: {k: 1, max_risk: 1.0}
record:
  contact: dpo@lake.example
  role_questions: {purpose: sender, benefit: sender, control: sender}
  subject_categories: [payment customers]
  key_holder: sender
  retention_until: 2027-12-31
  subject_table: {path: customers.csv, customer_id: account_id}
"""
TEXT = pacsv.ConvertOptions(column_types={"mobile": pa.string(), "rrn": pa.string(), "account_id": pa.string()})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Customers, the first 10,000 of them protected under a keystore key, and the keystore."""
    out = tmp_path_factory.mktemp("keyed")
    generate_kakaopay(out / "synth", customers=SENT + 2_000, days=1)
    shutil.copy(out / "synth" / "customers.csv", out / "customers.csv")
    customers = pacsv.read_csv(out / "customers.csv", convert_options=TEXT)
    part = customers.slice(0, SENT).select(["account_id", "mobile", "rrn", "province", "sex"])
    keystore = out / "keys" / "keystore.json"
    Keystore(keystore).create("export-key")
    (out / "protect.yaml").write_text(textwrap.dedent(PROTECT), encoding="utf-8")
    protect_table(from_arrow(part, name="part"), load_policy(out / "protect.yaml"), out / "protected.csv",
                  keystore=str(keystore))  # fmt: skip
    (out / "transfer.yaml").write_text(textwrap.dedent(TRANSFER), encoding="utf-8")
    return out


def _customer(world: Path, row: int) -> dict[str, Any]:
    got: dict[str, Any] = pacsv.read_csv(world / "customers.csv", convert_options=TEXT).slice(row, 1).to_pylist()[0]
    return got


def _transfer(world: Path, tmp: Path, ledger: str, keystore: Path) -> Any:
    return run_transfer(str(world / "protected.csv"), world / "transfer.yaml", tmp / "sent.csv", ledger=ledger,
                        keystore=keystore, attack=False)  # fmt: skip


def _lookup(ledger: str, *args: str) -> tuple[int, dict[str, Any]]:
    res = CliRunner().invoke(app, ["ledger", "lookup", *args, "--ledger", ledger, "--format", "json"])
    return res.exit_code, json.loads(res.stdout)


def _copy_keys(world: Path, tmp: Path) -> Path:
    shutil.copytree(world / "keys", tmp / "keys")
    return tmp / "keys" / "keystore.json"


def test_keyed_columns_are_indexed_and_lookup_finds_the_sent(world: Path, tmp_path: Path, ledger_url: str) -> None:
    outcome = _transfer(world, tmp_path, ledger_url, _copy_keys(world, tmp_path))
    record = outcome.record
    assert record.status == "sent", record.refusal_reasons
    assert record.subject_index.not_indexed == []
    how = {s.column: s for s in record.subject_index.sources}
    assert set(how) == {"mobile", "account_id", "rrn"}
    assert all(s.rows_matched == SENT and s.rows_unmatched == 0 for s in how.values())
    assert how["mobile"].how.startswith("HMAC-SHA-256 pseudonym (hex, 128 bits, normalize=digits)")
    assert how["account_id"].how.startswith("AES-SIV token") and how["rrn"].how.startswith("FF1")
    assert record.subjects_indexed == 4 * SENT  # phone, e-mail, RRN and customer ID of each sent customer
    sent, unsent = _customer(world, 1234), _customer(world, SENT + 500)
    for flag, field in (("--phone", "mobile"), ("--rrn", "rrn"), ("--customer-id", "account_id"),
                        ("--email", "email")):  # fmt: skip
        code, data = _lookup(ledger_url, flag, sent[field])
        assert code == 0 and data["complete"], flag
        assert [t["transfer_id"] for t in data["transfers"]] == [record.transfer_id], flag
        code, data = _lookup(ledger_url, flag, unsent[field])
        assert code == 0 and data["complete"] and data["transfers"] == [], flag
    with LedgerStore(ledger_url) as store:
        assert store.verify().ok
        tokens = "".join(store.subject_tokens(outcome.entry.seq))
    for value in (sent["mobile"], sent["mobile"].replace("-", ""), sent["rrn"].replace("-", ""), sent["account_id"]):
        assert value not in tokens
    if "://" not in ledger_url:  # the whole SQLite file: no identifier of a sent customer in clear
        raw = Path(ledger_url).read_bytes()
        for value in (sent["mobile"], sent["mobile"].replace("-", ""), sent["rrn"], sent["rrn"].replace("-", ""),
                      sent["email"]):  # fmt: skip
            assert value.encode() not in raw


def test_a_rotated_key_still_indexes(world: Path, tmp_path: Path) -> None:
    keystore = _copy_keys(world, tmp_path)
    Keystore(keystore).rotate("export-key")
    ledger = str(tmp_path / "ledger.db")
    record = _transfer(world, tmp_path, ledger, keystore).record
    assert record.subject_index.not_indexed == [] and record.subjects_indexed == 4 * SENT
    assert all("version 1 (retired)" in s.how for s in record.subject_index.sources)
    code, data = _lookup(ledger, "--phone", _customer(world, 7)["mobile"])
    assert code == 0 and len(data["transfers"]) == 1


def test_a_destroyed_key_is_named_and_lookup_does_not_answer_none(world: Path, tmp_path: Path) -> None:
    keystore = _copy_keys(world, tmp_path)
    doc = json.loads(keystore.read_text(encoding="utf-8"))
    doc["keys"] = []  # the key was destroyed: its audit line remains
    keystore.write_text(json.dumps(doc), encoding="utf-8")
    os.chmod(keystore, 0o600)
    ledger = str(tmp_path / "ledger.db")
    record = _transfer(world, tmp_path, ledger, keystore).record
    assert record.status == "sent" and record.subjects_indexed == 0
    assert {n.column for n in record.subject_index.not_indexed} == {"mobile", "account_id", "rrn"}
    assert all("destroyed" in n.reason for n in record.subject_index.not_indexed)
    code, data = _lookup(ledger, "--phone", _customer(world, 7)["mobile"])
    assert code == 1 and not data["complete"] and data["transfers"] == []
    assert any("destroyed" in r for r in data["not_indexed"][0]["reasons"])
    text = CliRunner().invoke(app, ["ledger", "lookup", "--phone", _customer(world, 7)["mobile"], "--ledger", ledger])
    assert text.exit_code == 1 and "No recorded transfer" not in text.stdout and "destroyed" in text.stdout


def test_without_the_keys_the_keyed_columns_are_not_indexed(world: Path, tmp_path: Path) -> None:
    """Another keystore (no audit line, no key): the columns are named as not indexed, not guessed."""
    ledger = str(tmp_path / "ledger.db")
    record = _transfer(world, tmp_path, ledger, tmp_path / "other" / "keystore.json").record
    assert record.subjects_indexed == 0
    assert {n.column for n in record.subject_index.not_indexed} == {"mobile", "account_id"}  # rrn: not an identifier shape
    code, _data = _lookup(ledger, "--customer-id", _customer(world, 7)["account_id"])
    assert code == 1


def test_a_column_a_key_once_protected_but_sent_in_clear_does_not_make_the_index_incomplete(tmp_path: Path) -> None:
    """An earlier run pseudonymised ``note`` (no identifier); today's clear ``note`` is not reported."""
    from types import SimpleNamespace

    from datacustoms.ledger.model import SubjectTable
    from datacustoms.ledger.subject_index import derived_index
    from datacustoms.ledger.subject_keys import KeyRing
    from datacustoms.ledger.subjects import SubjectHasher

    ids = [str(100_000 + i) for i in range(200)]
    pacsv.write_csv(pa.table({"customer_id": ids}), tmp_path / "customers.csv")
    export = pa.table({"customer_id": ids[:50], "note": [f"visit {i % 7} ok" for i in range(50)]})
    keystore = tmp_path / "keys" / "keystore.json"
    Keystore(keystore).create("k")
    (tmp_path / "p.yaml").write_text(textwrap.dedent("""
        recipient: R
        purpose: P
        key: keystore:k
        default_action: keep
        columns: {note: pseudonymize, customer_id: keep}
        thresholds: {k: 1, max_risk: 1.0}
    """), encoding="utf-8")  # fmt: skip
    protect_table(from_arrow(export), load_policy(tmp_path / "p.yaml"), tmp_path / "out.csv", keystore=str(keystore))
    spec = SimpleNamespace(subject_table=SubjectTable(path=str(tmp_path / "customers.csv"), customer_id="customer_id"))
    tokens, coverage = derived_index(SubjectHasher(bytes(range(32))), from_arrow(export), spec, [], None, None,
                                     keys=KeyRing(keystore))  # fmt: skip
    assert coverage.not_indexed == [] and [s.column for s in coverage.sources] == ["customer_id"]
    assert coverage.sources[0].rows_matched == 50 and len(tokens) == 50
