"""SQL tables through any SQLAlchemy URL, streamed with a server-side cursor, typed columns kept.

Each column's Arrow type comes from its declared SQL type (:func:`arrow_type`): integers stay
integers, dates dates, timestamps timestamps (with their zone), exact decimals ``decimal128``
(text when the database does not bound the precision, so no digit is lost), booleans booleans,
binary binary; text, enums and UUIDs are text. A column of a type not listed (or declared without
a type, as SQLite allows) is inferred from the first rows, as before, falling back to text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from datacustoms.errors import ColumnError, InputError, MissingDependency
from datacustoms.table import Table

FETCH_ROWS = 50_000


def read_sql(url: str, *, table: str | None, name: str | None = None) -> Table:
    """Open ``table`` in the database at ``url`` as a Table, each column of its declared type."""
    import sqlalchemy as sa

    if not table:
        raise InputError("a SQL source needs a table", "pass --table NAME")
    _require_sqlite_file(url)
    try:
        engine = sa.create_engine(url)
        inspector = sa.inspect(engine)
        tables = inspector.get_table_names()
    except ModuleNotFoundError as err:
        raise MissingDependency(f"the database URL {url.split('://')[0]}://", "postgres", err.name or "") from None
    except sa.exc.ArgumentError:
        raise InputError(
            f"{url.split('://')[0]}:// is not a database URL SQLAlchemy knows", "e.g. sqlite:///file.db"
        ) from None
    except sa.exc.SQLAlchemyError as err:
        raise InputError(
            f"cannot connect to the database ({type(err).__name__})", "check the URL and that the server runs"
        ) from None
    if table not in tables:
        raise ColumnError(table, tables, what="table")
    meta_table = sa.Table(table, sa.MetaData(), autoload_with=engine)
    columns = [c.name for c in meta_table.columns]
    declared = [arrow_type(c.type) for c in meta_table.columns]
    converters = [_converter(c.name, t, c.type) for t, c in zip(declared, meta_table.columns, strict=True)]

    def open_batches() -> Iterator[pa.RecordBatch]:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(sa.select(meta_table))
            for rows in result.partitions(FETCH_ROWS):
                cols: list[tuple[object, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
                yield pa.record_batch([convert(c) for convert, c in zip(converters, cols, strict=True)], names=columns)

    first = next(open_batches(), None) if any(t is None for t in declared) else None
    schema = pa.schema(
        [
            pa.field(c, t if t is not None else first.schema.field(c).type if first is not None else pa.string())
            for c, t in zip(columns, declared, strict=True)
        ]
    )

    def conformed() -> Iterator[pa.RecordBatch]:
        for batch in open_batches():
            yield batch.cast(schema) if batch.schema != schema else batch

    return Table(name=name or table, schema=schema, open_batches=conformed, source=_redact(url), format="sql")


def arrow_type(sql_type: Any) -> pa.DataType | None:
    """The Arrow type of a declared SQL type; None when the values must decide."""
    import sqlalchemy as sa

    if isinstance(sql_type, sa.Boolean):
        return pa.bool_()
    if isinstance(sql_type, sa.SmallInteger):
        return pa.int16()
    if isinstance(sql_type, sa.Integer):
        return pa.int64()
    if isinstance(sql_type, sa.Float):
        return pa.float64()
    if isinstance(sql_type, sa.Numeric):
        precision, scale = sql_type.precision, sql_type.scale
        if precision is not None and 0 < precision <= 38 and scale is not None and 0 <= scale <= precision:
            return pa.decimal128(precision, scale)
        return pa.string()  # unbounded: exact text rather than a rounded double
    if isinstance(sql_type, sa.DateTime):
        return pa.timestamp("us", tz="UTC") if sql_type.timezone else pa.timestamp("us")
    if isinstance(sql_type, sa.Date):
        return pa.date32()
    if isinstance(sql_type, sa.Time):
        return pa.time64("us")
    if isinstance(sql_type, sa.String | sa.Enum | sa.Uuid):
        return pa.string()
    if isinstance(sql_type, sa.LargeBinary | sa.BINARY | sa.VARBINARY):
        return pa.binary()
    return None


def _converter(name: str, arrow: pa.DataType | None, sql_type: Any) -> Callable[[tuple[object, ...]], pa.Array]:
    """Values of one column → an Arrow array of its declared type (or inferred, when none)."""
    if arrow is None:
        return _to_arrow
    as_text = pa.types.is_string(arrow)
    as_bytes = pa.types.is_binary(arrow)

    def convert(values: tuple[object, ...]) -> pa.Array:
        if as_text:
            return pa.array([None if v is None else str(v) for v in values], pa.string())
        try:
            return pa.array([None if v is None else bytes(v) for v in values] if as_bytes else list(values), arrow)  # type: ignore[call-overload]
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            raise InputError(
                f"column {name!r} is declared {sql_type} but holds values of another type",
                "cast it in a view (CREATE VIEW … AS SELECT CAST(…)) and read the view",
            ) from None

    return convert


def _to_arrow(values: list[object] | tuple[object, ...]) -> pa.Array:
    try:
        return pa.array(list(values))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _require_sqlite_file(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist: SQLite would create an empty database there."""
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # reported by read_sql with the usual message
    database = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or database in ("", ":memory:") or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise InputError(
            f"the SQLite database {database} does not exist",
            "check the path: sqlite:///relative.db or sqlite:////absolute/path.db",
        )


def _redact(url: str) -> str:
    """Never echo a password from a URL."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://")[0] + "://…"
