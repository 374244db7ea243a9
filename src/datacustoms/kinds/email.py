"""E-mail addresses: an RFC 5321 shape with a dotted domain and a letter TLD."""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from datacustoms.kinds.spec import WHITESPACE

PATTERN = r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}"
HEADER_WORDS = ("email", "e-mail", "mail", "이메일", "메일")
#: the looser shape the subject index accepts (any non-space local part and domain)
LOOSE_PATTERN = r"[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+\.[^@ \t\n\r\f\v]+"
_LOOSE = re.compile(LOOSE_PATTERN)


def validate(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    return not (local.startswith(".") or local.endswith(".") or ".." in value or domain.startswith("-"))


def normalise(value: str) -> str | None:
    """Trimmed, lower-cased address, or ``None`` when it is not one."""
    text = unicodedata.normalize("NFKC", value).strip(WHITESPACE).lower()
    return text if _LOOSE.fullmatch(text) else None


def generate(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct addresses on the reserved ``example.com`` domain."""
    return [f"user{int(i)}@example.com" for i in rng.choice(max(n * 10, 10), size=n, replace=False)]
