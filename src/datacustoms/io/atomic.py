"""Atomic output: write to a temporary file beside the target, then rename into place.

A crash, a kill or an exception leaves either the old file or the new one, never half of one;
the temporary file is removed on failure. A ``kill -9`` cannot remove it, so the names carry
the writer's process ID — ``.<target>.<pid>.<random>.tmp`` for files and
``.<target>.transfer-<id>.<pid>`` for a transfer's staging folder — and the next write into the
same folder removes those whose process is gone and which are older than the running process
(:func:`sweep_stale`). Nothing else is ever removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from datacustoms.errors import InputError

_TEMP = re.compile(r"^\..+\.(?P<pid>\d+)\.[A-Za-z0-9_]{8}\.tmp$")
_STAGING = re.compile(r"^\..+\.transfer-[0-9a-f]{12}(?:\.(?P<pid>\d+))?$")


def _process_start() -> float:
    """When this process started (epoch seconds), never earlier than it did: from /proc on Linux,
    else the import time.

    The boot time is taken from ``/proc/uptime`` (10 ms steps), not ``btime`` (whole seconds): a
    writer killed a moment before this process started must count as older than it, or the sweep
    would leave its files behind. The start tick is rounded up for the same reason.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        now = time.time()
        return now - uptime + (ticks + 1) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


PROCESS_START = _process_start()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _stale(entry: os.DirEntry[str], pattern: re.Pattern[str]) -> bool:
    match = pattern.match(entry.name)
    if match is None:
        return False
    try:
        if entry.stat(follow_symlinks=False).st_mtime >= PROCESS_START:
            return False
    except OSError:
        return False
    pid = match.group("pid")
    return pid is None or not _alive(int(pid))


def sweep_stale(folder: str | os.PathLike[str]) -> int:
    """Remove temp files and staging folders that a killed writer left in ``folder``; how many.

    Only names of our own pattern, last modified before this process started, whose writing
    process no longer runs. Errors (a file removed meanwhile, no permission) are ignored.
    """
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and _stale(entry, _TEMP):
                os.unlink(entry.path)
                removed += 1
            elif entry.is_dir(follow_symlinks=False) and _stale(entry, _STAGING):
                shutil.rmtree(entry.path)
                removed += 1
    return removed


def staging_dir(target: str | os.PathLike[str], transfer_id: str) -> Path:
    """A private (0700) folder beside ``target`` for a transfer's staged output; stale ones are swept."""
    target = Path(target)
    sweep_stale(target.parent)
    folder = target.parent / f".{target.name}.transfer-{transfer_id[:12]}.{os.getpid()}"
    folder.mkdir(mode=0o700)
    return folder


def _default_mode() -> int:
    """What ``open()`` would give a new file: 0o666 less the process umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``target`` on success.

    The file gets ``mode`` (default: as ``open()`` would create it); secrets pass ``0o600``.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder {str(folder)!r} does not exist", "create it first")
    sweep_stale(folder)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if mode is not None:
            os.chmod(tmp, mode)  # before any byte is written: a secret is never readable by others
        yield tmp
        if tmp.exists():
            os.chmod(tmp, _default_mode() if mode is None else mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_text(target: str | os.PathLike[str], text: str, mode: int | None = None) -> None:
    with atomic_path(target, mode) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    with atomic_path(target, mode) as tmp:
        tmp.write_bytes(data)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks (what the ledger records of a dataset)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
