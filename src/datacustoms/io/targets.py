"""Output targets, checked before anything is read, computed, recorded or written.

Every command that writes a file passes its output paths here first, with the paths it must
never overwrite: its inputs, the ledger database (and SQLite's ``-wal``, ``-shm``, ``-journal``
and the ledger's ``.key`` beside it), the keystore, its lock and its audit log. A target is
refused, with one line and exit code 2, when it

* resolves to one of those paths — through ``..``, a symbolic link (``realpath``) or a hard link
  (the same device and inode);
* lies inside an input folder (a folder of Parquet files being read);
* is a folder, a FIFO or a device, or lies under ``/proc``, ``/sys`` or ``/dev``;
* has no parent folder, or a parent this process cannot write into;
* is named twice (``-o`` and ``--report`` the same file).

Nothing here writes; the atomic write itself is :mod:`datacustoms.io.atomic`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from datacustoms.errors import InputError, OutputError

PathLike = str | os.PathLike[str]
#: (label, path) — the label says what the path is ("the input", "the ledger database" …)
Protected = tuple[str, PathLike]

_SYSTEM_ROOTS = ("/proc", "/sys", "/dev")
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal", ".key")
INPUT = "an input"


def _real(path: PathLike) -> str:
    return os.path.realpath(os.path.abspath(os.path.expanduser(os.fspath(path))))


def _same_file(a: str, b: str) -> bool:
    """The same path after symbolic links, or the same inode (a hard link)."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def sqlite_family(database: PathLike, what: str = "the ledger database") -> list[Protected]:
    """A SQLite file and the files SQLite and the ledger keep beside it."""
    text = os.fspath(database)
    family: list[Protected] = [(what, text)]
    return family + [(f"{what}'s {suffix.lstrip('-.')} file", text + suffix) for suffix in SQLITE_COMPANIONS]


def input_paths(sources: Iterable[PathLike | None]) -> list[Protected]:
    """The local files among ``sources`` (SQL URLs and absent options are skipped)."""
    return [(INPUT, s) for s in sources if s is not None and "://" not in os.fspath(s)]


def _refuse(label: str, path: PathLike, problem: str, hint: str) -> OutputError:
    return OutputError(f"{label} {os.fspath(path)}: {problem}", hint)


def check_folder_target(label: str, path: PathLike) -> None:
    """An output *folder* (written into): not a system path, not a file, its parent present."""
    real = _real(path)
    if any(real == root or _under(real, root) for root in _SYSTEM_ROOTS):
        raise _refuse(label, path, "is a system path, not a place for output", "write into a folder of your own")
    if os.path.exists(real) and not os.path.isdir(real):
        raise _refuse(label, path, "exists and is not a folder", "name a folder")
    parent = os.path.dirname(real)
    if not os.path.isdir(parent):
        raise _refuse(label, path, f"its parent folder {parent} does not exist", "create it first")


def check_target(label: str, path: PathLike, *, parents: bool = False) -> str:
    """One output *file*: refused (OutputError) unless a regular file can be written there.

    ``parents`` allows a missing parent folder (the keystore's folder is created on first use).
    Returns the resolved path.
    """
    real = _real(path)
    if any(real == root or _under(real, root) for root in _SYSTEM_ROOTS):
        raise _refuse(label, path, "is a system path, not a file", "write to a file of your own, or leave the option out")
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise _refuse(label, path, f"cannot be examined ({os.strerror(err.errno or 0)})", "check the path") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise _refuse(label, path, "is a folder", "name a file inside it")
    if mode is not None and not stat.S_ISREG(mode):
        raise _refuse(label, path, "is not a regular file (a FIFO, socket or device)", "name a regular file")
    parent = os.path.dirname(real)
    if not os.path.isdir(parent):
        if parents and not os.path.exists(parent):
            return real
        what = "is not a folder" if os.path.exists(parent) else "does not exist"
        raise _refuse(label, path, f"its folder {parent} {what}", "create the folder first, or write elsewhere")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refuse(label, path, f"the folder {parent} is not writable", "write elsewhere")
    return real


def check_outputs(
    outputs: Iterable[tuple[str, PathLike | None]],
    protected: Iterable[Protected] = (),
    *,
    parents: bool = False,
) -> None:
    """Check every output target against the rules above and against each other; raise on the first."""
    # only an input folder guards what lies inside it (a ledger path that is a folder is no dataset)
    guarded = [(label, _real(p), label == INPUT and os.path.isdir(_real(p))) for label, p in protected]
    seen: list[tuple[str, str]] = []
    for label, path in outputs:
        if path is None:
            continue
        real = check_target(label, path, parents=parents)
        for what, other, is_dir in guarded:
            if _same_file(real, other):
                raise _refuse(label, path, f"is {what}; writing it would destroy it", "write to another file")
            if is_dir and _under(real, other):
                raise _refuse(label, path, f"lies inside {what} (a folder being read)", "write outside that folder")
        for other_label, other in seen:
            if _same_file(real, other):
                raise _refuse(label, path, f"is also the target of {other_label}", "give each output its own file")
        seen.append((label, real))


def check_input_file(path: PathLike) -> None:
    """A local input must be a regular file or a folder: a FIFO would block, a device never ends."""
    try:
        mode = os.stat(os.fspath(path)).st_mode
    except OSError:
        return  # the reader reports a missing file with its own message
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputError(
            f"{os.fspath(path)} is not a regular file (a FIFO, socket or device)",
            "save the data to a file first, then pass its path",
        )

