"""Where the ledger lives: SQLite by default, PostgreSQL (or any SQLAlchemy URL) for teams.

The location is, in order: the ``url`` argument (``--ledger``), the environment variable
``DATACUSTOMS_LEDGER``, then ``~/.local/share/datacustoms/ledger.db``. A plain path means a SQLite
file. PostgreSQL URLs use psycopg 3: ``postgresql+psycopg://user@host/db``.

Appends are serialised so that two processes recording at once keep one valid chain: SQLite
opens every transaction with ``BEGIN IMMEDIATE`` (the write lock is taken before the head is
read), PostgreSQL locks the one head row with ``SELECT … FOR UPDATE``. The new entry, its subject
index and the head move in one transaction, so a process killed mid-append leaves no trace.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from datacustoms.errors import KeyMaterialError, LedgerError, LedgerTampered, MissingDependency
from datacustoms.ledger.anchor import Anchor, make_anchor, sign_hash, signing_key
from datacustoms.ledger.chain import GENESIS, Entry, Problem, VerifyResult, canonical_json, entry_hash, verify_chain
from datacustoms.ledger.integrity import (
    body_signed,
    check_anchor,
    check_consents,
    check_signatures,
    consents_digest,
)
from datacustoms.ledger.keys import key_check_value, load_key
from datacustoms.ledger.subjects import SubjectHasher, index_digest

LEDGER_ENV = "DATACUSTOMS_LEDGER"
DEFAULT_PATH = Path("~/.local/share/datacustoms/ledger.db")
_PG_LOCK_ID = 0x6463_6C65_6467  # "dcledg": serialises schema creation on PostgreSQL
_CHUNK = 500

#: within(conn, seq) runs inside the append transaction, after the lock, before the hash
Within = Callable[[Connection, int], dict[str, Any] | None]


def resolve_url(url: str | None = None) -> str:
    """The SQLAlchemy URL for ``url``, ``$DATACUSTOMS_LEDGER``, the configuration file's ``ledger`` or the default."""
    from datacustoms.config import load_config

    target = url or load_config().get("ledger") or str(DEFAULT_PATH)
    if "://" in target:
        return target
    path = Path(target).expanduser()
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Consent:
    subject_hash: str
    recipient: str
    purpose: str
    countries: tuple[str, ...]
    given: str
    withdrawn: str | None


class LedgerStore:
    """The append-only transfer ledger in one database (optionally one PostgreSQL schema)."""

    def __init__(self, url: str | None = None, *, schema: str | None = None, create: bool = True) -> None:
        self.url = resolve_url(url)
        self.sqlite_path: Path | None = None
        try:
            parsed = sa.engine.make_url(self.url)
        except ArgumentError:
            raise LedgerError(f"cannot parse the ledger URL {self._safe_url()!r}",
                              "use a path or a URL like postgresql+psycopg://user@host/db") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise LedgerError("an in-memory SQLite ledger would be lost at exit", "give a file path")
            self.sqlite_path = Path(parsed.database).expanduser().resolve()
            if not self.sqlite_path.exists():
                if not create:
                    raise LedgerError(f"no ledger at {self.sqlite_path}", "record a transfer first, or pass --ledger")
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileExistsError):  # owner-only: it names who received what
                    os.close(os.open(self.sqlite_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self.schema = schema
        self._engine = self._make_engine(parsed)
        self._hasher: SubjectHasher | None = None
        self._key: bytes | None = None
        self._lock = threading.Lock()
        meta = sa.MetaData(schema=schema)
        self.entries_t = sa.Table(
            "dc_entries", meta,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("created", sa.String(40), nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("prev_hash", sa.String(64), nullable=False),
            sa.Column("entry_hash", sa.String(64), nullable=False, unique=True),
        )
        self.head_t = sa.Table(
            "dc_head", meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("seq", sa.Integer, nullable=False),
            sa.Column("entry_hash", sa.String(64), nullable=False),
        )
        self.subjects_t = sa.Table(
            "dc_subjects", meta,
            sa.Column("seq", sa.Integer, nullable=False),
            sa.Column("subject_hash", sa.String(64), nullable=False),
            sa.PrimaryKeyConstraint("seq", "subject_hash"),
            sa.Index("dc_subjects_by_hash", "subject_hash"),
        )
        self.consents_t = sa.Table(
            "dc_consents", meta,
            sa.Column("subject_hash", sa.String(64), nullable=False),
            sa.Column("recipient", sa.String(200), nullable=False),
            sa.Column("purpose", sa.String(400), nullable=False),
            sa.Column("given", sa.String(40), nullable=False),
            sa.Column("countries", sa.String(400), nullable=False),
            sa.Column("withdrawn", sa.String(40), nullable=True),
            sa.Column("import_seq", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("subject_hash", "recipient", "purpose", "given"),
        )
        self.signatures_t = sa.Table(
            "dc_signatures", meta,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("signature", sa.String(120), nullable=False),
        )
        self.meta_t = sa.Table(
            "dc_meta", meta,
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(400), nullable=False),
        )
        self._metadata = meta
        self._ensure_schema(create)

    # ---------------------------------------------------------------- setup

    def _safe_url(self) -> str:
        try:
            return sa.engine.make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return "<unparseable>"

    def _make_engine(self, parsed: sa.URL) -> Engine:
        try:
            if self.dialect == "sqlite":
                engine = sa.create_engine(parsed, connect_args={"timeout": 120}, poolclass=sa.pool.NullPool)

                @sa.event.listens_for(engine, "connect")
                def _connect(dbapi_conn: Any, _record: Any) -> None:
                    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                    cur = dbapi_conn.cursor()
                    cur.execute("PRAGMA busy_timeout = 120000")
                    cur.close()

                @sa.event.listens_for(engine, "begin")
                def _begin(conn: Connection) -> None:
                    # writers take the write lock before reading the head: no two appends see the
                    # same head; readers use a deferred BEGIN so a read-only copy can be verified
                    write = conn.get_execution_options().get("dc_write", False)
                    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

                return engine
            return sa.create_engine(parsed, pool_pre_ping=True)
        except NoSuchModuleError:
            raise LedgerError(f"no database driver for {parsed.drivername!r}",
                              "use sqlite:///PATH or postgresql+psycopg://user@host/db") from None
        except ModuleNotFoundError as err:
            raise MissingDependency("a PostgreSQL ledger", "postgres", err.name or "psycopg") from None

    def _writer(self) -> Engine:
        """The engine for write transactions (SQLite: BEGIN IMMEDIATE)."""
        return self._engine.execution_options(dc_write=True)

    def _ensure_schema(self, create: bool) -> None:
        try:
            with self._engine.connect() as conn:
                if all(sa.inspect(conn).has_table(t, schema=self.schema) for t in ("dc_head", "dc_signatures")):
                    return
            with self._writer().begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_ID})
                    if self.schema:
                        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
                if not sa.inspect(conn).has_table("dc_head", schema=self.schema):
                    if not create:
                        raise LedgerError(f"{self._safe_url()} holds no ledger", "record a transfer first")
                    self._metadata.create_all(conn)
                    conn.execute(sa.insert(self.head_t).values(id=1, seq=0, entry_hash=GENESIS))
                else:  # a ledger from before entry signatures: add their table
                    self.signatures_t.create(conn, checkfirst=True)
        except OperationalError as err:
            raise LedgerError(f"cannot open the ledger at {self._safe_url()}: {_first_line(err)}",
                              "check the path or that the database server is running") from None
        except SQLAlchemyError as err:
            raise LedgerError(f"{self._safe_url()} is not a readable ledger: {_first_line(err)}",
                              "restore the ledger from backup or pass the right --ledger") from None

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A damaged database (a dropped table, garbage rows) is one LedgerError, never a traceback."""
        try:
            yield
        except SQLAlchemyError as err:
            raise LedgerError(f"cannot read the ledger: {_first_line(err)}",
                              "run 'datacustoms ledger verify'; restore the ledger from backup") from None
        except (ValueError, TypeError):
            raise LedgerError("the ledger holds an entry that is not valid JSON",
                              "run 'datacustoms ledger verify'; restore the ledger from backup") from None

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> LedgerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- keys

    @property
    def key(self) -> bytes:
        """The ledger's secret; refuses a key that is not this ledger's, never replaces a lost one.

        A key file is created only for a ledger that has never recorded a key check value; once it
        has, a missing file is an error (a new key would silently find nobody and sign nothing).
        """
        if self._key is None:
            query = sa.select(self.meta_t.c.value).where(self.meta_t.c.name == "key_check")
            with self._reading(), self._engine.connect() as conn:
                row = conn.execute(query).first()
            key = load_key(self.sqlite_path, create=row is None)
            kcv = key_check_value(key)
            if row is None:  # first use: remember the key's check value (a write, so locked)
                with self._reading(), self._lock, self._writer().begin() as conn:
                    self._lock_head(conn)  # PostgreSQL: first writers queue here, then see the row
                    row = conn.execute(query).first()
                    if row is None:
                        conn.execute(sa.insert(self.meta_t).values(name="key_check", value=kcv))
            if row is not None and row[0] != kcv:
                raise KeyMaterialError(
                    "the subject-hash key is not the one this ledger was created with",
                    "set DATACUSTOMS_LEDGER_KEY (or restore the .key file) to the ledger's key",
                )
            self._key = key
        return self._key

    @property
    def hasher(self) -> SubjectHasher:
        """The keyed hasher for subject identifiers."""
        if self._hasher is None:
            self._hasher = SubjectHasher(self.key)
        return self._hasher

    def _lock_head(self, conn: Connection) -> tuple[int, str]:
        row = conn.execute(sa.select(self.head_t.c.seq, self.head_t.c.entry_hash)
                           .where(self.head_t.c.id == 1).with_for_update()).one()
        return int(row[0]), str(row[1])

    def anchor(self) -> Anchor:
        """A signed statement of the current head, to keep outside the database."""
        key = signing_key(self.key)
        result = self.verify()
        if not result.ok:
            first = result.problems[0]
            raise LedgerTampered(f"will not anchor a damaged ledger: {first.message}", "restore it from backup")
        seq, head = self.head()
        return make_anchor(key, seq, head)

    # ---------------------------------------------------------------- writing

    def append(
        self,
        kind: str,
        body: dict[str, Any],
        subjects: Iterable[str] = (),
        within: Within | None = None,
    ) -> Entry:
        """Append one entry (and its subject index) atomically; returns the stored entry.

        ``within`` runs in the same transaction after the chain is locked and may add fields to
        the body (a consent import writes its rows there, so rows and entry commit together).
        """
        body = body_signed(body)
        tokens = sorted(set(subjects))
        signer = signing_key(self.key)
        try:
            with self._lock, self._writer().begin() as conn:
                head = self._lock_head(conn)
                last = conn.execute(
                    sa.select(self.entries_t.c.seq, self.entries_t.c.entry_hash)
                    .order_by(self.entries_t.c.seq.desc()).limit(1)
                ).first()
                last_seq, last_hash = (last[0], last[1]) if last else (0, GENESIS)
                if (last_seq, last_hash) != (head[0], head[1]):
                    raise LedgerTampered(
                        f"the ledger's last entry ({last_seq}) is not its recorded head ({head[0]})",
                        "run 'datacustoms ledger verify' and restore the ledger from backup",
                    )
                seq = last_seq + 1
                if within is not None:
                    extra = within(conn, seq)
                    if extra:
                        body.update(extra)
                if tokens:
                    body["subject_index_sha256"] = index_digest(tokens)
                created = datetime.now(UTC).isoformat(timespec="microseconds")
                body = _jsonable(body)
                digest = entry_hash(kind, created, body, last_hash)
                conn.execute(sa.insert(self.entries_t).values(
                    seq=seq, kind=kind, created=created, body=canonical_json(body),
                    prev_hash=last_hash, entry_hash=digest,
                ))
                for i in range(0, len(tokens), 5000):
                    conn.execute(sa.insert(self.subjects_t),
                                 [{"seq": seq, "subject_hash": t} for t in tokens[i:i + 5000]])
                conn.execute(sa.insert(self.signatures_t).values(seq=seq, signature=sign_hash(signer, digest)))
                conn.execute(sa.update(self.head_t).where(self.head_t.c.id == 1)
                             .values(seq=seq, entry_hash=digest))
        except SQLAlchemyError as err:
            raise LedgerError(f"cannot append to the ledger: {_first_line(err)}",
                              "check that the database is writable and reachable") from None
        return Entry(seq, kind, created, body, last_hash, digest)

    # ---------------------------------------------------------------- reading

    def _row_to_entry(self, row: Any) -> Entry:
        import json

        return Entry(row.seq, row.kind, row.created, json.loads(row.body), row.prev_hash, row.entry_hash)

    def iter_entries(self, kind: str | None = None) -> Iterator[Entry]:
        query = sa.select(self.entries_t).order_by(self.entries_t.c.seq)
        if kind:
            query = query.where(self.entries_t.c.kind == kind)
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                yield self._row_to_entry(row)

    def entries(self, kind: str | None = None) -> list[Entry]:
        with self._reading():
            return list(self.iter_entries(kind))

    def get(self, ref: str) -> Entry:
        """An entry by sequence number, transfer id, or a prefix (≥ 6 hex) of its hash."""
        ref = ref.strip()
        t = self.entries_t
        with self._reading(), self._engine.connect() as conn:
            row = None
            if ref.isdigit():
                row = conn.execute(sa.select(t).where(t.c.seq == int(ref))).first()
            if row is None and len(ref) >= 6 and all(ch in "0123456789abcdef" for ch in ref.lower()):
                rows = conn.execute(sa.select(t).where(t.c.entry_hash.like(ref.lower() + "%")).limit(2)).all()
                row = rows[0] if len(rows) == 1 else None
            if row is None and ref.replace("-", "").isalnum():
                like = f'%"transfer_id":"{ref}"%'
                row = conn.execute(sa.select(t).where(t.c.body.like(like)).limit(1)).first()
        if row is None:
            raise LedgerError(f"no ledger entry {ref!r}", "see 'datacustoms ledger list' for entry numbers")
        return self._row_to_entry(row)

    def head(self) -> tuple[int, str]:
        with self._reading(), self._engine.connect() as conn:
            row = conn.execute(sa.select(self.head_t.c.seq, self.head_t.c.entry_hash)
                               .where(self.head_t.c.id == 1)).one()
        return int(row[0]), str(row[1])

    def subject_tokens(self, seq: int) -> list[str]:
        s = self.subjects_t
        with self._reading(), self._engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.select(s.c.subject_hash).where(s.c.seq == seq)
                                               .order_by(s.c.subject_hash))]

    def lookup(self, token: str) -> list[Entry]:
        """Entries whose subject index holds ``token`` (a keyed subject hash)."""
        s, t = self.subjects_t, self.entries_t
        query = (sa.select(t).join(s, s.c.seq == t.c.seq)
                 .where(s.c.subject_hash == token).order_by(t.c.seq))
        with self._reading(), self._engine.connect() as conn:
            return [self._row_to_entry(r) for r in conn.execute(query)]

    def verify(self, expect_head: str | None = None, anchor: Anchor | None = None) -> VerifyResult:
        """Check the chain, the head row, each subject index, the signatures, the consent table and an anchor."""
        entries = self.entries()
        result = verify_chain(entries, expect_head)
        seq, head_hash = self.head()
        if result.ok and (seq, head_hash) != ((entries[-1].seq, entries[-1].entry_hash) if entries else (0, GENESIS)):
            result.problems.append(Problem(seq, "head", f"the head row names entry {seq} but the last entry "
                                           f"is {entries[-1].seq if entries else 0}: entries were cut off the end"))
        if result.ok:
            problem = self._check_indexes(entries) or self._check_signed(entries, anchor)
            if problem is None:
                with self._reading(), self._engine.connect() as conn:
                    problem = check_consents(entries, *consents_digest(conn, self.consents_t))
            if problem is not None:
                result.problems.append(problem)
        return result

    def _check_indexes(self, entries: list[Entry]) -> Problem | None:
        for e in entries:
            committed = e.body.get("subject_index_sha256")
            tokens = self.subject_tokens(e.seq)
            if (committed is None and tokens) or (committed is not None and committed != index_digest(tokens)):
                return Problem(e.seq, "index", f"the subject index of entry {e.seq} was changed after it was recorded")
        return None

    def _check_signed(self, entries: list[Entry], anchor: Anchor | None) -> Problem | None:
        """Signatures (needs the ledger's key once any entry is signed) and the anchor, if given."""
        if anchor is None and not any(e.body.get("signed") for e in entries):
            return None
        public = signing_key(self.key).public_key()
        with self._reading(), self._engine.connect() as conn:
            sigs = {int(r[0]): str(r[1]) for r in conn.execute(sa.select(self.signatures_t))}
        problem = check_signatures(entries, sigs, public)
        if problem is None and anchor is not None:
            problem = check_anchor(entries, anchor, public)
        return problem

    def consents_state(self, conn: Connection) -> dict[str, Any]:
        """What a consent import commits to the chain: the digest of the whole consent table."""
        digest, rows = consents_digest(conn, self.consents_t)
        return {"consents_sha256": digest, "consents_total": rows}

    def check_consents(self) -> None:
        """Refuse to use consents that do not verify (chain and consent table), before a transfer."""
        entries = self.entries()
        result = verify_chain(entries)
        if result.ok:
            with self._reading(), self._engine.connect() as conn:
                problem = check_consents(entries, *consents_digest(conn, self.consents_t))
            if problem is not None:
                result.problems.append(problem)
        if not result.ok:
            raise LedgerTampered(f"will not judge consent on a damaged ledger: {result.problems[0].message}",
                                 "run 'datacustoms ledger verify' and restore the ledger from backup")

    # ---------------------------------------------------------------- consent

    def consents_for(self, tokens: Iterable[str]) -> dict[str, list[Consent]]:
        """All consents of the given subjects (queried in chunks, so it streams with the data)."""
        wanted = sorted(set(tokens))
        out: dict[str, list[Consent]] = {}
        c = self.consents_t
        with self._reading(), self._engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                part = wanted[i:i + _CHUNK]
                for r in conn.execute(sa.select(c).where(c.c.subject_hash.in_(part))):
                    out.setdefault(r.subject_hash, []).append(Consent(
                        r.subject_hash, r.recipient, r.purpose,
                        tuple(x for x in r.countries.split(";") if x), r.given, r.withdrawn))
        return out

    def upsert_consents(self, conn: Connection, rows: list[dict[str, Any]], import_seq: int) -> tuple[int, int]:
        """Insert consents, or update countries / withdrawal of a known one. Returns (new, updated)."""
        c = self.consents_t
        new = updated = 0
        for i in range(0, len(rows), _CHUNK):
            part = rows[i:i + _CHUNK]
            keys = {(r["subject_hash"], r["recipient"], r["purpose"], r["given"]) for r in part}
            existing = {
                (r.subject_hash, r.recipient, r.purpose, r.given): (r.countries, r.withdrawn)
                for r in conn.execute(sa.select(c).where(c.c.subject_hash.in_({k[0] for k in keys})))
            }
            inserts = []
            for r in part:
                k = (r["subject_hash"], r["recipient"], r["purpose"], r["given"])
                if k in existing:
                    if existing[k] != (r["countries"], r["withdrawn"]):
                        conn.execute(sa.update(c).where(
                            c.c.subject_hash == k[0], c.c.recipient == k[1], c.c.purpose == k[2], c.c.given == k[3]
                        ).values(countries=r["countries"], withdrawn=r["withdrawn"], import_seq=import_seq))
                        updated += 1
                else:
                    inserts.append({**r, "import_seq": import_seq})
                    existing[k] = (r["countries"], r["withdrawn"])
            if inserts:
                conn.execute(sa.insert(c), inserts)
                new += len(inserts)
        return new, updated


def _first_line(err: Exception) -> str:
    text = str(getattr(err, "orig", None) or err)
    return text.strip().splitlines()[0][:200] if text.strip() else type(err).__name__


def _jsonable(body: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON so the hashed body equals what is read back."""
    import json

    result: dict[str, Any] = json.loads(canonical_json(body))
    return result
