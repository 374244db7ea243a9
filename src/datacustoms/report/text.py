"""Render a Report for a terminal (Rich): verdict, columns, reversal, risk, checks."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from datacustoms.report.model import Report

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
        ev = f.evidence[0] if f.evidence else None
        evidence = ""
        if ev is not None:
            evidence = f"{ev.matched_share:.0%} of {ev.distinct_sampled} distinct"
            if ev.header_hint:
                evidence += f"; header {ev.header_hint!r}"
        if f.uncertain:
            evidence += f"; {f.uncertain}"
        table.add_row(f.column, f.kind, ROLE_LABEL.get(f.role, f.role), f"{f.score:.2f}", evidence)
    return table


def checks_table(report: Report) -> RichTable:
    table = RichTable(title="Checks", title_justify="left")
    for name in ("rule", "subject", "status", "message"):
        table.add_column(name, overflow="fold")
    for c in report.checks:
        table.add_row(c.rule, c.subject, Text(c.status, style=STATUS_STYLE[c.status]), c.message)
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
    for extra in _stage_sections(report):
        parts.append(extra)
    if report.checks:
        parts.append(checks_table(report))
    return parts


def _stage_sections(report: Report) -> list[RenderableType]:
    out: list[RenderableType] = []
    for name in ("attacks", "risk", "unicity", "protection"):
        part: Any = getattr(report, name, None)
        if not part:
            continue
        items = part if isinstance(part, list) else [part]
        for item in items:
            render = getattr(item, "render_text", None)
            if render is not None:
                out.append(render())
    return out


def render(report: Report, width: int = 120) -> str:
    """The report as plain text (colours only when writing to a terminal)."""
    console = Console(width=width, record=True, highlight=False, file=_Null())
    console.print(Group(*sections(report)))
    return console.export_text()


class _Null:
    def write(self, _: str) -> int:
        return 0

    def flush(self) -> None:
        pass
