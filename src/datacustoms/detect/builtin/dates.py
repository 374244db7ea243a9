"""Dates, timestamps and birth dates (quasi-identifiers).

One parser serves three detectors. ``birth_date`` wins over ``date`` when a header says so
(생년월일, birth, dob, …) or, without a header, when every date lies in a plausible birth range
(1900 to ten years ago), has no time of day, and the dates spread over at least twenty years —
sign-up, order and event dates do not look like that. ``timestamp`` needs a time of day, or is a
Unix time (10 or 13 digits, 2000–2100) under a time header such as ``ts`` or ``created_at``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import ClassVar

from datacustoms.detect.base import ColumnSample, Detector

DATE = (
    r"(?:19|20)[0-9]{2}(?:[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])"
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))"
    r"|(?:19|20)[0-9]{2}년 ?[0-9]{1,2}월 ?[0-9]{1,2}일"
    r"|[0-9]{1,2}[-/.][0-9]{1,2}[-/.](?:19|20)[0-9]{2}"  # 14/05/2024 or 05/14/2024
)
TIME = r"[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?(?: ?(?:Z|[+-][0-9]{2}:?[0-9]{2}|UTC))?"
EPOCH = r"[0-9]{10}|[0-9]{13}"  # Unix seconds or milliseconds
EPOCH_RANGE = (946_684_800, 4_102_444_800)  # 2000-01-01 .. 2100-01-01
_PARTS = re.compile(r"([0-9]{4})[-/.년 ]*([0-9]{1,2})[-/.월 ]*([0-9]{1,2})")
_YEAR_LAST = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")


def parse_date(value: str) -> date | None:
    """The calendar date at the start of ``value`` (``None`` when it is not a real date).

    Year-last dates are read month-first unless that is impossible (``14/05/2024``); both
    readings give the same year, which is what the birth-range checks use.
    """
    found = _PARTS.match(value)
    if found is not None:
        year, first, second = int(found[1]), int(found[2]), int(found[3])
        orders = [(first, second)]
    else:
        found = _YEAR_LAST.match(value)
        if found is None:
            return None
        year, a, b = int(found[3]), int(found[1]), int(found[2])
        orders = [(a, b), (b, a)]
    for month, day in orders:
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def epoch_ok(value: str) -> bool:
    """A Unix time in seconds or milliseconds between 2000 and 2100."""
    seconds = int(value) // (1000 if len(value) == 13 else 1)
    return EPOCH_RANGE[0] <= seconds < EPOCH_RANGE[1]


BIRTH_WORDS = ("생년월일", "생일", "출생일", "birth", "dob", "birthday", "birthdate", "born")


class DateColumn(Detector):
    kind = "date"
    role = "quasi_identifier"
    pattern = DATE
    header_words: ClassVar[tuple[str, ...]] = (
        "date",
        "일자",
        "날짜",
        "day",
        "dt",
        "일시",
        "가입일",
        "등록일",
        "거래일",
        "발생일",
        "기준일",
    )
    priority = 40

    def validate(self, value: str) -> bool:
        return parse_date(value) is not None

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        parsed = sorted(d for v in valid if (d := parse_date(v)) is not None)
        return {"min_year": parsed[0].year, "max_year": parsed[-1].year} if parsed else {}


class BirthDate(DateColumn):
    kind = "birth_date"
    header_words = BIRTH_WORDS
    pattern = DATE + r"|[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    priority = 45

    def validate(self, value: str) -> bool:
        if len(value) == 6 and value.isdigit():
            return True  # YYMMDD: only with a birth header (see accept)
        born = parse_date(value)
        return born is not None and born.year >= 1890 and born <= date.today()

    def accept(self, sample: ColumnSample, valid: list[str], hint: str | None) -> bool:
        if hint is not None:
            return True
        if any(len(v) == 6 for v in valid):
            return False
        years = [d.year for v in valid if (d := parse_date(v)) is not None]
        newest = date.today().year - 10
        return bool(years) and min(years) >= 1900 and max(years) <= newest and max(years) - min(years) >= 20


class Timestamp(Detector):
    kind = "timestamp"
    role = "quasi_identifier"
    pattern = f"(?:{DATE}){TIME}|{EPOCH}"
    header_words = (
        "time", "timestamp", "ts", "datetime", "시각", "시간", "일시", "created", "updated", "occurred",
        "logged", "epoch",
    )  # fmt: skip
    priority = 42

    def validate(self, value: str) -> bool:
        if value.isdigit():
            return epoch_ok(value)
        if parse_date(value) is None:
            return False
        try:
            clock = re.search(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?", value)
            if clock is None:
                return False
            datetime(2000, 1, 1, int(clock[1]), int(clock[2]), int(clock[3] or 0))
        except ValueError:
            return False
        return True

    def accept(self, sample: ColumnSample, valid: list[str], hint: str | None) -> bool:
        # Unix times are ten or thirteen digits like many IDs: they count only under a time header.
        epochs = sum(1 for v in valid if v.isdigit())
        return hint is not None or epochs <= 0.5 * len(valid)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        epochs = sum(1 for v in valid if v.isdigit())
        return {"epoch_share": round(epochs / len(valid), 4)} if epochs else {}
