"""The command line keeps freed memory in its heap, so the next large array needs no fresh pages.

Measured by the page faults of touching a 64 MiB block allocated right after another was freed:
glibc unmaps a freed block that large by default (every page faults in again), the kept heap
hands the same pages back. Each case runs in a process of its own (mallopt is process-wide).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from datacustoms.cli import heap

SCRIPT = """
import resource, sys
from datacustoms.cli.heap import keep_freed_memory

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


@pytest.mark.skipif(not heap.glibc(), reason="mallopt's parameters are glibc's")
def test_a_kept_heap_serves_the_next_block_without_fresh_pages() -> None:
    kept, reused = faults("keep")
    assert kept
    _, fresh = faults("default")
    pages = (64 << 20) // 4096
    assert fresh > pages // 4  # glibc's default: the freed block was unmapped, its pages fault again
    assert reused < pages // 50  # kept: the same pages come back mapped


def test_serve_keeps_glibcs_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(heap, "keep_freed_memory", lambda: calls.append(True) or True)
    assert heap.for_command(["serve", "--port", "8080"]) is False
    assert calls == []
    assert heap.for_command(["inspect", "export.csv"]) is True
    assert heap.for_command(["--version"]) is True
    assert calls == [True, True]


def test_without_glibc_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "glibc", lambda: False)
    assert heap.keep_freed_memory() is False
