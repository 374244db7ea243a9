"""Demographic quasi-identifiers: birth year, age, sex.

Small integers and one-letter codes are everywhere, so ``birth_year`` and ``age`` need a header
word, and ``sex`` needs one for numeric codes (1/2) but not for ``M/F``, ``male/female`` or
``남/여``.
"""

from __future__ import annotations

from datetime import date

from datacustoms.detect.base import ColumnSample, Detector, header_has

SEX_WORDS = ("sex", "gender", "성별", "남녀")
SEX_TEXT = {
    "m", "f", "male", "female", "man", "woman", "남", "여", "남자", "여자", "남성", "여성",
    "u", "x", "unknown", "other", "기타", "미상",
}  # fmt: skip
MALE = {"m", "male", "man", "남", "남자", "남성"}
FEMALE = {"f", "female", "woman", "여", "여자", "여성"}


class BirthYear(Detector):
    kind = "birth_year"
    role = "quasi_identifier"
    pattern = r"(?:18|19|20)[0-9]{2}(?:\.0)?"
    header_words = (
        "birth_year",
        "birthyear",
        "yob",
        "year_of_birth",
        "출생연도",
        "출생년도",
        "출생년",
        "생년",
    )
    needs_header = True
    priority = 55

    def validate(self, value: str) -> bool:
        return 1890 <= int(value[:4]) <= date.today().year


class Age(Detector):
    kind = "age"
    role = "quasi_identifier"
    pattern = r"[0-9]{1,3}(?:\.0)?|[1-9]0대|[0-9]{1,3}\s?[-~]\s?[0-9]{1,3}|[0-9]{1,3}\+"
    header_words = ("age", "나이", "연령", "만나이", "연령대", "agegroup", "age_band")
    needs_header = True
    priority = 55

    def validate(self, value: str) -> bool:
        if value.endswith("대"):
            return True
        text = value.removesuffix(".0").removesuffix("+").replace("~", "-")
        parts = [part.strip() for part in text.split("-")]
        if not all(part.isdigit() for part in parts):
            return False
        numbers = [int(part) for part in parts]
        return all(0 <= n <= 120 for n in numbers) and numbers == sorted(numbers)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        banded = sum(1 for v in valid if not v.replace(".0", "").isdigit())
        return {"banded_share": round(banded / len(valid), 4)}


class Sex(Detector):
    kind = "sex"
    role = "quasi_identifier"
    header_words = SEX_WORDS
    priority = 60

    def matching(self, sample: ColumnSample) -> list[str]:
        if sample.distinct_count > 8:
            return []
        hint = header_has(sample.name, self.header_words)
        values = sample.values
        if hint is not None:
            allowed = SEX_TEXT | {"0", "1", "2", "3", "4", "9"}
            return [v for v in values if v.lower() in allowed]
        # without a header: both sexes spelled out (a size column has M but no F)
        lowered = {v.lower() for v in values}
        if not (lowered & MALE and lowered & FEMALE):
            return []
        return [v for v in values if v.lower() in SEX_TEXT]
