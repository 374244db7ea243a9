"""Identifier kinds: one spec per kind, read by detection, attack, protection, ledger and synth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datacustoms.kinds.spec import Keyspace, KindRegistry, KindSpec

if TYPE_CHECKING:
    from datacustoms.kinds.builtin import builtin_kinds

__all__ = ["Keyspace", "KindRegistry", "KindSpec", "builtin_kinds"]


def __getattr__(name: str) -> Any:
    """``builtin_kinds`` on first use: a module that reads one kind's constants (the search
    engine, the RRN check weights) need not import every kind, nor the models they describe."""
    if name == "builtin_kinds":
        from datacustoms.kinds.builtin import builtin_kinds

        return builtin_kinds
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
