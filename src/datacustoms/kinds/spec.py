"""What the project knows about one identifier kind, in one place.

A :class:`KindSpec` is read by every stage that handles the kind: detection (pattern, validator,
header words), the attack (keyspace), protection (how values are normalised before a keyed hash),
the subject index (canonical form) and the synthetic data generator. A :class:`KindRegistry` is an
immutable set of specs; adding a kind returns a new registry, so nothing process-wide changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # an annotation only: reading a kind's constants needs no report models
    from datacustoms.model.findings import Role


#: how values of a kind are normalised before a keyed hash, so formats do not split one person
#: header words that say "this is a business key, not a person" (values still decide)
BUSINESS_KEY_WORDS: tuple[str, ...] = (
    "order", "주문", "product", "상품", "sku", "invoice", "송장", "tracking", "운송장", "item",
    "품번", "barcode", "바코드", "model", "모델", "transaction", "거래번호", "txn", "batch",
    "lot", "ticket", "예약번호", "booking", "쿠폰", "coupon", "serial_no", "part_no",
)  # fmt: skip

#: whitespace trimmed around identifiers (the same set on Python and Arrow paths)
WHITESPACE = " \t\n\r\f\v"

PseudonymNormalisation = Literal["trim", "lower", "digits"]
Generator = Callable[[np.random.Generator, int], list[str]]


@dataclass(frozen=True)
class Keyspace:
    """Every value the kind can take, as an attacker enumerates it.

    ``size`` is exact for what is enumerated (not what is issued). ``shapes`` are digit groups with
    ``X`` slots (``("10", "XXXX", "XXXX")``) or one template with a ``C`` check slot; the attack
    stage renders them into each text format with ``country_code`` and ``trunk``.
    """

    size: int
    description: str
    shapes: tuple[tuple[str, ...], ...] = ()
    country_code: str = ""
    trunk: str = ""


@dataclass(frozen=True)
class KindSpec:
    """One identifier kind: the facts every stage reads instead of keeping its own copy."""

    name: str
    role: Role
    validate: Callable[[str], bool]
    pattern: str | None = None  # RE2, matched against the whole value
    header_words: tuple[str, ...] = ()
    negative_words: tuple[str, ...] = ()
    normalise: Callable[[str], str | None] | None = None  # canonical form, or None: not this kind
    keyspace: Keyspace | None = None
    pseudonym: PseudonymNormalisation = "trim"
    generate: Generator | None = None  # synthetic values that pass ``validate``
    min_share: float = 0.8
    priority: int = 50
    needs_header: bool = False
    description: str = ""


def accept_all(value: str) -> bool:
    """The validator of a kind whose pattern says everything."""
    return True


@dataclass(frozen=True)
class KindRegistry(Mapping[str, KindSpec]):
    """An immutable name → spec mapping; :meth:`extended` returns a new registry."""

    specs: tuple[KindSpec, ...] = ()
    _by_name: dict[str, KindSpec] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for spec in self.specs:
            self._by_name[spec.name] = spec  # a later spec of the same name replaces an earlier one

    def __getitem__(self, name: str) -> KindSpec:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def extended(self, specs: Iterable[KindSpec]) -> KindRegistry:
        """A new registry with ``specs`` added (same name: replaced); this one is unchanged."""
        return KindRegistry((*self.specs, *specs))
