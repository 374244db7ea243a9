"""A local master's class-data archive end to end: the first session's JVM writes it at exit, the
next session checks it, moves it into place and starts on it, and runs jobs as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

SCRIPT = """
import json, sys
from datacustoms.io.spark import session
spark = session("local[1]", {"spark.driver.memory": "512m"})
runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
total = spark.range(1000).selectExpr("sum(id) AS s").collect()[0][0]
print(json.dumps({"options": [str(a) for a in runtime.getInputArguments()], "sum": int(total)}))
"""


def _session(cache: Path) -> dict[str, Any]:
    env = {**os.environ, "DATACUSTOMS_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, lines[:5]  # nothing of the JVM's on standard output
    return dict(json.loads(lines[0]))


def _written(folder: Path) -> None:
    """Wait for the JVM (which outlives its Python driver by the dump) to finish the archive."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        notes = list(folder.glob("*.writer"))
        if notes and list(folder.glob("*.partial")):
            pid = json.loads(notes[0].read_text())["pid"]
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.5)
    pytest.fail("the first session's JVM did not finish its archive")


@pytest.mark.spark
def test_second_session_starts_on_the_first_ones_archive(spark: Any, tmp_path: Path) -> None:
    folder = tmp_path / "spark-classes"
    first = _session(tmp_path)
    assert first["sum"] == 499_500
    writing = [o for o in first["options"] if o.startswith("-XX:ArchiveClassesAtExit=")]
    assert len(writing) == 1 and writing[0].endswith(".partial") and str(folder) in writing[0]
    assert "-Xlog:cds*=off,class+path*=off" in first["options"]  # its hundreds of lines stay off stdout
    _written(folder)
    second = _session(tmp_path)
    assert second["sum"] == 499_500
    archives = list(folder.glob("*.jsa"))
    assert len(archives) == 1 and archives[0].stat().st_size > 10 << 20
    assert f"-XX:SharedArchiveFile={archives[0]}" in second["options"]
    assert not list(folder.glob("*.partial")) and not list(folder.glob("*.writer"))
