"""Per-release (epoch) pseudonym keys: ``pseudonymize`` with ``rotate: daily | monthly | per_transfer``.

A stable pseudonym key gives one person the same pseudonym in every release, so a recipient can
join releases into a trace (rule R17). When the purpose does not need that, the key rotates: the
epoch key is HKDF-SHA-256 of the master key with ``info`` = (recipient, purpose, operation,
"epoch", label) — :func:`datacustoms.protect.crypto.derive_epoch_key` — where the label is

- ``D2024-05-14`` for ``daily`` (the release day, UTC),
- ``M2024-05`` for ``monthly``,
- ``T<transfer id>`` for ``per_transfer`` (a fresh random id per ``protect`` run).

The label is recorded with the step (``PseudonymEntry.method`` in the ledger), never the key. The
epoch of a run is set once (:func:`release_epoch`), so every batch and every plan built in one
transfer use the same key.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, date, datetime

ROTATIONS = ("never", "daily", "monthly", "per_transfer")


@dataclass(frozen=True)
class Epoch:
    day: date
    transfer: str


_EPOCH: ContextVar[Epoch | None] = ContextVar("datacustoms_epoch", default=None)


def set_epoch(day: date | None = None, transfer: str | None = None) -> Token[Epoch | None]:
    """Fix the epoch of this run (reset with ``_EPOCH.reset(token)`` or use :func:`release_epoch`)."""
    return _EPOCH.set(Epoch(day or datetime.now(UTC).date(), transfer or uuid.uuid4().hex))


def reset_epoch(token: Token[Epoch | None]) -> None:
    _EPOCH.reset(token)


@contextlib.contextmanager
def release_epoch(day: date | None = None, transfer: str | None = None, *, keep: bool = False) -> Iterator[Epoch]:
    """The epoch for the block; with ``keep``, an epoch already set by a caller stays."""
    current = _EPOCH.get()
    if keep and current is not None:
        yield current
        return
    token = set_epoch(day, transfer)
    try:
        epoch = _EPOCH.get()
        assert epoch is not None
        yield epoch
    finally:
        _EPOCH.reset(token)


def epoch_transfer() -> str | None:
    """The transfer id of the current epoch, when a run set one."""
    epoch = _EPOCH.get()
    return epoch.transfer if epoch is not None else None


def epoch_label(rotate: str) -> str | None:
    """The label of the current epoch for ``rotate`` (None for ``never``)."""
    if rotate == "never":
        return None
    epoch = _EPOCH.get()
    if epoch is None:  # a plan built outside a run: today, and a one-off transfer id
        epoch = Epoch(datetime.now(UTC).date(), uuid.uuid4().hex)
    if rotate == "daily":
        return f"D{epoch.day.isoformat()}"
    if rotate == "monthly":
        return f"M{epoch.day:%Y-%m}"
    return f"T{epoch.transfer}"
