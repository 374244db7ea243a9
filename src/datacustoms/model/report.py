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
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, computed_field

from datacustoms.model.attack import ColumnAttack
from datacustoms.model.display import list_html, plural, table_html, verdict_html
from datacustoms.model.findings import Check, ColumnFinding
from datacustoms.model.risk import ColumnScope, CombinationSearch, RiskProfile, UnicityResult
from datacustoms.model.series import SeriesResult

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMA_VERSION = "1.0"
#: the columns of :meth:`Report.findings_table`, in order
FINDING_COLUMNS = (
    "column", "kind", "role", "score", "status", "rules", "reversed_share", "null_share", "distinct_sampled",
    "detectors", "uncertain",
)  # fmt: skip
_RANK = {"fail": 3, "warn": 2, "info": 1, "pass": 0}


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

    # -- tables and notebook displays (no data value: kinds, roles, shares and rule ids only) --

    def finding_rows(self) -> list[dict[str, Any]]:
        """One row per column: the finding, its worst check and the share of rows an attack reversed."""
        reversed_share = {a.column: a.rows_reversed_share for a in self.attacks}
        rows = []
        for f in self.findings:
            checks = [c for c in self.checks if c.subject == f.column]
            worst = max(checks, key=lambda c: _RANK[c.status]).status if checks else "pass"
            rows.append(
                {
                    "column": f.column,
                    "kind": f.kind,
                    "role": f.role,
                    "score": f.score,
                    "status": worst,
                    "rules": ",".join(sorted({c.rule for c in checks if c.status in ("fail", "warn")})),
                    "reversed_share": reversed_share.get(f.column),
                    "null_share": f.null_share,
                    "distinct_sampled": f.distinct_sampled,
                    "detectors": ",".join(e.detector for e in f.evidence),
                    "uncertain": f.uncertain,
                }
            )
        return rows

    def findings_table(self) -> pa.Table:
        """The findings as a ``pyarrow.Table`` (columns: :data:`FINDING_COLUMNS`)."""
        import pyarrow as pa

        types = {"score": pa.float64(), "reversed_share": pa.float64(), "null_share": pa.float64(),
                 "distinct_sampled": pa.int64()}  # fmt: skip
        rows = self.finding_rows()
        return pa.table(
            {name: pa.array([r[name] for r in rows], types.get(name, pa.string())) for name in FINDING_COLUMNS}
        )

    def to_pandas(self) -> Any:
        """The findings as a ``pandas.DataFrame`` (needs pandas: ``pip install 'datacustoms[dataframes]'``)."""
        try:
            import pandas  # noqa: F401
        except ModuleNotFoundError:
            raise ImportError("Report.to_pandas needs pandas: pip install 'datacustoms[dataframes]'") from None
        return self.findings_table().to_pandas()

    def summary(self) -> str:
        """Rows, columns, failed checks and what the columns are, in one line."""
        fails = sum(c.status == "fail" for c in self.checks)
        warns = sum(c.status == "warn" for c in self.checks)
        roles = [f.role for f in self.findings]
        parts = [
            f"{plural(self.source.rows, 'row')}" if self.source.rows is not None else "rows unknown",
            plural(self.source.columns, "column"),
            f"{plural(fails, 'failed check')}, {plural(warns, 'warning')}",
            f"{plural(roles.count('direct_identifier'), 'direct identifier')}, "
            f"{plural(roles.count('pseudonym'), 'pseudonym')}, {plural(roles.count('quasi_identifier'), 'quasi-identifier')}",
        ]
        reversed_columns = sum(a.reversed_any for a in self.attacks)
        if self.attacks:
            parts.append(f"{reversed_columns} of {plural(len(self.attacks), 'digest column')} reversed")
        if self.risk is not None:
            parts.append(f"k = {self.risk.k}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"<Report {self.source.name}: {self.verdict} — {self.summary()}>"

    def __str__(self) -> str:
        return self.__repr__()

    def _repr_html_(self) -> str:
        rows = self.finding_rows()
        failed = [c.line() for c in self.checks if c.status == "fail"]
        return (
            verdict_html(self.verdict, f"report on {self.source.name}", self.summary())
            + table_html(FINDING_COLUMNS[:7], ([r[c] for c in FINDING_COLUMNS[:7]] for r in rows))
            + list_html(failed)
        )


def report_json_schema_text() -> str:
    """The JSON Schema of ``inspect --format json`` (what ``docs/report.schema.json`` holds)."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:datacustoms:schema:report:{SCHEMA_VERSION}"
    schema["title"] = f"datacustoms report {SCHEMA_VERSION}"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
