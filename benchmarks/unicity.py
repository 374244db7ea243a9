"""p-point unicity of transaction traces, ours against a plain-Python baseline, in one run.

Target (issue "measure"): 1 M people × 100 events, p = 1…5, ≤ 60 s. Points are day × merchant
(de Montjoye et al. 2015 used shop and day); merchants are skewed (a few are very popular).

The baseline is the obvious implementation: build point → set of people and person → set of
points in Python dictionaries, then intersect the sets of each sampled person's p points. It runs
on ``--baseline-people`` people (it holds every event as Python objects) and the ratio is per event.

    python benchmarks/unicity.py             # full size
    python benchmarks/unicity.py --quick     # 100 k people, baseline on 10 k
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

POINTS = (1, 2, 3, 4, 5)


def generate(path: Path, people: int, events: int, seed: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(
        f"""COPY (SELECT (i // {events})::INTEGER AS person,
                  (DATE '2024-01-01' + (hash(i, {seed}, 1) % 365)::INTEGER) AS day,
                  floor(10000 * pow((hash(i, {seed}, 2) % 1000000) / 1000000.0, 3))::INTEGER AS merchant
            FROM range({people * events}) t(i)) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)"""
    )
    con.close()


def baseline(path: Path, people: int, sample: int, seed: int) -> tuple[float, list[float], int]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    data = pq.read_table(path, columns=["person", "day", "merchant"])
    data = data.filter(pc.less(data["person"], people))
    persons = data["person"].to_pylist()
    days = data["day"].to_pylist()
    merchants = data["merchant"].to_pylist()
    start = time.perf_counter()
    holders: dict[tuple[object, int], set[int]] = defaultdict(set)
    traces: dict[int, set[tuple[object, int]]] = defaultdict(set)
    for who, day, shop in zip(persons, days, merchants, strict=True):
        holders[(day, shop)].add(who)
        traces[who].add((day, shop))
    rng = random.Random(seed)
    sampled = rng.sample(sorted(traces), min(sample, len(traces)))
    eligible = [who for who in sampled if len(traces[who]) >= max(POINTS)]
    eps = []
    for p in POINTS:
        unique = 0
        for who in eligible:
            chosen = rng.sample(sorted(traces[who], key=str), p)
            common = set.intersection(*(holders[c] for c in chosen))
            unique += len(common) == 1
        eps.append(unique / len(eligible) if eligible else 0.0)
    return time.perf_counter() - start, eps, len(persons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=100, help="events per person")
    parser.add_argument("--sample-people", type=int, default=10_000)
    parser.add_argument("--baseline-people", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="100 k people, baseline on 10 k")
    args = parser.parse_args()
    if args.quick:
        args.people, args.baseline_people, args.sample_people = 100_000, 10_000, 2_000
    import datacustoms
    from datacustoms.risk import unicity

    with tempfile.TemporaryDirectory(prefix="dc-bench-unicity-") as tmp:
        path = Path(tmp) / "events.parquet"
        t0 = time.perf_counter()
        generate(path, args.people, args.events, args.seed)
        print(f"generated {args.people * args.events:,} events in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        result = unicity(
            datacustoms.read(path), "person", "day", "merchant", points=POINTS,
            sample_people=args.sample_people, seed=args.seed,
        )  # fmt: skip
        ours = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        base_seconds, base_eps, base_events = baseline(path, args.baseline_people, args.sample_people, args.seed)
    eps = ", ".join(f"ε{p.p} = {p.epsilon:.3f} [{p.ci_low:.3f}, {p.ci_high:.3f}]" for p in result.points)
    print(f"datacustoms {result.people:>10,} people {result.events:>12,} events  {ours:8.2f} s  peak RSS {rss:.0f} MB")
    print(f"            {eps}")
    print(
        f"baseline    {args.baseline_people:>10,} people {base_events:>12,} events  {base_seconds:8.2f} s  "
        f"(ε = {', '.join(f'{e:.3f}' for e in base_eps)}; smaller population, so not comparable ε)"
    )
    ours_per_event = ours / result.events
    base_per_event = base_seconds / base_events
    print(
        f"per event: datacustoms {ours_per_event * 1e9:.0f} ns, baseline {base_per_event * 1e9:.0f} ns "
        f"→ {base_per_event / ours_per_event:.1f}× faster; target (1 M people × 100 events ≤ 60 s): "
        f"{('met' if ours <= 60 else 'MISSED') if result.events >= 100_000_000 else 'not measured'}"
    )


if __name__ == "__main__":
    main()
