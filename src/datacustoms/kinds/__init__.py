"""Identifier kinds: one spec per kind, read by detection, attack, protection, ledger and synth."""

from datacustoms.kinds.builtin import builtin_kinds
from datacustoms.kinds.spec import Keyspace, KindRegistry, KindSpec

__all__ = ["Keyspace", "KindRegistry", "KindSpec", "builtin_kinds"]
