"""The result of attacking one digest column, as pydantic models (JSON-ready).

Plaintexts recovered by an attack appear only in ``revealed`` and only when the caller asked
(``reveal=True``); everything else holds counts, shares, recipe descriptions and masked
examples such as ``010-****-5678``. Hashed identifiers are never called anonymous: the honest
words are "reversed" and "not reversed within the budget".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

#: ``incomplete``: nothing reversed, but the planned keyspaces were not all enumerated within the
#: budget — not evidence of safety; ``not_reversed``: the whole plan ran and nothing was reversed
AttackStatus = Literal["reversed", "partially_reversed", "not_reversed", "incomplete", "not_attempted"]
AttackMode = Literal["blind", "sender", "linkage"]

#: the assumed GPU rate for fast unsalted hashes (MD5 / SHA-1 / SHA-256 class), hashes per second
GPU_RATE = 20e9
#: share of distinct digests at which a column counts as reversed (and blind mode stops)
REVERSED_SHARE = 0.99
#: a keyspace whose plain recipes enumerate in under this many seconds on this machine is cheap:
#: leaving it unfinished fails the reversal check (a recipient would finish it in a minute)
CHEAP_SECONDS = 60.0


class DigestInfo(BaseModel):
    """How the column's values parsed as digests."""

    size: int | None = Field(default=None, description="digest size in bytes")
    encoding: str | None = Field(default=None, description="hex, base64, base64url or raw")
    case: str | None = Field(default=None, description="hex letter case: lower, upper or mixed")
    algorithms: list[str] = Field(default_factory=list, description="algorithms with this digest size")


class RecipeTried(BaseModel):
    """One recipe run over one keyspace (in one format)."""

    recipe: str = Field(description='the recipe in one line, e.g. sha256(hex) of "010-XXXX-XXXX"')
    keyspace: str
    size: int = Field(description="candidates in this keyspace and format")
    covered: int = Field(description="candidates enumerated before the budget ran out")
    complete: bool
    hits: int = Field(description="distinct digests reversed by this run")
    seconds: float
    engine: str


class Extrapolation(BaseModel):
    """How long enumerating a keyspace takes at a given rate."""

    label: str
    candidates: int
    rate: float = Field(description="candidates per second")
    seconds: float
    measured: bool = Field(description="true for this machine's measured rate, false for an assumed one")


class KeyspaceCoverage(BaseModel):
    """How much of one planned keyspace the search enumerated (over every recipe planned for it)."""

    keyspace: str
    description: str
    family: str = Field(description="phone, numeric, rrn, date, foreign_phone …")
    planned: int = Field(description="candidates over every recipe and format planned for this keyspace")
    covered: int = Field(description="candidates enumerated before the search stopped")
    complete: bool = Field(description="every planned recipe run over this keyspace finished")
    primary_complete: bool = Field(
        description="the plain recipes (the digest size's first algorithm, unsalted, hashed once) finished"
    )
    primary_planned: int = Field(default=0, description="candidates of the plain recipes over every format")
    primary_covered: int = Field(default=0, description="of those, candidates enumerated")
    primary_seconds: float = Field(description="expected seconds for the plain recipes on this machine")
    remaining_seconds: float = Field(description="expected seconds on this machine for what was not enumerated")

    @property
    def cheap(self) -> bool:
        """The plain recipes take under :data:`CHEAP_SECONDS` on this machine."""
        return self.primary_seconds < CHEAP_SECONDS


class Revealed(BaseModel):
    """One reversed digest and its plaintext (only with reveal)."""

    digest: str
    plaintext: str


class ColumnAttack(BaseModel):
    """What a recipient could recover from one digest column."""

    column: str
    mode: AttackMode
    status: AttackStatus
    reason: str = Field(description="one line: why this status")
    digest: DigestInfo = Field(default_factory=DigestInfo)
    recipe: str | None = Field(default=None, description="the recipe that reversed the column, in one line")
    recipes_hit: list[str] = Field(default_factory=list, description="every recipe that reversed something")
    recipes_tried: list[RecipeTried] = Field(default_factory=list)
    keyspace_covered: int = Field(default=0, description="candidates enumerated in total")
    search_complete: bool = Field(
        default=True,
        description="every planned keyspace was enumerated (or the search stopped because the column was reversed)",
    )
    coverage: list[KeyspaceCoverage] = Field(
        default_factory=list, description="per planned keyspace: how much was enumerated and what is left"
    )
    remaining_seconds: float | None = Field(
        default=None, description="expected seconds on this machine to finish the planned keyspaces"
    )
    rows: int = 0
    rows_null: int = 0
    rows_malformed: int = 0
    rows_whitespace: int = Field(default=0, description="values with surrounding whitespace (trimmed, then parsed)")
    distinct_digests: int = 0
    rows_reversed: int = 0
    rows_reversed_share: float = 0.0
    distinct_reversed: int = 0
    distinct_reversed_share: float = 0.0
    seconds: float = 0.0
    candidates_per_second: float = 0.0
    engine: str = "python"
    extrapolations: list[Extrapolation] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list, description="masked examples of recovered values")
    revealed: list[Revealed] | None = Field(
        default=None,
        description="digest → plaintext pairs, only when reveal was asked (at most reveal_limit)",
    )
    notes: list[str] = Field(default_factory=list)

    @property
    def reversed_any(self) -> bool:
        return self.rows_reversed > 0 or self.distinct_reversed > 0

    @property
    def unfinished_cheap(self) -> list[KeyspaceCoverage]:
        """Cheap keyspaces whose plain recipes did not finish: their absence of hits proves nothing."""
        return [c for c in self.coverage if c.cheap and not c.primary_complete]


class AttackReport(BaseModel):
    """The ``datacustoms attack`` command's output: one entry per attacked column."""

    source: str
    rows: int | None = None
    columns: list[ColumnAttack] = Field(default_factory=list)

    @property
    def reversed_any(self) -> bool:
        return any(c.reversed_any for c in self.columns)
