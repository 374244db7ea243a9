"""Quasi-identifiers and sensitive attributes, names, account and customer numbers, Korean headers."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest


def births(rng: random.Random, n: int = 60, fmt: str = "%Y-%m-%d") -> list[str]:
    return [f"{date(1945, 1, 1) + timedelta(days=rng.randint(0, 20000)):{fmt}}" for _ in range(n)]


@pytest.mark.parametrize("header", ["생년월일", "birth_date", "DOB"])
def test_birth_date_by_header(detect, rng, header):
    assert detect(**{header: births(rng)})[header].kind == "birth_date"


def test_birth_date_by_spread_of_years_without_header(detect, rng):
    assert detect(col=births(rng, fmt="%Y%m%d"))["col"].kind == "birth_date"


def test_yymmdd_is_a_birth_date_only_with_a_header(detect, rng):
    values = births(rng, fmt="%y%m%d")
    assert detect(생년월일=values)["생년월일"].kind == "birth_date"
    assert detect(code=values)["code"].kind != "birth_date"


def test_recent_dates_are_dates_not_birth_dates(detect, rng):
    values = [f"{date(2019, 1, 1) + timedelta(days=rng.randint(0, 1800)):%Y.%m.%d}" for _ in range(60)]
    finding = detect(가입일=values)["가입일"]
    assert (finding.kind, finding.role) == ("date", "quasi_identifier")
    assert detect(col=["2024-02-30", "2024-13-01"] * 20)["col"].kind != "date"


def test_timestamps(detect, rng):
    values = [f"2024-05-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
              for _ in range(40)]  # fmt: skip
    assert detect(event_time=values)["event_time"].kind == "timestamp"
    assert detect(col=[v.replace("T", " ").replace("Z", "") for v in values])["col"].kind == "timestamp"
    assert detect(col=["2024-05-01 25:61:00"] * 5)["col"].kind != "timestamp"


def test_age_birth_year_need_a_header(detect, rng):
    ages = [str(rng.randint(0, 99)) for _ in range(80)]
    found = detect(나이=ages, age_band=["20-29", "30-39", "60+", "20대"] * 10, count=ages)
    assert found["나이"].kind == "age" and found["age_band"].kind == "age"
    assert found["count"].kind != "age"
    years = [str(rng.randint(1940, 2005)) for _ in range(80)]
    found = detect(출생연도=years, yr=years)
    assert found["출생연도"].kind == "birth_year" and found["yr"].kind != "birth_year"
    assert detect(age=[str(rng.randint(150, 400)) for _ in range(40)])["age"].kind != "age"


def test_sex_codes(detect, rng):
    found = detect(
        성별=[rng.choice(["남", "여"]) for _ in range(40)],
        gender=[rng.choice(["1", "2"]) for _ in range(40)],
        col=[rng.choice(["Male", "Female"]) for _ in range(40)],
        code=[rng.choice(["1", "2"]) for _ in range(40)],
        size=[rng.choice(["S", "M", "L", "XL"]) for _ in range(40)],
    )
    assert found["성별"].kind == "sex" and found["gender"].kind == "sex" and found["col"].kind == "sex"
    assert found["code"].kind != "sex" and found["size"].kind != "sex"


def test_postcodes_need_a_header_and_the_range(detect, rng):
    codes = [f"{rng.randint(1000, 63644):05d}" for _ in range(60)]
    found = detect(우편번호=codes, zip_code=codes, amount=codes, n=codes)
    assert found["우편번호"].kind == "kr_postcode" and found["zip_code"].kind == "kr_postcode"
    assert found["amount"].kind == "amount" and found["n"].kind != "kr_postcode"
    high = [f"{rng.randint(70000, 99999)}" for _ in range(60)]
    assert detect(zip=high)["zip"].kind != "kr_postcode"


def test_regions_and_addresses(detect, rng):
    found = detect(
        지역=[rng.choice(["서울", "부산광역시", "경기도", "제주특별자치도", "서울 강남구"]) for _ in range(40)],
        city=[rng.choice(["Seoul", "Busan", "Gyeonggi-do", "Jeju"]) for _ in range(40)],
        주소=[f"서울특별시 강남구 테헤란로 {rng.randint(1, 500)}" for _ in range(40)],
    )
    assert found["지역"].kind == "kr_region" and found["city"].kind == "kr_region"
    assert (found["주소"].kind, found["주소"].role) == ("kr_address", "direct_identifier")


def test_amounts(detect, rng):
    found = detect(
        잔액=[str(rng.randint(0, 10**7)) for _ in range(40)],
        paid=[f"₩{rng.randint(1, 999)},{rng.randint(0, 999):03d}" for _ in range(40)],
        won=[f"{rng.randint(1, 99) * 1000:,}원" for _ in range(40)],
        n=[str(rng.randint(0, 10**7)) for _ in range(40)],
    )
    assert all(found[c].kind == "amount" and found[c].role == "sensitive" for c in ("잔액", "paid", "won"))
    assert found["n"].kind != "amount"


def test_categories_are_quasi_identifiers_only_with_a_person_header(detect, rng):
    jobs = [rng.choice(["회사원", "학생", "주부", "자영업"]) for _ in range(80)]
    found = detect(직업=jobs, marital_status=[rng.choice(["single", "married"]) for _ in range(80)], kind=jobs)
    assert (found["직업"].kind, found["직업"].role) == ("category", "quasi_identifier")
    assert found["marital_status"].role == "quasi_identifier"
    assert (found["kind"].kind, found["kind"].role) == ("category", "other")


def test_free_text_is_flagged_with_embedded_identifiers_counted(detect, rng):
    notes = [
        f"고객 요청 {i}번: 010-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d} 로 연락 바람" for i in range(20)
    ]
    notes += [f"배송 메모 {i} 문 앞에 놓아주세요 부탁드립니다" for i in range(20)]
    finding = detect(메모=notes)["메모"]
    assert (finding.kind, finding.role) == ("free_text", "sensitive")
    assert finding.details["embedded"]["kr_mobile"] == 0.5
    assert "010" not in str(finding.details)


def test_korean_names(detect, rng):
    names = [
        rng.choice("김이박최정강조윤") + rng.choice("민서지현수우") + rng.choice("준영아윤하은") for _ in range(80)
    ]
    found = detect(성명=names, col=names, 상품명=names)
    assert found["성명"].kind == "name_ko" and found["col"].kind == "name_ko"
    assert found["상품명"].kind != "name_ko"
    words = ["회사원", "학생", "주부", "자영업", "공무원"] * 16
    assert detect(col=words)["col"].kind != "name_ko"


def test_account_and_customer_numbers_need_headers(detect, rng):
    accounts = [f"110-{rng.randint(100, 999)}-{rng.randint(100000, 999999)}" for _ in range(40)]
    ids = [str(10_000_000 + i) for i in range(40)]
    found = detect(계좌번호=accounts, 고객번호=ids, user_id=ids, plain=ids, ref=accounts)
    assert found["계좌번호"].kind == "kr_account"
    assert found["고객번호"].kind == "customer_id" and found["user_id"].kind == "customer_id"
    assert found["고객번호"].role == "direct_identifier"
    assert found["plain"].kind not in ("customer_id", "kr_account")
    assert found["ref"].kind != "kr_account"


@pytest.mark.parametrize(
    ("header", "kind"),
    [("휴대폰번호", "kr_mobile"), ("핸드폰", "kr_mobile"), ("이메일", "email"), ("주민등록번호", "kr_rrn")],
)
def test_korean_header_hints_are_recorded(detect, rng, header, kind):
    values = {
        "kr_mobile": [f"010-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d}" for _ in range(30)],
        "email": [f"u{i}@daum.net" for i in range(30)],
        "kr_rrn": ["9001011234568", "8507152345674", "0103033123452"],
    }[kind]
    finding = detect(**{header: values})[header]
    assert finding.kind == kind
    assert finding.evidence[0].header_hint is not None


def test_year_last_dates_and_unix_times(detect, rng):
    dmy = [f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(10, 24)}" for _ in range(40)]
    assert detect(col=dmy)["col"].kind == "date"
    epochs = [str(1_715_000_000 + rng.randint(0, 10**7)) for _ in range(40)]
    found = detect(created_ts=epochs, n=epochs, ms=[e + "123" for e in epochs])
    assert found["created_ts"].kind == "timestamp" and found["created_ts"].details["epoch_share"] == 1.0
    assert found["n"].kind != "timestamp" and found["ms"].kind != "timestamp"
    assert detect(event_time=["9999999999"] * 30)["event_time"].kind != "timestamp"  # year 2286


def test_raw_digest_bytes(rng):
    import hashlib

    import pyarrow as pa

    from datacustoms.detect.registry import detect_arrow

    raw = [hashlib.sha1(str(i).encode()).digest() for i in range(40)]
    table = pa.table(
        {"h": pa.array(raw, pa.binary(20)), "blob": pa.array([b"x" * 300 + bytes([i]) for i in range(40)])}
    )
    found = {f.column: f for f in detect_arrow(table)}
    assert found["h"].kind == "digest:sha1/raw" and found["h"].details["encoding"] == "raw"
    assert not found["blob"].kind.startswith("digest")


def test_income_health_and_religion_codes_are_sensitive(detect, rng):
    found = detect(
        **{
            "salary-class": [rng.choice(["<=50K", ">50K"]) for _ in range(60)],
            "종교": [rng.choice(["불교", "기독교", "천주교", "없음"]) for _ in range(60)],
            "diagnosis_code": [rng.choice(["E11", "I10", "J45"]) for _ in range(60)],
        }
    )
    assert found["diagnosis_code"].role == "sensitive"
    assert found.pop("diagnosis_code").kind == "diagnosis_code"  # ICD-10 codes under a diagnosis header
    for column, finding in found.items():
        assert (finding.kind, finding.role) == ("category", "sensitive"), column
