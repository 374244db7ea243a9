"""The process a command runs in, set up before Arrow loads; then the command line.

pyarrow allocates from mimalloc unless ``ARROW_DEFAULT_MEMORY_POOL`` names another pool, and
reads that variable once, when it first allocates. mimalloc keeps a heap of its own beside the C
library's (numpy's, DuckDB's and the native engine's arrays), so on a virtual machine where a
page faulted in costs microseconds the two heaps fault more fresh pages than one. A command
therefore has Arrow allocate with ``malloc`` (its ``system`` pool): alternated runs on a 2-core
host gave the risk profile of 10 M rows in 0.63–0.66 s instead of 0.91–1.20 s and 430 MB instead
of 490, the blind attack on a 1 M-row column 1.34–1.38× its enumeration instead of 1.44–1.54×,
and keyed pseudonyms unchanged (``docs/configuration.md``). A pool the user names stays. The
choice has to be made before anything imports pyarrow, which is why the console script and
``python -m datacustoms`` start here and not in :mod:`datacustoms.cli`; a local Spark master's
workers inherit it through the environment.

``serve`` runs for days, with threads of its own, and keeps Arrow's choice: the figures above are
a command's, and glibc's per-thread arenas are known to hold on to memory in long-running
threaded processes, which nothing here has measured under a service's load.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

#: Arrow's own variable, read once, when Arrow first allocates
ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"
#: the pool a command allocates from
COMMAND_POOL = "system"
#: commands that leave Arrow's pool as Arrow sets it up
LONG_RUNNING = frozenset({"serve"})


def prepare(argv: Sequence[str]) -> str | None:
    """Set up the process for a command line (without the program name): Arrow's pool, unless
    the command runs for a long time (``serve``) or the user named one. The pool chosen, or None
    where Arrow's own choice stays. Too late (no effect) once pyarrow has allocated."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in LONG_RUNNING or ARROW_POOL in os.environ:
        return None
    os.environ[ARROW_POOL] = COMMAND_POOL
    return COMMAND_POOL


def run() -> NoReturn:
    """The console script and ``python -m datacustoms``: :func:`prepare`, then the command line
    (:func:`datacustoms.cli.run`, which ends the process)."""
    prepare(sys.argv[1:])
    from datacustoms.cli import run as command_line

    command_line()
