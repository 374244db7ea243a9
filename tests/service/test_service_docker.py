"""The Dockerfile and compose file start commands the CLI has, with options ``serve`` knows (no Docker needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import typer.main
import yaml

from datacustoms.cli import app

ROOT = Path(__file__).resolve().parents[2]


def _check(argv: list[str]) -> None:
    """``argv`` names a real command, and each of its options exists and is given a value when it takes one."""
    assert argv[0] == "datacustoms", argv
    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    cmd = group.commands.get(argv[1])
    assert cmd is not None, f"no command {argv[1]!r}"
    options = {o: p for p in cmd.params if isinstance(p, click.Option) for o in p.opts}
    args = iter(argv[2:])
    for arg in args:
        assert arg in options, f"{argv[1]} has no option {arg}"
        if not options[arg].is_flag:
            value = next(args, None)
            assert value is not None and not value.startswith("--"), f"{arg} needs a value"


def test_the_dockerfile_cmd_is_a_real_cli_command() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmds = re.findall(r"^CMD (\[.*\])$", text, flags=re.M)
    assert len(cmds) == 1
    _check(json.loads(cmds[0]))


def test_the_compose_services_run_real_cli_commands() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "api", "worker"} <= set(services)
    for name in ("api", "worker"):
        argv = services[name]["command"]
        _check(argv)
        assert "--queue" in argv and argv[argv.index("--queue") + 1].startswith("redis://")
        assert argv[argv.index("--database") + 1].startswith("postgresql+psycopg://")
    assert "--worker-only" in services["worker"]["command"] and "--no-worker" in services["api"]["command"]
