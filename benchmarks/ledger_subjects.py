"""Keyed subject hashing for the transfer ledger: the Arrow + batch-HMAC path against a per-row loop.

Every transfer hashes each row's phone number and email (normalised, then HMAC-SHA-256 under the
ledger key) for the consent check and the "where did my data go?" index. Both sides get the same
Arrow batches of Korean mobiles in mixed formats (``010-1234-5678``, ``01012345678``,
``+82 10-1234-5678``) and emails; the script checks the tokens are equal, then prints rows per
second and the ratio. The baseline is the straightforward Python loop: normalise each value, then
``hmac`` with the key state precomputed and copied (:meth:`SubjectHasher.hash_value`).

    python benchmarks/ledger_subjects.py            # 1 M identifiers
    python benchmarks/ledger_subjects.py --quick    # 100 k
"""

from __future__ import annotations

import argparse
import secrets
import time

import numpy as np
import pyarrow as pa

from datacustoms.ledger.subjects import SubjectHasher


def make_batches(rows: int, batch_rows: int, seed: int = 7) -> list[pa.Array]:
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, rows, batch_rows):
        n = min(batch_rows, rows - start)
        mid = rng.integers(2000, 10000, n)
        last = rng.integers(0, 10000, n)
        form = rng.integers(0, 4, n)
        values = []
        for m, la, f in zip(mid.tolist(), last.tolist(), form.tolist(), strict=True):
            if f == 0:
                values.append(f"010-{m:04d}-{la:04d}")
            elif f == 1:
                values.append(f"010{m:04d}{la:04d}")
            elif f == 2:
                values.append(f"+82 10-{m:04d}-{la:04d}")
            else:
                values.append(f"user{m}{la}@naver.com")
        out.append(pa.array(values, pa.string()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-rows", type=int, default=65_536)
    parser.add_argument("--quick", action="store_true", help="100 k rows")
    args = parser.parse_args()
    rows = 100_000 if args.quick else args.rows
    batches = make_batches(rows, args.batch_rows)
    hasher = SubjectHasher(secrets.token_bytes(32))

    start = time.perf_counter()
    ours = [hasher.hash_array(b) for b in batches]
    t_ours = time.perf_counter() - start

    start = time.perf_counter()
    base = [[hasher.hash_value(v) for v in b.to_pylist()] for b in batches]
    t_base = time.perf_counter() - start

    assert ours == base, "the batch path and the per-row loop disagree"
    print(f"rows: {rows:,} (Korean mobiles in 3 formats and emails)")
    print(f"datacustoms hash_array (Arrow normalise + batch HMAC): {rows / t_ours:12,.0f} rows/s  {t_ours:.2f} s")
    print(f"baseline per-row normalise + hmac loop:                {rows / t_base:12,.0f} rows/s  {t_base:.2f} s")
    print(f"ratio: {t_base / t_ours:.1f}x")


if __name__ == "__main__":
    main()
