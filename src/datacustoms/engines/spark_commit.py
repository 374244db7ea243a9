"""What both Spark write paths share: kernels run with failures that name only a column, and a
committed output folder.

A kernel that raises on an executor raises :class:`KernelFailure`, whose text carries the column
and the exception's type and nothing of the data; :func:`raise_job_error` turns the Spark job's
failure into one line. :func:`staged_folder` gives a hidden sibling folder that is renamed onto
the target only when the body finished and ``_SUCCESS`` is there, and is deleted otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.dataset as ds

from datacustoms.engines.spark_task import FAILURE_RE, Step, run_steps
from datacustoms.errors import UsageError
from datacustoms.io.spark import SparkJobError, arrow_schema, spark_schema


def output_schema(steps: Sequence[Step], schema: pa.Schema) -> pa.Schema:
    """The schema the steps produce, found by running them on an empty batch of ``schema``."""
    empty = pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)
    return run_steps(steps, empty).schema


def map_steps(df: Any, steps: Sequence[Step]) -> Any:
    """``df`` through the steps on the executors (``mapInArrow``), with the output schema Spark needs."""
    out = output_schema(steps, arrow_schema(df))
    target = pa.schema([pa.field(f.name, plain_type(f.type)) for f in out])
    frozen = list(steps)

    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            result = run_steps(frozen, batch)
            yield result if result.schema == target else result.cast(target)

    return df.mapInArrow(apply, spark_schema(target))


def plain_type(t: pa.DataType) -> pa.DataType:
    """The Arrow type Spark exchanges for ``t`` (no large or fixed-size variants)."""
    if pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return pa.binary()
    return t


#: Spark's words for a Python worker it stopped after WORKER_IDLE_SECONDS of silence (io/spark.py)
IDLE_RE = re.compile(r"terminated due to idle timeout \(timeout: (\d+) seconds\)")


def raise_job_error(err: BaseException, what: str, outcome: str = "nothing was written") -> NoReturn:
    """Turn a Spark job failure into one clear line, naming the column when a kernel failed."""
    text = str(err)
    found = FAILURE_RE.search(text)
    if found:
        raise SparkJobError(
            f"{what} failed: the kernel for column {found.group(1)!r} raised {found.group(2)} on an executor; "
            f"{outcome}",
            "check that column's values against the policy (try `datacustoms protect --dry-run`)",
        ) from None
    stalled = IDLE_RE.search(text)
    if stalled:
        raise SparkJobError(
            f"{what} failed: a Spark Python worker sent nothing for {stalled.group(1)} s and was stopped "
            f"(Spark's Arrow exchange stalled); {outcome}",
            "run it again; if it recurs, report it with the Spark log",
        ) from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(err).__name__)
    raise SparkJobError(f"{what} failed in Spark ({first[:200]}); {outcome}", "see the Spark log") from None


SUCCESS = "_SUCCESS"


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A hidden sibling of ``target`` to write into; renamed onto ``target`` once the body returned
    with ``_SUCCESS`` written, deleted in every other case (so ``target`` appears whole or not at all)."""
    if target.exists():
        raise UsageError(
            f"{target} already exists", "remove it or choose another output folder (Spark never overwrites)"
        )
    if not target.parent.is_dir():
        raise UsageError(f"output folder {str(target.parent)!r} does not exist", "create it first")
    staging = target.parent / f".{target.name}.spark-{uuid.uuid4().hex[:12]}"
    try:
        yield staging
        if not (staging / SUCCESS).exists():
            raise SparkJobError(f"Spark did not commit {target.name} (no {SUCCESS})", "see the Spark log")
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def count_rows(folder: Path) -> int:
    """Rows in a folder of Parquet files, from their footers (``_SUCCESS`` and hidden files skipped)."""
    return int(ds.dataset(folder, format="parquet").count_rows())


def commit_parquet(df: Any, output: str | os.PathLike[str]) -> int:
    """Write ``df`` with Spark's Parquet writer as a folder that appears complete or not at all; returns rows.

    Local (or mounted) paths: staged in a hidden sibling folder, renamed into place after the
    job committed. URIs (``s3a://``, ``hdfs://``): Spark's committer alone — the job writes
    ``_SUCCESS`` last, and readers must look for it (object stores have no atomic rename).
    """
    text = os.fspath(output)
    if "://" in text:
        try:
            df.write.mode("errorifexists").option("compression", "zstd").parquet(text)
        except Exception as err:
            raise_job_error(err, f"writing {text}")
        return -1
    target = Path(text)
    with staged_folder(target) as staging:
        try:
            df.write.mode("errorifexists").option("compression", "zstd").parquet(str(staging))
        except Exception as err:
            raise_job_error(err, f"writing {target.name}")
        rows = count_rows(staging)
    return rows
