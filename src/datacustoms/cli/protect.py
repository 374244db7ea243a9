"""``datacustoms protect``: apply a policy, write the output atomically, then prove it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import emit, guard_outputs, handle_errors
from datacustoms.engines import DEFAULT_SPARK_MASTER


def _text(result: object, proof: object | None) -> str:
    from datacustoms.protect.pipeline import ProtectResult
    from datacustoms.protect.prove import Proof, scope_line

    assert isinstance(result, ProtectResult)
    lines = []
    target = "(dry run: nothing written)" if result.dry_run else str(result.output)
    lines.append(f"protect {result.input} → {target}")
    lines.append(f"recipient: {result.recipient}; purpose: {result.purpose}")
    lines.append("plan:")
    lines += [f"  {s.column}: {s.action}" + (f" ({s.detail})" if s.detail else "") for s in result.steps]
    lines += [f"  {c}: drop" for c in result.dropped]
    if result.key_id:
        derived = ", ".join(f"{op} {kid}" for op, kid in result.derived_key_ids.items())
        lines.append(f"key: {result.key_id} (derived: {derived})")
    if result.qi:
        lines.append(f"quasi-identifiers: {', '.join(result.qi)}")
        word = "predicted k" if result.dry_run else "k"
        lines.append(f"{word}: {result.k_before} → {result.k_after} (policy: {result.k_required})")
    if result.suppressed_rows:
        lines.append(f"suppressed: {result.suppressed_rows} records ({result.suppressed_share:.2%})")
    if result.rows_out is not None:
        lines.append(f"rows written: {result.rows_out} of {result.rows_in}")
    lines += [f"note: {n}" for n in result.notes]
    if proof is not None:
        assert isinstance(proof, Proof)
        lines.append("before → after:")
        lines += [f"  {line}" for line in proof.lines]
        if (scope := scope_line(proof.after)) is not None:
            lines.append(f"risk scope of the output: {scope}")
        if proof.passed:
            lines.append("verdict: pass — the output meets the policy (pseudonymised data is still personal data)")
        else:
            lines.append("verdict: FAIL — the output does not meet the policy:")
            lines += [f"  {f.line()}" for f in proof.failures]
    return "\n".join(lines)


def _html(result: object, proof: object | None) -> str:
    from datacustoms.report.html import render_protect_html

    return render_protect_html(result, proof, title=f"datacustoms protect — {getattr(result, 'recipient', '')}")


def register(app: typer.Typer) -> None:
    @app.command("protect")
    @handle_errors
    def protect_cmd(
        input: Annotated[str, typer.Argument(help="The table to protect (CSV, Parquet, JSONL, Arrow, SQL URL).")],
        policy_path: Annotated[Path, opt.policy()],
        output: Annotated[Path | None, opt.output("Output file: .parquet or .csv.")] = None,
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and the predicted k; write nothing."),
        keystore: opt.Keystore = None,
        create_key: opt.CreateKey = False,
        fmt: Annotated[str, opt.rendered_format_option(
            "protect", help="Output format of the summary: text, json, sarif or junit.")] = "text",
        report: Path | None = typer.Option(None, "--report", help="Also write the summary as JSON to this file."),
        attack_budget: Annotated[float | None, opt.attack_budget(
            "Seconds the reversal attack may spend per digest column, split over input and output."
        )] = None,
        no_attack: opt.NoAttack = False,
        engine: Annotated[str, opt.engine(
            "embedded (this process) or spark (the output is then a Parquet folder)."
        )] = "embedded",
        spark_master: opt.SparkMaster = DEFAULT_SPARK_MASTER,
        spark_conf: opt.SparkConf = None,
        quiet: opt.Quiet = False,
    ) -> None:
        """Apply a policy: drop, pseudonymise, tokenise, encrypt, generalise, suppress — then prove it.

        Exit 0 when the output meets the policy, 1 when it does not, 2 for bad input.
        """
        from datacustoms.cli.progress import progress_reporter
        from datacustoms.flows.protect import protect_and_prove

        budget = opt.resolve_attack_budget(attack_budget)
        opt.refuse_html_on_terminal(fmt, None)  # the page goes to stdout: redirect it to a file
        targets = {"--output": output if engine == "embedded" else None, "--report": report}  # Spark writes a folder
        guard_outputs(targets, [input, policy_path], keystore=keystore)
        if create_key and not dry_run:
            opt.create_policy_key(policy_path, keystore)
        with progress_reporter(quiet) as progress:
            done = protect_and_prove(
                input, policy_path, output, engine=opt.engine_from(engine, spark_master, spark_conf),
                keystore=keystore, dry_run=dry_run, attack_budget=budget, attack=not no_attack,
                progress=progress,
            )  # fmt: skip
        from datacustoms.flows.documents import ProtectDocument
        from datacustoms.report.ci import Checked
        from datacustoms.report.registry import render

        doc = ProtectDocument(result=done.result, proof=done.proof, verdict="fail" if done.failed else "pass")
        checked = Checked("protect", input, done.proof.failures if done.proof is not None else [],
                          text=lambda: _text(done.result, done.proof),
                          data=lambda: json.dumps(doc.model_dump(mode="json"), indent=2, ensure_ascii=False),
                          html=lambda: _html(done.result, done.proof))
        if report is not None:
            emit(checked.data(), report)
        emit(render("protect", fmt, checked), None)
        if done.failed:
            raise typer.Exit(1)
