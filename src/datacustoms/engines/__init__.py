"""Execution engines: ``embedded`` (pyarrow + DuckDB in this process) and ``spark`` (Apache Spark).

Both implement :class:`~datacustoms.engines.base.Engine` and run the same row kernels; the
Spark engine only changes *where* batches are transformed and groups are counted. An engine is
chosen once, by name, with :func:`resolve_engine`; the flows take the object it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from datacustoms.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    from datacustoms.engines.base import Engine

DEFAULT_SPARK_MASTER = "local[*]"


def _embedded(master: str, conf: dict[str, str]) -> Engine:
    from datacustoms.engines.embedded import EmbeddedEngine

    return EmbeddedEngine()


def _spark(master: str, conf: dict[str, str]) -> Engine:
    from datacustoms.engines.spark import SparkEngine

    return SparkEngine(master, conf)


#: engine name -> factory ``(spark master, spark settings) -> Engine``; a new engine adds one line
ENGINE_FACTORIES: dict[str, Callable[[str, dict[str, str]], Engine]] = {"embedded": _embedded, "spark": _spark}
ENGINES = tuple(ENGINE_FACTORIES)


def check_engine(engine: str) -> str:
    """The engine name, validated (``--engine embedded|spark``)."""
    name = engine.strip().lower()
    if name not in ENGINE_FACTORIES:
        choices = " or ".join(f"--engine {n}" for n in ENGINE_FACTORIES)
        raise UsageError(f"unknown engine {engine!r}.{did_you_mean(name, ENGINE_FACTORIES)}", f"use {choices}")
    return name


def resolve_engine(
    name: str = "embedded", *, master: str = DEFAULT_SPARK_MASTER, conf: dict[str, str] | None = None
) -> Engine:
    """The engine called ``name``, ready to use (a Spark session is started here, once).

    Raises :class:`~datacustoms.errors.UsageError` for an unknown name and
    :class:`~datacustoms.errors.MissingDependency` (naming the extra to install) when the
    engine's optional packages are missing.
    """
    return ENGINE_FACTORIES[check_engine(name)](master, dict(conf or {}))


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
