"""Korean mobile numbers in every common export format, legacy prefixes included.

``010`` numbers have a 4-digit middle block; the retired ``011/016/017/018/019`` prefixes have
3 or 4 digits. A column stored as a number loses the leading zero (``1012345678``); such values
count only under a phone header word. The formats seen are reported per share because the attack
stage must try the same normalisation the sender used before hashing (``01012345678`` vs
``+821012345678``). Pattern, validator and normaliser live in :mod:`datacustoms.kinds.phones`.
"""

from __future__ import annotations

from datacustoms.detect.base import ColumnSample, SpecDetector
from datacustoms.kinds.builtin import KR_MOBILE
from datacustoms.kinds.phones import national_digits, phone_format


class KoreanMobile(SpecDetector, spec=KR_MOBILE):
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
