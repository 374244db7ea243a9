"""Phone numbers: Korean mobiles and landlines, and international numbers in E.164.

Every stage agrees on one canonical form, E.164 (``+821012345678``): the subject index keys
people on it, the attack renders its keyspaces from the same digit groups, and detection reads
the national digits the same way.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import phonenumbers

from datacustoms.kinds.spec import WHITESPACE, Keyspace

COUNTRY_CODE = "82"
TRUNK = "0"
SEP = r"[ \-.]?"
MOBILE_PATTERN = (
    r"(?:\+82[ \-]?|82[ \-]|82)(?:\(0\))?1[016789]" + SEP + r"[0-9]{3,4}" + SEP + r"[0-9]{4}"
    r"|01[016789]" + SEP + r"[0-9]{3,4}" + SEP + r"[0-9]{4}"
    r"|1[016789][0-9]{7,8}"  # the leading zero lost to a number type or a spreadsheet
)
#: retired mobile prefixes (after the trunk 0) with a 3- or 4-digit middle block
LEGACY_MOBILE_PREFIXES = ("11", "16", "17", "18", "19")
#: Seoul and the 16 regional area codes (after the trunk 0)
AREA_CODES = ("2", "31", "32", "33", "41", "42", "43", "44", "51", "52", "53", "54", "55",
              "61", "62", "63", "64")  # fmt: skip
INTERNET_PHONE = "70"
_AREA_RE = r"(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)"  # AREA_CODES and the internet-phone 070
LANDLINE_PATTERN = (
    r"(?:\+82[ \-]?|82[ \-])(?:\(0\))?" + _AREA_RE + r"[ \-.)]?[0-9]{3,4}" + SEP + r"[0-9]{4}"
    r"|\(?0" + _AREA_RE + r"\)?" + r"[ \-.)]?[0-9]{3,4}" + SEP + r"[0-9]{4}"
    r"|1[5-8][0-9]{2}-[0-9]{4}"
)
INTERNATIONAL_PATTERN = r"\+[1-9][0-9 \-.()]{5,22}[0-9]"
MOBILE_HEADER_WORDS = ("휴대폰", "핸드폰", "휴대전화", "전화", "연락처", "폰번호", "mobile", "cell", "phone",
                       "msisdn", "hp", "tel", "contact")  # fmt: skip
LANDLINE_HEADER_WORDS = ("전화", "연락처", "tel", "phone", "landline", "fax", "팩스", "자택", "회사전화", "contact")
INTERNATIONAL_HEADER_WORDS = ("phone", "tel", "mobile", "msisdn", "cell", "전화", "연락처", "휴대폰", "contact")

MOBILE_KEYSPACE = Keyspace(10**8, "Korean mobile 010-XXXX-XXXX", (("10", "XXXX", "XXXX"),), COUNTRY_CODE, TRUNK)
LEGACY_MOBILE_KEYSPACE = Keyspace(
    len(LEGACY_MOBILE_PREFIXES) * (10**7 + 10**8),
    "Korean legacy mobile 01[16789]-XXX(X)-XXXX",
    tuple((p, mid, "XXXX") for p in LEGACY_MOBILE_PREFIXES for mid in ("XXX", "XXXX")),
    COUNTRY_CODE,
    TRUNK,
)
LANDLINE_KEYSPACE = Keyspace(
    len(AREA_CODES) * (10**7 + 10**8),
    "Korean landline 0AA-XXX(X)-XXXX",
    tuple((a, mid, "XXXX") for a in AREA_CODES for mid in ("XXX", "XXXX")),
    COUNTRY_CODE,
    TRUNK,
)

_SEPARATORS = str.maketrans("", "", " -.+()")  # the only non-digits the Korean patterns admit
_NON_DIGIT = re.compile(r"[^0-9]")
#: a Korean national number with its trunk 0, digits only
KR_NATIONAL_PATTERN = r"0[0-9]{8,10}"
_KR_NATIONAL = re.compile(KR_NATIONAL_PATTERN)


def national_digits(value: str) -> str:
    """``+82 10-1234-5678`` → ``01012345678`` (the national number, digits only)."""
    digits = value.replace("(0)", "").translate(_SEPARATORS)
    if digits.startswith(COUNTRY_CODE):
        return TRUNK + digits[2:]
    return TRUNK + digits if digits.startswith("1") else digits


def national_from_e164(e164: str) -> str:
    """``+821012345678`` → ``01012345678``; other countries unchanged."""
    return TRUNK + e164[3:] if e164.startswith("+" + COUNTRY_CODE) else e164


def phone_format(value: str) -> str:
    """The export format of one number, by the name the attack stage uses for it."""
    if value.startswith("+"):
        return "intl_compact" if value[1:].isdigit() else "intl_separated"
    if value.startswith(COUNTRY_CODE):
        return "intl_no_plus"
    if value.isdigit():
        return "digits" if value.startswith("0") else "no_leading_zero"
    if "-" in value:
        return "dashed"
    if "." in value:
        return "dotted"
    return "spaced"


def validate_mobile(value: str) -> bool:
    """010 numbers have 11 digits; the legacy prefixes 10 or 11."""
    digits = national_digits(value)
    if digits.startswith("010"):
        return len(digits) == 11
    return len(digits) in (10, 11)


def validate_landline(value: str) -> bool:
    """An area code with the right length; 15xx/16xx/18xx lines only dashed (the pattern says so)."""
    if value.startswith("1"):
        return len(value) == 9
    digits = national_digits(value.replace("(", "").replace(")", ""))
    if digits.startswith("02"):
        return len(digits) in (9, 10)
    if digits.startswith(TRUNK + INTERNET_PHONE):
        return len(digits) == 11
    return digits[:1] == TRUNK and digits[1:3] in AREA_CODES and len(digits) in (10, 11)


def validate_international(value: str) -> bool:
    """A ``+CC`` number that ``phonenumbers`` calls valid."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def to_e164(value: str, region: str = "KR") -> str | None:
    """E.164 form of a phone number, or None when it is not one.

    Korean numbers take a fast path (no parsing library per row); anything else goes through
    ``phonenumbers`` with ``region`` as the default country.
    """
    text = unicodedata.normalize("NFKC", value).strip(WHITESPACE)  # NFKC: full-width digits become ASCII
    if not text:
        return None
    digits = _NON_DIGIT.sub("", text)
    international = text.startswith("+") or (text.startswith("00") and len(digits) > 11)
    if international:
        if digits.startswith("00"):
            digits = digits[2:]
        if digits.startswith(COUNTRY_CODE):
            national = digits[2:]
            national = national if national.startswith(TRUNK) else TRUNK + national
            if _KR_NATIONAL.fullmatch(national):
                return "+" + COUNTRY_CODE + national[1:]
    elif region == "KR" and _KR_NATIONAL.fullmatch(digits):
        return "+" + COUNTRY_CODE + digits[1:]
    try:
        parsed = phonenumbers.parse(text, None if international else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def generate_mobile(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` issued-looking 010 numbers, dashed (middle block 2000–9999)."""
    middle = rng.integers(2000, 10_000, size=n)
    last = rng.integers(0, 10_000, size=n)
    return [f"010-{m}-{x:04d}" for m, x in zip(middle, last, strict=True)]


def generate_landline(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` landline numbers with an area code and a 3- or 4-digit exchange."""
    areas = rng.choice(len(AREA_CODES), size=n)
    exchange = rng.integers(200, 10_000, size=n)
    last = rng.integers(0, 10_000, size=n)
    return [f"0{AREA_CODES[a]}-{e}-{x:04d}" for a, e, x in zip(areas, exchange, last, strict=True)]


def generate_international(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` valid E.164 numbers from a few countries' example mobiles, last digits varied."""
    out: list[str] = []
    regions = ("US", "GB", "DE", "JP", "FR")
    for index in range(n):
        example = phonenumbers.example_number_for_type(regions[index % len(regions)], 1)
        if example is None:  # pragma: no cover - metadata has an example for each of these regions
            continue
        e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        for _ in range(20):
            candidate = e164[:-2] + f"{int(rng.integers(0, 100)):02d}"
            if validate_international(candidate):
                e164 = candidate
                break
        out.append(e164)
    return out
