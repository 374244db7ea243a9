"""``datacustoms attack``: try to reverse hashed identifier columns, as a recipient would.

Exit 0 when nothing was reversed, 1 when any row was reversed (the gate for pipelines), 2 for
bad input. Recovered plaintexts are printed only with ``--reveal``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from datacustoms.cli.common import emit, err_console, handle_errors
from datacustoms.table import Table

if TYPE_CHECKING:
    from datacustoms.attack.hashes.keyspaces import Keyspace


class Format(StrEnum):
    text = "text"
    json = "json"


class SaltMode(StrEnum):
    prefix = "prefix"
    suffix = "suffix"
    hmac = "hmac"
    any = "any"


class Engine(StrEnum):
    auto = "auto"
    native = "native"
    python = "python"
    hashcat = "hashcat"


def _read_known(path: str) -> Table:
    """A known list: a table file, or a ``.txt`` file of one identifier per line."""
    import pyarrow as pa

    from datacustoms.errors import InputError
    from datacustoms.io import read
    from datacustoms.table import from_arrow

    p = Path(path)
    if p.suffix.lower() in (".txt", ".lst") and p.is_file():
        try:
            lines = [line.strip() for line in p.read_text(encoding="utf-8-sig").splitlines()]
        except UnicodeDecodeError:
            raise InputError(f"{p.name} is not UTF-8 text", "save the list as UTF-8, one value per line") from None
        values = [v for v in lines if v]
        if not values:
            raise InputError(f"{p.name} holds no values", "one phone number or e-mail per line")
        return from_arrow(pa.table({"value": pa.array(values, pa.string())}), name=p.stem)
    return read(path)


#: known-secret options, shared with ``inspect``
SALT_OPTION: Any = typer.Option(
    None,
    "--salt",
    help="A salt or HMAC key you know (leaked, or the sender's own): hex:…, text:…, or a bare value "
    "(tried as hex and as text when it is valid hex); repeatable. Prefer --salt-file: a command line "
    "is visible to other users of the machine.",
)
SALT_FILE_OPTION: Any = typer.Option(
    None, "--salt-file", help="A file holding one known salt or HMAC key (bytes as stored); repeatable."
)
SALT_MODE_OPTION: Any = typer.Option(
    SaltMode.any, "--salt-mode", help="Where the known salt goes: prefix, suffix, hmac (the key) or any."
)


def _keyspaces(specs: list[str] | None) -> list[Keyspace] | None:
    """``--keyspace`` specs parsed (one line and exit 2 for a bad one)."""
    from datacustoms.attack.hashes.keyspaces import KEYSPACE_SPECS, parse_keyspace
    from datacustoms.errors import UsageError

    if not specs:
        return None
    try:
        return [parse_keyspace(spec) for spec in specs]
    except ValueError as err:
        raise UsageError(str(err).split(";")[0], f"use one of: {', '.join(KEYSPACE_SPECS)}") from None


def register(app: typer.Typer) -> None:
    @app.command("attack")
    @handle_errors
    def attack_cmd(
        path: str = typer.Argument(..., help="The export: a CSV / Parquet / JSONL / Arrow file or a SQL URL."),
        column: list[str] = typer.Option(
            None,
            "--column",
            "-c",
            help="Digest column to attack (repeatable; default: every column of digests).",
        ),
        reference: str | None = typer.Option(
            None, "--reference", help="Sender mode: the plaintext source table, to discover the exact recipe."
        ),
        join: str | None = typer.Option(
            None,
            "--join",
            help="Column present in the export and the reference (default: pair rows by position when the "
            "row counts match, else look the reference's values up among the digests).",
        ),
        known: str | None = typer.Option(
            None,
            "--known",
            help="Linkage mode: the recipient's own identifiers (a table, or .txt one per line).",
        ),
        budget: float = typer.Option(30.0, "--budget", help="Seconds the attack may spend per column."),
        reveal: bool = typer.Option(False, "--reveal", help="Print recovered plaintexts (otherwise masked examples)."),
        fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format: text or json."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write the result here (atomically)."),
        engine: Engine = typer.Option(Engine.auto, "--engine", help="auto, native, python or hashcat."),
        region: str = typer.Option("KR", "--region", help="Phone numbering plan for phone keyspaces (ISO code)."),
        keyspace: list[str] = typer.Option(
            None,
            "--keyspace",
            "-k",
            help="Enumerate these keyspaces instead of the planned ones (repeatable), e.g. kr_mobile, "
            "numeric:1..5000000, rrn:1990-01-01..1990-12-31, rrn:2021-03-04..2021-03-04:4:random, mobile:US, "
            "dates:1950-01-01..2010-12-31.",
        ),
        salt: list[str] = SALT_OPTION,
        salt_file: list[str] = SALT_FILE_OPTION,
        salt_mode: SaltMode = SALT_MODE_OPTION,
    ) -> None:
        """Reverse hashed identifiers: blind (export only), sender (--reference) or linkage (--known).

        Exit 0 when nothing was reversed, 1 when rows were reversed, 2 for bad input.
        """
        from datacustoms.attack.api import attack_column, digest_columns
        from datacustoms.attack.secrets import known_salts
        from datacustoms.errors import UsageError
        from datacustoms.io import read
        from datacustoms.model.attack import AttackReport
        from datacustoms.report.registry import render

        if budget <= 0:
            raise UsageError("--budget must be positive", "e.g. --budget 30")
        if join is not None and reference is None:
            raise UsageError("--join needs --reference", "pass the plaintext table with --reference SOURCE")
        spaces = _keyspaces(keyspace)
        salts = known_salts(salt or (), salt_file or (), salt_mode.value)
        table = read(path)
        ref_table = read(reference) if reference is not None else None
        known_table = _read_known(known) if known is not None else None
        columns = list(column) if column else digest_columns(table)
        if not columns:
            raise UsageError(f"no column of {table.name} holds digests", "name one with --column")
        report = AttackReport(source=table.source if table.source != "<memory>" else table.name, rows=None)
        progress = _progress() if (fmt is Format.text and output is None and err_console.is_terminal) else None
        for name in columns:
            result = attack_column(
                table, name, budget_s=budget, known=known_table, reference=ref_table, join=join,
                reveal=reveal, engine=engine.value, progress=progress, region=region.upper(), keyspaces=spaces,
                salts=salts,
            )  # fmt: skip
            report.columns.append(result)
        if report.columns:
            report.rows = report.columns[0].rows or None
        emit(render("attack", fmt.value, report), output)
        if progress is not None:
            sys.stderr.flush()
        raise typer.Exit(1 if report.reversed_any else 0)


def _progress() -> Callable[[str, float], None]:
    """A one-line progress callback on stderr (only on a terminal)."""
    state = {"last": ""}

    def show(label: str, fraction: float) -> None:
        line = f"\r{fraction:6.1%}  {label[:100]}"
        if line != state["last"]:
            state["last"] = line
            sys.stderr.write(line + "\x1b[K")
            sys.stderr.flush()

    return show
