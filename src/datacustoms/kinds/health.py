"""Health data (GDPR Art. 9, PIPA Art. 23): diagnosis codes, and health words in headers.

Diagnosis codes follow ICD-10 (WHO) and its Korean edition KCD: a letter other than ``U``, two
digits (the third may be a letter in some chapters), then an optional subcategory
(``E11``, ``E11.9``, ``C50.912``, ``J4590``). ``A12`` is also a seat or a grid cell, so without a
header word a column must look like a code list: several chapters and subcategories written out.
"""

from __future__ import annotations

import numpy as np

PATTERN = r"[A-TV-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?"
HEADER_WORDS: tuple[str, ...] = (
    "diagnosis", "icd", "icd10", "dx", "kcd", "disease", "질병", "진단", "상병", "병명", "질환",
)  # fmt: skip
#: headers that say a column holds health facts whatever its values (medicines, conditions, blood)
HEALTH_WORDS: tuple[str, ...] = (
    "diagnosis", "disease", "medication", "medicine", "drug", "prescription", "allergy", "symptom",
    "treatment", "condition", "blood_type", "bloodtype", "blood_group", "disability", "pregnan", "hiv",
    "진단", "질병", "질환", "병명", "상병", "처방", "투약", "약품", "복용", "알레르기", "증상", "치료",
    "혈액형", "장애",
)  # fmt: skip
BLOOD_TYPES = frozenset(
    f"{group}{suffix}"
    for group in ("A", "B", "AB", "O")
    for suffix in ("", "+", "-", "형", " RH+", " RH-")  # compared with the value upper-cased
)
_CHAPTERS = "ABCDEFGHIJKLMNOPQRSTVWXYZ"


def validate(value: str) -> bool:
    """An ICD-10 / KCD code: a subcategory, if written, follows the dot or the three characters."""
    return len(value) <= 8


def generate(rng: np.random.Generator, n: int) -> list[str]:
    """Synthetic codes (``E11.9``, ``J45``, ``C50.91``)."""
    out = []
    for _ in range(n):
        code = f"{_CHAPTERS[rng.integers(len(_CHAPTERS))]}{rng.integers(0, 100):02d}"
        if rng.random() < 0.7:
            code += "." + str(rng.integers(0, 10)) + ("" if rng.random() < 0.6 else str(rng.integers(0, 10)))
        out.append(code)
    return out
