"""``datacustoms ledger``: read, verify and export the transfer record; "where did my data go?"."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table as RichTable

from datacustoms.cli import options as opt
from datacustoms.cli.common import console, emit, guard_outputs, handle_errors
from datacustoms.cli.options import Format
from datacustoms.errors import LedgerTampered, UsageError


def _store(url: str | None, create: bool = False) -> Any:
    from datacustoms.ledger import LedgerStore

    return LedgerStore(url, create=create)


def entry_dict(entry: Any) -> dict[str, Any]:
    return {"seq": entry.seq, "kind": entry.kind, "created": entry.created, "prev_hash": entry.prev_hash,
            "entry_hash": entry.entry_hash, "body": entry.body}


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value, ensure_ascii=False, sort_keys=True) if any(
            isinstance(v, dict | list) for v in value) else ";".join(str(v) for v in value)
    else:
        out[prefix] = "" if value is None else str(value)


def export_csv(entries: list[Any]) -> str:
    """One row per entry, the body flattened to dotted columns (a spreadsheet for a regulator)."""
    rows = []
    for e in entries:
        flat: dict[str, str] = {}
        _flatten("", {k: v for k, v in entry_dict(e).items() if k != "body"}, flat)
        _flatten("", e.body, flat)
        rows.append(flat)
    fixed = ["seq", "kind", "created", "prev_hash", "entry_hash"]
    rest = sorted({k for r in rows for k in r} - set(fixed))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fixed + rest, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _mask_phone(e164: str) -> str:
    from datacustoms.kinds.phones import national_from_e164

    national = national_from_e164(e164)
    return national[:3] + "-****-" + national[-4:] if len(national) >= 10 else "****" + national[-2:]


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"


ledger_app = typer.Typer(help="The transfer ledger: list, show, verify, export, and look up a person.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")


@ledger_app.command("list")
@handle_errors
def list_cmd(
    ledger: opt.Ledger = None,
    kind: str | None = typer.Option(
        None, "--kind", help="Only entries of this kind: transfer, consent_import or destruction."),
    fmt: Annotated[str, opt.rendered_format_option("ledger list", help="Output format: text or json.")] = "text",
) -> None:
    """List the ledger's entries, oldest first."""
    with _store(ledger) as store:
        entries = store.entries(kind)
    if fmt != "text":
        from datacustoms.flows.documents import LedgerListDocument
        from datacustoms.report.ci import Checked
        from datacustoms.report.registry import render

        doc = LedgerListDocument.model_validate({"entries": [entry_dict(e) for e in entries]})
        emit(render("ledger list", fmt, Checked("ledger list", "", data=lambda: doc.model_dump_json(indent=2))), None)
        return
    table = RichTable(title=f"{len(entries)} ledger entries", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("#", "time (UTC)", "kind", "status", "to", "purpose / file", "rows"):
        fixed = name not in ("to", "purpose / file")
        table.add_column(name, overflow="fold", no_wrap=fixed)
    for e in entries:
        b = e.body
        when = e.created[:16].replace("T", " ")
        if e.kind == "transfer":
            r = b.get("recipient") or {}
            table.add_row(str(e.seq), when, "transfer", b.get("status", ""),
                          f"{r.get('name', '')} ({r.get('country', '')})", b.get("purpose", ""),
                          f"{(b.get('dataset') or {}).get('rows') or 0:,}")
        elif e.kind == "destruction":
            table.add_row(str(e.seq), when, "destroyed", "", f"transfer #{b.get('transfer_entry')}",
                          f"on {b.get('destroyed_on')}: {b.get('method', '')}", "")
        else:
            table.add_row(str(e.seq), when, "consent" if e.kind == "consent_import" else e.kind, "", "",
                          b.get("file", ""), f"{b.get('rows', 0):,}")
    console.print(table)

@ledger_app.command("show")
@handle_errors
def show_cmd(
    entry_id: str = typer.Argument(..., help="Entry number, transfer id, or a hash prefix (6+ hex digits)."),
    ledger: opt.Ledger = None,
) -> None:
    """Print one entry in full (JSON), with its hashes."""
    with _store(ledger) as store:
        entry = store.get(entry_id)
    typer.echo(json.dumps(entry_dict(entry), ensure_ascii=False, indent=2))

@ledger_app.command("head")
@handle_errors
def head_cmd(ledger: opt.Ledger = None) -> None:
    """Print the head hash: keep it elsewhere and pass it to `verify --expect-head` later."""
    with _store(ledger) as store:
        seq, digest = store.head()
    typer.echo(f"{digest} {seq}")

@ledger_app.command("anchor")
@handle_errors
def anchor_cmd(
    output: Annotated[Path, opt.output("Write the signed head here (JSON, atomically).")],
    ledger: opt.Ledger = None,
) -> None:
    """Write the head signed with the ledger's Ed25519 key; keep it outside the database."""
    guard_outputs({"--output": output}, ledger=ledger)
    with _store(ledger) as store:
        anchor = store.anchor()
    emit(anchor.to_json(), output)
    typer.echo(f"anchored entry {anchor.seq} ({anchor.head[:12]}), public key {anchor.public_key[:16]}…")

@ledger_app.command("verify")
@handle_errors
def verify_cmd(
    ledger: opt.Ledger = None,
    expect_head: str | None = typer.Option(
        None, "--expect-head", help="A head hash recorded earlier (12+ hex digits); detects a cut-off tail."),
    anchor_file: Path | None = typer.Option(
        None, "--anchor", help="A signed anchor from 'ledger anchor': its entry must still be in the chain."),
) -> None:
    """Check chain, signatures, consents (and an anchor); name the first damage. Exit 1 if broken."""
    import re

    from datacustoms.ledger.anchor import read_anchor

    if expect_head is not None and not re.fullmatch(r"[0-9a-fA-F]{12,64}", expect_head.strip()):
        raise UsageError("--expect-head must be 12 to 64 hex digits", "copy it from `datacustoms ledger head`")
    anchor = read_anchor(anchor_file) if anchor_file is not None else None
    with _store(ledger) as store:
        result = store.verify(expect_head, anchor)
    if result.ok:
        typer.echo(f"ok: {result.entries} entries, chain intact, head {result.head}")
        return
    first = result.problems[0]
    raise LedgerTampered(f"ledger {first.damage}: {first.message}",
                         "restore from backup; compare with an exported copy or a published head")

@ledger_app.command("export")
@handle_errors
def export_cmd(
    fmt: Annotated[Format, opt.format_option(Format.json, Format.csv, help="json (verifiable) or csv.")] = Format.json,
    output: opt.Output = None,
    ledger: opt.Ledger = None,
) -> None:
    """Export every entry, with hashes, for a regulator or an auditor."""
    guard_outputs({"--output": output}, ledger=ledger)
    with _store(ledger) as store:
        entries = store.entries()
        seq, head = store.head()
    if fmt is Format.json:
        doc = {"format": "datacustoms-ledger/1", "head": head, "head_seq": seq,
               "hash": "sha256(canonical_json({kind, created, body, prev_hash}))",
               "entries": [entry_dict(e) for e in entries]}
        emit(json.dumps(doc, ensure_ascii=False, indent=2), output)
    else:
        emit(export_csv(entries), output)

@ledger_app.command("destroyed")
@handle_errors
def destroyed_cmd(
    entry_id: str = typer.Argument(..., help="The transfer: entry number, transfer id or hash prefix."),
    on: str = typer.Option(..., "--on", help="Day the recipient destroyed the data (YYYY-MM-DD)."),
    method: str = typer.Option(..., "--method", help="How it was destroyed (e.g. 'secure erase, model deleted')."),
    confirmed_by: str = typer.Option(..., "--confirmed-by", help="Who confirmed it (name, role, organisation)."),
    receipt: Path | None = typer.Option(None, "--receipt", help="The destruction certificate; its SHA-256 is recorded."),
    ledger: opt.Ledger = None,
) -> None:
    """Record that a transfer's data was destroyed (R22): an append-only destruction entry."""
    from datetime import date

    from datacustoms.ledger.destruction import record_destruction

    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise UsageError(f"--on {on!r} is not a date", "use YYYY-MM-DD") from None
    with _store(ledger) as store:
        entry = record_destruction(store, entry_id, destroyed_on=day, method=method,
                                   confirmed_by=confirmed_by, receipt=receipt)
    typer.echo(f"recorded: transfer {entry.body['transfer_id']} destroyed on {day} — ledger entry {entry.seq}")

@ledger_app.command("exposure")
@handle_errors
def exposure_cmd(
    recipient: str = typer.Option(..., "--recipient", help="The recipient's name, as in the transfer records."),
    k: int | None = typer.Option(None, "--k", help="Judge joint classes against this k (default: each policy's)."),
    ledger: opt.Ledger = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Everything one recipient holds, after each transfer (R17): people, linkable share, risk."""
    from datacustoms.cli.exposure import print_exposure

    with _store(ledger) as store:
        print_exposure(store, recipient, k, as_json)

@ledger_app.command("lookup")
@handle_errors
def lookup_cmd(
    phone: str | None = typer.Option(None, "--phone", help="A phone number in any format (010-1234-5678, +82 10…)."),
    email: str | None = typer.Option(None, "--email", help="An email address."),
    rrn: str | None = typer.Option(None, "--rrn", help="A resident registration number (900101-1234567)."),
    customer_id: str | None = typer.Option(None, "--customer-id", help="The sender's customer ID."),
    ledger: opt.Ledger = None,
    fmt: Annotated[str, opt.rendered_format_option("ledger lookup", help="Output format: text or json.")] = "text",
    as_json: bool = typer.Option(False, "--json", hidden=True, help="Same as --format json (kept for old scripts)."),
) -> None:
    """Which transfers included this person: when, to whom, where, why, which fields.

    Exit 0 when every sent transfer could be indexed; 1 when some could not (they are named).
    """
    given = [(k, v) for k, v in (("phone", phone), ("email", email), ("rrn", rrn), ("customer_id", customer_id))
             if v is not None]  # fmt: skip
    if len(given) != 1:
        raise UsageError("give exactly one of --phone, --email, --rrn or --customer-id", "e.g. --phone 010-1234-5678")
    kind, value = given[0]
    canonical, shown = _canonical_subject(kind, value)
    from datacustoms.ledger.destruction import destructions
    from datacustoms.ledger.subject_index import unindexed_transfers

    with _store(ledger) as store:
        hits = store.lookup(store.hasher.token(kind, canonical))
        destroyed = destructions(store)
        unknown = unindexed_transfers(store)
    rows = [{
        "entry": e.seq, "time": e.created, "transfer_id": e.body.get("transfer_id"),
        "recipient": (e.body.get("recipient") or {}).get("name"),
        "country": (e.body.get("recipient") or {}).get("country"),
        "role": (e.body.get("role") or {}).get("classified") or (e.body.get("role") or {}).get("declared"),
        "purpose": e.body.get("purpose"), "legal_basis": e.body.get("legal_basis"),
        "fields": e.body.get("data_items", []), "retention_until": e.body.get("retention_until"),
        "destroyed_on": (destroyed.get(e.body.get("transfer_id", "")) or {}).get("destroyed_on"),
    } for e in hits]
    hit_seqs = {e.seq for e in hits}
    unknown_rows = [{"entry": e.seq, "time": e.created, "transfer_id": e.body.get("transfer_id"),
                     "recipient": (e.body.get("recipient") or {}).get("name"), "reasons": reasons}
                    for e, reasons in unknown if e.seq not in hit_seqs]  # fmt: skip
    if as_json or fmt != "text":
        from datacustoms.flows.documents import LookupDocument
        from datacustoms.report.ci import Checked
        from datacustoms.report.registry import render

        doc = LookupDocument.model_validate(json.loads(json.dumps(
            {"subject": shown, "transfers": rows, "not_indexed": unknown_rows, "complete": not unknown_rows},
            default=str)))  # fmt: skip
        emit(render("ledger lookup", "json" if as_json else fmt,
                    Checked("ledger lookup", "", data=lambda: doc.model_dump_json(indent=2))), None)
    else:
        _print_lookup(shown, rows, unknown_rows)
    if unknown_rows:
        raise typer.Exit(1)


def _canonical_subject(kind: str, value: str) -> tuple[str, str]:
    """The canonical form that is keyed, and the masked form that is shown."""
    from datacustoms.ledger.subjects import normalise_customer_id, normalise_email, normalise_phone, normalise_rrn

    if kind == "phone":
        canonical = normalise_phone(value)
        if canonical is None:
            raise UsageError("--phone is not a phone number", "e.g. 010-1234-5678 or +82 10-1234-5678")
        return canonical, _mask_phone(canonical)
    if kind == "email":
        canonical = normalise_email(value)
        if canonical is None:
            raise UsageError("--email is not an email address", "e.g. name@example.com")
        return canonical, _mask_email(canonical)
    if kind == "rrn":
        canonical = normalise_rrn(value)
        if canonical is None:
            raise UsageError("--rrn is not a resident registration number", "13 digits, e.g. 900101-1234567")
        return canonical, f"{canonical[:2]}****-*******"
    canonical = normalise_customer_id(value)
    if canonical is None:
        raise UsageError("--customer-id is empty", "give the sender's customer ID")
    return canonical, f"customer {canonical[:2]}{'*' * max(len(canonical) - 2, 0)}"


def _print_lookup(shown: str, rows: list[dict[str, Any]], unknown: list[dict[str, Any]]) -> None:
    if not rows and not unknown:
        console.print(f"No recorded transfer included {shown}.")
        return
    if rows:
        table = RichTable(title=f"{len(rows)} transfer(s) included {shown}", title_justify="left",
                          box=box.SIMPLE_HEAD)
        for name in ("#", "time (UTC)", "recipient", "country", "role", "purpose", "legal basis", "fields",
                     "kept until", "destroyed"):
            table.add_column(name, overflow="fold", no_wrap=name in ("#", "country"))
        for r in rows:
            table.add_row(str(r["entry"]), str(r["time"])[:16].replace("T", " "), r["recipient"] or "", r["country"] or "",
                          r["role"] or "", r["purpose"] or "", r["legal_basis"] or "", ", ".join(r["fields"]),
                          str(r["retention_until"] or ""), str(r["destroyed_on"] or ""))
        console.print(table)
    else:
        console.print(f"No indexed transfer included {shown} — but the answer is incomplete:")
    if unknown:
        console.print(f"{len(unknown)} sent transfer(s) could not be (fully) indexed, so they may have included "
                      f"{shown}:", soft_wrap=True)  # fmt: skip
        for u in unknown:
            console.print(f"  entry {u['entry']} ({str(u['time'])[:16].replace('T', ' ')}, {u['recipient']}): "
                          + "; ".join(u["reasons"]), soft_wrap=True)  # fmt: skip
