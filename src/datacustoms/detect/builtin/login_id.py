"""Login identifiers that mix e-mail addresses and phone numbers in one column.

Kakao accounts, like many others, log in with an e-mail *or* a mobile number, so a login-ID
column holds both. Neither the e-mail nor the phone detector reaches its share on such a column;
this one claims it when the two together do, each present in a real share, and reports the mix.
"""

from __future__ import annotations

from datacustoms.detect.base import ColumnSample, Detector, header_has
from datacustoms.detect.builtin.email import Email
from datacustoms.detect.builtin.kr_mobile import KoreanMobile
from datacustoms.detect.builtin.phone import InternationalPhone
from datacustoms.model.findings import ColumnFinding

PARTS: tuple[type[Detector], ...] = (Email, KoreanMobile, InternationalPhone)
MIN_PART = 0.1


class EmailOrPhone(Detector):
    kind = "email_or_phone"
    role = "direct_identifier"
    header_words = ("login", "로그인", "아이디", "계정", "signin", "sign_in")
    priority = 30

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        considered = len(sample.distinct)
        if considered == 0:
            return None
        claimed: set[str] = set()
        shares: dict[str, float] = {}
        for part in PARTS:
            detector = part()
            valid = [v for v in detector.candidates(sample) if v not in claimed and detector.validate(v)]
            claimed.update(valid)
            shares[part.kind] = len(valid) / considered
        email = shares["email"]
        phone = shares["kr_mobile"] + shares["phone"]
        share = len(claimed) / considered
        if share < self.min_share or email < MIN_PART or phone < MIN_PART:
            return None
        hint = header_has(sample.name, self.header_words)
        finding = self.finding(sample, sorted(claimed), share, share, hint)
        finding.details = {"shares": {k: round(v, 4) for k, v in shares.items()}}
        return finding
