"""International phone numbers in E.164 or international format, validated by ``phonenumbers``.

Kept strict on purpose: only values written with a leading ``+`` are parsed, and only numbers
that ``phonenumbers`` calls valid count. National formats without a country are left to the
Korean detectors; guessing a region from the header would flag too many business numbers.
"""

from __future__ import annotations

import phonenumbers

from datacustoms.detect.base import ColumnSample, SpecDetector
from datacustoms.kinds.builtin import PHONE


class InternationalPhone(SpecDetector, spec=PHONE):
    def strong_share(self, valid: list[str]) -> float:
        return 1.0  # a valid +CC number is self-evident

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        regions: dict[str, int] = {}
        for value in valid:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(value, None)) or "?"
            regions[region] = regions.get(region, 0) + 1
        return {"regions": {k: round(v / len(valid), 4) for k, v in sorted(regions.items())}}
