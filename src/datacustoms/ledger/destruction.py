"""Destruction receipts (R22, PIPA 28-4): the ledger records when a recipient destroyed the data.

A destruction is its own ledger entry that names the transfer (by id and entry number), the day,
the method, who confirmed it, and the SHA-256 of the receipt document when one is given — so the
chain shows both that the data left and that it was destroyed, and "where did my data go?" can
answer "and it was destroyed on …".
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from datacustoms.errors import InputError, UsageError
from datacustoms.ledger.chain import Entry
from datacustoms.ledger.store import LedgerStore


def record_destruction(
    store: LedgerStore, transfer: str, *, destroyed_on: date, method: str, confirmed_by: str,
    receipt: str | Path | None = None,
) -> Entry:
    """Append a destruction entry for a sent transfer (refuses refused transfers and duplicates)."""
    entry = store.get(transfer)
    if entry.kind != "transfer" or entry.body.get("status") != "sent":
        raise UsageError(f"entry {entry.seq} is not a sent transfer", "name a transfer from 'datacustoms ledger list'")
    if destroyed_on > datetime.now(UTC).date():
        raise UsageError("the destruction date is in the future", "record a destruction once it has happened")
    if not method.strip() or not confirmed_by.strip():
        raise UsageError("say how the data was destroyed and who confirmed it", "--method and --confirmed-by")
    transfer_id = entry.body["transfer_id"]
    if transfer_id in destructions(store):
        raise UsageError(f"the destruction of transfer {transfer_id} is already recorded",
                         "a ledger is append-only; see 'datacustoms ledger list --kind destruction'")
    body: dict[str, Any] = {
        "transfer_id": transfer_id, "transfer_entry": entry.seq, "destroyed_on": destroyed_on.isoformat(),
        "method": method.strip(), "confirmed_by": confirmed_by.strip(), "receipt_sha256": None,
        "receipt_name": None,
    }
    if receipt is not None:
        path = Path(receipt)
        if not path.is_file():
            raise InputError(f"receipt {path.name!r} not found", "check the path")
        body["receipt_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        body["receipt_name"] = path.name
    return store.append("destruction", body)


def destructions(store: LedgerStore) -> dict[str, dict[str, Any]]:
    """Transfer id → its destruction entry's body."""
    return {e.body["transfer_id"]: {**e.body, "entry": e.seq} for e in store.iter_entries("destruction")}
