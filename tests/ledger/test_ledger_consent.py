"""Consent import and judgement: withdrawn, other country, other purpose, not yet given, re-import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from datacustoms.errors import InputError
from datacustoms.ledger import LedgerStore
from datacustoms.ledger.consent import import_consents, judge
from datacustoms.ledger.store import Consent

AT = datetime(2025, 6, 1, tzinfo=UTC)


def c(
    countries: tuple[str, ...] = ("SG",),
    purpose: str = "nsf score",
    recipient: str = "alipay",
    given: str = "2024-01-01T00:00:00+00:00",
    withdrawn: str | None = None,
) -> Consent:
    return Consent("x" * 64, recipient, purpose, countries, given, withdrawn)


def test_judge_edge_cases() -> None:
    assert judge([c()], "Alipay", "NSF  Score", "sg", AT) == "ok"
    assert judge([], "Alipay", "NSF score", "SG", AT) == "no_consent"
    assert judge([c(withdrawn="2025-01-01T00:00:00+00:00")], "Alipay", "NSF score", "SG", AT) == "withdrawn"
    assert judge([c(withdrawn="2025-07-01T00:00:00+00:00")], "Alipay", "NSF score", "SG", AT) == "ok"
    assert judge([c(countries=("KR",))], "Alipay", "NSF score", "SG", AT) == "other_country"
    assert judge([c(purpose="marketing")], "Alipay", "NSF score", "SG", AT) == "other_purpose"
    assert judge([c(recipient="apple")], "Alipay", "NSF score", "SG", AT) == "other_recipient"
    assert judge([c(given="2025-07-01T00:00:00+00:00")], "Alipay", "NSF score", "SG", AT) == "not_yet_given"
    # a withdrawn consent does not hide a later, valid one
    both = [c(withdrawn="2025-01-01T00:00:00+00:00"), c(given="2025-02-01T00:00:00+00:00")]
    assert judge(both, "Alipay", "NSF score", "SG", AT) == "ok"


def test_import_stores_only_keyed_hashes_and_reimport_withdraws(ledger_url: str, tmp_path: Path, raw_sql) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "consents.csv"
    f.write_text(
        "phone,email,recipient,purpose,countries,given,withdrawn\n"
        "010-1234-5678,kim@naver.com,Alipay,NSF score,SG|KR,2024-01-01,\n",
        encoding="utf-8",
    )
    with LedgerStore(ledger_url) as store:
        result = import_consents(store, f)
        assert (result.rows, result.new, result.updated) == (2, 2, 0)  # one row per identifier
        token = store.hasher.hash_value("+821012345678")
        assert token is not None
        (consent,) = store.consents_for([token])[token]
        assert consent.countries == ("KR", "SG") and consent.withdrawn is None
    dump = " ".join(str(v) for row in raw_sql("SELECT * FROM dc_consents") for v in row)
    assert "1234" not in dump and "naver" not in dump  # no subject in clear
    f.write_text(
        "phone,recipient,purpose,countries,given,withdrawn\n"
        "01012345678,Alipay,NSF score,SG;KR,2024-01-01,2025-03-01T09:00:00+09:00\n",
        encoding="utf-8",
    )
    with LedgerStore(ledger_url) as store:
        result = import_consents(store, f)
        assert (result.new, result.updated, result.withdrawn) == (0, 1, 1)
        (consent,) = store.consents_for([token])[token]
        assert consent.withdrawn == "2025-03-01T00:00:00+00:00"
        assert judge([consent], "Alipay", "NSF score", "SG", AT) == "withdrawn"
        kinds = [e.kind for e in store.entries()]
        assert kinds == ["consent_import", "consent_import"] and store.verify().ok


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("subject,recipient,purpose,countries\n010-1234-5678,A,B,SG\n", "given"),
        ("subject,recipient,purpose,countries,given\nnot-a-phone,A,B,SG,2024-01-01\n", "row 1"),
        ("subject,recipient,purpose,countries,given\n010-1234-5678,A,B,Singapore,2024-01-01\n", "alpha-2"),
        ("subject,recipient,purpose,countries,given\n010-1234-5678,A,B,SG,yesterday\n", "ISO date"),
    ],
)
def test_bad_consent_files_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "c.csv"
    f.write_text(content, encoding="utf-8")
    with LedgerStore(str(tmp_path / "l.db")) as store:
        with pytest.raises(InputError, match=message) as err:
            import_consents(store, f)
        assert "010-1234-5678" not in str(err.value) and "not-a-phone" not in str(err.value)
        assert store.entries() == []
