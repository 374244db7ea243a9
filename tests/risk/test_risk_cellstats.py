"""The in-DuckDB figures against the numpy reference (per-class value lists fetched into Arrow).

``_reference_profile`` is the earlier implementation of ``risk_profile``, kept here as the oracle:
one group-by that fetches each class's sensitive values as codes and reduces them with numpy
(O(rows) memory in Python, which is why it left the package). The SQL path must give the same ``RiskProfile`` on random tables with NULLs,
several sensitive columns, ordered and categorical values, and every l.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import datacustoms
from datacustoms.model.risk import ClassHistogram, ColumnUniqueness, Diversity, RareValues
from datacustoms.model.thresholds import Thresholds
from datacustoms.risk import risk_profile
from datacustoms.risk.classes import check_columns, connect, quote, source_sql
from datacustoms.risk.rare import EXAMPLES, example
from datacustoms.table import Table

# ---------------------------------------------------------------- the numpy reference (oracle)

#: counting cells with a dense bincount when classes × values stays below this, else by sorting
DENSE_CELLS = 64_000_000


@dataclass
class Cells:
    """Per-class value counts, sorted by class: ``cls[i]`` holds ``n[i]`` records of value ``code[i]``."""

    cls: np.ndarray
    code: np.ndarray
    n: np.ndarray
    values: pa.Array  # the dictionary: code → value (NULL is a value of its own)
    classes: int


def count_cells(codes: pa.ListArray | pa.ChunkedArray, dictionary: pa.Array) -> Cells:
    """Count each (class, value) from the per-class lists of value codes (indices into ``dictionary``)."""
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks() if codes.num_chunks else pa.array([], pa.list_(pa.int32()))
    offsets = np.asarray(codes.offsets)
    lengths = np.diff(offsets)
    classes = len(lengths)
    flat = np.asarray(codes.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_numpy(zero_copy_only=False))
    m = max(len(dictionary), 1)
    small = classes * m < 2**31  # int32 keys halve the memory traffic
    dtype = np.int32 if small else np.int64
    owner: np.ndarray = np.repeat(np.arange(classes, dtype=dtype), lengths)
    key = owner * dtype(m) + flat.astype(dtype, copy=False)
    if classes * m <= DENSE_CELLS:
        counts = np.bincount(key, minlength=classes * m)
        keys = np.flatnonzero(counts)
        n = counts[keys]
    else:
        keys, n = np.unique(key, return_counts=True)
    return Cells(cls=keys // m, code=keys % m, n=n.astype(np.int64), values=dictionary, classes=classes)


def is_ordered(values: pa.Array, arrow_type: pa.DataType) -> bool:
    """Numeric or temporal columns are ordered; text columns too when every value is a number."""
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return True
    if pa.types.is_temporal(arrow_type):
        return True
    if not (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)):
        return False
    present = pc.drop_null(values)
    if len(present) < 2:
        return False
    try:
        pc.cast(pc.utf8_trim_whitespace(present), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _numeric_rank(values: pa.Array) -> np.ndarray:
    """Rank of each dictionary value in numeric order, NULL last."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.utf8_trim_whitespace(values)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        values = pc.cast(values, pa.float64()) if not pa.types.is_temporal(values.type) else values
    numbers = np.asarray(pc.cast(values, pa.float64(), safe=False).to_numpy(zero_copy_only=False), dtype=np.float64)
    nulls = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    numbers = np.where(nulls, np.inf, numbers)
    order = np.lexsort((nulls, numbers))  # NaN-free: NULL was mapped to +inf, and sorts after it
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def numpy_diversity(
    cells: Cells, column: str, *, rows: int, ordered: bool, thresholds: Thresholds
) -> tuple[Diversity, np.ndarray]:
    """All R12 figures for one sensitive column, and the size of each class."""
    th = thresholds
    m = len(cells.values)
    if cells.classes == 0 or rows == 0:
        empty = Diversity(
            column=column, ordered=ordered, distinct_values=0, distinct_l=0, classes_below_l=0,
            records_below_l=0, entropy_l=0.0, classes_below_entropy_l=0, recursive_l=th.l, recursive_c=None,
            classes_failing_recursive=0, t=0.0, dominance=th.dominance, dominated_classes=0, dominated_records=0,
        )  # fmt: skip
        return empty, np.zeros(cells.classes, dtype=np.int64)
    n = cells.n.astype(np.float64)
    starts = np.flatnonzero(np.r_[True, cells.cls[1:] != cells.cls[:-1]])
    lengths = np.diff(np.r_[starts, len(n)])
    size = np.add.reduceat(n, starts)
    top = np.maximum.reduceat(n, starts)
    nln = np.add.reduceat(n * np.log(n), starts)
    p = np.bincount(cells.code, weights=n, minlength=m) / rows
    share = n / np.repeat(size, lengths)
    if ordered:
        t = _ordered_distance(cells, starts, share, p)
    else:
        t = np.add.reduceat(np.maximum(share - p[cells.code], 0.0), starts)  # ½ Σ |q − p|
    if th.l <= 1:
        topl = np.zeros_like(size)
    elif th.l == 2:
        topl = top
    else:  # the l − 1 largest counts of each class
        order = np.lexsort((-n, cells.cls))
        n_sorted = n[order]
        within = np.arange(len(n)) - np.repeat(starts, lengths)
        topl = np.add.reduceat(np.where(within < th.l - 1, n_sorted, 0.0), starts)
    below_l = lengths < th.l
    h = np.maximum(np.log(size) - nln / size, 0.0)
    rest = size - topl
    has_rest = rest > 0
    above_t = t > (th.t if th.t is not None else 2.0) + 1e-12
    dominated = top >= th.dominance * size - 1e-9
    result = Diversity(
        column=column,
        ordered=ordered,
        distinct_values=m,
        distinct_l=int(lengths.min()),
        classes_below_l=int(below_l.sum()),
        records_below_l=int(size[below_l].sum()),
        entropy_l=float(np.exp(h.min())),
        classes_below_entropy_l=int((h < np.log(th.l) - 1e-9).sum()),
        recursive_l=th.l,
        recursive_c=float((top / rest).max()) if has_rest.all() else None,
        classes_failing_recursive=int((top >= th.c * rest).sum()),
        t=max(0.0, float(t.max())),
        classes_above_t=int(above_t.sum()) if th.t is not None else 0,
        records_above_t=int(size[above_t].sum()) if th.t is not None else 0,
        dominance=th.dominance,
        dominated_classes=int(dominated.sum()),
        dominated_records=int(size[dominated].sum()),
    )
    return result, size.astype(np.int64)


def _ordered_distance(cells: Cells, starts: np.ndarray, share: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Ordered-distance EMD of each class against the table (Li et al. 2007), exactly.

    Values get ranks r = 0..m−1 (numeric order, NULL last); P(r) is the table's cumulative share
    and PS(x) = Σ_{i<x} P(i). A class whose cumulative share is Q on ranks [r, next) adds
    Σ_{i∈[r,next)} |Q − P(i)| = Q(s − r) − (PS(s) − PS(r)) + (PS(next) − PS(s)) − Q(next − s), with
    s = #{i : P(i) ≤ Q} clipped to [r, next]; ranks before its first value add PS(first).
    """
    m = len(p)
    if m < 2:
        return np.zeros(len(starts))
    rank_of_code = _numeric_rank(cells.values)
    p_by_rank = np.empty(m)
    p_by_rank[rank_of_code] = p
    big_p = np.cumsum(p_by_rank)
    ps = np.r_[0.0, np.cumsum(big_p)]  # ps[x] = Σ_{i<x} P(i)
    rank = rank_of_code[cells.code]
    order = np.lexsort((rank, cells.cls))  # by class, then by rank
    rank, share = rank[order], share[order]
    lengths = np.diff(np.r_[starts, len(rank)])
    seg = np.repeat(np.arange(len(starts)), lengths)
    cum = np.cumsum(share)
    before = np.r_[0.0, cum][np.repeat(starts, lengths)]
    q = cum - before  # the class's cumulative share at each of its values
    nxt = np.r_[rank[1:], m]
    last = np.r_[starts[1:] - 1, len(rank) - 1]
    nxt[last] = m
    split = np.clip(np.searchsorted(big_p, q, side="right"), rank, nxt)
    part = q * (split - rank) - (ps[split] - ps[rank]) + (ps[nxt] - ps[split]) - q * (nxt - split)
    total = np.bincount(seg, weights=part, minlength=len(starts)) + ps[rank[starts]]
    return total / (m - 1)


def rare_from_counts(
    column: str,
    values: pa.Array,
    counts: np.ndarray,
    *,
    rows: int,
    threshold: int,
    near_unique: float,
) -> tuple[RareValues, ColumnUniqueness]:
    """Rare values and uniqueness of one column from its value counts (NULL counts as a value)."""
    counts = np.asarray(counts, dtype=np.int64)
    rare = np.flatnonzero(counts < threshold)
    rare = rare[np.argsort(counts[rare], kind="stable")]
    examples = [example(values[int(i)].as_py()) for i in rare[:EXAMPLES]]
    distinct = len(counts)
    ratio = distinct / rows if rows else 0.0
    return (
        RareValues(
            column=column,
            threshold=threshold,
            distinct=distinct,
            rare_values=len(rare),
            rare_records=int(counts[rare].sum()),
            examples=examples,
        ),
        ColumnUniqueness(column=column, rows=rows, distinct=distinct, ratio=ratio, near_unique=ratio > near_unique),
    )


def marginal_counts(classes: pa.Table, column: str, weight: str = "size") -> tuple[pa.Array, np.ndarray]:
    """Value counts of one quasi-identifier from the class table (each class weighted by its size)."""
    grouped = classes.select([column, weight]).group_by(column).aggregate([(weight, "sum")])
    return grouped.column(column).combine_chunks(), np.asarray(grouped.column(f"{weight}_sum").to_numpy())


def histogram_from_sizes(sizes: np.ndarray) -> ClassHistogram:
    """The histogram of an array holding one size per class."""
    values, counts = np.unique(np.asarray(sizes, dtype=np.int64), return_counts=True)
    return ClassHistogram(sizes=[int(v) for v in values], counts=[int(c) for c in counts])


# ---------------------------------------------------------------------------------- the tests


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    result = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()
    return result if isinstance(result, pa.Table) else result.read_all()


def _class_table(con: duckdb.DuckDBPyConnection, table: Table, qi: list[str], sensitive: list[str]):
    dictionaries = []
    joins = ""
    for i, column in enumerate(sensitive):
        src = source_sql(con, table, [column], f"dc_dict_src{i}")
        con.execute(
            f"CREATE TEMP TABLE dc_d{i} AS SELECT v, (row_number() OVER () - 1)::INTEGER AS code "
            f"FROM (SELECT DISTINCT {quote(column)} AS v FROM {src})"
        )
        dictionaries.append(_arrow(con.sql(f"SELECT v FROM dc_d{i} ORDER BY code")).column("v").combine_chunks())
        joins += f" JOIN dc_d{i} d{i} ON x.s{i} IS NOT DISTINCT FROM d{i}.v"
    src = source_sql(con, table, [*qi, *sensitive], "dc_src")
    keys = ", ".join(f"x.q{i}" for i in range(len(qi)))
    items = [f"{quote(c)} AS q{i}" for i, c in enumerate(qi)] + [f"{quote(c)} AS s{i}" for i, c in enumerate(sensitive)]
    lists = "".join(f", list(d{i}.code) AS s{i}" for i in range(len(sensitive)))
    names = ", ".join(f"x.q{i} AS q{i}" for i in range(len(qi)))
    relation = con.sql(
        f"SELECT {names}, count(*)::BIGINT AS size{lists} "
        f"FROM (SELECT {', '.join(items)} FROM {src}) x{joins} GROUP BY {keys}"
    )
    return _arrow(relation), dictionaries


def _reference_profile(table: Table, qi: list[str], sensitive: list[str], th: Thresholds):
    check_columns(table, qi, sensitive)
    with connect() as con:
        classes, dictionaries = _class_table(con, table, qi, sensitive)
    sizes = np.asarray(classes.column("size").to_numpy(), dtype=np.int64)
    rows = int(sizes.sum())
    hist = histogram_from_sizes(sizes)
    diversities, rare, uniqueness = [], [], []
    for i, column in enumerate(qi):
        values, counts = marginal_counts(classes, f"q{i}")
        r, u = rare_from_counts(column, values, counts, rows=rows, threshold=th.rare_threshold, near_unique=0.9)
        rare.append(r)
        uniqueness.append(u)
    for i, column in enumerate(sensitive):
        cells = count_cells(classes.column(f"s{i}"), dictionaries[i])
        ordered = is_ordered(cells.values, table.schema.field(column).type)
        result, _ = numpy_diversity(cells, column, rows=rows, ordered=ordered, thresholds=th)
        diversities.append(result)
        counts = np.bincount(cells.code, weights=cells.n, minlength=len(cells.values)).astype(np.int64)
        r, u = rare_from_counts(column, cells.values, counts, rows=rows, threshold=th.rare_threshold, near_unique=0.9)
        rare.append(r)
        uniqueness.append(u)
    return rows, hist, diversities, rare, uniqueness


def _same_diversity(new: Diversity, old: Diversity) -> None:
    a, b = new.model_dump(), old.model_dump()
    for key, value in b.items():
        if isinstance(value, float):
            assert a[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        elif key == "recursive_c" and value is not None:
            assert a[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert a[key] == value, key


def _check(table: Table, qi: list[str], sensitive: list[str], th: Thresholds) -> None:
    profile = risk_profile(table, qi, sensitive, thresholds=th)
    rows, hist, diversities, rare, uniqueness = _reference_profile(table, qi, sensitive, th)
    assert profile.rows == rows
    assert profile.histogram == hist
    assert len(profile.diversity) == len(diversities)
    for new, old in zip(profile.diversity, diversities, strict=True):
        _same_diversity(new, old)
    assert profile.uniqueness == uniqueness
    for new_r, old_r in zip(profile.rare, rare, strict=True):
        assert new_r.model_dump(exclude={"examples"}) == old_r.model_dump(exclude={"examples"})
        assert len(new_r.examples) == len(old_r.examples)
        if new_r.rare_values <= len(new_r.examples):  # all rare values shown: the same set
            assert sorted(new_r.examples) == sorted(old_r.examples)


def _random_table(seed: int, rows: int) -> pa.Table:
    rng = np.random.default_rng(seed)

    def with_nulls(values: list, share: float) -> list:
        return [None if rng.random() < share else v for v in values]

    income = rng.integers(0, 60, rows).astype(float) * 100
    return pa.table(
        {
            "age": pa.array(with_nulls(rng.integers(20, 26, rows).tolist(), 0.05), pa.int64()),
            "sex": pa.array(with_nulls(rng.choice(["F", "M"], rows).tolist(), 0.05)),
            "zip": pa.array(rng.choice(["a1", "b2", "c3", "d4"], rows).tolist()),
            "income": pa.array(with_nulls(income.tolist(), 0.1), pa.float64()),
            "visits": pa.array(with_nulls(rng.integers(0, 12, rows).tolist(), 0.1), pa.int32()),
            "score_text": pa.array(with_nulls([f" {v} " for v in rng.integers(-5, 30, rows)], 0.1)),
            "disease": pa.array(with_nulls(rng.choice(["flu", "cold", "hiv", "tb", "none"], rows).tolist(), 0.1)),
            "unique_amount": pa.array(rng.permutation(rows).astype(str).tolist()),
        }
    )


SENSITIVE = ["income", "visits", "score_text", "disease", "unique_amount"]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("l_", [1, 2, 3])
def test_each_sensitive_column_matches_the_numpy_reference(seed, l_):
    table = datacustoms.read(_random_table(seed, 400))
    th = Thresholds(l=l_, t=0.3, k=3)
    for column in SENSITIVE:
        _check(table, ["age", "sex", "zip"], [column], th)


@pytest.mark.parametrize("seed", [4, 5])
def test_several_sensitive_columns_at_once_match_the_reference(seed):
    table = datacustoms.read(_random_table(seed, 500))
    _check(table, ["age", "sex"], SENSITIVE, Thresholds(l=3, t=0.2, c=2.0))
    _check(table, ["zip"], ["disease", "visits"], Thresholds())


def test_parquet_source_matches_the_reference(tmp_path: Path):
    path = tmp_path / "random.parquet"
    pq.write_table(_random_table(7, 600), path)
    table = datacustoms.read(path)
    assert table.duckdb_scan
    _check(table, ["age", "sex", "zip"], ["income", "disease"], Thresholds(l=2, t=0.25))


def test_quasi_identifiers_only_match_the_reference():
    table = datacustoms.read(_random_table(8, 300))
    _check(table, ["age", "sex", "zip", "visits"], [], Thresholds())


def test_a_text_column_with_one_number_is_categorical():
    data = pa.table({"q": ["x", "x", "y", "y"], "s": ["5", None, "5", "5"]})
    table = datacustoms.read(data)
    d = risk_profile(table, ["q"], ["s"]).diversity[0]
    assert not d.ordered
    _check(table, ["q"], ["s"], Thresholds())


def test_ordered_distance_of_a_near_unique_column_is_exact():
    """Every value distinct: the reference and the exact integer sum agree on a 2,000-row table."""
    rng = np.random.default_rng(11)
    rows = 2000
    data = pa.table({"q": rng.integers(0, 40, rows), "amount": rng.permutation(rows * 3)[:rows].astype(str)})
    table = datacustoms.read(data)
    d = risk_profile(table, ["q"], ["amount"]).diversity[0]
    assert d.ordered and d.distinct_values == rows
    _check(table, ["q"], ["amount"], Thresholds())
    assert 0 < d.t < 1 and not math.isnan(d.t)


def test_empty_table():
    data = pa.table({"q": pa.array([], pa.string()), "s": pa.array([], pa.int64())})
    profile = risk_profile(datacustoms.read(data), ["q"], ["s"])
    assert profile.rows == 0 and profile.histogram == ClassHistogram()
    assert profile.diversity[0].distinct_values == 0


def test_only_figures_leave_duckdb(monkeypatch):
    """The DuckDB path never fetches the cells or per-class rows: every fetched result is a few rows.

    (The numpy path holds its counts in arrays by design; it fetches the value order as one
    integer column, never as Python rows.)"""
    from datacustoms.risk import coded

    monkeypatch.setattr(coded, "MAX_BYTES", 0)
    fetched: list[int] = []
    real = connect

    class Spy:
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self._con = con

        def execute(self, *args: object) -> object:
            result = self._con.execute(*args)
            original = result.fetchall

            def fetchall() -> list:
                rows = original()
                fetched.append(len(rows))
                return rows

            return type("R", (), {"fetchall": staticmethod(fetchall)})()

        def __getattr__(self, name: str) -> object:
            return getattr(self._con, name)

    from contextlib import contextmanager

    @contextmanager
    def spying(*args: object, **kwargs: object):
        with real(*args, **kwargs) as con:
            yield Spy(con)

    import datacustoms.risk.profile as profile_module

    monkeypatch.setattr(profile_module, "connect", spying)
    rows = 3000
    data = pa.table({"q": np.arange(rows) % 7, "amount": np.arange(rows).astype(str)})
    profile = risk_profile(datacustoms.read(data), ["q"], ["amount"])
    assert profile.rows == rows and profile.diversity[0].distinct_values == rows
    assert fetched and max(fetched) <= 7  # the size histogram has at most 7 rows here; nothing per value


# ---------------------------------------------------------------- packed class key vs quasi-identifier join

ADULT_CASES = [
    (["age", "sex", "race", "marital-status", "education"], ["occupation"], Thresholds()),
    (["age", "sex", "native-country"], ["salary-class", "workclass"], Thresholds(l=3, t=0.2)),
    (["education", "occupation", "workclass", "race", "sex", "native-country"], ["salary-class"], Thresholds(l=4, k=3)),
    (["sex", "race"], ["age"], Thresholds(l=2, t=0.1)),  # an ordered sensitive column (EMD)
    (["sex"], [], Thresholds()),
]


@pytest.mark.parametrize("qi,sensitive,th", ADULT_CASES)
def test_packed_class_key_gives_the_profile_of_the_join(
    adult_csv: Path, qi: list[str], sensitive: list[str], th: Thresholds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Classes keyed by one packed BIGINT give exactly the figures of classes joined on the
    quasi-identifiers (the earlier implementation, still used past a BIGINT's range)."""
    from datacustoms.risk import cellstats, coded

    monkeypatch.setattr(coded, "MAX_BYTES", 0)  # the DuckDB path (the numpy one: test_risk_coded.py)
    table = datacustoms.read(str(adult_csv))
    packed = risk_profile(table, qi, sensitive, thresholds=th)
    monkeypatch.setattr(cellstats, "_PACK_LIMIT", 0)  # every product of distinct counts is "too large"
    joined = risk_profile(datacustoms.read(str(adult_csv)), qi, sensitive, thresholds=th)
    assert packed.model_dump() == joined.model_dump()
    assert packed.rows == 30_162 and packed.classes > 1
