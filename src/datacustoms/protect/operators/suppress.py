"""``suppress``: remove records whose equivalence class (over the generalised quasi-identifiers)
is smaller than k, never more than a policy's cap.

Suppression needs the whole table's class histogram, so the pipeline computes it first (one
DuckDB group-by over the generalised values, :mod:`datacustoms.protect.histogram`) and this
kernel then drops the rows of the small classes batch by batch. Classes are matched by one text
key per row (the QI values joined by a unit separator, nulls marked), built by Arrow kernels.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.errors import DatacustomsError
from datacustoms.protect.operators.common import Kernel, as_text

SEPARATOR = "\x1f"
NULL_MARK = "\x00"


class SuppressionCapExceeded(DatacustomsError):
    """Reaching k would suppress more records than the policy allows."""


def class_keys(columns: list[pa.Array]) -> pa.Array:
    """One text key per row identifying its equivalence class."""
    texts = [pc.fill_null(pc.cast(as_text(c), pa.large_string()), NULL_MARK) for c in columns]
    if len(texts) == 1:
        return texts[0]
    return pc.binary_join_element_wise(*texts, pa.scalar(SEPARATOR, pa.large_string()))


def suppress_kernel(qi: list[str], small_keys: pa.Array) -> Kernel:
    """Drop the rows whose class key is in ``small_keys`` (kept rows stay in order)."""
    keys = pc.cast(small_keys, pa.large_string())

    def suppress(batch: pa.RecordBatch) -> pa.RecordBatch:
        if len(keys) == 0:
            return batch
        hit = pc.is_in(class_keys([batch.column(c) for c in qi]), value_set=keys)
        return batch.filter(pc.invert(hit))

    return suppress


def check_cap(suppressed: int, rows: int, max_share: float, k: int) -> None:
    """Refuse (before anything is written) when suppression would exceed the cap."""
    share = suppressed / rows if rows else 0.0
    if share > max_share:
        raise SuppressionCapExceeded(
            f"reaching k={k} would suppress {suppressed} of {rows} records ({share:.1%}), "
            f"above the policy's cap of {max_share:.1%}",
            "generalise the quasi-identifiers further (try `datacustoms policy suggest`) or raise max_share",
        )
