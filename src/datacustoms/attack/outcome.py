"""The honest outcome of a search: which planned keyspaces were enumerated, which were not, and
what finishing them would cost.

A search that ran out of budget before its planned keyspaces were enumerated has reversed
nothing *yet*; it is ``incomplete``, never "0% reversible". Its reason names what was covered
and what was not, with the expected time to finish on this machine, and the reversal check
fails while a cheap keyspace (its plain recipes under a minute here) is left unfinished.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from datacustoms.attack.hashes.runner import JobResult
from datacustoms.attack.reverse import Job
from datacustoms.attack.text import human_seconds
from datacustoms.model.attack import CHEAP_SECONDS, ColumnAttack, KeyspaceCoverage

#: keyspaces named per group in a reason before "+N more"
NAMED = 8


def coverage(jobs: Sequence[Job], results: Sequence[JobResult], families: Mapping[str, str]) -> list[KeyspaceCoverage]:
    """Per planned keyspace (in plan order): candidates planned and enumerated, and what is left."""
    ran: dict[tuple[object, str], JobResult] = {(r.recipe, r.keyspace): r for r in results}
    out: dict[str, KeyspaceCoverage] = {}
    for job in jobs:
        k = job.keyspace
        cov = out.get(k.name)
        if cov is None:
            cov = out[k.name] = KeyspaceCoverage(
                keyspace=k.name, description=k.description, family=families.get(k.name, k.family), planned=0,
                covered=0, complete=True, primary_complete=True, primary_seconds=0.0, remaining_seconds=0.0,
            )  # fmt: skip
        res = ran.get((job.recipe, f"{k.name}:{job.fmt}"))
        done = min(res.covered, k.size) if res is not None else 0
        finished = done >= k.size
        cov.planned += k.size
        cov.covered += done
        cov.complete = cov.complete and finished
        cov.remaining_seconds += job.seconds * (1 - done / k.size) if k.size else 0.0
        if job.primary:
            cov.primary_seconds += job.seconds
            cov.primary_complete = cov.primary_complete and finished
            cov.primary_planned += k.size
            cov.primary_covered += done
    return list(out.values())


def _names(items: Sequence[str]) -> str:
    shown = ", ".join(items[:NAMED])
    return shown + (f" (+{len(items) - NAMED} more)" if len(items) > NAMED else "")


def _share(c: KeyspaceCoverage) -> str:
    return f"{c.primary_covered / c.primary_planned:.0%}" if c.primary_planned else "0%"


def coverage_line(cov: Sequence[KeyspaceCoverage]) -> str:
    """``covered: …; plain recipes only: …; not covered: … (estimated time … on this machine)``."""
    full = [c.keyspace for c in cov if c.complete]
    plain = [c.keyspace for c in cov if c.primary_complete and not c.complete]
    missing = [c for c in cov if not c.primary_complete]
    missing.sort(key=lambda c: c.primary_seconds)
    parts = [f"covered: {_names(full) or 'none'}"]
    if plain:
        parts.append(f"plain recipes only (double-hashed, salted or rarer algorithms not finished): {_names(plain)}")
    if missing:
        shares = [f"{c.keyspace} ({_share(c)})" for c in missing]
        parts.append(f"not covered: {_names(shares)} — share of the plain recipes enumerated")
    left = sum(c.remaining_seconds for c in cov)
    return "; ".join(parts) + (f" (estimated time {human_seconds(left)} on this machine to finish)" if left else "")


def apply_outcome(res: ColumnAttack, jobs: Sequence[Job], results: Sequence[JobResult],
                  families: Mapping[str, str], *, stopped: str = "at the budget") -> None:  # fmt: skip
    """Fill coverage, completeness and remaining time; a search that stopped early is ``incomplete``."""
    res.coverage = coverage(jobs, results, families)
    stopped_on_success = res.status == "reversed" or (
        res.distinct_digests and res.distinct_reversed >= res.distinct_digests
    )
    res.search_complete = bool(stopped_on_success) or all(c.complete for c in res.coverage)
    res.remaining_seconds = 0.0 if res.search_complete else sum(c.remaining_seconds for c in res.coverage)
    if res.search_complete:
        return
    if res.status == "not_reversed":
        res.status = "incomplete"
        res.reason = f"not reversed within the budget; {coverage_line(res.coverage)}"
    else:
        res.notes.append(f"the search stopped {stopped}; {coverage_line(res.coverage)}")


def verdict(res: ColumnAttack) -> tuple[Literal["fail", "warn"], str]:
    """(check status, message) for an ``incomplete`` search: fail while a cheap keyspace is unfinished."""
    cheap = res.unfinished_cheap
    if cheap:
        names = _names([f"{c.keyspace} ({_share(c)})" for c in cheap])
        left = sum(c.primary_seconds * (1 - c.primary_covered / c.primary_planned) for c in cheap if c.primary_planned)
        return "fail", (
            f"not proven safe: the search stopped at the budget before the plain recipes of {names} finished "
            f"(each under {CHEAP_SECONDS:.0f} s on this machine; about {human_seconds(left)} left) — raise the "
            "attack budget, or use a keyed pseudonym (HMAC with a secret key)"
        )
    return "warn", f"{res.reason}; this proves nothing about keys — only a keyed HMAC is safe by construction"
