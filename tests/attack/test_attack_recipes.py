"""Recipes: known answers (pinned bytes), normalisations and one-line descriptions."""

from __future__ import annotations

import pytest

from datacustoms.attack.hashes.recipes import PHONE_FORMATS, Recipe, normalise, parse_phone

# FTC Office of Technology (2024), "No, hashing still doesn't make your data anonymous": MD5 of 123-456-7890
FTC_MD5 = "2813448ce6316cb70b38fa29c8c64130"


def test_ftc_known_answer() -> None:
    assert Recipe("md5", "as_is").apply("123-456-7890") == FTC_MD5


@pytest.mark.parametrize(
    ("recipe", "value", "expected"),
    [
        (Recipe("sha256", "digits"), "010-1234-5678",
         "e60124f2fe2045215abda1ae912aa80bb66dab5fc231a758387682c9c0e70c01"),
        (Recipe("sha256", "dashes", rounds=2), "01012345678",
         "103611eeec8d7ac9a7f251e0c5a19ee7455d3dcb306579c3a6537a883419b30c"),
        (Recipe("sha1", "e164", prefix=b"phone", salt_label="the column name"), "010 1234 5678",
         "909b54439a3c65d13682fc20e6b85706028d3bfa"),
        (Recipe("md5", "trim_lower", encoding="base64"), "  Kim@Naver.com ", "c66M7TErRvJHivEoidUmXg=="),
    ],
)  # fmt: skip
def test_pinned_digests(recipe: Recipe, value: str, expected: str) -> None:
    assert recipe.apply(value) == expected


def test_hex_upper_and_base64url_encodings() -> None:
    low = Recipe("sha256", "digits").apply("01012345678")
    assert low is not None
    assert Recipe("sha256", "digits", encoding="HEX").apply("01012345678") == low.upper()
    url = Recipe("sha256", "digits", encoding="base64url").apply("01012345678")
    assert url is not None and "+" not in url and "/" not in url


def test_phone_formats_from_any_spelling() -> None:
    expected = {
        "digits": "01012345678",
        "dashes": "010-1234-5678",
        "e164": "+821012345678",
        "intl": "+82 10-1234-5678",
        "cc_digits": "821012345678",
        "intl_dashes": "82-10-1234-5678",
        "spaces": "010 1234 5678",
        "intl_spaces": "+82 10 1234 5678",
    }
    assert set(expected) == set(PHONE_FORMATS)
    for spelling in ("010-1234-5678", "01012345678", "+82 10-1234-5678", "+821012345678", "010 1234 5678"):
        assert {f: normalise(spelling, f) for f in expected} == expected


def test_legacy_and_landline_grouping() -> None:
    assert normalise("0112345678", "dashes") == "011-234-5678"
    assert normalise("+8223456789", "dashes") == "02-345-6789"
    assert parse_phone("not a phone") is None
    assert normalise("not a phone", "digits") is None


def test_one_line_descriptions_never_print_the_salt() -> None:
    assert str(Recipe("sha256", "dashes", shape="010-XXXX-XXXX")) == 'sha256(hex) of "010-XXXX-XXXX"'
    double = Recipe("sha256", "digits", shape="010XXXXXXXX", rounds=2)
    assert str(double) == 'sha256(hex) of hex(sha256("010XXXXXXXX"))'
    salted = Recipe("md5", "trim_lower", prefix=b"s3cr3t-pepper", salt_label="the dataset name", subject="e-mail")
    assert str(salted) == "md5(hex) of salt (the dataset name) + e-mail (trimmed, lower-case)"
    assert "s3cr3t" not in str(salted)


def test_invalid_recipes_are_refused() -> None:
    with pytest.raises(ValueError):
        Recipe("rot13", "as_is")
    with pytest.raises(ValueError):
        Recipe("sha256", "as_is", rounds=3)
