"""``datacustoms transfer``: protect + prove + record, and release the file only when it passes."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from datacustoms.cli.common import emit, handle_errors
from datacustoms.cli.ledger import LEDGER_HELP
from datacustoms.engines import check_engine, parse_spark_conf, start_spark
from datacustoms.errors import UsageError


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"


def outcome_json(outcome: Any) -> str:
    doc = {
        "status": outcome.record.status,
        "verdict": outcome.record.verdict,
        "ledger_entry": {"seq": outcome.entry.seq, "entry_hash": outcome.entry.entry_hash},
        "record": outcome.record.model_dump(mode="json"),
        "verification": outcome.verification(),
        "protect": outcome.protect.model_dump(mode="json") if outcome.protect is not None else None,
        "exposure": outcome.exposure.model_dump(mode="json") if outcome.exposure is not None else None,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


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
    """The transfer as one offline page: verdict, columns and actions, reversal, risk, record."""
    from datacustoms.report.html import render_html, render_protect_html

    r = outcome.record
    title = f"datacustoms transfer — {r.recipient.name}, {r.purpose}"
    checks = [c.as_dict() for c in outcome.checks]
    if outcome.protect is None:  # refused before protection: the terms and the record
        view = {"source": {"name": r.source_name, "format": r.dataset.format, "rows": r.source_rows,
                           "columns": 0, "notes": []},
                "checks": checks, "created": r.created, "tool_version": r.tool_version}
        return render_html(view, record=r, title=title)
    return render_protect_html(outcome.protect, outcome.proof, checks=checks, record=r,
                               risk_before=outcome.risk_before, risk_after=outcome.risk_after,
                               output_name=r.dataset.name, title=title)


def register(app: typer.Typer) -> None:
    @app.command("transfer")
    @handle_errors
    def transfer_cmd(
        path: str = typer.Argument(..., help="The table to send (CSV, Parquet, JSONL, Arrow, SQL URL)."),
        policy: Path = typer.Option(..., "--policy", "-p", help="The policy YAML, with its record: section."),
        output: Path = typer.Option(..., "--output", "-o", help="Output file: .parquet or .csv (written only if it passes)."),
        ledger: str | None = typer.Option(None, "--ledger", help=LEDGER_HELP),
        strict: bool = typer.Option(False, "--strict", help="Refuse the transfer when any row lacks consent (default: drop those rows)."),
        fmt: Format = typer.Option(Format.text, "--format", "-f", help="Summary format on stdout: text, json or html."),
        report: Path | None = typer.Option(None, "--report", help="Also write the report to this file (.html, .json or text)."),
        keystore: Path | None = typer.Option(None, "--keystore", help="Keystore file (default: the user's keystore)."),
        attack_budget: float = typer.Option(30.0, "--attack-budget", help="Seconds the reversal attack may spend on input and output."),
        no_attack: bool = typer.Option(False, "--no-attack", help="Skip the reversal attack in the proof."),
        engine: str = typer.Option("embedded", "--engine", help="embedded, or spark: Spark reads PATH (a path or a table name)."),
        spark_master: str = typer.Option("local[*]", "--spark-master", help="Spark master URL for --engine spark."),
        spark_conf: list[str] | None = typer.Option(
            None, "--spark-conf", help="A Spark setting KEY=VALUE for --engine spark (repeatable)."
        ),
    ) -> None:
        """Protect, prove and record a transfer; the output appears only after its record is committed.

        Exit 0 when sent, 1 when refused (the refusal is recorded), 2 for bad input.
        """
        from datacustoms.ledger.transfer import run_transfer

        if attack_budget <= 0:
            raise UsageError("--attack-budget must be positive", "e.g. --attack-budget 30")
        report_fmt = None
        if report is not None:
            suffix = report.suffix.lower()
            report_fmt = Format.html if suffix in (".html", ".htm") else Format.json if suffix == ".json" else Format.text
        want_html = fmt is Format.html or report_fmt is Format.html
        source: Any = path
        spark_settings = parse_spark_conf(spark_conf, engine)
        if check_engine(engine) == "spark":  # Spark reads the source; the recorded file is written here
            from datacustoms.engines.spark import read_spark

            start_spark(spark_master, spark_settings)

            source = read_spark(path, master=spark_master)
        outcome = run_transfer(source, policy, output, ledger=ledger, strict=strict, keystore=keystore,
                               attack_budget=attack_budget, attack=not no_attack, measure_risk=want_html)
        render = {Format.text: outcome_text, Format.json: outcome_json, Format.html: outcome_html}
        if report is not None and report_fmt is not None:
            emit(render[report_fmt](outcome), report)
        emit(render[fmt](outcome), None)
        if outcome.refused:
            raise typer.Exit(1)
