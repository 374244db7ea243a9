"""Attribute disclosure on sensitive columns (rule R12), from the cells of the one group-by.

For each equivalence class and sensitive column, the per-value counts n_v (class size f, table
distribution p_v) give:

- distinct l-diversity: the number of distinct values (Machanavajjhala et al. 2007);
- entropy l-diversity: exp(H) with H = −Σ (n_v/f) ln(n_v/f) = ln f − Σ n_v ln n_v / f;
- recursive (c, l)-diversity: with counts sorted r_1 ≥ r_2 ≥ …, a class is (c, l)-diverse when
  r_1 < c (r_l + … + r_m); the smallest workable c is above max r_1 / (f − r_1 − … − r_{l−1});
- t-closeness (Li et al. 2007): equal distance for categorical values, ½ Σ |q_v − p_v|; ordered
  distance for numeric values, Σ_i |Σ_{j≤i} (q_j − p_j)| / (m − 1) over the m sorted values;
- dominance: classes where one value covers at least a share (default 90%).

Everything runs as SQL aggregates over the cells, so only a handful of numbers come back.
The ordered distance needs each class's cumulative distribution against the table's at all m
values; between two of a class's values its cumulative share is constant, so the sum over each
gap is found from prefix sums of the table's cumulative distribution and one ASOF join.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from datacustoms.risk.classes import quote
from datacustoms.risk.model import Diversity, Thresholds


def is_ordered(con: duckdb.DuckDBPyConnection, cells: str, index: int, arrow_type: pa.DataType) -> bool:
    """Numeric or temporal columns are ordered; text columns too when every value is a number."""
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return True
    if pa.types.is_temporal(arrow_type):
        return True
    if not (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)):
        return False
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE v IS NOT NULL), "
        f"count(*) FILTER (WHERE v IS NOT NULL AND TRY_CAST(v AS DOUBLE) IS NULL) "
        f"FROM (SELECT DISTINCT s{index} AS v FROM {cells})"
    ).fetchone()
    assert row is not None
    return bool(row[0] >= 2 and row[1] == 0)


def _marginal(cells: str, qi_count: int, index: int, sensitive_count: int) -> str:
    keys = ", ".join(f"q{i}" for i in range(qi_count))
    if sensitive_count == 1:
        return f"SELECT {keys}, s0 AS v, n FROM {cells}"
    return f"SELECT {keys}, s{index} AS v, sum(n)::BIGINT AS n FROM {cells} GROUP BY {keys}, s{index}"


def diversity(
    con: duckdb.DuckDBPyConnection,
    column: str,
    index: int,
    *,
    qi_count: int,
    sensitive_count: int,
    rows: int,
    ordered: bool,
    thresholds: Thresholds,
    cells: str = "dc_cells",
) -> Diversity:
    """All R12 figures for sensitive column number ``index`` of the cells table."""
    keys = ", ".join(f"q{i}" for i in range(qi_count))
    l_ = thresholds.l
    top_rest = f"list_sum(max(n, {l_ - 1}))" if l_ > 1 else "0"
    t_limit = thresholds.t if thresholds.t is not None else 2.0  # 2: nothing is above it
    ln_l = f"ln({float(l_)})"
    sql = f"""
    WITH m AS ({_marginal(cells, qi_count, index, sensitive_count)}),
    g AS (SELECT v, sum(n)::DOUBLE / {rows} AS p FROM m GROUP BY v),
    w AS (SELECT m.*, g.p, sum(m.n) OVER (PARTITION BY {keys}) AS size
          FROM m JOIN g ON m.v IS NOT DISTINCT FROM g.v),
    c AS (SELECT any_value(size)::BIGINT AS size, count(*) AS d, max(n) AS top,
                 sum(n * ln(n)) AS nln, 0.5 * (1 + sum(abs(n / size - p) - p)) AS t,
                 {top_rest} AS topl
          FROM w GROUP BY {keys}),
    e AS (SELECT *, ln(size) - nln / size AS h, size - topl AS rest FROM c)
    SELECT (SELECT count(*) FROM g), min(d),
           count(*) FILTER (WHERE d < {l_}), coalesce(sum(size) FILTER (WHERE d < {l_}), 0),
           min(h), count(*) FILTER (WHERE h < {ln_l} - 1e-9),
           max(top / rest) FILTER (WHERE rest > 0), count(*) FILTER (WHERE rest <= 0),
           count(*) FILTER (WHERE top >= {thresholds.c} * rest),
           max(t), count(*) FILTER (WHERE t > {t_limit} + 1e-12),
           coalesce(sum(size) FILTER (WHERE t > {t_limit} + 1e-12), 0),
           count(*) FILTER (WHERE top >= {thresholds.dominance} * size - 1e-9),
           coalesce(sum(size) FILTER (WHERE top >= {thresholds.dominance} * size - 1e-9), 0)
    FROM e
    """
    row = con.execute(sql).fetchone()
    assert row is not None
    (distinct_values, min_d, below_l, below_l_rec, min_h, below_h, max_ratio, no_rest, failing_rec,
     max_t, above_t, above_t_rec, dom, dom_rec) = row  # fmt: skip
    if ordered:
        max_t, above_t, above_t_rec = _ordered_t(con, cells, qi_count, index, sensitive_count, rows, t_limit)
    import math

    return Diversity(
        column=column,
        ordered=ordered,
        distinct_values=int(distinct_values),
        distinct_l=int(min_d or 0),
        classes_below_l=int(below_l),
        records_below_l=int(below_l_rec),
        entropy_l=math.exp(min_h) if min_h is not None else 0.0,
        classes_below_entropy_l=int(below_h),
        recursive_l=l_,
        recursive_c=None if no_rest or max_ratio is None else float(max_ratio),
        classes_failing_recursive=int(failing_rec),
        t=max(0.0, float(max_t or 0.0)),
        classes_above_t=int(above_t) if thresholds.t is not None else 0,
        records_above_t=int(above_t_rec) if thresholds.t is not None else 0,
        dominance=thresholds.dominance,
        dominated_classes=int(dom),
        dominated_records=int(dom_rec),
    )


def _ordered_t(
    con: duckdb.DuckDBPyConnection,
    cells: str,
    qi_count: int,
    index: int,
    sensitive_count: int,
    rows: int,
    t_limit: float,
) -> tuple[float, int, int]:
    """Largest ordered-distance EMD of any class, and the classes / records above ``t_limit``.

    Values are ranked r = 0..m−1 (numerically, NULL last); P(r) is the table's cumulative share,
    PS(x) = Σ_{i<x} P(i). A class with cumulative share Q constant on ranks [r, next) adds
    Σ_{i∈[r,next)} |Q − P(i)|; with split = #{i : P(i) ≤ Q} (an ASOF join) clipped to [r, next)
    this is Q(split − r) − (PS(split) − PS(r)) + (PS(next) − PS(split)) − Q(next − split). Ranks
    before the class's first value add PS(first).
    """
    keys = ", ".join(f"q{i}" for i in range(qi_count))
    sql = f"""
    CREATE OR REPLACE TEMP TABLE dc_pv AS
    WITH m AS ({_marginal(cells, qi_count, index, sensitive_count)}),
    g AS (SELECT v, sum(n) AS cnt FROM m GROUP BY v)
    SELECT v, (row_number() OVER o - 1)::BIGINT AS r,
           sum(cnt) OVER (o ROWS UNBOUNDED PRECEDING)::DOUBLE / {rows} AS cp
    FROM g WINDOW o AS (ORDER BY TRY_CAST(v AS DOUBLE) NULLS LAST, v NULLS LAST)
    """
    con.execute(sql)
    count_row = con.execute("SELECT count(*) FROM dc_pv").fetchone()
    assert count_row is not None
    m = int(count_row[0])
    if m < 2:
        return 0.0, 0, 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dc_ps AS "
        "SELECT r, coalesce(sum(cp) OVER (ORDER BY r ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) "
        f"AS ps FROM (SELECT r, cp FROM dc_pv UNION ALL SELECT {m}, 0.0)"
    )
    sql = f"""
    WITH m AS ({_marginal(cells, qi_count, index, sensitive_count)}),
    w AS (SELECT {keys}, pv.r,
                 sum(m.n) OVER (PARTITION BY {keys} ORDER BY pv.r ROWS UNBOUNDED PRECEDING)::DOUBLE
                   / sum(m.n) OVER (PARTITION BY {keys}) AS qc,
                 lead(pv.r, 1, {m}) OVER (PARTITION BY {keys} ORDER BY pv.r) AS nxt,
                 min(pv.r) OVER (PARTITION BY {keys}) AS rfirst,
                 sum(m.n) OVER (PARTITION BY {keys}) AS size
          FROM m JOIN dc_pv pv ON m.v IS NOT DISTINCT FROM pv.v),
    a AS (SELECT w.*, coalesce(pv.r + 1, 0) AS split0 FROM w ASOF LEFT JOIN dc_pv pv ON w.qc >= pv.cp),
    x AS (SELECT {keys}, r, nxt, qc, rfirst, size, least(greatest(split0, r), nxt) AS split FROM a),
    y AS (SELECT x.*, p1.ps AS ps_r, p2.ps AS ps_split, p3.ps AS ps_next, p4.ps AS ps_first
          FROM x JOIN dc_ps p1 ON p1.r = x.r JOIN dc_ps p2 ON p2.r = x.split
                 JOIN dc_ps p3 ON p3.r = x.nxt JOIN dc_ps p4 ON p4.r = x.rfirst),
    c AS (SELECT any_value(size) AS size,
                 (sum(qc * (split - r) - (ps_split - ps_r) + (ps_next - ps_split) - qc * (nxt - split))
                  + any_value(ps_first)) / {m - 1} AS t
          FROM y GROUP BY {keys})
    SELECT max(t), count(*) FILTER (WHERE t > {t_limit} + 1e-12),
           coalesce(sum(size) FILTER (WHERE t > {t_limit} + 1e-12), 0)
    FROM c
    """
    row = con.execute(sql).fetchone()
    assert row is not None
    return float(row[0] or 0.0), int(row[1]), int(row[2])


__all__ = ["diversity", "is_ordered", "quote"]
