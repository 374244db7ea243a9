"""What every operator shares: the kernel type, column replacement, text casting.

A kernel is a plain function ``RecordBatch -> RecordBatch``. Kernels that rewrite text keep the
string type they receive (``string`` stays ``string``, ``large_string`` stays ``large_string``);
a non-text column that becomes text (an integer age turned into a band) becomes ``string``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.errors import InputError

Kernel = Callable[[pa.RecordBatch], pa.RecordBatch]


def is_text(dtype: pa.DataType) -> bool:
    return bool(pa.types.is_string(dtype) or pa.types.is_large_string(dtype))


def text_type(dtype: pa.DataType) -> pa.DataType:
    """The string type an output derived from ``dtype`` gets."""
    return dtype if is_text(dtype) else pa.string()


def as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks else pa.array([], type=values.type)
    return values


def as_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The values as Arrow text (dictionaries decoded, numbers and dates formatted)."""
    arr = as_array(values)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if is_text(arr.type):
        return arr
    if pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type):
        return pc.cast(arr, pa.string())
    return pc.cast(arr, pa.string())


def like(out: pa.Array, dtype: pa.DataType) -> pa.Array:
    """``out`` (text) cast to the text type derived from the input's ``dtype``."""
    target = text_type(dtype)
    return out if out.type == target else pc.cast(out, target)


def replace_column(batch: pa.RecordBatch, name: str, values: pa.Array) -> pa.RecordBatch:
    """``batch`` with column ``name`` replaced by ``values`` (same position, field renamed type)."""
    i = batch.schema.get_field_index(name)
    field = batch.schema.field(i).with_type(values.type)
    arrays = list(batch.columns)
    arrays[i] = values
    fields = list(batch.schema)
    fields[i] = field
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, metadata=batch.schema.metadata))


def once_per_key(values: pa.Array, key: pa.Array, fmt: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fmt(values)`` where ``fmt`` runs only on the first row of each distinct ``key``.

    For formatters that cost per value (``strftime`` builds a C++ stream for each: 1.2 µs a
    date) whose output depends on the key alone; rows with a null key get null. The result is
    the same as ``fmt(values)`` row by row.
    """
    encoded = pc.dictionary_encode(key)  # null keys stay null in the indices
    # the dictionary lists the keys in the order they first appear, so the running maximum of
    # the indices steps up by one exactly at each key's first row
    peak = np.maximum.accumulate(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
    first = np.flatnonzero(np.diff(peak, prepend=-1))
    return fmt(values.take(pa.array(first))).take(encoded.indices)


def count_true(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def refuse_unparsed(column: str, parsed: pa.Array, original: pa.Array, what: str, hint: str) -> None:
    """Raise when non-null input became null on parsing; counts only, never the values."""
    bad = pc.and_(pc.is_valid(original), pc.is_null(parsed))
    if original.type != pa.null():
        text = as_text(original)
        if is_text(text.type):
            bad = pc.and_(bad, pc.not_equal(pc.utf8_trim_whitespace(text), ""))
    n = count_true(bad)
    if n:
        raise InputError(f"column {column!r}: {n} value(s) are not {what}", hint)


def _text_bytes(text: pa.Array) -> np.ndarray | None:
    """The bytes of every value of a (large_)string array, or None for other types."""
    if not is_text(text.type):
        return None
    bufs = text.buffers()
    dtype = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=dtype)[text.offset : text.offset + len(text) + 1]
    if bufs[2] is None or len(offsets) == 0:
        return np.zeros(0, dtype=np.uint8)
    return np.frombuffer(bufs[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]


def bytes_within(text: pa.Array, low: int, high: int) -> bool:
    """True when every byte of every value lies in ``low..high`` (a few ms per million rows).

    With ``0x21..0x7e`` (printable ASCII, no space) trimming whitespace cannot change a value, so
    callers skip the rewrite; bytes of null slots are included, which only makes this stricter.
    """
    data = _text_bytes(text)
    return data is not None and (data.size == 0 or (int(data.min()) >= low and int(data.max()) <= high))


#: printable ASCII without the space: no byte of such a value is (part of) whitespace
PRINTABLE = (0x21, 0x7E)


def trim(text: pa.Array) -> pa.Array:
    """``utf8_trim_whitespace``, skipped when no value can hold whitespace (the usual case)."""
    return text if bytes_within(text, *PRINTABLE) else pc.utf8_trim_whitespace(text)


def blank_to_null(text: pa.Array) -> pa.Array:
    """Empty or blank text is treated as missing (CSV exports write missing values as '')."""
    if bytes_within(text, *PRINTABLE):  # nothing to trim: only empty values are blank
        blank = pc.equal(pc.binary_length(text), 0)
    else:
        blank = pc.equal(pc.utf8_trim_whitespace(text), "")
    if not pc.any(blank).as_py():  # the usual case: no copy
        return text
    return pc.if_else(blank, pa.scalar(None, text.type), text)
