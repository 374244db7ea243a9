"""YAML-declared detectors: loading, detection, and one clear line for each kind of bad file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from datacustoms.detect.registry import builtin_registry, detect_columns
from datacustoms.detect.yaml_detectors import parse_yaml_detectors
from datacustoms.errors import InputError, PolicyError
from datacustoms.flows.inspect import inspect
from datacustoms.table import from_arrow

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


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "detectors.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_detectors_extend_a_new_registry_and_detect(tmp_path, detect):
    registry = builtin_registry().with_yaml(write(tmp_path, GOOD))
    assert [cls.kind for cls in registry.classes[-2:]] == ["employee_no", "store_code"]
    assert "employee_no" in registry.by_kind
    assert "employee_no" not in builtin_registry().by_kind  # the built-ins are untouched
    found = detect(
        registry,
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


def test_a_single_mapping_is_accepted(tmp_path):
    registry = builtin_registry().with_yaml(
        write(tmp_path, "kind: vin\nrole: direct_identifier\npattern: '[A-HJ-NPR-Z0-9]{17}'\n")
    )
    assert registry.by_kind["vin"].min_share == 0.8


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
    before = builtin_registry()
    with pytest.raises(PolicyError) as info:
        before.with_yaml(write(tmp_path, text))
    line = info.value.one_line()
    assert expected in line
    assert "\n" not in line
    assert builtin_registry() == before  # nothing changed by a bad file


def test_typo_gets_a_did_you_mean(tmp_path):
    with pytest.raises(PolicyError) as info:
        parse_yaml_detectors(write(tmp_path, "detectors:\n  - kind: x\n    role: other\n    patern: a\n"))
    assert info.value.hint == "Did you mean 'pattern'?"


def test_missing_file(tmp_path):
    with pytest.raises(InputError):
        builtin_registry().with_yaml(tmp_path / "nope.yaml")


def test_custom_detectors_of_one_call_do_not_leak_into_the_next(tmp_path):
    table = from_arrow(pa.table({"사번": [f"E{i:06d}" for i in range(30)]}))
    custom = builtin_registry().with_yaml(write(tmp_path, GOOD))
    assert detect_columns(table, registry=custom)[0].kind == "employee_no"
    assert detect_columns(table)[0].kind != "employee_no"  # the next call runs the built-ins only
    with_custom = inspect(table, attack=False, registry=custom)
    after = inspect(table, attack=False)
    assert [f.kind for f in with_custom.findings] == ["employee_no"]
    assert [f.kind for f in after.findings] != ["employee_no"]


def test_the_cli_option_does_not_leak_into_the_next_run(tmp_path):
    from typer.testing import CliRunner

    from datacustoms.cli import app

    data = tmp_path / "staff.csv"
    data.write_text("사번\n" + "\n".join(f"E{i:06d}" for i in range(30)) + "\n", encoding="utf-8")
    detectors = write(tmp_path, GOOD)
    runner = CliRunner()
    first = runner.invoke(app, ["inspect", str(data), "--no-attack", "--format", "json", "--detectors", str(detectors)])
    second = runner.invoke(app, ["inspect", str(data), "--no-attack", "--format", "json"])
    assert '"employee_no"' in first.output
    assert '"employee_no"' not in second.output
