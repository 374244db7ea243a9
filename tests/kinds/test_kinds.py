"""Kind specs: every built-in kind's generator passes its own validator, detector and normaliser."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from datacustoms.attack.hashes import keyspaces
from datacustoms.detect.registry import builtin_registry, detect_arrow
from datacustoms.kinds import KindRegistry, KindSpec, builtin_kinds, phones, rrn
from datacustoms.kinds.spec import accept_all
from datacustoms.ledger.subjects import normalise_phone

KINDS = sorted(builtin_kinds())


@pytest.mark.parametrize("name", KINDS)
def test_generated_values_validate_and_are_detected(name: str) -> None:
    spec = builtin_kinds()[name]
    assert spec.generate is not None
    values = spec.generate(np.random.default_rng(3), 40)
    assert len(values) == 40 and all(spec.validate(v) for v in values)
    header = spec.header_words[0]  # the passport kind needs its header word
    found = detect_arrow(pa.table({header: values}))[0]
    assert (found.kind, found.role) == (name, spec.role)


@pytest.mark.parametrize("name", KINDS)
def test_the_detector_reads_its_spec(name: str) -> None:
    spec = builtin_kinds()[name]
    cls = builtin_registry().by_kind[name]
    assert (cls.pattern, cls.header_words, cls.priority, cls.role) == (
        spec.pattern,
        spec.header_words,
        spec.priority,
        spec.role,
    )


def test_normalisers_give_one_canonical_form() -> None:
    kinds = builtin_kinds()
    mobile = kinds["kr_mobile"].normalise
    assert mobile is not None and mobile is normalise_phone  # the subject index reads the same spec
    forms = ("010-1234-5678", "01012345678", "+82 10-1234-5678", "+821012345678", "82-10-1234-5678")
    assert {mobile(v) for v in forms} == {"+821012345678"}
    assert kinds["email"].normalise is not None and kinds["email"].normalise(" A@B.com ") == "a@b.com"
    to_rrn = kinds["kr_rrn"].normalise
    assert to_rrn is not None and to_rrn("900101-1234568") == "9001011234568" and to_rrn("900101-1234567") is None
    assert kinds["iban"].normalise is not None and kinds["iban"].normalise("gb82 west 1234 5698 7654 32") == (
        "GB82WEST12345698765432"
    )
    assert phones.national_from_e164("+821012345678") == "01012345678"


def test_keyspaces_are_rendered_from_the_spec() -> None:
    assert keyspaces.kr_mobile().size == phones.MOBILE_KEYSPACE.size == 10**8
    assert keyspaces.kr_mobile_legacy().size == phones.LEGACY_MOBILE_KEYSPACE.size
    assert keyspaces.kr_landline().size == phones.LANDLINE_KEYSPACE.size
    day = keyspaces.rrn(dt.date(1990, 1, 1), dt.date(1990, 1, 1), sex="1")
    assert day.size == rrn.PER_BIRTH_DATE == builtin_kinds()["kr_rrn"].keyspace.size  # type: ignore[union-attr]


def test_rrn_check_digit_known_answers() -> None:
    # 900101-123456? : 9*2+0*3+0*4+1*5+0*6+1*7+1*8+2*9+3*2+4*3+5*4+6*5 = 124; (11 - 124 % 11) % 10 = 8
    assert rrn.check_digit("900101123456") == 8
    assert rrn.check_digits(np.array([[9, 0, 0, 1, 0, 1, 1, 2, 3, 4, 5, 6]])).tolist() == [8]
    assert rrn.validate("900101-1234568") and not rrn.validate("900101-1234567")


@pytest.mark.parametrize("sex", ["9", "0"])
def test_rrn_sex_digits_9_and_0_are_refused_even_with_a_valid_check_digit(sex: str) -> None:
    body = f"900101{sex}23456"
    full = body + str(rrn.check_digit(body))
    assert rrn.check_digit_ok(full)
    assert rrn.birth_date(full) is None and not rrn.validate(full)
    assert rrn.sex_digits(1890, foreign=False) == ()


def test_a_registry_is_immutable_and_extends_into_a_new_one() -> None:
    base = builtin_kinds()
    vin = KindSpec(name="vin", role="direct_identifier", validate=accept_all, pattern="[A-HJ-NPR-Z0-9]{17}")
    more = base.extended([vin])
    assert "vin" in more and "vin" not in base and len(more) == len(base) + 1
    replaced = more.extended([KindSpec(name="vin", role="other", validate=accept_all)])
    assert replaced["vin"].role == "other" and more["vin"].role == "direct_identifier"
    assert isinstance(replaced, KindRegistry)


def test_name_dictionaries_are_the_documented_lists() -> None:
    from datacustoms.kinds import names

    given = names._words("first_names.txt")
    family = names._words("surnames.txt")
    assert len(given) == 5163 and len(family) == 10_000  # the sizes docs/kinds.md states
    assert {"mary", "james", "maria", "jose"} <= given and {"smith", "garcia", "nguyen", "kim"} <= family
    assert {"park", "choi", "jeong", "hwangbo"} <= names.surnames()  # romanised Korean surnames added
    assert names.normalise("  Maria   GARCIA ") == "maria garcia"


def test_geo_and_health_validators() -> None:
    from datacustoms.kinds import geo, health

    assert geo.validate_latitude("37.5665") and not geo.validate_latitude("91.0")
    assert geo.validate_longitude("-179.99") and not geo.validate_longitude("180.5")
    assert geo.pair("(37.5665, 126.978)") == (37.5665, 126.978) and geo.pair("95.0, 10.0") is None
    assert geo.decimals("37.566535") == 6 and geo.decimals("37") == 0
    assert "AB+" in health.BLOOD_TYPES and "O형" in health.BLOOD_TYPES
