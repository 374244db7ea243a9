"""Korean resident registration numbers (주민등록번호): ``YYMMDD-SNNNNNC``.

``S`` names the century and sex (1/2: 1900s, 3/4: 2000s; 5–8 the same for foreign residents).
9 and 0 (born in the 1800s) are part of the published encoding but no living person holds such a
number, so they are refused. The check digit ``C = (11 − Σ dᵢ·wᵢ mod 11) mod 10`` holds for numbers
issued before October 2020; since then the six digits after ``S`` are random, so a birth date
from October 2020 on is accepted on structure alone.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from datacustoms.kinds.spec import Keyspace

CHECK_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_NP = np.array(CHECK_WEIGHTS, dtype=np.int64)
CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000}
RANDOM_SINCE = date(2020, 10, 1)
PATTERN = r"[0-9]{6}[- ]?[0-9]{7}"
HEADER_WORDS = ("주민등록번호", "주민번호", "주민", "rrn", "jumin", "resident_registration", "resident_no")
#: numbers per (birth date, sex digit) with a check digit: five enumerated digits
PER_BIRTH_DATE = 10**5
KEYSPACE = Keyspace(
    size=PER_BIRTH_DATE,
    description="Korean RRN per birth date and sex digit: YYMMDD-S + 5 digits + check digit",
    shapes=(("YYMMDD", "S", "XXXXXC"),),
)


def digits_of(value: str) -> str:
    """``900101-1234567`` → ``9001011234567``."""
    return value.replace("-", "").replace(" ", "")


def check_digit(first12: str) -> int:
    """The check digit for the first 12 digits (numbers issued before Oct 2020)."""
    return (11 - sum(int(d) * w for d, w in zip(first12, CHECK_WEIGHTS, strict=True)) % 11) % 10


def check_digits(first12: np.ndarray) -> np.ndarray:
    """:func:`check_digit` for an ``(n, 12)`` integer array of digits."""
    return (11 - (first12.astype(np.int64) @ _WEIGHTS_NP) % 11) % 10


def check_digit_ok(digits: str) -> bool:
    """The pre-October-2020 check digit of 13 digits holds."""
    return check_digit(digits[:12]) == int(digits[12])


def birth_date(digits: str) -> date | None:
    """The birth date 13 digits encode, or ``None``: not a real past date or an unissued sex digit."""
    century = CENTURY.get(digits[6])
    if century is None:
        return None
    try:
        born = date(century + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None
    return born if born <= date.today() else None


def sex_digits(year: int, foreign: bool) -> tuple[str, ...]:
    """The sex digits issued to people born in ``year`` (none before 1900)."""
    if year < 1900:
        return ()
    if year < 2000:
        return ("1", "2", "5", "6") if foreign else ("1", "2")
    return ("3", "4", "7", "8") if foreign else ("3", "4")


def validate(value: str) -> bool:
    """A real birth date, an issued sex digit, and the check digit where one is due."""
    digits = digits_of(value)
    if len(digits) != 13 or not digits.isdigit():
        return False
    born = birth_date(digits)
    if born is None:
        return False
    return born >= RANDOM_SINCE or check_digit_ok(digits)


def normalise(value: str) -> str | None:
    """13 digits without a dash, or ``None`` when the value is not a valid RRN."""
    return digits_of(value) if validate(value) else None


def generate(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` valid dashed RRNs of adults born 1950–1999 (check digit included)."""
    born = np.datetime64("1950-01-01") + rng.integers(0, 50 * 365, size=n).astype("timedelta64[D]")
    ymd = np.array([d.astype(object).strftime("%y%m%d") for d in born])
    sex = rng.integers(1, 3, size=n)
    tail = rng.integers(0, PER_BIRTH_DATE, size=n)
    first12 = np.array([[int(c) for c in f"{y}{s}{t:05d}"] for y, s, t in zip(ymd, sex, tail, strict=True)])
    checks = check_digits(first12) if n else np.array([], dtype=np.int64)
    return [f"{y}-{s}{t:05d}{c}" for y, s, t, c in zip(ymd, sex, tail, checks, strict=True)]
