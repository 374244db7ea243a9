"""The numpy path over dictionary codes gives the DuckDB path's profile, figure for figure."""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import datacustoms
from datacustoms.model.risk import RiskProfile
from datacustoms.model.thresholds import Thresholds
from datacustoms.risk import coded, risk_profile
from datacustoms.table import Table


def _close(a: Any, b: Any, where: str = "") -> None:
    """Equal, floats to 1e-12 relative (sums taken in another order)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _both(
    table: Table, qi: list[str], sensitive: list[str], th: Thresholds, monkeypatch: pytest.MonkeyPatch
) -> tuple[RiskProfile, RiskProfile]:
    """(numpy path, DuckDB path); fails when the numpy path was not taken."""
    used: list[bool] = []
    real = coded.count

    def spy(*args: Any) -> coded.Counted | None:
        result = real(*args)
        used.append(result is not None)
        return result

    with monkeypatch.context() as m:
        m.setattr(coded, "count", spy)
        import datacustoms.risk.profile as profile_module

        m.setattr(profile_module, "count", spy)
        fast = risk_profile(table, qi, sensitive, thresholds=th)
    assert used == [True], "the numpy path did not run"
    with monkeypatch.context() as m:
        m.setattr(coded, "MAX_BYTES", 0)
        slow = risk_profile(table, qi, sensitive, thresholds=th)
    _close(fast.model_dump(), slow.model_dump())
    return fast, slow


def _people(seed: int, rows: int) -> pa.Table:
    rng = np.random.default_rng(seed)

    def nulls(values: list, share: float) -> list:
        return [None if rng.random() < share else v for v in values]

    return pa.table(
        {
            "age": pa.array(nulls(rng.integers(20, 40, rows).tolist(), 0.05), pa.int64()),
            "year": pa.array(rng.integers(1950, 1960, rows), pa.int16()),
            "sex": pa.array(nulls(rng.choice(["F", "M"], rows).tolist(), 0.05)),
            "zip": pa.array(rng.choice(["a1", "b2", "c3", "d4", "e5"], rows).tolist()),
            "smoker": pa.array(nulls(rng.choice([True, False], rows).tolist(), 0.1)),
            "born": pa.array(
                [datetime.date(1990, 1, 1) + datetime.timedelta(days=int(d)) for d in rng.integers(0, 5, rows)]
            ),
            "visits": pa.array(nulls(rng.integers(0, 12, rows).tolist(), 0.1), pa.int32()),
            "gaps": pa.array((rng.integers(0, 4, rows) * 1000).tolist(), pa.int64()),
            "score_text": pa.array(nulls([f" {v} " for v in rng.integers(-5, 30, rows)], 0.1)),
            "disease": pa.array(nulls(rng.choice(["flu", "cold", "hiv", "tb", "none"], rows).tolist(), 0.1)),
            "unique_amount": pa.array(rng.permutation(rows).astype(str).tolist()),
            "big": pa.array((rng.integers(0, 3, rows) * (1 << 40)).tolist(), pa.uint64()),
        }
    )


SENSITIVE = ["visits", "gaps", "score_text", "disease", "unique_amount", "smoker", "born", "year"]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("l_", [1, 2, 3, 4])
def test_each_sensitive_column(seed: int, l_: int, monkeypatch: pytest.MonkeyPatch) -> None:
    table = datacustoms.read(_people(seed, 500))
    th = Thresholds(l=l_, t=0.3, k=3, c=2.5)
    for column in SENSITIVE:
        _both(table, ["age", "sex", "zip"], [column], th, monkeypatch)


def test_several_sensitive_columns_and_odd_quasi_identifiers(monkeypatch: pytest.MonkeyPatch) -> None:
    table = datacustoms.read(_people(3, 700))
    _both(table, ["smoker", "born", "big", "sex"], SENSITIVE[:4], Thresholds(l=3, t=0.2, c=0.1), monkeypatch)
    _both(table, ["zip"], [], Thresholds(), monkeypatch)


def test_parquet_dictionaries_differ_between_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small row groups: each holds its own dictionary, in its own order, some without NULL."""
    data = _people(4, 3000).sort_by("zip")
    path = tmp_path / "people.parquet"
    pq.write_table(data, path, row_group_size=250)
    table = datacustoms.read(path)
    assert table.open_dictionary is not None
    fast, _ = _both(table, ["age", "sex", "zip"], ["disease", "score_text"], Thresholds(l=2, t=0.25), monkeypatch)
    assert fast.rows == 3000


def test_wide_keys_are_numbered_by_sorting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quasi-identifiers whose distinct counts multiply past the dense range, and past 2**62."""
    rng = np.random.default_rng(5)
    rows = 2000
    data = {f"c{i}": pa.array(rng.integers(0, 1 << 20, rows).astype(str).tolist()) for i in range(4)}
    data["s"] = pa.array(rng.choice(["a", "b", "c"], rows).tolist())
    table = datacustoms.read(pa.table(data))
    monkeypatch.setattr(coded, "DENSE_KEYS", 1 << 10)
    _both(table, [f"c{i}" for i in range(4)], ["s"], Thresholds(), monkeypatch)


def test_what_the_numpy_path_declines() -> None:
    """Floating point, too many cells, or too many rows: the DuckDB path runs instead."""
    floats = datacustoms.read(pa.table({"q": ["a", "b"], "s": [1.0, float("nan")]}))
    assert coded.count(floats, ["q"], ["s"]) is None
    rows = 5000
    near_unique = datacustoms.read(pa.table({"q": np.arange(rows), "s": np.arange(rows)}))
    assert coded.count(near_unique, ["q"], ["s"]) is not None
    old = coded.MAX_CELLS
    try:
        coded.MAX_CELLS = rows * rows - 1
        assert coded.count(near_unique, ["q"], ["s"]) is None
    finally:
        coded.MAX_CELLS = old


ADULT_CASES = [
    (["age", "sex", "race", "marital-status", "education"], ["occupation"], Thresholds()),
    (["age", "sex", "native-country"], ["salary-class", "workclass"], Thresholds(l=3, t=0.2)),
    (["education", "occupation", "workclass", "race", "sex", "native-country"], ["salary-class"], Thresholds(l=4, k=3)),
    (["sex", "race"], ["age"], Thresholds(l=2, t=0.1)),  # an ordered sensitive column (EMD)
    (["sex"], [], Thresholds()),
]


@pytest.mark.parametrize("qi,sensitive,th", ADULT_CASES)
def test_adult_from_parquet(
    adult_csv: Path, tmp_path: Path, qi: list[str], sensitive: list[str], th: Thresholds, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not adult_csv.exists():
        pytest.skip("the shared UCI Adult data set is not available")
    path = tmp_path / "adult.parquet"
    pq.write_table(datacustoms.read(str(adult_csv)).reader().read_all(), path, row_group_size=7000)
    fast, _ = _both(datacustoms.read(path), qi, sensitive, th, monkeypatch)
    assert fast.rows == 30_162


@pytest.mark.parametrize(
    "values,arrow_type",
    [
        ([-100, 100, 5, None, -100], pa.int8()),
        ([0, 255, 7, 255], pa.uint8()),
        ([2**32 - 1, 2**32 - 5, None, 2**32 - 1], pa.uint32()),
        ([2**64 - 1, 2**64 - 3, 2**64 - 1], pa.uint64()),
        ([-(2**63), -(2**63) + 2, None], pa.int64()),
        ([-(2**63), 2**63 - 1, 0, 0], pa.int64()),  # a range too wide to subtract: ranked instead
    ],
)
def test_integer_codes_at_the_edges_of_their_types(
    values: list, arrow_type: pa.DataType, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = len(values) * 3
    data = pa.table({"q": pa.array(values * 3, arrow_type), "s": pa.array((values[::-1] * 3), arrow_type)})
    fast, _ = _both(datacustoms.read(data), ["q"], ["s"], Thresholds(l=2), monkeypatch)
    assert fast.rows == rows


def test_a_near_unique_sensitive_column_stops_the_read_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid could not fit: the numpy path gives up after the first batches, not at the end."""
    rows = 4000
    data = pa.table({"q": pa.array([f"q{i % 50}" for i in range(rows)]), "s": pa.array([f"s{i}" for i in range(rows)])})
    read: list[int] = []

    def batches() -> Any:
        for batch in data.to_batches(max_chunksize=500):
            read.append(batch.num_rows)
            yield batch

    table = Table(name="t", schema=data.schema, open_batches=batches)
    monkeypatch.setattr(coded, "MAX_CELLS", 50 * 1000)  # 50 classes at least: 1,000 values fit, 1,500 do not
    assert coded.count(table, ["q"], ["s"]) is None
    assert len(read) <= 5  # three coded, at most two read ahead (one queued, one in hand): not the eight
    profile = risk_profile(table, ["q"], ["s"])  # the DuckDB path
    assert profile.diversity[0].distinct_values == rows


def test_columns_that_are_all_null(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = 40
    data = pa.table(
        {
            "n_int": pa.array([None] * rows, pa.int64()),
            "n_text": pa.array([None] * rows, pa.string()),
            "q": pa.array([f"q{i % 3}" for i in range(rows)]),
            "s": pa.array([None if i % 4 == 0 else i % 5 for i in range(rows)], pa.int32()),
        }
    )
    table = datacustoms.read(data)
    _both(table, ["n_int", "n_text", "q"], ["s"], Thresholds(l=2, t=0.5), monkeypatch)
    _both(table, ["q"], ["n_int"], Thresholds(), monkeypatch)
    _both(table, ["q"], ["n_text"], Thresholds(), monkeypatch)
