"""Detection on the synthetic Kakao Pay scenario, data these detectors were not written against."""

from __future__ import annotations

from pathlib import Path

import pytest

import datacustoms
from datacustoms.detect import detect_columns
from datacustoms.synth import generate_kakaopay


def kinds(path: Path) -> dict[str, tuple[str, str]]:
    return {f.column: (f.kind, f.role) for f in detect_columns(datacustoms.read(path))}


@pytest.mark.parametrize(("encoding", "kind", "detail"), [("hex", "hex", "hex_lower"), ("HEX", "hex", "hex_upper"),
                                                          ("base64", "base64", "base64")])  # fmt: skip
def test_export_digest_columns_are_found_in_every_encoding(tmp_path, encoding, kind, detail):
    generate_kakaopay(tmp_path, customers=300, days=1, digest_encoding=encoding)
    export = next((tmp_path / "export").glob("*.csv"))
    findings = {f.column: f for f in detect_columns(datacustoms.read(export))}
    digests = {c: f for c, f in findings.items() if f.kind.startswith("digest:")}
    assert len(digests) == 3
    for finding in digests.values():
        assert finding.kind == f"digest:sha256/{kind}"
        assert finding.details["encoding"] == detail
        assert finding.role == "pseudonym" and finding.uncertain
    assert not any(f.role == "direct_identifier" for f in findings.values())


def test_customer_table_identifiers_and_quasi_identifiers(tmp_path):
    generate_kakaopay(tmp_path, customers=300, days=1)
    found = kinds(tmp_path / "customers.parquet")
    direct = {c for c, (_, role) in found.items() if role == "direct_identifier"}
    assert {found[c][0] for c in direct} >= {"customer_id", "name_ko", "kr_mobile", "email", "kr_rrn"}
    quasi = {kind for kind, role in found.values() if role == "quasi_identifier"}
    assert quasi >= {"birth_date", "sex", "kr_postcode", "kr_region", "date"}
