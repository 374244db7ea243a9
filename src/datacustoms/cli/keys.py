"""``datacustoms keys create|list|rotate|audit``: the keystore, from the command line.

Key material is never printed: only names, versions, key IDs, dates and status.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import console, handle_errors
from datacustoms.protect.keys import Keystore


def _say(text: str) -> None:
    """One line on stdout, never wrapped (paths and key IDs stay whole)."""
    console.print(text, soft_wrap=True)


keys_app = typer.Typer(
    name="keys",
    help="Create, list and rotate the 256-bit master keys kept in the keystore (mode 0600).",
    no_args_is_help=True,
)

def _store(keystore: Path | None) -> Keystore:

    return Keystore(keystore)


@keys_app.command("create")
@handle_errors
def create_cmd(
    name: str = typer.Argument(..., help="Key name, e.g. alipay-nsf (letters, digits, '.', '_', '-')."),
    keystore: opt.Keystore = None,
) -> None:
    """Create a 256-bit key from the OS CSPRNG; prints its ID, never the key."""
    store = _store(keystore)
    info = store.create(name)
    _say(f"created key {info.name} version {info.version}: {info.id} in {store.path}")


@keys_app.command("list")
@handle_errors
def list_cmd(
    keystore: opt.Keystore = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List key names, versions, IDs, status and age (no key material)."""
    from dataclasses import asdict

    from datacustoms.protect.keys import ROTATE_AFTER_DAYS

    store = _store(keystore)
    infos = store.list()
    if as_json:
        listed = [{**asdict(i), "age_days": round(i.age_days(), 1)} for i in infos]
        typer.echo(json.dumps({"keystore": str(store.path), "keys": listed}, indent=2))
        return
    if not infos:
        _say(f"no keys in {store.path} — create one with `datacustoms keys create NAME`")
        return
    header = ("name", "version", "id", "status", "created", "age (days)", "rotated from")
    rows = [
        (i.name, str(i.version), i.id, i.status, i.created, f"{i.age_days():.0f}", i.rotated_from or "-")
        for i in infos
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    _say(f"keystore {store.path}")
    for r in [header, *rows]:
        _say("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    stale = [i.name for i in infos if i.status == "active" and i.age_days() > ROTATE_AFTER_DAYS]
    for name in stale:
        _say(
            f"warning: key {name} is older than {ROTATE_AFTER_DAYS} days — "
            f"rotate it with `datacustoms keys rotate {name}`"
        )


@keys_app.command("rotate")
@handle_errors
def rotate_cmd(
    name: str = typer.Argument(..., help="Name of the key to rotate."),
    keystore: opt.Keystore = None,
) -> None:
    """Add a new version of a key and retire the active one (kept to reveal and re-key old data)."""
    store = _store(keystore)
    info = store.rotate(name)
    _say(
        f"rotated key {info.name}: version {info.version} {info.id} is active; "
        f"{info.rotated_from} is retired (kept to reveal and re-key earlier exports)"
    )


@keys_app.command("rekey")
@handle_errors
def rekey_cmd(
    source: str = typer.Argument(..., help="A protected file with token or FF1 columns."),
    column: list[str] = typer.Option(..., "--column", "-c", help="A token or FF1 column to re-key (repeatable)."),
    output: Path = opt.required_output("Where to write the re-keyed table (atomically)."),
    key_name: str = typer.Option(..., "--key-name", help="Keystore key name (after `keys rotate`)."),
    recipient: str = typer.Option(..., "--recipient", help="Recipient the values were protected for."),
    purpose: str = typer.Option(..., "--purpose", help="Purpose the values were protected for."),
    keystore: opt.Keystore = None,
    method: str = typer.Option("token", "--method", help="token (AES-SIV) or fpe (FF1)."),
    from_key_id: str | None = typer.Option(
        None, "--from-key-id", help="Old version to decrypt with (default: tokens try all; FF1 the previous)."
    ),
    alphabet: str = typer.Option("0123456789", "--alphabet", help="FF1 alphabet (fpe only)."),
    keep_prefix: int = typer.Option(0, "--keep-prefix", help="Alphabet characters left in clear (fpe only)."),
    tweak: str | None = typer.Option(None, "--tweak", help="FF1 tweak as text (fpe only; default: the column name)."),
    reason: str = typer.Option("key rotation", "--reason", help="Recorded in the audit log."),
) -> None:
    """Move token / FF1 columns to the active key version; the plaintext is never written."""
    from datacustoms.protect.reveal import rekey_file

    result = rekey_file(
        source,
        output,
        columns=column,
        key_name=key_name,
        recipient=recipient,
        purpose=purpose,
        keystore=keystore,
        method=method,
        from_key_id=from_key_id,
        alphabet=alphabet,
        keep_prefix=keep_prefix,
        tweak=tweak.encode("utf-8") if tweak is not None else None,
        reason=reason,
    )
    counts = ", ".join(f"{c}: {n:,}" for c, n in result.values.items())
    _say(
        f"re-keyed {counts} value(s) in {result.rows:,} rows from {', '.join(result.key_ids) or '-'} "
        f"to {result.audit_entry.get('to_key_id')} → {output}; logged as audit entry {result.audit_entry.get('seq')}"
    )


@keys_app.command("encrypt")
@handle_errors
def encrypt_cmd(
    keystore: opt.Keystore = None,
    passphrase_file: Path | None = typer.Option(
        None, "--passphrase-file", help="Read the passphrase from this file (else $DATACUSTOMS_KEYSTORE_PASSPHRASE[_FILE])."
    ),
) -> None:
    """Encrypt a plain keystore at rest (scrypt KEK → data key → AES key wrap of every key)."""
    import os

    from datacustoms.protect.keywrap import ENV_PASSPHRASE_FILE

    before = os.environ.get(ENV_PASSPHRASE_FILE)
    if passphrase_file is not None:
        os.environ[ENV_PASSPHRASE_FILE] = str(passphrase_file)
    store = _store(keystore)
    try:
        store.encrypt()
    finally:  # the option applies to this command only
        if before is None:
            os.environ.pop(ENV_PASSPHRASE_FILE, None)
        else:
            os.environ[ENV_PASSPHRASE_FILE] = before
    _say(f"encrypted keystore {store.path}: keys are wrapped under a passphrase-derived key")


@keys_app.command("audit")
@handle_errors
def audit_cmd(
    keystore: opt.Keystore = None,
    tail: int = typer.Option(20, "--tail", help="Show the last N entries."),
) -> None:
    """Verify the audit log's hash chain and show its last entries (exit 1 if it was modified)."""
    log = _store(keystore).audit
    count = log.verify()
    _say(f"audit log {log.path}: {count} entries, hash chain intact")
    for entry in log.entries()[-tail:] if tail > 0 else []:
        shown = {k: v for k, v in entry.items() if k not in ("hash", "prev")}
        _say(json.dumps(shown, ensure_ascii=False, sort_keys=True))


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
