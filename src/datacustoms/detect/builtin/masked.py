"""Partly masked identifiers: ``010-****-5678``, ``900101-1******``, ``ab***@naver.com``, ``김*수``.

Masking is not anonymisation (rule R7): the visible digits of a phone number, the birth date and
sex in a masked RRN, or the domain and first letters of an e-mail narrow a person down and link
records across files. These columns are reported as ``masked:<kind>`` with role
``quasi_identifier``, and ``details.visible_characters_median`` says how much of the identifier is
left in clear (for e-mails, of the local part; the domain is always visible).
"""

from __future__ import annotations

import pyarrow.compute as pc

from datacustoms.detect.base import ColumnSample, Detector
from datacustoms.model.findings import ColumnFinding

MASK = "*xX#●○■"
M = "[*xX#●○■]"
SHAPES: dict[str, str] = {
    "kr_mobile": r"(?:\+82[ \-]?|0)1[016789][ \-.]?[0-9*xX#●○■]{3,4}[ \-.]?[0-9*xX#●○■]{4}",
    "kr_rrn": r"[0-9]{6}[ \-]?[0-9*xX#●○■][0-9*xX#●○■]{6}",
    "payment_card": r"[0-9]{4}[ \-]?[0-9*xX#●○■]{4}[ \-]?[0-9*xX#●○■]{4}[ \-]?[0-9*xX#●○■]{1,4}",
    "email": r"[A-Za-z0-9._%+\-*●]{0,64}[*●]+[A-Za-z0-9._%+\-*●]{0,64}@[A-Za-z0-9*.\-]+\.[A-Za-z]{2,24}",
    "name_ko": r"[가-힣]{1,2}[*○●xX]{1,3}[가-힣]?",
}


def _visible(value: str) -> int:
    """Characters of the identifier left in clear (letters, digits, Hangul; not masks, not separators)."""
    local = value.split("@")[0]
    return sum(1 for c in local if c.isalnum() and c not in MASK)


class Masked(Detector):
    kind = "masked"
    role = "quasi_identifier"
    header_words = ("masked", "마스킹", "마스크", "partial")
    priority = 80

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        considered = len(sample.distinct)
        if considered == 0:
            return None
        masked = pc.match_substring_regex(sample.distinct, M)
        best: tuple[float, str, list[str]] | None = None
        for kind, shape in SHAPES.items():
            mask = pc.and_(sample.full_match(shape), masked)
            valid = [v for v in pc.filter(sample.distinct, mask).to_pylist() if v is not None]
            share = len(valid) / considered
            if share >= self.min_share and (best is None or share > best[0]):
                best = (share, kind, valid)
        if best is None:
            return None
        share, kind, valid = best
        finding = self.finding(sample, valid, share, share, None, kind=f"masked:{kind}")
        visible = sorted(_visible(v) for v in valid)
        finding.details = {
            "masked_kind": kind,
            "visible_characters_median": visible[len(visible) // 2],
            "mask_characters": sorted({c for v in valid[:200] for c in v if c in MASK}),
        }
        return finding
