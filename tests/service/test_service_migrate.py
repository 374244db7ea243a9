"""Schema upgrades: a service database made by schema 1 (no version row, no progress columns) is
upgraded when the service starts, its rows kept — on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from svc_helpers import TEST_KEY, make_world, pg_schema_url

from datacustoms.errors import UsageError
from datacustoms.ledger.keys import KEY_ENV
from datacustoms.service import migrate
from datacustoms.service.db import ServiceDB, meta, settings_t

#: what schema 2 added, per table
ADDED = {"svc_transfers": {"progress_json"}, "svc_inspections": {"progress_json"}}


def schema_1() -> sa.MetaData:
    """The service's tables as schema 1 created them: today's, less what later schemas added."""
    old = sa.MetaData()
    for table in meta.sorted_tables:
        sa.Table(table.name, old, *[c._copy() for c in table.columns if c.name not in ADDED.get(table.name, ())])
    return old


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    yield from pg_schema_url()


def _columns(url: str, table: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_a_schema_1_database_is_upgraded_on_start_and_keeps_its_rows(db_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(db_url)
    schema_1().create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(settings_t).values(name="service_secret", value="kept"))
        conn.execute(sa.text(
            "INSERT INTO svc_transfers (id, source_id, recipient_id, output_name, policy_path, submitter, state, "
            "phase, attempts, created, updated, options_json, error) VALUES (:id, 1, 1, 'old.parquet', '/p.yaml', "
            "'olivia', 'failed', 'failed', 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', '{}', "
            "'an old failure')"), {"id": "a" * 32})
    engine.dispose()
    assert "progress_json" not in _columns(db_url, "svc_transfers")

    w = make_world(tmp_path, db_url, db_url)  # starting the service upgrades its database
    try:
        assert w.svc.db.schema_version == migrate.CURRENT == 2
        for table, added in ADDED.items():
            assert added <= _columns(db_url, table)
        assert w.svc.db.setting(migrate.VERSION_KEY) == "2" and w.svc.db.setting("service_secret") == "kept"
        old = w.state("a" * 32)  # the old row, read through the API with the new column empty
        assert old["error"] == "an old failure" and old["output_name"] == "old.parquet" and old["progress"] is None
        tid = w.ready()  # and the upgraded database runs a new transfer with its progress
        assert w.state(tid)["progress"]["rows_total"] == 400
    finally:
        w.svc.close()
    again = ServiceDB(db_url)  # a second start finds it current and changes nothing
    try:
        assert again.schema_version == 2 and again.transfer("a" * 32)["error"] == "an old failure"  # type: ignore[index]
    finally:
        again.close()


def test_a_fresh_database_starts_at_the_current_schema(tmp_path: Path) -> None:
    db = ServiceDB(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert db.setting(migrate.VERSION_KEY) == str(migrate.CURRENT)
    finally:
        db.close()


def test_a_database_from_a_newer_release_is_refused_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    ServiceDB(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.update(settings_t).where(settings_t.c.name == migrate.VERSION_KEY).values(value="99"))
    engine.dispose()
    with pytest.raises(UsageError, match="schema 99, newer than this release"):
        ServiceDB(url)
