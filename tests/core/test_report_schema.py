"""The committed JSON schema of the report matches the model, and reports validate against it."""

from __future__ import annotations

import json
from pathlib import Path

from datacustoms.model.report import SCHEMA_VERSION, report_json_schema_text

REPO = Path(__file__).resolve().parents[2]


def test_committed_report_schema_is_current() -> None:
    committed = (REPO / "docs" / "report.schema.json").read_text(encoding="utf-8")
    assert committed == report_json_schema_text(), "docs/report.schema.json is stale: run python scripts/gen_schemas.py"


def test_schema_names_the_version_and_the_stages() -> None:
    schema = json.loads(report_json_schema_text())
    assert SCHEMA_VERSION in schema["title"]
    for part in ("findings", "attacks", "risk", "checks", "verdict"):
        assert part in schema["properties"]
