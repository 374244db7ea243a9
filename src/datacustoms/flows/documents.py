"""The JSON every command prints with ``--format json``: one versioned model, and schema, per result.

Each document carries ``schema_version``; its JSON Schema (``docs/<name>.schema.json``, generated
by ``python scripts/gen_schemas.py``) carries an ``$id`` naming the result and that version. A
change that breaks a consumer bumps the version. ``inspect`` keeps its own :class:`Report`.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from datacustoms.ledger.exposure import ExposureJudgement
from datacustoms.ledger.model import TransferRecord
from datacustoms.model.attack import AttackReport
from datacustoms.model.findings import Check
from datacustoms.model.report import report_json_schema_text
from datacustoms.model.risk import LinkageResult, RiskProfile, UnicityResult
from datacustoms.protect.pipeline import ProtectResult
from datacustoms.protect.prove import Proof

DOCUMENT_VERSION = "1.0"
Verdict = Literal["pass", "fail"]


def schema_id(name: str, version: str = DOCUMENT_VERSION) -> str:
    """The ``$id`` of a result's schema: its name and version, as a URN."""
    return f"urn:datacustoms:schema:{name}:{version}"


class _Document(BaseModel):
    schema_version: str = DOCUMENT_VERSION


class LedgerRef(BaseModel):
    seq: int
    entry_hash: str


class TransferDocument(_Document):
    """``transfer --format json``."""

    status: str
    verdict: str
    ledger_entry: LedgerRef
    record: TransferRecord
    verification: dict[str, Any] = Field(description="the checks and proof whose SHA-256 the record carries")
    protect: ProtectResult | None = None
    exposure: ExposureJudgement | None = None


class ProtectDocument(_Document):
    """``protect --format json``."""

    result: ProtectResult
    proof: Proof | None = None
    verdict: Verdict


class RiskDocument(_Document, RiskProfile):
    """``risk --format json`` (one table; a series prints the series report)."""

    linkage: LinkageResult | None = None
    checks: list[Check] = Field(default_factory=list)
    verdict: Verdict = "pass"


class UnicityDocument(_Document, UnicityResult):
    """``unicity --format json`` (one events table)."""

    checks: list[Check] = Field(default_factory=list)
    verdict: Verdict = "pass"


class AttackDocument(AttackReport):
    """``attack --format json``."""


class LedgerEntryDocument(BaseModel):
    seq: int
    kind: str
    created: str
    prev_hash: str
    entry_hash: str
    body: dict[str, Any]


class LedgerListDocument(_Document):
    """``ledger list --format json``: the entries, oldest first, with their hashes."""

    entries: list[LedgerEntryDocument]


class LookupTransfer(BaseModel):
    entry: int
    time: str
    transfer_id: str | None = None
    recipient: str | None = None
    country: str | None = None
    role: str | None = None
    purpose: str | None = None
    legal_basis: str | None = None
    fields: list[str] = Field(default_factory=list)
    retention_until: str | None = None
    destroyed_on: str | None = None


class NotIndexedTransfer(BaseModel):
    entry: int
    time: str
    transfer_id: str | None = None
    recipient: str | None = None
    reasons: list[str] = Field(default_factory=list)


class LookupDocument(_Document):
    """``ledger lookup --format json``: the transfers that included one (masked) person."""

    subject: str = Field(description="the person, masked")
    transfers: list[LookupTransfer]
    not_indexed: list[NotIndexedTransfer]
    complete: bool


#: docs file name -> (result name, model); ``report`` keeps the inspect schema's own version
DOCUMENTS: dict[str, tuple[str, type[BaseModel]]] = {
    "attack.schema.json": ("attack", AttackDocument),
    "transfer.schema.json": ("transfer", TransferDocument),
    "protect.schema.json": ("protect", ProtectDocument),
    "risk.schema.json": ("risk", RiskDocument),
    "unicity.schema.json": ("unicity", UnicityDocument),
    "ledger-list.schema.json": ("ledger-list", LedgerListDocument),
    "ledger-lookup.schema.json": ("ledger-lookup", LookupDocument),
}


def transfer_json(outcome: Any) -> str:
    """``transfer --format json`` (and the service's JSON report): schema ``docs/transfer.schema.json``."""
    doc = TransferDocument(
        status=outcome.record.status, verdict=outcome.record.verdict,
        ledger_entry=LedgerRef(seq=outcome.entry.seq, entry_hash=outcome.entry.entry_hash),
        record=outcome.record, verification=outcome.verification(), protect=outcome.protect,
        exposure=outcome.exposure,
    )  # fmt: skip
    return json.dumps(doc.model_dump(mode="json"), ensure_ascii=False, indent=2)


def transfer_html(outcome: Any) -> str:
    """The transfer as one offline page: verdict, the source, columns and actions, reversal, risk, record."""
    from datacustoms.report.html import render_html, render_protect_html

    r = outcome.record
    title = f"datacustoms transfer — {r.recipient.name}, {r.purpose}"
    checks = [c.as_dict() for c in outcome.checks]
    source = outcome.source or {"name": r.source_name, "format": "—", "rows": r.source_rows, "columns": "—"}
    if outcome.protect is None:  # refused before protection: the terms and the record
        view = {"source": {**source, "notes": []},
                "checks": checks, "created": r.created, "tool_version": r.tool_version}
        return render_html(view, record=r, title=title)
    return render_protect_html(outcome.protect, outcome.proof, checks=checks, record=r,
                               risk_before=outcome.risk_before, risk_after=outcome.risk_after,
                               output_name=r.dataset.name, title=title, source=source)


def document_schema_text(name: str, model: type[BaseModel], version: str = DOCUMENT_VERSION) -> str:
    """The JSON Schema of one result, with its ``$id`` and version in the title."""
    schema = model.model_json_schema(mode="serialization")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id(name, version),
              **schema, "title": f"datacustoms {name} {version}"}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_texts() -> dict[str, Any]:
    """docs file name -> a function writing its schema (every result, ``report`` included)."""
    texts: dict[str, Any] = {"report.schema.json": report_json_schema_text}
    for file, (name, model) in DOCUMENTS.items():
        texts[file] = lambda name=name, model=model: document_schema_text(name, model)
    return texts
