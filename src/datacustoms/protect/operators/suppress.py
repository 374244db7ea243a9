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


class Suppression:
    """The suppression kernel: drop the rows whose class key is in ``small_keys`` (kept rows stay in order).

    :meth:`keep` says which rows of a batch survive, for callers that must know which rows left.
    """

    def __init__(self, qi: list[str], small_keys: pa.Array) -> None:
        self.qi = list(qi)
        self.keys = pc.cast(small_keys, pa.large_string())

    def keep(self, batch: pa.RecordBatch) -> pa.BooleanArray:
        """True for the rows of ``batch`` (with generalised QIs) that suppression keeps."""
        if len(self.keys) == 0:
            return pa.array([True] * batch.num_rows, pa.bool_())
        hit = pc.is_in(class_keys([batch.column(c) for c in self.qi]), value_set=self.keys)
        return pc.invert(hit)

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if len(self.keys) == 0:
            return batch
        return batch.filter(self.keep(batch))


def suppress_kernel(qi: list[str], small_keys: pa.Array) -> Kernel:
    """Drop the rows whose class key is in ``small_keys`` (kept rows stay in order)."""
    return Suppression(qi, small_keys)


def check_cap(suppressed: int, rows: int, max_share: float, k: int) -> None:
    """Refuse (before anything is written) when suppression would exceed the cap."""
    share = suppressed / rows if rows else 0.0
    if share > max_share:
        raise SuppressionCapExceeded(
            f"reaching k={k} would suppress {suppressed} of {rows} records ({share:.1%}), "
            f"above the policy's cap of {max_share:.1%}",
            "generalise the quasi-identifiers further (try `datacustoms policy suggest`) or raise max_share",
        )
