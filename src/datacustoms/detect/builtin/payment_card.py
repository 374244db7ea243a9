"""Payment card numbers (PAN): the Luhn rule and issuer ranges live in :mod:`datacustoms.kinds.cards`."""

from __future__ import annotations

from datacustoms.detect.base import ColumnSample, SpecDetector
from datacustoms.kinds.builtin import PAYMENT_CARD
from datacustoms.kinds.cards import digits_of, issuer


class PaymentCard(SpecDetector, spec=PAYMENT_CARD):
    def strong_share(self, valid: list[str]) -> float:
        return 1.0  # Luhn plus an issuer range

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        schemes: dict[str, int] = {}
        for value in valid:
            name = issuer(digits_of(value)) or "?"
            schemes[name] = schemes.get(name, 0) + 1
        return {"issuers": {k: round(v / len(valid), 4) for k, v in sorted(schemes.items())}}
