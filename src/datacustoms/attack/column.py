"""Shared steps of every attack mode: read a digest column, and turn a run into a result.

Reading streams the column's batches once, decoding digests and keeping only the distinct
ones with row counts. Turning a run into a :class:`ColumnAttack` counts rows reversed by joining
the reversed digests back (``pyarrow.compute.is_in`` over the distinct digests, weighted by
their row counts), masks examples, and extrapolates the keyspace to this machine's measured rate
and to an assumed GPU.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator

import pyarrow as pa

from datacustoms.attack.hashes.recipes import Recipe
from datacustoms.attack.hashes.runner import JobResult, Runner
from datacustoms.attack.hashes.targets import DigestFormat, ParsedColumn, guess_format, parse_batches
from datacustoms.errors import ColumnError, InputError
from datacustoms.io.prefetch import prefetch
from datacustoms.model.attack import (
    GPU_RATE,
    REVERSED_SHARE,
    AttackMode,
    ColumnAttack,
    DigestInfo,
    Extrapolation,
    RecipeTried,
    Revealed,
)
from datacustoms.table import Table

REVEAL_LIMIT = 1000
EXAMPLES = 3


def read_column(table: Table, column: str, fmt: DigestFormat | None = None) -> ParsedColumn | None:
    """Decode a digest column (streaming, one pass: the values that tell the encoding are the
    first of the stream, not a second read; the rest is read ahead once the column is known to
    hold digests); None when its values are not digests."""
    if column not in table.column_names:
        raise ColumnError(column, table.column_names)
    batches = table.batches([column])
    read: list[pa.Array] = []
    if fmt is None:
        head, read = take_head(b.column(0) for b in batches)
        fmt = guess_format(head)
        if fmt is None:
            return None
    # the rest is read ahead on a thread: Parquet decoding overlaps the hex decoding here
    arrays = itertools.chain(read, (b.column(0) for b in prefetch(batches)))
    try:
        return parse_batches(arrays, fmt, rows_hint=table.num_rows_hint)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise InputError(f"column {column!r} cannot be read as text ({err})", "check the column's type") from None


def take_head(arrays: Iterator[pa.Array], n: int = 2_000) -> tuple[pa.Array, list[pa.Array]]:
    """The first ``n`` non-null values of a stream of arrays, and the arrays read to find them."""
    got: list[pa.Array] = []
    read: list[pa.Array] = []
    rows = 0
    for arr in arrays:
        read.append(arr)
        got.append(arr.drop_null().slice(0, n - rows))
        rows += len(got[-1])
        if rows >= n:
            break
    head = pa.concat_arrays(got) if got else pa.array([], pa.string())
    return head, read


def head_values(table: Table, column: str, n: int = 2_000) -> pa.Array:
    """The first ``n`` non-null values of a column (enough to tell the encoding; no full pass)."""
    return take_head((b.column(0) for b in table.batches([column])), n)[0]


def digest_info(fmt: DigestFormat | None) -> DigestInfo:
    if fmt is None:
        return DigestInfo()
    return DigestInfo(
        size=fmt.size,
        encoding=fmt.encoding,
        case=fmt.case if fmt.encoding == "hex" else None,
        algorithms=list(fmt.algorithms),
    )


def mask_value(value: str) -> str:
    """A masked example that shows the kind of identifier but not the identifier."""
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    n = len(digits)
    if n >= 13:  # RRN-like: keep only the first two digits
        keep = set(digits[:2])
    elif n >= 10:  # phone-like: keep the first three and the last four digits
        keep = set(digits[:3] + digits[-4:])
    elif n >= 4:
        keep = set(digits[-2:])
    else:
        keep = set()
    if not digits:
        return (value[:1] + "***") if value else value
    return "".join("*" if (c.isdigit() and i not in keep) else c for i, c in enumerate(value))


def decode_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def base_result(column: str, mode: AttackMode, parsed: ParsedColumn | None) -> ColumnAttack:
    res = ColumnAttack(column=column, mode=mode, status="not_attempted", reason="")
    if parsed is not None:
        st = parsed.stats
        res.digest = digest_info(parsed.fmt)
        res.rows, res.rows_null, res.rows_malformed = st.rows, st.nulls, st.malformed
        res.rows_whitespace = st.whitespace
        res.distinct_digests = len(parsed.distinct)
    return res


def tried(results: list[JobResult]) -> list[RecipeTried]:
    return [
        RecipeTried(
            recipe=str(r.recipe),
            keyspace=r.keyspace,
            size=r.size,
            covered=r.covered,
            complete=r.complete,
            hits=r.hits,
            seconds=round(r.seconds, 4),
            engine=r.engine,
        )
        for r in results
    ]


def rate_for(runner: Runner, recipe: Recipe) -> tuple[float, bool]:
    """Candidates per second for this recipe on this machine (native measured, or Python)."""
    return runner.rate(recipe), True


def extrapolate(label: str, candidates: int, rate: float) -> list[Extrapolation]:
    out = []
    if rate > 0:
        out.append(
            Extrapolation(
                label=f"this machine: {label}",
                candidates=candidates,
                rate=rate,
                seconds=candidates / rate,
                measured=True,
            )
        )
    out.append(
        Extrapolation(
            label=f"a GPU at 20 GH/s (assumed): {label}",
            candidates=candidates,
            rate=GPU_RATE,
            seconds=candidates / GPU_RATE,
            measured=False,
        )
    )
    return out


def finish(
    res: ColumnAttack,
    parsed: ParsedColumn,
    runner: Runner,
    *,
    started: float,
    reveal: bool,
    keyspace_sizes: dict[str, int],
    render: Callable[[bytes], str] = decode_text,
) -> ColumnAttack:
    """Fill counts, status, recipe, examples and extrapolations from a finished run."""
    res.recipes_tried = tried(runner.results)
    res.keyspace_covered = runner.enumerated
    if runner.passes > 1 and any(r.engine == "native" for r in runner.results):
        res.notes.append(
            f"the {len(parsed.distinct):,} distinct digests were searched in {runner.passes} shards, one at a "
            "time, so memory stays bounded: each keyspace was enumerated once per shard"
        )
    res.engine = "native" if any(r.engine == "native" for r in runner.results) else "python"
    res.distinct_reversed = runner.found.count
    # rows reversed: the reversed flags over the distinct digests, weighted by their row counts
    # (a masked sum: no copy of the counts, 8 B per distinct digest)
    res.rows_reversed = int(parsed.counts.sum(where=runner.found.mask))
    valid_rows = parsed.stats.valid
    res.distinct_reversed_share = res.distinct_reversed / res.distinct_digests if res.distinct_digests else 0.0
    res.rows_reversed_share = res.rows_reversed / valid_rows if valid_rows else 0.0
    res.seconds = round(time.perf_counter() - started, 4)
    res.candidates_per_second = runner.enumerated / runner.busy if runner.busy > 0 else 0.0
    enc = parsed.fmt.encoding
    if enc == "hex" and parsed.fmt.case == "upper":
        enc = "HEX"
    hit_recipes = [r.with_encoding(enc) for r in runner.recipes_hit]
    res.recipes_hit = [str(r) for r in hit_recipes]
    if hit_recipes:
        counts = runner.found.per_recipe(len(hit_recipes))
        best = max(range(len(hit_recipes)), key=lambda i: counts[i])
        res.recipe = res.recipes_hit[best]
        size = keyspace_sizes.get(str(runner.recipes_hit[best]), 0)
        if size:
            rate, _ = rate_for(runner, runner.recipes_hit[best])
            res.extrapolations = extrapolate(f"the full keyspace under {res.recipe}", size, rate)
    elif runner.results:
        total = sum(r.size for r in runner.results)
        rate = res.candidates_per_second
        res.extrapolations = extrapolate("every recipe tried over its full keyspace", total, rate)
    if res.distinct_reversed == 0:
        res.status = "not_reversed"
    elif res.distinct_reversed_share >= REVERSED_SHARE:
        res.status = "reversed"
    else:
        res.status = "partially_reversed"
    first = runner.found.head(REVEAL_LIMIT if reveal else EXAMPLES)
    res.examples = [mask_value(render(p)) for _, p in first[:EXAMPLES]]
    if reveal:
        res.revealed = [Revealed(digest=d.hex(), plaintext=render(p)) for d, p in first]
        if res.distinct_reversed > REVEAL_LIMIT:
            res.notes.append(f"revealed {REVEAL_LIMIT} of {res.distinct_reversed:,} reversed values")
    return res
