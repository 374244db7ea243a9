"""``read``: turn a path, a SQL URL or an in-memory frame into a :class:`Table`.

Formats are chosen by ``format=`` or recognised from magic bytes and the file extension.
Every reader streams record batches; nothing reads a whole large file into Python objects.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.json as pajson
import pyarrow.parquet as pq

from datacustoms.errors import (
    DatacustomsError,
    InputError,
    UnsupportedFormat,
    did_you_mean,
    forget_reader_errors,
    from_exception,
    remember_reader_error,
)
from datacustoms.io.csv import read_csv
from datacustoms.io.parquet_pages import dictionary_columns
from datacustoms.io.spark import is_spark_dataframe, read_spark
from datacustoms.io.targets import check_input_file
from datacustoms.table import BATCH_ROWS, Table, from_arrow

FORMATS = ("csv", "parquet", "jsonl", "ipc", "sql")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".arrow": "ipc", ".feather": "ipc", ".ipc": "ipc",
}  # fmt: skip


def read(
    source: Any,
    *,
    format: str | None = None,
    table: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    name: str | None = None,
) -> Table:
    """Open ``source`` as a Table.

    ``source`` is a file path, a SQLAlchemy URL (with ``table=``), an in-memory pandas /
    polars / pyarrow object (anything with the Arrow PyCapsule interface), or a
    ``pyspark.sql.DataFrame`` (read through :mod:`datacustoms.io.spark`).
    """
    if isinstance(source, Table):
        return source
    if is_spark_dataframe(source):  # duck-typed: pyspark is imported only when one is passed
        return read_spark(source, name=name)
    if not isinstance(source, str | os.PathLike):
        return _from_memory(source, name or "table")
    text = os.fspath(source)
    if format == "sql" or "://" in text:
        from datacustoms.io.sql import read_sql

        return read_sql(text, table=table, name=name)
    path = Path(text)
    if not path.exists():
        raise InputError(f"{text} does not exist", "check the path")
    check_input_file(path)  # a FIFO would block forever, a device never ends
    forget_reader_errors()
    try:
        return guarded(_read_path(path, format, encoding, delimiter, name))
    except DatacustomsError:
        raise
    except Exception as err:  # a library's error while opening: one line, never its text
        ours = from_exception(err, path)
        if ours is None:
            raise
        raise ours from None


def guarded(table: Table) -> Table:
    """The table, its batch streams translating library errors (and remembering reader errors).

    A reader's error may surface inside DuckDB or Arrow, which wrap it in their own exception;
    remembering it lets the command report the reader's one line instead.
    """
    source = table.source

    def guard(stream: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        try:
            yield from stream
        except DatacustomsError as err:
            remember_reader_error(err)
            raise
        except Exception as err:
            ours = from_exception(err, source)
            if ours is None:
                raise
            remember_reader_error(ours)
            raise ours from None

    opener, column_opener = table.open_batches, table.open_columns
    table.open_batches = lambda: guard(opener())
    if column_opener is not None:
        table.open_columns = lambda columns: guard(column_opener(columns))
    if (dictionary_opener := table.open_dictionary) is not None:

        def guarded_dictionary(
            dictionary: list[str], columns: list[str] | None = None, *, stored_only: bool = False
        ) -> Iterator[pa.RecordBatch] | None:
            try:  # reading the page headers may meet a damaged file first
                batches = dictionary_opener(dictionary, columns, stored_only=stored_only)
            except DatacustomsError:
                raise
            except Exception as err:
                if (ours := from_exception(err, source)) is None:
                    raise
                raise ours from None
            return None if batches is None else guard(batches)

        table.open_dictionary = guarded_dictionary
    return table


def _read_path(path: Path, format: str | None, encoding: str | None, delimiter: str | None, name: str | None) -> Table:
    if path.is_dir():
        return _read_parquet_dir(path, name)
    fmt = format or guess_format(path)
    if fmt not in FORMATS:
        raise UnsupportedFormat(f"unknown format {fmt!r}.{did_you_mean(fmt, FORMATS)}", f"use one of {FORMATS}")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty", "export the table again")
    if fmt == "csv":
        return read_csv(path, encoding=encoding, delimiter=delimiter, name=name)
    if fmt == "parquet":
        return _read_parquet(path, name)
    if fmt == "ipc":
        return _read_ipc(path, name)
    return _read_jsonl(path, name)


def guess_format(path: Path) -> str:
    """Magic bytes first (Parquet, Arrow IPC), then the extension, then CSV."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"ARROW1"):
        return "ipc"
    suffixes = [s.lower() for s in path.suffixes]
    for suffix in reversed(suffixes):
        if suffix in EXTENSIONS:
            return EXTENSIONS[suffix]
    return "csv"


def _read_parquet(path: Path, name: str | None) -> Table:
    try:
        meta = pq.ParquetFile(path)
        schema = meta.schema_arrow
        rows = meta.metadata.num_rows
    except (pa.ArrowException, OSError) as err:
        raise _library(err, path, "not a readable Parquet file (damaged or truncated)") from None

    # pre_buffer (pyarrow's default) keeps every row group's buffers cached until the reader is
    # closed, so memory would grow with the file: 2.3 GB for a 2 GB file where 0.2 GB suffice.
    def open_batches() -> Iterator[pa.RecordBatch]:
        yield from pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=BATCH_ROWS)

    def open_columns(columns: list[str]) -> Iterator[pa.RecordBatch]:
        yield from pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=BATCH_ROWS, columns=columns)

    def open_dictionary(
        dictionary: list[str], columns: list[str] | None = None, *, stored_only: bool = False
    ) -> Iterator[pa.RecordBatch] | None:
        text = [c for c in dictionary if _is_text(schema.field(c).type)]
        wanted = dictionary_columns(path, text) if stored_only and text else text
        if not wanted:
            return None
        reader = pq.ParquetFile(path, pre_buffer=False, read_dictionary=wanted)
        return reader.iter_batches(batch_size=BATCH_ROWS, columns=columns)

    return Table(
        name=name or path.stem,
        schema=schema,
        open_batches=open_batches,
        source=str(path),
        format="parquet",
        num_rows_hint=rows,
        duckdb_scan=f"read_parquet({_sql_literal(str(path))})",
        open_columns=open_columns,
        open_dictionary=open_dictionary,
    )


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_binary(arrow_type)
        or pa.types.is_large_binary(arrow_type)
    )


def _read_parquet_dir(path: Path, name: str | None) -> Table:
    import pyarrow.dataset as ds  # here: importing it imports pandas, which a single file never needs

    try:
        dataset = ds.dataset(path, format="parquet")
    except (pa.ArrowException, OSError) as err:
        raise _library(err, path, "not a folder of readable Parquet files") from None
    if not dataset.files:
        raise InputError(f"{path} holds no Parquet files", "pass a file or a folder of .parquet files")

    scan = ds.ParquetFragmentScanOptions(pre_buffer=False)  # as for one file: memory stays flat

    def open_batches() -> Iterator[pa.RecordBatch]:
        yield from dataset.to_batches(batch_size=BATCH_ROWS, fragment_scan_options=scan)

    def open_columns(columns: list[str]) -> Iterator[pa.RecordBatch]:
        yield from dataset.to_batches(batch_size=BATCH_ROWS, columns=columns, fragment_scan_options=scan)

    return Table(
        name=name or path.name,
        schema=dataset.schema,
        open_batches=open_batches,
        source=str(path),
        format="parquet",
        duckdb_scan=f"read_parquet({_sql_literal(str(path / '**' / '*.parquet'))})",
        open_columns=open_columns,
    )


def _read_ipc(path: Path, name: str | None) -> Table:
    def open_file() -> Any:
        try:
            return ipc.open_file(path)
        except pa.ArrowInvalid:
            return ipc.open_stream(path)

    try:
        first = open_file()
    except (pa.ArrowException, OSError) as err:
        raise _library(err, path, "not a readable Arrow IPC / Feather file") from None
    schema = first.schema

    def open_batches() -> Iterator[pa.RecordBatch]:
        reader = open_file()
        if isinstance(reader, ipc.RecordBatchFileReader):
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)
        else:
            yield from reader

    return Table(name=name or path.stem, schema=schema, open_batches=open_batches, source=str(path), format="ipc")


_NOT_AN_OBJECT = re.compile(rb"\n[ \t\r]*([^{ \t\r\n])")
_SCAN_BYTES = 8 << 20


def check_json_lines(path: Path) -> None:
    """Every non-blank line must start an object: pyarrow's reader crashes the process (a
    segmentation fault, pyarrow 26) on a first line of ``null``, and other values are not records."""
    newlines, tail = 0, b"\n"  # tail: the previous chunk's unfinished blank line start, as context
    with path.open("rb") as fh:
        first = True
        while chunk := fh.read(_SCAN_BYTES):
            if first and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8):]
            first = False
            data = tail + chunk
            found = _NOT_AN_OBJECT.search(data)
            if found is not None:
                line = newlines + data.count(b"\n", len(tail), found.start(1)) + 1
                raise InputError(f"{path.name}: line {line} is not a JSON object", "JSON Lines hold one object per line")
            newlines += chunk.count(b"\n")
            last = data.rfind(b"\n")
            rest = data[last:]
            tail = rest if rest.strip(b" \t\r\n") == b"" else b"x"


def _read_jsonl(path: Path, name: str | None) -> Table:
    check_json_lines(path)

    def open_reader() -> Any:
        return pajson.open_json(path, read_options=pajson.ReadOptions(block_size=8 << 20))

    try:
        schema = open_reader().schema
    except pa.ArrowException as err:
        raise _library(err, path, "not JSON Lines") from None

    def open_batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from open_reader()
        except pa.ArrowException as err:
            raise _library(err, path, "not valid JSON Lines") from None

    return Table(name=name or path.stem, schema=schema, open_batches=open_batches, source=str(path), format="jsonl")


def _from_memory(obj: Any, name: str) -> Table:
    """pyarrow objects directly; pandas, polars and others through the Arrow PyCapsule interface."""
    if isinstance(obj, pa.Table | pa.RecordBatch | pa.RecordBatchReader):
        return from_arrow(obj, name)
    if hasattr(obj, "__arrow_c_stream__"):
        return from_arrow(pa.table(obj), name)
    if hasattr(obj, "to_arrow"):  # older polars
        return from_arrow(obj.to_arrow(), name)
    raise InputError(
        f"cannot read an object of type {type(obj).__name__}",
        "pass a path, a SQL URL, or a pandas / polars / pyarrow table",
    )


def _library(err: BaseException, path: Path, problem: str) -> DatacustomsError:
    """A reader's library error as one line: an OS error as such, else ``problem`` (never its text)."""
    if isinstance(err, OSError) and not isinstance(err, pa.ArrowException) and err.errno is not None:
        return from_exception(err, path) or InputError(f"{path.name}: {problem}", "check the file")
    location = from_exception(err, path)
    detail = location.message.rsplit("(", 1)[1].rstrip(")") if location and "(line" in location.message else ""
    suffix = f" ({detail})" if detail.startswith(("line", "row")) else ""
    return InputError(f"{path.name}: {problem}{suffix}", "check the file, or export it again")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
