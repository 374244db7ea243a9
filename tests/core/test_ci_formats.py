"""SARIF 2.1.0 and JUnit XML: failed checks as CI systems show them; every result's schema has an $id."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from datacustoms.flows.documents import DOCUMENTS, schema_texts
from datacustoms.model.findings import Check
from datacustoms.model.report import Report, SourceInfo
from datacustoms.model.rules import RULES
from datacustoms.report.registry import render

REPO = Path(__file__).resolve().parents[2]

CHECKS = [
    Check(rule="R2", subject="phone_hash", status="fail", message="87% of rows reversed by sha256(phone)"),
    Check(rule="R10", subject="table", status="warn", message="k = 3 is below 5 on age, zip"),
    Check(rule="R1", subject="email", status="pass", message="no direct identifier in clear"),
]


def _report() -> Report:
    return Report(source=SourceInfo(name="export.csv", path="data/export.csv", format="csv", rows=10, columns=3),
                  checks=CHECKS)


def _sarif_structure(log: dict) -> None:  # type: ignore[type-arg]
    """The properties SARIF 2.1.0 requires (sarif-schema-2.1.0.json `required` lists), as CI tools read them."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert isinstance(log["runs"], list) and log["runs"]
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        for rule in driver.get("rules", []):
            assert isinstance(rule["id"], str)
            assert isinstance(rule["shortDescription"]["text"], str)
        for result in run["results"]:
            assert isinstance(result["message"]["text"], str)
            assert result["level"] in ("none", "note", "warning", "error")
            if "ruleIndex" in result:
                assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
            for loc in result.get("locations", []):
                for logical in loc.get("logicalLocations", []):
                    assert isinstance(logical["name"], str)
                if "physicalLocation" in loc:
                    assert isinstance(loc["physicalLocation"]["artifactLocation"]["uri"], str)


def test_sarif_lists_each_failed_or_warned_check_with_its_rule_and_column() -> None:
    log = json.loads(render("report", "sarif", _report()))
    _sarif_structure(log)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r.id for r in RULES]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("R2", "error"), ("R10", "warning")]
    assert results[0]["locations"][0]["logicalLocations"][0]["name"] == "phone_hash"
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "data/export.csv"
    assert run["properties"]["verdict"] == "fail"


def test_junit_has_a_case_per_check_and_a_failure_per_failed_one() -> None:
    root = ET.fromstring(render("report", "junit", _report()).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["R2 phone_hash", "R10 table", "R1 email"]
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "R2"
    assert cases[1].find("failure") is None and cases[2].find("failure") is None


def test_a_passing_report_has_no_sarif_results_and_no_junit_failures() -> None:
    passing = Report(source=SourceInfo(name="x", path="x.csv", format="csv", columns=1), checks=CHECKS[2:])
    assert json.loads(render("report", "sarif", passing))["runs"][0]["results"] == []
    assert 'failures="0"' in render("report", "junit", passing)


@pytest.mark.parametrize("name", sorted(schema_texts()))
def test_every_result_schema_is_committed_current_and_has_an_id(name: str) -> None:
    text = schema_texts()[name]()
    assert (REPO / "docs" / name).read_text(encoding="utf-8") == text, f"docs/{name} is stale: run scripts/gen_schemas.py"
    schema = json.loads(text)
    assert schema["$id"].startswith("urn:datacustoms:schema:")
    jsonschema.Draft202012Validator.check_schema(schema)


def test_documents_validate_against_their_schemas() -> None:
    from datacustoms.flows.documents import LedgerListDocument

    doc = LedgerListDocument.model_validate({"entries": [{"seq": 1, "kind": "transfer", "created": "2026-01-01",
                                                          "prev_hash": "0" * 64, "entry_hash": "a" * 64, "body": {}}]})
    schema = json.loads(schema_texts()["ledger-list.schema.json"]())
    jsonschema.validate(doc.model_dump(mode="json"), schema)
    report_schema = json.loads(schema_texts()["report.schema.json"]())
    jsonschema.validate(json.loads(_report().to_json()), report_schema)
    assert {"transfer.schema.json", "ledger-list.schema.json", "ledger-lookup.schema.json"} <= set(DOCUMENTS)


def test_risk_command_writes_sarif_and_junit(tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text("age,zip,diagnosis\n" + "".join(f"{20 + i},{10000 + i},flu\n" for i in range(12)), encoding="utf-8")
    env = {"PYTHONPATH": str(REPO / "src")}
    base = [sys.executable, "-m", "datacustoms", "risk", str(csv), "--qi", "age,zip"]
    sarif = subprocess.run([*base, "--format", "sarif"], capture_output=True, text=True, env=env, check=False)
    assert sarif.returncode == 1, sarif.stderr
    log = json.loads(sarif.stdout)
    _sarif_structure(log)
    assert "R10" in {r["ruleId"] for r in log["runs"][0]["results"]}
    junit = subprocess.run([*base, "--format", "junit"], capture_output=True, text=True, env=env, check=False)
    assert junit.returncode == 1
    assert ET.fromstring(junit.stdout.split("\n", 1)[1]).find("testsuite/testcase/failure") is not None
    doc = subprocess.run([*base, "--format", "json"], capture_output=True, text=True, env=env, check=False)
    jsonschema.validate(json.loads(doc.stdout), json.loads(schema_texts()["risk.schema.json"]()))


def test_attack_result_becomes_one_check_per_column() -> None:
    from datacustoms.model.attack import AttackReport, ColumnAttack

    report = AttackReport(source="export.csv", rows=10, columns=[
        ColumnAttack(column="phone_sha256", mode="blind", status="reversed", reason="sha256 of mobiles",
                     rows=10, rows_reversed=9, rows_reversed_share=0.9),
        ColumnAttack(column="email_sha256", mode="blind", status="incomplete", reason="budget spent",
                     search_complete=False),
        ColumnAttack(column="account_sha256", mode="blind", status="not_reversed", reason="keyspace exhausted"),
    ])
    results = json.loads(render("attack", "sarif", report))["runs"][0]["results"]
    assert [(r["ruleId"], r["level"], r["locations"][0]["logicalLocations"][0]["name"]) for r in results] == [
        ("R2", "error", "phone_sha256"), ("R3", "warning", "email_sha256")]
    assert "90.0% of rows reversed" in results[0]["message"]["text"]
    suite = ET.fromstring(render("attack", "junit", report).split("\n", 1)[1]).find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "1"
