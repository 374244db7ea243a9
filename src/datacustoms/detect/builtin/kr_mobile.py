"""Korean mobile numbers in every common export format, legacy prefixes included.

``010`` numbers have a 4-digit middle block; the retired ``011/016/017/018/019`` prefixes have
3 or 4 digits. A column stored as a number loses the leading zero (``1012345678``); such values
count only under a phone header word. The formats seen are reported per share because the attack stage must try the
same normalisation the sender used before hashing (``01012345678`` vs ``+821012345678``).
"""

from __future__ import annotations

from datacustoms.detect.base import NEGATIVE_WORDS, ColumnSample, Detector
from datacustoms.detect.registry import register

SEP = r"[ \-.]?"
PATTERN = (
    r"(?:\+82[ \-]?|82[ \-]|82)(?:\(0\))?1[016789]" + SEP + r"[0-9]{3,4}" + SEP + r"[0-9]{4}"
    r"|01[016789]" + SEP + r"[0-9]{3,4}" + SEP + r"[0-9]{4}"
    r"|1[016789][0-9]{7,8}"  # the leading zero lost to a number type or a spreadsheet
)
_SEPARATORS = str.maketrans("", "", " -.+()")  # the only non-digits the pattern admits


def national_digits(value: str) -> str:
    """``+82 10-1234-5678`` → ``01012345678`` (the national number, digits only)."""
    digits = value.replace("(0)", "").translate(_SEPARATORS)
    if digits.startswith("82"):
        return "0" + digits[2:]
    return "0" + digits if digits.startswith("1") else digits


def phone_format(value: str) -> str:
    """The export format of one number, by the name the attack stage uses for it."""
    if value.startswith("+"):
        return "intl_compact" if value[1:].isdigit() else "intl_separated"
    if value.startswith("82"):
        return "intl_no_plus"
    if value.isdigit():
        return "digits" if value.startswith("0") else "no_leading_zero"
    if "-" in value:
        return "dashed"
    if "." in value:
        return "dotted"
    return "spaced"


@register
class KoreanMobile(Detector):
    kind = "kr_mobile"
    role = "direct_identifier"
    pattern = PATTERN
    header_words = (
        "휴대폰", "핸드폰", "휴대전화", "전화", "연락처", "폰번호", "mobile", "cell", "phone", "msisdn",
        "hp", "tel", "contact",
    )  # fmt: skip
    negative_words = NEGATIVE_WORDS
    priority = 85

    def validate(self, value: str) -> bool:
        digits = national_digits(value)
        if digits.startswith("010"):
            return len(digits) == 11
        return len(digits) in (10, 11)

    def strong_share(self, valid: list[str]) -> float:
        return sum(1 for v in valid if not v.isdigit()) / len(valid)

    def accept(self, sample: ColumnSample, valid: list[str], hint: str | None) -> bool:
        # Numbers that lost their leading zero (1012345678) count only under a phone header.
        stripped = sum(1 for v in valid if v.startswith("1"))
        return hint is not None or stripped <= 0.5 * len(valid)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        counts: dict[str, int] = {}
        prefixes: dict[str, int] = {}
        unissued = 0
        for value in valid:
            fmt = phone_format(value)
            counts[fmt] = counts.get(fmt, 0) + 1
            digits = national_digits(value)
            prefixes[digits[:3]] = prefixes.get(digits[:3], 0) + 1
            if digits.startswith("010") and digits[3] in "01":
                unissued += 1
        total = len(valid)
        return {
            "formats": {k: round(v / total, 4) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])},
            "prefixes": {k: round(v / total, 4) for k, v in sorted(prefixes.items())},
            "unissued_middle_share": round(unissued / total, 4),
        }
