"""Subject identifiers as keyed hashes: the ledger must not become a list of phone numbers.

A phone number or email is normalised to one canonical form (Korean mobiles in any of
``010-1234-5678``, ``01012345678``, ``+82 10-1234-5678``, ``+821012345678`` become
``+821012345678``; emails are trimmed and lower-cased), prefixed with its kind, and hashed with
HMAC-SHA-256 under the ledger-local key. Without the key the index cannot be enumerated the way an
unkeyed hash can (the Kakao Pay mistake, R2); with it, "where did my data go?" is one lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator
from typing import Literal

import phonenumbers
import pyarrow as pa

SubjectKind = Literal["phone", "email"]

_NON_DIGIT = re.compile(r"\D")
_KR_NATIONAL = re.compile(r"^0\d{8,10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(value: str, region: str = "KR") -> str | None:
    """E.164 form of a phone number, or None when it is not one.

    Korean numbers take a fast path (no parsing library per row); anything else goes through
    ``phonenumbers`` with ``region`` as the default country.
    """
    text = value.strip()
    if not text:
        return None
    digits = _NON_DIGIT.sub("", text)
    international = text.startswith("+") or (text.startswith("00") and len(digits) > 11)
    if international:
        if digits.startswith("00"):
            digits = digits[2:]
        if digits.startswith("82"):
            national = digits[2:]
            national = national if national.startswith("0") else "0" + national
            if _KR_NATIONAL.match(national):
                return "+82" + national[1:]
    elif region == "KR" and _KR_NATIONAL.match(digits):
        return "+82" + digits[1:]
    try:
        parsed = phonenumbers.parse(text, None if international else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str | None:
    """Trimmed, lower-cased email, or None when it is not one."""
    text = value.strip().lower()
    return text if _EMAIL.match(text) else None


def guess_kind(value: str) -> SubjectKind:
    return "email" if "@" in value else "phone"


class SubjectHasher:
    """HMAC-SHA-256 of ``kind:canonical`` under the ledger key; the key state is computed once."""

    def __init__(self, key: bytes) -> None:
        self._base = hmac.new(key, digestmod=hashlib.sha256)

    def token(self, kind: SubjectKind, canonical: str) -> str:
        h = self._base.copy()
        h.update(f"{kind}:{canonical}".encode())
        return h.hexdigest()

    def hash_value(self, value: str, kind: SubjectKind | None = None) -> str | None:
        """Keyed hash of one raw phone/email, or None when it does not normalise."""
        kind = kind or guess_kind(value)
        canonical = normalise_phone(value) if kind == "phone" else normalise_email(value)
        return None if canonical is None else self.token(kind, canonical)

    def hash_array(self, array: pa.Array | pa.ChunkedArray, kind: SubjectKind | None = None) -> list[str | None]:
        """Keyed hashes of one column chunk (``string`` or ``large_string``), None for nulls/invalid."""
        out: list[str | None] = []
        for value in array.cast(pa.large_string()).to_pylist():
            out.append(None if value is None else self.hash_value(value, kind))
        return out


def index_digest(hashes: Iterable[str]) -> str:
    """SHA-256 over the sorted, distinct subject hashes: commits a transfer's index to the chain."""
    h = hashlib.sha256()
    for token in sorted(set(hashes)):
        h.update(token.encode())
        h.update(b"\n")
    return h.hexdigest()


def iter_column_tokens(
    hasher: SubjectHasher, batches: Iterator[pa.RecordBatch], columns: list[str]
) -> Iterator[list[str]]:
    """Per batch, the distinct non-null keyed hashes over ``columns`` (phones and emails)."""
    for batch in batches:
        tokens: set[str] = set()
        for name in columns:
            for t in hasher.hash_array(batch.column(name)):
                if t is not None:
                    tokens.add(t)
        yield sorted(tokens)
