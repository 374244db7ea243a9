"""One registry picks the renderer per result and format; Markdown is one module and one line there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.errors import UsageError
from datacustoms.model.findings import Check, ColumnFinding, Evidence
from datacustoms.model.report import Report, SourceInfo
from datacustoms.report import registry
from datacustoms.report.markdown import render_markdown


def _report() -> Report:
    return Report(
        source=SourceInfo(name="people", path="people.csv", format="csv", rows=4, columns=2, notes=["sampled"]),
        findings=[
            ColumnFinding(column="phone", kind="kr_mobile", role="direct_identifier", score=1.0,
                          evidence=[Evidence(detector="kr_mobile", matched_share=1.0, distinct_sampled=4)]),
            ColumnFinding(column="a|b", kind="other", role="other", score=0.1, uncertain="too few values"),
        ],
        checks=[Check(rule="R1", subject="phone", status="fail", message="4 values\nin clear")],
    )


def test_formats_come_from_the_registry() -> None:
    assert registry.formats("report") == ["text", "json", "html", "markdown", "sarif", "junit"]
    assert registry.formats("attack") == ["text", "json", "sarif", "junit"]
    with pytest.raises(UsageError, match=r"unknown format 'markdwn'\. Did you mean 'markdown'"):
        registry.renderer("report", "markdwn")


def test_json_is_the_versioned_report() -> None:
    report = _report()
    text = registry.render("report", "json", report)
    assert text == report.to_json() and json.loads(text)["verdict"] == "fail"


def test_markdown_report_has_the_verdict_columns_and_explained_checks() -> None:
    md = render_markdown(_report())
    lines = md.splitlines()
    assert lines[0] == "# datacustoms inspect: people"
    assert "**FAIL — 1 check(s) failed, 0 warning(s)**" in lines
    assert "| `phone` | kr_mobile | identifier | 1.00 | 100% of 4 distinct |" in lines
    assert "| `a\\|b` | other |  | 0.10 | (uncertain†) |" in lines  # a pipe in a name cannot break the table
    check = next(line for line in lines if line.startswith("| R1 |"))
    assert "lets anyone name the person" in check and "4 values in clear" in check
    assert "- † `a|b`: too few values" in lines and "- note: sampled" in lines
    assert md == registry.render("report", "markdown", _report())


def test_a_new_format_needs_only_a_registry_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.RENDERERS["report"], "verdict", "datacustoms.report.text:verdict_line")
    assert "verdict" in registry.formats("report")
    assert registry.render("report", "verdict", _report()).plain.startswith("FAIL")


def test_inspect_writes_markdown(tmp_path: Path) -> None:
    src = tmp_path / "people.csv"
    src.write_text("name_id,phone\n" + "".join(f"{i},010-{1000 + i:04d}-{5678 + i:04d}\n" for i in range(30)))
    out = tmp_path / "report.md"
    res = CliRunner().invoke(app, ["inspect", str(src), "--no-attack", "--format", "markdown", "-o", str(out)])
    assert res.exit_code == 1, res.output
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# datacustoms inspect: people") and "| R1 |" in md and "## Checks" in md
