"""Low-cardinality codes (``category``) and long varied text (``free_text``).

A code column is a quasi-identifier only when its header says it describes a person (occupation,
marital status, education, 직업, …), and sensitive when it says what a recipient must not learn
(income, health, religion, political opinion, … — GDPR Art. 9 and PIPA Art. 23 categories);
otherwise it is reported as ``category`` with role ``other``. Free text is flagged as sensitive: people write names, numbers and health facts into
comment fields, so the finding counts values that embed an e-mail, a phone number or a long hex
run (a commit or a digest) without ever showing them.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.detect.base import ColumnSample, Detector, header_has
from datacustoms.model.findings import ColumnFinding, Role

PERSON_WORDS = (
    "occupation", "job", "직업", "직종", "직군", "marital", "결혼", "혼인", "education", "학력",
    "nationality", "국적", "race", "ethnic", "직위", "position", "department", "부서", "blood",
    "혈액형", "member_grade", "등급", "country", "국가", "workclass", "relationship", "household", "가구",
)  # fmt: skip
#: codes that *are* what a recipient must not learn: income and GDPR Art. 9 / PIPA Art. 23 categories
SENSITIVE_WORDS = (
    "income", "salary", "소득", "급여", "연봉", "credit_grade", "신용등급", "신용점수", "health", "건강",
    "disease", "질병", "diagnosis", "진단", "medical", "의료", "disability", "장애", "religion", "종교",
    "political", "정당", "정치", "union", "노조", "sexual", "성적지향", "criminal", "범죄", "biometric",
)  # fmt: skip
EMBEDDED = {
    "email": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+\.[A-Za-z]{2,}",
    "kr_mobile": r"\b01[016789][ \-.]?[0-9]{3,4}[ \-.]?[0-9]{4}\b",
    "hex_run": r"\b[0-9a-fA-F]{32,}\b",
}
MAX_CODES = 50


def _count(values: pa.Array, mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


class Category(Detector):
    kind = "category"
    role = "other"
    header_words = (*SENSITIVE_WORDS, *PERSON_WORDS)
    priority = 10

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        if not 0 < sample.distinct_count <= MAX_CODES or sample.repeat_ratio < 3.0:
            return None
        longest = int(pc.max(pc.utf8_length(sample.distinct)).as_py() or 0)
        if longest > 40:
            return None
        hint = header_has(sample.name, self.header_words)
        role: Role = "other"
        if header_has(sample.name, SENSITIVE_WORDS):
            role = "sensitive"
        elif hint is not None:
            role = "quasi_identifier"
        finding = self.finding(sample, sample.values, 1.0, 0.35, hint, role=role)
        finding.details = {"codes": sample.distinct_count, "rows_per_code": round(sample.repeat_ratio, 2)}
        return finding


class FreeText(Detector):
    kind = "free_text"
    role = "sensitive"
    header_words = ("comment", "memo", "note", "message", "text", "description", "log", "비고", "메모",
                    "내용", "상담", "요청사항", "remark", "body", "reason")  # fmt: skip
    priority = 10

    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        n = len(sample.distinct)
        if n < 5 or sample.distinct_count < 0.5 * sample.non_null:
            return None
        lengths = pc.utf8_length(sample.distinct)
        mean = float(pc.mean(lengths).as_py() or 0.0)
        spaced = _count(sample.distinct, pc.match_substring(sample.distinct, " ")) / n
        if mean < 20 or spaced < 0.6:
            return None
        hint = header_has(sample.name, self.header_words)
        finding = self.finding(sample, sample.values, spaced, 0.45, hint)
        finding.details = {
            "mean_length": round(mean, 1),
            "embedded": {
                name: round(_count(sample.distinct, pc.match_substring_regex(sample.distinct, rx)) / n, 4)
                for name, rx in EMBEDDED.items()
            },
        }
        return finding
