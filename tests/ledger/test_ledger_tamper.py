"""Tampering behind the ledger's back, on SQLite and PostgreSQL: every case must be detected.

Each case builds a fresh ledger (a consent import, three transfers, a signed anchor), changes the
database with raw SQL as someone with write access but without the ledger key would, and checks
that ``verify`` (with the anchor) names the expected damage. ``test_tamper_figure`` runs all cases
and prints "tamper cases detected of tried" for the README.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_ledger_transfer import CONSENTS

from datacustoms.errors import LedgerError, LedgerTampered
from datacustoms.ledger import LedgerStore
from datacustoms.ledger.anchor import Anchor, make_anchor, signing_key
from datacustoms.ledger.chain import GENESIS, canonical_json, entry_hash
from datacustoms.ledger.consent import import_consents

Sql = Callable[..., Any]


def build(url: str, folder: Path) -> Anchor:
    """A small ledger: consent import (seq 1), three transfers (2-4); anchored at 4."""
    consents = folder / "consents.csv"
    consents.write_text(CONSENTS, encoding="utf-8")
    with LedgerStore(url) as store:
        import_consents(store, consents)
        for i in range(3):
            store.append("transfer", {"transfer_id": f"t{i}", "status": "sent"}, [f"{i:064x}", f"{i + 9:064x}"])
        return store.anchor()


def _last(sql: Sql) -> tuple[int, str, str]:
    seq, prev, digest = sql("SELECT seq, prev_hash, entry_hash FROM dc_entries ORDER BY seq DESC LIMIT 1")[0]
    return int(seq), str(prev), str(digest)


def _append_forged(sql: Sql, body: dict[str, Any], signature: str | None = None) -> None:
    """A new entry with a correct hash, linked to the head, as a writer without the key could make."""
    seq, _, last = _last(sql)
    created = "2026-01-01T00:00:00.000000+00:00"
    digest = entry_hash("transfer", created, body, last)
    sql("INSERT INTO dc_entries (seq, kind, created, body, prev_hash, entry_hash) VALUES (:s, 'transfer', :c, :b, :p, :h)",
        s=seq + 1, c=created, b=canonical_json(body), p=last, h=digest)
    if signature is not None:
        sql("INSERT INTO dc_signatures (seq, signature) VALUES (:s, :g)", s=seq + 1, g=signature)
    sql("UPDATE dc_head SET seq = :s, entry_hash = :h WHERE id = 1", s=seq + 1, h=digest)


def _truncate_rewind(sql: Sql) -> None:
    seq, prev, _ = _last(sql)
    sql("DELETE FROM dc_subjects WHERE seq = :s", s=seq)
    sql("DELETE FROM dc_signatures WHERE seq = :s", s=seq)
    sql("DELETE FROM dc_entries WHERE seq = :s", s=seq)
    sql("UPDATE dc_head SET seq = :s, entry_hash = :h WHERE id = 1", s=seq - 1, h=prev)


def _rewrite_tail(sql: Sql) -> None:
    """Edit entry 3 and recompute its hash and every later hash and link (keeping the marks)."""
    rows = sql("SELECT seq, kind, created, body, prev_hash FROM dc_entries ORDER BY seq")
    prev = GENESIS
    for seq, kind, created, body, old_prev in rows:
        data = json.loads(body)
        if seq < 3:
            prev = entry_hash(kind, created, data, old_prev)
            continue
        if seq == 3:
            data["status"] = "refused"
        digest = entry_hash(kind, created, data, prev)
        sql("UPDATE dc_entries SET body = :b, prev_hash = :p, entry_hash = :h WHERE seq = :s",
            b=canonical_json(data), p=prev, h=digest, s=seq)
        prev = digest
    sql("UPDATE dc_head SET entry_hash = :h WHERE id = 1", h=prev)


def _swap(sql: Sql) -> None:
    sql("UPDATE dc_entries SET seq = 99 WHERE seq = 2")
    sql("UPDATE dc_entries SET seq = 2 WHERE seq = 3")
    sql("UPDATE dc_entries SET seq = 3 WHERE seq = 99")


#: name → (tampering, the damage verify must name)
CASES: dict[str, tuple[Callable[[Sql], Any], str]] = {
    "consent withdrawal cleared": (lambda q: q("UPDATE dc_consents SET withdrawn = NULL"), "consents"),
    "consent withdrawn earlier": (lambda q: q("UPDATE dc_consents SET withdrawn = '2020-01-01T00:00:00+00:00' "
                                              "WHERE withdrawn IS NULL"), "consents"),
    "one consent deleted": (lambda q: q("DELETE FROM dc_consents WHERE subject_hash = "
                                        "(SELECT MIN(subject_hash) FROM dc_consents)"), "consents"),
    "all consents deleted": (lambda q: q("DELETE FROM dc_consents"), "consents"),
    "consent countries widened": (lambda q: q("UPDATE dc_consents SET countries = 'KR;SG;US'"), "consents"),
    "consent purpose changed": (lambda q: q("UPDATE dc_consents SET purpose = 'marketing'"), "consents"),
    "consent given earlier": (lambda q: q("UPDATE dc_consents SET given = '2000-01-01T00:00:00+00:00'"), "consents"),
    "consent row inserted": (lambda q: q(
        "INSERT INTO dc_consents (subject_hash, recipient, purpose, given, countries, withdrawn, import_seq) "
        "VALUES (:h, 'alipay singapore', 'nsf score', '2024-01-01T00:00:00+00:00', 'SG', NULL, 1)",
        h="f" * 64), "consents"),
    "entry body edited": (lambda q: q("UPDATE dc_entries SET body = REPLACE(body, '\"sent\"', '\"refused\"') "
                                      "WHERE seq = 3"), "edited"),
    "entry time edited": (lambda q: q("UPDATE dc_entries SET created = '2020-01-01T00:00:00.000000+00:00' "
                                      "WHERE seq = 2"), "edited"),
    "entry kind edited": (lambda q: q("UPDATE dc_entries SET kind = 'destruction' WHERE seq = 2"), "edited"),
    "consent import entry edited": (lambda q: q("UPDATE dc_entries SET body = REPLACE(body, 'consents_sha256', "
                                                "'consents_sha257') WHERE seq = 1"), "edited"),
    "middle entry deleted": (lambda q: q("DELETE FROM dc_entries WHERE seq = 2"), "deleted"),
    "entries reordered": (_swap, "reordered"),
    "tail cut, head row left": (lambda q: q("DELETE FROM dc_entries WHERE seq = 4"), "head"),
    "tail cut, head rewound": (_truncate_rewind, "truncated"),
    "head row rewound": (lambda q: q("UPDATE dc_head SET seq = 3, entry_hash = "
                                     "(SELECT entry_hash FROM dc_entries WHERE seq = 3) WHERE id = 1"), "head"),
    "forged append, unsigned": (lambda q: _append_forged(q, {"transfer_id": "x", "status": "sent"}), "signature"),
    "forged append, marked signed": (lambda q: _append_forged(
        q, {"transfer_id": "x", "status": "sent", "signed": "ed25519"}, "AAAA"), "signature"),
    "forged append with a copied signature": (lambda q: _append_forged(
        q, {"transfer_id": "x", "status": "sent", "signed": "ed25519"},
        q("SELECT signature FROM dc_signatures WHERE seq = 4")[0][0]), "signature"),
    "tail cut, head rewound, forged append": (lambda q: (_truncate_rewind(q), _append_forged(
        q, {"transfer_id": "y", "status": "sent", "signed": "ed25519"})), "signature"),
    "tail rewritten with fresh hashes": (_rewrite_tail, "signature"),
    "signatures deleted": (lambda q: q("DELETE FROM dc_signatures"), "signature"),
    "subject index row deleted": (lambda q: q("DELETE FROM dc_subjects WHERE seq = 3 AND subject_hash = "
                                              "(SELECT MIN(subject_hash) FROM dc_subjects WHERE seq = 3)"), "index"),
    "subject index row added": (lambda q: q("INSERT INTO dc_subjects (seq, subject_hash) VALUES (2, :h)",
                                            h="e" * 64), "index"),
}


def detected(url: str, sql: Sql, folder: Path, case: str) -> tuple[bool, str]:
    anchor = build(url, folder)
    with LedgerStore(url) as store:
        assert store.verify(anchor=anchor).ok
    tamper, damage = CASES[case]
    tamper(sql)
    with LedgerStore(url) as store:
        result = store.verify(anchor=anchor)
    first = result.problems[0].damage if result.problems else "none"
    return first == damage, first


@pytest.mark.parametrize("case", list(CASES))
def test_tamper_case_detected(case: str, ledger_url: str, raw_sql: Sql, tmp_path: Path) -> None:
    ok, first = detected(ledger_url, raw_sql, tmp_path, case)
    assert ok, f"{case}: expected {CASES[case][1]}, got {first}"


def test_tail_cut_passes_without_anchor_but_not_with_it(ledger_url: str, raw_sql: Sql, tmp_path: Path) -> None:
    anchor = build(ledger_url, tmp_path)
    _truncate_rewind(raw_sql)
    with LedgerStore(ledger_url) as store:
        assert store.verify().ok  # what the chain alone cannot see …
        assert store.verify(anchor=anchor).problems[0].damage == "truncated"  # … the anchor does


def test_forged_anchor_is_refused(ledger_url: str, tmp_path: Path) -> None:
    anchor = build(ledger_url, tmp_path)
    other = make_anchor(signing_key(b"\x07" * 32), anchor.seq, anchor.head)
    edited = Anchor(anchor.seq - 1, anchor.head, anchor.created, anchor.public_key, anchor.signature)
    with LedgerStore(ledger_url) as store:
        assert store.verify(anchor=other).problems[0].damage == "anchor"
        assert store.verify(anchor=edited).problems[0].damage == "anchor"


def test_consent_transfer_refuses_tampered_consents(ledger_url: str, raw_sql: Sql, tmp_path: Path) -> None:
    build(ledger_url, tmp_path)
    with LedgerStore(ledger_url) as store:
        store.check_consents()  # intact: no error
    raw_sql("UPDATE dc_consents SET withdrawn = NULL")
    with LedgerStore(ledger_url) as store, pytest.raises(LedgerTampered, match="consent"):
        store.check_consents()


def test_tamper_figure(ledger_url: str, raw_sql: Sql, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every case in one run: the figure 'tamper cases detected of tried' for this backend."""
    found = 0
    LedgerStore(ledger_url).close()  # the tables exist before the first reset
    for i, case in enumerate(CASES):
        for table in ("dc_signatures", "dc_subjects", "dc_consents", "dc_entries", "dc_meta"):
            raw_sql(f"DELETE FROM {table}")
        raw_sql("UPDATE dc_head SET seq = 0, entry_hash = :h WHERE id = 1", h=GENESIS)
        folder = tmp_path / str(i)
        folder.mkdir()
        found += detected(ledger_url, raw_sql, folder, case)[0]
    with capsys.disabled():
        backend = "postgresql" if "://" in ledger_url else "sqlite"
        print(f"\ntamper cases detected of tried ({backend}): {found} of {len(CASES)}")
    assert found == len(CASES)


def test_anchor_cli(ledger_url: str, raw_sql: Sql, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from datacustoms.cli import app

    build(ledger_url, tmp_path)
    runner = CliRunner()
    anchor_file = tmp_path / "head.json"
    result = runner.invoke(app, ["ledger", "anchor", "-o", str(anchor_file), "--ledger", ledger_url])
    assert result.exit_code == 0 and "anchored entry 4" in result.stdout, result.stderr
    assert json.loads(anchor_file.read_text(encoding="utf-8"))["seq"] == 4
    result = runner.invoke(app, ["ledger", "verify", "--anchor", str(anchor_file), "--ledger", ledger_url])
    assert result.exit_code == 0 and "chain intact" in result.stdout
    _truncate_rewind(raw_sql)
    result = runner.invoke(app, ["ledger", "verify", "--anchor", str(anchor_file), "--ledger", ledger_url])
    assert result.exit_code == 1 and "truncated" in result.stderr
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["ledger", "verify", "--anchor", str(tmp_path / "bad.json"), "--ledger", ledger_url])
    assert result.exit_code == 2 and "not a ledger anchor" in result.stderr


def test_dropped_table_and_garbage_file_are_one_line(ledger_url: str, raw_sql: Sql, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from datacustoms.cli import app

    build(ledger_url, tmp_path)
    raw_sql("DROP TABLE dc_subjects")
    result = CliRunner().invoke(app, ["ledger", "verify", "--ledger", ledger_url])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(4096))
    result = CliRunner().invoke(app, ["ledger", "verify", "--ledger", str(garbage)])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    with pytest.raises(LedgerError):
        LedgerStore(str(garbage))


def test_missing_key_file_is_refused_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from datacustoms.cli import app

    monkeypatch.delenv("DATACUSTOMS_LEDGER_KEY", raising=False)
    db = tmp_path / "ledger.db"
    build(str(db), tmp_path)
    assert db.stat().st_mode & 0o077 == 0  # the ledger database is owner-only
    key_file = tmp_path / "ledger.db.key"
    key_file.unlink()
    result = CliRunner().invoke(app, ["ledger", "verify", "--ledger", str(db)])
    assert result.exit_code == 2 and "missing" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not key_file.exists()


WRITER = textwrap.dedent("""
    import sys
    from datacustoms.ledger import LedgerStore
    url, name = sys.argv[1], sys.argv[2]
    with LedgerStore(url) as store:
        for i in range(3):
            store.append("transfer", {"writer": name, "i": i}, [store.hasher.hash_value(f"010-1234-{i:04d}")])
""")


def test_eight_concurrent_first_writers(ledger_url: str) -> None:
    """Eight processes open a brand-new ledger and record at once: no IntegrityError, one valid chain."""
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, ledger_url, f"w{n}"], env=dict(os.environ),
                              stderr=subprocess.PIPE, text=True) for n in range(8)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    with LedgerStore(ledger_url) as store:
        result = store.verify()
        assert result.ok, result.problems
        assert store.head()[0] == 24
        assert len({e.body["writer"] for e in store.entries()}) == 8
