"""Service fixtures (the helpers live in svc_helpers.py); skipped without the serve extra."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'datacustoms[serve]')")
pytest.importorskip("httpx", reason="the serve extra is not installed (pip install 'datacustoms[serve]')")

from svc_helpers import TEST_KEY, World, make_world, pg_schema_url

from datacustoms.ledger.keys import KEY_ENV


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'service.db'}", f"sqlite:///{tmp_path / 'ledger.db'}")
    yield w
    w.svc.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The same service on SQLite and on PostgreSQL (service tables and ledger in one schema)."""
    if request.param == "sqlite":
        w = make_world(tmp_path, f"sqlite:///{tmp_path / 'service.db'}", f"sqlite:///{tmp_path / 'ledger.db'}")
        yield w
        w.svc.close()
        return
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    for url in pg_schema_url():
        w = make_world(tmp_path, url, url)
        try:
            yield w
        finally:
            w.svc.close()


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One service for the role matrix (read-mostly): a transfer awaiting review and one approved."""
    tmp = tmp_path_factory.mktemp("svc")
    w = make_world(tmp, f"sqlite:///{tmp / 'service.db'}", f"sqlite:///{tmp / 'ledger.db'}")
    yield w
    w.svc.close()
