"""The subject index of a transfer, built from the sender's own identifiers whatever the export carries.

A clear phone or e-mail column is indexed directly (``ledger.subjects``). Anything else derived from
an identifier — an unsalted digest of it, a customer ID — is indexed through the sender's own
customers table (``record.subject_table``): the sender knows its customers, so for each column it

1. finds how the column was made from one of the table's identifier columns: equal values (a
   customer ID in clear), or a digest recipe found by hashing a sample of the table's values under
   every candidate recipe and looking them up among the column's digests
   (:func:`datacustoms.attack.sender.discover_unpaired`, the sender mode of ``attack``);
2. hashes every customer's identifier under that recipe and maps each row that left to its
   customer, whose keyed subject hashes (phone, e-mail, RRN, customer ID) join the index.

Columns derived from an identifier that cannot be matched (a keyed pseudonym, a token, FF1, a
digest of something the table does not hold, or no table declared) are recorded as *not indexed*
with the reason, and so are rows that matched no customer: ``ledger lookup`` names those transfers
instead of answering "none". The index holds keyed hashes only (HMAC under the ledger key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.errors import ColumnError, LedgerError, PolicyError
from datacustoms.ledger.model import IndexSource, NotIndexed, SubjectCoverage, SubjectTable
from datacustoms.ledger.subjects import SubjectHasher, SubjectKind

if TYPE_CHECKING:
    from datacustoms.table import Table

#: detected kinds of the subject table's identifier columns
KIND_OF: dict[str, SubjectKind] = {"kr_mobile": "phone", "phone": "phone", "email": "email", "kr_rrn": "rrn",
                                   "customer_id": "customer_id"}  # fmt: skip
#: roles of an export column that may be derived from an identifier
DERIVED_ROLES = frozenset({"pseudonym", "direct_identifier"})
MIN_MATCH = 0.5


class Customers:
    """The subject table: its identifier columns and, per customer row, the keyed subject hashes."""

    def __init__(self, table: Table, columns: dict[SubjectKind, str], hasher: SubjectHasher) -> None:
        self.table = table
        self.columns = columns
        data = table.reader(list(dict.fromkeys(columns.values()))).read_all()
        self.values = {kind: data.column(col).combine_chunks() for kind, col in columns.items()}
        self.tokens = [hasher.hash_kind_array(arr, kind) for kind, arr in self.values.items()]
        self.rows = data.num_rows

    def tokens_of(self, rows: np.ndarray) -> set[str]:
        out: set[str] = set()
        for per_kind in self.tokens:
            out.update(t for r in rows if (t := per_kind[int(r)]) is not None)
        return out


def open_customers(spec: SubjectTable, base_dir: str | None, hasher: SubjectHasher) -> Customers:
    from datacustoms.io import read

    path = Path(spec.path)
    if not path.is_absolute() and base_dir:
        path = Path(base_dir) / path
    if not path.exists():
        raise PolicyError(f"record.subject_table {spec.path!r} not found", "give the path of the sender's customers table")
    table = read(str(path))
    pairs: list[tuple[SubjectKind, str | None]] = [("phone", spec.phone), ("email", spec.email), ("rrn", spec.rrn),
                                                   ("customer_id", spec.customer_id)]  # fmt: skip
    named: dict[SubjectKind, str] = {k: c for k, c in pairs if c is not None}
    for col in named.values():
        if col not in table.column_names:
            raise ColumnError(col, table.column_names, "record.subject_table column")
    if len(named) < 4:
        from datacustoms.detect import detect_columns

        for f in detect_columns(table):
            kind = KIND_OF.get(f.kind)
            if kind is not None and kind not in named and f.column not in named.values():
                named[kind] = f.column
    if not named:
        raise PolicyError(f"record.subject_table {spec.path!r} has no phone, e-mail, RRN or customer ID column",
                          "name them: subject_table: {path: …, phone: …, customer_id: …}")  # fmt: skip
    return Customers(table, named, hasher)


def derived_index(
    hasher: SubjectHasher, sending: Table, spec: Any, clear: list[str], kept: np.ndarray | None,
    base_dir: str | None, sent: list[str] | None = None,
) -> tuple[set[str], SubjectCoverage]:  # fmt: skip
    """Keyed subject hashes of the rows that left, from every identifier-derived column that left
    (``sent``: the output's columns; all by default) but ``clear``."""
    from datacustoms.detect import detect_columns

    coverage = SubjectCoverage(sources=[], not_indexed=[])
    derived = [f for f in detect_columns(sending) if f.role in DERIVED_ROLES and f.column not in clear
               and (sent is None or f.column in sent)]  # fmt: skip
    tokens: set[str] = set()
    if not derived:
        return tokens, coverage
    if spec.subject_table is None:
        coverage.not_indexed = [NotIndexed(column=f.column, reason=f"{f.kind} derived from an identifier; declare "
                                           "record.subject_table (the sender's customers table) to index it")
                                for f in derived]  # fmt: skip
        return tokens, coverage
    customers = open_customers(spec.subject_table, base_dir, hasher)
    for f in derived:
        matched = _match_column(sending, f.column, customers)
        if matched is None:
            coverage.not_indexed.append(NotIndexed(column=f.column, reason=(
                f"{f.kind}: no identifier of the subject table gives these values (a keyed pseudonym, a token, "
                "FF1, or a digest of something the table does not hold)")))  # fmt: skip
            continue
        how, lookup = matched
        hit, miss = 0, 0
        for batch, keep in _kept(sending, f.column, kept):
            rows = lookup(batch.column(0))
            rows = rows[keep] if keep is not None else rows
            found = rows[rows >= 0]
            hit, miss = hit + len(found), miss + int(np.count_nonzero(rows == -1))
            tokens |= customers.tokens_of(np.unique(found))
        coverage.sources.append(IndexSource(column=f.column, how=how, rows_matched=hit, rows_unmatched=miss))
    return tokens, coverage


def _kept(table: Table, column: str, kept: np.ndarray | None) -> Iterator[tuple[pa.RecordBatch, Any]]:
    """Each batch with the rows of it that left (``kept``: one flag per input row; None: all)."""
    offset = 0
    for batch in table.batches([column]):
        if kept is None:
            yield batch, None
            continue
        rows = kept[offset: offset + batch.num_rows]
        if len(rows) != batch.num_rows:
            raise LedgerError("the input changed while it was being transferred",
                              "make sure nothing writes to the input during a transfer")
        offset += batch.num_rows
        yield batch, rows


Lookup = Any  # Callable[[pa.Array], np.ndarray]: customer row per value, -1 unmatched, -2 null


def _match_column(table: Table, column: str, customers: Customers) -> tuple[str, Lookup] | None:
    """How ``column`` was made from the customers' identifiers, and a row lookup; None when no way is found."""
    head = next(iter(table.batches([column])), None)
    if head is None:
        return None
    sample = head.column(0).slice(0, 2000)
    for kind, values in customers.values.items():  # equal values (an ID or identifier in clear)
        text = pc.cast(values, pa.large_string())
        got = pc.cast(sample, pa.large_string())
        share = pc.mean(pc.cast(pc.is_in(got.drop_null(), value_set=text), pa.int8())).as_py()
        if (share or 0.0) >= MIN_MATCH:
            index = {v: i for i, v in enumerate(text.to_pylist()) if v is not None}
            return f"{kind} in clear (subject table column {customers.columns[kind]!r})", _dict_lookup(index)
    return _match_digest(table, column, sample, customers)


def _dict_lookup(index: dict[Any, int]) -> Lookup:
    def lookup(arr: pa.Array) -> np.ndarray:
        values = pc.cast(arr, pa.large_string()).to_pylist()
        return np.array([-2 if v is None else index.get(v, -1) for v in values], dtype=np.int64)

    return lookup


def _match_digest(table: Table, column: str, sample: pa.Array, customers: Customers) -> tuple[str, Lookup] | None:
    """A digest column: the recipe found by sender mode, then every customer's digest under it."""
    from datacustoms.attack.hashes.recipes import normalise
    from datacustoms.attack.hashes.targets import decode_rows, guess_format, parse_batches
    from datacustoms.attack.sender import discover_unpaired
    from datacustoms.table import from_arrow

    fmt = guess_format(sample)
    if fmt is None:
        return None
    parsed = parse_batches((b.column(0) for b in table.batches([column])), fmt)
    reference = from_arrow(pa.table({c: customers.values[k] for k, c in customers.columns.items()}), name="subjects")
    recipe, ref_col, hits, _total, _values = discover_unpaired(reference, column, parsed, table.name)
    if recipe is None or ref_col is None or not hits:
        return None
    kind = next(k for k, c in customers.columns.items() if c == ref_col)
    index: dict[bytes, int] = {}
    for i, value in enumerate(pc.cast(customers.values[kind], pa.large_string()).to_pylist()):
        norm = normalise(value, recipe.normalise, "KR") if value is not None else None
        if norm is not None:
            index.setdefault(recipe.digest(norm.encode("utf-8")), i)

    def lookup(arr: pa.Array) -> np.ndarray:
        out, valid, _stats = decode_rows(arr, fmt)
        rows = np.full(len(arr), -2, dtype=np.int64)
        for i in np.flatnonzero(valid):
            rows[i] = index.get(bytes(out[i]), -1)
        return rows

    return f"{recipe} of the subject table's {ref_col!r} ({kind})", lookup


#: a reserved entry of the subject index: "this transfer's index is incomplete" (found by one indexed query)
INCOMPLETE = hashlib.sha256(b"datacustoms: subject index incomplete").hexdigest()


def unindexed_transfers(store: Any) -> list[tuple[Any, list[str]]]:
    """Sent transfers whose subject index is incomplete or unknown, each with the reasons.

    Transfers recorded with a coverage carry :data:`INCOMPLETE` in their index when it is
    incomplete, so they are found by one indexed query; transfers recorded before coverage was kept
    are read until the first one that has it.
    """
    out: list[tuple[Any, list[str]]] = []
    for entry in store.iter_entries("transfer"):
        body = entry.body
        if body.get("subject_index") is not None:
            break
        if body.get("status") == "sent" and not body.get("subjects_indexed"):
            out.append((entry, ["recorded without a subject index coverage and with no subject indexed: "
                                "what it carried is unknown here"]))  # fmt: skip
    for entry in store.lookup(INCOMPLETE):
        out.append((entry, coverage_reasons(entry.body.get("subject_index") or {})))
    return out


def coverage_reasons(coverage: dict[str, Any]) -> list[str]:
    reasons = [f"{n['column']}: {n['reason']}" for n in coverage.get("not_indexed", [])]
    reasons += [f"{s['column']}: {s['rows_unmatched']:,} row(s) matched no customer of the subject table"
                for s in coverage.get("sources", []) if s.get("rows_unmatched")]  # fmt: skip
    return reasons
