"""Results as CI systems read them: SARIF 2.1.0 and JUnit XML, and one envelope for every command.

Every command that reports hands the renderers a :class:`Checked` (or, for ``inspect`` and
``attack``, its own model, turned into one here): the source it looked at, its checks (rule id →
pass / fail / warn), and how to render its own text, JSON and HTML. SARIF lists each failed or
warned check as a result whose ``ruleId`` is the rule and whose logical location is the column;
the rule catalogue is the driver's ``rules``. JUnit has one test case per check, a failure for each
failed one. Messages are the checks' own, which never hold a cell value.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from datacustoms.model.attack import AttackReport
from datacustoms.model.report import Report
from datacustoms.model.rules import BY_ID, RULES

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"fail": "error", "warn": "warning"}


class CheckLike(Protocol):
    """A check as the renderers read it (a model :class:`Check` or a transfer's term check)."""

    @property
    def rule(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...


def _missing(what: str) -> Callable[[], Any]:
    def refuse() -> Any:
        from datacustoms.errors import UsageError

        raise UsageError(f"this command has no {what} output", "use --format text, json, sarif or junit")

    return refuse


@dataclass
class Checked:
    """What one command found, as every renderer needs it."""

    kind: str  #: the command, e.g. ``transfer`` or ``ledger list``
    source: str  #: the file or table looked at ("" for the ledger)
    checks: Sequence[CheckLike] = ()
    text: Callable[[], str] = field(default=lambda: "")
    data: Callable[[], str] = field(default=_missing("JSON"))
    html: Callable[[], str] = field(default=_missing("HTML"))

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)


def tool_version() -> str:
    from datacustoms import __version__

    return __version__


def from_report(report: Report) -> Checked:
    """``inspect``'s report as a :class:`Checked`."""
    return Checked("inspect", report.source.path or report.source.name, report.checks, data=report.to_json)


def from_attack(report: AttackReport) -> Checked:
    """``attack``'s result: one R2 check per column (fail when any row was reversed)."""
    from datacustoms.model.findings import Check

    checks = []
    for col in report.columns:
        if col.reversed_any:
            checks.append(Check(rule="R2", subject=col.column, status="fail",
                                message=f"{col.rows_reversed_share:.1%} of rows reversed"))
        elif not col.search_complete:
            checks.append(Check(rule="R3", subject=col.column, status="warn",
                                message=f"not reversed, but the search did not finish: {col.reason}"))
        else:
            checks.append(Check(rule="R2", subject=col.column, status="pass", message=col.reason))
    return Checked("attack", report.source, checks, data=lambda: report.model_dump_json(indent=2))


def _checked(result: Any) -> Checked:
    if isinstance(result, Checked):
        return result
    if isinstance(result, Report):
        return from_report(result)
    if isinstance(result, AttackReport):
        return from_attack(result)
    raise TypeError(f"no CI rendering for {type(result).__name__}")


def render_text(result: Checked) -> str:
    return result.text()


def render_json(result: Checked) -> str:
    return result.data()


def render_html(result: Checked) -> str:
    return result.html()


def _rules() -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.id, "shortDescription": {"text": r.explanation},
             "fullDescription": {"text": f"{r.explanation} ({r.source})"},
             "properties": {"area": r.area, "source": r.source}} for r in RULES]


def _result(check: CheckLike, source: str, index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [
        {"name": check.subject, "fullyQualifiedName": f"{source}:{check.subject}" if source else check.subject,
         "kind": "member"}]}
    if source:
        location["physicalLocation"] = {"artifactLocation": {"uri": source}}
    result: dict[str, Any] = {"ruleId": check.rule, "level": LEVELS[check.status],
                              "message": {"text": f"{check.subject}: {check.message}"}, "locations": [location]}
    if check.rule in index:
        result["ruleIndex"] = index[check.rule]
    return result


def render_sarif(result: Any) -> str:
    """A SARIF 2.1.0 log: one run, the rule catalogue, a result per failed or warned check."""
    checked = _checked(result)
    index = {r.id: i for i, r in enumerate(RULES)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "datacustoms", "version": tool_version(), "rules": _rules()}},
        "results": [_result(c, checked.source, index) for c in checked.checks if c.status in LEVELS],
        "properties": {"command": checked.kind, "verdict": "fail" if checked.failed else "pass"},
    }
    if checked.source:
        run["artifacts"] = [{"location": {"uri": checked.source}}]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}, ensure_ascii=False, indent=2)


def render_junit(result: Any) -> str:
    """JUnit XML: a test suite for the command, a test case per check, a failure per failed one."""
    checked = _checked(result)
    checks = list(checked.checks)
    failures = sum(c.status == "fail" for c in checks)
    name = f"datacustoms {checked.kind}" + (f" {checked.source}" if checked.source else "")
    suites = ET.Element("testsuites", name="datacustoms", tests=str(len(checks)), failures=str(failures), errors="0")
    suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(checks)), failures=str(failures),
                          errors="0", skipped="0")
    for check in checks:
        case = ET.SubElement(suite, "testcase", classname=f"datacustoms.{checked.kind.replace(' ', '.')}",
                             name=f"{check.rule} {check.subject}")
        rule = BY_ID.get(check.rule)
        if check.status == "fail":
            failure = ET.SubElement(case, "failure", message=check.message, type=check.rule)
            failure.text = f"{check.rule}: {rule.explanation}" if rule is not None else check.rule
        elif check.status in ("warn", "info"):
            out = ET.SubElement(case, "system-out")
            out.text = f"{check.status}: {check.message}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
