"""E-mail, RRN (check-digit rule), payment cards (Luhn + issuer), IP, MAC, UUID / advertising IDs."""

from __future__ import annotations

import random
import uuid

import pytest
from detect_helpers import luhn_complete, rrn_complete

from datacustoms.detect.builtin.kr_rrn import KoreanRRN
from datacustoms.kinds.cards import issuer, luhn_ok
from datacustoms.kinds.rrn import check_digit_ok as rrn_check_digit_ok


def rrns(rng: random.Random, n: int = 50, *, s: str = "12", wrong_check: bool = False) -> list[str]:
    out = []
    for _ in range(n):
        body = f"{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.choice(s)}"
        full = rrn_complete(body + f"{rng.randint(0, 99999):05d}")
        if wrong_check:
            full = full[:-1] + str((int(full[-1]) + 3) % 10)
        out.append(f"{full[:6]}-{full[6:]}")
    return out


def test_email(detect, rng):
    values = [f"user{i}@naver.com" for i in range(30)] + ["A.B+tag@sub.example.co.kr"]
    assert detect(mail=values)["mail"].kind == "email"
    bad = [f"user{i}@@naver" for i in range(30)] + [".dot@x.com", "a..b@x.com"]
    assert detect(mail=bad)["mail"].kind != "email"


def test_rrn_with_valid_check_digits(detect, rng):
    finding = detect(col=rrns(rng))["col"]
    assert finding.kind == "kr_rrn"
    assert finding.details["check_digit_valid_share"] == 1.0
    assert finding.uncertain is None


def test_rrn_with_wrong_check_digits_before_2020_is_rejected(detect, rng):
    assert detect(col=rrns(rng, wrong_check=True))["col"].kind != "kr_rrn"


def test_rrn_born_after_october_2020_needs_no_check_digit(rng):
    detector = KoreanRRN()
    digits = "2103154" + "123456"
    if rrn_check_digit_ok(digits):  # make sure the check digit is wrong
        digits = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert detector.validate(f"{digits[:6]}-{digits[6:]}")
    before = "1903154123456"
    fixed = rrn_complete(before[:12])
    wrong = fixed[:-1] + str((int(fixed[-1]) + 1) % 10)
    assert detector.validate(fixed) and not detector.validate(wrong)


def test_rrn_header_with_failing_check_digits_is_reported_as_uncertain(detect, rng):
    finding = detect(주민등록번호=rrns(rng, wrong_check=True))["주민등록번호"]
    assert finding.kind == "kr_rrn"
    assert finding.uncertain and "check digits fail" in finding.uncertain
    assert finding.score < 1.0


def test_rrn_invalid_dates_are_rejected(detect, rng):
    values = [rrn_complete(f"90{13 + i % 5:02d}01" + "1" + f"{i:05d}") for i in range(40)]  # month 13..17
    values += [rrn_complete("900230" + "1" + f"{i:05d}") for i in range(10)]  # 30 February
    assert detect(주민번호=values)["주민번호"].kind != "kr_rrn"


def test_rrn_foreign_residents_and_plain_digits(detect, rng):
    values = [v.replace("-", "") for v in rrns(rng, 40, s="56")]
    finding = detect(col=values)["col"]
    assert finding.kind == "kr_rrn"
    assert finding.details["foreign_resident_share"] == 1.0
    assert finding.details["formats"]["digits"] == 1.0


def card(rng: random.Random, prefix: str, length: int = 16) -> str:
    return luhn_complete(prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1)))


def test_cards_by_issuer(detect, rng):
    visa = [card(rng, "4") for _ in range(20)]
    master = [card(rng, "53") for _ in range(10)] + [card(rng, "2221") for _ in range(10)]
    amex = [card(rng, "37", 15) for _ in range(10)]
    finding = detect(카드번호=[f"{v[:4]}-{v[4:8]}-{v[8:12]}-{v[12:]}" for v in visa + master])["카드번호"]
    assert finding.kind == "payment_card"
    assert finding.details["issuers"] == {"mastercard": 0.5, "visa": 0.5}
    assert detect(col=[f"{v[:4]} {v[4:10]} {v[10:]}" for v in amex])["col"].kind == "payment_card"
    assert issuer(card(rng, "3530")) == "jcb" and issuer(card(rng, "62")) == "unionpay"


def test_cards_failing_luhn_or_issuer_are_rejected(detect, rng):
    visa = [card(rng, "4") for _ in range(40)]
    broken = [v[:-1] + str((int(v[-1]) + 1) % 10) for v in visa]
    assert not any(luhn_ok(v) for v in broken)
    assert detect(col=broken)["col"].kind != "payment_card"
    no_issuer = [card(rng, "1") for _ in range(40)]  # Luhn holds, no scheme starts with 1
    assert detect(col=no_issuer)["col"].kind != "payment_card"


def test_ip_addresses(detect, rng):
    v4 = [f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.7.{rng.randint(1, 254)}" for _ in range(30)]
    assert detect(ip=v4)["ip"].kind == "ipv4"
    bad4 = [f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.1.1" for _ in range(30)]
    assert detect(ip=bad4)["ip"].kind != "ipv4"
    v6 = [f"2001:db8::{rng.randint(0, 0xFFFF):x}:{rng.randint(0, 0xFFFF):x}" for _ in range(30)]
    v6 += ["::1", "fe80::1%eth0"]
    finding = detect(addr=v6)["addr"]
    assert finding.kind == "ipv6"
    assert detect(addr=["12:30:45", "1:2", "gg::1"] * 10)["addr"].kind != "ipv6"


def test_mac_addresses(detect, rng):
    values = [":".join(f"{rng.randint(0, 255):02x}" for _ in range(6)) for _ in range(20)]
    values += ["-".join(f"{rng.randint(0, 255):02X}" for _ in range(6)) for _ in range(10)]
    values += ["0011.2233.4455"]
    assert detect(device=values)["device"].kind == "mac"
    assert detect(device=["00:11:22:33:44", "zz:11:22:33:44:55"] * 15)["device"].kind != "mac"


def test_uuid_is_a_pseudonym_unless_the_header_says_advertising_id(detect, rng):
    values = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(30)]
    plain = detect(request_id=values)["request_id"]
    assert (plain.kind, plain.role) == ("uuid", "pseudonym")
    assert plain.uncertain and "advertising" in plain.uncertain
    for header in ("adid", "idfa", "gaid", "광고식별자"):
        ad = detect(**{header: values})[header]
        assert (ad.kind, ad.role) == ("uuid", "direct_identifier"), header
        assert ad.details["advertising_id"] is True


def test_driver_licence_passport_and_iban(detect, rng):
    licences = [
        f"{rng.randint(11, 28)}-{rng.randint(0, 99):02d}-{rng.randint(0, 999999):06d}-{i % 100:02d}" for i in range(30)
    ]
    licences += ["서울 12-345678-90", "경기 98-765432-10"]
    assert detect(col=licences)["col"].kind == "kr_driver_license"
    assert detect(col=[f"99-{v[3:]}" for v in licences[:30]])["col"].kind != "kr_driver_license"  # region 99
    passports = [f"M{rng.randint(0, 99999999):08d}" for _ in range(20)] + ["M123A4567", "S987B6543"]
    assert detect(여권번호=passports)["여권번호"].kind == "kr_passport"
    assert detect(code=passports)["code"].kind != "kr_passport"
    ibans = ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "NL91ABNA0417164300"] * 10
    finding = detect(iban=ibans)["iban"]
    assert finding.kind == "iban" and set(finding.details["countries"]) == {"GB", "DE", "NL"}
    broken = ["GB82 WEST 1234 5698 7654 33", "DE89370400440532013001", "NL91ABNA0417164301"] * 10
    assert detect(iban=broken)["iban"].kind != "iban"


def test_masked_identifiers_are_quasi_identifiers_not_clear_or_anonymous(detect, rng):
    found = detect(
        phone=[f"010-****-{rng.randint(0, 9999):04d}" for _ in range(40)],
        rrn=[f"{rng.randint(50, 99)}0{rng.randint(1, 9)}15-{rng.choice('12')}******" for _ in range(40)],
        mail=[f"ab{i}***@naver.com" for i in range(40)],
        name=[rng.choice("김이박") + "*" + rng.choice("수민준") for _ in range(40)],
        card=[f"4{rng.randint(100, 999)}-12**-****-{rng.randint(1000, 9999)}" for _ in range(40)],
        alex=[f"alex{i}@example.com" for i in range(40)],
    )
    for column, kind in [("phone", "kr_mobile"), ("rrn", "kr_rrn"), ("mail", "email"), ("name", "name_ko"),
                         ("card", "payment_card")]:  # fmt: skip
        assert (found[column].kind, found[column].role) == (f"masked:{kind}", "quasi_identifier"), column
    assert found["phone"].details["visible_characters_median"] == 7
    assert found["alex"].kind == "email"  # an x in a name is not a mask


def test_login_ids_mixing_emails_and_phones(detect, rng):
    mixed = [f"u{i}@kakao.com" if i % 3 else f"010-{rng.randint(2000, 9999)}-{i:04d}" for i in range(90)]
    finding = detect(login_id=mixed)["login_id"]
    assert (finding.kind, finding.role) == ("email_or_phone", "direct_identifier")
    assert finding.details["shares"]["kr_mobile"] == pytest.approx(1 / 3, abs=0.01)
    mostly_mail = [f"u{i}@kakao.com" for i in range(95)] + [f"010-2345-{i:04d}" for i in range(5)]
    assert detect(login_id=mostly_mail)["login_id"].kind == "email"


def test_rrn_sex_digit_9_or_0_is_refused_with_a_valid_check_digit(detect, rng):
    column = rrns(rng, s="90")  # valid check digits, unissued sex digits
    assert all(rrn_check_digit_ok(v.replace("-", "")) for v in column)
    assert not any(KoreanRRN().validate(v) for v in column)
    assert detect(col=column)["col"].kind != "kr_rrn"


def test_check_digit_share_counts_the_invalid_values(detect, rng):
    good = rrns(rng, 40)
    bad = rrns(random.Random(11), 10, wrong_check=True)
    finding = detect(주민등록번호=good + bad)["주민등록번호"]
    assert finding.kind == "kr_rrn"
    share = finding.details["check_digit_valid_share"]
    assert share == pytest.approx(40 / 50, abs=0.001)  # not 1.0: the 10 failing values count
    assert finding.details["invalid_share"] == pytest.approx(10 / 50, abs=0.001)
