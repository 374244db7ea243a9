"""Large masks searched on Spark's executors: the same hits, rows and figures as on the driver.

The farm is forced on (a local master would keep masks on the driver) and its threshold lowered,
so these tiny keyspaces go to the executors: a 10^5-candidate mobile slice cut into slices, and an
RRN keyspace of many small masks grouped into tasks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from datacustoms.attack.api import attack_column
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes import runner as runner_mod
from datacustoms.attack.hashes.engine import Mask, TargetSet
from datacustoms.attack.hashes.farm import split
from datacustoms.attack.hashes.keyspaces import mask_layout
from datacustoms.engines import spark_search
from datacustoms.engines.spark_search import ENUMERATE_CONF, SparkMaskFarm, farm_for
from datacustoms.errors import UsageError
from datacustoms.table import from_arrow

pytestmark = pytest.mark.spark


class CountingFarm(SparkMaskFarm):
    """The Spark farm with no threshold and four slices a mask, counting the units it was given."""

    def worth(self, candidates: int, local_rate: float) -> bool:
        return True

    def __init__(self, spark: Any) -> None:
        super().__init__(spark)
        self.units = 0

    def pieces(self, candidates: int, digests: int) -> int:
        return 4  # slices of a tiny mask too

    def search(self, tasks: Any, digests: np.ndarray, algorithm: str, rounds: int) -> Any:
        self.units += sum(len(t) for t in tasks)
        return super().search(tasks, digests, algorithm, rounds)


def _column(plaintexts: list[bytes], repeats: int = 2) -> Any:
    hexes = [hashlib.sha256(p).hexdigest() for p in plaintexts] * repeats
    return from_arrow(pa.table({"h": hexes}), "farm")


def test_mobile_slices_on_the_executors_match_the_driver(spark: Any) -> None:
    rng = np.random.default_rng(3)
    phones = [b"0101234%04d" % int(i) for i in rng.choice(10_000, 300, replace=False)]
    table = _column(phones)
    space = [ks.kr_mobile().narrowed("1234")]  # 010-1234-XXXX
    here = attack_column(table, "h", keyspaces=space, budget_s=120)
    farm = CountingFarm(spark)
    there = attack_column(table, "h", keyspaces=space, budget_s=600, farm=farm)
    assert farm.units == 4  # cut into slices, each a Spark task
    assert there.status == here.status == "reversed"
    assert (there.rows_reversed, there.distinct_reversed, there.recipe) == (600, 300, here.recipe)
    assert there.keyspace_covered == here.keyspace_covered
    assert there.examples and all("*" in e for e in there.examples)


def test_many_small_masks_are_grouped_into_tasks(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # an RRN keyspace is one mask per (birth date, sex digit): 3 days of 1990, 6 masks of 10^5
    space = ks.rrn(dt.date(1990, 1, 1), dt.date(1990, 1, 3), dash=False)
    monkeypatch.setattr(runner_mod, "FARM_TASK_CANDIDATES", 250_000)  # two or three masks a task
    masks = [Mask(*mask_layout(p)) for p in space.parts("digits")]
    assert len(masks) == 6
    rrns = [m.candidate(i) for m in masks[::2] for i in (5, 77_777)]
    table = _column(rrns, repeats=1)
    here = attack_column(table, "h", keyspaces=[space], budget_s=120)
    farm = CountingFarm(spark)
    there = attack_column(table, "h", keyspaces=[space], budget_s=600, farm=farm)
    assert farm.units == 6  # every mask farmed, grouped into tasks
    assert here.status == there.status == "reversed"
    assert there.distinct_reversed == here.distinct_reversed == len(rrns)
    assert there.recipe == here.recipe and there.keyspace_covered == here.keyspace_covered


def test_units_come_back_in_order_with_their_rows(spark: Any) -> None:
    mask = Mask.from_pattern(b"010XXXXXXXX")
    planted = [17, 5_000, 49_999, 50_000, 99_999]
    digests = sorted(hashlib.sha256(mask.candidate(i)).digest() for i in planted)
    targets = TargetSet.from_digests(digests, 32)
    units = split(mask.template, mask.positions, None, 0, 100_000, 5)
    farm = SparkMaskFarm(spark, slots=2)
    waves = list(farm.search([[u] for u in units], targets.matrix, "sha256", 1))
    assert [len(w) for w in waves] == [2, 2, 1]  # two task slots: waves of two
    got = [h for w in waves for h in w]
    assert [h.unit for h in got] == units
    found = np.concatenate([h.indices for h in got]).tolist()
    assert found == planted
    for h in got:
        assert len(h.digests) == 0  # the rows name them; no plaintext travels
        for idx, row in zip(h.indices, h.rows, strict=True):
            assert digests[int(row)] == hashlib.sha256(mask.candidate(int(idx))).digest()


def test_setting_chooses_where_masks_run(spark: Any) -> None:
    assert farm_for(spark) is None  # auto on a local master: the driver's own cores
    old = spark.conf.get(ENUMERATE_CONF, None)
    try:
        spark.conf.set(ENUMERATE_CONF, "executors")
        assert isinstance(farm_for(spark), SparkMaskFarm)
        spark.conf.set(ENUMERATE_CONF, "somewhere")
        with pytest.raises(UsageError, match="auto, executors or driver"):
            farm_for(spark)
        from datacustoms.engines.spark import SparkEngine

        with pytest.raises(UsageError, match="somewhere"):  # refused when the engine starts, not mid-run
            SparkEngine("local[2]")
    finally:
        if old is None:
            spark.conf.unset(ENUMERATE_CONF)
        else:
            spark.conf.set(ENUMERATE_CONF, old)


def test_inspect_on_spark_farms_where_the_setting_says(
    spark: Any, export_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datacustoms.engines.spark import SparkEngine
    from datacustoms.flows.inspect import inspect

    space = [ks.kr_mobile().narrowed("1000")]  # the fixture's phones: 010-1000-XXXX
    calls: list[int] = []
    search = SparkMaskFarm.search

    def counted(self: SparkMaskFarm, tasks: Any, *args: Any) -> Any:
        calls.append(sum(len(t) for t in tasks))
        return search(self, tasks, *args)

    monkeypatch.setattr(spark_search, "FORCED_MIN", 1)
    monkeypatch.setattr(SparkMaskFarm, "search", counted)
    here = inspect(str(export_path), keyspaces=space, measure=False, attack_budget=120)
    old = spark.conf.get(ENUMERATE_CONF, None)
    spark.conf.set(ENUMERATE_CONF, "executors")
    try:
        there = inspect(str(export_path), engine=SparkEngine("local[2]"), keyspaces=space, measure=False,
                        attack_budget=600)  # fmt: skip
    finally:
        if old is None:
            spark.conf.unset(ENUMERATE_CONF)
        else:
            spark.conf.set(ENUMERATE_CONF, old)
    assert calls  # the phone column's mask went to the executors
    mine = {a.column: (a.status, a.rows_reversed, a.distinct_reversed) for a in here.attacks}
    theirs = {a.column: (a.status, a.rows_reversed, a.distinct_reversed) for a in there.attacks}
    assert theirs == mine and mine["phone_sha256"][0] == "reversed"


def test_masks_go_to_the_executors_only_past_the_break_even(monkeypatch: pytest.MonkeyPatch) -> None:
    forced = SparkMaskFarm(object(), slots=8, forced=True)
    assert forced.worth(1 << 20, 1e9) and not forced.worth((1 << 20) - 1, 1.0)
    monkeypatch.setattr(spark_search.os, "cpu_count", lambda: 16)
    farm = SparkMaskFarm(object(), slots=400)
    rate = 16 * 2.23e6  # the driver's 16 cores at 2.23 M/s each
    line = spark_search.OVERHEAD_S * 2.23e6 / (1 / 16 - 1 / 400)  # about 3.7e8 candidates
    assert farm.worth(int(line * 1.05), rate) and not farm.worth(int(line * 0.95), rate)
    assert not SparkMaskFarm(object(), slots=16).worth(10**12, rate)  # no more cores than the driver


def test_a_failing_task_stops_the_attack_in_one_line(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from datacustoms.io.spark import SparkJobError

    def broken(*_: Any) -> Any:
        def run(_batches: Any) -> Any:
            raise ValueError("a lost executor")

        return run

    monkeypatch.setattr(spark_search, "task", broken)
    phones = [b"0101234%04d" % i for i in range(0, 10_000, 97)]
    with pytest.raises(SparkJobError, match="searching masks on the executors failed") as err:
        attack_column(_column(phones), "h", keyspaces=[ks.kr_mobile().narrowed("1234")], farm=CountingFarm(spark))
    assert "\n" not in str(err.value) and "0101234" not in str(err.value)  # one line, no identifier


def test_no_slice_brings_back_more_than_its_share_of_hits() -> None:
    farm = SparkMaskFarm(object(), slots=2)
    assert spark_search.SLICE_HITS == 1 << 21
    assert farm.pieces(10**8, 995_143) == 8  # four a task slot: fewer digests than SLICE_HITS
    assert farm.pieces(10**8, 39_351_111) == 48  # ceil(10^8 / 2^21): no slice over 2^21 candidates
    assert farm.pieces(5 * 10**6, 39_351_111) == 4  # four a slot, of 1.25 M candidates each
    assert farm.pieces(10**5, 10**6) == 1
    assert SparkMaskFarm(object(), slots=400).pieces(10**10, 39_351_111) == 4_769  # ceil(10^10 / 2^21)
    assert SparkMaskFarm(object(), slots=400).pieces(10**10, 10**6) == 1_600  # four a slot


def test_with_a_shared_folder_shards_are_read_there_not_shipped(
    spark: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``spark.datacustoms.sharedDir``: the shard is written once into the folder every machine
    mounts and the tasks map it from there; nothing goes through ``addFile`` (the driver serving
    each executor a copy). The hits are the same."""
    from datacustoms.io.spark import SHARED_DIR_CONF

    mask = Mask.from_pattern(b"010XXXXXXXX")
    planted = [3, 40_000, 77_777]
    digests = sorted(hashlib.sha256(mask.candidate(i)).digest() for i in planted)
    targets = TargetSet.from_digests(digests, 32)
    added: list[str] = []
    monkeypatch.setattr(type(spark.sparkContext), "addFile", lambda self, path, *a: added.append(path))
    spark.conf.set(SHARED_DIR_CONF, str(tmp_path))
    try:
        farm = SparkMaskFarm(spark, slots=2)
        units = split(mask.template, mask.positions, None, 0, 100_000, 4)
        got = [h for w in farm.search([[u] for u in units], targets.matrix, "sha256", 1) for h in w]
        shards = list(tmp_path.rglob("dc-shard-*.bin"))
    finally:
        spark.conf.unset(SHARED_DIR_CONF)
    assert added == []
    assert len(shards) == 1 and shards[0].stat().st_size == 32 * len(planted)
    assert np.concatenate([h.indices for h in got]).tolist() == planted
    del farm
    import gc

    gc.collect()
    assert not list(tmp_path.iterdir())  # the farm's folder goes with it
