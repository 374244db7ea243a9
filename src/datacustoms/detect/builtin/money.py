"""Amounts of money (balances, payments, salaries, debts): a sensitive attribute.

Values with a currency sign or unit (``₩``, ``$``, ``원``, ``KRW``) or thousands separators are
amounts on their own; plain numbers with a money header word (금액, 잔액, amount, balance,
salary, income, loan, …). Under a neutral header, plain numbers count only when their distribution
looks like money, conservatively (counts, scores, measurements and keys are plain numbers too):

* **cents**: every value has at most two decimals, at least half have exactly two, at least 20
  distinct values, at most 10% negative, the largest at least 100, and the values spread over an
  order of magnitude (90th percentile ≥ 5 × the 10th) — prices and balances, not percentages,
  weights or temperatures;
* **rounded**: whole numbers, at least 20 distinct, the largest at least 10,000, at least 80% of
  the non-zero ones multiples of 100, spread over an order of magnitude — won amounts and
  salaries, not identifiers, counters or epoch times.

The rule that fired is in the finding's details (``value_rule``).
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
MIN_DISTINCT = 20
MIN_SPREAD = 5.0


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def money_like(values: list[str]) -> str | None:
    """Which value rule says these plain numbers are amounts (``cents``, ``rounded``), or None."""
    if len(values) < MIN_DISTINCT:
        return None
    numbers = [float(v) for v in values]
    if sum(1 for n in numbers if n < 0) > 0.1 * len(numbers):
        return None
    positive = sorted(abs(n) for n in numbers if n != 0)
    if len(positive) < MIN_DISTINCT or _quantile(positive, 0.9) < MIN_SPREAD * _quantile(positive, 0.1):
        return None
    places = [len(v.split(".", 1)[1]) if "." in v else 0 for v in values]
    if max(places) <= 2 and sum(1 for p in places if p == 2) >= 0.5 * len(values) and positive[-1] >= 100:
        return "cents"
    whole = [int(n) for n in positive if n.is_integer()]
    if len(whole) == len(positive) and max(places) <= 1 and positive[-1] >= 10_000:
        rounded = sum(1 for n in whole if n % 100 == 0)
        if rounded >= 0.8 * len(whole):
            return "rounded"
    return None


class Amount(Detector):
    kind = "amount"
    role = "sensitive"
    pattern = f"{CURRENCY}|{GROUPED}|{NUMBER}"
    header_words = (
        "amount", "amt", "balance", "price", "cost", "fee", "salary", "income", "revenue", "krw",
        "usd", "금액", "잔액", "가격", "요금", "결제액", "매출", "급여", "연봉", "소득", "수수료",
        "잔고", "머니", "charge", "total_paid", "spend", "wage", "earnings", "debt", "loan",
        "net_worth", "networth", "asset", "deposit", "credit_limit", "savings", "예금", "대출", "부채",
        "자산", "한도", "저축", "적금",
    )  # fmt: skip
    priority = 45

    def matching(self, sample: ColumnSample) -> list[str]:
        valid = super().matching(sample)
        if header_has(sample.name, self.header_words) is not None:
            return valid
        # without a money header: self-evident amounts, or plain numbers distributed like money
        strong = [v for v in pc.filter(sample.distinct, sample.full_match(f"{CURRENCY}|{GROUPED}")).to_pylist() if v]
        if strong:
            return strong
        plain = [v for v in valid if v[-1].isdigit() and "," not in v]
        return plain if len(plain) == len(sample.distinct) and money_like(plain) else []

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        negative = sum(1 for v in valid if v.startswith("-"))
        facts: dict[str, object] = {"negative_share": round(negative / len(valid), 4)}
        if header_has(sample.name, self.header_words) is None:
            plain = all(v[-1].isdigit() and "," not in v and v[0] in "-+0123456789" for v in valid)
            facts["value_rule"] = (money_like(valid) if plain else None) or "currency or grouping"
        return facts
