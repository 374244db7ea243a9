"""Digest columns: hex or base64 of 16–64 bytes, the shape of hashed ("encrypted") identifiers.

Evidence that a column holds digests rather than some other code:

* every value has the same length, and that length is exactly the encoding of a digest size
  (16, 20, 28, 32, 48 or 64 bytes) — hex of 32/40/56/64/96/128 characters, base64 with or
  without padding, or base64url;
* the alphabet is uniform across the column (all lower- or all upper-case hex; one base64
  flavour), and no value is digits only (a hex digest without a letter is a one-in-millions
  event, while long numeric IDs are common);
* a header word such as ``hash``, ``sha``, ``digest``, ``암호화`` raises the score.

What no shape can tell: whether the bytes came from an unkeyed hash of an identifier (reversible
by enumeration), a keyed HMAC (not reversible without the key) or a random token. Every digest
finding says so in ``uncertain``; only the attack stage, which recomputes candidate hashes, can
settle it. The kind is ``digest:<most likely algorithm>/<encoding>`` (``digest:sha256/hex``);
``details`` lists every candidate algorithm for the byte length.
"""

from __future__ import annotations

import base64
import binascii

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.detect.base import HEADER_RELIEF, ColumnSample, Detector, header_has, is_bytes
from datacustoms.model.findings import ColumnFinding

CANDIDATES: dict[int, tuple[str, ...]] = {
    16: ("md5",),
    20: ("sha1",),
    28: ("sha224", "sha3_224"),
    32: ("sha256", "sha3_256", "blake2s", "hmac-sha256"),
    48: ("sha384", "sha3_384"),
    64: ("sha512", "sha3_512", "blake2b", "hmac-sha512"),
}
HEX_LENGTHS = {2 * n: n for n in CANDIDATES}
TOKEN_WORDS = ("token", "session", "nonce", "secret", "apikey", "api_key", "salt", "otp", "csrf", "토큰")
HINT_WORDS = (
    "hash", "sha", "md5", "digest", "hmac", "암호화", "해시", "enc", "encrypted", "hashed", "blake",
    "pseudonym", "가명",
)  # fmt: skip
UNCERTAIN = (
    "a digest of an identifier, a keyed HMAC and a random token have the same shape; "
    "only the attack (recomputing candidate hashes) can tell whether it is reversible"
)


PREFIXES = ("0x", "\\x", "sha256:", "sha1:", "md5:", "sha512:", "{SHA256}", "{SHA}", "{MD5}")


def _strip_prefix(values: pa.Array) -> tuple[pa.Array, str | None]:
    """Drop a prefix that (nearly) every value carries, e.g. ``0x`` or ``sha256:``."""
    if len(values) == 0:
        return values, None
    for prefix in PREFIXES:
        starts = pc.starts_with(values, prefix, ignore_case=prefix.startswith("0x"))
        if int(pc.sum(pc.cast(starts, pa.int64())).as_py() or 0) >= 0.9 * len(values):
            return pc.utf8_slice_codeunits(values, len(prefix)), prefix
    return values, None


def source_hint(column: str) -> str | None:
    """Which identifier the header says was hashed (``phone_sha256`` → ``kr_mobile``), or ``None``.

    Header words only: it tells the attack stage which keyspace to try first, nothing more.
    """
    from datacustoms.detect.registry import builtin_registry

    ranked = sorted(builtin_registry().classes, key=lambda cls: -cls.priority)
    for cls in ranked:
        if cls.role == "direct_identifier" and cls.header_words and header_has(column, cls.header_words):
            return cls.kind
    # bare words that, next to a hash, usually mean the internal account or member key
    return "customer_id" if header_has(column, ("account", "user", "member", "customer", "고객", "회원")) else None


def b64_bytes(length: int, padded: bool) -> int | None:
    """The byte length that base64 text of ``length`` characters encodes, if it is a digest size."""
    for n in CANDIDATES:
        if (padded and length == 4 * ((n + 2) // 3)) or (not padded and length == (4 * n + 2) // 3):
            return n
    return None


class Digest(Detector):
    kind = "digest"
    role = "pseudonym"
    header_words = HINT_WORDS
    min_share = 0.9
    priority = 70

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        considered = len(sample.distinct)
        if considered == 0:
            return None
        hint = header_has(sample.name, self.header_words)
        distinct, prefix = _strip_prefix(sample.distinct)
        lengths = pc.utf8_length(distinct)
        counts = pc.value_counts(lengths)
        top = max(counts.to_pylist(), key=lambda c: c["counts"])
        length, same = int(top["values"]), int(top["counts"])
        threshold = self.min_share - (HEADER_RELIEF / 2 if hint else 0.0)
        if same / considered < threshold:
            return None
        at_length = pc.filter(distinct, pc.equal(lengths, pa.scalar(length, lengths.type)))
        shape = self._hex(at_length, length) or self._base64(at_length, length)
        if shape is None:
            return None
        encoding, nbytes, valid = shape
        if is_bytes(sample.arrow_type):
            encoding = "raw"  # the sample shows raw bytes as hex; the column holds the bytes
        share = len(valid) / considered
        if share < threshold:
            return None
        token = header_has(sample.name, TOKEN_WORDS)
        adjusted = share - (0.1 if token and not hint else 0.0)
        algorithm = CANDIDATES[nbytes][0]
        kind_encoding = "hex" if encoding.startswith("hex") else encoding  # hex, base64, base64url, raw
        finding = self.finding(
            sample,
            valid,
            share,
            adjusted,
            hint,
            kind=f"digest:{algorithm}/{kind_encoding}",
            note=f"header word {token!r} suggests a random token" if token and not hint else None,
        )
        unique_share = sample.distinct_count / sample.non_null if sample.non_null else 0.0
        finding.details = {
            "digest_bytes": nbytes,
            "encoding": encoding,
            "candidate_algorithms": list(CANDIDATES[nbytes]),
            "unique_share": round(unique_share, 4),
            "value_length": length,
            "source_hint": source_hint(sample.name),
        }
        if prefix:
            finding.details["prefix"] = prefix  # strip it before decoding
        finding.uncertain = UNCERTAIN + (
            f"; the header word {token!r} points to a random token" if token and not hint else ""
        )
        return finding

    @staticmethod
    def _hex(values: pa.Array, length: int) -> tuple[str, int, list[str]] | None:
        if length not in HEX_LENGTHS:
            return None
        lower = pc.match_substring_regex(values, f"^[0-9a-f]{{{length}}}$")
        upper = pc.match_substring_regex(values, f"^[0-9A-F]{{{length}}}$")
        digits = pc.match_substring_regex(values, "^[0-9]+$")
        n_lower = int(pc.sum(pc.cast(pc.and_not(lower, digits), pa.int64())).as_py() or 0)
        n_upper = int(pc.sum(pc.cast(pc.and_not(upper, digits), pa.int64())).as_py() or 0)
        if n_lower == 0 and n_upper == 0:
            return None
        if n_lower >= n_upper:
            return "hex_lower", HEX_LENGTHS[length], pc.filter(values, pc.and_not(lower, digits)).to_pylist()
        return "hex_upper", HEX_LENGTHS[length], pc.filter(values, pc.and_not(upper, digits)).to_pylist()

    @staticmethod
    def _base64(values: pa.Array, length: int) -> tuple[str, int, list[str]] | None:
        std = pc.match_substring_regex(values, "^[A-Za-z0-9+/]+={0,2}$")
        url = pc.match_substring_regex(values, "^[A-Za-z0-9_-]+={0,2}$")
        has_std = pc.any(pc.match_substring_regex(values, "[+/]")).as_py()
        has_url = pc.any(pc.match_substring_regex(values, "[_-]")).as_py()
        if has_std and has_url:
            return None  # two alphabets in one column: not one encoder's output
        encoding, mask = ("base64url", url) if has_url else ("base64", std)
        padded = bool(pc.any(pc.match_substring_regex(values, "=$")).as_py())
        nbytes = b64_bytes(length, padded)
        if nbytes is None:
            return None
        # mixed case and digits are what random bytes give; a word-like code is not a digest
        mixed = pc.and_(pc.match_substring_regex(values, "[a-z]"), pc.match_substring_regex(values, "[A-Z]"))
        candidates = pc.filter(values, pc.and_(mask, mixed)).to_pylist()
        valid = [v for v in candidates if _decodes_to(v, nbytes, encoding == "base64url")]
        return (encoding, nbytes, valid) if valid else None


def _decodes_to(value: str, nbytes: int, urlsafe: bool) -> bool:
    text = value + "=" * (-len(value) % 4)
    try:
        raw = base64.urlsafe_b64decode(text) if urlsafe else base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == nbytes
