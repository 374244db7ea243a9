"""The protected output's writer, shared by the embedded pipeline and the Spark tasks.

A module of its own (pyarrow's Parquet and CSV writers only) so that a Spark worker that writes
its part imports little.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def output_stream(path: str | os.PathLike[str]) -> pa.NativeFile:
    """An Arrow stream that writes ``path`` from its start: for the Parquet, CSV and IPC writers.

    An existing empty file (the temporary one :func:`~datacustoms.io.atomic.atomic_path` makes)
    is opened without truncating it. On ext4, closing a file that was truncated starts the
    writeback of all its pages at once (``auto_da_alloc``), on the writer's thread: closing a
    360 MB protect output opened by path took 0.02-0.18 s at the end of the run, against none
    this way. Renaming the file onto an existing target still flushes it first, which is the case
    that rule is for. Any other path is created or truncated as usual.
    """
    try:
        fresh = os.stat(path).st_size == 0
    except FileNotFoundError:
        fresh = False
    # "a" opens O_APPEND without O_TRUNC; on an empty file every write lands where "w" would
    return pa.OSFile(os.fspath(path), "a" if fresh else "w")


def _leaf_paths(schema: pa.Schema) -> list[str]:
    """The Parquet leaf column paths of ``schema``, as pyarrow's writer names them (one empty
    file written in memory: list and map leaves have names Arrow does not show)."""
    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink)
    parquet_schema = pq.ParquetFile(pa.BufferReader(sink.getvalue())).schema
    return [parquet_schema.column(i).path for i in range(len(parquet_schema))]


#: rows a first batch needs before its distinct values decide a column's dictionary
JUDGE_ROWS = 10_000


def _mostly_distinct(batch: pa.RecordBatch, leaves: list[str]) -> set[str]:
    """The top-level columns among ``leaves`` with more distinct values than half the batch's
    rows (none when the batch is too small to tell)."""
    if batch.num_rows < JUDGE_ROWS:
        return set()
    names = set(batch.schema.names)
    out = set()
    for leaf in leaves:
        column = batch.column(leaf) if leaf in names else None
        if column is None or pa.types.is_dictionary(column.type) or pa.types.is_nested(column.type):
            continue  # a struct's field, a list, or already a dictionary: left as the writer does
        try:
            if pc.count_distinct(column).as_py() > batch.num_rows // 2:
                out.add(leaf)
        except pa.ArrowNotImplementedError:  # a type count_distinct does not take keeps its dictionary
            continue
    return out


class OutputWriter:
    """Parquet or CSV writer opened on the first batch; later batches are cast to its schema.

    Keyed columns (pseudonyms, tokens) are all distinct and random: dictionary encoding and
    min/max statistics only cost time there, so they are off for those columns, and they are
    stored ``PLAIN`` and uncompressed. Hex text holds 4 bits per byte, which only an entropy
    coder recovers; measured on 10 M 128-bit hex pseudonyms (one writer thread, CPU-seconds):
    none 0.32 s, 360 MB; zstd level 1 over ``DELTA_LENGTH_BYTE_ARRAY`` 0.76 s, 161 MB; snappy
    1.33 s and lz4 0.90 s, which find nothing to compress (322 and 344 MB). Uncompressed pages
    save about 0.4 of the ~2.1 CPU-s a 10 M-row protect took with zstd, for a file about twice
    as large; the values and their type are the same, and every Parquet reader reads ``PLAIN``
    uncompressed pages. The other columns keep zstd level 1 and statistics, and a dictionary
    unless the first batch (of at least :data:`JUDGE_ROWS` rows) shows more distinct values than
    half its rows: a row group of 65,536 amounts of money then held a dictionary of 65,536 entries
    (it stays under the 1 MiB at which the writer gives up), which cost 0.2 of the 0.9 CPU-s that
    writing 2 M rows of seven columns took, for a larger file (86 MB against 83). Writing each
    batch as it comes (one row group per input batch) measured no slower than gathering ~1 M-row
    groups, and keeps the stages in step.
    """

    def __init__(self, path: Path, fmt: str, high_entropy: tuple[str, ...] = ()) -> None:
        self.path, self.fmt = path, fmt
        self.high_entropy = high_entropy
        self.schema: pa.Schema | None = None
        self._w: Any = None
        self._sink: pa.NativeFile | None = None

    def _open_parquet(self, first: pa.RecordBatch) -> Any:
        # per-column options name Parquet leaf columns (``s.x`` for a struct's field), and a
        # column left out of the codec map would go uncompressed
        keyed = set(self.high_entropy)
        leaves = _leaf_paths(first.schema)
        plain = [p for p in leaves if p not in keyed]
        scattered = _mostly_distinct(first, plain)
        return pq.ParquetWriter(
            self._sink,
            first.schema,
            compression={p: ("none" if p in keyed else "zstd") for p in leaves},
            compression_level={p: 1 for p in plain} or None,
            use_dictionary=[p for p in plain if p not in scattered],
            write_statistics=plain,
        )

    def write(self, batch: pa.RecordBatch) -> None:
        if self._w is None:
            self.schema = batch.schema
            self._sink = output_stream(self.path)
            if self.fmt == "parquet":
                self._w = self._open_parquet(batch)
            else:
                self._w = pacsv.CSVWriter(self._sink, batch.schema)
        elif batch.schema != self.schema:
            batch = batch.cast(self.schema)
        if self.fmt == "parquet":
            self._w.write_batch(batch)
        else:
            self._w.write(batch)

    def close(self) -> None:
        try:
            if self._w is not None:
                self._w.close()
                self._w = None
        finally:
            if self._sink is not None:
                self._sink.close()
                self._sink = None
