"""CSV: sniff the encoding and delimiter, read every column as text, stream in batches.

Every column is read as a string: phone numbers such as ``01012345678`` and postcodes such as
``04524`` lose their leading zero as integers, and detection needs the text as it was exported.
Encodings tried in order: a BOM, UTF-8, then CP949 (a superset of EUC-KR, the usual encoding of
Korean exports). Ragged rows raise an error that names the line; row content is never echoed.
"""

from __future__ import annotations

import codecs
import csv as pycsv
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from datacustoms.errors import InputError, from_exception
from datacustoms.table import Table

SNIFF_BYTES = 256 * 1024
DELIMITERS = ",;\t|"
BLOCK_SIZE = 2 << 20  # Arrow holds several blocks in flight: 8 MiB blocks cost ~0.5 GB of RSS
#: a record larger than the block is read again with blocks 8× larger, up to this size
MAX_BLOCK_SIZE = 1 << 30
# a single field may be megabytes long (a note, an embedded document): Python's csv module,
# used to name a ragged line, refuses fields over 128 KiB by default
pycsv.field_size_limit(min(sys.maxsize, 2**31 - 1))


#: a column name that is more likely a value: an e-mail, or 6+ digits with separators (a phone, an ID)
_LOOKS_LIKE_DATA = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}|[+(]?[\d][\d\s().-]{5,}")


def sniff_encoding(head: bytes) -> str:
    """The encoding of a CSV from its first bytes: utf-8-sig, utf-8, cp949 — or an InputError."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise InputError("the file holds binary data, not CSV text", "check the path or pass --format")
    for encoding in ("utf-8", "cp949"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputError(
        "the file is neither UTF-8 nor CP949/EUC-KR text",
        "re-export it as UTF-8, or pass --encoding NAME",
    )


def sniff_delimiter(text: str) -> str:
    """The delimiter from the first lines; a single-column file falls back to a comma."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return pycsv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except pycsv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _header(text: str, delimiter: str) -> tuple[list[str], int]:
    """The first non-empty line's fields, and how many physical lines Arrow must skip to pass it.

    Empty lines before the header are skipped (Arrow counts them in ``skip_rows``); taking the
    first line blindly would make the first record the header and shift every column.
    """
    lines = text.split("\n")
    index = next((i for i, line in enumerate(lines) if line.rstrip("\r")), 0)
    row = next(pycsv.reader([lines[index].rstrip("\r")] if lines else [""], delimiter=delimiter), [])
    return [name.strip() for name in row], index + 1


def check_delimiter(delimiter: str | None) -> None:
    """One character that can separate fields: not a quote, a line break or a letter-free blank."""
    if delimiter is None:
        return
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise InputError(
            f"--delimiter must be one character other than a quote or a line break (got {len(delimiter)} characters)"
            if len(delimiter) != 1 else "--delimiter cannot be a quote or a line break",
            "e.g. --delimiter ';' or --delimiter $'\\t'",
        )


def dedupe(names: list[str]) -> tuple[list[str], list[str]]:
    """Unique, non-empty column names (``a``, ``a_2``) and a note for each rename."""
    seen: dict[str, int] = {}
    out: list[str] = []
    notes: list[str] = []
    for i, name in enumerate(names, start=1):
        base = name or f"column_{i}"
        candidate = base
        while candidate in seen:
            seen[base] = seen.get(base, 1) + 1
            candidate = f"{base}_{seen[base]}"
        seen.setdefault(candidate, 1)
        if candidate != name:
            notes.append(f"column {i} header {name!r} renamed to {candidate!r}")
        out.append(candidate)
    return out, notes


def read_csv(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None, name: str | None = None
) -> Table:
    """Open a CSV file as a streamed Table of text columns."""
    check_delimiter(delimiter)
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        raise InputError(f"{path.name} is empty", "export the table again; a CSV needs at least a header line")
    try:
        enc = encoding or sniff_encoding(head)
    except InputError as err:
        raise InputError(f"{path.name}: {err.message}", err.hint) from None
    try:
        text = codecs.getincrementaldecoder(enc)().decode(head, final=False)
    except (LookupError, UnicodeDecodeError) as err:
        raise InputError(f"{path.name} cannot be decoded as {enc}", "pass the right --encoding") from err
    delim = delimiter or sniff_delimiter(text)
    header, skip = _header(text.lstrip("\ufeff"), delim)
    names, notes = dedupe(header)
    if any(_LOOKS_LIKE_DATA.fullmatch(name) for name in header):
        notes.append("the header line looks like a record (an e-mail, a phone or a number as a column name): "
                     "is the header missing?")
    if enc not in ("utf-8", "utf-8-sig"):
        notes.append(f"decoded from {enc}")
    arrow_encoding = "utf8" if enc in ("utf-8", "utf-8-sig") else enc

    def open_batches() -> Iterator[pa.RecordBatch]:
        ragged: list[tuple[int, int]] = []

        def bad_row(row: pacsv.InvalidRow) -> str:
            # exceptions cannot cross Arrow's callback: remember the shape, let Arrow stop
            ragged.append((row.expected_columns, row.actual_columns))
            return "error"

        def open_reader(block_size: int) -> pacsv.CSVStreamingReader:
            return pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(
                    column_names=names, skip_rows=skip, encoding=arrow_encoding, block_size=block_size
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delim, newlines_in_values=True, invalid_row_handler=bad_row
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=True,
                    null_values=[""],
                    quoted_strings_can_be_null=False,
                ),
            )

        try:
            yield from _grow_blocks(open_reader)
        except pa.ArrowInvalid as err:
            if ragged:
                expected, actual = ragged[0]
                line = first_ragged_line(path, enc, delim, len(names))
                where = f"line {line}" if line is not None else "a row"
                raise InputError(
                    f"{path.name}: {where} has {actual} fields, the header has {expected}",
                    "fix the row's quoting or delimiter, or pass --delimiter",
                ) from None
            raise from_exception(err, path) or InputError(f"{path.name} is not valid CSV", "check the quoting") from None
        except UnicodeDecodeError:
            raise InputError(
                f"{path.name} has bytes that are not {enc}", "re-export as UTF-8 or pass --encoding"
            ) from None

    schema = pa.schema([pa.field(n, pa.string()) for n in names])
    return Table(
        name=name or path.stem,
        schema=schema,
        open_batches=open_batches,
        source=str(path),
        format="csv",
        notes=notes,
    )


def _grow_blocks(open_reader: Callable[[int], pacsv.CSVStreamingReader]) -> Iterator[pa.RecordBatch]:
    """Stream the batches; a record larger than a block is read again with larger blocks.

    Arrow needs each record inside one block. On "straddling object" the file is opened again
    with blocks 8× larger, and the rows already yielded are skipped, so none is repeated.
    """
    block, done = BLOCK_SIZE, 0
    while True:
        seen = 0
        try:
            for batch in open_reader(block):
                if seen + batch.num_rows <= done:
                    seen += batch.num_rows
                    continue
                skip = max(0, done - seen)
                seen += batch.num_rows
                done = seen
                yield batch.slice(skip) if skip else batch
            return
        except pa.ArrowInvalid as err:
            if "straddl" not in str(err) or block >= MAX_BLOCK_SIZE:
                raise
            block *= 8


def first_ragged_line(path: Path, encoding: str, delimiter: str, width: int) -> int | None:
    """The 1-based physical line of the first record whose field count differs (error path only)."""
    with path.open(encoding=encoding, newline="", errors="replace") as fh:
        reader = pycsv.reader(fh, delimiter=delimiter)
        for row in reader:
            if row and len(row) != width:
                return reader.line_num
    return None
