"""Values of an Arrow string/binary buffer as rows of a fixed-width byte matrix, and back.

Batched ciphers (AES-SIV tokens, FF1) work on whole numpy matrices of equal-length values; these
two helpers move values between Arrow's offsets-and-data layout and such a matrix without a
Python call per value.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def rows_matrix(offsets: np.ndarray, data: np.ndarray, rows: np.ndarray, width: int) -> np.ndarray:
    """The values at ``rows`` (none longer than ``width`` bytes) as a len(rows) × width uint8
    matrix, zero-filled past each value's end."""
    starts = offsets[rows].astype(np.int64)
    lengths = offsets[rows + 1].astype(np.int64) - starts
    column = np.arange(width, dtype=np.int64)[None, :]
    if not len(data):
        return np.zeros((len(rows), width), np.uint8)
    at = np.minimum(starts[:, None] + column, len(data) - 1)
    return np.where(column < lengths[:, None], data[at], 0).astype(np.uint8)


def in_order(count: int, parts: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """One array of ``count`` values from parts that each hold the values of some rows
    (``(rows, values)``, every row in exactly one part)."""
    where = np.empty(count, np.int64)
    where[np.concatenate([rows for rows, _ in parts])] = np.arange(count)
    return pa.concat_arrays([values for _, values in parts]).take(pa.array(where))
