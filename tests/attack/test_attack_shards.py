"""A column with more distinct digests than one search holds is searched in shards, one at a time,
and reverses exactly what a single search does: same digests, rows, recipes and plaintexts."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from datacustoms.attack import attack_column
from datacustoms.attack.hashes import engine, runner
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.keyspaces import candidates
from datacustoms.model.attack import ColumnAttack
from datacustoms.table import from_arrow

pytestmark = pytest.mark.skipif(not engine.native_available(), reason="native extension not built")

RNG = random.Random(7)
PHONES = [f"0101000{i:04d}" for i in RNG.sample(range(10_000), 700)]
RRN_SPACE = ks.rrn(dt.date(1990, 3, 1), dt.date(1990, 3, 20))  # 40 small masks: the per-thread path
RRNS = [
    c.decode()
    for part in RNG.sample(RRN_SPACE.parts(RRN_SPACE.formats[0]), 6)
    for c in candidates(part, b"", b"", part.start + 17, part.start + 20)
]
SPACES = [ks.kr_mobile().narrowed("1000"), RRN_SPACE]


def _column() -> list[str | None]:
    values = [hashlib.sha256(p.encode()).hexdigest() for p in [*PHONES, *PHONES[:50], *RRNS]]
    values.append(None)
    RNG.shuffle(values)
    return values


def _attack(per_shard: int | None, **kw: Any) -> tuple[ColumnAttack, list[int]]:
    """The blind attack with shards of ``per_shard`` digests (None: one search), and the size of
    every native target set it built, in order."""
    with pytest.MonkeyPatch.context() as mp:
        return _spied(mp, per_shard, **kw)


def _spied(monkeypatch: pytest.MonkeyPatch, per_shard: int | None, **kw: Any) -> tuple[ColumnAttack, list[int]]:
    if per_shard is not None:
        monkeypatch.setattr(runner, "SHARD_TARGETS", per_shard)
        monkeypatch.setattr(runner, "spare_memory", lambda: None)  # shards of SHARD_TARGETS, not more
    built: list[int] = []
    last: list[Any] = [None]  # held, so a new set never reuses a freed one's id
    original = runner.Runner.targets

    def spy(self: runner.Runner) -> Any:
        targets = original.fget(self)  # type: ignore[attr-defined]
        if targets is not last[0]:
            built.append(len(targets))
            last[0] = targets
        return targets

    monkeypatch.setattr(runner.Runner, "targets", property(spy))
    table = from_arrow(pa.table({"ref": pa.array(_column(), pa.string())}))
    res = attack_column(table, "ref", keyspaces=SPACES, engine="native", budget_s=300, reveal=True, **kw)
    return res, built


def test_shards_reverse_what_one_search_does() -> None:
    whole, one = _attack(None)
    sharded, built = _attack(97)
    distinct = len(PHONES) + len(RRNS)
    assert one == [distinct]
    assert len(built) >= 8 and max(built) <= 97 and sum(built[:8]) == distinct  # every row in one shard
    assert whole.distinct_reversed == sharded.distinct_reversed == len(PHONES) + len(RRNS)
    assert whole.rows_reversed == sharded.rows_reversed == len(PHONES) + 50 + len(RRNS)
    assert set(whole.recipes_hit) == set(sharded.recipes_hit) and len(sharded.recipes_hit) == 2
    assert {(r.digest, r.plaintext) for r in whole.revealed} == {(r.digest, r.plaintext) for r in sharded.revealed}
    assert {r.plaintext for r in sharded.revealed} == {*PHONES, *RRNS}
    assert any("718 distinct digests were searched in 8 shards" in n for n in sharded.notes)
    assert not any("shards" in n for n in whole.notes)
    # every run's hits are new distinct digests: counted once, whichever shard held them
    assert sum(t.hits for t in sharded.recipes_tried) == sum(t.hits for t in whole.recipes_tried) == distinct


def test_a_list_is_searched_in_shards_too() -> None:
    known = from_arrow(pa.table({"phone": pa.array([*PHONES[:300], "01099998888"])}))
    whole, _ = _attack(None, known=known)
    sharded, built = _attack(97, known=known)
    assert len(built) >= 8 and max(built) <= 97
    assert whole.distinct_reversed == sharded.distinct_reversed == 300
    assert {r.plaintext for r in sharded.revealed} == set(PHONES[:300])


def test_a_sharded_job_counts_a_candidate_as_covered_once_every_shard_has_seen_it() -> None:
    res = runner.JobResult(recipe=None, keyspace="k", size=1_000, passes=4)  # type: ignore[arg-type]
    res.add_hashed(1_000)  # the whole keyspace against the first shard
    assert res.covered == 250 and not res.complete
    res.add_hashed(3_000)
    assert res.covered == 1_000 and res.complete
    assert runner.shard_bounds(10, 4) == [(0, 3), (3, 6), (6, 10)]
    assert runner.shard_bounds(8, 8) == [(0, 8)] and runner.shard_bounds(0) == [(0, 0)]


def test_a_sharded_run_stops_at_the_budget_between_shards() -> None:
    """Nothing to find and little time: the run stops between shards or chunks, and no job claims
    more of its keyspace than every shard has seen."""
    digests = [hashlib.sha256(f"not a phone {i}".encode()).hexdigest() for i in range(300)]
    table = from_arrow(pa.table({"ref": pa.array(digests, pa.string())}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "SHARD_TARGETS", 50)
        mp.setattr(runner, "spare_memory", lambda: None)
        res = attack_column(table, "ref", keyspaces=[ks.kr_mobile().narrowed("10")], engine="native", budget_s=0.5)
    assert res.status == "incomplete" and res.distinct_reversed == 0
    assert res.recipes_tried and all(t.covered <= t.size for t in res.recipes_tried)
    assert not all(t.complete for t in res.recipes_tried)  # 10^6 candidates a format, six passes each
    assert any("searched in 6 shards" in n for n in res.notes)


def _fake_system(root: Path, cgroup: str, files: dict[str, str], available_kib: int = 8 << 20) -> str:
    (root / "proc" / "self").mkdir(parents=True)
    (root / "proc" / "meminfo").write_text(f"MemTotal: 99999999 kB\nMemAvailable: {available_kib} kB\n")
    (root / "proc" / "self" / "cgroup").write_text(cgroup)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return str(root)


def test_spare_memory_reads_the_cgroup_limit(tmp_path: Path) -> None:
    """v1 and v2 limits less what the group uses; no limit leaves the system's available memory;
    an unreadable system gives None (and the smallest shards)."""
    v1 = _fake_system(
        tmp_path / "v1", "9:name=systemd:/\n4:memory:/jobs/a\n1:cpu:/\n",
        {"sys/fs/cgroup/memory/jobs/a/memory.limit_in_bytes": "1073741824\n",
         "sys/fs/cgroup/memory/jobs/a/memory.usage_in_bytes": "73741824\n"},
    )  # fmt: skip
    assert runner.spare_memory(v1) == 1_000_000_000
    v2 = _fake_system(
        tmp_path / "v2", "0::/user.slice/job\n",
        {"sys/fs/cgroup/user.slice/job/memory.max": "max\n", "sys/fs/cgroup/user.slice/job/memory.current": "5\n"},
        available_kib=1024,
    )  # fmt: skip
    assert runner.spare_memory(v2) == 1024 * 1024
    v2_limited = _fake_system(
        tmp_path / "v2l", "0::/job\n",
        {"sys/fs/cgroup/job/memory.max": "2147483648\n", "sys/fs/cgroup/job/memory.current": "2147483648\n"},
    )  # fmt: skip
    assert runner.spare_memory(v2_limited) == 0
    assert runner.spare_memory(str(tmp_path / "nothing")) is None
    docker = _fake_system(
        tmp_path / "docker", "4:memory:/docker/abc\n",  # the host's path; the group mounted at the root
        {"sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912\n",
         "sys/fs/cgroup/memory/memory.usage_in_bytes": "36870912\n"},
    )  # fmt: skip
    assert runner.spare_memory(docker) == 500_000_000
    nested = _fake_system(
        tmp_path / "nested", "0::/limited/job\n",  # no limit of its own, a limited parent
        {"sys/fs/cgroup/limited/job/memory.max": "max\n", "sys/fs/cgroup/limited/job/memory.current": "7\n",
         "sys/fs/cgroup/limited/memory.max": "3000000000\n", "sys/fs/cgroup/limited/memory.current": "1000000000\n"},
    )  # fmt: skip
    assert runner.spare_memory(nested) == 2_000_000_000
    cached = _fake_system(
        tmp_path / "cached", "0::/job\n",  # 900 MB used, 600 MB of it a file read once: reclaimable
        {"sys/fs/cgroup/job/memory.max": "1000000000\n", "sys/fs/cgroup/job/memory.current": "900000000\n",
         "sys/fs/cgroup/job/memory.stat": "anon 300000000\nactive_file 0\ninactive_file 600000000\n"},
    )  # fmt: skip
    assert runner.spare_memory(cached) == 700_000_000


def test_shards_grow_with_spare_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The largest shard whose digests and tables fit half the spare memory, never under 1 M."""
    monkeypatch.setattr(runner, "spare_memory", lambda: None)
    assert runner.shard_rows(32) == runner.SHARD_TARGETS == 8_000_000
    for spare, size in [(880 << 20, 32), (16 << 30, 32), (16 << 30, 16), (3 << 30, 64)]:
        monkeypatch.setattr(runner, "spare_memory", lambda spare=spare: spare)
        n = runner.shard_rows(size)
        assert runner.shard_bytes(n, size) <= spare // 2 < runner.shard_bytes(n + 1, size)
    monkeypatch.setattr(runner, "spare_memory", lambda: 880 << 20)  # a 1 GiB cgroup, partly used
    assert 4_000_000 < runner.shard_rows(32) < 5_000_000  # 0.27 GB of bitmaps, 18 MB of directory
    monkeypatch.setattr(runner, "spare_memory", lambda: 64 << 20)  # nearly nothing: the smallest shard
    assert runner.shard_rows(32) == runner.MIN_SHARD_TARGETS
    # 8 M SHA-256 digests: 256 MB of digests, 32 MB of prefixes, 16 MiB of directory, 2 x 129 MiB of bitmaps
    assert runner.shard_bytes(8_000_000, 32) == 8_000_000 * 36 + (16 << 20) + 2 * ((128 << 20) + (1 << 20))


def test_a_farm_searches_every_shard_as_this_process_does() -> None:
    from test_attack_farm import InProcessFarm

    whole, _ = _attack(None)
    farm = InProcessFarm()
    farmed, built = _attack(97, farm=farm)
    assert farm.units > 0 and len(built) >= 8  # masks farmed, shard after shard
    assert (farmed.distinct_reversed, farmed.rows_reversed) == (whole.distinct_reversed, whole.rows_reversed)
    assert {(r.digest, r.plaintext) for r in farmed.revealed} == {(r.digest, r.plaintext) for r in whole.revealed}
    assert set(farmed.recipes_hit) == set(whole.recipes_hit)
