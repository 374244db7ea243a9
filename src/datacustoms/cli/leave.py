"""Ending the command-line process: exit handlers run, native teardown skipped.

Arrow and DuckDB keep C++ thread pools (and jemalloc a background thread) for the life of the
process. The interpreter's own exit destroys them while one of their threads may still be
joinable, and then a run that has done all its work ends in ``std::terminate`` ("terminate
called without an active exception", SIGABRT, exit −6: apache/arrow#34314). A gate in CI would
read that as a crash after a PASS, or hide a real exit code behind it. So the command line leaves
the way the interpreter starts to leave (its other threads finished, the exit handlers run:
temporary folders, logging, Spark's gateway) and then ends the process at once, before any
extension module is torn down. Every output is already in place by then: outputs are written to a
temporary file and renamed, and the ledger commits each record.

Only the console script and ``python -m datacustoms`` leave this way; ``main()`` called from
Python raises ``SystemExit`` as before.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def exit_code(code: object) -> int:
    """What the interpreter makes of ``SystemExit(code)``: None is 0, an int itself, anything
    else printed to stderr and 1."""
    if code is None:
        return 0
    if isinstance(code, int):  # True is 1, as for the interpreter
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def leave(code: object = 0) -> NoReturn:
    """End the process with ``code`` (see the module's docstring), after the process's own
    threads have finished, the exit handlers have run and stdout and stderr are flushed."""
    status = exit_code(code)
    here = threading.current_thread()
    for thread in threading.enumerate():  # as the interpreter does: non-daemon threads finish first
        if thread is not here and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): nothing more can reach it
            status = status or 120  # the interpreter's own status for output it could not flush
    os._exit(status)
