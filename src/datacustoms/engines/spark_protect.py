"""``protect`` on Spark: the same ``build_plan`` kernels through ``mapInArrow``, committed as a folder.

The embedded pipeline's two passes map onto Spark directly:

1. the class histograms (raw and generalised quasi-identifiers) are a ``mapInArrow`` that turns
   the QI columns into text (after the QI kernels) followed by a ``groupBy().count()``; the
   small tables come back to the driver, which computes k and the suppression keys with the
   embedded functions (:mod:`datacustoms.protect.histogram`);
2. the write pass is one ``mapInArrow`` applying the plan's kernels (with the suppression kernel
   where the embedded pipeline puts it) and Spark's Parquet writer.

Commit: the job writes into a hidden sibling folder (``.<name>.spark-<id>``) through Spark's
file-output committer (task output is promoted only when its task commits, ``_SUCCESS`` is
written only when the job commits) and the folder is renamed onto the target only after the job
succeeded. A kernel that raises on any partition fails the job; the staging folder is deleted,
so no output, partial or complete, ever appears under the target's name. An existing target is
refused (Spark's ``errorifexists``).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from datacustoms.errors import UsageError
from datacustoms.io.infer import cast_batch, fitting_candidates, merge_candidates
from datacustoms.io.spark import (
    DEFAULT_SPARK_MASTER,
    SparkJobError,
    SparkTable,
    arrow_schema,
    frame,
    reads_as_text,
    source_name,
    spark_schema,
)
from datacustoms.policy import KEYED_ACTIONS, Policy
from datacustoms.protect import crypto
from datacustoms.protect.histogram import COUNT
from datacustoms.protect.keys import find_key_material
from datacustoms.protect.operators.common import Kernel, as_text
from datacustoms.protect.pipeline import (
    ProtectResult,
    audit_if_keyed,
    build_result,
    measure_classes,
    qi_inputs,
    resolve_key,
)
from datacustoms.protect.plan import build_plan

#: the marker a failing kernel's exception carries from an executor back to the driver
FAILURE = "datacustoms-kernel-failure"
_FAILURE_RE = re.compile(FAILURE + r"\[column=(.*?)\]\[error=(\w+)\]")

Step = tuple[str, Kernel]


class KernelFailure(RuntimeError):
    """Raised on an executor: names the column and the error type, never a value from the data."""

    def __init__(self, column: str, error: BaseException) -> None:
        super().__init__(f"{FAILURE}[column={column}][error={type(error).__name__}]")


def run_steps(steps: Sequence[Step], batch: pa.RecordBatch) -> pa.RecordBatch:
    """Apply ``(column, kernel)`` steps; a failure names its column (and nothing of the data)."""
    for column, kernel in steps:
        try:
            batch = kernel(batch)
        except Exception as err:
            raise KernelFailure(column, err) from None
    return batch


def output_schema(steps: Sequence[Step], schema: pa.Schema) -> pa.Schema:
    """The schema the steps produce, found by running them on an empty batch of ``schema``."""
    empty = pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)
    return run_steps(steps, empty).schema


def map_steps(df: Any, steps: Sequence[Step]) -> Any:
    """``df`` through the steps on the executors (``mapInArrow``), with the output schema Spark needs."""
    out = output_schema(steps, arrow_schema(df))
    target = pa.schema([pa.field(f.name, _plain(f.type)) for f in out])
    frozen = list(steps)

    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            result = run_steps(frozen, batch)
            yield result if result.schema == target else result.cast(target)

    return df.mapInArrow(apply, spark_schema(target))


def _plain(t: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return pa.binary()
    return t


def raise_job_error(err: BaseException, what: str) -> None:
    """Turn a Spark job failure into one clear line, naming the column when a kernel failed."""
    text = str(err)
    found = _FAILURE_RE.search(text)
    if found:
        raise SparkJobError(
            f"{what} failed: the kernel for column {found.group(1)!r} raised {found.group(2)} on an executor; "
            "nothing was written",
            "check that column's values against the policy (try `datacustoms protect --dry-run`)",
        ) from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(err).__name__)
    raise SparkJobError(f"{what} failed in Spark ({first[:200]}); nothing was written", "see the Spark log") from None


# ---------------------------------------------------------------------------------- histograms


def _text_steps(qi: Sequence[str]) -> list[Step]:
    def to_text(batch: pa.RecordBatch) -> pa.RecordBatch:
        cols = [pc.cast(as_text(batch.column(c)), pa.string()) for c in qi]
        return pa.RecordBatch.from_arrays(cols, names=list(qi))

    return [("(quasi-identifiers)", to_text)]


def spark_class_histogram(df: Any, qi: Sequence[str], steps: Sequence[Step] = ()) -> pa.Table:
    """``qi`` (as text, after ``steps``) plus ``__n``: one row per class, counted by Spark ``groupBy``.

    The same table :func:`datacustoms.protect.histogram.class_histogram` builds with DuckDB.
    """
    from pyspark.sql import functions as F

    texts = map_steps(df, [*steps, *_text_steps(qi)])
    try:
        return texts.groupBy(*qi).agg(F.count(F.lit(1)).alias(COUNT)).toArrow()
    except Exception as err:
        raise_job_error(err, "the class histogram")
        raise


def raw_class_histogram(df: Any, qi: Sequence[str]) -> pa.Table:
    """Class sizes over the raw QIs, counted by Spark alone (no Python worker).

    Only the sizes are used (k before protection), and grouping the raw values forms the same
    classes as grouping their text (NULL is one group in both), so no conversion is needed.
    """
    from pyspark.sql import functions as F

    return df.groupBy(*qi).agg(F.count(F.lit(1)).alias(COUNT)).select(COUNT).toArrow()


def pregroupable(df: Any, inputs: Sequence[str]) -> bool:
    """True when the QI kernels may run on ``inputs``' distinct rows instead of on every row.

    The plan's kernels are row-wise and deterministic (the embedded pipeline relies on that: its
    histogram pass and its write pass must agree), so equal inputs give equal outputs. Spark's
    ``groupBy`` merges -0.0 with 0.0 and NaNs, which a kernel could tell apart: float inputs
    are not grouped first.
    """
    schema = arrow_schema(df.select(*inputs))
    return COUNT not in inputs and not any(pa.types.is_floating(f.type) for f in schema)


class GroupedHistograms:
    """Both class histograms from one grouping of the raw QI inputs, kept while they are measured.

    Spark groups the QI inputs once (JVM only, a few rows per distinct combination); the raw
    histogram sums those counts over the raw QIs, the protected one runs the QI kernels on the
    grouped rows only (``mapInArrow``) and sums over the generalised classes. The same tables as
    :func:`raw_class_histogram` and :func:`spark_class_histogram`, from one pass over the data.
    """

    def __init__(self, df: Any, qi: Sequence[str], inputs: Sequence[str], steps: Sequence[Step]) -> None:
        from pyspark.sql import functions as F

        self.qi, self.steps = list(qi), list(steps)
        self.grouped = df.groupBy(*inputs).agg(F.count(F.lit(1)).alias(COUNT)).cache()

    def raw(self) -> pa.Table:
        from pyspark.sql import functions as F

        return self.grouped.groupBy(*self.qi).agg(F.sum(COUNT).alias(COUNT)).select(COUNT).toArrow()

    def protected(self) -> pa.Table:
        from pyspark.sql import functions as F

        qi = self.qi

        def to_text(batch: pa.RecordBatch) -> pa.RecordBatch:
            cols = [pc.cast(as_text(batch.column(c)), pa.string()) for c in qi]
            return pa.RecordBatch.from_arrays([*cols, batch.column(COUNT)], names=[*qi, COUNT])

        texts = map_steps(self.grouped, [*self.steps, ("(quasi-identifiers)", to_text)])
        try:
            return texts.groupBy(*qi).agg(F.sum(COUNT).alias(COUNT)).toArrow()
        except Exception as err:
            raise_job_error(err, "the class histogram")
            raise
        finally:
            self.grouped.unpersist()


# ---------------------------------------------------------------------------------- commit


def commit_parquet(df: Any, output: str | os.PathLike[str]) -> int:
    """Write ``df`` as a folder of Parquet files that appears complete or not at all; returns rows.

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
    if target.exists():
        raise UsageError(
            f"{target} already exists", "remove it or choose another output folder (Spark never overwrites)"
        )
    if not target.parent.is_dir():
        raise UsageError(f"output folder {str(target.parent)!r} does not exist", "create it first")
    staging = target.parent / f".{target.name}.spark-{uuid.uuid4().hex[:12]}"
    try:
        try:
            df.write.mode("errorifexists").option("compression", "zstd").parquet(str(staging))
        except Exception as err:
            raise_job_error(err, f"writing {target.name}")
        if not (staging / "_SUCCESS").exists():
            raise SparkJobError(f"Spark did not commit {target.name} (no _SUCCESS)", "see the Spark log")
        rows = int(ds.dataset(staging, format="parquet").count_rows())
        os.replace(staging, target)
        return rows
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ---------------------------------------------------------------------------------- protect


def spark_protect(
    source: Any,
    policy: Policy,
    output: str | os.PathLike[str] | None,
    *,
    master: str = DEFAULT_SPARK_MASTER,
    keystore: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    master_key: bytes | None = None,
) -> ProtectResult:
    """:func:`datacustoms.protect.pipeline.protect_table` on Spark; ``output`` is a Parquet folder.

    ``source`` is a :class:`~datacustoms.io.spark.SparkTable`, a Spark DataFrame, a path Spark
    reads or a catalog table name.
    """
    df = source.frame if isinstance(source, SparkTable) else frame(source, master=master)
    columns = list(df.columns)
    policy.check_columns(columns)
    if not dry_run and output is None:
        raise UsageError("no output path", "pass -o OUTPUT_FOLDER or --dry-run")
    if output is not None and "://" not in os.fspath(output) and Path(output).exists() and not dry_run:
        raise UsageError(
            f"{output} already exists", "remove it or choose another output folder (Spark never overwrites)"
        )
    master_key, key_id, key_source = resolve_key(policy, keystore, columns, master_key)
    plan = build_plan(policy, columns, master_key)
    qi = list(plan.qi)
    qi_steps = [(s.column, s.kernel) for s in plan.steps if s.column in qi]
    inputs = qi_inputs(policy, qi)
    if qi and pregroupable(df, inputs):
        hists = GroupedHistograms(df, qi, inputs, qi_steps)
        raw_histogram, protected_histogram = hists.raw, hists.protected
    else:
        raw_histogram = partial(raw_class_histogram, df, qi)
        protected_histogram = partial(spark_class_histogram, df.select(*inputs), qi, qi_steps)
    measured = measure_classes(
        policy, plan, dry_run=dry_run, raw_histogram=raw_histogram, protected_histogram=protected_histogram
    )
    steps: list[Step] = [(s.column, s.kernel) for s in plan.steps]
    steps.append(("(output columns)", plan.kernels[-1]))
    kept = [c for c in plan.output_columns if policy.action_for(c).action == "keep"]
    types = kept_types(df, kept) if kept and not dry_run and reads_as_text(source) else {}
    if types:  # kept columns of a CSV take their type, as the embedded pipeline gives them
        steps.append(("(types)", partial(cast_batch, types=types)))
    if measured.suppression is not None:
        position, kernel = measured.suppression
        steps.insert(position, ("(suppression)", kernel))
    rows_in = measured.after.rows if measured.after is not None else int(df.count())
    result = build_result(
        policy,
        plan,
        measured,
        input=_input_name(source),
        output=None if dry_run or output is None else os.fspath(output),
        format="parquet",
        dry_run=dry_run,
        rows_in=rows_in,
        key_id=key_id,
    )
    if dry_run or output is None:
        return result
    rows_out = commit_parquet(map_steps(df, steps), output)
    result.rows_out = rows_out if rows_out >= 0 else None
    audit_if_keyed(policy, keystore, key_source, result)
    return result


def kept_types(df: Any, kept: Sequence[str]) -> dict[str, pa.DataType]:
    """The types the ``kept`` text columns can safely take, decided over every partition.

    Each partition runs the embedded :func:`~datacustoms.io.infer.fitting_candidates` on the
    executors and returns, per column, the candidate types all its values fit; the driver keeps
    those every partition agrees on (:func:`~datacustoms.io.infer.merge_candidates`).
    """
    columns = list(kept)

    def fit(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        found = fitting_candidates(batches, columns)
        yield pa.RecordBatch.from_arrays(
            [pa.array(list(found), pa.string()), pa.array([",".join(v) for v in found.values()], pa.string())],
            names=["column", "fits"],
        )

    try:
        rows = df.select(*columns).mapInArrow(fit, "column string, fits string").toArrow()
    except Exception as err:
        raise_job_error(err, "typing the kept columns")
        raise
    names, fits = rows.column("column").to_pylist(), rows.column("fits").to_pylist()
    return merge_candidates({name: f.split(",") if f else []} for name, f in zip(names, fits, strict=True))


def _input_name(source: Any) -> str:
    if isinstance(source, SparkTable):
        return source.source
    return source_name(source) if not isinstance(source, str | os.PathLike) else os.fspath(source)


def spark_key_leaks(df: Any, policy: Policy, master_key: bytes) -> dict[str, int]:
    """R18 on the executors: per column, the cells holding the master key or a key derived from it.

    Each partition runs the embedded :func:`~datacustoms.protect.keys.find_key_material` and
    returns counts only; the driver adds them up.
    """
    keys = [master_key] + [
        crypto.derive_key(master_key, recipient=policy.recipient, purpose=policy.purpose, operation=op)
        for op in sorted(KEYED_ACTIONS)
    ]

    def scan(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        found = find_key_material(batches, keys)
        yield pa.RecordBatch.from_arrays(
            [pa.array(list(found), pa.string()), pa.array(list(found.values()), pa.int64())], names=["column", "n"]
        )

    try:
        rows = df.mapInArrow(scan, "column string, n long").groupBy("column").sum("n").collect()
    except Exception as err:
        raise_job_error(err, "the key-material scan")
        raise
    return {str(r[0]): int(r[1]) for r in rows if r[1]}
