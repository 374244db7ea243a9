"""The enumeration engine: hash every candidate of a keyspace and look each digest up.

This is what makes "hashed means anonymous" testable: 10^8 Korean mobile numbers under plain
SHA-256 are enumerated in seconds by the native extension ``datacustoms._native`` (AVX-512, AVX2,
SHA-NI or portable C, chosen at run time), and in minutes by the pure-Python fallback that gives
exactly the same answers when the extension could not be built.

Every hit is re-hashed before it is returned, from its plaintext and by code independent of the
search kernel (mask hits: in C, in batches, by hash code the search does not run, checked against
hashlib in-process, with a random sample re-hashed by :mod:`hashlib`; list hits and the Python
engine: hashlib), so a fault
in a kernel can only lose hits, never invent them. Hits carry plaintexts: callers must mask them
before logging.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.attack.hashes.recipes import digest_function
from datacustoms.attack.hashes.unverified import Unverified, list_pairs, mask_pairs
from datacustoms.errors import AttackError, UsageError
from datacustoms.kinds.rrn import CHECK_WEIGHTS

try:  # the optional extension; absent when the install had no C compiler
    from datacustoms import _native  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the install
    _native = None

ALGORITHMS = ("md5", "sha1", "sha256")
IMPLEMENTATIONS = ("auto", "scalar", "sha_ni", "avx2", "avx512")
_RRN_WEIGHTS = CHECK_WEIGHTS  # the native kernel keeps its own copy in module.c (rrn_check)
_NATIVE_MAX_TEMPLATE = 4096  # DC_MAX_TEMPLATE in engine.h
_CHUNK = 1 << 21  # candidates per native call: ~40 ms, so progress and cancellation stay responsive


def native_available() -> bool:
    """True when the C extension was built and imports on this machine."""
    return _native is not None


def cpu_features() -> dict[str, bool]:
    """The CPU features the native dispatcher uses, and whether the extension is there at all."""
    if _native is None:
        return {"avx512": False, "avx2": False, "sha_ni": False, "native": False}
    feats = dict(_native.cpu_features())
    feats["native"] = True
    return feats


def _cores() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _digest_size(algorithm: str) -> int:
    try:
        return int(hashlib.new(algorithm).digest_size)
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"unknown hash algorithm {algorithm!r}",
            "use one of md5, sha1, sha256, sha224, sha384, sha512, sha3_256, blake2b, blake2s",
        ) from exc


def bitmap_bits(n: int) -> int:
    """Bitmap of ~128 bits per target, between 2^16 and 2^30 bits (8 KiB to 128 MiB).

    Twice as many bits halve the false passes, but fresh memory is slow to fault in on some
    virtual machines (32 MiB took 0.15 s more than 16 MiB for 1 M targets, while the search ran
    no faster), so the bitmap stops at a pass in 128 per candidate.
    """
    return min(30, max(16, max(n - 1, 1).bit_length() + 7))


# --------------------------------------------------------------------------- targets


class TargetSet:
    """Distinct raw digests of one size, sorted, with the native lookup structure built lazily.

    Digests live in one contiguous buffer (not one Python object each), so 10 M SHA-256 targets
    cost about 320 MB plus about 225 MB for the native bitmaps and prefix index.
    """

    __slots__ = ("_native", "_prefix", "_pyset", "_sorted", "digest_size")

    def __init__(self, sorted_digests: np.ndarray, digest_size: int) -> None:
        self._sorted = sorted_digests  # (n, digest_size) uint8, sorted, distinct
        self.digest_size = digest_size
        self._native: Any = None
        self._pyset: set[bytes] | None = None
        self._prefix: np.ndarray | None = None

    @classmethod
    def from_digests(cls, digests: Iterable[bytes] | pa.Array | pa.ChunkedArray, digest_size: int) -> TargetSet:
        """Collect raw digests (bytes, or an Arrow binary array); nulls are ignored, duplicates merged."""
        if digest_size < 8 or digest_size > 64:
            raise UsageError(f"digest size {digest_size} is not supported", "use a digest of 8 to 64 bytes")
        raw = _digest_matrix(digests, digest_size)
        return cls(_sort_unique(raw), digest_size)

    def __len__(self) -> int:
        return int(self._sorted.shape[0])

    @property
    def matrix(self) -> np.ndarray:
        """The sorted distinct digests, an ``(n, digest_size)`` uint8 matrix (read it, do not write it)."""
        return self._sorted

    def __contains__(self, digest: object) -> bool:
        if not isinstance(digest, bytes | bytearray | memoryview) or len(digest) != self.digest_size:
            return False
        if self._pyset is not None:
            return bytes(digest) in self._pyset
        want = bytes(digest)
        rows = self._sorted
        lo, hi = 0, rows.shape[0]
        while lo < hi:
            mid = (lo + hi) // 2
            if rows[mid].tobytes() < want:
                lo = mid + 1
            else:
                hi = mid
        return lo < rows.shape[0] and rows[lo].tobytes() == want

    def digests(self) -> bytes:
        """All distinct digests, sorted, concatenated (for callers that persist a target set)."""
        return self._sorted.tobytes()

    def contains_many(self, digests: bytes) -> np.ndarray:
        """Membership of each ``digest_size`` slice of ``digests`` (vectorised, for verifying hits)."""
        ds, n = self.digest_size, len(self)
        q = np.frombuffer(digests, np.uint8).reshape(-1, ds)
        if n == 0 or q.shape[0] == 0:
            return np.zeros(q.shape[0], bool)
        if _native is not None:
            return np.frombuffer(_native.contains(self._native_handle(), digests), np.bool_)
        if self._prefix is None:
            self._prefix = np.ascontiguousarray(self._sorted[:, :8]).view(">u8").ravel().astype(np.uint64)
        qp = np.ascontiguousarray(q[:, :8]).view(">u8").ravel().astype(np.uint64)
        pos = np.minimum(np.searchsorted(self._prefix, qp), n - 1)
        ok = (self._sorted[pos] == q).all(axis=1)
        tie = np.flatnonzero(~ok & (self._prefix[pos] == qp))  # same 8-byte prefix, another row
        for i in tie:
            ok[i] = q[i].tobytes() in self
        return ok

    def _native_handle(self, keys: int = -1) -> Any:
        """The native lookup tables, built on first use; ``keys`` 0 or 1 also builds that kind of
        bitmaps then, on a second thread (else each search builds the kind it reads): 0 keyed by
        each digest's last word, 1 by SHA-256's a after round 56."""
        if self._native is None:
            self._native = _native.targets_new(self._sorted, self.digest_size, bitmap_bits(len(self)), keys)
        return self._native

    def _python_set(self) -> set[bytes] | None:
        """A set for the fallback loop when it fits comfortably in memory; else bisection."""
        if self._pyset is None and len(self) <= 2_000_000:
            ds = self.digest_size
            buf = self._sorted.tobytes()
            self._pyset = {buf[i : i + ds] for i in range(0, len(buf), ds)}
        return self._pyset


def _digest_matrix(digests: Iterable[bytes] | pa.Array | pa.ChunkedArray, size: int) -> np.ndarray:
    if isinstance(digests, pa.ChunkedArray):
        digests = digests.combine_chunks() if digests.num_chunks else pa.array([], pa.binary())
    if isinstance(digests, pa.Array):
        arr = digests.drop_null()
        if pa.types.is_fixed_size_binary(arr.type):
            if arr.type.byte_width != size:
                raise UsageError(
                    f"digests are {arr.type.byte_width} bytes, expected {size}",
                    "pass digests of the algorithm's size (decode hex first)",
                )
        elif pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type):
            lengths = pc.binary_length(arr)
            if len(arr) and (pc.min(lengths).as_py() != size or pc.max(lengths).as_py() != size):
                raise UsageError(
                    f"some digests are not {size} bytes long",
                    "pass raw digests of one algorithm (decode hex first)",
                )
            arr = arr.cast(pa.binary(size))
        else:
            raise UsageError(
                f"digests must be a binary Arrow array, got {arr.type}",
                "decode hex or base64 to raw bytes first",
            )
        if len(arr) == 0:
            return np.zeros((0, size), np.uint8)
        data = arr.buffers()[1]
        flat = np.frombuffer(data, np.uint8, count=(arr.offset + len(arr)) * size)
        return flat[arr.offset * size :].reshape(len(arr), size)
    parts: list[bytes] = []
    for d in digests:
        if d is None:
            continue
        b = bytes(d)
        if len(b) != size:
            raise UsageError(f"a digest is {len(b)} bytes, expected {size}", "pass raw digests of one algorithm")
        parts.append(b)
    return np.frombuffer(b"".join(parts), np.uint8).reshape(len(parts), size)


def _sort_unique(raw: np.ndarray) -> np.ndarray:
    """Sort rows lexicographically and drop duplicates, without a Python object per row."""
    n, size = raw.shape
    if n == 0:
        return np.zeros((0, size), np.uint8)
    order = np.argsort(np.ascontiguousarray(raw[:, :8]).view(">u8").ravel(), kind="stable")
    rows = raw[order]
    del order  # peak memory: the input, the sorted copy and one 8-byte column
    prefix = np.ascontiguousarray(rows[:, :8]).view(">u8").ravel()
    tie = np.flatnonzero(prefix[1:] == prefix[:-1])
    if tie.size:  # adjacent exact duplicates: drop them without a Python loop
        dup = tie[(rows[tie] == rows[tie + 1]).all(axis=1)] + 1
        if dup.size:
            keep = np.ones(n, bool)
            keep[dup] = False
            rows = rows[keep]
            n = rows.shape[0]
            prefix = np.ascontiguousarray(rows[:, :8]).view(">u8").ravel()
            tie = np.flatnonzero(prefix[1:] == prefix[:-1])
    if tie.size:  # different digests sharing 8 bytes (rare): order those runs fully
        starts = np.unique(np.concatenate([tie, tie + 1]))
        groups = np.split(starts, np.flatnonzero(np.diff(starts) != 1) + 1)
        keep = np.ones(n, bool)
        for g in groups:
            block = sorted({rows[i].tobytes() for i in g})
            lo = int(g[0])
            for j, b in enumerate(block):
                rows[lo + j] = np.frombuffer(b, np.uint8)
            keep[lo + len(block) : int(g[-1]) + 1] = False
        rows = rows[keep]
    return np.ascontiguousarray(rows)


# --------------------------------------------------------------------------- masks


@dataclass(frozen=True)
class Mask:
    """A template whose decimal-digit slots are enumerated by a counter.

    ``positions`` are byte offsets, most significant first. Counter value ``i`` writes its
    decimal digits, zero-padded to the slot count, into those offsets: for ``010XXXXXXXX`` with
    positions 3..10, counter 12345678 is ``01012345678``. Salts are just constant template bytes.

    With ``check="kr_rrn"`` the LAST position is the Korean resident-registration-number check
    digit and is not enumerated: ``size`` is ``10 ** (len(positions) - 1)``. Its value is computed
    from the 12 RRN digits before it — the 12 nearest bytes before the check offset that are an
    ASCII digit or an enumerated slot (so a hyphen is skipped) — with weights 2,3,4,5,6,7,8,9,2,
    3,4,5 and C = (11 - sum % 11) % 10. A fixed birth date and sex digit are written into the
    template; the five serial digits are the enumerated slots: ``Mask.from_pattern(
    b"900101-1XXXXXC", check="kr_rrn")`` enumerates 10^5 numbers.
    """

    template: bytes
    positions: tuple[int, ...]
    check: str | None = None
    _rrn: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t, pos = self.template, tuple(int(p) for p in self.positions)
        object.__setattr__(self, "positions", pos)
        if len(set(pos)) != len(pos) or any(p < 0 or p >= len(t) for p in pos):
            raise UsageError("mask slots must be distinct offsets inside the template", "check the mask positions")
        if self.check not in (None, "kr_rrn"):
            raise UsageError(f"unknown check digit {self.check!r}", "use check=None or check='kr_rrn'")
        n = len(pos) - (1 if self.check else 0)
        if n > 18 or n < 0:
            raise UsageError("a mask enumerates at most 18 digits", "split the keyspace into several masks")
        if self.check == "kr_rrn":
            slots = set(pos[:-1])
            rrn = [i for i in range(pos[-1] - 1, -1, -1) if i in slots or 48 <= t[i] <= 57][:12]
            if len(rrn) != 12:
                raise UsageError(
                    "a kr_rrn mask needs 12 digits before its check digit",
                    "write the fixed RRN digits into the template",
                )
            object.__setattr__(self, "_rrn", tuple(reversed(rrn)))

    @classmethod
    def from_pattern(cls, pattern: bytes | str, slot: str = "X", check: str | None = None) -> Mask:
        """``b"010XXXXXXXX"`` → slots at every ``X``; with ``check="kr_rrn"`` a final ``C`` is the check digit."""
        tmpl = pattern.encode() if isinstance(pattern, str) else bytes(pattern)
        s = ord(slot)
        positions = [i for i, b in enumerate(tmpl) if b == s]
        if check == "kr_rrn":
            c = tmpl.rfind(b"C")
            if c < 0:
                raise UsageError("a kr_rrn pattern marks its check digit with C", "e.g. 900101-1XXXXXC")
            positions.append(c)
        out = bytearray(tmpl)
        for p in positions:
            out[p] = 0x30
        return cls(bytes(out), tuple(positions), check)

    @property
    def enumerated(self) -> tuple[int, ...]:
        """The slots the counter fills (the check digit excluded)."""
        return self.positions[:-1] if self.check else self.positions

    @property
    def size(self) -> int:
        return 10 ** len(self.enumerated)

    def candidate(self, index: int) -> bytes:
        """The plaintext for counter value ``index``."""
        if not 0 <= index < self.size:
            raise UsageError(f"counter {index} outside the mask", f"use 0 ≤ index < {self.size}")
        buf = bytearray(self.template)
        slots = self.enumerated
        if slots:
            for p, d in zip(slots, f"{index:0{len(slots)}d}".encode(), strict=True):
                buf[p] = d
        if self.check:
            s = sum((buf[p] - 48) * w for p, w in zip(self._rrn, _RRN_WEIGHTS, strict=True))
            buf[self.positions[-1]] = 48 + (11 - s % 11) % 10
        return bytes(buf)


@dataclass(slots=True)
class Hit:
    """One reversed digest: the counter value (masks) or row number (lists), and the plaintext."""

    index: int | None
    candidate: bytes
    digest: bytes


class Hits(Sequence[Hit]):
    """Verified hits column by column, in index order: ``indices`` (counter values or row numbers),
    ``candidates`` (plaintexts) and ``digests``.

    A blind attack on a million-row export returns a million hits; three columns cost a few
    pointers per hit where a million :class:`Hit` objects cost far more. The native mask path
    keeps plaintexts and digests as two ``(hits, width)`` byte matrices and makes the lists only
    when ``candidates`` or ``digests`` is read; ``rows`` then holds the row of each hit's digest
    among the sorted distinct targets, so a caller joins hits to targets without a search.
    Indexing and iteration still give :class:`Hit` rows, so small callers need not care.
    """

    __slots__ = ("_cand_list", "_cand_mat", "_dig_list", "_dig_mat", "_table", "indices", "rows")

    def __init__(
        self,
        indices: np.ndarray | Sequence[int] = (),
        candidates: list[bytes] | None = None,
        digests: list[bytes] | None = None,
    ) -> None:
        self.indices = np.asarray(indices, dtype=np.int64)
        self._cand_list: list[bytes] | None = candidates if candidates is not None else []
        self._dig_list: list[bytes] | None = digests if digests is not None else []
        self._cand_mat: np.ndarray | None = None
        self._dig_mat: np.ndarray | None = None
        self._table: np.ndarray | None = None  # sorted targets: digests are table[rows], made on demand
        self.rows: np.ndarray | None = None
        if not len(self.indices) == len(self._cand_list) == len(self._dig_list):
            raise ValueError("hit columns differ in length")

    @classmethod
    def from_matrices(
        cls,
        indices: np.ndarray,
        plaintexts: np.ndarray,
        digests: np.ndarray | None = None,
        rows: np.ndarray | None = None,
        table: np.ndarray | None = None,
    ) -> Hits:
        """Hits whose plaintexts are a ``(k, width)`` uint8 matrix and whose digests are a matrix,
        or rows of ``table`` (the sorted targets, gathered when first read); lists made on demand."""
        if rows is not None and len(rows) != len(indices):
            raise ValueError("hit columns differ in length")
        if digests is None and (rows is None or table is None):
            raise ValueError("hits need digests, or target rows and their table")
        if len(indices) != len(plaintexts) or (digests is not None and len(digests) != len(indices)):
            raise ValueError("hit columns differ in length")
        h = cls()
        h.indices = np.asarray(indices, dtype=np.int64)
        h._cand_list = h._dig_list = None
        h._cand_mat, h._dig_mat, h._table = plaintexts, digests, table
        h.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        return h

    @property
    def candidates(self) -> list[bytes]:
        if self._cand_list is None:
            assert self._cand_mat is not None
            self._cand_list = _matrix_rows(self._cand_mat)
        return self._cand_list

    @property
    def digests(self) -> list[bytes]:
        if self._dig_list is None:
            self._dig_list = _matrix_rows(self.digest_matrix())
        return self._dig_list

    def plaintext_matrix(self) -> np.ndarray | None:
        """The plaintexts as a ``(k, width)`` uint8 matrix when they all have one width (mask hits)."""
        return self._cand_mat

    def digest_matrix(self) -> np.ndarray:
        """The digests as a ``(k, digest size)`` uint8 matrix."""
        if self._dig_mat is None and self._table is not None and self.rows is not None:
            self._dig_mat = np.take(self._table, self.rows, axis=0)
        if self._dig_mat is None:
            lst = self.digests
            size = len(lst[0]) if lst else 0
            self._dig_mat = np.frombuffer(b"".join(lst), np.uint8).reshape(len(lst), size)
        return self._dig_mat

    @classmethod
    def concat(cls, parts: Sequence[Hits]) -> Hits:
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls()
        mats = [p._cand_mat for p in parts]
        if all(m is not None for m in mats) and len({m.shape[1] for m in mats if m is not None}) == 1:
            rows = [p.rows for p in parts]
            table = parts[0]._table
            lazy = table is not None and all(p._table is table and p._dig_mat is None for p in parts)
            return cls.from_matrices(
                np.concatenate([p.indices for p in parts]),
                np.concatenate(mats),  # type: ignore[arg-type]
                None if lazy else np.concatenate([p.digest_matrix() for p in parts]),
                None if any(r is None for r in rows) else np.concatenate(rows),  # type: ignore[arg-type]
                table if lazy else None,
            )
        cands: list[bytes] = []
        digests: list[bytes] = []
        for p in parts:
            cands += p.candidates
            digests += p.digests
        return cls(np.concatenate([p.indices for p in parts]), cands, digests)

    def __len__(self) -> int:
        return len(self.indices)

    @overload
    def __getitem__(self, i: int) -> Hit: ...
    @overload
    def __getitem__(self, i: slice) -> Hits: ...
    def __getitem__(self, i: int | slice) -> Hit | Hits:
        if isinstance(i, slice):
            return Hits(self.indices[i], self.candidates[i], self.digests[i])
        return Hit(int(self.indices[i]), self.candidates[i], self.digests[i])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Hits):
            return (
                self.candidates == other.candidates
                and self.digests == other.digests
                and bool(np.array_equal(self.indices, other.indices))
            )
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable columns

    def __repr__(self) -> str:  # never the plaintexts: hits are secrets until masked
        return f"Hits({len(self)} verified)"


def _matrix_rows(mat: np.ndarray) -> list[bytes]:
    """One bytes object per row of a (k, width) uint8 matrix."""
    k, width = mat.shape
    if k == 0:
        return []
    if width and bool(mat[:, -1].all()):
        # no row ends in NUL, so numpy's fixed-width bytes (which drop trailing NULs) are exact
        return list(np.ascontiguousarray(mat).view(f"S{width}").ravel().tolist())
    blob = mat.tobytes()
    return [blob[i : i + width] for i in range(0, k * width, width)]


@lru_cache(maxsize=64)
def _plan(mask: Mask, algorithm: str, rounds: int = 1) -> Any:
    """The native form of a mask for one algorithm (message words, midstate, digit tables)."""
    check_pos = mask.positions[-1] if mask.check else -1
    return _native.plan_new(mask.template, mask.enumerated, check_pos, mask._rrn or (0,) * 12, algorithm, rounds)


def _check_rounds(rounds: int) -> None:
    if rounds not in (1, 2):
        raise UsageError(f"rounds must be 1 or 2, not {rounds!r}", "use rounds=2 for a hash over the hex of a hash")


def _check_targets(algorithm: str, targets: TargetSet) -> int:
    size = _digest_size(algorithm)
    if size != targets.digest_size:
        raise AttackError(
            f"{algorithm} digests are {size} bytes but the targets are {targets.digest_size}",
            "build the TargetSet with the algorithm's digest size",
        )
    return size


def search_mask(
    mask: Mask,
    algorithm: str,
    targets: TargetSet,
    *,
    start: int = 0,
    stop: int | None = None,
    threads: int | None = None,
    force_python: bool = False,
    progress: Callable[[int], None] | None = None,
    impl: str = "auto",
    on_hits: Callable[[Hits], None] | None = None,
    rounds: int = 1,
) -> Hits:
    """Enumerate counter values ``[start, stop)`` of ``mask``; return the verified hits in counter order.

    ``rounds=2`` searches double hashes: the algorithm again over the lower-case hex of the first
    digest, e.g. ``sha256(sha256(x).hexdigest())``; it costs two or three compressions per candidate.

    ``progress(done)`` is called with the number of candidates finished so far. ``on_hits``, when
    given, receives each chunk's verified hits as soon as they are verified, in counter order, and
    the call returns no hits: a caller that records hits (joins them to rows, say) then does so
    while the workers enumerate the next chunks, instead of after the last one. An exception in
    either callback cancels the chunks not started yet and propagates. ``impl`` forces
    a native path (``scalar``, ``sha_ni``, ``avx2``, ``avx512``) for testing; ``auto`` picks the
    fastest. Algorithms outside :data:`ALGORITHMS` run in the Python loop.
    """
    _check_targets(algorithm, targets)
    _check_rounds(rounds)
    if impl not in IMPLEMENTATIONS:
        raise UsageError(f"unknown engine implementation {impl!r}", f"use one of {', '.join(IMPLEMENTATIONS)}")
    stop = mask.size if stop is None else min(stop, mask.size)
    start = max(0, start)
    if start >= stop or len(targets) == 0:
        if progress:
            progress(0)
        return Hits()
    native = not force_python and _native is not None and algorithm in ALGORITHMS
    if not native or len(mask.template) > _NATIVE_MAX_TEMPLATE:
        chunks = _python_mask(mask, algorithm, targets, start, stop, rounds)
    else:
        if impl == "auto":
            impl = _prepare(mask, algorithm, targets, rounds)
        chunks = _native_mask(mask, algorithm, targets, start, stop, threads, impl, rounds)
    parts = _HitParts(min(len(targets), stop - start), len(mask.template))
    done = 0
    # verify each chunk's hits while the workers enumerate the next ones
    for n, found in chunks:
        if isinstance(found, Unverified):
            pairs = found.in_order()
            verified = _verify_many(algorithm, targets, pairs, _mask_candidates(mask, pairs.found), rounds)
        else:  # verified in C, sorted: hashlib checks a sample
            verified = _sample_checked(algorithm, targets, *found, rounds)
        if on_hits is None:
            parts.add(verified)
        elif len(verified):
            on_hits(verified)
        done += n
        if progress:
            progress(done)
    return parts.hits()


class _HitParts:
    """A search's verified hits in counter order, gathered while the workers enumerate.

    Hits in matrix form (the C-verified path) are copied, chunk by chunk as they arrive, into
    columns sized for every target at once (their pages untouched until written), so a search
    ends with views of those columns instead of concatenating every chunk (about 30 ms for a
    million hits) while the cores idle. Anything else is kept as a part and concatenated at the end.
    """

    def __init__(self, capacity: int, width: int) -> None:
        self._cap, self._width, self._n = max(1, capacity), width, 0
        self._cols: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # indices, rows, plaintexts
        self._table: np.ndarray | None = None
        self._parts: list[Hits] = []

    def add(self, h: Hits) -> None:
        if not len(h):
            return
        mat = h.plaintext_matrix()
        if mat is None or h.rows is None or h._table is None or h._dig_mat is not None or mat.shape[1] != self._width:
            self._flush()
            self._parts.append(h)
            return
        k = len(h)
        if self._cols is None or h._table is not self._table or self._n + k > len(self._cols[0]):
            self._grow(h._table, k)
        assert self._cols is not None
        part = slice(self._n, self._n + k)
        self._cols[0][part], self._cols[1][part], self._cols[2][part] = h.indices, h.rows, mat
        self._n += k

    def _grow(self, table: np.ndarray, k: int) -> None:
        """Columns for ``k`` more hits (of ``table``): twice as large, or new ones for a new table."""
        if self._cols is not None and table is not self._table:
            self._flush()
        size = max(self._cap, k) if self._cols is None else max(2 * len(self._cols[0]), self._n + k)
        cols: tuple[np.ndarray, np.ndarray, np.ndarray] = (
            np.empty(size, np.int64),
            np.empty(size, np.int64),
            np.empty((size, self._width), np.uint8),
        )
        if self._cols is not None:
            for new, old in zip(cols, self._cols, strict=True):
                new[: self._n] = old[: self._n]
        self._cols, self._table = cols, table

    def _flush(self) -> None:
        if self._cols is not None and self._n:
            idx, rows, plain = (c[: self._n] for c in self._cols)
            self._parts.append(Hits.from_matrices(idx, plain, rows=rows, table=self._table))
        self._cols, self._table, self._n = None, None, 0

    def hits(self) -> Hits:
        self._flush()
        return Hits.concat(self._parts)


def _prepare(mask: Mask, algorithm: str, targets: TargetSet, rounds: int = 1) -> str:
    """:func:`_fastest_impl` for the mask, with the targets' lookup tables built at the same time.

    Both are one-off costs of a search, about 30 ms each for 1 M targets on one core: the tables
    and the bitmaps of the key the search will read (C, without the GIL, on two threads of their
    own) go to a helper thread while this one times the kernels and runs the C
    verifier's self-test (:func:`_c_verifier_ok`, else the first worker would run it while the
    other waits), so on two cores they overlap instead of adding up. A failure to build the
    tables (out of memory) is raised here, on the caller's thread.
    """
    if targets._native is not None or len(targets) < 100_000 or _cores() < 2:  # one core: timing undisturbed
        return _fastest_impl(mask, algorithm, rounds)
    failure: list[BaseException] = []
    info = _native.plan_info(_plan(mask, algorithm, rounds))
    # the bitmaps of the keys the search will read (else its first call builds them, holding the
    # GIL): one-block SHA-256 from the initial state on the SIMD kernels stops after round 56 and
    # keys by a there; every other search keys by the digest's last word
    feats = cpu_features()
    round56 = (
        algorithm == "sha256" and rounds == 1 and bool(info["fast"]) and info["tail_offset"] == 0
        and (feats["avx512"] or feats["sha_ni"] or feats["avx2"])
    )  # fmt: skip

    def build() -> None:
        try:
            targets._native_handle(int(round56))
        except BaseException as exc:  # raised again on the caller's thread below
            failure.append(exc)

    builder = threading.Thread(target=build, name="datacustoms-targets", daemon=True)
    builder.start()
    try:
        impl = _fastest_impl(mask, algorithm, rounds)
        _c_verifier_ok()  # its one-off self-test here, not on a worker while the other waits for it
    finally:
        builder.join()
    if failure:
        raise failure[0]
    return impl


def _fastest_impl(mask: Mask, algorithm: str, rounds: int = 1) -> str:
    """The fastest SHA-256 search kernel for this mask's shape (and rounds), timed once per process.

    Which one wins depends on the CPU, not only on its features: on an AMD Zen 3 the SHA-NI path
    runs twice as fast as AVX2, while on CPUs with AVX-512 the 16-lane kernel may beat SHA-NI.
    A fixed order would be wrong somewhere, so each candidate kernel hashes 131,072 of this
    mask's candidates, best of three (about 30 ms in all), and the fastest wins. Double SHA-256
    has its own kernels (a third as many candidates are timed, about 50 ms).
    """
    if algorithm != "sha256":
        return "auto"
    info = _native.plan_info(_plan(mask, algorithm))
    feats = cpu_features()
    # AVX2 is only timed without AVX-512: the AVX-512 kernel is the same code on twice the lanes,
    # with one instruction per rotation and per boolean function, so it is never the slower one
    kernels = tuple(k for k in ("avx512", "sha_ni", "avx2") if feats[k] and not (k == "avx2" and feats["avx512"]))
    if not info["fast"] or not kernels:
        return "auto"
    # masks with the same zero words run the same kernels (double hashing: the same for all)
    key = (kernels, int(info["nonzero_words"]) if rounds == 1 else 0, rounds)
    with _FASTEST_LOCK:  # threads searching many small masks at once wait for one timing
        if key not in _FASTEST:
            _FASTEST[key] = _time_kernels(mask, kernels, rounds)
        return _FASTEST[key]


_FASTEST: dict[tuple[tuple[str, ...], int, int], str] = {}
_FASTEST_LOCK = threading.Lock()


def _time_kernels(mask: Mask, kernels: tuple[str, ...], rounds: int = 1) -> str:
    """The kernel with the best of three short single-thread runs over this mask's candidates
    (one run each when one kernel takes less than two thirds of the other's time: on an Intel
    Xeon with both, AVX-512 hashes about twice as fast as SHA-NI), timed in this thread's CPU
    time: with wall time, a machine shared with other processes could make the slower kernel
    win (SHA-NI picked over AVX-512 doubles a search's time there).

    The first runs search for a few planted candidates, and a kernel that misses one is never
    picked: the verification refuses false hits, but only a self-test catches lost ones, and a
    lost hit would understate what the recipient can reverse. Portable C is the last resort;
    when it misses one too, the search stops with an :class:`AttackError`.
    """
    plan = _plan(mask, "sha256", rounds)
    n = min(mask.size, (1 << 17) // (3 if rounds == 2 else 1))  # double SHA-256: three compressions each
    # group and digit-run edges (16 lanes; 1,000 counters of 010XXXXXXXX), the middle and the end
    planted = sorted({i for i in (0, 1, 15, 16, 999, 1000, 1007, n // 2, n - 1) if i < n})
    digest = digest_function("sha256", rounds)
    targets = TargetSet.from_digests([digest(mask.candidate(i)) for i in planted], 32)._native_handle()

    def run(kernel: str) -> tuple[float, bool]:
        t0 = time.thread_time()  # CPU time: a run preempted on a busy machine is not "slow"
        found = mask_pairs(plan, targets, "sha256", 0, n, kernel).in_order().found
        return time.thread_time() - t0, set(planted) <= set(found.tolist())

    best: dict[str, float] = {}
    for kernel in kernels:
        seconds, found_all = run(kernel)
        if found_all:
            best[kernel] = seconds
    if not best:
        if run("scalar")[1]:
            return "scalar"
        raise AttackError(
            "the native search engine missed candidates of its own self-test, so its answers cannot be trusted",
            "reinstall with DATACUSTOMS_NO_NATIVE=1 to use the pure-Python engine, and report this CPU",
        )
    for _ in range(2):
        times = sorted(best.values())
        if len(times) < 2 or times[1] > 1.5 * times[0]:  # one kernel clearly ahead: more runs would not change it
            break
        best = {k: min(dt, run(k)[0]) for k, dt in best.items()}
    return min(best, key=best.__getitem__)


def _mask_candidates(mask: Mask, indices: np.ndarray) -> list[bytes]:
    """The plaintexts of many counter values at once (vectorised; equals ``mask.candidate``)."""
    return _rows_as_bytes(mask, mask_plaintexts(mask, indices)) if len(indices) else []


def mask_plaintexts(mask: Mask, indices: np.ndarray) -> np.ndarray:
    """The plaintexts of many counter values, a ``(k, width)`` uint8 matrix whose row i is
    ``mask.candidate(indices[i])`` (rendered in C where the extension is built)."""
    k, width = len(indices), len(mask.template)
    if k and _native is not None and width <= _NATIVE_MAX_TEMPLATE:
        blob = _native.candidates(_plan(mask, "sha256"), np.ascontiguousarray(indices, np.uint64))
        return np.frombuffer(blob, np.uint8).reshape(k, width)
    mat = np.empty((k, width), np.uint8)
    mat[:] = np.frombuffer(mask.template, np.uint8)
    v = np.asarray(indices, dtype=np.int64)  # < 10**18, so int64 is exact
    for p in reversed(mask.enumerated):
        mat[:, p] = (v % 10).astype(np.uint8) + 48
        v = v // 10
    if mask.check:
        s = np.zeros(k, np.int64)
        for p, w in zip(mask._rrn, _RRN_WEIGHTS, strict=True):
            s += (mat[:, p].astype(np.int64) - 48) * w
        mat[:, mask.positions[-1]] = (48 + (11 - s % 11) % 10).astype(np.uint8)
    return mat


def _rows_as_bytes(mask: Mask, mat: np.ndarray) -> list[bytes]:
    """One bytes object per row of a (k, width) uint8 matrix of the mask's plaintexts."""
    k, width = mat.shape
    if mask.template[-1] != 0 or (width - 1) in mask.positions:
        # no candidate ends in NUL, so numpy's fixed-width bytes (which drop trailing NULs) are exact
        return list(mat.view(f"S{width}").ravel().tolist())
    blob = mat.tobytes()
    return [blob[i : i + width] for i in range(0, k * width, width)]


def _verify_many(algorithm: str, targets: TargetSet, pairs: Unverified, cands: list[bytes], rounds: int = 1) -> Hits:
    """Re-hash every reported candidate (``cands``, one per pair) with hashlib and keep those
    whose digest really is a target: the only way from :class:`Unverified` to :class:`Hits`.

    Where the kernel named the target rows it matched, each hashlib digest is compared in full
    with its row (one gather) instead of being looked up (a search per hit).
    """
    if not cands:
        return Hits()
    indices, rows = pairs.found, pairs.rows
    if rounds == 1:
        ctor = getattr(hashlib, algorithm, None) or (lambda b: hashlib.new(algorithm, b))
        # map with the unbound digest method: no bytecode per hit, a few per cent faster than a comprehension
        digests = list(map(type(ctor(b"")).digest, map(ctor, cands)))
    else:
        digests = list(map(digest_function(algorithm, rounds), cands))
    if rows is None:
        ok = targets.contains_many(b"".join(digests))
    else:
        inside = (rows >= 0) & (rows < len(targets))  # a faulty row loses its hit, never crashes
        table = np.ascontiguousarray(targets._sorted)
        if table.shape[1] % 8 == 0:  # whole words: np.take on 4 uint64 per SHA-256 digest is ~6x faster
            table = table.view(np.uint64)
        want = np.take(table, np.where(inside, rows, 0), axis=0)
        got = np.frombuffer(b"".join(digests), table.dtype).reshape(want.shape)
        ok = inside & (got == want).all(axis=1)
    if ok.all():
        hits = Hits(indices, cands, digests)
    else:
        keep = np.flatnonzero(ok)
        picked = keep.tolist()
        hits = Hits(np.asarray(indices)[keep], [cands[i] for i in picked], [digests[i] for i in picked])
        rows = None if rows is None else rows[keep]
    hits.rows = None if rows is None else np.asarray(rows, np.int64)  # each verified hit's target row
    return hits


def _native_mask(
    mask: Mask,
    algorithm: str,
    targets: TargetSet,
    start: int,
    stop: int,
    threads: int | None,
    impl: str,
    rounds: int = 1,
) -> Iterator[_Chunk]:
    """(candidates done, counter values that matched, their target rows, plaintexts) per chunk, in order.

    Where the scalar verifier passed its self-test, each worker runs the search and the C
    verification in one call (:func:`_c_verifier_ok`), so hits come back verified, sorted by
    counter value and with their plaintexts as a matrix; otherwise plaintexts are ``None`` and
    the main thread re-hashes every hit with hashlib.
    """
    plan, handle = _plan(mask, algorithm, rounds), targets._native_handle()
    workers = max(1, threads or _cores())
    total = stop - start
    chunk = max(1 << 14, min(_CHUNK, -(-total // (workers * 4))))
    bounds = _chunk_bounds(start, stop, chunk, workers)
    width = len(mask.template)

    def run(ab: tuple[int, int]) -> _Chunk:
        if _c_verifier_ok():
            found, texts, _rejected = _native.search_mask_verified(plan, handle, algorithm, ab[0], ab[1], impl)
            pairs = np.frombuffer(found, np.uint64).view(np.int64).reshape(-1, 2)
            plain = np.frombuffer(texts, np.uint8).reshape(len(pairs), width)
            return ab[1] - ab[0], (pairs[:, 0], plain, pairs[:, 1])
        return ab[1] - ab[0], mask_pairs(plan, handle, algorithm, ab[0], ab[1], impl)

    if workers == 1 or len(bounds) == 1:
        yield from map(run, bounds)
        return
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        yield from pool.map(run, bounds)
    finally:  # Ctrl-C or a failing progress callback: drop the chunks not started yet
        pool.shutdown(wait=True, cancel_futures=True)


def _chunk_bounds(start: int, stop: int, chunk: int, workers: int) -> list[tuple[int, int]]:
    """Chunks of ``chunk`` candidates, with the last ``workers`` chunks' worth cut in quarters:
    the threads then run out of work within a quarter chunk of each other (about 10 ms), not a
    whole one, so no core idles through the end of a search."""
    tail = stop if workers == 1 else max(start, stop - workers * chunk)
    small = max(1 << 14, chunk // 4)
    return [(a, min(a + chunk, tail)) for a in range(start, tail, chunk)] + [
        (a, min(a + small, stop)) for a in range(tail, stop, small)
    ]


#: (candidates done, what they found): pairs still to verify, or the C verifier's hits as
#: (counter values, plaintext matrix, target rows), sorted
_Chunk = tuple[int, Unverified | tuple[np.ndarray, np.ndarray, np.ndarray]]
_SAMPLE = 64  # hits per chunk that hashlib re-checks behind the C verifier
_C_VERIFIER: list[bool] = []  # [passed]: the scalar verifier's self-test, run once per process
_C_VERIFIER_LOCK = threading.Lock()


def _c_verifier_ok() -> bool:
    """True when the native verification of hits agrees with hashlib, in this process.

    The C verification of hits (``verify_mask_hits``) hashes one-block SHA-256 messages with the
    full multi-lane kernel (16 AVX-512 or 8 AVX2 lanes, which the search never runs: its kernels
    stop after round 56 or 60) and every other message with the code ``_native.digest`` runs (SHA-NI
    where the CPU has it, the portable scalar code otherwise). Before it is trusted, that code
    must reproduce hashlib on messages of 0 to 300 bytes (every padding case, one and several
    blocks) for each algorithm, hashed once and twice, and ``verify_mask_hits`` itself must pass
    :func:`_verifier_known_answers` on each of its paths. A failure (a miscompiled extension, say)
    sends every hit through hashlib, as before.
    """
    if not _C_VERIFIER:
        with _C_VERIFIER_LOCK:
            if not _C_VERIFIER:
                # an extension built from older sources has no C verification: hashlib checks all
                ok = hasattr(_native, "search_mask_verified") and hasattr(_native, "verify_mask_hits")
                for alg in ALGORITHMS if ok else ():
                    for n in (0, 3, 11, 55, 56, 63, 64, 65, 119, 120, 300):
                        msg = bytes((7 * i + n) & 0xFF for i in range(n))
                        for rounds in (1, 2):
                            want = digest_function(alg, rounds)(msg)
                            ok &= all(_native.digest(alg, msg, impl, rounds) == want for impl in ("auto", "scalar"))
                _C_VERIFIER.append(ok and _verifier_known_answers() and _search_known_answers())
    return _C_VERIFIER[0]


_KNOWN_MASKS = (  # the verifier's paths: one-block SHA-256 in lanes, two blocks, double, MD5, SHA-1, RRN
    (b"010XXXXXXXX", "sha256", 1, None),
    (b"+82 10-XXXX-XXXX", "sha256", 1, None),
    (b"salt:" * 11 + b"010XXXXXXXX", "sha256", 1, None),
    (b"010XXXXXXXX", "sha256", 2, None),
    (b"010XXXXXXXX", "md5", 1, None),
    (b"010XXXXXXXX", "sha1", 1, None),
    (b"900101-1XXXXXC", "sha256", 1, "kr_rrn"),
)


def _verifier_known_answers() -> bool:
    """``verify_mask_hits`` itself against hashlib, on every path it takes: 37 counters per mask
    (two full batches of 16 lanes and a partial one) must all come back, sorted, with their exact
    plaintexts, and three wrong pairs (a digest's neighbour row, a counter outside the mask, a
    row outside the set) must be refused."""
    for pattern, alg, rounds, check in _KNOWN_MASKS:
        mask = Mask.from_pattern(pattern, check=check)
        idx = [(3 + 2_711 * k) % mask.size for k in range(37)]
        digest = digest_function(alg, rounds)
        digests = [digest(mask.candidate(i)) for i in idx]
        targets = TargetSet.from_digests(digests, len(digests[0]))
        order = {d: r for r, d in enumerate(sorted(digests))}
        pairs = [(i, order[d]) for i, d in zip(idx, digests, strict=True)]
        wrong = [(idx[0], (order[digests[0]] + 1) % len(idx)), (mask.size, 0), (idx[1], len(idx))]
        raw = np.array(pairs[::-1] + wrong, np.uint64).tobytes()  # unsorted, as a kernel may report
        ok, texts, rejected = _native.verify_mask_hits(_plan(mask, alg, rounds), targets._native_handle(), raw)
        want = sorted(idx)
        width = len(mask.template)
        got = np.frombuffer(ok, np.uint64).reshape(-1, 2)[:, 0].tolist()
        if rejected != len(wrong) or got != want:
            return False
        if [texts[width * k : width * (k + 1)] for k in range(len(want))] != [mask.candidate(i) for i in want]:
            return False
    return True


def _search_known_answers() -> bool:
    """``search_mask_verified`` on a one-block SHA-256 mask, where the search itself verifies:
    each bitmap pass is hashed from its rebuilt plaintext by the full kernel and compared in full
    with its target row. 37 planted counters of 0..100,000 must come back, sorted, with their
    exact plaintexts, and a target forged to share a candidate's first 8 and last 4 digest bytes
    (the bitmap's and the prefix index's) must not."""
    mask = Mask.from_pattern(b"010XXXXXXXX")
    idx = sorted({(3 + 2_711 * k) % 100_000 for k in range(37)})
    digests = [hashlib.sha256(mask.candidate(i)).digest() for i in idx]
    real = hashlib.sha256(mask.candidate(50_001)).digest()
    forged = real[:8] + bytes(b ^ 0x5A for b in real[8:-4]) + real[-4:]
    targets = TargetSet.from_digests([*digests, forged], 32)
    found, texts, _rejected = _native.search_mask_verified(
        _plan(mask, "sha256"), targets._native_handle(), "sha256", 0, 100_000, "auto"
    )
    got = np.frombuffer(found, np.uint64).reshape(-1, 2)[:, 0].tolist()
    width = len(mask.template)
    return got == idx and [texts[width * k : width * (k + 1)] for k in range(len(idx))] == [
        mask.candidate(i) for i in idx
    ]


def _sample_checked(
    algorithm: str, targets: TargetSet, found: np.ndarray, plain: np.ndarray, rows: np.ndarray, rounds: int
) -> Hits:
    """Hits the C verifier passed, with a random sample re-hashed by hashlib.

    The C verifier already re-hashed every hit with the scalar code and compared it in full with
    its target row. hashlib re-checks up to ``_SAMPLE`` of them, chosen at random; a single
    disagreement means the verifier itself is wrong, and then every hit of the chunk is
    re-hashed with hashlib and only those hashlib confirms are kept (and later chunks skip the
    C verifier), so no hit is ever reported that hashlib would reject.
    """
    k = len(found)
    if k == 0:
        return Hits()
    table = targets._sorted
    pick = np.arange(k) if k <= _SAMPLE else np.random.default_rng().choice(k, _SAMPLE, replace=False)
    digest = digest_function(algorithm, rounds)
    if all(digest(plain[i].tobytes()) == table[rows[i]].tobytes() for i in pick.tolist()):
        return Hits.from_matrices(found, plain, rows=rows, table=table)
    if _C_VERIFIER:
        _C_VERIFIER[0] = False
    return _verify_many(algorithm, targets, Unverified(found, rows), _matrix_rows(plain), rounds)


def _python_mask(
    mask: Mask, algorithm: str, targets: TargetSet, start: int, stop: int, rounds: int = 1
) -> Iterator[_Chunk]:
    """The same enumeration with hashlib, one candidate at a time (no compiler needed)."""
    lookup: Any = targets._python_set()
    if lookup is None:
        lookup = targets
    digest = digest_function(algorithm, rounds)
    slots = mask.enumerated
    width = len(slots)
    buf = bytearray(mask.template)
    rrn_slot = mask.positions[-1] if mask.check else -1
    step = 1 << 16
    for a in range(start, stop, step):
        found: list[int] = []
        b = min(a + step, stop)
        for i in range(a, b):
            if width:
                for p, d in zip(slots, f"{i:0{width}d}".encode(), strict=True):
                    buf[p] = d
            if rrn_slot >= 0:
                s = sum((buf[p] - 48) * w for p, w in zip(mask._rrn, _RRN_WEIGHTS, strict=True))
                buf[rrn_slot] = 48 + (11 - s % 11) % 10
            if digest(buf) in lookup:
                found.append(i)
        yield b - a, Unverified(np.array(found, np.int64))


# --------------------------------------------------------------------------- lists


def _as_binary_array(values: pa.Array | pa.ChunkedArray | Sequence[bytes | str]) -> pa.ChunkedArray:
    """Any string/binary Arrow input or a Python sequence, as chunks the kernels can read."""
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    if not isinstance(values, pa.ChunkedArray):
        items = [v.encode() if isinstance(v, str) else v for v in values]
        values = pa.chunked_array([pa.array(items, pa.binary())])
    t = values.type
    if pa.types.is_string_view(t) or pa.types.is_binary_view(t):  # view layouts: no offsets buffer
        values = values.cast(pa.large_string() if pa.types.is_string_view(t) else pa.large_binary())
        t = values.type
    if not (
        pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)
    ):
        raise UsageError(f"expected a string or binary column, got {t}", "cast the column to string first")
    return values


def _slices(chunks: pa.ChunkedArray, size: int) -> list[tuple[int, pa.Array]]:
    """(global row offset, slice) pairs of at most ``size`` rows."""
    out: list[tuple[int, pa.Array]] = []
    base = 0
    for ch in chunks.chunks:
        for a in range(0, len(ch), size):
            out.append((base + a, ch.slice(a, size)))
        base += len(ch)
    return out


def _buffers(arr: pa.Array) -> tuple[Any, Any, int, int, int]:
    bufs = arr.buffers()
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    return bufs[1], bufs[2], arr.offset, len(arr), 8 if large else 4


def search_candidates(
    candidates: pa.Array | pa.ChunkedArray | Sequence[bytes | str],
    algorithm: str,
    targets: TargetSet,
    *,
    force_python: bool = False,
    impl: str = "auto",
    rounds: int = 1,
) -> Hits:
    """Hash every candidate of a list keyspace (emails, names, a leaked phone list) and look it up.

    ``index`` of each hit is the candidate's row number. Nulls are skipped. md5, sha1 and sha256
    run natively; any other :mod:`hashlib` algorithm (sha224, sha512, sha3_256, blake2b, …) in Python.
    ``rounds=2`` hashes again over the lower-case hex of the first digest, as :func:`search_mask`.
    """
    _check_targets(algorithm, targets)
    _check_rounds(rounds)
    chunks = _as_binary_array(candidates)
    if len(targets) == 0 or len(chunks) == 0:
        return Hits()
    rows: list[int] = []  # in order
    target_rows: np.ndarray | None = None
    pieces = _slices(chunks, 1 << 18)
    if force_python or _native is None or algorithm not in ALGORITHMS:
        lookup: Any = targets._python_set()
        if lookup is None:
            lookup = targets
        digest = digest_function(algorithm, rounds)
        for base, arr in pieces:
            for i, v in enumerate(arr.to_pylist()):
                if v is None:
                    continue
                b = v.encode() if isinstance(v, str) else v
                if digest(b) in lookup:
                    rows.append(base + i)
    else:
        handle = targets._native_handle()

        def run(piece: tuple[int, pa.Array]) -> Unverified:
            base, arr = piece
            pairs = list_pairs(*_buffers(arr), handle, algorithm, impl, rounds)
            if arr.null_count:  # a null is an empty slot in the buffers: never a candidate
                pairs = pairs.where(arr.is_valid().to_numpy(zero_copy_only=False)[pairs.found])
            return pairs.shifted(base)

        with ThreadPoolExecutor(max_workers=_cores()) as pool:
            pairs = Unverified.joined(list(pool.map(run, pieces)))  # in row order
        rows, target_rows = pairs.found.tolist(), pairs.rows
    values = chunks.take(pa.array(rows, pa.int64())).to_pylist() if rows else []
    cands = [v.encode() if isinstance(v, str) else v for v in values]
    return _verify_many(algorithm, targets, Unverified(np.asarray(rows, np.int64), target_rows), cands, rounds)


# --------------------------------------------------------------------------- HMAC


def hmac_sha256_batch(
    key: bytes, values: pa.Array | pa.ChunkedArray, *, force_python: bool = False, impl: str = "auto"
) -> pa.Array | pa.ChunkedArray:
    """HMAC-SHA-256 of every value under one key → ``fixed_size_binary(32)``; nulls stay null.

    Accepts string, large_string, binary and large_binary; a ChunkedArray gives a ChunkedArray.
    The key's inner and outer states are computed once; rows are split across all cores.
    """
    if not isinstance(key, bytes | bytearray):
        raise UsageError("the HMAC key must be bytes", "decode the key from its hex or base64 form first")
    if isinstance(values, pa.ChunkedArray):
        out_chunks = [hmac_sha256_batch(key, c, force_python=force_python, impl=impl) for c in values.chunks]
        return pa.chunked_array(out_chunks, pa.binary(32))
    chunks = _as_binary_array(values)
    arr = chunks.chunk(0) if chunks.num_chunks else pa.array([], pa.binary())
    n = len(arr)
    if force_python or _native is None:
        proto = hmac.new(bytes(key), digestmod="sha256")
        out = bytearray(32 * n)
        for i, v in enumerate(arr.to_pylist()):
            if v is None:
                continue
            h = proto.copy()
            h.update(v.encode() if isinstance(v, str) else v)
            out[32 * i : 32 * i + 32] = h.digest()
        data = pa.py_buffer(bytes(out))
    else:
        workers = _cores()
        step = max(1 << 15, -(-n // workers))
        pieces = [arr.slice(a, step) for a in range(0, n, step)]

        def run(piece: pa.Array) -> bytes:
            offs, d, off, m, width = _buffers(piece)
            return bytes(_native.hmac_sha256(bytes(key), offs, d, off, m, width, impl))

        if len(pieces) <= 1:
            parts = [run(p) for p in pieces]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                parts = list(pool.map(run, pieces))
        data = pa.py_buffer(parts[0] if len(parts) == 1 else b"".join(parts))
    validity = None
    if arr.null_count:
        validity = arr.is_valid().buffers()[1]
    return pa.Array.from_buffers(pa.binary(32), n, [validity, data], null_count=arr.null_count)


# --------------------------------------------------------------------------- rate


def measure_rate(algorithm: str, seconds: float = 0.3, rounds: int = 1, impl: str = "auto") -> float:
    """Candidates per second with lookup on this machine, all cores, for extrapolating budgets.

    Measured on the 11-digit mobile mask against 65,536 random targets (none found); a much
    larger target set runs a little slower because its bitmap no longer fits the caches. A named
    ``impl`` skips the one-off timing of the kernels (``auto`` picks the fastest by timing them).
    """
    size = _digest_size(algorithm)
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 256, size=(65536, size), dtype=np.uint8)
    targets = TargetSet(_sort_unique(raw), size)
    mask = Mask.from_pattern(b"010XXXXXXXX")
    # the first run is about a quarter of ``seconds`` at 10^8/s (all of it for double hashes)
    n = 1 << 16 if (_native is None or algorithm not in ALGORITHMS) else min(1 << 21, max(1 << 16, int(seconds * 25e6)))
    if _native is not None and algorithm in ALGORITHMS and impl == "auto":
        _fastest_impl(mask, algorithm, rounds)  # the one-off kernel timing stays out of the measured runs
    while True:  # a short first run sizes the one that is timed (not a doubling ladder)
        t0 = time.perf_counter()
        search_mask(mask, algorithm, targets, stop=n, rounds=rounds, impl=impl)
        dt = time.perf_counter() - t0
        if dt >= seconds / 2 or n >= mask.size:
            return n / dt
        n = min(mask.size, int(n * seconds / max(dt, 1e-6)) + 1)
