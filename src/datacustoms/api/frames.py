"""Frame in, frame out: ``protect(df, policy) -> pyarrow.Table`` and ``protect_and_prove``.

``data`` is anything :func:`datacustoms.read` opens — a pandas or polars DataFrame, a pyarrow
``Table``, ``RecordBatch`` or ``RecordBatchReader``, a path (CSV, Parquet, JSONL, Arrow) or a SQL
URL with ``table=``. ``policy`` is a :class:`~datacustoms.policy.Policy`, a mapping (the parsed
YAML), YAML text, the path of a policy file, or an edited :class:`~datacustoms.api.Detection`
(its suggested policy). The key comes from where the policy says (``env:NAME`` or the keystore,
default or ``keystore=``), or from ``master_key`` bytes. Nothing is written to disk: the
protected rows come back as one Arrow table, kept columns with their types.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from datacustoms.api.results import ProofResult, ProtectedTable
from datacustoms.errors import PolicyError
from datacustoms.io import read
from datacustoms.policy import Policy, load_policy, load_yaml_text, parse_policy, policy_lines
from datacustoms.protect.pipeline import load_master_key, protect_arrow
from datacustoms.table import Table, from_arrow

if TYPE_CHECKING:
    from datacustoms.api.detection import Detection


def as_table(data: Any, **read_options: Any) -> Table:
    """``data`` as a :class:`~datacustoms.table.Table` (a Detection gives the table it was run on)."""
    from datacustoms.api.detection import Detection

    if isinstance(data, Detection):
        return data.table
    return read(data, **read_options)


def as_policy(policy: Policy | Detection | Mapping[str, Any] | str | os.PathLike[str]) -> Policy:
    """A validated policy from any of the forms ``protect`` takes."""
    from datacustoms.api.detection import Detection

    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Detection):
        return policy.suggest_policy()
    if isinstance(policy, Mapping):
        return parse_policy(dict(policy))
    if isinstance(policy, str) and _is_yaml_text(policy):
        return _policy_text(policy)
    if isinstance(policy, str | os.PathLike):
        return load_policy(Path(policy))
    raise PolicyError(
        f"cannot use an object of type {type(policy).__name__} as a policy",
        "pass a Policy, a mapping, YAML text, the path of a policy file, or a Detection",
    )


def _is_yaml_text(text: str) -> bool:
    """Several lines, or one line with a colon that names no existing file and no ``.yaml`` path."""
    if "\n" in text:
        return True
    path = Path(text)
    return ":" in text and path.suffix.lower() not in (".yaml", ".yml") and not path.exists()


def _policy_text(text: str) -> Policy:
    """A policy given as YAML text, parsed as strictly as a policy file (duplicate keys, bad dates)."""
    return parse_policy(load_yaml_text(text), base_dir=Path.cwd(), lines=policy_lines(text))


def protect(
    data: Any,
    policy: Policy | Detection | Mapping[str, Any] | str | os.PathLike[str],
    *,
    keystore: str | os.PathLike[str] | None = None,
    master_key: bytes | None = None,
    **read_options: Any,
) -> pa.Table:
    """Apply ``policy`` to ``data`` and return the protected rows as a ``pyarrow.Table``.

    The same plan, key derivation, suppression and audit as ``datacustoms protect``; no file is
    written. Raises :class:`~datacustoms.errors.DatacustomsError` (one line, no data value) when
    the policy does not fit the columns, a key is missing or suppression would exceed its cap.
    """
    out, _ = protect_arrow(
        as_table(data, **read_options), as_policy(policy), keystore=keystore, master_key=master_key
    )
    return out


def protect_and_prove(
    data: Any,
    policy: Policy | Detection | Mapping[str, Any] | str | os.PathLike[str],
    *,
    keystore: str | os.PathLike[str] | None = None,
    master_key: bytes | None = None,
    attack: bool = True,
    attack_budget: float = 30.0,
    **read_options: Any,
) -> ProtectedTable:
    """Protect ``data`` and prove it: ``(table, proof)``, the proof being before → after.

    Both sides go through the same detection, reversal attack (half of ``attack_budget`` seconds
    each) and risk measure as ``datacustoms inspect``; ``proof.passed`` is false when the output
    misses the policy. With a key, the output is also scanned for key material (R18).
    """
    from datacustoms.flows.protect import prove

    table = as_table(data, **read_options)
    spec = as_policy(policy)
    out, result = protect_arrow(table, spec, keystore=keystore, master_key=master_key)
    if master_key is None:
        loaded = load_master_key(spec, keystore, table.column_names)
        master_key = loaded[0] if loaded else None
    proof = prove(
        table,
        from_arrow(out, table.name),
        spec,
        attack_budget=attack_budget,
        attack=attack,
        master_key=master_key,
    )
    return ProtectedTable(out, ProofResult(proof=proof, result=result))
