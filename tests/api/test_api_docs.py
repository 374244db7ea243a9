"""docs/python-api.md: every Python block runs, in order, in one namespace."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"
README = Path(__file__).resolve().parents[2] / "README.md"


def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_the_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATACUSTOMS_KEY", secrets.token_hex(32))
    found = blocks()
    assert len(found) >= 7
    namespace: dict[str, object] = {"__name__": "python_api_doc"}
    for index, code in enumerate(found):
        exec(compile(code, f"{DOC.name} block {index + 1}", "exec"), namespace)


def test_the_readme_points_to_it() -> None:
    assert "docs/python-api.md" in README.read_text(encoding="utf-8")
