"""``datacustoms rules``: what each rule code in a report means, and where it comes from."""

from __future__ import annotations

import typer

from datacustoms.cli.common import handle_errors
from datacustoms.errors import UsageError, did_you_mean


def register(app: typer.Typer) -> None:
    @app.command("rules")
    @handle_errors
    def rules_cmd(
        rule: list[str] | None = typer.Argument(None, help="Rule ids to show, e.g. R10 R11 (default: all)."),
    ) -> None:
        """List the rules a check can cite (R1–R36), each in one plain-language line with its source."""
        from datacustoms.model.rules import BY_ID, RULES

        wanted = [r.upper() for r in rule or []]
        for rid in wanted:
            if rid not in BY_ID:
                raise UsageError(f"unknown rule {rid!r}.{did_you_mean(rid, BY_ID)}", "run `datacustoms rules` for the list")
        for r in RULES:
            if not wanted or r.id in wanted:
                typer.echo(f"{r.id}: {r.explanation} [{r.source}]")
