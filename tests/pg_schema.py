"""The real PostgreSQL server the tests use: 127.0.0.1:5432, database ``test``, trust auth as
``postgres`` or ``root``; each test gets a fresh schema (dropped afterwards), selected through the
URL's ``search_path`` so subprocesses and the CLI see the same tables. Unreachable → skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import lru_cache

import pytest
import sqlalchemy as sa

PG_HOST = os.environ.get("DATACUSTOMS_TEST_PG_HOST", "127.0.0.1:5432")


@lru_cache(maxsize=1)
def pg_base() -> tuple[str | None, str]:
    """A working admin URL for the test database, or None and the reason."""
    reasons = []
    for user in ("postgres", "root"):
        url = f"postgresql+psycopg://{user}@{PG_HOST}/test"
        try:
            engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
            return url, ""
        except Exception as err:  # any failure means: skip with the reason
            reasons.append(f"{user}: {str(err).splitlines()[0][:120]}")
    return None, "; ".join(reasons)


def pg_schema_url(prefix: str = "dc_test") -> Iterator[str]:
    """A URL on a fresh schema named ``prefix_<random>``, dropped when the generator closes."""
    base, why = pg_base()
    if base is None:
        pytest.skip(f"PostgreSQL at {PG_HOST} (database test) is unreachable — {why}")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
