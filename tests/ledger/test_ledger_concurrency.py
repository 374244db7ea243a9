"""Two processes recording at once keep one valid chain (SQLite BEGIN IMMEDIATE; PostgreSQL FOR UPDATE)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from datacustoms.ledger import LedgerStore

WRITER = textwrap.dedent("""
    import sys
    from datacustoms.ledger import LedgerStore
    url, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with LedgerStore(url) as store:
        for i in range(n):
            store.append("transfer", {"writer": name, "i": i}, [f"{name}{i:062d}"])
""")


def test_two_processes_fifty_entries_each(ledger_url: str) -> None:
    LedgerStore(ledger_url).close()  # create the schema first; creation races are tested separately
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, ledger_url, name, "50"],
            env=dict(os.environ),
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("aa", "bb")
    ]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    with LedgerStore(ledger_url) as store:
        result = store.verify()
        entries = store.entries()
    assert result.ok, result.problems
    assert [e.seq for e in entries] == list(range(1, 101))
    for name in ("aa", "bb"):
        mine = [e.body["i"] for e in entries if e.body["writer"] == name]
        assert mine == list(range(50))  # each writer's entries in its own order, none lost


def test_concurrent_first_open_creates_one_schema(ledger_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, ledger_url, name, "3"],
            env=dict(os.environ),
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("cc", "dd", "ee")
    ]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    with LedgerStore(ledger_url) as store:
        assert store.verify().ok and store.head()[0] == 9


def test_readers_do_not_take_the_write_lock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    path = tmp_path / "ledger.db"
    with LedgerStore(str(path)) as store:
        store.append("transfer", {"n": 1})
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of an append
    try:
        with LedgerStore(str(path)) as store:
            assert store.verify().ok and store.head()[0] == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
