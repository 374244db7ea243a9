"""The blind planner on a column whose header says nothing, against the same column under ``phone``.

Plants N random Korean mobiles (010 + 8 digits), hashes them with plain SHA-256 (hex), and runs
blind mode with the default plan (every keyspace that fits a 32-byte digest) three times, with
the same digests under three headers: ``phone`` (the header names the keyspace), ``value`` (says
nothing) and ``cust_key`` (misleading: it suggests numeric serials). For each it prints the time to
the first reversed digest and to the full result, and the ratio to the ``phone`` run (target:
within 1.5×). A header only reorders the plan; before the planner ranked every keyspace by cost,
``cust_key`` spent its whole budget on serials up to 10^10 and reversed nothing.

    python benchmarks/blind_planner.py                 # 200 000 rows
    python benchmarks/blind_planner.py --rows 1000000  # the issue's upper size
    python benchmarks/blind_planner.py --format dashes # digests of 010-XXXX-XXXX
"""

from __future__ import annotations

import argparse
import hashlib
import time
from typing import Any

import numpy as np
import pyarrow as pa

from datacustoms.attack import attack_column
from datacustoms.attack.hashes import runner as runner_mod
from datacustoms.table import from_arrow

HEADERS = ("phone", "value", "cust_key")


def digests(rows: int, fmt: str, seed: int = 16) -> list[str]:
    rng = np.random.default_rng(seed)
    numbers = rng.integers(0, 10**8, rows)
    if fmt == "dashes":
        plain = [f"010-{n // 10**4:04d}-{n % 10**4:04d}".encode() for n in numbers.tolist()]
    else:
        plain = [f"010{n:08d}".encode() for n in numbers.tolist()]
    return [hashlib.sha256(p).hexdigest() for p in plain]


def run(values: list[str], header: str, budget: float) -> tuple[float | None, float, Any]:
    """(seconds to the first hit, seconds to the result, the result) for one header."""
    first: list[float] = []
    started = time.perf_counter()
    # hits arrive through Found.add (digest lists) or Found.add_rows (rows the C kernel verified)
    real = {name: getattr(runner_mod.Found, name) for name in ("add", "add_rows")}

    def timed(name: str) -> Any:
        def add(self: Any, *args: Any, **kw: Any) -> int:
            new = real[name](self, *args, **kw)
            if new and not first:
                first.append(time.perf_counter() - started)
            return new

        return add

    for name in real:
        setattr(runner_mod.Found, name, timed(name))
    try:
        table = from_arrow(pa.table({header: pa.array(values, pa.string())}), name="export")
        res = attack_column(table, header, header=header, budget_s=budget)
    finally:
        for name, method in real.items():
            setattr(runner_mod.Found, name, method)
    return (first[0] if first else None), time.perf_counter() - started, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--format", choices=["digits", "dashes"], default="digits")
    ap.add_argument("--budget", type=float, default=600.0)
    args = ap.parse_args()
    values = digests(args.rows, args.format)
    print(f"{args.rows:,} SHA-256 digests of 010 mobiles ({args.format}), default blind plan, budget {args.budget:.0f} s")
    run(values[:1000], "warmup", 5.0)  # rate measurements and the keyspace catalogue, once per process
    results = {h: run(values, h, args.budget) for h in HEADERS}
    base_first, base_full, _ = results["phone"]
    print(f"{'header':<10} {'first hit':>10} {'full result':>12} {'vs phone':>9}  status, recipe")
    for header, (first, full, res) in results.items():
        shown = f"{first:.2f} s" if first is not None else "—"
        print(
            f"{header:<10} {shown:>10} {full:>10.2f} s {full / base_full:>8.2f}×  "
            f"{res.status} ({res.distinct_reversed_share:.1%}), {res.recipe}"
        )
    for header in ("value", "cust_key"):
        first = results[header][0]
        if first is not None and base_first:
            print(f"first hit, {header} vs phone: {first / base_first:.2f}×")
    print("target: the full result under a neutral header within 1.5× of the phone header")


if __name__ == "__main__":
    main()
