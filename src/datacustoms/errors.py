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
    ├── LedgerError           the transfer record cannot be written or read
    │   └── LedgerTampered    the hash chain does not verify
    ├── AttackError           a reversal that cannot run as asked
    └── MissingDependency     an optional extra is not installed
"""

from __future__ import annotations

import difflib
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
