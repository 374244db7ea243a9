"""Time of the combination search over candidate quasi-identifiers: 1 M rows × 10 / 15 / 20 columns.

python benchmarks/qi_combinations.py [--rows 1000000] [--columns 10 15 20]

Columns are integer codes with 2–100 distinct values (bands, counts, flags). Prints, per width,
the depth chosen, the combinations measured, the seconds, and the special uniques found.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow as pa

from datacustoms.io import read
from datacustoms.risk.combos import search_combinations

CARDINALITIES = [2, 3, 5, 7, 10, 12, 20, 50, 100, 4, 6, 8, 9, 15, 30, 2, 3, 5, 11, 24]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, nargs="+", default=[10, 15, 20])
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    for width in args.columns:
        cards = (CARDINALITIES * (width // len(CARDINALITIES) + 1))[:width]
        data = pa.table({f"c{i}": rng.integers(0, c, args.rows) for i, c in enumerate(cards)})
        start = time.perf_counter()
        result = search_combinations(read(data), data.column_names)
        seconds = time.perf_counter() - start
        special = result.special.records if result.special else 0
        print(
            f"{args.rows:,} rows × {width} columns: depth {result.depth}, {result.combinations:,} combinations, "
            f"{seconds:.1f} s, {result.failing:,} failing, {special:,} special uniques"
        )


if __name__ == "__main__":
    main()
