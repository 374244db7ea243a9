"""A command's process has Arrow allocate from the C library's heap (its ``system`` pool).

Arrow reads its pool once, when it first allocates, so each case runs in a process of its own
that calls :func:`~datacustoms.launch.prepare` before importing pyarrow, as the console script does.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

from datacustoms import launch

POOL = """
import sys
from datacustoms.launch import prepare

chosen = prepare(sys.argv[1:])
import pyarrow as pa

pa.array(range(1000))  # Arrow's first allocation: the pool is read here
print(chosen, pa.default_memory_pool().backend_name)
"""


def pool(argv: list[str], env: dict[str, str] | None = None) -> tuple[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != launch.ARROW_POOL} | (env or {})
    out = subprocess.run([sys.executable, "-c", POOL, *argv], capture_output=True, text=True, check=True, env=environ)
    chosen, name = out.stdout.split()
    return chosen, name


def test_a_command_allocates_arrow_buffers_with_malloc() -> None:
    assert pool(["inspect", "export.csv"]) == ("system", "system")
    assert pool(["--version"]) == ("system", "system")


def arrows_own() -> str:
    """The pool Arrow chooses in a process that names none (mimalloc in the usual wheels)."""
    script = "import pyarrow as pa; pa.array([1]); print(pa.default_memory_pool().backend_name)"
    environ = {k: v for k, v in os.environ.items() if k != launch.ARROW_POOL}
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environ
    ).stdout.strip()


def other_pool() -> str:
    """A pool this pyarrow was built with, other than ``system``."""
    for name, make in (("jemalloc", pa.jemalloc_memory_pool), ("mimalloc", pa.mimalloc_memory_pool)):
        try:
            make()
        except NotImplementedError:
            continue
        return name
    pytest.skip("this pyarrow has only the system pool")


def test_a_pool_the_user_named_stays() -> None:
    named = other_pool()
    assert pool(["inspect", "export.csv"], {launch.ARROW_POOL: named}) == ("None", named)


def test_serve_keeps_arrows_own_choice() -> None:
    assert pool(["serve", "--port", "8080"]) == ("None", arrows_own())


WATCH = """
import atexit, importlib.abc, os, runpy, sys

seen = []

class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "pyarrow":
            seen.append(os.environ.get("ARROW_DEFAULT_MEMORY_POOL"))
        return None

sys.meta_path.insert(0, Watch())
atexit.register(lambda: print("pool when pyarrow was imported:", seen[0] if seen else "not imported"))
sys.argv = ["datacustoms", "--version"]
runpy.run_module("datacustoms", run_name="__main__")
"""


def test_the_module_entry_chooses_the_pool_before_pyarrow_loads() -> None:
    """``python -m datacustoms`` (as the console script) sets the pool before anything imports
    pyarrow; the command line ends through ``leave``, which runs the exit handlers."""
    environ = {k: v for k, v in os.environ.items() if k != launch.ARROW_POOL}
    out = subprocess.run([sys.executable, "-c", WATCH], capture_output=True, text=True, check=True, env=environ)
    assert out.stdout.startswith("datacustoms ")
    assert out.stdout.rstrip().endswith("pool when pyarrow was imported: system")
