"""The detector contract: small declarative classes, in the spirit of Presidio's recognizers.

A detector *declares* its kind, role, an RE2 pattern that a whole value must match, and header
words (English and Korean) that raise confidence; it overrides :meth:`Detector.validate` when a
checksum or a structural rule can confirm a value. Values decide; headers only nudge:

* a header word of the detector lowers the share of values needed by ``HEADER_RELIEF`` and adds
  ``HEADER_BONUS`` to the score;
* a *negative* header word (``order``, ``주문``, ``sku``, …), when no positive word is present,
  takes up to ``NEGATIVE_PENALTY`` off the matched share. Only the ambiguous part is penalised:
  :meth:`Detector.strong_share` says which share of the values is self-evident (``010-1234-5678``
  is a phone number whatever the header says; ``01012345678`` in an ``order_no`` column is not).

The pattern stage runs in Arrow (RE2) over the distinct sampled values; Python only validates
the values that matched. The result is a :class:`~datacustoms.model.findings.ColumnFinding` whose
evidence says why it matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.kinds.spec import BUSINESS_KEY_WORDS, KindSpec
from datacustoms.model.findings import ColumnFinding, Evidence, Role

MAX_DISTINCT = 5_000
HEADER_BONUS = 0.15
HEADER_RELIEF = 0.2
NEGATIVE_PENALTY = 0.5

#: header words that say "this is a business key, not a person" (values still decide)
NEGATIVE_WORDS: tuple[str, ...] = BUSINESS_KEY_WORDS

_FLATTEN = re.compile(r"[\s_\-./()\[\]]+")


def is_bytes(arrow_type: pa.DataType) -> bool:
    """Binary, large binary or fixed-size binary."""
    return bool(
        pa.types.is_binary(arrow_type)
        or pa.types.is_large_binary(arrow_type)
        or pa.types.is_fixed_size_binary(arrow_type)
    )


def flatten_header(name: str) -> str:
    """A column name lower-cased without separators, so ``Phone_No`` and ``phone no`` agree."""
    return _FLATTEN.sub("", name.lower())


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_TOKEN_SPLIT = re.compile(r"[^0-9a-z가-힣]+")
SHORT_WORD = 3  # ASCII header words this short match whole tokens only ("age" ≠ "page", "usage")


def header_tokens(name: str) -> list[str]:
    """``userAge_band`` → ``['user', 'age', 'band']`` (camelCase and separators split)."""
    return [t for t in _TOKEN_SPLIT.split(_CAMEL.sub(r"\1_\2", name).lower()) if t]


def header_has(name: str, words: tuple[str, ...]) -> str | None:
    """The first header word found in a column name.

    Case and separators (``_ - . space``) are ignored, so ``Phone_No`` contains ``phoneno`` and
    ``휴대폰 번호`` contains ``휴대폰번호``. Short ASCII words (``age``, ``ip``, ``ts``, ``sha``) must be a
    whole token, optionally followed by digits (``sha256``, ``age2``): ``page`` and ``zip`` do not
    contain a header word.
    """
    flat = flatten_header(name)
    tokens: list[str] | None = None
    for word in words:
        key = flatten_header(word)
        if not key:
            continue
        if len(key) <= SHORT_WORD and key.isascii():
            if tokens is None:
                tokens = header_tokens(name)
            if any(t == key or (t.startswith(key) and t[len(key) :].isdigit()) for t in tokens):
                return word
        elif key in flat:
            return word
    return None


@dataclass(frozen=True)
class ColumnSample:
    """What detectors see of one column: its name and distinct sampled values as text."""

    name: str
    distinct: pa.Array  # distinct non-null values, cast to string, at most MAX_DISTINCT
    rows: int  # rows in the sample
    nulls: int  # null or blank cells in the sample
    distinct_count: int  # distinct non-null values in the sample (before the cap)
    arrow_type: pa.DataType
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def values(self) -> list[str]:
        cached = self._cache.get("values")
        if cached is None:
            cached = [v for v in self.distinct.to_pylist() if v is not None]
            self._cache["values"] = cached
        return cached  # type: ignore[return-value]

    @property
    def non_null(self) -> int:
        """Non-blank cells in the sample."""
        return self.rows - self.nulls

    @property
    def repeat_ratio(self) -> float:
        """Non-blank cells per distinct value: 1.0 for a key column, large for a code column."""
        return self.non_null / self.distinct_count if self.distinct_count else 0.0

    def full_match(self, pattern: str) -> pa.Array:
        """Boolean mask over ``distinct``: which values match ``pattern`` as a whole (RE2)."""
        key = f"re:{pattern}"
        cached = self._cache.get(key)
        if cached is None:
            cached = pc.fill_null(pc.match_substring_regex(self.distinct, f"^(?:{pattern})$"), False)
            self._cache[key] = cached
        return cached

    def share_matching(self, pattern: str) -> float:
        """Share of distinct values that match ``pattern`` as a whole."""
        if len(self.distinct) == 0:
            return 0.0
        return int(pc.sum(pc.cast(self.full_match(pattern), pa.int64())).as_py() or 0) / len(self.distinct)

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
        elif is_bytes(column.type):
            # raw bytes (e.g. digests stored as fixed_size_binary(32)): hex, so their shape shows;
            # long blobs only by length. A sample is at most a few thousand rows.
            text = pa.array(
                [None if v is None else v.hex() if len(v) <= 64 else f"<{len(v)} bytes>" for v in column.to_pylist()],
                pa.string(),
            )
        elif pa.types.is_nested(column.type):
            text = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        else:
            text = pc.cast(column, pa.string())
        if pa.types.is_large_string(text.type):
            text = pc.cast(text, pa.string())
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


class Detector:
    """Base class. Subclasses set the class attributes and may override validate / match."""

    kind: ClassVar[str]
    role: ClassVar[Role]
    pattern: ClassVar[str | None] = None  # RE2 syntax, matched against the whole value
    header_words: ClassVar[tuple[str, ...]] = ()
    #: header words that lower confidence when no positive header word is present
    negative_words: ClassVar[tuple[str, ...]] = ()
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

    def strong_share(self, valid: list[str]) -> float:
        """Share of ``valid`` whose form is self-evident, immune to negative header words."""
        return 0.0

    def uncertain(self, sample: ColumnSample, valid: list[str]) -> str | None:
        """What the evidence cannot settle about this finding (``None``: nothing worth saying)."""
        return None

    def accept(self, sample: ColumnSample, valid: list[str], hint: str | None) -> bool:
        """A column-level check after the share test (cardinality, spread). Default: accept."""
        return True

    def candidates(self, sample: ColumnSample) -> list[str]:
        """Distinct values that match the pattern (the RE2 stage, in Arrow)."""
        if self.pattern is None:
            return sample.values
        return pc.filter(sample.distinct, sample.full_match(self.pattern)).to_pylist()

    def matching(self, sample: ColumnSample) -> list[str]:
        """Distinct values that match the pattern and validate."""
        return [v for v in self.candidates(sample) if self.validate(v)]

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        """Score the column; ``None`` when it is not of this kind."""
        considered = len(sample.distinct)
        if considered == 0:
            return None
        hint = header_has(sample.name, self.header_words)
        if self.needs_header and hint is None:
            return None
        threshold = self.min_share - (HEADER_RELIEF if hint else 0.0)
        if type(self).matching is Detector.matching:
            # the pattern share bounds the validated share: skip Python validation when it fails
            candidates = self.candidates(sample)
            if len(candidates) / considered < threshold:
                return None
            valid = [v for v in candidates if self.validate(v)]
        else:
            valid = self.matching(sample)
        if not valid:
            return None
        share = len(valid) / considered
        negative = None if hint else header_has(sample.name, self.negative_words)
        adjusted = share
        if negative:
            adjusted -= NEGATIVE_PENALTY * (1.0 - self.strong_share(valid))
        if adjusted < threshold or not self.accept(sample, valid, hint):
            return None
        return self.finding(sample, valid, share, adjusted, hint, negative)

    def finding(
        self,
        sample: ColumnSample,
        valid: list[str],
        share: float,
        adjusted: float,
        hint: str | None,
        negative: str | None = None,
        *,
        kind: str | None = None,
        role: Role | None = None,
        note: str | None = None,
    ) -> ColumnFinding:
        """Build the finding with its evidence (shared by detectors that override ``match``)."""
        score = max(0.0, min(1.0, adjusted + (HEADER_BONUS if hint else 0.0)))
        if negative and note is None:
            note = f"header word {negative!r} lowered confidence"
        return ColumnFinding(
            column=sample.name,
            kind=kind or self.kind,
            role=role or self.role,
            score=round(score, 4),
            evidence=[
                Evidence(
                    detector=type(self).__name__,
                    matched_share=round(share, 4),
                    distinct_sampled=len(sample.distinct),
                    header_hint=hint,
                    note=note,
                )
            ],
            null_share=round(sample.nulls / sample.rows, 4) if sample.rows else 0.0,
            distinct_sampled=sample.distinct_count,
            details=self.details(sample, valid),
            uncertain=self.uncertain(sample, valid),
        )


class SpecDetector(Detector):
    """A detector built from a :class:`~datacustoms.kinds.spec.KindSpec`: ``class X(SpecDetector, spec=S)``.

    Kind, role, pattern, header words, thresholds and the validator come from the spec, so the
    detector keeps only what is about columns (shares, details, what stays uncertain).
    """

    spec: ClassVar[KindSpec]

    def __init_subclass__(cls, spec: KindSpec | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if spec is None:
            return
        cls.spec = spec
        cls.kind = spec.name
        cls.role = spec.role
        cls.pattern = spec.pattern
        cls.header_words = spec.header_words
        cls.negative_words = spec.negative_words
        cls.min_share = spec.min_share
        cls.priority = spec.priority
        cls.needs_header = spec.needs_header

    def validate(self, value: str) -> bool:
        return self.spec.validate(value)
