"""Native probes: a few thousand candidates of each large job tell where a column's digests come from.

A column of a million digests of 010 numbers holds one digest for about every hundred 010
numbers, so 4,096 candidates of the right (recipe, keyspace, format) find dozens of them while
the wrong ones find none. Blind mode plans every keyspace and runs the cheap ones first
(:mod:`datacustoms.attack.reverse`); with many distinct digests those cheap jobs can cost half
as much as the keyspace that reverses the column. The probes walk the plan in order, enumerate
a few windows spread over each job whose probe is small beside it, and move the jobs that hit
to the front, the likeliest (most hits extrapolated to the whole keyspace) first. They stop at
the first job whose hits extrapolate to most of the column.

Probes only reorder, as the Python engine's probes do (:func:`reverse.probe_order`): nothing
is dropped, and their hits are not recorded (the job finds them again in its run), so what a
search reports covered is what its jobs enumerated. The cost is bounded: a probe is at most
:data:`PROBE_SMALL` of its job, and all the probes together at most :data:`PROBE_SHARE` of the
expected time of the plan walked past and :data:`PROBE_BUDGET` of the attack's budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from datacustoms.attack.hashes.keyspaces import MaskKeyspace, Part, mask_layout
from datacustoms.attack.hashes.runner import Runner, named_impl
from datacustoms.attack.reverse import Job

#: a probe expects this many hits when every distinct digest comes from the job's keyspace
PROBE_HITS = 16
#: candidates per probe at least (under that the call itself costs more than the hashing)
PROBE_MIN = 4096
#: windows per probe, spread evenly over the keyspace (serials issued from 1 sit in one corner)
PROBE_WINDOWS = 4
#: a job is probed only when its probe is at most this share of it (else it just runs in turn)
PROBE_SMALL = 1 / 8
#: all probes together cost at most this share of the expected time of the jobs walked past
PROBE_SHARE = 0.1
#: probing stops at a job whose hits extrapolate to this share of the distinct digests
PROBE_ENOUGH = 0.5
#: … or once this share of the attack's budget is spent (a column nothing reverses loses no more)
PROBE_BUDGET = 0.05


def probe_width(job: Job, distinct: int) -> int:
    """Candidates to probe for this job, or 0 when a probe would not be small beside the job."""
    size = job.keyspace.size
    if distinct <= 0 or not size:
        return 0
    width = max(PROBE_MIN, math.ceil(PROBE_HITS * size / distinct))
    return width if width <= size * PROBE_SMALL else 0


def windows(parts: Sequence[Part], width: int, count: int = PROBE_WINDOWS) -> list[tuple[Part, int, int]]:
    """(part, start, stop) slices of ``count`` windows of ``width // count`` candidates, centred
    evenly over the parts laid end to end (a window crossing a part boundary is split)."""
    total = sum(p.size for p in parts)
    each = max(1, width // count)
    out: list[tuple[Part, int, int]] = []
    for w in range(count):
        lo = max(0, min(total - each, total * (2 * w + 1) // (2 * count) - each // 2))
        hi = min(total, lo + each)
        base = 0
        for p in parts:
            a, b = max(lo, base), min(hi, base + p.size)
            if b > a:
                out.append((p, p.start + a - base, p.start + b - base))
            base += p.size
            if base >= hi:
                break
    return out


def probe_job(runner: Runner, job: Job, width: int) -> int:
    """Verified hits among ``width`` candidates of the job, in windows spread over its keyspace
    (against the runner's current shard of the digests when there are several, scaled to all)."""
    assert runner.native is not None and isinstance(job.keyspace, MaskKeyspace)
    native, recipe = runner.native, job.recipe
    impl = named_impl(native, recipe.algorithm)  # not "auto": no kernel timing per mask shape
    found = 0
    for part, a, b in windows(job.keyspace.parts(job.fmt), width):
        tmpl, positions, check = mask_layout(part, recipe.prefix, recipe.suffix)
        mask = native.Mask(template=tmpl, positions=positions, check=check)
        hits = native.search_mask(
            mask, recipe.algorithm, runner.targets, start=a, stop=b, threads=1, impl=impl, rounds=recipe.rounds
        )
        found += len(hits)
    # a shard of the sorted digests is a uniform sample of them: its hits stand for the rest
    return round(found / runner.shard_share)


def probe_native(runner: Runner, jobs: list[Job], deadline: float) -> tuple[list[Job], list[Job]]:
    """(the jobs reordered, the jobs the probes moved forward).

    Walks the plan in order; probes each masked native job whose probe is small beside it while
    the probes' time stays within :data:`PROBE_SHARE` of the plan walked past; stops at the first
    job whose hits extrapolate to :data:`PROBE_ENOUGH` of the distinct digests, or at the deadline.
    """
    distinct = len(runner.keys)
    if runner.native is None or distinct == 0 or len(jobs) < 2:
        return jobs, []
    cores = runner.native._cores()
    walked = spent = 0.0
    score: dict[int, float] = {}
    for i, job in enumerate(jobs):
        walked += job.seconds
        if time.perf_counter() >= deadline:
            break
        width = probe_width(job, distinct)
        if not width or not isinstance(job.keyspace, MaskKeyspace) or not runner.uses_native(job.recipe):
            continue
        # one thread, not all cores; one shard of the digests, not every pass the job makes
        expected = width * cores / max(runner.rate(job.recipe) * runner.passes, 1.0)
        if spent + expected > PROBE_SHARE * walked:
            continue
        t0 = time.perf_counter()
        hits = probe_job(runner, job, width)
        spent += time.perf_counter() - t0
        if hits:
            score[i] = hits * job.keyspace.size / width  # distinct digests this job would reverse
            if score[i] >= PROBE_ENOUGH * distinct:
                break
    if not score:
        return jobs, []
    ahead = sorted(score, key=lambda i: (-score[i], i))
    moved = [jobs[i] for i in ahead if i > sum(1 for s in score if s < i)]  # a job it did not probe was ahead
    first = set(ahead)
    return [jobs[i] for i in ahead] + [j for i, j in enumerate(jobs) if i not in first], moved
