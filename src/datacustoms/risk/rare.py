"""Rare values and near-unique columns (rule R13).

A value seen fewer than k times singles out its holders whatever the other columns say (HIPAA's
"unique identifying characteristic"); a column whose distinct count is close to its row count is
an identifier in all but name. For quasi-identifiers and sensitive columns ``risk_profile``
counts the values inside DuckDB from the cells table (``risk.cellstats.rare_values``: counts and
five examples come back, never the distinct values); other columns can be measured with
:func:`column_uniqueness` (one DuckDB pass over the named columns, one row back).
"""

from __future__ import annotations

from collections.abc import Sequence

from datacustoms.model.risk import ColumnUniqueness
from datacustoms.risk.classes import check_columns, connect, quote, source_sql
from datacustoms.table import Table

EXAMPLES = 5
EXAMPLE_CHARS = 24


def example(value: object) -> str:
    """A value as shown in a report: NULL spelled out, long text truncated."""
    text = "NULL" if value is None else str(value)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


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
            f"count(DISTINCT {quote(c)}) + (count(*) FILTER (WHERE {quote(c)} IS NULL) > 0)::INT" for c in names
        )
        row = con.execute(f"SELECT count(*), {items} FROM (SELECT {', '.join(map(quote, names))} FROM {src})")
        values = row.fetchall()[0]
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
