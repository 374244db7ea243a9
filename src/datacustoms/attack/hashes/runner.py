"""Run (recipe, keyspace) jobs against a column's digests, within a time budget.

Masked keyspaces and candidate lists under MD5 / SHA-1 / SHA-256, hashed once or twice, go to
the native engine (hardware speed, lookup inside the kernel). Everything else — other
algorithms, the ``python`` engine — is enumerated here: numpy builds the candidates, ``hashlib`` hashes them and
a sorted numpy array of the distinct target digests answers the lookups in bulk. Hits are
collected in Arrow-friendly arrays, never a per-target Python dict.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa

from datacustoms.attack.hashes.farm import SLICE_HITS, MaskFarm, Unit, UnitHits, split
from datacustoms.attack.hashes.keyspaces import ListKeyspace, MaskKeyspace, Part, candidates, mask_layout
from datacustoms.attack.hashes.recipes import Recipe, digest_function
from datacustoms.attack.hashes.targets import ParsedColumn, prefix64
from datacustoms.errors import AttackError

ENGINES = ("auto", "native", "python", "hashcat")
PY_CHUNK = 1 << 16
SMALL_PART = 1 << 21  # masks up to this size run one per thread (see _native_small_parts)
#: distinct digests one native search holds at a time when the memory the process may still take
#: cannot be told: their rows of the memory-mapped digest file (read at random, so they must stay
#: in memory), 4 B of prefix each and the bitmaps (128 MiB a kind at this size) — about 0.5 GB for
#: SHA-256. A column with more distinct digests than a shard holds is searched in shards of its
#: sorted digests, one after another: every job enumerates its keyspace once per shard, so memory
#: stays flat at the price of time. Where the spare memory is known, shards are sized to half of
#: it (:func:`shard_rows`): one pass on a large machine, several in a small container
SHARD_TARGETS = 8_000_000
#: the smallest shard, however little memory is spare (a search too small for its tables' fixed cost)
MIN_SHARD_TARGETS = 1_000_000
Progress = Callable[[str, float], None]


def load_engine() -> Any | None:
    """The native engine module, or None when it cannot be imported."""
    try:
        from datacustoms.attack.hashes import engine
    except ImportError:
        return None
    return engine


@dataclass
class JobResult:
    """What one (recipe, keyspace, format) run covered and found."""

    recipe: Recipe
    keyspace: str
    size: int
    covered: int = 0
    hits: int = 0
    seconds: float = 0.0
    engine: str = "python"
    passes: int = 1  # shards of the targets the keyspace is enumerated against, one after another
    hashed: int = 0  # candidates hashed over all passes (covered = hashed // passes)

    @property
    def complete(self) -> bool:
        return self.covered >= self.size

    def add_hashed(self, n: int) -> None:
        """Count ``n`` more candidates hashed against the current shard."""
        self.hashed += n
        self.covered = self.hashed // self.passes


def spare_memory(root: str = "/") -> int | None:
    """Bytes this process may still take: the system's available memory, or less where its
    memory cgroup (v2 or v1) sets a limit; None when it cannot be told (then shards stay small)."""
    base = os.path.join(root, "proc")
    try:
        with open(os.path.join(base, "meminfo")) as fh:
            avail = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:"))
        with open(os.path.join(base, "self", "cgroup")) as fh:
            groups = [line.rstrip("\n").split(":", 2) for line in fh]
    except (OSError, StopIteration, ValueError):
        return None
    for _, controllers, path in groups:
        if controllers == "":  # v2: one unified tree
            mount, names = "sys/fs/cgroup", ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            mount, names = "sys/fs/cgroup/memory", ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        # the group and every group above it (a parent's limit binds its children); in a container
        # without a cgroup namespace the group is the mount's root while /proc/self/cgroup names
        # the host's path, which does not exist there
        parts = [p for p in path.split("/") if p]
        for depth in range(len(parts), -1, -1):
            spare = _cgroup_spare(os.path.join(root, mount, *parts[:depth]), *names)
            if spare is not None:
                avail = min(avail, spare)
    return avail


def _cgroup_spare(folder: str, limit_file: str, usage_file: str) -> int | None:
    """A cgroup folder's limit less its working set (its use less the page cache it has not
    touched lately, which the kernel reclaims first: a file just read counts as used otherwise);
    None where it is unreadable or sets no limit."""
    try:
        with open(os.path.join(folder, limit_file)) as fh:
            limit = fh.read().strip()
        with open(os.path.join(folder, usage_file)) as fh:
            used = int(fh.read().strip())
    except (OSError, ValueError):
        return None
    if not limit.isdigit() or int(limit) >= 1 << 60:  # "max" (v2) or a huge number (v1): no limit
        return None
    stat: dict[str, int] = {}
    with contextlib.suppress(OSError, ValueError), open(os.path.join(folder, "memory.stat")) as fh:
        stat = {k: int(v) for k, v in (line.split() for line in fh if line.count(" ") == 1)}
    inactive = stat.get("total_inactive_file", stat.get("inactive_file", 0))  # v1 names the hierarchy's
    return max(0, int(limit) - max(0, used - inactive))


def shard_bytes(n: int, digest_size: int) -> int:
    """What a search over ``n`` distinct digests holds: the digests (read at random, so resident),
    4 B of prefix each, the directory and two kinds of fine and coarse bitmaps (the native
    engine's own sizes: :func:`~datacustoms.attack.hashes.engine.bitmap_bits`)."""
    from datacustoms.attack.hashes.engine import bitmap_bits

    bits = bitmap_bits(n)
    directory = 4 << min(22, max(1, (n - 1).bit_length()))
    return n * (digest_size + 4) + directory + 2 * (((1 << bits) + (1 << min(bits, 23))) // 8)


def shard_rows(digest_size: int) -> int:
    """Distinct digests per shard: as many as half the spare memory holds (:func:`shard_bytes`;
    at least :data:`MIN_SHARD_TARGETS`), or :data:`SHARD_TARGETS` when the spare memory is unknown."""
    spare = spare_memory()
    if spare is None:
        return SHARD_TARGETS
    lo, hi = MIN_SHARD_TARGETS, max(MIN_SHARD_TARGETS, spare // digest_size)
    while lo < hi:  # the largest n that fits (shard_bytes grows with n)
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if shard_bytes(mid, digest_size) <= spare // 2 else (lo, mid - 1)
    return lo


def shard_bounds(n: int, per: int | None = None) -> list[tuple[int, int]]:
    """Row ranges splitting ``n`` sorted digests into equal shards of at most ``per``
    (:data:`SHARD_TARGETS`) rows; one range when they fit."""
    per = per or SHARD_TARGETS
    count = max(1, -(-n // per))
    return [(n * i // count, n * (i + 1) // count) for i in range(count)]


def _identifiers(candidates: list[bytes], prefix: int, suffix: int) -> list[bytes]:
    """The identifiers inside hashed candidates: the recipe's salt prefix and suffix cut off."""
    if not prefix and not suffix:
        return candidates
    return [c[prefix : len(c) - suffix] for c in candidates]


class KeyIndex:
    """Position of digests among the sorted distinct targets, in bulk.

    Sorting the ``S{n}`` keys lexicographically also sorts their first 8 bytes read as a
    big-endian integer, so one ``searchsorted`` over a uint64 array finds the candidate slot
    (much faster than comparing byte strings); the full digest is then compared, and the rare
    distinct digests sharing an 8-byte prefix fall back to a byte-string search.
    """

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys
        self.size = keys.dtype.itemsize

    @cached_property
    def prefix(self) -> np.ndarray:
        """The keys' 8-byte prefixes, made at the first search (native mask hits join by row)."""
        return self._prefix(self.keys)

    def _prefix(self, arr: np.ndarray) -> np.ndarray:
        raw = np.ascontiguousarray(arr).view(np.uint8).reshape(len(arr), self.size)  # no copy when contiguous
        return prefix64(raw)

    def find(self, digests: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """(positions, found) for each digest; positions are only meaningful where found."""
        if not len(self.keys) or not len(digests):
            return np.zeros(len(digests), dtype=np.int64), np.zeros(len(digests), dtype=bool)
        same = set(map(len, digests)) == {self.size}  # C-speed; hits of one algorithm always are
        arr = np.frombuffer(b"".join(digests), dtype=f"S{self.size}") if same else np.array(digests, f"S{self.size}")
        query = self._prefix(arr)
        order = np.argsort(query)  # sorted queries walk the index sequentially (cache friendly)
        pos = np.empty(len(query), dtype=np.int64)
        pos[order] = np.searchsorted(self.prefix, query[order])
        pos[pos >= len(self.keys)] = 0
        ok = self.keys[pos] == arr
        miss = np.flatnonzero(~ok & (self.prefix[pos] == query))
        if len(miss):  # 8-byte prefix shared by several distinct targets: exact search for these
            exact = np.searchsorted(self.keys, arr[miss])
            exact[exact >= len(self.keys)] = 0
            pos[miss] = exact
            ok[miss] = self.keys[exact] == arr[miss]
        return pos, ok


#: plaintexts a run keeps, the first found: enough for ``--reveal``'s 1,000 and the report's examples
PLAINTEXTS_KEPT = 1_000


def _distinct_first(rows: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, Callable[[int], np.ndarray]]:
    """The distinct values of ``rows``, sorted, and a function giving, for the first ``k`` of
    them, the ``where`` entry of each one's first occurrence.

    A chunk of hits almost never repeats a target (only a list with a plaintext twice does), so
    a plain sort, about 15 times faster than ``np.unique(return_index=True)``'s argsort, tells
    that it does not; the positions, which only the first plaintexts kept need, are found (by an
    argsort) only while plaintexts are still kept. This runs beside the enumeration threads, on
    the same cores.
    """
    ordered = np.sort(rows)
    if len(ordered) > 1 and bool((ordered[1:] == ordered[:-1]).any()):
        idx, first = np.unique(rows, return_index=True)
        return idx, lambda k: where[first[:k]]
    return ordered, lambda k: where[np.argsort(rows, kind="stable")[:k]]


class Found:
    """Which distinct target digests are reversed (a boolean per target), how many each recipe
    reversed, and the first :data:`PLAINTEXTS_KEPT` plaintexts.

    Memory is one byte per distinct target and a fixed few kilobytes beside it, whatever the
    hits: a column of 39 M distinct digests, all reversed, no longer keeps 39 M plaintexts
    (about 0.9 GB) that only ever served the first thousand.
    """

    def __init__(self, keys: np.ndarray, index: KeyIndex | None = None, keep: int = PLAINTEXTS_KEPT) -> None:
        self.keys = keys
        self.index = index or KeyIndex(keys)
        self.mask = np.zeros(len(keys), dtype=bool)
        self.count = 0
        self.keep = keep
        self._kept = 0
        self._index: list[np.ndarray] = []
        self._plain: list[pa.Array] = []
        self._per_recipe: list[int] = []

    def __len__(self) -> int:
        return self.count

    def add(self, digests: Sequence[bytes], plaintexts: Sequence[bytes], recipe: int) -> int:
        """Record hits; returns how many distinct targets were new."""
        if not digests or not len(self.keys):
            return 0
        pos, ok = self.index.find(digests)
        new = np.flatnonzero(ok & ~self.mask[pos])
        if not len(new):
            return 0
        idx, chosen = _distinct_first(pos[new], new)
        take = self._claim(idx, recipe)
        if take:
            self._plain.append(pa.array([plaintexts[i] for i in chosen(take)], pa.binary()))
        return len(idx)

    def add_rows(self, rows: np.ndarray, plaintexts: np.ndarray | Sequence[bytes], recipe: int) -> int:
        """Record hits given as rows of the sorted targets (no search) and their identifiers (a
        ``(k, width)`` uint8 matrix, or a list); returns how many distinct targets were new."""
        if not len(rows) or not len(self.keys):
            return 0
        inside = (rows >= 0) & (rows < len(self.keys))
        new = np.flatnonzero(inside & ~self.mask[np.where(inside, rows, 0)])
        if not len(new):
            return 0
        idx, chosen = _distinct_first(rows[new], new)
        take = self._claim(idx, recipe)
        if take and isinstance(plaintexts, np.ndarray):
            picked = np.ascontiguousarray(plaintexts[chosen(take)])  # in idx order
            width = picked.shape[1]
            fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), take, [None, pa.py_buffer(picked)])
            self._plain.append(fixed.cast(pa.binary()))
        elif take:
            self._plain.append(pa.array([plaintexts[i] for i in chosen(take).tolist()], pa.binary()))
        return len(idx)

    def _claim(self, idx: np.ndarray, recipe: int) -> int:
        """Mark the new targets ``idx`` reversed by ``recipe``; how many of their plaintexts to keep."""
        self.mask[idx] = True
        self.count += len(idx)
        if recipe >= len(self._per_recipe):
            self._per_recipe.extend([0] * (recipe + 1 - len(self._per_recipe)))
        self._per_recipe[recipe] += len(idx)
        take = min(len(idx), self.keep - self._kept)  # never negative: _kept stops at keep
        if take:
            self._kept += take
            self._index.append(idx[:take])
        return take

    def per_recipe(self, n: int) -> list[int]:
        """Distinct targets each of the first ``n`` recipes reversed first."""
        return [self._per_recipe[i] if i < len(self._per_recipe) else 0 for i in range(n)]

    def head(self, n: int) -> list[tuple[bytes, bytes]]:
        """The first ``n`` (at most :attr:`keep`) (digest, plaintext) pairs found, sorted by digest."""
        out: list[tuple[bytes, bytes]] = []
        size = self.keys.dtype.itemsize
        for idx, plains in zip(self._index, self._plain, strict=True):
            take = min(n - len(out), len(idx))
            digests = self.keys[idx[:take]]
            out.extend(
                (d.ljust(size, b"\0"), p) for d, p in zip(digests, plains.slice(0, take).to_pylist(), strict=True)
            )
            if len(out) >= n:
                break
        return sorted(out)


class Runner:
    """Enumerates jobs against one parsed column."""

    def __init__(
        self, parsed: ParsedColumn, *, engine: str = "auto", progress: Progress | None = None, farm: MaskFarm | None = None
    ) -> None:
        if engine not in ENGINES:
            raise AttackError(f"unknown engine {engine!r}", f"use one of {', '.join(ENGINES)}")
        self.parsed = parsed
        self.size = parsed.fmt.size
        self.keys = parsed.sorted_keys
        self.found = Found(self.keys)
        self.index = self.found.index
        self.recipes_hit: list[Recipe] = []
        self.results: list[JobResult] = []
        self.progress = progress
        mod = None if engine in ("python", "hashcat") else load_engine()
        # without the built extension, this module's vectorised Python loop is the fallback
        self.native = mod if mod is not None and mod.native_available() else None
        if engine == "native" and self.native is None:
            raise AttackError(
                "the native engine is not built on this machine",
                "reinstall with a C compiler, or use --engine python",
            )
        self.engine_name = engine
        # large masks searched on another engine's workers (Spark's executors), the rest here
        self.farm = farm if self.native is not None else None
        self._targets: Any = None
        self._rows_align = False  # the native TargetSet's rows are the positions in ``keys``
        self._shards = shard_bounds(len(self.keys), shard_rows(self.size) if self.native is not None else None)
        self._shard = self._shards[0]  # the rows of ``keys`` the current native TargetSet holds
        self.enumerated = 0
        self.busy = 0.0

    # ------------------------------------------------------------------ bookkeeping
    def rate(self, recipe: Recipe) -> float:
        """Candidates per second this runner reaches for a recipe (measured once per process)."""
        if recipe.keyed:
            return keyed_rate(recipe, self.native is not None)
        if self.uses_native(recipe) and self.native is not None:
            key = ("native", recipe.algorithm, recipe.rounds)
            if key not in _RATES:
                # a short run (a few ms): planning needs the order of magnitude, and the attack's
                # own time is better spent enumerating. Plain hashes time the kernels (the 010
                # mask's timing serves its jobs too); others take the CPU's usual pick.
                impl = "auto" if recipe.rounds == 1 else named_impl(self.native, recipe.algorithm)
                _RATES[key] = float(self.native.measure_rate(recipe.algorithm, 0.005, rounds=recipe.rounds, impl=impl))
            return _RATES[key] / self.passes  # every shard of the targets is a pass of its own
        return python_rate(recipe)

    def done(self) -> bool:
        """True once every distinct digest is reversed: nothing is left to find."""
        return self.found.count >= len(self.keys)

    @property
    def passes(self) -> int:
        """How many times a native job enumerates its keyspace: once per shard of the targets."""
        return len(self._shards)

    @property
    def shard_share(self) -> float:
        """The current shard's share of the distinct digests (a probe on it extrapolates by this)."""
        lo, hi = self._shard
        return (hi - lo) / len(self.keys) if len(self.keys) else 1.0

    @property
    def targets(self) -> Any:
        """The native TargetSet of the current shard (all the digests when they fit one)."""
        if self._targets is None and self.native is not None:
            matrix = self.parsed.matrix
            if len(self._shards) > 1:
                # a shard is a slice of the sorted digests: its rows are ``keys`` rows less ``lo``
                lo, hi = self._shard
                rows = np.ascontiguousarray(self.keys[lo:hi]).view(np.uint8).reshape(hi - lo, self.size)
                self._targets = self.native.TargetSet(rows, self.size)
                self._rows_align = True
            elif matrix is not None and matrix.shape == (len(self.keys), self.size):
                # already sorted and distinct: share the memory instead of copying 10 M digests
                self._targets = self.native.TargetSet(matrix, self.size)
                self._rows_align = True
            else:
                self._targets = self.native.TargetSet.from_digests(self.parsed.distinct, self.size)
        return self._targets

    def shard_passes(self, deadline: float) -> Iterator[int]:
        """Point :attr:`targets` at each shard in turn (only one shard's lookup tables in memory at
        a time), until the deadline or nothing is left to find; yields each shard's first row."""
        if len(self._shards) == 1:
            yield 0
            return
        for bounds in self._shards:
            if time.perf_counter() >= deadline or self.done():
                return
            if bounds != self._shard:
                self._targets = None  # frees the previous shard's tables before the next is built
                self._shard = bounds
            yield bounds[0]

    def uses_native(self, recipe: Recipe) -> bool:
        return (
            self.native is not None
            and not recipe.keyed
            and recipe.algorithm in self.native.ALGORITHMS
            and hashlib.new(recipe.algorithm).digest_size == self.size
        )

    def record(self, recipe: Recipe, idents: Sequence[bytes], digests: Sequence[bytes]) -> int:
        if not digests:
            return 0
        if recipe not in self.recipes_hit:
            self.recipes_hit.append(recipe)
        return self.found.add(digests, idents, self.recipes_hit.index(recipe))

    def record_hits(self, recipe: Recipe, hits: Any) -> int:
        """Record native mask hits: by their target rows when the kernel gave them (no search)."""
        if not len(hits):
            return 0
        plain = hits.plaintext_matrix()
        if hits.rows is None or plain is None or not self._rows_align:
            idents = _identifiers(hits.candidates, len(recipe.prefix), len(recipe.suffix))
            return self.record(recipe, idents, hits.digests)
        return self._record_rows(recipe, hits.rows, plain[:, len(recipe.prefix) : plain.shape[1] - len(recipe.suffix)])

    def _record_rows(self, recipe: Recipe, rows: np.ndarray, idents: np.ndarray | Sequence[bytes]) -> int:
        """Record verified hits by their rows in the current shard's TargetSet (no search of all
        the digests: the 8-byte prefix index :meth:`record` builds costs 8 B per distinct digest)."""
        if not len(rows):
            return 0
        if recipe not in self.recipes_hit:
            self.recipes_hit.append(recipe)
        rows = rows + self._shard[0] if self._shard[0] else rows
        return self.found.add_rows(rows, idents, self.recipes_hit.index(recipe))

    def lookup(self, digests: list[bytes]) -> np.ndarray:
        """Indices of the digests that are targets (vectorised binary search)."""
        if not len(self.keys):
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(self.index.find(digests)[1])

    # ------------------------------------------------------------------ runs
    def run_mask(self, recipe: Recipe, keyspace: MaskKeyspace, fmt: str, deadline: float) -> JobResult:
        """Enumerate one masked keyspace in one format under one recipe until done or the deadline."""
        parts = keyspace.parts(fmt)
        res = JobResult(recipe, f"{keyspace.name}:{fmt}", sum(p.size for p in parts))
        native = self.uses_native(recipe)
        res.engine = "native" if native else "python"
        t0 = time.perf_counter()
        if not native:
            for part in parts:
                if time.perf_counter() >= deadline or self.done():
                    break
                self._python_part(recipe, part, res, deadline)
        else:
            res.passes = self.passes
            for _ in self.shard_passes(deadline):
                if len(parts) > 1 and max(p.size for p in parts) <= SMALL_PART:
                    self._native_small_parts(recipe, parts, res, deadline)
                    continue
                for part in parts:
                    if time.perf_counter() >= deadline or self.done():
                        break
                    self._native_part(recipe, part, res, deadline)
        res.seconds = time.perf_counter() - t0
        self._finish(res)
        return res

    def _native_small_parts(self, recipe: Recipe, parts: Sequence[Part], res: JobResult, deadline: float) -> None:
        """Many small masks (an RRN keyspace has one per birth date and sex digit): one native call
        per mask on one thread each, the masks spread over all cores, so per-call overhead stays small."""
        assert self.native is not None
        if self.farm is not None and self.farm.worth(sum(p.size for p in parts), self.rate(recipe) * self.passes):
            units = [Unit(*mask_layout(p, recipe.prefix, recipe.suffix), p.start, p.end) for p in parts]
            per_task = FARM_TASK_CANDIDATES if len(self.targets) <= SLICE_HITS else SLICE_HITS  # hits bounded
            self._farmed(recipe, _tasks(units, per_task), res, deadline)
            return
        native = self.native
        targets = self.targets  # built once here, not raced by the worker threads
        workers = max(1, os.cpu_count() or 1)

        def one(part: Part) -> Any:
            tmpl, positions, check = mask_layout(part, recipe.prefix, recipe.suffix)
            mask = native.Mask(template=tmpl, positions=positions, check=check)
            return native.search_mask(
                mask, recipe.algorithm, targets, start=part.start, stop=part.end, threads=1, rounds=recipe.rounds
            )

        step = workers * 16
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for lo in range(0, len(parts), step):
                if time.perf_counter() >= deadline or self.done():
                    break
                batch = parts[lo : lo + step]
                for part, hits in zip(batch, pool.map(one, batch), strict=True):
                    res.hits += self.record_hits(recipe, hits)
                    res.add_hashed(part.size)
                self._tick(res)

    def _native_part(self, recipe: Recipe, part: Part, res: JobResult, deadline: float) -> None:
        """One native enumeration of the part; hits are joined to rows while the workers go on,
        and the deadline (or nothing left to find) stops it between chunks of ~2 M candidates."""
        assert self.native is not None
        tmpl, positions, check = mask_layout(part, recipe.prefix, recipe.suffix)
        if self.farm is not None and self.farm.worth(part.size, self.rate(recipe) * self.passes):
            units = split(tmpl, positions, check, part.start, part.end, self.farm.pieces(part.size, len(self.targets)))
            self._farmed(recipe, [[u] for u in units], res, deadline)
            return
        mask = self.native.Mask(template=tmpl, positions=positions, check=check)
        hashed = res.hashed

        def record(hits: Any) -> None:
            res.hits += self.record_hits(recipe, hits)

        def progress(done: int) -> None:
            res.add_hashed(hashed + done - res.hashed)  # ``done`` counts from this part's start
            self._tick(res)
            if time.perf_counter() >= deadline or self.done():
                raise _Enough

        if time.perf_counter() >= deadline or self.done():
            return
        with contextlib.suppress(_Enough):
            self.native.search_mask(
                mask,
                recipe.algorithm,
                self.targets,
                start=part.start,
                stop=part.end,
                progress=progress,
                on_hits=record,
                rounds=recipe.rounds,
            )

    def _farmed(self, recipe: Recipe, tasks: Sequence[Sequence[Unit]], res: JobResult, deadline: float) -> None:
        """Search the units on the farm's workers (one list of units a task), a wave at a time;
        hits recorded by their target rows, the deadline (or nothing left to find) checked
        between waves."""
        assert self.farm is not None and self.native is not None
        if time.perf_counter() >= deadline or self.done():
            return
        waves = self.farm.search(tasks, self.targets.matrix, recipe.algorithm, recipe.rounds)
        try:
            for wave in waves:
                for found in wave:
                    res.hits += self._record_unit(recipe, found)
                    res.add_hashed(found.unit.size)
                self._tick(res)
                if time.perf_counter() >= deadline or self.done():
                    break
        finally:
            close = getattr(waves, "close", None)
            if close is not None:
                close()

    def _record_unit(self, recipe: Recipe, found: UnitHits) -> int:
        """Record a farmed unit's hits, their plaintexts rendered here from the counter values; a
        sample re-hashed with hashlib must give the digests the worker named, or nothing is
        recorded (a worker on another version, or the wrong shard, fails closed)."""
        if not len(found.indices):
            return 0
        assert self.native is not None
        u = found.unit
        plain = self.native.mask_plaintexts(self.native.Mask(u.template, u.positions, u.check), found.indices)
        pick = np.random.default_rng().choice(len(plain), min(len(plain), FARM_SAMPLE), replace=False)
        if len(found.rows) == len(found.indices):  # rows of the shard, as the search here names them
            table = self.targets.matrix
            if found.rows.min() < 0 or found.rows.max() >= len(table):
                raise AttackError("a farmed search named digests outside the shard", FARM_MISMATCH)
            hits = self.native.Hits.from_matrices(found.indices, plain, rows=found.rows, table=table)
            sampled = table[found.rows[pick]]  # the sample's digests only, not a gather of every hit's
        else:
            hits = self.native.Hits.from_matrices(found.indices, plain, digests=found.digests)
            sampled = found.digests[pick]
        digest = digest_function(recipe.algorithm, recipe.rounds)
        if any(digest(plain[i].tobytes()) != d.tobytes() for i, d in zip(pick.tolist(), sampled, strict=True)):
            raise AttackError("a farmed search's hits do not verify here", FARM_MISMATCH)
        return self.record_hits(recipe, hits)

    def probe_mask(
        self, recipe: Recipe, keyspace: MaskKeyspace, fmt: str, deadline: float, windows: int = 8, width: int = 2048
    ) -> JobResult:
        """Python-enumerate a few small windows spread over each part (to order recipes, not to judge)."""
        parts = keyspace.parts(fmt)
        res = JobResult(recipe, f"{keyspace.name}:{fmt}:probe", 0)
        t0 = time.perf_counter()
        for part in parts:
            for w in range(windows):
                mid = part.start + (part.size * (2 * w + 1)) // (2 * windows)
                a = max(part.start, mid - width // 2)
                b = min(part.end, a + width)
                if b > a and time.perf_counter() < deadline:
                    self._python_part(recipe, part, res, deadline, a, b)
        res.size = res.covered
        res.seconds = time.perf_counter() - t0
        self._finish(res)
        return res

    def _python_part(
        self, recipe: Recipe, part: Part, res: JobResult, deadline: float, lo: int | None = None, hi: int | None = None
    ) -> None:
        hasher = self._bulk_hasher(recipe)
        start = part.start if lo is None else lo
        end = part.end if hi is None else hi
        plen = len(recipe.prefix)
        slen = len(recipe.suffix)
        while start < end and time.perf_counter() < deadline and not self.done():
            stop = min(end, start + PY_CHUNK)
            cands = candidates(part, recipe.prefix, recipe.suffix, start, stop)
            digests = hasher(cands)
            hit = self.lookup(digests)
            if len(hit):
                idents = [cands[i][plen : len(cands[i]) - slen] for i in hit]
                res.hits += self.record(recipe, idents, [digests[i] for i in hit])
            res.add_hashed(stop - start)
            start = stop
            self._tick(res)

    def run_list(self, recipe: Recipe, keyspace: ListKeyspace, fmt: str, deadline: float) -> JobResult:
        """Hash a candidate list in one normalisation under one recipe."""
        idents = keyspace.candidates(fmt)
        res = JobResult(recipe, f"{keyspace.name}:{fmt}", len(idents))
        t0 = time.perf_counter()
        native = self.uses_native(recipe)
        res.engine = "native" if native else "python"
        hasher = self._bulk_hasher(recipe)
        step = PY_CHUNK * 4
        if native:
            res.passes = self.passes
        for _ in self.shard_passes(deadline) if native else (0,):
            for lo in range(0, len(idents), step):
                if time.perf_counter() >= deadline or self.done():
                    break
                chunk = idents[lo : lo + step]
                cands = [recipe.prefix + c + recipe.suffix for c in chunk] if recipe.salted else chunk
                if native and self.native is not None:
                    hits = self.native.search_candidates(
                        pa.array(cands, pa.binary()), recipe.algorithm, self.targets, rounds=recipe.rounds
                    )
                    matched = [chunk[i] for i in hits.indices.tolist()]
                    if hits.rows is None or not self._rows_align:
                        res.hits += self.record(recipe, matched, hits.digests)
                    else:
                        res.hits += self._record_rows(recipe, hits.rows, matched)
                else:
                    digests = hasher(cands)
                    hit = self.lookup(digests)
                    res.hits += self.record(recipe, [chunk[i] for i in hit], [digests[i] for i in hit])
                res.add_hashed(len(chunk))
                self._tick(res)
        res.seconds = time.perf_counter() - t0
        self._finish(res)
        return res

    def _bulk_hasher(self, recipe: Recipe) -> Callable[[list[bytes]], list[bytes]]:
        return bulk_hasher(recipe, self.native)

    def _tick(self, res: JobResult) -> None:
        if self.progress is not None:
            self.progress(f"{res.recipe} over {res.keyspace}", res.covered / res.size if res.size else 1.0)

    def _finish(self, res: JobResult) -> None:
        self.results.append(res)
        self.enumerated += res.covered
        self.busy += res.seconds


class _Enough(Exception):
    """Raised from a progress callback to stop an enumeration between chunks (deadline reached,
    or every digest reversed); never leaves the runner."""


_RATES: dict[tuple[str, str, int], float] = {}


#: hits of each farmed unit re-hashed with hashlib on this process before any is recorded
FARM_SAMPLE = 16
FARM_MISMATCH = "run the same datacustoms version on the executors as on the driver, or --spark-conf spark.datacustoms.enumerate=driver"

#: candidates a farmed task searches at least when a job has many small masks (an RRN keyspace:
#: one per birth date), so that a Spark task's start-up stays small beside its work
FARM_TASK_CANDIDATES = 1 << 24


def _tasks(units: Sequence[Unit], per_task: int) -> list[list[Unit]]:
    """Consecutive units grouped into tasks of at least ``per_task`` candidates (the last may be less)."""
    tasks: list[list[Unit]] = []
    current: list[Unit] = []
    size = 0
    for u in units:
        current.append(u)
        size += u.size
        if size >= per_task:
            tasks.append(current)
            current, size = [], 0
    if current:
        tasks.append(current)
    return tasks


def bulk_hasher(recipe: Recipe, native: Any | None) -> Callable[[list[bytes]], list[bytes]]:
    """Digests of a chunk of candidates: HMAC-SHA-256 through the native batch kernel when built,
    every other recipe one ``hashlib`` call per candidate."""
    if recipe.keyed and recipe.algorithm == "sha256" and native is not None:
        batch = native.hmac_sha256_batch
        key = recipe.hmac_key

        def keyed(cands: list[bytes]) -> list[bytes]:
            raw = batch(key, pa.array(cands, pa.binary())).buffers()[1].to_pybytes()
            return [raw[i : i + 32] for i in range(0, 32 * len(cands), 32)]

        return keyed
    one = recipe.hasher()
    return lambda cands: [one(c) for c in cands]


def keyed_rate(recipe: Recipe, native: bool) -> float:
    """Candidates per second of an HMAC recipe (the native batch kernel for SHA-256 when built)."""
    key = ("hmac-native" if native and recipe.algorithm == "sha256" else "hmac", recipe.algorithm, 1)
    if key not in _RATES:
        bulk = bulk_hasher(
            Recipe(recipe.algorithm, hmac_key=b"rate"), load_engine() if key[0] == "hmac-native" else None
        )
        cands = candidates(Part("010XXXXXXXX"), b"", b"", 0, 1 << 16)
        bulk(cands[:1024])  # the kernel's one-off set-up stays out of the timed run
        t = time.perf_counter()
        bulk(cands)
        _RATES[key] = len(cands) / max(time.perf_counter() - t, 1e-9)
    return _RATES[key]


def named_impl(native: Any, algorithm: str) -> str:
    """The kernel the native dispatcher would pick for this CPU, by name: ``auto`` in
    :func:`engine.search_mask` times every kernel on each new mask shape first (tens of ms), which
    a short run (a rate, a probe) should not pay. SHA-NI serves SHA-256 only."""
    feats = native.cpu_features()
    order = ("avx512", "sha_ni", "avx2") if algorithm == "sha256" else ("avx512", "avx2")
    return next((k for k in order if feats.get(k)), "scalar")


def python_rate(recipe: Recipe, sample: int = 4_000) -> float:
    """Candidates per second of the pure-Python path for this recipe (one core; measured once)."""
    key = ("python", recipe.algorithm, recipe.rounds)
    if key not in _RATES:
        _RATES[key] = _python_rate(recipe, sample)
    return _RATES[key]


def _python_rate(recipe: Recipe, sample: int) -> float:
    hasher = recipe.hasher()
    cands = candidates(Part("010XXXXXXXX"), recipe.prefix, recipe.suffix, 0, sample)
    t = time.perf_counter()
    for c in cands:
        hasher(c)
    return sample / max(time.perf_counter() - t, 1e-9)
