"""One shared Spark session (``local[2]``) for the whole suite, and the small fixtures both engines read.

A session costs several seconds to start, so every Spark test shares this one; the suite skips
cleanly when pyspark or Java is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from spark_fixtures import make_export

SPARK_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
    # the suite's JVM writes no class-data archive into the user's cache (test_spark_classes.py
    # starts JVMs of its own for that)
    "spark.datacustoms.classArchive": "off",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'datacustoms[spark]')")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: Spark needs a JVM")
    from datacustoms.io.spark import session

    yield session("local[2]", SPARK_CONF)


@pytest.fixture(scope="session")
def export_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export as one Parquet file, written in two row groups (so Spark reads two partitions)."""
    path = tmp_path_factory.mktemp("spark-data") / "export.parquet"
    pq.write_table(make_export(), path, row_group_size=300)
    return path
