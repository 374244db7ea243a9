"""The command line: a thin layer over the library.

Each command lives in its own module under ``datacustoms.cli`` and exposes ``register(app)``.
``main`` turns library errors into one line on stderr (the problem and the next step) and exit
code 2; a failed check is exit code 1; no traceback reaches the user for bad input.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import NoReturn

import typer

from datacustoms.errors import DatacustomsError

app = typer.Typer(
    name="datacustoms",
    help="Inspect personal data before it leaves: can the identifiers be reversed, can people be "
    "singled out, how to make it safe, and a record of the transfer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: command modules, in the order they appear in --help (each exposes register(app))
COMMAND_MODULES = ("demo", "inspect", "attack", "synth", "ledger", "consent", "transfer", "keys", "reveal", "protect", "policy", "risk", "rules", "serve")

for _name in COMMAND_MODULES:
    import_module(f"datacustoms.cli.{_name}").register(app)


def _print_version(value: bool) -> None:
    """Runs while the options are parsed, before click looks for a command."""
    if value:
        from datacustoms import __version__

        typer.echo(f"datacustoms {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    """Nothing to do here: --version is handled while the options are parsed."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point: usage errors are one line too (exit 2), never a usage box."""
    import click

    try:
        code = app(args=argv, standalone_mode=False, prog_name="datacustoms")
    except click.exceptions.NoArgsIsHelpError as err:
        print(err.format_message() if hasattr(err, "format_message") else str(err))
        sys.exit(0)
    except click.UsageError as err:
        where = err.ctx.command_path if err.ctx is not None else "datacustoms"
        message = err.format_message()
        if message.count("Did you mean") > 1:  # click and typer both add the suggestion
            message = err.message
        message = message.rstrip(".")
        print(f"error: {message} — see `{where} --help`", file=sys.stderr)
        sys.exit(2)
    except click.Abort:
        print("error: aborted — nothing was written", file=sys.stderr)
        sys.exit(130)
    except DatacustomsError as err:  # raised outside a command body (rare)
        print(f"error: {err.one_line()}", file=sys.stderr)
        sys.exit(err.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def run() -> NoReturn:
    """The console script and ``python -m datacustoms``: :func:`main`, then the process ends
    through :func:`~datacustoms.cli.leave.leave` (exit handlers run, native thread pools left
    alone, so a finished run never ends in SIGABRT). Both start in :func:`datacustoms.launch.run`,
    which chooses Arrow's memory pool first."""
    from datacustoms.cli.leave import leave

    try:
        main()
    except SystemExit as stop:
        leave(stop.code)
    leave(0)
