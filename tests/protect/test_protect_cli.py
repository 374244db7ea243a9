"""The protect and policy commands: exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
import yaml
from protect_helpers import base_policy, make_export
from typer.testing import CliRunner

from datacustoms.cli import app


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "export.csv"
    pacsv.write_csv(make_export(), src)
    pol = tmp_path / "policy.yaml"
    pol.write_text(yaml.safe_dump(base_policy()), encoding="utf-8")
    return src, pol


def test_protect_writes_proves_and_reports(files: tuple[Path, Path], env_key: str, cli: CliRunner) -> None:
    src, pol = files
    out = src.with_name("out.parquet")
    report = src.with_name("report.json")
    res = cli.invoke(
        app, ["protect", str(src), "--policy", str(pol), "-o", str(out), "--no-attack", "--report", str(report)]
    )
    assert res.exit_code == 0, res.output
    assert "before → after" in res.output and "k: 1 → " in res.output
    assert "verdict: pass" in res.output
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["verdict"] == "pass" and doc["result"]["k_after"] >= 5
    assert doc["proof"]["after"]["k"] == doc["result"]["k_after"]
    assert out.exists()
    # the proof carries its assumptions: which columns the risk figures measured, and why others were left out
    assert "risk scope of the output: quasi-identifiers age, sex, joined" in res.output
    scope = {c["column"]: c for c in doc["proof"]["after"]["scope"]}
    assert {c for c, s in scope.items() if s["measured_as"] == "quasi_identifier"} == {"age", "sex", "joined"}
    assert all(s["reason"] for s in scope.values() if s["measured_as"] == "excluded")
    page = cli.invoke(app, ["protect", str(src), "-p", str(pol), "-o", str(out), "--no-attack", "-f", "html"])
    assert page.exit_code == 0 and page.output.lstrip().startswith("<!DOCTYPE html") and 'id="scope"' in page.output


def test_protect_json_and_dry_run(files: tuple[Path, Path], env_key: str, cli: CliRunner) -> None:
    src, pol = files
    out = src.with_name("out.csv")
    res = cli.invoke(app, ["protect", str(src), "-p", str(pol), "-o", str(out), "--dry-run", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["result"]["dry_run"] is True and doc["proof"] is None
    assert not out.exists()


def test_protect_exits_1_when_the_output_misses_k(files: tuple[Path, Path], env_key: str, cli: CliRunner) -> None:
    src, pol = files
    spec = base_policy(age={"action": "keep"})
    spec["suppression"] = None
    pol.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = src.with_name("out.parquet")
    res = cli.invoke(app, ["protect", str(src), "-p", str(pol), "-o", str(out), "--no-attack"])
    assert res.exit_code == 1, res.output
    assert "verdict: FAIL" in res.output and "(R10)" in res.output


def test_bad_policy_is_one_line_exit_2(files: tuple[Path, Path], cli: CliRunner) -> None:
    src, pol = files
    spec = base_policy(phone={"action": "hash"})
    pol.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = src.with_name("out.parquet")
    res = cli.invoke(app, ["protect", str(src), "-p", str(pol), "-o", str(out)])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and "error: column 'phone': unknown action 'hash'" in res.output
    assert not out.exists()


def test_missing_env_key_is_refused_without_writing(files: tuple[Path, Path], cli: CliRunner) -> None:
    src, pol = files
    out = src.with_name("out.parquet")
    res = cli.invoke(app, ["protect", str(src), "-p", str(pol), "-o", str(out)])
    assert res.exit_code == 2 and "DC_TEST_KEY" in res.output
    assert not out.exists()


def test_policy_suggest_then_check_then_protect(tmp_path: Path, env_key: str, cli: CliRunner) -> None:
    src = tmp_path / "export.csv"
    pacsv.write_csv(make_export(), src)
    pol = tmp_path / "suggested.yaml"
    res = cli.invoke(
        app,
        ["policy", "suggest", str(src), "-o", str(pol), "--k", "5", "--recipient", "Alipay", "--purpose", "nsf",
         "--key", env_key],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "chosen node:" in res.output
    res = cli.invoke(app, ["policy", "check", str(pol), "--input", str(src)])
    assert res.exit_code == 0, res.output
    assert "is valid" in res.output
    out = tmp_path / "out.parquet"
    res = cli.invoke(app, ["protect", str(src), "-p", str(pol), "-o", str(out), "--no-attack"])
    assert res.exit_code == 0, res.output


def test_policy_check_names_unknown_columns(files: tuple[Path, Path], cli: CliRunner) -> None:
    src, pol = files
    spec = base_policy()
    spec["columns"]["custmer_id"] = spec["columns"].pop("customer_id")  # type: ignore[attr-defined]
    pol.write_text(yaml.safe_dump(spec), encoding="utf-8")
    res = cli.invoke(app, ["policy", "check", str(pol), "--input", str(src)])
    assert res.exit_code == 2
    assert "Did you mean 'customer_id'?" in res.output


def test_key_material_in_the_output_fails_r18(tmp_path: Path, env_key: str, cli: CliRunner) -> None:
    import os

    table = make_export()
    leaked = [os.environ["DC_TEST_KEY"] if i == 3 else "x" for i in range(table.num_rows)]
    src = tmp_path / "export.csv"
    pacsv.write_csv(table.append_column("note", [leaked]), src)
    pol = tmp_path / "policy.yaml"
    pol.write_text(yaml.safe_dump(base_policy(env_key, note="keep")), encoding="utf-8")
    res = cli.invoke(app, ["protect", str(src), "-p", str(pol), "-o", str(tmp_path / "o.parquet"), "--no-attack"])
    assert res.exit_code == 1, res.output
    assert "note: 1 cells hold key material (R18)" in res.output
    assert os.environ["DC_TEST_KEY"] not in res.output


def test_policy_suggest_json_on_adult(adult_dir: Path, tmp_path: Path, cli: CliRunner) -> None:
    res = cli.invoke(
        app,
        ["policy", "suggest", str(adult_dir / "adult.csv"), "--hierarchies", str(adult_dir), "--qi",
         "sex,age,race,marital-status,education", "--format", "json", "-o", str(tmp_path / "p.yaml")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    chosen = doc["lattice"]["chosen"]
    assert chosen["k"] >= 5 and chosen["suppressed_share"] <= 0.05
    assert set(chosen["levels"]) == {"sex", "age", "race", "marital-status", "education"}
    assert (tmp_path / "p.yaml").exists()


def test_protect_fails_when_l_diversity_is_below_the_policy(
    files: tuple[Path, Path], env_key: str, cli: CliRunner
) -> None:
    src, pol = files
    spec = base_policy()
    spec["thresholds"] = {"k": 5, "max_risk": 0.2, "l": 50}
    spec["sensitive"] = ["balance"]
    pol.write_text(yaml.safe_dump(spec), encoding="utf-8")
    res = cli.invoke(app, ["protect", str(src), "-p", str(pol), "-o", str(src.with_name("o.parquet")), "--no-attack"])
    assert res.exit_code == 1, res.output
    assert "(R12)" in res.output
