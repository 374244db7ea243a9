"""transfer = terms + consent + protect + prove + record, on both ledger backends."""

from __future__ import annotations

import hashlib
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from datacustoms.errors import PolicyError
from datacustoms.flows.transfer import run_transfer
from datacustoms.ledger import LedgerStore
from datacustoms.ledger.chain import canonical_json
from datacustoms.ledger.consent import import_consents

INPUT = """phone,email,age,region,balance
010-1234-5678,a@naver.com,34,Seoul,100
010-2222-3333,b@gmail.com,35,Seoul,200
01044445555,c@kakao.com,36,Busan,300
+82 10-6666-7777,d@daum.net,37,Busan,400
010-8888-9999,e@nate.com,38,Seoul,500
"""

CONSENTS = """subject,recipient,purpose,countries,given,withdrawn
010-1234-5678,Alipay Singapore,NSF score,SG,2024-01-01,
b@gmail.com,alipay  singapore,NSF Score,SG;KR,2024-01-01,
01044445555,Alipay Singapore,NSF score,SG,2024-01-01,2025-01-01
+821066667777,Alipay Singapore,NSF score,KR,2024-01-01,
010-8888-9999,Alipay Singapore,marketing,SG,2024-01-01,
"""

RECORD = """
record:
  contact: dpo@alipay.example
  role_questions: {purpose: sender, benefit: BENEFIT, control: sender}
  transfer_mechanism: consent (GDPR 49(1)(a))
  subject_categories: [payment customers]
  key_holder: sender
  retention_until: 2027-12-31
  korea:
    overseas_ground: consent
    notice: {items: phone, country_time_method: SG daily, recipient: Alipay, purpose_and_retention: NSF 1y, refusal: settings}
    pseudonym_purpose: NSF score
    pseudonym_use: scoring the risk of non-sufficient funds per customer
    use_until: 2027-12-31
    destruction: deleted at the end of use
    credit_data: true
"""


def write_policy(
    folder: Path, *, k: int = 1, benefit: str = "sender", extra: str = "", record: bool = True, country: str = "SG"
) -> Path:
    text = (
        textwrap.dedent(f"""
        recipient: Alipay Singapore
        recipient_country: {country}
        purpose: NSF score
        legal_basis: consent
        role: processor
        key: env:DC_TEST_TRANSFER_KEY
        default_action: drop
        columns:
          phone: {{action: pseudonymize, normalize: digits}}
          email: drop
          age: {{action: generalize, method: age, width: 10}}
          region: keep
          balance: keep
        thresholds: {{k: {k}, max_risk: 1.0}}
    """)
        + (RECORD.replace("BENEFIT", benefit) if record else "")
        + extra
    )
    path = folder / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: str) -> Path:
    monkeypatch.setenv("DC_TEST_TRANSFER_KEY", "520d2ed6a1cc4cb307b27fbebba02bcb7e0140e54dd0baa7523542b1e24b61d0")
    (tmp_path / "in.csv").write_text(INPUT, encoding="utf-8")
    (tmp_path / "consents.csv").write_text(CONSENTS, encoding="utf-8")
    with LedgerStore(ledger_url) as store:
        import_consents(store, tmp_path / "consents.csv")
    return tmp_path


def lookup(url: str, value: str) -> list[str]:
    with LedgerStore(url) as store:
        token = store.hasher.hash_value(value)
        assert token is not None
        return [e.body["transfer_id"] for e in store.lookup(token)]


def test_sent_transfer_is_recorded_with_consent_counts(work: Path, ledger_url: str) -> None:
    out = work / "out.csv"
    outcome = run_transfer(str(work / "in.csv"), write_policy(work), out, ledger=ledger_url, attack=False)
    r = outcome.record
    assert r.status == "sent" and out.is_file() and not outcome.refused
    assert r.dataset.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert r.dataset.rows == 2 and r.source_rows == 5
    assert r.report_sha256 == hashlib.sha256(canonical_json(outcome.verification()).encode()).hexdigest()
    c = r.consent
    assert (c.rows_kept, c.rows_dropped, c.withdrawn, c.other_country, c.other_purpose) == (2, 3, 1, 1, 1)
    assert r.data_items == ["phone", "age", "region", "balance"]
    assert r.pseudonymisation and r.pseudonymisation[0].column == "phone" and r.pseudonymisation[0].key_id
    assert r.role.classified == "processor" and r.label == "pseudonymised personal data"
    assert r.record_keep_until is not None and r.record_keep_until.year == r.created.year + 3
    # the policy narrowed the quasi-identifiers to its generalised column: recorded, with what it left out
    assert r.risk_scope is not None and r.risk_scope.quasi_identifiers == ["age"]
    assert r.risk_scope.declared_by == "generalised columns" and "region" in r.risk_scope.left_out
    assert "010-1234-5678" not in out.read_text() and "naver" not in out.read_text()
    assert not [p for p in work.iterdir() if p.name.startswith(".out.csv")]  # staging removed
    with LedgerStore(ledger_url) as store:
        assert store.verify().ok
    # "where did my data go?": exactly the consenting subjects, in any phone format
    tid = r.transfer_id
    assert lookup(ledger_url, "+82 10 1234 5678") == [tid]
    assert lookup(ledger_url, "B@Gmail.com ") == [tid]
    assert lookup(ledger_url, "010-2222-3333") == [tid]  # same row as b@gmail.com: that row left
    for absent in ("010-4444-5555", "010-6666-7777", "010-8888-9999", "d@daum.net"):
        assert lookup(ledger_url, absent) == [], absent


def test_consent_judged_at_the_transfer_time(work: Path, ledger_url: str) -> None:
    before_withdrawal = datetime(2024, 6, 1, tzinfo=UTC)
    outcome = run_transfer(
        str(work / "in.csv"), write_policy(work), work / "o.csv", ledger=ledger_url, attack=False, at=before_withdrawal
    )
    assert outcome.record.consent.rows_kept == 3 and outcome.record.consent.withdrawn == 0
    assert outcome.record.transfer_id in lookup(ledger_url, "01044445555")
    too_early = datetime(2023, 6, 1, tzinfo=UTC)
    outcome = run_transfer(
        str(work / "in.csv"),
        write_policy(work),
        work / "o2.csv",
        ledger=ledger_url,
        attack=False,
        at=too_early,
        strict=True,
    )
    assert outcome.refused and outcome.record.consent.not_yet_given == 3 and not (work / "o2.csv").exists()


def test_other_recipient_has_no_consent(work: Path, ledger_url: str) -> None:
    policy = write_policy(work)
    policy.write_text(policy.read_text().replace("recipient: Alipay Singapore", "recipient: Apple"))
    outcome = run_transfer(str(work / "in.csv"), policy, work / "o.csv", ledger=ledger_url, attack=False, strict=True)
    assert outcome.refused and outcome.record.consent.other_recipient == 5


def test_strict_refuses_and_records(work: Path, ledger_url: str) -> None:
    out = work / "out.csv"
    outcome = run_transfer(str(work / "in.csv"), write_policy(work), out, ledger=ledger_url, attack=False, strict=True)
    assert outcome.refused and not out.exists()
    assert outcome.record.consent.rows_dropped == 3 and outcome.record.dataset.sha256 is None
    with LedgerStore(ledger_url) as store:
        last = store.entries("transfer")[-1]
        assert last.body["status"] == "refused" and store.verify().ok
        assert store.subject_tokens(last.seq) == []  # nothing left, nobody indexed


def test_processor_with_its_own_benefit_is_refused(work: Path, ledger_url: str) -> None:
    out = work / "out.csv"
    outcome = run_transfer(
        str(work / "in.csv"), write_policy(work, benefit="recipient"), out, ledger=ledger_url, attack=False
    )
    assert outcome.refused and not out.exists()
    assert outcome.record.role.classified == "controller" and not outcome.record.role.consistent
    assert any(f.rule == "R27" for f in outcome.record.failed_checks)


def test_processor_without_answers_is_refused(work: Path, ledger_url: str) -> None:
    policy = write_policy(work)
    policy.write_text(
        policy.read_text().replace("  role_questions: {purpose: sender, benefit: sender, control: sender}\n", "")
    )
    outcome = run_transfer(str(work / "in.csv"), policy, work / "o.csv", ledger=ledger_url, attack=False)
    assert outcome.refused and any(f.rule == "R27" for f in outcome.record.failed_checks)


def test_abroad_without_a_ground_is_refused(work: Path, ledger_url: str) -> None:
    policy = write_policy(work)
    text = policy.read_text().replace("  transfer_mechanism: consent (GDPR 49(1)(a))\n", "")
    text = text.split("  korea:")[0]
    policy.write_text(text)
    outcome = run_transfer(str(work / "in.csv"), policy, work / "o.csv", ledger=ledger_url, attack=False)
    rules = {f.rule for f in outcome.record.failed_checks}
    assert outcome.refused and {"R25", "R36"} <= rules


def test_korean_profile_needs_the_pseudonym_record(work: Path, ledger_url: str) -> None:
    policy = write_policy(work)
    policy.write_text(policy.read_text().replace("    destruction: deleted at the end of use\n", ""))
    outcome = run_transfer(str(work / "in.csv"), policy, work / "o.csv", ledger=ledger_url, attack=False)
    assert outcome.refused and [f.rule for f in outcome.record.failed_checks] == ["R34"]


def test_failed_proof_is_refused_and_leaves_nothing(work: Path, ledger_url: str) -> None:
    out = work / "out.csv"
    outcome = run_transfer(str(work / "in.csv"), write_policy(work, k=5), out, ledger=ledger_url, attack=False)
    assert outcome.refused and not out.exists()
    assert any("R10" in reason for reason in outcome.record.refusal_reasons)
    assert [p.name for p in work.iterdir() if p.name.startswith(".")] == []


def test_policy_without_record_section_records_nothing(work: Path, ledger_url: str) -> None:
    with pytest.raises(PolicyError, match="record"):
        run_transfer(str(work / "in.csv"), write_policy(work, record=False), work / "o.csv", ledger=ledger_url)
    with LedgerStore(ledger_url) as store:
        assert store.entries("transfer") == []


def test_lookup_finds_exactly_the_transfers_that_included_a_subject(work: Path, ledger_url: str) -> None:
    first = run_transfer(str(work / "in.csv"), write_policy(work), work / "a.csv", ledger=ledger_url, attack=False)
    second_in = work / "in2.csv"
    second_in.write_text("\n".join(INPUT.splitlines()[:2]) + "\n", encoding="utf-8")  # only 010-1234-5678
    second = run_transfer(str(second_in), write_policy(work), work / "b.csv", ledger=ledger_url, attack=False)
    ids = (first.record.transfer_id, second.record.transfer_id)
    assert lookup(ledger_url, "010-1234-5678") == list(ids)
    assert lookup(ledger_url, "b@gmail.com") == [ids[0]]
    assert lookup(ledger_url, "010-0000-0000") == []


def test_suppressed_rows_are_not_in_the_subject_index(work: Path, ledger_url: str) -> None:
    source = work / "with_outlier.csv"
    source.write_text(INPUT + "010-7777-1111,old@naver.com,91,Seoul,600\n", encoding="utf-8")
    policy = write_policy(work, k=2, extra="suppression: {max_share: 0.5}\n")
    text = policy.read_text().replace("legal_basis: consent", "legal_basis: contract")
    policy.write_text(text.replace("record:\n", "record:\n  consent: not_required\n"))
    outcome = run_transfer(str(source), policy, work / "o.csv", ledger=ledger_url, attack=False)
    assert outcome.record.status == "sent" and outcome.record.dataset.rows == 5
    assert outcome.protect.suppressed_rows == 1
    assert outcome.record.subjects_indexed == 10  # 5 rows left, each with a phone and an email
    tid = outcome.record.transfer_id
    assert lookup(ledger_url, "010-7777-1111") == [] and lookup(ledger_url, "old@naver.com") == []
    assert lookup(ledger_url, "010-8888-9999") == [tid]  # no consent needed here: it left
    with LedgerStore(ledger_url) as store:
        assert store.verify().ok
