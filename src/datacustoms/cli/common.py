"""What every command shares: error handling, output writing, console."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from datacustoms.errors import DatacustomsError, forget_reader_errors, from_exception
from datacustoms.io.atomic import atomic_write_text

P = ParamSpec("P")
R = TypeVar("R")

#: columns for Rich output that is not going to a terminal (a CI log, a pipe): wide, so tables do not wrap at 80
LOG_WIDTH = 240


def _width(stream: object) -> int | None:
    """None (the terminal's own width) on a terminal; else $COLUMNS when set, or :data:`LOG_WIDTH`."""
    import os

    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else LOG_WIDTH


console = Console(highlight=False, soft_wrap=False, width=_width(sys.stdout))
err_console = Console(stderr=True, highlight=False, width=_width(sys.stderr))


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a DatacustomsError into one line on stderr and its exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        forget_reader_errors()
        try:
            return func(*args, **kwargs)
        except DatacustomsError as err:
            print(f"error: {err.one_line()}", file=sys.stderr)
            raise typer.Exit(err.exit_code) from None
        except (typer.Exit, SystemExit):
            raise
        except Exception as err:  # a library's exception: translated, never its text (it may quote rows)
            ours = from_exception(err, _source_of(kwargs))
            if ours is None or os.environ.get("DATACUSTOMS_DEBUG"):
                raise
            print(f"error: {ours.one_line()}", file=sys.stderr)
            raise typer.Exit(ours.exit_code) from None
        except KeyboardInterrupt:
            print("error: interrupted — nothing was written", file=sys.stderr)
            raise typer.Exit(130) from None
        except MemoryError:
            print("error: out of memory — try a smaller --sample or a larger machine", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper


def _source_of(kwargs: dict[str, Any]) -> str | None:
    """The command's input, to name in a translated error."""
    for name in ("path", "input", "source", "events", "file"):
        value = kwargs.get(name)
        if isinstance(value, str | os.PathLike):
            return os.fspath(value)
    return None


def guard_outputs(
    outputs: dict[str, Path | None],
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    *,
    ledger: str | None = None,
    keystore: str | os.PathLike[str] | None = None,
    parents: bool = False,
) -> None:
    """Refuse, before any work, outputs that are inputs, the ledger, the keystore or unwritable.

    The ledger and keystore are the ones this command would use (their defaults included).
    """
    from datacustoms.io.targets import check_outputs, input_paths, sqlite_family
    from datacustoms.ledger.store import resolve_url
    from datacustoms.protect.keys import AuditLog, default_keystore_path

    protected = input_paths(inputs)
    url = resolve_url(ledger)
    if url.startswith("sqlite:///"):
        protected += sqlite_family(url.removeprefix("sqlite:///"))
    store = Path(keystore).expanduser() if keystore is not None else default_keystore_path()
    protected += [("the keystore", store), ("the keystore's audit log", AuditLog.beside(store).path),
                  ("the keystore's lock", store.with_name(f".{store.name}.lock"))]
    check_outputs(outputs.items(), protected, parents=parents)


def emit(text: str, output: Path | None, *, private: bool = False) -> None:
    """Write to ``output`` atomically (owner-only when ``private``: plaintexts), or to stdout."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        atomic_write_text(output, text if text.endswith("\n") else text + "\n", 0o600 if private else None)
