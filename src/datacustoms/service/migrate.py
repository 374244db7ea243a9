"""Upgrading the service's tables in place: a version number in ``svc_settings`` and numbered steps.

Why not Alembic: the service's schema is a handful of SQLAlchemy Core tables whose changes are
additive (a new column, a new table); Alembic would add a dependency, an ``env.py`` and a
migrations folder to ship, for what is here a list of ``ALTER TABLE … ADD COLUMN`` statements
that run the same on SQLite and PostgreSQL. Each step is idempotent (it checks the column is
missing), so two processes starting together on one database both end at the same version.

A database without a version row but with ``svc_transfers`` was created by schema 1 (the first
release); a database without the tables is created at :data:`CURRENT` directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from datacustoms.errors import UsageError

log = logging.getLogger("datacustoms.service")

VERSION_KEY = "schema_version"


def _add_column(conn: Connection, table: str, column: str, ddl_type: str) -> None:
    """``ALTER TABLE table ADD COLUMN column`` unless it is there already."""
    present = {c["name"] for c in sa.inspect(conn).get_columns(table)}
    if column not in present:
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl_type}"))


def _v2_progress(conn: Connection) -> None:
    """Schema 2: per-job progress (step, rows done / total) for transfers and inspections."""
    _add_column(conn, "svc_transfers", "progress_json", "TEXT")
    _add_column(conn, "svc_inspections", "progress_json", "TEXT")


#: version → the step that brings a database from version - 1 to it
STEPS: dict[int, Callable[[Connection], None]] = {2: _v2_progress}
CURRENT = max(STEPS)


def stored_version(conn: Connection, settings: sa.Table) -> int | None:
    row = conn.execute(sa.select(settings.c.value).where(settings.c.name == VERSION_KEY)).first()
    return int(row[0]) if row is not None else None


def _set_version(conn: Connection, settings: sa.Table, version: int) -> None:
    if stored_version(conn, settings) is None:
        conn.execute(sa.insert(settings).values(name=VERSION_KEY, value=str(version)))
    else:
        conn.execute(sa.update(settings).where(settings.c.name == VERSION_KEY).values(value=str(version)))


def migrate(engine: Engine, meta: sa.MetaData, settings: sa.Table) -> int:
    """Create missing tables (``meta``, the current schema), then run every step above the version
    stored in ``settings``; returns the version."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # one migrating process at a time
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7301931)"))
        existed = sa.inspect(conn).has_table("svc_transfers")
        meta.create_all(conn)  # the tables a database lacks, at the current schema
        version = stored_version(conn, settings)
        if version is None:
            version = 1 if existed else CURRENT
        if version > CURRENT:
            raise UsageError(f"the service database is at schema {version}, newer than this release ({CURRENT})",
                             "upgrade datacustoms")
        for step in range(version + 1, CURRENT + 1):
            try:
                STEPS[step](conn)
            except SQLAlchemyError as err:
                raise UsageError(f"cannot upgrade the service database to schema {step}: "
                                 f"{str(err).splitlines()[0][:160]}", "check the database user may ALTER its tables") from None
            log.warning("service database upgraded to schema %s", step)
        _set_version(conn, settings, CURRENT)
    return CURRENT
