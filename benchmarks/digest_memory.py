"""Peak memory of the digest stage (decode a digest column, count its distinct digests), embedded.

Writes a Parquet export whose one column holds SHA-256-sized digests as lower-case hex, drawn with
repeats from a population the size of the rows (so about 63 % of the rows are distinct digests,
as in a real export: 39.35 M distinct in the 50 M-row scenario of ``spark_scale.py``), then runs
``read_column`` as ``inspect`` does, each run in a fresh process whose ``VmHWM`` is its own peak
(``peak.py``):

* ours: the column streamed, reduced block by block, spilled and merged (flat memory);
* baseline, same run: the previous whole-column sort (every decoded digest held, 32 B per row,
  until it is sorted), forced by making the block as large as the column. At full size it would
  need several GB, so the baseline runs on ``--baseline-rows`` (default a tenth), and ours runs
  at that size too, for the per-row comparison.

The digests are 32 random-looking bytes per person (a bijective mix of the person number), not
SHA-256 of phone numbers: the stage never hashes, and generating 50 M real SHA-256 digests in
Python would take longer than the stage itself.

    python benchmarks/digest_memory.py                # 50 M rows (baseline on 5 M)
    python benchmarks/digest_memory.py --quick        # 2 M rows (baseline on 2 M)
"""

from __future__ import annotations

import argparse
import binascii
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from peak import peak_rss_mb, proc_status_bytes

CHUNK = 1_000_000


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection on uint64 (distinct people, distinct digests)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hex_digests(people: np.ndarray) -> pa.Array:
    """A 32-byte digest per person (four mixed words), as 64 lower-case hex characters."""
    p = people.astype(np.uint64)
    words = np.stack([_mix(p * np.uint64(4) + np.uint64(k)) for k in range(4)], axis=1)
    raw = words.astype(">u8").tobytes()
    text = binascii.hexlify(raw)
    offsets = np.arange(0, 64 * len(people) + 1, 64, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_string(), len(people), [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def generate(path: Path, rows: int, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    with pq.ParquetWriter(path, pa.schema([("phone_sha256", pa.large_string())]), compression="zstd") as w:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            w.write_table(pa.table({"phone_sha256": hex_digests(rng.integers(0, rows, n))}))


def child(path: str, whole: bool) -> None:
    from datacustoms.attack.column import read_column
    from datacustoms.attack.hashes import targets
    from datacustoms.io import read

    if whole:  # the previous behaviour: one block as large as the column
        targets.BLOCK_BYTES = 1 << 62
    start_mb = proc_status_bytes(os.getpid(), "VmRSS") / 2**20  # the interpreter and libraries
    t0 = time.perf_counter()
    parsed = read_column(read(path), "phone_sha256")
    seconds = time.perf_counter() - t0
    assert parsed is not None
    out = {"seconds": seconds, "rss_mb": peak_rss_mb(), "start_mb": start_mb, "rows": parsed.stats.valid,
           "distinct": len(parsed.distinct), "counted": int(parsed.counts.sum())}  # fmt: skip
    print(json.dumps(out))


def run(path: Path, whole: bool) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", str(path)] + (["--whole"] if whole else [])
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--baseline-rows", type=int, default=0, help="rows for the whole-column baseline (default rows/10)")
    ap.add_argument("--quick", action="store_true", help="2 M rows")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--whole", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.whole)
        return
    if a.quick:
        a.rows = 2_000_000
    base_rows = a.baseline_rows or max(a.rows // 10, 1)
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()} (measured while the machine was shared)")
    with tempfile.TemporaryDirectory(prefix="dc-digests-") as tmp:
        big, small = Path(tmp) / "big.parquet", Path(tmp) / "small.parquet"
        t0 = time.perf_counter()
        generate(big, a.rows)
        generate(small, base_rows)
        print(f"generated {a.rows:,} and {base_rows:,} rows in {time.perf_counter() - t0:.0f} s")
        base = run(small, whole=True)
        ours_small = run(small, whole=False)
        ours = run(big, whole=False)
    for name, r in (("baseline (whole-column sort)", base), ("ours (blocks, spill, merge)", ours_small),
                    ("ours (blocks, spill, merge)", ours)):  # fmt: skip
        print(f"{name:30s} {int(r['rows']):>12,} rows, {int(r['distinct']):>12,} distinct: {r['seconds']:7.1f} s, "
              f"peak {r['rss_mb']:6.0f} MB ({r['rss_mb'] - r['start_mb']:6.0f} MB above the process's "
              f"{r['start_mb']:.0f} MB at start = {(r['rss_mb'] - r['start_mb']) * 2**20 / r['rows']:5.1f} B/row)")  # fmt: skip
    assert base["distinct"] == ours_small["distinct"] and base["counted"] == ours_small["counted"]
    print(f"same distinct digests and counts at {base_rows:,} rows: True; "
          f"at {a.rows:,} rows ours peaks at {ours['rss_mb']:.0f} MB; load average {os.getloadavg()}")  # fmt: skip


if __name__ == "__main__":
    main()
