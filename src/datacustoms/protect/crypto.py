"""The cryptography behind ``pseudonymize``, ``tokenize`` and ``fpe`` (rules R4, R5, R7, R8).

Only allow-listed primitives are used (R4): HKDF-SHA-256 to derive one key per recipient, purpose
and operation from a 256-bit master key; HMAC-SHA-256 for one-way pseudonyms; AES-SIV (RFC 5297)
for deterministic, authenticated, reversible tokens; FF1 (NIST SP 800-38G) for format-preserving
tokens. Every function works on one Arrow array (``string`` or ``large_string``; nulls stay null)
so the operators can stream record batches through it.

Keys are bytes here; loading them from a keystore or an environment variable, and refusing weak
ones, is :mod:`datacustoms.protect.keys`. Nothing in this module puts a key, a derived key or a
plaintext value into an exception message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from datacustoms.errors import InputError, KeyMaterialError, UsageError
from datacustoms.protect.ff1 import FF1
from datacustoms.protect.siv_batch import SivBatch, padded_rows
from datacustoms.protect.text_matrix import in_order, rows_matrix

Encoding = Literal["hex", "base64url", "base32"]
ENCODINGS: tuple[str, ...] = ("hex", "base64url", "base32")

#: R5: no key below 128 bits
MIN_KEY_BYTES = 16
#: fixed HKDF salt: domain separation from any other use of the same master key
HKDF_SALT = b"datacustoms/hkdf/v1"
#: bytes of derived key per operation (AES-SIV takes two AES-256 keys: 64 bytes)
KEY_LENGTHS: dict[str, int] = {"pseudonymize": 32, "tokenize": 64, "fpe": 32, "shift_dates": 32}
DIGITS = "0123456789"
#: tokens pad the plaintext (ISO/IEC 7816-4) to a multiple of this many bytes so that their
#: length does not reveal the exact length of the value (R7)
TOKEN_PAD_BLOCK = 16

_INT32_MAX = (1 << 31) - 1


# -- key derivation and identifiers -------------------------------------------------------------


def _require_key(key: bytes, what: str, min_bytes: int = MIN_KEY_BYTES) -> None:
    if not isinstance(key, bytes | bytearray):
        raise KeyMaterialError(f"the {what} key must be bytes", "load it with datacustoms.protect.keys")
    if len(key) < min_bytes:
        raise KeyMaterialError(
            f"the {what} key has {len(key) * 8} bits; at least {min_bytes * 8} are required",
            "generate one with `datacustoms keys create NAME`",
        )


def hkdf_sha256(ikm: bytes, *, salt: bytes | None, info: bytes, length: int) -> bytes:
    """HKDF-SHA-256 (RFC 5869) extract-and-expand, from ``cryptography``."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def encode_info(*fields: str) -> bytes:
    """Length-prefixed fields, so that ("ab", "c") and ("a", "bc") give different ``info``."""
    out = bytearray(b"datacustoms/v1")
    for text in fields:
        raw = text.encode("utf-8")
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def derive_epoch_key(master: bytes, *, recipient: str, purpose: str, operation: str, epoch: str) -> bytes:
    """The key of one epoch (``D2024-05-14``, ``M2024-05``, ``T<transfer id>``): HKDF-SHA-256 with
    ``info`` = (recipient, purpose, operation, "epoch", label), so pseudonyms of different epochs
    do not link (see :mod:`datacustoms.protect.rotation`)."""
    _require_key(master, "master")
    if not epoch:
        raise UsageError("an epoch key needs an epoch label", "set rotate: daily, monthly or per_transfer")
    size = KEY_LENGTHS.get(operation, 32)
    return hkdf_sha256(master, salt=HKDF_SALT, info=encode_info(recipient, purpose, operation, "epoch", epoch),
                       length=size)  # fmt: skip


def derive_key(
    master: bytes, *, recipient: str, purpose: str, operation: str, length: int | None = None
) -> bytes:
    """One key per recipient, purpose and operation (R8), derived from a ≥128-bit master key.

    ``operation`` is a label such as ``"pseudonymize"``, ``"tokenize"`` or ``"fpe"``; the length
    defaults to what that operation needs (:data:`KEY_LENGTHS`, else 32 bytes). The column is
    deliberately *not* bound: one person's pseudonym is the same in every column and table sent to
    the same recipient for the same purpose, which is what makes it a join key.
    """
    _require_key(master, "master")
    for name, value in (("recipient", recipient), ("purpose", purpose), ("operation", operation)):
        if not value or not value.strip():
            raise UsageError(f"a key derivation needs a non-empty {name}", "name it in the policy")
    size = length if length is not None else KEY_LENGTHS.get(operation, 32)
    return hkdf_sha256(master, salt=HKDF_SALT, info=encode_info(recipient, purpose, operation), length=size)


def key_id(key: bytes) -> str:
    """A short public name for a key: ``k1-`` and 12 hex digits of HMAC(key, label).

    It identifies the key in reports, audit lines and ledgers; 48 bits of a keyed MAC reveal
    nothing that helps recover the key.
    """
    return "k1-" + hmac.new(bytes(key), b"datacustoms key id", hashlib.sha256).hexdigest()[:12]


# -- Arrow plumbing -----------------------------------------------------------------------------

_STRINGS = (pa.string(), pa.large_string())
_BINARIES = (pa.binary(), pa.large_binary())


def _as_plain(values: pa.Array) -> pa.Array:
    """string/large_string/binary/large_binary as they are; views and dictionaries cast."""
    t = values.type
    if t in _STRINGS or t in _BINARIES:
        return values
    if pa.types.is_dictionary(t):
        return _as_plain(values.dictionary_decode())
    if t == pa.string_view():
        return values.cast(pa.large_string())
    if t == pa.binary_view():
        return values.cast(pa.large_binary())
    if pa.types.is_null(t):
        return values.cast(pa.string())
    raise UsageError(
        f"expected a text column, got Arrow type {t}", "cast the column to text before protecting it"
    )


def _map_chunks(values: Any, fn: Callable[[pa.Array], pa.Array]) -> Any:
    if isinstance(values, pa.ChunkedArray):
        chunks = [fn(c) for c in values.chunks]
        if not chunks:
            return pa.chunked_array([], type=fn(pa.array([], type=values.type)).type)
        return pa.chunked_array(chunks)
    return fn(values)


def _offsets_and_data(values: pa.Array) -> tuple[np.ndarray, memoryview]:
    """The value offsets (n + 1 of them) and the data buffer of a (large_)string/binary array."""
    bufs = values.buffers()
    dtype = np.int64 if values.type in (pa.large_string(), pa.large_binary()) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=dtype)[values.offset : values.offset + len(values) + 1]
    data = memoryview(bufs[2]) if bufs[2] is not None else memoryview(b"")
    return offsets, data


def _validity(values: pa.Array) -> np.ndarray | None:
    """A boolean numpy mask of valid rows, or None when there is no null."""
    if values.null_count == 0:
        return None
    return np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _fixed_width_strings(matrix: np.ndarray, out_type: pa.DataType, valid: np.ndarray | None) -> pa.Array:
    """Build a string array whose every row is one row of ``matrix`` (uint8, n × width)."""
    n, width = matrix.shape
    if out_type == pa.string() and n * width > _INT32_MAX:
        raise UsageError(
            f"{n:,} rows of {width} characters do not fit one Arrow string array",
            "stream smaller batches or use large_string",
        )
    dtype = np.int64 if out_type == pa.large_string() else np.int32
    offsets = np.arange(0, (n + 1) * width, width, dtype=dtype)
    validity = None
    if valid is not None:
        validity = pa.array(valid, type=pa.bool_()).buffers()[1]
    data = np.ascontiguousarray(matrix).reshape(-1)
    null_count = -1 if valid is not None else 0
    return pa.Array.from_buffers(
        out_type, n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=null_count
    )


def _string_out_type(values: pa.Array) -> pa.DataType:
    return pa.large_string() if values.type in (pa.large_string(), pa.large_binary()) else pa.string()


# -- HMAC-SHA-256 -------------------------------------------------------------------------------


def _hmac_python(key: bytes, values: pa.Array) -> np.ndarray:
    """HMAC-SHA-256 of every row (n × 32 uint8), from precomputed inner and outer hash states."""
    block = bytes(key) if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    offsets, data = _offsets_and_data(values)
    n = len(values)
    out = bytearray(32 * n)
    bounds = offsets.tolist()
    i_copy, o_copy = inner.copy, outer.copy
    for i in range(n):
        h = i_copy()
        h.update(data[bounds[i] : bounds[i + 1]])
        o = o_copy()
        o.update(h.digest())
        out[32 * i : 32 * i + 32] = o.digest()
    return np.frombuffer(bytes(out), dtype=np.uint8).reshape(n, 32)


#: up to this many rows, the native HMAC runs on the calling thread: the protect pipeline already
#: spreads batches over the cores, and a thread pool per 65,536-row batch cost more than it saved
_ONE_THREAD_ROWS = 1 << 18


def _native_module() -> Any | None:
    """The C extension itself (its ``hmac_sha256`` releases the GIL), or None when not built.

    Imported directly, not through the attack engine, which a protecting Spark worker would
    otherwise import (with every identifier kind) before its first batch."""
    try:
        from datacustoms import _native  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - depends on the install
        return None
    return _native


def _native_hmac() -> Callable[..., pa.Array] | None:
    """The native batch HMAC when the C extension is built; None means use the Python loop."""
    try:
        from datacustoms.attack.hashes.engine import hmac_sha256_batch, native_available
    except ImportError:
        return None
    return hmac_sha256_batch if native_available() else None


def _fixed_binary_matrix(digests: pa.Array) -> np.ndarray:
    width = digests.type.byte_width
    raw = np.frombuffer(digests.buffers()[1], dtype=np.uint8)
    start = digests.offset * width
    return raw[start : start + len(digests) * width].reshape(len(digests), width)


def hmac_sha256_matrix(key: bytes, values: pa.Array, *, force_python: bool = False) -> np.ndarray:
    """HMAC-SHA-256 of every row of a (large_)string/binary array, as an n × 32 uint8 matrix.

    Uses the native batch kernel when it is built (``datacustoms.attack.hashes.engine``), else the
    pure-Python loop; both give identical bytes (RFC 4231 known answers in the tests). Up to
    :data:`_ONE_THREAD_ROWS` rows the kernel runs on the calling thread (it releases the GIL, so
    the pipeline's workers run it side by side); larger arrays go to the engine's thread pool.
    Rows that are null hold whatever the kernel computed; callers mask them.
    """
    values = _as_plain(values)
    if not force_python and values.type in _STRINGS and len(values) <= _ONE_THREAD_ROWS:
        module = _native_module()
        if module is not None:
            n = len(values)
            if n == 0:
                return np.zeros((0, 32), dtype=np.uint8)
            bufs = values.buffers()
            width = 8 if values.type == pa.large_string() else 4
            raw = module.hmac_sha256(bytes(key), bufs[1], bufs[2], values.offset, n, width, "auto")
            return np.frombuffer(raw, dtype=np.uint8).reshape(n, 32)
    if not force_python and values.type in _STRINGS:
        native = _native_hmac()
        if native is not None:
            return _fixed_binary_matrix(native(bytes(key), values))
    return _hmac_python(bytes(key), values)


def hmac_sha256_digests(key: bytes, values: pa.Array, *, force_python: bool = False) -> pa.Array:
    """HMAC-SHA-256 of every row as ``FixedSizeBinary(32)``; nulls stay null."""
    values = _as_plain(values)
    matrix = np.ascontiguousarray(hmac_sha256_matrix(key, values, force_python=force_python))
    valid = _validity(values)
    validity = None
    if valid is not None:
        matrix = matrix.copy()
        matrix[~valid] = 0
        validity = pa.array(valid, type=pa.bool_()).buffers()[1]
    data = pa.py_buffer(matrix.reshape(-1))
    null_count = -1 if valid is not None else 0
    return pa.Array.from_buffers(pa.binary(32), len(values), [validity, data], null_count=null_count)


# -- vectorised text encodings ------------------------------------------------------------------

_B64URL_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B32_CHARS = b"abcdefghijklmnopqrstuvwxyz234567"


def _pair_table(alphabet: bytes, bits: int) -> np.ndarray:
    """A lookup table from a ``2 * bits``-bit number to its two characters, as native uint16."""
    size = 1 << (2 * bits)
    codes = np.arange(size)
    chars = np.frombuffer(alphabet, dtype=np.uint8)
    pairs = np.empty((size, 2), dtype=np.uint8)
    pairs[:, 0] = chars[codes >> bits]
    pairs[:, 1] = chars[codes & ((1 << bits) - 1)]
    return pairs.view(np.uint16).reshape(size)


_B64_PAIRS = _pair_table(_B64URL_CHARS, 6)  # 12 bits -> two base64url characters
_B32_PAIRS = _pair_table(_B32_CHARS, 5)  # 10 bits -> two base32 characters


def encoded_length(nbytes: int, encoding: str) -> int:
    """Characters of one encoded pseudonym (no padding)."""
    if encoding == "hex":
        return 2 * nbytes
    if encoding == "base64url":
        return -(-nbytes * 8 // 6)
    if encoding == "base32":
        return -(-nbytes * 8 // 5)
    raise UsageError(f"unknown encoding {encoding!r}", f"use one of {', '.join(ENCODINGS)}")


def _padded_columns(matrix: np.ndarray, group: int) -> list[np.ndarray]:
    """The matrix's byte columns, zero-padded to whole groups, as uint16 (one per byte slot)."""
    n, k = matrix.shape
    groups = -(-k // group)
    padded = np.zeros((n, groups * group), dtype=np.uint8)
    padded[:, :k] = matrix
    return [padded[:, j::group].astype(np.uint16) for j in range(group)]


def encode_matrix(matrix: np.ndarray, encoding: str) -> np.ndarray:
    """Encode each row of an n × k uint8 matrix as text (an n × m uint8 matrix of ASCII).

    ``hex`` is lowercase; ``base64url`` is RFC 4648 §5 without padding; ``base32`` is the RFC 4648
    alphabet in lowercase without padding; row by row equal to the ``base64`` module's output.
    ``hex`` is one ``binascii`` pass over the whole matrix; the others send whole columns through
    two-character lookup tables: a few numpy passes rather than a Python call per row.
    """
    n, k = matrix.shape
    m = encoded_length(k, encoding)
    if encoding == "hex":  # binascii is one C pass: about 3x the lookup table's speed
        digits = binascii.hexlify(np.ascontiguousarray(matrix).data)
        return np.frombuffer(digits, dtype=np.uint8).reshape(n, 2 * k)
    if encoding == "base64url":
        b0, b1, b2 = _padded_columns(matrix, 3)
        halves = [(b0 << 4) | (b1 >> 4), ((b1 & 15) << 8) | b2]
        table = _B64_PAIRS
    else:
        b0, b1, b2, b3, b4 = _padded_columns(matrix, 5)
        halves = [
            (b0 << 2) | (b1 >> 6),
            ((b1 & 63) << 4) | (b2 >> 4),
            ((b2 & 15) << 6) | (b3 >> 2),
            ((b3 & 3) << 8) | b4,
        ]
        table = _B32_PAIRS
    groups = halves[0].shape[1]
    out = np.empty((n, groups, len(halves)), dtype=np.uint16)
    for j, half in enumerate(halves):
        out[:, :, j] = table[half]
    return out.view(np.uint8).reshape(n, groups * len(halves) * 2)[:, :m]


# -- pseudonyms ---------------------------------------------------------------------------------


def pseudonymize(
    key: bytes,
    values: Any,
    *,
    encoding: Encoding = "hex",
    bits: int = 128,
    force_python: bool = False,
) -> Any:
    """Keyed, one-way pseudonyms: HMAC-SHA-256(key, value), truncated to ``bits``, encoded.

    ``key`` is the derived per-recipient key (``derive_key(..., operation="pseudonymize")``).
    Every output has the same length whatever the input (R7). Nulls stay null; ``string`` in
    gives ``string`` out and ``large_string`` gives ``large_string``. A ``ChunkedArray`` maps chunk
    by chunk. This is a pseudonym, not anonymisation: whoever holds the key can recompute it.
    """
    _require_key(key, "pseudonym")
    if encoding not in ENCODINGS:
        raise UsageError(f"unknown pseudonym encoding {encoding!r}", f"use one of {', '.join(ENCODINGS)}")
    if not (128 <= bits <= 256 and bits % 8 == 0):
        raise UsageError(
            f"pseudonym length must be a multiple of 8 bits from 128 to 256, got {bits}",
            "use bits: 128 (the default) or 256",
        )
    nbytes = bits // 8

    def one(array: pa.Array) -> pa.Array:
        if pa.types.is_dictionary(array.type) and len(array.dictionary) <= len(array):
            # each distinct value keyed once; the rows are a gather of the dictionary's pseudonyms
            return one(array.dictionary).take(array.indices)
        array = _as_plain(array)
        out_type = _string_out_type(array)
        if encoding == "hex" and not force_python:
            text = _native_hex(key, array, nbytes)
            if text is not None:
                return text
        matrix = hmac_sha256_matrix(key, array, force_python=force_python)[:, :nbytes]
        valid = _validity(array)
        if valid is not None:
            matrix = matrix.copy()
            matrix[~valid] = 0  # no digest of whatever a null slot held
        return _fixed_width_strings(encode_matrix(matrix, encoding), out_type, valid)

    return _map_chunks(values, one)


@lru_cache(maxsize=16)
def _fixed_offsets(n: int, width: int, large: bool) -> pa.Buffer:
    """The offsets of ``n`` values of ``width`` bytes each (shared: Arrow buffers are immutable,
    and the batches of a stream mostly have one length)."""
    return pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int64 if large else np.int32))


def _native_hex(key: bytes, array: pa.Array, nbytes: int) -> pa.Array | None:
    """Hex pseudonyms straight from the C kernel (HMAC, truncation and hex in one pass, the GIL
    released) into a buffer from Arrow's memory pool, which becomes the string array's data
    without a copy; None when the kernel is not built or the array is not text (the general path
    then gives the same values)."""
    if array.type not in _STRINGS or len(array) > _ONE_THREAD_ROWS:
        return None
    module = _native_module()
    if module is None or not hasattr(module, "verify_mask_hits"):  # built before the hex output
        return None
    n, width = len(array), 2 * nbytes
    out_type = _string_out_type(array)
    if out_type == pa.string() and n * width > _INT32_MAX:
        return None
    bufs = array.buffers()
    owidth = 8 if array.type == pa.large_string() else 4
    text: pa.Buffer = pa.allocate_buffer(n * width)
    if n:
        try:
            module.hmac_sha256(bytes(key), bufs[1], bufs[2], array.offset, n, owidth, "auto", nbytes, text)
        except TypeError:  # an extension built before the ``out`` argument: the same hex, as bytes
            raw = module.hmac_sha256(bytes(key), bufs[1], bufs[2], array.offset, n, owidth, "auto", nbytes)
            text = pa.py_buffer(bytearray(raw))
    valid = _validity(array)
    if valid is not None:  # no digest of whatever a null slot held
        chars = np.frombuffer(text, np.uint8).reshape(n, width)
        chars[~valid] = 0x30
        return _fixed_width_strings(chars, out_type, valid)
    offsets = _fixed_offsets(n, width, out_type == pa.large_string())
    return pa.Array.from_buffers(out_type, n, [None, offsets, text], null_count=0)


def pseudonym_translation(
    old_key: bytes,
    new_key: bytes,
    source_values: Any,
    *,
    encoding: Encoding = "hex",
    bits: int = 128,
) -> pa.Table:
    """Rotation for HMAC pseudonyms: an ``old`` → ``new`` table computed from the *source* values.

    A keyed hash cannot be re-keyed from the pseudonym alone (that is what one-way means), so only
    the key holder, who still has the identifiers, can build it. The table lets the recipient
    move existing joins to the new key without ever receiving an identifier. It links the old and
    new pseudonyms, so it is as sensitive as a key: it must never travel with an export (R18) and
    must be used only within the same recipient and purpose.
    """
    old = pseudonymize(old_key, source_values, encoding=encoding, bits=bits)
    new = pseudonymize(new_key, source_values, encoding=encoding, bits=bits)
    table = pa.table({"old": old, "new": new})
    table = table.filter(pc.is_valid(table["old"]))
    return table.group_by(["old", "new"]).aggregate([])


# -- AES-SIV tokens -----------------------------------------------------------------------------


def siv_encrypt(key: bytes, plaintext: bytes, associated_data: Sequence[bytes]) -> bytes:
    """AES-SIV (RFC 5297) with a vector of associated data: SIV (16 bytes) ‖ ciphertext."""
    return AESSIV(bytes(key)).encrypt(plaintext, list(associated_data))


def siv_decrypt(key: bytes, token: bytes, associated_data: Sequence[bytes]) -> bytes:
    """Inverse of :func:`siv_encrypt`; raises ``cryptography.exceptions.InvalidTag`` on failure."""
    return AESSIV(bytes(key)).decrypt(token, list(associated_data))


def _pad(raw: bytes, block: int) -> bytes:
    """ISO/IEC 7816-4 padding: 0x80 then zeros up to a multiple of ``block``."""
    raw += b"\x80"
    return raw + bytes(-len(raw) % block)


def _unpad(raw: bytes) -> bytes | None:
    end = raw.rstrip(b"\0")
    if not end or end[-1] != 0x80:
        return None
    return end[:-1]


def _token_ad(key: bytes, column: str) -> list[bytes]:
    return [column.encode("utf-8"), key_id(key).encode("ascii")]


def _require_siv_key(key: bytes) -> None:
    if not isinstance(key, bytes | bytearray) or len(key) not in (32, 48, 64):
        raise KeyMaterialError(
            "an AES-SIV token key must be 32, 48 or 64 bytes",
            "derive it with derive_key(master, ..., operation='tokenize') (64 bytes)",
        )


def tokenize(key: bytes, values: Any, *, column: str, pad_block: int = TOKEN_PAD_BLOCK) -> Any:
    """Deterministic, authenticated, reversible tokens: base64url(AES-SIV(value)).

    ``key`` is the 64-byte derived token key; the associated data binds the column name and the
    key ID, so a token moved to another column or decrypted under another key fails. Values are
    padded to a multiple of ``pad_block`` bytes before encryption so the token length shows only
    a length bucket. Same value, key and column → same token (joins still work).
    """
    _require_siv_key(key)
    if pad_block < 1 or pad_block > 255:
        raise UsageError("pad_block must be between 1 and 255 bytes")
    siv = SivBatch(key, _token_ad(key, column))

    def one(array: pa.Array) -> pa.Array:
        array = _as_plain(array)
        encoded = pc.dictionary_encode(array)  # each distinct value sealed once
        return pc.take(_tokens(siv, encoded.dictionary, pad_block, _string_out_type(array)), encoded.indices)

    return _map_chunks(values, one)


_TOKEN_ROWS = 1 << 16  # values sealed per batch: bounds the block matrices (a few MiB)


def _tokens(siv: SivBatch, distinct: pa.Array, pad_block: int, out_type: pa.DataType) -> pa.Array:
    """The token of each value of ``distinct`` (no nulls): values of one padded length are
    sealed together in batches, their tokens base64url-encoded as one matrix."""
    if not len(distinct):
        return pa.array([], out_type)
    offsets, data = _offsets_and_data(distinct)
    buf = np.frombuffer(data, np.uint8)
    padded = (np.diff(offsets).astype(np.int64) // pad_block + 1) * pad_block  # 0x80, then zeros
    parts = []
    for width in np.unique(padded).tolist():
        same = np.flatnonzero(padded == width)
        for rows in (same[a : a + _TOKEN_ROWS] for a in range(0, len(same), _TOKEN_ROWS)):
            sealed = siv.seal(padded_rows(offsets, buf, rows, width))
            parts.append((rows, _fixed_width_strings(encode_matrix(sealed, "base64url"), out_type, None)))
    return in_order(len(distinct), parts)


def detokenize(key: bytes, values: Any, *, column: str) -> Any:
    """Recover the values behind :func:`tokenize` tokens, for the key holder.

    Raises :class:`KeyMaterialError` (naming the column, the row and the key ID, never a value)
    when a token does not decrypt: a wrong key, a different column, or a modified token.
    """
    _require_siv_key(key)
    siv = AESSIV(bytes(key))
    ad = _token_ad(key, column)
    kid = key_id(key)
    row_base = 0

    def one(array: pa.Array) -> pa.Array:
        nonlocal row_base
        array = _as_plain(array)
        out_type = _string_out_type(array)
        out: list[str | None] = []
        for i, tok in enumerate(array.to_pylist()):
            if tok is None:
                out.append(None)
                continue
            text = tok.decode("ascii", "replace") if isinstance(tok, bytes) else tok
            try:
                sealed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
                padded = siv.decrypt(sealed, ad)
            except (InvalidTag, binascii.Error, ValueError):
                raise KeyMaterialError(
                    f"row {row_base + i + 1} of column {column!r} does not decrypt with key {kid}",
                    "use the key, recipient and purpose the tokens were made with; "
                    "a modified token cannot be read",
                ) from None
            raw = _unpad(padded)
            if raw is None:
                raise KeyMaterialError(
                    f"row {row_base + i + 1} of column {column!r} is not a datacustoms token",
                    "tokens come from the tokenize action",
                )
            out.append(raw.decode("utf-8", "surrogateescape"))
        row_base += len(array)
        return pa.array(out, type=out_type)

    return _map_chunks(values, one)


# -- FF1 format-preserving tokens ---------------------------------------------------------------


def _fpe_apply(
    key: bytes,
    values: Any,
    *,
    column: str,
    alphabet: str,
    keep_prefix: int,
    tweak: bytes | None,
    decrypt: bool,
) -> Any:
    if len(key) not in (16, 24, 32):
        raise KeyMaterialError(
            "an FF1 key must be 16, 24 or 32 bytes",
            "derive it with derive_key(master, ..., operation='fpe') (32 bytes)",
        )
    if keep_prefix < 0:
        raise UsageError("keep_prefix must be 0 or more")
    cipher = FF1(bytes(key), alphabet=alphabet)
    twk = column.encode("utf-8") if tweak is None else tweak
    row_base = 0

    def one(array: pa.Array) -> pa.Array:
        """Encrypt each distinct value once (batched FF1), then spread the results by index."""
        nonlocal row_base
        array = _as_plain(array)
        out_type = _string_out_type(array)
        if array.type in _BINARIES:
            array = array.cast(out_type)
        encoded = pc.dictionary_encode(array)
        indices = encoded.indices
        if alphabet.isascii():
            changed, short = _fpe_bytes(cipher, encoded.dictionary, twk, keep_prefix, decrypt, out_type)
        else:
            changed, short = _fpe_chars(cipher, encoded.dictionary.to_pylist(), twk, keep_prefix, decrypt, out_type)
        if short is not None or changed is None:
            j, found = short or (0, 0)
            row = row_base + int(pc.index(indices, pa.scalar(j, indices.type)).as_py()) + 1
            raise InputError(
                f"row {row} of column {column!r} has {found} characters to encrypt; "
                f"FF1 over a {cipher.radix}-character alphabet needs at least {cipher.minlen}",
                "use tokenize or pseudonymize for short values, or lower keep_prefix",
            )
        row_base += len(array)
        return pc.take(changed, indices)

    return _map_chunks(values, one)


#: (the FF1 of each distinct value, or None), (the first value too short to encrypt, its count) or None
_FpeResult = tuple[pa.Array | None, tuple[int, int] | None]


def _fpe_chars(
    cipher: FF1, texts: list[str], twk: bytes, keep_prefix: int, decrypt: bool, out_type: pa.DataType
) -> _FpeResult:
    """Any alphabet: the values' characters looked up one by one in Python."""
    index, alphabet = cipher.index, cipher.alphabet or ""
    spots: list[list[int]] = []
    numerals: list[list[int]] = []
    for j, text in enumerate(texts):
        positions = [p for p, ch in enumerate(text) if ch in index][keep_prefix:]
        if len(positions) < cipher.minlen:
            return None, (j, len(positions))
        spots.append(positions)
        numerals.append([index[text[p]] for p in positions])
    many = cipher.decrypt_many if decrypt else cipher.encrypt_many
    results = many(numerals, twk) if numerals else []
    changed = []
    for text, positions, result in zip(texts, spots, results, strict=True):
        chars = list(text)
        for p, digit in zip(positions, result, strict=True):
            chars[p] = alphabet[digit]
        changed.append("".join(chars))
    return pa.array(changed, type=out_type), None


def _fpe_bytes(
    cipher: FF1, distinct: pa.Array, twk: bytes, keep_prefix: int, decrypt: bool, out_type: pa.DataType
) -> _FpeResult:
    """An ASCII alphabet: its characters are single bytes that no multi-byte UTF-8 character
    holds, so the values are worked on as byte matrices, one per length, without a Python call
    per value; each pattern of encrypted positions is one FF1 batch."""
    symbols = np.frombuffer((cipher.alphabet or "").encode("ascii"), np.uint8)
    member = np.zeros(256, bool)
    member[symbols] = True
    value_of = np.zeros(256, np.int64)
    value_of[symbols] = np.arange(len(symbols))
    offsets, data = _offsets_and_data(distinct)
    buf = np.frombuffer(data, np.uint8)
    lengths = np.diff(offsets).astype(np.int64)
    groups, short = [], None
    for width in np.unique(lengths).tolist():
        rows = np.flatnonzero(lengths == width)
        mat = rows_matrix(offsets, buf, rows, width)
        chosen = member[mat]
        if keep_prefix:
            chosen &= np.cumsum(chosen, axis=1) > keep_prefix
        counts = chosen.sum(axis=1)
        bad = np.flatnonzero(counts < cipher.minlen)
        if len(bad) and (short is None or rows[bad[0]] < short[0]):
            short = (int(rows[bad[0]]), int(counts[bad[0]]))
        groups.append((rows, mat, chosen))
    if short is not None:
        return None, short
    parts = [
        (rows, _fixed_width_strings(_fpe_rows(cipher, mat, chosen, value_of, symbols, twk, decrypt), out_type, None))
        for rows, mat, chosen in groups
    ]
    return (in_order(len(distinct), parts) if parts else pa.array([], out_type)), None


def _fpe_rows(
    cipher: FF1, mat: np.ndarray, chosen: np.ndarray, value_of: np.ndarray, symbols: np.ndarray, twk: bytes, decrypt: bool
) -> np.ndarray:
    """``mat`` with its ``chosen`` bytes FF1-encrypted (or decrypted), one batch per pattern of chosen columns."""
    if (chosen == chosen[0]).all():  # one format (the usual case): one batch, no sort
        batches = [np.arange(len(mat))]
    else:
        packed: np.ndarray = np.packbits(chosen, axis=1)
        if packed.shape[1] <= 8:  # one integer per pattern: a 1-D sort, not a row-wise one
            packed = np.pad(packed, ((0, 0), (0, 8 - packed.shape[1]))).view(np.uint64).ravel()
        patterns, inverse = np.unique(packed, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        bounds = np.cumsum(np.bincount(inverse, minlength=len(patterns)))[:-1]
        batches = np.split(np.argsort(inverse, kind="stable"), bounds)
    for members in batches:
        picked = np.ix_(members, np.flatnonzero(chosen[members[0]]))
        mat[picked] = symbols[cipher.many_matrix(value_of[mat[picked]], twk, decrypt=decrypt)]
    return mat


def fpe_encrypt(
    key: bytes,
    values: Any,
    *,
    column: str,
    alphabet: str = DIGITS,
    keep_prefix: int = 0,
    tweak: bytes | None = None,
) -> Any:
    """FF1-encrypt the alphabet characters of every value; other characters stay in place.

    ``"010-1234-5678"`` with ``keep_prefix=3`` keeps ``010`` and the dashes and encrypts the eight
    digits after them: the result is another phone-shaped string. The tweak defaults to the
    column name. The encrypted part must have at least ``log_radix(10^6)`` characters (six digits).
    """
    return _fpe_apply(
        key, values, column=column, alphabet=alphabet, keep_prefix=keep_prefix, tweak=tweak, decrypt=False
    )


def fpe_decrypt(
    key: bytes,
    values: Any,
    *,
    column: str,
    alphabet: str = DIGITS,
    keep_prefix: int = 0,
    tweak: bytes | None = None,
) -> Any:
    """Inverse of :func:`fpe_encrypt` with the same key, column, alphabet, prefix and tweak."""
    return _fpe_apply(
        key, values, column=column, alphabet=alphabet, keep_prefix=keep_prefix, tweak=tweak, decrypt=True
    )


# -- rotation of reversible columns -------------------------------------------------------------


def retokenize(old_key: bytes, new_key: bytes, values: Any, *, column: str) -> Any:
    """Re-key a token column: decrypt under the old key, encrypt under the new, in memory.

    The plaintext exists only inside this call, one batch at a time; it is never written.
    """
    return tokenize(new_key, detokenize(old_key, values, column=column), column=column)


def refpe(
    old_key: bytes,
    new_key: bytes,
    values: Any,
    *,
    column: str,
    alphabet: str = DIGITS,
    keep_prefix: int = 0,
    tweak: bytes | None = None,
) -> Any:
    """Re-key an FF1 column (decrypt with the old key, encrypt with the new, in memory)."""
    opts: dict[str, Any] = {
        "column": column,
        "alphabet": alphabet,
        "keep_prefix": keep_prefix,
        "tweak": tweak,
    }
    return fpe_encrypt(new_key, fpe_decrypt(old_key, values, **opts), **opts)
