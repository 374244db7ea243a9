"""Peak memory of a benchmark process, measured so that a child reports its own peak.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is not that: Linux carries it across ``exec``, so
a child started by a parent holding 2 GB reports 2 GB whatever it used itself. ``VmHWM`` in
``/proc/<pid>/status`` belongs to the process's own address space, so it starts fresh at ``exec``.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path


def proc_status_bytes(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure (``VmHWM``, ``VmRSS``, …) in bytes; 0 when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_rss_mb(pid: int | None = None) -> float:
    """This process's (or ``pid``'s) peak resident memory in MiB."""
    hwm = proc_status_bytes(pid or os.getpid(), "VmHWM")
    if hwm or pid:
        return hwm / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc (not Linux)


class AnonPeak:
    """The peak of this process's *anonymous* resident memory (``RssAnon``), sampled on a thread.

    ``VmHWM`` also counts the pages of memory-mapped files the process has read (the reversal's
    sorted digests live in one): clean page cache the kernel drops under pressure, not memory the
    process holds. Linux keeps no high-water mark of anonymous memory alone, so this samples it
    every ``interval`` seconds (a peak shorter than that can be missed).
    """

    def __init__(self, interval: float = 0.02) -> None:
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, proc_status_bytes(os.getpid(), "RssAnon"))
            self._stop.wait(interval)

    def stop_mb(self) -> float:
        """Stop sampling; the peak in MiB."""
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, proc_status_bytes(os.getpid(), "RssAnon"))
        return self.peak / 2**20
