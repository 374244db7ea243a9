"""Blind mode: only the export. Guess recipes from the digest, plan every keyspace, then enumerate.

The digest size narrows the algorithm (32 bytes: SHA-256, SHA3-256, BLAKE2s). The header
(휴대폰 → phone keyspaces, 고객번호 → numeric serials) and the source kind detection reports only
raise a keyspace's priority: every keyspace that fits is planned (:mod:`datacustoms.attack.planner`),
because a recipient's export need not name its columns. Jobs — one recipe over one keyspace in
one format — run by expected cost: anything under a second first, then size ÷ the measured rate
of the recipe's kernel, penalised for double hashing, guessed salts and rarer algorithms and
divided by the keyspace's prior. Probes (:mod:`datacustoms.attack.probe`) run the jobs whose
samples hit first. A recipe that hits is moved to the front for the remaining keyspaces, and the
attack stops once every distinct digest is reversed, once 99% are (and no cheaper job a probe
jumped is left) or the budget is spent. A recipe either hits or not, so nothing is pruned on a
guess, only reordered.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.keyspaces import Keyspace, ListKeyspace, MaskKeyspace
from datacustoms.attack.hashes.recipes import Recipe, Salt, guess_salts
from datacustoms.attack.hashes.runner import Runner
from datacustoms.attack.hashes.targets import ParsedColumn
from datacustoms.attack.planner import blind_keyspaces, hinted_families, rrn_decades
from datacustoms.model.attack import REVERSED_SHARE

#: header words → identifier family (Latin words match whole tokens, Korean words substrings)
HEADER_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("email", "e-mail", "mail", "이메일", "메일")),
    ("phone", ("phone", "mobile", "tel", "telephone", "cell", "msisdn", "hp")),
    ("phone", ("휴대폰", "전화", "핸드폰", "연락처")),
    ("rrn", ("rrn", "resident", "jumin", "ssn", "주민")),
    ("date", ("birth", "birthday", "dob", "date", "생년월일", "일자", "날짜")),
    ("numeric", ("account", "acct", "serial", "id", "uid", "userid", "user", "member", "customer", "cust")),
    ("numeric", ("no", "number", "고객번호", "회원번호", "계정", "아이디", "번호")),
)


def header_family(header: str | None) -> str | None:
    """The identifier family a column header suggests, or None."""
    if not header:
        return None
    low = header.lower()
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", header).lower()
    tokens = set(re.split(r"[^a-z0-9]+", spaced)) | set(re.split(r"[^a-z0-9]+", low))
    for family, words in HEADER_FAMILIES:
        for w in words:
            if re.fullmatch(r"[a-z\-]+", w):
                if w in tokens or ("-" in w and w in low):
                    return family
            elif w in header:
                return family
    return None


def plan_keyspaces(family: str | None, region: str = "KR") -> list[Keyspace]:
    """Keyspaces of one family, cheapest (or most likely) first (sender mode's outsider keyspaces
    for a known family; blind mode plans every family, see :mod:`datacustoms.attack.planner`)."""
    phones: list[Keyspace] = (
        [ks.kr_mobile(), ks.kr_mobile_legacy(), ks.kr_landline()] if region == "KR" else [ks.national_mobile(region)]
    )
    serials: list[Keyspace] = list(ks.serial_ladder(10))
    dates: list[Keyspace] = [ks.dates(dt.date(1920, 1, 1), dt.date(2030, 12, 31))]
    if family == "phone":
        return phones
    if family == "numeric":
        return serials
    if family == "rrn":
        return list(rrn_decades())
    if family == "date":
        return dates
    if family == "email":
        return []
    return [phones[0], serials[0], dates[0], serials[1], *phones[1:2], serials[2], *phones[2:], *serials[3:]]


#: cost multipliers of less likely recipes: unsalted single hash, double hash, guessed salt …
TIER_PENALTY = (1.0, 3.0, 20.0)
#: … and the digest size's first algorithm (SHA-256 for 32 bytes) against the rarer ones
ALG_PENALTY = (1.0, 30.0, 30.0)


@dataclass(frozen=True)
class Job:
    recipe: Recipe
    keyspace: Keyspace
    fmt: str
    rank: tuple[float, ...]
    seconds: float = 0.0  # expected enumeration time on this machine (size ÷ measured rate)
    primary: bool = True  # the digest size's first algorithm, unsalted, hashed once
    family: str = ""  # the planner's family of the keyspace (phone, foreign_phone, rrn …)


def _shape(keyspace: Keyspace, fmt: str) -> str | None:
    if isinstance(keyspace, MaskKeyspace) and keyspace.family == "numeric":
        return None  # one shape per digit count: described by the subject instead
    if isinstance(keyspace, MaskKeyspace):
        return keyspace.shape(fmt)
    if isinstance(keyspace, ks.DateKeyspace):
        return ks.DATE_SHAPES.get(fmt)
    return None


def _subject(keyspace: Keyspace) -> str | None:
    if isinstance(keyspace, ListKeyspace):
        return {"email": "e-mail", "phone": "phone number", "date": "date"}.get(keyspace.family, "value")
    if keyspace.family == "numeric":
        return keyspace.description
    return None


def recipe_key(r: Recipe) -> tuple[object, ...]:
    """What makes two recipes the same across keyspaces (the shape is only for display)."""
    return (r.algorithm, r.normalise, r.prefix, r.suffix, r.rounds, r.hmac_key)


#: a job expected to take less than this many seconds runs first, whatever the header says
ALWAYS_TRY_SECONDS = 1.0
#: once a keyspace has reversed digests, the rest of the column is this many times likelier than
#: the priors say to come from the same family's other keyspaces: a column holds one kind of
#: identifier (a column 98 % Korean 010 mobiles is finished by the legacy 01X numbers, not by
#: resident numbers, which the priors alone rank first). A hint from the header or detection is
#: worth :data:`~datacustoms.attack.planner.HINT_BOOST` (3); reversed digests are proof.
EVIDENCE_BOOST = 10.0


def _variants(
    keyspace: Keyspace, fmt: str, algorithms: Sequence[str], salts: Sequence[Salt], double: bool,
    only: Sequence[Recipe] | None,
) -> list[tuple[int, int, Recipe]]:  # fmt: skip
    """(tier, algorithm rank, recipe) for one keyspace format: tier 0 is a plain hash (or a salt the
    caller knows), 1 a double hash, 2 a guessed salt."""
    shape = _shape(keyspace, fmt)
    if only is not None:  # exactly these recipes (sender mode knows the recipe)
        return [
            (0, i, replace(r, shape=shape, subject=_subject(keyspace)))
            for i, r in enumerate(only)
            if r.normalise == fmt
        ]
    out: list[tuple[int, int, Recipe]] = []
    for a_rank, alg in enumerate(algorithms):
        base = Recipe(algorithm=alg, normalise=fmt, shape=shape, subject=_subject(keyspace))
        out.append((0, a_rank, base))
        if double:
            out.append((1, a_rank, replace(base, rounds=2)))
        for salt in salts:
            out.extend((0 if salt.known else 2, a_rank, r) for r in salt.recipes(base))
    return out


def plan_jobs(
    keyspaces: Sequence[Keyspace],
    algorithms: Sequence[str],
    salts: Sequence[Salt],
    *,
    rate: Callable[[Recipe], float],
    double: bool = True,
    only: Sequence[Recipe] | None = None,
    priors: Mapping[str, float] | None = None,
    families: Mapping[str, str] | None = None,
) -> list[Job]:
    """Every (recipe, keyspace, format), in the order the attack runs them.

    The order is expected cost: seconds on this machine (size ÷ the measured rate of the recipe's
    kernel), times a penalty for less likely variants (double hashing, guessed salts, rarer
    algorithms), divided by the keyspace's prior (``priors`` by keyspace name, else its own). Jobs
    expected to take under :data:`ALWAYS_TRY_SECONDS` come first, whatever the priors say.
    ``families`` names each keyspace's family for :func:`run_jobs` (by keyspace name; else the
    keyspace's own).
    """
    jobs: list[Job] = []
    for k_rank, keyspace in enumerate(keyspaces):
        if not keyspace.enumerable:
            continue
        own = keyspace.prior if isinstance(keyspace, MaskKeyspace) else 1.0
        prior = priors.get(keyspace.name, own) if priors is not None else own
        family = families.get(keyspace.name, keyspace.family) if families is not None else keyspace.family
        for f_rank, fmt in enumerate(keyspace.formats):
            for tier, a_rank, recipe in _variants(keyspace, fmt, algorithms, salts, double, only):
                weight = TIER_PENALTY[tier] * ALG_PENALTY[min(a_rank, len(ALG_PENALTY) - 1)]
                seconds = keyspace.size / max(rate(recipe), 1.0)
                cost = seconds * weight / max(prior, 1e-9)
                phase = 0.0 if seconds * weight < ALWAYS_TRY_SECONDS else 1.0
                primary = tier == 0 and a_rank == 0 and not recipe.salted and not recipe.keyed
                rank = (phase, cost, k_rank, tier, a_rank, f_rank)
                jobs.append(Job(recipe, keyspace, fmt, rank, seconds, primary or only is not None, family))
    jobs.sort(key=lambda j: j.rank)
    return jobs


#: below this many distinct targets a probe of ~16 k candidates per recipe expects no hit at all
PROBE_MIN_TARGETS = 2_000


def probe_order(runner: Runner, jobs: list[Job], deadline: float) -> list[Job]:
    """Without the native engine, try a few windows of every masked job first and run the jobs
    whose windows hit before the others. Probes only reorder: a recipe without probe hits still
    runs in its turn (targets need not be spread evenly over the keyspace)."""
    score: dict[int, int] = {}
    for i, job in enumerate(jobs):
        if time.perf_counter() >= deadline:
            break
        if isinstance(job.keyspace, MaskKeyspace):
            score[i] = runner.probe_mask(job.recipe, job.keyspace, job.fmt, deadline).hits
    hit = sorted((i for i in score if score[i] > 0), key=lambda i: -score[i])
    first = set(hit)
    return [jobs[i] for i in hit] + [j for i, j in enumerate(jobs) if i not in first]


def run_jobs(
    runner: Runner, jobs: list[Job], distinct: int, deadline: float, *, stop_when_confirmed: bool = False,
    moved: Sequence[Job] = (),
) -> dict[str, int]:  # fmt: skip
    """Run jobs in order until the deadline or 99% of distinct digests are reversed (or, with
    ``stop_when_confirmed``, until one job that reversed digests has finished its keyspace).

    ``moved`` are jobs a probe ran ahead of their rank: once one of them has run, stopping at 99%
    still runs the queued jobs ranked before it (the cheap ones among them), so a probe never
    skips a job the plan would have run; only reversing every digest stops the search outright.
    Evidence reorders what is queued: after a new recipe hits, its jobs run first everywhere else,
    and the keyspaces of a family that reversed digests rank :data:`EVIDENCE_BOOST` times cheaper.
    Returns the keyspace size behind each recipe that ran (for the extrapolation).
    """
    sizes: dict[str, int] = {}
    queue = list(jobs)
    ahead = {id(j) for j in moved}
    bound: tuple[float, ...] | None = None  # the highest rank of a moved job that ran
    key: tuple[object, ...] | None = None  # the recipe that hit last
    proven: set[str] = set()  # the families whose keyspaces reversed digests
    while queue and time.perf_counter() < deadline:
        if runner.done():
            break
        if distinct and len(runner.found) >= REVERSED_SHARE * distinct:
            queue = [j for j in queue if bound is not None and j.rank < bound]
            if not queue:
                break
        job = queue.pop(0)
        if id(job) in ahead:
            bound = job.rank if bound is None else max(bound, job.rank)
        before = len(runner.recipes_hit)
        if isinstance(job.keyspace, MaskKeyspace):
            res = runner.run_mask(job.recipe, job.keyspace, job.fmt, deadline)
        else:
            res = runner.run_list(job.recipe, job.keyspace, job.fmt, deadline)
        sizes[str(job.recipe)] = sizes.get(str(job.recipe), 0) + res.size
        if stop_when_confirmed and res.hits and res.complete:
            break
        new_recipe = len(runner.recipes_hit) > before
        new_family = bool(res.hits) and job.family not in proven
        if new_recipe:  # a new recipe hit: try it first everywhere else
            key = recipe_key(job.recipe)
        if new_family:
            proven.add(job.family)
        if new_recipe or new_family:
            queue.sort(key=lambda j: (key is not None and recipe_key(j.recipe) != key, _evidence_rank(j, proven)))
    return sizes


def _evidence_rank(job: Job, proven: set[str]) -> tuple[float, ...]:
    """The job's rank with its expected cost cut by :data:`EVIDENCE_BOOST` when its family has
    reversed digests (the phase stays: a job under a second still comes first)."""
    if job.family not in proven:
        return job.rank
    return (job.rank[0], job.rank[1] / EVIDENCE_BOOST, *job.rank[2:])


def blind_plan(
    parsed: ParsedColumn, runner: Runner, *, header: str | None, column: str, dataset: str | None,
    region: str = "KR", keyspaces: Sequence[Keyspace] | None = None, only: Sequence[Recipe] | None = None,
    hints: Sequence[str | None] = (), salts: Sequence[Salt] = (),
) -> tuple[str | None, list[Job]]:  # fmt: skip
    """The family the header suggests and the ordered jobs for this column.

    Blind mode plans every keyspace of :func:`planner.blind_keyspaces` (or the given ones), the
    header's family and the detected source kinds (``hints``) raising priorities only; with
    ``only`` (sender mode) the given keyspaces run those recipes. ``salts`` are salts the caller
    knows; the column and dataset names are tried as guessed salts in any case.
    """
    family = header_family(header or column)
    priors: dict[str, float] | None = None
    families: dict[str, str] | None = None
    if only is not None:
        spaces = list(keyspaces) if keyspaces is not None else plan_keyspaces(family, region)
    else:
        planned = blind_keyspaces(region, families=hinted_families(family, hints), spaces=keyspaces)
        spaces = [p.keyspace for p in planned]
        priors = {p.keyspace.name: p.prior for p in planned}
        families = {p.keyspace.name: p.family for p in planned}
    algorithms = list(parsed.fmt.algorithms)
    every_salt = [*salts, *guess_salts(column, dataset)]
    return family, plan_jobs(
        spaces, algorithms, every_salt, rate=runner.rate, only=only, priors=priors, families=families
    )
