"""What a transfer record holds (rule R24), the Korean profile (R34, R36) and the role test (R27).

Two kinds of model live here: what the *policy* says about a transfer (``RecordSpec``, the
``record:`` section of a policy file, validated before any data is touched) and what the *ledger*
keeps after the transfer ran (``TransferRecord``). The record is what a regulator or the person in
the data reads later, so it names what was done honestly: pseudonymised data is called
pseudonymised, never "anonymous" (R30).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RecipientRole = Literal["processor", "controller", "joint_controller"]
Party = Literal["sender", "recipient", "both"]
Control = Literal["sender", "recipient", "joint"]
TransferStatus = Literal["sent", "refused"]

#: PIPA 28-8(1): the five grounds for moving personal information overseas (R36)
OverseasGround = Literal["consent", "law_or_treaty", "contract", "certification", "adequacy"]

#: CIUPA 40-2: records of pseudonymised credit information are kept for three years (R34)
CREDIT_RECORD_YEARS = 3


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleQuestions(_Strict):
    """The three questions of R27 that decide processor vs. provision to a third party.

    Korean Supreme Court 2016도13263 and GDPR Art. 28: a recipient is a processor only if the work
    serves the sender's purpose, the recipient has no interest of its own in it, and it acts under
    the sender's control. Kakao Pay → Alipay failed the second: Alipay built its own NSF model.
    """

    purpose: Party = Field(description="whose purpose does the processing serve?")
    benefit: Party = Field(description="who benefits — does the recipient have an interest of its own?")
    control: Control = Field(description="who decides the means and gives the instructions?")


class RoleAssessment(_Strict):
    """The declared role, the answers, and the role the answers imply."""

    declared: RecipientRole
    questions: RoleQuestions | None
    classified: RecipientRole | None
    consistent: bool
    reason: str


def classify_role(declared: RecipientRole, questions: RoleQuestions | None) -> RoleAssessment:
    """Apply R27: 'processor' only when purpose, benefit and control all lie with the sender."""
    if questions is None:
        if declared == "processor":
            return RoleAssessment(
                declared=declared,
                questions=None,
                classified=None,
                consistent=False,
                reason="recipient declared 'processor' without answering the three R27 questions "
                "(record.role_questions: purpose, benefit, control)",
            )
        return RoleAssessment(
            declared=declared, questions=None, classified=None, consistent=True,
            reason="recipient declared a controller; a provision to a third party needs its own legal basis",
        )
    q = questions
    if q.purpose == "sender" and q.benefit == "sender" and q.control == "sender":
        classified: RecipientRole = "processor"
        why = "the work serves the sender, the recipient has no interest of its own and acts on instructions"
    elif q.control == "joint" or (q.purpose == "both" and q.control != "recipient"):
        classified = "joint_controller"
        why = "purpose or means are decided together"
    else:
        classified = "controller"
        parts = []
        if q.purpose != "sender":
            parts.append("the purpose is shared" if q.purpose == "both" else f"the purpose is the {q.purpose}'s")
        if q.benefit != "sender":
            parts.append(f"the {'recipient' if q.benefit == 'recipient' else 'recipient also'} benefits")
        if q.control != "sender":
            parts.append(f"control lies with the {q.control}")
        why = "; ".join(parts) + " — this is a provision to a third party"
    consistent = not (declared == "processor" and classified != "processor")
    return RoleAssessment(
        declared=declared, questions=q, classified=classified, consistent=consistent, reason=why
    )


class Recipient(_Strict):
    name: str = Field(min_length=1)
    contact: str = Field(min_length=1, description="who answers for the data at the recipient")
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


class OverseasNotice(_Strict):
    """PIPA 28-8(2): the five items a data subject must be told before consenting (R36)."""

    items: str = Field(min_length=1, description="the personal information items transferred")
    country_time_method: str = Field(min_length=1, description="destination country, time and method")
    recipient: str = Field(min_length=1, description="recipient's name and contact")
    purpose_and_retention: str = Field(min_length=1, description="recipient's purpose and retention period")
    refusal: str = Field(min_length=1, description="how to refuse, and what refusing means")


class KoreaProfile(_Strict):
    """Korean record fields: pseudonymised-information records (R34) and overseas grounds (R36)."""

    overseas_ground: OverseasGround | None = Field(
        default=None, description="one of the five PIPA 28-8(1) grounds; required when the country is not KR"
    )
    notice: OverseasNotice | None = Field(default=None, description="required when the ground is consent")
    pseudonym_purpose: str | None = Field(default=None, description="R34: why pseudonymised data is processed")
    pseudonym_use: str | None = Field(default=None, description="R34: what the recipient does with it")
    use_until: date | None = Field(default=None, description="R34: end of the period of use")
    destruction: str | None = Field(default=None, description="R34: how and when it is destroyed")
    credit_data: bool = Field(default=False, description="CIUPA: credit data, records kept 3 years")

    @model_validator(mode="after")
    def _notice_with_consent(self) -> KoreaProfile:
        if self.overseas_ground == "consent" and self.notice is None:
            raise ValueError("korea.overseas_ground 'consent' needs korea.notice with the five PIPA 28-8(2) items")
        return self


class SubjectTable(_Strict):
    """The sender's own table of its customers, from which the subject index of a transfer is built
    whatever the export carries (clear identifiers, digests of them, other IDs)."""

    path: str = Field(min_length=1, description="CSV / Parquet of the sender's customers (relative to the policy)")
    phone: str | None = Field(default=None, description="its phone column (default: detected)")
    email: str | None = Field(default=None, description="its e-mail column (default: detected)")
    rrn: str | None = Field(default=None, description="its resident registration number column (default: detected)")
    customer_id: str | None = Field(default=None, description="its customer ID column (default: detected)")


class IndexSource(_Strict):
    column: str
    how: str = Field(description="e.g. 'clear phone', 'sha256 (hex) of mobile as digits, via the subject table'")
    rows_matched: int
    rows_unmatched: int = 0


class NotIndexed(_Strict):
    column: str
    reason: str


class SubjectCoverage(_Strict):
    """What the subject index of a transfer covers, and what it could not (so lookup never says 'none'
    when it does not know)."""

    sources: list[IndexSource] = Field(default_factory=list)
    not_indexed: list[NotIndexed] = Field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.not_indexed and not any(s.rows_unmatched for s in self.sources)


class RecordSpec(_Strict):
    """The ``record:`` section of a policy: what R24 needs that the protection rules do not say."""

    recipient: Recipient
    role: RecipientRole
    role_questions: RoleQuestions | None = None
    purpose: str = Field(min_length=1)
    legal_basis: str = Field(min_length=1, description="e.g. consent, contract, legitimate_interest, PIPA 17(1)1")
    transfer_mechanism: str | None = Field(
        default=None, description="R25: adequacy, SCC module and date, or a documented derogation"
    )
    sender_country: str = Field(default="KR", min_length=2, max_length=2)
    subject_categories: list[str] = Field(min_length=1)
    key_holder: str = Field(min_length=1, description="who holds the pseudonymisation keys")
    retention_until: date
    subject_columns: list[str] = Field(
        default_factory=list, description="columns holding phone numbers or emails (for consent and lookup)"
    )
    consent: Literal["required", "not_required", "auto"] = Field(
        default="auto", description="auto: required when the legal basis or overseas ground is consent"
    )
    korea: KoreaProfile | None = None
    subject_table: SubjectTable | None = Field(
        default=None, description="the sender's customers table: indexes hashed or other derived identifiers"
    )

    @field_validator("sender_country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    @property
    def consent_required(self) -> bool:
        if self.consent != "auto":
            return self.consent == "required"
        basis = self.legal_basis.strip().lower()
        ground = self.korea.overseas_ground if self.korea else None
        return basis.startswith("consent") or ground == "consent"


class ConsentCounts(_Strict):
    """R28: what the consent check did to this transfer."""

    required: bool
    rows_checked: int = 0
    rows_kept: int = 0
    rows_dropped: int = 0
    no_consent: int = Field(default=0, description="rows whose subject has no consent at all")
    withdrawn: int = Field(default=0, description="rows whose consent was withdrawn before the transfer")
    other_recipient: int = 0
    other_purpose: int = 0
    other_country: int = 0
    not_yet_given: int = Field(default=0, description="rows whose consent starts after the transfer")
    no_identifier: int = Field(default=0, description="rows without a usable phone or email")


class PseudonymEntry(_Strict):
    column: str
    method: str
    key_id: str | None = None


class DatasetInfo(_Strict):
    name: str
    format: str
    sha256: str | None = Field(description="SHA-256 of the output file; None when refused")
    bytes: int | None = None
    rows: int | None = None


class RiskScope(_Strict):
    """Which columns the risk proof treated as quasi-identifiers, and who narrowed the set."""

    quasi_identifiers: list[str]
    declared_by: str = Field(description="the policy's quasi_identifiers list, or its generalised columns")
    left_out: list[str] = Field(default_factory=list, description="input columns the policy left out of the risk")


class FailedCheck(_Strict):
    rule: str
    subject: str
    message: str


class TransferRecord(_Strict):
    """One transfer, as the ledger keeps it (R20, R24, R28, R34, R36)."""

    transfer_id: str
    status: TransferStatus
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    operator: str
    tool_version: str
    recipient: Recipient
    role: RoleAssessment
    purpose: str
    legal_basis: str
    transfer_mechanism: str | None
    sender_country: str
    subject_categories: list[str]
    data_items: list[str] = Field(description="columns that left (empty when refused)")
    pseudonymisation: list[PseudonymEntry] = Field(default_factory=list)
    key_holder: str
    retention_until: date
    record_keep_until: date | None = Field(default=None, description="R34: credit data records, +3 years")
    source_name: str
    source_rows: int
    dataset: DatasetInfo
    subjects_indexed: int = Field(
        description="distinct keyed identifiers (phone, e-mail, RRN, customer ID) in the subject index"
    )
    subject_index_sha256: str = Field(description="commits the keyed-hash subject index to the chain")
    consent: ConsentCounts
    verdict: Literal["pass", "fail"]
    failed_checks: list[FailedCheck] = Field(default_factory=list)
    refusal_reasons: list[str] = Field(default_factory=list)
    report_sha256: str | None = None
    korea: KoreaProfile | None = None
    risk_scope: RiskScope | None = Field(default=None, description="R10: the quasi-identifiers the proof measured")
    subject_index: SubjectCoverage | None = Field(
        default=None, description="what the subject index covers and which columns could not be indexed, and why"
    )
    exposure_sha256: str | None = Field(
        default=None, description="R17: SHA-256 of the exposure fingerprint (keyed sketch of what left, kept beside "
        "the chain in dc_exposure; docs/ledger.md)",
    )
    label: str = Field(
        default="pseudonymised personal data",
        description="R30: what the data is; never 'anonymous' when identifiers were pseudonymised",
    )
