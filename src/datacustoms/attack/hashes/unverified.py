"""What the native search kernels report before verification, in a type that says so.

The mask search of ``datacustoms._native`` (``search_mask``) reports a (counter value, target
row) pair as soon as the candidate's digest has the row's first 8 bytes and bitmap bits, and the
row is the only one with that prefix: a digest that shares only those with a target is reported
too. The list search (``search_list``) compares digests in full, but is a kernel all the same,
and the engine trusts no kernel's word. This module is the only caller of both (a test keeps it
so); it hands the pairs back as :class:`Unverified`, which nothing turns into hits but the
engine's verification (every pair re-hashed from its plaintext and compared with its row in full).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

try:  # the optional extension; absent when the install had no C compiler
    from datacustoms import _native  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the install
    _native = None


@dataclass(frozen=True)
class Unverified:
    """Candidates a search reported, not yet hits: ``found`` are counter values (masks) or row
    numbers (lists), ``rows`` the target rows their digests' prefixes matched (None: none named,
    each digest is looked up in full)."""

    found: np.ndarray
    rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.found)

    @staticmethod
    def joined(parts: list[Unverified]) -> Unverified:
        """The pairs of ``parts`` one after another (rows named only where every part names them)."""
        empty = np.empty(0, np.int64)
        found = np.concatenate([empty, *(p.found for p in parts)])
        if any(p.rows is None for p in parts):
            return Unverified(found)
        return Unverified(found, np.concatenate([empty, *(p.rows for p in parts if p.rows is not None)]))

    def in_order(self) -> Unverified:
        """Sorted by ``found`` (the kernels' pipelined lookup reports out of order)."""
        if len(self.found) < 2:
            return self
        order = np.argsort(self.found)
        return Unverified(self.found[order], None if self.rows is None else self.rows[order])

    def where(self, keep: np.ndarray) -> Unverified:
        """The pairs where ``keep`` (a boolean array, one per pair) is true."""
        return Unverified(self.found[keep], None if self.rows is None else self.rows[keep])

    def shifted(self, base: int) -> Unverified:
        """``found`` moved by ``base`` (a slice's candidates numbered in the whole list)."""
        return Unverified(self.found + base, self.rows)


def _pairs(raw: bytes) -> Unverified:
    pairs = np.frombuffer(raw, np.uint64).view(np.int64).reshape(-1, 2)  # counters < 10**18
    return Unverified(pairs[:, 0], pairs[:, 1])


def mask_pairs(plan: Any, targets: Any, algorithm: str, start: int, stop: int, impl: str) -> Unverified:
    """Counter values ``[start, stop)`` of a native mask plan whose digests a target's prefix matched."""
    return _pairs(_native.search_mask(plan, targets, algorithm, start, stop, impl))


def list_pairs(
    offsets: Any, data: Any, offset: int, n: int, width: int, targets: Any, algorithm: str, impl: str, rounds: int
) -> Unverified:
    """Rows of one Arrow string/binary slice (its buffers) whose digests a target's prefix matched."""
    return _pairs(_native.search_list(offsets, data, offset, n, width, targets, algorithm, impl, rounds))
