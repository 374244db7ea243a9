"""Names, street addresses, coordinates, health and money: the kinds that single people out.

Known answers for the value rules (what is a name, an address, a pair of coordinates, an ICD-10
code, a money-like distribution) and their look-alikes (products, companies, cities, intersections
without a house number, seats, versions, scores, percentages, identifiers, epoch times).
"""

from __future__ import annotations

import random

import pytest

from datacustoms.detect.builtin.money import money_like
from datacustoms.kinds import addresses, geo, names

FIRST = ["James", "Mary", "Carlos", "Maria", "Ahmed", "Sofia", "Noah", "Olivia", "Wei", "Priya", "Linda", "David"]
LAST = ["Smith", "Garcia", "Nguyen", "Kowalski", "Rossi", "Okafor", "Dubois", "Miller", "Lopez", "Tanaka"]


def people(rng: random.Random, n: int = 60) -> list[str]:
    return [f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(['', 'Jr.', ''])}".strip() for _ in range(n)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Maria Garcia", True),
        ("John Q. Public", True),
        ("Garcia, Maria", True),
        ("KIM MINJUN", True),
        ("Lee Seo-yeon", True),
        ("Patrick Bettan", True),  # an unlisted surname after a known given name
        ("Wireless Mouse", False),
        ("Leather Wallet Brown", False),
        ("Main Street Cafe", False),
        ("Acme Corp", False),
        ("Apple iPhone 13", False),
        ("New York", False),
        ("Doe #80", False),
    ],
)
def test_full_name_known_answers(value: str, expected: bool) -> None:
    assert names.is_full_name(value) is expected


def test_name_columns_by_header_and_by_value(detect, rng):
    found = detect(
        first_name=[rng.choice(FIRST) for _ in range(80)],
        last_name=[rng.choice(LAST) for _ in range(80)],
        customer=people(rng),
        product_name=[rng.choice(["Wireless Mouse", "Desk Lamp", "Yoga Mat", "Phone Case"]) for _ in range(80)],
    )
    for column in ("first_name", "last_name", "customer"):
        assert (found[column].kind, found[column].role) == ("person_name", "direct_identifier"), column
    assert found["product_name"].kind != "person_name"


def test_single_words_need_a_name_header(detect, rng):
    cities = ["London", "Paris", "Boston", "Dallas", "Houston", "Austin", "Denver", "Madison", "Lincoln", "Jackson"]
    varied = [f"{c}" for c in cities] * 8
    rng.shuffle(varied)
    assert detect(city=varied)["city"].kind != "person_name"
    assert detect(value=varied)["value"].kind != "person_name"
    assert detect(surname=varied)["surname"].kind == "person_name"  # under a name header a surname is a surname


def test_a_thing_named_by_a_name_header_needs_full_names(detect, rng):
    companies = [
        f"{rng.choice(['Morgan', 'Charles', 'Wells'])} {rng.choice(['Holdings', 'Partners'])}" for _ in range(60)
    ]
    assert detect(company_name=companies)["company_name"].kind != "person_name"


def test_korean_names_stay_korean(detect, rng):
    values = [rng.choice("김이박최정") + rng.choice("민서지현") + rng.choice("준연우아") for _ in range(60)]
    assert detect(name=values)["name"].kind == "name_ko"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1600 Pennsylvania Ave NW", True),
        ("Flat 3, 12 High Street, London", True),
        ("5800 block of South Vermont Avenue", True),
        ("12 rue de Rivoli", True),
        ("Hauptstraße 5", True),
        ("123 Teheran-ro, Gangnam-gu, Seoul", True),
        ("Mug with a Main St print, 12 oz", False),
        ("Main St", False),
        ("2 Way Radio", False),
        ("4 Drive Bays NAS", False),
        ("version 1.2.3", False),
    ],
)
def test_street_address_known_answers(value: str, expected: bool) -> None:
    assert addresses.is_street_address(value) is expected


def test_street_addresses_fail_r1_not_free_text(detect, rng):
    streets = [
        f"{rng.randint(1, 9999)} {rng.choice(['Oak', 'Elm', 'Mill'])} {rng.choice(['St', 'Ave'])}" for _ in range(60)
    ]
    corners = [f"{rng.choice(['Vermont', 'Florence'])} Avenue & {rng.randint(1, 120)}th Street" for _ in range(60)]
    found = detect(ship_to=streets, corner=corners, address=streets[:30] + corners[:30])
    assert (found["ship_to"].kind, found["ship_to"].role) == ("street_address", "direct_identifier")
    assert found["address"].kind == "street_address"  # corners count beside numbered addresses
    assert found["corner"].role != "direct_identifier"  # corners alone are places, not households


def test_korean_addresses_without_the_province(detect, rng):
    values = [
        f"{rng.choice(['강남구', '수원시 영통구'])} {rng.choice(['테헤란로', '광교로'])} {rng.randint(1, 300)}"
        for _ in range(40)
    ]
    lots = [f"강남구 역삼동 {rng.randint(1, 900)}-{rng.randint(1, 99)}번지" for _ in range(40)]
    found = detect(배송지=values, lot=lots)
    assert found["배송지"].kind == "kr_address" and found["lot"].kind == "kr_address"
    stores = [f"이마트 강남구 {i}호점" for i in range(40)]
    assert detect(store=stores)["store"].kind != "kr_address"


def test_coordinates_are_quasi_identifiers(detect, rng):
    lat = [f"{37 + rng.random():.6f}" for _ in range(60)]
    lon = [f"{127 + rng.random():.6f}" for _ in range(60)]
    found = detect(lat=lat, home_long=lon, lng=lon, location=[f"{a}, {b}" for a, b in zip(lat, lon, strict=True)])
    assert (found["lat"].kind, found["lat"].role) == ("latitude", "quasi_identifier")
    assert found["lat"].details["median_decimals"] == 6
    assert found["home_long"].kind == "longitude" and found["lng"].kind == "longitude"
    assert (found["location"].kind, found["location"].role) == ("geo_point", "quasi_identifier")


def test_coordinate_look_alikes(detect, rng):
    found = detect(
        score=[f"{rng.random():.6f}" for _ in range(60)],  # no header word: a number is not a place
        belongs_to=[f"{rng.uniform(-100, 100):.4f}" for _ in range(60)],  # 'long' only as a whole word
        model_scores=[f"{rng.random():.4f},{rng.random():.4f}" for _ in range(60)],  # pairs in [0, 1]
        version=[f"{rng.randint(1, 40)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}" for _ in range(60)],
    )
    for column, finding in found.items():
        assert finding.kind not in ("latitude", "longitude", "geo_point"), column
    assert geo.pair("POINT(126.978 37.5665)") == (37.5665, 126.978)


def test_diagnosis_codes_and_health_headers(detect, rng):
    icd = ["E11.9", "I10", "J45.909", "K21.0", "M54.5", "F32.1", "C50.911", "N39.0", "G43.909", "R51", "E78.5", "J06.9"]
    found = detect(
        codes=[rng.choice(icd) for _ in range(80)],  # no header: many chapters and subcategories
        medication=[rng.choice(["Metformin 500mg", "Salbutamol", "none"]) for _ in range(80)],
        bt=[rng.choice(["A+", "B-", "O+", "AB+"]) for _ in range(80)],
        seat=[f"{rng.choice('ABCDEF')}{rng.randint(1, 40):02d}" for _ in range(80)],
    )
    assert (found["codes"].kind, found["codes"].role) == ("diagnosis_code", "sensitive")
    assert (found["medication"].kind, found["medication"].role) == ("health", "sensitive")
    assert found["bt"].kind == "health" and found["bt"].details["blood_type"]
    assert found["seat"].kind != "diagnosis_code"


def test_health_header_does_not_beat_a_date(detect, rng):
    dates = [f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(60)]
    assert detect(diagnosis_date=dates)["diagnosis_date"].kind == "date"


@pytest.mark.parametrize("header", ["income", "account_balance", "loan", "net_worth", "부채"])
def test_financial_headers_are_amounts(detect, rng, header):
    found = detect(**{header: [str(rng.randint(0, 10**7)) for _ in range(60)]})
    assert (found[header].kind, found[header].role) == ("amount", "sensitive")


def test_money_like_values_under_a_neutral_header(detect, rng):
    cents = [f"{rng.lognormvariate(4, 1.2):.2f}" for _ in range(200)]
    rounded = [str(rng.randint(1, 500) * 1000) for _ in range(200)]
    assert money_like(cents) == "cents" and money_like(rounded) == "rounded"
    found = detect(v1=cents, v2=rounded)
    assert found["v1"].kind == "amount" and found["v1"].details["value_rule"] == "cents"
    assert found["v2"].kind == "amount" and found["v2"].details["value_rule"] == "rounded"


def test_numbers_that_are_not_money(detect, rng):
    found = detect(
        ratio=[f"{rng.random():.2f}" for _ in range(200)],
        weight=[f"{rng.uniform(45, 110):.2f}" for _ in range(200)],
        pct=[f"{rng.uniform(0, 100):.2f}" for _ in range(200)],
        temperature=[f"{rng.uniform(-10, 35):.2f}" for _ in range(200)],
        record=[str(100_000 + i * 13) for i in range(200)],
        epoch=[str(1_700_000_000 + rng.randint(0, 10**7)) for _ in range(200)],
        views=[str(rng.randint(0, 50_000)) for _ in range(200)],
    )
    for column, finding in found.items():
        assert finding.kind != "amount", column


def test_split_korean_name_columns(detect, rng):
    found = detect(
        last_name=[rng.choice("김이박최정강조윤") for _ in range(60)],
        first_name=[rng.choice(["민준", "서연", "수아", "준우", "건", "하은", "지호"]) for _ in range(60)],
        성별=[rng.choice("남여") for _ in range(60)],
    )
    assert (found["last_name"].kind, found["last_name"].role) == ("name_ko", "direct_identifier")
    assert found["first_name"].kind == "name_ko"
    assert found["성별"].kind == "sex"  # 남 and 여 are surnames too, but one syllable needs a family-name header


def test_inspect_fails_r1_on_names_and_addresses_and_measures_coordinates(rng):
    import pyarrow as pa

    import datacustoms

    n = 80
    table = pa.table(
        {
            "first_name": [rng.choice(FIRST) for _ in range(n)],
            "last_name": [rng.choice(LAST) for _ in range(n)],
            "address": [f"{rng.randint(1, 9999)} {rng.choice(['Oak', 'Elm'])} St" for _ in range(n)],
            "latitude": [round(34 + rng.random(), 6) for _ in range(n)],
            "longitude": [round(-118 - rng.random(), 6) for _ in range(n)],
            "age": [rng.randint(18, 80) for _ in range(n)],
        }
    )
    report = datacustoms.inspect(table, attack=False)
    r1 = {c.subject for c in report.checks if c.rule == "R1" and c.status == "fail"}
    assert r1 == {"first_name", "last_name", "address"}  # not free text, not an l-diversity attribute
    scope = {c.column: c for c in report.scope}
    assert scope["latitude"].measured_as == "quasi_identifier" and scope["longitude"].role == "quasi_identifier"
    assert scope["address"].measured_as == "excluded" and not scope["address"].sensitive
    assert report.verdict == "fail"
