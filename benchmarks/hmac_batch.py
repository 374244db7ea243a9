"""Keyed pseudonyms: native batch HMAC-SHA-256 against the Python ``hmac`` loop, same data, same run.

Then the rate of every path this CPU has (``impl=``: ``auto`` is what pseudonyms use; AVX-512 and
SHA-NI run 16 rows at a time, AVX2 8, portable C one), best of three, each checked against the
loop's bytes: raw MACs on all cores, then the fused kernel that writes 128-bit hex pseudonyms (what
``protect`` runs on each batch) on one thread, then raw MACs of rows over 55 bytes (64-character
hex digests, alone and one in eight among phone numbers), which take two inner blocks.

python benchmarks/hmac_batch.py            # 2 M phone numbers
python benchmarks/hmac_batch.py --quick    # 200 k
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from datacustoms.attack.hashes.engine import cpu_features, hmac_sha256_batch


def best_of(call: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    """The fastest of ``runs`` calls, in seconds, and the last call's result."""
    best, got = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        got = call()
        best = min(best, time.perf_counter() - t0)
    return best, got


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
    feats = cpu_features()
    if not feats["native"]:
        return
    from datacustoms import _native

    print(
        f"auto leads with {_native.hmac_auto()} on this CPU (timed once per process where both AVX-512 and SHA-NI are there)"
    )
    impls = ["auto", *(k for k in ("avx512", "sha_ni", "avx2") if feats[k]), "scalar"]
    for impl in impls:
        best, got = best_of(lambda: hmac_sha256_batch(key, values, impl=impl))  # noqa: B023
        print(
            f"  {impl:7s} {n / best / 1e6:6.2f} M rows/s ({py / best:5.1f}x the loop); identical: {got.to_pylist() == ref}"
        )

    print("hex pseudonyms (128 bits), one thread:")
    expected = b"".join(r.hex()[:32].encode() for r in ref)
    bufs = values.buffers()
    for impl in impls:
        text = pa.allocate_buffer(32 * n)
        best, _ = best_of(lambda: _native.hmac_sha256(key, bufs[1], bufs[2], values.offset, n, 4, impl, 16, text))  # noqa: B023
        same_hex = text.to_pybytes() == expected
        print(f"  {impl:7s} {n / best / 1e6:6.2f} M rows/s ({py / best:5.1f}x the loop); identical: {same_hex}")

    # rows over 55 bytes take two inner blocks: the AVX-512 unit leaves them (SHA-NI's takes them)
    m = max(16, n // 4)
    digests = [hashlib.sha256(b"%d" % i).hexdigest() for i in range(m)]
    for label, rows in (
        ("64-character hex digests", digests),
        ("one in eight a 64-character hex digest, the rest phone numbers", [
            d if i % 8 == 0 else f"010{i:08d}" for i, d in enumerate(digests)]),
    ):  # fmt: skip
        arr = pa.array(rows)
        want = [hmac.new(key, r.encode(), "sha256").digest() for r in rows]
        print(f"{label}, raw MACs, {m:,} rows:")
        for impl in impls:
            best, got = best_of(lambda: hmac_sha256_batch(key, arr, impl=impl))  # noqa: B023
            print(f"  {impl:7s} {m / best / 1e6:6.2f} M rows/s; identical: {got.to_pylist() == want}")


if __name__ == "__main__":
    main()
