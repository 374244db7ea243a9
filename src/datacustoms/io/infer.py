"""Types for text columns, decided safely: a CSV's counts become integers and its dates dates.

A CSV is read as text (detection needs the text as exported), so without this step every column
a policy keeps would reach a Parquet output as a string. :func:`infer_types` looks at *every*
value of the columns it is given (a stream of batches; nothing is held) and proposes a type only
when each non-null value converts to it and back without losing anything a reader would see:

* ``int64`` — optional minus sign and digits, no leading zero (``04524`` and ``010…`` stay text:
  the zero is part of the value), at most 18 digits;
* ``bool`` — ``true`` / ``false`` (also ``True``, ``TRUE``, …);
* ``date32`` — ``YYYY-MM-DD`` that is a real day (``2024-02-30`` keeps the column text);
* ``timestamp[us]`` — ``YYYY-MM-DD HH:MM:SS`` or with ``T``, up to six fraction digits, no zone;
* ``float64`` — decimals (and integers) with at most 15 significant digits, which a double holds
  exactly; no exponent, no leading zero, no ``nan`` or ``inf``.

Anything else, a column with no value at all, or a column where one value disagrees, stays
text. The checks run in Arrow (RE2) over each batch; Python never loops over rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pyarrow as pa
import pyarrow.compute as pc

INT = r"^(0|-?[1-9][0-9]{0,17})$"
BOOL = r"^(true|false|True|False|TRUE|FALSE)$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$"
FLOAT = r"^(0|-?[1-9][0-9]*)$|^-?(0|[1-9][0-9]*)\.[0-9]+$"
FLOAT_DIGITS = 15

#: candidate name -> (pattern every value must match, Arrow type); tried in this order
CANDIDATES: dict[str, tuple[str, pa.DataType]] = {
    "bool": (BOOL, pa.bool_()),
    "int": (INT, pa.int64()),
    "date": (DATE, pa.date32()),
    "timestamp": (TIMESTAMP, pa.timestamp("us")),
    "float": (FLOAT, pa.float64()),
}


_PATTERNS = {name: re.compile(pattern) for name, (pattern, _) in CANDIDATES.items()}


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _fits(values: pa.Array, name: str) -> bool:
    """Every value of ``values`` (non-null, text) matches the candidate and converts to its type."""
    pattern, arrow_type = CANDIDATES[name]
    if not pc.all(pc.match_substring_regex(values, pattern)).as_py():
        return False
    if name == "float" and not _short(values):
        return False
    if name in ("bool", "int", "float"):  # the pattern says it all (int: at most 18 digits)
        return True
    try:
        pc.cast(values, arrow_type, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _short(values: pa.Array) -> bool:
    """At most :data:`FLOAT_DIGITS` digits in every value (what a double holds exactly)."""
    signs = pc.add(pc.count_substring(values, "-"), pc.count_substring(values, "."))
    return bool(pc.max(pc.subtract(pc.utf8_length(values), signs)).as_py() <= FLOAT_DIGITS)


def _still_fitting(values: pa.Array, alive: list[str]) -> list[str]:
    """The candidates of ``alive`` that every value of this batch fits.

    The patterns exclude each other except that an integer is also a decimal, so the first value
    rules most candidates out at once, and the first candidate every value fits settles the
    batch (integers keep ``float`` alive when they are short enough for a double).
    """
    first = values[0].as_py()
    for name in [c for c in alive if _PATTERNS[c].match(first)]:
        if _fits(values, name):
            if name == "int" and "float" in alive and _short(values):
                return ["int", "float"]
            return [name]
    return []


def fitting_candidates(batches: Iterable[pa.RecordBatch], columns: Iterable[str]) -> dict[str, list[str]]:
    """For each text column of ``columns`` that holds a value: the candidates every value fits.

    A column holding no value is left out; an empty list means no type fits (it stays text).
    Streams over part of a table (one Spark partition) combine with :func:`merge_candidates`.
    """
    open_: dict[str, list[str]] = {c: list(CANDIDATES) for c in columns}
    seen: set[str] = set()
    for batch in batches:
        for name in [c for c in open_ if open_[c]]:
            column = batch.column(name)
            if not _is_text(column.type):
                open_[name] = []
                seen.add(name)
                continue
            values = pc.drop_null(column)
            if len(values) == 0:
                continue
            seen.add(name)
            open_[name] = _still_fitting(values, open_[name])
        if not any(open_.values()):
            break
    return {name: left for name, left in open_.items() if name in seen}


def merge_candidates(parts: Iterable[Mapping[str, list[str]]]) -> dict[str, pa.DataType]:
    """The type each column takes given :func:`fitting_candidates` of every part of a table."""
    left: dict[str, list[str]] = {}
    for part in parts:
        for name, fits in part.items():
            left[name] = [c for c in left.get(name, list(CANDIDATES)) if c in fits]
    return {name: CANDIDATES[fits[0]][1] for name, fits in left.items() if fits}


def infer_types(batches: Iterable[pa.RecordBatch], columns: Iterable[str]) -> dict[str, pa.DataType]:
    """The type each text column of ``columns`` can safely take, for the columns where one exists.

    ``batches`` holds at least ``columns`` (other columns are ignored). A column is left out of the
    answer (it stays text) when it holds no value or any value does not fit every candidate.
    """
    return merge_candidates([fitting_candidates(batches, columns)])


def cast_columns(table: pa.Table, types: Mapping[str, pa.DataType]) -> pa.Table:
    """``table`` with the named columns cast (values were checked by :func:`infer_types`)."""
    if not types:
        return table
    schema = pa.schema([f.with_type(types[f.name]) if f.name in types else f for f in table.schema])
    return table.cast(schema)


def cast_batch(batch: pa.RecordBatch, types: Mapping[str, pa.DataType]) -> pa.RecordBatch:
    """One batch with the named columns cast."""
    if not types:
        return batch
    schema = pa.schema([f.with_type(types[f.name]) if f.name in types else f for f in batch.schema])
    return batch.cast(schema)
