"""JSON renderings: the report's versioned schema, and any other result model as it dumps."""

from __future__ import annotations

from pydantic import BaseModel

from datacustoms.model.report import Report


def report_json(report: Report) -> str:
    """``inspect --format json`` (schema: ``docs/report.schema.json``)."""
    return report.to_json()


def model_json(result: BaseModel) -> str:
    """A stage's result model as indented JSON."""
    return result.model_dump_json(indent=2)
