"""``protect`` on Spark: the same ``build_plan`` kernels through ``mapInArrow``, committed as a folder.

A local (or mounted) output takes one Spark job (:mod:`datacustoms.engines.spark_write`): every
task runs the plan's kernels on its partition, writes its Parquet part with the embedded
engine's writer and returns only its row count and class sizes (raw and generalised QIs, as
text); the driver computes k and the suppression keys from those sums with the embedded
functions (:mod:`datacustoms.protect.histogram`). Only when suppression must drop rows does a
second job write the parts again, with the suppression kernel where the embedded pipeline puts
it; a suppression cap that refuses discards the first job's parts, so nothing appears.

A dry run, or an output URI (``s3a://``, ``hdfs://``), counts the classes in jobs of their own
(a ``groupBy`` of the raw QI inputs, the QI kernels on the distinct rows) and writes with one
``mapInArrow`` and Spark's Parquet writer, committed by Spark's file-output committer.

Commit (:mod:`datacustoms.engines.spark_commit`): the job writes into a hidden sibling folder
(``.<name>.spark-<id>``), renamed onto the target only after the job succeeded and ``_SUCCESS``
was written. A kernel that raises on any partition fails the job; the staging folder is deleted,
so no output, partial or complete, ever appears under the target's name. An existing target is
refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from datacustoms.engines.spark_commit import (
    Step,
    commit_parquet,
    count_rows,
    map_steps,
    raise_job_error,
    staged_folder,
)
from datacustoms.engines.spark_task import qi_text
from datacustoms.engines.spark_write import InputCounts, clear_parts, mark_committed, write_parts
from datacustoms.errors import UsageError
from datacustoms.io.infer import cast_batch, fitting_candidates, merge_candidates
from datacustoms.io.spark import (
    DEFAULT_SPARK_MASTER,
    SparkTable,
    arrow_schema,
    frame,
    local_parquet,
    reads_as_text,
    source_name,
    source_pieces,
)
from datacustoms.io.spark_pieces import ParquetPieces, map_rows
from datacustoms.policy import KEYED_ACTIONS, Policy
from datacustoms.protect import crypto
from datacustoms.protect.histogram import COUNT
from datacustoms.protect.histogram import pregroupable as pregroupable_types
from datacustoms.protect.keys import find_key_material
from datacustoms.protect.pipeline import (
    Measured,
    ProtectResult,
    audit_if_keyed,
    build_result,
    keyed_columns,
    measure_classes,
    qi_inputs,
    read_columns,
    resolve_key,
    suppression_position,
)
from datacustoms.protect.plan import Plan, build_plan

__all__ = ["commit_parquet", "map_steps", "spark_key_leaks", "spark_protect"]


# ---------------------------------------------------------------------------------- histograms


def _text_steps(qi: Sequence[str]) -> list[Step]:
    return [("(quasi-identifiers)", qi_text(qi))]


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


def grouped_in_tasks(df: Any, qi: Sequence[str], inputs: Sequence[str]) -> bool:
    """True when the write job's tasks may count the raw QI inputs grouped on their own types
    (:class:`~datacustoms.engines.spark_write.InputCounts`) instead of the text of both class
    histograms: types that group in Arrow exactly as their text does (the embedded engine's
    :func:`~datacustoms.protect.histogram.pregroupable`; Spark's timestamps carry a time zone and
    are not among them), and inputs that are the QIs themselves: a date shift's subject (a value
    per person) would send the driver about a row per person, where the text classes send one
    per class. Tasks that read a local Parquet source themselves read it in Spark's types
    (:class:`~datacustoms.io.spark_pieces.ParquetPieces`), so the kernels the driver runs on the
    grouped rows see the values the tasks' kernels saw."""
    return bool(inputs) and set(inputs) == set(qi) and pregroupable_types(arrow_schema(df), list(inputs))


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

        texts = map_steps(self.grouped, [*self.steps, ("(quasi-identifiers)", qi_text(self.qi, COUNT))])
        try:
            return texts.groupBy(*self.qi).agg(F.sum(COUNT).alias(COUNT)).toArrow()
        except Exception as err:
            raise_job_error(err, "the class histogram")
            raise
        finally:
            self.grouped.unpersist()


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
    reads or a catalog table name. A local (or mounted) output is written in one job that also
    counts the classes (:mod:`datacustoms.engines.spark_write`); a dry run, or a URI output,
    counts the classes first and then writes with Spark's Parquet writer.
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
    steps: list[Step] = [(s.column, s.kernel) for s in plan.steps]
    steps.append(("(output columns)", plan.kernels[-1]))
    kept = [c for c in plan.output_columns if policy.action_for(c).action == "keep"]
    types = kept_types(df, kept) if kept and not dry_run and reads_as_text(source) else {}
    if types:  # kept columns of a CSV take their type, as the embedded pipeline gives them
        steps.append(("(types)", partial(cast_batch, types=types)))
    one_pass = output is not None and not dry_run and "://" not in os.fspath(output)
    read = read_columns(policy, plan, columns)  # a dropped column no kernel reads never leaves the JVM
    written = df.select(*read) if len(read) < len(columns) else df
    rows_out: int | None = None
    if one_pass:
        assert output is not None
        pieces = source.pieces if isinstance(source, SparkTable) else source_pieces(local_parquet(source, df), df)
        measured, rows_in, rows_out = _write_counted(written, policy, plan, steps, Path(output), pieces)
    else:
        measured = _measure(df, policy, plan, dry_run)
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
    if not one_pass:
        committed = commit_parquet(map_steps(written, _with_suppression(steps, measured)), output)
        rows_out = committed if committed >= 0 else None
    result.rows_out = rows_out
    audit_if_keyed(policy, keystore, key_source, result)
    return result


def _with_suppression(steps: Sequence[Step], measured: Measured) -> list[Step]:
    out = list(steps)
    if measured.suppression is not None:
        position, kernel = measured.suppression
        out.insert(position, ("(suppression)", kernel))
    return out


def _measure(df: Any, policy: Policy, plan: Plan, dry_run: bool) -> Measured:
    """The class statistics from Spark ``groupBy`` jobs of their own (dry runs, URI outputs)."""
    qi = list(plan.qi)
    qi_steps = [(s.column, s.kernel) for s in plan.steps if s.column in qi]
    inputs = qi_inputs(policy, qi)
    if qi and pregroupable(df, inputs):
        hists = GroupedHistograms(df, qi, inputs, qi_steps)
        raw_histogram, protected_histogram = hists.raw, hists.protected
    else:
        raw_histogram = partial(raw_class_histogram, df, qi)
        protected_histogram = partial(spark_class_histogram, df.select(*inputs), qi, qi_steps)
    return measure_classes(
        policy, plan, dry_run=dry_run, raw_histogram=raw_histogram, protected_histogram=protected_histogram
    )


def _write_counted(
    df: Any, policy: Policy, plan: Plan, steps: Sequence[Step], target: Path, pieces: ParquetPieces | None
) -> tuple[Measured, int, int]:
    """One job writes the parts and counts the classes; a second writes again only when
    suppression must drop rows (or the cap refuses: then nothing appears under ``target``).
    ``pieces``: the source's row groups, read by pyarrow in the tasks where they cover the columns."""
    keyed = keyed_columns(plan)
    what = f"writing {target.name}"
    inputs = qi_inputs(policy, plan.qi)
    grouped = InputCounts(inputs, plan.qi_kernels()) if grouped_in_tasks(df, plan.qi, inputs) else None
    with staged_folder(target) as staging:
        counted = write_parts(df, steps, staging, position=suppression_position(plan), qi=plan.qi, keyed=keyed,
                              what=what, pieces=pieces, grouped=grouped)  # fmt: skip
        measured = measure_classes(
            policy, plan, dry_run=False, raw_histogram=lambda: counted.raw, protected_histogram=lambda: counted.protected
        )
        if measured.suppression is not None:
            clear_parts(staging)
            write_parts(df, _with_suppression(steps, measured), staging, keyed=keyed, what=what, pieces=pieces)
        mark_committed(staging)
        rows_out = count_rows(staging)
    return measured, counted.rows, rows_out


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


def spark_key_leaks(df: Any, policy: Policy, master_key: bytes, pieces: ParquetPieces | None = None) -> dict[str, int]:
    """R18 on the executors: per column, the cells holding the master key or a key derived from it.

    Each partition runs the embedded :func:`~datacustoms.protect.keys.find_key_material` and
    returns counts only; the driver adds them up. ``pieces``: read by pyarrow in the tasks.
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
        rows = map_rows(df, scan, "column string, n long", None, pieces).groupBy("column").sum("n").collect()
    except Exception as err:
        raise_job_error(err, "the key-material scan")
        raise
    return {str(r[0]): int(r[1]) for r in rows if r[1]}
