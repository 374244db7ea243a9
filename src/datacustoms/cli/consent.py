"""``datacustoms consent import``: load a consent registry into the ledger (R28)."""

from __future__ import annotations

from pathlib import Path

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    consent_app = typer.Typer(help="Consents that transfers are checked against (R28).", no_args_is_help=True)
    app.add_typer(consent_app, name="consent")

    @consent_app.command("import")
    @handle_errors
    def import_cmd(
        file: Path = typer.Argument(..., help="CSV / JSONL / Parquet: subject (or phone / email), recipient, purpose, countries, given, withdrawn."),
        ledger: opt.Ledger = None,
    ) -> None:
        """Import consents; subjects are stored only as keyed hashes. Re-import updates withdrawals."""
        from datacustoms.ledger import LedgerStore
        from datacustoms.ledger.consent import import_consents

        with LedgerStore(ledger) as store:
            result = import_consents(store, file)
        console.print(
            f"imported {result.rows:,} consent row(s) from {file.name}: {result.new:,} new, "
            f"{result.updated:,} updated, {result.withdrawn:,} withdrawn — ledger entry {result.entry_seq}"
        )
