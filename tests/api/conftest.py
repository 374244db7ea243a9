"""Fixtures for the Python API tests: the policy's key in the environment."""

from __future__ import annotations

import pytest
from api_helpers import KEY


@pytest.fixture()
def env_key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The key the helper policy names (``env:DC_API_TEST_KEY``), set for one test."""
    monkeypatch.setenv("DC_API_TEST_KEY", KEY.hex())
    return KEY
