"""Payment card numbers (PAN): 13–19 digits, Luhn checksum, and a known issuer range.

The Luhn check passes one random number in ten, so the issuer range (Visa, Mastercard, Amex,
JCB, UnionPay, Diners, Discover, and Korean domestic ``9``-prefixed BC/local cards) is required
too; together they make a column of random 16-digit numbers very unlikely to pass.
"""

from __future__ import annotations

from datacustoms.detect.base import NEGATIVE_WORDS, ColumnSample, Detector
from datacustoms.detect.registry import register


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        d = int(char)
        if index % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def issuer(digits: str) -> str | None:
    """The card scheme a PAN belongs to, from its leading digits and length."""
    n = len(digits)
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16:
        return "mastercard"
    if two in (34, 37) and n == 15:
        return "amex"
    if 3528 <= four <= 3589 and 16 <= n <= 19:
        return "jcb"
    if two == 62 and 16 <= n <= 19:
        return "unionpay"
    if (300 <= int(digits[:3]) <= 305 or two in (36, 38, 39) or four == 3095) and 14 <= n <= 19:
        return "diners"
    if (four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649 or 622126 <= six <= 622925) and n >= 16:
        return "discover"
    if digits[0] == "9" and n == 16:
        return "kr_domestic"
    return None


@register
class PaymentCard(Detector):
    kind = "payment_card"
    role = "direct_identifier"
    pattern = r"[0-9]{4}(?:[ \-]?[0-9]{2,7}){2,4}|[0-9]{13,19}"
    header_words = ("card", "카드", "pan", "cc_num", "credit", "신용")
    negative_words = NEGATIVE_WORDS
    priority = 90

    def validate(self, value: str) -> bool:
        digits = value.replace(" ", "").replace("-", "")
        return 13 <= len(digits) <= 19 and luhn_ok(digits) and issuer(digits) is not None

    def strong_share(self, valid: list[str]) -> float:
        return 1.0  # Luhn plus an issuer range

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        schemes: dict[str, int] = {}
        for value in valid:
            name = issuer(value.replace(" ", "").replace("-", "")) or "?"
            schemes[name] = schemes.get(name, 0) + 1
        return {"issuers": {k: round(v / len(valid), 4) for k, v in sorted(schemes.items())}}
