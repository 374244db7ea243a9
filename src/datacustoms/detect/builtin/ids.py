"""Internal keys that name a person: bank account numbers and customer / member numbers.

Both are digits or short codes that look like any other key, so both need a header word
(계좌번호, account_no / 고객번호, customer_id, user_id, …). A raw internal customer number is a
direct identifier: the sender resolves it in one lookup, and it links every row of a person.
Digest-shaped values in such a column are claimed by the digest detector (higher priority).
"""

from __future__ import annotations

from datacustoms.detect.base import NEGATIVE_WORDS, ColumnSample, Detector


class KoreanBankAccount(Detector):
    kind = "kr_account"
    role = "direct_identifier"
    pattern = r"[0-9]{2,6}-[0-9]{2,6}-[0-9]{2,7}(?:-[0-9]{1,3})?|[0-9]{10,14}"
    header_words = ("계좌", "account_no", "accountno", "account_number", "acct", "bank_account", "입금계좌")
    negative_words = NEGATIVE_WORDS
    needs_header = True
    priority = 65

    def validate(self, value: str) -> bool:
        return 10 <= len(value.replace("-", "")) <= 14


class CustomerId(Detector):
    kind = "customer_id"
    role = "direct_identifier"
    pattern = r"[A-Za-z0-9][A-Za-z0-9_\-:.]{2,63}"
    header_words = (
        "고객번호", "고객id", "회원번호", "회원id", "고객아이디", "회원아이디", "customer_id", "customerid",
        "cust_id", "cust_no", "customer_no", "user_id", "userid", "member_id", "memberid", "member_no",
        "account_id", "accountid", "account_serial", "계정", "kakao_id", "카카오계정", "uid", "client_id",
        "login_id", "아이디",
    )  # fmt: skip
    negative_words = NEGATIVE_WORDS
    needs_header = True
    priority = 20

    def validate(self, value: str) -> bool:
        return any(c.isdigit() for c in value)

    def details(self, sample: ColumnSample, valid: list[str]) -> dict[str, object]:
        numeric = sum(1 for v in valid if v.isdigit())
        return {
            "numeric_share": round(numeric / len(valid), 4),
            "unique_share": round(sample.distinct_count / sample.non_null, 4) if sample.non_null else 0.0,
        }
