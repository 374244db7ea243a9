"""The one equivalence-class histogram, computed by DuckDB while it streams the source.

ARX's lesson: every risk figure derives from one histogram of equivalence classes (records that
agree on all quasi-identifiers). Here that histogram is a single ``GROUP BY`` in DuckDB that reads
Parquet files directly (``Table.duckdb_scan``) or consumes the table's Arrow stream, so no row
ever becomes a Python object. When sensitive columns are given, the same group-by also keys on
them (the "cells"), so diversity and t-closeness come from the same pass. NULL in a
quasi-identifier is a value of its own: SQL's ``GROUP BY`` puts all NULLs in one group.

Quasi-identifiers may be given as SQL expressions (``{"age": "floor(TRY_CAST(age AS INT) / 10)"}``)
so the protect stage can predict k after a generalisation without writing anything.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence

import duckdb

from datacustoms.errors import ColumnError, UsageError
from datacustoms.model.risk import ClassHistogram
from datacustoms.table import Table

#: DuckDB limits: the machine is shared, so stay small and spill to disk instead of growing
MEMORY_LIMIT = "1GB"
THREADS = 2


def quote(name: str) -> str:
    """A SQL identifier, quoted (column names come from files and may hold anything)."""
    return '"' + name.replace('"', '""') + '"'


def check_columns(table: Table, qi: Sequence[str], sensitive: Sequence[str] = ()) -> None:
    """Fail before touching data when a named column is unknown, empty, or used twice."""
    names = table.column_names
    if not qi:
        raise UsageError("no quasi-identifiers given", "name them with --qi a,b,c")
    for column in [*qi, *sensitive]:
        if column not in names:
            raise ColumnError(column, names, "quasi-identifier" if column in qi else "sensitive column")
    seen: set[str] = set()
    for column in [*qi, *sensitive]:
        if column in seen:
            raise UsageError(
                f"column {column!r} is named twice",
                "a column is either a quasi-identifier or sensitive, once",
            )
        seen.add(column)


@contextlib.contextmanager
def connect(memory_limit: str = MEMORY_LIMIT, threads: int = THREADS) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with bounded memory that spills to a private temporary folder."""
    spill = tempfile.mkdtemp(prefix="datacustoms-duckdb-")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET threads = {int(threads)}")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")  # long queries must not draw on the user's terminal
        con.execute(f"SET temp_directory = '{spill}'")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def source_sql(con: duckdb.DuckDBPyConnection, table: Table, columns: Sequence[str], alias: str) -> str:
    """A FROM-clause item that streams ``columns`` of ``table`` (Parquet scanned directly).

    Non-Parquet sources are registered as an Arrow stream, which DuckDB can read exactly once:
    callers scan it in one statement and keep what they need in temporary tables.
    """
    if table.duckdb_scan:
        return f"{table.duckdb_scan}"
    con.register(alias, table.reader(list(dict.fromkeys(columns))))
    return alias


def cell_names(qi: Sequence[str], sensitive: Sequence[str] = ()) -> list[str]:
    """The cells table's key columns for these quasi-identifiers and sensitive columns: ``q0.., s0..``."""
    return [f"q{i}" for i in range(len(qi))] + [f"s{i}" for i in range(len(sensitive))]


def build_cells(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    qi: Sequence[str],
    sensitive: Sequence[str] = (),
    expressions: Mapping[str, str] | None = None,
    name: str = "dc_cells",
) -> None:
    """Create temporary table ``name(q0.., s0.., n)``: one row per class × sensitive values."""
    expressions = expressions or {}
    for column in expressions:
        if column not in qi:
            raise UsageError(f"expression given for {column!r}, which is not a quasi-identifier", "")
    src = source_sql(con, table, [*qi, *sensitive], f"{name}_src")
    items = [f"{expressions.get(c, quote(c))} AS q{i}" for i, c in enumerate(qi)]
    items += [f"{quote(c)} AS s{i}" for i, c in enumerate(sensitive)]
    keys = ", ".join(cell_names(qi, sensitive))
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS "
            f"SELECT {keys}, count(*)::BIGINT AS n "
            f"FROM (SELECT {', '.join(items)} FROM {src}) GROUP BY {keys}"
        )
    except duckdb.Error as err:
        if expressions:
            raise UsageError(
                f"a quasi-identifier expression does not evaluate ({str(err).splitlines()[0][:160]})",
                "check the SQL expression",
            ) from None
        raise


def histogram_from_cells(con: duckdb.DuckDBPyConnection, qi_count: int, name: str = "dc_cells") -> ClassHistogram:
    """Class size → number of classes, from the cells table (marginalising sensitive columns)."""
    keys = ", ".join(f"q{i}" for i in range(qi_count))
    rows = con.execute(
        f"SELECT size, count(*) FROM (SELECT sum(n)::BIGINT AS size FROM {name} GROUP BY {keys}) "
        "GROUP BY size ORDER BY size"
    ).fetchall()
    return ClassHistogram(sizes=[int(r[0]) for r in rows], counts=[int(r[1]) for r in rows])


def class_sizes(
    table: Table,
    qi: Sequence[str],
    *,
    expressions: Mapping[str, str] | None = None,
) -> ClassHistogram:
    """The equivalence-class histogram of ``table`` over ``qi`` (optionally generalised).

    ``expressions`` maps a quasi-identifier to a DuckDB SQL expression over the table's columns
    that replaces it in the group-by, e.g. ``{"age": "floor(TRY_CAST(\\"age\\" AS INT) / 10) * 10"}``:
    the protect stage predicts k after a generalisation without materialising the result.
    """
    check_columns(table, qi)
    with connect() as con:
        build_cells(con, table, qi, (), expressions)
        return histogram_from_cells(con, len(qi))
