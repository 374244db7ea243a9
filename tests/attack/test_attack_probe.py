"""Native probes reorder the blind plan by evidence, drop nothing, and never let the 99% stop skip
a job the plan would have run before the one they moved forward."""

from __future__ import annotations

import hashlib
import random
import time

import pyarrow as pa
import pytest

from datacustoms.attack import attack_column
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.engine import native_available
from datacustoms.attack.hashes.keyspaces import Part
from datacustoms.attack.hashes.recipes import normalise
from datacustoms.attack.hashes.runner import Runner
from datacustoms.attack.hashes.targets import DigestFormat, parse_batches
from datacustoms.attack.probe import PROBE_MIN, probe_native, probe_width, windows
from datacustoms.attack.reverse import plan_jobs
from datacustoms.table import from_arrow

RNG = random.Random(2026)
PHONES = ks.kr_mobile().narrowed("10")  # 010-10XX-XXXX: 10^6 per format
SERIALS = ks.numeric_range(1, 99_999)
native = pytest.mark.skipif(not native_available(), reason="native engine not built")


def _intl_digests(n: int) -> list[str]:
    phones = [f"01010{i:06d}" for i in RNG.sample(range(10**6), n)]
    return [hashlib.sha256((normalise(p, "intl") or "").encode()).hexdigest() for p in phones]


def test_windows_are_spread_and_split_at_part_boundaries() -> None:
    parts = (Part("X", 1, 10), Part("XX", 10, 100), Part("XXX", 100, 1000))  # 999 candidates end to end
    got = windows(parts, 40, 4)  # centred at 1/8, 3/8, 5/8, 7/8 of the 999: all in the 3-digit part
    assert [(p.template, a, b) for p, a, b in got] == [
        ("XXX", 120, 130), ("XXX", 370, 380), ("XXX", 620, 630), ("XXX", 870, 880)
    ]  # fmt: skip
    two = (Part("1XX", 10, 100), Part("2XX", 10, 100))  # 180 candidates, one window across the middle
    assert [(p.template, a, b) for p, a, b in windows(two, 40, 1)] == [("1XX", 80, 100), ("2XX", 10, 30)]
    assert windows(parts, 10**6, 1) == [(p, p.start, p.end) for p in parts]  # never past the keyspace


def test_probe_width_expects_hits_and_stays_small_beside_its_job() -> None:
    jobs = plan_jobs([PHONES], ["sha256"], [], rate=lambda r: 1e8)
    assert probe_width(jobs[0], 1_000_000) == PROBE_MIN
    assert probe_width(jobs[0], 1_000) == 16_000  # 16 expected hits if the column came from here
    assert probe_width(jobs[0], 100) == 0  # a probe of 1/6 of the job: the job runs in its turn


@native
def test_probes_move_the_job_that_hits_first_and_drop_nothing() -> None:
    parsed = parse_batches([pa.array(_intl_digests(3000))], DigestFormat(32, "hex"))
    runner = Runner(parsed)
    jobs = plan_jobs([SERIALS, PHONES], ["sha256"], [], rate=runner.rate)
    assert jobs[0].keyspace is SERIALS  # the prior order: the smaller keyspace first
    ordered, moved = probe_native(runner, jobs, time.perf_counter() + 600)
    assert (ordered[0].keyspace, ordered[0].fmt, ordered[0].recipe.rounds) == (PHONES, "intl", 1)
    assert moved == [ordered[0]]
    assert sorted(map(id, ordered)) == sorted(map(id, jobs))  # reordered, nothing dropped
    assert len(runner.found) == 0 and not runner.results  # probes record nothing: the job finds it all


@native
def test_the_99_percent_stop_still_runs_the_jobs_a_probe_jumped() -> None:
    """3,000 phones and 20 serials: the phone job, moved first, reverses 99.3% of the column; the
    serial jobs the plan ranked before it still run (1…20 lie outside the serial probe's windows)."""
    serials = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(1, 21)]
    values = _intl_digests(3000) + serials
    table = from_arrow(pa.table({"ref": pa.array(values)}), name="export")
    res = attack_column(table, "ref", keyspaces=[SERIALS, PHONES], budget_s=600)
    assert res.recipes_tried[0].keyspace == f"{PHONES.name}:intl"
    assert res.distinct_reversed == 3020 and res.status == "reversed" and res.search_complete
    assert any(t.keyspace == f"{SERIALS.name}:plain" and t.hits == 20 for t in res.recipes_tried)
