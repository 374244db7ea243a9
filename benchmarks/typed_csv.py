"""CSV → Parquet ``protect`` with kept columns typed, against the same run writing them as text.

A CSV is read as text; ``protect_table`` gives each kept column the type all its values fit
(``datacustoms.io.infer``), which costs one more pass over the CSV (the kept columns only are
checked, but a CSV is parsed whole). This measures that cost in one run:

* ours: ``protect_table`` CSV → Parquet, kept columns typed (an integer count, a date, an
  amount, and a postcode with leading zeros that stays text);
* baseline: the same call with the typing pass switched off (every column text, as before);
* the output sizes, and the types written.

Both runs read the same file from the page cache after a warm-up; wall and CPU seconds are
printed, since wall time on a shared machine depends on its load.

    python benchmarks/typed_csv.py                  # 1 M rows
    python benchmarks/typed_csv.py --rows 200000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from datacustoms.io import read
from datacustoms.policy import parse_policy
from datacustoms.protect import pipeline

POLICY = {
    "recipient": "bench",
    "purpose": "bench",
    "key": "env:DC_BENCH_KEY",
    "columns": {
        "customer_id": {"action": "pseudonymize", "why": "join key"},
        "visits": "keep",
        "joined": "keep",
        "amount": "keep",
        "postcode": "keep",
    },
}


def write_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(5)
    days = rng.integers(0, 1400, rows).astype("timedelta64[D]") + np.datetime64("2020-01-01")
    table = pa.table(
        {
            "customer_id": pa.array([f"C{i:09d}" for i in range(rows)]),
            "visits": pa.array(rng.integers(0, 50, rows)),
            "joined": pa.array(days.astype("datetime64[D]")),
            "amount": pa.array(np.round(rng.random(rows) * 1000, 2)),
            "postcode": pa.array([f"0{p}" for p in rng.integers(1000, 9999, rows)]),
        }
    )
    pacsv.write_csv(table, path)


def run(source: Path, out: Path, typed: bool) -> tuple[float, float]:
    saved = pipeline.Prepared.type_kept
    if not typed:
        pipeline.Prepared.type_kept = lambda self: None  # type: ignore[method-assign]
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        pipeline.protect_table(read(source), parse_policy(POLICY), out)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        pipeline.Prepared.type_kept = saved  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("DC_BENCH_KEY", os.urandom(32).hex())
    print(f"load average: {os.getloadavg()[0]:.2f} (a shared machine slows both runs alike)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "export.csv"
        write_csv(source, args.rows)
        print(f"{args.rows:,} rows, CSV {source.stat().st_size / 2**20:.1f} MiB")
        run(source, folder / "warm.parquet", typed=True)
        base_wall, base_cpu = run(source, folder / "text.parquet", typed=False)
        ours_wall, ours_cpu = run(source, folder / "typed.parquet", typed=True)
        typed = pq.read_schema(folder / "typed.parquet")
        print("types written:", ", ".join(f"{f.name} {f.type}" for f in typed))
        for name, wall, cpu, path in (
            ("baseline, all text", base_wall, base_cpu, folder / "text.parquet"),
            ("ours, kept columns typed", ours_wall, ours_cpu, folder / "typed.parquet"),
        ):
            print(f"{name:26s} {wall:6.2f} s wall {cpu:6.2f} CPU-s  {path.stat().st_size / 2**20:6.1f} MiB")
        print(f"typing costs {ours_wall / base_wall:.2f}× the wall time of the text run")


if __name__ == "__main__":
    main()
