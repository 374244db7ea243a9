"""Render a Report as Markdown: a page for a pull request, a wiki or a ticket.

Same parts and figures as the text report (verdict, columns, reversal, risk, unicity, checks with
the rule's explanation); the lines come from the text renderer's helpers, so the two never differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from datacustoms.attack.text import render_column
from datacustoms.model.report import Report
from datacustoms.report.text import ROLE_LABEL, evidence_text, risk_lines, unicity_lines, verdict_line


def _cell(value: object) -> str:
    """One table cell: pipes escaped, line breaks flattened."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _section(title: str, lines: list[str]) -> list[str]:
    return ["", f"## {title}", "", *lines]


def render_markdown(report: Report) -> str:
    """The report as one Markdown document."""
    src = report.source
    rows = f"{src.rows:,}" if src.rows is not None else "?"
    out = [f"# datacustoms inspect: {src.name}", "", f"{src.format}, {rows} rows, {src.columns} columns", ""]
    out.append(f"**{verdict_line(report).plain}**")
    out += [f"- note: {n}" for n in src.notes]
    columns = [(f"`{f.column}`", f.kind, ROLE_LABEL.get(f.role, f.role), f"{f.score:.2f}", evidence_text(f))
               for f in report.findings]
    out += _section("Columns", _table(("column", "kind", "role", "score", "evidence"), columns))
    uncertain = [f"- † `{f.column}`: {f.uncertain}" for f in report.findings if f.uncertain]
    out += ["", *uncertain] if uncertain else []
    if report.attacks:
        out += _section("Hash reversal", ["```", *(ln for a in report.attacks for ln in render_column(a)), "```"])
    if report.risk is not None:
        out += _section("Re-identification risk", [f"- {line}" for line in risk_lines(report.risk)])
    if report.unicity is not None:
        head, *points = unicity_lines(report.unicity)
        out += _section(head, [f"- {line}" for line in points])
    if report.checks:
        checks = [(c.rule, c.explanation, c.subject, c.status, c.message) for c in report.checks]
        out += _section("Checks", _table(("rule", "what it means", "subject", "status", "message"), checks))
    return "\n".join(out) + "\n"
