"""The equivalence-class histogram: pandas and pycanon agree, NULLs group, generalising never lowers k."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycanon import anonymity

import datacustoms
from datacustoms.errors import ColumnError, UsageError
from datacustoms.model.risk import ClassHistogram
from datacustoms.risk import check_columns, class_sizes

QI_SMALL = ["sex", "age", "race"]
QI_LARGE = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"]


@pytest.fixture(scope="module")
def adult(adult_csv):
    if not adult_csv.exists():
        pytest.skip("the shared UCI Adult data set is not available")
    return datacustoms.read(adult_csv)


@pytest.fixture(scope="module")
def adult_df(adult_csv):
    if not adult_csv.exists():
        pytest.skip("the shared UCI Adult data set is not available")
    return pd.read_csv(adult_csv, sep=";", dtype=str, keep_default_na=False)


def _expected(df: pd.DataFrame, qi: list[str]) -> ClassHistogram:
    sizes = Counter(df.groupby(qi, dropna=False).size().tolist())
    ordered = sorted(sizes)
    return ClassHistogram(sizes=ordered, counts=[sizes[s] for s in ordered])


@pytest.mark.parametrize("qi", [QI_SMALL, QI_LARGE], ids=["3qi", "8qi"])
def test_histogram_matches_pandas_and_pycanon_on_adult(adult, adult_df, qi):
    hist = class_sizes(adult, qi)
    assert hist == _expected(adult_df, qi)
    assert hist.records == 30_162
    assert hist.min_size == anonymity.k_anonymity(adult_df, qi)


def test_adult_known_figures(adult):
    """Figures of the 3-QI set, fixed so a regression in the group-by shows up."""
    hist = class_sizes(adult, QI_SMALL)
    assert (hist.min_size, hist.classes, hist.classes_of_size(1)) == (1, 528, 62)
    assert hist.classes_below(5) == 191
    assert hist.records_below(5) == 425


def test_parquet_and_csv_give_the_same_histogram(adult, adult_df, tmp_path: Path):
    path = tmp_path / "adult.parquet"
    pq.write_table(pa.Table.from_pandas(adult_df, preserve_index=False), path)
    table = datacustoms.read(path)
    assert table.duckdb_scan  # the Parquet path is scanned by DuckDB directly
    assert class_sizes(table, QI_LARGE) == class_sizes(adult, QI_LARGE)


def test_nulls_form_their_own_class():
    table = datacustoms.read(pa.table({"a": ["x", None, None, "x", "y"], "b": [1, 2, 2, None, None]}))
    hist = class_sizes(table, ["a", "b"])
    # classes: (x,1) (None,2)x2 (x,None) (y,None)
    assert hist.sizes == [1, 2] and hist.counts == [3, 1]


def test_large_string_columns_are_accepted():
    data = pa.table({"a": pa.array(["x", "x", "y"], type=pa.large_string())})
    assert class_sizes(datacustoms.read(data), ["a"]).sizes == [1, 2]


def test_expressions_generalise_inside_duckdb(adult, adult_df):
    decade = {"age": 'floor(TRY_CAST("age" AS INTEGER) / 10) * 10'}
    hist = class_sizes(adult, QI_SMALL, expressions=decade)
    df = adult_df.assign(age=(adult_df["age"].astype(int) // 10) * 10)
    assert hist == _expected(df, QI_SMALL)
    assert hist.min_size >= class_sizes(adult, QI_SMALL).min_size


def test_bad_expression_is_a_usage_error(adult):
    with pytest.raises(UsageError, match="expression"):
        class_sizes(adult, ["age"], expressions={"age": "no_such_function(age)"})


def test_unknown_column_says_did_you_mean(adult):
    with pytest.raises(ColumnError) as err:
        check_columns(adult, ["sex", "agee"])
    assert "Did you mean 'age'?" in err.value.one_line()
    with pytest.raises(ColumnError, match="sensitive"):
        check_columns(adult, ["sex"], ["salary"])
    with pytest.raises(UsageError, match="twice"):
        check_columns(adult, ["sex", "age"], ["age"])
    with pytest.raises(UsageError):
        check_columns(adult, [])


# ---------------------------------------------------------------------------- properties

rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 90), st.sampled_from(["a", "b", None])), min_size=1, max_size=60
)


@settings(max_examples=20, deadline=None)
@given(rows, st.integers(0, 5), st.integers(0, 5))
def test_merging_two_classes_never_lowers_k(data, x, y):
    """Relabel value x of column a as y (two classes of a become one): k does not drop."""
    table = pa.table({"a": [r[0] for r in data], "b": [r[1] for r in data], "c": [r[2] for r in data]})
    merged = pa.table({"a": [y if r[0] == x else r[0] for r in data], "b": table["b"], "c": table["c"]})
    before = class_sizes(datacustoms.read(table), ["a", "b", "c"])
    after = class_sizes(datacustoms.read(merged), ["a", "b", "c"])
    assert after.min_size >= before.min_size
    assert after.records == before.records
    assert after.classes <= before.classes


@settings(max_examples=20, deadline=None)
@given(rows, st.sampled_from([5, 10, 20]))
def test_generalising_a_quasi_identifier_never_lowers_k(data, width):
    """Age → band of ``width`` years (computed in DuckDB): k never drops."""
    table = datacustoms.read(
        pa.table({"a": [r[0] for r in data], "age": [r[1] for r in data], "c": [r[2] for r in data]})
    )
    exact = class_sizes(table, ["a", "age", "c"])
    banded = class_sizes(table, ["a", "age", "c"], expressions={"age": f'"age" // {width}'})
    assert banded.min_size >= exact.min_size
    assert banded.records == exact.records == len(data)
