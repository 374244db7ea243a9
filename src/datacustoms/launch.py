"""The process a command runs in, set up before Arrow loads; then the command line.

A command allocates and frees large arrays one after another: the text of a digest column, its
decoded bytes, their sort order, the sorted copy, the search's lookup tables, Arrow's batches.
glibc gives each freed block over 128 KiB (up to 32 MiB as it adapts) back to the OS, and Arrow's
own allocator (mimalloc) keeps a heap of its own, so the next array faults fresh pages in; a
virtual machine charges microseconds a page for that. So a command keeps freed memory in glibc's
heap for the next allocation, and Arrow allocates from that same heap (its ``system`` pool, unless
``ARROW_DEFAULT_MEMORY_POOL`` says otherwise): the blind attack on a 1 M-row column took
1.31–1.36× its enumeration instead of 1.44–1.54× (``benchmarks/attack_column.py``), keyed
pseudonyms of 10 M rows 0.56–0.58 s instead of 0.61–0.69 s. The pool is chosen when Arrow first
allocates, which is why this runs before anything imports pyarrow (the console script and
``python -m datacustoms`` start here, not in :mod:`datacustoms.cli`).

A short-lived command gives everything back when it ends. ``serve`` runs for days, so it keeps
both defaults: there the memory of one large request is handed back after it.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

#: mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
#: blocks below this come from the heap and stay there when freed (mallopt takes an int)
_KEEP = 2**31 - 1
#: the heap grows this much beyond each request (address space only: untouched pages cost nothing)
_PAD = 64 << 20
#: commands that leave the heap and Arrow's pool as they are
LONG_RUNNING = frozenset({"serve"})
#: Arrow's own variable, read once, when Arrow first allocates
ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"


def glibc() -> bool:
    """Whether this process runs on glibc (mallopt's parameters are glibc's own)."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError, AttributeError):
        return False


def keep_freed_memory() -> bool:
    """Keep freed blocks in this process's heap for reuse; False where that is not possible."""
    if not glibc():
        return False
    try:
        libc = ctypes.CDLL(None)
        return all(
            libc.mallopt(ctypes.c_int(param), ctypes.c_int(value)) == 1
            for param, value in ((_M_MMAP_THRESHOLD, _KEEP), (_M_TRIM_THRESHOLD, _KEEP), (_M_TOP_PAD, _PAD))
        )
    except (OSError, AttributeError):
        return False


def prepare(argv: Sequence[str]) -> bool:
    """Set up the process for a command line (without the program name): freed memory kept in
    the heap and Arrow allocating from it, unless the command runs for a long time (``serve``)
    or the heap cannot be kept. A pool the user named in ``ARROW_DEFAULT_MEMORY_POOL`` stays.
    True when the heap is kept."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in LONG_RUNNING or not keep_freed_memory():
        return False
    os.environ.setdefault(ARROW_POOL, "system")
    return True


def run() -> NoReturn:
    """The console script and ``python -m datacustoms``: :func:`prepare`, then the command line
    (:func:`datacustoms.cli.run`, which ends the process)."""
    prepare(sys.argv[1:])
    from datacustoms.cli import run as command_line

    command_line()
