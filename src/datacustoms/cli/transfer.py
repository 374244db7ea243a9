"""``datacustoms transfer``: protect + prove + record, and release the file only when it passes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import emit, guard_outputs, handle_errors
from datacustoms.engines import DEFAULT_SPARK_MASTER


def outcome_json(outcome: Any) -> str:
    """``transfer --format json`` (schema: ``docs/transfer.schema.json``)."""
    from datacustoms.flows.documents import transfer_json

    return transfer_json(outcome)


def checked(path: str, outcome: Any) -> Any:
    """The outcome as every renderer takes it: the terms' checks and the proof's failures."""
    from datacustoms.report.ci import Checked

    checks = list(outcome.checks)
    if outcome.proof is not None:
        seen = {(c.rule, c.subject) for c in checks}
        checks += [c for c in outcome.proof.failures if (c.rule, c.subject) not in seen]
    return Checked("transfer", path, checks, text=lambda: outcome_text(outcome), data=lambda: outcome_json(outcome),
                   html=lambda: outcome_html(outcome))


def outcome_text(outcome: Any) -> str:
    r = outcome.record
    lines = []
    if r.status == "sent":
        lines.append(f"SENT — {r.dataset.name} ({r.dataset.rows:,} rows) to {r.recipient.name} ({r.recipient.country}) "
                     f"for {r.purpose!r}")
    else:
        lines.append("REFUSED — nothing was written; the refusal is recorded")
        lines += [f"  {reason}" for reason in r.refusal_reasons]
    lines.append(f"ledger entry {outcome.entry.seq}: {outcome.entry.entry_hash} (transfer {r.transfer_id})")
    lines.append(f"role: declared {r.role.declared}" + (f", classified {r.role.classified}" if r.role.classified else ""))
    c = r.consent
    if c.required and c.rows_checked == 0 and r.status == "refused":
        lines.append("consent (R28): not checked — refused before any row was read")
    elif c.required:
        lines.append(f"consent (R28): {c.rows_kept:,} of {c.rows_checked:,} rows kept, {c.rows_dropped:,} dropped "
                     f"(no consent {c.no_consent:,}, withdrawn {c.withdrawn:,}, other country {c.other_country:,}, "
                     f"other purpose {c.other_purpose:,}, other recipient {c.other_recipient:,}, "
                     f"not yet given {c.not_yet_given:,}, no identifier {c.no_identifier:,})")
    if r.status == "sent":
        lines.append(f"fields: {', '.join(r.data_items)}")
        lines.append(f"sha256: {r.dataset.sha256}; subjects indexed: {r.subjects_indexed:,}; label: {r.label}")
    if outcome.exposure is not None:
        lines += outcome.exposure.lines()
    if outcome.proof is not None:
        lines.append("before → after:")
        lines += [f"  {line}" for line in outcome.proof.lines]
    for check in outcome.checks:
        if check.status != "pass":
            lines.append(f"{check.status}: {check.rule} {check.subject}: {check.message}")
    return "\n".join(lines)


def outcome_html(outcome: Any) -> str:
    """The transfer as one offline page: verdict, the source, columns and actions, reversal, risk, record."""
    from datacustoms.flows.documents import transfer_html

    return transfer_html(outcome)


def register(app: typer.Typer) -> None:
    app.command("transfer")(handle_errors(transfer_cmd))


#: the format of a ``--report`` file, by its extension (anything else: text)
REPORT_FORMATS = {".html": "html", ".htm": "html", ".json": "json", ".sarif": "sarif", ".xml": "junit"}


def transfer_cmd(
    path: Annotated[str, typer.Argument(help="The table to send (CSV, Parquet, JSONL, Arrow, SQL URL).")],
    policy: Annotated[Path, opt.policy("The policy YAML, with its record: section.")],
    output: Annotated[Path, opt.output("Output file: .parquet or .csv (written only if it passes).")],
    ledger: opt.Ledger = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Refuse the transfer when any row lacks consent (default: drop those rows).")] = False,
    fmt: Annotated[str, opt.rendered_format_option(
        "transfer", help="Summary format on stdout: text, json, html, sarif or junit.")] = "text",
    report: Annotated[Path | None, typer.Option(
        "--report", help="Also write the report to this file (.html, .json, .sarif, .xml for JUnit, else text).")] = None,
    keystore: opt.Keystore = None,
    create_key: opt.CreateKey = False,
    attack_budget: Annotated[float | None, opt.attack_budget(
        "Seconds the reversal attack may spend on input and output.")] = None,
    no_attack: opt.NoAttack = False,
    engine: Annotated[str, opt.engine("embedded, or spark: Spark reads PATH (a path or a table name).")] = "embedded",
    spark_master: opt.SparkMaster = DEFAULT_SPARK_MASTER,
    spark_conf: opt.SparkConf = None,
    quiet: opt.Quiet = False,
) -> None:
    """Protect, prove and record a transfer; the output appears only after its record is committed.

    Exit 0 when sent, 1 when refused (the refusal is recorded), 2 for bad input.
    """
    from datacustoms.flows.transfer import run_transfer
    from datacustoms.report.registry import render

    budget = opt.resolve_attack_budget(attack_budget)
    # every target is checked before anything is recorded: the record and the release go together
    guard_outputs({"--output": output, "--report": report}, [path, policy], ledger=ledger, keystore=keystore)
    report_fmt = REPORT_FORMATS.get(report.suffix.lower(), "text") if report is not None else None
    if fmt == "html" and report_fmt == "html":
        fmt = "text"  # the page goes to --report; the terminal gets the summary
    opt.refuse_html_on_terminal(fmt, None)
    if create_key:
        opt.create_policy_key(policy, keystore)
    want_html = "html" in (fmt, report_fmt)
    from datacustoms.cli.progress import progress_reporter

    with progress_reporter(quiet) as progress:
        outcome = run_transfer(path, policy, output, ledger=ledger, strict=strict, keystore=keystore,
                               attack_budget=budget, attack=not no_attack, measure_risk=want_html,
                               engine=opt.engine_from(engine, spark_master, spark_conf), progress=progress)
    result = checked(path, outcome)
    if report is not None and report_fmt is not None:
        emit(render("transfer", report_fmt, result), report)
    emit(render("transfer", fmt, result), None)
    if _has_demo_values(policy):
        print("note: the policy's transfer terms still hold values marked # DEMO — replace them before a real "
              "transfer", file=sys.stderr)
    if outcome.refused:
        raise typer.Exit(1)


def _has_demo_values(policy: Path) -> bool:
    """Whether a value line of the policy still carries the ``# DEMO`` mark of ``policy suggest``."""
    from datacustoms.ledger.terms import DEMO_MARK

    try:
        lines = policy.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return any(DEMO_MARK in line and not line.lstrip().startswith("#") for line in lines)
