"""Operators on Arrow arrays: exact outputs, string types kept, keyed operators deterministic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from datacustoms.errors import InputError, PolicyError
from datacustoms.policy import Generalize, Mask, Pseudonymize, ShiftDates
from datacustoms.protect import crypto
from datacustoms.protect.operators.generalize import generalize_values
from datacustoms.protect.operators.hierarchy import load_hierarchy
from datacustoms.protect.operators.mask import mask_values
from datacustoms.protect.operators.pseudonymize import normalize, pseudonymize_values
from datacustoms.protect.operators.shift_dates import offsets_days, shift_values

TEXT_TYPES = [pa.string(), pa.large_string()]


@pytest.mark.parametrize("dtype", TEXT_TYPES)
@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("month", ["2024-03", "2023-12", None]),
        ("quarter", ["2024-Q1", "2023-Q4", None]),
        ("year", ["2024", "2023", None]),
    ],
)
def test_dates_to_month_quarter_year(dtype: pa.DataType, to: str, expected: list[str | None]) -> None:
    values = pa.array(["2024-03-15", "2023-12-01 10:00:00", None], dtype)
    out = generalize_values(values, Generalize(method="date", to=to), "d")
    assert out.type == dtype
    assert out.to_pylist() == expected


def test_date_columns_and_bad_dates() -> None:
    out = generalize_values(pa.array([dt.date(2020, 5, 1), None]), Generalize(method="date", to="quarter"), "d")
    assert out.to_pylist() == ["2020-Q2", None]
    with pytest.raises(InputError, match="1 value"):
        generalize_values(pa.array(["2024-01-01", "yesterday"]), Generalize(method="date", to="year"), "d")


@pytest.mark.parametrize("to", ["year", "month", "quarter"])
def test_date_labels_are_strftime_of_every_row(to: str) -> None:
    """Labels are formatted once per distinct period; each row must still get strftime's label
    of its own date: periods in any order, repeated far apart, years below 1000, nulls first."""
    import random

    import pyarrow.compute as pc

    rng = random.Random(5)
    days = [None, 0, -1, -719162, 2932896, 19797, 19797 + 31, 19797 + 91]
    days += [rng.randint(-719162, 2932896) for _ in range(2000)] + [rng.randint(19000, 19900) for _ in range(2000)]
    dates = pa.array(days, pa.date32())
    stamps = pc.cast(dates, pa.timestamp("s"))
    if to == "quarter":
        year = pc.strftime(stamps, format="%Y")
        expected = pc.binary_join_element_wise(year, pc.cast(pc.quarter(stamps), pa.string()), "-Q")
    else:
        expected = pc.strftime(stamps, format="%Y" if to == "year" else "%Y-%m")
    for values in (dates, pc.cast(dates, pa.string()), stamps):
        got = generalize_values(values, Generalize(method="date", to=to), "d")
        assert got.to_pylist() == expected.to_pylist()
    assert generalize_values(pa.array([None, None], pa.string()), Generalize(method="date", to=to), "d").null_count == 2


def test_age_bands_with_top_code() -> None:
    out = generalize_values(pa.array([3, 39, 89, 90, 104, None]), Generalize(method="age", width=10, top=90), "a")
    assert out.to_pylist() == ["0-9", "30-39", "80-89", "90+", "90+", None]
    assert out.type == pa.string()


@pytest.mark.parametrize("dtype", TEXT_TYPES)
def test_number_bins_width_and_edges(dtype: pa.DataType) -> None:
    values = pa.array(["-1", "3", "39.5", "95", "", None], dtype)
    width = generalize_values(values, Generalize(method="number", width=25), "n")
    assert width.to_pylist() == ["[-25, 0)", "[0, 25)", "[25, 50)", "[75, 100)", None, None]
    edges = generalize_values(values, Generalize(method="number", edges=[0, 18, 65]), "n")
    assert edges.to_pylist() == ["<0", "[0, 18)", "[18, 65)", ">=65", None, None]
    assert width.type == dtype and edges.type == dtype


def test_postcode_prefix() -> None:
    out = generalize_values(
        pa.array(["04524", "12345", None], pa.large_string()), Generalize(method="prefix", keep=3), "z"
    )
    assert out.to_pylist() == ["045", "123", None] and out.type == pa.large_string()


def test_arx_hierarchy(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("Bachelors;Undergraduate;Higher education;*\n11th;High School;Secondary education;*\n", "utf-8")
    h = load_hierarchy(path)
    assert h.height == 3
    values = pa.array(["11th", "Bachelors", None])
    act = Generalize(method="hierarchy", file=str(path), level=2)
    assert generalize_values(values, act, "edu").to_pylist() == ["Secondary education", "Higher education", None]
    with pytest.raises(InputError, match="1 value"):
        generalize_values(pa.array(["Doctorate"]), act, "edu")
    with pytest.raises(PolicyError, match="level 4"):
        h.generalize(values, 4, "edu")


def test_ragged_hierarchy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a;x;*\nb;*\n", "utf-8")
    with pytest.raises(PolicyError, match="line 2"):
        load_hierarchy(path)


@pytest.mark.parametrize("dtype", TEXT_TYPES)
def test_mask_keep_last_four(dtype: pa.DataType) -> None:
    values = pa.array(["01012345678", "123", None, "010-1234-5678"], dtype)
    out = mask_values(values, Mask(keep_last=4, separators=False))
    assert out.to_pylist() == ["*******5678", "***", None, "*********5678"]
    assert out.type == dtype
    first = mask_values(pa.array(["01012345678"], dtype), Mask(keep_first=3, keep_last=0, char="#", separators=False))
    assert first.to_pylist() == ["010########"]


@pytest.mark.parametrize("dtype", TEXT_TYPES)
def test_mask_keeps_separators_in_place(dtype: pa.DataType) -> None:
    values = pa.array(["010-1234-5678", "01012345678", "김철수", "a\nb-cdefg", None], dtype)
    out = mask_values(values, Mask(keep_first=3, keep_last=4))
    assert out.type == dtype
    assert out.to_pylist() == ["010-****-5678", "010****5678", "***", "*\n*-*****", None]
    assert mask_values(values, Mask(keep_last=4)).to_pylist()[0] == "***-****-5678"


def test_normalize_digits_makes_formats_agree() -> None:
    out = normalize(pa.array([" 010-1234-5678 ", "01012345678", "  ", None]), "digits")
    assert out.to_pylist() == ["01012345678", "01012345678", None, None]


@pytest.mark.parametrize("dtype", TEXT_TYPES)
def test_pseudonyms_keyed_deterministic_and_typed(dtype: pa.DataType, master_key: bytes) -> None:
    key = crypto.derive_key(master_key, recipient="A", purpose="p", operation="pseudonymize")
    act = Pseudonymize(normalize="digits", bits=128)
    values = pa.array(["010-1234-5678", "01012345678", None], dtype)
    out = pseudonymize_values(key, values, act)
    assert out.type == dtype
    got = out.to_pylist()
    assert got[0] == got[1] and got[2] is None and len(got[0]) == 32
    import hashlib
    import hmac

    assert got[0] == hmac.new(key, b"01012345678", hashlib.sha256).hexdigest()[:32]


def test_shift_dates_keeps_intervals_per_subject(master_key: bytes) -> None:
    key = crypto.derive_key(master_key, recipient="A", purpose="p", operation="shift_dates")
    subjects = pa.array(["s1", "s1", "s2", "s2"])
    dates = pa.array(["2024-01-01", "2024-01-04", "2024-01-01", "2024-01-04"])
    act = ShiftDates(subject="sid", max_days=30)
    out = [dt.date.fromisoformat(d) for d in shift_values(key, dates, subjects, act, "d").to_pylist()]
    assert (out[1] - out[0]).days == 3 and (out[3] - out[2]).days == 3
    offs = offsets_days(key, pa.array([f"s{i}" for i in range(2000)]), 30)
    assert offs.min() >= -30 and offs.max() <= 30 and not (offs == 0).any()
    assert len(set(offs.tolist())) == 60  # every non-zero offset occurs
    again = shift_values(key, dates, subjects, act, "d").to_pylist()
    assert again == [d.isoformat() for d in out]


def test_shifted_text_dates_are_each_rows_own_date(master_key: bytes) -> None:
    """Shifted text dates are formatted once per distinct date: every row must still read as its
    own date moved by its subject's offset, in the policy's format, nulls kept."""
    import random

    key = crypto.derive_key(master_key, recipient="A", purpose="p", operation="shift_dates")
    rng = random.Random(9)
    base = dt.date(2020, 1, 1)
    days = [rng.randint(0, 40) for _ in range(3000)]
    texts = [None if i % 97 == 0 else (base + dt.timedelta(days=d)).strftime("%d/%m/%Y") for i, d in enumerate(days)]
    subjects = pa.array([f"s{rng.randint(0, 50)}" for _ in days])
    act = ShiftDates(subject="sid", max_days=10, date_format="%d/%m/%Y")
    out = shift_values(key, pa.array(texts), subjects, act, "d").to_pylist()
    offsets = offsets_days(key, subjects, 10)
    for text, got, off in zip(texts, out, offsets, strict=True):
        if text is None:
            assert got is None
        else:
            moved = dt.datetime.strptime(text, "%d/%m/%Y").date() + dt.timedelta(days=int(off))
            assert got == moved.strftime("%d/%m/%Y")


def test_shift_dates_on_date_type(master_key: bytes) -> None:
    key = crypto.derive_key(master_key, recipient="A", purpose="p", operation="shift_dates")
    dates = pa.array([dt.date(2024, 1, 1), None])
    out = shift_values(key, dates, pa.array(["x", "x"]), ShiftDates(subject="s", max_days=5), "d")
    assert out.type == pa.date32() and out[1].as_py() is None
    assert 1 <= abs((out[0].as_py() - dt.date(2024, 1, 1)).days) <= 5
