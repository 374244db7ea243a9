"""The built-in identifier kinds. A new national ID is one more spec here (and its module)."""

from __future__ import annotations

from functools import cache

from datacustoms.kinds import addresses, cards, documents, email, geo, health, iban, names, phones, rrn
from datacustoms.kinds.spec import BUSINESS_KEY_WORDS, KindRegistry, KindSpec, accept_all

KR_RRN = KindSpec(
    name="kr_rrn",
    role="direct_identifier",
    validate=rrn.validate,
    pattern=rrn.PATTERN,
    header_words=rrn.HEADER_WORDS,
    negative_words=BUSINESS_KEY_WORDS,
    normalise=rrn.normalise,
    keyspace=rrn.KEYSPACE,
    pseudonym="digits",
    generate=rrn.generate,
    priority=95,
    description="Korean resident registration number (주민등록번호)",
)
KR_MOBILE = KindSpec(
    name="kr_mobile",
    role="direct_identifier",
    validate=phones.validate_mobile,
    pattern=phones.MOBILE_PATTERN,
    header_words=phones.MOBILE_HEADER_WORDS,
    negative_words=BUSINESS_KEY_WORDS,
    normalise=phones.to_e164,
    keyspace=phones.MOBILE_KEYSPACE,
    pseudonym="digits",
    generate=phones.generate_mobile,
    priority=85,
    description="Korean mobile number (010 and the retired 01X prefixes)",
)
KR_LANDLINE = KindSpec(
    name="kr_landline",
    role="direct_identifier",
    validate=phones.validate_landline,
    pattern=phones.LANDLINE_PATTERN,
    header_words=phones.LANDLINE_HEADER_WORDS,
    negative_words=BUSINESS_KEY_WORDS,
    normalise=phones.to_e164,
    keyspace=phones.LANDLINE_KEYSPACE,
    pseudonym="digits",
    generate=phones.generate_landline,
    priority=80,
    description="Korean landline, internet phone (070) or 15xx/16xx/18xx line",
)
PHONE = KindSpec(
    name="phone",
    role="direct_identifier",
    validate=phones.validate_international,
    pattern=phones.INTERNATIONAL_PATTERN,
    header_words=phones.INTERNATIONAL_HEADER_WORDS,
    negative_words=BUSINESS_KEY_WORDS,
    normalise=phones.to_e164,
    pseudonym="digits",
    generate=phones.generate_international,
    priority=60,
    description="International phone number with a +CC prefix",
)
EMAIL = KindSpec(
    name="email",
    role="direct_identifier",
    validate=email.validate,
    pattern=email.PATTERN,
    header_words=email.HEADER_WORDS,
    normalise=email.normalise,
    pseudonym="lower",
    generate=email.generate,
    priority=80,
    description="E-mail address",
)
PAYMENT_CARD = KindSpec(
    name="payment_card",
    role="direct_identifier",
    validate=cards.validate,
    pattern=cards.PATTERN,
    header_words=cards.HEADER_WORDS,
    negative_words=BUSINESS_KEY_WORDS,
    normalise=cards.normalise,
    generate=cards.generate,
    priority=90,
    description="Payment card number (Luhn and an issuer range)",
)
IBAN = KindSpec(
    name="iban",
    role="direct_identifier",
    validate=iban.validate,
    pattern=iban.PATTERN,
    header_words=iban.HEADER_WORDS,
    normalise=iban.normalise,
    generate=iban.generate,
    priority=90,
    description="International bank account number (ISO 13616 mod 97)",
)
KR_DRIVER_LICENSE = KindSpec(
    name="kr_driver_license",
    role="direct_identifier",
    validate=documents.validate_licence,
    pattern=documents.LICENCE_PATTERN,
    header_words=documents.LICENCE_HEADER_WORDS,
    negative_words=BUSINESS_KEY_WORDS,
    generate=documents.generate_licence,
    priority=88,
    description="Korean driver's licence number",
)
KR_PASSPORT = KindSpec(
    name="kr_passport",
    role="direct_identifier",
    validate=accept_all,
    pattern=documents.PASSPORT_PATTERN,
    header_words=documents.PASSPORT_HEADER_WORDS,
    generate=documents.generate_passport,
    needs_header=True,
    priority=88,
    description="Korean passport number (needs a header word)",
)
PERSON_NAME = KindSpec(
    name="person_name",
    role="direct_identifier",
    validate=names.validate,
    pattern=names.PATTERN,
    header_words=names.HEADER_WORDS,
    negative_words=names.NEGATIVE_WORDS,
    normalise=names.normalise,
    pseudonym="lower",
    generate=names.generate,
    priority=55,
    description="Person name in Latin script (given-name and surname dictionaries, romanised Korean)",
)
STREET_ADDRESS = KindSpec(
    name="street_address",
    role="direct_identifier",
    validate=addresses.is_street_address,
    pattern=addresses.PATTERN,
    header_words=addresses.HEADER_WORDS,
    normalise=names.normalise,
    pseudonym="lower",
    generate=addresses.generate,
    priority=62,
    description="Street address in Latin script (house number and street)",
)
LATITUDE = KindSpec(
    name="latitude",
    role="quasi_identifier",
    validate=geo.validate_latitude,
    pattern=geo.PATTERN,
    header_words=geo.LATITUDE_WORDS,
    generate=geo.generate_latitude,
    needs_header=True,
    priority=60,
    description="Latitude of a place (needs a header word)",
)
LONGITUDE = KindSpec(
    name="longitude",
    role="quasi_identifier",
    validate=geo.validate_longitude,
    pattern=geo.PATTERN,
    header_words=geo.LONGITUDE_WORDS,
    generate=geo.generate_longitude,
    needs_header=True,
    priority=60,
    description="Longitude of a place (needs a header word)",
)
GEO_POINT = KindSpec(
    name="geo_point",
    role="quasi_identifier",
    validate=geo.validate_pair,
    pattern=geo.PAIR_PATTERN,
    header_words=geo.PAIR_WORDS,
    generate=geo.generate_pair,
    priority=62,
    description="A latitude, longitude pair in one cell",
)
DIAGNOSIS_CODE = KindSpec(
    name="diagnosis_code",
    role="sensitive",
    validate=health.validate,
    pattern=health.PATTERN,
    header_words=health.HEADER_WORDS,
    generate=health.generate,
    priority=58,
    description="ICD-10 / KCD diagnosis code (health data)",
)

SPECS: tuple[KindSpec, ...] = (
    KR_RRN, KR_MOBILE, KR_LANDLINE, PHONE, EMAIL, PAYMENT_CARD, IBAN, KR_DRIVER_LICENSE, KR_PASSPORT,
    PERSON_NAME, STREET_ADDRESS, LATITUDE, LONGITUDE, GEO_POINT, DIAGNOSIS_CODE,
)  # fmt: skip


@cache
def builtin_kinds() -> KindRegistry:
    """The built-in kinds (built once; the registry is immutable)."""
    return KindRegistry(SPECS)
