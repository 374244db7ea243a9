"""Every CLI command and option is documented in docs/cli.md (sqlite-utils' rule)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import typer.main

from datacustoms.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands(group: click.Command, prefix: str = "datacustoms") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    if isinstance(group, click.Group):
        for name, cmd in group.commands.items():
            path = f"{prefix} {name}"
            if isinstance(cmd, click.Group):
                out.extend(_commands(cmd, path))
            else:
                out.append((path, cmd))
    return out


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## ", text, flags=re.M)
    return {p.splitlines()[0].strip().strip("`"): p for p in parts[1:]}


def test_every_command_and_option_is_documented() -> None:
    sections = _sections(DOC.read_text(encoding="utf-8"))
    missing: list[str] = []
    commands = _commands(typer.main.get_command(app))
    assert commands, "the CLI has no commands"
    for path, cmd in commands:
        section = next((body for head, body in sections.items() if head.split(" [")[0].split(" <")[0] == path), None)
        if section is None:
            missing.append(f"section '## {path}'")
            continue
        for param in cmd.params:
            if isinstance(param, click.Option):
                longs = [o for o in param.opts if o.startswith("--")]
                if longs and not any(o in section for o in longs):
                    missing.append(f"{path} {longs[0]}")
            elif isinstance(param, click.Argument) and param.name and param.name.upper() not in section:
                missing.append(f"{path} argument {param.name.upper()}")
    assert not missing, "undocumented in docs/cli.md: " + ", ".join(missing)
