"""A local Parquet source read on the executors by pyarrow gives what Spark's own reader gives:
the same sample (the embedded engine's), the same cells, digests and protected bytes; the
setting that turns it off, and the columns it leaves to Spark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from spark_fixtures import make_export, policy_spec

from datacustoms.engines import resolve_engine
from datacustoms.engines.spark_stages import distinct_digests, spark_cells
from datacustoms.errors import UsageError
from datacustoms.io import read, spark_pieces
from datacustoms.io import spark as spark_io
from datacustoms.io.spark import READER_CONF, SparkTable, frame
from datacustoms.policy import parse_policy
from datacustoms.protect.pipeline import protect_table

KEY = bytes(range(32))


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """A piece per row group, so the tiny sources here are read by several tasks."""
    monkeypatch.setattr(spark_pieces, "MIN_PIECE_BYTES", 1)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The export in three files of several row groups each, a null in every other QI."""
    table = make_export(1_000, seed=5)
    out = tmp_path / "export"
    out.mkdir()
    for i, start in enumerate((0, 370, 700)):
        part = table.slice(start, {0: 370, 1: 330, 2: 300}[i])
        pq.write_table(part, out / f"part-{i}.parquet", row_group_size=90)
    return out


def _open(path: Path, rows: int | None = None) -> SparkTable:
    table = resolve_engine("spark", master="local[2]").open(str(path), sample_rows=rows)
    assert isinstance(table, SparkTable)
    return table


def _driver_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(files: Any) -> Iterator[pa.RecordBatch]:
        raise AssertionError("the driver read the rows")

    monkeypatch.setattr(spark_io, "bounded_batches", refuse)


@pytest.mark.spark
@pytest.mark.parametrize("rows", [1, 64, 999, 5_000])
def test_executors_draw_the_embedded_engines_sample(
    spark: Any, folder: Path, small_pieces: None, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    _driver_reads_nothing(monkeypatch)
    table = _open(folder)
    assert table.pieces is not None and len(table.pieces.pieces) > 6
    got = table.sample(rows)
    assert got.schema == table.schema
    assert got.to_pylist() == read(str(folder)).sample(rows).to_pylist()
    assert not [n for n in table.notes if "could not draw" in n]


@pytest.mark.spark
def test_a_bound_too_low_is_raised_until_enough_rows_come_back(
    spark: Any, folder: Path, small_pieces: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-in-a-billion case: fewer rows than asked fell under the bound; it doubles and the
    tasks run again, and the sample is still the embedded one."""
    _driver_reads_nothing(monkeypatch)
    bounds: list[float] = []
    real = spark_io.sample_task

    def spy(pieces: Any, schema: pa.Schema, seed: int, below: float) -> Any:
        bounds.append(below)
        return real(pieces, schema, seed, below)

    monkeypatch.setattr(spark_io, "sample_bound", lambda rows, total: 1e-4)
    monkeypatch.setattr(spark_io, "sample_task", spy)
    got = _open(folder).sample(200)
    assert got.to_pylist() == read(str(folder)).sample(200).to_pylist()
    assert bounds[0] == 1e-4 and bounds[1] == 2e-4 and len(bounds) > 5


@pytest.mark.spark
def test_a_failed_executor_sample_falls_back_to_the_driver_and_says_so(
    spark: Any, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any) -> pa.Table:
        raise RuntimeError("py4j trouble")

    monkeypatch.setattr(spark_io, "executor_sample", fail)
    table = _open(folder)
    assert table.sample(100).to_pylist() == read(str(folder)).sample(100).to_pylist()
    assert any("could not draw the sample (RuntimeError); the driver read it" in n for n in table.notes)


@pytest.mark.spark
def test_cells_and_digests_from_pieces_equal_sparks_own_reader(spark: Any, folder: Path, small_pieces: None) -> None:
    table = _open(folder)
    pieces = table.pieces
    assert pieces is not None and pieces.reads(["age", "sex", "diagnosis", "phone_sha256"])
    qi, sensitive = ["age", "sex"], ["diagnosis"]
    by_pieces = spark_cells(table.frame, qi, sensitive, pieces)
    by_spark = spark_cells(table.frame, qi, sensitive, None)
    assert [(f.name, f.type) for f in by_pieces.schema] == [(f.name, f.type) for f in by_spark.schema]
    key = ["q0", "q1", "s0", "n"]
    assert sorted(by_pieces.select(key).to_pylist(), key=str) == sorted(by_spark.select(key).to_pylist(), key=str)
    assert sum(by_pieces.column("n").to_pylist()) == 1_000
    assert any(r["s0"] is None for r in by_pieces.to_pylist())  # nulls are a value of their own
    a = distinct_digests(table.frame, "phone_sha256", rows=1_000, pieces=pieces)
    b = distinct_digests(table.frame, "phone_sha256", rows=1_000, pieces=None)
    assert a is not None and b is not None
    assert a.stats == b.stats and a.distinct.equals(b.distinct) and a.counts.tolist() == b.counts.tolist()


@pytest.mark.spark
def test_float_keys_group_as_spark_groups_them(spark: Any, tmp_path: Path, small_pieces: None) -> None:
    """-0.0 and 0.0, and every NaN, are one value each to Spark's groupBy: the partial counts
    pyarrow makes are summed by that groupBy, so the cells come out the same."""
    values = [0.0, -0.0, float("nan"), float("nan"), 1.5, None] * 50
    pq.write_table(pa.table({"x": values, "s": ["a", "b"] * 150}), tmp_path / "f.parquet", row_group_size=40)
    table = _open(tmp_path / "f.parquet")
    assert table.pieces is not None and len(table.pieces.pieces) > 1
    by_pieces = spark_cells(table.frame, ["x"], ["s"], table.pieces).to_pylist()
    by_spark = spark_cells(table.frame, ["x"], ["s"], None).to_pylist()
    assert sorted(map(str, by_pieces)) == sorted(map(str, by_spark))
    assert len(by_pieces) == 6  # 0 and NaN with a and b (-0.0 and one NaN only with b), 1.5 with a, null with b


@pytest.mark.spark
def test_protect_from_pieces_writes_the_embedded_bytes(spark: Any, tmp_path: Path, small_pieces: None) -> None:
    """Kernels, class counts and the suppression pass read by the tasks themselves: the same
    values, k and suppressed rows as the embedded engine, a part per piece."""
    from datacustoms.engines.spark_protect import spark_protect

    source = tmp_path / "export.parquet"
    pq.write_table(make_export(), source, row_group_size=100)
    policy = parse_policy(policy_spec())
    emb = protect_table(read(str(source)), policy, tmp_path / "emb.parquet", master_key=KEY)
    table = _open(source)
    assert table.pieces is not None and len(table.pieces.pieces) == 6
    spk = spark_protect(table, policy, tmp_path / "spk.parquet", master_key=KEY)
    assert spk.suppressed_rows > 0  # the second pass ran from the pieces too
    assert (spk.k_before, spk.k_after, spk.suppressed_rows, spk.rows_in, spk.rows_out) == (
        emb.k_before, emb.k_after, emb.suppressed_rows, emb.rows_in, emb.rows_out,
    )  # fmt: skip
    got = ds.dataset(tmp_path / "spk.parquet", format="parquet").to_table()
    want = pq.read_table(tmp_path / "emb.parquet")
    assert sorted(got.to_pylist(), key=str) == sorted(want.to_pylist(), key=str)
    assert len(list((tmp_path / "spk.parquet").glob("part-*.parquet"))) == 6


@pytest.mark.spark
def test_a_column_pyarrow_reads_otherwise_goes_through_spark(spark: Any, tmp_path: Path) -> None:
    """A millisecond timestamp is a microsecond one to Spark: a stage that reads it is left to
    Spark's reader, one that does not still reads the other columns in the tasks."""
    when = pa.array([1_600_000_000_000 + i for i in range(20)], pa.timestamp("ms"))
    pq.write_table(pa.table({"when": when, "sex": ["M", "F"] * 10}), tmp_path / "t.parquet")
    table = _open(tmp_path / "t.parquet")
    assert table.pieces is not None and table.pieces.schema.names == ["sex"]
    assert not table.pieces.reads(table.schema.names)
    assert table.sample(5).to_pylist() == read(str(tmp_path / "t.parquet")).sample(5).to_pylist()
    cells = spark_cells(table.frame, ["when"], ["sex"], table.pieces)
    assert sum(cells.column("n").to_pylist()) == 20


@pytest.mark.spark
def test_the_reader_setting(spark: Any, folder: Path) -> None:
    old = spark.conf.get(READER_CONF, None)
    try:
        spark.conf.set(READER_CONF, "spark")
        assert _open(folder).pieces is None
        spark.conf.set(READER_CONF, "pyarrow-please")
        with pytest.raises(UsageError, match=f"{READER_CONF} must be auto or spark"):
            resolve_engine("spark", master="local[2]")
    finally:
        if old is None:
            spark.conf.unset(READER_CONF)
        else:
            spark.conf.set(READER_CONF, old)
    assert _open(folder).pieces is not None


@pytest.mark.spark
def test_a_dataframe_has_no_pieces(spark: Any) -> None:
    df = spark.createDataFrame(make_export())
    table = resolve_engine("spark", master="local[2]").open(df, sample_rows=10)
    assert isinstance(table, SparkTable) and table.pieces is None
    assert frame(df) is df


@pytest.mark.spark
def test_a_source_changed_under_the_tasks_fails_in_one_line(spark: Any, tmp_path: Path, small_pieces: None) -> None:
    """Pieces name row groups: a file rewritten with fewer of them after planning fails the job,
    and the command says so in one line with no verdict (never a count over half the rows)."""
    from datacustoms.io.spark import SparkJobError

    path = tmp_path / "moving.parquet"
    pq.write_table(make_export(), path, row_group_size=100)
    table = _open(path)
    assert table.pieces is not None and len(table.pieces.pieces) == 6
    pq.write_table(make_export(), path, row_group_size=600)  # one row group now
    with pytest.raises(SparkJobError, match=r"^counting the classes failed in Spark .*; no verdict was given"):
        spark_cells(table.frame, ["age"], ["sex"], table.pieces)


@pytest.mark.spark
def test_digest_runs_count_what_the_embedded_parser_counts(
    spark: Any, tmp_path: Path, small_pieces: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Case variants, surrounding white space, nulls and a malformed value, spread over pieces and
    over several runs within a piece: the tasks' runs give the embedded parser's digests, counts
    and statistics."""
    from datacustoms.attack.column import read_column
    from datacustoms.engines import spark_runs

    d, e = "ab" * 32, "cd" * 32
    values = [d, d.upper(), f" {e} ", None, "zz" * 32, e, d] * 40
    path = tmp_path / "h.parquet"
    pq.write_table(pa.table({"h": values}), path, row_group_size=50)
    monkeypatch.setattr(spark_runs, "RUN_ROWS", 16)  # several runs per piece
    table = _open(path)
    assert table.pieces is not None and len(table.pieces.pieces) == 6
    got = distinct_digests(table.frame, "h", rows=len(values), pieces=table.pieces)
    want = read_column(read(str(path)), "h")
    assert got is not None and want is not None
    counted = ("rows", "nulls", "whitespace", "malformed", "valid")  # both Spark paths leave the case tallies
    assert (
        [getattr(got.stats, n) for n in counted] == [getattr(want.stats, n) for n in counted] == [280, 40, 40, 40, 200]
    )
    assert got.distinct.equals(want.distinct) and got.counts.tolist() == want.counts.tolist() == [120, 80]
