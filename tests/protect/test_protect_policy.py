"""Policy validation: every mistake is one PolicyError / ColumnError that names the column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from protect_helpers import base_policy

from datacustoms.errors import ColumnError, PolicyError
from datacustoms.policy import Generalize, load_policy, parse_policy, policy_json_schema_text

REPO = Path(__file__).resolve().parents[2]


def test_valid_policy_round_trips_through_yaml(tmp_path: Path) -> None:
    from datacustoms.policy import dump_policy

    policy = parse_policy(base_policy())
    path = tmp_path / "p.yaml"
    path.write_text(dump_policy(policy), encoding="utf-8")
    again = load_policy(path)
    assert again.columns == policy.columns
    assert again.thresholds == policy.thresholds
    assert again.role == "processor"
    assert again.qi_columns() == ["age", "sex", "joined"]


def test_unknown_action_suggests_the_right_one() -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(base_policy(phone={"action": "pseudonymise"}))
    assert "'phone'" in err.value.message
    assert "Did you mean 'pseudonymize'?" in err.value.message


def test_unknown_column_names_it_with_a_suggestion() -> None:
    spec = base_policy()
    columns = dict(spec["columns"])  # type: ignore[call-overload]
    columns["custmer_id"] = columns.pop("customer_id")
    policy = parse_policy({**spec, "columns": columns})
    names = ["customer_id", "phone", "phone_sha256", "age", "sex", "joined", "balance"]
    with pytest.raises(ColumnError) as err:
        policy.check_columns(names)
    assert "'custmer_id'" in err.value.one_line()
    assert "Did you mean 'customer_id'?" in err.value.one_line()


def test_unmentioned_input_columns_are_refused_unless_a_default_is_set() -> None:
    columns = ["customer_id", "phone", "phone_sha256", "age", "sex", "joined", "balance", "email"]
    with pytest.raises(PolicyError, match="email"):
        parse_policy(base_policy()).check_columns(columns)
    parse_policy({**base_policy(), "default_action": "drop"}).check_columns(columns)
    assert parse_policy({**base_policy(), "default_action": "drop"}).action_for("email").action == "drop"


def test_missing_key_is_refused_naming_the_column() -> None:
    spec = base_policy()
    del spec["key"]
    with pytest.raises(PolicyError) as err:
        parse_policy(spec)
    assert "'phone_sha256'" in err.value.message and "key" in err.value.message


@pytest.mark.parametrize("bits", [64, 120, 130, 512])
def test_pseudonym_bits_below_128_or_odd_are_refused(bits: int) -> None:
    with pytest.raises(PolicyError, match="128"):
        parse_policy(base_policy(phone_sha256={"action": "pseudonymize", "bits": bits}))


def test_unknown_option_and_unknown_top_field() -> None:
    with pytest.raises(PolicyError, match="unknown option 'bitz'"):
        parse_policy(base_policy(phone_sha256={"action": "pseudonymize", "bitz": 128}))
    with pytest.raises(PolicyError, match="Did you mean 'thresholds'"):
        parse_policy({**base_policy(), "treshold": {"k": 5}})


def test_generalize_needs_its_options_and_the_hierarchy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="needs to"):
        parse_policy(base_policy(joined={"action": "generalize", "method": "date"}))
    with pytest.raises(PolicyError, match="not found"):
        parse_policy(base_policy(age={"action": "generalize", "method": "hierarchy", "file": "x.csv", "level": 1}))
    (tmp_path / "age.csv").write_text("1;0-9;*\n", encoding="utf-8")
    path = tmp_path / "p.yaml"
    import yaml

    path.write_text(
        yaml.safe_dump(base_policy(age={"action": "generalize", "method": "hierarchy", "file": "age.csv", "level": 1})),
        encoding="utf-8",
    )
    act = load_policy(path).columns["age"]
    assert isinstance(act, Generalize) and act.file == "age.csv"  # resolved beside the policy


def test_shift_dates_subject_must_exist() -> None:
    policy = parse_policy(base_policy(joined={"action": "shift_dates", "subject": "customer"}))
    with pytest.raises(PolicyError, match="Did you mean 'customer_id'"):
        policy.check_columns(["customer_id", "phone", "phone_sha256", "age", "sex", "joined", "balance"])


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("recipient: a\ncolumns: [\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="line"):
        load_policy(path)


def test_committed_schema_equals_the_generated_one() -> None:
    committed = (REPO / "docs" / "policy.schema.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(policy_json_schema_text()), (
        "docs/policy.schema.json is stale: run python scripts/gen_schemas.py"
    )
