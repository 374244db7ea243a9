"""Fixtures for the protect tests: a small synthetic export with a SHA-256 phone column."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest


@pytest.fixture()
def master_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture()
def env_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A random key in DC_TEST_KEY; returns the policy reference."""
    monkeypatch.setenv("DC_TEST_KEY", secrets.token_hex(32))
    return "env:DC_TEST_KEY"


@pytest.fixture()
def adult_dir(shared_data: Path) -> Path:
    path = shared_data / "adult"
    if not (path / "adult.csv").is_file():
        pytest.skip("adult.csv is not in ../shared/data/adult")
    return path
