"""The robustness world, built once per session (per worker) with its own keystore and ledger.

The world's environment (its keystore, its ledger, the policy's key) is set only while the world
is built and during each robustness test, never for the other tests of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from world import KEY, KEY_ENV, build


@pytest.fixture(scope="session")
def world_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    (root / "home").mkdir(mode=0o700)
    return root


@pytest.fixture(scope="session")
def world_env(world_root: Path) -> dict[str, str]:
    home = world_root / "home"
    return {
        KEY_ENV: KEY,
        "DATACUSTOMS_KEYSTORE": str(home / "keystore.json"),
        "DATACUSTOMS_LEDGER": str(home / "ledger.db"),
    }


@pytest.fixture(scope="session")
def world(world_root: Path, world_env: dict[str, str]) -> dict[str, Path]:
    root = world_root
    with pytest.MonkeyPatch.context() as mp:
        for name, value in world_env.items():
            mp.setenv(name, value)
        mp.delenv("DATACUSTOMS_LEDGER_KEY", raising=False)
        return build(root)


@pytest.fixture(autouse=True)
def _world_environment(world_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in world_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATACUSTOMS_LEDGER_KEY", raising=False)
    yield
