"""``datacustoms policy suggest`` and ``datacustoms policy check``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import emit, handle_errors
from datacustoms.cli.options import Format
from datacustoms.errors import UsageError


def _summary(suggestion: object) -> str:
    from datacustoms.protect.suggest import Suggestion

    assert isinstance(suggestion, Suggestion)
    lines = ["columns:"]
    lines += [f"  {name}: {why}" for name, why in suggestion.reasons.items()]
    lat = suggestion.lattice
    if lat is not None:
        lines.append(
            f"generalisation lattice: {lat.nodes_total} nodes, {lat.nodes_evaluated} evaluated, "
            f"{lat.nodes_tagged} tagged by monotonicity, {lat.nodes_bounded} cut by the loss bound, "
            f"{lat.seconds:.2f} s"
        )
        if lat.chosen is not None:
            c = lat.chosen
            levels = ", ".join(f"{q}={lv}/{lat.heights[q]}" for q, lv in c.levels.items())
            lines.append(f"chosen node: {levels}")
            lines.append(
                f"  k = {c.k} (target {lat.k_target}), {c.classes} classes, "
                f"suppressed {c.suppressed_rows} records ({c.suppressed_share:.2%}), "
                f"precision loss {c.precision_loss:.3f}, loss {c.loss:.3f}"
            )
    lines += [f"note: {n}" for n in suggestion.notes]
    return "\n".join(lines)


group = typer.Typer(help="Suggest or check a protection policy.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="policy")


@group.command("suggest")
@handle_errors
def suggest_cmd(
    input: str = typer.Argument(..., help="The table to protect."),
    output: Path | None = typer.Option(None, *opt.OUTPUT, help="Write the policy YAML here (else stdout)."),
    k: int = typer.Option(5, "--k", help="Smallest equivalence class to reach (R10)."),
    hierarchies: Path | None = typer.Option(
        None,
        "--hierarchies",
        help="Folder of ARX-format hierarchy files (<column>.csv or *_hierarchy_<column>.csv).",
    ),
    recipient: str | None = typer.Option(None, "--recipient", help="Who receives the data."),
    purpose: str | None = typer.Option(None, "--purpose", help="What the recipient may use it for."),
    qi: str | None = typer.Option(None, "--qi", help="Quasi-identifiers, comma-separated (default: detected)."),
    sensitive: str | None = typer.Option(None, "--sensitive", help="Sensitive columns, comma-separated."),
    join_key: str | None = typer.Option(
        None, "--join-key", help="Columns the recipient joins on (pseudonymised), comma-separated."
    ),
    max_suppression: float = typer.Option(
        0.05, "--max-suppression", help="Largest share of records that may be suppressed (0–1)."
    ),
    key: str = typer.Option(
        "keystore:default", "--key",
        help="Key reference written into the policy: keystore:NAME (a local keystore key) or env:NAME.",
    ),
    fmt: Annotated[Format, opt.format_option(Format.text, Format.json, help="Format of the summary (text or json).")] = (
        Format.text
    ),
) -> None:
    """Propose a policy: drop clear identifiers, key the join keys, generalise QIs to reach k."""
    from datacustoms.io import read
    from datacustoms.ledger.terms import record_template
    from datacustoms.policy import dump_policy
    from datacustoms.protect.suggest import suggest_policy

    if k < 1:
        raise UsageError("--k must be at least 1", "e.g. --k 5")
    if not 0 <= max_suppression <= 1:
        raise UsageError("--max-suppression must be between 0 and 1", "e.g. --max-suppression 0.05")
    table = read(input)
    policy_dir = (output.parent if output is not None else Path(".")).resolve()
    suggestion = suggest_policy(
        table,
        k=k,
        max_suppression=max_suppression,
        hierarchies=hierarchies,
        recipient=recipient,
        purpose=purpose,
        qi=opt.split_list(qi),
        sensitive=opt.split_list(sensitive),
        join_keys=opt.split_list(join_key),
        key=key,
        policy_dir=policy_dir,
    )
    header = "# datacustoms policy, suggested from " + Path(input).name + "; review before use.\n"
    text = header + dump_policy(suggestion.policy) + record_template(suggestion.policy)
    if fmt is Format.json:
        doc = {
            "policy": suggestion.policy.model_dump(mode="json", exclude={"base_dir"}),
            "reasons": suggestion.reasons,
            "lattice": suggestion.lattice.model_dump(mode="json") if suggestion.lattice else None,
            "notes": suggestion.notes,
        }
        if output is not None:
            emit(text, output)
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    if output is None:
        sys.stdout.write(text)
        print(_summary(suggestion), file=sys.stderr)
    else:
        emit(text, output)
        typer.echo(_summary(suggestion))
        typer.echo(f"policy written to {output}")

@group.command("check")
@handle_errors
def check_cmd(
    policy: Path = typer.Argument(..., help="The policy YAML file."),
    input_path: str | None = typer.Option(None, "--input", help="Also check the policy against this table."),
    keystore: opt.Keystore = None,
) -> None:
    """Validate a policy (and, with --input, that it fits the table and its key loads) without writing."""
    from datacustoms.io import read
    from datacustoms.policy import Mask, Pseudonymize, load_policy

    spec = load_policy(policy)
    warnings = [
        f"{name}: a pseudonym column without `why:` — say why the recipient needs it or drop it (R9)"
        for name, act in spec.columns.items()
        if isinstance(act, Pseudonymize) and not act.why
    ]
    warnings += [
        f"{name}: a mask keeps {act.keep_first + act.keep_last} characters in clear; it is not a pseudonym (R7)"
        for name, act in spec.columns.items()
        if isinstance(act, Mask) and act.keep_first + act.keep_last
    ]
    if input_path is not None:
        from datacustoms.protect.pipeline import load_master_key
        from datacustoms.protect.plan import build_plan

        table = read(input_path)
        spec.check_columns(table.column_names)
        loaded = load_master_key(spec, keystore, table.column_names)
        build_plan(spec, table.column_names, loaded[0] if loaded else None)
    for line in warnings:
        typer.echo(f"warning: {line}")
    where = f" against {input_path}" if input_path else ""
    typer.echo(f"policy {policy.name} is valid{where}: {len(spec.columns)} columns")
