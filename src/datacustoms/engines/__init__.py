"""Execution engines: ``embedded`` (pyarrow + DuckDB in this process) and ``spark`` (Apache Spark).

Both run the same row kernels and derive the same figures from the same group-by histogram; the
Spark engine only changes *where* batches are transformed and groups are counted.
"""

from __future__ import annotations

from collections.abc import Sequence

from datacustoms.errors import UsageError

ENGINES = ("embedded", "spark")
DEFAULT_SPARK_MASTER = "local[*]"


def check_engine(engine: str) -> str:
    """The engine name, validated (``--engine embedded|spark``)."""
    name = engine.strip().lower()
    if name not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", "use --engine embedded or --engine spark")
    return name


def parse_spark_conf(items: Sequence[str] | None, engine: str) -> dict[str, str]:
    """``--spark-conf KEY=VALUE`` options as settings for the session, checked before Spark starts.

    A value may be a credential (``spark.hadoop.fs.s3a.secret.key=…``), so errors name the key only.
    """
    conf: dict[str, str] = {}
    for item in items or ():
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not value or not key.startswith("spark."):
            raise UsageError(
                f"--spark-conf {key!r} is not KEY=VALUE with a spark.* key",
                "e.g. --spark-conf spark.driver.maxResultSize=8g",
            )
        conf[key] = value
    if conf and check_engine(engine) != "spark":
        raise UsageError("--spark-conf applies to the Spark engine only", "add --engine spark, or drop --spark-conf")
    return conf


def start_spark(master: str, conf: dict[str, str]) -> None:
    """Start this process's Spark session with the user's settings; later calls reuse it."""
    from datacustoms.engines.spark import session

    session(master, conf)


def is_spark_dataframe(obj: object) -> bool:
    """True for a ``pyspark.sql.DataFrame`` (classic or Connect), detected without importing pyspark."""
    module = type(obj).__module__ or ""
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"
