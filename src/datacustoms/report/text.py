"""Render a Report for a terminal (Rich): verdict, columns, reversal, risk, checks."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from datacustoms.model.findings import ColumnFinding
from datacustoms.model.report import Report
from datacustoms.model.risk import RiskProfile, UnicityResult

STATUS_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "info": "cyan"}
ROLE_LABEL = {
    "direct_identifier": "identifier",
    "pseudonym": "pseudonym",
    "quasi_identifier": "quasi-id",
    "sensitive": "sensitive",
    "other": "",
}


def verdict_line(report: Report) -> Text:
    fails = sum(c.status == "fail" for c in report.checks)
    warns = sum(c.status == "warn" for c in report.checks)
    if fails:
        return Text(f"FAIL — {fails} check(s) failed, {warns} warning(s)", style="bold red")
    return Text(f"PASS — no check failed, {warns} warning(s)", style="bold green")


def findings_table(report: Report) -> RichTable:
    table = RichTable(title="Columns", title_justify="left", expand=False)
    for name in ("column", "kind", "role", "score", "evidence"):
        table.add_column(name, overflow="fold")
    for f in report.findings:
        table.add_row(f.column, f.kind, ROLE_LABEL.get(f.role, f.role), f"{f.score:.2f}", evidence_text(f))
    return table


def evidence_text(f: ColumnFinding) -> str:
    """The first evidence in a few words (share matched, header hint), † when uncertain."""
    ev = f.evidence[0] if f.evidence else None
    evidence = ""
    if ev is not None:
        evidence = f"{ev.matched_share:.0%} of {ev.distinct_sampled} distinct"
        if ev.header_hint:
            evidence += f"; header {ev.header_hint!r}"
    if f.uncertain:
        evidence += " (uncertain†)"
    return evidence


def checks_table(report: Report) -> RichTable:
    table = RichTable(title="Checks", title_justify="left")
    for name in ("rule", "subject", "status", "message"):
        table.add_column(name, overflow="fold")
    for c in report.checks:
        message = Text.assemble(c.message, ("\n" + c.explanation, "dim")) if c.explanation else c.message
        table.add_row(c.rule, c.subject, Text(c.status, style=STATUS_STYLE[c.status]), message)
    return table


def sections(report: Report) -> list[RenderableType]:
    """Every part of the report, in reading order; stages add theirs via ``render_text``."""
    src = report.source
    rows = f"{src.rows:,}" if src.rows is not None else "?"
    head = Text.assemble(
        ("datacustoms inspect ", "bold"), f"{src.name} ({src.format}, {rows} rows, {src.columns} columns)"
    )
    parts: list[RenderableType] = [head, verdict_line(report)]
    parts.extend(Text(f"note: {n}", style="dim") for n in src.notes)
    parts.append(findings_table(report))
    parts.extend(Text(f"† {f.column}: {f.uncertain}", style="dim") for f in report.findings if f.uncertain)
    parts.extend(stage_sections(report))
    if report.checks:
        parts.append(checks_table(report))
    return parts


def stage_sections(report: Report) -> list[RenderableType]:
    """Reversal, risk and unicity, each as a titled block of lines."""
    from datacustoms.attack.text import render_column

    out: list[RenderableType] = []
    if report.attacks:
        lines = [line for attack in report.attacks for line in render_column(attack)]
        out.append(Text("Hash reversal\n", style="bold") + Text("\n".join(lines)))
    if report.scope:
        out.append(scope_table(report))
    if report.combinations is not None:
        out.append(Text("Combinations of candidate quasi-identifiers\n", style="bold")
                   + Text("\n".join(combination_lines(report))))  # fmt: skip
    if report.risk is not None:
        out.append(Text("Re-identification risk\n", style="bold") + Text("\n".join(risk_lines(report.risk))))
    if report.unicity is not None:
        head, *lines = unicity_lines(report.unicity)
        out.append(Text(head + "\n", style="bold") + Text("\n".join(lines)))
    if report.series is not None:
        from datacustoms.report.series import series_lines

        head, *lines = series_lines(report.series)
        out.append(Text(head + "\n", style="bold") + Text("\n".join(lines)))
    return out


def unicity_lines(u: UnicityResult) -> list[str]:
    """A heading line, then ε for each p."""
    return [f"Unicity of traces ({u.sampled:,} of {u.people:,} people, {u.time_granularity} granularity)"] + [
        f"p = {pt.p}: ε = {pt.epsilon:.1%} (95% CI {pt.ci_low:.1%}–{pt.ci_high:.1%}, {pt.eligible:,} people)"
        for pt in u.points
    ]
QI_ORIGIN = {
    "candidates": "every column but identifiers, pseudonyms and free text (conservative default)",
    "--qi": "narrowed by --qi",
    "policy": "as declared by the policy",
}


def scope_table(report: Report) -> RichTable:
    """The assumptions: every column, how the risk measure used it, and why it left one out."""
    origin = QI_ORIGIN.get(report.qi_origin or "", "")
    table = RichTable(title=f"Risk scope — quasi-identifiers: {origin}", title_justify="left")
    for name in ("column", "role", "measured as", "reason left out"):
        table.add_column(name, overflow="fold")
    for c in report.scope:
        measured = c.measured_as.replace("_", "-") + (" + sensitive" if c.sensitive and c.measured_as != "sensitive" else "")
        table.add_row(c.column, ROLE_LABEL.get(c.role, c.role) or "other", measured, c.reason or "")
    return table


def combination_lines(report: Report) -> list[str]:
    """How far the combination search went and the worst combinations it found."""
    search = report.combinations
    if search is None:
        return []
    if not search.complete:
        return [f"not completed: {search.reason}"]
    lines = [
        f"{search.combinations:,} combinations of up to {search.depth} of {len(search.candidates)} columns, "
        f"{search.sampled_rows:,} of {search.rows:,} rows read; {search.failing:,} break the thresholds"
    ]
    lines += [
        f"{' + '.join(w.columns)}: k = {w.k}, {w.sample_uniques:,} sample uniques, {w.records_below_k:,} records "
        f"below k{'' if w.exact else ' (on the sample)'}"
        for w in search.worst[:5]
    ]
    return lines


def risk_lines(risk: RiskProfile) -> list[str]:
    """The figures a reader needs first: k, who is singled out, the attacker risks."""
    share = risk.records_below_k / risk.rows if risk.rows else 0.0
    lines = [
        f"quasi-identifiers: {', '.join(risk.qi)}"
        + (f"; sensitive: {', '.join(risk.sensitive)}" if risk.sensitive else ""),
        f"k = {risk.k}; {risk.classes:,} classes; {risk.records_below_k:,} records ({share:.1%}) in classes "
        f"below {risk.thresholds.k}; {risk.sample_uniques:,} sample uniques",
        f"prosecutor risk: highest {risk.prosecutor.highest:.3f}, average {risk.prosecutor.average:.3f}; "
        f"journalist {risk.journalist.highest:.3f}; marketer {risk.marketer.average:.3f}",
    ]
    if risk.population is not None:
        pop = risk.population
        lines.append(
            f"population uniques (Dankar's rule → {pop.dankar_model}): {pop.dankar:,.0f} "
            f"({pop.dankar_share:.2%} of {pop.population:,.0f})"
        )
    for d in risk.diversity:
        lines.append(
            f"{d.column}: distinct l = {d.distinct_l}, entropy l = {d.entropy_l:.2f}, t = {d.t:.3f}, "
            f"{d.dominated_classes:,} classes where one value covers ≥ {d.dominance:.0%}"
        )
    return lines


def render(report: Report, width: int = 120) -> str:
    """The report as plain text (colours only when writing to a terminal)."""
    console = Console(width=width, record=True, highlight=False, file=io.StringIO())
    console.print(Group(*sections(report)))
    return console.export_text()
