"""Short reprs and notebook HTML for Report, Detection and the proof; findings as a table."""

from __future__ import annotations

import subprocess
import sys
import types

import pyarrow as pa
import pytest
from api_helpers import export, policy

import datacustoms
from datacustoms.api import detect, protect_and_prove
from datacustoms.model.report import FINDING_COLUMNS


def _hostile() -> pa.Table:
    """The export with a column whose name is markup: displays must escape it."""
    table = export(300)
    return table.append_column("<b>x</b>", pa.array(["a"] * 300))


def test_report_repr_findings_table_and_html() -> None:
    report = datacustoms.inspect(_hostile(), attack=False)
    text = repr(report)
    assert "\n" not in text and text.startswith("<Report table: fail — 300 rows; 9 columns;")
    assert "failed check" in text and "2 direct identifiers" in text and str(report) == text
    table = report.findings_table()
    assert table.column_names == list(FINDING_COLUMNS) and table.num_rows == 9
    rows = {r["column"]: r for r in table.to_pylist()}
    assert rows["phone"]["status"] == "fail" and "R1" in rows["phone"]["rules"]
    assert table.schema.field("score").type == pa.float64()
    html = report._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html and "FAIL" in html
    frame = report.to_pandas()
    assert list(frame.columns) == list(FINDING_COLUMNS) and len(frame) == 9


def test_report_of_an_attack_names_the_reversed_share() -> None:
    report = datacustoms.inspect(export(300), attack_budget=120)  # ends when reversed
    rows = {r["column"]: r for r in report.findings_table().to_pylist()}
    assert rows["phone_sha256"]["reversed_share"] is not None and rows["phone_sha256"]["reversed_share"] > 0
    assert rows["visits"]["reversed_share"] is None
    assert "1 of 1 digest column reversed" in repr(report)


def test_detection_repr_and_html() -> None:
    det = detect(_hostile()).set_role("visits", "sensitive").drop("phone")
    text = repr(det)
    assert "\n" not in text and text.startswith("<Detection of table: 9 columns —")
    assert text.endswith("; 1 edited, 1 dropped>")
    html = det._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert det.to_pandas()["dropped"].tolist().count(True) == 1


def test_proof_repr_and_html(env_key: bytes) -> None:
    got = protect_and_prove(export(), policy(), attack=False)
    assert repr(got).startswith("<ProtectedTable ") and "pass" in repr(got)
    text = repr(got.proof)
    assert "\n" not in text and text.startswith("<Proof Partner / churn model: pass — rows 1,200 → ")
    assert "k 1 → " in text and "2 dropped" in text
    html = got._repr_html_()
    assert "PASS" in html and "<li>phone: kr_mobile in clear → dropped</li>" in html


def test_protect_is_both_the_package_and_a_function(env_key: bytes) -> None:
    import datacustoms.protect.pipeline as pipeline

    assert isinstance(datacustoms.protect, types.ModuleType) and callable(datacustoms.protect)
    assert datacustoms.protect.pipeline is pipeline
    out = datacustoms.protect(export(300), policy())
    assert isinstance(out, pa.Table) and out.num_rows > 0


@pytest.mark.parametrize("first", ["call", "submodule"])
def test_either_order_of_first_use_works(first: str) -> None:
    """Calling before any internal import of the subpackage, and after it, in fresh interpreters."""
    use = {
        "call": "import datacustoms; out = datacustoms.protect(t, p, master_key=bytes(32)); "
        "import datacustoms.protect.pipeline as pl; assert pl.protect_table",
        "submodule": "import datacustoms.protect.pipeline, datacustoms; "
        "out = datacustoms.protect(t, p, master_key=bytes(32))",
    }[first]
    code = (
        "import pyarrow as pa; t = pa.table({'a': ['x', 'y'], 'b': ['1', '2']}); "
        "p = {'recipient': 'r', 'purpose': 'p', 'columns': {'a': 'drop', 'b': 'keep'}}; "
        f"{use}; assert out.column_names == ['b'], out"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
