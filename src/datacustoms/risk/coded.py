"""The profile's counting in numpy over dictionary codes, for tables whose codes fit in memory.

DuckDB's group-by over quasi-identifiers × sensitive values (``classes.build_cells``) spends most
of its time hashing text and then joining the cells back to their classes. Here each column is
dictionary-encoded once (Parquet's own dictionaries are kept as read, so no text is decoded), the
codes are combined into one class number by mixed-radix arithmetic (re-numbered densely whenever
the product of the distinct counts would overflow), and class sizes, marginal counts and each
sensitive column's (value × class) counts are ``np.bincount`` calls. Every R12 figure is then a
vectorised reduction over that dense count grid (:func:`grid_figures`).

Only the distinct values (a few per column) go to DuckDB, as the tables ``dc_m{i}(v, n)`` and
``dc_g(v, n, code)`` the DuckDB path also leaves, so value order, rare values and examples come
from the same SQL. Where the codes would not fit (:data:`MAX_BYTES`), a column type is one whose
equality Arrow and DuckDB may define differently (floating point, decimals, nested types), or
the (value × class) grid is too large (:data:`MAX_CELLS`), :func:`encode` returns ``None`` and the
DuckDB path runs instead; tests hold both paths to the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.io.prefetch import prefetch
from datacustoms.model.risk import ClassHistogram
from datacustoms.model.thresholds import Thresholds
from datacustoms.table import Table

#: the codes and the work arrays (about 4 bytes per column and 40 more per row) stay under this
MAX_BYTES = 768 << 20
#: largest dense (value × class) count grid, in cells (8 bytes each)
MAX_CELLS = 1 << 25
#: a key range up to this is numbered densely with one bincount; above it by sorting
DENSE_KEYS = 1 << 26
#: classes per block when reducing the grid (bounds the temporaries)
BLOCK = 1 << 12
#: budget for merging differing batch dictionaries (distinct values looked up, summed over merges)
MAX_LOOKUPS = 1 << 26
#: slack on float comparisons, as in ``risk.cellstats``
EPS = 1e-9


@dataclass
class Encoded:
    """One column as codes: ``values[codes[row]]`` is the row's value.

    ``counts`` (rows per code) is filled once known; until :meth:`compact` runs, some values may
    be held by no row (a Parquet dictionary's or an integer range's unused entries).
    """

    values: pa.Array  # NULL, when the column holds it, is one of the values
    codes: np.ndarray  # int32 per row
    counts: np.ndarray | None = None

    @property
    def cardinality(self) -> int:
        return len(self.values)

    def compact(self, counts: np.ndarray) -> None:
        """Keep only the values some row holds (the codes are not renumbered: callers are done with them)."""
        present = np.flatnonzero(counts)
        if len(present) < len(counts):
            self.values = self.values.take(pa.array(present))
        self.counts = counts[present].astype(np.int64)


def supported(arrow_type: pa.DataType) -> bool:
    """Types whose equality is the same in Arrow's hashing and DuckDB's group-by (no floats)."""
    if pa.types.is_dictionary(arrow_type):
        return supported(arrow_type.value_type)
    return bool(
        pa.types.is_integer(arrow_type)
        or pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_binary(arrow_type)
        or pa.types.is_large_binary(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_date(arrow_type)
    )


_DONE = np.empty(0, dtype=np.int32)
_INTEGERS = {
    (8, True): np.int8, (16, True): np.int16, (32, True): np.int32, (64, True): np.int64,
    (8, False): np.uint8, (16, False): np.uint16, (32, False): np.uint32, (64, False): np.uint64,
}  # fmt: skip


def _numbers(array: pa.Array) -> np.ndarray:
    """A NULL-free integer Arrow array as a read-only numpy view of its buffer.

    (``Array.to_numpy`` would do the same but imports pandas, a second's start-up on a busy host.)
    """
    assert array.null_count == 0
    dtype = np.dtype(_INTEGERS[array.type.bit_width, pa.types.is_signed_integer(array.type)])
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize)


class Declined(Exception):
    """The numpy path does not apply to this table (the DuckDB path runs instead)."""


class _Coder:
    """One column's codes, built batch by batch so only one batch of Arrow data is held.

    Dictionary batches (Parquet's, or any other batch dictionary-encoded here) are mapped onto
    one growing table of distinct values: a batch whose dictionary is the previous one's (the
    batches of one row group) reuses its mapping, a new dictionary is looked up once with
    ``index_in``. Integers without a dictionary keep their values and become codes at the end.
    """

    def __init__(self, arrow_type: pa.DataType, rows: int | None) -> None:
        self.raw = pa.types.is_integer(arrow_type)
        self.parts: list[np.ndarray] = []
        dtype = _INTEGERS[arrow_type.bit_width, pa.types.is_signed_integer(arrow_type)] if self.raw else np.int32
        self.out = np.empty(rows, dtype=dtype) if rows is not None else None  # filled in place: no concatenation
        self.filled = 0
        self.masks: list[tuple[int, np.ndarray]] = []  # integers: (first row, NULL mask) of batches with NULL
        self.memo: pa.Array | None = None
        self.null_code: int | None = None
        self.last: tuple[pa.Array, np.ndarray] | None = None
        self.work = 0

    def add(self, array: pa.Array) -> None:
        if self.raw:
            if array.null_count:
                self.masks.append((self.filled, _numbers(pc.cast(array.is_null(), pa.uint8())).view(bool)))
            self._keep(_numbers(array.fill_null(0) if array.null_count else array))
            return
        if not pa.types.is_dictionary(array.type):
            array = pc.dictionary_encode(array)
        dictionary = array.dictionary
        if self.last is not None and (dictionary is self.last[0] or dictionary.equals(self.last[0])):
            mapping = self.last[1]
        else:
            mapping = self._map(dictionary)
            self.last = (dictionary, mapping)
        indices = array.indices
        if indices.null_count:
            if self.null_code is None:
                self.null_code = self._size()
                self.memo = pa.concat_arrays([self._values(), pa.nulls(1, dictionary.type)])
            mapping = np.append(mapping, np.int32(self.null_code))
            indices = pc.fill_null(indices, len(dictionary))
        positions = _numbers(indices)
        if self.out is not None and self.filled + len(positions) <= len(self.out):  # gathered in place
            window = self.out[self.filled : self.filled + len(positions)]
            np.take(mapping, positions, out=window, mode="clip")  # "clip": unbuffered; indices are valid
            self.filled += len(positions)
        else:
            self._keep(mapping[positions])

    def _keep(self, part: np.ndarray) -> None:
        if self.out is not None and self.filled + len(part) <= len(self.out):
            self.out[self.filled : self.filled + len(part)] = part
        else:
            if self.out is not None:  # more rows than announced: keep what was filled as one part
                self.parts.append(self.out[: self.filled])
                self.out = None
            self.parts.append(part)
        self.filled += len(part)

    def distinct(self) -> int:
        """Distinct values seen so far (a lower bound; integers are counted only at the end)."""
        return self._size()

    def _size(self) -> int:
        return 0 if self.memo is None else len(self.memo)

    def _values(self) -> pa.Array:
        assert self.memo is not None
        return self.memo

    def _map(self, dictionary: pa.Array) -> np.ndarray:
        if dictionary.null_count or pc.count_distinct(dictionary).as_py() != len(dictionary):
            raise Declined("a dictionary holds NULL or a value twice")
        if self.memo is None:
            self.memo = dictionary
            return np.arange(len(dictionary), dtype=np.int32)
        self.work += len(self.memo) + len(dictionary)
        if self.work > MAX_LOOKUPS:
            raise Declined("too many distinct dictionaries to merge")
        found = pc.index_in(dictionary, value_set=self.memo)
        mapping = _numbers(found.fill_null(-1)).astype(np.int32)
        new = mapping < 0
        if new.any():
            mapping[new] = np.arange(len(self.memo), len(self.memo) + int(new.sum()), dtype=np.int32)
            self.memo = pa.concat_arrays([self.memo, dictionary.filter(pa.array(new))])
        return mapping

    def finish(self, arrow_type: pa.DataType) -> Encoded:
        if self.out is not None:
            data, self.out = self.out[: self.filled], None
        else:
            data = np.concatenate(self.parts)  # a copy: Arrow's buffers are read-only
        self.parts = []
        if not self.raw:
            return Encoded(values=self._values(), codes=data)
        nulls = None
        if self.masks:
            nulls = np.zeros(len(data), dtype=bool)
            for start, mask in self.masks:
                nulls[start : start + len(mask)] = mask
        return _integer_codes(data, nulls, arrow_type)


def _integer_codes(data: np.ndarray, nulls: np.ndarray | None, arrow_type: pa.DataType) -> Encoded:
    """Integers as codes: the value minus the smallest one (NULL after the largest), or, over a
    wide range, the rank among the distinct values."""
    valid = data if nulls is None else data[~nulls]
    low, high = (valid.min(), valid.max()) if len(valid) else (data.dtype.type(0), data.dtype.type(0))
    if int(high) - int(low) < MAX_CELLS:
        # value − low is below 2**25, so it is right in wrapping 32-bit arithmetic whatever the
        # width and sign of the values: truncate both, then subtract
        codes = data.astype(np.int32, copy=False)
        codes -= np.array(low).astype(np.int32)
        wide = data.dtype if data.dtype.itemsize == 8 else np.dtype(np.int64)  # holds every value of the type
        values = pa.array(np.arange(int(high) - int(low) + 1, dtype=wide) + wide.type(low)).cast(arrow_type)
    else:
        distinct, inverse = np.unique(valid, return_inverse=True)
        codes = np.zeros(len(data), dtype=np.int32)
        codes[slice(None) if nulls is None else ~nulls] = inverse.reshape(-1)
        values = pa.array(distinct, type=arrow_type)
    if nulls is not None:
        codes[nulls] = len(values)
        values = pa.concat_arrays([values, pa.nulls(1, arrow_type)])
    return Encoded(values=values, codes=codes)


def encode(table: Table, columns: Sequence[str], qi_count: int | None = None) -> list[Encoded] | None:
    """Every column of ``table`` as codes, in one read; ``None`` when the numpy path does not apply.

    The columns after the first ``qi_count`` are sensitive: as soon as one of them has so many
    distinct values that its grid must exceed :data:`MAX_CELLS` (there are at least as many
    classes as a quasi-identifier has values) the read stops and ``None`` is returned.
    """
    types = [table.schema.field(c).type for c in columns]
    if not all(supported(t) for t in types):
        return None
    per_row = 4 * len(columns) + 40
    if table.num_rows_hint is not None and table.num_rows_hint * per_row > MAX_BYTES:
        return None
    coders = [_Coder(t, table.num_rows_hint) for t in types]
    split = len(columns) if qi_count is None else qi_count
    rows = 0
    try:
        for batch in prefetch(table.encoded_batches(list(columns)), depth=1):
            rows += batch.num_rows
            if rows * per_row > MAX_BYTES:
                return None
            for coder, array in zip(coders, batch.columns, strict=True):
                coder.add(array)
            classes = max((c.distinct() for c in coders[:split]), default=1)
            if any(classes * c.distinct() > MAX_CELLS for c in coders[split:]):
                return None
        if rows == 0:
            return None
        return [coder.finish(t) for coder, t in zip(coders, types, strict=True)]
    except Declined:
        return None


def class_ids(columns: Sequence[Encoded]) -> tuple[np.ndarray, np.ndarray]:
    """(class number per row, rows per class): the codes in mixed radix, numbered densely.

    Where the product of the cardinalities is small, one bincount over the key range gives the
    class sizes and, summed along the other axes, every column's marginal counts; otherwise
    each column is counted on its own and the keys are numbered by sorting.
    """
    cards = [c.cardinality for c in columns]
    space = math.prod(cards)
    rows = len(columns[0].codes)
    if space <= min(DENSE_KEYS, max(4 * rows, 1 << 20)):
        key: np.ndarray = columns[0].codes.astype(np.int32)  # space ≤ DENSE_KEYS < 2**31
        for column in columns[1:]:
            key *= column.cardinality
            key += column.codes
            column.codes = _DONE  # each column's codes go once folded into the key
        counts = np.bincount(key, minlength=space)
        cube = counts.reshape(cards)
        for i, column in enumerate(columns):
            column.compact(cube.sum(axis=tuple(j for j in range(len(cards)) if j != i)))
        present = np.flatnonzero(counts)
        remap = np.zeros(space, dtype=np.int32)
        remap[present] = np.arange(len(present), dtype=np.int32)
        return remap[key], counts[present]
    for column in columns:
        column.compact(np.bincount(column.codes, minlength=column.cardinality))
    wide = columns[0].codes.astype(np.int64)
    card = columns[0].cardinality
    for column in columns[1:]:
        if card * column.cardinality >= 1 << 62:
            _, wide = np.unique(wide, return_inverse=True)
            card = int(wide.max()) + 1
        wide *= column.cardinality
        wide += column.codes
        column.codes = _DONE
        card *= column.cardinality
    _, inverse, sizes = np.unique(wide, return_inverse=True, return_counts=True)
    return inverse.reshape(-1).astype(np.int32), sizes


def sensitive_codes(column: Encoded) -> None:
    """Count a sensitive column's values and renumber its codes 0.. over the values present."""
    counts = np.bincount(column.codes, minlength=column.cardinality)
    present = np.flatnonzero(counts)
    if len(present) and present[-1] != len(present) - 1:  # a gap before the last code: renumber
        remap = np.zeros(column.cardinality, dtype=np.int32)
        remap[present] = np.arange(len(present), dtype=np.int32)
        column.codes = remap[column.codes]
    column.compact(counts)


@dataclass
class Counted:
    """A table's classes as numbers: what every figure of the profile derives from."""

    qi: list[Encoded]
    sensitive: list[Encoded]
    ids: np.ndarray  # class number per row
    sizes: np.ndarray  # rows per class

    def histogram(self) -> ClassHistogram:
        """Class size → number of classes."""
        by_size = np.bincount(self.sizes)
        sizes = np.flatnonzero(by_size)
        return ClassHistogram(sizes=sizes.tolist(), counts=by_size[sizes].tolist())

    def grid(self, index: int) -> np.ndarray:
        """The ``[value, class]`` counts of sensitive column ``index``."""
        column = self.sensitive[index]
        codes, column.codes = column.codes, _DONE  # value_grid reuses them
        return value_grid(self.ids, len(self.sizes), codes, column.cardinality)


def count(table: Table, qi: Sequence[str], sensitive: Sequence[str]) -> Counted | None:
    """The classes of ``table`` over ``qi`` in numpy, or ``None`` where the DuckDB path must run."""
    columns = encode(table, [*qi, *sensitive], len(qi))
    if columns is None:
        return None
    ids, sizes = class_ids(columns[: len(qi)])
    for column in columns[: len(qi)]:
        column.codes = _DONE  # only the values and their counts are needed now
    for column in columns[len(qi) :]:
        sensitive_codes(column)
        if len(sizes) * column.cardinality > MAX_CELLS:
            return None
    return Counted(qi=columns[: len(qi)], sensitive=columns[len(qi) :], ids=ids, sizes=sizes)


def value_grid(ids: np.ndarray, classes: int, codes: np.ndarray, values: int) -> np.ndarray:
    """Counts ``[value, class]`` of one sensitive column (``values × classes ≤ MAX_CELLS``).

    Laid out value-major so that the per-class reductions run along contiguous class blocks.
    ``codes`` (int32, writable) is overwritten with the cell numbers.
    """
    cells = codes  # in place: the codes are not needed after the grid
    cells *= classes
    cells += ids
    return np.bincount(cells, minlength=values * classes).reshape(values, classes)


@dataclass
class GridFigures:
    """The R12 figures of one sensitive column, as ``cellstats._figures`` returns them."""

    distinct_l: int = 0
    below_l: int = 0
    records_below_l: int = 0
    min_h: float = math.inf
    below_h: int = 0
    rest_positive: bool = True
    max_ratio: float = -math.inf
    failing: int = 0
    t: float = -math.inf
    above_t: int = 0
    records_above_t: int = 0
    dominated: int = 0
    dominated_records: int = 0

    def row(self) -> tuple[object, ...]:
        return (
            self.distinct_l, self.below_l, self.records_below_l, math.exp(self.min_h), self.below_h,
            self.max_ratio if self.rest_positive else None, self.failing, max(self.t, 0.0), self.above_t,
            self.records_above_t, self.dominated, self.dominated_records,
        )  # fmt: skip


def grid_figures(
    grid: np.ndarray,
    sizes: np.ndarray,
    totals: np.ndarray,
    rank: np.ndarray | None,
    ordered: bool,
    rows: int,
    th: Thresholds,
) -> tuple[object, ...]:
    """The R12 figures from the ``[value, class]`` grid, block by block of classes.

    ``sizes`` are the classes' sizes, ``totals`` the table's count per value; ``rank`` (ordered columns with two or more values)
    lists the codes in value order, for Li et al.'s ordered distance, summed exactly in integers
    as the DuckDB path does: Σ_r |N·cq(r) − f·cp(r)| / (N · f) / (m − 1).
    """
    out = GridFigures(distinct_l=int(grid.shape[0]))
    c = Fraction(str(th.c))
    p = totals / rows
    cp = np.cumsum(totals[rank]) if rank is not None else None
    exact = rank is not None and len(totals) * float(rows) * rows < 2.0**62
    for start in range(0, grid.shape[1], BLOCK):
        g = grid[:, start : start + BLOCK]
        f = sizes[start : start + BLOCK]
        length = np.count_nonzero(g, axis=0)
        top = g.max(axis=0)
        nln = (g * np.log(np.maximum(g, 1))).sum(axis=0)
        h = np.maximum(np.log(f) - nln / f, 0.0)
        rest = f - _top_sum(g, th.diversity_l, top)
        if rank is not None and cp is not None:
            cq = np.cumsum(g[rank], axis=0)
            if exact:
                gap = np.abs(cq * rows - cp[:, None] * f).sum(axis=0).astype(np.float64)
            else:
                gap = np.abs(cq * float(rows) - cp[:, None] * f.astype(np.float64)).sum(axis=0)
            t = gap / (float(rows) * f) / (len(totals) - 1)
        elif ordered:  # one value: every class has the table's distribution
            t = np.zeros(len(f))
        else:
            t = np.maximum(g / f - p[:, None], 0.0).sum(axis=0)
        _accumulate(out, f, length, top, h, rest, t, c, th)
    return out.row()


def _top_sum(g: np.ndarray, l_: int, top: np.ndarray) -> np.ndarray:
    """r_1 + … + r_{l−1}: each class's l − 1 largest counts."""
    if l_ <= 1:
        return np.zeros(g.shape[1], dtype=np.int64)
    if l_ == 2:
        return top
    if g.shape[0] <= l_ - 1:
        return g.sum(axis=0)
    return -np.partition(-g, l_ - 2, axis=0)[: l_ - 1].sum(axis=0)


def _accumulate(
    out: GridFigures,
    f: np.ndarray,
    length: np.ndarray,
    top: np.ndarray,
    h: np.ndarray,
    rest: np.ndarray,
    t: np.ndarray,
    c: Fraction,
    th: Thresholds,
) -> None:
    """Fold one block of classes into the running figures (the aggregates of ``_figures``)."""
    l_ = th.diversity_l
    t_limit = th.t if th.t is not None else 2.0
    below = length < l_
    out.distinct_l = min(out.distinct_l, int(length.min()))
    out.below_l += int(below.sum())
    out.records_below_l += int(f[below].sum())
    out.min_h = min(out.min_h, float(h.min()))
    out.below_h += int((h < math.log(l_) - EPS).sum())
    positive = rest > 0
    if out.rest_positive and positive.all():
        out.max_ratio = max(out.max_ratio, float((top / rest).max()))
    else:
        out.rest_positive = False
    out.failing += int((top * c.denominator >= rest * c.numerator).sum())
    out.t = max(out.t, float(t.max()))
    above = t > t_limit + 1e-12
    out.above_t += int(above.sum())
    out.records_above_t += int(f[above].sum())
    dominated = top >= th.dominance * f - EPS
    out.dominated += int(dominated.sum())
    out.dominated_records += int(f[dominated].sum())
