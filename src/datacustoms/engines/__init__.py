"""Execution engines: ``embedded`` (pyarrow + DuckDB in this process) and ``spark`` (Apache Spark).

Both run the same row kernels and derive the same figures from the same group-by histogram; the
Spark engine only changes *where* batches are transformed and groups are counted.
"""

from __future__ import annotations

from datacustoms.errors import UsageError

ENGINES = ("embedded", "spark")
DEFAULT_SPARK_MASTER = "local[*]"


def check_engine(engine: str) -> str:
    """The engine name, validated (``--engine embedded|spark``)."""
    name = engine.strip().lower()
    if name not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", "use --engine embedded or --engine spark")
    return name


def is_spark_dataframe(obj: object) -> bool:
    """True for a ``pyspark.sql.DataFrame`` (classic or Connect), detected without importing pyspark."""
    module = type(obj).__module__ or ""
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"
