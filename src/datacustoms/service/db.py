"""The service's own tables (users, tokens, sources, recipients, transfers, links, denials).

SQLAlchemy Core on SQLite (default) or PostgreSQL. The ledger stays the record of what left; these
tables are the service's working state — who may do what, which transfer waits for whom, which
one-time link is still unused. Every state change of a transfer is one guarded UPDATE
(``WHERE state = <expected>``), so two workers or two reviewers can never both win.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from datacustoms.errors import UsageError
from datacustoms.service.migrate import migrate

#: a transfer's states; terminal ones never change again
STATES = ("queued", "running", "awaiting_review", "approved", "released", "rejected", "refused", "expired", "failed")
TERMINAL = frozenset({"released", "rejected", "refused", "expired", "failed"})
ROLES = ("operator", "reviewer", "auditor", "recipient", "admin")

meta = sa.MetaData()

users_t = sa.Table(
    "svc_users", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("recipient_id", sa.Integer, nullable=True),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("revoked", sa.String(40), nullable=True),  # tokens revoked then; older sessions end
)
tokens_t = sa.Table(
    "svc_tokens", meta,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
)
sources_t = sa.Table(
    "svc_sources", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("location", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
)
recipients_t = sa.Table(
    "svc_recipients", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("safeguards", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("contact", sa.String(200), nullable=True),
    sa.Column("created", sa.String(40), nullable=False),
)
transfers_t = sa.Table(
    "svc_transfers", meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("source_id", sa.Integer, nullable=False),
    sa.Column("recipient_id", sa.Integer, nullable=False, index=True),
    sa.Column("output_name", sa.String(200), nullable=False),
    sa.Column("policy_path", sa.Text, nullable=False),
    sa.Column("submitter", sa.String(200), nullable=False),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("phase", sa.String(200), nullable=False, default=""),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("lease_owner", sa.String(120), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("record_at", sa.String(40), nullable=True),  # the run's timestamp: links the job to its ledger entry
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("updated", sa.String(40), nullable=False),
    sa.Column("started", sa.String(40), nullable=True),
    sa.Column("finished", sa.String(40), nullable=True),
    sa.Column("ledger_seq", sa.Integer, nullable=True),
    sa.Column("ledger_transfer_id", sa.String(32), nullable=True),
    sa.Column("verdict", sa.String(10), nullable=True),
    sa.Column("summary", sa.Text, nullable=True),  # one line
    sa.Column("error", sa.Text, nullable=True),  # one line, never a cell value
    sa.Column("reviewer", sa.String(200), nullable=True),
    sa.Column("review_json", sa.Text, nullable=True),
    sa.Column("review_seq", sa.Integer, nullable=True),
    sa.Column("release_seq", sa.Integer, nullable=True),
    sa.Column("hold_until", sa.Float, nullable=True),
    sa.Column("options_json", sa.Text, nullable=False, default="{}"),
    sa.Column("progress_json", sa.Text, nullable=True),  # schema 2: step, rows done / total (see jobs.py)
)
inspections_t = sa.Table(
    "svc_inspections", meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("source_id", sa.Integer, nullable=False),
    sa.Column("submitter", sa.String(200), nullable=False),
    sa.Column("state", sa.String(20), nullable=False, index=True),  # queued, running, done, failed
    sa.Column("phase", sa.String(200), nullable=False, default=""),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("lease_owner", sa.String(120), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("attack", sa.Boolean, nullable=False),
    sa.Column("attack_budget", sa.Float, nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("updated", sa.String(40), nullable=False),
    sa.Column("started", sa.String(40), nullable=True),
    sa.Column("finished", sa.String(40), nullable=True),
    sa.Column("verdict", sa.String(10), nullable=True),
    sa.Column("summary", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("progress_json", sa.Text, nullable=True),  # schema 2
)
links_t = sa.Table(
    "svc_links", meta,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("transfer_id", sa.String(32), nullable=False, index=True),
    sa.Column("recipient_id", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("expires", sa.Float, nullable=False),
    sa.Column("used", sa.String(40), nullable=True),
)
denials_t = sa.Table(
    "svc_denials", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("path", sa.String(400), nullable=False),
    sa.Column("reason", sa.String(400), nullable=False),
)
settings_t = sa.Table(
    "svc_settings", meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def database_url(database: str | None, data_dir: Path) -> str:
    """A SQLAlchemy URL: the given one, a SQLite path, or ``service.db`` in the data folder."""
    if database is None:
        return f"sqlite:///{data_dir / 'service.db'}"
    if "://" in database:
        return database
    return f"sqlite:///{Path(database).expanduser().resolve()}"


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


class ServiceDB:
    """The service's tables in one database."""

    def __init__(self, url: str) -> None:
        try:
            parsed = sa.engine.make_url(url)
        except ArgumentError:
            raise UsageError(f"cannot parse the database URL {safe_url(url)!r}",
                             "use a path or a URL like postgresql+psycopg://user@host/db") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"future": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = sa.create_engine(url, **kwargs)
            if self.dialect == "sqlite":
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.schema_version = migrate(self.engine, meta, settings_t)
        except SQLAlchemyError as err:
            raise UsageError(f"cannot open the service database {safe_url(url)!r}: {str(err).splitlines()[0][:160]}",
                             "check that it is reachable and writable") from None
        if parsed.database and self.dialect == "sqlite" and parsed.database != ":memory:":
            os.chmod(parsed.database, 0o600)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ small helpers

    def one(self, query: Any) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def all(self, query: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def setting(self, name: str, default: str | None = None) -> str | None:
        row = self.one(sa.select(settings_t.c.value).where(settings_t.c.name == name))
        return row["value"] if row else default

    def ensure_setting(self, name: str, value: str) -> str:
        """Store ``value`` under ``name`` unless one is stored already; return the stored one."""
        current = self.setting(name)
        if current is not None:
            return current
        try:
            with self.begin() as conn:
                conn.execute(sa.insert(settings_t).values(name=name, value=value))
        except SQLAlchemyError:  # another process stored it first
            pass
        stored = self.setting(name)
        assert stored is not None
        return stored

    def transfer(self, transfer_id: str) -> dict[str, Any] | None:
        return self.one(sa.select(transfers_t).where(transfers_t.c.id == transfer_id))

    def move(self, transfer_id: str, expected: str | tuple[str, ...], *, owner: str | None = None,
             table: sa.Table = transfers_t, **values: Any) -> bool:
        """Change a job's row (a transfer, or an inspection with ``table``) only if it is in an
        ``expected`` state (and, given ``owner``, its lease is still that worker's); True when it was."""
        states = (expected,) if isinstance(expected, str) else expected
        values.setdefault("updated", now_iso())
        query = sa.update(table).where(table.c.id == transfer_id, table.c.state.in_(states))
        if owner is not None:
            query = query.where(table.c.lease_owner == owner)
        with self.begin() as conn:
            res = conn.execute(query.values(**values))
        return bool(res.rowcount)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
