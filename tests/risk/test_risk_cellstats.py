"""The in-DuckDB figures against the numpy reference (per-class value lists fetched into Arrow).

``_reference_profile`` is the earlier implementation of ``risk_profile``: one group-by that fetches
each class's sensitive values as codes and reduces them with numpy (``risk.diversity``, still used
by the Spark engine). The SQL path must give the same ``RiskProfile`` on random tables with NULLs,
several sensitive columns, ordered and categorical values, and every l.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import datacustoms
from datacustoms.risk import Thresholds, risk_profile
from datacustoms.risk.classes import check_columns, connect, histogram_from_sizes, quote, source_sql
from datacustoms.risk.diversity import count_cells, diversity, is_ordered
from datacustoms.risk.model import ClassHistogram, Diversity
from datacustoms.risk.rare import marginal_counts, rare_from_counts
from datacustoms.table import Table


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
        result, _ = diversity(cells, column, rows=rows, ordered=ordered, thresholds=th)
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
    """The profile never fetches the cells or per-class rows: every fetched result is a few rows."""
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
