"""Spark ``local[2]`` vs the embedded engine on a scenario-shaped export: rows/s and driver memory.

The export looks like the Kakao Pay flow: a plain-SHA-256 phone column, a customer number, age,
sex, province, join date, a merchant category and an amount. It is generated with numpy and
pyarrow straight to Parquet (1 M-row row groups), never through Python objects per row.

Stages, each run for each engine in a fresh subprocess (so peak memory is the stage's own):

* ``inspect``  — detection on a sample and the risk profile over (age, sex, province) with the
  category as sensitive column, without the keyspace attack;
* ``digests``  — the per-row half of a reversal with the recipe known: decode the digest column
  and count its distinct digests (embedded: streamed on the driver; Spark: ``groupBy``);
* ``reversal`` — the whole blind reversal of the digest column as ``inspect`` runs it, against the
  010 mobile keyspace (the digests counted by the engine, enumerated and verified on the driver):
  the driver's peak memory with every distinct digest reversed;
* ``protect``  — HMAC pseudonym of the digest column, age and date generalised, the customer
  number dropped, written as Parquet (Spark: a committed folder);
* ``cluster-digests`` — ``digests`` down a cluster's path on ``local[2]`` (Spark only; the local-master
  check patched to false): grouped by Spark's shuffle, then streamed to the driver through Spark
  (the baseline), and again with ``spark.datacustoms.sharedDir`` (the tasks write runs to a folder
  the driver merges), the same digests and counts asserted;
* ``keyspace`` — enumerating a slice of the 010 mobile keyspace against the export's distinct
  digests: the driver's native engine vs the Spark engine's mask farm (slices of the keyspace in
  Spark tasks, each against all the digests, shipped once; ``spark.datacustoms.enumerate``).

CPU seconds: the stage's process and its live descendants (the JVM, which in local mode hosts
the executors, and the Python workers), the session start excluded; on a shared machine they move
less with other work than wall time does.

Peak memory: the Python driver's peak RSS (``VmHWM``) and the peak of its anonymous memory alone
(``RssAnon``, sampled every 20 ms: ``VmHWM`` also counts the pages of the memory-mapped digest
file, page cache the kernel reclaims under pressure) and, for Spark, the peak RSS of the JVM
(``VmHWM``; in local mode it hosts the executors too) and of the largest Python worker.

``--again`` runs each stage a second time in the same process (a warm session: the JVM and the
Python workers started, as in a notebook or a service) and reports that run beside the first;
``--spark-conf KEY=VALUE`` passes a setting to the Spark runs' session (to compare, say,
``spark.datacustoms.reader=spark`` or ``spark.datacustoms.classArchive=off``).

    python benchmarks/spark_scale.py --quick          # 1 M rows
    python benchmarks/spark_scale.py --rows 50000000  # the target size
    python benchmarks/spark_scale.py --rows 10000000 --stages inspect,protect,digests --again
    python benchmarks/spark_scale.py --rows 10000000 --stages protect --engines embedded  # no Spark
    python benchmarks/spark_scale.py --rows 10000000 --stages cluster-digests --engines spark
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from peak import AnonPeak, proc_status_bytes

PROVINCES = [
    "서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기",
    "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
]  # fmt: skip
CATEGORIES = ["grocery", "fuel", "travel", "online", "restaurant", "health", "education", "other"]
CHUNK = 1_000_000
QI = ["age", "sex", "province"]
# A modest driver: the distinct digests stream to it one partition at a time (never collected at
# once), so Spark's default result limit and a 2 GiB heap do at any row count.
SPARK_CONF = {
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.memory": "2g",
}


# ---------------------------------------------------------------------------------- data


def _hex_sha256(phones: np.ndarray) -> pa.Array:
    """Plain SHA-256 (lower-case hex) of each phone string: the scenario's export column."""
    raw = phones.astype("S11").tolist()
    out = bytearray(64 * len(raw))
    for i, p in enumerate(raw):
        out[64 * i : 64 * i + 64] = hashlib.sha256(p).hexdigest().encode()
    offsets = np.arange(0, 64 * len(raw) + 1, 64, dtype=np.int32)
    return pa.StringArray.from_buffers(len(raw), pa.py_buffer(offsets), pa.py_buffer(bytes(out)))


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write the export to ``path`` in 1 M-row row groups (bounded memory whatever ``rows``)."""
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".partial")
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            phones = np.char.add("010", np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))
            joined = np.datetime64("2014-01-01") + rng.integers(0, 365 * 9, n).astype("timedelta64[D]")
            batch = pa.table(
                {
                    "customer_id": pa.array(np.char.add("C", np.char.zfill((np.arange(n) + start).astype(str), 10))),
                    "phone_sha256": _hex_sha256(phones),
                    "age": pa.array(rng.integers(19, 90, n), pa.int32()),
                    "sex": pa.array(np.where(rng.random(n) < 0.5, "M", "F")),
                    "province": pa.array(np.asarray(PROVINCES)[rng.integers(0, len(PROVINCES), n)]),
                    "joined": pa.array(joined.astype(str)),
                    "category": pa.array(np.asarray(CATEGORIES)[rng.integers(0, len(CATEGORIES), n)]),
                    "amount": pa.array(rng.integers(100, 2_000_000, n), pa.int64()),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(tmp, batch.schema, compression="zstd")
            writer.write_table(batch, row_group_size=CHUNK)
    finally:
        if writer is not None:
            writer.close()
    os.replace(tmp, path)


POLICY: dict[str, Any] = {
    "recipient": "Alipay",
    "recipient_country": "CN",
    "purpose": "nsf-score",
    "legal_basis": "contract",
    "role": "processor",
    "key": "env:DC_BENCH_KEY",
    "thresholds": {"k": 1, "max_risk": 1.0},
    "quasi_identifiers": ["age", "sex", "province"],
    "columns": {
        "customer_id": "drop",
        "phone_sha256": {"action": "pseudonymize", "why": "join key"},
        "age": {"action": "generalize", "method": "age", "width": 10},
        "sex": "keep",
        "province": "keep",
        "joined": {"action": "generalize", "method": "date", "to": "year"},
        "category": "keep",
        "amount": "keep",
    },
}


# ---------------------------------------------------------------------------------- memory


def _descendants(root: int) -> list[tuple[int, str]]:
    kids: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
        names[int(entry.name)] = name
    out, todo = [], list(kids.get(root, []))
    while todo:
        pid = todo.pop()
        out.append((pid, names.get(pid, "")))
        todo += kids.get(pid, [])
    return out


def _cpu_seconds() -> float:
    """CPU seconds of this process and every live descendant (the JVM, Python workers), with the
    children each has reaped: on a shared machine, a steadier measure of work than wall time."""
    tick = os.sysconf("SC_CLK_TCK")
    own = os.times()
    total = own.user + own.system + own.children_user + own.children_system
    for pid, _ in _descendants(os.getpid()):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime
    return total


def _memory() -> dict[str, float]:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report its parent's
    mem = {"driver_python_peak_mb": proc_status_bytes(os.getpid(), "VmHWM") / 2**20}
    procs = _descendants(os.getpid())
    jvm = [proc_status_bytes(p, "VmHWM") for p, n in procs if n == "java"]
    workers = [proc_status_bytes(p, "VmHWM") for p, n in procs if n.startswith("python")]
    if jvm:
        mem["jvm_peak_mb"] = max(jvm) / 2**20
    if workers:
        mem["python_worker_peak_mb"] = max(workers) / 2**20
    return mem


# ---------------------------------------------------------------------------------- stages


def _stage(
    engine: str, stage: str, data: Path, work: Path, span: int, driver_memory: str, enumerate_on: str = "auto",
    again: bool = False, extra_conf: dict[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run one stage in this (fresh) process and return its timing and memory; with ``again``, run
    it a second time in the same process (a warm session) and add that run's time and CPU."""
    os.environ["DC_BENCH_KEY"] = hashlib.sha256(b"spark_scale benchmark key").hexdigest()
    spark: Any = None
    started = 0.0
    if engine == "spark":
        from datacustoms.io.spark import session

        t = time.perf_counter()
        conf = {**SPARK_CONF, "spark.driver.memory": driver_memory, "spark.datacustoms.enumerate": enumerate_on,
                **(extra_conf or {})}  # fmt: skip
        spark = session("local[2]", conf)
        started = time.perf_counter() - t
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    anon = AnonPeak()
    extra = _run_stage(engine, stage, spark, data, work / f"{engine}_out.parquet", span)
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    if again:
        t1, cpu1 = time.perf_counter(), _cpu_seconds()
        repeated = _run_stage(engine, stage, spark, data, work / f"{engine}_out_again.parquet", span)
        same = {k: v for k, v in repeated.items() if not k.endswith("_s")}
        assert same == {k: v for k, v in extra.items() if not k.endswith("_s")}, (repeated, extra)  # same figures
        extra = {**extra, "again_seconds": time.perf_counter() - t1, "again_cpu_s": _cpu_seconds() - cpu1}
        if stage == "keyspace":
            extra["again_seconds"] = repeated["enumerate_s"]
    memory = {**_memory(), "driver_python_anon_peak_mb": anon.stop_mb()}
    return {"engine": engine, "stage": stage, "seconds": seconds, "cpu_s": cpu, "session_start_s": started, **extra,
            **memory}  # fmt: skip


def _run_stage(engine: str, stage: str, spark: Any, data: Path, output: Path, span: int) -> dict[str, Any]:
    """One run of ``stage`` through ``engine``: the figures both engines must agree on."""
    if stage == "inspect":
        from datacustoms.flows.inspect import inspect

        report = inspect(str(data), engine=engine, attack=False, qi=QI, sensitive=["category"])
        assert report.risk is not None
        return {"k": report.risk.k, "classes": report.risk.classes}
    if stage == "digests":
        if engine == "spark":
            from datacustoms.flows.inspect import engine_of

            eng = engine_of("spark")  # as inspect runs it: pieces of a local Parquet file read in the tasks
            parsed = eng.distinct_digests(eng.open(str(data)), "phone_sha256")
        else:
            from datacustoms.attack.column import read_column
            from datacustoms.io import read

            parsed = read_column(read(str(data)), "phone_sha256")
        assert parsed is not None
        return {"distinct": len(parsed.distinct)}
    if stage == "cluster-digests":
        return _cluster_digests(spark, data, output.parent / "shared")
    if stage == "reversal":
        return _reversal(engine, data)
    if stage == "protect":
        from datacustoms.policy import parse_policy

        policy = parse_policy(POLICY)
        if engine == "spark":
            from datacustoms.engines.spark_protect import spark_protect

            result = spark_protect(str(data), policy, output)
        else:
            from datacustoms.io import read
            from datacustoms.protect.pipeline import protect_table

            result = protect_table(read(str(data)), policy, output)
        return {"rows_out": result.rows_out, "k_after": result.k_after}
    if stage == "keyspace":
        return _keyspace(engine, spark, data, span)
    raise SystemExit(f"unknown stage {stage!r}")


def _cluster_digests(spark: Any, data: Path, shared: Path) -> dict[str, Any]:
    """The digest counts down a cluster's path: streamed through Spark, then through run files
    in a shared folder (``spark.datacustoms.sharedDir``); the same digests and counts both ways."""
    if spark is None:
        raise SystemExit("cluster-digests runs on Spark only: pass --engines spark")
    from datacustoms.engines import spark_stages
    from datacustoms.flows.inspect import engine_of
    from datacustoms.io.spark import SHARED_DIR_CONF

    spark_stages.is_local_master = lambda df: False  # the cluster path, on this machine's local[2]
    eng = engine_of("spark")
    shared.mkdir(exist_ok=True)
    seconds: dict[str, float] = {}
    sums: dict[str, str] = {}
    distinct = 0
    for variant in ("streamed", "shared"):
        if variant == "shared":
            spark.conf.set(SHARED_DIR_CONF, str(shared))
        else:
            spark.conf.unset(SHARED_DIR_CONF)
        t = time.perf_counter()
        parsed = eng.distinct_digests(eng.open(str(data)), "phone_sha256")
        seconds[variant] = time.perf_counter() - t
        assert parsed is not None and parsed.matrix is not None
        digest = hashlib.sha256(parsed.counts.tobytes())
        for lo in range(0, len(parsed.matrix), 1 << 20):
            digest.update(np.ascontiguousarray(parsed.matrix[lo : lo + (1 << 20)]).tobytes())
        sums[variant], distinct = digest.hexdigest(), len(parsed.distinct)
        del parsed
    spark.conf.unset(SHARED_DIR_CONF)
    assert sums["streamed"] == sums["shared"], "the two paths counted different digests"
    return {"distinct": distinct, "streamed_s": round(seconds["streamed"], 2), "shared_s": round(seconds["shared"], 2),
            "streamed_over_shared": round(seconds["streamed"] / seconds["shared"], 2)}  # fmt: skip


def _reversal(engine: str, data: Path) -> dict[str, Any]:
    """The blind attack on the phone digests with the 010 mobile keyspace, through ``engine``."""
    from datacustoms.attack.api import attack_column
    from datacustoms.attack.hashes.keyspaces import kr_mobile
    from datacustoms.flows.inspect import engine_of, mask_farm

    eng = engine_of(engine)
    table = eng.open(str(data))
    res = attack_column(table, "phone_sha256", keyspaces=[kr_mobile()], digests=eng.distinct_digests, budget_s=3600,
                        farm=mask_farm(eng))  # fmt: skip
    sharded = [n for n in res.notes if "shards, one at a time" in n]
    shards = int(sharded[0].split(" shards")[0].rsplit(" ", 1)[1]) if sharded else 1
    return {"distinct": res.distinct_digests, "reversed": res.distinct_reversed, "rows_reversed": res.rows_reversed,
            "shards": shards}  # fmt: skip


def _keyspace(engine: str, spark: Any, data: Path, span: int) -> dict[str, Any]:
    """Enumerate ``span`` candidates of 010XXXXXXXX against the export's distinct digests."""
    from datacustoms.attack.column import read_column
    from datacustoms.attack.hashes.engine import Mask, TargetSet, search_mask
    from datacustoms.io import read

    parsed = read_column(read(str(data)), "phone_sha256")
    assert parsed is not None and parsed.matrix is not None
    mask = Mask.from_pattern(b"010XXXXXXXX")
    t = time.perf_counter()
    if engine == "embedded":
        hits = len(search_mask(mask, "sha256", TargetSet(parsed.matrix, 32), start=0, stop=span))
        return {"candidates": span, "hits": hits, "enumerate_s": time.perf_counter() - t}
    # the product's farm, as ``inspect`` uses it with --spark-conf spark.datacustoms.enumerate=executors:
    # the digests shipped once (addFile), each Python worker building its tables once, a wave of
    # one slice per task slot at a time
    from datacustoms.attack.hashes.farm import split
    from datacustoms.engines.spark_search import SparkMaskFarm

    farm = SparkMaskFarm(spark, forced=True)
    units = split(mask.template, mask.positions, None, 0, span, farm.pieces(span, len(parsed.matrix)))
    waves = farm.search([[u] for u in units], parsed.matrix, "sha256", 1)
    hits = sum(len(found.indices) for wave in waves for found in wave)
    return {"candidates": span, "hits": int(hits or 0), "enumerate_s": time.perf_counter() - t}


# ---------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000, help="rows of the export (default 50 M)")
    parser.add_argument("--quick", action="store_true", help="1 M rows")
    parser.add_argument("--stages", default="inspect,digests,protect,keyspace")
    parser.add_argument("--span", type=int, default=50_000_000, help="keyspace candidates to enumerate")
    parser.add_argument("--workdir", type=Path, default=None, help="where the export is generated (kept)")
    parser.add_argument("--driver-memory", default="2g", help="Spark's driver heap (spark.driver.memory)")
    parser.add_argument("--enumerate", default="auto", choices=("auto", "executors", "driver"),
                        help="spark.datacustoms.enumerate for the Spark runs (reversal: where large masks run)")  # fmt: skip
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for the Spark runs' session (repeatable), e.g. spark.datacustoms.classArchive=off")
    parser.add_argument("--again", action="store_true",
                        help="run each stage a second time in the same process and report that run too (a warm "
                             "session: the JVM and the Python workers started, as in a notebook or a service)")  # fmt: skip
    parser.add_argument("--engines", default="embedded,spark",
                        help="which engines run each stage (embedded alone needs no Spark)")  # fmt: skip
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "STAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = 1_000_000 if args.quick else args.rows
    work = args.workdir or Path(tempfile.gettempdir()) / "datacustoms-spark-scale"
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"export-{rows}.parquet"
    if args.worker:
        extra_conf = dict(kv.split("=", 1) for kv in args.spark_conf)
        print(json.dumps(_stage(args.worker[0], args.worker[1], data, work, args.span, args.driver_memory,
                                args.enumerate, args.again, extra_conf)))  # fmt: skip
        return
    if not data.exists():
        t = time.perf_counter()
        generate(data, rows)
        print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s → {data.stat().st_size / 2**20:.0f} MiB")
    results: list[dict[str, Any]] = []
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for stage in args.stages.split(","):
        for engine in [e for e in ("embedded", "spark") if e in args.engines.split(",")]:
            if stage == "cluster-digests" and engine != "spark":
                continue  # Spark's cluster path against itself
            for out in ("spark_out.parquet", "embedded_out.parquet", "spark_out_again.parquet", "embedded_out_again.parquet"):
                shutil.rmtree(work / out, ignore_errors=True) if (work / out).is_dir() else (work / out).unlink(
                    missing_ok=True
                )
            cmd = [sys.executable, __file__, "--rows", str(rows), "--workdir", str(work), "--span", str(args.span),
                   "--driver-memory", args.driver_memory, "--enumerate", args.enumerate,
                   *(["--again"] if args.again else []), *(f"--spark-conf={kv}" for kv in args.spark_conf)]  # fmt: skip
            proc = subprocess.run([*cmd, "--worker", engine, stage], capture_output=True, text=True, check=False)
            line = next((x for x in reversed(proc.stdout.splitlines()) if x.startswith("{")), None)
            if proc.returncode or line is None:
                print(f"{stage}/{engine} failed:\n{proc.stderr[-2000:]}")
                continue
            res = json.loads(line)
            results.append(res)
            count = res.get("candidates", rows)
            took = res.get("enumerate_s", res["seconds"])
            unit = "candidates/s" if stage == "keyspace" else "rows/s"
            mem = ", ".join(f"{k} {v:,.0f}" for k, v in res.items() if k.endswith("_mb"))
            figures = {k: v for k, v in res.items() if k in ("k", "classes", "distinct", "reversed", "shards", "rows_out", "hits",
                                                              "streamed_s", "shared_s", "streamed_over_shared")}  # fmt: skip
            print(
                f"{stage:8s} {engine:8s} {took:7.1f} s  {count / took:>12,.0f} {unit}  CPU {res['cpu_s']:.1f} s  "
                f"[{mem}]" + (f"  session start {res['session_start_s']:.1f} s" if engine == "spark" else "")
                + f"  {figures}"
            )  # fmt: skip
            if "again_seconds" in res:
                print(f"{stage:8s} {engine:8s} {res['again_seconds']:7.1f} s  {count / res['again_seconds']:>12,.0f} {unit}"
                      f"  CPU {res['again_cpu_s']:.1f} s  (again, same process)")  # fmt: skip
    cores = 2  # local[2]; the embedded engine runs on the same two cores
    for stage in args.stages.split(","):
        pair = {r["engine"]: r for r in results if r["stage"] == stage}
        if len(pair) == 2:
            key = "enumerate_s" if stage == "keyspace" else "seconds"
            ratio = pair["embedded"][key] / pair["spark"][key]
            count = pair["spark"].get("candidates", rows)
            per_core = {e: count / pair[e][key] / cores for e in ("embedded", "spark")}
            started = pair["spark"]["session_start_s"]
            cold = count / (pair["spark"][key] + started) / cores
            print(
                f"{stage}: per core embedded {per_core['embedded']:,.0f}/s, spark local[2] {per_core['spark']:,.0f}/s;"
                f" spark / embedded speed = {ratio:.2f}x (the target's measure: session started before the clock);"
                f" with the session start ({started:.1f} s) spark {cold:,.0f}/s, {pair['embedded'][key] / (pair['spark'][key] + started):.2f}x;"
                f" CPU-seconds embedded {pair['embedded']['cpu_s']:.1f}, spark {pair['spark']['cpu_s']:.1f}"
                f" (embedded / spark = {pair['embedded']['cpu_s'] / pair['spark']['cpu_s']:.2f}x)"
            )
            if all("again_seconds" in pair[e] for e in pair):
                warm = {e: count / pair[e]["again_seconds"] / cores for e in ("embedded", "spark")}
                print(
                    f"{stage}, again in the same process: per core embedded {warm['embedded']:,.0f}/s, spark"
                    f" {warm['spark']:,.0f}/s; spark / embedded speed = {warm['spark'] / warm['embedded']:.2f}x"
                )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(json.dumps({"rows": rows, "results": results}))


if __name__ == "__main__":
    main()
