"""One exception tree for the whole library.

Every error a user can cause derives from :class:`DatacustomsError`. Each carries a one-line
message that names the problem and a ``hint`` that names the next step; the CLI prints both on
one line and exits with ``exit_code`` (2 for bad input or usage). Messages never contain keys,
salts or plaintext values from the data: callers pass counts, column names and line numbers.

    DatacustomsError
    ├── UsageError            wrong options or arguments
    ├── InputError            a source that cannot be read as a table
    │   └── UnsupportedFormat
    ├── ColumnError           a column name that is not in the table ("Did you mean …?")
    ├── PolicyError           a policy that does not validate
    ├── KeyMaterialError      a missing, weak or exposed key
    ├── OutputError           an output target that is refused or cannot be written
    ├── LedgerError           the transfer record cannot be written or read
    │   └── LedgerTampered    the hash chain does not verify
    ├── AttackError           a reversal that cannot run as asked
    └── MissingDependency     an optional extra is not installed

Exceptions raised by the libraries underneath (pyarrow, DuckDB, SQLAlchemy, the csv and yaml
modules, the operating system) are translated in one place, :func:`from_exception`, into one of
these classes. The library's own message is never shown: pyarrow and DuckDB quote row content in
theirs (a CSV whose first line is blank makes pyarrow list the first record as column names).
Only the file's name, the kind of problem and a line or row number are kept.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import threading
from collections.abc import Iterable


class DatacustomsError(Exception):
    """Base of every error datacustoms raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.one_line()

    def one_line(self) -> str:
        """The message and the next step, as the CLI prints them."""
        return f"{self.message} — {self.hint}" if self.hint else self.message


class UsageError(DatacustomsError):
    """The command or call was used wrongly."""


class ConfigError(UsageError):
    """A configuration file, setting or environment variable is wrong."""


class InputError(DatacustomsError):
    """A source could not be read as a table."""


class UnsupportedFormat(InputError):
    """The source's format is not one datacustoms reads."""


class ColumnError(DatacustomsError):
    """A named column is not in the table."""

    def __init__(self, column: str, available: Iterable[str], what: str = "column") -> None:
        names = list(available)
        close = difflib.get_close_matches(column, names, n=1, cutoff=0.6)
        hint = f"Did you mean {close[0]!r}?" if close else f"available: {', '.join(names[:20])}"
        super().__init__(f"unknown {what} {column!r}", hint)
        self.column = column


class PolicyError(DatacustomsError):
    """A policy file does not validate."""


class KeyMaterialError(DatacustomsError):
    """A key is missing, too weak, or stored unsafely."""


class OutputError(DatacustomsError):
    """An output target is refused (it is an input, the ledger, a folder …) or cannot be written."""


class LedgerError(DatacustomsError):
    """The transfer ledger cannot be written or read."""


class LedgerTampered(LedgerError):
    """The ledger's hash chain does not verify."""

    exit_code = 1


class AttackError(DatacustomsError):
    """A reversal attack cannot run as asked."""


class MissingDependency(DatacustomsError):
    """An optional extra is needed for this feature."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {module!r}",
            f"install it with: pip install 'datacustoms[{extra}]'",
        )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' Did you mean …?' suffix, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


# ------------------------------------------------------------------ library exceptions, translated

#: the first error a reader raised since the command started; a DuckDB or Arrow error that wraps
#: it (a reader streaming into a query, on the engine's own thread) is reported as that error
_reader_errors: list[DatacustomsError] = []
_reader_lock = threading.Lock()

_OS_PROBLEMS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free some space or write elsewhere; nothing was written"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space or write elsewhere; nothing was written"),
    errno.EFBIG: ("the file is too large for the file system", "write elsewhere"),
    errno.EACCES: ("permission denied", "check the file's permissions or choose another path"),
    errno.EPERM: ("operation not permitted", "check the file's permissions or choose another path"),
    errno.EROFS: ("the file system is read-only", "write elsewhere"),
    errno.EISDIR: ("is a folder, not a file", "name a file"),
    errno.ENOTDIR: ("a part of the path is not a folder", "check the path"),
    errno.ENOENT: ("does not exist", "check the path"),
    errno.ENAMETOOLONG: ("the name is too long", "use a shorter path"),
    errno.ELOOP: ("too many symbolic links", "check the path"),
    errno.EIO: ("an input/output error from the device", "check the disk, then try again"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) or close other programs"),
}
_LOCATION = re.compile(r"\b(line|row)\s*#?\s*(\d+)", re.IGNORECASE)
_COLUMNS = re.compile(r"Expected (\d+) columns, got (\d+)")
_MISSING_TABLE = re.compile(r"(?:no such table:\s*|relation \\?\"?)(dc_[a-z_]+)")


def remember_reader_error(err: DatacustomsError) -> None:
    """Note the first error a reader raised, so that a library error wrapping it is reported as it."""
    with _reader_lock:
        if not _reader_errors:
            _reader_errors.append(err)


def forget_reader_errors() -> None:
    """Forget remembered reader errors (at the start of each command and of each ``read``)."""
    with _reader_lock:
        _reader_errors.clear()


def _where(source: str | os.PathLike[str] | None) -> str:
    if source is None:
        return ""
    text = os.fspath(source)
    if "://" in text:  # a URL may carry a password: name its scheme only
        return text.split("://", 1)[0] + " source: "
    return f"{os.path.basename(text.rstrip('/')) or text}: "


def _location(message: str) -> str:
    """A line or row number the library's message states (numbers only, never the row itself)."""
    columns = _COLUMNS.search(message)
    found = _LOCATION.search(message)
    parts = [f"{found.group(1).lower()} {found.group(2)}"] if found else []
    if columns:
        parts.append(f"{columns.group(2)} fields where the header has {columns.group(1)}")
    return f" ({', '.join(parts)})" if parts else ""


def os_error(err: OSError, source: str | os.PathLike[str] | None = None) -> DatacustomsError:
    """An operating-system error as one line: the path, the problem, the next step."""
    problem, hint = _OS_PROBLEMS.get(err.errno or 0, (os.strerror(err.errno) if err.errno else "", "check the path"))
    writing = err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)
    path = err.filename if err.filename is not None else (None if writing else source)
    where = f"{os.fspath(path)}: " if path is not None else ("while writing: " if writing else "")
    return (OutputError if writing else InputError)(f"{where}{problem or type(err).__name__}", hint)


def _arrow_error(err: BaseException, where: str) -> DatacustomsError:
    message = str(err)
    lowered = message.lower()
    if "straddl" in lowered:
        return InputError(f"{where}a field is larger than the reader's block size", "report the file's size and shape")
    if "parquet" in lowered or "magic bytes" in lowered:
        return InputError(f"{where}not a readable Parquet file (damaged or truncated)", "export the file again")
    if "flatbuffer" in lowered or "ipc" in lowered or "metadata" in lowered or "arrow file" in lowered:
        return InputError(f"{where}not a readable Arrow IPC / Feather file", "export the file again")
    if "json" in lowered:
        return InputError(f"{where}not valid JSON Lines{_location(message)}", "one JSON object per line")
    if "csv" in lowered or "columns" in lowered:
        return InputError(f"{where}not valid CSV{_location(message)}",
                          "check the header line, the delimiter and the quoting, or pass --delimiter")
    return InputError(f"{where}the data cannot be read ({type(err).__name__}){_location(message)}",
                      "check the file's format, or pass --input-format")


def _duckdb_error(err: BaseException, where: str) -> DatacustomsError:
    kind = type(err).__name__
    if kind == "ConversionException":
        return InputError(f"{where}a value cannot be converted to the type a step needs",
                          "check the column's type against the policy (e.g. generalize: date on a text column)")
    if kind == "OutOfRangeException":
        return InputError(f"{where}a value is out of the range a step can handle", "check the column's values")
    if kind == "OutOfMemoryException":
        return InputError(f"{where}out of memory in the query engine", "use a larger machine or fewer columns")
    if kind == "IOException":
        return InputError(f"{where}the query engine cannot read the file", "check that the file is complete")
    return InputError(f"{where}the query engine cannot process the data ({kind})",
                      "check the file's format and the policy's steps")


def _database_error(err: BaseException, where: str) -> DatacustomsError:
    message = str(err)
    missing = _MISSING_TABLE.search(message)
    if missing:
        return LedgerError(f"the ledger database has no table {missing.group(1)} (damaged or not a ledger)",
                           "restore the ledger from a backup; `datacustoms ledger verify` names the damage")
    kind = type(getattr(err, "orig", None) or err).__name__
    if "locked" in message.lower():
        return LedgerError(f"{where}the database is locked by another process", "try again when it finishes")
    return LedgerError(f"{where}the database cannot be used ({kind})", "check the URL, the server and the file")


_EMBEDDED = re.compile(r"datacustoms\.errors\.([A-Za-z]+): ([^\n]+)\s*$")


def _embedded(message: str) -> DatacustomsError | None:
    """Our own error, raised in a stream that DuckDB consumed: DuckDB ends its message with the
    Python traceback's last line, ``datacustoms.errors.<Class>: <our one line>``."""
    found = _EMBEDDED.search(message)
    cls = globals().get(found.group(1)) if found else None
    if found is None or not (isinstance(cls, type) and issubclass(cls, DatacustomsError)):
        return None
    text, _, hint = found.group(2).partition(" — ")
    error = DatacustomsError(text.strip(), hint.strip() or None)
    error.__class__ = cls  # the same class (and exit code), without calling its own constructor
    return error


def from_exception(err: BaseException, source: str | os.PathLike[str] | None = None) -> DatacustomsError | None:
    """A library's exception as one of ours (never quoting its message), or None when it is not one.

    ``source`` names the file being read when the exception itself does not. A reader error
    remembered earlier in this thread wins over the Arrow or DuckDB error that wrapped it.
    """
    if isinstance(err, DatacustomsError):
        return err
    family = type(err).__module__.split(".")[0].lstrip("_")
    where = _where(source)
    if family in ("pyarrow", "duckdb"):
        embedded = _embedded(str(err))
        if embedded is not None:
            return embedded
        with _reader_lock:
            if _reader_errors:
                return _reader_errors[0]
        return _arrow_error(err, where) if family == "pyarrow" else _duckdb_error(err, where)
    if family in ("sqlalchemy", "psycopg", "psycopg2", "sqlite3"):
        return _database_error(err, where)
    if family == "yaml":
        mark = getattr(err, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        return PolicyError(f"{where}not valid YAML{line}", "fix the syntax")
    if family == "csv":
        return InputError(f"{where}not valid CSV{_location(str(err))}", "check the delimiter and quoting")
    if isinstance(err, UnicodeError):
        return InputError(f"{where}bytes that are not valid text in the expected encoding",
                          "re-export as UTF-8 or pass --encoding")
    if isinstance(err, OSError):
        return os_error(err, source)
    return None
