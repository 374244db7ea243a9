"""'Where did my data go?' across many recorded transfers, and the ledger bytes each transfer costs.

Target (issue "six years of daily exports"): one subject looked up across 1,000 recorded
transfers in ≤ 50 ms. The ledger (SQLite) is filled with ``--transfers`` sent transfers to one
recipient, each with ``--subjects`` indexed subjects, a subject-index coverage and an exposure
fingerprint computed by the real code on a ``--rows``-row release (its keyed sketch); then one
subject that was in every transfer is looked up as ``ledger lookup`` does it: the index query plus
the scan for transfers that could not be indexed. The baseline is the lookup without the index:
read every entry and test the subject's token against a stored list (what a log without a
subject index would have to do).

Also printed: the bytes of one exposure fingerprint and of one whole transfer entry, and how the
fingerprint grows with the rows sent (it does not: at most 1,024 sampled digests per column).

    python benchmarks/ledger_lookup.py                      # 1,000 transfers × 1,000 subjects
    python benchmarks/ledger_lookup.py --transfers 100      # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa


def release(rows: int, seed: int) -> Any:
    from datacustoms.table import from_arrow

    rng = np.random.default_rng(seed)
    return from_arrow(pa.table({
        "pseudonym": [f"p{i:09d}" for i in range(rows)],
        "band": [str(x) for x in rng.integers(0, 7, rows)],
        "count": [str(x) for x in rng.integers(0, 4, rows)],
    }))  # fmt: skip


def fingerprint_bytes(key: bytes) -> list[tuple[int, int]]:
    from datacustoms.ledger.exposure import canonical, fingerprint

    return [(rows, len(canonical(fingerprint(release(rows, 1), ["band", "count"], key))))
            for rows in (1_000, 10_000, 100_000, 1_000_000)]  # fmt: skip


def fill(store: Any, transfers: int, subjects: int, rows: int) -> str:
    from datacustoms.ledger.exposure import fingerprint, writer
    from datacustoms.ledger.subject_index import INCOMPLETE

    fp = fingerprint(release(rows, 2), ["band", "count"], store.key)
    sha, write = writer(store, fp)
    hasher = store.hasher
    everyone = hasher.token("phone", "+821012345678")
    for t in range(transfers):
        tokens = [everyone] + [hasher.token("customer_id", f"{t}-{i}") for i in range(subjects - 1)]
        body = {"transfer_id": f"{t:032x}", "status": "sent", "recipient": {"name": "Alipay Singapore", "country": "SG"},
                "purpose": "NSF score", "data_items": ["pseudonym", "band", "count"], "subjects_indexed": subjects,
                "subject_index": {"sources": [{"column": "account_sha256", "how": "sha256 (hex)", "rows_matched": rows,
                                               "rows_unmatched": 0}], "not_indexed": []},
                "exposure_sha256": sha}  # fmt: skip
        store.append("transfer", body, tokens if t % 100 else [*tokens, INCOMPLETE],  # 1% incomplete
                     within=lambda conn, seq: write(conn, seq))  # fmt: skip
    return everyone


def ours(store: Any, token: str) -> int:
    from datacustoms.ledger.subject_index import unindexed_transfers

    hits = store.lookup(token)
    unindexed_transfers(store)
    return len(hits)


def baseline(store: Any, token: str) -> int:
    return sum(1 for e in store.iter_entries("transfer") if token in store.subject_tokens(e.seq))


def timed(fn: Any, *args: Any, repeat: int = 5) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transfers", type=int, default=1_000)
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the release each fingerprint sketches")
    args = parser.parse_args()
    from datacustoms.ledger import LedgerStore

    with tempfile.TemporaryDirectory(prefix="bench-lookup-") as tmp:
        store = LedgerStore(f"sqlite:///{Path(tmp) / 'ledger.db'}")
        print(f"load average before the run: {os.getloadavg()[0]:.2f} (2 cores)")
        for rows, size in fingerprint_bytes(store.key):
            print(f"exposure fingerprint of a {rows:>9,}-row release: {size:>7,} bytes")
        start = time.perf_counter()
        token = fill(store, args.transfers, args.subjects, args.rows)
        print(f"filled {args.transfers:,} transfers × {args.subjects:,} subjects in {time.perf_counter() - start:.1f} s")
        entry = store.entries("transfer")[0]
        print(f"one transfer entry body: {len(json.dumps(entry.body)):,} bytes (its fingerprint beside it in "
              f"dc_exposure); "
              f"ledger file {(Path(tmp) / 'ledger.db').stat().st_size / 1e6:.1f} MB")
        ours_s, hits = timed(ours, store, token)
        base_s, base_hits = timed(baseline, store, token, repeat=1)
        assert hits == base_hits == args.transfers
        print(f"lookup of one subject across {args.transfers:,} transfers: ours {ours_s * 1000:.1f} ms "
              f"(index query + scan for unindexed transfers), baseline {base_s * 1000:.0f} ms "
              f"(every entry's token list read); {hits:,} transfers found")
        store.close()


if __name__ == "__main__":
    main()
