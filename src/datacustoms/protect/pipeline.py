"""``protect_table``: stream a Table through a policy's plan into an atomically written file.

Two passes when the policy has quasi-identifiers: first the class histogram over the
*generalised* QI values (one DuckDB group-by; it gives the predicted k and, with suppression,
the small classes to drop), then the write pass. Nothing is written in a dry run, and nothing is
left behind when any batch fails: the output goes to a temporary file that is renamed into place
only after the last batch (:func:`datacustoms.io.atomic.atomic_path`).

:func:`prepare` does everything up to the first output row (check, key, plan, class counts);
:func:`protect_table` streams its batches to a file and :func:`protect_arrow` collects them in
memory (the Python API's ``datacustoms.protect(df, policy)``). Kept columns keep their type; from a
CSV source, whose columns are all text, they take the type every value fits
(:mod:`datacustoms.io.infer`), and protected columns stay text.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import pyarrow as pa
from pydantic import BaseModel, Field, PrivateAttr

from datacustoms.errors import UsageError
from datacustoms.io.atomic import atomic_path
from datacustoms.io.infer import cast_batch, cast_columns, infer_types
from datacustoms.io.prefetch import prefetch
from datacustoms.policy import KEYED_ACTIONS, Policy, ShiftDates
from datacustoms.protect.histogram import (
    ClassStats,
    GroupedInputs,
    class_histogram,
    class_stats,
    pregroupable,
    small_class_keys,
)
from datacustoms.protect.operators.common import Kernel
from datacustoms.protect.operators.suppress import Suppression, check_cap, suppress_kernel
from datacustoms.protect.plan import Plan, build_plan
from datacustoms.protect.writer import OutputWriter
from datacustoms.table import Table

#: worker threads that transform batches while the main thread reads and writes
WORKERS = min(4, os.cpu_count() or 1)
OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


class StepInfo(BaseModel):
    column: str
    action: str
    detail: str = ""


class ProtectResult(BaseModel):
    """What ``protect`` did (or, in a dry run, would do). Holds no value from the data and no key."""

    input: str
    output: str | None = None
    format: Literal["parquet", "csv"] | None = None
    dry_run: bool = False
    recipient: str
    purpose: str
    recipient_country: str | None = None
    legal_basis: str | None = None
    role: str | None = None
    rows_in: int
    rows_out: int | None = None
    suppressed_rows: int = 0
    suppressed_share: float = 0.0
    qi: list[str] = Field(default_factory=list)
    k_required: int
    k_before: int | None = Field(default=None, description="smallest class over the raw QIs")
    k_after: int | None = Field(default=None, description="smallest class over the generalised QIs, after suppression")
    classes_after: int | None = None
    steps: list[StepInfo] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list)
    key_id: str | None = Field(default=None, description="ID of the master key (never the key)")
    derived_key_ids: dict[str, str] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    _kept_rows: list[pa.BooleanArray] | None = PrivateAttr(default=None)

    @property
    def meets_k(self) -> bool:
        return not self.qi or (self.k_after is not None and self.k_after >= self.k_required)

    @property
    def kept_rows(self) -> list[pa.BooleanArray] | None:
        """Per input batch, the rows suppression kept (asked for with ``keep_rows``; None when
        nothing was suppressed or it was not asked for). Never serialised."""
        return self._kept_rows


def output_format(path: str | os.PathLike[str]) -> Literal["parquet", "csv"]:
    """Parquet or CSV, by the output's extension."""
    suffix = Path(path).suffix.lower()
    fmt = OUTPUT_FORMATS.get(suffix)
    if fmt is None:
        raise UsageError(
            f"cannot tell the output format from {Path(path).name!r}",
            "name the output .parquet or .csv",
        )
    return "parquet" if fmt == "parquet" else "csv"


def load_master_key(
    policy: Policy, keystore: str | os.PathLike[str] | None, column_names: list[str] | None = None
) -> tuple[bytes, str, str] | None:
    """The policy's master key, its ID and source (``env`` or ``keystore``), validated (R5)."""
    if not policy.needs_key() or policy.key is None:
        return None
    from datacustoms.protect import keys

    master = keys.resolve_master_key(policy.key, keystore=keystore, column_names=column_names or ())
    return master.material, master.id, master.source


def _audit(policy: Policy, keystore: str | os.PathLike[str] | None, result: ProtectResult) -> None:
    """R20: record the pseudonymisation (who, when, purpose, rows, key IDs) in the keystore's log."""
    from datacustoms.protect import keys

    keyed = [s.column for s in result.steps if s.action in KEYED_ACTIONS]
    keys.Keystore(keystore).audit.append(
        "protect",
        recipient=policy.recipient,
        purpose=policy.purpose,
        key=policy.key,
        key_id=result.key_id,
        derived_key_ids=result.derived_key_ids,
        columns=keyed,
        rows=result.rows_out,
        output=Path(result.output).name if result.output else None,
    )


def resolve_key(
    policy: Policy,
    keystore: str | os.PathLike[str] | None,
    column_names: list[str],
    master_key: bytes | None,
) -> tuple[bytes | None, str | None, str | None]:
    """The master key to use, its ID and its source (None when the caller passed the bytes)."""
    key_id = key_source = None
    if master_key is None:
        loaded = load_master_key(policy, keystore, column_names)
        if loaded is not None:
            master_key, key_id, key_source = loaded
    elif policy.needs_key():
        from datacustoms.protect import crypto

        key_id = crypto.key_id(master_key)
    return master_key, key_id, key_source


def audit_if_keyed(
    policy: Policy, keystore: str | os.PathLike[str] | None, key_source: str | None, result: ProtectResult
) -> None:
    """R20: log the pseudonymisation when the key came from a keystore (or one was named)."""
    if key_source == "keystore" or (key_source is not None and keystore is not None):
        _audit(policy, keystore, result)


def qi_inputs(policy: Policy, qi: Sequence[str]) -> list[str]:
    """The QI columns plus the columns their kernels read (a date shift's subject)."""
    needed = list(qi)
    for name in qi:
        act = policy.action_for(name)
        if isinstance(act, ShiftDates) and act.subject not in needed:
            needed.append(act.subject)
    return needed


def read_columns(policy: Policy, plan: Plan, columns: Sequence[str]) -> list[str]:
    """The source columns the write needs: the output's, the QIs (counted as read) and the subjects
    date shifts read. A dropped column no kernel reads is not read at all."""
    needed = {*plan.output_columns, *plan.qi}
    needed |= {act.subject for c in columns if isinstance(act := policy.action_for(c), ShiftDates)}
    return [c for c in columns if c in needed]


def keyed_columns(plan: Plan) -> tuple[str, ...]:
    """Columns whose output is keyed and random (pseudonyms, tokens): written plain, uncompressed."""
    return tuple(s.column for s in plan.steps if s.action in ("pseudonymize", "tokenize"))


def suppression_position(plan: Plan) -> int:
    """Where suppression goes among the plan's steps: right after the last QI rewrite, so the
    class keys are computed on generalised QIs (and before any later step or the drop)."""
    qi = set(plan.qi)
    return max(i for i, s in enumerate(plan.steps) if s.column in qi) + 1 if plan.qi_kernels() else 0


@dataclass
class Measured:
    """The class statistics before and after the QI rewrite, and where suppression goes."""

    before: ClassStats | None = None
    after: ClassStats | None = None
    notes: list[str] = field(default_factory=list)
    #: (position among the plan's steps, kernel): suppress right after the QI rewrite
    suppression: tuple[int, Kernel] | None = None


def measure_classes(
    policy: Policy,
    plan: Plan,
    *,
    dry_run: bool,
    raw_histogram: Callable[[], pa.Table],
    protected_histogram: Callable[[], pa.Table],
) -> Measured:
    """k before and after the plan, the suppression cap (R14) and the suppression kernel.

    An engine passes how it counts classes (DuckDB over batches, or Spark ``groupBy``); the
    decisions taken on the counts are the same for every engine.
    """
    qi = list(plan.qi)
    measured = Measured()
    if not qi:
        return measured
    k = policy.thresholds.k
    suppress = policy.suppression is not None
    measured.before = class_stats(raw_histogram(), k, suppress=False)
    hist = protected_histogram()
    after = measured.after = class_stats(hist, k, suppress=suppress)
    if suppress and policy.suppression is not None and after.suppressed_rows:
        if dry_run:
            share = after.suppressed_rows / after.rows if after.rows else 0.0
            if share > policy.suppression.max_share:
                measured.notes.append(
                    f"suppression would remove {share:.1%} of the records, above the cap of "
                    f"{policy.suppression.max_share:.1%}: protect will refuse"
                )
        else:
            check_cap(after.suppressed_rows, after.rows, policy.suppression.max_share, k)
        measured.suppression = (suppression_position(plan), suppress_kernel(qi, small_class_keys(hist, qi, k)))
    return measured


def build_result(
    policy: Policy,
    plan: Plan,
    measured: Measured,
    *,
    input: str,
    output: str | None,
    format: Literal["parquet", "csv"] | None,
    dry_run: bool,
    rows_in: int,
    key_id: str | None,
) -> ProtectResult:
    """The :class:`ProtectResult` of a run (``rows_out`` is set after the write)."""
    before, after = measured.before, measured.after
    return ProtectResult(
        input=input,
        output=output,
        format=format,
        dry_run=dry_run,
        recipient=policy.recipient,
        purpose=policy.purpose,
        recipient_country=policy.recipient_country,
        legal_basis=policy.legal_basis,
        role=policy.role,
        rows_in=rows_in,
        suppressed_rows=after.suppressed_rows if after else 0,
        suppressed_share=round(after.suppressed_rows / after.rows, 6) if after and after.rows else 0.0,
        qi=list(plan.qi),
        k_required=policy.thresholds.k,
        k_before=before.k if before else None,
        k_after=after.k_after if after else None,
        classes_after=(after.classes - after.suppressed_classes) if after else None,
        steps=[StepInfo(column=s.column, action=s.action, detail=s.detail) for s in plan.steps],
        dropped=list(plan.dropped),
        key_id=key_id,
        derived_key_ids=dict(plan.key_ids),
        notes=measured.notes,
    )


def _qi_stream(table: Table, plan: Plan, policy: Policy) -> Iterator[pa.RecordBatch]:
    """Batches of the generalised QI columns only (plus what their kernels read)."""
    qi = list(plan.qi)
    needed = qi_inputs(policy, qi)
    kernels = plan.qi_kernels()
    for batch in table.batches(needed):
        for kernel in kernels:
            batch = kernel(batch)
        yield batch.select(qi)


def _empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)


def _apply(kernels: list[Kernel], batch: pa.RecordBatch) -> pa.RecordBatch:
    for kernel in kernels:
        batch = kernel(batch)
    return batch


T = TypeVar("T")


def mapped(
    batches: Iterator[pa.RecordBatch], step: Callable[[pa.RecordBatch], T], *, workers: int = WORKERS
) -> Iterator[T]:
    """``step`` over the batches, in order, with a few batches in flight on worker threads.

    Arrow compute, the native HMAC and the Parquet reader and writer release the GIL, so reading
    batch n+1, transforming batch n and compressing batch n-1 overlap. At most ``2 × workers``
    batches are held, whatever the table's size. An error in any batch is raised here, in order.
    """
    if workers <= 1:
        for batch in batches:
            yield step(batch)
        return
    pending: deque[Future[T]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="protect") as pool:
        try:
            for batch in batches:
                pending.append(pool.submit(step, batch))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


Step = Callable[[pa.RecordBatch], tuple[pa.RecordBatch, pa.BooleanArray | None]]


def recording_step(kernels: list[Kernel], suppression: tuple[int, Kernel] | None, keep_rows: bool) -> Step:
    """One batch through the kernels; with ``keep_rows`` also the rows suppression kept."""
    position, suppress = suppression if suppression is not None else (len(kernels), None)
    if suppress is None or not keep_rows or not isinstance(suppress, Suppression):
        chain = list(kernels) if suppress is None else [*kernels[:position], suppress, *kernels[position:]]
        return lambda batch: (_apply(chain, batch), None)
    keeper = suppress
    before, after = kernels[:position], kernels[position:]

    def step(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, pa.BooleanArray | None]:
        batch = _apply(before, batch)
        keep = keeper.keep(batch)
        return _apply(after, batch.filter(keep)), keep

    return step


@dataclass
class Prepared:
    """A policy fitted to one table, before any output row exists: what :func:`protect_table` writes
    and what an in-memory caller (:func:`protect_arrow`) collects.

    ``result`` is filled as the batches stream (``rows_in``, ``rows_out``); call :meth:`finish`
    after the last batch to log a keyed run (R20).
    """

    table: Table
    policy: Policy
    plan: Plan
    measured: Measured
    result: ProtectResult
    keystore: str | os.PathLike[str] | None = None
    key_source: str | None = None
    #: casts applied after the plan (kept columns of a text source given their type)
    casts: list[Kernel] = field(default_factory=list)
    #: ``progress(label, fraction)`` told after each batch written: the share of the input's rows read
    progress: Callable[[str, float], None] | None = None

    @property
    def keyed(self) -> tuple[str, ...]:
        """Columns whose output is keyed and random (pseudonyms, tokens)."""
        return keyed_columns(self.plan)

    @property
    def kept(self) -> list[str]:
        """Output columns the policy sends unchanged (``keep``), in output order."""
        return [c for c in self.plan.output_columns if self.policy.action_for(c).action == "keep"]

    @property
    def untyped(self) -> bool:
        """The source gives every column as text (a CSV): kept columns may take a type."""
        return self.table.format == "csv"

    def type_kept(self) -> None:
        """Give kept columns of a text source their type, from one pass over those columns only.

        Protected columns stay text; a column any value of which does not fit a type stays text
        (:func:`datacustoms.io.infer.infer_types`).
        """
        kept = self.kept
        if not self.untyped or not kept:
            return
        types = infer_types(self.table.batches(kept), kept)
        if types:
            self.casts.append(lambda batch: cast_batch(batch, types))

    def step(self, keep_rows: bool = False) -> Step:
        """One batch through the plan, suppression and the casts (with ``keep_rows``, the rows kept)."""
        inner = recording_step(list(self.plan.kernels), self.measured.suppression, keep_rows)
        if not self.casts:
            return inner
        casts = self.casts

        def step(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, pa.BooleanArray | None]:
            out, keep = inner(batch)
            return _apply(casts, out), keep

        return step

    def batches(self, *, keep_rows: bool = False) -> Iterator[tuple[pa.RecordBatch, pa.BooleanArray | None]]:
        """The protected batches, in order, each with the rows suppression kept (with ``keep_rows``);
        counts the rows read and written into ``result``."""
        self.result.rows_in = self.result.rows_out = 0
        total, label = self.table.num_rows_hint, f"protecting {self.table.name}"
        for batch, keep in mapped(prefetch(self._counted()), self.step(keep_rows), workers=WORKERS):
            self.result.rows_out += batch.num_rows
            if self.progress is not None and total:
                self.progress(label, min(self.result.rows_in / total, 1.0))
            yield batch, keep

    def _counted(self) -> Iterator[pa.RecordBatch]:
        for batch in self._source():
            self.result.rows_in += batch.num_rows
            yield batch

    def _source(self) -> Iterator[pa.RecordBatch]:
        """The input batches; pseudonym columns that no other step reads come as Arrow
        dictionaries where the file stores them so (every data page), and are keyed once per
        distinct value of a batch (:func:`~datacustoms.protect.operators.pseudonymize.pseudonymize_values`:
        the same pseudonyms as row by row)."""
        # string only: Arrow reads a stored dictionary's values as ``string``, which would turn a
        # ``large_string`` column's pseudonyms into ``string``
        only_keyed = [
            c
            for c in self.pseudonymized
            if c not in qi_inputs(self.policy, list(self.plan.qi)) and self.table.schema.field(c).type == pa.string()
        ]
        columns = self.table.column_names
        read = read_columns(self.policy, self.plan, columns)
        wanted = read if len(read) < len(columns) else None
        if only_keyed and self.table.open_dictionary is not None:
            stream = self.table.open_dictionary(only_keyed, wanted, stored_only=True)
            if stream is not None:
                return stream
        return self.table.batches(wanted)

    @property
    def pseudonymized(self) -> list[str]:
        """Columns whose only step is ``pseudonymize`` (no date shift reads them in clear)."""
        subjects = {
            a.subject for a in map(self.policy.action_for, self.table.column_names) if isinstance(a, ShiftDates)
        }
        return [s.column for s in self.plan.steps if s.action == "pseudonymize" and s.column not in subjects]

    def empty(self) -> pa.RecordBatch:
        """A batch of no rows with the output schema (an empty table still has columns)."""
        return self.step()(_empty_batch(self.table.schema))[0]

    def finish(self) -> None:
        audit_if_keyed(self.policy, self.keystore, self.key_source, self.result)


def prepare(
    table: Table,
    policy: Policy,
    *,
    keystore: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    master_key: bytes | None = None,
    output: str | os.PathLike[str] | None = None,
    format: Literal["parquet", "csv"] | None = None,
) -> Prepared:
    """Check the policy against ``table``, load the key, build the plan and measure the classes.

    Raises before any output exists when the policy does not fit the table, a key is missing, or
    suppression would exceed its cap (unless ``dry_run``, which notes it instead).
    """
    policy.check_columns(table.column_names)
    master_key, key_id, key_source = resolve_key(policy, keystore, table.column_names, master_key)
    plan = build_plan(policy, table.column_names, master_key)
    qi = list(plan.qi)
    inputs = qi_inputs(policy, qi)
    if qi and pregroupable(table.schema, inputs):  # the table read once for both histograms
        schema = pa.schema([table.schema.field(c) for c in inputs])
        grouped = GroupedInputs(table.batches(inputs), schema, qi, plan.qi_kernels())
        raw_histogram, protected_histogram = grouped.raw, grouped.protected
    else:
        raw_histogram = lambda: class_histogram(table.batches(qi), qi)  # noqa: E731
        protected_histogram = lambda: class_histogram(_qi_stream(table, plan, policy), qi)  # noqa: E731
    measured = measure_classes(
        policy, plan, dry_run=dry_run, raw_histogram=raw_histogram, protected_histogram=protected_histogram
    )
    # without QIs the row count comes from the write pass (a CSV would otherwise be read twice)
    rows_in = measured.after.rows if measured.after is not None else (table.num_rows if dry_run else 0)
    result = build_result(
        policy,
        plan,
        measured,
        input=table.source,
        output=None if dry_run or output is None else str(output),
        format=format,
        dry_run=dry_run,
        rows_in=rows_in,
        key_id=key_id,
    )
    return Prepared(table, policy, plan, measured, result, keystore, key_source)


def protect_table(
    table: Table,
    policy: Policy,
    output: str | os.PathLike[str] | None,
    *,
    keystore: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    master_key: bytes | None = None,
    keep_rows: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> ProtectResult:
    """Apply ``policy`` to ``table`` and write ``output`` (Parquet or CSV) atomically.

    ``master_key`` overrides the policy's ``key`` (for library callers holding key bytes).
    Raises before anything is written when the policy does not fit the table, a key is missing,
    or suppression would exceed its cap. With ``keep_rows`` the result also says which input
    rows suppression kept (:attr:`ProtectResult.kept_rows`). Rotating pseudonym keys use the
    caller's epoch (:func:`datacustoms.protect.rotation.release_epoch`), else today's and a fresh
    transfer id. ``progress(label, fraction)`` hears the share of the input's rows protected, batch
    by batch, when the table knows its row count.
    """
    from datacustoms.protect.rotation import release_epoch

    with release_epoch(keep=True):
        return _protect_table(table, policy, output, keystore=keystore, dry_run=dry_run, master_key=master_key,
                              keep_rows=keep_rows, progress=progress)  # fmt: skip


def _protect_table(
    table: Table,
    policy: Policy,
    output: str | os.PathLike[str] | None,
    *,
    keystore: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    master_key: bytes | None = None,
    keep_rows: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> ProtectResult:
    policy.check_columns(table.column_names)
    fmt = output_format(output) if output is not None else None
    if not dry_run and output is None:
        raise UsageError("no output path", "pass -o OUTPUT.parquet or --dry-run")
    prepared = prepare(
        table, policy, keystore=keystore, dry_run=dry_run, master_key=master_key, output=output, format=fmt
    )
    if dry_run or output is None:
        return prepared.result
    if fmt == "parquet":  # a CSV output keeps the text as exported
        prepared.type_kept()
    prepared.progress = progress
    kept = _write(prepared, output, fmt or "parquet", keep_rows)
    if keep_rows and prepared.measured.suppression is not None:
        prepared.result._kept_rows = kept
    prepared.finish()
    return prepared.result


def _write(
    prepared: Prepared, output: str | os.PathLike[str], fmt: str, keep_rows: bool
) -> list[pa.BooleanArray]:
    """The write pass: every batch into ``output`` atomically; per batch, the rows suppression
    kept (when ``keep_rows``)."""
    kept: list[pa.BooleanArray] = []
    with atomic_path(output) as tmp:
        writer = OutputWriter(tmp, fmt, prepared.keyed)
        try:
            for batch, keep in prepared.batches(keep_rows=keep_rows):
                writer.write(batch)
                if keep is not None:
                    kept.append(keep)
            if writer.schema is None:  # an empty table still gets a file with the output schema
                writer.write(prepared.empty())
        finally:
            writer.close()
    return kept


def protect_arrow(
    table: Table,
    policy: Policy,
    *,
    keystore: str | os.PathLike[str] | None = None,
    master_key: bytes | None = None,
) -> tuple[pa.Table, ProtectResult]:
    """Apply ``policy`` to ``table`` in memory: the protected rows as one Arrow table, no file.

    Rotating pseudonym keys use the caller's epoch, else today's (as :func:`protect_table`).
    """
    from datacustoms.protect.rotation import release_epoch

    with release_epoch(keep=True):
        prepared = prepare(table, policy, keystore=keystore, master_key=master_key)
    batches = [batch for batch, _ in prepared.batches()] or [prepared.empty()]
    schema = batches[0].schema
    out = pa.Table.from_batches([b if b.schema == schema else b.cast(schema) for b in batches])
    if out.schema.metadata and b"pandas" in out.schema.metadata:  # describes the input's columns, not these
        out = out.replace_schema_metadata({k: v for k, v in out.schema.metadata.items() if k != b"pandas"} or None)
    kept = prepared.kept
    if prepared.untyped and kept:  # the rows are in memory already: no second pass over the source
        out = cast_columns(out, infer_types(out.select(kept).to_batches(), kept))
    prepared.finish()
    return out, prepared.result


def protect(
    source: Any,
    policy: Policy | str | os.PathLike[str],
    output: str | os.PathLike[str] | None,
    *,
    keystore: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    master_key: bytes | None = None,
    **read_options: Any,
) -> ProtectResult:
    """The library entry point: ``source`` is anything :func:`datacustoms.read` takes, ``policy`` a
    :class:`~datacustoms.policy.Policy` or the path of a policy YAML file."""
    from datacustoms.io import read
    from datacustoms.policy import load_policy

    table = source if isinstance(source, Table) else read(source, **read_options)
    spec = policy if isinstance(policy, Policy) else load_policy(Path(policy))
    return protect_table(table, spec, output, keystore=keystore, dry_run=dry_run, master_key=master_key)
