"""The command line's heap: freed memory kept for the next allocation instead of handed back.

A command allocates and frees large arrays one after another: the text of a digest column, its
decoded bytes, their sort order, the sorted copy, the search's lookup tables. glibc gives each
block over 128 KiB (up to 32 MiB as it adapts) its own mapping and unmaps it when freed, so the
next array faults fresh pages in, and a virtual machine whose host takes freed memory back
charges 1.5–3 ms a MiB for that. Kept in the heap, a freed block serves the next array with its
pages already mapped: the blind attack on a 1 M-row column took 1.37 s instead of 1.45–1.77 s
(``benchmarks/attack_column.py``), with a lower peak RSS.

A short-lived command gives everything back when it ends. ``serve`` runs for days, so it keeps
glibc's defaults: there the memory of one large request is handed back after it.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence

#: mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
#: blocks below this come from the heap and stay there when freed (mallopt takes an int)
_KEEP = 2**31 - 1
#: the heap grows this much beyond each request (address space only: untouched pages cost nothing)
_PAD = 64 << 20
#: commands that leave the heap as glibc sets it up
LONG_RUNNING = frozenset({"serve"})


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


def for_command(argv: Sequence[str]) -> bool:
    """:func:`keep_freed_memory` for a command line (without the program name), unless its
    command runs for a long time (``serve``)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in LONG_RUNNING:
        return False
    return keep_freed_memory()
