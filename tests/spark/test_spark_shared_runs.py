"""On a cluster with a folder every machine mounts (``spark.datacustoms.sharedDir``), the digests
are counted through run files there (no shuffle, nothing through the JVM) exactly as embedded.

The cluster path is forced on the suite's ``local[2]`` session (``is_local_master`` patched); the
folder the tasks and the driver share is the test's own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from datacustoms.attack.column import read_column
from datacustoms.attack.hashes import targets
from datacustoms.attack.hashes.targets import DigestFormat
from datacustoms.engines import spark_runs, spark_stages
from datacustoms.errors import UsageError
from datacustoms.io import read
from datacustoms.io.spark import SHARED_DIR_CONF, SparkJobError, shared_folder
from datacustoms.table import from_arrow

SHA256 = DigestFormat(size=32, encoding="hex")


@pytest.fixture
def shared(spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The cluster path, with ``tmp_path/shared`` as the folder the driver and executors share."""
    folder = tmp_path / "shared"
    folder.mkdir()
    monkeypatch.setattr(spark_stages, "is_local_master", lambda df: False)
    spark.conf.set(SHARED_DIR_CONF, str(folder))
    try:
        yield folder
    finally:
        spark.conf.unset(SHARED_DIR_CONF)


def _streamed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which of the paths through the JVM ran (none should)."""
    used: list[str] = []
    for name in ("spilled_batches", "stream_batches"):
        real = getattr(spark_stages, name)
        monkeypatch.setattr(spark_stages, name, lambda *a, _r=real, _n=name: (used.append(_n), _r(*a))[1])
    return used


@pytest.mark.spark
def test_runs_in_the_shared_folder_count_as_the_embedded_engine(
    spark: Any, export_path: Path, shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_runs, "RUN_ROWS", 8)  # several runs in each task's file
    monkeypatch.setattr(spark_runs, "BUCKET_ROWS", 64)  # 600 rows: 16 buckets, a second-job task each
    monkeypatch.setattr(spark_runs, "BUCKET_RUN_ROWS", 16)  # a bucket's file in several runs
    monkeypatch.setattr(targets, "BLOCK_BYTES", 32 * 64)  # the driver's merge spills
    used = _streamed(monkeypatch)
    buckets: list[int] = []
    real = spark_runs._bucket_task
    monkeypatch.setattr(spark_runs, "_bucket_task", lambda *a: (buckets.append(a[-1]), real(*a))[1])
    emb = read_column(read(str(export_path)), "phone_sha256")
    spk = spark_stages.distinct_digests(spark.read.parquet(str(export_path)), "phone_sha256")
    assert emb is not None and spk is not None
    assert len(spk.distinct) == len(emb.distinct) > 64
    assert spk.distinct.equals(emb.distinct) and spk.counts.tolist() == emb.counts.tolist()
    fields = ("rows", "nulls", "valid", "malformed", "whitespace")
    assert [getattr(spk.stats, f) for f in fields] == [getattr(emb.stats, f) for f in fields]
    assert used == []  # nothing through the JVM
    assert buckets == [16]
    assert list(shared.iterdir()) == []  # the stage's folder is gone


@pytest.mark.spark
def test_case_variants_nulls_malformed_and_whitespace(spark: Any, shared: Path) -> None:
    d = "ab" * 32
    values = [d, d.upper(), f" {d}", None, "zz" * 32, "cd" * 32, d]
    spk = spark_stages.distinct_digests(spark.createDataFrame(pa.table({"h": values})), "h")
    emb = read_column(from_arrow(pa.table({"h": values})), "h")
    assert spk is not None and emb is not None
    assert spk.distinct.equals(emb.distinct) and spk.counts.tolist() == emb.counts.tolist() == [4, 1]
    assert (spk.stats.rows, spk.stats.nulls, spk.stats.malformed, spk.stats.valid) == (7, 1, 1, 5)
    assert spk.stats.whitespace == emb.stats.whitespace == 1


@pytest.mark.spark
def test_runs_the_driver_cannot_see_give_no_verdict(
    spark: Any, export_path: Path, shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Executors that write their runs to another folder under the setting's name (a path not
    shared) leave the buckets empty: the stage stops with one line instead of counting nothing."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / spark_runs.TEMPORARY).mkdir(parents=True)
    real = spark_runs._map_task
    monkeypatch.setattr(spark_runs, "_map_task", lambda fmt, folder, count=1: real(fmt, str(elsewhere), count))
    with pytest.raises(SparkJobError) as failed:
        spark_stages.distinct_digests(spark.read.parquet(str(export_path)), "phone_sha256")
    assert "no verdict" in str(failed.value) and SHARED_DIR_CONF in str(failed.value)
    assert list(shared.iterdir()) == []


def _run_files(folder: Path, runs: dict[int, list[bytes]]) -> pa.Table:
    """Run files as the tasks write them (``part-<p>.arrow``: sorted distinct digests and their
    counts) and the rows those tasks return."""
    schema = pa.schema([("d", pa.binary(32)), ("n", pa.int64())])
    rows = []
    for part, digests in runs.items():
        distinct, counts = np.unique(np.array(digests, "S32"), return_counts=True)
        with pa.OSFile(str(folder / f"part-{part:05d}.arrow"), "wb") as sink, pa.ipc.new_file(sink, schema) as out:
            out.write_batch(
                pa.record_batch([pa.array(distinct.tolist(), pa.binary(32)), pa.array(counts)], schema=schema)
            )
        n = len(digests)
        rows.append({"rows": n, "nulls": 0, "valid": n, "malformed": 0, "whitespace": 0, "part": part,
                     "groups": len(distinct)})  # fmt: skip
    return pa.Table.from_pylist(rows)


def test_merged_runs_count_every_digest_once(tmp_path: Path) -> None:
    a, b, c = (hashlib.sha256(x).digest() for x in (b"a", b"b", b"c"))
    counted = _run_files(tmp_path, {0: [a, b, a], 3: [c]})
    parsed = spark_runs._merge_runs(tmp_path, counted, SHA256, spark_runs._stats(counted))
    assert parsed.distinct.to_pylist() == sorted([a, b, c])
    assert dict(zip(parsed.distinct.to_pylist(), parsed.counts.tolist(), strict=True)) == {a: 2, b: 1, c: 1}
    assert (parsed.stats.rows, parsed.stats.valid) == (4, 4)


@pytest.mark.parametrize("damage", ["missing", "short", "extra"])
def test_runs_that_do_not_add_up_are_refused(tmp_path: Path, damage: str) -> None:
    a, b = (hashlib.sha256(x).digest() for x in (b"a", b"b"))
    counted = _run_files(tmp_path, {0: [a], 1: [b]})
    if damage == "missing":  # a task's file is not where the driver looks
        (tmp_path / "part-00001.arrow").unlink()
    elif damage == "short":  # a file holding fewer digests than its task wrote
        counted = counted.set_column(counted.schema.get_field_index("groups"), "groups", pa.array([1, 2], pa.int64()))
    else:  # a file no task of this stage reported
        _run_files(tmp_path, {7: [a]})
    with pytest.raises(SparkJobError) as failed:
        spark_runs._merge_runs(tmp_path, counted, SHA256, spark_runs._stats(counted))
    assert "no verdict" in str(failed.value)


def test_valid_rows_the_runs_do_not_hold_are_refused(tmp_path: Path) -> None:
    a = hashlib.sha256(b"a").digest()
    counted = _run_files(tmp_path, {0: [a]})
    counted = counted.set_column(counted.schema.get_field_index("valid"), "valid", pa.array([2], pa.int64()))
    with pytest.raises(SparkJobError):
        spark_runs._merge_runs(tmp_path, counted, SHA256, spark_runs._stats(counted))


def _session(value: str | None) -> Any:
    conf = {} if value is None else {SHARED_DIR_CONF: value}
    return SimpleNamespace(conf=SimpleNamespace(get=lambda key, default=None: conf.get(key, default)))


def test_the_setting_names_a_folder_the_driver_can_write(tmp_path: Path) -> None:
    assert shared_folder(_session(None)) is None
    assert shared_folder(_session("  ")) is None
    assert shared_folder(_session(str(tmp_path))) == tmp_path
    for bad, why in (("relative/dir", "absolute path"), (str(tmp_path / "absent"), "is not a folder")):
        with pytest.raises(UsageError, match=why) as err:
            shared_folder(_session(bad))
        assert err.value.exit_code == 2 and SHARED_DIR_CONF in err.value.one_line()


def test_buckets_are_a_power_of_two_sized_for_the_rows_and_the_slots() -> None:
    assert spark_runs.buckets(600, 2) == 4  # twice the slots
    assert spark_runs.buckets(10 * spark_runs.BUCKET_ROWS, 2) == 16  # 10 needed: the next power of two
    assert spark_runs.buckets(10**13, 400) == spark_runs.MAX_BUCKETS
    assert spark_runs.buckets(0, 0) == 2


def test_bucket_bounds_cut_sorted_digests_by_their_first_bits() -> None:
    rng = np.random.default_rng(5)
    rows = np.unique(rng.integers(0, 256, size=(2_000, 32), dtype=np.uint8), axis=0)  # sorted rows
    for count in (1, 2, 16, 4096):
        bounds = spark_runs.bucket_bounds(rows, count)
        assert len(bounds) == count + 1 and bounds[0] == 0 and bounds[-1] == len(rows)
        top = (rows[:, 0].astype(np.int64) << 8) | rows[:, 1]
        for b in range(count):
            part = top[bounds[b] : bounds[b + 1]]
            assert ((part * count) >> 16 == b).all()  # bucket b: the b-th range of the first 16 bits


def test_a_bad_folder_is_refused_before_spark_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from datacustoms.cli import app

    started: list[str] = []
    monkeypatch.setattr("datacustoms.engines.spark.session", lambda *a, **k: started.append("spark"))
    src = tmp_path / "t.csv"
    src.write_text("a\n1\n", encoding="utf-8")
    res = CliRunner().invoke(
        app, ["inspect", str(src), "--engine", "spark", "--spark-conf", f"{SHARED_DIR_CONF}=rel/dir"]
    )
    assert res.exit_code == 2, res.output
    assert "must be an absolute path" in res.output and started == []
