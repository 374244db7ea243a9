"""Attribute disclosure on sensitive columns (rule R12), from the classes of the one group-by.

The group-by returns, per equivalence class, its size and the list of its sensitive values.
The values are dictionary-encoded once (exact), and the per-class value counts n_v ("cells") are
counted with numpy. For a class of size f, with p_v the value's share of the whole table:

- distinct l-diversity: the number of distinct values (Machanavajjhala et al. 2007);
- entropy l-diversity: exp(H) with H = −Σ (n_v/f) ln(n_v/f) = ln f − Σ n_v ln n_v / f;
- recursive (c, l)-diversity: with counts sorted r_1 ≥ r_2 ≥ …, a class is (c, l)-diverse when
  r_1 < c (r_l + … + r_m); the smallest workable c is above max r_1 / (f − r_1 − … − r_{l−1});
- t-closeness (Li et al. 2007): equal distance for categorical values, ½ Σ |q_v − p_v| (the total
  variation, Σ max(q_v − p_v, 0)); ordered distance for numeric values,
  Σ_i |Σ_{j≤i} (q_j − p_j)| / (m − 1) over the m values in numeric order;
- dominance: classes where one value covers at least a share (default 90%).

The ordered distance needs each class's cumulative share against the table's at all m values;
between two of a class's values its cumulative share is constant, so the sum over each gap is
found from prefix sums of the table's cumulative share and one ``searchsorted``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.risk.model import Diversity, Thresholds

#: counting cells with a dense bincount when classes × values stays below this, else by sorting
DENSE_CELLS = 64_000_000


@dataclass
class Cells:
    """Per-class value counts, sorted by class: ``cls[i]`` holds ``n[i]`` records of value ``code[i]``."""

    cls: np.ndarray
    code: np.ndarray
    n: np.ndarray
    values: pa.Array  # the dictionary: code → value (NULL is a value of its own)
    classes: int


def count_cells(codes: pa.ListArray | pa.ChunkedArray, dictionary: pa.Array) -> Cells:
    """Count each (class, value) from the per-class lists of value codes (indices into ``dictionary``)."""
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks() if codes.num_chunks else pa.array([], pa.list_(pa.int32()))
    offsets = np.asarray(codes.offsets)
    lengths = np.diff(offsets)
    classes = len(lengths)
    flat = np.asarray(codes.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_numpy(zero_copy_only=False))
    m = max(len(dictionary), 1)
    small = classes * m < 2**31  # int32 keys halve the memory traffic
    dtype = np.int32 if small else np.int64
    owner: np.ndarray = np.repeat(np.arange(classes, dtype=dtype), lengths)
    key = owner * dtype(m) + flat.astype(dtype, copy=False)
    if classes * m <= DENSE_CELLS:
        counts = np.bincount(key, minlength=classes * m)
        keys = np.flatnonzero(counts)
        n = counts[keys]
    else:
        keys, n = np.unique(key, return_counts=True)
    return Cells(cls=keys // m, code=keys % m, n=n.astype(np.int64), values=dictionary, classes=classes)


def is_ordered(values: pa.Array, arrow_type: pa.DataType) -> bool:
    """Numeric or temporal columns are ordered; text columns too when every value is a number."""
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return True
    if pa.types.is_temporal(arrow_type):
        return True
    if not (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)):
        return False
    present = pc.drop_null(values)
    if len(present) < 2:
        return False
    try:
        pc.cast(pc.utf8_trim_whitespace(present), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _numeric_rank(values: pa.Array) -> np.ndarray:
    """Rank of each dictionary value in numeric order, NULL last."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.utf8_trim_whitespace(values)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        values = pc.cast(values, pa.float64()) if not pa.types.is_temporal(values.type) else values
    numbers = np.asarray(pc.cast(values, pa.float64(), safe=False).to_numpy(zero_copy_only=False), dtype=np.float64)
    nulls = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    numbers = np.where(nulls, np.inf, numbers)
    order = np.lexsort((nulls, numbers))  # NaN-free: NULL was mapped to +inf, and sorts after it
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def diversity(
    cells: Cells, column: str, *, rows: int, ordered: bool, thresholds: Thresholds
) -> tuple[Diversity, np.ndarray]:
    """All R12 figures for one sensitive column, and the size of each class."""
    th = thresholds
    m = len(cells.values)
    if cells.classes == 0 or rows == 0:
        empty = Diversity(
            column=column, ordered=ordered, distinct_values=0, distinct_l=0, classes_below_l=0,
            records_below_l=0, entropy_l=0.0, classes_below_entropy_l=0, recursive_l=th.l, recursive_c=None,
            classes_failing_recursive=0, t=0.0, dominance=th.dominance, dominated_classes=0, dominated_records=0,
        )  # fmt: skip
        return empty, np.zeros(cells.classes, dtype=np.int64)
    n = cells.n.astype(np.float64)
    starts = np.flatnonzero(np.r_[True, cells.cls[1:] != cells.cls[:-1]])
    lengths = np.diff(np.r_[starts, len(n)])
    size = np.add.reduceat(n, starts)
    top = np.maximum.reduceat(n, starts)
    nln = np.add.reduceat(n * np.log(n), starts)
    p = np.bincount(cells.code, weights=n, minlength=m) / rows
    share = n / np.repeat(size, lengths)
    if ordered:
        t = _ordered_distance(cells, starts, share, p)
    else:
        t = np.add.reduceat(np.maximum(share - p[cells.code], 0.0), starts)  # ½ Σ |q − p|
    if th.l <= 1:
        topl = np.zeros_like(size)
    elif th.l == 2:
        topl = top
    else:  # the l − 1 largest counts of each class
        order = np.lexsort((-n, cells.cls))
        n_sorted = n[order]
        within = np.arange(len(n)) - np.repeat(starts, lengths)
        topl = np.add.reduceat(np.where(within < th.l - 1, n_sorted, 0.0), starts)
    below_l = lengths < th.l
    h = np.maximum(np.log(size) - nln / size, 0.0)
    rest = size - topl
    has_rest = rest > 0
    above_t = t > (th.t if th.t is not None else 2.0) + 1e-12
    dominated = top >= th.dominance * size - 1e-9
    result = Diversity(
        column=column,
        ordered=ordered,
        distinct_values=m,
        distinct_l=int(lengths.min()),
        classes_below_l=int(below_l.sum()),
        records_below_l=int(size[below_l].sum()),
        entropy_l=float(np.exp(h.min())),
        classes_below_entropy_l=int((h < np.log(th.l) - 1e-9).sum()),
        recursive_l=th.l,
        recursive_c=float((top / rest).max()) if has_rest.all() else None,
        classes_failing_recursive=int((top >= th.c * rest).sum()),
        t=max(0.0, float(t.max())),
        classes_above_t=int(above_t.sum()) if th.t is not None else 0,
        records_above_t=int(size[above_t].sum()) if th.t is not None else 0,
        dominance=th.dominance,
        dominated_classes=int(dominated.sum()),
        dominated_records=int(size[dominated].sum()),
    )
    return result, size.astype(np.int64)


def _ordered_distance(cells: Cells, starts: np.ndarray, share: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Ordered-distance EMD of each class against the table (Li et al. 2007), exactly.

    Values get ranks r = 0..m−1 (numeric order, NULL last); P(r) is the table's cumulative share
    and PS(x) = Σ_{i<x} P(i). A class whose cumulative share is Q on ranks [r, next) adds
    Σ_{i∈[r,next)} |Q − P(i)| = Q(s − r) − (PS(s) − PS(r)) + (PS(next) − PS(s)) − Q(next − s), with
    s = #{i : P(i) ≤ Q} clipped to [r, next]; ranks before its first value add PS(first).
    """
    m = len(p)
    if m < 2:
        return np.zeros(len(starts))
    rank_of_code = _numeric_rank(cells.values)
    p_by_rank = np.empty(m)
    p_by_rank[rank_of_code] = p
    big_p = np.cumsum(p_by_rank)
    ps = np.r_[0.0, np.cumsum(big_p)]  # ps[x] = Σ_{i<x} P(i)
    rank = rank_of_code[cells.code]
    order = np.lexsort((rank, cells.cls))  # by class, then by rank
    rank, share = rank[order], share[order]
    lengths = np.diff(np.r_[starts, len(rank)])
    seg = np.repeat(np.arange(len(starts)), lengths)
    cum = np.cumsum(share)
    before = np.r_[0.0, cum][np.repeat(starts, lengths)]
    q = cum - before  # the class's cumulative share at each of its values
    nxt = np.r_[rank[1:], m]
    last = np.r_[starts[1:] - 1, len(rank) - 1]
    nxt[last] = m
    split = np.clip(np.searchsorted(big_p, q, side="right"), rank, nxt)
    part = q * (split - rank) - (ps[split] - ps[rank]) + (ps[nxt] - ps[split]) - q * (nxt - split)
    total = np.bincount(seg, weights=part, minlength=len(starts)) + ps[rank[starts]]
    return total / (m - 1)
