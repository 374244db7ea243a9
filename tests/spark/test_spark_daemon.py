"""A local session's Python workers import the installed, compiled pyspark, not the copy in Spark's
zip (``datacustoms._spark_daemon``); every other Spark test's tasks run on such workers too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest


@pytest.mark.spark
def test_local_workers_import_the_installed_pyspark(spark: Any) -> None:
    import pyspark

    assert spark.conf.get("spark.python.daemon.module") == "datacustoms._spark_daemon"

    def where(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import py4j
        import pyspark as worker_pyspark

        rows = sum(b.num_rows for b in batches)
        yield pa.RecordBatch.from_pydict(
            {"pyspark": [worker_pyspark.__file__], "py4j": [py4j.__file__], "rows": [rows]}
        )

    found = spark.range(0, 1000, numPartitions=2).mapInArrow(where, "pyspark string, py4j string, rows long")
    rows = found.toArrow().to_pylist()
    assert sum(r["rows"] for r in rows) == 1000
    assert {r["pyspark"] for r in rows} == {pyspark.__file__}  # the driver's own, compiled copy
    assert all(".zip" not in r["py4j"] for r in rows)
