"""Every per-class figure of a profile, computed inside DuckDB from the one cells table.

The cells table (``build_cells``: class key × sensitive values → count) can hold about one row
per record when a sensitive column is near-unique, so nothing here fetches it: DuckDB (bounded
memory, spilling) reduces it with aggregates and window functions, and Python receives a few
numbers per column plus at most ``EXAMPLES`` rare values. For a class of size f with value
counts n_v and the table's shares p_v:

- distinct l, classes / records below l: ``count(*)`` of a class's cells;
- entropy l: exp(min H), H = ln f − Σ n_v ln n_v / f;
- recursive (c, l): ``row_number()`` over the class's counts in descending order gives
  r_1 + … + r_{l−1}; the class needs c > r_1 / (f − r_1 − … − r_{l−1});
- t, equal distance: Σ max(n_v / f − p_v, 0) (= ½ Σ |q_v − p_v|), one join with the table's counts;
- t, ordered distance: see :func:`_ordered_classes`;
- dominance: max n_v ≥ share · f.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from datacustoms.model.risk import ClassHistogram, ColumnUniqueness, Diversity, RareValues
from datacustoms.model.thresholds import Thresholds
from datacustoms.risk.coded import Encoded, grid_figures
from datacustoms.risk.rare import EXAMPLES, example

#: slack on float comparisons, as in the figures' definitions (shares and logs are not exact)
EPS = 1e-9


#: the packed class key is a BIGINT: the product of the quasi-identifiers' distinct counts must fit
_PACK_LIMIT = 1 << 62


def class_table(con: duckdb.DuckDBPyConnection, qi_count: int, sensitive_count: int) -> str:
    """Name of the class table ``(size[, cid])`` derived from the cells of ``build_cells``.

    Also leaves each quasi-identifier's marginal counts in ``dc_m{i}(v, n)`` (for
    :func:`qi_rare_values`). Without sensitive columns the cells *are* the classes (a view). With
    them, each quasi-identifier is dictionary-encoded once (its distinct values, numbered, from
    its marginal table) and every cell gets one packed BIGINT class key, ``cid = Σ code_i · m_i``
    with ``m_i`` the product of the later columns' distinct counts: every later per-class step
    groups, joins and partitions on that one integer instead of the quasi-identifiers. ``dc_ck(cid,
    size, s.., n)`` holds the cells with their class size (one window over the key); the
    quasi-identifiers' text is dropped with ``dc_cells``. Where the product of the distinct counts
    does not fit a BIGINT, classes are numbered by a group-by and a join on the
    quasi-identifiers instead (the same figures, more work).
    """
    keys = ", ".join(f"q{i}" for i in range(qi_count))
    cards = []
    for i in range(qi_count):
        con.execute(f"CREATE OR REPLACE TEMP TABLE dc_m{i} AS SELECT q{i} AS v, sum(n)::BIGINT AS n FROM dc_cells GROUP BY q{i}")
        cards.append(int(con.execute(f"SELECT count(*) FROM dc_m{i}").fetchall()[0][0]))
    if not sensitive_count:
        con.execute(f"CREATE OR REPLACE TEMP VIEW dc_classes AS SELECT {keys}, n AS size FROM dc_cells")
        return "dc_classes"
    product = 1
    for c in cards:
        product *= max(c, 1)
    values = "".join(f", c.s{i}" for i in range(sensitive_count))
    if product >= _PACK_LIMIT:
        _class_table_joined(con, qi_count, sensitive_count)
        return "dc_classes"
    strides, m = [], 1
    for c in reversed(cards):
        strides.append(m)
        m *= max(c, 1)
    strides.reverse()
    joins = ""
    for i in range(qi_count):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE dc_d{i} AS SELECT v, (row_number() OVER (ORDER BY v NULLS LAST) - 1)::BIGINT "
            f"AS code FROM dc_m{i}"
        )
        joins += f" JOIN dc_d{i} d{i} ON c.q{i} IS NOT DISTINCT FROM d{i}.v"
    packed = " + ".join(f"d{i}.code * {strides[i]}" for i in range(qi_count))
    con.execute(f"CREATE OR REPLACE TEMP TABLE dc_k0 AS SELECT ({packed})::BIGINT AS cid{values}, c.n FROM dc_cells c{joins}")
    con.execute("DROP TABLE dc_cells")
    for i in range(qi_count):
        con.execute(f"DROP TABLE dc_d{i}")
    con.execute("CREATE OR REPLACE TEMP TABLE dc_classes AS SELECT cid, sum(n)::BIGINT AS size FROM dc_k0 GROUP BY cid")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dc_ck AS SELECT c.cid, k.size{values}, c.n FROM dc_k0 c JOIN dc_classes k USING (cid)"
    )
    con.execute("DROP TABLE dc_k0")
    return "dc_classes"


def _class_table_joined(con: duckdb.DuckDBPyConnection, qi_count: int, sensitive_count: int) -> None:
    """``dc_classes(q.., size, cid)`` by a group-by, and ``dc_ck(cid, size, s.., n)`` by a join on the
    quasi-identifiers: for quasi-identifiers whose distinct counts multiply past a BIGINT."""
    keys = ", ".join(f"q{i}" for i in range(qi_count))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dc_classes AS SELECT {keys}, sum(n)::BIGINT AS size, "
        f"(row_number() OVER ())::BIGINT AS cid FROM dc_cells GROUP BY {keys}"
    )
    values = "".join(f", c.s{i}" for i in range(sensitive_count))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dc_ck AS SELECT k.cid, k.size{values}, c.n "
        f"FROM dc_cells c JOIN dc_classes k ON {_same_class(qi_count)}"
    )
    con.execute("DROP TABLE dc_cells")


def _same_class(qi_count: int) -> str:
    return " AND ".join(f"c.q{i} IS NOT DISTINCT FROM k.q{i}" for i in range(qi_count))


def class_cells(qi_count: int, sensitive_count: int, index: int) -> str:
    """SQL with rows ``(cid, size, v, n)``: each class's count of each value of sensitive column ``index``."""
    if sensitive_count == 1:
        return "SELECT cid, size, s0 AS v, n FROM dc_ck"
    return f"SELECT cid, any_value(size) AS size, s{index} AS v, sum(n)::BIGINT AS n FROM dc_ck GROUP BY cid, s{index}"


def value_counts(sensitive_count: int, index: int) -> str:
    """SQL with rows ``(v, n)``: the whole table's count of each value of sensitive column ``index``."""
    return f"SELECT s{index} AS v, sum(n)::BIGINT AS n FROM dc_ck GROUP BY s{index}"


def histogram(con: duckdb.DuckDBPyConnection, classes: str) -> ClassHistogram:
    """Class size → number of classes (O(distinct sizes) rows come back)."""
    rows = con.execute(f"SELECT size, count(*) FROM {classes} GROUP BY size ORDER BY size").fetchall()
    return ClassHistogram(sizes=[int(r[0]) for r in rows], counts=[int(r[1]) for r in rows])


def rare_values(
    con: duckdb.DuckDBPyConnection,
    column: str,
    counts: str,
    *,
    rows: int,
    threshold: int,
    near_unique: float,
) -> tuple[RareValues, ColumnUniqueness]:
    """Rare values and uniqueness from a table ``counts(v, n)`` of one column's value counts.

    Only the figures and the ``EXAMPLES`` rarest values (ties by value) leave DuckDB.
    """
    distinct, rare, records = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE n < {int(threshold)}), "
        f"coalesce(sum(n) FILTER (WHERE n < {int(threshold)}), 0)::BIGINT FROM {counts}"
    ).fetchall()[0]
    examples = con.execute(
        f"SELECT v FROM {counts} WHERE n < {int(threshold)} ORDER BY n, v NULLS LAST LIMIT {EXAMPLES}"
    ).fetchall()
    ratio = distinct / rows if rows else 0.0
    return (
        RareValues(
            column=column,
            threshold=threshold,
            distinct=int(distinct),
            rare_values=int(rare),
            rare_records=int(records),
            examples=[example(r[0]) for r in examples],
        ),
        ColumnUniqueness(
            column=column, rows=rows, distinct=int(distinct), ratio=ratio, near_unique=ratio > near_unique
        ),
    )


def qi_rare_values(
    con: duckdb.DuckDBPyConnection, qi: Sequence[str], *, rows: int, threshold: int, near_unique: float
) -> list[tuple[RareValues, ColumnUniqueness]]:
    """Rare values of each quasi-identifier, from the marginal counts ``dc_m{i}`` that
    :func:`class_table` computed from the cells (or :func:`coded_marginals` from the codes)."""
    result = []
    for i, column in enumerate(qi):  # dc_m{i}: the marginal counts class_table left
        result.append(rare_values(con, column, f"dc_m{i}", rows=rows, threshold=threshold, near_unique=near_unique))
        con.execute(f"DROP TABLE IF EXISTS dc_m{i}")
    return result


def _is_number_type(arrow_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_decimal(arrow_type)
        or pa.types.is_temporal(arrow_type)
    )


def _order_key(con: duckdb.DuckDBPyConnection, arrow_type: pa.DataType) -> str | None:
    """The SQL sort key of the value column ``v`` of ``dc_g`` when the column is ordered, else None.

    Numeric and temporal columns are ordered; a text column is when it has two or more distinct
    values besides NULL and every one parses as a number (Arrow's rule: surrounding whitespace
    is allowed, digit separators are not). NULL sorts last; NaN after it, as numpy sorts it.
    """
    if _is_number_type(arrow_type):
        if pa.types.is_floating(arrow_type):
            return "coalesce(isnan(v), false), v NULLS LAST"
        return "v NULLS LAST"
    if not (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)):
        return None
    present, bad = con.execute(
        "SELECT count(v), count(v) FILTER (WHERE TRY_CAST(v AS DOUBLE) IS NULL OR strpos(v, '_') > 0) FROM dc_g"
    ).fetchall()[0]
    if present < 2 or bad:
        return None
    return "coalesce(isnan(TRY_CAST(v AS DOUBLE)), false), TRY_CAST(v AS DOUBLE) NULLS LAST, v NULLS LAST"


def _empty(column: str, ordered: bool, th: Thresholds) -> Diversity:
    return Diversity(
        column=column, ordered=ordered, distinct_values=0, distinct_l=0, classes_below_l=0,
        records_below_l=0, entropy_l=0.0, classes_below_entropy_l=0, recursive_l=th.diversity_l, recursive_c=None,
        classes_failing_recursive=0, t=0.0, dominance=th.dominance, dominated_classes=0, dominated_records=0,
    )  # fmt: skip


def _ordered_classes(rows: int, m: int, total_cps: int, per_class: str, window: str) -> str:
    """SQL: per class its figures and ``t``, Li et al.'s ordered distance (EMD), summed exactly.

    Values have global ranks r = 0..m−1 (NULL last); cp(r) is the table's cumulative count up to
    r and CPS(x) = Σ_{i<x} cp(i), so P(r) = cp(r) / N and Σ_{i<x} P(i) = CPS(x) / N. A class's
    cumulative count cq is constant from one of its values (rank a) to the next (rank b, or m),
    where Q = cq / f; the values absent from the class are the ranks inside these gaps. Over a
    gap, Σ_{i∈[a,b)} |Q − P(i)| = Q(s − a) − (PS(s) − PS(a)) + (PS(b) − PS(s)) − Q(b − s) with s
    the first rank whose P exceeds Q, clipped to [a, b] (an ASOF join finds it); the ranks
    before the class's first value add PS(first). Multiplied by N · f every term is an integer
    (HUGEINT), so the sum is exact and only the final division rounds.
    """
    return f"""
    WITH w AS (
        SELECT cid, size, r, n, cps, {window} AS rn,
            sum(n) OVER (PARTITION BY cid ORDER BY r ROWS UNBOUNDED PRECEDING) AS cq,
            lead(r, 1, {m}) OVER (PARTITION BY cid ORDER BY r) AS b,
            lead(cps, 1, {total_cps}::HUGEINT) OVER (PARTITION BY cid ORDER BY r) AS cps_b,
            row_number() OVER (PARTITION BY cid ORDER BY r) = 1 AS first
        FROM dc_x c
    ), x AS (
        SELECT w.*,
            least(greatest(coalesce(g.r + 1, 0), w.r), w.b) AS s,
            CASE WHEN g.r IS NULL OR g.r + 1 <= w.r THEN w.cps
                 WHEN g.r + 1 >= w.b THEN w.cps_b
                 ELSE g.cps + g.cp END AS cps_s
        FROM w ASOF LEFT JOIN (SELECT r, cp, cps, cp::DOUBLE / {rows} AS p FROM dc_gr) g
            ON w.cq::DOUBLE / w.size >= g.p
    )
    SELECT {per_class},
        sum(
            cq::HUGEINT * {rows} * (s - r) - size * (cps_s - cps) + size * (cps_b - cps_s)
            - cq::HUGEINT * {rows} * (b - s) + CASE WHEN first THEN size * cps ELSE 0 END
        )::DOUBLE / ({rows}::DOUBLE * any_value(size)) / {m - 1} AS t
    FROM x GROUP BY cid
    """


def _figures(con: duckdb.DuckDBPyConnection, classes: str, th: Thresholds) -> tuple[Any, ...]:
    """The R12 figures over the per-class rows ``classes`` (one query)."""
    t_limit = th.t if th.t is not None else 2.0
    return con.execute(
        f"""
        WITH k AS ({classes}), e AS (
            SELECT *, greatest(ln(size) - nln / size, 0.0) AS h, size - top_l AS rest FROM k
        )
        SELECT
            min(len),
            count(*) FILTER (WHERE len < {th.diversity_l}),
            coalesce(sum(size) FILTER (WHERE len < {th.diversity_l}), 0)::BIGINT,
            exp(min(h)),
            count(*) FILTER (WHERE h < ln({th.diversity_l}) - {EPS}),
            CASE WHEN bool_and(rest > 0) THEN max(top / rest) END,
            count(*) FILTER (WHERE top >= {th.c} * rest),
            greatest(max(t), 0.0),
            count(*) FILTER (WHERE t > {t_limit} + 1e-12),
            coalesce(sum(size) FILTER (WHERE t > {t_limit} + 1e-12), 0)::BIGINT,
            count(*) FILTER (WHERE top >= {th.dominance} * size - {EPS}),
            coalesce(sum(size) FILTER (WHERE top >= {th.dominance} * size - {EPS}), 0)::BIGINT
        FROM e
        """
    ).fetchall()[0]


def diversity(
    con: duckdb.DuckDBPyConnection,
    qi_count: int,
    sensitive_count: int,
    index: int,
    column: str,
    arrow_type: pa.DataType,
    *,
    rows: int,
    thresholds: Thresholds,
) -> tuple[Diversity, str]:
    """All R12 figures of sensitive column ``index``; also leaves its value counts in ``dc_g(v, n)``.

    Returns the figures and the name of the value-count table (for the rare values).
    """
    th = thresholds
    con.execute(f"CREATE OR REPLACE TEMP TABLE dc_g AS {value_counts(sensitive_count, index)}")
    key = _order_key(con, arrow_type)
    ordered = key is not None
    if rows == 0:
        return _empty(column, ordered, th), "dc_g"
    m = int(con.execute("SELECT count(*) FROM dc_g").fetchall()[0][0])
    cells = class_cells(qi_count, sensitive_count, index)
    if th.diversity_l <= 1:
        top_l = "0"
    elif th.diversity_l == 2:
        top_l = "max(n)"
    else:
        top_l = f"coalesce(sum(n) FILTER (WHERE rn <= {th.diversity_l - 1}), 0)"
    window = "row_number() OVER (PARTITION BY c.cid ORDER BY c.n DESC)" if th.diversity_l > 2 else "0"
    per_class = f"cid, any_value(size) AS size, count(*) AS len, max(n) AS top, sum(n * ln(n)) AS nln, {top_l} AS top_l"
    if ordered and m >= 2:
        # one sort: rank r, cumulative count cp(r) and Σ_{j≤r} j·n_j, whence CPS(r) = r·cp(r−1) − Σ_{j<r} j·n_j
        con.execute(
            "CREATE OR REPLACE TEMP TABLE dc_gr AS SELECT v, r, cp, "
            "(r::HUGEINT * (cp - n) - coalesce(sum(r * n) OVER (ORDER BY r ROWS BETWEEN UNBOUNDED PRECEDING "
            "AND 1 PRECEDING), 0))::HUGEINT AS cps "
            "FROM (SELECT v, n, (row_number() OVER w - 1)::BIGINT AS r, sum(n) OVER w::BIGINT AS cp "
            f"FROM dc_g WINDOW w AS (ORDER BY {key} ROWS UNBOUNDED PRECEDING))"
        )
        total_cps = int(con.execute("SELECT coalesce(sum(cp), 0)::HUGEINT FROM dc_gr").fetchall()[0][0])
        con.execute(
            "CREATE OR REPLACE TEMP TABLE dc_x AS SELECT c.cid, c.size, c.n, g.r, g.cps "
            f"FROM ({cells}) c JOIN dc_gr g ON c.v IS NOT DISTINCT FROM g.v"
        )
        classes = _ordered_classes(rows, m, total_cps, per_class, window)
    else:
        t = "0.0" if ordered else f"sum(greatest(n::DOUBLE / size - gn::DOUBLE / {rows}, 0.0))"
        classes = (
            f"SELECT {per_class}, {t} AS t FROM (SELECT c.*, g.n AS gn, {window} AS rn "
            f"FROM ({cells}) c JOIN dc_g g ON c.v IS NOT DISTINCT FROM g.v) GROUP BY cid"
        )
    figures = _figures(con, classes, th)
    for name in ("dc_x", "dc_gr"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return _result(column, ordered, m, figures, th), "dc_g"


def _result(column: str, ordered: bool, m: int, figures: Sequence[Any], th: Thresholds) -> Diversity:
    """A ``Diversity`` from the twelve aggregates of :func:`_figures` (or ``coded.grid_figures``)."""
    (distinct_l, below_l, records_below_l, entropy_l, below_h, rec_c, failing, t, above_t, records_above_t,
     dominated, dominated_records) = figures  # fmt: skip
    return Diversity(
        column=column,
        ordered=ordered,
        distinct_values=m,
        distinct_l=int(distinct_l),
        classes_below_l=int(below_l),
        records_below_l=int(records_below_l),
        entropy_l=float(entropy_l),
        classes_below_entropy_l=int(below_h),
        recursive_l=th.diversity_l,
        recursive_c=float(rec_c) if rec_c is not None else None,
        classes_failing_recursive=int(failing),
        t=float(t),
        classes_above_t=int(above_t) if th.t is not None else 0,
        records_above_t=int(records_above_t) if th.t is not None else 0,
        dominance=th.dominance,
        dominated_classes=int(dominated),
        dominated_records=int(dominated_records),
    )


def coded_marginals(con: duckdb.DuckDBPyConnection, qi: Sequence[Encoded]) -> None:
    """``dc_m{i}(v, n)`` from the codes' distinct values, as :func:`class_table` leaves them."""
    for i, column in enumerate(qi):
        _load(con, f"dc_m{i}", pa.table({"v": column.values, "n": pa.array(column.counts)}))


def _load(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> None:
    con.register(f"{name}_arrow", data)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def coded_diversity(
    con: duckdb.DuckDBPyConnection,
    column: str,
    arrow_type: pa.DataType,
    values: Encoded,
    grid: np.ndarray,
    sizes: np.ndarray,
    *,
    rows: int,
    thresholds: Thresholds,
) -> tuple[Diversity, str]:
    """:func:`diversity` from the ``[value, class]`` count grid of ``coded.value_grid``.

    The distinct values go to DuckDB as ``dc_g(v, n, code)`` so the order (``_order_key``) and
    the rare values are decided by the same SQL; the per-class work is numpy's.
    """
    m = values.cardinality
    assert values.counts is not None
    _load(con, "dc_g", pa.table({"v": values.values, "n": pa.array(values.counts), "code": pa.array(np.arange(m))}))
    key = _order_key(con, arrow_type)
    ordered = key is not None
    rank = None
    if ordered and m >= 2:
        rank = con.execute(f"SELECT code FROM dc_g ORDER BY {key}").fetchnumpy()["code"].astype(np.int64)
    figures = grid_figures(grid, sizes, values.counts, rank, ordered, rows, thresholds)
    return _result(column, ordered, m, figures, thresholds), "dc_g"
