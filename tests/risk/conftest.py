"""Shared fixtures for the risk tests: the UCI Adult table (ARX's copy) from the shared folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import datacustoms
from datacustoms.table import Table

ADULT = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "adult" / "adult.csv"


@pytest.fixture(scope="session")
def adult_path() -> Path:
    if not ADULT.exists():
        pytest.skip("the shared UCI Adult data set is not available")
    return ADULT


@pytest.fixture(scope="session")
def adult(adult_path: Path) -> Table:
    return datacustoms.read(adult_path)


@pytest.fixture(scope="session")
def adult_df(adult_path: Path) -> pd.DataFrame:
    return pd.read_csv(adult_path, sep=";", dtype=str, keep_default_na=False)
