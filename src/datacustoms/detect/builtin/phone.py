"""International phone numbers in E.164 or international format, validated by ``phonenumbers``.

Kept strict on purpose: only values written with a leading ``+`` are parsed, and only numbers
that ``phonenumbers`` calls valid count. National formats without a country are left to the
Korean detectors; guessing a region from the header would flag too many business numbers.
"""

from __future__ import annotations

import phonenumbers

from datacustoms.detect.base import NEGATIVE_WORDS, ColumnSample, Detector
from datacustoms.detect.registry import register


@register
class InternationalPhone(Detector):
    kind = "phone"
    role = "direct_identifier"
    pattern = r"\+[1-9][0-9 \-.()]{5,22}[0-9]"
    header_words = ("phone", "tel", "mobile", "msisdn", "cell", "전화", "연락처", "휴대폰", "contact")
    negative_words = NEGATIVE_WORDS
    priority = 60

    def validate(self, value: str) -> bool:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return False
        return bool(phonenumbers.is_valid_number(number))

    def strong_share(self, valid: list[str]) -> float:
        return 1.0  # a valid +CC number is self-evident

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        regions: dict[str, int] = {}
        for value in valid:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(value, None)) or "?"
            regions[region] = regions.get(region, 0) + 1
        return {"regions": {k: round(v / len(valid), 4) for k, v in sorted(regions.items())}}
