"""Korean resident registration numbers (주민등록번호): the rule lives in :mod:`datacustoms.kinds.rrn`.

A column whose dates hold but whose check digits mostly fail is still reported as ``kr_rrn``
when a header such as 주민등록번호 says so — with the failure share in ``uncertain`` (re-issued
numbers after 2020 also fail the check). ``check_digit_valid_share`` is taken over every distinct
sampled value, so invalid values lower it instead of being left out.
"""

from __future__ import annotations

from datacustoms.detect.base import HEADER_RELIEF, ColumnSample, SpecDetector, header_has
from datacustoms.kinds import rrn
from datacustoms.kinds.builtin import KR_RRN
from datacustoms.model.findings import ColumnFinding


def _check_ok(value: str) -> bool:
    digits = rrn.digits_of(value)
    return len(digits) == 13 and digits.isdigit() and rrn.check_digit_ok(digits)


class KoreanRRN(SpecDetector, spec=KR_RRN):
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
        dated = [v for v in self.candidates(sample) if rrn.birth_date(rrn.digits_of(v)) is not None]
        share = len(dated) / len(sample.distinct)
        if share < self.min_share - HEADER_RELIEF:
            return None
        finding = self.finding(sample, dated, share, share - 0.3, hint)
        checked = sum(1 for v in dated if _check_ok(v)) / len(dated) if dated else 0.0
        finding.uncertain = (
            f"check digits fail on {1 - checked:.0%} of the dated values: numbers "
            "re-issued since Oct 2020 have no check digit, but so would fabricated or masked ones"
        )
        return finding

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        digits = [rrn.digits_of(v) for v in valid]
        foreign = sum(1 for d in digits if d[6] in "5678")
        after = sum(1 for d in digits if (b := rrn.birth_date(d)) is not None and b >= rrn.RANDOM_SINCE)
        n = len(digits) or 1
        considered = sample.values  # every distinct sampled value: invalid ones count against the share
        return {
            "check_digit_valid_share": round(sum(1 for v in considered if _check_ok(v)) / (len(considered) or 1), 4),
            "invalid_share": round(1 - len(valid) / (len(considered) or 1), 4),
            "foreign_resident_share": round(foreign / n, 4),
            "born_since_oct_2020_share": round(after / n, 4),
            "formats": {
                "dashed": round(sum(1 for v in valid if "-" in v) / n, 4),
                "digits": round(sum(1 for v in valid if v.isdigit()) / n, 4),
            },
        }
