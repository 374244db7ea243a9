"""``datacustoms synth``: write synthetic data shaped like real exports (the Kakao Pay case)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from datacustoms.cli.common import console, handle_errors
from datacustoms.errors import UsageError


def _parse_date(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(
            f"--start must be a date written YYYY-MM-DD, not {value!r}", "e.g. --start 2024-05-14"
        ) from None


def register(app: typer.Typer) -> None:
    synth_app = typer.Typer(
        help="Generate synthetic scenarios (deterministic from a seed) to try the checks on.",
        no_args_is_help=True,
    )
    app.add_typer(synth_app, name="synth")

    @synth_app.command("kakaopay")
    @handle_errors
    def kakaopay_cmd(
        out: Path = typer.Option(..., "--out", help="Folder to write into (created if absent; must be empty)."),
        customers: int = typer.Option(10_000, "--customers", help="Number of customers."),
        days: int = typer.Option(3, "--days", help="Number of daily export files."),
        seed: int = typer.Option(2018, "--seed", help="Random seed: the same seed writes the same bytes."),
        start: str = typer.Option("2024-05-14", "--start", help="First export day (YYYY-MM-DD)."),
        phone_format: str = typer.Option(
            "digits", "--phone-format", help="Phone form hashed: digits, dashes, e164 or e164-space."
        ),
        email_case: str = typer.Option("lower", "--email-case", help="Email form hashed: lower or as-is."),
        digest_encoding: str = typer.Option(
            "hex", "--digest-encoding", help="Digest text: hex (lower), HEX (upper) or base64."
        ),
        force: bool = typer.Option(False, "--force", help="Write into a non-empty folder, replacing our files."),
        export_format: str = typer.Option(
            "csv", "--export-format", help="Daily export files: csv, or parquet (smaller and faster for long series)."
        ),
    ) -> None:
        """The Kakao Pay -> Alipay case: customers, events, and one plain-SHA-256 export CSV per day."""
        from datacustoms.synth import generate_kakaopay

        manifest = generate_kakaopay(
            out,
            customers=customers,
            days=days,
            seed=seed,
            phone_format=phone_format,
            email_case=email_case,
            digest_encoding=digest_encoding,
            force=force,
            start=_parse_date(start),
            export_format=export_format,
        )
        r = manifest.recipe
        console.print(
            f"wrote {manifest.customers:,} customers, {manifest.events:,} events and "
            f"{len(manifest.exports)} daily {export_format} exports of {manifest.customers:,} rows to {out}",
            soft_wrap=True,
        )
        console.print(
            f"export digests: unsalted, unkeyed SHA-256 ({r.encoding}) of the mobile as "
            f"{r.phone_example}, the {'lower-cased' if r.email_case == 'lower' else 'stored'} email "
            f"and the decimal account serial — pseudonymised at best, not anonymous",
            soft_wrap=True,
        )
        console.print(
            "customers.csv / customers.parquet hold plaintext identifiers (the sender's own table); "
            "the recipe is in manifest.json",
            soft_wrap=True,
        )
