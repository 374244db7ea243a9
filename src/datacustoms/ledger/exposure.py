"""Cumulative exposure per recipient (rule R17): what each transfer leaves in the ledger so that the
risk of *everything* a recipient holds can be judged later, without keeping the data.

**The fingerprint** (table ``dc_exposure``, one row per sent transfer; its SHA-256 is
``TransferRecord.exposure_sha256``, in the hash chain, so a changed fingerprint is detected):

- for every near-unique column of the output (a pseudonym, a hash, an ID: what joins releases),
  a **keyed bottom-k sketch**: HMAC-SHA-256 of each distinct sent value under a key derived from
  the ledger key, truncated to 64 bits, and only the ``k`` (1,024) smallest kept, plus the
  distinct-count estimate ``(k − 1) / kth-smallest``;
- for the first of them (the *primary* key), the size of each sampled person's equivalence class
  over the policy's quasi-identifiers in this release (integers), and the row count.

**Why it is safe to keep**: no value, identifier or quasi-identifier is stored, only keyed 64-bit
digests of values the recipient already holds (after protection), and only those of a keyed
random sample of about 1,024 people per column. Without the ledger key a digest cannot be tested
against anything (HMAC); with it, a known value can be tested for membership of the sample, which
the subject index allows already. Class sizes are counts.

**Why it suffices**: the bottom-k sample under one key is *coordinated*: a person whose value does
not change is sampled in every release that holds them (the same smallest digests), so the union
of all sketches of a recipient is a uniform sample of the people it holds, with each sampled
person's class size in every release. From it:

- *linkable share*: the share of this release's people the recipient already holds (Jaccard
  estimate from the sketches); a rotating pseudonym gives ≈ 0, a stable one ≈ 1;
- *cumulative risk*: for each sampled person, the expected number of other people sharing their
  class in every release that holds them, assuming independence between releases:
  ``(N − 1) · Π ((s_i − 1) / (N − 1))``. Values of one person repeat from day to day, which
  makes real joint classes larger, so the estimate overstates the risk (the safe side for a
  refusal). A person is at risk when ``1 + others < k``; their prosecutor risk is ``1 / (1 + others)``.

A transfer is refused (R17) when, counting the new release, the share of held people at risk
exceeds the policy's ``max_risk``. Sampling error: about ±3 points on shares at k = 1,024.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from pydantic import BaseModel, Field

from datacustoms.errors import LedgerTampered

if TYPE_CHECKING:
    from datacustoms.ledger.store import LedgerStore
    from datacustoms.table import Table

SKETCH_K = 1024
NEAR_UNIQUE = 0.9


class ColumnSketch(BaseModel):
    """Keyed bottom-k sketch of one column's distinct sent values."""

    column: str
    distinct: float = Field(description="estimated distinct values")
    sketch: str = Field(description="base64 of the sorted 64-bit keyed digests kept (little-endian uint64)")


class ExposureFingerprint(BaseModel):
    """What one transfer leaves for later cumulative judgement (see the module doc)."""

    version: int = 1
    rows: int
    qi: list[str] = Field(default_factory=list, description="quasi-identifiers the class sizes are over")
    k: int | None = Field(default=None, description="the policy's k when it was sent")
    columns: list[ColumnSketch] = Field(default_factory=list)
    class_sizes: str | None = Field(
        default=None, description="base64 uint32: class size of each sampled person of the first sketch, in its order"
    )


class ExposureFigures(BaseModel):
    """The recipient's holding, judged as one (R17)."""

    releases: int
    rows: int
    people: float = Field(description="estimated distinct people held (primary key)")
    linkable_share: float | None = Field(default=None, description="share of this release's people already held")
    sampled: int = 0
    at_risk_share: float = Field(0.0, description="sampled people whose estimated joint class is below k")
    highest_risk: float = 0.0
    average_risk: float = 0.0


class ExposureJudgement(BaseModel):
    """Before / after for this release alone and for everything the recipient holds."""

    recipient: str
    k: int
    max_risk: float
    this_release: ExposureFigures
    held_before: ExposureFigures | None = None
    held_after: ExposureFigures
    refused: bool = False
    reason: str | None = None

    def lines(self) -> list[str]:
        def fig(name: str, f: ExposureFigures | None) -> str:
            if f is None:
                return f"  {name}: nothing held yet"
            link = f", {f.linkable_share:.0%} of this release's people already held" if f.linkable_share is not None else ""
            return (f"  {name}: {f.releases} release(s), {f.rows:,} rows, ~{f.people:,.0f} people{link}; "
                    f"at risk (joint class < {self.k}) {f.at_risk_share:.1%}, highest risk {f.highest_risk:.2f}")  # fmt: skip
        return [f"cumulative exposure of {self.recipient} (R17, limit {self.max_risk:.0%} at risk):",
                fig("this release alone", self.this_release), fig("held before", self.held_before),
                fig("held after", self.held_after)]  # fmt: skip


# ---------------------------------------------------------------------------------------- fingerprint


def exposure_key(ledger_key: bytes) -> bytes:
    """The sketch key: derived from the ledger key, separate from the subject-index key."""
    return hmac.new(bytes(ledger_key), b"datacustoms exposure sketch v1", hashlib.sha256).digest()


def _digests(key: bytes, array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """64-bit keyed digests of the non-null values (as text), uint64."""
    from datacustoms.protect.crypto import hmac_sha256_matrix

    arr = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    arr = pc.drop_null(arr)
    if len(arr) == 0:
        return np.empty(0, dtype=np.uint64)
    text = arr if pa.types.is_large_string(arr.type) else pc.cast(arr, pa.large_string())
    matrix = np.ascontiguousarray(hmac_sha256_matrix(key, text)[:, :8])
    return matrix.view("<u8").ravel().copy()


def _bottom(values: np.ndarray, k: int) -> np.ndarray:
    u = np.unique(values)
    return u[:k]


def fingerprint(table: Table, qi: list[str], ledger_key: bytes, *, k: int = SKETCH_K) -> ExposureFingerprint:
    """Sketch the near-unique columns of ``table`` (what left) and the class sizes of the sampled people."""
    key = exposure_key(ledger_key)
    candidates = _near_unique(table, exclude=qi)
    kept: dict[str, np.ndarray] = {c: np.empty(0, dtype=np.uint64) for c in candidates}
    rows = 0
    for batch in table.batches(candidates or None):
        rows += batch.num_rows
        for c in candidates:
            kept[c] = _bottom(np.concatenate([kept[c], _digests(key, batch.column(c))]), k)
    sketches = [ColumnSketch(column=c, distinct=_estimate(kept[c], k), sketch=_pack(kept[c])) for c in candidates]
    fp = ExposureFingerprint(rows=rows, qi=list(qi), columns=sketches)
    if candidates:
        fp.class_sizes = _pack32(_class_sizes(table, candidates[0], qi, key, kept[candidates[0]], rows))
    return fp


def _near_unique(table: Table, exclude: list[str]) -> list[str]:
    """Columns whose values are near-unique in the first batch (what joins releases)."""
    first = next(iter(table.batches()), None)
    if first is None or first.num_rows == 0:
        return []
    out = []
    for name in first.schema.names:
        if name in exclude:
            continue
        col = first.column(name)
        valid = len(col) - col.null_count
        if valid and pc.count_distinct(col).as_py() / valid >= NEAR_UNIQUE and (first.num_rows >= 20 or valid > 1):
            out.append(name)
    return out


def _class_sizes(table: Table, primary: str, qi: list[str], key: bytes, sample: np.ndarray, rows: int) -> np.ndarray:
    """For each sampled digest of ``primary``: the size of its row's class over ``qi`` (rows when none)."""
    if not qi or len(sample) == 0:
        return np.full(len(sample), rows, dtype=np.uint32)
    from datacustoms.protect.operators.suppress import class_keys

    sizes: dict[str, int] = {}
    picked: dict[int, str] = {}
    wanted = pa.array(sample, pa.uint64())
    for batch in table.batches([primary, *qi]):
        keys = class_keys([batch.column(c) for c in qi])
        vc = pc.value_counts(keys)
        for item in vc.to_pylist():
            sizes[item["values"]] = sizes.get(item["values"], 0) + int(item["counts"])
        valid = pc.is_valid(batch.column(primary))
        digests = pa.array(_digests(key, batch.column(primary)), pa.uint64())
        vkeys = keys.filter(valid)
        hit = pc.is_in(digests, value_set=wanted)
        for d, ck in zip(digests.filter(hit).to_pylist(), vkeys.filter(hit).to_pylist(), strict=True):
            picked.setdefault(int(d), ck)
    return np.array([sizes.get(picked.get(int(d), ""), 1) for d in sample], dtype=np.uint32)


def _estimate(kept: np.ndarray, k: int) -> float:
    if len(kept) < k:
        return float(len(kept))
    return (k - 1) / (float(kept[-1]) / 2.0**64)


def _pack(values: np.ndarray) -> str:
    return base64.b64encode(values.astype("<u8").tobytes()).decode("ascii")


def _pack32(values: np.ndarray) -> str:
    return base64.b64encode(values.astype("<u4").tobytes()).decode("ascii")


def unpack(text: str | None, dtype: str = "<u8") -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype) if text else np.empty(0, dtype=dtype)


# ---------------------------------------------------------------------------------------- judgement


def _table(store: LedgerStore) -> sa.Table:
    """``dc_exposure`` (seq, fingerprint): beside the chain, created on first use."""
    table = getattr(store, "_dc_exposure", None)
    if table is None:
        table = sa.Table("dc_exposure", sa.MetaData(schema=store.schema),
                         sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
                         sa.Column("fingerprint", sa.Text, nullable=False))  # fmt: skip
        table.create(store._writer(), checkfirst=True)
        store._dc_exposure = table  # type: ignore[attr-defined]
    return table


def writer(store: LedgerStore, fp: ExposureFingerprint) -> tuple[str, Callable[[Any, int], None]]:
    """The fingerprint's SHA-256 (for the record) and the ``within`` hook that stores it with the entry."""
    text = canonical(fp)
    table = _table(store)

    def write(conn: Any, seq: int) -> None:
        conn.execute(sa.insert(table).values(seq=seq, fingerprint=text.decode()))

    return hashlib.sha256(text).hexdigest(), write


def load(store: LedgerStore, seqs: list[int]) -> dict[int, ExposureFingerprint]:
    table = _table(store)
    out: dict[int, ExposureFingerprint] = {}
    with store._writer().connect() as conn:
        for i in range(0, len(seqs), 500):
            for seq, text in conn.execute(sa.select(table.c.seq, table.c.fingerprint).where(table.c.seq.in_(seqs[i:i + 500]))):
                out[int(seq)] = ExposureFingerprint.model_validate_json(text)
    return out


def held_fingerprints(store: LedgerStore, recipient: str) -> Iterator[tuple[Any, ExposureFingerprint]]:
    """(entry, fingerprint) of every sent transfer to ``recipient`` that recorded one, in order; a
    fingerprint that does not match the SHA-256 its entry committed is refused."""
    entries = [e for e in store.iter_entries("transfer") if e.body.get("status") == "sent"
               and (e.body.get("recipient") or {}).get("name") == recipient and e.body.get("exposure_sha256")]  # fmt: skip
    found = load(store, [e.seq for e in entries])
    for entry in entries:
        fp = found.get(entry.seq)
        if fp is None or hashlib.sha256(canonical(fp)).hexdigest() != entry.body["exposure_sha256"]:
            raise LedgerTampered(f"the exposure fingerprint of entry {entry.seq} is missing or was changed",
                                 "run 'datacustoms ledger verify' and restore the ledger from backup")  # fmt: skip
        yield entry, fp


def figures(releases: list[ExposureFingerprint], k: int, new: ExposureFingerprint | None = None) -> ExposureFigures:
    """Cumulative figures over ``releases`` (the union sample; see the module doc)."""
    rows = sum(r.rows for r in releases)
    prim = [(unpack(r.columns[0].sketch), unpack(r.class_sizes, "<u4"), r.rows) for r in releases if r.columns]
    if not prim:
        return ExposureFigures(releases=len(releases), rows=rows, people=0.0, at_risk_share=0.0)
    size = min(SKETCH_K, max(len(p[0]) for p in prim))
    union = _bottom(np.concatenate([p[0] for p in prim]), size)
    people = _estimate(union, SKETCH_K) if len(union) >= SKETCH_K else float(len(union))
    others = np.full(len(union), max(people - 1.0, 0.0))
    for sketch, sizes, _n in prim:
        idx = np.searchsorted(sketch, union)
        present = (idx < len(sketch)) & (sketch[np.minimum(idx, len(sketch) - 1)] == union)
        s = np.where(present, sizes[np.minimum(idx, len(sizes) - 1)] if len(sizes) else 1, 0).astype(np.float64)
        factor = np.where(present, (s - 1) / max(people - 1.0, 1.0), 1.0)
        others *= factor
    risk = 1.0 / (1.0 + others)
    result = ExposureFigures(releases=len(releases), rows=rows, people=people, sampled=len(union),
                             at_risk_share=float(np.mean(1.0 + others < k)) if len(union) else 0.0,
                             highest_risk=float(risk.max()) if len(union) else 0.0,
                             average_risk=float(risk.mean()) if len(union) else 0.0)  # fmt: skip
    if new is not None and releases[:-1]:
        result.linkable_share = linkable_share([r for r in releases[:-1]], new)
    return result


def linkable_share(held: list[ExposureFingerprint], new: ExposureFingerprint) -> float:
    """Share of ``new``'s people the holder already has, the highest over pairs of sketched columns."""
    best = 0.0
    for col in new.columns:
        a = unpack(col.sketch)
        for h in (c for r in held for c in r.columns):
            b = unpack(h.sketch)
            size = min(len(a), len(b), SKETCH_K)
            if size == 0:
                continue
            union = _bottom(np.concatenate([a, b]), size)
            both = np.isin(union, a) & np.isin(union, b)
            jaccard = float(both.mean())
            inter = jaccard * (col.distinct + h.distinct) / (1 + jaccard)
            best = max(best, min(1.0, inter / col.distinct) if col.distinct else 0.0)
    return best


def judge(store: LedgerStore, recipient: str, new: ExposureFingerprint, *, k: int, max_risk: float) -> ExposureJudgement:
    """This release alone, what the recipient held before, and after; refused above ``max_risk``."""
    held = [fp for _e, fp in held_fingerprints(store, recipient)]
    after = figures([*held, new], k, new)
    judgement = ExposureJudgement(
        recipient=recipient, k=k, max_risk=max_risk, this_release=figures([new], k),
        held_before=figures(held, k) if held else None, held_after=after,
    )  # fmt: skip
    if held and after.at_risk_share > max_risk:
        judgement.refused = True
        judgement.reason = (
            f"R17: with this release {recipient} would hold {after.releases} releases in which "
            f"{after.at_risk_share:.0%} of people (est. from {after.sampled:,} sampled) have a joint class below k = {k} "
            f"(limit {max_risk:.0%}); {after.linkable_share or 0:.0%} of this release's people are already held — "
            "rotate the pseudonym key (rotate: per_transfer) or generalise further"
        )
    return judgement


def judge_transfer(store: LedgerStore, recipient: str, sent: Table, policy: Any) -> tuple[ExposureFingerprint, ExposureJudgement]:
    """Fingerprint what is about to leave and judge the recipient's holding with it (R17)."""
    qi = [c for c in policy.qi_columns() if c in sent.column_names]
    fp = fingerprint(sent, qi, store.key)
    fp.k = policy.thresholds.k
    return fp, judge(store, recipient, fp, k=policy.thresholds.k, max_risk=policy.thresholds.max_risk)


def history(store: LedgerStore, recipient: str, k: int | None = None) -> dict[str, Any]:
    """The recipient's cumulative figures after each sent transfer, in ledger order."""
    rows: list[dict[str, Any]] = []
    held: list[ExposureFingerprint] = []
    unsketched: list[int] = []
    sketched = {e.seq: fp for e, fp in held_fingerprints(store, recipient)}
    for entry in store.iter_entries("transfer"):
        body = entry.body
        if body.get("status") != "sent" or (body.get("recipient") or {}).get("name") != recipient:
            continue
        fp = sketched.get(entry.seq)
        if fp is None:
            unsketched.append(entry.seq)
            continue
        held.append(fp)
        limit = k or fp.k or 5
        fig = figures(held, limit, fp)
        rows.append({"entry": entry.seq, "time": entry.created, "transfer_id": body.get("transfer_id"),
                     "purpose": body.get("purpose"), "release_rows": fp.rows, "k": limit,
                     **fig.model_dump(mode="json"), "fingerprint_bytes": len(canonical(fp))})  # fmt: skip
    return {"recipient": recipient, "transfers": rows, "not_sketched": unsketched}


def canonical(fp: ExposureFingerprint) -> bytes:
    """The fingerprint as the chain stores it (its share of the record's canonical JSON)."""
    import json

    return json.dumps(fp.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()
