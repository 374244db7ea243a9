"""Blind attack on a whole digest column, end to end, against the plain hashlib loop.

Writes a Parquet file with one column of SHA-256 digests (hex) of random Korean mobile numbers
in the ``01012345678`` format, then runs ``attack_column`` as ``inspect`` does: parse the column,
plan recipes from the digest size and the header, enumerate, join the hits back. It checks that
every planted number is recovered and compares the enumeration with the loop a data team would
write (format, ``hashlib.sha256``, look up in a Python set), timed on a slice of the keyspace in
the same run and extrapolated to the full 10^8 (the loop is linear).

Arrow allocates from the C library's heap (its ``system`` pool), as the command line sets its
process up (``datacustoms.launch``); ``--library-pool`` leaves Arrow's own choice (mimalloc), as a
Python caller of ``attack_column`` has it.

    python benchmarks/attack_column.py            # 1 M targets, full 10^8 keyspace
    python benchmarks/attack_column.py --quick    # 100 k targets, for a loaded machine
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

import datacustoms
from datacustoms.launch import prepare

KEYSPACE = 10**8


def write_column(path: Path, n: int, seed: int) -> np.ndarray:
    """n random 010 numbers (with repeats, like a real export) as SHA-256 hex digests."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    numbers = rng.integers(0, KEYSPACE, n)
    writer = pq.ParquetWriter(path, pa.schema([("phone_sha256", pa.string())]))
    for lo in range(0, n, 250_000):
        chunk = [hashlib.sha256(b"010%08d" % x).hexdigest() for x in numbers[lo : lo + 250_000]]
        writer.write_table(pa.table({"phone_sha256": chunk}))
    writer.close()
    return numbers


def hashlib_loop_rate(targets: set[bytes], n: int) -> float:
    """Candidates per second of the plain loop (one core), over the first n numbers."""
    sha = hashlib.sha256
    t0 = time.perf_counter()
    found = 0
    for i in range(n):
        if sha(b"010%08d" % i).digest() in targets:
            found += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, default=1_000_000, help="rows in the digest column")
    ap.add_argument("--budget", type=float, default=120.0, help="attack budget in seconds")
    ap.add_argument("--baseline-slice", type=int, default=2_000_000, help="candidates the hashlib loop runs")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--quick", action="store_true", help="100 k targets, a 500 k baseline slice")
    ap.add_argument("--library-pool", action="store_true", help="Arrow's own memory pool, not the CLI's")
    args = ap.parse_args()
    # before anything imports pyarrow: Arrow chooses its memory pool when it first allocates
    if not args.library_pool:
        prepare(["attack"])
    import pyarrow as pa

    from datacustoms.attack import attack_column
    from datacustoms.attack.hashes.engine import cpu_features, native_available

    if args.quick:
        args.targets, args.baseline_slice = 100_000, 500_000
    print(f"native engine: {native_available()}  cpu: {cpu_features()}  load average {os.getloadavg()}")
    pool = pa.default_memory_pool().backend_name
    print(f"Arrow memory pool: {pool}" + ("" if args.library_pool else " (as the command line sets it)"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.parquet"
        numbers = write_column(path, args.targets, args.seed)
        table = datacustoms.read(path)
        # pyarrow imports pandas, where installed (an optional extra), at its first conversion of
        # Python objects: 0.1-0.3 s that any run pays once at start-up, not the attack's work
        pa.array([0])
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        res = attack_column(table, "phone_sha256", budget_s=args.budget, reveal=False)
        ours = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF)
    planted = len(np.unique(numbers))
    print(f"column: {args.targets:,} rows, {res.distinct_digests:,} distinct digests")
    print(f"status: {res.status}, recipe: {res.recipe}")
    print(f"reversed: {res.rows_reversed:,} rows, {res.distinct_reversed:,} distinct (planted {planted:,})")
    assert res.distinct_reversed == planted and res.rows_reversed == args.targets, "not every planted number came back"
    enum = next((t for t in res.recipes_tried if t.hits), None)
    enum_s = enum.seconds if enum else float("nan")
    print(f"datacustoms: {ours:.2f} s end to end (parse, plan, enumerate 10^8, join); enumeration {enum_s:.2f} s; "
          f"end to end / enumeration = {ours / enum_s:.2f}")  # fmt: skip
    # the kernel's share: mapping fresh memory in (page faults) costs microseconds a page on a
    # virtual machine whose host takes freed memory back
    print(f"CPU of the attack: user {after.ru_utime - before.ru_utime:.2f} s, "
          f"system {after.ru_stime - before.ru_stime:.2f} s ({after.ru_minflt - before.ru_minflt:,} page faults)")  # fmt: skip
    digests = {hashlib.sha256(b"010%08d" % x).digest() for x in numbers[: min(len(numbers), 1_000_000)]}
    rate = hashlib_loop_rate(digests, args.baseline_slice)
    loop_s = KEYSPACE / rate
    print(f"hashlib loop: {rate / 1e6:.2f} M/s on one core -> {loop_s:.1f} s for 10^8 (extrapolated)")
    print(f"ratio (hashlib loop / datacustoms enumeration): {loop_s / enum_s:.1f}x")
    print(f"ratio (hashlib loop / datacustoms end to end): {loop_s / ours:.1f}x")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
