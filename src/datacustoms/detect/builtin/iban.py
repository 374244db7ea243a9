"""International bank account numbers (IBAN): the mod-97 rule lives in :mod:`datacustoms.kinds.iban`."""

from __future__ import annotations

from datacustoms.detect.base import ColumnSample, SpecDetector
from datacustoms.kinds.builtin import IBAN


class Iban(SpecDetector, spec=IBAN):
    def strong_share(self, valid: list[str]) -> float:
        return 1.0

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        countries: dict[str, int] = {}
        for value in valid:
            countries[value[:2].upper()] = countries.get(value[:2].upper(), 0) + 1
        return {"countries": {k: round(v / len(valid), 4) for k, v in sorted(countries.items())}}
