"""Progress: a Rich bar on stderr when it is a terminal, nothing in a log or with --quiet; wide tables in logs."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "TERM": "xterm", "COLUMNS": ""}

CSV = "phone,age,zip,visits\n" + "".join(f"010-{1000 + i:04d}-{2000 + i:04d},{20 + i % 50},{10000 + i % 7},{i}\n"
                                          for i in range(300))


def _run(args: list[str], *, stderr_tty: bool) -> tuple[int, str, str]:
    """Run the CLI with stdout piped and stderr a pseudo-terminal (or a pipe)."""
    cmd = [sys.executable, "-m", "datacustoms", *args]
    if not stderr_tty:
        done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=False, timeout=300)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=follower, env=ENV, text=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    out = proc.stdout.read() if proc.stdout else ""
    code = proc.wait(timeout=300)
    os.close(leader)
    return code, out, b"".join(chunks).decode(errors="replace")


@pytest.fixture()
def table(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_a_terminal_gets_a_progress_bar_and_quiet_silences_it(table: Path) -> None:
    args = ["inspect", str(table), "--no-attack", "--qi", "age,zip"]
    code, out, err = _run(args, stderr_tty=True)
    assert code in (0, 1) and "check(s) failed" in out
    assert "measuring re-identification risk" in err or "detecting what the 4 columns" in err, err[-500:]
    code, _, err_quiet = _run([*args, "--quiet"], stderr_tty=True)
    assert code in (0, 1) and err_quiet.strip() == ""


def test_a_log_gets_no_progress(table: Path) -> None:
    code, _, err = _run(["inspect", str(table), "--no-attack", "--qi", "age,zip"], stderr_tty=False)
    assert code in (0, 1) and err == ""


def test_tables_in_a_log_do_not_wrap_at_80_columns() -> None:
    probe = "from datacustoms.cli.common import console, err_console; print(console.width, err_console.width)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=ENV, check=True)
    assert done.stdout.split() == ["240", "240"]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**ENV, "COLUMNS": "132"})
    assert done.stdout.split() == ["132", "132"]


def test_html_is_not_printed_to_a_terminal(table: Path, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "datacustoms", "inspect", str(table), "--format", "html"],
                          stdout=follower, stderr=subprocess.PIPE, env=ENV, text=True, timeout=300, check=False)
    os.close(follower)
    os.close(leader)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "-o report.html" in proc.stderr
    page = tmp_path / "r.html"
    code, _, _ = _run(["inspect", str(table), "--no-attack", "--format", "html", "-o", str(page)], stderr_tty=False)
    assert code in (0, 1) and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
