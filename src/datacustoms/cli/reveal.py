"""``datacustoms reveal``: the key holder decrypts token or FF1 columns; every use is logged."""

from __future__ import annotations

from pathlib import Path

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import console, handle_errors


def _say(text: str) -> None:
    """One line on stdout, never wrapped (paths and key IDs stay whole)."""
    console.print(text, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("reveal")
    @handle_errors
    def reveal_cmd(
        source: str = typer.Argument(..., help="The protected file (CSV, Parquet, JSONL or Arrow)."),
        column: list[str] = typer.Option(
            ..., "--column", "-c", help="A token column to decrypt (repeatable)."
        ),
        output: Path = opt.required_output("Where to write the revealed table (atomically)."),
        reason: str = typer.Option(
            ..., "--reason", help="Why the values are needed (recorded in the audit log)."
        ),
        key_name: str = typer.Option(..., "--key-name", help="Keystore key name, or env:VARIABLE."),
        recipient: str = typer.Option(
            ..., "--recipient", help="Recipient the tokens were made for (as in the policy)."
        ),
        purpose: str = typer.Option(
            ..., "--purpose", help="Purpose the tokens were made for (as in the policy)."
        ),
        keystore: opt.Keystore = None,
        method: str = typer.Option("token", "--method", help="token (AES-SIV) or fpe (FF1)."),
        alphabet: str = typer.Option("0123456789", "--alphabet", help="FF1 alphabet (fpe only)."),
        keep_prefix: int = typer.Option(
            0, "--keep-prefix", help="Alphabet characters left in clear at the start (fpe only)."
        ),
        tweak: str | None = typer.Option(
            None, "--tweak", help="FF1 tweak as text (fpe only; default: the column name)."
        ),
        key_id: str | None = typer.Option(
            None, "--key-id", help="Use only this key version (see `keys list`)."
        ),
    ) -> None:
        """Decrypt tokenized (or FF1) columns for the key holder; logs who, when, why, rows and key IDs."""
        from datacustoms.protect.reveal import reveal_file

        result = reveal_file(
            source,
            output,
            columns=column,
            key_ref=key_name,
            recipient=recipient,
            purpose=purpose,
            reason=reason,
            keystore=keystore,
            method=method,
            alphabet=alphabet,
            keep_prefix=keep_prefix,
            tweak=tweak.encode("utf-8") if tweak is not None else None,
            key_id=key_id,
        )
        counts = ", ".join(f"{c}: {n:,}" for c, n in result.values.items())
        _say(
            f"revealed {counts} value(s) in {result.rows:,} rows with key {', '.join(result.key_ids) or '-'} "
            f"→ {output}; logged as entry {result.audit_entry.get('seq')} of the audit log"
        )
