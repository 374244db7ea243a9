"""``inspect`` with its quasi-identifiers and sensitive columns given: on a local Parquet source the
Spark job that draws the sample also counts the cells (one read of the rows, not two), and gives
the embedded engine's sample and figures; counts that do not add up are counted again by Spark."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from spark_fixtures import make_export

from datacustoms.engines import resolve_engine, spark_sample, spark_stages, spark_task
from datacustoms.engines.spark import SparkEngine
from datacustoms.engines.spark_sample import CachedCells, FileCells, SampledCells
from datacustoms.engines.spark_task import CELL
from datacustoms.flows.inspect import inspect
from datacustoms.io import read, spark_pieces
from datacustoms.io.spark import SparkTable

QI, SENSITIVE = ["age", "sex"], ["diagnosis"]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The export in three files of several row groups each (a piece per row group), nulls included."""
    monkeypatch.setattr(spark_pieces, "MIN_PIECE_BYTES", 1)
    table = make_export(1_000, seed=9)
    out = tmp_path / "export"
    out.mkdir()
    for i, (start, rows) in enumerate(((0, 370), (370, 330), (700, 300))):
        pq.write_table(table.slice(start, rows), out / f"part-{i}.parquet", row_group_size=90)
    return out


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the one-job path and Spark's own cell count ran."""
    seen = {"one_job": 0, "spark_cells": 0}
    real_task, real_cells = spark_task.sample_cells_task, spark_stages.spark_cells

    def task(*args: Any) -> Any:
        seen["one_job"] += 1
        return real_task(*args)

    def cells(*args: Any) -> pa.Table:
        seen["spark_cells"] += 1
        return real_cells(*args)

    monkeypatch.setattr(spark_sample, "sample_cells_task", task)
    monkeypatch.setattr(spark_stages, "spark_cells", cells)
    return seen


def _engine() -> SparkEngine:
    eng = resolve_engine("spark", master="local[2]")
    assert isinstance(eng, SparkEngine)
    return eng


Counted = TypeVar("Counted", bound=SampledCells)


def _opened(eng: SparkEngine, folder: Path, kind: type[Counted]) -> tuple[SparkTable, Counted]:
    """The folder opened to count the cells over QI and SENSITIVE in the sample's job, the way ``kind`` keeps them."""
    table = eng.open_counting(str(folder), sample_rows=200, qi=QI, sensitive=SENSITIVE)
    assert isinstance(table, SparkTable) and isinstance(table.sampled_cells, kind)
    return table, table.sampled_cells


def _cells(eng: SparkEngine, table: SparkTable, qi: list[str], sensitive: list[str]) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    eng.class_cells(table, qi, sensitive)(con)
    return sorted(con.execute("SELECT * FROM dc_cells").fetchall(), key=repr)


def _risk(report: Any) -> dict[str, Any]:
    assert report.risk is not None
    return report.risk.model_dump(exclude={"seconds"})


@pytest.mark.spark
def test_one_job_draws_the_embedded_sample_and_counts_the_cells(
    spark: Any, folder: Path, calls: dict[str, int]
) -> None:
    eng = _engine()
    table, counted = _opened(eng, folder, FileCells)
    assert calls == {"one_job": 1, "spark_cells": 0}
    assert table.sample(200).to_pylist() == read(str(folder)).sample(200).to_pylist()
    spill = counted.folder
    assert len(list(spill.glob("part-*.arrow"))) == len(table.pieces.pieces) > 3  # type: ignore[union-attr]
    summed = _cells(eng, table, QI, SENSITIVE)
    assert calls == {"one_job": 1, "spark_cells": 0}
    assert not spill.exists()  # loaded once, then gone
    assert sum(row[-1] for row in summed) == 1_000
    assert any(row[2] is None for row in summed)  # a null is a value of its own
    assert summed == _cells(eng, table, QI, SENSITIVE)  # a second load: Spark's own count, the same cells
    assert calls["spark_cells"] == 1


@pytest.mark.spark
@pytest.mark.parametrize("sensitive", [SENSITIVE, []])
def test_inspect_gives_the_embedded_figures_in_one_job(
    spark: Any, folder: Path, calls: dict[str, int], sensitive: list[str]
) -> None:
    spk = inspect(str(folder), engine="spark", attack=False, qi=QI, sensitive=sensitive)
    emb = inspect(str(folder), attack=False, qi=QI, sensitive=sensitive)
    assert calls == {"one_job": 1, "spark_cells": 0}
    assert _risk(spk) == _risk(emb)
    assert [f.model_dump() for f in spk.findings] == [f.model_dump() for f in emb.findings]


@pytest.mark.spark
@pytest.mark.parametrize("damage", ["missing", "short", "doubled", "garbled"])
def test_cells_that_do_not_add_up_are_counted_again_by_spark(
    spark: Any, folder: Path, calls: dict[str, int], damage: str
) -> None:
    """A task's file gone, one holding fewer counts, counts twice, or bytes that are no Arrow
    file: never a figure from them."""
    eng = _engine()
    table, counted = _opened(eng, folder, FileCells)
    parts = sorted(counted.folder.glob("part-*.arrow"))
    with pa.memory_map(str(parts[1])) as source:
        counts = pa.ipc.open_file(source).read_all()
    if damage == "missing":
        parts[1].unlink()
    elif damage == "garbled":
        parts[1].write_bytes(b"ARROW1" + bytes(64))
    else:
        changed = counts.slice(1) if damage == "short" else counts.set_column(
            counts.num_columns - 1, "n", pa.compute.multiply(counts.column("n"), 2)
        )  # fmt: skip
        with pa.OSFile(str(parts[1]), "wb") as sink, pa.ipc.new_file(sink, changed.schema) as writer:
            writer.write_table(changed)
    recounted = _cells(eng, table, QI, SENSITIVE)
    assert calls == {"one_job": 1, "spark_cells": 1}
    assert sum(row[-1] for row in recounted) == 1_000


@pytest.mark.spark
def test_other_columns_and_other_sources_keep_two_jobs(spark: Any, folder: Path, calls: dict[str, int]) -> None:
    """Cells asked for other columns are counted by Spark; sensitive columns left to detection
    (unknown when the sample is drawn) or a DataFrame source draw the sample alone."""
    eng = _engine()
    table = eng.open_counting(str(folder), sample_rows=200, qi=QI, sensitive=SENSITIVE)
    assert isinstance(table, SparkTable)
    other = _cells(eng, table, ["sex"], SENSITIVE)
    assert calls == {"one_job": 1, "spark_cells": 1}
    assert sum(row[-1] for row in other) == 1_000
    inspect(str(folder), engine="spark", attack=False, qi=QI)
    assert calls["one_job"] == 1
    frame = spark.createDataFrame(make_export(300))
    spk = inspect(frame, engine="spark", attack=False, qi=QI, sensitive=SENSITIVE)
    emb = inspect(make_export(300), attack=False, qi=QI, sensitive=SENSITIVE)
    assert calls["one_job"] == 1 and _risk(spk) == _risk(emb)


@pytest.mark.spark
def test_float_cells_group_as_the_embedded_engine_groups_them(
    spark: Any, tmp_path: Path, calls: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """-0.0 and 0.0, and every NaN, counted in separate tasks and summed on the driver."""
    monkeypatch.setattr(spark_pieces, "MIN_PIECE_BYTES", 1)
    values = [0.0, -0.0, float("nan"), float("nan"), 1.5, None] * 50
    source = tmp_path / "f.parquet"
    pq.write_table(pa.table({"x": values, "s": ["a", "b"] * 150}), source, row_group_size=40)
    spk = inspect(str(source), engine="spark", attack=False, qi=["x"], sensitive=["s"])
    emb = inspect(str(source), attack=False, qi=["x"], sensitive=["s"])
    assert calls == {"one_job": 1, "spark_cells": 0}
    assert _risk(spk) == _risk(emb)


@pytest.mark.spark
def test_cells_never_loaded_leave_no_files(spark: Any, folder: Path) -> None:
    table, counted = _opened(_engine(), folder, FileCells)
    spill = counted.folder
    assert spill.exists()
    del table, counted
    gc.collect()
    assert not spill.exists()


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a cluster master: the executors share no folder with the driver."""
    monkeypatch.setattr(spark_sample, "is_local_master", lambda frame: False)


@pytest.mark.spark
def test_on_a_cluster_the_cells_follow_the_sample_in_the_kept_output(
    spark: Any, folder: Path, calls: dict[str, int], cluster: None
) -> None:
    eng = _engine()
    table, counted = _opened(eng, folder, CachedCells)
    kept = counted.both
    assert kept.is_cached
    assert table.sample(200).to_pylist() == read(str(folder)).sample(200).to_pylist()
    summed = _cells(eng, table, QI, SENSITIVE)
    assert calls == {"one_job": 1, "spark_cells": 0}
    assert not kept.is_cached  # released once loaded
    assert sum(row[-1] for row in summed) == 1_000
    assert summed == _cells(eng, table, QI, SENSITIVE)  # a second load: Spark's own count, the same cells
    assert calls["spark_cells"] == 1
    spk = inspect(str(folder), engine="spark", attack=False, qi=QI, sensitive=SENSITIVE)
    emb = inspect(str(folder), attack=False, qi=QI, sensitive=SENSITIVE)
    assert calls == {"one_job": 2, "spark_cells": 1}
    assert _risk(spk) == _risk(emb)


@pytest.mark.spark
def test_on_a_cluster_kept_counts_that_do_not_add_up_are_counted_again(
    spark: Any, folder: Path, calls: dict[str, int], cluster: None
) -> None:
    from pyspark.sql import functions as F

    eng = _engine()
    table, counted = _opened(eng, folder, CachedCells)
    kept = counted.both
    counted.both = kept.where(F.col(CELL + "q1").isNull() | (F.col(CELL + "q1") != "F"))  # cells lost
    recounted = _cells(eng, table, QI, SENSITIVE)
    assert calls == {"one_job": 1, "spark_cells": 1}
    assert sum(row[-1] for row in recounted) == 1_000
