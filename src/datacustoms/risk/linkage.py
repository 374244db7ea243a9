"""Linkage test against an auxiliary table (rule R16, ISO/IEC 27559, NIST SP 800-188).

The recipient (or anyone) may hold a table with the same quasi-identifiers and names attached: a
public register, its own customers. A record that agrees on the join columns with exactly one
auxiliary record is re-identified by a plain join. Both sides are reduced to class counts with
one DuckDB group-by each and the counts are joined, so neither table is held in memory.

Values are compared as text (CSV columns are text, Parquet ones may be numbers) after trimming
spaces. A NULL never links: an unknown value cannot confirm a match.
"""

from __future__ import annotations

from collections.abc import Sequence

from datacustoms.errors import ColumnError, UsageError
from datacustoms.model.risk import LinkageResult
from datacustoms.risk.classes import connect, quote, source_sql
from datacustoms.table import Table


def linkage_rate(table: Table, aux: Table, on: Sequence[str]) -> LinkageResult:
    """How many records of ``table`` the auxiliary table links, uniquely or at all."""
    on = list(on)
    if not on:
        raise UsageError("no join columns given for the linkage test", "name the shared quasi-identifiers")
    for column in on:
        if column not in table.column_names:
            raise ColumnError(column, table.column_names, "join column")
        if column not in aux.column_names:
            raise ColumnError(column, aux.column_names, "join column of the auxiliary table")
    keys = ", ".join(f"k{i}" for i in range(len(on)))
    items = ", ".join(f"trim(CAST({quote(c)} AS VARCHAR)) AS k{i}" for i, c in enumerate(on))
    with connect() as con:
        for name, source in (("dc_left", table), ("dc_right", aux)):
            src = source_sql(con, source, on, f"{name}_src")
            con.execute(
                f"CREATE TEMP TABLE {name} AS SELECT {keys}, count(*)::BIGINT AS n "
                f"FROM (SELECT {items} FROM {src}) GROUP BY {keys}"
            )
        join = " AND ".join(f"l.k{i} = r.k{i}" for i in range(len(on)))
        row = con.execute(
            "SELECT (SELECT coalesce(sum(n), 0) FROM dc_left), (SELECT coalesce(sum(n), 0) FROM dc_right), "
            "coalesce(sum(l.n), 0), coalesce(sum(l.n) FILTER (WHERE r.n = 1), 0), "
            "count(*) FILTER (WHERE r.n = 1 AND l.n = 1) "
            f"FROM dc_left l JOIN dc_right r ON {join}"
        ).fetchall()[0]
    assert row is not None
    rows, aux_rows, linked, unique, one_to_one = (int(v) for v in row)
    return LinkageResult(
        on=on,
        rows=rows,
        aux_rows=aux_rows,
        linked_records=linked,
        unique_links=unique,
        one_to_one=one_to_one,
        unique_link_rate=unique / rows if rows else 0.0,
    )
