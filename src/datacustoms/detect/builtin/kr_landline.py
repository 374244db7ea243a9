"""Korean landline and internet-phone numbers (02, 031–064, 070) and 15xx/16xx/18xx lines.

Business numbers such as ``1588-1234`` are accepted only with their dash: eight bare digits are
far more often something else.
"""

from __future__ import annotations

from datacustoms.detect.base import NEGATIVE_WORDS, ColumnSample, Detector
from datacustoms.detect.builtin.kr_mobile import national_digits, phone_format
from datacustoms.detect.registry import register

AREA = r"(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)"
SEP = r"[ \-.]?"
PATTERN = (
    r"(?:\+82[ \-]?|82[ \-])(?:\(0\))?" + AREA + r"[ \-.)]?[0-9]{3,4}" + SEP + r"[0-9]{4}"
    r"|\(?0" + AREA + r"\)?" + r"[ \-.)]?[0-9]{3,4}" + SEP + r"[0-9]{4}"
    r"|1[5-8][0-9]{2}-[0-9]{4}"
)
AREAS = ("02", "031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055",
         "061", "062", "063", "064", "070")  # fmt: skip


@register
class KoreanLandline(Detector):
    kind = "kr_landline"
    role = "direct_identifier"
    pattern = PATTERN
    header_words = (
        "전화",
        "연락처",
        "tel",
        "phone",
        "landline",
        "fax",
        "팩스",
        "자택",
        "회사전화",
        "contact",
    )
    negative_words = NEGATIVE_WORDS
    priority = 80

    def validate(self, value: str) -> bool:
        if value.startswith("1"):
            return len(value) == 9  # 1588-1234 (the pattern requires the dash)
        digits = national_digits(value.replace("(", "").replace(")", ""))
        if digits.startswith("02"):
            return len(digits) in (9, 10)
        if digits.startswith("070"):
            return len(digits) == 11
        return digits[:3] in AREAS and len(digits) in (10, 11)

    def strong_share(self, valid: list[str]) -> float:
        return sum(1 for v in valid if not v.isdigit()) / len(valid)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        formats: dict[str, int] = {}
        for value in valid:
            fmt = phone_format(value)
            formats[fmt] = formats.get(fmt, 0) + 1
        return {"formats": {k: round(v / len(valid), 4) for k, v in formats.items()}}
