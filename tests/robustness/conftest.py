"""The robustness world, built once per session with its own keystore and ledger."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import KEY, KEY_ENV, build


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("world")
    home = root / "home"
    home.mkdir(mode=0o700)
    env = {
        KEY_ENV: KEY,
        "DATACUSTOMS_KEYSTORE": str(home / "keystore.json"),
        "DATACUSTOMS_LEDGER": str(home / "ledger.db"),
    }
    saved = {name: os.environ.get(name) for name in [*env, "DATACUSTOMS_LEDGER_KEY"]}
    os.environ.update(env)
    os.environ.pop("DATACUSTOMS_LEDGER_KEY", None)
    try:
        yield build(root)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
