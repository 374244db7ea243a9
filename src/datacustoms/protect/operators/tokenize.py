"""``tokenize``: deterministic authenticated encryption (AES-SIV), reversible by the key holder.

Tokens bind the column name and the key ID as associated data, so they decrypt only in the
column they were made for (``datacustoms reveal``). Equal values give equal tokens under one key,
so joins still work; the token length shows only a 16-byte length bucket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from datacustoms.protect import crypto
from datacustoms.protect.operators.common import Kernel, as_array, as_text, replace_column

if TYPE_CHECKING:  # kernels hold plain values: a Spark worker that runs one never imports the policy
    from datacustoms.policy import Tokenize


def build(column: str, act: Tokenize, key: bytes) -> Kernel:
    """``key`` is the derived 64-byte token key (operation ``tokenize``)."""

    def tokenize(batch: pa.RecordBatch) -> pa.RecordBatch:
        values = as_text(as_array(batch.column(column)))
        return replace_column(batch, column, crypto.tokenize(key, values, column=column))

    return tokenize
