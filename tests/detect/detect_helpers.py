"""Identifier builders shared by the detector tests."""

from __future__ import annotations


def luhn_complete(body: str) -> str:
    """``body`` plus the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(body + "0")):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def rrn_complete(body12: str) -> str:
    """A 12-digit RRN body plus its (pre-2020) check digit."""
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    return body12 + str((11 - sum(int(d) * w for d, w in zip(body12, weights, strict=True)) % 11) % 10)
