"""What a sent transfer adds to the ledger beyond its record: the exposure fingerprint and the R17
judgement on everything the recipient holds (:mod:`datacustoms.ledger.exposure`), and the subject
index of identifiers the export carries only in derived form (:mod:`datacustoms.ledger.subject_index`).

The transfer flow calls :func:`prepare_sent` once the proof passed and before the record is
written; a refusal it returns is recorded like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from datacustoms.ledger.exposure import ExposureJudgement, judge_transfer, writer
from datacustoms.ledger.model import IndexSource, SubjectCoverage
from datacustoms.ledger.store import LedgerStore
from datacustoms.ledger.subject_index import INCOMPLETE, derived_index
from datacustoms.ledger.subject_keys import KeyRing
from datacustoms.table import Table


@dataclass
class SentExtras:
    judgement: ExposureJudgement
    exposure_sha256: str
    write: Callable[[Any, int], None]
    tokens: set[str]
    coverage: SubjectCoverage

    @property
    def refusal(self) -> str | None:
        return self.judgement.reason if self.judgement.refused else None

    def index(self, tokens: set[str]) -> set[str]:
        """What the store indexes: the people whose rows left, and a mark when that is incomplete."""
        return tokens if self.coverage.complete else {*tokens, INCOMPLETE}

    def within(self, conn: Any, seq: int) -> None:
        self.write(conn, seq)


def prepare_sent(store: LedgerStore, spec: Any, policy: Any, sending: Table, sent: Table, clear: list[str],
                 kept_rows: list[Any] | None, rows_out: int, keys: KeyRing | None = None) -> SentExtras:  # fmt: skip
    """Judge the recipient's holding with this release (R17) and index the derived identifiers
    (``keys``: the sender's keys as they were before this transfer, for columns that arrived keyed)."""
    fingerprint, judgement = judge_transfer(store, spec.recipient.name, sent, policy)
    sha, write = writer(store, fingerprint)
    kept = np.concatenate([np.asarray(k.to_numpy(zero_copy_only=False), dtype=bool) for k in kept_rows]) \
        if kept_rows else None
    tokens, coverage = derived_index(store.hasher, sending, spec, clear, kept, policy.base_dir, sent.column_names,
                                     keys)
    coverage.sources[:0] = [IndexSource(column=c, how="clear identifier", rows_matched=rows_out) for c in clear]
    return SentExtras(judgement, sha, write, tokens, coverage)
