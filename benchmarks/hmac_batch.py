"""Keyed pseudonyms: native batch HMAC-SHA-256 against the Python ``hmac`` loop, same data, same run.

python benchmarks/hmac_batch.py            # 2 M phone numbers
python benchmarks/hmac_batch.py --quick    # 200 k
"""

from __future__ import annotations

import argparse
import hmac
import os
import time

import pyarrow as pa

from datacustoms.attack.hashes.engine import cpu_features, hmac_sha256_batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--quick", action="store_true", help="200 k rows")
    a = ap.parse_args()
    n = 200_000 if a.quick else a.rows
    print(f"cpu: {os.cpu_count()} cores, features {cpu_features()}, load average {os.getloadavg()}")
    values = pa.array([f"010-{i % 10000:04d}-{(i * 7919) % 10000:04d}" for i in range(n)], pa.string())
    key = bytes(range(32))

    t0 = time.perf_counter()
    out = hmac_sha256_batch(key, values)
    native = time.perf_counter() - t0

    proto = hmac.new(key, digestmod="sha256")
    t0 = time.perf_counter()
    ref = []
    for v in values.to_pylist():
        h = proto.copy()
        h.update(v.encode())
        ref.append(h.digest())
    py = time.perf_counter() - t0

    same = out.to_pylist() == ref
    print(f"native batch: {n / native / 1e6:.2f} M rows/s ({native:.2f} s, Arrow in and out)")
    print(f"python hmac loop: {n / py / 1e6:.2f} M rows/s ({py:.2f} s)")
    print(f"ratio: {py / native:.1f}x; identical output: {same}; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
