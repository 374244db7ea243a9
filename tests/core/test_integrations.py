"""The integration examples work: the pre-commit hook, the GitHub Actions workflow, the Airflow tasks."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import typer
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _tables(folder: Path) -> tuple[Path, Path]:
    """A clean table (few categories, large classes) and one with plain SHA-256 phone numbers."""
    clean = folder / "clean.csv"
    clean.write_text("category,size\n" + "".join(f"{'ABC'[i % 3]},{'SML'[i % 2]}\n" for i in range(300)))
    digests = folder / "hashed.csv"
    rows = [f"{hashlib.sha256(f'010{12340000 + i * 7919:08d}'.encode()).hexdigest()},{'AB'[i % 2]}" for i in range(300)]
    digests.write_text("phone_sha256,category\n" + "\n".join(rows) + "\n")
    return clean, digests


def _env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "datacustoms"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m datacustoms "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATACUSTOMS_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path),
               PYTHONPATH=str(ROOT / "src"), DATACUSTOMS_ATTACK_BUDGET="5")
    return env


# -- pre-commit -------------------------------------------------------------------------------------


def _hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return next(h for h in hooks if h["id"] == "datacustoms-inspect")


def test_the_pre_commit_hook_is_well_formed() -> None:
    hook = _hook()
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    for name in ("exports/a.csv", "b.parquet", "c.jsonl", "d.arrow"):
        assert files.search(name), name
    for name in ("setup.py", "README.md", "data.csv.bak"):
        assert not files.search(name), name


@pytest.mark.slow
def test_the_pre_commit_hook_stops_a_commit_with_reversible_digests(tmp_path: Path) -> None:
    clean, hashed = _tables(tmp_path)
    argv = [*shlex.split(_hook()["entry"])]  # pre-commit appends the staged file names

    def commit(*files: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*argv, *map(str, files)], cwd=tmp_path, env=_env(tmp_path),
                              capture_output=True, text=True, timeout=600)

    assert commit(clean).returncode == 0
    both = commit(clean, hashed)
    assert both.returncode == 1, both.stderr
    assert "datacustoms inspect" in both.stdout and "Traceback" not in both.stderr
    missing = commit(clean, tmp_path / "gone.csv")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


# -- GitHub Actions ---------------------------------------------------------------------------------


def _invocations(workflow: dict[str, Any]) -> list[list[str]]:
    """Every ``datacustoms …`` command in the workflow's ``run:`` scripts, as argv (without the name)."""
    found = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                command = re.split(r"\s(?:\|\||&&|;|\|)\s", line.strip())[0]
                if command.startswith("datacustoms "):
                    found.append(shlex.split(command)[1:])
    return found


def _parse(argv: list[str]) -> click.Command:
    """Parse ``argv`` the way the CLI does, without running it: an unknown command or option raises."""
    from datacustoms.cli import app

    command: click.Command = typer.main.get_command(app)
    ctx = command.make_context("datacustoms", list(argv))
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None, name
        command = sub
        ctx = command.make_context(name or "", rest, parent=ctx)
    return command


def test_the_github_actions_workflow_uses_real_commands_and_exit_codes() -> None:
    workflow = yaml.safe_load((DOCS / "integrations" / "github-actions.yml").read_text(encoding="utf-8"))
    assert workflow["name"] and workflow["jobs"]
    assert True in workflow or "on" in workflow  # YAML 1.1 reads `on:` as True
    invocations = _invocations(workflow)
    assert len(invocations) >= 4
    names = {_parse(argv).name for argv in invocations}
    assert {"inspect", "check", "protect", "risk"} <= names
    with pytest.raises(click.UsageError):  # the check can fail
        _parse(["inspect", "x.csv", "--no-such-option"])
    text = (DOCS / "integrations" / "github-actions.yml").read_text(encoding="utf-8")
    assert "-eq 2" in text and "-eq 1" in text  # it reads the exit codes


# -- Airflow / dbt ----------------------------------------------------------------------------------


def _tasks_snippet() -> str:
    text = (DOCS / "integrations.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(b for b in blocks if b.startswith("# datacustoms tasks"))


@pytest.mark.slow
def test_the_airflow_tasks_run_against_a_tiny_table(tmp_path: Path) -> None:
    clean, hashed = _tables(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(_tasks_snippet(), "docs/integrations.md", "exec"), namespace)
    assert "airflow" not in sys.modules
    assert namespace["customs_check"](str(clean), attack_budget=5) == "pass"
    with pytest.raises(RuntimeError, match="R2"):  # R2: a digest that can be reversed
        namespace["customs_check"](str(hashed), attack_budget=5)
    policy = tmp_path / "policy.yaml"
    policy.write_text("recipient: partner\npurpose: analysis\nthresholds: {k: 5}\nquasi_identifiers: [category]\n"
                      "columns:\n  phone_sha256: {action: drop}\n  category: {action: keep}\n")
    out = tmp_path / "safe.parquet"
    assert namespace["customs_protect"](str(hashed), str(policy), str(out), attack_budget=5) == str(out)
    assert out.is_file()
