"""Reveal: the key holder turns tokens back into values, and every use is logged (R20).

Tokens (AES-SIV) and FF1 values are reversible by design; that power is confined to whoever
holds the master key, and each use leaves a line in the hash-chained audit log beside the
keystore: who, when, why, how many rows, which key IDs. The line is written before the output
file appears, so there is no revealed file without its log entry. Refused attempts (wrong key,
modified token) are logged too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.errors import ColumnError, DatacustomsError, KeyMaterialError, UsageError
from datacustoms.io.atomic import atomic_path
from datacustoms.protect import crypto
from datacustoms.protect.keys import AuditLog, Keystore, MasterKey, resolve_key_versions
from datacustoms.protect.writer import output_stream
from datacustoms.table import Table

METHODS = ("token", "fpe")
OUTPUT_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".arrow": "ipc",
    ".ipc": "ipc",
    ".feather": "ipc",
}


@dataclass
class RevealResult:
    """What a reveal did, for the caller and the audit log (no values, no keys)."""

    rows: int = 0
    values: dict[str, int] = field(default_factory=dict)
    key_ids: list[str] = field(default_factory=list)
    audit_entry: dict[str, Any] = field(default_factory=dict)


def output_format(path: str | os.PathLike[str]) -> str:
    fmt = OUTPUT_SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(
            f"cannot tell the output format from {Path(path).name!r}",
            "name the output .parquet, .csv, .jsonl or .arrow",
        )
    return fmt


class _Writer:
    """Streams record batches into one file of the chosen format."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self._w: Any = None
        self._fh: Any = None
        self._sink: pa.NativeFile | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self.fmt == "jsonl":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            for row in batch.to_pylist():
                self._fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            return
        if self._w is None:
            self._sink = output_stream(self.path)
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                self._w = pq.ParquetWriter(self._sink, batch.schema)
            elif self.fmt == "csv":
                import pyarrow.csv as pacsv

                self._w = pacsv.CSVWriter(self._sink, batch.schema)
            else:
                self._w = pa.ipc.new_file(self._sink, batch.schema)
        self._w.write_batch(batch)

    def close(self, schema: pa.Schema) -> None:
        if self._fh is not None:
            self._fh.close()
        elif self._w is None:
            self.write(pa.RecordBatch.from_pylist([], schema=schema))
            self.close(schema)
            return
        if self._w is not None:
            self._w.close()
        if self._sink is not None:
            self._sink.close()


def _blank_to_null(values: pa.Array) -> pa.Array:
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
    return values


class _TokenOpener:
    """Decrypts token columns, trying every candidate key version (last success first)."""

    def __init__(self, keys: list[tuple[MasterKey, bytes]]) -> None:
        self.keys = keys
        self.used: set[int] = set()
        self.row_base = 0

    def _try(self, values: pa.Array, column: str) -> pa.Array | None:
        order = sorted(range(len(self.keys)), key=lambda i: i not in self.used)
        for i in order:
            try:
                out = crypto.detokenize(self.keys[i][1], values, column=column)
            except KeyMaterialError:
                continue
            if values.null_count < len(values):
                self.used.add(i)
            return out
        return None

    def open(self, values: pa.Array, column: str) -> pa.Array:
        got = self._try(values, column)
        if got is not None:
            return got
        parts = []
        for r in range(len(values)):  # mixed key versions in one batch: row by row
            one = self._try(values.slice(r, 1), column)
            if one is None:
                ids = ", ".join(k.id for k, _ in self.keys)
                raise KeyMaterialError(
                    f"row {self.row_base + r + 1} of column {column!r} does not decrypt with key {ids} "
                    "for this recipient and purpose",
                    "check --key-name, --recipient and --purpose; a modified token cannot be read, "
                    "and keyed pseudonyms are one-way (nothing to reveal)",
                )
            parts.append(one)
        return pa.concat_arrays(parts)


def reveal_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    columns: Sequence[str],
    key_ref: str,
    recipient: str,
    purpose: str,
    reason: str,
    keystore: str | os.PathLike[str] | None = None,
    method: str = "token",
    alphabet: str = crypto.DIGITS,
    keep_prefix: int = 0,
    tweak: bytes | None = None,
    key_id: str | None = None,
    read_options: dict[str, Any] | None = None,
) -> RevealResult:
    """Decrypt ``columns`` of ``source`` into ``output`` (atomically) and log the use.

    ``key_ref`` is a keystore key name (every version is tried for tokens) or ``env:NAME``;
    ``key_id`` pins one version. ``method`` is ``token`` (AES-SIV) or ``fpe`` (FF1, which has no
    integrity check, so only the active version or the pinned ``key_id`` is used).
    """
    from datacustoms.io import read

    if not reason or not reason.strip():
        raise UsageError("a reveal needs a reason", 'pass --reason "why the values are needed"')
    if method not in METHODS:
        raise UsageError(f"unknown reveal method {method!r}", "use --method token or --method fpe")
    if not columns:
        raise UsageError("name the columns to reveal", "pass --column NAME (repeatable)")
    fmt = output_format(output)
    store = Keystore(keystore)
    log = AuditLog.beside(store.path)
    operation = "tokenize" if method == "token" else "fpe"
    keys = _pick_versions(resolve_key_versions(key_ref, keystore=store.path), key_ref, key_id, method,
                          lambda m: crypto.derive_key(m.material, recipient=recipient, purpose=purpose,
                                                      operation=operation))
    table = read(source, **(read_options or {}))
    for col in columns:
        if col not in table.column_names:
            raise ColumnError(col, table.column_names)

    result = RevealResult(values=dict.fromkeys(columns, 0))
    openers = {col: _TokenOpener(keys) for col in columns}
    base = {
        "key_name": key_ref,
        "recipient": recipient,
        "purpose": purpose,
        "reason": reason.strip(),
        "method": method,
        "columns": list(columns),
        "input": str(source),
        "output": str(output),
    }

    def transform(col: str, values: pa.Array) -> pa.Array:
        if method == "token":
            return openers[col].open(values, col)
        return crypto.fpe_decrypt(
            keys[0][1], values, column=col, alphabet=alphabet, keep_prefix=keep_prefix, tweak=tweak
        )

    def finish() -> dict[str, Any]:
        used = sorted({i for o in openers.values() for i in o.used}) if method == "token" else [0]
        result.key_ids = [keys[i][0].id for i in used]
        return log.append(
            "reveal",
            **base,
            key_ids=result.key_ids,
            derived_key_ids=[crypto.key_id(keys[i][1]) for i in used],
            rows=result.rows,
            values=result.values,
        )

    _rewrite(table, output, fmt, columns, transform, finish, result, log, "reveal_refused", base)
    return result


def _pick_versions(
    versions: list[MasterKey], key_ref: str, key_id: str | None, method: str, derive: Callable[[MasterKey], bytes],
) -> list[tuple[MasterKey, bytes]]:
    """The key versions to try, each with its derived key.

    ``key_id`` matches a version's ID or its derived key ID (what ``protect`` prints and the ledger
    records per pseudonymised column). FF1 has no integrity check: a wrong version silently yields
    wrong digits, so with several versions and no ``key_id`` it refuses rather than guess.
    """
    keys = [(m, derive(m)) for m in versions]
    if key_id is not None:
        keys = [(m, k) for m, k in keys if key_id in (m.id, crypto.key_id(k))]
        if not keys:
            raise KeyMaterialError(f"key {key_ref!r} has no version {key_id}", "run `datacustoms keys list`")
    if method == "fpe" and len(keys) > 1:
        raise UsageError(
            f"key {key_ref!r} has {len(keys)} versions and FF1 cannot tell which one made these values",
            "pass --key-id: the key ID protect printed, or pseudonymisation.key_id in the ledger record",
        )
    return keys


def _rewrite(
    table: Table,
    output: str | os.PathLike[str],
    fmt: str,
    columns: Sequence[str],
    transform: Callable[[str, pa.Array], pa.Array],
    finish: Callable[[], dict[str, Any]],
    result: RevealResult,
    log: AuditLog,
    refused_action: str,
    base: dict[str, Any],
) -> None:
    """Stream ``table`` to ``output`` with ``columns`` transformed; log, then rename into place.

    ``finish`` writes the audit line after the last batch and before the rename, so an output
    never exists without its line; a refusal is logged as ``refused_action`` and nothing is left.
    """

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in table.batches():
            arrays = list(batch.columns)
            for col in columns:
                i = batch.schema.get_field_index(col)
                values = _blank_to_null(crypto._as_plain(batch.column(i)))
                arrays[i] = transform(col, values)
                result.values[col] += len(values) - values.null_count
            result.rows += batch.num_rows
            schema = pa.schema(
                [batch.schema.field(j).with_type(a.type) for j, a in enumerate(arrays)],
                metadata=batch.schema.metadata,
            )
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    try:
        with atomic_path(output, mode=0o600) as tmp:  # plaintext: owner only
            writer = _Writer(tmp, fmt)
            try:
                for batch in batches():
                    writer.write(batch)
            finally:
                writer.close(table.schema)
            result.audit_entry = finish()
    except DatacustomsError as err:
        if not result.audit_entry:
            log.append(refused_action, **base, rows_read=result.rows, error=err.message)
        raise


def _check_rekey(method: str, columns: Sequence[str], key_name: str) -> None:
    """Refuse a re-key request that cannot work, before any key is loaded."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}", "use --method token or --method fpe")
    if not columns:
        raise UsageError("name the columns to re-key", "pass --column NAME (repeatable)")
    if key_name.startswith("env:"):
        raise UsageError(
            "re-keying needs the key's versions, which only the keystore keeps",
            "put the key in the keystore, or decrypt and re-protect with the two environment keys",
        )


def _rekey_versions(
    store: Keystore, name: str, method: str, from_key_id: str | None
) -> tuple[MasterKey, list[MasterKey]]:
    """The active version and the old versions to decrypt with (tokens: all; FF1: the one rotated from)."""
    versions = store.versions(name)
    active = versions[0]
    if active.status != "active":
        raise KeyMaterialError(f"key {name!r} has no active version", f"run `datacustoms keys rotate {name}`")
    if from_key_id is not None:
        olds = [v for v in versions if v.id == from_key_id]
        if not olds:
            raise KeyMaterialError(f"key {name!r} has no version {from_key_id}", "run `datacustoms keys list`")
        return active, olds
    if method == "token":
        return active, versions
    info = next(i for i in store.list() if i.id == active.id)
    if info.rotated_from is None:
        raise KeyMaterialError(f"key {name!r} was never rotated", "pass --from-key-id or rotate it first")
    return active, [store.by_id(info.rotated_from)]


def rekey_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    columns: Sequence[str],
    key_name: str,
    recipient: str,
    purpose: str,
    keystore: str | os.PathLike[str] | None = None,
    method: str = "token",
    from_key_id: str | None = None,
    alphabet: str = crypto.DIGITS,
    keep_prefix: int = 0,
    tweak: bytes | None = None,
    reason: str = "key rotation",
    read_options: dict[str, Any] | None = None,
) -> RevealResult:
    """After ``keys rotate``: move token or FF1 columns to the active key version (R21).

    Each batch is decrypted under the old version and encrypted under the active one in memory;
    no plaintext is written. Tokens try every version (rows already re-keyed pass through); FF1
    uses ``from_key_id``, by default the version the active one was rotated from. Keyed
    pseudonyms are one-way and cannot be re-keyed here (see ``crypto.pseudonym_translation``).
    """
    from datacustoms.io import read

    _check_rekey(method, columns, key_name)
    fmt = output_format(output)
    store = Keystore(keystore)
    log = AuditLog.beside(store.path)
    name = key_name.removeprefix("keystore:")
    active, olds = _rekey_versions(store, name, method, from_key_id)
    operation = "tokenize" if method == "token" else "fpe"

    def derive(m: MasterKey) -> bytes:
        return crypto.derive_key(m.material, recipient=recipient, purpose=purpose, operation=operation)

    old_keys = [(m, derive(m)) for m in olds]
    new_key = derive(active)
    table = read(source, **(read_options or {}))
    for col in columns:
        if col not in table.column_names:
            raise ColumnError(col, table.column_names)
    result = RevealResult(values=dict.fromkeys(columns, 0))
    openers = {col: _TokenOpener(old_keys) for col in columns}
    opts: dict[str, Any] = {"alphabet": alphabet, "keep_prefix": keep_prefix, "tweak": tweak}
    base = {"key_name": name, "recipient": recipient, "purpose": purpose, "reason": reason.strip() or "key rotation",
            "method": method, "columns": list(columns), "input": str(source), "output": str(output)}  # fmt: skip

    def transform(col: str, values: pa.Array) -> pa.Array:
        if method == "token":
            return crypto.tokenize(new_key, openers[col].open(values, col), column=col)
        plain = crypto.fpe_decrypt(old_keys[0][1], values, column=col, **opts)
        return crypto.fpe_encrypt(new_key, plain, column=col, **opts)

    def finish() -> dict[str, Any]:
        used = sorted({i for o in openers.values() for i in o.used}) if method == "token" else [0]
        result.key_ids = [old_keys[i][0].id for i in used]
        return log.append(
            "rekey",
            **base,
            from_key_ids=result.key_ids,
            to_key_id=active.id,
            to_derived_key_id=crypto.key_id(new_key),
            rows=result.rows,
            values=result.values,
        )

    _rewrite(table, output, fmt, columns, transform, finish, result, log, "rekey_refused", base)
    return result
