"""The detector contract: small declarative classes, in the spirit of Presidio's recognizers.

A detector *declares* its kind, role, an RE2 pattern that a whole value must match, and header
words (English and Korean) that raise confidence; it overrides :meth:`Detector.validate` when a
checksum or a structural rule can confirm a value. Values decide; headers only nudge. The result
is a :class:`~datacustoms.report.model.ColumnFinding` whose evidence says why it matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.report.model import ColumnFinding, Evidence, Role

MAX_DISTINCT = 5_000
HEADER_BONUS = 0.15


@dataclass(frozen=True)
class ColumnSample:
    """What detectors see of one column: its name and distinct sampled values as text."""

    name: str
    distinct: pa.Array  # distinct non-null values, cast to string, at most MAX_DISTINCT
    rows: int  # rows in the sample
    nulls: int  # null or blank cells in the sample
    distinct_count: int  # distinct non-null values in the sample (before the cap)
    arrow_type: pa.DataType

    @property
    def values(self) -> list[str]:
        return [v for v in self.distinct.to_pylist() if v is not None]

    @classmethod
    def from_array(cls, name: str, column: pa.Array | pa.ChunkedArray) -> ColumnSample:
        """Cast to text, drop nulls and blanks, keep distinct values (capped)."""
        arrow_type = column.type
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks() if column.num_chunks else pa.array([], type=column.type)
        rows = len(column)
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if pa.types.is_null(column.type):
            text = pa.array([None] * rows, type=pa.string())
        elif pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            text = pc.cast(pc.binary_length(column), pa.string())  # raw bytes: only lengths matter
        elif pa.types.is_nested(column.type):
            text = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        else:
            text = pc.cast(column, pa.string())
        text = pc.utf8_trim_whitespace(text)
        blank = pc.fill_null(pc.equal(text, ""), True)
        kept = pc.filter(text, pc.invert(blank))
        unique = pc.unique(kept)
        return cls(
            name=name,
            distinct=unique.slice(0, MAX_DISTINCT),
            rows=rows,
            nulls=int(pc.sum(pc.cast(blank, pa.int64())).as_py() or 0),
            distinct_count=len(unique),
            arrow_type=arrow_type,
        )


def header_has(name: str, words: tuple[str, ...]) -> str | None:
    """The first header word found in a column name (case-insensitive, ignoring _ - and spaces)."""
    flat = re.sub(r"[\s_\-./()]+", "", name.lower())
    for word in words:
        if re.sub(r"[\s_\-./()]+", "", word.lower()) in flat:
            return word
    return None


class Detector:
    """Base class. Subclasses set the class attributes and may override validate / match."""

    kind: ClassVar[str]
    role: ClassVar[Role]
    pattern: ClassVar[str | None] = None  # RE2 syntax, matched against the whole value
    header_words: ClassVar[tuple[str, ...]] = ()
    #: share of distinct values that must match and validate (header hint lowers it by 0.2)
    min_share: ClassVar[float] = 0.8
    #: breaks ties between detectors with equal scores: more specific kinds rank higher
    priority: ClassVar[int] = 50
    #: a detector that needs no value pattern (e.g. sex codes) may rely on the header alone
    needs_header: ClassVar[bool] = False

    def validate(self, value: str) -> bool:
        """Confirm one value that matched the pattern (checksum, ranges). Default: accept."""
        return True

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        """Extra facts for the finding (formats seen, algorithms, …). Never plaintext values."""
        return {}

    def matching(self, sample: ColumnSample) -> list[str]:
        """Distinct values that match the pattern and validate."""
        if self.pattern is None:
            candidates = sample.values
        else:
            mask = pc.match_substring_regex(sample.distinct, f"^(?:{self.pattern})$")
            candidates = pc.filter(sample.distinct, mask).to_pylist()
        return [v for v in candidates if self.validate(v)]

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        """Score the column; ``None`` when it is not of this kind."""
        considered = len(sample.distinct)
        if considered == 0:
            return None
        hint = header_has(sample.name, self.header_words)
        if self.needs_header and hint is None:
            return None
        valid = self.matching(sample)
        share = len(valid) / considered
        threshold = self.min_share - (0.2 if hint else 0.0)
        if share < threshold or not valid:
            return None
        score = min(1.0, share + (HEADER_BONUS if hint else 0.0))
        return ColumnFinding(
            column=sample.name,
            kind=self.kind,
            role=self.role,
            score=round(score, 4),
            evidence=[
                Evidence(
                    detector=type(self).__name__,
                    matched_share=round(share, 4),
                    distinct_sampled=considered,
                    header_hint=hint,
                )
            ],
            null_share=round(sample.nulls / sample.rows, 4) if sample.rows else 0.0,
            distinct_sampled=sample.distinct_count,
            details=self.details(sample, valid),
        )
