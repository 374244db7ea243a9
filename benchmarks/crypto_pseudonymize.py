"""Keyed pseudonyms over Arrow batches: ``crypto.pseudonymize`` against a plain Python hmac loop.

Both sides get the same identifiers (Korean mobile numbers) in record-batch-sized Arrow arrays
and produce the same text (HMAC-SHA-256, 128 bits, hex); the script checks that the outputs are
equal, then prints rows per second and the ratio. The baseline is what a careful Python
programmer writes: ``hmac.new(key, value, sha256).hexdigest()[:32]`` per row, with the key
state precomputed and copied. ``--python`` also times our pure-Python fallback.

    python benchmarks/crypto_pseudonymize.py            # 10 M identifiers
    python benchmarks/crypto_pseudonymize.py --quick    # 1 M
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets
import time

import numpy as np
import pyarrow as pa

from datacustoms.protect import crypto


def batches(rows: int, batch_rows: int) -> list[pa.Array]:
    """Distinct 010-numbers in Arrow string arrays of ``batch_rows`` each (built vectorised)."""
    out = []
    rng = np.random.default_rng(7)
    for start in range(0, rows, batch_rows):
        n = min(batch_rows, rows - start)
        numbers = rng.integers(0, 10**8, size=n)
        digits = np.zeros((n, 11), dtype=np.uint8)
        digits[:, :3] = np.frombuffer(b"010", dtype=np.uint8)
        for pos in range(10, 2, -1):
            digits[:, pos] = 48 + numbers % 10
            numbers //= 10
        offsets = np.arange(0, (n + 1) * 11, 11, dtype=np.int32)
        out.append(pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(digits)]))
    return out


def baseline(key: bytes, arrays: list[pa.Array]) -> list[pa.Array]:
    proto = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for arr in arrays:
        res = []
        for v in arr.to_pylist():
            h = proto.copy()
            h.update(v.encode())
            res.append(h.hexdigest()[:32])
        out.append(pa.array(res, pa.string()))
    return out


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch-rows", type=int, default=1 << 20)
    parser.add_argument("--baseline-rows", type=int, default=None, help="rows for the slow baseline (default: all)")
    parser.add_argument("--python", action="store_true", help="also time the pure-Python fallback")
    parser.add_argument("--quick", action="store_true", help="1 M rows")
    args = parser.parse_args()
    rows = 1_000_000 if args.quick else args.rows
    key = crypto.derive_key(secrets.token_bytes(32), recipient="bench", purpose="bench", operation="pseudonymize")
    arrays = batches(rows, args.batch_rows)
    crypto.pseudonymize(key, arrays[0].slice(0, 1000))  # load the native kernel

    _ours, t_ours = timed(lambda: [crypto.pseudonymize(key, a) for a in arrays])
    base_rows = args.baseline_rows or rows
    base_arrays = batches(base_rows, args.batch_rows)
    base, t_base = timed(baseline, key, base_arrays)
    check = crypto.pseudonymize(key, base_arrays[0])
    assert check.equals(base[0]), "outputs differ"
    from datacustoms.attack.hashes.engine import native_available

    r_ours, r_base = rows / t_ours, base_rows / t_base
    print(f"identifiers: {rows:,} in batches of {args.batch_rows:,}; native HMAC kernel: {native_available()}")
    print(f"crypto.pseudonymize (hex, 128 bits): {t_ours:7.2f} s  {r_ours / 1e6:6.2f} M rows/s")
    print(f"plain Python hmac loop ({base_rows:,} rows): {t_base:7.2f} s  {r_base / 1e6:6.2f} M rows/s")
    if args.python:
        _, t_py = timed(lambda: [crypto.pseudonymize(key, a, force_python=True) for a in arrays])
        print(f"our pure-Python fallback:            {t_py:7.2f} s  {rows / t_py / 1e6:6.2f} M rows/s")
    print(f"ratio: {r_ours / r_base:.1f}x the plain Python loop (outputs identical)")


if __name__ == "__main__":
    main()
