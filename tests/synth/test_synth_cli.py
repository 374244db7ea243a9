"""``datacustoms synth kakaopay`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from datacustoms.cli import app


def test_synth_kakaopay_writes_the_scenario(tmp_path: Path) -> None:
    out = tmp_path / "scenario"
    result = CliRunner().invoke(
        app, ["synth", "kakaopay", "--customers", "500", "--days", "2", "--seed", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "500 customers" in result.output and "not anonymous" in result.output
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == [
        "customers.csv",
        "customers.parquet",
        "events.parquet",
        "export/kakaopay_to_alipay_20240514.csv",
        "export/kakaopay_to_alipay_20240515.csv",
        "manifest.json",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["customers"], manifest["days"], manifest["seed"]) == (500, 2, 1)
    lines = (out / "export/kakaopay_to_alipay_20240515.csv").read_text().splitlines()
    assert len(lines) == 501


def test_synth_kakaopay_options_reach_the_recipe(tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = [
        "synth",
        "kakaopay",
        "--customers",
        "60",
        "--days",
        "1",
        "--out",
        str(out),
        "--start",
        "2020-01-10",
        "--phone-format",
        "e164",
        "--email-case",
        "as-is",
        "--digest-encoding",
        "base64",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    recipe = json.loads((out / "manifest.json").read_text())["recipe"]
    assert (recipe["phone_format"], recipe["email_case"], recipe["encoding"]) == ("e164", "as-is", "base64")
    assert (out / "export/kakaopay_to_alipay_20200110.csv").is_file()


def test_synth_kakaopay_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    result = CliRunner().invoke(app, ["synth", "kakaopay", "--customers", "10", "--out", str(tmp_path)])
    assert result.exit_code == 2
    err = result.stderr
    assert err.count("\n") == 1 and err.startswith("error: ") and "--force" in err
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_synth_kakaopay_bad_values_are_one_line(tmp_path: Path) -> None:
    for extra in (["--phone-format", "e165"], ["--start", "14/05/2024"], ["--days", "0"]):
        result = CliRunner().invoke(app, ["synth", "kakaopay", "--out", str(tmp_path / "n"), *extra])
        assert result.exit_code == 2, extra
        assert result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "n").exists()
