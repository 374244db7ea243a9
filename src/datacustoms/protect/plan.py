"""Policy → plan: a tuple of plain kernels ``RecordBatch -> RecordBatch``, applied in order.

Order matters in one place only: ``shift_dates`` reads its subject column in clear, so date
shifts run first; column rewrites follow in policy order; every ``drop`` is applied at the end as
one ``select``. Building a plan reads hierarchy files and derives keys, but reads no data row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from datacustoms.errors import KeyMaterialError
from datacustoms.policy import (
    Fpe,
    Generalize,
    Keep,
    Mask,
    Policy,
    Pseudonymize,
    ShiftDates,
    Tokenize,
)
from datacustoms.protect import crypto
from datacustoms.protect.operators import fpe, generalize, mask, pseudonymize, shift_dates, tokenize
from datacustoms.protect.operators.basic import select_kernel
from datacustoms.protect.operators.common import Kernel
from datacustoms.protect.rotation import epoch_label


@dataclass(frozen=True)
class Step:
    """One column's operator, described for the dry-run plan and the report."""

    column: str
    action: str
    detail: str
    kernel: Kernel = field(repr=False, compare=False)


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    output_columns: tuple[str, ...]
    dropped: tuple[str, ...]
    qi: tuple[str, ...]
    key_ids: dict[str, str]  # operation -> key ID of the derived key (never the key)

    @property
    def kernels(self) -> tuple[Kernel, ...]:
        return (*(s.kernel for s in self.steps), select_kernel(list(self.output_columns)))

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        for kernel in self.kernels:
            batch = kernel(batch)
        return batch

    def qi_kernels(self) -> tuple[Kernel, ...]:
        """Only the steps that rewrite a quasi-identifier (what the class histogram needs)."""
        return tuple(s.kernel for s in self.steps if s.column in self.qi)

    def describe(self) -> list[str]:
        lines = [
            f"{s.column}: {s.action} ({s.detail})" if s.detail else f"{s.column}: {s.action}"
            for s in self.steps
        ]
        lines += [f"{c}: drop" for c in self.dropped]
        return lines


def _detail(act: object) -> str:
    if isinstance(act, Pseudonymize):
        label = epoch_label(act.rotate)
        rotated = f", key rotated {act.rotate.replace('_', ' ')} (epoch {label})" if label else ""
        return f"HMAC-SHA-256, {act.bits} bits, {act.encoding}, normalize={act.normalize}{rotated}"
    if isinstance(act, Tokenize):
        return "AES-SIV, reversible by the key holder"
    if isinstance(act, Fpe):
        return f"FF1 over {len(act.alphabet)} characters" + (
            f", {act.keep_prefix} kept" if act.keep_prefix else ""
        )
    if isinstance(act, Generalize):
        if act.method == "date":
            return f"date to {act.to}"
        if act.method == "age":
            return f"age bands of {act.width or 10:g}" + (f", {act.top:g}+" if act.top is not None else "")
        if act.method == "number":
            return f"bins of {act.width:g}" if act.width else f"bins at {act.edges}"
        if act.method == "prefix":
            return f"first {act.keep} characters"
        return f"hierarchy {act.file} level {act.level}"
    if isinstance(act, Mask):
        return f"keep first {act.keep_first}, last {act.keep_last}"
    if isinstance(act, ShiftDates):
        return f"keyed offset per {act.subject}, up to ±{act.max_days} days"
    return ""


def build_plan(policy: Policy, columns: Sequence[str], master_key: bytes | None = None) -> Plan:
    """Turn a validated policy into kernels for a table with ``columns`` (checked again here)."""
    names = list(columns)
    policy.check_columns(names)
    keys: dict[str, bytes] = {}

    def key_for(operation: str) -> bytes:
        if operation not in keys:
            if master_key is None:
                raise KeyMaterialError(
                    f"the policy's {operation} columns need key {policy.key!r} but no key was loaded",
                    "pass --keystore or set the environment variable the policy names",
                )
            keys[operation] = crypto.derive_key(
                master_key, recipient=policy.recipient, purpose=policy.purpose, operation=operation
            )
        return keys[operation]

    def epoch_key(label: str) -> bytes:
        slot = f"pseudonymize@{label}"
        if slot not in keys:
            if master_key is None:
                key_for("pseudonymize")  # the same refusal when no key was loaded
            assert master_key is not None
            keys[slot] = crypto.derive_epoch_key(master_key, recipient=policy.recipient, purpose=policy.purpose,
                                                 operation="pseudonymize", epoch=label)  # fmt: skip
        return keys[slot]

    first: list[Step] = []
    rest: list[Step] = []
    for name in names:
        act = policy.action_for(name)
        kernel: Kernel | None = None
        if isinstance(act, Pseudonymize):
            label = epoch_label(act.rotate)
            kernel = pseudonymize.build(name, act, key_for("pseudonymize") if label is None else epoch_key(label))
        elif isinstance(act, Tokenize):
            kernel = tokenize.build(name, act, key_for("tokenize"))
        elif isinstance(act, Fpe):
            kernel = fpe.build(name, act, key_for("fpe"))
        elif isinstance(act, Generalize):
            kernel = generalize.build(name, act, policy)
        elif isinstance(act, Mask):
            kernel = mask.build(name, act)
        elif isinstance(act, ShiftDates):
            first.append(
                Step(name, act.action, _detail(act), shift_dates.build(name, act, key_for("shift_dates")))
            )
            continue
        elif isinstance(act, Keep):
            continue
        if kernel is not None:
            rest.append(Step(name, act.action, _detail(act), kernel))
    dropped = tuple(c for c in names if policy.action_for(c).action == "drop")
    output = tuple(c for c in names if c not in dropped)
    return Plan(
        steps=(*first, *rest),
        output_columns=output,
        dropped=dropped,
        qi=tuple(policy.qi_columns()),
        key_ids={op: crypto.key_id(k) for op, k in keys.items()},
    )
