"""``datacustoms inspect``: what a recipient could learn from a table, with a verdict."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click
import typer

from datacustoms.cli.common import console, emit, handle_errors
from datacustoms.engines import check_engine, parse_spark_conf, start_spark
from datacustoms.errors import UsageError
from datacustoms.io.series import looks_like_series
from datacustoms.report.registry import formats


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def register(app: typer.Typer) -> None:
    @app.command("inspect")
    @handle_errors
    def inspect_cmd(
        path: str = typer.Argument(
            ..., help="A CSV / Parquet / JSONL / Arrow file, a folder of Parquet, a SQL URL, or a series of releases "
            "(a folder or glob of daily files, a partitioned dataset)."
        ),
        fmt: str = typer.Option(
            "text", "--format", "-f", help="Output format.", click_type=click.Choice(formats("report"))
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report here (atomically) instead of stdout."
        ),
        table: str | None = typer.Option(None, "--table", help="Table name when PATH is a SQL URL."),
        encoding: str | None = typer.Option(
            None, "--encoding", help="CSV encoding (default: sniffed: UTF-8, UTF-8-BOM or CP949)."
        ),
        delimiter: str | None = typer.Option(None, "--delimiter", help="CSV delimiter (default: sniffed)."),
        input_format: str | None = typer.Option(
            None, "--input-format", help="csv, parquet, jsonl, ipc or sql (default: from the file)."
        ),
        no_attack: bool = typer.Option(False, "--no-attack", help="Skip the hash-reversal attack on digest columns."),
        attack_budget: float = typer.Option(
            30.0, "--attack-budget", help="Seconds the reversal attack may spend per column."
        ),
        qi: str | None = typer.Option(
            None,
            "--qi",
            help="Quasi-identifier columns, comma-separated; narrows the default (every column but identifiers, "
            "pseudonyms and free text, searched in combinations of up to 3–4) and is recorded in the report.",
        ),
        sensitive: str | None = typer.Option(
            None, "--sensitive", help="Sensitive columns, comma-separated (default: proposed)."
        ),
        k: int = typer.Option(5, "--k", help="Minimum equivalence-class size (R10), at least 2."),
        max_risk: float = typer.Option(0.09, "--max-risk", help="Highest acceptable prosecutor risk (R11), in (0, 1]."),
        population: int | None = typer.Option(
            None, "--population", help="Population size, for population-uniqueness estimates."
        ),
        sample_rows: int = typer.Option(20_000, "--sample-rows", help="Rows sampled for detection (at least 1)."),
        detectors: Path | None = typer.Option(None, "--detectors", help="A YAML file of extra pattern detectors."),
        reveal: bool = typer.Option(
            False, "--reveal", help="Print recovered plaintexts (otherwise only masked examples)."
        ),
        engine: str = typer.Option(
            "embedded", "--engine", help="embedded (this process) or spark (PATH may then be a Spark table name)."
        ),
        spark_master: str = typer.Option("local[*]", "--spark-master", help="Spark master URL for --engine spark."),
        spark_conf: list[str] | None = typer.Option(
            None, "--spark-conf", help="A Spark setting KEY=VALUE for --engine spark (repeatable)."
        ),
        release_key: str | None = typer.Option(
            None, "--release-key", help="For a series (folder or glob of releases): the column holding the release "
            "key (default: a date or partition in the file names).",
        ),
    ) -> None:
        """Detect identifier, pseudonym and quasi-identifier columns; try to reverse digests; measure risk.

        Exit 0 when no check fails, 1 when one does, 2 for bad input.

        Each check cites a rule (R1–R36); `datacustoms rules` says what each one means.
        """
        from datacustoms.inspection import check_sample_rows, inspect, refuse_vacuous

        refuse_vacuous(k, max_risk)  # refuse vacuous limits before reading
        check_sample_rows(sample_rows)
        if attack_budget <= 0:
            raise UsageError("--attack-budget must be positive", "e.g. --attack-budget 30")
        registry = None
        if detectors is not None:
            from datacustoms.detect.registry import builtin_registry

            registry = builtin_registry().with_yaml(detectors)
        read_options: dict[str, Any] = {
            key: value
            for key, value in (
                ("table", table), ("encoding", encoding), ("delimiter", delimiter), ("format", input_format)
            )
            if value is not None
        }  # fmt: skip
        run: Any = inspect
        spark_settings = parse_spark_conf(spark_conf, engine)
        if check_engine(engine) == "spark":
            from datacustoms.engines.spark_inspect import spark_inspect

            start_spark(spark_master, spark_settings)

            run = partial(spark_inspect, master=spark_master)
        elif release_key is not None or looks_like_series(path):
            from datacustoms.series import inspect_series

            run = partial(inspect_series, release_key=release_key)
        report = run(
            path,
            attack=not no_attack,
            attack_budget=attack_budget,
            qi=_split(qi),
            sensitive=_split(sensitive),
            thresholds={"k": k, "max_risk": max_risk},
            population=population,
            reveal=reveal,
            sample_rows=sample_rows,
            registry=registry,
            **read_options,
        )
        if fmt == "text" and output is None:
            from datacustoms.report.text import sections

            for part in sections(report):
                console.print(part)
        else:
            from datacustoms.report.registry import render

            emit(render("report", fmt, report), output)
        raise typer.Exit(1 if report.failed else 0)
