"""SQL tables through any SQLAlchemy URL, streamed with a server-side cursor."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from datacustoms.errors import ColumnError, InputError, MissingDependency
from datacustoms.table import Table

FETCH_ROWS = 50_000


def read_sql(url: str, *, table: str | None, name: str | None = None) -> Table:
    """Open ``table`` in the database at ``url`` as a Table of the columns' text values."""
    import sqlalchemy as sa

    if not table:
        raise InputError("a SQL source needs a table", "pass --table NAME")
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
    columns = [c["name"] for c in inspector.get_columns(table)]
    meta_table = sa.Table(table, sa.MetaData(), autoload_with=engine)

    def open_batches() -> Iterator[pa.RecordBatch]:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(sa.select(meta_table))
            for rows in result.partitions(FETCH_ROWS):
                cols: list[tuple[object, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
                yield pa.record_batch([_to_arrow(c) for c in cols], names=columns)

    first = next(open_batches(), None)
    schema = first.schema if first is not None else pa.schema([pa.field(c, pa.string()) for c in columns])

    def conformed() -> Iterator[pa.RecordBatch]:
        for batch in open_batches():
            yield batch.cast(schema) if batch.schema != schema else batch

    return Table(name=name or table, schema=schema, open_batches=conformed, source=_redact(url), format="sql")


def _to_arrow(values: list[object] | tuple[object, ...]) -> pa.Array:
    try:
        return pa.array(list(values))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _redact(url: str) -> str:
    """Never echo a password from a URL."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://")[0] + "://…"
