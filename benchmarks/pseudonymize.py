"""End to end: N identifiers, Parquet → ``protect`` (keyed pseudonyms) → Parquet.

What it measures, in one run:

* ours: ``protect_table`` with a one-column ``pseudonymize`` policy (HMAC-SHA-256, 128 bits, hex,
  per-recipient HKDF key), reading the input Parquet and writing the output Parquet atomically —
  rows per second for the whole command, file to file;
* baseline: a plain Python loop ``hmac.new(key, value, sha256).hexdigest()[:32]`` over a slice of
  the same identifiers (in memory: no reading or writing, which favours the baseline);
* the ratio, and that both give the same pseudonyms on the slice;
* peak RSS of the protect run at two input sizes (each in a fresh process), to show that memory
  does not grow with the input (batches stream; nothing holds the table).

Each protect run happens in a fresh process after a 10,000-row warm-up (loading the native
kernel); CPU-seconds are reported too, since wall time on a shared machine depends on its load.

    python benchmarks/pseudonymize.py                 # 10 M identifiers (and 2.5 M for RSS)
    python benchmarks/pseudonymize.py --quick         # 1 M (and 250 k)
    python benchmarks/pseudonymize.py --rows 20000000 --baseline-rows 500000
    python benchmarks/pseudonymize.py --distinct 50000   # a column of 50,000 distinct identifiers
    python benchmarks/pseudonymize.py --repeat 5      # five timed runs of the large input
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from peak import peak_rss_mb

BATCH = 65_536


def phones(n: int, seed: int) -> pa.Array:
    """``n`` Korean mobile numbers (010 + 8 digits) as an Arrow string array, built vectorised."""
    rng = np.random.default_rng(seed)
    numbers = rng.integers(0, 10**8, size=n)
    digits = np.zeros((n, 11), dtype=np.uint8)
    digits[:, :3] = np.frombuffer(b"010", dtype=np.uint8)
    for pos in range(10, 2, -1):
        digits[:, pos] = 48 + numbers % 10
        numbers //= 10
    offsets = np.arange(0, (n + 1) * 11, 11, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(digits.reshape(-1))])


def write_input(path: Path, rows: int, distinct: int = 0) -> None:
    """The input file, written in 1 M-row chunks (the generator never holds all of it either).

    With ``distinct``, every row is one of that many numbers: pyarrow then stores the column
    dictionary-encoded in every data page (while the dictionary fits its 1 MiB page), the case
    where protect keys each distinct value of a row group once.
    """
    schema = pa.schema([pa.field("phone", pa.string())])
    pool = phones(distinct, seed=10**6) if distinct else None
    rng = np.random.default_rng(7)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for i, start in enumerate(range(0, rows, 1_000_000)):
            n = min(1_000_000, rows - start)
            column = pool.take(pa.array(rng.integers(0, distinct, n))) if pool is not None else phones(n, seed=i)
            writer.write_table(pa.table({"phone": column}), row_group_size=BATCH * 4)


def run_protect(src: Path, out: Path, key: bytes) -> dict[str, float]:
    """One protect run in this process; returns rows, seconds and peak RSS (MiB)."""
    from datacustoms.io import read
    from datacustoms.policy import parse_policy
    from datacustoms.protect.pipeline import protect_table

    policy = parse_policy(
        {
            "recipient": "benchmark",
            "purpose": "throughput",
            "key": "env:UNUSED",
            "columns": {"phone": {"action": "pseudonymize", "bits": 128, "encoding": "hex"}},
        }
    )
    table = read(src)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = protect_table(table, policy, out, master_key=key)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss = peak_rss_mb()
    return {"rows": float(result.rows_out or 0), "seconds": seconds, "cpu_seconds": cpu, "rss_mib": rss}


def child(args: argparse.Namespace) -> None:
    key = bytes.fromhex(os.environ["BENCH_KEY"])
    # warm-up on 10,000 rows: loads the native kernel and starts the thread pools once, so the
    # timed run measures throughput (at 10 M rows this one-off cost would not show anyway)
    warm = Path(args.out).with_name("warm.parquet")
    write_input(warm, 10_000)
    run_protect(warm, warm.with_name("warm.out.parquet"), key)
    print(json.dumps(run_protect(Path(args.src), Path(args.out), key)))


def in_child(src: Path, out: Path, key: bytes) -> dict[str, float]:
    env = {**os.environ, "BENCH_KEY": key.hex()}
    cmd = [sys.executable, __file__, "--child", "--src", str(src), "--out", str(out)]
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline(values: list[str], key: bytes) -> tuple[list[str], float]:
    start = time.perf_counter()
    out = [hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:32] for v in values]
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="identifiers in the large run")
    parser.add_argument("--baseline-rows", type=int, default=300_000, help="rows for the Python hmac loop")
    parser.add_argument("--quick", action="store_true", help="1 M rows, 100 k baseline rows")
    parser.add_argument("--distinct", type=int, default=0, help="draw the rows from this many identifiers")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of the large input (fresh processes)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.quick:
        args.rows, args.baseline_rows = 1_000_000, 100_000
    from datacustoms.protect import crypto

    master = secrets.token_bytes(32)
    derived = crypto.derive_key(master, recipient="benchmark", purpose="throughput", operation="pseudonymize")
    native = crypto._native_hmac() is not None
    small_rows = max(args.rows // 4, 1)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp:
        folder = Path(tmp)
        big, small = folder / "big.parquet", folder / "small.parquet"
        write_input(big, args.rows, args.distinct)
        write_input(small, small_rows, args.distinct)
        runs = []
        for i in range(max(args.repeat, 1)):
            if i:  # the previous output goes first (not timed): its pages are not kept dirty
                (folder / "big.out.parquet").unlink()
            runs.append(in_child(big, folder / "big.out.parquet", master))
        big_run = min(runs, key=lambda r: r["seconds"])
        small_run = in_child(small, folder / "small.out.parquet", master)
        slice_values = pq.read_table(big).column("phone").slice(0, args.baseline_rows).to_pylist()
        cpu0 = time.process_time()
        expected, base_seconds = baseline(slice_values, derived)
        base_cpu = time.process_time() - cpu0
        got = pq.read_table(folder / "big.out.parquet").column("phone").slice(0, args.baseline_rows).to_pylist()
        assert got == expected, "protect and the hmac loop disagree"
    ours = big_run["rows"] / big_run["seconds"]
    theirs = len(slice_values) / base_seconds
    print(
        f"native HMAC kernel: {'yes' if native else 'no (pure-Python fallback)'}; cores: {os.cpu_count()}; "
        f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        "(wall figures assume the cores are free; CPU-seconds do not)"
    )
    drawn = f" drawn from {args.distinct:,} identifiers" if args.distinct else ""
    if len(runs) > 1:
        each = ", ".join(f"{r['seconds']:.2f} s ({r['cpu_seconds']:.2f} CPU-s)" for r in runs)
        print(f"{len(runs)} runs of {int(big_run['rows']):,} rows: {each}; the best below")
    print(
        f"protect (Parquet → pseudonymize → Parquet), {int(big_run['rows']):,} rows{drawn}: "
        f"{big_run['seconds']:.2f} s = {ours / 1e6:.2f} M rows/s end to end"
    )
    print(f"plain Python hmac loop, {len(slice_values):,} rows in memory: {theirs / 1e6:.2f} M rows/s")
    print(f"ratio: {ours / theirs:.1f}x (outputs identical on the slice)")
    per_cpu = big_run["rows"] / big_run["cpu_seconds"]
    base_per_cpu = len(slice_values) / base_cpu
    print(
        f"per CPU-second: protect {per_cpu / 1e6:.2f} M rows ({big_run['cpu_seconds']:.2f} CPU-s on "
        f"{os.cpu_count()} cores), hmac loop {base_per_cpu / 1e6:.2f} M rows; ratio {per_cpu / base_per_cpu:.1f}x"
    )
    print(
        f"peak RSS: {small_run['rss_mib']:.0f} MiB at {int(small_run['rows']):,} rows, "
        f"{big_run['rss_mib']:.0f} MiB at {int(big_run['rows']):,} rows "
        f"({big_run['rss_mib'] / max(small_run['rss_mib'], 1):.2f}x for {args.rows / small_rows:.0f}x the rows)"
    )


if __name__ == "__main__":
    main()
