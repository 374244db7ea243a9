"""Time of the combination search over candidate quasi-identifiers: 1 M rows × 10 / 15 / 20 columns,
or the candidates of a file of your own, against DuckDB counting each combination.

python benchmarks/qi_combinations.py [--rows 1000000] [--columns 10 15 20]
python benchmarks/qi_combinations.py --file export.parquet --names age,sex,province,joined,category,amount

Synthetic columns are integer codes with 2–100 distinct values (bands, counts, flags). Prints,
per width, the depth chosen, the combinations measured, the seconds, and the special uniques
found. The baseline is the obvious query: one DuckDB ``GROUP BY`` per combination over every row
(class sizes only, no minimal sample uniques), timed on ``--baseline-combinations`` of them spread
evenly from the single columns to the widest and extrapolated to all (labelled so); ``0`` skips it.
"""

from __future__ import annotations

import argparse
import time
from itertools import combinations

import numpy as np
import pyarrow as pa

from datacustoms.io import read
from datacustoms.risk.classes import connect, quote, source_sql
from datacustoms.risk.combos import search_combinations
from datacustoms.table import Table

CARDINALITIES = [2, 3, 5, 7, 10, 12, 20, 50, 100, 4, 6, 8, 9, 15, 30, 2, 3, 5, 11, 24]


def duckdb_seconds(table: Table, names: list[str], depth: int, count: int) -> tuple[float, int, int]:
    """Seconds DuckDB takes to count the classes of ``count`` combinations spread evenly over all
    of them (sizes 1 to ``depth``: wide ones cost more), and how many there are in all."""
    every = [c for size in range(1, depth + 1) for c in combinations(names, size)]
    chosen = [every[i] for i in np.unique(np.linspace(0, len(every) - 1, min(count, len(every))).astype(int))]
    start = time.perf_counter()
    with connect() as con:
        for combo in chosen:
            src = source_sql(con, table, list(combo), "dc_bench_src")
            cols = ", ".join(quote(c) for c in combo)
            con.execute(f"SELECT min(n), count(*) FROM (SELECT count(*) AS n FROM {src} GROUP BY {cols})").fetchall()
            if src == "dc_bench_src":  # an Arrow stream, read once: registered afresh for each query
                con.unregister(src)
    return time.perf_counter() - start, len(chosen), len(every)


def measure(table: Table, names: list[str], label: str, baseline: int) -> None:
    start = time.perf_counter()
    result = search_combinations(table, names)
    seconds = time.perf_counter() - start
    special = result.special.records if result.special else 0
    sampled = (
        "" if result.sampled_rows == result.rows else f" (a {result.sampled_rows:,}-row sample, the worst re-measured)"
    )
    print(
        f"{label}: depth {result.depth}, {result.combinations:,} combinations{sampled}, {seconds:.1f} s, "
        f"{result.failing:,} failing, {special:,} special uniques"
    )
    if baseline and result.depth:
        spent, done, total = duckdb_seconds(table, names, result.depth, baseline)
        whole = spent / done * total
        how = "measured" if done == total else f"extrapolated from {done} of {total}"
        print(f"  DuckDB GROUP BY per combination: {whole:.1f} s ({how}); ratio {whole / seconds:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, nargs="+", default=[10, 15, 20])
    parser.add_argument("--file", help="a file of your own (any format datacustoms reads)")
    parser.add_argument("--names", help="its candidate columns, comma-separated (with --file)")
    parser.add_argument("--baseline-combinations", type=int, default=12, help="combinations DuckDB counts (0: none)")
    args = parser.parse_args()
    if args.file:
        if not args.names:
            parser.error("--file needs --names")
        names = [n.strip() for n in args.names.split(",") if n.strip()]
        table = read(args.file)
        measure(table, names, f"{table.num_rows:,} rows × {len(names)} columns", args.baseline_combinations)
        return
    rng = np.random.default_rng(1)
    for width in args.columns:
        cards = (CARDINALITIES * (width // len(CARDINALITIES) + 1))[:width]
        data = pa.table({f"c{i}": rng.integers(0, c, args.rows) for i, c in enumerate(cards)})
        measure(read(data), data.column_names, f"{args.rows:,} rows × {width} columns", args.baseline_combinations)


if __name__ == "__main__":
    main()
