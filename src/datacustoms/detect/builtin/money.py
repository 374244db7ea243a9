"""Amounts of money (balances, payments, salaries): a sensitive attribute.

Values with a currency sign or unit (``₩``, ``$``, ``원``, ``KRW``) or thousands separators are
amounts on their own; plain numbers only with a money header word (금액, 잔액, amount, balance,
price, …), since counts, scores and codes are plain numbers too.
"""

from __future__ import annotations

import pyarrow.compute as pc

from datacustoms.detect.base import ColumnSample, Detector, header_has

NUMBER = r"[-+]?[0-9]+(?:\.[0-9]+)?"
GROUPED = r"[-+]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"
CURRENCY = (
    r"[-+]?(?:[₩$€¥£]|KRW|USD|EUR) ?(?:" + GROUPED + "|" + NUMBER + ")"
    r"|(?:" + GROUPED + "|" + NUMBER + r") ?(?:원|만원|KRW|USD|EUR|won)"
)


class Amount(Detector):
    kind = "amount"
    role = "sensitive"
    pattern = f"{CURRENCY}|{GROUPED}|{NUMBER}"
    header_words = (
        "amount", "amt", "balance", "price", "cost", "fee", "salary", "income", "revenue", "krw",
        "usd", "금액", "잔액", "가격", "요금", "결제액", "매출", "급여", "연봉", "소득", "수수료",
        "잔고", "머니", "charge", "total_paid", "spend",
    )  # fmt: skip
    priority = 45

    def matching(self, sample: ColumnSample) -> list[str]:
        valid = super().matching(sample)
        if header_has(sample.name, self.header_words) is not None:
            return valid
        # without a money header only self-evident amounts count
        strong = sample.full_match(f"{CURRENCY}|{GROUPED}")
        return [v for v in pc.filter(sample.distinct, strong).to_pylist() if v is not None]

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        negative = sum(1 for v in valid if v.startswith("-"))
        return {"negative_share": round(negative / len(valid), 4)}
