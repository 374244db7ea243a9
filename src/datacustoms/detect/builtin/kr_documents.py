"""Korean driver's licence and passport numbers.

A driver's licence number is ``RR-YY-NNNNNN-CC``: a two-digit region code (11–28) or, on older
cards, the region's name (``서울 12-345678-90``), the year of issue, a serial and check digits. The
dashed 2-2-6-2 shape is specific enough on its own. A passport number (``M12345678``, or the 2021
form ``M123A4567``) is a letter and digits like many codes, so it needs a header word.
"""

from __future__ import annotations

from datacustoms.detect.base import NEGATIVE_WORDS, Detector
from datacustoms.detect.registry import register

LICENCE_REGIONS = ("서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
                   "대구", "인천", "광주", "대전", "울산", "세종")  # fmt: skip


@register
class KoreanDriverLicence(Detector):
    kind = "kr_driver_license"
    role = "direct_identifier"
    pattern = r"(?:1[1-9]|2[0-8])-[0-9]{2}-[0-9]{6}-[0-9]{2}|[가-힣]{2} ?[0-9]{2}-[0-9]{6}-[0-9]{2}"
    header_words = ("운전면허", "면허번호", "driver", "licence", "license", "dl_no")
    negative_words = NEGATIVE_WORDS
    priority = 88

    def validate(self, value: str) -> bool:
        return value[0].isdigit() or value[:2] in LICENCE_REGIONS


@register
class KoreanPassport(Detector):
    kind = "kr_passport"
    role = "direct_identifier"
    pattern = r"[MSRODG][0-9]{8}|[MSRODG][0-9]{3}[A-Z][0-9]{4}"
    header_words = ("여권", "passport")
    needs_header = True
    priority = 88
