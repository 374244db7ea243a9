"""Recipes: how an identifier became a digest, as data.

A recipe is the normalisation of the identifier (``01012345678`` vs ``010-1234-5678`` vs
``+821012345678``; an e-mail as-is or lower-cased), an optional fixed salt before or after it,
the hash algorithm (applied once, or twice over the hex of the first digest), and the text
encoding of the output. Recipes print as one line a person reads, e.g.
``sha256(hex) of "010-XXXX-XXXX"``; salts are named by where they came from ("the column
name"), never printed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import phonenumbers

HASHLIB_ALGORITHMS = (
    "md5", "sha1", "sha224", "sha256", "sha384", "sha512",
    "sha3_224", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s",
)  # fmt: skip
OUTPUT_ENCODINGS = ("hex", "HEX", "base64", "base64url", "raw")

#: phone formats, most common first; each renders (country code, trunk prefix, digit groups)
PHONE_FORMATS: dict[str, str] = {
    "digits": "national digits only, e.g. 01012345678",
    "dashes": "national with dashes, e.g. 010-1234-5678",
    "e164": "E.164, e.g. +821012345678",
    "intl": "international, e.g. +82 10-1234-5678",
    "cc_digits": "country code and digits, e.g. 821012345678",
    "intl_dashes": "country code with dashes, e.g. 82-10-1234-5678",
    "spaces": "national with spaces, e.g. 010 1234 5678",
    "intl_spaces": "international with spaces, e.g. +82 10 1234 5678",
}
#: plain-text normalisations for identifiers that are not phone numbers (e-mails, IDs)
TEXT_FORMATS: dict[str, str] = {
    "as_is": "the value as stored",
    "trim": "trimmed",
    "lower": "lower-case",
    "trim_lower": "trimmed, lower-case",
    "upper": "upper-case",
    "trim_upper": "trimmed, upper-case",
    "digits_only": "digits only",
    "rrn_dash": "YYMMDD-SNNNNNN",
}


def render_phone(cc: str, trunk: str, groups: Iterable[str], fmt: str) -> str:
    """One phone number (or shape with ``X`` slots) in the named format."""
    g = list(groups)
    nsn = "".join(g)
    if fmt == "digits":
        return trunk + nsn
    if fmt == "dashes":
        return trunk + "-".join(g)
    if fmt == "spaces":
        return trunk + " ".join(g)
    if fmt == "e164":
        return f"+{cc}{nsn}"
    if fmt == "cc_digits":
        return f"{cc}{nsn}"
    if fmt == "intl":
        return f"+{cc} " + "-".join(g)
    if fmt == "intl_dashes":
        return f"{cc}-" + "-".join(g)
    if fmt == "intl_spaces":
        return f"+{cc} " + " ".join(g)
    raise ValueError(f"unknown phone format {fmt!r}")


@dataclass(frozen=True)
class ParsedPhone:
    cc: str
    trunk: str
    groups: tuple[str, ...]


@lru_cache(maxsize=65_536)
def parse_phone(value: str, region: str = "KR") -> ParsedPhone | None:
    """Split a phone number into country code, trunk prefix and the national digit groups."""
    try:
        num = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    nsn = phonenumbers.national_significant_number(num)
    if not nsn or not nsn.isdigit():
        return None
    region_code = phonenumbers.region_code_for_number(num) or region
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region_code)
    trunk = (meta.national_prefix or "") if meta else ""
    national = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
    groups = [g for g in re.split(r"\D+", national) if g]
    joined = "".join(groups)
    if joined == trunk + nsn and trunk and groups and groups[0].startswith(trunk):
        groups[0] = groups[0][len(trunk) :]
        groups = [g for g in groups if g]
    elif joined != nsn:
        groups = [nsn]
        trunk = trunk if value.strip().startswith(trunk) and trunk else ""
    else:
        trunk = ""
    return ParsedPhone(cc=str(num.country_code), trunk=trunk, groups=tuple(groups))


def normalise(value: str, fmt: str, region: str = "KR") -> str | None:
    """The identifier as a recipe's normalisation writes it; None when it does not apply."""
    if fmt in PHONE_FORMATS:
        parsed = parse_phone(value, region)
        if parsed is None:
            return None
        return render_phone(parsed.cc, parsed.trunk, parsed.groups, fmt)
    if fmt == "as_is":
        return value
    if fmt == "trim":
        return value.strip()
    if fmt == "lower":
        return value.lower()
    if fmt == "trim_lower":
        return value.strip().lower()
    if fmt == "upper":
        return value.upper()
    if fmt == "trim_upper":
        return value.strip().upper()
    if fmt == "digits_only":
        digits = re.sub(r"\D", "", value)
        return digits or None
    if fmt == "rrn_dash":
        digits = re.sub(r"\D", "", value)
        return f"{digits[:6]}-{digits[6:]}" if len(digits) == 13 else None
    raise ValueError(f"unknown normalisation {fmt!r}")


def encode_digest(raw: bytes, encoding: str) -> str:
    """A raw digest in one of the output encodings."""
    if encoding == "hex":
        return raw.hex()
    if encoding == "HEX":
        return raw.hex().upper()
    if encoding == "base64":
        return base64.b64encode(raw).decode()
    if encoding == "base64url":
        return base64.urlsafe_b64encode(raw).decode()
    if encoding == "raw":
        return raw.decode("latin-1")
    raise ValueError(f"unknown encoding {encoding!r}")


@dataclass(frozen=True)
class Recipe:
    """One way an identifier may have become a digest."""

    algorithm: str = "sha256"
    normalise: str = "as_is"
    shape: str | None = None  # how the identifier looks, e.g. "010-XXXX-XXXX" (for display)
    prefix: bytes = field(default=b"", repr=False)  # salts are secrets: never in a repr
    suffix: bytes = field(default=b"", repr=False)
    salt_label: str | None = None  # where the salt came from, e.g. "the column name"
    subject: str | None = None  # what the identifier is, e.g. "e-mail" (for display when no shape)
    rounds: int = 1  # 2 = algorithm over the lower-case hex of the first digest
    encoding: str = "hex"
    hmac_key: bytes = field(default=b"", repr=False)  # HMAC-<algorithm> under this key (a known secret)
    secret: bool = False  # the salt or key is the caller's secret: never on a command line (hashcat)

    def __post_init__(self) -> None:
        if self.algorithm not in HASHLIB_ALGORITHMS:
            raise ValueError(f"unknown algorithm {self.algorithm!r}")
        if self.encoding not in OUTPUT_ENCODINGS:
            raise ValueError(f"unknown encoding {self.encoding!r}")
        if self.rounds not in (1, 2):
            raise ValueError("rounds must be 1 or 2")
        if self.hmac_key and (self.rounds != 1 or self.salted):
            raise ValueError("an HMAC recipe has one round and no prefix or suffix salt")

    @property
    def salted(self) -> bool:
        return bool(self.prefix or self.suffix)

    @property
    def keyed(self) -> bool:
        """True for HMAC recipes (no hash kernel of the native engine or hashcat runs them)."""
        return bool(self.hmac_key)

    def digest(self, identifier: bytes) -> bytes:
        """The raw digest of an already normalised identifier (the reference implementation)."""
        if self.hmac_key:
            return hmac.new(self.hmac_key, identifier, self.algorithm).digest()
        return digest_function(self.algorithm, self.rounds)(self.prefix + identifier + self.suffix)

    def apply(self, value: str, region: str = "KR") -> str | None:
        """Normalise, hash and encode one plaintext value (None when the normalisation fails)."""
        norm = normalise(value, self.normalise, region)
        if norm is None:
            return None
        return encode_digest(self.digest(norm.encode("utf-8")), self.encoding)

    def hasher(self) -> Callable[[bytes | bytearray], bytes]:
        """A fast per-candidate function (candidates already carry the salt when enumerated)."""
        if self.hmac_key:
            proto = hmac.new(self.hmac_key, digestmod=self.algorithm)

            def keyed(data: bytes | bytearray) -> bytes:
                h = proto.copy()
                h.update(data)
                return h.digest()

            return keyed
        return digest_function(self.algorithm, self.rounds)

    def with_encoding(self, encoding: str) -> Recipe:
        return replace(self, encoding=encoding)

    def __str__(self) -> str:
        enc = {"hex": "hex", "HEX": "HEX", "base64": "base64", "base64url": "base64url", "raw": "raw"}[self.encoding]
        if self.shape:
            subject = f'"{self.shape}"'
        elif self.subject:
            known = self.normalise in TEXT_FORMATS or self.normalise in PHONE_FORMATS
            subject = f"{self.subject} ({_describe(self.normalise)})" if known else self.subject
        else:
            subject = _describe(self.normalise)
        if self.prefix:
            subject = f"salt ({self.salt_label or 'a fixed value'}) + {subject}"
        if self.suffix:
            subject = f"{subject} + salt ({self.salt_label or 'a fixed value'})"
        if self.hmac_key:
            return f"hmac-{self.algorithm}({enc}) of {subject}, key: {self.salt_label or 'a fixed value'}"
        if self.rounds == 2:
            return f"{self.algorithm}({enc}) of hex({self.algorithm}({subject}))"
        return f"{self.algorithm}({enc}) of {subject}"


def digest_function(algorithm: str, rounds: int = 1) -> Callable[[bytes | bytearray], bytes]:
    """hashlib's raw digest of one message, the algorithm applied ``rounds`` times (the second
    time over the lower-case hex of the first digest)."""
    new = _constructor(algorithm)
    if rounds == 1:
        return lambda data: new(data).digest()
    return lambda data: new(new(data).hexdigest().encode()).digest()


def _constructor(algorithm: str) -> Callable[[bytes | bytearray], Any]:
    """hashlib's direct constructor (several times faster per call than ``hashlib.new``)."""
    direct = getattr(hashlib, algorithm, None)
    if callable(direct):
        return direct
    return lambda data: hashlib.new(algorithm, data)


def _describe(fmt: str) -> str:
    return PHONE_FORMATS.get(fmt) or TEXT_FORMATS.get(fmt) or fmt


#: where a salt goes: before or after the identifier, or as the HMAC key
SALT_PLACES = ("prefix", "suffix", "hmac")


@dataclass(frozen=True)
class Salt:
    """A fixed salt (guessed, or known to the caller), where it came from and where it may go."""

    value: bytes = field(repr=False)
    label: str
    places: tuple[str, ...] = ("prefix", "suffix")
    known: bool = False  # given by the caller: as likely as no salt at all

    def recipes(self, base: Recipe) -> list[Recipe]:
        """``base`` with this salt in each of its places."""
        out = []
        for place in self.places:
            if place == "prefix":
                out.append(replace(base, prefix=self.value, salt_label=self.label, secret=self.known))
            elif place == "suffix":
                out.append(replace(base, suffix=self.value, salt_label=self.label, secret=self.known))
            elif place == "hmac" and base.rounds == 1:
                out.append(replace(base, hmac_key=self.value, salt_label=self.label, secret=self.known))
        return out


def guess_salts(column: str | None, dataset: str | None) -> list[Salt]:
    """Fixed salts an attacker tries first: the column name and the dataset's name."""
    out: list[Salt] = []
    seen: set[bytes] = set()
    for value, label in ((column, "the column name"), (dataset, "the dataset name")):
        if value and value.encode() not in seen:
            seen.add(value.encode())
            out.append(Salt(value.encode(), label))
    return out


def recipe_variants(
    algorithms: Iterable[str],
    normalisations: Iterable[str],
    *,
    salts: Iterable[Salt] = (),
    double: bool = True,
    encoding: str = "hex",
) -> list[Recipe]:
    """Every recipe for these algorithms and normalisations, most likely first.

    Order: unsalted single hashes, then double hashes, then each salt as prefix and suffix.
    """
    algs = list(algorithms)
    norms = list(normalisations)
    out: list[Recipe] = []
    for rounds in (1, 2) if double else (1,):
        for alg in algs:
            for norm in norms:
                out.append(Recipe(algorithm=alg, normalise=norm, rounds=rounds, encoding=encoding))
    for salt in salts:
        for alg in algs:
            for norm in norms:
                out.extend(salt.recipes(Recipe(alg, norm, encoding=encoding)))
    return out
