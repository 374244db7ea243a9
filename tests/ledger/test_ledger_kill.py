"""kill -9 mid-transfer: neither an output file nor a record; killed after the commit: a record only."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from datacustoms.ledger import LedgerStore
from datacustoms.ledger.consent import import_consents

sys.path.insert(0, str(Path(__file__).parent))
from test_ledger_transfer import CONSENTS, INPUT, write_policy

RUNNER = textwrap.dedent("""
    import os, pathlib, signal, sys, time
    import datacustoms.flows.transfer as transfer_flow
    from datacustoms.flows.transfer import run_transfer
    mode, source, policy, out, url, flag = sys.argv[1:]
    if mode == "stall-before-record":
        def stall(*args, **kwargs):
            pathlib.Path(flag).write_text("ready")
            time.sleep(600)
        transfer_flow.prove = stall
    elif mode == "die-after-record":
        real_replace = os.replace
        def replace(src, dst, *args, **kwargs):
            if os.fspath(dst) == out:
                os.kill(os.getpid(), signal.SIGKILL)
            return real_replace(src, dst, *args, **kwargs)
        os.replace = replace
    run_transfer(source, policy, out, ledger=url, attack=False)
""")


@pytest.fixture()
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: str) -> tuple[Path, Path, Path]:
    monkeypatch.setenv("DC_TEST_TRANSFER_KEY", "3b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c")
    (tmp_path / "in.csv").write_text(INPUT, encoding="utf-8")
    (tmp_path / "consents.csv").write_text(CONSENTS, encoding="utf-8")
    with LedgerStore(ledger_url) as store:
        import_consents(store, tmp_path / "consents.csv")
    return tmp_path / "in.csv", write_policy(tmp_path), tmp_path / "out.csv"


def _start(mode: str, source: Path, policy: Path, out: Path, url: str, flag: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, mode, str(source), str(policy), str(out), url, str(flag)],
        env=dict(os.environ),
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_before_the_record_leaves_nothing(
    setup: tuple[Path, Path, Path], ledger_url: str, tmp_path: Path
) -> None:
    source, policy, out = setup
    flag = tmp_path / "ready"
    proc = _start("stall-before-record", source, policy, out, ledger_url, flag)
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the transfer never reached the proof"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # kill -9 while the protected output is staged, before the record
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    with LedgerStore(ledger_url) as store:
        assert store.entries("transfer") == []
        assert store.verify().ok
    # only the private staging folder remains (never under the output's name)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.csv.transfer-")]
    assert len(leftovers) == 1
    # and the next transfer goes through on the same ledger
    from datacustoms.flows.transfer import run_transfer

    assert run_transfer(str(source), policy, out, ledger=ledger_url, attack=False).record.status == "sent"


def test_kill_9_between_record_and_rename_over_reports(
    setup: tuple[Path, Path, Path], ledger_url: str, tmp_path: Path
) -> None:
    source, policy, out = setup
    proc = _start("die-after-record", source, policy, out, ledger_url, tmp_path / "unused")
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    with LedgerStore(ledger_url) as store:
        (entry,) = store.entries("transfer")
        assert store.verify().ok
    staged = next(tmp_path.glob(".out.csv.transfer-*/out.csv"))
    # the record describes exactly the file that was staged: recognisable, and nothing left unrecorded
    assert entry.body["dataset"]["sha256"] == hashlib.sha256(staged.read_bytes()).hexdigest()
