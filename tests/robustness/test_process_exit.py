"""The command line ends its process without the interpreter's teardown of native modules.

The teardown is where Arrow's and DuckDB's thread pools can end a finished run in SIGABRT; these
tests stand in for it with an object whose finalisation aborts the process, which the
interpreter's own exit reaches and :func:`~datacustoms.cli.leave.leave` must not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from datacustoms.cli.leave import exit_code

SCRIPT = """
import atexit, os, sys, threading, time
from datacustoms.cli.leave import leave

class Teardown:  # stands in for a native thread pool destroyed at the interpreter's exit
    def __del__(self):
        os.abort()

held = Teardown()
marker = sys.argv[1]
atexit.register(lambda: open(marker + ".atexit", "w").write("ran"))

def late():  # a non-daemon thread still writing when the command returns
    time.sleep(0.3)
    open(marker + ".thread", "w").write("done")

threading.Thread(target=late).start()
sys.stdout.write("report on stdout")  # buffered: no newline, no flush
sys.stderr.write("note on stderr")
{exit}
"""


def _run(tmp_path: Path, exit_line: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.replace("{exit}", exit_line))
    return subprocess.run(
        [sys.executable, str(script), str(tmp_path / "m")], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(("line", "code"), [("leave(3)", 3), ("leave(None)", 0), ("leave(0)", 0)])
def test_leave_skips_the_teardown_but_not_the_exit_handlers(tmp_path: Path, line: str, code: int) -> None:
    proc = _run(tmp_path, line)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == "report on stdout"
    assert proc.stderr == "note on stderr"
    assert (tmp_path / "m.atexit").read_text() == "ran"
    assert (tmp_path / "m.thread").read_text() == "done"


def test_the_interpreters_own_exit_reaches_the_teardown(tmp_path: Path) -> None:
    """The stand-in works: without ``leave`` the same script ends in SIGABRT."""
    proc = _run(tmp_path, "sys.exit(3)")
    assert proc.returncode == -6, proc.stderr
    assert (tmp_path / "m.atexit").read_text() == "ran"


def test_exit_codes_as_the_interpreter_makes_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(None) == 0
    assert exit_code(2) == 2
    assert exit_code(256 + 7) == 7
    assert exit_code(-1) == 255 and exit_code(True) == 1
    assert exit_code("error: stopped") == 1
    assert capsys.readouterr().err == "error: stopped\n"


def test_the_console_entry_points_leave_this_way() -> None:
    """``python -m datacustoms`` and the console script both go through ``launch.run``, which
    ends in ``cli.run``."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["datacustoms"] == "datacustoms.launch:run"
    main = (root / "src" / "datacustoms" / "__main__.py").read_text()
    assert "from datacustoms.launch import run" in main and "run()" in main


@pytest.mark.parametrize(("args", "code"), [(["--version"], 0), (["no-such-command"], 2)])
def test_module_entry_keeps_its_exit_codes(args: list[str], code: int) -> None:
    proc = subprocess.run([sys.executable, "-m", "datacustoms", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    if code == 0:
        assert proc.stdout.startswith("datacustoms ")
    else:
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
