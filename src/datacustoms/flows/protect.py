"""The protect-and-prove flow: protect by a policy, then inspect input and output the same way.

:func:`protect_and_prove` is what ``datacustoms protect`` runs, on either engine: the engine
opens the source, writes the protected output and scans it for key material; both sides of the
proof go through the inspect flow with the policy's quasi-identifiers and thresholds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datacustoms.engines.base import Engine
from datacustoms.errors import UsageError
from datacustoms.flows.inspect import Progress, engine_of, inspect
from datacustoms.model.attack import ColumnAttack
from datacustoms.policy import Policy, load_policy
from datacustoms.protect.pipeline import ProtectResult, load_master_key
from datacustoms.protect.prove import Proof, Snapshot, kept_attacks, prove_with, snapshot_with
from datacustoms.table import Table


@dataclass
class Protected:
    """What the flow did: the protection and, when an output was written, its proof."""

    result: ProtectResult
    proof: Proof | None = None

    @property
    def failed(self) -> bool:
        """The output misses the policy, or a dry run predicts it would (k, suppression cap)."""
        if self.proof is not None:
            return not self.proof.passed
        return self.result.dry_run and (not self.result.meets_k or bool(self.result.notes))


def snapshot(
    table: Table,
    *,
    qi: list[str],
    sensitive: list[str],
    k: int,
    max_risk: float,
    attack_budget: float = 30.0,
    attack: bool = True,
    engine: Engine | str | None = None,
    reuse: Mapping[str, ColumnAttack] | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Inspect one table (detect, attack digest columns, measure risk) the way ``inspect`` does;
    columns in ``reuse`` keep that attack result instead of being attacked again."""
    eng = engine_of(engine)
    qi = [c for c in qi if c in table.column_names]
    return snapshot_with(
        lambda source, **kw: inspect(source, engine=eng, progress=progress, **kw),
        table,
        table.column_names,
        qi=qi,
        sensitive=sensitive,
        k=k,
        max_risk=max_risk,
        attack_budget=attack_budget,
        attack=attack,
        reuse=reuse,
    )


def prove(
    before: Table,
    after: Table,
    policy: Policy,
    *,
    attack_budget: float = 30.0,
    attack: bool = True,
    master_key: bytes | None = None,
    engine: Engine | str | None = None,
    progress: Progress | None = None,
) -> Proof:
    """Run the same checks on the input and the output and compare them.

    With ``master_key``, the output is also scanned for the key and its derived keys (R18). A column
    the policy keeps unchanged is not attacked again: the output reuses the input's result.
    """
    eng = engine_of(engine)
    taken: dict[str, Snapshot] = {}

    def take_before(qi: list[str], k: int, max_risk: float, budget: float) -> Snapshot:
        if progress is not None:
            progress("proof: inspecting the input", 0.0)
        taken["before"] = snapshot(
            before, qi=qi, sensitive=policy.sensitive, k=k, max_risk=max_risk, attack_budget=budget, attack=attack,
            engine=eng, progress=progress,
        )  # fmt: skip
        return taken["before"]

    def take_after(qi: list[str], k: int, max_risk: float, budget: float) -> Snapshot:
        if progress is not None:
            progress("proof: inspecting the output", 0.0)
        return snapshot(
            after, qi=qi, sensitive=policy.sensitive, k=k, max_risk=max_risk, attack_budget=budget, attack=attack,
            engine=eng, reuse=kept_attacks(taken.get("before"), before, after, policy), progress=progress,
        )  # fmt: skip

    return prove_with(
        policy,
        attack_budget=attack_budget,
        before=take_before,
        after=take_after,
        after_columns=after.column_names,
        leaks=None if master_key is None else lambda: eng.key_leaks(after, policy, master_key),
    )


def check_request(
    source: Any, output: str | os.PathLike[str] | None, engine: Engine, *, dry_run: bool, attack_budget: float
) -> None:
    """Refuse a request that cannot succeed, before anything is read."""
    if attack_budget <= 0:
        raise UsageError("--attack-budget must be positive", "e.g. --attack-budget 30")
    if not dry_run and output is None:
        raise UsageError("no output file", "pass -o OUTPUT.parquet (or .csv), or --dry-run")
    if output is None:
        return
    engine.check_output(output)
    if isinstance(source, str | os.PathLike) and Path(source).resolve() == Path(output).resolve():
        raise UsageError("the output would overwrite the input", "write to another file")


def one_step(progress: Progress | None, label: str) -> Callable[[float], None]:
    """``progress`` for one step under the flow's own label (the stage below may name it otherwise)."""
    return (lambda fraction: progress(label, fraction)) if progress is not None else (lambda fraction: None)


def protect_and_prove(
    source: Any,
    policy: Policy | str | os.PathLike[str],
    output: str | os.PathLike[str] | None,
    *,
    engine: Engine | str | None = None,
    keystore: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    attack_budget: float = 30.0,
    attack: bool = True,
    progress: Progress | None = None,
) -> Protected:
    """Protect ``source`` by ``policy`` (a :class:`Policy` or the path of its YAML) into ``output``,
    then prove the output (no proof in a dry run). ``progress(label, fraction)`` hears each step."""
    eng = engine_of(engine)
    check_request(source, output, eng, dry_run=dry_run, attack_budget=attack_budget)
    if not isinstance(policy, Policy):
        policy = load_policy(Path(policy))
    table = eng.open(source)
    step = one_step(progress, f"protecting {table.name}" + ("" if dry_run or output is None else
                                                            f" into {Path(output).name}"))
    step(0.0)
    result = eng.write(table, policy, None if dry_run else output, keystore=keystore, dry_run=dry_run,
                       progress=lambda _, fraction: step(fraction))
    if dry_run or output is None:
        return Protected(result)
    loaded = load_master_key(policy, keystore, table.column_names)
    proof = prove(
        table,
        eng.open(output),
        policy,
        attack_budget=attack_budget,
        attack=attack,
        master_key=loaded[0] if loaded else None,
        engine=eng,
        progress=progress,
    )
    return Protected(result, proof)
