"""YAML-declared detectors: loading, detection, and one clear line for each kind of bad file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from datacustoms.detect.registry import registered, unregister
from datacustoms.detect.yaml_detectors import load_yaml_detectors, parse_yaml_detectors
from datacustoms.errors import InputError, PolicyError

GOOD = """\
detectors:
  - kind: employee_no
    role: direct_identifier
    pattern: "E[0-9]{6}"
    header_words: [employee, 사번]
    min_share: 0.9
    priority: 60
  - kind: store_code
    role: other
    pattern: "ST-[0-9]{4}"
    needs_header: true
    header_words: [store]
"""


@pytest.fixture()
def cleanup() -> Iterator[list[str]]:
    kinds: list[str] = []
    yield kinds
    for kind in kinds:
        unregister(kind)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "detectors.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_detectors_register_and_detect(tmp_path, detect, cleanup):
    classes = load_yaml_detectors(write(tmp_path, GOOD))
    cleanup.extend(cls.kind for cls in classes)
    assert [cls.kind for cls in classes] == ["employee_no", "store_code"]
    assert "employee_no" in registered()
    found = detect(
        사번=[f"E{i:06d}" for i in range(30)],
        code=[f"E{i:06d}" for i in range(30)],
        store=[f"ST-{i:04d}" for i in range(30)],
        other=[f"ST-{i:04d}" for i in range(30)],
    )
    assert (found["사번"].kind, found["사번"].role) == ("employee_no", "direct_identifier")
    assert found["사번"].evidence[0].header_hint == "사번"
    assert found["code"].kind == "employee_no"
    assert found["store"].kind == "store_code"
    assert found["other"].kind != "store_code"  # needs_header


def test_a_single_mapping_is_accepted(tmp_path, cleanup):
    classes = load_yaml_detectors(
        write(tmp_path, "kind: vin\nrole: direct_identifier\npattern: '[A-HJ-NPR-Z0-9]{17}'\n")
    )
    cleanup.extend(cls.kind for cls in classes)
    assert classes[0].kind == "vin" and classes[0].min_share == 0.8


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("detectors:\n  - kind: x\n    role: other\n    patern: 'a'\n", "unknown field 'patern'"),
        ("detectors:\n  - kind: x\n    role: boss\n    pattern: 'a'\n", "detectors[0] (x).role"),
        ("detectors:\n  - kind: x\n    role: other\n    pattern: '(?=a)b'\n", "pattern: not an RE2"),
        ("detectors:\n  - kind: x\n    role: other\n    pattern: a\n    min_share: 1.5\n", "min_share"),
        ("detectors:\n  - kind: X Y\n    role: other\n    pattern: a\n", "kind"),
        ("detectors:\n  - kind: x\n    role: other\n    pattern: a\n  - kind: x\n    role: other\n"
         "    pattern: b\n", "declared twice"),
        ("detectors: [\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        ("detectors: []\n", "detectors"),
        ("kind: other\nrole: other\npattern: a\n", "'other' means no finding"),
    ],
)  # fmt: skip
def test_bad_yaml_is_one_line_naming_the_field(tmp_path, text, expected):
    before = set(registered())
    with pytest.raises(PolicyError) as info:
        load_yaml_detectors(write(tmp_path, text))
    line = info.value.one_line()
    assert expected in line
    assert "\n" not in line
    assert set(registered()) == before  # nothing registered from a bad file


def test_typo_gets_a_did_you_mean(tmp_path):
    with pytest.raises(PolicyError) as info:
        parse_yaml_detectors(write(tmp_path, "detectors:\n  - kind: x\n    role: other\n    patern: a\n"))
    assert info.value.hint == "Did you mean 'pattern'?"


def test_missing_file(tmp_path):
    with pytest.raises(InputError):
        load_yaml_detectors(tmp_path / "nope.yaml")
