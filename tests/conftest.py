"""Shared fixtures: the shared reference data beside the repository, a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def _spark_sessions_write_no_class_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A Spark session started by a test maps and writes no class-data archive, and nothing the
    tests run touches the user's cache (tests/spark/test_spark_classes.py covers the archive in
    JVMs of its own)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATACUSTOMS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        try:
            import datacustoms.io.spark as spark_io
        except ImportError:
            pass
        else:
            patch.setattr(spark_io, "archive_options", lambda conf, flags: "")
        yield


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
