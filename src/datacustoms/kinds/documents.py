"""Korean driver's licence and passport numbers.

A driver's licence number is ``RR-YY-NNNNNN-CC``: a two-digit region code (11–28) or, on older
cards, the region's name (``서울 12-345678-90``), the year of issue, a serial and check digits. A
passport number (``M12345678``, or the 2021 form ``M123A4567``) is a letter and digits like many
codes, so it needs a header word.
"""

from __future__ import annotations

import numpy as np

LICENCE_PATTERN = r"(?:1[1-9]|2[0-8])-[0-9]{2}-[0-9]{6}-[0-9]{2}|[가-힣]{2} ?[0-9]{2}-[0-9]{6}-[0-9]{2}"
LICENCE_HEADER_WORDS = ("운전면허", "면허번호", "driver", "licence", "license", "dl_no")
LICENCE_REGIONS = ("서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
                   "대구", "인천", "광주", "대전", "울산", "세종")  # fmt: skip
PASSPORT_PATTERN = r"[MSRODG][0-9]{8}|[MSRODG][0-9]{3}[A-Z][0-9]{4}"
PASSPORT_HEADER_WORDS = ("여권", "passport")


def validate_licence(value: str) -> bool:
    """A numeric region code (the pattern bounds it) or a region's name."""
    return value[0].isdigit() or value[:2] in LICENCE_REGIONS


def generate_licence(rng: np.random.Generator, n: int) -> list[str]:
    region = rng.integers(11, 29, size=n)
    year = rng.integers(0, 100, size=n)
    serial = rng.integers(0, 10**6, size=n)
    check = rng.integers(0, 100, size=n)
    return [f"{r}-{y:02d}-{s:06d}-{c:02d}" for r, y, s, c in zip(region, year, serial, check, strict=True)]


def generate_passport(rng: np.random.Generator, n: int) -> list[str]:
    return [f"M{int(v):08d}" for v in rng.integers(0, 10**8, size=n)]
