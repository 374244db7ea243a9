"""Health data: ICD-10 / KCD diagnosis codes by value, and health words in headers.

Diagnosis codes are claimed without a header word only when the column looks like a code list:
at least 10 distinct codes from 5 chapters or more, a third of them with a subcategory
(``E11.9``), since ``A12``-shaped values are also seats, grid cells and product codes. A column
whose header names a health fact (diagnosis, medication, allergy, blood type, 처방, 혈액형 …) is a
sensitive attribute whatever its values look like, unless a value-based detector claims it with
more confidence (a ``diagnosis_date`` is a date). Blood groups (``A+``, ``AB-``, ``O형``) are
recognised without a header when three of the four ABO groups appear.
"""

from __future__ import annotations

from datacustoms.detect.base import ColumnSample, Detector, SpecDetector, header_has
from datacustoms.kinds import health
from datacustoms.kinds.builtin import DIAGNOSIS_CODE
from datacustoms.model.findings import ColumnFinding

MIN_CODES = 10
MIN_CHAPTERS = 5
MIN_SUBCATEGORY = 0.3
HEADER_SCORE = 0.5  # below any value-based claim that also matched the header


class DiagnosisCode(SpecDetector, spec=DIAGNOSIS_CODE):
    def accept(self, sample: ColumnSample, valid: list[str], hint: str | None) -> bool:
        if hint is not None:
            return len(valid) >= 2
        chapters = {v[0] for v in valid}
        subcategory = sum(1 for v in valid if "." in v or len(v) > 3)
        return len(valid) >= MIN_CODES and len(chapters) >= MIN_CHAPTERS and subcategory >= MIN_SUBCATEGORY * len(valid)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        return {"chapters": len({v[0] for v in valid})}


class HealthColumn(Detector):
    kind = "health"
    role = "sensitive"
    header_words = health.HEALTH_WORDS
    priority = 20

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        if len(sample.distinct) == 0:
            return None
        hint = header_has(sample.name, self.header_words)
        blood = [v for v in sample.values if v.upper() in health.BLOOD_TYPES]
        groups = {v.upper().rstrip("+-형").replace(" RH", "").strip() for v in blood}
        is_blood = len(blood) == len(sample.values) and len(groups) >= 3
        if hint is None and not is_blood:
            return None
        finding = self.finding(sample, sample.values, 1.0 if is_blood else 0.0, HEADER_SCORE, hint)
        finding.details = {"blood_type": is_blood}
        return finding
