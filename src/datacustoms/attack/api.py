"""``attack_column``: the one entry point for reversing a digest column.

Chooses the mode from what the caller holds: a plaintext ``reference`` (sender mode: discover
the exact recipe, then enumerate its keyspace as an outsider would), a ``known`` list of the
recipient's own identifiers (linkage mode), or nothing but the export (blind mode).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from datacustoms.attack.column import base_result, extrapolate, finish, head_values, read_column
from datacustoms.attack.hashes.farm import MaskFarm
from datacustoms.attack.hashes.keyspaces import Keyspace
from datacustoms.attack.hashes.recipes import Recipe, Salt
from datacustoms.attack.hashes.runner import Progress, Runner
from datacustoms.attack.hashes.targets import ParsedColumn, guess_format
from datacustoms.attack.outcome import apply_outcome
from datacustoms.attack.probe import PROBE_BUDGET, probe_native
from datacustoms.attack.reverse import PROBE_MIN_TARGETS, Job, blind_plan, probe_order, run_jobs
from datacustoms.errors import UsageError
from datacustoms.model.attack import GPU_RATE, AttackMode, ColumnAttack
from datacustoms.table import Table


def attack_column(
    table: Table,
    column: str,
    *,
    header: str | None = None,
    budget_s: float = 30.0,
    known: Table | None = None,
    reference: Table | None = None,
    join: str | None = None,
    reveal: bool = False,
    engine: str = "auto",
    progress: Progress | None = None,
    keyspaces: Sequence[Keyspace] | None = None,
    region: str = "KR",
    digests: Callable[[Table, str], ParsedColumn | None] = read_column,
    hints: Sequence[str | None] = (),
    salts: Sequence[Salt] = (),
    farm: MaskFarm | None = None,
) -> ColumnAttack:
    """Try to reverse one digest column; see :class:`~datacustoms.model.attack.ColumnAttack`.

    ``keyspaces`` overrides the keyspaces blind and sender mode enumerate (tests pass small
    slices); ``region`` chooses the phone numbering plan for non-Korean data. ``hints`` are source
    kinds detection reported (``kr_mobile``, ``customer_id``): they raise those keyspaces'
    priority, never exclude others. ``salts`` are salts the caller knows (a leak, the sender's
    configuration; see :mod:`datacustoms.attack.secrets`), tried as prefix, suffix or HMAC key. ``digests``
    counts the column's distinct digests (an engine's own group-by; by default a streamed pass here);
    ``farm`` searches large masks on an engine's own workers (Spark's executors; by default here).
    """
    if budget_s <= 0:
        raise UsageError("the attack budget must be positive", "pass --budget SECONDS, e.g. 30")
    if reference is not None and known is not None:
        raise UsageError("sender mode (--reference) and linkage mode (--known) are exclusive", "pass one of them")
    started = time.perf_counter()
    mode: AttackMode = "sender" if reference is not None else ("linkage" if known is not None else "blind")
    parsed = digests(table, column)
    if parsed is None:
        res = base_result(column, mode, None)
        res.reason = "the values are not digests of a known size and encoding (hex, base64, base64url, raw)"
        return res
    if len(parsed.distinct) == 0:
        res = base_result(column, mode, parsed)
        res.reason = "the column holds no parsable digests"
        return res
    if mode == "sender":
        from datacustoms.attack.sender import attack_sender

        assert reference is not None
        return attack_sender(
            table, column, parsed, reference, join=join, budget_s=budget_s, reveal=reveal, engine=engine,
            progress=progress, started=started, keyspaces=keyspaces, region=region, salts=salts, farm=farm,
        )  # fmt: skip
    if mode == "linkage":
        from datacustoms.attack.linkage import attack_linkage

        assert known is not None
        return attack_linkage(
            table, column, parsed, known, budget_s=budget_s, reveal=reveal, engine=engine, progress=progress,
            started=started, region=region, salts=salts,
        )  # fmt: skip
    return attack_blind(
        table, column, parsed, header=header, budget_s=budget_s, reveal=reveal, engine=engine, progress=progress,
        started=started, keyspaces=keyspaces, region=region, hints=hints, salts=salts, farm=farm,
    )  # fmt: skip


def digest_columns(table: Table) -> list[str]:
    """Columns whose sampled values parse as digests (hex, base64, base64url or raw bytes)."""
    out = []
    for name in table.column_names:
        head = head_values(table, name)
        if len(head) and guess_format(head) is not None:
            out.append(name)
    return out


def _probe_and_run(
    runner: Runner, jobs: list[Job], started: float, budget_s: float, *, blind: bool, stop_when_confirmed: bool
) -> tuple[list[Job], dict[str, int]]:
    """Probe (the Python engine's windows, or blind mode's native probes), then run the jobs;
    returns the jobs in the order they were queued and the keyspace size behind each recipe."""
    moved: list[Job] = []
    distinct = len(runner.keys)
    if runner.native is None and distinct >= PROBE_MIN_TARGETS and len(jobs) > 1:
        jobs = probe_order(runner, jobs, started + budget_s * 0.2)
    elif blind and runner.native is not None:
        jobs, moved = probe_native(runner, jobs, started + budget_s * PROBE_BUDGET)
    sizes = run_jobs(
        runner, jobs, distinct, started + budget_s, stop_when_confirmed=stop_when_confirmed, moved=moved
    )
    return jobs, sizes


def attack_blind(
    table: Table, column: str, parsed: ParsedColumn, *, header: str | None, budget_s: float, reveal: bool,
    engine: str, progress: Progress | None, started: float, keyspaces: Sequence[Keyspace] | None = None,
    region: str = "KR", only: Sequence[Recipe] | None = None, mode: AttackMode = "blind",
    hints: Sequence[str | None] = (), salts: Sequence[Salt] = (), stop_when_confirmed: bool = False,
    farm: MaskFarm | None = None,
) -> ColumnAttack:  # fmt: skip
    """Enumerate keyspaces under candidate recipes (all of them, or ``only`` these).

    ``stop_when_confirmed`` (sender mode, where the recipe is already known) stops after the first
    recipe run that reverses digests finishes its keyspace: the rest is extrapolated, not enumerated.
    """
    res = base_result(column, mode, parsed)
    runner = Runner(parsed, engine=engine if engine != "hashcat" else "auto", progress=progress, farm=farm)
    family, jobs = blind_plan(
        parsed, runner, header=header, column=column, dataset=table.name, region=region,
        keyspaces=keyspaces, only=only, hints=hints, salts=salts,
    )  # fmt: skip
    skipped = [k for k in keyspaces or () if not k.enumerable]
    res.notes.extend(
        f"{k.name}: {k.size:,} candidates, not enumerated ({k.note or 'not enumerable'}); "
        f"a GPU at {GPU_RATE / 1e9:.0f} GH/s (assumed) would take {k.size / GPU_RATE:,.1f} s"
        for k in skipped
    )
    if not jobs:
        res.reason = (
            "e-mail digests cannot be enumerated: pass a candidate list (--known FILE) for a linkage attack"
            if family == "email"
            else "no enumerable keyspace fits this column"
        )
        return res
    deadline = started + budget_s
    if engine == "hashcat":
        from datacustoms.attack.hashcat import run_hashcat_jobs

        sizes = run_hashcat_jobs(runner, jobs, len(parsed.distinct), deadline)
    else:
        jobs, sizes = _probe_and_run(runner, jobs, started, budget_s, blind=only is None,
                                     stop_when_confirmed=stop_when_confirmed)  # fmt: skip
    finish(res, parsed, runner, started=started, reveal=reveal, keyspace_sizes=sizes)
    planned = sum(j.keyspace.size for j in jobs)
    ran = {r.keyspace for r in runner.results}
    if res.status == "not_reversed":  # what finishing the plan costs, at each recipe's own rate
        seconds = sum(j.seconds for j in jobs)
        rate = planned / seconds if seconds > 0 else 0.0
        res.extrapolations = extrapolate(f"all {len(jobs)} planned recipe runs", planned, rate)
        share = res.keyspace_covered / planned if planned else 0.0
        res.reason = (
            f"no digest reversed: {len(runner.results)} recipe run(s) covered "
            f"{res.keyspace_covered:,} candidates "
            f"({share:.1%} of the {planned:,} planned); a keyed hash (HMAC) or random tokens look like this, "
            "so does an identifier outside these keyspaces"
        )
    else:
        res.reason = (
            f"{res.distinct_reversed_share:.1%} of distinct digests "
            f"({res.rows_reversed_share:.1%} of rows) reversed with {res.recipe}"
        )
    confirmed = stop_when_confirmed and time.perf_counter() < deadline
    apply_outcome(
        res, jobs, runner.results, {}, stopped="once the recipe was confirmed" if confirmed else "at the budget"
    )
    if family and only is None:
        res.notes.append(f"header suggests {family} identifiers: planned first, no keyspace left out")
    if family == "email" and only is None and not res.reversed_any:
        res.notes.append(
            "e-mail digests cannot be enumerated: pass a candidate list (--known FILE) for a linkage attack"
        )
    res.notes.extend(
        sorted(
            {
                n
                for j in jobs
                if (n := getattr(j.keyspace, "note", None)) and j.keyspace.name in {k.split(":")[0] for k in ran}
            }
        )
    )
    return res
