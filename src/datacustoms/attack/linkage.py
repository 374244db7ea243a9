"""Linkage mode: the recipient hashes its own customers' identifiers and joins.

This is how hashed exports are used in practice (the recipient needed the Kakao Pay rows to
*match* Apple accounts): no enumeration, just the recipient's list of phones or e-mails hashed
under candidate recipes and looked up. A small sample of the list is tried under every recipe
first to order the recipes (never to drop one); then the full list runs, recipes that hit first,
until the budget is spent or 99% of the distinct digests are linked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.attack.column import base_result, finish
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.recipes import Salt, guess_salts, parse_phone
from datacustoms.attack.hashes.runner import Progress, Runner
from datacustoms.attack.hashes.targets import ParsedColumn
from datacustoms.attack.reverse import header_family, plan_jobs, recipe_key, run_jobs
from datacustoms.errors import InputError
from datacustoms.model.attack import ColumnAttack
from datacustoms.table import Table

PROBE = 2_000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def known_values(known: Table, column: str) -> tuple[str, list[str]]:
    """The identifier column of the known list and its distinct non-null values."""
    if column in known.column_names:
        name = column
    elif len(known.column_names) == 1:
        name = known.column_names[0]
    else:
        name = _best_column(known, header_family(column))
    seen: dict[str, None] = {}
    for batch in known.batches([name]):
        arr = batch.column(0)
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = pc.cast(arr, pa.string())
        for v in pc.unique(arr.drop_null()).to_pylist():
            seen[v] = None
    if not seen:
        raise InputError(f"the known list's column {name!r} holds no values", "pass a file of phones or e-mails")
    return name, list(seen)


def _best_column(known: Table, family: str | None) -> str:
    """The known column of the digest column's family (by header), else the most phone/e-mail-like."""
    wanted = (family,) if family in ("phone", "email") else ("phone", "email")
    for fam in wanted:
        for c in known.column_names:
            if header_family(c) == fam:
                return c
    sample = known.sample(rows=200)
    best, score = known.column_names[0], -1
    for c in known.column_names:
        vals = [v for v in sample.column(c).to_pylist() if isinstance(v, str)]
        s = sum(1 for v in vals if EMAIL.fullmatch(v.strip()) or parse_phone(v) is not None)
        if s > score:
            best, score = c, s
    return best


def list_kind(values: list[str]) -> str:
    """email, phone or text, from a sample of the values."""
    sample = values[:200]
    if sum(1 for v in sample if EMAIL.fullmatch(v.strip())) * 2 > len(sample):
        return "email"
    if sum(1 for v in sample if parse_phone(v) is not None and sum(c.isdigit() for c in v) >= 7) * 2 > len(sample):
        return "phone"
    return "text"


def attack_linkage(
    table: Table,
    column: str,
    parsed: ParsedColumn,
    known: Table,
    *,
    budget_s: float,
    reveal: bool,
    engine: str,
    progress: Progress | None,
    started: float,
    region: str = "KR",
    salts: Sequence[Salt] = (),
) -> ColumnAttack:
    """Hash the known identifiers under candidate recipes (``salts``: known salts, tried next to the
    guessed ones) and join them to the digests."""
    res = base_result(column, "linkage", parsed)
    name, values = known_values(known, column)
    kind = list_kind(values)
    full = ks.candidate_list(values, kind, name=f"known:{name}", region=region)
    runner = Runner(parsed, engine="auto" if engine == "hashcat" else engine, progress=progress)
    every_salt = [*salts, *guess_salts(column, table.name)]
    deadline = started + budget_s
    jobs = plan_jobs([full], parsed.fmt.algorithms, every_salt, rate=runner.rate)
    if len(values) > PROBE:  # order recipes by hits on a sample; the probe's own hits count too
        probe = ks.candidate_list(values[:PROBE], kind, name=f"known:{name}[sample]", region=region)
        probe_jobs = plan_jobs([probe], parsed.fmt.algorithms, every_salt, rate=runner.rate)
        run_jobs(runner, probe_jobs, len(parsed.distinct), min(deadline, started + budget_s / 4))
        live = {recipe_key(r) for r in runner.recipes_hit}
        jobs.sort(key=lambda j: (recipe_key(j.recipe) not in live, j.rank))
    sizes = run_jobs(runner, jobs, len(parsed.distinct), deadline)
    finish(res, parsed, runner, started=started, reveal=reveal, keyspace_sizes={})
    res.extrapolations = []
    res.notes.append(f"known list: {len(values):,} distinct {kind} values from column {name!r}")
    if sizes:
        res.notes.append(f"{len(runner.results)} recipe runs over the list")
    if res.status == "not_reversed":
        res.reason = f"none of the {len(values):,} known {kind} values matched under {len(runner.results)} recipe runs"
    else:
        res.reason = (
            f"{res.rows_reversed:,} rows ({res.rows_reversed_share:.1%}) linked to the known list with {res.recipe}"
        )
    return res
