"""Street addresses in Latin script: a household, so a direct identifier (rule R1).

A value counts when :func:`datacustoms.kinds.addresses.is_street_address` reads a house number
and a street in it; a corner (``Vermont Avenue & 43rd Street``) counts beside them, but at least
30% of the matched values must carry a house number, so a column of intersections or of street
names alone is not claimed. Without a header word the column must also be varied (10 distinct
values or more, mostly unique): a product line called ``2 Way Radio`` does not make an address.
"""

from __future__ import annotations

from datacustoms.detect.base import ColumnSample, SpecDetector
from datacustoms.kinds import addresses
from datacustoms.kinds.builtin import STREET_ADDRESS

MIN_NUMBERED = 0.3
MIN_VARIED = 10
PROBE = 200  # values looked at first: a column with no address among them is not read further


class StreetAddress(SpecDetector, spec=STREET_ADDRESS):
    def matching(self, sample: ColumnSample) -> list[str]:
        candidates = self.candidates(sample)
        probe = candidates[:PROBE]
        if not any(addresses.is_street_address(v) for v in probe):
            return []
        return [v for v in candidates if addresses.is_street_address(v) or addresses.is_intersection(v)]

    def accept(self, sample: ColumnSample, valid: list[str], hint: str | None) -> bool:
        numbered = sum(1 for v in valid if addresses.is_street_address(v))
        if numbered < MIN_NUMBERED * len(valid):
            return False
        if hint is not None:
            return numbered >= 2
        return len(valid) >= MIN_VARIED and sample.repeat_ratio <= 3.0

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        numbered = sum(1 for v in valid if addresses.is_street_address(v))
        return {
            "house_number_share": round(numbered / len(valid), 4),
            "romanised_korean_share": round(addresses.romanised_korean_share(valid), 4),
        }
