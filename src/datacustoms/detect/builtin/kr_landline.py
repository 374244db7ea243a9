"""Korean landline and internet-phone numbers (02, 031–064, 070) and 15xx/16xx/18xx lines.

Business numbers such as ``1588-1234`` are accepted only with their dash: eight bare digits are
far more often something else. The rule lives in :mod:`datacustoms.kinds.phones`.
"""

from __future__ import annotations

from datacustoms.detect.base import ColumnSample, SpecDetector
from datacustoms.kinds.builtin import KR_LANDLINE
from datacustoms.kinds.phones import phone_format


class KoreanLandline(SpecDetector, spec=KR_LANDLINE):
    def strong_share(self, valid: list[str]) -> float:
        return sum(1 for v in valid if not v.isdigit()) / len(valid)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        formats: dict[str, int] = {}
        for value in valid:
            fmt = phone_format(value)
            formats[fmt] = formats.get(fmt, 0) + 1
        return {"formats": {k: round(v / len(valid), 4) for k, v in formats.items()}}
