"""``datacustoms risk`` and ``datacustoms unicity``: re-identification risk on its own.

``risk`` measures k-anonymity, attacker risks, population uniqueness, diversity and rare values
over quasi-identifiers (rules R10–R13) and optionally the linkage rate against an auxiliary table
(R16); ``unicity`` measures how few points of a transaction trace single a person out (R14).
Exit 0 when every check passes, 1 when one fails, 2 for bad input.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import emit, guard_outputs, handle_errors
from datacustoms.cli.series import EngineChoice, given, series_command
from datacustoms.engines import DEFAULT_SPARK_MASTER
from datacustoms.errors import UsageError

if TYPE_CHECKING:
    from datacustoms.model.findings import Check
    from datacustoms.model.risk import LinkageResult, RiskProfile


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _points(value: str) -> list[int]:
    """``1..5``, ``1-5`` or ``1,2,4`` → a list of ints."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:\.\.|-)\s*(\d+)\s*", value)
    try:
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            return list(range(low, high + 1))
        return [int(v) for v in _split(value)]
    except ValueError:
        raise UsageError(f"--points {value!r} is not a range or a list", "e.g. --points 1..5 or 1,2,4") from None


SERIES_ENGINE_HELP = ("For a series of releases: embedded (this process) or spark (Spark reads and counts; "
                      "same figures).")


def _status_line(checks: list[Check]) -> str:
    failed = sum(c.status == "fail" for c in checks)
    return f"verdict: {'FAIL' if failed else 'pass'} ({failed} of {len(checks)} checks failed)"


def register(app: typer.Typer) -> None:
    app.command("risk")(handle_errors(risk_cmd))
    app.command("unicity")(handle_errors(unicity_cmd))


def _columns(source: Any, qi: list[str], sensitive: list[str]) -> tuple[list[str], list[str]]:
    """The quasi-identifiers and sensitive columns named, else proposed by detection; checked."""
    from datacustoms.risk import check_columns, propose_columns

    if not qi:
        from datacustoms.detect.registry import detect_columns

        qi, proposed_sens = propose_columns(detect_columns(source))
        sensitive = sensitive or [c for c in proposed_sens if c not in qi]
        if not qi:
            raise UsageError("no quasi-identifier was detected", "name them with --qi a,b,c")
    check_columns(source, qi, sensitive)
    return qi, sensitive


def _with_checks(document: Any, data: dict[str, Any], checks: list[Check]) -> str:
    """A result's JSON with its checks and verdict added, as its versioned document."""
    data["checks"] = [c.model_dump(mode="json") for c in checks]
    data["verdict"] = "fail" if any(c.status == "fail" for c in checks) else "pass"
    return json.dumps(document.model_validate(data).model_dump(mode="json"), ensure_ascii=False, indent=2)


def _emit_checked(kind: str, source: str, fmt: str, checks: list[Check], text: Any, data: Any,
                  output: Path | None, *, rows: int | None = None, **measures: Any) -> None:
    """Render a risk or unicity result (``measures``: ``risk=`` or ``unicity=``) in ``fmt`` through the registry."""
    from datacustoms.report.ci import Checked
    from datacustoms.report.registry import render

    def html() -> str:
        from datacustoms.report.html import render_measure_html

        return render_measure_html(kind, source, checks, rows=rows, **measures)

    emit(render(kind, fmt, Checked(kind, source, checks, text=text, data=data, html=html)), output)


def risk_cmd(
    path: str = typer.Argument(..., help="A CSV / Parquet / JSONL / Arrow file, a Parquet folder or a SQL URL."),
    qi: str | None = typer.Option(
        None, "--qi", help="Quasi-identifier columns, comma-separated (default: proposed from detection)."
    ),
    sensitive: str | None = typer.Option(
        None, "--sensitive", help="Sensitive columns, comma-separated (default: proposed from detection)."
    ),
    k: int | None = typer.Option(None, "--k", help="Minimum equivalence-class size (R10; default: configuration, else 5)."),
    max_risk: float | None = typer.Option(
        None, "--max-risk", help="Highest acceptable prosecutor risk (R11; default: configuration, else 0.09)."),
    avg_risk: opt.MaxAverageRisk = None,
    l_div: int | None = typer.Option(
        None, "--l", help="Minimum distinct l-diversity of sensitive columns (R12; default: configuration, else 2)."),
    t_close: float | None = typer.Option(
        None, "--t", help="Maximum t-closeness distance (R12; default: configuration, else report only)."),
    population: int | None = typer.Option(
        None, "--population", help="Population size N, for population-uniqueness estimates."
    ),
    sampling_fraction: float | None = typer.Option(
        None,
        "--sampling-fraction",
        help="Share of the population in the table (instead of --population).",
    ),
    aux: str | None = typer.Option(None, "--aux", help="Auxiliary table to link against (R16)."),
    aux_on: str | None = typer.Option(
        None, "--aux-on", help="Columns to join the auxiliary table on (default: the quasi-identifiers)."
    ),
    table: str | None = typer.Option(None, "--table", help="Table name when PATH is a SQL URL."),
    fmt: Annotated[str, opt.rendered_format_option("risk")] = "text",
    output: opt.Output = None,
    release_key: str | None = typer.Option(
        None, "--release-key", help="PATH is a series of releases: the column holding the release key "
        "(default: a date or partition in the file names)."),
    link_column: str | None = typer.Option(
        None, "--link", help="For a series: the column joining releases (default: the one found to link them)."),
    engine: Annotated[str, opt.engine(SERIES_ENGINE_HELP)] = "embedded",
    spark_master: opt.SparkMaster = DEFAULT_SPARK_MASTER,
    spark_conf: opt.SparkConf = None,
) -> None:
    """Re-identification risk over quasi-identifiers: k, risks, population uniques, l, t, rare values.

    Given a series of releases (folder or glob of daily files), what the recipient holds after all (R17).
    """
    thresholds = opt.measure_limits(k, max_risk, avg_risk, l=l_div, t=t_close)  # refused before reading
    opt.refuse_html_on_terminal(fmt, output)
    guard_outputs({"--output": output}, [path, aux])
    choice = EngineChoice(engine, spark_master, spark_conf, given(sensitive=sensitive, k=k, avg_risk=avg_risk, l=l_div,
        t=t_close, population=population, sampling_fraction=sampling_fraction, aux=aux, aux_on=aux_on, table=table))  # fmt: skip
    if series_command(path, release_key, fmt, output, force=link_column is not None, engine=choice,
                      link=link_column, profile=_split(qi) or None, max_unicity=thresholds.max_risk):  # fmt: skip
        return
    from datacustoms.io import read
    from datacustoms.risk import linkage_checks, linkage_rate, risk_checks, risk_profile

    if population is not None and sampling_fraction is not None:
        raise UsageError("--population and --sampling-fraction were both given", "give one of them")
    source = read(path, table=table)
    qi_cols, sens_cols = _columns(source, _split(qi), _split(sensitive))
    aux_table = None
    on: list[str] = []
    if aux is not None:
        aux_table = read(aux)
        on = _split(aux_on) or qi_cols
    profile = risk_profile(
        source, qi_cols, sens_cols, thresholds=thresholds, population=population, sampling_fraction=sampling_fraction
    )
    checks = risk_checks(profile, thresholds)
    link = None
    if aux_table is not None:
        link = linkage_rate(source, aux_table, on)
        checks += linkage_checks(link, max_rate=thresholds.max_risk)
    from datacustoms.flows.documents import RiskDocument

    data = profile.model_dump(mode="json")
    data["linkage"] = link.model_dump(mode="json") if link else None
    _emit_checked("risk", path, fmt, checks, lambda: _render_text(profile, checks, link),
                  lambda: _with_checks(RiskDocument, data, checks), output, rows=profile.rows, risk=profile)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)

def unicity_cmd(
    events: str = typer.Argument(
        ..., help="An events table (one row per transaction), or a series of releases (folder or glob)."),
    person: str | None = typer.Option(
        None, "--person", help="Column naming the person (or pseudonym); for a series, the link column."),
    time: str | None = typer.Option(
        None, "--time", help="Column with the event time (timestamp, date, text or epoch s); not for a series."),
    place: str | None = typer.Option(None, "--place", help="Column with the place or merchant."),
    amount: str | None = typer.Option(None, "--amount", help="Column with the amount."),
    time_granularity: str = typer.Option("day", "--time-granularity", help="hour, day or week."),
    amount_bins: int | None = typer.Option(
        None, "--amount-bins", help="Cut amounts into N equal-frequency bins (default: exact amounts)."
    ),
    points: str = typer.Option("1..5", "--points", help="Numbers of points p, e.g. 1..5 or 1,2,4."),
    sample_people: int = typer.Option(10_000, "--sample-people", help="People sampled for the estimate."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the sample and of the points drawn."),
    max_unicity: float = typer.Option(
        0.05, "--max-unicity", help="Highest acceptable share singled out (R14; engineering default)."
    ),
    table: str | None = typer.Option(None, "--table", help="Table name when EVENTS is a SQL URL."),
    fmt: Annotated[str, opt.rendered_format_option("unicity")] = "text",
    output: opt.Output = None,
    release_key: str | None = typer.Option(
        None, "--release-key", help="EVENTS is a series of releases: the column holding the release key "
        "(default: a date or partition in the file names)."),
    engine: Annotated[str, opt.engine(SERIES_ENGINE_HELP)] = "embedded",
    spark_master: opt.SparkMaster = DEFAULT_SPARK_MASTER,
    spark_conf: opt.SparkConf = None,
) -> None:
    """p-point unicity of transaction traces (de Montjoye et al. 2015), with confidence intervals.

    Given a series of releases, a point is one release's snapshot of a person, joined by the link key.
    """
    from datacustoms.io import read
    from datacustoms.risk import unicity, unicity_checks

    opt.refuse_html_on_terminal(fmt, output)
    guard_outputs({"--output": output}, [events])
    choice = EngineChoice(engine, spark_master, spark_conf, given(
        time=time, place=place, amount=amount, amount_bins=amount_bins, table=table,
        time_granularity=None if time_granularity == "day" else time_granularity))  # fmt: skip
    if series_command(events, release_key, fmt, output, kind="unicity", engine=choice, link=person,
                      max_points=max(_points(points)), sample_people=sample_people, seed=seed,
                      max_unicity=max_unicity):  # fmt: skip
        return
    if person is None or time is None:
        raise UsageError("unicity needs --person and --time for an events table", "e.g. --person account_id --time ts")

    result = unicity(
        read(events, table=table),
        person,
        time,
        place,
        amount,
        points=_points(points),
        time_granularity=time_granularity,
        amount_bins=amount_bins,
        sample_people=sample_people,
        seed=seed,
    )
    checks = unicity_checks(result, max_unicity)
    from datacustoms.flows.documents import UnicityDocument

    _emit_checked("unicity", events, fmt, checks, lambda: _unicity_text(result, checks),
                  lambda: _with_checks(UnicityDocument, result.model_dump(mode="json"), checks), output,
                  unicity=result)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


def _unicity_text(result: Any, checks: list[Check]) -> str:
    """The unicity table and its checks, as text."""
    lines = [
        f"unicity of transaction traces: {result.people:,} people, {result.events:,} events; "
        f"{result.sampled:,} sampled (seed {result.seed}), "
        f"median {result.median_points:g} points each",
        f"point = {result.time_granularity}"
        + (f" × {result.place}" if result.place else "")
        + (
            f" × {result.amount}" + (f" in {result.amount_bins} bins" if result.amount_bins else " (exact)")
            if result.amount
            else ""
        ),
        "",
        f"{'p':>3}  {'eligible':>9}  {'unique':>8}  {'ε_p':>6}  95% interval",
    ]
    for p in result.points:
        lines.append(
            f"{p.p:>3}  {p.eligible:>9,}  {p.unique:>8,}  {p.epsilon:>6.3f}  [{p.ci_low:.3f}, {p.ci_high:.3f}]"
        )
    lines += ["", *(f"[{c.status}] {c.rule} {c.message}" for c in checks), _status_line(checks)]
    return "\n".join(lines)


def _render_text(profile: RiskProfile, checks: list[Check], link: LinkageResult | None) -> str:
    """A plain-text summary: the figures first, then the checks and the verdict."""
    p = profile
    lines = [
        f"re-identification risk over {', '.join(p.qi)} ({p.rows:,} records)",
        f"  k-anonymity      k = {p.k}; {p.classes:,} classes, {p.sample_uniques:,} sample uniques; "
        f"{p.records_below_k:,} records in {p.classes_below_k:,} classes below k = {p.thresholds.k}",
        f"  prosecutor       highest {p.prosecutor.highest:.4f}, average {p.prosecutor.average:.4f}",
        f"  journalist       highest {p.journalist.highest:.4f} (no population table: as prosecutor)",
        f"  marketer         {p.marketer.average:.4f}",
    ]
    if p.population is not None:
        pop = p.population

        def fmt(v: float | None) -> str:
            return "n/a" if v is None else f"{v:,.0f}"

        lines.append(
            f"  population       N = {pop.population:,.0f} (π = {pop.sampling_fraction:.4g}); uniques: "
            f"Pitman {fmt(pop.pitman)}, Zayatz {fmt(pop.zayatz)}, SNB {fmt(pop.snb)}; "
            f"Dankar → {pop.dankar_model} {pop.dankar:,.0f} ({100 * pop.dankar_share:.3f}%)"
        )
    for d in p.diversity:
        rc = "n/a" if d.recursive_c is None else f"> {d.recursive_c:.2f}"
        lines.append(
            f"  {d.column:<16} l = {d.distinct_l} distinct, {d.entropy_l:.2f} entropy, c {rc} for l = "
            f"{d.recursive_l}; t = {d.t:.3f} ({'ordered' if d.ordered else 'equal'}); "
            f"{d.dominated_classes:,} classes ≥ {100 * d.dominance:.0f}% one value"
        )
    for r in p.rare:
        if r.rare_values:
            lines.append(
                f"  rare {r.column:<11} {r.rare_values:,} of {r.distinct:,} values "
                f"seen < {r.threshold} times "
                f"({r.rare_records:,} records)"
            )
    if link is not None:
        lines.append(
            f"  linkage          {link.unique_links:,} of {link.rows:,} records link to one auxiliary record "
            f"({link.unique_link_rate:.1%}); {link.linked_records:,} to at least one"
        )
    lines.append("")
    lines += [f"[{c.status}] {c.rule} {c.subject}: {c.message}" for c in checks]
    lines.append(_status_line(checks))
    return "\n".join(lines)
