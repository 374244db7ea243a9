"""Properties of the validators over many generated values (hypothesis)."""

from __future__ import annotations

from datetime import date

from detect_helpers import luhn_complete, rrn_complete
from hypothesis import given, settings
from hypothesis import strategies as st

from datacustoms.detect.builtin.digest import CANDIDATES, b64_bytes
from datacustoms.detect.builtin.kr_mobile import KoreanMobile
from datacustoms.detect.builtin.kr_rrn import KoreanRRN
from datacustoms.kinds.cards import luhn_ok
from datacustoms.kinds.phones import national_digits, phone_format
from datacustoms.kinds.rrn import check_digit_ok as rrn_check_digit_ok

mobiles = st.builds(lambda m, s: f"010{m:04d}{s:04d}", st.integers(0, 9999), st.integers(0, 9999))
FORMATS = [
    lambda d: f"{d[:3]}-{d[3:7]}-{d[7:]}",
    lambda d: d,
    lambda d: f"+82 {d[1:3]}-{d[3:7]}-{d[7:]}",
    lambda d: f"+82{d[1:]}",
    lambda d: f"82-{d[1:3]}-{d[3:7]}-{d[7:]}",
    lambda d: f"{d[:3]} {d[3:7]} {d[7:]}",
    lambda d: f"{d[:3]}.{d[3:7]}.{d[7:]}",
]


@settings(max_examples=200, deadline=None)
@given(mobiles, st.sampled_from(range(len(FORMATS))))
def test_every_format_round_trips_to_the_national_number(digits, which):
    value = FORMATS[which](digits)
    assert national_digits(value) == digits
    assert KoreanMobile().validate(value)
    assert phone_format(value) in {"dashed", "digits", "intl_separated", "intl_compact", "intl_no_plus",
                                   "spaced", "dotted"}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_luhn_completion_always_validates_and_one_digit_change_never_does(body):
    full = luhn_complete(body)
    assert luhn_ok(full)
    changed = full[:-1] + str((int(full[-1]) + 1) % 10)
    assert not luhn_ok(changed)


@settings(max_examples=300, deadline=None)
@given(st.dates(date(1900, 1, 1), date(2019, 12, 31)), st.sampled_from("12"), st.integers(0, 99999))
def test_pre_2020_rrns_need_their_check_digit(born, s, serial):
    if born.year >= 2000:
        s = "3" if s == "1" else "4"
    full = rrn_complete(f"{born:%y%m%d}{s}{serial:05d}")
    assert rrn_check_digit_ok(full) and KoreanRRN().validate(full)
    wrong = full[:-1] + str((int(full[-1]) + 1) % 10)
    assert not KoreanRRN().validate(wrong)


@given(st.sampled_from(sorted(CANDIDATES)))
def test_base64_lengths_map_back_to_their_byte_size(nbytes):
    import base64

    raw = bytes(nbytes)
    padded = base64.b64encode(raw).decode()
    assert b64_bytes(len(padded), padded=padded.endswith("=")) == nbytes
    assert b64_bytes(len(padded.rstrip("=")), padded=False) == nbytes
