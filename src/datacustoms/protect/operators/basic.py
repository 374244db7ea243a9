"""``drop`` and ``keep``: the two actions that need no computation.

``drop`` is applied last in a plan (other operators may read a dropped column, e.g. the subject
of ``shift_dates``); ``keep`` is the identity.
"""

from __future__ import annotations

import pyarrow as pa

from datacustoms.protect.operators.common import Kernel


def keep_kernel() -> Kernel:
    def keep(batch: pa.RecordBatch) -> pa.RecordBatch:
        return batch

    return keep


def select_kernel(columns: list[str]) -> Kernel:
    """Keep only ``columns`` (in this order): how every ``drop`` of a plan is applied at once."""
    wanted = list(columns)

    def select(batch: pa.RecordBatch) -> pa.RecordBatch:
        return batch.select(wanted)

    return select
