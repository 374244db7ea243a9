"""Per-core rate of every search kernel this CPU has, against the plain hashlib loop, same run.

One thread, CPU time (``time.thread_time``), candidates of ``010XXXXXXXX``: each native path
(``impl=``) over 10^7 candidates (10^6 for portable C), best of three, against a few random
targets and against 1 M targets of which 1 % of the candidates are hits (each hit re-hashed with
hashlib, as always), and for each SIMD path the kernel alone (``_native.kernel_rate``: the first
group of lanes hashed over and over, no message rows, no lookup), so the search loop's cost
shows. ``auto`` is the kernel the engine times and picks for this mask. The ``double`` line is the same over double hashes (the algorithm again over the hex of the first
digest) against the loop that hashes twice.

    python benchmarks/kernel_rates.py
    python benchmarks/kernel_rates.py --quick    # 10x fewer candidates
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

import numpy as np

from datacustoms.attack.hashes.engine import Mask, TargetSet, _fastest_impl, _native, _plan, cpu_features, search_mask


def per_cpu_second(mask: Mask, algorithm: str, targets: TargetSet, impl: str, n: int, rounds: int = 1) -> float:
    """Best of three single-thread runs, in candidates per CPU-second of this thread."""
    best = 0.0
    for _ in range(3):
        t0 = time.thread_time()
        search_mask(mask, algorithm, targets, stop=n, threads=1, impl=impl, rounds=rounds)
        best = max(best, n / max(time.thread_time() - t0, 1e-9))
    return best


def hashlib_loop(algorithm: str, n: int, rounds: int = 1) -> float:
    """The plain loop: format, hash with the named hashlib constructor, take the raw digest
    (with ``rounds=2``, hash the hex digest again)."""
    ctor, t0 = getattr(hashlib, algorithm), time.thread_time()
    if rounds == 2:
        for i in range(n):
            ctor(ctor(b"010%08d" % i).hexdigest().encode()).digest()
    else:
        for i in range(n):
            ctor(b"010%08d" % i).digest()
    return n / (time.thread_time() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10x fewer candidates")
    a = ap.parse_args()
    scale = 10 if a.quick else 1
    feats = cpu_features()
    print(f"cpu: {os.cpu_count()} cores, features {feats}, load average {os.getloadavg()}")
    if not feats["native"]:
        print("the native extension is not built: nothing to measure")
        return
    mask, rng = Mask.from_pattern(b"010XXXXXXXX"), np.random.default_rng(7)
    n = 10_000_000 // scale
    few = {alg: TargetSet.from_digests([rng.bytes(size) for _ in range(100)], size)
           for alg, size in (("sha256", 32), ("md5", 16), ("sha1", 20))}  # fmt: skip
    planted = rng.choice(n, n // 100, replace=False)
    many = TargetSet.from_digests(
        [hashlib.sha256(mask.candidate(int(i))).digest() for i in planted]
        + [rng.bytes(32) for _ in range(1_000_000 - len(planted))],
        32,
    )
    paths = ["auto", "scalar"] + [k for k in ("sha_ni", "avx2", "avx512") if feats[k]]
    print(f"auto runs {_fastest_impl(mask, 'sha256')} for this mask")
    for alg in ("sha256", "md5", "sha1"):
        base = hashlib_loop(alg, 1_000_000 // scale)
        print(f"{alg}: hashlib loop {base / 1e6:.2f} M/s per core")
        for impl in paths if alg == "sha256" else ["auto", "scalar"]:
            m = n // 10 if impl == "scalar" else n
            r_few = per_cpu_second(mask, alg, few[alg], impl, m)
            line = f"  {impl:7s} 100 targets {r_few / 1e6:6.1f} M/s ({r_few / base:5.0f}x the loop)"
            if alg == "sha256":
                r_many = per_cpu_second(mask, alg, many, impl, m)
                line += f" | 1 M targets, 1 % hits {r_many / 1e6:6.1f} M/s"
                if impl not in ("auto", "scalar"):  # the search loop's own cost is the difference
                    alone = max(_native.kernel_rate(_plan(mask, alg), impl, m // 16) for _ in range(3))
                    line += f" | kernel alone {alone / 1e6:6.1f} M/s"
            print(line, flush=True)
        base2 = hashlib_loop(alg, 500_000 // scale, rounds=2)
        r2 = per_cpu_second(mask, alg, few[alg], "auto", n // 2, rounds=2)
        print(f"  double  100 targets {r2 / 1e6:6.1f} M/s ({r2 / base2:5.0f}x the loop hashing twice, "
              f"{base2 / 1e6:.2f} M/s)", flush=True)


if __name__ == "__main__":
    main()
