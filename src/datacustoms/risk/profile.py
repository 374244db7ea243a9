"""One entry point for the measure stage: ``risk_profile`` and the rule checks it feeds.

``risk_profile`` validates the column choice before reading anything, runs the one DuckDB
group-by (quasi-identifiers × sensitive values) into a temporary table, and derives every figure
from it inside DuckDB (``risk.cellstats``): only a few numbers per column come back to Python. The same call
runs on the input and on the protected output, so a report can show before → after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb

from datacustoms.errors import UsageError
from datacustoms.model.findings import Check, ColumnFinding, Status
from datacustoms.model.risk import (
    ClassHistogram,
    ColumnUniqueness,
    CombinationSearch,
    Diversity,
    LinkageResult,
    RareValues,
    RiskProfile,
    UnicityResult,
)
from datacustoms.model.thresholds import Thresholds
from datacustoms.risk.cellstats import (
    class_table,
    coded_diversity,
    coded_marginals,
    diversity,
    histogram,
    qi_rare_values,
    rare_values,
)
from datacustoms.risk.classes import build_cells, check_columns, connect
from datacustoms.risk.coded import count
from datacustoms.risk.estimators import journalist_risk, marketer_risk, population_uniqueness, prosecutor_risk
from datacustoms.risk.measures import RiskMeasure, apply_measures
from datacustoms.table import Table

#: DuckDB's budget for the profile: the cells table can hold about one row per record (a
#: near-unique sensitive column), so keep the working set small and let DuckDB spill the rest
MEMORY_LIMIT = "384MB"


def propose_columns(findings: Sequence[ColumnFinding]) -> tuple[list[str], list[str]]:
    """(quasi-identifiers, sensitive columns) from detection roles; identifiers never qualify.

    Direct identifiers and pseudonyms are excluded on purpose: they single out by themselves and
    belong to the hash-reversal and R1 checks, not to the class histogram.
    """
    qi = [f.column for f in findings if f.role == "quasi_identifier"]
    sensitive = [f.column for f in findings if f.role == "sensitive"]
    return qi, sensitive


#: fills the temp table ``dc_cells(q0.., s0.., n)`` in a connection (another engine's group-by)
CellLoader = Callable[[duckdb.DuckDBPyConnection], None]


def risk_profile(
    table: Table,
    qi: Sequence[str],
    sensitive: Sequence[str] = (),
    *,
    thresholds: Thresholds | None = None,
    population: int | None = None,
    sampling_fraction: float | None = None,
    load_cells: CellLoader | None = None,
    measures: Sequence[RiskMeasure] = (),
) -> RiskProfile:
    """k-anonymity, attacker risks, population uniqueness, diversity and rare values of ``table``.

    ``population`` (N) or ``sampling_fraction`` (π = n / N) enables the population-uniqueness
    estimates; give at most one. ``load_cells`` replaces the DuckDB scan that builds the cells
    table (the Spark engine runs that group-by on its executors); every figure is then derived
    the same way. ``measures`` are added risk measures (:mod:`datacustoms.risk.measures`).
    """
    thresholds = thresholds or Thresholds()
    qi, sensitive = list(qi), list(sensitive)
    check_columns(table, qi, sensitive)
    if population is not None and sampling_fraction is not None:
        raise UsageError("both a population size and a sampling fraction were given", "give one of them")
    if sampling_fraction is not None and not 0 < sampling_fraction <= 1:
        raise UsageError(f"sampling fraction {sampling_fraction} is not in (0, 1]", "e.g. 0.01 for a 1% sample")
    if population is not None and population < 1:
        raise UsageError(f"population {population} is not positive", "give the number of people")
    hist, diversities, rare, uniqueness = _measure(table, qi, sensitive, thresholds, population, load_cells)
    rows = hist.records
    pop = None
    if rows and (population is not None or sampling_fraction is not None):
        pop = population_uniqueness(hist, population=population, sampling_fraction=sampling_fraction)
    return RiskProfile(
        rows=rows,
        qi=qi,
        sensitive=sensitive,
        thresholds=thresholds,
        histogram=hist,
        k=hist.min_size,
        classes=hist.classes,
        classes_below_k=hist.classes_below(thresholds.k),
        records_below_k=hist.records_below(thresholds.k),
        sample_uniques=hist.classes_of_size(1),
        prosecutor=prosecutor_risk(hist, thresholds.max_risk),
        journalist=journalist_risk(hist, thresholds.max_risk),
        marketer=marketer_risk(hist, thresholds.max_risk),
        population=pop,
        diversity=diversities,
        rare=rare,
        uniqueness=uniqueness,
        measures=apply_measures(hist, thresholds, measures),
    )


def _measure(
    table: Table,
    qi: list[str],
    sensitive: list[str],
    thresholds: Thresholds,
    population: int | None,
    load_cells: CellLoader | None,
) -> tuple[ClassHistogram, list[Diversity], list[RareValues], list[ColumnUniqueness]]:
    """The histogram and the per-column figures: numpy over dictionary codes where the table
    allows (``risk.coded``), else DuckDB's group-by; the small value tables live in DuckDB either way."""
    rare_below, near = thresholds.rare_threshold, thresholds.near_unique
    diversities: list[Diversity] = []
    rare: list[RareValues] = []
    uniqueness: list[ColumnUniqueness] = []
    counted = count(table, qi, sensitive) if load_cells is None else None
    with connect(memory_limit=MEMORY_LIMIT) as con:
        if counted is not None:
            coded_marginals(con, counted.qi)
            hist = counted.histogram()
        else:
            if load_cells is None:
                build_cells(con, table, qi, sensitive)  # the one scan of the source
            else:
                load_cells(con)
            hist = histogram(con, class_table(con, len(qi), len(sensitive)))
        rows = hist.records
        if population is not None and population < rows:
            raise UsageError(f"population {population} is smaller than the {rows} records", "give the population size")
        for r, u in qi_rare_values(con, qi, rows=rows, threshold=rare_below, near_unique=near):
            rare.append(r)
            uniqueness.append(u)
        for i, column in enumerate(sensitive):
            arrow_type = table.schema.field(column).type
            if counted is not None:
                result, counts = coded_diversity(
                    con, column, arrow_type, counted.sensitive[i], counted.grid(i), counted.sizes,
                    rows=rows, thresholds=thresholds,
                )  # fmt: skip
            else:
                result, counts = diversity(
                    con, len(qi), len(sensitive), i, column, arrow_type, rows=rows, thresholds=thresholds
                )
            diversities.append(result)
            r, u = rare_values(con, column, counts, rows=rows, threshold=rare_below, near_unique=near)
            rare.append(r)
            uniqueness.append(u)
    return hist, diversities, rare, uniqueness


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0%"


def risk_checks(profile: RiskProfile, thresholds: Thresholds | None = None) -> list[Check]:
    """Rules R10–R13 as checks: fail when a threshold is crossed, warn for flags, with figures."""
    th = thresholds or profile.thresholds
    subject = ", ".join(profile.qi)
    checks: list[Check] = []
    n = profile.rows
    if n == 0:
        return [Check(rule="R10", subject=subject, status="warn", message="the table has no rows")]
    classes_below = profile.histogram.classes_below(th.k)
    records_below = profile.histogram.records_below(th.k)
    checks.append(
        Check(
            rule="R10",
            subject=subject,
            status="pass" if profile.k >= th.k else "fail",
            message=(
                f"k = {profile.k} (threshold {th.k}); {classes_below:,} of {profile.classes:,} classes "
                f"below {th.k}, holding {records_below:,} records ({_pct(records_below, n)}); "
                f"{profile.sample_uniques:,} sample uniques"
            ),
        )
    )
    checks += _risk_checks(profile, th, subject)
    checks += _diversity_checks(profile, th)
    checks += _rare_checks(profile)
    return checks


def _risk_checks(profile: RiskProfile, th: Thresholds, subject: str) -> list[Check]:
    """R11: prosecutor and marketer risk, and the population uniques when estimated."""
    n = profile.rows
    checks: list[Check] = []
    pro = profile.prosecutor
    above = sum(
        s * c for s, c in zip(profile.histogram.sizes, profile.histogram.counts, strict=True) if 1.0 / s > th.max_risk
    )
    ok = pro.highest <= th.max_risk and pro.average <= th.avg_risk
    checks.append(
        Check(
            rule="R11",
            subject=subject,
            status="pass" if ok else "fail",
            message=(
                f"prosecutor risk: highest {pro.highest:.3f} (limit {th.max_risk}), "
                f"average {pro.average:.3f} (limit {th.avg_risk}); "
                f"{above:,} records ({_pct(above, n)}) above {th.max_risk}; "
                f"marketer {profile.marketer.average:.3f}"
            ),
        )
    )
    if profile.population is not None:
        pop = profile.population
        checks.append(
            Check(
                rule="R11",
                subject=subject,
                status="info" if pop.dankar_share == 0 else "warn",
                message=(
                    f"estimated population uniques: {pop.dankar:,.0f} of {pop.population:,.0f} people "
                    f"({100 * pop.dankar_share:.3f}%, {pop.dankar_model} model chosen by Dankar's rule, "
                    f"sampling fraction {pop.sampling_fraction:.4g})"
                ),
            )
        )
    return checks


def _diversity_checks(profile: RiskProfile, th: Thresholds) -> list[Check]:
    """R12: l-diversity, t-closeness and dominated classes, per sensitive column."""
    n = profile.rows
    checks: list[Check] = []
    for d in profile.diversity:
        problems = []
        if th.l is not None and d.distinct_l < th.l:
            problems.append(f"{d.classes_below_l:,} classes ({d.records_below_l:,} records) below l = {th.l}")
        if th.t is not None and d.t > th.t:
            problems.append(f"{d.classes_above_t:,} classes farther than t = {th.t}")
        t_kind = "ordered" if d.ordered else "equal"
        rc = (
            f"recursive (c, {d.recursive_l})-diversity needs c > {d.recursive_c:.2f}"
            if d.recursive_c is not None
            else f"recursive (c, {d.recursive_l})-diversity unreachable (a class has < l values)"
        )
        checks.append(
            Check(
                rule="R12",
                subject=d.column,
                status="fail" if problems else "pass",
                message=(
                    f"distinct l = {d.distinct_l}, entropy l = {d.entropy_l:.2f}, {rc}, "
                    f"t = {d.t:.3f} ({t_kind} distance)" + (f"; {'; '.join(problems)}" if problems else "")
                ),
            )
        )
        if d.dominated_classes:
            checks.append(
                Check(
                    rule="R12",
                    subject=d.column,
                    status="warn",
                    message=(
                        f"{d.dominated_classes:,} classes ({d.dominated_records:,} records, "
                        f"{_pct(d.dominated_records, n)}) where one value covers ≥ {100 * th.dominance:.0f}%"
                    ),
                )
            )
    return checks


def _rare_checks(profile: RiskProfile) -> list[Check]:
    """R13: rare values and near-unique columns."""
    checks: list[Check] = []
    for r in profile.rare:
        if r.rare_values:
            checks.append(
                Check(
                    rule="R13",
                    subject=r.column,
                    status="warn",
                    message=(
                        f"{r.rare_values:,} of {r.distinct:,} values occur fewer than {r.threshold} times "
                        f"({r.rare_records:,} records)"
                    ),
                )
            )
    for u in profile.uniqueness:
        if u.near_unique:
            checks.append(
                Check(
                    rule="R13",
                    subject=u.column,
                    status="warn",
                    message=(f"near-unique column: {u.distinct:,} distinct values in {u.rows:,} rows ({u.ratio:.1%})"),
                )
            )
    return checks


def combination_checks(result: CombinationSearch, thresholds: Thresholds) -> list[Check]:
    """R10/R11 over every measured combination: fail naming the worst, or fail closed."""
    subject = f"combinations of {len(result.candidates)} candidate columns"
    if not result.complete:
        return [Check(rule="R10", subject=subject, status="fail",
                      message=f"risk not measured: {result.reason}")]  # fmt: skip
    if not result.worst:
        return []
    worst = result.worst[0]
    named = " + ".join(worst.columns)
    where = "" if result.sampled_rows >= result.rows else (
        f"; searched a seeded sample of {result.sampled_rows:,} of {result.rows:,} rows, "
        "the worst re-measured on every row"
    )  # fmt: skip
    status: Status = "fail" if any(w.fails for w in result.worst) else "pass"
    checks = [
        Check(
            rule="R10",
            subject=named,
            status=status,
            message=(
                f"{result.failing:,} of {result.combinations:,} combinations of up to {result.depth} columns break "
                f"k = {thresholds.k} or max risk {thresholds.max_risk}; worst: {named} with k = {worst.k}, "
                f"{worst.sample_uniques:,} sample uniques, {worst.records_below_k:,} records below k{where}"
            ),
        )
    ]
    special = result.special
    if special is not None and special.records:
        drivers = ", ".join(
            f"{c} ({share:.0%})" for c, share in sorted(special.contributions.items(), key=lambda kv: -kv[1])[:5]
        )
        sizes = ", ".join(f"{n:,} of size {i + 1}" for i, n in enumerate(special.msus_by_size) if n)
        checks.append(
            Check(
                rule="R10",
                subject="special uniques",
                status="warn",
                message=(
                    f"{special.records:,} records are unique on some combination of up to {special.max_size} "
                    f"columns (minimal sample uniques: {sizes}); driven by {drivers}"
                ),
            )
        )
    return checks


def unicity_checks(result: UnicityResult, max_unicity: float = 0.05) -> list[Check]:
    """R14: fail when p random points single out more than ``max_unicity`` of the people."""
    worst = max(result.points, key=lambda p: p.epsilon, default=None)
    if worst is None or worst.eligible == 0:
        most = max((p.p for p in result.points), default=0)
        return [
            Check(
                rule="R14",
                subject="traces",
                status="warn",
                message=f"no sampled person has {most} distinct points: unicity could not be measured",
            )
        ]
    figures = ", ".join(f"ε{p.p} = {p.epsilon:.2f} [{p.ci_low:.2f}, {p.ci_high:.2f}]" for p in result.points)
    return [
        Check(
            rule="R14",
            subject="traces",
            status="fail" if worst.epsilon > max_unicity else "pass",
            message=(
                f"unicity of {result.sampled:,} sampled of {result.people:,} people at "
                f"{result.time_granularity} granularity: {figures} (limit {max_unicity})"
            ),
        )
    ]


def linkage_checks(result: LinkageResult, max_rate: float = 0.09) -> list[Check]:
    """R16: fail when the auxiliary table links more than ``max_rate`` of the records uniquely."""
    return [
        Check(
            rule="R16",
            subject=", ".join(result.on),
            status="fail" if result.unique_link_rate > max_rate else "pass",
            message=(
                f"{result.unique_links:,} of {result.rows:,} records ({result.unique_link_rate:.1%}) link to "
                f"exactly one auxiliary record, {result.one_to_one:,} one-to-one; "
                f"{result.linked_records:,} link to at least one (limit {max_rate:.0%})"
            ),
        )
    ]
