"""Random non-identifier columns never come out as identifiers (no header help)."""

from __future__ import annotations

import random
import string

import pytest


@pytest.mark.parametrize("digits", range(1, 20))
def test_random_integers_of_any_length_are_not_identifiers(detect, digits):
    r = random.Random(digits)
    values = [str(r.randint(10 ** (digits - 1), 10**digits - 1)) for _ in range(300)]
    finding = detect(value=values)["value"]
    assert finding.role not in ("direct_identifier", "pseudonym"), finding.kind


@pytest.mark.parametrize("length", [6, 12, 16, 22, 32, 40, 64])
def test_random_words_and_codes_are_not_identifiers(detect, length):
    r = random.Random(length)
    words = ["".join(r.choice(string.ascii_lowercase) for _ in range(length)) for _ in range(200)]
    codes = ["".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(length)) for _ in range(200)]
    found = detect(words=words, codes=codes)
    for finding in found.values():
        assert finding.role not in ("direct_identifier", "pseudonym"), (finding.column, finding.kind)


def test_random_decimals_and_signed_numbers_are_not_identifiers(detect):
    r = random.Random(1)
    found = detect(
        ratio=[f"{r.random():.6f}" for _ in range(200)],
        delta=[str(r.randint(-(10**12), 10**12)) for _ in range(200)],
        coords=[f"{r.uniform(-90, 90):.5f},{r.uniform(-180, 180):.5f}" for _ in range(200)],
    )
    coords = found.pop("coords")  # a latitude, longitude pair places a person: a quasi-identifier, never more
    assert (coords.kind, coords.role) == ("geo_point", "quasi_identifier")
    for finding in found.values():
        assert finding.role == "other", (finding.column, finding.kind)
