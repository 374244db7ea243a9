"""Configuration: CLI > environment > file > built-in defaults; a bad setting is one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datacustoms.config import SETTINGS, find_config_file, load_config
from datacustoms.errors import ConfigError
from datacustoms.model.thresholds import Thresholds

SRC = Path(__file__).resolve().parents[2] / "src"


def test_the_file_is_found_upward_and_pyproject_without_a_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.datacustoms]\nk = 7\n")
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config_file(inner) == tmp_path / "pyproject.toml"
    assert load_config(inner, environ={}).thresholds().k == 7
    (inner / "datacustoms.toml").write_text("k = 9\nmax_average_risk = 0.05\nledger = 'l.db'\n")
    config = load_config(inner, environ={})
    assert config.file == inner / "datacustoms.toml"
    limits = config.thresholds()
    assert (limits.k, limits.avg_risk, limits.max_risk) == (9, 0.05, Thresholds().max_risk)
    assert config.get("ledger") == str(inner / "l.db")  # relative to the file


def test_precedence_cli_then_environment_then_file_then_default(tmp_path: Path) -> None:
    (tmp_path / "datacustoms.toml").write_text("k = 9\nmax_risk = 0.2\nmax_average_risk = 0.1\nattack_budget = 5\n")
    env = {"DATACUSTOMS_MAX_RISK": "0.3", "DATACUSTOMS_MAX_AVERAGE_RISK": "0.15"}
    config = load_config(tmp_path, environ=env)
    limits = config.thresholds(avg_risk=0.01)
    assert limits.k == 9  # file
    assert limits.max_risk == 0.3  # environment over file
    assert limits.avg_risk == 0.01  # option over both
    assert limits.l == Thresholds().l  # built-in
    assert config.get("attack_budget", None, 30.0) == 5.0
    assert config.get("attack_budget", 2.0, 30.0) == 2.0
    assert load_config(Path("/"), environ={}).thresholds() == Thresholds()  # no file: built-in defaults


def test_every_threshold_is_settable() -> None:
    fields = {s.threshold for s in SETTINGS.values() if s.threshold}
    assert fields == set(Thresholds.model_fields)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("k = 'five'\n", {}, "k in"),
        ("kk = 3\n", {}, "unknown setting 'kk'"),
        ("[oops\n", {}, "not valid TOML"),
        ("", {"DATACUSTOMS_MAX_AVERAGE_RISK": "2"}, "max_average_risk in environment variable"),
        ("", {"DATACUSTOMS_CONFIG": "/no/such/file.toml"}, "DATACUSTOMS_CONFIG names"),
    ],
)
def test_a_bad_setting_is_a_config_error(tmp_path: Path, text: str, env: dict[str, str], expected: str) -> None:
    (tmp_path / "datacustoms.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ=env)
    assert expected in caught.value.one_line()
    assert "\n" not in caught.value.one_line()


def _cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATACUSTOMS_")}
    full = {**clean, "PYTHONPATH": str(SRC), "HOME": str(cwd), **env}
    return subprocess.run([sys.executable, "-m", "datacustoms", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=300)


def _limits(report: Path) -> tuple[str, str]:
    checks = json.loads(report.read_text())["checks"]
    r11 = next(c["message"] for c in checks if c["rule"] == "R11")
    r10 = next(c["message"] for c in checks if c["rule"] == "R10" and "threshold" in c["message"])
    return r10, r11


def test_the_cli_takes_thresholds_from_file_environment_and_option(tmp_path: Path) -> None:
    rows = ["zip,age,sex"] + [f"{100 + i % 7},{20 + i % 11},{'MF'[i % 2]}" for i in range(200)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "pyproject.toml").write_text("[tool.datacustoms]\nk = 3\nmax_average_risk = 0.5\n")
    done = _cli(["inspect", "t.csv", "--no-attack", "--format", "json", "-o", "a.json"], tmp_path)
    assert done.returncode in (0, 1), done.stderr
    r10, r11 = _limits(tmp_path / "a.json")
    assert "(threshold 3)" in r10 and "(limit 0.5)" in r11
    done = _cli(["inspect", "t.csv", "--no-attack", "--format", "json", "-o", "b.json"], tmp_path,
                DATACUSTOMS_MAX_AVERAGE_RISK="0.25")
    assert "(limit 0.25)" in _limits(tmp_path / "b.json")[1]
    done = _cli(["inspect", "t.csv", "--no-attack", "--format", "json", "-o", "c.json", "--max-average-risk", "0.125"],
                tmp_path, DATACUSTOMS_MAX_AVERAGE_RISK="0.25")
    assert "(limit 0.125)" in _limits(tmp_path / "c.json")[1]
    (tmp_path / "pyproject.toml").write_text("[tool.datacustoms]\nmax_risk = 7\n")
    done = _cli(["inspect", "t.csv", "--no-attack"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "max_risk in" in done.stderr and "pyproject.toml" in done.stderr
