"""The hash chain: each entry commits to the one before it.

``entry_hash = SHA-256(canonical JSON of {kind, created, body, prev_hash})``, where canonical JSON
has sorted keys, no spaces and UTF-8 text. The first entry's ``prev_hash`` is 64 zeros. Because the
link is by hash and not by position, :func:`verify_chain` can tell three kinds of damage apart:

- *edited*: an entry's content no longer hashes to its stored ``entry_hash``;
- *deleted*: an entry's ``prev_hash`` names no entry in the ledger (its predecessor is gone, or
  was rewritten together with its hash);
- *reordered*: an entry's ``prev_hash`` names an entry stored *after* it.

What a chain alone cannot detect: cutting entries off the end, or rewriting the whole tail with
fresh hashes, by someone who can write the database. The ledger keeps a head row, and ``verify``
accepts ``expect_head``: a head hash published or stored elsewhere earlier (in a ticket, a signed
mail, the recipient's copy); the chain must still contain it. Signed anchors and entry signatures
(:mod:`datacustoms.ledger.anchor`) close the gap without trusting the reader to keep a hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

GENESIS = "0" * 64

Damage = Literal["edited", "deleted", "reordered", "truncated", "head", "index", "consents", "signature", "anchor"]


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, compact separators, UTF-8 kept (no \\u escapes)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def entry_hash(kind: str, created: str, body: dict[str, Any], prev_hash: str) -> str:
    payload = {"kind": kind, "created": created, "body": body, "prev_hash": prev_hash}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One ledger entry as stored. ``seq`` is the storage position (1-based), not hashed."""

    seq: int
    kind: str
    created: str
    body: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def recompute(self) -> str:
        return entry_hash(self.kind, self.created, self.body, self.prev_hash)

    @property
    def short(self) -> str:
        return self.entry_hash[:12]


@dataclass(frozen=True)
class Problem:
    seq: int
    damage: Damage
    message: str


@dataclass
class VerifyResult:
    entries: int
    head: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def verify_chain(entries: list[Entry], expect_head: str | None = None) -> VerifyResult:
    """Walk entries in storage order; report the first break of the chain (and a missing anchor)."""
    position = {e.entry_hash: i for i, e in enumerate(entries)}
    expected_prev = GENESIS
    problems: list[Problem] = []
    for i, e in enumerate(entries):
        if e.recompute() != e.entry_hash:
            problems.append(Problem(e.seq, "edited", f"entry {e.seq} was edited: its content no longer "
                                    f"matches its hash {e.short}"))
            break
        if e.prev_hash != expected_prev:
            j = position.get(e.prev_hash)
            if j is not None and j > i:
                problems.append(Problem(e.seq, "reordered", f"entry {e.seq} is out of order: it was "
                                        f"recorded after entry {entries[j].seq}"))
            elif j is not None:
                problems.append(Problem(e.seq, "reordered", f"entry {e.seq} is out of order: it follows "
                                        f"entry {entries[j].seq}, not entry {entries[i - 1].seq}"))
            else:
                before = entries[i - 1].seq if i else 0
                problems.append(Problem(e.seq, "deleted", f"an entry between {before} and {e.seq} was "
                                        f"deleted (or rewritten): entry {e.seq}'s predecessor is not in the ledger"))
            break
        expected_prev = e.entry_hash
    head = entries[-1].entry_hash if entries else GENESIS
    if expect_head is not None:
        anchor = expect_head.strip().lower()
        matches = [e for e in entries if e.entry_hash.startswith(anchor)] if len(anchor) >= 12 else []
        if anchor != GENESIS and not matches:
            problems.append(Problem(entries[-1].seq if entries else 0, "truncated",
                                    f"the expected head {anchor[:12]} is not in the ledger: entries were "
                                    "cut off the end or the tail was rewritten"))
    return VerifyResult(entries=len(entries), head=head, problems=problems)
