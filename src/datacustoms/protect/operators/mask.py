"""``mask``: replace all but the first ``keep_first`` and last ``keep_last`` characters by ``char``.

Pattern: ``01012345678`` with ``keep_last: 4`` → ``*******5678``. Values no longer than
``keep_first + keep_last`` are masked entirely, so a short value never passes in clear. A mask is
for display and support workflows; the kept characters leak (R7), so it is never a pseudonym.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.policy import Mask
from datacustoms.protect.operators.common import Kernel, as_array, as_text, like, replace_column


def mask_values(values: pa.Array, act: Mask) -> pa.Array:
    values = as_array(values)
    text = pc.cast(as_text(values), pa.large_string())
    length = pc.utf8_length(text)
    keep = act.keep_first + act.keep_last
    hidden = pc.max_element_wise(pc.subtract(length, keep), 0)
    head = pc.utf8_slice_codeunits(text, 0, act.keep_first)
    tail = (
        pc.utf8_slice_codeunits(text, -act.keep_last)
        if act.keep_last
        else pc.utf8_slice_codeunits(text, 0, 0)
    )
    stars = pc.binary_repeat(pa.scalar(act.char, pa.large_string()), hidden)
    partial = pc.binary_join_element_wise(head, stars, tail, pa.scalar("", pa.large_string()))
    full = pc.binary_repeat(pa.scalar(act.char, pa.large_string()), length)
    out = pc.if_else(pc.less_equal(length, keep), full, partial)
    return like(out, values.type)


def build(column: str, act: Mask) -> Kernel:
    def mask(batch: pa.RecordBatch) -> pa.RecordBatch:
        return replace_column(batch, column, mask_values(batch.column(column), act))

    return mask
