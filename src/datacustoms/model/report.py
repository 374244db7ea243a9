"""The report: one pydantic model that renders to text, JSON (a versioned schema), HTML and Markdown.

Each stage adds its own part: findings from detect, attacks from attack, risk from measure,
checks (rule id → pass / fail / warn) from all of them. The JSON schema in
``docs/report.schema.json`` is generated from these classes and versioned by
``SCHEMA_VERSION``. Reports never hold plaintext values recovered from the data, keys or salts
unless the user asked (``--reveal``); examples are masked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from datacustoms.model.attack import ColumnAttack
from datacustoms.model.findings import Check, ColumnFinding
from datacustoms.model.risk import ColumnScope, CombinationSearch, RiskProfile, UnicityResult
from datacustoms.model.series import SeriesResult

SCHEMA_VERSION = "1.0"


class SourceInfo(BaseModel):
    name: str
    path: str
    format: str
    rows: int | None = None
    columns: int
    notes: list[str] = Field(default_factory=list)


class Report(BaseModel):
    """Everything an inspection found, in one object."""

    schema_version: str = SCHEMA_VERSION
    tool: str = "datacustoms"
    tool_version: str = ""
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: SourceInfo
    findings: list[ColumnFinding] = Field(default_factory=list)
    attacks: list[ColumnAttack] = Field(default_factory=list, description="hash reversal, per digest column")
    risk: RiskProfile | None = Field(default=None, description="re-identification risk from quasi-identifiers")
    qi_origin: Literal["candidates", "--qi", "policy"] | None = Field(
        default=None, description="who chose the quasi-identifiers: every candidate column, --qi, or the policy"
    )
    scope: list[ColumnScope] = Field(default_factory=list, description="every column's part in the risk measure")
    combinations: CombinationSearch | None = Field(
        default=None, description="risk over every small combination of candidate quasi-identifiers"
    )
    unicity: UnicityResult | None = Field(default=None, description="p-point unicity of transaction traces")
    series: SeriesResult | None = Field(
        default=None, description="a release series: what the recipient holds after every release (R17)"
    )
    checks: list[Check] = Field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    @computed_field(description="fail when any check failed; the CLI's exit code follows it")  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Literal["pass", "fail"]:
        return "fail" if self.failed else "pass"

    def finding(self, column: str) -> ColumnFinding | None:
        return next((f for f in self.findings if f.column == column), None)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2)


def report_json_schema_text() -> str:
    """The JSON Schema of ``inspect --format json`` (what ``docs/report.schema.json`` holds)."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:datacustoms:schema:report:{SCHEMA_VERSION}"
    schema["title"] = f"datacustoms report {SCHEMA_VERSION}"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
