"""The README's command list runs as written, in order, from an empty folder (it cannot drift).

The commands are read from README.md itself (the bash blocks of "What it does") and run by a shell
in a fresh folder with a fresh home (no key, no ledger); each must exit as the list below says.
The attack budget comes from ``DATACUSTOMS_ATTACK_BUDGET`` (docs/configuration.md) to keep the run
short; nothing else is changed.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: the exit code each README command must give, in order (0 pass, 1 a check failed / incomplete)
EXPECTED = [
    ("datacustoms synth kakaopay", 0),
    ("cp ", 0),
    ("datacustoms inspect export.csv", 1),  # the plain-SHA-256 export fails its checks
    ("datacustoms inspect export.csv --format json", 1),
    ("datacustoms attack", 1),  # the recipe is found: digests reversed
    ("datacustoms policy suggest", 0),
    ("datacustoms protect", 0),
    ("datacustoms transfer", 0),
    ("datacustoms ledger lookup", 1),  # hashed IDs cannot be looked up without a subject table
]


def readme_commands(text: str) -> list[str]:
    """The command lines of the bash blocks in the README's "What it does" section."""
    section = text.split("## What it does", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "datacustoms"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m datacustoms "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATACUSTOMS_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", HOME=str(home),
               PYTHONPATH=str(ROOT / "src"), DATACUSTOMS_ATTACK_BUDGET="3", COLUMNS="200")
    return env


def _run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_readme_lists_the_commands_this_test_expects() -> None:
    commands = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) == len(EXPECTED), commands
    for line, (prefix, _) in zip(commands, EXPECTED, strict=True):
        assert line.startswith(prefix), (line, prefix)


@pytest.mark.slow
def test_the_readme_commands_run_as_written(tmp_path: Path, shell_env: dict[str, str]) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    commands = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    for line, (_, code) in zip(commands, EXPECTED, strict=True):
        if line.startswith("datacustoms protect"):  # first the run without a key: one line, how to make one
            bare = _run(line.split(" --create-key")[0].split("#")[0], work, shell_env)
            assert bare.returncode == 2, bare.stderr
            assert bare.stderr.count("\n") == 1 and "keys create default" in bare.stderr
            assert "--create-key" in bare.stderr and "Traceback" not in bare.stderr
        done = _run(line, work, shell_env)
        assert done.returncode == code, f"{line}\nexit {done.returncode}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr
    policy = (work / "policy.yaml").read_text(encoding="utf-8")
    assert "\nrecord:\n" in policy and "pseudonym_purpose:" in policy and "# DEMO" in policy
    assert (work / "report.json").stat().st_size > 0
    assert (work / "safe.parquet").is_file()
    assert "<html" in (work / "transfer.html").read_text(encoding="utf-8").lower()
    assert (Path(shell_env["HOME"]) / ".config" / "datacustoms" / "keystore.json").is_file()


def test_the_suggested_record_template_passes_the_transfer_terms(tmp_path: Path) -> None:
    import pyarrow as pa

    from datacustoms.ledger.terms import DEMO_MARK, load_transfer_policy, record_template, term_checks
    from datacustoms.policy import dump_policy
    from datacustoms.protect.suggest import suggest_policy
    from datacustoms.table import from_arrow

    rows = 200
    table = from_arrow(pa.table({
        "customer_id": [f"C{i:05d}" for i in range(rows)],
        "phone": [f"010-{1000 + i:04d}-{5000 + i:04d}" for i in range(rows)],
        "age": [20 + i % 40 for i in range(rows)],
        "plan": ["ABC"[i % 3] for i in range(rows)],
    }))
    suggestion = suggest_policy(table, k=5, key="keystore:default", policy_dir=tmp_path)
    path = tmp_path / "policy.yaml"
    path.write_text(dump_policy(suggestion.policy) + record_template(suggestion.policy), encoding="utf-8")
    assert DEMO_MARK in path.read_text(encoding="utf-8")
    policy, spec = load_transfer_policy(path)
    checks = term_checks(policy, spec, subject_columns=[])
    assert checks and all(c.status == "pass" for c in checks), [c.as_dict() for c in checks]
    assert spec.korea is not None and spec.korea.pseudonym_purpose and spec.korea.destruction
    assert {c.rule for c in checks} >= {"R27", "R34"}  # the role test and the Korean pseudonym record


def test_create_key_refuses_an_environment_key_in_one_line(tmp_path: Path, shell_env: dict[str, str]) -> None:
    (tmp_path / "t.csv").write_text("a\n1\n")
    (tmp_path / "p.yaml").write_text("recipient: r\npurpose: p\nkey: env:SOME_KEY\ncolumns:\n  a: {action: keep}\n")
    done = _run("datacustoms protect t.csv --policy p.yaml -o out.parquet --create-key", tmp_path, shell_env)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "env:SOME_KEY" in done.stderr and "Traceback" not in done.stderr
