"""Korean places: 시/도 regions (quasi-identifier), 5-digit postcodes, and street addresses.

A region value is a province-level name in Korean or English (``서울``, ``서울특별시``,
``Gyeonggi-do``), optionally followed by a district (``서울 강남구``). A value that starts with a
region and carries a house or lot number (``서울특별시 강남구 테헤란로 123``) is an address: a
household, so a direct identifier; so is a road-name or lot address that starts at its district
(``강남구 테헤란로 123``, ``강남구 역삼동 123-45번지``). Postcodes (``01000``–``63644``, the 2015 scheme, or the old
``123-456``) are five digits like many other codes, so they need a header word.
"""

from __future__ import annotations

import re

from datacustoms.detect.base import ColumnSample, Detector
from datacustoms.kinds.addresses import KOREAN_PATTERN, is_korean_address

REGIONS_KO = (
    "서울특별시", "서울시", "서울", "부산광역시", "부산시", "부산", "대구광역시", "대구시", "대구",
    "인천광역시", "인천시", "인천", "광주광역시", "광주시", "광주", "대전광역시", "대전시", "대전",
    "울산광역시", "울산시", "울산", "세종특별자치시", "세종시", "세종", "경기도", "경기",
    "강원특별자치도", "강원도", "강원", "충청북도", "충북", "충청남도", "충남", "전북특별자치도",
    "전라북도", "전북", "전라남도", "전남", "경상북도", "경북", "경상남도", "경남",
    "제주특별자치도", "제주도", "제주",
)  # fmt: skip
REGIONS_EN = (
    "seoul", "busan", "pusan", "daegu", "incheon", "gwangju", "daejeon", "ulsan", "sejong",
    "gyeonggi", "gyeonggi-do", "gangwon", "gangwon-do", "chungbuk", "chungnam", "jeonbuk", "jeonnam",
    "gyeongbuk", "gyeongnam", "jeju", "jeju-do", "north chungcheong", "south chungcheong",
    "north jeolla", "south jeolla", "north gyeongsang", "south gyeongsang", "chungcheongbuk-do",
    "chungcheongnam-do", "jeollabuk-do", "jeollanam-do", "gyeongsangbuk-do", "gyeongsangnam-do",
)  # fmt: skip
_REGIONS = frozenset(REGIONS_KO) | frozenset(REGIONS_EN)
#: RE2 alternation of every region name, longest first (names hold only letters, spaces, hyphens)
REGION_NAMES = "|".join(sorted(_REGIONS, key=len, reverse=True))


def region_of(value: str) -> str | None:
    """The region a value starts with (whole first word, or the whole value for English names)."""
    lowered = value.lower().strip()
    if lowered in _REGIONS:
        return lowered
    for suffix in (" special city", " metropolitan city", " province", "-si", " city"):
        if lowered.endswith(suffix) and lowered.removesuffix(suffix) in _REGIONS:
            return lowered.removesuffix(suffix)
    first = lowered.split(" ", 1)[0].rstrip(",")
    return first if first in _REGIONS else None


DISTRICT = r"[가-힣]{1,5}(?:시|군|구)(?: [가-힣]{1,5}(?:구|읍|면|동))?"


class KoreanRegion(Detector):
    """Provinces (시/도) and districts (시/군/구, e.g. ``강남구``, ``수원시 영통구``)."""

    kind = "kr_region"
    role = "quasi_identifier"
    pattern = (
        f"(?i:{REGION_NAMES})(?: special city| metropolitan city| province|-si| city)?"
        r"(?: [가-힣A-Za-z\-]{1,15}){0,2}|(?:" + DISTRICT + ")"
    )
    header_words = (
        "region", "지역", "시도", "province", "city", "도시", "거주지", "sido", "area", "district",
        "시군구", "sigungu", "county",
    )  # fmt: skip
    priority = 60

    def validate(self, value: str) -> bool:
        if region_of(value) is not None:
            return len(value.split()) <= 3
        return _is_district(value)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        districts = sum(1 for v in valid if region_of(v) is None)
        n = len(valid)
        return {"levels": {"province": round((n - districts) / n, 4), "district": round(districts / n, 4)}}


_DISTRICT = re.compile(f"^(?:{DISTRICT})$")


def _is_district(value: str) -> bool:
    return _DISTRICT.match(value) is not None


class KoreanAddress(Detector):
    """A region-first address (``서울특별시 강남구 …``), or a road-name / lot address after its district."""

    kind = "kr_address"
    role = "direct_identifier"
    pattern = f"(?i:{REGION_NAMES})[ ,].{{3,120}}|{KOREAN_PATTERN}"
    header_words = ("주소", "address", "addr", "도로명", "지번", "배송지", "거주지주소")
    priority = 65

    def validate(self, value: str) -> bool:
        return (region_of(value) is not None and len(value.split()) >= 3) or is_korean_address(value)


class KoreanPostcode(Detector):
    kind = "kr_postcode"
    role = "quasi_identifier"
    pattern = r"[0-9]{5}|[0-9]{3}-[0-9]{3}"
    header_words = ("우편번호", "우편", "zip", "postcode", "postal", "post_code", "zipcode")
    needs_header = True
    priority = 60

    def validate(self, value: str) -> bool:
        return "-" in value or 1000 <= int(value) <= 63644

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        return {"old_six_digit_share": round(sum(1 for v in valid if "-" in v) / len(valid), 4)}
