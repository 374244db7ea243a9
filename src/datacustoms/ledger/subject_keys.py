"""Keyed derivations a column of an export may have been made with: pseudonyms, tokens, FF1.

A column that arrived already protected (a keyed pseudonym, an AES-SIV token, an FF1 value) cannot
be reversed by guessing: only the key holder can recompute it. The sender holds the keys, so the
subject index computes, for each customer of its own table, the value that customer's identifier
would have under each key that may have made the column, and joins that to the export.

Which keys: every ``protect`` (and ``transfer``) run that used a keystore key wrote a line to the
keystore's audit log with the master key ID, the recipient, the purpose, the derived key ID of each
operation (the epoch of a rotating pseudonym key included) and the columns it protected; the
master key version is found by its ID (a retired version after a rotation still works). The
transfer's own policy key (every version) under the transfer's recipient and purpose is tried as
well. A key the audit log names but the keystore no longer holds is reported (destroyed): the
column then cannot be linked back to anyone, and ``ledger lookup`` says so.

Each derivation computes the protected form with the very functions ``protect`` uses
(:func:`datacustoms.protect.operators.pseudonymize.pseudonymize_values`,
:func:`datacustoms.protect.crypto.tokenize`, :func:`datacustoms.protect.crypto.fpe_encrypt`), so a
change there cannot make the index drift from what was sent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.errors import DatacustomsError

#: derived keys tried per column, newest first (each costs a computation per customer)
MAX_KEYS = 32
#: FF1 ``keep_prefix`` values tried (a carrier prefix such as ``010`` is 3); the alphabet is digits
FPE_PREFIXES = (0, 3)
_HEX = re.compile(r"[0-9a-f]+")
_B32 = re.compile(r"[a-z2-7]+")
_B64 = re.compile(r"[A-Za-z0-9_-]+")
_LETTER = re.compile(r"[A-Za-z]")  # FF1 is tried on identifiers without letters: phones, RRNs, numeric IDs


@dataclass(frozen=True)
class Derivation:
    """One keyed way a column may have been made from an identifier."""

    how: str  #: what the ledger records, e.g. "HMAC-SHA-256 pseudonym … under key 'k' version 1 (k1-…)"
    compute: Callable[[pa.Array, str], pa.Array] = field(repr=False, compare=False)  #: (identifier text, column)
    exact: bool = True  #: a single hit proves it (a MAC or an authenticated token; FF1 is not)


@dataclass
class KeyedSources:
    """The keyed derivations to try for a column, and the keys that made it but are gone."""

    derivations: list[Derivation] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Run:
    """One protect run's parameters (from the audit log, or the transfer's own policy)."""

    key_ref: str
    key_id: str | None
    recipient: str
    purpose: str
    derived: dict[str, str]  #: operation[@epoch] -> derived key ID; empty: every operation, unchecked
    columns: frozenset[str] | None  #: the columns it protected (None: unknown)
    at: str = ""


class KeyRing:
    """The sender's keys as the subject index sees them: the keystore and its audit log.

    Nothing is created: a keystore that does not exist gives no keys. Errors reading it (a keystore
    others may read, an unreadable audit log) become a reason instead of failing the transfer.
    """

    def __init__(self, keystore: str | os.PathLike[str] | None, policy: Any = None) -> None:
        from datacustoms.protect.keys import AuditLog, Keystore

        self.store = Keystore(keystore)
        self.problem: str | None = None
        self.runs: list[_Run] = []
        self.held: set[str] = set()  #: IDs of every key version the keystore holds (active and retired)
        try:
            if self.store.exists():
                self.held = {k.id for k in self.store.list()}
                self.runs = [r for e in AuditLog.beside(self.store.path).entries() if (r := _run_of(e)) is not None]
        except DatacustomsError as err:
            self.problem = f"the keystore or its audit log could not be read ({err.message})"
        if policy is not None and getattr(policy, "key", None):
            self.runs.append(_Run(policy.key, None, policy.recipient, policy.purpose, {}, None))

    def protected_columns(self) -> set[str]:
        """Every column a recorded protect run made with a key."""
        return {c for r in self.runs if r.columns for c in r.columns}

    def sources(self, column: str, sample: pa.Array) -> KeyedSources:
        """The derivations that may have made ``column`` (whose first values are ``sample``)."""
        out = KeyedSources()
        runs = [r for r in self.runs if r.columns is None or column in r.columns]
        seen: set[str] = set()
        shape = _shape(sample)
        for run in reversed(runs):  # newest first: a daily-rotated key gives a key per day
            if len(seen) >= MAX_KEYS:
                break
            for master, label in self._masters(run, out.missing):
                for deriv in _derivations(master, label, run, shape, seen):
                    out.derivations.append(deriv)
        if self.problem:
            out.missing.append(self.problem)
        return out

    def _masters(self, run: _Run, missing: list[str]) -> list[tuple[Any, str]]:
        """The master key versions of a run, each with how it is named; a destroyed one is reported."""
        from datacustoms.protect.keys import resolve_key_versions

        if run.key_id is not None and not run.key_ref.startswith("env:") and self.problem is None \
                and run.key_id not in self.held:
            missing.append(f"made on {run.at[:10] or 'an unknown day'} with key {run.key_ref!r} (ID {run.key_id}), "
                           "which the keystore no longer holds (destroyed): it cannot be linked to anyone here")  # fmt: skip
            return []
        try:
            if run.key_id is not None and not run.key_ref.startswith("env:"):
                versions = [self.store.by_id(run.key_id)]
            else:
                versions = resolve_key_versions(run.key_ref, keystore=self.store.path)
                versions = [m for m in versions if run.key_id in (None, m.id)]
        except DatacustomsError as err:  # an environment key not set, a key name not in this keystore
            if run.key_id is not None:
                missing.append(f"made with key {run.key_ref!r} (ID {run.key_id}), which is not available here "
                               f"({err.message})")  # fmt: skip
            return []
        return [(m, f"key {m.name!r}" + (f" version {m.version} ({m.status})" if m.version else "") + f" [{m.id}]")
                for m in versions]  # fmt: skip


def _run_of(entry: dict[str, Any]) -> _Run | None:
    if entry.get("action") != "protect" or not entry.get("key_id") or not entry.get("recipient"):
        return None
    derived = entry.get("derived_key_ids") or {}
    return _Run(str(entry.get("key") or ""), str(entry["key_id"]), str(entry["recipient"]), str(entry.get("purpose") or ""),
                {str(k): str(v) for k, v in derived.items()}, frozenset(entry.get("columns") or []),
                str(entry.get("at") or ""))  # fmt: skip


@dataclass(frozen=True)
class _Shape:
    """What the column's first values look like: which encodings and lengths are possible."""

    pseudonym: list[tuple[str, int]]  #: (encoding, bits) a pseudonym of this length could have
    token: bool
    digits: bool


def _shape(sample: pa.Array) -> _Shape:
    values = [v for v in pc.cast(sample, pa.large_string()).to_pylist() if v]
    lengths = {len(v) for v in values}
    pseudonym: list[tuple[str, int]] = []
    if len(lengths) == 1:
        n = lengths.pop()
        for enc, pattern, bits in (("hex", _HEX, n * 4), ("base32", _B32, n * 5 // 8), ("base64url", _B64, n * 6 // 8)):
            if 128 <= bits <= 256 and bits % 8 == 0 and all(pattern.fullmatch(v) for v in values):
                pseudonym.append((enc, bits))
    token = bool(values) and all(_B64.fullmatch(v) and len(v) >= 43 for v in values)  # a tag and a block at least
    digits = bool(values) and all(sum(ch.isdigit() for ch in v) >= 6 and not _LETTER.search(v) for v in values)
    return _Shape(pseudonym, token, digits)


def _derivations(master: Any, name: str, run: _Run, shape: _Shape, seen: set[str]) -> Iterable[Derivation]:
    """The derivations of one master key version under one run's recipient and purpose."""
    from datacustoms.protect import crypto

    slots = run.derived or {"pseudonymize": "", "tokenize": "", "fpe": ""}
    for slot, expected in slots.items():
        op, _, epoch = slot.partition("@")
        if op not in ("pseudonymize", "tokenize", "fpe"):
            continue
        if epoch:
            key = crypto.derive_epoch_key(master.material, recipient=run.recipient, purpose=run.purpose,
                                          operation=op, epoch=epoch)  # fmt: skip
        else:
            key = crypto.derive_key(master.material, recipient=run.recipient, purpose=run.purpose, operation=op)
        kid = crypto.key_id(key)
        if (expected and kid != expected) or kid in seen:
            continue
        seen.add(kid)
        where = f"{name}, recipient {run.recipient!r}, purpose {run.purpose!r}" + (f", epoch {epoch}" if epoch else "")
        if op == "pseudonymize":
            for enc, bits in shape.pseudonym:
                for norm in ("trim", "digits", "lower", "none"):
                    yield Derivation(f"HMAC-SHA-256 pseudonym ({enc}, {bits} bits, normalize={norm}) under {where}",
                                     _pseudonym(key, enc, bits, norm))  # fmt: skip
        elif op == "tokenize" and shape.token:
            yield Derivation(f"AES-SIV token under {where}", _token(key))
        elif op == "fpe" and shape.digits:
            for prefix in FPE_PREFIXES:
                yield Derivation(f"FF1 over digits ({prefix} kept) under {where}", _fpe(key, prefix), exact=False)


def _pseudonym(key: bytes, encoding: str, bits: int, normalize: str) -> Callable[[pa.Array, str], pa.Array]:
    from datacustoms.policy import Pseudonymize
    from datacustoms.protect.operators.pseudonymize import pseudonymize_values

    act = Pseudonymize(encoding=encoding, bits=bits, normalize=normalize)  # type: ignore[arg-type]

    def compute(values: pa.Array, column: str) -> pa.Array:
        return pseudonymize_values(key, values, act)

    return compute


def _token(key: bytes) -> Callable[[pa.Array, str], pa.Array]:
    from datacustoms.protect import crypto

    def compute(values: pa.Array, column: str) -> pa.Array:
        return crypto.tokenize(key, values, column=column)

    return compute


def _fpe(key: bytes, keep_prefix: int) -> Callable[[pa.Array, str], pa.Array]:
    from datacustoms.protect import crypto
    from datacustoms.protect.operators.common import blank_to_null

    def compute(values: pa.Array, column: str) -> pa.Array:
        values = blank_to_null(values)
        try:
            return crypto.fpe_encrypt(key, values, column=column, keep_prefix=keep_prefix)
        except DatacustomsError:  # a value too short for FF1: this cannot be how the column was made
            return pa.nulls(len(values), values.type)

    return compute
