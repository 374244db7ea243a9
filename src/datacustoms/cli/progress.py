"""Progress on stderr for the long steps: a Rich bar when stderr is a terminal, nothing otherwise or when quiet.

The flows take a ``progress(label, fraction)`` callback (the attack reports each recipe with the
share of its keyspace done; the flows announce each stage with fraction 0). The bar is transient:
it disappears when the command ends, leaving the terminal as the output left it. Outside a
terminal (CI logs, pipes) nothing is drawn, so logs hold only the command's output, which
:mod:`datacustoms.cli.common` renders wide enough not to wrap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from datacustoms.cli.common import err_console


class RichBar:
    """``progress`` for a terminal: one transient Rich bar whose description is the current step."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=1.0)

    def __call__(self, label: str, fraction: float) -> None:
        self.progress.update(self.task, description=label[:80], completed=max(0.0, min(fraction, 1.0)))


@contextmanager
def progress_reporter(quiet: bool = False) -> Iterator[Any]:
    """The callback for this run: a bar when stderr is a terminal, None otherwise or with ``--quiet``."""
    if quiet or not err_console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        yield RichBar(bar)
