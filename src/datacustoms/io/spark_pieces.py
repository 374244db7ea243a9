"""A local Parquet source read on Spark's executors by pyarrow: one task per piece of row groups.

Spark's own Parquet reader decodes every value into the JVM's rows and converts them back to
Arrow for each ``mapInArrow``: for the Spark engine's stages, whose work is all in Arrow kernels,
that round trip costs more than the work (``docs/scaling.md``). For a local (or mounted) Parquet
file or folder each task here reads its own row groups with pyarrow, in the embedded reader's
bounded batches, and hands them straight to the stage's function: the rows never enter the JVM.
Spark still schedules the tasks (one per piece), retries a failed one, and shuffles and groups
what they return.

Only columns whose Arrow type pyarrow reads exactly as Spark hands it to ``mapInArrow`` are
covered, in every file; a stage that needs another column goes through Spark's reader.

This module runs on the executors too: it imports pyarrow and nothing of the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from datacustoms.table import BATCH_ROWS

ArrowFunction = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]

#: a piece holds whole row groups up to this many compressed bytes (Spark's own file split size,
#: ``spark.sql.files.maxPartitionBytes``), fewer where the source would give a task slot fewer
#: than :data:`PIECES_PER_SLOT` pieces (so the last wave leaves few cores idle)
MAX_PIECE_BYTES = 128 << 20
PIECES_PER_SLOT = 4
#: but never less than this (Spark's ``openCostInBytes``): a task has a fixed cost of its own
MIN_PIECE_BYTES = 4 << 20


@dataclass(frozen=True)
class Piece:
    """Whole row groups of one file: what one task reads, and the source's row it starts at."""

    path: str
    row_groups: tuple[int, ...]
    #: the piece's first row in the source's order (files in the dataset's order, row groups in
    #: each file's), as the embedded reader streams it
    start: int


@dataclass(frozen=True)
class ParquetPieces:
    """A local Parquet source as pieces for the executors, and the columns they read as Spark would."""

    pieces: tuple[Piece, ...]
    #: the columns pyarrow reads with the type Spark gives them, in every file
    schema: pa.Schema

    def reads(self, columns: Sequence[str]) -> bool:
        """True when every one of ``columns`` can be read by pyarrow on the executors."""
        names = set(self.schema.names)
        return all(c in names for c in columns)

    def map_in_arrow(
        self, spark: Any, function: ArrowFunction, schema: Any, columns: Sequence[str], *, dictionary: bool = False
    ) -> Any:
        """``function`` over ``columns`` of every row, a task per piece: a DataFrame of its output.

        What ``df.select(*columns).mapInArrow(function, schema)`` gives, with the rows read by
        the task itself. Spark's range of piece numbers, one per partition, is all the JVM holds.
        ``dictionary``: text columns stored dictionary-encoded in every page of a piece reach
        ``function`` as Arrow dictionaries, as stored (a group-by over codes never decodes the
        text; the function must turn them back into text in what it returns).
        """
        read = pa.schema([self.schema.field(c) for c in columns])
        pieces = self.pieces

        def run(numbers: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            return function(
                batch
                for piece in piece_numbers(pieces, numbers)
                for batch in read_piece(piece, read, stored_dictionaries(piece, read) if dictionary else ())
            )

        return self.map_pieces(spark, run, schema)

    def map_pieces(self, spark: Any, function: ArrowFunction, schema: Any) -> Any:
        """``function`` over the numbers of the pieces (a partition each, read by the function itself)."""
        # the piece list travels with the task (Spark broadcasts a large command once per executor)
        return spark.range(0, len(self.pieces), 1, len(self.pieces)).mapInArrow(function, schema)


def piece_numbers(pieces: Sequence[Piece], numbers: Iterator[pa.RecordBatch]) -> Iterator[Piece]:
    """The pieces whose numbers arrive (a task's partition of Spark's range)."""
    for batch in numbers:
        for number in batch.column(0).to_pylist():
            yield pieces[number]


def read_piece(piece: Piece, schema: pa.Schema, dictionary: Sequence[str] = ()) -> Iterator[pa.RecordBatch]:
    """The piece's rows, in ``schema`` (the ``dictionary`` columns as Arrow dictionaries), in
    bounded batches.

    As the embedded reader reads a file: no row group's buffers kept (``pre_buffer``), each
    column's pages through a 1 MiB buffer, one thread (a Spark task has one core).
    """
    import pyarrow.parquet as pq

    source = pq.ParquetFile(
        piece.path, pre_buffer=False, buffer_size=1 << 20, read_dictionary=list(dictionary) or None
    )
    fields = [f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in dictionary else f for f in schema]
    target = pa.schema(fields)
    for read in source.iter_batches(
        batch_size=BATCH_ROWS, row_groups=list(piece.row_groups), columns=schema.names, use_threads=False
    ):
        # Spark's nullability and no file metadata, as Spark's reader would hand them
        yield pa.RecordBatch.from_arrays(read.columns, schema=target)


def stored_dictionaries(piece: Piece, schema: pa.Schema) -> list[str]:
    """The text columns of ``schema`` stored dictionary-encoded in every data page of the piece
    (read as dictionaries they cost a fraction of the plain read; elsewhere Arrow would rebuild
    the dictionary value by value)."""
    from datacustoms.io.parquet_pages import dictionary_columns

    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    return dictionary_columns(piece.path, text, piece.row_groups) if text else []


#: the columns a sampled row carries beside its values: its priority and its row number
KEY, ROW = "__sample_key", "__sample_row"


def sample_schema(pieces: ParquetPieces, schema: pa.Schema) -> tuple[pa.Schema, pa.Schema]:
    """(the columns of ``schema`` as the sample's tasks read them, what they return: those, the
    draw :data:`KEY` and the row number :data:`ROW`)."""
    read = pa.schema([pieces.schema.field(c) for c in schema.names])
    return read, sampled_schema(read)


def sampled_schema(read: pa.Schema) -> pa.Schema:
    """What a sample task returns of the columns it reads: those, the draw and the row number."""
    return pa.schema([*read, pa.field(KEY, pa.float64()), pa.field(ROW, pa.int64())])


def sample_task(pieces: Sequence[Piece], schema: pa.Schema, seed: int, below: float) -> ArrowFunction:
    """The function a task runs for :meth:`datacustoms.table.Table.sample` on the executors.

    The embedded sample gives the source's i-th row the i-th draw of ``default_rng(seed)``
    (one 64-bit step per draw) and keeps the rows of the smallest draws. A task returns the rows
    of its pieces whose draw is under ``below`` (:func:`sampled_rows`), with the draw and the row
    number, so the driver can keep the smallest: the very rows, in the very order, the embedded
    engine keeps.
    """

    def run(numbers: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for piece in piece_numbers(pieces, numbers):
            yield from sampled_rows(piece, read_piece(piece, schema), seed, below)

    return run


def sampled_rows(piece: Piece, batches: Iterator[pa.RecordBatch], seed: int, below: float) -> Iterator[pa.RecordBatch]:
    """The rows of ``batches`` (the piece's, in order) whose draw is under ``below``, with their
    draw (:data:`KEY`) and row number (:data:`ROW`). The generator jumps to the piece's first row
    (``advance``: the same draws as the embedded sample's, without drawing the rows before)."""
    import numpy as np

    bits = np.random.PCG64(seed)  # what ``default_rng(seed)`` draws from
    bits.advance(piece.start)
    rng = np.random.Generator(bits)
    row = piece.start
    for batch in batches:
        keys = rng.random(batch.num_rows)
        kept = np.flatnonzero(keys < below)
        if len(kept):
            taken = batch.take(pa.array(kept))
            yield pa.RecordBatch.from_arrays(
                [*taken.columns, pa.array(keys[kept]), pa.array(kept + row, pa.int64())],
                names=[*batch.schema.names, KEY, ROW],
            )
        row += batch.num_rows


def parquet_pieces(dataset: Any, spark_schema: pa.Schema, slots: int) -> ParquetPieces | None:
    """Pieces for a ``pyarrow.dataset`` of Parquet files that Spark reads with ``spark_schema``.

    Row groups are packed, file by file, into pieces of about the source's compressed bytes
    over :data:`PIECES_PER_SLOT` × ``slots`` (Spark's task slots), within [:data:`MIN_PIECE_BYTES`,
    :data:`MAX_PIECE_BYTES`]; a row group is never split. None when no column qualifies or the
    source has no rows (the stage then goes through Spark's reader).
    """
    files = []
    for fragment in dataset.get_fragments():
        meta = fragment.metadata
        groups = [
            (i, _compressed(meta.row_group(i)), meta.row_group(i).num_rows)
            for i in range(meta.num_row_groups)
            if meta.row_group(i).num_rows
        ]
        files.append((fragment.path, fragment.physical_schema, groups))
    covered = [
        f
        for f in spark_schema
        if all(f.name in physical.names and physical.field(f.name).type == f.type for _, physical, _ in files)
    ]
    total = sum(size for _, _, groups in files for _, size, _ in groups)
    if not covered or not total:
        return None
    limit = min(MAX_PIECE_BYTES, max(MIN_PIECE_BYTES, -(-total // (PIECES_PER_SLOT * max(1, slots)))))
    pieces: list[Piece] = []
    row = 0
    for path, _, groups in files:
        current: list[int] = []
        size = start = 0
        for number, bytes_, rows in groups:
            if current and size + bytes_ > limit:
                pieces.append(Piece(path, tuple(current), start))
                current, size = [], 0
            if not current:
                start = row
            current.append(number)
            size += bytes_
            row += rows
        if current:
            pieces.append(Piece(path, tuple(current), start))
    return ParquetPieces(tuple(pieces), pa.schema(covered))


def _compressed(group: Any) -> int:
    return sum(group.column(i).total_compressed_size for i in range(group.num_columns))


def map_rows(
    df: Any, function: ArrowFunction, schema: Any, columns: Sequence[str] | None = None,
    pieces: ParquetPieces | None = None,
) -> Any:  # fmt: skip
    """``df.select(*columns).mapInArrow(function, schema)``; read by pyarrow on the executors
    (:meth:`ParquetPieces.map_in_arrow`) when ``pieces`` cover the columns."""
    columns = list(df.columns) if columns is None else list(columns)
    if pieces is not None and pieces.reads(columns):
        return pieces.map_in_arrow(df.sparkSession, function, schema, columns)
    return (df if columns == list(df.columns) else df.select(*columns)).mapInArrow(function, schema)
