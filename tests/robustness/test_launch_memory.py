"""A command's process keeps freed memory in its heap, and Arrow allocates from that heap.

The heap is measured by the page faults of touching a 64 MiB block allocated right after another
was freed: glibc unmaps a freed block that large by default (every page faults in again), the kept
heap hands the same pages back. Each case runs in a process of its own (mallopt and Arrow's pool
are process-wide).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from datacustoms import launch

SCRIPT = """
import resource, sys
from datacustoms.launch import keep_freed_memory

kept = keep_freed_memory() if sys.argv[1] == "keep" else False
size, page = 64 << 20, 4096
block = bytearray(size)
block[::page] = b"x" * (size // page)  # every page touched
del block
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = bytearray(size)
block[::page] = b"y" * (size // page)
print(int(kept), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode: str) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    kept, count = out.stdout.split()
    return kept == "1", int(count)


@pytest.mark.skipif(not launch.glibc(), reason="mallopt's parameters are glibc's")
def test_a_kept_heap_serves_the_next_block_without_fresh_pages() -> None:
    kept, reused = faults("keep")
    assert kept
    _, fresh = faults("default")
    pages = (64 << 20) // 4096
    assert fresh > pages // 4  # glibc's default: the freed block was unmapped, its pages fault again
    assert reused < pages // 50  # kept: the same pages come back mapped


POOL = """
import sys
from datacustoms.launch import prepare

kept = prepare(sys.argv[1:])
import pyarrow as pa

print(int(kept), pa.default_memory_pool().backend_name)
"""


def pool(argv: list[str], env: dict[str, str]) -> tuple[bool, str]:
    environ = {k: v for k, v in os.environ.items() if k != launch.ARROW_POOL} | env
    out = subprocess.run([sys.executable, "-c", POOL, *argv], capture_output=True, text=True, check=True, env=environ)
    kept, name = out.stdout.split()
    return kept == "1", name


@pytest.mark.skipif(not launch.glibc(), reason="mallopt's parameters are glibc's")
def test_a_command_allocates_arrow_buffers_from_the_kept_heap() -> None:
    assert pool(["inspect", "export.csv"], {}) == (True, "system")
    assert pool(["--version"], {}) == (True, "system")


def test_a_pool_the_user_named_stays() -> None:
    assert pool(["inspect", "export.csv"], {launch.ARROW_POOL: "mimalloc"})[1] == "mimalloc"


def test_serve_keeps_glibcs_and_arrows_defaults() -> None:
    kept, name = pool(["serve", "--port", "8080"], {})
    assert not kept and name != "system"


def test_without_glibc_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch, "glibc", lambda: False)
    monkeypatch.delenv(launch.ARROW_POOL, raising=False)
    assert launch.keep_freed_memory() is False
    assert launch.prepare(["inspect"]) is False
    assert launch.ARROW_POOL not in os.environ
