"""Reverse plain-SHA-256 hashed Korean mobile numbers: the engine against hashlib (and hashcat).

Plants N random numbers from the 01012345678 keyspace as SHA-256 targets, enumerates the whole
keyspace with the native engine, checks that exactly the planted numbers come back, and compares
the rate with a plain hashlib loop (and with hashcat's CPU mask attack when it is installed), all
in the same run. Also times the four common phone formats, the whole keyspace under double
SHA-256 (over the hex of the first digest) against the loop that hashes twice, and the memory
of a 10 M target set.

    python benchmarks/reverse_phones.py            # the headline run (1 M targets, 10^8 keyspace)
    python benchmarks/reverse_phones.py --quick    # a small run for a loaded machine
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa

from datacustoms.attack.hashes import engine
from datacustoms.attack.hashes.engine import Mask, TargetSet, cpu_features, search_mask
from peak import peak_rss_mb

FORMATS = [b"010XXXXXXXX", b"010-XXXX-XXXX", b"+8210XXXXXXXX", b"+82 10-XXXX-XXXX"]


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def plant(keyspace: int, n: int, seed: int = 2024) -> np.ndarray:
    """n distinct counter values in [0, keyspace)."""
    rng = np.random.default_rng(seed)
    if n * 4 > keyspace:
        return np.sort(rng.choice(keyspace, n, replace=False))
    idx = np.unique(rng.integers(0, keyspace, int(n * 1.05) + 16))
    return np.sort(rng.choice(idx, n, replace=False))


def targets_for(mask: Mask, idx: np.ndarray) -> TargetSet:
    return TargetSet.from_digests((hashlib.sha256(mask.candidate(int(i))).digest() for i in idx), 32)


def hashlib_rate(digests: set[bytes], n: int) -> float:
    """The tightest plain loop: bytes formatting, raw digests, a set of raw target digests."""
    sha = hashlib.sha256
    t0 = time.perf_counter()
    found = 0
    for i in range(n):
        if sha(b"010%08d" % i).digest() in digests:
            found += 1
    return n / (time.perf_counter() - t0)


def hashlib_hex_rate(hexes: set[str], n: int) -> float:
    """The loop as a data team first writes it against the export's hex column."""
    t0 = time.perf_counter()
    found = 0
    for i in range(n):
        phone = f"010{i:08d}"
        if hashlib.sha256(phone.encode()).hexdigest() in hexes:
            found += 1
    return n / (time.perf_counter() - t0)


def run_hashcat(idx: np.ndarray, mask: Mask, keyspace: int) -> None:
    exe = shutil.which("hashcat")
    if not exe:
        print("hashcat: not installed, comparison skipped")
        return
    digits = len(str(keyspace - 1)) if keyspace > 1 else 0
    hc_mask = "010" + "0" * (8 - digits) + "?d" * digits
    with tempfile.TemporaryDirectory() as tmp:
        hashes = os.path.join(tmp, "hashes.txt")
        out = os.path.join(tmp, "found.txt")
        with open(hashes, "w") as f:
            for i in idx:
                f.write(hashlib.sha256(mask.candidate(int(i))).hexdigest() + "\n")
        session = f"datacustoms-bench-{os.getpid()}"  # hashcat refuses a second default session

        def hashcat(mask_text: str) -> tuple[subprocess.CompletedProcess[str], float]:
            cmd = [exe, "-m", "1400", "-a", "3", "--potfile-disable", "-O", "-w", "3", "--quiet",
                   "--session", session, "--outfile", out, hashes, mask_text]  # fmt: skip
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp)
            return proc, time.perf_counter() - t0

        hashcat("010" + "0" * 4 + "?d" * 4)  # warm-up: compiles and caches the OpenCL kernel
        if os.path.exists(out):
            os.remove(out)
        proc, dt = hashcat(hc_mask)
        if proc.returncode not in (0, 1):  # 0: all cracked, 1: keyspace exhausted
            print(f"hashcat: failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
            return
        cracked = 0
        if os.path.exists(out):
            with open(out) as f:
                cracked = sum(1 for _ in f)
        print(f"hashcat {hc_mask}: {cracked:,} cracked in {dt:.2f} s (wall, incl. start-up) "
              f"= {keyspace / dt / 1e6:.1f} M candidates/s")  # fmt: skip
        BENCH["hashcat_rate"] = keyspace / dt
        # hashcat's own steady-state speed, without start-up (the fairer comparison)
        cmd = [exe, "-m", "1400", "-a", "3", "--potfile-disable", "-O", "-w", "3", "--speed-only",
               "--session", session, hashes, hc_mask]  # fmt: skip
        sp = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp)
        speed = parse_speed(sp.stdout)
        if speed:
            print(f"hashcat --speed-only: {speed / 1e6:.1f} M candidates/s (kernel speed, no start-up)")
            BENCH["hashcat_speed"] = speed


BENCH: dict[str, float] = {}
UNITS = {"H/s": 1.0, "kH/s": 1e3, "MH/s": 1e6, "GH/s": 1e9}


def parse_speed(text: str) -> float:
    """Sum of hashcat's per-device "Speed.#N....: 18012.3 kH/s" lines (or its "Speed.#*" total)."""
    total, devices = 0.0, 0.0
    for line in text.splitlines():
        if not line.startswith("Speed.#"):
            continue
        parts = line.split(":", 1)[1].split()
        if len(parts) >= 2 and parts[1] in UNITS:
            value = float(parts[0]) * UNITS[parts[1]]
            if line.startswith("Speed.#*"):
                total = value
            else:
                devices += value
    return total or devices


def memory_child(n: int) -> None:
    """Build an n-digest target set in a fresh process and print its peak RSS."""
    rng = np.random.default_rng(5)
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    import pyarrow as pa

    arr = pa.FixedSizeBinaryArray.from_buffers(pa.binary(32), n, [None, pa.py_buffer(raw.tobytes())])
    del raw
    t0 = time.perf_counter()
    ts = TargetSet.from_digests(arr, 32)
    del arr
    ts._native_handle()
    mask = Mask.from_pattern(b"010XXXXXXXX")
    search_mask(mask, "sha256", ts, stop=1_000_000)
    print(f"{len(ts):,} targets built in {time.perf_counter() - t0:.1f} s, peak RSS {peak_rss_mb():.0f} MB")


def double_hashes(mask: Mask, idx: np.ndarray, keyspace: int, threads: int | None, n: int) -> None:
    """sha256 over the hex of sha256 (a "stronger" hash some senders use): the whole keyspace
    against the loop that hashes twice, same run."""
    twice = [hashlib.sha256(hashlib.sha256(mask.candidate(int(i))).hexdigest().encode()).digest() for i in idx]
    ts = TargetSet.from_digests(twice, 32)
    t0 = time.perf_counter()
    found = search_mask(mask, "sha256", ts, threads=threads, rounds=2)
    dt = time.perf_counter() - t0
    wanted = set(twice)
    sha, t1 = hashlib.sha256, time.perf_counter()
    for i in range(n):
        if sha(sha(b"010%08d" % i).hexdigest().encode()).digest() in wanted:
            pass
    loop = n / (time.perf_counter() - t1)
    print(f"double sha256(hex(sha256)): {keyspace:,} candidates in {dt:.2f} s = {keyspace / dt / 1e6:.1f} M/s, "
          f"hits {len(found):,} == {len(idx):,}: {np.array_equal(found.indices, idx)}; the loop hashing twice "
          f"{loop / 1e6:.2f} M/s: {keyspace / dt / loop:.0f}x")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=1_000_000, help="planted SHA-256 targets")
    ap.add_argument("--keyspace", type=int, default=10**8, help="power of ten, at most 10^8")
    ap.add_argument("--hashlib-slice", type=int, default=2_000_000, help="candidates for the hashlib loop")
    ap.add_argument("--format-targets", type=int, default=100_000, help="targets per phone format")
    ap.add_argument("--double-targets", type=int, default=100_000, help="double-hashed targets (0: skip)")
    ap.add_argument("--memory-targets", type=int, default=10_000_000, help="size of the memory check (0: skip)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-hashcat", action="store_true", help="do not run hashcat even when installed")
    ap.add_argument("--quick", action="store_true", help="small sizes for a loaded machine")
    ap.add_argument("--memory-child", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.memory_child:
        memory_child(a.memory_child)
        return
    if a.quick:
        a.targets, a.keyspace, a.hashlib_slice = 100_000, 10**7, 300_000
        a.format_targets, a.memory_targets, a.double_targets = 20_000, 0, 20_000
    cores = os.cpu_count() or 1
    print(f"cpu: {cores} cores, features {cpu_features()}, load average {os.getloadavg()}")
    mask = Mask.from_pattern(b"010XXXXXXXX")
    mask = Mask(mask.template, mask.positions[-len(str(a.keyspace - 1)) :]) if a.keyspace < 10**8 else mask
    base = b"010" + b"0" * (8 - len(mask.positions))

    idx = plant(a.keyspace, a.targets)
    t0 = time.perf_counter()
    targets = targets_for(mask, idx)
    print(f"planted {len(targets):,} SHA-256 targets in a keyspace of {a.keyspace:,} ({base.decode()}…) "
          f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip

    cpu0, t0 = cpu_seconds(), time.perf_counter()
    # the lookup tables, the one-off kernel timing and the C verifier's self-test (overlapped on
    # two threads, as search_mask does them), inside the timed run but timed apart so the split
    # is visible
    engine._prepare(mask, "sha256", targets)
    t_kernels, cpu_k = time.perf_counter(), cpu_seconds()
    hits = search_mask(mask, "sha256", targets, threads=a.threads)
    cpu_enum = cpu_seconds() - cpu_k  # enumeration and verification only
    dt, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    ok = bool(np.array_equal(hits.indices, idx))
    rate = a.keyspace / dt
    print(f"engine: {a.keyspace:,} candidates in {dt:.2f} s = {rate / 1e6:.1f} M/s "
          f"({rate / cores / 1e6:.1f} M/s per core), every one of the {len(hits):,} hits re-hashed in C "
          f"from its plaintext and a random sample with hashlib; hits == planted {len(idx):,}: {ok}")  # fmt: skip
    print(f"  of which: lookup tables for {len(targets):,} targets, timing the kernels and the verifier's self-test (overlapped) "
          f"{t_kernels - t0:.2f} s, enumeration and verification {t0 + dt - t_kernels:.2f} s")  # fmt: skip
    print(f"engine CPU time: {cpu:.2f} s = {a.keyspace / cpu / 1e6:.1f} M candidates per CPU-second "
          "(robust to other processes on the machine)")  # fmt: skip

    # The previous verification, same run: every hit re-hashed with hashlib on the main thread.
    saved = list(engine._C_VERIFIER)
    engine._C_VERIFIER[:] = [False]
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    old = search_mask(mask, "sha256", targets, threads=a.threads)
    dt_old, cpu_old = time.perf_counter() - t0, cpu_seconds() - cpu0
    engine._C_VERIFIER[:] = saved
    print(f"baseline, every hit re-hashed with hashlib (the previous path): {dt_old:.2f} s "
          f"= {a.keyspace / dt_old / 1e6:.1f} M/s, CPU time {cpu_old:.2f} s "
          f"({a.keyspace / cpu_old / 1e6:.1f} M candidates per CPU-second); same hits: {old == hits}")  # fmt: skip

    # The per-candidate rate alone: the same keyspace against as many targets that never match
    # (random digests), so no time goes to hits. The difference is the cost of 1 M hits.
    noise = pa.py_buffer(np.random.default_rng(1).bytes(32 * a.targets))
    decoys = TargetSet.from_digests(pa.FixedSizeBinaryArray.from_buffers(pa.binary(32), a.targets, [None, noise]), 32)
    engine._prepare(mask, "sha256", decoys)  # its lookup tables, outside the timed run
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    none = search_mask(mask, "sha256", decoys, threads=a.threads)
    scan, cpu_none = a.keyspace / (time.perf_counter() - t0), cpu_seconds() - cpu0
    print(f"enumeration with lookup, no hits: {scan / 1e6:.1f} M/s ({scan / cores / 1e6:.1f} M/s per core, "
          f"{len(none)} hits), CPU time {cpu_none:.2f} s; 1 M hits cost {(a.keyspace / rate - a.keyspace / scan):.2f} s "
          f"of wall time and {cpu_enum - cpu_none:.2f} CPU-s (the previous path: {cpu_old - cpu_none:.2f} CPU-s; "
          f"enumeration and verification took {cpu_enum:.2f} CPU-s, the previous path {cpu_old:.2f})")  # fmt: skip

    n = min(a.hashlib_slice, a.keyspace)
    digest_set = {hashlib.sha256(mask.candidate(int(i))).digest() for i in idx}
    hl = hashlib_rate(digest_set, n)
    hx = hashlib_hex_rate({d.hex() for d in digest_set}, n // 2)
    print(f"hashlib loop (bytes, raw digests): {hl / 1e6:.2f} M/s on {n:,} candidates "
          f"(10^8 would take {1e8 / hl:.0f} s); engine / loop = {rate / hl:.0f}x end to end, "
          f"{scan / hl:.0f}x per candidate")  # fmt: skip
    print(f"hashlib loop (f-string, hexdigest, hex set): {hx / 1e6:.2f} M/s; engine / loop = "
          f"{rate / hx:.0f}x end to end, {scan / hx:.0f}x per candidate")  # fmt: skip

    if a.skip_hashcat:
        print("hashcat: skipped (--skip-hashcat)")
    else:
        run_hashcat(idx, mask, a.keyspace)
    if "hashcat_rate" in BENCH:
        print(f"engine / hashcat (wall) = {rate / BENCH['hashcat_rate']:.1f}x")
    if "hashcat_speed" in BENCH:
        print(f"engine / hashcat (kernel speed) = {rate / BENCH['hashcat_speed']:.1f}x")

    total = 0.0
    fidx = idx[: a.format_targets]
    for fmt in FORMATS if a.format_targets else []:
        m = Mask.from_pattern(fmt)
        if a.keyspace < 10**8:
            m = Mask(m.template, m.positions[-len(mask.positions) :])
        ts = targets_for(m, fidx)
        t0 = time.perf_counter()
        found = search_mask(m, "sha256", ts, stop=a.keyspace, threads=a.threads)
        d = time.perf_counter() - t0
        total += d
        print(f"format {fmt.decode():18s} {d:6.2f} s  hits {len(found):,} == {len(fidx):,}: "
              f"{len(found) == len(fidx)}")  # fmt: skip
    if a.format_targets:
        print(f"four formats: {total:.2f} s in all")
    if a.double_targets:
        double_hashes(mask, idx[: a.double_targets], a.keyspace, a.threads, min(a.hashlib_slice, a.keyspace) // 4)
    print(f"peak RSS: {peak_rss_mb():.0f} MB; load average {os.getloadavg()}")

    if a.memory_targets:
        subprocess.run([sys.executable, __file__, "--memory-child", str(a.memory_targets)], check=False)


if __name__ == "__main__":
    main()
