"""Many processes appending to one ledger at once: no entry lost or duplicated, the chain verifies.

SQLite (a file in the test's folder) and PostgreSQL (127.0.0.1:5432, database ``test``, each run
in its own schema; skipped, with the reason, when the server is unreachable). The writers start
together on a ledger that does not exist yet, so the first-use race is part of the test.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datacustoms.ledger import LedgerStore

WRITERS, EACH = 6, 15
WRITER = textwrap.dedent("""
    import sys, time
    from datacustoms.ledger import LedgerStore
    url, name, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while time.time() < start:
        time.sleep(0.005)
    with LedgerStore(url) as store:
        for i in range(n):
            store.append("transfer", {"writer": name, "i": i}, [f"{name}{i:061d}"])
""")


def _ledger_conftest() -> Any:
    spec = importlib.util.spec_from_file_location("ledger_conftest", Path(__file__).parents[1] / "ledger" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    conf = _ledger_conftest()
    if request.param == "sqlite":
        monkeypatch.delenv(conf.KEY_ENV, raising=False)
        yield str(tmp_path / "ledger.db")
        return
    monkeypatch.setenv(conf.KEY_ENV, conf.TEST_KEY)
    yield from conf.pg_schema_url()


def test_concurrent_writers_lose_and_duplicate_nothing(url: str) -> None:
    import time

    start = time.time() + 3.0  # every writer imports first, then all start at once
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, f"w{n}", str(EACH), str(start)],
                         env=dict(os.environ), stderr=subprocess.PIPE, text=True)
        for n in range(WRITERS)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    with LedgerStore(url) as store:
        result = store.verify()
        entries = store.entries()
        tokens = {name: store.lookup(f"w{n}{i:061d}") for n in range(2) for i in (0, EACH - 1)
                  for name in [f"w{n}/{i}"]}
    assert result.ok, result.problems
    assert [e.seq for e in entries] == list(range(1, WRITERS * EACH + 1))
    for n in range(WRITERS):
        mine = [e.body["i"] for e in entries if e.body["writer"] == f"w{n}"]
        assert mine == list(range(EACH)), (n, mine)  # each writer's entries once, in its own order
    assert all(len(hits) == 1 for hits in tokens.values()), tokens  # the subject index: one entry each
