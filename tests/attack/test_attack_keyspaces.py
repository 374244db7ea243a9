"""Keyspaces: exact sizes, slices, and candidates identical to the engine's masks."""

from __future__ import annotations

import datetime as dt

import pytest

from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.engine import Mask
from datacustoms.attack.hashes.keyspaces import Part, candidates, mask_layout, rrn_check


def test_korean_phone_sizes_are_exact() -> None:
    assert ks.kr_mobile().size == 10**8
    assert ks.kr_mobile_legacy().size == 5 * (10**7 + 10**8)
    assert ks.kr_landline().size == 17 * (10**7 + 10**8)
    assert [p.template for p in ks.kr_mobile().parts("intl")] == ["+82 10-XXXX-XXXX"]
    assert [p.template for p in ks.kr_mobile().parts("cc_digits")] == ["8210XXXXXXXX"]


def test_narrowed_slice() -> None:
    small = ks.kr_mobile().narrowed("1000")
    assert small.size == 10**4
    assert small.parts("dashes") == (Part("010-1000-XXXX"),)


def test_numeric_ranges_split_by_digit_count() -> None:
    r = ks.numeric_range(1, 123_456)
    assert r.size == 123_456
    assert [p.template for p in r.parts("plain")] == ["X", "XX", "XXX", "XXXX", "XXXXX", "XXXXXX"]
    last = r.parts("plain")[-1]
    assert candidates(last, b"", b"", last.start, last.start + 2) == [b"100000", b"100001"]
    padded = ks.numeric_range(5, 99_999, width=8)
    assert padded.size == 99_995
    p = padded.parts("plain")[0]
    assert candidates(p, b"", b"", p.start, p.start + 1) == [b"00000005"]
    narrowed = r.narrowed("12")
    assert narrowed.size == 1 + 10 + 100 + 1000 + 3457  # 12, 12x, 12xx, 12xxx, 120000…123456


def test_rrn_keyspace_and_check_digit() -> None:
    one_day = ks.rrn(dt.date(1990, 1, 1), dt.date(1990, 1, 1))
    assert one_day.size == 2 * 10**5  # sex digits 1 and 2, five serial digits, check digit computed
    assert one_day.parts("rrn_dash")[0].template == "900101-1XXXXXC"
    first = candidates(one_day.parts("rrn_dash")[0], b"", b"", 0, 1)[0].decode()
    assert first == "900101-100000" + str(rrn_check("900101100000"))
    assert ks.rrn(dt.date(2001, 5, 5), dt.date(2001, 5, 5)).parts("digits")[0].template == "0105053XXXXXC"


def test_post_2020_random_tails_enumerable_only_when_birth_date_and_sex_known() -> None:
    wide = ks.rrn(dt.date(2021, 1, 1), dt.date(2021, 12, 31), random_tail=True)
    assert not wide.enumerable and wide.size == 365 * 2 * 10**6
    assert wide.note and "random" in wide.note
    known = ks.rrn(dt.date(2021, 3, 4), dt.date(2021, 3, 4), sex="4", random_tail=True)
    assert known.enumerable and known.size == 10**6


@pytest.mark.parametrize(
    "part",
    [Part("010-XXXX-XXXX"), Part("900101-1XXXXXC"), Part("XXXXXX", 123, 456), Part("+82 10 XXXX XXXX")],
)
def test_python_candidates_match_engine_masks(part: Part) -> None:
    prefix, suffix = b"salt:", b"!"
    tmpl, positions, check = mask_layout(part, prefix, suffix)
    mask = Mask(template=tmpl, positions=positions, check=check)
    start = part.start + 97
    ours = candidates(part, prefix, suffix, start, start + 50)
    assert ours == [mask.candidate(i) for i in range(start, start + 50)]


def test_national_mobile_from_metadata() -> None:
    us = ks.national_mobile("US", strict=False)
    assert us.size == 10**10
    assert [p.template for p in us.parts("dashes")] == ["XXX-XXX-XXXX"]
    assert us.note and "phonenumbers" in us.note
    gb = ks.national_mobile("GB")
    assert all(p.template.startswith("07") for p in gb.parts("dashes"))
    assert gb.size % 10**8 == 0
    with pytest.raises(ValueError):
        ks.national_mobile("ZZ")


def test_dates_and_lists() -> None:
    d = ks.dates(dt.date(2000, 1, 1), dt.date(2000, 12, 31))
    assert d.size == 366
    assert d.candidates("iso")[:1] == [b"2000-01-01"] and d.candidates("ymd")[-1:] == [b"20001231"]
    emails = ks.candidate_list([" Kim@Naver.com", "kim@naver.com"], "email")
    assert emails.candidates("trim_lower") == [b"kim@naver.com"]


def test_keyspace_specs() -> None:
    assert ks.parse_keyspace("kr_mobile").size == 10**8
    assert ks.parse_keyspace("numeric:1..5000000").size == 5_000_000
    padded = ks.parse_keyspace("numeric:1..99999:8")
    assert padded.parts("plain")[0].template == "X" * 8
    assert ks.parse_keyspace("rrn:1990-01-01..1990-01-31").size == 31 * 2 * 10**5
    known = ks.parse_keyspace("rrn:2021-03-04..2021-03-04:4:random")
    assert known.enumerable and known.size == 10**6
    assert not ks.parse_keyspace("rrn:2021-03-01..2021-03-04:random").enumerable
    assert ks.parse_keyspace("dates:2000-01-01..2000-12-31").size == 366
    assert ks.parse_keyspace("mobile:US:all").size == 10**10
    for bad in ("foo", "numeric:12", "rrn:1990-13-01..1991-01-01", "mobile:ZZ", "kr_mobile:1"):
        with pytest.raises(ValueError):
            ks.parse_keyspace(bad)


def test_date_spellings_equal_strftime() -> None:
    """Dates are respelled by slicing; every spelling must equal strftime's, leap days and years before 1000 included."""
    import datetime as dt

    from datacustoms.attack.hashes.keyspaces import DATE_FORMATS, dates

    for start, end in ((dt.date(1899, 12, 25), dt.date(1901, 3, 2)), (dt.date(1999, 12, 30), dt.date(2000, 3, 1)),
                       (dt.date(998, 12, 30), dt.date(1000, 1, 2))):  # fmt: skip
        space = dates(start, end)
        for fmt, spelling in DATE_FORMATS.items():
            expected = [dt.date.fromisoformat(v).strftime(spelling).encode() for v in space.values]
            assert space.candidates(fmt) == expected, fmt
