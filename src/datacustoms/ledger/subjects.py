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
from collections.abc import Iterable, Iterator
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.kinds import email as email_kind
from datacustoms.kinds.phones import KR_NATIONAL_PATTERN, to_e164
from datacustoms.kinds.spec import WHITESPACE

SubjectKind = Literal["phone", "email", "rrn", "customer_id"]

#: whitespace trimmed around identifiers (the same set on the Arrow path, so both agree exactly)
_WS = WHITESPACE
_EMAIL_PATTERN = email_kind.LOOSE_PATTERN


normalise_phone = to_e164  # the phone kinds' canonical form (datacustoms.kinds.phones)
normalise_email = email_kind.normalise  # trimmed, lower-cased (datacustoms.kinds.email)


def normalise_rrn(value: str) -> str | None:
    """A resident registration number as its 13 digits (``900101-1234567`` → ``9001011234567``)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits if len(digits) == 13 and len(value.strip()) <= 16 else None


def normalise_customer_id(value: str) -> str | None:
    """A customer ID as the sender stores it, trimmed."""
    text = value.strip(_WS)
    return text or None


def guess_kind(value: str) -> SubjectKind:
    return "email" if "@" in value else "phone"


class SubjectHasher:
    """HMAC-SHA-256 of ``kind:canonical`` under the ledger key; the key state is computed once."""

    def __init__(self, key: bytes) -> None:
        self._key = bytes(key)
        self._base = hmac.new(self._key, digestmod=hashlib.sha256)

    def token(self, kind: SubjectKind, canonical: str) -> str:
        h = self._base.copy()
        h.update(f"{kind}:{canonical}".encode())
        return h.hexdigest()

    def hash_value(self, value: str, kind: SubjectKind | None = None) -> str | None:
        """Keyed hash of one raw phone/email, or None when it does not normalise."""
        kind = kind or guess_kind(value)
        normalise = {"phone": normalise_phone, "email": normalise_email, "rrn": normalise_rrn,
                     "customer_id": normalise_customer_id}[kind]  # fmt: skip
        canonical = normalise(value)
        return None if canonical is None else self.token(kind, canonical)

    def hash_kind_array(self, array: pa.Array | pa.ChunkedArray, kind: SubjectKind) -> list[str | None]:
        """Keyed hashes of a column of one kind (any type), None for nulls and invalid values."""
        if kind in ("phone", "email"):
            arr = array if pa.types.is_string(array.type) or pa.types.is_large_string(array.type) \
                else pc.cast(array, pa.large_string())
            return self.hash_array(arr, kind)
        text = pc.cast(array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array, pa.large_string())
        if kind == "rrn":
            text = pc.replace_substring_regex(pc.utf8_trim(text, _WS), "[- ]", "")
            text = pc.if_else(pc.match_substring_regex(text, "^[0-9]{13}$"), text, pa.scalar(None, pa.large_string()))
        else:
            text = pc.utf8_trim(text, _WS)
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)
        out = np.full(len(text), None, dtype=object)
        valid = np.flatnonzero(_np(pc.is_valid(text)))
        if len(valid):
            canonical = pc.binary_join_element_wise(pa.scalar(f"{kind}:", pa.large_string()),
                                                    text.take(pa.array(valid)), pa.scalar("", pa.large_string()))  # fmt: skip
            out[valid] = self._keyed_hex(canonical)
        result: list[str | None] = out.tolist()
        return result

    def hash_array(self, array: pa.Array | pa.ChunkedArray, kind: SubjectKind | None = None) -> list[str | None]:
        """Keyed hashes of one column chunk (``string`` or ``large_string``), None for nulls/invalid.

        ASCII values in the common forms (Korean national or +82 numbers, emails) are normalised
        with Arrow kernels and keyed with the batch HMAC kernel; every other value goes through
        :meth:`hash_value`. Both paths give the same token for the same value (tested).
        """
        arr = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        arr = arr.cast(pa.large_string())
        n = len(arr)
        out = np.full(n, None, dtype=object)
        if n == 0:
            return []
        valid = _np(arr.is_valid())
        ascii_ = _np(pc.fill_null(pc.string_is_ascii(arr), False)) & valid
        if kind is None:
            emailish = _np(pc.fill_null(pc.match_substring(arr, "@"), False))
        else:
            emailish = np.full(n, kind == "email")
        handled = np.zeros(n, dtype=bool)
        # emails: ASCII rows only, where trimming and lower-casing equal Python's
        idx = np.flatnonzero(ascii_ & emailish)
        if len(idx):
            lower = pc.ascii_lower(pc.ascii_trim(arr.take(pa.array(idx)), characters=_WS))
            ok = _np(pc.fill_null(pc.match_substring_regex(lower, f"^{_EMAIL_PATTERN}$"), False))
            handled[idx] = True  # an ASCII email that fails the pattern is invalid on both paths
            good = np.flatnonzero(ok)
            if len(good):
                canonical = pc.binary_join_element_wise(
                    pa.scalar("email:", pa.large_string()), lower.take(pa.array(good)), pa.scalar("", pa.large_string()))
                out[idx[good]] = self._keyed_hex(canonical)
        # phones: ASCII rows whose only non-digits are common separators; Korean forms only
        idx = np.flatnonzero(ascii_ & ~emailish)
        if len(idx):
            trimmed = pc.ascii_trim(arr.take(pa.array(idx)), characters=_WS)
            plus = _np(pc.fill_null(pc.starts_with(trimmed, "+"), False))
            digits = trimmed
            for sep in ("-", " ", "(", ")", ".", "+"):
                digits = pc.replace_substring(digits, sep, "")
            national = ~plus & _np(pc.fill_null(pc.match_substring_regex(digits, f"^{KR_NATIONAL_PATTERN}$"), False))
            korean = plus & _np(pc.fill_null(
                pc.match_substring_regex(digits, "^82(0[0-9]{8,10}|[1-9][0-9]{7,9})$"), False))
            for rows, pattern in ((national, "^0"), (korean, "^820?")):
                pick = np.flatnonzero(rows)
                if len(pick):
                    canonical = pc.replace_substring_regex(digits.take(pa.array(pick)), pattern, "phone:+82")
                    out[idx[pick]] = self._keyed_hex(canonical)
                    handled[idx[pick]] = True
        for i in np.flatnonzero(valid & ~handled):  # everything else: the per-value path
            out[i] = self.hash_value(arr[int(i)].as_py(), kind)
        result: list[str | None] = out.tolist()
        return result

    def _keyed_hex(self, canonical: pa.Array) -> np.ndarray:
        """HMAC-SHA-256 hex of each ``kind:canonical`` string, in one batch (native when built)."""
        from datacustoms.protect.crypto import encode_matrix, hmac_sha256_matrix

        matrix = np.ascontiguousarray(hmac_sha256_matrix(self._key, canonical))
        text = np.ascontiguousarray(encode_matrix(matrix, "hex"))
        return text.view("S64").ravel().astype("U64")


def _np(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


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
