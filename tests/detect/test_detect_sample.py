"""Column sampling: Arrow types, nulls, duplicate names, and detection over a Table."""

from __future__ import annotations

import pyarrow as pa

from datacustoms.detect import ColumnSample, Detector, builtin_registry, detect_columns
from datacustoms.detect.base import MAX_DISTINCT, header_has
from datacustoms.detect.registry import best_finding
from datacustoms.table import from_arrow


def test_sample_accepts_string_large_string_dictionary_and_numbers():
    for array in (
        pa.array(["a", "b", None, " ", "a"], pa.string()),
        pa.array(["a", "b", None, " ", "a"], pa.large_string()),
        pa.array(["a", "b", None, " ", "a"]).dictionary_encode(),
    ):
        sample = ColumnSample.from_array("c", array)
        assert sorted(sample.values) == ["a", "b"]
        assert (sample.rows, sample.nulls, sample.distinct_count) == (5, 2, 2)
        assert sample.distinct.type == pa.string()
    numbers = ColumnSample.from_array("n", pa.chunked_array([[1, 2], [2, None]]))
    assert sorted(numbers.values) == ["1", "2"]


def test_distinct_values_are_capped():
    sample = ColumnSample.from_array("c", pa.array([str(i) for i in range(MAX_DISTINCT + 100)]))
    assert len(sample.distinct) == MAX_DISTINCT and sample.distinct_count == MAX_DISTINCT + 100


def test_all_null_column_is_other():
    finding = best_finding(ColumnSample.from_array("c", pa.array([None] * 5, pa.null())), [])
    assert (finding.kind, finding.role, finding.null_share) == ("other", "other", 1.0)


def test_header_words_ignore_case_and_separators():
    assert header_has("Mobile_Phone-No", ("phone",)) == "phone"
    assert header_has("휴대폰 번호", ("휴대폰번호",)) == "휴대폰번호"
    assert header_has("amount", ("phone",)) is None


def test_detect_columns_over_a_table_with_duplicate_names():
    table = pa.Table.from_arrays(
        [pa.array([f"u{i}@naver.com" for i in range(20)]), pa.array([str(i) for i in range(20)])],
        names=["x", "x"],
    )
    findings = detect_columns(from_arrow(table))
    assert findings[0].kind == "email"
    assert findings[1].kind != "email"


def test_a_python_detector_extends_a_registry_like_a_builtin():
    class Ticket(Detector):
        kind = "ticket_test"
        role = "other"
        pattern = r"TCK-[0-9]{5}"
        priority = 99

    table = from_arrow(pa.table({"t": [f"TCK-{i:05d}" for i in range(20)]}))
    registry = builtin_registry().extended(Ticket)
    assert detect_columns(table, registry=registry)[0].kind == "ticket_test"
    assert detect_columns(table)[0].kind != "ticket_test"
    assert "ticket_test" not in registry.without("ticket_test").by_kind


def test_a_later_detector_of_the_same_kind_replaces_the_earlier_in_place():
    class Email(Detector):
        kind = "email"
        role = "other"
        pattern = r"never"

    registry = builtin_registry().extended(Email)
    kinds = [cls.kind for cls in registry.classes]
    assert kinds == [cls.kind for cls in builtin_registry().classes]
    assert registry.by_kind["email"] is Email


def test_short_header_words_match_whole_tokens_only():
    assert header_has("userAge", ("age",)) == "age" and header_has("age_band", ("age",)) == "age"
    for name in ("page", "usage", "percentage", "message"):
        assert header_has(name, ("age",)) is None, name
    assert header_has("phone_SHA256", ("sha",)) == "sha"
    assert header_has("zip_code", ("ip",)) is None and header_has("client_ip", ("ip",)) == "ip"


def test_percentages_under_a_page_like_header_are_not_ages():
    table = pa.table({"percentage": [str(i % 100) for i in range(200)], "page": [str(i % 90) for i in range(200)]})
    assert all(f.kind != "age" for f in detect_columns(from_arrow(table)))
