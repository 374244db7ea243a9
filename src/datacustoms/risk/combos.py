"""Risk over every small combination of candidate quasi-identifiers, with SUDA2-style special uniques.

When nobody says which columns an attacker knows, every column may be one. The combination of
all of them is too wide to mean anything (nearly every record is unique), so the search measures
every combination of up to 3–4 columns instead (the depth is chosen by cost), ranks them, and
finds minimal sample uniques (MSUs: a record unique on a set of columns and on none of its
subsets, as sdcMicro's ``suda2``). It fails closed: when the candidates are too many for the
budget, the result says so and the verdict fails.

Every column becomes integer codes in one streamed read (:func:`datacustoms.risk.coded.encode`,
as the risk profile reads them, Parquet's own dictionaries kept; where those codes would not fit
in memory, or a column holds floats, only the sampled rows are kept and Arrow dictionary-encodes
them), so class sizes per combination are integer counts over numpy arrays and no value becomes a
Python object.
Beyond ``cell_budget`` cells the search measures a seeded uniform sample of rows, and re-measures
its worst combinations on every row: over the codes of every row where they are held, else with
one DuckDB group-by each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pyarrow as pa

from datacustoms.model.risk import CombinationRisk, CombinationSearch, SpecialUniques
from datacustoms.model.thresholds import Thresholds
from datacustoms.risk.classes import class_sizes, connect, quote, source_sql
from datacustoms.risk.coded import encode
from datacustoms.table import Table

#: codes held in memory at most (rows × candidates); beyond it the search reads a seeded sample
CELL_BUDGET = 25_000_000
#: record × combination visits the search may spend; the depth (3 or 4) is chosen to fit it
OPS_BUDGET = 1_500_000_000
#: the deepest search: 4 columns when affordable, never fewer than 3 (else the search fails closed)
MAX_DEPTH, MIN_DEPTH = 4, 3
#: worst combinations kept in the result, and re-measured on every row when the search sampled
TOP = 10
SEED = 20_260_101


def constant_columns(table: Table, columns: Sequence[str]) -> set[str]:
    """Columns holding one value (or only NULLs) on every row, from one streamed DuckDB scan."""
    if not columns:
        return set()
    with connect() as con:
        src = source_sql(con, table, columns, "dc_const_src")
        items = [
            f"(count({quote(c)}) = 0 OR (count({quote(c)}) = count(*) AND "
            f"min({quote(c)}::VARCHAR) = max({quote(c)}::VARCHAR)))"
            for c in columns
        ]
        row = con.execute(f"SELECT {', '.join(items)} FROM {src}").fetchone()
    return {c for c, constant in zip(columns, row or (), strict=False) if constant}


def choose_depth(candidates: int, rows: int, ops_budget: int = OPS_BUDGET) -> int:
    """The deepest search (4, else 3) whose combinations × rows fit the budget; 0 when none does."""
    for depth in range(min(MAX_DEPTH, max(candidates, 1)), 0, -1):
        if depth < min(MIN_DEPTH, candidates):
            return 0
        if combination_count(candidates, depth) * max(rows, 1) <= ops_budget:
            return depth
    return 0


def combination_count(candidates: int, depth: int) -> int:
    return sum(math.comb(candidates, s) for s in range(1, depth + 1))


def sample_rows(rows: int, keep: int) -> np.ndarray | None:
    """The rows a search measures: ``keep`` of ``rows`` drawn uniformly without replacement with a
    fixed seed (the same rows every run), in order; None for every row."""
    if rows <= keep:
        return None
    return np.sort(np.random.default_rng(SEED).choice(rows, size=keep, replace=False))


def load_codes(
    table: Table, columns: Sequence[str], cell_budget: int
) -> tuple[list[np.ndarray], int, list[np.ndarray] | None]:
    """(integer codes per column of the rows measured, rows in the table, every row's codes where
    they are held). NULL is a value of its own. The rows measured are :func:`sample_rows` of the
    table beyond ``cell_budget`` cells; both ways of reading give them the same classes."""
    keep = max(1, cell_budget // max(len(columns), 1))
    encoded = encode(table, columns)  # every row in one read, where the codes fit in memory
    if encoded is not None:
        every = [e.codes for e in encoded]
        rows = len(every[0])
        chosen = sample_rows(rows, keep)
        return (every if chosen is None else [c[chosen] for c in every]), rows, every
    rows = table.num_rows
    data = _chosen_rows(table, columns, sample_rows(rows, keep))
    codes = []
    for name in columns:
        column = data.column(name)
        encoded_column = (
            column.combine_chunks() if column.num_chunks else pa.array([], column.type)
        ).dictionary_encode()
        codes.append(encoded_column.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) + 1)
    return codes, rows, None


def _chosen_rows(table: Table, columns: Sequence[str], chosen: np.ndarray | None) -> pa.Table:
    """The ``chosen`` rows (sorted row numbers; None: all) of ``columns``, streamed: only they are kept."""
    parts: list[pa.RecordBatch] = []
    start = 0
    for batch in table.batches(columns):
        if chosen is None:
            parts.append(batch)
        else:
            lo, hi = np.searchsorted(chosen, [start, start + batch.num_rows])
            if hi > lo:
                parts.append(batch.take(pa.array(chosen[lo:hi] - start)))
        start += batch.num_rows
    schema = pa.schema([table.schema.field(c) for c in columns])
    return pa.Table.from_batches(parts, schema=schema) if parts else schema.empty_table()


def extend_key(key: np.ndarray, card: int, col: np.ndarray) -> tuple[np.ndarray, int]:
    """The mixed-radix class key of one more column (re-numbered first when it could overflow)."""
    width = int(col.max(initial=0)) + 1
    if card * width >= 2**62:
        _, key = np.unique(key, return_inverse=True)
        key = key.reshape(-1)
        card = int(key.max(initial=0)) + 1
    return key * width + col, card * width


def class_counts(key: np.ndarray, card: int) -> tuple[np.ndarray, np.ndarray]:
    """(class id of each record, size of every class id) for one combination's key.

    A wide key range is numbered by one sort into runs of equal keys: the ids ``np.unique`` gives
    (each key's rank among the distinct keys), without its argsort. Where the key and the row
    number fit in one 64-bit word together they are sorted as one (numpy's vectorised sort, about
    six times faster than an argsort of 4 M keys here); otherwise the key's order is argsorted."""
    n = len(key)
    if card <= 4 * n + 1024:
        return key, np.bincount(key, minlength=card)
    shift = max(1, (n - 1).bit_length())
    if card <= 1 << (63 - shift):
        packed = np.sort((key << shift) | np.arange(n, dtype=np.int64))
        ordered, order = packed >> shift, packed & ((1 << shift) - 1)
    else:
        order = np.argsort(key)
        ordered = key[order]
    counts = _run_lengths(ordered)
    ids = np.empty(n, dtype=np.int64)
    ids[order] = np.repeat(np.arange(len(counts)), counts)
    return ids, counts


def class_sizes_of(key: np.ndarray, card: int) -> np.ndarray:
    """The size of every class of one combination's key (no per-record ids: a sort, or a bincount)."""
    if card <= 4 * len(key) + 1024:
        return np.bincount(key, minlength=card)
    return _run_lengths(np.sort(key))


def _run_lengths(ordered: np.ndarray) -> np.ndarray:
    """The lengths of the runs of equal values in a sorted array, in order."""
    if not len(ordered):
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return np.diff(np.append(starts, len(ordered)))


def _measure(names: list[str], counts: np.ndarray, th: Thresholds, exact: bool) -> CombinationRisk:
    present = counts[counts > 0]
    k = int(present.min()) if len(present) else 0
    highest = 1.0 / k if k else 0.0
    return CombinationRisk(
        columns=names,
        k=k,
        classes=len(present),
        sample_uniques=int((present == 1).sum()),
        records_below_k=int(present[present < th.k].sum()),
        highest_risk=highest,
        exact=exact,
        fails=bool(k and (k < th.k or highest > th.max_risk + 1e-12)),
    )


def _rank(c: CombinationRisk) -> tuple[int, int, int, int]:
    return (c.k, -c.sample_uniques, -c.records_below_k, len(c.columns))


def search_combinations(
    table: Table,
    candidates: Sequence[str],
    thresholds: Thresholds | None = None,
    *,
    cell_budget: int = CELL_BUDGET,
    ops_budget: int = OPS_BUDGET,
    top: int = TOP,
) -> CombinationSearch:
    """Measure every combination of up to 3–4 ``candidates``; worst first, with special uniques.

    Fails closed: when even 3-column combinations do not fit ``ops_budget`` the result has
    ``complete=False`` and a reason in plain words.
    """
    th = thresholds or Thresholds()
    candidates = list(candidates)
    rows = table.num_rows
    sampled = min(rows, max(1, cell_budget // max(len(candidates), 1)))
    depth = choose_depth(len(candidates), sampled, ops_budget)
    if not candidates or depth == 0:
        return CombinationSearch(
            candidates=candidates, depth=0, combinations=0, rows=rows, sampled_rows=0, complete=not candidates,
            reason=None if not candidates else (
                f"{len(candidates)} candidate quasi-identifiers are too many to measure every combination of "
                f"{MIN_DEPTH} columns within the budget; name the columns a recipient could know (--qi, or "
                "quasi_identifiers in the policy)"
            ),
        )  # fmt: skip
    codes, rows, every = load_codes(table, candidates, cell_budget)
    read = len(codes[0])
    results, special = _walk(codes, candidates, depth, th, exact=read == rows)
    results.sort(key=_rank)
    failing = sum(r.fails for r in results)
    worst = results[:top]
    if read < rows:
        place = {name: i for i, name in enumerate(candidates)}
        worst = [
            _exact(table, r, th) if every is None else _exact_codes([every[place[c]] for c in r.columns], r, th)
            for r in worst
        ]
    return CombinationSearch(
        candidates=candidates, depth=depth, combinations=len(results), rows=rows, sampled_rows=read,
        complete=True, failing=failing, worst=worst, special=special,
    )  # fmt: skip


def _exact(table: Table, found: CombinationRisk, th: Thresholds) -> CombinationRisk:
    """Re-measure a combination found on the sample on every row (one streamed DuckDB group-by)."""
    hist = class_sizes(table, found.columns)
    k = hist.min_size
    highest = 1.0 / k if k else 0.0
    return CombinationRisk(
        columns=found.columns, k=k, classes=hist.classes, sample_uniques=hist.classes_of_size(1),
        records_below_k=hist.records_below(th.k), highest_risk=highest, exact=True,
        fails=bool(k and (k < th.k or highest > th.max_risk + 1e-12)),
    )  # fmt: skip


def _exact_codes(columns: list[np.ndarray], found: CombinationRisk, th: Thresholds) -> CombinationRisk:
    """Re-measure a combination found on the sample on every row, from every row's codes."""
    key, card = np.zeros(len(columns[0]), dtype=np.int64), 1
    for codes in columns:
        key, card = extend_key(key, card, codes)
    return _measure(found.columns, class_sizes_of(key, card), th, exact=True)


def _walk(
    codes: list[np.ndarray], names: list[str], depth: int, th: Thresholds, *, exact: bool
) -> tuple[list[CombinationRisk], SpecialUniques]:
    """Every combination level by level; an MSU is unique here and on none of its one-smaller subsets.

    Sample uniques are kept as packed bit sets per combination of the previous level, so the
    minimality test is a few ORs. Combinations come in lexicographic order, so the key of the
    shared prefix is built once and extended by the last column.
    """
    n, m = len(codes[0]), len(names)
    results: list[CombinationRisk] = []
    special = np.zeros((n + 7) // 8, dtype=np.uint8)
    msus, score, total = [0] * depth, np.zeros(m), 0.0
    previous: dict[tuple[int, ...], np.ndarray] = {}
    for size in range(1, depth + 1):
        current: dict[tuple[int, ...], np.ndarray] = {}
        weight = float(math.factorial(m - size))  # SUDA: an MSU of size s scores (M - s)!
        prefix: tuple[int, ...] = ()
        base, base_card = np.zeros(n, dtype=np.int64), 1
        for combo in combinations(range(m), size):
            if combo[:-1] != prefix:
                prefix, base, base_card = combo[:-1], np.zeros(n, dtype=np.int64), 1
                for i in prefix:
                    base, base_card = extend_key(base, base_card, codes[i])
            key, card = extend_key(base, base_card, codes[combo[-1]])
            ids, counts = class_counts(key, card)
            results.append(_measure([names[i] for i in combo], counts, th, exact))
            if not (counts == 1).any():
                continue
            unique = np.packbits(counts[ids] == 1)
            if size < depth:
                current[combo] = unique
            minimal = unique.copy()
            for sub in combinations(combo, size - 1) if size > 1 else ():
                if sub in previous:
                    minimal &= ~previous[sub]
            found = int(np.bitwise_count(minimal).sum())
            if found:
                special |= minimal
                msus[size - 1] += found
                score[list(combo)] += weight * found
                total += weight * found
        previous = current
    contributions = {names[i]: round(float(score[i] / total), 4) for i in range(m) if score[i]} if total else {}
    return results, SpecialUniques(
        max_size=depth, records=int(np.bitwise_count(special).sum()), msus_by_size=msus, contributions=contributions
    )
