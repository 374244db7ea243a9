"""p-point unicity of transaction traces (rule R14), after de Montjoye et al., Science 2015.

A trace is the set of distinct *points* of one person: (time bucket, place, amount bin). For a
random sample of people, take p random points of each trace and count the people whose trace
holds all p of them; the person is unique when only they match. ε_p is the unique share, with a
Wilson score interval for the sampling error.

Choices, all documented in docs/risk.md:

- each sampled person's points are put in one random order and the first p are used for every
  p (nested draws), so "unique with p points" implies "unique with p + 1": ε_p never decreases;
- only sampled people with at least max(p) distinct points count (as in the paper, which used
  people with enough points), so every ε_p is over the same people;
- amounts are cut into equal-frequency bins (approximate quantiles) when ``amount_bins`` is set,
  else compared exactly.

It all runs in DuckDB: one pass to list the people and draw the sample, one to read the sampled
traces, one to find who else holds the chosen points (a hash join against at most
sample × max(p) points). Nothing loops over people in Python.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from datacustoms.errors import ColumnError, UsageError
from datacustoms.model.risk import UnicityPoint, UnicityResult
from datacustoms.risk.classes import connect, quote
from datacustoms.table import Table

GRANULARITIES = ("hour", "day", "week")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial share (exact at 0 and n, unlike the normal one)."""
    if trials == 0:
        return 0.0, 1.0
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    phat = successes / trials
    denom = 1 + z * z / trials
    centre = (phat + z * z / (2 * trials)) / denom
    half = z * math.sqrt(phat * (1 - phat) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def _time_expr(column: str, arrow_type: pa.DataType, granularity: str) -> str:
    col = quote(column)
    if pa.types.is_integer(arrow_type):
        ts = f"to_timestamp({col})"  # epoch seconds
    elif pa.types.is_timestamp(arrow_type) and arrow_type.tz:  # buckets follow the data's own clock
        zone = str(arrow_type.tz).replace("'", "''")
        ts = f"timezone('{zone}', {col})"
    elif pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        ts = f"CAST({col} AS TIMESTAMP)"
    else:
        ts = f"TRY_CAST({col} AS TIMESTAMP)"
    return f"date_trunc('{granularity}', {ts})"


def unicity(
    events: Table,
    person: str,
    time: str,
    place: str | None = None,
    amount: str | None = None,
    *,
    points: Sequence[int] = (1, 2, 3, 4, 5),
    time_granularity: str = "day",
    amount_bins: int | None = None,
    sample_people: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> UnicityResult:
    """ε_p for each p in ``points``: the share of sampled people singled out by p of their points."""
    ps = _check_arguments(events, person, time, place, amount, points, time_granularity, sample_people, amount_bins)
    max_p = ps[-1]
    columns = [c for c in (person, time, place, amount) if c is not None]
    with connect() as con:
        if events.duckdb_scan:
            src = events.duckdb_scan
        else:  # a one-shot Arrow stream: keep the needed columns in DuckDB (it spills to disk)
            con.register("dc_events_stream", events.reader(list(dict.fromkeys(columns))))
            con.execute("CREATE TEMP TABLE dc_events AS SELECT * FROM dc_events_stream")
            src = "dc_events"
        tb = _time_expr(time, events.schema.field(time).type, time_granularity)
        pl = quote(place) if place else "NULL::VARCHAR"
        ab = _amount_expr(con, src, amount, amount_bins)
        pe = quote(person)
        con.execute(
            "CREATE TEMP TABLE dc_people AS SELECT *, (row_number() OVER () - 1)::INTEGER AS idx FROM ("
            f"SELECT {pe} AS person, count(*) AS cnt, hash({pe}, {int(seed)}) AS h "
            f"FROM {src} WHERE {pe} IS NOT NULL GROUP BY {pe})"
        )
        totals = con.execute("SELECT count(*), coalesce(sum(cnt), 0) FROM dc_people").fetchall()[0]
        assert totals is not None
        people, n_events = int(totals[0]), int(totals[1])
        con.execute(
            "CREATE TEMP TABLE dc_sample AS SELECT person, "
            "(row_number() OVER (ORDER BY h, person))::INTEGER AS sid "
            f"FROM dc_people ORDER BY h, person LIMIT {int(sample_people)}"
        )
        con.execute(
            f"CREATE TEMP TABLE dc_trace AS SELECT DISTINCT s.sid, {tb} AS tb, {pl} AS pl, {ab} AS ab "
            f"FROM {src} e JOIN dc_sample s ON e.{pe} = s.person WHERE {tb} IS NOT NULL"
        )
        con.execute(
            "CREATE TEMP TABLE dc_ranked AS SELECT *, row_number() OVER (PARTITION BY sid ORDER BY "
            f"hash(sid, tb, pl, ab, {int(seed)}), tb, pl, ab) AS rn, "
            "count(*) OVER (PARTITION BY sid) AS npts FROM dc_trace"
        )
        stats = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE npts >= {max_p}), coalesce(median(npts), 0) "
            "FROM (SELECT sid, any_value(npts) AS npts FROM dc_ranked GROUP BY sid)"
        ).fetchall()[0]
        assert stats is not None
        sampled, eligible, median_points = int(stats[0]), int(stats[1]), float(stats[2])
        if sampled == 0 and n_events > 0:
            raise UsageError(
                f"no event has a readable time in {time!r}",
                "pass a timestamp, a date, an ISO text time or epoch seconds",
            )
        hold, chosen = _holders(con, src, pe, tb, pl, ab, max_p)
    first_unique = _first_unique(np.asarray(hold["pid"]), np.asarray(hold["idx"]), np.asarray(chosen["sid"]),
                                 np.asarray(chosen["pid"]), people=people, max_p=max_p)  # fmt: skip
    result_points = _points(first_unique, ps, eligible, confidence)
    return UnicityResult(
        people=people, events=n_events, sampled=sampled, time_granularity=time_granularity, place=place,
        amount=amount, amount_bins=amount_bins, median_points=median_points, confidence=confidence, seed=seed,
        points=result_points,
    )  # fmt: skip


def _check_arguments(
    events: Table, person: str, time: str, place: str | None, amount: str | None, points: Sequence[int],
    time_granularity: str, sample_people: int, amount_bins: int | None,
) -> list[int]:  # fmt: skip
    """Refuse what cannot be measured before anything is read; the numbers of points, sorted."""
    names = events.column_names
    for column, what in ((person, "person column"), (time, "time column"), (place, "place column"),
                         (amount, "amount column")):  # fmt: skip
        if column is not None and column not in names:
            raise ColumnError(column, names, what)
    if time_granularity not in GRANULARITIES:
        raise UsageError(f"unknown time granularity {time_granularity!r}", f"use one of {', '.join(GRANULARITIES)}")
    ps = sorted(set(points))
    if not ps or ps[0] < 1 or ps[-1] > 16:
        raise UsageError(f"points {list(points)} are not between 1 and 16", "e.g. --points 1..5")
    if sample_people < 1:
        raise UsageError("the sample must hold at least one person", "raise --sample-people")
    if amount_bins is not None and (amount is None or amount_bins < 1):
        raise UsageError("--amount-bins needs an amount column and a positive number of bins", "")
    return ps


def _holders(
    con: duckdb.DuckDBPyConnection, src: str, pe: str, tb: str, pl: str, ab: str, max_p: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The points chosen per sampled person (``sid, rn, pid``) and who holds each (``pid, idx``)."""
    con.execute(
        f"CREATE TEMP TABLE dc_chosen AS SELECT sid, tb, pl, ab, rn FROM dc_ranked "
        f"WHERE npts >= {max_p} AND rn <= {max_p}"
    )
    # chosen points get ids; who holds them is read in one pass over the events
    con.execute(
        "CREATE TEMP TABLE dc_cp AS SELECT tb, pl, ab, (row_number() OVER ())::INTEGER AS pid "
        "FROM (SELECT DISTINCT tb, pl, ab FROM dc_chosen)"
    )
    on = "{a}.tb = {b}.tb AND {a}.pl IS NOT DISTINCT FROM {b}.pl AND {a}.ab IS NOT DISTINCT FROM {b}.ab"
    con.execute(
        "CREATE TEMP TABLE dc_chosen_id AS SELECT c.sid, c.rn, cp.pid "
        f"FROM dc_chosen c JOIN dc_cp cp ON {on.format(a='c', b='cp')}"
    )
    con.execute(
        "CREATE TEMP TABLE dc_hold AS SELECT DISTINCT pp.idx, cp.pid "
        f"FROM (SELECT {pe} AS person, {tb} AS tb, {pl} AS pl, {ab} AS ab FROM {src}) e "
        f"JOIN dc_cp cp ON {on.format(a='e', b='cp')} JOIN dc_people pp ON e.person = pp.person"
    )
    hold = con.execute("SELECT pid, idx FROM dc_hold ORDER BY pid, idx").fetchnumpy()
    chosen = con.execute("SELECT sid, rn, pid FROM dc_chosen_id ORDER BY sid, rn").fetchnumpy()
    return hold, chosen


def _points(first_unique: np.ndarray, ps: list[int], eligible: int, confidence: float) -> list[UnicityPoint]:
    """ε_p with its Wilson interval for each p: the sampled people singled out by their first p points."""
    result = []
    for p in ps:
        unique = int(np.count_nonzero(first_unique <= p))
        low, high = wilson_interval(unique, eligible, confidence)
        result.append(UnicityPoint(p=p, eligible=eligible, unique=unique,
                                   epsilon=(unique / eligible) if eligible else 0.0, ci_low=low, ci_high=high))
    return result


def _amount_expr(con: duckdb.DuckDBPyConnection, src: str, amount: str | None, bins: int | None) -> str:
    """The amount as is, or its equal-frequency bin number 0..bins−1 (approximate quantiles)."""
    if amount is None:
        return "NULL::INTEGER"
    col = f"TRY_CAST({quote(amount)} AS DOUBLE)"
    if not bins or bins == 1:
        return col if bins is None else "0"
    qs = ", ".join(f"{i / bins:.10f}" for i in range(1, bins))
    row = con.execute(f"SELECT approx_quantile({col}, [{qs}]) FROM {src}").fetchall()[0]
    cuts = sorted({float(c) for c in (row[0] if row and row[0] else []) if c is not None})
    if not cuts:
        return "0"
    return "(" + " + ".join(f"({col} >= {c!r})::INTEGER" for c in cuts) + ")"


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


class _Holders:
    """Who holds each chosen point: a sorted index array for rare points, a bitset for common ones."""

    def __init__(self, pid: np.ndarray, idx: np.ndarray, people: int) -> None:
        self.people = people
        self.idx = idx.astype(np.int64, copy=False)
        ids, starts = np.unique(pid, return_index=True)
        ends = np.append(starts[1:], len(pid)) if len(pid) else starts
        self.span = {int(p): (int(a), int(b)) for p, a, b in zip(ids, starts, ends, strict=True)}
        self.dense_from = max(1, people // 32)  # a bitset (people/8 bytes) beats 4-byte indices
        self.bits: dict[int, np.ndarray] = {}

    def get(self, point: int) -> np.ndarray:
        a, b = self.span.get(point, (0, 0))
        if b - a < self.dense_from:
            return self.idx[a:b]
        if point not in self.bits:
            flags = np.zeros(self.people, dtype=bool)
            flags[self.idx[a:b]] = True
            self.bits[point] = np.packbits(flags, bitorder="little")
        return self.bits[point]


def _is_bits(x: np.ndarray) -> bool:
    return x.dtype == np.uint8


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if _is_bits(a) and _is_bits(b):
        return np.bitwise_and(a, b)
    if _is_bits(a):
        a, b = b, a
    if _is_bits(b):  # index array against a bitset: test each index's bit
        return a[((b[a >> 3] >> (a & 7).astype(np.uint8)) & 1).astype(bool)]
    return np.intersect1d(a, b, assume_unique=True)


def _count(x: np.ndarray) -> int:
    return int(_POPCOUNT[x].sum()) if _is_bits(x) else len(x)


def _first_unique(
    hold_pid: np.ndarray, hold_idx: np.ndarray, sids: np.ndarray, pids: np.ndarray, *, people: int, max_p: int
) -> np.ndarray:
    """For each eligible sampled person, the smallest p at which only they hold their first p points.

    ``max_p + 1`` means never (someone else shares all of them). Points are nested, so the
    running intersection only shrinks; the loop stops at the first p where one holder is left.
    """
    holders = _Holders(hold_pid, hold_idx, people)
    if len(sids) == 0:
        return np.empty(0, dtype=np.int64)
    bounds = np.flatnonzero(np.diff(sids)) + 1
    groups = np.split(pids, bounds)
    result = np.full(len(groups), max_p + 1, dtype=np.int64)
    for g, points in enumerate(groups):
        current: np.ndarray | None = None
        for p, point in enumerate(points[:max_p], start=1):
            held = holders.get(int(point))
            current = held if current is None else _intersect(current, held)
            if _count(current) <= 1:
                result[g] = p
                break
    return result
