"""analyse → edit → protect: editing a detection changes what the suggested policy and protect do."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest
from api_helpers import KEY, export

import datacustoms
from datacustoms.api import Detection, detect, protect
from datacustoms.errors import ColumnError, UsageError


def _frame() -> pa.Table:
    """The export plus phone numbers under a business-key header: detection calls them ``other``."""
    table = export(600)
    rng = random.Random(1)
    return table.append_column("order_no", pa.array([f"010{rng.randrange(10**8):08d}" for _ in range(600)]))


def test_detection_reads_like_inspect() -> None:
    det = detect(_frame())
    assert isinstance(det, Detection) and len(det) == 9
    assert det["phone"].kind == "kr_mobile" and det["phone"].role == "direct_identifier"
    assert det["order_no"].role == "other"
    assert det.to_table().column_names[:3] == ["column", "kind", "role"]
    assert datacustoms.inspect(_frame(), attack=False, measure=False).finding("phone").kind == "kr_mobile"  # type: ignore[union-attr]


def test_editing_the_detection_changes_the_protection() -> None:
    frame = _frame()
    plain = protect(frame, detect(frame), master_key=KEY)
    assert "order_no" in plain.column_names  # detection saw no person in it: kept
    assert plain.column("order_no").to_pylist() == frame.column("order_no").to_pylist()
    assert "visits" in plain.column_names

    det = detect(frame).set_kind("order_no", "kr_mobile").drop("visits")
    assert det["order_no"].role == "direct_identifier" and det.edited == {"order_no": "kind other → kr_mobile"}
    policy = det.suggest_policy(recipient="Partner", purpose="churn")
    assert policy.columns["order_no"].action == "drop" and policy.columns["visits"].action == "drop"
    edited = protect(frame, det, master_key=KEY)
    assert "order_no" not in edited.column_names and "visits" not in edited.column_names
    # protect(df, detection) is protect(df, detection.suggest_policy())
    assert edited.equals(protect(frame, det.suggest_policy(), master_key=KEY))


def test_a_role_edit_moves_a_column_out_of_the_quasi_identifiers() -> None:
    frame = _frame()
    before = detect(frame).suggest_policy()
    assert "postcode" in (before.quasi_identifiers or [])
    after = detect(frame).set_role("postcode", "other").suggest_policy()
    assert "postcode" not in (after.quasi_identifiers or []) and after.columns["postcode"].action == "keep"
    out = protect(frame, after, master_key=KEY)
    assert out.column("postcode").to_pylist() == frame.column("postcode").to_pylist()


def test_a_custom_kind_needs_its_role_and_a_dropped_join_key_is_not_chosen() -> None:
    det = detect(_frame())
    with pytest.raises(UsageError, match=r"unknown kind 'kr_mobil'.*Did you mean 'kr_mobile'"):
        det.set_kind("order_no", "kr_mobil")
    with pytest.raises(UsageError, match="unknown role"):
        det.set_role("order_no", "identifier")
    with pytest.raises(ColumnError, match="order_n"):
        det.drop("order_n")
    det.set_kind("order_no", "order_phone", role="direct_identifier").drop("customer_id")
    policy = det.suggest_policy()
    assert policy.columns["customer_id"].action == "drop" and policy.columns["order_no"].action == "drop"
    # the digest column becomes the join key once customer_id is gone
    assert policy.columns["phone_sha256"].action == "pseudonymize"


def test_callable_detect_package() -> None:
    det = datacustoms.detect(_frame(), sample_rows=500)
    assert isinstance(det, Detection)
    from datacustoms.detect import builtin_registry  # the package is still the package

    assert det.registry is builtin_registry()
