"""``datacustoms serve`` under load: status and lookup endpoints with 50 concurrent clients.

Starts the real server (``datacustoms serve --demo``, SQLite, in-process worker) in a child
process, sends one transfer through submit → proof → review → release → collect, then for each
endpoint runs ``--clients`` concurrent clients (asyncio + httpx, keep-alive) for ``--seconds`` and
prints requests per second and p50 / p99 latency. The baseline in the same run is ``/health``
(no authentication, no database): the floor the framework and this machine allow. The clients run
on the same cores as the server, so the figures are for the pair, not the server alone.

With ``--e2e-rows N`` it also times one N-row transfer end to end through the API (submit →
worker → approve → release → download) against the library's ``run_transfer`` on the same file
in this process (what ``datacustoms transfer`` runs), and prints the overhead.

    python benchmarks/service_load.py                      # 50 clients, 10 s per endpoint
    python benchmarks/service_load.py --e2e-rows 1000000   # plus a 1 M-row transfer through the API
    python benchmarks/service_load.py --keep-alive-rounds 6  # plus idle keep-alive reuse, 65 s against 5 s

The figures name each failed request's cause (HTTP status or exception). The rare failures seen
before came from uvicorn's 5 s keep-alive timeout racing httpx's 5 s idle expiry: the server
closed a connection just as the client reused it. ``serve`` now keeps idle connections 65 s
(``--keep-alive``); ``--keep-alive-rounds`` shows the race against the old value in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, log: Path | None = None,
                 extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen[str], dict[str, str]]:
    cmd = [sys.executable, "-m", "datacustoms", "serve", "--demo", "--no-attack", "--port", str(port),
           "--data-dir", str(data_dir), *extra]
    err = log.open("w") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(7)]
    tokens = {ln.split()[0]: ln.split()[2] for ln in lines if ln.startswith("  ")}
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return proc, tokens
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def through_the_api(base: str, tokens: dict[str, str], policy: str, source: str = "demo-customers",
                    name: str = "daily.parquet") -> tuple[str, float, int]:
    """submit → proof → approve → release → download; returns (transfer id, seconds, bytes)."""
    h = {k: {"authorization": f"Bearer {v}"} for k, v in tokens.items()}
    t0 = time.perf_counter()
    with httpx.Client(base_url=base, timeout=3600) as c:
        tid = c.post("/api/v1/transfers", headers=h["operator"], json={
            "source": source, "recipient": "Alipay Singapore", "output_name": name, "policy_yaml": policy}).json()["id"]
        while (state := c.get(f"/api/v1/transfers/{tid}", headers=h["auditor"]).json())["state"] in ("queued", "running"):
            time.sleep(0.05)
        if state["state"] != "awaiting_review":
            raise SystemExit(f"the transfer ended {state['state']}: {state.get('error') or state.get('summary')}")
        checklist = dict.fromkeys(c.get("/api/v1/review/checklist", headers=h["reviewer"]).json(), True)
        c.post(f"/api/v1/transfers/{tid}/approve", headers=h["reviewer"], json={"checklist": checklist})
        link = c.post(f"/api/v1/transfers/{tid}/release", headers=h["operator"]).json()["link"]
        size = len(c.get(link, headers=h["recipient"]).content)
    return tid, time.perf_counter() - t0, size


async def hammer(base: str, method: str, path: str, headers: dict[str, str], body: Any, clients: int,
                 seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    why: Counter[str] = Counter()  # each failure by status code or exception class, so a failure can be traced
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:
        async def one(deadline: float, keep: bool) -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                try:
                    status = (await c.request(method, path, json=body)).status_code
                    ok, reason = status == 200, f"HTTP {status}"
                except httpx.TransportError as err:  # e.g. a keep-alive connection the server closed: counted
                    ok, reason = False, type(err).__name__
                if keep:
                    latencies.append(time.perf_counter() - t)
                    errors += not ok
                    if not ok:
                        why[reason] += 1
        warm = time.perf_counter() + 1.0
        await asyncio.gather(*(one(warm, False) for _ in range(clients)))
        start = time.perf_counter()
        await asyncio.gather(*(one(start + seconds, True) for _ in range(clients)))
        took = time.perf_counter() - start
    latencies.sort()
    n = len(latencies)
    return {"rps": n / took, "p50": latencies[n // 2] * 1000, "p99": latencies[min(n - 1, int(n * 0.99))] * 1000,
            "n": n, "errors": errors, "why": dict(why)}


async def idle_reuse(base: str, clients: int, rounds: int) -> tuple[int, Counter[str]]:
    """Each client reuses its keep-alive connection after idling about 5 s (httpx's own idle expiry)."""
    why: Counter[str] = Counter()
    n = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=5.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as c:
        async def one(i: int) -> None:
            nonlocal n
            await c.get("/api/v1/health")
            for r in range(rounds):
                await asyncio.sleep(4.95 + 0.001 * ((i * rounds + r) * 37 % 100))  # 4.950 … 5.049 s, 1 ms apart
                n += 1
                try:
                    if (status := (await c.get("/api/v1/health")).status_code) != 200:
                        why[f"HTTP {status}"] += 1
                except httpx.TransportError as err:
                    why[type(err).__name__] += 1
        await asyncio.gather(*(one(i) for i in range(clients)))
    return n, why


def keep_alive_probe(tmp: Path, clients: int, rounds: int) -> None:
    """Idle connections reused near 5 s: the server's keep-alive (65 s) against uvicorn's default 5 s.

    A server that closes idle connections exactly when its clients reuse them fails a few
    requests at random ("server disconnected without sending a response"); this is the race.
    """
    for label, extra in (("uvicorn default --keep-alive 5 (baseline)", ("--keep-alive", "5")),
                         ("datacustoms serve default --keep-alive 65", ())):
        port = free_port()
        proc, _ = start_server(tmp / f"ka-{port}", port, extra=extra)
        try:
            n, why = asyncio.run(idle_reuse(f"http://127.0.0.1:{port}", clients, rounds))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(f"  {label:<44} {n} reuses after ~5 s idle: {sum(why.values())} failed"
              + (f" ({', '.join(f'{k} ×{v}' for k, v in sorted(why.items()))})" if why else ""))


def e2e(base: str, tokens: dict[str, str], data_dir: Path, rows: int) -> None:
    from datacustoms.flows.transfer import run_transfer
    from datacustoms.service.server import demo_policy

    rng = random.Random(1)
    src = data_dir / f"big-{rows}.csv"
    with src.open("w") as f:
        f.write("phone,email,age,region,balance\n")
        for i in range(rows):
            f.write(f"010-{rng.randrange(2000, 9999)}-{i % 10000:04d},u{i}@example.com,{rng.randrange(20, 70)},"
                    f"{rng.choice(('Seoul', 'Busan', 'Incheon', 'Daegu'))},{rng.randrange(100) * 1000}\n")
    h = {"authorization": f"Bearer {tokens['operator']}"}
    httpx.post(f"{base}/api/v1/sources", headers=h, json={"name": "big", "location": str(src)}).raise_for_status()
    policy = data_dir / "bench-policy.yaml"
    policy.write_text(demo_policy())
    os.environ.setdefault("DATACUSTOMS_DEMO_KEY", (data_dir / "demo-key.hex").read_text().strip())

    def direct(n: int) -> float:
        t0 = time.perf_counter()
        run_transfer(str(src), policy, data_dir / f"direct-{n}.parquet", ledger=str(data_dir / "direct-ledger.db"),
                     attack=False, measure_risk=True)
        return time.perf_counter() - t0

    # the library run brackets the API run: on a shared machine the load moves between runs
    before = direct(1)
    _, api, size = through_the_api(base, tokens, demo_policy(), source="big", name="big.parquet")
    after = direct(2)
    lo, hi = min(before, after), max(before, after)
    print(f"{rows:,}-row transfer: library run_transfer {before:.2f} s before and {after:.2f} s after; through the "
          f"API (submit → proof → approve → release → download {size / 1e6:.1f} MB) {api:.2f} s; overhead "
          f"{api - hi:+.2f} to {api - lo:+.2f} s against the two library runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--e2e-rows", type=int, default=0, help="also time one transfer of this many rows")
    parser.add_argument("--server-log", type=Path, help="keep the server's stderr (its log) in this file")
    parser.add_argument("--keep-alive-rounds", type=int, default=0,
                        help="also reuse idle connections this many times per client near 5 s, against --keep-alive 5")
    args = parser.parse_args()
    from datacustoms.service.server import demo_policy

    load = os.getloadavg()
    busy = " (other work is running: the figures are lower than on a free machine)" if load[0] > 1.0 else ""
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load)} on {os.cpu_count()} CPUs{busy}")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc, tokens = start_server(Path(tmp), port, args.server_log)
        try:
            tid, secs, _ = through_the_api(base, tokens, demo_policy())
            print(f"one 400-row demo transfer through the API: {secs:.2f} s")
            phone = (Path(tmp) / "demo-customers.csv").read_text().splitlines()[1].split(",")[0]
            auth = {"authorization": f"Bearer {tokens['auditor']}"}
            cases = [("baseline GET /api/v1/health", "GET", "/api/v1/health", {}, None),
                     ("GET /api/v1/transfers/{id} (status)", "GET", f"/api/v1/transfers/{tid}", auth, None),
                     ("POST /api/v1/subjects/lookup", "POST", "/api/v1/subjects/lookup", auth, {"phone": phone})]
            print(f"{args.clients} concurrent clients, {args.seconds:.0f} s each (after 1 s warm-up):")
            for label, method, path, headers, body in cases:
                r = asyncio.run(hammer(base, method, path, headers, body, args.clients, args.seconds))
                print(f"  {label:<40} {r['rps']:8.0f} req/s   p50 {r['p50']:7.1f} ms   p99 {r['p99']:7.1f} ms   "
                      f"({int(r['n'])} requests, {int(r['errors'])} failed or not 200"
                      + (f": {', '.join(f'{k} ×{v}' for k, v in sorted(r['why'].items()))})" if r["why"] else ")"))
            if args.e2e_rows:
                e2e(base, tokens, Path(tmp), args.e2e_rows)
            if args.keep_alive_rounds:
                print(f"{args.clients} clients reusing idle keep-alive connections, {args.keep_alive_rounds} times each:")
                keep_alive_probe(Path(tmp), args.clients, args.keep_alive_rounds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
