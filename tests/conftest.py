"""Shared fixtures: the shared reference data beside the repository, a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository (skips when absent)."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return path


@pytest.fixture(scope="session")
def adult_csv(shared_data: Path) -> Path:
    return shared_data / "adult" / "adult.csv"


@pytest.fixture()
def cli() -> CliRunner:
    return CliRunner()
