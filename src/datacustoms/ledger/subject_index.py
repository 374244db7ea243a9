"""The subject index of a transfer, built from the sender's own identifiers whatever the export carries.

A clear phone or e-mail column is indexed directly (``ledger.subjects``). Anything else derived from
an identifier — an unsalted digest of it, a customer ID, a keyed pseudonym, a token, an FF1 value —
is indexed through the sender's own customers table (``record.subject_table``): the sender knows
its customers and holds its keys, so for each such column it

1. lists the ways the column may have been made from one of the table's identifier columns: equal
   values (a customer ID in clear); a digest recipe found by hashing the first customers under
   every candidate recipe (:func:`datacustoms.attack.sender.discover_unpaired`, the sender mode of
   ``attack``); and every keyed pseudonym, token or FF1 derivation under the keys the keystore's
   audit log says protected that column, and the transfer's own policy key
   (:mod:`datacustoms.ledger.subject_keys`);
2. reads the customers in Arrow batches, computing each way's value for each customer and looking
   it up among the export's distinct values, until one way is clearly ahead;
3. reads the customers once more under that way: each customer whose value left joins the index
   with its keyed subject hashes (phone, e-mail, RRN, customer ID). Only those customers are
   hashed; memory follows the export, not the customers table.

Columns that cannot be matched (a digest of something the table does not hold, a key the keystore
no longer holds — destroyed —, or no table declared) are recorded as *not indexed* with the reason,
and so are rows that matched no customer: ``ledger lookup`` names those transfers instead of
answering "none". The index holds keyed hashes only (HMAC under the ledger key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.errors import ColumnError, LedgerError, PolicyError
from datacustoms.ledger.model import IndexSource, NotIndexed, SubjectCoverage, SubjectTable
from datacustoms.ledger.subject_keys import KeyRing
from datacustoms.ledger.subjects import SubjectHasher, SubjectKind

if TYPE_CHECKING:
    from datacustoms.table import Table

#: detected kinds of the subject table's identifier columns
KIND_OF: dict[str, SubjectKind] = {"kr_mobile": "phone", "phone": "phone", "email": "email", "kr_rrn": "rrn",
                                   "customer_id": "customer_id"}  # fmt: skip
#: roles of an export column that may be derived from an identifier
DERIVED_ROLES = frozenset({"pseudonym", "direct_identifier"})
MIN_MATCH = 0.5


#: customers read per detection step; detection stops once a way has this many hits
CONFIDENT_HITS = 32
#: customers in the reference sample that digest-recipe discovery hashes (sender mode of ``attack``)
HEAD_ROWS = 1 << 16


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as ``large_string`` (dictionaries decoded, numbers formatted), one array."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr if arr.type == pa.large_string() else pc.cast(arr, pa.large_string())


class Customers:
    """The subject table, streamed: its identifier columns batch by batch, never all in memory.

    A 40-million-customer table is read once per pass in Arrow batches; only the customers a
    transfer matched get their keyed subject hashes computed, so memory follows the export and
    the people in it, not the size of the table.
    """

    def __init__(self, table: Table, columns: dict[SubjectKind, str], hasher: SubjectHasher) -> None:
        self.table = table
        self.columns = columns
        self.hasher = hasher
        self._names = list(dict.fromkeys(columns.values()))

    def batches(self) -> Iterator[dict[SubjectKind, pa.Array]]:
        """Per batch of customers, each identifier column as text."""
        for batch in self.table.batches(self._names):
            yield {kind: _text(batch.column(col)) for kind, col in self.columns.items()}

    def head(self, rows: int = HEAD_ROWS) -> pa.Table:
        """The first customers' identifier columns (the sample recipe discovery hashes)."""
        got: list[pa.RecordBatch] = []
        n = 0
        for batch in self.table.batches(self._names):
            got.append(batch.slice(0, rows - n))
            n += got[-1].num_rows
            if n >= rows:
                break
        schema = pa.schema([self.table.schema.field(c) for c in self._names])
        return pa.Table.from_batches(got, schema=schema) if got else schema.empty_table()

    def tokens_of(self, values: dict[SubjectKind, pa.Array], rows: np.ndarray) -> set[str]:
        """The keyed subject hashes (every identifier kind) of ``rows`` of one batch."""
        out: set[str] = set()
        if not len(rows):
            return out
        take = pa.array(rows)
        for kind, arr in values.items():
            out.update(t for t in self.hasher.hash_kind_array(arr.take(take), kind) if t is not None)
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
    base_dir: str | None, sent: list[str] | None = None, keys: KeyRing | None = None,
) -> tuple[set[str], SubjectCoverage]:  # fmt: skip
    """Keyed subject hashes of the rows that left, from every identifier-derived column that left
    (``sent``: the output's columns; all by default) but ``clear``. ``keys``: the sender's keys, to
    index columns that arrived as keyed pseudonyms, tokens or FF1 values."""
    from datacustoms.detect import detect_columns

    coverage = SubjectCoverage(sources=[], not_indexed=[])
    protected = keys.protected_columns() if keys is not None else set()
    found = detect_columns(sending)
    derived = [(f.column, f.kind) for f in found if (f.role in DERIVED_ROLES or f.column in protected)
               and f.column not in clear and (sent is None or f.column in sent)]  # fmt: skip
    #: columns considered only because a key protected them (the detector reads no identifier there)
    audit_only = {f.column for f in found if f.role not in DERIVED_ROLES}
    tokens: set[str] = set()
    if not derived:
        return tokens, coverage
    if spec.subject_table is None:
        coverage.not_indexed = [NotIndexed(column=c, reason=f"{kind} derived from an identifier; declare "
                                           "record.subject_table (the sender's customers table) to index it")
                                for c, kind in derived if c not in audit_only]  # fmt: skip
        return tokens, coverage
    customers = open_customers(spec.subject_table, base_dir, hasher)
    for column, kind in derived:
        target = _Target.of(sending, column, kept)
        ways, missing = _ways(target, column, customers, keys)
        chosen = _detect(customers, ways, target)
        if chosen is not None:
            got, hit = _join(customers, chosen, target)
            matched, unmatched = target.rows(hit, chosen.digest)
            if chosen.exact or matched >= MIN_MATCH * max(matched + unmatched, 1):
                tokens |= got
                coverage.sources.append(IndexSource(column=column, how=chosen.how, rows_matched=matched,
                                                    rows_unmatched=unmatched))  # fmt: skip
                continue
        if column in audit_only and not missing:
            continue  # read as no identifier, and no key that made it is lost: nothing says a person is behind it
        reason = "; ".join(missing) if missing else (
            f"{kind}: no identifier of the subject table gives these values under any recipe or any key the "
            f"sender holds ({len(ways)} way(s) tried: clear, unkeyed digests, and keyed pseudonyms, tokens and "
            "FF1 under the keystore's keys)")  # fmt: skip
        coverage.not_indexed.append(NotIndexed(column=column, reason=reason))
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


@dataclass
class _Target:
    """The distinct values of one export column among the rows that left, with their row counts."""

    values: pa.Array  #: distinct non-null values, text
    counts: np.ndarray
    sample: pa.Array
    _digests: dict[Any, tuple[pa.Array, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def of(cls, table: Table, column: str, kept: np.ndarray | None) -> _Target:
        parts = [_text(b.column(0) if keep is None else b.column(0).filter(pa.array(keep)))
                 for b, keep in _kept(table, column, kept)]  # fmt: skip
        whole = pa.chunked_array(parts, pa.large_string()) if parts else pa.chunked_array([], pa.large_string())
        counted = pc.value_counts(whole.drop_null()) if len(whole) else None
        if counted is None or not len(counted):
            empty = pa.array([], pa.large_string())
            return cls(empty, np.zeros(0, dtype=np.int64), empty)
        values = _text(counted.field("values"))
        return cls(values, np.asarray(counted.field("counts"), dtype=np.int64), values.slice(0, 2000))

    def value_set(self, digest: Any) -> pa.Array:
        """What derived customer values are looked up in: the text, or the decoded digests."""
        return self.values if digest is None else self._decoded(digest)[0]

    def _decoded(self, fmt: Any) -> tuple[pa.Array, np.ndarray]:
        """Distinct decoded digests, and for each distinct text value its digest's position (-1: invalid)."""
        slot = (fmt.size, fmt.encoding, getattr(fmt, "case", None))
        if slot not in self._digests:
            from datacustoms.attack.hashes.targets import decode_rows

            out, valid, _stats = decode_rows(self.values, fmt)
            raw = pa.array([bytes(r) if v else None for r, v in zip(out, valid, strict=True)], pa.binary(fmt.size))
            enc = pc.dictionary_encode(raw)
            where = np.asarray(enc.indices.fill_null(-1), dtype=np.int64)
            self._digests[slot] = (enc.dictionary, where)
        return self._digests[slot]

    def rows(self, hit: np.ndarray, digest: Any) -> tuple[int, int]:
        """Rows that left matched and unmatched (rows whose value decodes to no digest: neither)."""
        if digest is None:
            return int(self.counts[hit].sum()), int(self.counts[~hit].sum())
        where = self._decoded(digest)[1]
        ok = where >= 0
        matched = np.zeros(len(where), dtype=bool)
        matched[ok] = hit[where[ok]]
        return int(self.counts[matched].sum()), int(self.counts[ok & ~matched].sum())


@dataclass(frozen=True)
class _Way:
    """One way a column may have been made from one identifier kind of the subject table."""

    how: str
    kind: SubjectKind
    compute: Any = field(repr=False, compare=False)  #: customers' text -> the export's form
    exact: bool = False  #: a single hit proves it (digest, MAC, authenticated token)
    keyed: bool = False  #: made with one of the sender's keys (costlier: tried after the others)
    digest: Any = None  #: the export decoded with this digest format first (None: compared as text)


def _ways(target: _Target, column: str, customers: Customers, keys: KeyRing | None) -> tuple[list[_Way], list[str]]:
    """Every way to try: the identifier in clear, an unkeyed digest recipe, keyed derivations."""
    ways = [_Way(f"{kind} in clear (subject table column {col!r})", kind, lambda v: v)
            for kind, col in customers.columns.items()]  # fmt: skip
    digest = _digest_way(target, column, customers)
    if digest is not None:
        ways.append(digest)
    missing: list[str] = []
    if keys is not None and len(target.sample):
        sources = keys.sources(column, target.sample)
        missing = sources.missing
        for d in sources.derivations:
            for kind, col in customers.columns.items():
                ways.append(_Way(f"{d.how}, of the subject table's {col!r} ({kind})", kind,
                                 _bound(d.compute, column), exact=d.exact, keyed=True))  # fmt: skip
    return ways, missing


def _bound(compute: Any, column: str) -> Any:
    return lambda values: _text(compute(values, column))


def _digest_way(target: _Target, column: str, customers: Customers) -> _Way | None:
    """An unkeyed digest column: the recipe found by sender mode on the first customers."""
    from datacustoms.attack.hashes.recipes import normalise
    from datacustoms.attack.hashes.targets import guess_format, parse_batches
    from datacustoms.attack.sender import discover_unpaired
    from datacustoms.table import from_arrow

    fmt = guess_format(target.sample) if len(target.sample) else None
    if fmt is None:
        return None
    parsed = parse_batches(iter([target.values]), fmt)
    head = customers.head()
    reference = from_arrow(head, name="subjects")
    recipe, ref_col, hits, _total, _values = discover_unpaired(reference, column, parsed, None)
    if recipe is None or ref_col is None or not hits:
        return None
    kind = next(k for k, c in customers.columns.items() if c == ref_col)

    def compute(values: pa.Array) -> pa.Array:
        out: list[bytes | None] = []
        for value in values.to_pylist():
            norm = normalise(value, recipe.normalise, "KR") if value is not None else None
            out.append(recipe.digest(norm.encode("utf-8")) if norm is not None else None)
        return pa.array(out, pa.binary(fmt.size))

    return _Way(f"{recipe} of the subject table's {ref_col!r} ({kind})", kind, compute, exact=True, digest=fmt)


def _hits(way: _Way, values: dict[SubjectKind, pa.Array], target: _Target) -> np.ndarray:
    """For each customer of the batch, the position of its derived value among the export's (-1: none)."""
    derived = way.compute(values[way.kind])
    found = pc.index_in(derived, value_set=target.value_set(way.digest))
    return np.asarray(found.fill_null(-1), dtype=np.int64)


def _detect(customers: Customers, ways: list[_Way], target: _Target) -> _Way | None:
    """The way that matches the most distinct export values, reading customers until one is clear.

    Customers are read in slices of :data:`HEAD_ROWS`; in each, the cheap ways (clear, digest) go
    first and the keyed ones (a keyed pseudonym, token or FF1 value per customer) only while
    no cheap way is clearly matching.
    """
    if not ways or not len(target.values):
        return None
    seen = [np.zeros(len(target.value_set(w.digest)), dtype=bool) for w in ways]
    cheap = [i for i, w in enumerate(ways) if not w.keyed]
    keyed = [i for i, w in enumerate(ways) if w.keyed]
    for values in _slices(customers.batches(), HEAD_ROWS):
        for tier in (cheap, keyed):
            for i in tier:
                found = _hits(ways[i], values, target)
                seen[i][found[found >= 0]] = True
            if max(int(s.sum()) for s in seen) >= CONFIDENT_HITS:
                break
        else:
            continue
        break
    scores = [(int(s.sum()), way.exact) for s, way in zip(seen, ways, strict=True)]
    best = max(range(len(ways)), key=lambda i: scores[i])
    return ways[best] if scores[best][0] else None


def _slices(batches: Iterator[dict[SubjectKind, pa.Array]], rows: int) -> Iterator[dict[SubjectKind, pa.Array]]:
    for values in batches:
        n = len(next(iter(values.values()))) if values else 0
        for start in range(0, n, rows):
            yield {kind: arr.slice(start, rows) for kind, arr in values.items()}


def _join(customers: Customers, way: _Way, target: _Target) -> tuple[set[str], np.ndarray]:
    """One pass over the customers: the subject hashes of those whose derived value left, and
    which distinct export values matched a customer."""
    tokens: set[str] = set()
    hit = np.zeros(len(target.value_set(way.digest)), dtype=bool)
    for values in customers.batches():
        found = _hits(way, values, target)
        rows = np.flatnonzero(found >= 0)
        hit[found[rows]] = True
        tokens |= customers.tokens_of(values, rows)
    return tokens, hit


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
