"""``fpe``: FF1 format-preserving encryption over a declared alphabet (NIST SP 800-38G).

For systems that need a value of the same shape: ``010-1234-5678`` stays phone-shaped. Characters
outside the alphabet stay in place; ``keep_prefix`` alphabet characters are left in clear (a
carrier prefix such as ``010``). Reversible by the key holder; the tweak is the column name.
"""

from __future__ import annotations

import pyarrow as pa

from datacustoms.policy import Fpe
from datacustoms.protect import crypto
from datacustoms.protect.operators.common import Kernel, as_array, as_text, blank_to_null, replace_column


def build(column: str, act: Fpe, key: bytes) -> Kernel:
    """``key`` is the derived FF1 key (operation ``fpe``)."""

    def fpe(batch: pa.RecordBatch) -> pa.RecordBatch:
        values = blank_to_null(as_text(as_array(batch.column(column))))
        out = crypto.fpe_encrypt(
            key, values, column=column, alphabet=act.alphabet, keep_prefix=act.keep_prefix
        )
        return replace_column(batch, column, out)

    return fpe
