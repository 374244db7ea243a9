"""Payment card numbers (PAN): 13–19 digits, the Luhn checksum and a known issuer range.

The Luhn check passes one random number in ten, so the issuer range (Visa, Mastercard, Amex, JCB,
UnionPay, Diners, Discover, and Korean domestic ``9``-prefixed cards) is required too.
"""

from __future__ import annotations

import numpy as np

PATTERN = r"[0-9]{4}(?:[ \-]?[0-9]{2,7}){2,4}|[0-9]{13,19}"
HEADER_WORDS = ("card", "카드", "pan", "cc_num", "credit", "신용")


def digits_of(value: str) -> str:
    return value.replace(" ", "").replace("-", "")


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


def validate(value: str) -> bool:
    digits = digits_of(value)
    return 13 <= len(digits) <= 19 and digits.isdigit() and luhn_ok(digits) and issuer(digits) is not None


def normalise(value: str) -> str | None:
    """Digits only, or ``None`` when the value is not a valid card number."""
    return digits_of(value) if validate(value) else None


def generate(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` 16-digit Visa-range numbers with a Luhn check digit (test ranges, never real cards)."""
    out = []
    for body in rng.integers(0, 10**14, size=n):
        stem = f"4{int(body):014d}"
        check = next(d for d in range(10) if luhn_ok(stem + str(d)))
        out.append(stem + str(check))
    return out
