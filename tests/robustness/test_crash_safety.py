"""kill -9 at random points: the target is absent or complete, never partial; leftovers are swept.

Each trial starts a writer (``protect`` to CSV, ``protect`` to Parquet, ``transfer``), waits until
it has imported the CLI, sleeps a random share of the time an uninterrupted run takes, and sends
SIGKILL. The target must then be absent or byte-identical to the uninterrupted run's output; the
ledger must verify, and a released file must be the one its record describes. The next
uninterrupted run into the same folder must remove every temp file and staging folder left.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from world import csv_text, data_rows

TRIALS_PER_WRITER = 8  # three writers: 24 kills
RUNNER = "import sys; from datacustoms.cli import main; print('ready', flush=True); main(sys.argv[1:])"
WRITERS = {
    "protect-csv": ["protect", "{csv}", "-p", "{policy}", "-o", "{target}", "--no-attack"],
    "protect-parquet": ["protect", "{csv}", "-p", "{policy}", "-o", "{target}", "--no-attack"],
    "transfer": ["transfer", "{csv}", "-p", "{tpolicy}", "-o", "{target}", "--no-attack", "--ledger", "{ledger}"],
}
SUFFIX = {"protect-csv": ".csv", "protect-parquet": ".parquet", "transfer": ".csv"}


def _argv(writer: str, world: dict[str, Path], big: Path, target: Path, ledger: Path) -> list[str]:
    names = {"csv": big, "policy": world["policy"], "tpolicy": world["tpolicy"], "target": target, "ledger": ledger}
    return [a.format(**{k: str(v) for k, v in names.items()}) for a in WRITERS[writer]]


def _start(argv: list[str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _entries(ledger: Path) -> list[dict[str, object]]:
    from datacustoms.ledger import LedgerStore

    if not ledger.exists():
        return []
    with LedgerStore(str(ledger)) as store:
        assert store.verify().ok, "the ledger does not verify after a kill"
        return [e.body for e in store.entries("transfer")]


@pytest.mark.slow
@pytest.mark.parametrize("writer", list(WRITERS))
def test_kill_9_never_leaves_a_partial_target(writer: str, world: dict[str, Path], tmp_path: Path) -> None:
    from datacustoms.ledger import LedgerStore
    from datacustoms.ledger.consent import import_consents

    big = tmp_path / "big.csv"
    rows = data_rows(6000)
    big.write_text(csv_text(rows), encoding="utf-8")
    ledger = tmp_path / "ledger.db"
    consents = tmp_path / "consents.csv"
    consents.write_text("subject,recipient,purpose,countries,given,withdrawn\n"
                        + "".join(f"{r['phone']},Alipay Singapore,NSF score,SG,2024-01-01,\n" for r in rows),
                        encoding="utf-8")
    with LedgerStore(str(ledger)) as store:
        import_consents(store, consents)
    out = tmp_path / "out"
    out.mkdir()
    # the uninterrupted run: its output is what "complete" means, its duration bounds the kill times
    reference = tmp_path / f"reference{SUFFIX[writer]}"
    proc = _start(_argv(writer, world, big, reference, ledger))
    started = time.monotonic()
    _, err = proc.communicate(timeout=300)
    work = time.monotonic() - started
    assert proc.returncode == 0, err
    expected = reference.read_bytes()
    rng = random.Random(f"kill-{writer}")
    outcomes = {"absent": 0, "complete": 0}
    for trial in range(TRIALS_PER_WRITER):
        target = out / f"t{trial}{SUFFIX[writer]}"
        proc = _start(_argv(writer, world, big, target, ledger))
        time.sleep(rng.uniform(0.0, work * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        entries = _entries(ledger)
        if target.exists():
            assert target.read_bytes() == expected, f"trial {trial}: a partial or different file at the target"
            outcomes["complete"] += 1
            if writer == "transfer":  # released only after its record: the last record names this file
                digest = hashlib.sha256(expected).hexdigest()
                assert any((e.get("dataset") or {}).get("sha256") == digest  # type: ignore[union-attr]
                           and (e.get("dataset") or {}).get("name") == target.name for e in entries)  # type: ignore[union-attr]
        else:
            outcomes["absent"] += 1
    # the next run into the folder sweeps what the kills left (temp files, staging folders)
    leftovers = sum(p.name.startswith(".") for p in out.iterdir())
    final = out / f"final{SUFFIX[writer]}"
    proc = _start(_argv(writer, world, big, final, ledger))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    left = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert left == [], left
    print(f"\n{writer}: {TRIALS_PER_WRITER} kills, {outcomes['absent']} absent, {outcomes['complete']} complete, "
          f"0 partial; {leftovers} temp file(s) or staging folder(s) left by the kills, all swept by the next run")
