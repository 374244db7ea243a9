"""``pseudonymize``: keyed one-way pseudonyms, HMAC-SHA-256 under the recipient's derived key.

The value is normalised first (``trim`` by default; ``digits`` makes ``010-1234-5678`` and
``01012345678`` one person), then keyed with
:func:`datacustoms.protect.crypto.pseudonymize` (the native batch HMAC when built). Unkeyed hashes
are never offered: anyone can recompute them over an enumerable keyspace (R2, R4). Non-text
columns are cast to text first. Blank cells become null, not the pseudonym of "".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.protect import crypto
from datacustoms.protect.operators.common import (
    Kernel,
    as_array,
    as_text,
    blank_to_null,
    bytes_within,
    replace_column,
    trim,
)

if TYPE_CHECKING:  # kernels hold plain values: a Spark worker that runs one never imports the policy
    from datacustoms.policy import Pseudonymize


def normalize(values: pa.Array, how: str) -> pa.Array:
    """The text that is keyed: ``none``, ``trim``, ``lower`` (and trim) or ``digits`` only."""
    text = as_text(as_array(values))
    if how == "none":
        return text
    text = trim(text)
    if how == "lower":
        text = pc.utf8_lower(text)
    elif how == "digits" and not bytes_within(text, 0x30, 0x39):  # digits only: nothing to strip
        text = pc.replace_substring_regex(text, r"[^0-9]", "")
    return blank_to_null(text)


def pseudonymize_values(key: bytes, values: pa.Array, act: Pseudonymize) -> pa.Array:
    """Normalised and keyed values, as ``act`` says (:func:`keyed_values`)."""
    return keyed_values(key, values, act.normalize, act.encoding, act.bits)


def keyed_values(key: bytes, values: pa.Array, how: str, encoding: crypto.Encoding, bits: int) -> pa.Array:
    """Values normalised (``how``) and keyed. A dictionary-encoded column (no larger dictionary
    than rows) is normalised and keyed once per distinct value, and its rows gathered from those
    pseudonyms: the same values as the row by row path (normalisation is per value), for less work."""
    arr = as_array(values)
    if pa.types.is_dictionary(arr.type) and len(arr.dictionary) <= len(arr):
        return keyed_values(key, arr.dictionary, how, encoding, bits).take(arr.indices)
    return crypto.pseudonymize(key, normalize(arr, how), encoding=encoding, bits=bits)


def build(column: str, act: Pseudonymize, key: bytes) -> Kernel:
    """``key`` is the derived pseudonym key (operation ``pseudonymize``), not the master key.

    Batches read from one dictionary-encoded Parquet row group carry the same dictionary: the
    pseudonyms of the last dictionary are kept (one, held with it, compared by value), so each
    distinct value of a row group is keyed once, not once per batch.
    """
    how, encoding, bits = act.normalize, act.encoding, act.bits
    last: list[tuple[pa.Array, pa.Array]] = []

    def pseudonymize(batch: pa.RecordBatch) -> pa.RecordBatch:
        values = as_array(batch.column(column))
        if pa.types.is_dictionary(values.type) and len(values.dictionary) <= len(values):
            held = last[0] if last else None
            if held is not None and held[0].equals(values.dictionary):
                keyed = held[1]
            else:
                keyed = keyed_values(key, values.dictionary, how, encoding, bits)
                last[:] = [(values.dictionary, keyed)]
            return replace_column(batch, column, keyed.take(values.indices))
        return replace_column(batch, column, keyed_values(key, values, how, encoding, bits))

    return pseudonymize
