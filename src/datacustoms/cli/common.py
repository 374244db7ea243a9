"""What every command shares: error handling, output writing, console."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from datacustoms.errors import DatacustomsError
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
        try:
            return func(*args, **kwargs)
        except DatacustomsError as err:
            print(f"error: {err.one_line()}", file=sys.stderr)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            print("error: interrupted — nothing was written", file=sys.stderr)
            raise typer.Exit(130) from None
        except MemoryError:
            print("error: out of memory — try a smaller --sample or a larger machine", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper


def emit(text: str, output: Path | None) -> None:
    """Write to ``output`` atomically, or to stdout."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        atomic_write_text(output, text if text.endswith("\n") else text + "\n")
