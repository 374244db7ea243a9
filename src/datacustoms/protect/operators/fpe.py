"""``fpe``: FF1 format-preserving encryption over a declared alphabet (NIST SP 800-38G).

For systems that need a value of the same shape: ``010-1234-5678`` stays phone-shaped. Characters
outside the alphabet stay in place; ``keep_prefix`` alphabet characters are left in clear (a
carrier prefix such as ``010``). Reversible by the key holder; the tweak is the column name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from datacustoms.protect import crypto
from datacustoms.protect.operators.common import Kernel, as_array, as_text, blank_to_null, replace_column

if TYPE_CHECKING:  # kernels hold plain values: a Spark worker that runs one never imports the policy
    from datacustoms.policy import Fpe


def build(column: str, act: Fpe, key: bytes) -> Kernel:
    """``key`` is the derived FF1 key (operation ``fpe``)."""
    alphabet, keep_prefix = act.alphabet, act.keep_prefix

    def fpe(batch: pa.RecordBatch) -> pa.RecordBatch:
        values = blank_to_null(as_text(as_array(batch.column(column))))
        out = crypto.fpe_encrypt(key, values, column=column, alphabet=alphabet, keep_prefix=keep_prefix)
        return replace_column(batch, column, out)

    return fpe
