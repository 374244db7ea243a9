"""Consent (R28): import a consent registry, and decide per subject whether a transfer may include them.

A consent file (CSV, JSONL, Parquet — anything :func:`datacustoms.read` reads) has one row per
consent with the columns ``subject`` (a phone number or email; or separate ``phone`` / ``email``
columns), ``recipient``, ``purpose``, ``countries`` (ISO codes separated by ``;``, ``,``, ``|`` or
spaces), ``given`` and optionally ``withdrawn`` (ISO dates or timestamps; a date means midnight
UTC). Subjects are stored only as keyed hashes. Re-importing a consent with the same subject,
recipient, purpose and ``given`` updates its countries and withdrawal, so a registry can be
re-exported and re-imported as people withdraw. Each import is itself a ledger entry (R20) and
commits the digest of the whole consent table, so an edit behind the ledger's back is detected.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from datacustoms.errors import InputError
from datacustoms.io.atomic import file_sha256
from datacustoms.ledger.store import Consent, LedgerStore
from datacustoms.ledger.subjects import SubjectHasher, SubjectKind

Verdict = Literal[
    "ok", "no_consent", "withdrawn", "not_yet_given", "other_country", "other_purpose", "other_recipient"
]

_SPLIT = re.compile(r"[;,|\s]+")
REQUIRED = ("recipient", "purpose", "countries", "given")


def norm_text(value: str) -> str:
    """Recipient and purpose compare case- and space-insensitively."""
    return " ".join(value.split()).casefold()


def parse_when(value: Any, what: str, line: int) -> str:
    """ISO timestamp in UTC (seconds) from a date, datetime or ISO string."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text or " " in text \
                else datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise InputError(f"consent row {line}: {what} is not an ISO date",  # never the cell itself
                             "write dates as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+09:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_countries(value: Any, line: int) -> str:
    items = value if isinstance(value, list) else _SPLIT.split(str(value or ""))
    codes = sorted({str(c).strip().upper() for c in items if str(c).strip()})
    bad = [c for c in codes if not re.fullmatch(r"[A-Z]{2}", c)]
    if not codes or bad:
        raise InputError(f"consent row {line}: countries must be ISO 3166 alpha-2 codes",
                         "e.g. KR;SG (separate several with ';')")
    return ";".join(codes)


@dataclass(frozen=True)
class ConsentImport:
    """What an import did."""

    entry_seq: int
    rows: int
    new: int
    updated: int
    withdrawn: int
    file_sha256: str


def _subject_columns(names: list[str]) -> list[tuple[str, SubjectKind | None]]:
    lower = {n.lower(): n for n in names}
    cols: list[tuple[str, SubjectKind | None]] = []
    if "subject" in lower:
        cols.append((lower["subject"], None))
    if "phone" in lower:
        cols.append((lower["phone"], "phone"))
    if "email" in lower:
        cols.append((lower["email"], "email"))
    return cols


def read_consent_rows(path: str | Path, hasher: SubjectHasher) -> tuple[list[dict[str, Any]], str]:
    """Validate and key-hash a consent file; returns the rows and the file's SHA-256."""
    from datacustoms.io import read

    table = read(str(path))
    lower = {n.lower(): n for n in table.column_names}
    missing = [c for c in REQUIRED if c not in lower]
    subject_cols = _subject_columns(table.column_names)
    if missing or not subject_cols:
        need = missing + ([] if subject_cols else ["subject (or phone / email)"])
        raise InputError(f"the consent file lacks the column(s) {', '.join(need)}",
                         "columns: subject, recipient, purpose, countries, given, withdrawn")
    rows: list[dict[str, Any]] = []
    line = 0
    for batch in table.batches():
        data = {name: batch.column(name).to_pylist() for name in batch.schema.names}
        hashed = {col: hasher.hash_array(batch.column(col).cast(pa.large_string()), kind) for col, kind in subject_cols}
        for i in range(batch.num_rows):
            line += 1
            tokens = []
            for col, _kind in subject_cols:
                raw = data[col][i]
                if raw is not None and str(raw).strip():
                    token = hashed[col][i]
                    if token is None:
                        raise InputError(f"consent row {line}: the {col} value is not a phone number or email",
                                         "fix or remove the row (the value is not shown here)")
                    tokens.append(token)
            if not tokens:
                raise InputError(f"consent row {line}: no subject identifier", "fill subject, phone or email")
            recipient = norm_text(str(data[lower["recipient"]][i] or ""))
            purpose = norm_text(str(data[lower["purpose"]][i] or ""))
            if not recipient or not purpose:
                raise InputError(f"consent row {line}: recipient and purpose must not be empty",
                                 "name the recipient and purpose the person consented to")
            given = parse_when(data[lower["given"]][i], "given", line)
            w = data[lower["withdrawn"]][i] if "withdrawn" in lower else None
            withdrawn = parse_when(w, "withdrawn", line) if w is not None and str(w).strip() else None
            countries = parse_countries(data[lower["countries"]][i], line)
            for token in tokens:
                rows.append({"subject_hash": token, "recipient": recipient, "purpose": purpose,
                             "given": given, "countries": countries, "withdrawn": withdrawn})
    consents = Path(path)
    return rows, file_sha256(consents) if consents.is_file() else hashlib.sha256().hexdigest()


def import_consents(store: LedgerStore, path: str | Path) -> ConsentImport:
    """Load a consent file into the ledger; the rows and a ledger entry commit together."""
    rows, digest = read_consent_rows(path, store.hasher)
    counts: dict[str, int] = {}

    def within(conn: Any, seq: int) -> dict[str, Any]:
        new, updated = store.upsert_consents(conn, rows, seq)
        counts.update(new=new, updated=updated)
        return {"consents_new": new, "consents_updated": updated, **store.consents_state(conn)}

    withdrawn = sum(1 for r in rows if r["withdrawn"])
    entry = store.append(
        "consent_import",
        {"file": Path(path).name, "file_sha256": digest, "rows": len(rows), "withdrawn": withdrawn},
        within=within,
    )
    return ConsentImport(entry.seq, len(rows), counts["new"], counts["updated"], withdrawn, digest)


def judge(consents: list[Consent], recipient: str, purpose: str, country: str, at: datetime) -> Verdict:
    """Is there a valid, unwithdrawn consent for this recipient, purpose and country at ``at``?

    When there is none, the most specific reason is returned (withdrawn beats other country beats
    other purpose beats other recipient), so the record can say why rows were dropped.
    """
    if not consents:
        return "no_consent"
    r, p, c = norm_text(recipient), norm_text(purpose), country.upper()
    moment = at.astimezone(UTC).isoformat(timespec="seconds")
    same_r = [x for x in consents if x.recipient == r]
    same_rp = [x for x in same_r if x.purpose == p]
    same_rpc = [x for x in same_rp if c in x.countries]
    for x in same_rpc:
        if x.given <= moment and (x.withdrawn is None or x.withdrawn > moment):
            return "ok"
    if same_rpc:
        if any(x.withdrawn is not None and x.withdrawn <= moment for x in same_rpc):
            return "withdrawn"
        return "not_yet_given"
    if same_rp:
        return "other_country"
    if same_r:
        return "other_purpose"
    return "other_recipient"


RowVerdict = Verdict | Literal["no_identifier"]
_RANK: tuple[RowVerdict, ...] = (
    "ok", "withdrawn", "not_yet_given", "other_country", "other_purpose", "other_recipient", "no_consent",
    "no_identifier",
)


def judge_rows(
    per_column: list[list[str | None]], known: dict[str, list[Consent]], recipient: str, purpose: str,
    country: str, at: datetime,
) -> list[RowVerdict]:
    """Per row (given each subject column's keyed hashes): the best verdict over its identifiers.

    A row is kept when any of its identifiers (phone or email) has a valid consent.
    """
    rows = len(per_column[0]) if per_column else 0
    out: list[RowVerdict] = []
    for i in range(rows):
        tokens = [col[i] for col in per_column if col[i] is not None]
        if not tokens:
            out.append("no_identifier")
            continue
        verdicts = [judge(known.get(t, []), recipient, purpose, country, at) for t in tokens if t is not None]
        out.append(min(verdicts, key=_RANK.index))
    return out


def consent_mask(
    store: LedgerStore, batch: pa.RecordBatch, columns: list[str], recipient: str, purpose: str,
    country: str, at: datetime,
) -> list[RowVerdict]:
    """Per row of ``batch``: why it may (``ok``) or may not leave."""
    hasher = store.hasher
    per_col = [hasher.hash_array(batch.column(c)) for c in columns]
    known = store.consents_for(t for col in per_col for t in col if t is not None)
    return judge_rows(per_col, known, recipient, purpose, country, at)
