"""The inspect flow: read → detect → attack → measure, and the checks that turn findings into a verdict.

The same call runs on an export before it leaves and on the protected output afterwards, so the
report can show before → after with figures computed the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from datacustoms import __version__
from datacustoms.attack.api import attack_column
from datacustoms.attack.hashes.farm import MaskFarm
from datacustoms.attack.hashes.keyspaces import Keyspace
from datacustoms.attack.hashes.recipes import Salt
from datacustoms.attack.outcome import verdict as incomplete_verdict
from datacustoms.detect import DetectorRegistry, detect_columns
from datacustoms.engines import resolve_engine
from datacustoms.engines.base import Engine
from datacustoms.errors import UsageError
from datacustoms.model.attack import ColumnAttack
from datacustoms.model.findings import Check, ColumnFinding
from datacustoms.model.report import Report, SourceInfo
from datacustoms.model.risk import CombinationSearch, RiskProfile
from datacustoms.model.thresholds import Thresholds
from datacustoms.risk.classes import check_columns
from datacustoms.risk.measures import RiskMeasure, measure_checks
from datacustoms.risk.profile import combination_checks, propose_columns, risk_checks, risk_profile
from datacustoms.risk.scope import candidate_columns, column_scope
from datacustoms.table import Table

Progress = Callable[[str, float], None]
#: who narrowed the quasi-identifiers to a named list
QiOrigin = Literal["--qi", "policy"]
NARROWED_BY: dict[str, str] = {"--qi": "--qi", "policy": "the policy (quasi_identifiers, else its generalised columns)"}
#: candidates → (constant columns left out, the combination search over the rest)
Search = Callable[[list[str]], tuple[list[str], CombinationSearch] | None]


def engine_of(engine: Engine | str | None) -> Engine:
    """An :class:`Engine` object from one, a name, or None (the embedded engine)."""
    if engine is None or isinstance(engine, str):
        return resolve_engine(engine or "embedded")
    return engine


def mask_farm(engine: Engine) -> MaskFarm | None:
    """Where the engine has the attack search its large masks: its own workers (Spark's
    executors), or None for this process's cores (also an engine without ``mask_farm``)."""
    method = getattr(engine, "mask_farm", None)
    return method() if method is not None else None


def inspect(
    source: Any,
    *,
    engine: Engine | str | None = None,
    attack: bool = True,
    attack_budget: float = 30.0,
    qi: Sequence[str] | None = None,
    sensitive: Sequence[str] | None = None,
    thresholds: Thresholds | Mapping[str, Any] | None = None,
    population: int | None = None,
    sampling_fraction: float | None = None,
    measure: bool = True,
    reveal: bool = False,
    sample_rows: int = 20_000,
    progress: Progress | None = None,
    registry: DetectorRegistry | None = None,
    qi_origin: QiOrigin = "--qi",
    keyspaces: Sequence[Keyspace] | None = None,
    measures: Sequence[RiskMeasure] = (),
    salts: Sequence[Salt] = (),
    attacks: Mapping[str, ColumnAttack] | None = None,
    qi_reasons: Mapping[str, str] | Callable[[list[str]], Mapping[str, str]] | None = None,
    **read_options: Any,
) -> Report:
    """Inspect ``source`` (a path, URL, frame or Table) and return the full :class:`Report`.

    Without ``qi`` every column that is not an identifier, pseudonym or sensitive attribute is a
    candidate quasi-identifier and every combination of up to 3–4 of them is measured; ``qi``
    narrows the set (``qi_origin`` says who narrowed it, for the report; ``qi_reasons`` why each
    other column is left out, e.g. a policy's ``qi_reasons``, or a function of the table's columns
    that gives them). ``sensitive`` defaults
    to the columns detection proposes. Both are checked against the table before any data is
    read. ``thresholds`` (rules R10–R13) may be a mapping. ``registry`` holds the detectors to
    run (default: the built-ins). ``engine`` reads and counts (default: embedded; ``"spark"``
    reads a Spark DataFrame, a path Spark reads or a catalog table). ``keyspaces`` narrows the
    reversal attack (tests pass small slices). ``measures`` are added risk measures, computed on
    the same class histogram (:mod:`datacustoms.risk.measures`). ``salts`` are known salts the
    attack tries; ``attacks`` are results already measured on these very column values, reused
    instead of attacking again.
    """
    eng = engine_of(engine)
    limits = resolve_thresholds(thresholds)
    check_sample_rows(sample_rows)
    step = progress or silent
    step(f"reading {getattr(source, 'name', None) or source}"[:100], 0.0)
    table = open_source(eng, source, sample_rows, qi if measure else None, sensitive, read_options)
    if qi is not None or sensitive is not None:
        check_columns(table, qi or [], sensitive or [])
    if callable(qi_reasons):
        qi_reasons = qi_reasons(table.column_names)
    step(f"detecting what the {len(table.column_names)} columns of {table.name} hold", 0.0)
    findings = detect_columns(table, sample_rows=sample_rows, registry=registry)
    hints = {f.column: f.details.get("source_hint") for f in findings}  # detected source kinds raise priority
    farm = mask_farm(eng) if attack else None

    def attack_one(column: str) -> ColumnAttack:
        if attacks is not None and column in attacks:  # a result for these very values (protect's kept columns)
            return attacks[column]
        step(f"attacking {column}", 0.0)
        return attack_column(
            table, column, header=column, budget_s=attack_budget, reveal=reveal, progress=progress, farm=farm,
            keyspaces=keyspaces, digests=eng.distinct_digests, hints=[hints.get(column)], salts=salts,
        )  # fmt: skip

    def profile(chosen_qi: list[str], chosen_sensitive: list[str]) -> RiskProfile:
        step(f"measuring re-identification risk over {len(chosen_qi)} columns", 0.0)
        return risk_profile(
            table, chosen_qi, chosen_sensitive, thresholds=limits, population=population,
            sampling_fraction=sampling_fraction, load_cells=eng.class_cells(table, chosen_qi, chosen_sensitive),
            measures=measures,
        )  # fmt: skip

    def search(candidates: list[str]) -> tuple[list[str], CombinationSearch] | None:
        step(f"measuring risk over combinations of {len(candidates)} candidate columns", 0.0)
        return eng.combinations(table, candidates, limits)

    return run_stages(
        source_info(table), findings, attack_one=attack_one if attack else None, profile=profile if measure else None,
        qi=qi, sensitive=sensitive, limits=limits, search=search, qi_origin=qi_origin, qi_reasons=qi_reasons,
    )  # fmt: skip


def open_source(
    eng: Engine, source: Any, sample_rows: int, qi: Sequence[str] | None, sensitive: Sequence[str] | None,
    read_options: Mapping[str, Any],
) -> Table:  # fmt: skip
    """The engine opens ``source`` and draws the detection sample. Where the flow knows already which
    cells the risk profile will count (the quasi-identifiers and sensitive columns given; ``qi``
    None when nothing is measured), an engine with ``open_counting`` may count them in the same
    pass over the rows."""
    opener = getattr(eng, "open_counting", None)
    if not qi or sensitive is None or opener is None:
        return eng.open(source, sample_rows=sample_rows, **read_options)
    table: Table = opener(source, sample_rows=sample_rows, qi=list(qi), sensitive=list(sensitive), **read_options)
    return table


def silent(label: str, fraction: float) -> None:
    """The progress callback when nobody listens."""


def check_sample_rows(sample_rows: int) -> None:
    """Detection on no rows finds nothing, which would read as a clean table."""
    if sample_rows < 1:
        raise UsageError(f"--sample-rows {sample_rows} would inspect no rows", "give a positive number, e.g. 20000")


def resolve_thresholds(thresholds: Thresholds | Mapping[str, Any] | None) -> Thresholds:
    """Rules R10–R13's limits from a :class:`Thresholds`, a mapping of its fields, or the defaults."""
    return thresholds if isinstance(thresholds, Thresholds) else Thresholds(**dict(thresholds or {}))


def refuse_vacuous(k: int, max_risk: float) -> None:
    """Refuse limits a user typed that make a check vacuous.

    k = 1 holds for every table, a risk limit above 1 never fails, and one of 0 or less always does.
    """
    if k < 2:
        raise UsageError(f"k = {k} would pass every table (every class has at least one record)", "use --k 2 or more, e.g. 5")
    if not 0 < max_risk <= 1:
        raise UsageError(f"max risk {max_risk} is outside (0, 1]", "give a share, e.g. --max-risk 0.09")


def source_info(table: Table, *, format: str | None = None, extra_notes: Sequence[str] = ()) -> SourceInfo:
    """The report's description of what was read; an engine may name its own format and add notes."""
    return SourceInfo(
        name=table.name,
        path=table.source,
        format=table.format if format is None else format,
        rows=table.num_rows,
        columns=len(table.column_names),
        notes=[*table.notes, *extra_notes],
    )


def run_stages(
    source: SourceInfo,
    findings: list[ColumnFinding],
    *,
    attack_one: Callable[[str], ColumnAttack] | None,
    profile: Callable[[list[str], list[str]], RiskProfile] | None,
    qi: Sequence[str] | None,
    sensitive: Sequence[str] | None,
    limits: Thresholds,
    search: Search | None = None,
    qi_origin: QiOrigin = "--qi",
    qi_reasons: Mapping[str, str] | None = None,
) -> Report:
    """Findings → checks → attacks → risk, the one orchestration every engine runs.

    The caller passes the stage implementations: ``attack_one`` reverses one digest column
    (None means --no-attack), ``profile`` measures risk for the chosen columns (None means
    --no-measure), ``search`` measures every small combination of candidate quasi-identifiers
    (None, or a search that returns None: the full combination of the candidates is measured
    instead). Keeping the order and the checks here is what makes engines' reports agree.
    """
    report = Report(tool_version=__version__, source=source, findings=findings)
    report.checks.extend(identifier_checks(findings))
    digests = [f for f in findings if f.kind.startswith("digest:")]
    if attack_one is not None:
        for f in digests:
            result = attack_one(f.column)
            report.attacks.append(result)
            report.checks.append(reversal_check(result))
    else:
        report.checks.extend(
            Check(
                rule="R2",
                subject=f.column,
                status="warn",
                message="digest-shaped column not attacked (--no-attack): an unkeyed hash of an identifier is reversible",
            )
            for f in digests
        )
    if profile is not None:
        measure_stage(
            report, profile, search, qi=qi, sensitive=sensitive, limits=limits, qi_origin=qi_origin, reasons=qi_reasons
        )
    return report


def measure_stage(
    report: Report,
    profile: Callable[[list[str], list[str]], RiskProfile],
    search: Search | None,
    *,
    qi: Sequence[str] | None,
    sensitive: Sequence[str] | None,
    limits: Thresholds,
    qi_origin: QiOrigin,
    reasons: Mapping[str, str] | None = None,
) -> None:
    """Choose the quasi-identifiers (conservatively unless narrowed), record why, and measure."""
    findings = report.findings
    chosen_sensitive = list(sensitive) if sensitive is not None else propose_columns(findings)[1]
    if qi is not None:
        narrowed = NARROWED_BY[qi_origin]
        report.qi_origin = qi_origin
        report.scope = column_scope(
            findings, qi=qi, sensitive=chosen_sensitive, narrowed_by=narrowed, reasons=reasons
        )
        if qi:
            report.risk = profile(list(qi), chosen_sensitive)
            report.checks.extend([*risk_checks(report.risk, limits), *measure_checks(report.risk)])
        return
    report.qi_origin = "candidates"
    candidates = candidate_columns(findings, chosen_sensitive)
    constants: list[str] = []
    chosen = candidates
    searched = search(candidates) if search is not None and candidates else None
    if searched is not None:
        constants, result = searched
        report.combinations = result
        report.checks.extend(combination_checks(result, limits))
        chosen = result.worst[0].columns if result.worst else ([] if not result.complete else result.candidates)
    report.scope = column_scope(
        findings, qi=[c for c in candidates if c not in constants], sensitive=chosen_sensitive, constants=constants
    )
    if chosen:
        report.risk = profile(list(chosen), [c for c in chosen_sensitive if c not in chosen])
        report.checks.extend([*risk_checks(report.risk, limits), *measure_checks(report.risk)])


def identifier_checks(findings: Sequence[ColumnFinding]) -> list[Check]:
    """R1: no direct identifier leaves in clear."""
    return [
        Check(
            rule="R1",
            subject=f.column,
            status="fail",
            message=f"{f.kind} in clear ({f.score:.0%} confidence) — drop it or pseudonymise it with a key",
        )
        for f in findings
        if f.role == "direct_identifier"
    ]


def reversal_check(result: ColumnAttack) -> Check:
    """R2/R3: a digest column that the attack reversed fails; one it could not reverse warns."""
    if result.reversed_any:
        recipe = f" with {result.recipe}" if result.recipe else ""
        return Check(
            rule="R2",
            subject=result.column,
            status="fail",
            message=f"{result.rows_reversed_share:.1%} of rows reversed{recipe} in {result.seconds:.1f} s — "
            "use a keyed pseudonym (HMAC with a secret key) instead of a plain hash",
        )
    if result.status == "not_attempted":
        return Check(rule="R2", subject=result.column, status="warn", message=f"not attacked: {result.reason}")
    if result.status == "incomplete":  # an unfinished search is no evidence of safety
        status, message = incomplete_verdict(result)
        return Check(rule="R2", subject=result.column, status=status, message=message)
    return Check(
        rule="R2",
        subject=result.column,
        status="warn",
        message=f"not reversed within the keyspaces tried ({result.keyspace_covered:,} candidates); "
        "this proves nothing about keys — only a keyed HMAC is safe by construction",
    )
