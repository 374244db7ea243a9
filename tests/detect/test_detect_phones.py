"""Korean mobiles in every format, landlines, international numbers, and phone-shaped order numbers."""

from __future__ import annotations

import random

import pytest

from datacustoms.kinds.phones import national_digits, phone_format


def mobiles(rng: random.Random, n: int = 60) -> list[str]:
    return [f"010{rng.randint(2000, 9999)}{rng.randint(0, 9999):04d}" for _ in range(n)]


FORMATS = {
    "dashed": lambda d: f"{d[:3]}-{d[3:7]}-{d[7:]}",
    "digits": lambda d: d,
    "intl_separated": lambda d: f"+82 {d[1:3]}-{d[3:7]}-{d[7:]}",
    "intl_compact": lambda d: f"+82{d[1:]}",
    "intl_no_plus": lambda d: f"82-{d[1:3]}-{d[3:7]}-{d[7:]}",
    "spaced": lambda d: f"{d[:3]} {d[3:7]} {d[7:]}",
    "dotted": lambda d: f"{d[:3]}.{d[3:7]}.{d[7:]}",
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_mobile_format_is_found_and_named(detect, rng, fmt):
    values = [FORMATS[fmt](d) for d in mobiles(rng)]
    finding = detect(col=values)["col"]
    assert finding.kind == "kr_mobile"
    assert finding.role == "direct_identifier"
    assert finding.details["formats"] == {fmt: 1.0}


def test_national_digits_normalises_every_format(rng):
    for d in mobiles(rng, 5):
        for fmt, make in FORMATS.items():
            assert national_digits(make(d)) == d, fmt
            assert phone_format(make(d)) == fmt


def test_mixed_formats_report_shares(detect, rng):
    values = [FORMATS["dashed"](d) for d in mobiles(rng, 30)] + mobiles(rng, 10)
    finding = detect(연락처=values)["연락처"]
    assert finding.kind == "kr_mobile"
    assert finding.details["formats"] == {"dashed": 0.75, "digits": 0.25}
    assert finding.evidence[0].header_hint == "연락처"


def test_legacy_prefixes_with_three_or_four_digit_middle(detect, rng):
    values = [
        f"{rng.choice(['011', '016', '017', '019'])}-{rng.choice(['345', '2345'])}-{rng.randint(0, 9999):04d}"
        for _ in range(40)
    ]
    finding = detect(old_phone=values)["old_phone"]
    assert finding.kind == "kr_mobile"
    assert "010" not in finding.details["prefixes"]


def test_010_with_a_three_digit_middle_is_not_a_mobile(detect):
    values = [f"010-{100 + i}-{1000 + i}" for i in range(40)]
    assert detect(col=values)["col"].kind != "kr_mobile"


def test_nulls_do_not_dilute_the_share(detect, rng):
    values: list[str | None] = [FORMATS["dashed"](d) for d in mobiles(rng, 20)] + [None] * 60 + [""] * 20
    finding = detect(phone=values)["phone"]
    assert finding.kind == "kr_mobile"
    assert finding.null_share == 0.8


def test_order_numbers_shaped_like_mobiles_are_not_identifiers(detect, rng):
    found = detect(
        order_no=mobiles(rng),
        주문번호=mobiles(rng),
        order_id=[f"2024{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{i:03d}" for i in range(60)],
    )
    for name in ("order_no", "주문번호", "order_id"):
        assert found[name].role != "direct_identifier", name
        assert not found[name].kind.startswith("kr_")


def test_positive_header_word_beats_the_negative_one(detect, rng):
    found = detect(주문자_휴대폰=mobiles(rng))
    assert found["주문자_휴대폰"].kind == "kr_mobile"


def test_formatted_mobiles_stay_mobiles_under_a_negative_header(detect, rng):
    values = [FORMATS["dashed"](d) for d in mobiles(rng)]
    finding = detect(order_ref=values)["order_ref"]
    assert finding.kind == "kr_mobile"


def test_korean_landlines_and_business_numbers(detect, rng):
    values = [f"02-{rng.randint(200, 9999)}-{rng.randint(0, 9999):04d}" for _ in range(20)]
    values += [f"031-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}" for _ in range(20)]
    values += [f"1588-{rng.randint(0, 9999):04d}" for _ in range(5)]
    finding = detect(전화번호=values)["전화번호"]
    assert finding.kind == "kr_landline"


def test_unknown_area_codes_are_not_landlines(detect, rng):
    values = [f"099-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}" for _ in range(40)]
    assert detect(tel=values)["tel"].kind != "kr_landline"


def test_international_numbers_need_a_valid_plus_number(detect):
    valid = ["+1 202-555-0173", "+44 7400 123456", "+81 90-1234-5678", "+49 1512 3456789", "+65 8123 4567"]
    finding = detect(intl=valid * 4)["intl"]
    assert finding.kind == "phone"
    assert set(finding.details["regions"]) == {"US", "GB", "JP", "DE", "SG"}
    invalid = ["+1 000-000-0000", "+44 12", "+999 123456789", "+81 00-0000-0000", "+65 0000 0000"]
    assert detect(intl=invalid * 4)["intl"].kind != "phone"


def test_mobiles_stored_as_numbers_count_only_under_a_phone_header(detect, rng):
    stripped = [d[1:] for d in mobiles(rng)]
    finding = detect(phone=stripped)["phone"]
    assert finding.kind == "kr_mobile"
    assert finding.details["formats"] == {"no_leading_zero": 1.0}
    assert detect(num=stripped)["num"].kind != "kr_mobile"


def test_landline_forms_and_business_numbers_alone(detect, rng):
    forms = ["(02) 1234-5678", "+82 2-1234-5678", "02)123-4567", "070-1234-5678", "064-712-3456"]
    assert detect(tel=forms * 8)["tel"].kind == "kr_landline"
    business = [f"1588-{rng.randint(0, 9999):04d}" for _ in range(30)]
    assert detect(대표번호=business)["대표번호"].kind == "kr_landline"
