"""The Spark write job's tasks count the raw QI inputs on their own types (no text), and the
driver runs the QI kernels on the distinct rows: the same figures and bytes as the text classes."""

from __future__ import annotations

import datetime as dt
import decimal
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from datacustoms.engines import spark_task
from datacustoms.policy import parse_policy
from datacustoms.protect.histogram import GroupedInputs
from datacustoms.protect.pipeline import protect_table
from datacustoms.table import from_arrow

KEY = bytes(range(32))


def _typed(rows: int = 3000, seed: int = 5) -> pa.Table:
    rng = random.Random(seed)

    def maybe(v: Any) -> Any:
        return None if rng.random() < 0.05 else v

    return pa.table(
        {
            "customer_id": pa.array([f"C{i:05d}" for i in range(rows)]),
            "age": pa.array([maybe(rng.randint(18, 90)) for _ in range(rows)], pa.int64()),
            "floor": pa.array([maybe(rng.randint(-2, 9)) for _ in range(rows)], pa.int8()),
            "born": pa.array([maybe(dt.date(rng.randint(1980, 1984), rng.randint(1, 12), 1)) for _ in range(rows)]),
            "member": pa.array([maybe(rng.random() < 0.3) for _ in range(rows)], pa.bool_()),
            "band": pa.array([maybe(decimal.Decimal(rng.randint(0, 4)) / 2) for _ in range(rows)], pa.decimal128(6, 2)),
            "region": pa.array([maybe(rng.choice(["Seoul", "Busan", "Jeju"])) for _ in range(rows)]),
            "note": pa.array([rng.choice(["x", "y", None]) for _ in range(rows)]),
        }
    )


def _policy(qi: list[str], share: float = 0.5, **more: object) -> Any:
    columns: dict[str, object] = {
        "customer_id": {"action": "pseudonymize", "why": "join key"},
        "age": {"action": "generalize", "method": "age", "width": 20},
        "floor": "keep",
        "born": {"action": "generalize", "method": "date", "to": "year"},
        "member": "keep",
        "band": "keep",
        "region": "keep",
        "note": "drop",
        **more,
    }
    return parse_policy(
        {
            "recipient": "R",
            "recipient_country": "KR",
            "purpose": "test",
            "legal_basis": "contract",
            "role": "processor",
            "key": "env:DC_SPARK_TEST_KEY",
            "thresholds": {"k": 4, "max_risk": 0.25},
            "quasi_identifiers": qi,
            "suppression": {"max_share": share},
            "columns": columns,
        }
    )


def _rows(path: Path) -> list[tuple[Any, ...]]:
    table = ds.dataset(path, format="parquet").to_table()
    return sorted(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True), key=repr)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the driver's runs of the grouped path."""
    calls: list[int] = []
    real = GroupedInputs.from_counts.__func__  # type: ignore[attr-defined]

    def counting(cls: type[GroupedInputs], grouped: pa.Table, *a: Any) -> GroupedInputs:
        calls.append(grouped.num_rows)
        return real(cls, grouped, *a)

    monkeypatch.setattr(GroupedInputs, "from_counts", classmethod(counting))
    return calls


WIDE = ["age", "born", "member", "band"]  # small classes: suppression runs
FIGURES = ("k_before", "k_after", "suppressed_rows", "classes_after", "rows_in", "rows_out")


@pytest.mark.spark
@pytest.mark.parametrize("qi", [WIDE, ["floor", "region"], ["member"]])
@pytest.mark.parametrize("source_kind", ["dataframe", "parquet"])
def test_grouped_inputs_give_the_text_classes_figures_and_bytes(
    spark: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    qi: list[str],
    source_kind: str,
) -> None:
    from datacustoms.engines import spark_protect as sp

    table = _typed()
    policy = _policy(qi)
    if source_kind == "parquet":  # uint32 and large_string stored: Spark reads them as long and string
        table = table.set_column(1, "age", table.column("age").cast(pa.uint32()))
        table = table.set_column(6, "region", table.column("region").cast(pa.large_string()))
        pq.write_table(table, tmp_path / "in.parquet", row_group_size=200)
        source: Any = str(tmp_path / "in.parquet")
    else:  # a task sees several batches: their groups are folded together
        source = spark.createDataFrame(table).repartition(3)
        previous = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "128")
        request.addfinalizer(lambda: spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", previous))
    calls = _spy(monkeypatch)
    grouped = sp.spark_protect(source, policy, tmp_path / "grouped", master_key=KEY)
    assert len(calls) == 1 and 0 < calls[0] < table.num_rows  # the grouped path ran, on distinct rows
    monkeypatch.setattr(sp, "grouped_in_tasks", lambda *a: False)
    text = sp.spark_protect(source, policy, tmp_path / "text", master_key=KEY)
    assert len(calls) == 1
    emb = protect_table(from_arrow(table, "t"), policy, tmp_path / "emb.parquet", master_key=KEY)
    assert [getattr(grouped, f) for f in FIGURES] == [getattr(text, f) for f in FIGURES]
    assert [getattr(grouped, f) for f in FIGURES] == [getattr(emb, f) for f in FIGURES]
    assert grouped.suppressed_rows > 0 or qi != WIDE
    assert _rows(tmp_path / "grouped") == _rows(tmp_path / "text")


@pytest.mark.spark
def test_types_the_tasks_cannot_group_keep_the_text_classes(spark: Any) -> None:
    """Floats (-0.0 and 0.0, NaNs: one group to Spark and Arrow, not to their text) and Spark's
    timestamps (with a time zone)."""
    from datacustoms.engines.spark_protect import grouped_in_tasks

    table = pa.table(
        {
            "a": pa.array([1, 2], pa.int32()),
            "f": pa.array([0.5, -0.0]),
            "t": pa.array([dt.datetime(2024, 1, 1), None], pa.timestamp("us", "UTC")),
            "s": pa.array(["x", "y"]),
        }
    )
    df = spark.createDataFrame(table)
    assert grouped_in_tasks(df, ["a", "s"], ["a", "s"])
    assert not grouped_in_tasks(df, ["a", "f"], ["a", "f"])
    assert not grouped_in_tasks(df, ["t"], ["t"])
    assert not grouped_in_tasks(df, [], [])
    assert not grouped_in_tasks(df, ["s"], ["s", "a"])  # a date shift's subject among the inputs


@pytest.mark.spark
def test_a_date_shift_subject_keeps_the_text_classes(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A QI shifted per subject reads the subject too: grouped with it, the driver would get a row
    per person; the text classes give the same figures as the embedded engine."""
    from datacustoms.engines.spark_protect import spark_protect

    table = _typed(600)
    shift = {"action": "shift_dates", "subject": "customer_id", "max_days": 40}
    policy = _policy(["born", "member"], share=1.0, born=shift)  # exact shifted dates: most classes small
    calls = _spy(monkeypatch)
    spk = spark_protect(spark.createDataFrame(table), policy, tmp_path / "spk", master_key=KEY)
    emb = protect_table(from_arrow(table, "t"), policy, tmp_path / "emb.parquet", master_key=KEY)
    assert calls == []
    assert [getattr(spk, f) for f in FIGURES] == [getattr(emb, f) for f in FIGURES]
    assert _rows(tmp_path / "spk") == _rows(tmp_path / "emb.parquet")


@pytest.mark.spark
def test_a_table_with_timestamps_is_protected_as_the_embedded_engine_does(spark: Any, tmp_path: Path) -> None:
    """Spark's timestamps reach the tasks with the session's time zone (the schema the job is told
    must say so); one as a QI keeps the text classes."""
    from datacustoms.engines.spark_protect import spark_protect

    table = _typed(600)
    seen = pa.array([dt.datetime(2024, 1 + i % 12, 1, 9, 30) for i in range(600)], pa.timestamp("us", "UTC"))
    table = table.append_column("seen", seen)
    policy = _policy(["member", "seen"], seen="keep")
    spk = spark_protect(spark.createDataFrame(table), policy, tmp_path / "spk", master_key=KEY)
    emb = protect_table(from_arrow(table, "t"), policy, tmp_path / "emb.parquet", master_key=KEY)
    assert [getattr(spk, f) for f in FIGURES] == [getattr(emb, f) for f in FIGURES]
    got = ds.dataset(tmp_path / "spk", format="parquet").to_table()
    assert got.schema.field("seen").type.tz is not None
    assert sorted(got.column("seen").to_pylist()) == sorted(
        pq.read_table(tmp_path / "emb.parquet").column("seen").to_pylist()
    )


def test_a_tasks_input_groups_fold_and_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-batch groups, folded when they grow, summed: a plain count of the rows (nulls a value
    of their own), in the types the job was told (a piece's large_string and uint16 cast)."""
    from collections import Counter

    monkeypatch.setattr(spark_task, "FOLD_GROUPS", 40)
    rng = random.Random(3)
    schema = pa.schema([pa.field("i0", pa.string()), pa.field("i1", pa.int32())])
    groups = spark_task._InputGroups(["s", "n"], schema)
    truth: Counter[tuple[Any, Any]] = Counter()
    for b in range(12):
        s = [rng.choice(["a", "b", "c", None]) for _ in range(100)]
        n = [rng.choice([1, 2, 3, 4, 5, 6, 7, None]) for _ in range(100)]
        batch = pa.record_batch(
            [pa.array(s, pa.large_string() if b % 2 else pa.string()), pa.array(n, pa.uint16())], names=["s", "n"]
        )
        groups.add(batch, batch)
        truth.update(zip(s, n, strict=True))
    out = pa.Table.from_batches(list(groups.batches(1200)))
    kinds = out.column(spark_task.KIND).to_pylist()
    assert kinds.count(spark_task.ROWS) == 1 and out.column(spark_task.N).to_pylist()[-1] == 1200
    got = out.filter(pc.equal(out.column(spark_task.KIND), spark_task.INPUTS))
    assert got.schema.field("i0").type == pa.string() and got.schema.field("i1").type == pa.int32()
    pairs = zip(
        got.column("i0").to_pylist(), got.column("i1").to_pylist(), got.column(spark_task.N).to_pylist(), strict=True
    )
    assert {(a, b): n for a, b, n in pairs} == dict(truth)
    assert len(groups.parts) < 12  # folded on the way


@pytest.mark.spark
@pytest.mark.parametrize("as_frame", [False, True])
def test_inspect_reads_a_table_with_timestamps(spark: Any, tmp_path: Path, as_frame: bool) -> None:
    """A timestamp column (any Spark source has them) once failed every Spark stage with a bare
    AssertionError: Spark's schema could not be turned into Arrow's without the session's zone."""
    from datacustoms.flows.inspect import inspect

    rows = 300
    table = pa.table(
        {
            "age": [20 + i % 40 for i in range(rows)],
            "sex": ["MF"[i % 2] for i in range(rows)],
            "seen": pa.array([dt.datetime(2024, 1, 1 + i % 28, 10) for i in range(rows)], pa.timestamp("us", "UTC")),
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    source: Any = spark.createDataFrame(table) if as_frame else str(tmp_path / "in.parquet")
    spk = inspect(source, engine="spark", attack=False, qi=["age", "sex"])
    emb = inspect(str(tmp_path / "in.parquet"), engine="embedded", attack=False, qi=["age", "sex"])
    assert spk.risk is not None and emb.risk is not None
    assert (spk.risk.k, spk.risk.classes) == (emb.risk.k, emb.risk.classes) == (7, 40)


@pytest.mark.spark
def test_a_local_timestamp_qi_is_grouped_in_the_tasks(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spark reads a Parquet timestamp without a time zone as TIMESTAMP_NTZ (no zone: it groups
    as its text does); the grouped path gives the text classes' and the embedded figures."""
    from datacustoms.engines import spark_protect as sp

    table = _typed(900)
    visits = [dt.datetime(2023, 1 + i % 12, 1 + i % 27, i % 24) if i % 17 else None for i in range(900)]
    table = table.append_column("visit", pa.array(visits, pa.timestamp("us")))
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=300)
    visit = {"action": "generalize", "method": "date", "to": "year"}
    policy = _policy(["visit", "member", "region"], visit=visit)
    source = str(tmp_path / "in.parquet")
    calls = _spy(monkeypatch)
    grouped = sp.spark_protect(source, policy, tmp_path / "grouped", master_key=KEY)
    assert len(calls) == 1
    monkeypatch.setattr(sp, "grouped_in_tasks", lambda *a: False)
    text = sp.spark_protect(source, policy, tmp_path / "text", master_key=KEY)
    emb = protect_table(from_arrow(table, "t"), policy, tmp_path / "emb.parquet", master_key=KEY)
    assert [getattr(grouped, f) for f in FIGURES] == [getattr(text, f) for f in FIGURES]
    assert [getattr(grouped, f) for f in FIGURES] == [getattr(emb, f) for f in FIGURES]
    assert _rows(tmp_path / "grouped") == _rows(tmp_path / "text")
