"""The Korean data generators: valid RRNs, issued mobiles, the email domain mix, postcodes."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pyarrow.compute as pc
import pytest

from datacustoms.synth import build_customers, korean


@pytest.fixture(scope="module")
def people():
    return build_customers(20_000, seed=11)


def _rrn_ok(rrn: str) -> bool:
    d = [int(c) for c in rrn.replace("-", "")]
    return (11 - sum(x * w for x, w in zip(d[:12], [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], strict=True)) % 11) % 10 == d[
        12
    ]


def test_rrn_check_digit_known_answer() -> None:
    # 900101-123456C: sum = 2*9+3*0+4*0+5*1+6*0+7*1+8*1+9*2+2*3+3*4+4*5+5*6 = 124; 124 % 11 = 3; 11-3 = 8
    first12 = np.array([[9, 0, 0, 1, 0, 1, 1, 2, 3, 4, 5, 6]])
    assert korean.rrn_check_digit(first12).tolist() == [8]


def test_rrns_are_valid_unique_and_match_birth_and_sex(people) -> None:
    t = people.table.to_pydict()
    assert len(set(t["rrn"])) == len(t["rrn"])
    foreign = 0
    for rrn, birth, sex in zip(t["rrn"], t["birth_date"], t["sex"], strict=True):
        assert re.fullmatch(r"\d{6}-[1-8]\d{6}", rrn), rrn
        assert _rrn_ok(rrn), rrn  # every customer was born (and registered) before Oct 2020
        assert rrn[:6] == birth.strftime("%y%m%d")
        s = int(rrn[7])
        foreign += s >= 5
        base = s - 4 if s >= 5 else s
        assert base in ((1, 2) if birth.year < 2000 else (3, 4))
        assert (base % 2 == 0) == (sex == "F")
    assert 0.005 < foreign / len(t["rrn"]) < 0.05


def test_mobiles_are_issued_korean_numbers_and_unique(people) -> None:
    phones = people.table.column("mobile").to_pylist()
    assert len(set(phones)) == len(phones)
    legacy = 0
    for p in phones:
        m = re.fullmatch(r"(01[016789])-(\d{3,4})-(\d{4})", p)
        assert m, p
        if m.group(1) == "010":
            assert len(m.group(2)) == 4 and int(m.group(2)) >= 2000, p
        else:
            legacy += 1
            assert int(m.group(2)) >= 200
    assert 0 < legacy / len(phones) < 0.05


def test_email_domain_mix_within_tolerance(people) -> None:
    emails = people.table.column("email").to_pylist()
    assert len({e.lower() for e in emails}) == len(emails)
    domains = Counter(e.lower().rsplit("@", 1)[1] for e in emails)
    share = {d: c / len(emails) for d, c in domains.items()}
    expected = {"naver.com": 0.35, "gmail.com": 0.25, "kakao.com": 0.07, "nate.com": 0.05}
    for domain, want in expected.items():
        assert abs(share[domain] - want) < 0.015, (domain, share[domain])
    assert abs(share["hanmail.net"] + share["daum.net"] - 0.20) < 0.015
    others = 1 - sum(expected.values()) - share["hanmail.net"] - share["daum.net"]
    assert abs(others - 0.08) < 0.015
    assert all(re.fullmatch(r"[A-Za-z0-9._]+@[A-Za-z0-9.]+", e) for e in emails)
    mixed = sum(e != e.lower() for e in emails) / len(emails)
    assert 0.01 < mixed < 0.1  # some stored as typed, so --email-case matters


def test_postcodes_lie_in_their_province_and_district(people) -> None:
    t = people.table.to_pydict()
    blocks = {(p, name): (lo, hi) for p, _, ds in korean.REGIONS for name, lo, hi in ds}
    for prov, dist, code in zip(t["province"], t["district"], t["postcode"], strict=True):
        assert re.fullmatch(r"\d{5}", code)
        lo2, hi2 = korean.PROVINCE_POSTCODE_RANGES[prov]
        assert lo2 <= int(code[:2]) <= hi2, (prov, code)
        lo3, hi3 = blocks[(prov, dist)]
        assert lo3 <= int(code[:3]) <= hi3, (prov, dist, code)
    seoul = t["province"].count("서울특별시") / len(t["province"])
    assert 0.15 < seoul < 0.22  # about 9.7 of 51.8 million


def test_names_are_hangul_with_census_surnames(people) -> None:
    names = people.table.column("name").to_pylist()
    assert all(re.fullmatch(r"[가-힣]{3}", n) for n in names)
    kim = sum(n[0] == "김" for n in names) / len(names)
    assert 0.19 < kim < 0.24


def test_adults_and_signup_dates(people) -> None:
    t = people.table
    birth = t.column("birth_date").to_pylist()
    signup = t.column("signup_date").to_pylist()
    assert min(s.year for s in signup) == 2014 and max(s.year for s in signup) == 2024
    for b, s in zip(birth, signup, strict=True):
        assert (s - b).days >= 14 * 365  # old enough to sign up
    ages = [(2024 - b.year) for b in birth]
    assert min(ages) >= 19 and max(ages) <= 91
    assert t.column("account_id").to_pylist() == list(range(100_000_001, 100_000_001 + t.num_rows))
    assert signup == sorted(signup)  # serials follow sign-up order
    assert 0.05 < pc.mean(t.column("dormant").cast("int8")).as_py() < 0.35
