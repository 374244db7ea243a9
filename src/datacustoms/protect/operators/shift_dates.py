"""``shift_dates``: move every date of a subject by the same keyed offset.

The offset comes from HMAC-SHA-256(key, subject value): 64 bits of the MAC, reduced to a whole
number of days in ``[-max_days, -1] ∪ [1, max_days]``. One subject's dates keep their order and
intervals (a stay still lasts 3 days), the calendar dates no longer match public records, and
without the key nobody can undo the shift. Text dates are written back in the same form
(``%Y-%m-%d``, or ``date_format``); date and timestamp columns keep their type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.protect import crypto
from datacustoms.protect.operators.common import (
    Kernel,
    as_array,
    as_text,
    blank_to_null,
    is_text,
    like,
    once_per_key,
    replace_column,
)
from datacustoms.protect.operators.generalize import parse_dates

if TYPE_CHECKING:  # kernels hold plain values: a Spark worker that runs one never imports the policy
    from datacustoms.policy import ShiftDates


def offsets_days(key: bytes, subjects: pa.Array, max_days: int) -> np.ndarray:
    """The keyed offset (in days, never 0) for each subject value."""
    text = blank_to_null(pc.utf8_trim_whitespace(as_text(as_array(subjects))))
    text = pc.fill_null(text, "")
    matrix = crypto.hmac_sha256_matrix(key, text)
    word = np.ascontiguousarray(matrix[:, :8]).view(">u8").reshape(-1).astype(np.uint64)
    o = (word % np.uint64(2 * max_days)).astype(np.int64)
    return np.where(o < max_days, o - max_days, o - max_days + 1)


def shift_values(key: bytes, dates: pa.Array, subjects: pa.Array, act: ShiftDates, column: str) -> pa.Array:
    """``dates`` shifted as ``act`` says (:func:`shifted_values`)."""
    return shifted_values(key, dates, subjects, act.max_days, act.date_format, column)


def shifted_values(
    key: bytes, dates: pa.Array, subjects: pa.Array, max_days: int, date_format: str | None, column: str
) -> pa.Array:
    dates = as_array(dates)
    delta = pa.array(offsets_days(key, subjects, max_days) * 86_400, pa.int64())
    if pa.types.is_timestamp(dates.type) or pa.types.is_date(dates.type):
        ts = pc.cast(dates, pa.timestamp("s")) if pa.types.is_date(dates.type) else dates
        unit = ts.type.unit
        scale = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
        raw = pc.add(pc.cast(ts, pa.int64()), pc.multiply(delta, scale))
        shifted = pc.cast(raw, ts.type)
        return pc.cast(shifted, dates.type) if pa.types.is_date(dates.type) else shifted
    ts = parse_dates(dates, column, date_format)
    shifted = pc.cast(pc.add(pc.cast(ts, pa.int64()), delta), pa.timestamp("s"))
    # written once per distinct date of the batch: a day shared by many rows is one strftime
    out = once_per_key(shifted, shifted, lambda first: pc.strftime(first, format=date_format or "%Y-%m-%d"))
    return like(out, dates.type if is_text(dates.type) else pa.string())


def build(column: str, act: ShiftDates, key: bytes) -> Kernel:
    """``key`` is the derived shift key (operation ``shift_dates``)."""
    subject, max_days, date_format = act.subject, act.max_days, act.date_format

    def shift_dates(batch: pa.RecordBatch) -> pa.RecordBatch:
        out = shifted_values(key, batch.column(column), batch.column(subject), max_days, date_format, column)
        return replace_column(batch, column, out)

    return shift_dates
