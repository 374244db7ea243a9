"""Korean resident registration numbers (주민등록번호), ``YYMMDD-SNNNNNC`` or 13 digits.

The rule, value by value:

* the first six digits must be a real date in the century that ``S`` names (1/2/5/6: 1900s,
  3/4/7/8: 2000s, 9/0: 1800s; 5–8 are foreign residents) and not in the future;
* the check digit ``C = (11 − Σ dᵢ·wᵢ mod 11) mod 10`` (weights 2,3,4,5,6,7,8,9,2,3,4,5) must
  hold for people born before October 2020. Numbers issued since October 2020 carry random
  digits after ``S``; nobody can tell an issue date from the number, so the birth date stands in
  for it: a birth date from October 2020 on is accepted on structure alone.

A column whose dates hold but whose check digits mostly fail is still reported as ``kr_rrn``
when a header such as 주민등록번호 says so — with the failure share in ``uncertain`` (re-issued
numbers after 2020 also fail the check).
"""

from __future__ import annotations

from datetime import date

from datacustoms.detect.base import HEADER_RELIEF, NEGATIVE_WORDS, ColumnSample, Detector, header_has
from datacustoms.detect.registry import register
from datacustoms.model.findings import ColumnFinding

WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000,
           "9": 1800, "0": 1800}  # fmt: skip
RANDOM_SINCE = date(2020, 10, 1)


def rrn_birth_date(digits: str) -> date | None:
    """The birth date a 13-digit RRN encodes, or ``None`` when it is not a real past date."""
    try:
        born = date(CENTURY[digits[6]] + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None
    return born if born <= date.today() else None


def rrn_check_digit_ok(digits: str) -> bool:
    """The pre-October-2020 check digit."""
    total = sum(int(d) * w for d, w in zip(digits[:12], WEIGHTS, strict=True))
    return (11 - total % 11) % 10 == int(digits[12])


@register
class KoreanRRN(Detector):
    kind = "kr_rrn"
    role = "direct_identifier"
    pattern = r"[0-9]{6}[- ]?[0-9]{7}"
    header_words = (
        "주민등록번호",
        "주민번호",
        "주민",
        "rrn",
        "jumin",
        "resident_registration",
        "resident_no",
    )
    negative_words = NEGATIVE_WORDS
    priority = 95

    def validate(self, value: str) -> bool:
        digits = value.replace("-", "").replace(" ", "")
        born = rrn_birth_date(digits)
        if born is None:
            return False
        return born >= RANDOM_SINCE or rrn_check_digit_ok(digits)

    def strong_share(self, valid: list[str]) -> float:
        return 1.0  # a date plus a check digit is self-evident

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        found = super().match(sample)
        if found is not None:
            return found
        # The structure alone (real dates) with a header that says RRN: report, but say why unsure.
        hint = header_has(sample.name, self.header_words)
        if hint is None or len(sample.distinct) == 0:
            return None
        shaped = pc_filter(sample, self.pattern or "")
        dated = [v for v in shaped if rrn_birth_date(v.replace("-", "").replace(" ", "")) is not None]
        share = len(dated) / len(sample.distinct)
        if share < self.min_share - HEADER_RELIEF:
            return None
        finding = self.finding(sample, dated, share, share - 0.3, hint)
        finding.uncertain = (
            f"check digits fail on {1 - self._checked_share(dated):.0%} of the dated values: numbers "
            "re-issued since Oct 2020 have no check digit, but so would fabricated or masked ones"
        )
        return finding

    def _checked_share(self, values: list[str]) -> float:
        if not values:
            return 0.0
        ok = sum(1 for v in values if rrn_check_digit_ok(v.replace("-", "").replace(" ", "")))
        return ok / len(values)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        digits = [v.replace("-", "").replace(" ", "") for v in valid]
        foreign = sum(1 for d in digits if d[6] in "5678")
        after = sum(1 for d in digits if (b := rrn_birth_date(d)) is not None and b >= RANDOM_SINCE)
        n = len(digits) or 1
        return {
            "check_digit_valid_share": round(self._checked_share(valid), 4),
            "foreign_resident_share": round(foreign / n, 4),
            "born_since_oct_2020_share": round(after / n, 4),
            "formats": {
                "dashed": round(sum(1 for v in valid if "-" in v) / n, 4),
                "digits": round(sum(1 for v in valid if v.isdigit()) / n, 4),
            },
        }


def pc_filter(sample: ColumnSample, pattern: str) -> list[str]:
    """Distinct values of ``sample`` that match ``pattern`` as a whole."""
    import pyarrow.compute as pc

    return [v for v in pc.filter(sample.distinct, sample.full_match(pattern)).to_pylist() if v is not None]
