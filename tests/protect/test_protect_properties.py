"""Property tests: generalising never lowers k; suppression never adds records and reaches k."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from datacustoms.policy import Generalize, parse_policy
from datacustoms.protect.histogram import class_histogram, class_stats
from datacustoms.protect.operators.generalize import generalize_values
from datacustoms.protect.pipeline import protect_table
from datacustoms.table import from_arrow

ages = st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=200)
sexes = st.sampled_from(["M", "F"])


def _k(columns: dict[str, pa.Array]) -> int:
    """Smallest class, counted by Arrow (independent of the DuckDB histogram under test elsewhere)."""
    counts = pa.table(columns).group_by(list(columns)).aggregate([([], "count_all")])
    return int(pc.min(counts.column("count_all")).as_py())


def test_histogram_agrees_with_arrow() -> None:
    columns = {"age": pa.array([1, 1, 2, None, None, 3]), "sex": pa.array(["M", "M", "F", "F", "F", None])}
    stats = class_stats(class_histogram(pa.table(columns).to_batches(), list(columns)), 2, suppress=True)
    assert stats.k == _k(columns) == 1
    assert (stats.rows, stats.classes, stats.suppressed_rows, stats.k_after) == (6, 4, 2, 2)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), values=ages)
def test_generalising_never_lowers_k(data: st.DataObject, values: list[int]) -> None:
    sex = pa.array(data.draw(st.lists(sexes, min_size=len(values), max_size=len(values))))
    raw = pa.array(values)
    k_raw = _k({"age": raw, "sex": sex})
    previous = k_raw
    for width in (5, 10, 20, 40, 80):  # each band is a union of the previous ones: a hierarchy
        banded = generalize_values(raw, Generalize(method="age", width=width), "age")
        k = _k({"age": banded, "sex": sex})
        assert k >= previous
        previous = k


@settings(max_examples=15, deadline=None)
@given(values=ages, k=st.integers(min_value=2, max_value=8))
def test_suppression_never_adds_records(tmp_path_factory: object, values: list[int], k: int) -> None:
    table = pa.table({"age": pa.array([str(v) for v in values]), "n": pa.array(range(len(values)))})
    policy = parse_policy(
        {
            "recipient": "r",
            "purpose": "p",
            "thresholds": {"k": k},
            "suppression": {"max_share": 1.0},
            "columns": {"age": {"action": "generalize", "method": "age", "width": 10}, "n": "keep"},
        }
    )
    folder = tmp_path_factory.mktemp("s")  # type: ignore[attr-defined]
    result = protect_table(from_arrow(table), policy, folder / "o.parquet")
    assert result.rows_out is not None and result.rows_out <= len(values)
    assert result.rows_out == len(values) - result.suppressed_rows
    if result.rows_out:
        assert result.k_after is not None and result.k_after >= k


texts = st.lists(st.one_of(st.none(), st.text(min_size=1, max_size=40)), min_size=1, max_size=60)


@settings(max_examples=25, deadline=None)
@given(values=texts)
def test_tokenize_round_trips_through_the_pipeline(tmp_path_factory: object, values: list[str | None]) -> None:
    import secrets

    import pyarrow.parquet as pq

    from datacustoms.protect import crypto
    from datacustoms.protect.pipeline import protect

    key = secrets.token_bytes(32)
    spec = {"recipient": "r", "purpose": "p", "key": "env:UNUSED", "columns": {"v": {"action": "tokenize"}}}
    out = tmp_path_factory.mktemp("t") / "o.parquet"  # type: ignore[attr-defined]
    protect(pa.table({"v": pa.array(values, pa.string())}), parse_policy(spec), out, master_key=key)
    tokens = pq.read_table(out).column("v")
    derived = crypto.derive_key(key, recipient="r", purpose="p", operation="tokenize")
    assert crypto.detokenize(derived, tokens, column="v").to_pylist() == values
