"""Unicity of traces: a hand-built fixture, a brute-force check of the counting, properties, errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import datacustoms
from datacustoms.errors import ColumnError, UsageError
from datacustoms.risk import unicity, unicity_checks
from datacustoms.risk.unicity import _first_unique, wilson_interval

# (person, time, place): A and B share their whole trace; C and D have private points; E, F, G
# pairwise share one point each, so one point never singles them out but two always do. H has
# two events on one day at one place: one point at day granularity, too few for p = 2.
EVENTS = [
    ("A", "2024-01-01 10:00", "m1"), ("A", "2024-01-02 10:00", "m2"),
    ("B", "2024-01-01 11:00", "m1"), ("B", "2024-01-02 12:00", "m2"),
    ("C", "2024-01-03 10:00", "m3"), ("C", "2024-01-04 10:00", "m4"),
    ("D", "2024-01-05 10:00", "m5"), ("D", "2024-01-06 10:00", "m6"),
    ("E", "2024-01-08 10:00", "m8"), ("E", "2024-01-09 10:00", "m9"),
    ("F", "2024-01-08 18:00", "m8"), ("F", "2024-01-10 10:00", "m10"),
    ("G", "2024-01-09 07:00", "m9"), ("G", "2024-01-10 23:00", "m10"),
    ("H", "2024-01-11 09:00", "m1"), ("H", "2024-01-11 17:00", "m1"),
]  # fmt: skip


def _table(rows: list[tuple[str, str, str]]) -> pa.Table:
    return pa.table({"who": [r[0] for r in rows], "at": [r[1] for r in rows], "shop": [r[2] for r in rows]})


@pytest.fixture(params=["csv", "parquet"])
def events(request, tmp_path: Path):
    if request.param == "csv":
        path = tmp_path / "events.csv"
        pacsv.write_csv(_table(EVENTS), path)
    else:
        path = tmp_path / "events.parquet"
        data = _table(EVENTS)
        times = pc.strptime(data["at"], format="%Y-%m-%d %H:%M", unit="s")
        pq.write_table(data.set_column(1, "at", times), path)
    return datacustoms.read(path)


def test_hand_built_traces(events):
    result = unicity(events, "who", "at", "shop", points=(1, 2), sample_people=100)
    assert (result.people, result.events, result.sampled) == (8, 16, 8)
    one, two = result.points
    assert one.eligible == two.eligible == 7  # H has a single point at day granularity
    assert (one.unique, two.unique) == (2, 5)  # C, D; then E, F, G too
    assert one.epsilon == pytest.approx(2 / 7) and two.epsilon == pytest.approx(5 / 7)
    assert one.ci_low < one.epsilon < one.ci_high


def test_hour_granularity_separates_same_day_events(events):
    """By the hour no two people share a point (A 10:00 vs B 11:00, E 10:00 vs F 18:00, …)."""
    result = unicity(events, "who", "at", "shop", points=(1, 2), time_granularity="hour", sample_people=100)
    assert [p.eligible for p in result.points] == [8, 8]  # H now has two points
    assert [p.unique for p in result.points] == [8, 8]


def test_without_place_the_day_alone_is_the_point(events):
    result = unicity(events, "who", "at", points=(1,), sample_people=100)
    # days: 01-01 {A,B}, 01-02 {A,B}, 01-03 C, 01-04 C, 01-05 D, 01-06 D, 01-08 {E,F}, 01-09 {E,G},
    # 01-10 {F,G}, 01-11 H → with p = 1, C, D and H are unique whatever point is drawn
    assert result.points[0].unique == 3 and result.points[0].eligible == 8


def test_sampling_is_deterministic_for_a_seed(events):
    first = unicity(events, "who", "at", "shop", points=(1, 2), sample_people=3, seed=7)
    again = unicity(events, "who", "at", "shop", points=(1, 2), sample_people=3, seed=7)
    assert first == again and first.sampled == 3


def test_amount_bins_coarsen_the_amount(tmp_path: Path):
    rows = [("A", "2024-01-01", "m", 10.0), ("B", "2024-01-01", "m", 11.0)]
    data = pa.table({"who": [r[0] for r in rows], "at": [r[1] for r in rows], "shop": [r[2] for r in rows],
                     "amt": [r[3] for r in rows]})  # fmt: skip
    table = datacustoms.read(data)
    exact = unicity(table, "who", "at", "shop", "amt", points=(1,))
    binned = unicity(table, "who", "at", "shop", "amt", points=(1,), amount_bins=1)
    assert exact.points[0].unique == 2  # 10.0 and 11.0 differ
    assert binned.points[0].unique == 0  # one bin: the amount says nothing


def test_wilson_interval_known_values():
    low, high = wilson_interval(5, 10)
    assert (low, high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(1.959964**2 / (10 + 1.959964**2), abs=1e-6)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize("people", [64, 3000])
def test_counting_matches_brute_force(people):
    """The bitset / index-array intersections give the same first-unique p as plain Python sets."""
    rng = np.random.default_rng(people)
    n_points = 40
    holders = {p: set(rng.choice(people, size=int(rng.integers(1, people // 2)), replace=False).tolist())
               for p in range(n_points)}  # fmt: skip
    sids, pids, expected = [], [], []
    for sid in range(200):
        person = int(rng.integers(people))
        chosen = rng.choice(n_points, size=4, replace=False).tolist()
        for p in chosen:
            holders[p].add(person)
        sids += [sid] * 4
        pids += chosen
    for sid in range(200):
        chosen = pids[sid * 4 : sid * 4 + 4]
        first = 5
        for p in range(1, 5):
            if len(set.intersection(*(holders[c] for c in chosen[:p]))) <= 1:
                first = p
                break
        expected.append(first)
    hold = sorted((p, i) for p, s in holders.items() for i in s)
    result = _first_unique(
        np.array([h[0] for h in hold]), np.array([h[1] for h in hold]), np.array(sids), np.array(pids),
        people=people, max_p=4,
    )  # fmt: skip
    assert result.tolist() == expected


traces = st.lists(
    st.tuples(st.integers(0, 15), st.integers(1, 6), st.sampled_from(["a", "b", "c"])), min_size=4, max_size=80
)


@settings(max_examples=25, deadline=None)
@given(traces, st.integers(0, 3))
def test_unicity_never_decreases_with_more_points(rows, seed):
    data = pa.table({
        "who": [r[0] for r in rows],
        "at": [f"2024-01-{r[1]:02d}" for r in rows],
        "shop": [r[2] for r in rows],
    })  # fmt: skip
    result = unicity(datacustoms.read(data), "who", "at", "shop", points=(1, 2, 3), sample_people=8, seed=seed)
    eps = [p.epsilon for p in result.points]
    assert eps == sorted(eps)
    assert all(0 <= p.ci_low <= p.epsilon <= p.ci_high <= 1 for p in result.points)


def test_errors_are_one_line(events):
    with pytest.raises(ColumnError) as err:
        unicity(events, "whoo", "at")
    assert "Did you mean 'who'?" in err.value.one_line()
    with pytest.raises(UsageError, match="granularity"):
        unicity(events, "who", "at", time_granularity="fortnight")
    with pytest.raises(UsageError):
        unicity(events, "who", "at", points=(0, 1))
    with pytest.raises(UsageError, match="readable time"):
        unicity(events, "who", "shop")


def test_unicity_check_fails_above_the_limit(events):
    result = unicity(events, "who", "at", "shop", points=(1, 2), sample_people=100)
    (check,) = unicity_checks(result, max_unicity=0.5)
    assert check.rule == "R14" and check.status == "fail" and "ε2 = 0.71" in check.message
    assert unicity_checks(result, max_unicity=0.9)[0].status == "pass"


def test_pairs_from_itertools_are_all_unique_at_two_points():
    # 6 people, each holding a distinct pair of 4 places on one day: one place never singles out
    rows = []
    for who, (a, b) in enumerate(itertools.combinations("wxyz", 2)):
        rows += [(str(who), "2024-01-01", a), (str(who), "2024-01-01", b)]
    result = unicity(datacustoms.read(_table(rows)), "who", "at", "shop", points=(1, 2))
    assert [p.unique for p in result.points] == [0, 6]


def test_empty_events_give_a_warning_not_a_pass():
    empty = datacustoms.read(pa.table({"who": pa.array([], pa.string()), "at": pa.array([], pa.string())}))
    result = unicity(empty, "who", "at")
    assert result.people == 0 and all(p.eligible == 0 for p in result.points)
    assert unicity_checks(result)[0].status == "warn"


def test_time_zone_aware_times_are_bucketed_on_their_own_clock():
    """20:00 UTC on 14 May is 05:00 on 15 May in Seoul: by the Seoul day, A and B share no day."""
    seoul = pa.timestamp("s", tz="Asia/Seoul")
    times = pc.strptime(pa.array(["2024-05-14 14:00", "2024-05-14 20:00"]), format="%Y-%m-%d %H:%M", unit="s")
    data = pa.table({"who": ["A", "B"], "at": times.cast(seoul)})
    result = unicity(datacustoms.read(data), "who", "at", points=(1,))
    assert result.points[0].unique == 2  # 23:00 on the 14th and 05:00 on the 15th, Seoul time
