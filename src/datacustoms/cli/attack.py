"""``datacustoms attack``: try to reverse hashed identifier columns, as a recipient would.

Exit 0 when nothing was reversed, 1 when any row was reversed (the gate for pipelines), 2 for
bad input. Recovered plaintexts are printed only with ``--reveal``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import emit, err_console, guard_outputs, handle_errors
from datacustoms.table import Table


class Kernel(StrEnum):
    """The hash kernel that enumerates candidates (not the execution engine of other commands)."""

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


def register(app: typer.Typer) -> None:
    app.command("attack")(handle_errors(attack_cmd))


JOIN_HELP = (
    "Column present in the export and the reference (default: pair rows by position when the row counts "
    "match, else look the reference's values up among the digests)."
)
KEYSPACE_HELP = (
    "Enumerate these keyspaces instead of the planned ones (repeatable), e.g. kr_mobile, numeric:1..5000000, "
    "rrn:1990-01-01..1990-12-31, rrn:2021-03-04..2021-03-04:4:random, mobile:US, dates:1950-01-01..2010-12-31."
)


def attack_cmd(
    path: Annotated[str, typer.Argument(help="The export: a CSV / Parquet / JSONL / Arrow file or a SQL URL.")],
    column: Annotated[list[str] | None, typer.Option(
        "--column", "-c", help="Digest column to attack (repeatable; default: every column of digests).")] = None,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="Sender mode: the plaintext source table, to discover the exact recipe.")] = None,
    join: Annotated[str | None, typer.Option("--join", help=JOIN_HELP)] = None,
    known: Annotated[str | None, typer.Option(
        "--known", help="Linkage mode: the recipient's own identifiers (a table, or .txt one per line).")] = None,
    budget: Annotated[float, typer.Option("--budget", help="Seconds the attack may spend per column.")] = 30.0,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Print recovered plaintexts (otherwise masked examples).")] = False,
    fmt: Annotated[str, opt.rendered_format_option("attack")] = "text",
    output: Annotated[Path | None, opt.output("Write the result here (atomically).")] = None,
    kernel: Annotated[Kernel, typer.Option("--kernel", help="Hash kernel: auto, native, python or hashcat.")] = (
        Kernel.auto
    ),
    engine: Annotated[Kernel | None, typer.Option(
        "--engine", hidden=True, help="Deprecated name of --kernel (kept for old scripts).")] = None,
    region: Annotated[str, typer.Option(
        "--region", help="Phone numbering plan for phone keyspaces (ISO code).")] = "KR",
    keyspace: Annotated[list[str] | None, typer.Option("--keyspace", "-k", help=KEYSPACE_HELP)] = None,
    salt: opt.Salt = None,
    salt_file: opt.SaltFile = None,
    salt_mode: opt.SaltModeOption = opt.SaltMode.any,
    quiet: opt.Quiet = False,
) -> None:
    """Reverse hashed identifiers: blind (export only), sender (--reference) or linkage (--known).

    Exit 0 when nothing was reversed, 1 when rows were reversed, 2 for bad input.
    """
    from datacustoms.attack.api import attack_column, digest_columns
    from datacustoms.attack.hashes.keyspaces import check_region
    from datacustoms.errors import UsageError
    from datacustoms.io import read
    from datacustoms.model.attack import AttackReport
    from datacustoms.report.registry import render

    if budget <= 0:
        raise UsageError("--budget must be positive", "e.g. --budget 30")
    if engine is not None:
        if kernel is not Kernel.auto and kernel is not engine:
            raise UsageError("--engine is the old name of --kernel and they disagree", "pass --kernel alone")
        err_console.print("note: attack --engine is deprecated; use --kernel")
        kernel = engine
    if join is not None and reference is None:
        raise UsageError("--join needs --reference", "pass the plaintext table with --reference SOURCE")
    spaces = _keyspaces(keyspace)
    region = check_region(region)
    salts = opt.known_salts(salt, salt_file, salt_mode)
    guard_outputs({"--output": output}, [path, reference, known])
    table = read(path)
    ref_table = read(reference) if reference is not None else None
    known_table = _read_known(known) if known is not None else None
    columns = list(column) if column else digest_columns(table)
    if not columns:
        raise UsageError(f"no column of {table.name} holds digests", "name one with --column")
    report = AttackReport(source=table.source if table.source != "<memory>" else table.name, rows=None)
    from datacustoms.cli.progress import progress_reporter

    with progress_reporter(quiet) as progress:
        for name in columns:
            if progress is not None:
                progress(f"attacking {name}", 0.0)
            result = attack_column(
                table, name, budget_s=budget, known=known_table, reference=ref_table, join=join,
                reveal=reveal, engine=kernel.value, progress=progress, region=region.upper(), keyspaces=spaces,
                salts=salts,
            )  # fmt: skip
            report.columns.append(result)
    if report.columns:
        report.rows = report.columns[0].rows or None
    emit(render("attack", fmt, report), output, private=reveal)
    raise typer.Exit(1 if report.reversed_any else 0)


def _keyspaces(specs: list[str] | None) -> list[Any] | None:
    """``--keyspace`` specifications parsed (None: the attack plans its own)."""
    if not specs:
        return None
    from datacustoms.attack.hashes.keyspaces import KEYSPACE_SPECS, parse_keyspace
    from datacustoms.errors import UsageError

    try:
        return [parse_keyspace(spec) for spec in specs]
    except ValueError as err:
        raise UsageError(str(err).split(";")[0], f"use one of: {', '.join(KEYSPACE_SPECS)}") from None
