"""The rule catalogue: every cited rule explained, docs/rules.md current, explanations rendered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.model.findings import Check
from datacustoms.model.report import Report, SourceInfo
from datacustoms.model.rules import BY_ID, RULES, explain, rules_markdown

REPO = Path(__file__).resolve().parents[2]


def test_committed_rules_doc_is_current() -> None:
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "docs/rules.md is stale: run python scripts/gen_schemas.py"


def test_every_rule_has_a_unique_id_an_explanation_and_a_source() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) == 33
    assert ids == sorted(ids, key=lambda i: int(i[1:]))
    for r in RULES:
        assert re.fullmatch(r"R\d{1,2}", r.id) and r.explanation and r.source
        assert r.id in rules_markdown()


def test_every_rule_the_code_cites_is_in_the_catalogue() -> None:
    cited: set[str] = set()
    for path in (REPO / "src" / "datacustoms").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        cited |= set(re.findall(r'(?:rule=|Check\()"(R\d+)"', text))
        cited |= set(re.findall(r'_fail\("(R\d+)"', text))
    assert {"R1", "R2", "R10", "R11", "R12", "R18", "R25", "R28"} <= cited
    assert cited <= set(BY_ID), sorted(cited - set(BY_ID))


def test_a_check_explains_its_rule() -> None:
    check = Check(rule="R10", subject="table", status="fail", message="k = 1")
    assert check.explanation.startswith("someone who knows these columns can single out")
    assert check.line() == "k = 1 (R10)"
    assert explain("R99") == "" and Check(rule="R99", subject="x", status="info", message="m").explanation == ""


def _report() -> Report:
    return Report(
        source=SourceInfo(name="t.csv", path="t.csv", format="csv", rows=3, columns=1),
        checks=[Check(rule="R10", subject="table", status="fail", message="k = 1 is below 5")],
    )


def test_text_and_html_reports_show_the_explanation() -> None:
    from datacustoms.report.html import render_html
    from datacustoms.report.text import render

    text = " ".join(render(_report()).split())
    assert "R10" in text and "single out" in text
    html = render_html(_report())
    assert "someone who knows these columns can single out" in html


def test_rules_command_lists_and_refuses_unknown_ids() -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["rules"])
    assert out.exit_code == 0 and len(out.output.splitlines()) == len(RULES)
    one = runner.invoke(app, ["rules", "r12"])
    assert one.exit_code == 0 and one.output.startswith("R12: ") and "ISO/IEC 20889" in one.output
    bad = runner.invoke(app, ["rules", "R99"])
    assert bad.exit_code == 2


@pytest.mark.parametrize("help_of", [["inspect", "--help"]])
def test_inspect_help_points_at_the_rules(help_of: list[str]) -> None:
    out = CliRunner().invoke(app, help_of)
    assert "datacustoms rules" in " ".join(out.output.split())
