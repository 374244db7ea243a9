"""``datacustoms inspect``: what a recipient could learn from a table, with a verdict."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import console, emit, guard_outputs, handle_errors
from datacustoms.engines import DEFAULT_SPARK_MASTER
from datacustoms.errors import UsageError
from datacustoms.io.series import looks_like_series

QI_HELP = (
    "Quasi-identifier columns, comma-separated; narrows the default (every column but identifiers, "
    "pseudonyms and free text, searched in combinations of up to 3–4) and is recorded in the report."
)
RELEASE_KEY_HELP = ("For a series (folder or glob of releases): the column holding the release key "
                    "(default: a date or partition in the file names).")
ENGINE_HELP = "embedded (this process) or spark (PATH may then be a Spark table name)."


def register(app: typer.Typer) -> None:
    app.command("inspect")(handle_errors(inspect_cmd))


def _salts(salt: list[str] | None, salt_file: list[str] | None, mode: opt.SaltMode, engine: str) -> dict[str, Any]:
    """``salts=`` for inspect when known salts were given (embedded engine only)."""
    salts = opt.known_salts(salt, salt_file, mode)
    if salts and engine == "spark":
        raise UsageError("--salt and --salt-file run on the embedded engine only", "drop --engine spark")
    return {"salts": salts} if salts else {}


POLICY_HELP = (
    "Measure as this policy declares: its quasi-identifiers, sensitive columns and thresholds (--qi, --sensitive, "
    "--k, --max-risk, --max-average-risk still win); the report names the policy line that leaves each column out."
)


def _policy_scope(
    path: Path | None, qi: list[str] | None, sensitive: list[str] | None, *given: float | None
) -> dict[str, Any]:
    """``inspect``'s arguments from ``--policy`` (nothing without one): the declared scope and limits."""
    if path is None:
        return {}
    from datacustoms.policy import load_policy

    policy = load_policy(path)
    scope: dict[str, Any] = {}
    if qi is None:
        scope.update(qi=policy.qi_columns(), qi_origin="policy", qi_reasons=policy.qi_reasons)
    if sensitive is None and policy.sensitive:
        scope["sensitive"] = list(policy.sensitive)
    if all(value is None for value in given):
        scope["thresholds"] = policy.thresholds
    return scope


def _registry(detectors: Path | None) -> Any:
    """The built-in detectors, plus the ``--detectors`` YAML file when given (None: the defaults)."""
    if detectors is None:
        return None
    from datacustoms.detect.registry import builtin_registry

    return builtin_registry().with_yaml(detectors)


def _refuse_series_reading(engine: str, given: tuple[tuple[str, str | None], ...]) -> None:
    """Spark reads a series as it reads one table: refuse reading options before it reads every release."""
    reading = [f"--{k.replace('format', 'input-format')}" for k, v in given if v is not None]
    if reading and engine.strip().lower() == "spark":
        raise UsageError(f"{', '.join(reading)} cannot be used with --engine spark on a series of releases",
                         "Spark reads CSV as UTF-8 with a header and a comma; use --engine embedded")  # fmt: skip


def inspect_cmd(
    path: Annotated[str, typer.Argument(help="A CSV / Parquet / JSONL / Arrow file, a folder of Parquet, a SQL URL, "
                                    "or a series of releases (a folder or glob of daily files, a partitioned dataset).")],
    fmt: Annotated[str, opt.rendered_format_option("report")] = "text",
    output: Annotated[Path | None, opt.output("Write the report here (atomically) instead of stdout.")] = None,
    table: Annotated[str | None, typer.Option("--table", help="Table name when PATH is a SQL URL.")] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="CSV encoding (default: sniffed: UTF-8, UTF-8-BOM or CP949).")
    ] = None,
    delimiter: Annotated[str | None, typer.Option("--delimiter", help="CSV delimiter (default: sniffed).")] = None,
    input_format: Annotated[
        str | None, typer.Option("--input-format", help="csv, parquet, jsonl, ipc or sql (default: from the file).")
    ] = None,
    no_attack: Annotated[
        bool, typer.Option("--no-attack", help="Skip the hash-reversal attack on digest columns.")
    ] = False,
    attack_budget: Annotated[float | None, opt.attack_budget()] = None,
    qi: Annotated[str | None, typer.Option("--qi", help=QI_HELP)] = None,
    sensitive: Annotated[
        str | None, typer.Option("--sensitive", help="Sensitive columns, comma-separated (default: proposed).")
    ] = None,
    k: opt.K = None,
    max_risk: opt.MaxRisk = None,
    max_average_risk: opt.MaxAverageRisk = None,
    population: Annotated[
        int | None, typer.Option("--population", help="Population size, for population-uniqueness estimates.")
    ] = None,
    sample_rows: Annotated[
        int, typer.Option("--sample-rows", help="Rows sampled for detection (at least 1).")
    ] = 20_000,
    detectors: Annotated[
        Path | None, typer.Option("--detectors", help="A YAML file of extra pattern detectors.")
    ] = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Print recovered plaintexts (otherwise only masked examples).")
    ] = False,
    engine: Annotated[str, opt.engine(ENGINE_HELP)] = "embedded",
    spark_master: opt.SparkMaster = DEFAULT_SPARK_MASTER,
    spark_conf: opt.SparkConf = None,
    salt: opt.Salt = None,
    salt_file: opt.SaltFile = None,
    salt_mode: opt.SaltModeOption = opt.SaltMode.any,
    release_key: Annotated[str | None, typer.Option("--release-key", help=RELEASE_KEY_HELP)] = None,
    quiet: opt.Quiet = False,
    policy: Annotated[Path | None, typer.Option("--policy", "-p", help=POLICY_HELP)] = None,
) -> None:
    """Detect identifier, pseudonym and quasi-identifier columns; try to reverse digests; measure risk.

    Exit 0 when no check fails, 1 when one does, 2 for bad input.

    Each check cites a rule (R1–R36); `datacustoms rules` says what each one means.
    """
    from datacustoms.flows.inspect import check_sample_rows, inspect

    limits = opt.measure_limits(k, max_risk, max_average_risk)  # refuse vacuous limits before reading
    opt.refuse_html_on_terminal(fmt, output)
    check_sample_rows(sample_rows)
    budget = opt.resolve_attack_budget(attack_budget)
    guard_outputs({"--output": output}, [path, detectors, policy])
    scope = _policy_scope(policy, opt.split_list(qi), opt.split_list(sensitive), k, max_risk, max_average_risk)
    registry = _registry(detectors)
    given = (("table", table), ("encoding", encoding), ("delimiter", delimiter), ("format", input_format))
    read_options: dict[str, Any] = {key: value for key, value in given if value is not None}
    read_options.update(_salts(salt, salt_file, salt_mode, engine))
    if release_key is not None or looks_like_series(path):  # a series: the latest release and the whole (R17)
        _refuse_series_reading(engine, given)
        from datacustoms.flows.series import inspect_series
        inspect = partial(inspect_series, release_key=release_key)
    from datacustoms.cli.progress import progress_reporter

    with progress_reporter(quiet) as progress:
        report = inspect(
            path, engine=opt.engine_from(engine, spark_master, spark_conf), attack=not no_attack,
            attack_budget=budget, population=population, reveal=reveal,
            **{"qi": opt.split_list(qi), "sensitive": opt.split_list(sensitive), "thresholds": limits, **scope},
            sample_rows=sample_rows, registry=registry, progress=progress, **read_options,
        )  # fmt: skip
    _print(report, fmt, output, private=reveal)
    raise typer.Exit(1 if report.failed else 0)


def _print(report: Any, fmt: str, output: Path | None, *, private: bool = False) -> None:
    """The report as ``fmt``: Rich sections on stdout for text, else the registry's renderer
    (owner-only when ``private``: a report with recovered plaintexts)."""
    if fmt == "text" and output is None:
        from datacustoms.report.text import sections

        for part in sections(report):
            console.print(part)
    else:
        from datacustoms.report.registry import render

        emit(render("report", fmt, report), output, private=private)
