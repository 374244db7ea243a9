"""Reading the ledger for the service: entries, verification, "where did my data go?", exposure.

A transfer recorded by the service is followed by a ``custody`` entry: the file is held by the
service until a ``release`` entry says the recipient collected it (or a ``destruction`` entry says
it never will). A transfer without custody was sent directly (``datacustoms transfer``).

Exposure per recipient is computed from what the ledger records: the transfers sent to each
recipient (rows, fields, subjects in the subject index), which of them were approved, collected or
destroyed, and the number of distinct people over all of them (the union of the subject
indexes) — cumulatively, by day. The subject index holds one keyed hash per identifier (a phone
number, an e-mail address), so a person known by both counts twice: the figure is an upper bound
on people and an exact count of identifiers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from datacustoms.errors import UsageError
from datacustoms.ledger.chain import Entry
from datacustoms.ledger.store import LedgerStore


def entry_view(entry: Entry) -> dict[str, Any]:
    return {"seq": entry.seq, "kind": entry.kind, "created": entry.created, "prev_hash": entry.prev_hash,
            "entry_hash": entry.entry_hash, "body": entry.body}


def entries(store: LedgerStore, *, kind: str | None = None, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    out = []
    for e in store.iter_entries(kind):
        if e.seq > after:
            out.append(entry_view(e))
            if len(out) >= max(1, min(limit, 1000)):
                break
    return out


def verify(store: LedgerStore) -> dict[str, Any]:
    """The ledger's own verification, plus the four-eyes audit of every release (R35)."""
    result = store.verify()
    return {"ok": result.ok, "entries": result.entries, "head": result.head,
            "problems": [{"seq": p.seq, "damage": str(p.damage), "message": p.message} for p in result.problems],
            "four_eyes": four_eyes_audit(store)}


def four_eyes_audit(store: LedgerStore) -> dict[str, Any]:
    """Every release must follow an approving R35 review, by someone other than the submitter,
    of the same transfer; and no transfer may be released twice. Read from the ledger alone."""
    reviews: dict[str, dict[str, Any]] = {}
    released: set[str] = set()
    problems: list[dict[str, Any]] = []
    count = 0
    for e in store.iter_entries():
        b = e.body
        tid = b.get("transfer_id") or ""
        if e.kind == "review":
            reviews[tid] = {**b, "entry": e.seq}
        elif e.kind == "release":
            count += 1
            review = reviews.get(tid)
            if review is None or review.get("verdict") != "approved":
                problems.append({"seq": e.seq, "message": f"transfer {tid} was released without an approving review"})
            elif not review.get("reviewer") or review.get("reviewer") == review.get("submitter"):
                problems.append({"seq": e.seq, "message": f"transfer {tid} was approved by its own submitter"})
            elif not all((review.get("checklist") or {"": False}).values()):
                problems.append({"seq": e.seq, "message": f"transfer {tid} was approved with a checklist item false"})
            if tid in released:
                problems.append({"seq": e.seq, "message": f"transfer {tid} was released twice"})
            released.add(tid)
    return {"ok": not problems, "releases": count, "problems": problems}


def _follow_ups(store: LedgerStore) -> dict[str, dict[str, Any]]:
    """Ledger transfer id → its review, release and destruction entries."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for e in store.iter_entries():
        if e.kind in ("custody", "review", "release", "destruction") and e.body.get("transfer_id"):
            out[e.body["transfer_id"]][e.kind] = {**e.body, "entry": e.seq, "created": e.created}
    return out


def subject_token(store: LedgerStore, phone: str | None, email: str | None) -> str:
    """The keyed hash the subject index uses for one phone number or e-mail address."""
    from datacustoms.ledger.subjects import normalise_email, normalise_phone

    if (phone is None) == (email is None):
        raise UsageError("give exactly one of phone or email", "e.g. {\"phone\": \"010-1234-5678\"}")
    if phone is not None:
        canonical = normalise_phone(phone)
        if canonical is None:
            raise UsageError("phone is not a phone number", "e.g. 010-1234-5678 or +82 10-1234-5678")
        return store.hasher.token("phone", canonical)
    canonical = normalise_email(email or "")
    if canonical is None:
        raise UsageError("email is not an email address", "e.g. name@example.com")
    return store.hasher.token("email", canonical)


def lookup(store: LedgerStore, phone: str | None = None, email: str | None = None) -> list[dict[str, Any]]:
    """Every recorded transfer that included this person, with what became of it."""
    hits = store.lookup(subject_token(store, phone, email))
    follow = _follow_ups(store) if hits else {}
    rows = []
    for e in hits:
        b = e.body
        f = follow.get(b.get("transfer_id", ""), {})
        review, released, destroyed = f.get("review"), f.get("release"), f.get("destruction")
        held = "custody" in f
        rows.append({
            "entry": e.seq, "time": e.created, "transfer_id": b.get("transfer_id"),
            "recipient": (b.get("recipient") or {}).get("name"), "country": (b.get("recipient") or {}).get("country"),
            "role": (b.get("role") or {}).get("classified") or (b.get("role") or {}).get("declared"),
            "purpose": b.get("purpose"), "legal_basis": b.get("legal_basis"), "fields": b.get("data_items", []),
            "retention_until": b.get("retention_until"),
            "review": review["verdict"] if review else None,
            "released": released["created"] if released else None,
            "destroyed_on": destroyed.get("destroyed_on") if destroyed else None,
            "left": bool(released) or not held,  # collected, or sent by the CLI (no custody)
        })
    return rows


def exposure(store: LedgerStore) -> list[dict[str, Any]]:
    """Per recipient: what the ledger says it received, cumulatively by day."""
    follow = _follow_ups(store)
    per: dict[str, dict[str, Any]] = {}
    for e in store.iter_entries("transfer"):
        b = e.body
        if b.get("status") != "sent":
            continue
        name = (b.get("recipient") or {}).get("name") or "?"
        f = follow.get(b.get("transfer_id", ""), {})
        r = per.setdefault(name, {"recipient": name, "country": (b.get("recipient") or {}).get("country"),
                                  "transfers_recorded": 0, "transfers_left": 0, "withheld": 0, "destroyed": 0,
                                  "rows_left": 0, "fields": set(), "subjects": set(), "by_day": {}})
        r["transfers_recorded"] += 1
        left = "release" in f or "custody" not in f  # the service holds its files until collected
        if not left:
            r["withheld"] += 1
        if "destruction" in f:
            r["destroyed"] += 1
        if left:
            r["transfers_left"] += 1
            r["rows_left"] += int((b.get("dataset") or {}).get("rows") or 0)
            r["fields"].update(b.get("data_items") or [])
            r["subjects"].update(store.subject_tokens(e.seq))
            r["by_day"][e.created[:10]] = len(r["subjects"])
    out = []
    for r in per.values():
        out.append({**{k: v for k, v in r.items() if k not in ("fields", "subjects", "by_day")},
                    "fields": sorted(r["fields"]), "distinct_identifiers": len(r["subjects"]),
                    "cumulative_identifiers_by_day": [{"day": d, "identifiers": n} for d, n in sorted(r["by_day"].items())]})
    return sorted(out, key=lambda r: -r["distinct_identifiers"])
