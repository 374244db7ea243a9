"""The blind planner's catalogue: every keyspace a digest column may come from, with a prior.

Blind mode has no hint it can trust: a recipient's export calls its columns ``cust_key`` or
``member_ref`` as often as ``phone``. So every keyspace that fits a digest is planned — Korean
mobiles in every format, retired mobile prefixes, landlines, RRNs by birth decade, calendar
dates, numeric serials up to 10^10 and the mobiles of a few other countries — and the attack
runs them by expected cost (size ÷ the measured rate of the recipe's kernel) divided by a prior:
how often that kind of identifier is the one hashed. Header words and the source kind detection
reports *raise* a keyspace's prior (:data:`HINT_BOOST`); they never remove one, and everything
under one second of enumeration is planned first in any case (see :func:`reverse.plan_jobs`);
only evidence — a probe's hits (:mod:`datacustoms.attack.probe`) — runs a job before it. Digests
a keyspace reverses raise its family's other keyspaces (:data:`reverse.EVIDENCE_BOOST`).
E-mail addresses cannot be enumerated: they are reversed by linkage (``--known``) only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.keyspaces import Keyspace

#: how often each identifier family is the one hashed in a column that says nothing, relative to
#: Korean mobiles; a keyspace's own prior (retired prefixes 0.02, landlines 0.05) multiplies it
FAMILY_PRIORS: dict[str, float] = {"phone": 1.0, "rrn": 0.3, "date": 0.3, "numeric": 0.3, "foreign_phone": 0.02}
#: a family named by the header or by detection is this many times likelier
HINT_BOOST = 3.0
#: other countries' mobiles planned for Korean data (and Korean mobiles for any other region)
FOREIGN_REGIONS = ("JP", "CN", "US")

#: source kinds that detection reports (``details["source_hint"]``) → planner family
SOURCE_FAMILIES: tuple[tuple[str, str], ...] = (
    ("email", "email"),
    ("rrn", "rrn"),
    ("mobile", "phone"),
    ("phone", "phone"),
    ("landline", "phone"),
    ("birth", "date"),
    ("date", "date"),
    ("customer", "numeric"),
    ("account", "numeric"),
    ("member", "numeric"),
    ("serial", "numeric"),
    ("_id", "numeric"),
)


@dataclass(frozen=True)
class Planned:
    """One keyspace of the blind plan, its identifier family and prior."""

    keyspace: Keyspace
    family: str
    prior: float


def source_family(kind: str | None) -> str | None:
    """The planner family of a detected source kind (``kr_mobile`` → phone), or None."""
    if not kind:
        return None
    low = kind.lower()
    return next((family for word, family in SOURCE_FAMILIES if word in low), None)


def hinted_families(header_family: str | None, hints: Iterable[str | None]) -> set[str]:
    """Families the header and the detected source kinds point at."""
    out = {header_family} if header_family else set()
    out |= {f for h in hints if (f := source_family(h)) is not None}
    return out


def rrn_decades() -> list[ks.MaskKeyspace]:
    """RRNs with a check digit, one keyspace per birth decade, the commonest ages first."""
    out = []
    for start in (1980, 1990, 1970, 1960, 2000, 1950):
        out.append(ks.rrn(dt.date(start, 1, 1), min(dt.date(start + 9, 12, 31), dt.date(2020, 9, 30))))
    return out


#: candidates at the start of each serial rung: sequences begin at a round number (100000001 …)
SERIAL_HEAD = 10**7


def serial_heads(max_digits: int = 10) -> list[ks.MaskKeyspace]:
    """The first 10^7 numbers of each rung from 8 digits up (10000000…, 100000000…): account and
    member numbers are issued in sequence from a round start, so a whole column often lies here;
    each head costs a fraction of a second, so it runs before the rung it starts."""
    return [
        ks.numeric_range(10 ** (d - 1), 10 ** (d - 1) + SERIAL_HEAD - 1, name=f"serial_1e{d}_head")
        for d in range(8, max_digits + 1)
    ]


def _foreign(region: str) -> list[Keyspace]:
    out: list[Keyspace] = []
    for other in ("KR", *FOREIGN_REGIONS):
        if other == region:
            continue
        try:
            out.append(ks.kr_mobile() if other == "KR" else ks.national_mobile(other))
        except ValueError:  # no mobile metadata for that region in this phonenumbers release
            continue
    return out


@lru_cache(maxsize=4)
def catalogue(region: str = "KR") -> tuple[tuple[Keyspace, str], ...]:
    """Every enumerable keyspace blind mode plans for a region, with its family (built once per
    process: the RRN keyspaces alone hold tens of thousands of birth-date masks)."""
    if region == "KR":
        phones: list[Keyspace] = [ks.kr_mobile(), ks.kr_mobile_legacy(), ks.kr_landline()]
    else:
        phones = [ks.national_mobile(region)]
    out: list[tuple[Keyspace, str]] = [(k, "phone") for k in phones]
    out += [(k, "numeric") for k in (*serial_heads(), *ks.serial_ladder(10))]
    out.append((ks.dates(dt.date(1920, 1, 1), dt.date(2030, 12, 31)), "date"))
    if region == "KR":
        out += [(k, "rrn") for k in rrn_decades()]
    out += [(k, "foreign_phone") for k in _foreign(region)]
    return tuple(out)


def blind_keyspaces(
    region: str = "KR", *, families: Iterable[str] = (), spaces: Sequence[Keyspace] | None = None
) -> list[Planned]:
    """The blind plan's keyspaces with priors: ``families`` (header, detection) raised, none dropped.

    ``spaces`` replaces the catalogue (the CLI's ``--keyspace``, tests' small slices); their
    family is their own (``phone``, ``numeric`` …), so hints still order them.
    """
    raised = set(families)
    pairs = list(catalogue(region)) if spaces is None else [(k, k.family) for k in spaces]
    out = []
    for keyspace, family in pairs:
        own = keyspace.prior if isinstance(keyspace, ks.MaskKeyspace) else 1.0
        base = FAMILY_PRIORS.get(family, 0.3) * own
        hinted = family in raised or (family == "foreign_phone" and "phone" in raised)
        out.append(Planned(keyspace, family, base * (HINT_BOOST if hinted else 1.0)))
    return out
