"""Korean personal names: 2–4 Hangul syllables that start with a common surname.

About 100 surnames cover more than 99% of people in Korea, so the surname test is strong; what
it cannot exclude are ordinary words that happen to start with a surname syllable (``이마트``,
``주부``). Hence the column-level rules: without a header word (이름, 성명, name, …) the values
must be varied (at least 20 distinct, mostly unique) and nearly all must pass. Split name
columns are read by their header: under a family-name header (``last_name``, ``surname``,
``family_name``, ``성씨``) one-syllable surnames count, and under a given-name header
(``first_name``, ``given_name``, ``forename``) any one to three syllables do.
"""

from __future__ import annotations

from datacustoms.detect.base import NEGATIVE_WORDS, ColumnSample, Detector, header_has

SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현함변염"
    "여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌팽승간"
    "상시갈단견당화창옹순빙종라리림로뢰"
)  # one syllable each
COMPOUND = frozenset(("남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "어금", "망절"))
FAMILY_WORDS = ("last_name", "lastname", "lname", "surname", "family_name", "familyname", "성씨")
GIVEN_WORDS = ("first_name", "firstname", "fname", "given_name", "givenname", "forename")


class KoreanName(Detector):
    kind = "name_ko"
    role = "direct_identifier"
    pattern = r"[가-힣]{1,4}|[가-힣]{2,4} [가-힣]{1,3}"
    header_words = (
        "이름",
        "성명",
        "고객명",
        "성함",
        "예금주",
        "수취인",
        "받는분",
        "회원명",
        "성씨",
        "name",
        "fullname",
    )
    negative_words = (
        *NEGATIVE_WORDS,
        "store",
        "merchant",
        "가맹점",
        "상호",
        "company",
        "회사",
        "brand",
        "브랜드",
        "city",
        "지역",
        "bank",
        "은행",
        "category",
        "분류",
        "업종",
        "직업",
        "job",
    )
    min_share = 0.9
    priority = 50

    def validate(self, value: str) -> bool:
        compact = value.replace(" ", "")
        return len(compact) >= 2 and (compact[:2] in COMPOUND or compact[0] in SURNAMES)

    def matching(self, sample: ColumnSample) -> list[str]:
        candidates = self.candidates(sample)
        if header_has(sample.name, FAMILY_WORDS) is not None:
            return [v for v in candidates if v in SURNAMES or v in COMPOUND]
        if header_has(sample.name, GIVEN_WORDS) is not None:
            return [v for v in candidates if len(v) <= 3 and " " not in v]
        return [v for v in candidates if self.validate(v)]

    def accept(self, sample: ColumnSample, valid: list[str], hint: str | None) -> bool:
        if hint is not None:
            return len(valid) >= 2
        return len(valid) >= 20 and sample.repeat_ratio <= 3.0
