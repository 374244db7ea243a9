"""The terms of a transfer: the policy's ``record:`` section and the checks judged before a row is read.

A transfer's record says to whom, why, on what ground and under which role the data leaves; the
checks here (R25 third-country ground, R27 role, R28 consent possible, R34 Korean pseudonymised
information record, R36 PIPA 28-8) judge those terms alone. The transfer flow
(:mod:`datacustoms.flows.transfer`) runs them first and refuses before any row is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from datacustoms.errors import PolicyError
from datacustoms.ledger.model import RecordSpec, RiskScope, classify_role
from datacustoms.policy import parse_policy

#: actions whose output is pseudonymised with a key (the record names the key)
KEYED = frozenset({"pseudonymize", "tokenize", "fpe", "shift_dates"})
#: words that state no transfer mechanism at all
_NO_ANSWER = frozenset({"", "none", "n/a", "na", "-", "null", "no", "tbd", "unknown"})


@dataclass
class TransferCheck:
    rule: str
    subject: str
    status: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "subject": self.subject, "status": self.status, "message": self.message}


def load_transfer_policy(path: str | os.PathLike[str]) -> tuple[Any, RecordSpec]:
    """The protection policy and its ``record:`` section, both validated before data is read.

    The ``record:`` section is taken out before the policy proper is validated, so the policy
    model stays the protection contract; recipient name, country, purpose, legal basis and role
    come from the policy's top level when it states them.
    """
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"policy file {str(path)!r} not found", "check the path")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise PolicyError(f"{path.name} is not valid YAML{where}", "fix the syntax") from None
    if not isinstance(data, dict):
        raise PolicyError("a policy must be a mapping", "see docs/policy.md")
    record = data.pop("record", None)
    policy = parse_policy(data, base_dir=path.parent.resolve())
    return policy, record_spec(policy, record)


def record_spec(policy: Any, record: Any) -> RecordSpec:
    """Merge the policy's transfer fields with its ``record:`` section into one :class:`RecordSpec`."""
    if record is None:
        raise PolicyError(
            "the policy has no record: section, so the transfer record would be incomplete (R24)",
            "add record: with contact, role_questions, subject_categories, key_holder, retention_until "
            "(see docs/ledger.md)",
        )
    if not isinstance(record, dict):
        raise PolicyError("record: must be a mapping", "see docs/ledger.md")
    rec = dict(record)
    role = policy.role or rec.get("role")
    if role == "joint":
        role = "joint_controller"
    for name, ours in (("country", policy.recipient_country), ("role", policy.role),
                       ("legal_basis", policy.legal_basis)):
        theirs = rec.get(name)
        if theirs is not None and ours is not None and str(theirs).upper() != str(ours).upper() and not (
            name == "role" and {theirs, ours} == {"joint", "joint_controller"}
        ):
            raise PolicyError(f"record.{name} {theirs!r} contradicts the policy's {ours!r}",
                              f"state {name} once, at the policy's top level")
    merged = {
        **{k: v for k, v in rec.items() if k not in ("country", "contact", "role", "legal_basis")},
        "recipient": {"name": policy.recipient, "contact": rec.get("contact"),
                      "country": policy.recipient_country or rec.get("country")},
        "role": role,
        "purpose": policy.purpose,
        "legal_basis": policy.legal_basis or rec.get("legal_basis"),
    }
    try:
        return RecordSpec.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        top = {"recipient.country": "recipient_country", "role": "role", "legal_basis": "legal_basis"}
        where = "recipient_country" if loc == "recipient.country" else top.get(loc, f"record.{loc}")
        if loc == "recipient.contact":
            where = "record.contact"
        if err.get("type") == "missing" or (err.get("type") == "string_type" and err.get("input") is None):
            raise PolicyError(f"the transfer record needs {where} (R24)", "add it to the policy (see docs/ledger.md)") from None
        if err.get("type") == "extra_forbidden":
            raise PolicyError(f"unknown option {where!r} in the record section", "see docs/ledger.md") from None
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise PolicyError(f"{where}: {msg}", "fix the policy (see docs/ledger.md)") from None


def term_checks(policy: Any, spec: RecordSpec, subject_columns: list[str]) -> list[TransferCheck]:
    """The transfer's own terms, judged before any row is read (R25, R27, R28, R34, R36)."""
    checks: list[TransferCheck] = []
    role = classify_role(spec.role, spec.role_questions)
    checks.append(TransferCheck("R27", "recipient role", "pass" if role.consistent else "fail",
                                f"declared {role.declared}; "
                                + (f"the answers make it a {role.classified}: " if role.classified else "")
                                + role.reason))
    country = spec.recipient.country
    abroad = country != spec.sender_country
    if abroad:
        korea_ground = spec.korea.overseas_ground if spec.korea else None
        mechanism = spec.transfer_mechanism
        if mechanism is not None and mechanism.strip().lower() in _NO_ANSWER:
            mechanism = None
        if mechanism or korea_ground:
            checks.append(TransferCheck("R25", f"transfer to {country}", "pass",
                                        f"recorded ground: {mechanism or korea_ground}"))
        else:
            checks.append(TransferCheck("R25", f"transfer to {country}", "fail",
                                        "a transfer abroad needs adequacy, a safeguard (SCC module and date) or "
                                        "a documented derogation in record.transfer_mechanism"))
        if spec.sender_country == "KR":
            if korea_ground is None:
                checks.append(TransferCheck("R36", f"transfer to {country}", "fail",
                                            "PIPA 28-8(1): name one of the five grounds in record.korea.overseas_ground "
                                            "(consent, law_or_treaty, contract, certification, adequacy)"))
            else:
                checks.append(TransferCheck("R36", f"transfer to {country}", "pass",
                                            f"PIPA 28-8(1) ground: {korea_ground}"
                                            + ("; the five 28-8(2) items were notified" if spec.korea and
                                               spec.korea.notice else "")))
    keyed = [n for n, a in policy.columns.items() if a.action in KEYED]
    if spec.korea is not None and keyed:
        missing = [f for f in ("pseudonym_purpose", "pseudonym_use", "use_until", "destruction") if getattr(spec.korea, f) is None]
        if missing:
            checks.append(TransferCheck("R34", "pseudonymised-information record", "fail",
                                        f"PIPA 28-4: record.korea needs {', '.join(missing)}"))
        else:
            checks.append(TransferCheck("R34", "pseudonymised-information record", "pass",
                                        "purpose, items, use, recipient, period and destruction recorded"))
    if spec.consent_required and not subject_columns:
        checks.append(TransferCheck("R28", "consent", "fail",
                                    "consent is required but no phone or email column identifies the subjects; "
                                    "name them in record.subject_columns"))
    return checks


def risk_scope(policy: Any, columns: list[str]) -> RiskScope:
    """The policy's narrowing of the quasi-identifiers, for the record (what R10 was judged on)."""
    qi = policy.qi_columns()
    declared = "quasi_identifiers" if policy.quasi_identifiers is not None else "generalised columns"
    return RiskScope(quasi_identifiers=qi, declared_by=declared, left_out=[c for c in columns if c not in qi])




#: the marker on every value ``record_template`` invents; ``transfer`` notes it when one is left
DEMO_MARK = "# DEMO"


def record_template(policy: Any, *, today: date | None = None) -> str:
    """The transfer terms a suggested policy lacks, as commented YAML to append to it.

    Every value is a demonstration value marked ``# DEMO`` (a domestic transfer to a processor
    under a contract, which ``transfer`` accepts) so the policy runs end to end; each must be
    replaced with the real terms before a real transfer. Top-level fields the policy already
    states (``recipient_country``, ``legal_basis``, ``role``) are not repeated.
    """
    day = today or date.today()
    until = (day + timedelta(days=365)).isoformat()
    keyed = [n for n, a in policy.columns.items() if a.action in KEYED]
    lines = [
        "",
        "# --- the transfer terms, read by `datacustoms transfer` (rules R24-R36; docs/ledger.md) ---",
        f"# Values marked {DEMO_MARK} are demonstration values: replace every one with your real terms",
        "# before a real transfer. `protect` keeps this section for the record only.",
    ]
    if policy.recipient_country is None:
        lines.append(f"recipient_country: KR   {DEMO_MARK} two-letter country of the recipient; "
                     "abroad needs record.transfer_mechanism and record.korea.overseas_ground")
    if policy.legal_basis is None:
        lines.append(f"legal_basis: contract   {DEMO_MARK} consent | contract | legitimate_interest | PIPA 17(1)1 ...")
    if policy.role is None:
        lines.append(f"role: processor         {DEMO_MARK} processor | controller | joint (R27)")
    lines += [
        "record:",
        f"  contact: dpo@recipient.example   {DEMO_MARK} who answers for the data at the recipient",
        "  role_questions:                  # R27: a processor only when all three answers are sender",
        f"    purpose: sender                {DEMO_MARK} whose purpose does the work serve: sender | recipient | both",
        f"    benefit: sender                {DEMO_MARK} who benefits: sender | recipient | both",
        f"    control: sender                {DEMO_MARK} who decides the means: sender | recipient | joint",
        "  # transfer_mechanism: SCC 2021/914 module 2, signed 2024-01-10   # R25: needed when abroad",
        "  sender_country: KR",
        f"  subject_categories: [customers]  {DEMO_MARK} whose data this is",
        f"  key_holder: sender               {DEMO_MARK} who holds the pseudonymisation keys",
        f"  retention_until: {until}       {DEMO_MARK} when the recipient must delete the data",
        "  # subject_columns: [phone, email] # default: columns detected as phone / email (consent, lookup)",
        "  # subject_table: {path: customers.csv}   # the sender's customers: lets `ledger lookup` find hashed IDs",
        "  consent: auto                    # required | not_required | auto (= legal basis or ground is consent)",
        "  korea:                           # R34 / R36: the Korean profile",
        "    # overseas_ground: contract     # R36, abroad: consent | law_or_treaty | contract | certification | adequacy",
        "    # notice: {items: ..., country_time_method: ..., recipient: ..., purpose_and_retention: ..., refusal: ...}",
    ]
    need = "needed: keyed pseudonyms in the policy" if keyed else "needed once the policy keys a column"
    lines += [
        f"    pseudonym_purpose: {_scalar(policy.purpose)}   {DEMO_MARK} R34 ({need})",
        f"    pseudonym_use: analysis by the recipient   {DEMO_MARK} R34: what the recipient does with it",
        f"    use_until: {until}          {DEMO_MARK} R34: end of the period of use",
        f"    destruction: deleted at the end of use   {DEMO_MARK} R34: how and when it is destroyed",
        "    credit_data: false             # true: CIUPA credit data, records kept three years",
    ]
    return "\n".join(lines) + "\n"


def _scalar(text: str) -> str:
    """``text`` as one YAML scalar on one line."""
    return yaml.safe_dump(text, default_flow_style=True, allow_unicode=True, width=10_000).strip().removesuffix("\n...").strip()
