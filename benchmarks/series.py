"""Cumulative analysis of a release series (R17): N daily exports × C customers, streamed.

Target (issue "six years of daily exports"): 365 daily releases × 100 k customers (36.5 M rows)
in ≤ 60 s on 2 cores and ≤ 2 GB. The series is the synthetic Kakao Pay export
(``synth kakaopay --export-format parquet``); each measurement runs in a fresh process, so the
peak resident memory printed is that run's own.

The baseline is what the demo did before: read every export whole, concatenate them in memory,
then measure unicity of the joined snapshots (no link detection, no growth table). It runs on the
first ``--baseline-days`` releases only.

With ``--spark`` each release count is also measured by ``--engine spark`` on ``local[2]`` (the
session is started before the clock runs; the figures are checked to be the embedded engine's),
and the per-core throughput of both engines is printed with their ratio, then projected to
``--project CUSTOMERSxDAYS`` (default 40 M × 2,190, the six-year case) from the largest run:

* work = rows × (1 + Σ checkpoints ⁄ N): one pass writes the trace and counts traceable people,
  and the unicity at each growth checkpoint N' (1, 2, 3, 7 … N) scans the first N' releases again;
* rows = customers × days × the rows per customer-day of the synthetic export;
* per-core rate = measured work ⁄ (seconds × 2 cores), assumed constant at scale (linear in rows
  scanned; fixed per-job costs, large at 100 k customers, are counted as if they grew too).

    python benchmarks/series.py --days 30,90,365            # writes the series under a temp folder
    python benchmarks/series.py --days 30 --quick           # 20 k customers
    python benchmarks/series.py --days 30,90 --spark        # embedded vs Spark local[2], and the projection
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak import peak_rss_mb

CORES = 2  # DuckDB's threads and Spark's local[2]
SPARK_CONF = {"spark.sql.shuffle.partitions": "8", "spark.driver.memory": "2g"}
SNAPSHOT = ("balance_category", "topup_7d", "withdrawal_7d", "payment_7d", "remittance_7d", "card_count")


def ours(folder: str, days: int) -> dict[str, float]:
    from datacustoms.io.series import open_series
    from datacustoms.risk.series import analyse_series

    series = open_series(folder)
    series.files = series.files[:days]
    start = time.perf_counter()
    result = analyse_series(series, profile=list(SNAPSHOT))  # the baseline's snapshot, for a like-for-like ε
    seconds = time.perf_counter() - start
    worst = max((p.epsilon for p in result.unicity.points), default=0.0) if result.unicity else 0.0
    return {"seconds": seconds, "rows": result.rows, "traceable": result.traceable, "epsilon_max": worst}


def on_spark(folder: str, days: int) -> dict[str, float]:
    from datacustoms.engines import resolve_engine
    from datacustoms.io.series import open_series

    engine = resolve_engine("spark", master="local[2]", conf=SPARK_CONF)  # session start: not timed
    series = open_series(folder)
    series.files = series.files[:days]
    start = time.perf_counter()
    result = engine.series(series, profile=list(SNAPSHOT))
    seconds = time.perf_counter() - start
    worst = max((p.epsilon for p in result.unicity.points), default=0.0) if result.unicity else 0.0
    return {"seconds": seconds, "rows": result.rows, "traceable": result.traceable, "epsilon_max": worst}


def work(rows: float, days: int) -> float:
    """Rows scanned: the trace pass, plus the first N' releases again at each growth checkpoint N'."""
    from datacustoms.risk.series import checkpoints

    return rows * (1 + sum(checkpoints(days)) / days)


def project(label: str, rows: float, days: int, figures: dict[str, float], target_rows: float, target_days: int) -> str:
    rate = work(rows, days) / figures["seconds"] / CORES  # rows scanned per second per core
    core_h = work(target_rows, target_days) / rate / 3600
    where = (f"{core_h / CORES / 24:,.0f} days on this 2-core machine, {core_h / 64:,.0f} h on one 64-core one"
             if label == "embedded" else f"{core_h / 64:,.1f} h on 64 cores, {core_h / 512:,.1f} h on 512")
    return f"{label:>9}: {rate / 1e3:,.0f} k rows scanned/s/core at {days} days → {core_h:,.0f} core-hours ({where})"


def baseline(folder: str, days: int) -> dict[str, float]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from datacustoms.risk.unicity import unicity
    from datacustoms.table import from_arrow

    files = sorted(Path(folder).glob("*.parquet"))[:days]
    start = time.perf_counter()
    parts = []
    for path in files:
        day = pq.read_table(path)
        profile = pc.binary_join_element_wise(*[day.column(c).cast(pa.string()) for c in SNAPSHOT], "|")
        parts.append(pa.table({"person": day.column("account_sha256"), "day": day.column("base_date"),
                               "profile": profile}))  # fmt: skip
    trace = from_arrow(pa.concat_tables(parts), name="daily exports")
    result = unicity(trace, "person", "day", place="profile", points=tuple(range(1, min(days, 8) + 1)),
                     sample_people=5_000)  # fmt: skip
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": trace.num_rows, "epsilon_max": max(p.epsilon for p in result.points)}


def child(kind: str, folder: str, days: int) -> None:
    figures = {"ours": ours, "spark": on_spark, "baseline": baseline}[kind](folder, days)
    figures["peak_mb"] = peak_rss_mb()  # VmHWM: the child's own peak (ru_maxrss carries the parent's across exec)
    print(json.dumps(figures))


def run(kind: str, folder: Path, days: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--folder", str(folder), "--days", str(days)],
                         check=True, capture_output=True, text=True)  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", default="30,90,365", help="comma-separated numbers of releases to measure")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--baseline-days", type=int, default=30)
    parser.add_argument("--folder", help="an existing series (export folder of Parquet files)")
    parser.add_argument("--quick", action="store_true", help="20 k customers")
    parser.add_argument("--spark", action="store_true", help="also measure --engine spark (local[2]) and project")
    parser.add_argument("--project", default="40000000x2190", help="CUSTOMERSxDAYS to project to (with --spark)")
    parser.add_argument("--child", choices=("ours", "spark", "baseline"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.folder, int(args.days))
        return
    days = sorted(int(d) for d in args.days.split(","))
    customers = 20_000 if args.quick else args.customers
    with tempfile.TemporaryDirectory(prefix="bench-series-") as tmp:
        folder = Path(args.folder) if args.folder else Path(tmp) / "scenario" / "export"
        if not args.folder:
            from datacustoms.synth import generate_kakaopay

            start = time.perf_counter()
            generate_kakaopay(folder.parent, customers=customers, days=days[-1], export_format="parquet")
            size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
            print(f"generated {days[-1]} daily Parquet exports × {customers:,} customers in "
                  f"{time.perf_counter() - start:.1f} s ({size / 1e9:.2f} GB)")  # fmt: skip
        print(f"load average before the run: {os.getloadavg()[0]:.2f} (2 cores); DuckDB limited to 2 threads and 1 GB")
        print(f"{'releases':>8} {'rows':>12} {'ours s':>8} {'ours MB':>8} {'ε max':>6}   baseline")
        runs: dict[int, dict[str, dict[str, float]]] = {}
        for n in days:
            mine = run("ours", folder, n)
            base = f"{'—':>8}"
            if n <= args.baseline_days:
                b = run("baseline", folder, n)
                base = f"{b['seconds']:.1f} s, {b['peak_mb']:.0f} MB peak (ε max {b['epsilon_max']:.3f})"
            print(f"{n:>8} {mine['rows']:>12,.0f} {mine['seconds']:>8.1f} {mine['peak_mb']:>8.0f} "
                  f"{mine['epsilon_max']:>6.3f}   {base}")  # fmt: skip
            runs[n] = {"embedded": mine}
        if args.spark:
            compare(runs, folder, days, customers, args.project)


def compare(runs: dict[int, dict[str, dict[str, float]]], folder: Path, days: list[int], customers: int,
            target: str) -> None:  # fmt: skip
    """Spark local[2] on the same releases: per-core throughput of both, the ratio, the projection."""
    print(f"\nembedded vs --engine spark (local[2]); load average {os.getloadavg()[0]:.2f}")
    print(f"{'releases':>8} {'rows':>12} {'emb s':>7} {'spark s':>8} {'emb rows/s/core':>16} "
          f"{'spark rows/s/core':>18} {'spark/emb':>9}  same figures")  # fmt: skip
    for n in days:
        mine, theirs = runs[n]["embedded"], run("spark", folder, n)
        runs[n]["spark"] = theirs
        same = all(mine[k] == theirs[k] for k in ("rows", "traceable", "epsilon_max"))
        e, s = mine["rows"] / mine["seconds"] / CORES, theirs["rows"] / theirs["seconds"] / CORES
        print(f"{n:>8} {mine['rows']:>12,.0f} {mine['seconds']:>7.1f} {theirs['seconds']:>8.1f} {e:>16,.0f} "
              f"{s:>18,.0f} {s / e:>9.2f}  {'yes' if same else 'NO'}")  # fmt: skip
        projection(runs[n], n, customers, target)


def projection(run_n: dict[str, dict[str, float]], n: int, customers: int, target: str) -> None:
    """The six-year case from the per-core rates of one measured run (``n`` releases)."""
    want_customers, want_days = (int(x) for x in target.lower().split("x"))
    per_customer_day = run_n["embedded"]["rows"] / (customers * n)
    target_rows = want_customers * want_days * per_customer_day
    print(f"  projection to {want_customers:,} customers × {want_days:,} days = {target_rows / 1e9:,.1f} bn rows "
          f"({per_customer_day:.2f} rows per customer-day as measured), work ×{work(1, want_days):.2f} rows:")  # fmt: skip
    for label in ("embedded", "spark"):
        print("  " + project(label, run_n[label]["rows"], n, run_n[label], target_rows, want_days))


if __name__ == "__main__":
    main()
