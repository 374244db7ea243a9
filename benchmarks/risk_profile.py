"""Whole risk profile on a large Parquet table, against pycanon on a smaller one, in one run.

Target (issue "measure"): 10 M rows × 5 quasi-identifiers + 1 sensitive column from Parquet, the
whole profile (histogram, k, risks, l-diversity, entropy l, recursive (c, l), t-closeness,
dominance, rare values) in ≤ 5 s with peak memory ≤ 2 GB; pycanon (k-anonymity, l-diversity,
entropy l-diversity, t-closeness) on rows of the same distribution; per-row ratio ≥ 20×.

pycanon's time grows with classes × distinct sensitive values (its t-closeness filters the
DataFrame once per class and value): 20 k rows of this distribution (19 k classes, 30 values)
already take minutes, so the default baseline is 20 k rows; ``--baseline-rows 1000000`` runs the
1 M-row comparison if you have hours.

The DuckDB path (the group-by that the numpy path over dictionary codes replaced where it applies)
is timed on the same file too, unless ``--skip-duckdb``.

Each measurement runs in its own subprocess so its peak RSS (``VmHWM``, see ``peak.py``) is its own.
pycanon gets its DataFrame already in memory (loading is not timed); ours reads the Parquet file.

    python benchmarks/risk_profile.py            # full size
    python benchmarks/risk_profile.py --quick    # 1 M rows, pycanon on 2 k
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak import peak_rss_mb

QI = ["age", "sex", "region", "occupation", "education"]
SENSITIVE = "diagnosis"


def generate(path: Path, rows: int, seed: int) -> None:
    """Synthetic people: age 18–90, sex, 17 regions, 25 occupations, 16 education levels, 30 diagnoses."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(
        f"""COPY (SELECT
            (18 + hash(i, {seed}, 1) % 73)::INTEGER AS age,
            CASE WHEN hash(i, {seed}, 2) % 2 = 0 THEN 'F' ELSE 'M' END AS sex,
            'R' || lpad((hash(i, {seed}, 3) % 17)::VARCHAR, 2, '0') AS region,
            'occ' || (hash(i, {seed}, 4) % 25)::VARCHAR AS occupation,
            'edu' || (hash(i, {seed}, 5) % 16)::VARCHAR AS education,
            'dx' || (hash(i, {seed}, 6) % 30)::VARCHAR AS diagnosis
        FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)"""
    )
    con.close()


def measure_ours(path: str, engine: str = "ours") -> dict[str, float]:
    import datacustoms
    from datacustoms.risk import coded, risk_profile

    if engine == "duckdb":  # the DuckDB group-by path, which the numpy one replaced where it applies
        coded.MAX_BYTES = 0
    # pyarrow imports pandas, where installed (an optional extra, not a dependency), at its first
    # conversion of a Python or numpy value: 0.1-0.3 s that a process pays once, not the profile
    import pyarrow as pa

    pa.array([0])
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    profile = risk_profile(datacustoms.read(path), QI, [SENSITIVE])
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    d = profile.diversity[0]
    return {
        "seconds": seconds,
        "user_s": after.ru_utime - before.ru_utime,
        "system_s": after.ru_stime - before.ru_stime,
        "page_faults": after.ru_minflt - before.ru_minflt,
        "peak_rss_mb": peak_rss_mb(),
        "rows": profile.rows,
        "k": profile.k,
        "classes": profile.classes,
        "l": d.distinct_l,
        "t": d.t,
    }


def measure_pycanon(path: str, rows: int) -> dict[str, float]:
    import pyarrow.parquet as pq
    from pycanon import anonymity

    df = pq.read_table(path).slice(0, rows).to_pandas()
    start = time.perf_counter()
    k = anonymity.k_anonymity(df, QI)
    l_div = anonymity.l_diversity(df, QI, [SENSITIVE])
    anonymity.entropy_l_diversity(df, QI, [SENSITIVE])
    t = anonymity.t_closeness(df, QI, [SENSITIVE])
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "rows": len(df),
        "k": k,
        "l": l_div,
        "t": t,
    }


def _child(kind: str, path: Path, rows: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--_child", kind, str(path), str(rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the table we profile")
    parser.add_argument("--baseline-rows", type=int, default=20_000, help="rows pycanon profiles")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="1 M rows, pycanon on 2 k rows")
    parser.add_argument("--skip-duckdb", action="store_true", help="do not also time the DuckDB path")
    parser.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        kind, path, rows = args._child
        result = measure_ours(path, kind) if kind in ("ours", "duckdb") else measure_pycanon(path, int(rows))
        print(json.dumps(result))
        return
    if args.quick:
        args.rows, args.baseline_rows = 1_000_000, 2_000
    print(f"load average {os.getloadavg()} (wall times assume free cores)")
    with tempfile.TemporaryDirectory(prefix="dc-bench-risk-") as tmp:
        path = Path(tmp) / "people.parquet"
        t0 = time.perf_counter()
        generate(path, max(args.rows, args.baseline_rows), args.seed)
        print(f"generated {max(args.rows, args.baseline_rows):,} rows in {time.perf_counter() - t0:.1f} s")
        mine = path
        if args.rows != max(args.rows, args.baseline_rows):  # the table is larger: profile exactly --rows rows
            mine = Path(tmp) / "ours.parquet"
            generate(mine, args.rows, args.seed)
        ours = _child("ours", mine, args.rows)
        duck = None if args.skip_duckdb else _child("duckdb", mine, args.rows)
        base = _child("pycanon", path, args.baseline_rows)
    ours_per_row = ours["seconds"] / ours["rows"]
    base_per_row = base["seconds"] / base["rows"]
    print(
        f"datacustoms  {int(ours['rows']):>11,} rows  {ours['seconds']:8.2f} s  peak RSS {ours['peak_rss_mb']:7.0f} MB"
        f"  (k = {ours['k']}, {int(ours['classes']):,} classes, l = {ours['l']}, t = {ours['t']:.3f})"
    )
    # the kernel's share: mapping fresh memory in (page faults) costs microseconds a page on a
    # virtual machine whose host takes freed memory back; user time is the profile's own work
    print(
        f"             CPU: user {ours['user_s']:.2f} s, system {ours['system_s']:.2f} s "
        f"({int(ours['page_faults']):,} page faults)"
    )
    if duck is not None:
        print(
            f"DuckDB path  {int(duck['rows']):>11,} rows  {duck['seconds']:8.2f} s  peak RSS {duck['peak_rss_mb']:7.0f} MB"
            f"  (the group-by the numpy path replaces; {duck['seconds'] / ours['seconds']:.1f}× our time)"
        )
    print(
        f"pycanon      {int(base['rows']):>11,} rows  {base['seconds']:8.2f} s  peak RSS {base['peak_rss_mb']:7.0f} MB"
        f"  (k = {base['k']}, l = {base['l']}, t = {base['t']:.3f})"
    )
    print(
        f"per row: datacustoms {ours_per_row * 1e9:.0f} ns, pycanon {base_per_row * 1e9:.0f} ns "
        f"→ {base_per_row / ours_per_row:.0f}× faster per row"
    )
    print(
        f"targets: whole profile of 10 M rows ≤ 2 s ("
        f"{('met' if ours['seconds'] <= 2 else 'MISSED') if ours['rows'] >= 10_000_000 else 'not measured'}), "
        f"peak ≤ 1024 MB ({'met' if ours['peak_rss_mb'] <= 1024 else 'MISSED'}), "
        f"≥ 20× per row ({'met' if base_per_row / ours_per_row >= 20 else 'MISSED'}); load average {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
