"""Signatures and anchors: what a chain cannot prove about its own tail.

A hash chain shows that nothing *inside* it changed, but someone who can write the database can
cut entries off the end and rewind the head row, or append an entry whose hash is correct. Two
things close that gap:

- **Entry signatures.** Each new entry's hash is signed with the ledger's Ed25519 key and the
  signature is kept in ``dc_signatures``; the body says ``"signed": "ed25519"`` (hashed, so it
  cannot be stripped). After the first signed entry every entry must carry a valid signature: an
  appended entry with a correct hash but no key is a forgery.
- **Anchors.** ``ledger anchor -o FILE`` writes the head (entry number and hash) signed with the
  same key. Kept outside the database (the recipient, the regulator, a transparency log), it
  lets ``verify --anchor FILE`` prove that the anchored entry is still in the chain, at its place.

The Ed25519 key is derived from the ledger's subject-hash key (HKDF-SHA-256 with a fixed label),
so there is no second secret to lose; the public key travels in every anchor.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from datacustoms.errors import InputError
from datacustoms.ledger.chain import canonical_json

SIGNED_MARK = "ed25519"
ANCHOR_FORMAT = "datacustoms-ledger-anchor/1"
_LABEL = b"datacustoms ledger entry signing key (ed25519) v1"


def signing_key(ledger_key: bytes) -> Ed25519PrivateKey:
    """The ledger's Ed25519 key, derived from its subject-hash key (same secret, separate use)."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(ledger_key)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def sign_hash(key: Ed25519PrivateKey, digest: str) -> str:
    """Base64 signature over the entry hash (as ASCII hex)."""
    return base64.b64encode(key.sign(digest.encode("ascii"))).decode("ascii")


def check_signature(public: Ed25519PublicKey, digest: str, signature: str | None) -> bool:
    if not signature:
        return False
    try:
        public.verify(base64.b64decode(signature, validate=True), digest.encode("ascii"))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Anchor:
    """A signed statement: "at ``created`` the ledger's head was entry ``seq`` with ``head``"."""

    seq: int
    head: str
    created: str
    public_key: str
    signature: str

    def signed_part(self) -> bytes:
        return canonical_json({"format": ANCHOR_FORMAT, "seq": self.seq, "head": self.head,
                               "created": self.created, "public_key": self.public_key}).encode("utf-8")

    def to_json(self) -> str:
        doc = {"format": ANCHOR_FORMAT, "seq": self.seq, "head": self.head, "created": self.created,
               "public_key": self.public_key, "signature": self.signature}
        return json.dumps(doc, indent=2) + "\n"


def make_anchor(key: Ed25519PrivateKey, seq: int, head: str) -> Anchor:
    created = datetime.now(UTC).isoformat(timespec="seconds")
    unsigned = Anchor(seq, head, created, public_hex(key), "")
    sig = base64.b64encode(key.sign(unsigned.signed_part())).decode("ascii")
    return Anchor(seq, head, created, unsigned.public_key, sig)


def read_anchor(path: Path) -> Anchor:
    """Parse an anchor file; anything malformed is one line of InputError (never a traceback)."""
    bad = InputError(f"{path.name} is not a ledger anchor", "write one with 'datacustoms ledger anchor -o FILE'")
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no anchor file {path.name}", "check the path") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise bad from None
    if not isinstance(doc, dict) or doc.get("format") != ANCHOR_FORMAT:
        raise bad
    try:
        anchor = Anchor(int(doc["seq"]), str(doc["head"]).lower(), str(doc["created"]), str(doc["public_key"]),
                        str(doc["signature"]))
    except (KeyError, TypeError, ValueError):
        raise bad from None
    if len(anchor.head) != 64 or len(anchor.public_key) != 64:
        raise bad
    return anchor


def anchor_signature_ok(anchor: Anchor, public: Ed25519PublicKey) -> bool:
    """The anchor was signed by this ledger's key (and names that key)."""
    if anchor.public_key != public_hex(public):
        return False
    try:
        public.verify(base64.b64decode(anchor.signature, validate=True), anchor.signed_part())
    except (InvalidSignature, ValueError):
        return False
    return True
