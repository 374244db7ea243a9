"""Street addresses: a household, so a direct identifier.

Latin script — a house number and a street with its type, in the orders used in the U.S., the
U.K., France, Germany and romanised Korean addresses:

* ``1600 Pennsylvania Ave NW``, ``Flat 3, 12 High Street, London``, ``5800 block of S. Vermont Avenue``
  (number, street words, a street type from USPS Publication 28 appendix C1 or its U.K. kin);
* ``12 rue de Rivoli``, ``3 avenue Foch`` (number, then the type);
* ``Hauptstraße 5``, ``Kaiserstr. 12a`` (a German street word, then the number);
* ``123 Teheran-ro``, ``Teheran-ro 123``, ``45 Sejong-daero 110-gil`` (``-ro``, ``-daero``, ``-gil``).

A number before or after a street is what makes it an address: ``Main St`` in a product
description, or an intersection without a number, is not. Korean addresses in Hangul are in
:mod:`datacustoms.detect.builtin.kr_places` (region-first forms) and :data:`KOREAN_PATTERN`
(road-name and lot forms without the province).
"""

from __future__ import annotations

import re

import numpy as np

#: street types (USPS Publication 28, appendix C1, the common ones; U.K. and Irish forms)
STREET_TYPES = (
    "street", "st", "avenue", "ave", "av", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr",
    "court", "ct", "place", "pl", "terrace", "ter", "way", "circle", "cir", "parkway", "pkwy", "highway",
    "hwy", "square", "sq", "trail", "trl", "crescent", "cres", "close", "grove", "gardens", "row", "mews",
    "walk", "plaza", "plz", "alley", "aly", "expressway", "expy", "freeway", "fwy", "loop", "pike",
    "crossing", "xing", "path",
)  # fmt: skip
FRENCH_TYPES = ("rue", "avenue", "boulevard", "place", "chemin", "allée", "allee", "impasse", "quai", "route")
GERMAN_ENDINGS = ("straße", "strasse", "str", "weg", "gasse", "platz", "allee", "ring", "damm", "ufer")
_TYPES = "|".join(STREET_TYPES)
_NUMBER = r"\d{1,6}[a-z]?(?:[-/]\d{1,5}[a-z]?)?"
_UNIT = r"(?:(?:apt|apartment|unit|flat|suite|ste|room|fl|floor|#)\.?\s*#?[\w-]{1,6},?\s+)?"
_DIRECTION = r"(?:[nsew]{1,2}\.?|north|south|east|west)"
_REST = r"(?:[,\s].{0,80})?"
LATIN = re.compile(
    "^(?:"
    # 1600 Pennsylvania Ave NW · 5800 block of S. Vermont Avenue · Flat 3, 12 High Street, London
    rf"{_UNIT}{_NUMBER},?\s+(?:block of\s+)?(?:{_DIRECTION}\s+)?(?:[\w'.-]+\s+){{1,4}}(?:{_TYPES})\.?"
    rf"(?:\s+{_DIRECTION})?{_REST}|{_UNIT}{_NUMBER},?\s+broadway{_REST}"
    # 12 rue de Rivoli
    rf"|{_NUMBER},?\s+(?:{'|'.join(FRENCH_TYPES)})\s+[\w' .-]{{2,60}}{_REST}"
    # Hauptstraße 5 · Kaiserstr. 12a
    rf"|[\w'-]*(?:{'|'.join(GERMAN_ENDINGS)})\.?\s+{_NUMBER}{_REST}"
    # 123 Teheran-ro · Teheran-ro 123 · 45 Sejong-daero 110-gil
    rf"|(?:{_NUMBER},?\s+)?[a-z]+(?:-?\d+)?-(?:ro|daero|gil)(?:\s+\d{{1,4}}(?:beon)?-?gil)?(?:\s+{_NUMBER})?{_REST}"
    ")$",
    re.IGNORECASE,
)
_STREET = rf"(?:[\w'.-]+\s+){{1,5}}(?:{_TYPES})\.?"
#: a corner: ``Vermont Avenue & 43rd Street``, ``Main & College streets`` (a place, not a household)
INTERSECTION = re.compile(
    rf"^(?:near\s+)?(?:{_STREET}|[\w'.-]+(?:\s+[\w'.-]+){{0,3}})\s*(?:&|and|/|at)\s*"
    rf"(?:{_STREET}|(?:[\w'.-]+\s+){{1,4}}(?:{_TYPES})s)$",
    re.IGNORECASE,
)
_KOREAN_ROMAN = re.compile(r"\b[a-z]+(?:-?\d+)?-(?:ro|daero|gil)\b", re.IGNORECASE)
#: RE2 prefilter for the Arrow stage: a letter somewhere (lengths are checked in Python)
PATTERN = r".*[^\W\d_].*"
HEADER_WORDS: tuple[str, ...] = (
    "address", "addr", "street", "residence", "home_address", "mailing", "shipping_address",
    "billing_address", "delivery_address", "adresse", "anschrift", "주소", "도로명", "지번", "배송지",
)  # fmt: skip

#: Hangul road-name and lot addresses without the province: (시/군/구) + (로/길 + number) or (동/리/가 + number)
KOREAN_PATTERN = (
    r"(?:[가-힣]+(?:특별시|광역시|특별자치시|특별자치도|도|시) )?"
    r"(?:[가-힣]+(?:시|군|구) ){1,2}(?:[가-힣]+(?:읍|면) )?"
    r"(?:[가-힣0-9]+(?:로|길) ?[0-9]+(?:-[0-9]+)?"
    r"|[가-힣0-9]+(?:동|리|가) ?(?:산 ?)?[0-9]+(?:-[0-9]+)?(?:번지)?)"
    r"(?:[ ,].*)?"
)  # unbounded repetitions: RE2 compiles bounded ones over Hangul into large programs
_KOREAN = re.compile(f"^(?:{KOREAN_PATTERN})$")


def is_street_address(value: str) -> bool:
    """A Latin-script street address with a house number (see the module text)."""
    text = " ".join(value.split())
    if not 6 <= len(text) <= 160 or not any(c.isdigit() for c in text):
        return False
    return LATIN.match(text) is not None


def is_intersection(value: str) -> bool:
    """Two streets that meet (``Florence Avenue & Flower Street``): a place, counted beside addresses."""
    text = " ".join(value.split())
    return len(text) <= 120 and INTERSECTION.match(text) is not None


def is_korean_address(value: str) -> bool:
    """A Hangul road-name (``테헤란로 123``) or lot (``역삼동 123-45``) address after its district."""
    text = " ".join(value.split())
    return len(text) <= 120 and _KOREAN.match(text) is not None


def romanised_korean_share(values: list[str]) -> float:
    """Share of addresses written with ``-ro`` / ``-gil`` (romanised Korean road names)."""
    return sum(1 for v in values if _KOREAN_ROMAN.search(v)) / len(values) if values else 0.0


_STREETS = ("Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Pine", "High", "Church")
_TYPES_OUT = ("Street", "St", "Ave", "Avenue", "Rd", "Road", "Blvd", "Lane", "Dr", "Court", "Way")
_CITIES = ("Springfield", "Riverside", "London", "Leeds", "Portland", "Austin")


def generate(rng: np.random.Generator, n: int) -> list[str]:
    """Synthetic Latin-script street addresses (``4821 Oak Ave, Portland``)."""
    out = []
    for _ in range(n):
        street = f"{rng.integers(1, 9999)} {_STREETS[rng.integers(len(_STREETS))]} {_TYPES_OUT[rng.integers(len(_TYPES_OUT))]}"
        if rng.random() < 0.5:
            street += f", {_CITIES[rng.integers(len(_CITIES))]}"
        out.append(street)
    return out
