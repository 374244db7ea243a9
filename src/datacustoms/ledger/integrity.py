"""Checks beyond the chain: the consent table, entry signatures and an external anchor.

The consent table is mutable state (a re-import updates withdrawals), so it cannot be chained row
by row. Instead every consent import commits, in its hashed body, ``consents_sha256``: the SHA-256
of the *whole* consent table as it stands after the import (rows in primary-key order, each as
canonical JSON). ``verify`` recomputes it and compares with the latest import: a withdrawal set back
to NULL, a deleted consent, a widened country list or an inserted row all change the digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from datacustoms.ledger.anchor import SIGNED_MARK, Anchor, anchor_signature_ok, check_signature
from datacustoms.ledger.chain import Entry, Problem, canonical_json

CONSENT_FIELDS = ("subject_hash", "recipient", "purpose", "given", "countries", "withdrawn", "import_seq")


def consents_digest(conn: Connection, table: sa.Table) -> tuple[str, int]:
    """SHA-256 over the consent table in primary-key order, and its row count (streamed)."""
    c = table.c
    query = sa.select(*(c[f] for f in CONSENT_FIELDS)).order_by(c.subject_hash, c.recipient, c.purpose, c.given)
    h = hashlib.sha256()
    n = 0
    for row in conn.execute(query.execution_options(stream_results=True)):
        h.update(canonical_json(dict(zip(CONSENT_FIELDS, row, strict=True))).encode("utf-8"))
        h.update(b"\n")
        n += 1
    return h.hexdigest(), n


def check_consents(entries: list[Entry], digest: str, rows: int) -> Problem | None:
    """The consent table must be the one the latest consent import committed to."""
    imports = [e for e in entries if e.kind == "consent_import"]
    if not imports:
        if rows:
            return Problem(0, "consents", f"the consent table holds {rows:,} row(s) that no consent import recorded")
        return None
    last = imports[-1]
    committed = last.body.get("consents_sha256")
    if committed is None:  # recorded before consents were committed to the chain: nothing to compare
        return None
    if committed != digest:
        return Problem(last.seq, "consents", f"the consent table was changed after consent import {last.seq} "
                       f"(withdrawals, countries, rows added or deleted): it no longer matches that entry")
    return None


def check_signatures(entries: Iterable[Entry], signatures: dict[int, str], public: Ed25519PublicKey) -> Problem | None:
    """Every entry from the first signed one on must carry a valid signature of its hash."""
    signing = False
    for e in entries:
        marked = e.body.get("signed") == SIGNED_MARK
        signing = signing or marked
        if not signing:
            continue
        if not marked:
            return Problem(e.seq, "signature", f"entry {e.seq} is not signed although earlier entries are: "
                           "it was added without the ledger's key (a forgery)")
        if not check_signature(public, e.entry_hash, signatures.get(e.seq)):
            return Problem(e.seq, "signature", f"entry {e.seq} has no valid signature from the ledger's key: "
                           "it was forged or its signature removed")
    return None


def check_anchor(entries: list[Entry], anchor: Anchor, public: Ed25519PublicKey) -> Problem | None:
    """The anchored head must still be in the chain, at the entry number it was anchored at."""
    if not anchor_signature_ok(anchor, public):
        return Problem(anchor.seq, "anchor", "the anchor's signature is not from this ledger's key "
                       "(a forged anchor, or an anchor of another ledger)")
    at = next((e for e in entries if e.seq == anchor.seq), None)
    if at is None or at.entry_hash != anchor.head:
        last = entries[-1].seq if entries else 0
        return Problem(anchor.seq, "truncated", f"the anchored head (entry {anchor.seq}, {anchor.head[:12]}) is not "
                       f"in the ledger, which ends at entry {last}: entries were cut off or the tail rewritten")
    return None


def body_signed(body: dict[str, Any]) -> dict[str, Any]:
    """The body with the hashed mark that says its entry is signed (cannot be stripped later)."""
    return {**body, "signed": SIGNED_MARK}
