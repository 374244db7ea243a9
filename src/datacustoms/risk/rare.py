"""Rare values and near-unique columns (rule R13).

A value seen fewer than k times singles out its holders whatever the other columns say (HIPAA's
"unique identifying characteristic"); a column whose distinct count is close to its row count is
an identifier in all but name. For quasi-identifiers and sensitive columns the counts are the
marginals of the cells table, so no extra pass over the data is needed; other columns can be
measured with :func:`column_uniqueness` (one DuckDB pass over the named columns).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from datacustoms.risk.classes import check_columns, connect, quote, source_sql
from datacustoms.risk.model import ColumnUniqueness, RareValues
from datacustoms.table import Table

EXAMPLES = 5
EXAMPLE_CHARS = 24


def _example(value: object) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def rare_from_cells(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[tuple[str, str]],
    *,
    rows: int,
    threshold: int,
    near_unique: float,
    cells: str = "dc_cells",
) -> tuple[list[RareValues], list[ColumnUniqueness]]:
    """Rare values and uniqueness of each (name, cells column) pair, from the cells' marginals."""
    rare: list[RareValues] = []
    unique: list[ColumnUniqueness] = []
    for name, key in columns:
        row = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE cnt < {threshold}), "
            f"coalesce(sum(cnt) FILTER (WHERE cnt < {threshold}), 0), "
            f"arg_min(v, cnt, {EXAMPLES}) FILTER (WHERE cnt < {threshold}) "
            f"FROM (SELECT {key} AS v, sum(n) AS cnt FROM {cells} GROUP BY {key})"
        ).fetchone()
        assert row is not None
        distinct, rare_values, rare_records, examples = row
        rare.append(
            RareValues(
                column=name,
                threshold=threshold,
                distinct=int(distinct),
                rare_values=int(rare_values),
                rare_records=int(rare_records),
                examples=[_example(v) for v in (examples or [])],
            )
        )
        ratio = distinct / rows if rows else 0.0
        unique.append(
            ColumnUniqueness(
                column=name, rows=rows, distinct=int(distinct), ratio=ratio, near_unique=ratio > near_unique
            )
        )
    return rare, unique


def column_uniqueness(
    table: Table, columns: Sequence[str] | None = None, near_unique: float = 0.9
) -> list[ColumnUniqueness]:
    """Exact distinct / rows for each column (NULL counts as one value), in one DuckDB pass."""
    names = list(columns) if columns is not None else table.column_names
    check_columns(table, names)
    if not names:
        return []
    with connect() as con:
        src = source_sql(con, table, names, "dc_uniq_src")
        items = ", ".join(
            f"count(DISTINCT {quote(c)}) + (count(*) FILTER (WHERE {quote(c)} IS NULL) > 0)::INT"
            for c in names
        )
        row = con.execute(f"SELECT count(*), {items} FROM (SELECT {', '.join(map(quote, names))} FROM {src})")
        values = row.fetchone()
    assert values is not None
    rows = int(values[0])
    result = []
    for name, distinct in zip(names, values[1:], strict=True):
        ratio = distinct / rows if rows else 0.0
        result.append(
            ColumnUniqueness(
                column=name, rows=rows, distinct=int(distinct), ratio=ratio, near_unique=ratio > near_unique
            )
        )
    return result
