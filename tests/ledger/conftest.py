"""Ledger fixtures: one URL per backend — a SQLite file, and a fresh schema on the PostgreSQL server.

The PostgreSQL tests use the real server at 127.0.0.1:5432 (database ``test``, trust auth, user
``postgres`` or ``root``), each test in its own schema (dropped afterwards), selected through the
URL's ``search_path`` so subprocesses and the CLI see the same ledger. They skip, saying why, when
the server is unreachable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from datacustoms.ledger.keys import KEY_ENV
from pg_schema import pg_schema_url

TEST_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The same tests on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        monkeypatch.delenv(KEY_ENV, raising=False)
        yield str(tmp_path / "ledger.db")
        return
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    yield from pg_schema_url()


@pytest.fixture()
def raw_sql(ledger_url: str) -> Iterator[Callable[..., Any]]:
    """Run SQL on the ledger's database behind the library's back (to tamper with it)."""
    engine = sa.create_engine(ledger_url if "://" in ledger_url else f"sqlite:///{ledger_url}")

    def run(sql: str, **params: Any) -> Any:
        with engine.begin() as conn:
            return (
                conn.execute(sa.text(sql), params).fetchall()
                if sql.lstrip().upper().startswith("SELECT")
                else conn.execute(sa.text(sql), params).rowcount
            )

    yield run
    engine.dispose()
