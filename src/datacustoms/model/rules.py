"""The rule catalogue: every rule a check can cite, in one plain-language line, with its source.

A :class:`~datacustoms.model.findings.Check` names a rule id; renderers put the explanation next
to it, ``datacustoms rules`` lists the catalogue and ``docs/rules.md`` is generated from it
(``python scripts/gen_schemas.py``). Thresholds marked *engineering* are defaults, not law.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One testable rule: its id, the area it belongs to, what it means, and where it comes from."""

    id: str
    area: str
    explanation: str
    source: str


_A = "Identifiers and pseudonyms"
_B = "Residual risk from the rest of the row"
_C = "Secrets"
_D = "The transfer itself"
_E = "Korea"

RULES: tuple[Rule, ...] = (
    Rule("R1", _A, "a direct identifier (phone, email, RRN, card, account …) in clear lets anyone name the person",
         "EDPB 01/2025, PIPA 28-2, HIPAA 164.514"),
    Rule("R2", _A, "a pseudonym that can be recomputed without a secret (an unkeyed hash) can be reversed "
         "by hashing every candidate", "EDPB 01/2025, ENISA 2019, FTC 2024, AEPD & EDPS 2019"),
    Rule("R3", _A, "how long reversing the pseudonyms takes is measured (keyspace × hash rate), not assumed; "
         "under one CPU-year fails (engineering)", "ENISA 2019"),
    Rule("R4", _A, "only approved primitives (HMAC-SHA-256/512, AES-SIV, FF1, random lookup tables) "
         "may make pseudonyms", "EDPB 01/2025, ENISA 2019"),
    Rule("R5", _A, "a key needs at least 128 bits of entropy; passphrases, names and dates are guessable "
         "(engineering)", "EDPB 01/2025 (example ≈ 119 bits)"),
    Rule("R6", _A, "lookup-table pseudonyms must be random and unique, unrelated to row or identifier order",
         "ENISA 2019"),
    Rule("R7", _A, "a pseudonym must leak nothing: no kept prefixes, suffixes, partial masks or length",
         "ENISA 2019"),
    Rule("R8", _A, "one key per recipient and purpose, so two recipients cannot link their copies",
         "EDPB 01/2025"),
    Rule("R9", _A, "a pseudonym column is sent only when the policy says why it is needed", "EDPB 01/2025"),
    Rule("R10", _B, "someone who knows these columns can single out a person in a group smaller than k "
         "(k ≥ 5 controlled, 11 public, 20 highly sensitive)", "EDPB 01/2025, El Emam, Ontario IPC"),
    Rule("R11", _B, "the chance of re-identifying a record (highest and average) must stay under the limit "
         "(0.09 / 0.075 / 0.05 by sensitivity)", "Ontario IPC, ISO/IEC 27559"),
    Rule("R12", _B, "people in the same group must not all share one sensitive value "
         "(l-diversity, t-closeness, one value ≥ 90%)", "ENISA 2019, ISO/IEC 20889"),
    Rule("R13", _B, "rare values and near-unique columns point at single people", "HIPAA 164.514, EDPB 01/2025"),
    Rule("R14", _B, "a few points of a person's trace (time, place, amount) can single them out",
         "ENISA 2019, EDPB 01/2025, de Montjoye et al. 2015"),
    Rule("R15", _B, "the HIPAA Safe Harbor profile: year-only dates, ages 90+ grouped, ZIP3 allow-list",
         "HIPAA 45 CFR 164.514(b)(2)"),
    Rule("R16", _B, "records that join one-to-one with auxiliary data the recipient may hold are re-identified",
         "ISO/IEC 27559, NIST SP 800-188"),
    Rule("R17", _B, "risk counts everything one recipient has received, not one release alone",
         "EDPB 01/2025, ENISA 2019"),
    Rule("R18", _C, "keys and mapping tables never travel with the data", "ENISA 2019, EDPB 01/2025, PIPA Decree 29-5"),
    Rule("R20", _C, "every pseudonymisation and reversal is logged in an append-only, hash-chained record",
         "EDPB 01/2025, ENISA 2019"),
    Rule("R21", _C, "weak algorithms can be replaced and keys rotated", "EDPB 01/2025"),
    Rule("R22", _C, "destruction of data and keys is recorded", "PIPA 28-4"),
    Rule("R24", _D, "the transfer record is complete: recipient, role, country, purpose, legal basis, items, "
         "method, retention, digest", "GDPR Art. 30, PIPA 28-8, PIPA Decree 29-5"),
    Rule("R25", _D, "a transfer to a third country needs adequacy, a recorded safeguard or a documented derogation",
         "GDPR Art. 44–49"),
    Rule("R27", _D, "the recipient is a processor only if it works for the sender, under its control, "
         "with no interest of its own", "GDPR Art. 28, PIPA 17/26, Korean Supreme Court 2016도13263"),
    Rule("R28", _D, "every person sent has a valid, unwithdrawn consent for this recipient, purpose and country",
         "GDPR Art. 7/49, PIPA 17, 28-8"),
    Rule("R29", _D, "only the columns approved for the purpose are sent", "GDPR Art. 5(1)(c)"),
    Rule("R30", _D, "hashed or pseudonymised data is never called anonymous", "FTC 2024, EDPB 01/2025, GDPR Recital 26"),
    Rule("R31", _D, "identifiability is judged with the recipient's own means (auxiliary data, key access) too",
         "CJEU C-413/23 P (SRB, 2025)"),
    Rule("R32", _E, "consent-free pseudonymised processing only for statistics, research or public-interest archiving",
         "PIPA 28-2, CIUPA"),
    Rule("R33", _E, "combining with a partner's data goes through a designated combination agency", "PIPA 28-3"),
    Rule("R34", _E, "pseudonymised-information records keep purpose, items, use, recipient, period and destruction "
         "(3 years for credit data)", "PIPA 28-4, CIUPA 40-2"),
    Rule("R35", _E, "an appropriateness review precedes provision, by a reviewer other than the operator",
         "PIPC pseudonymisation guideline"),
    Rule("R36", _E, "an overseas transfer names one of the five PIPA 28-8(1) grounds; with consent, the five "
         "28-8(2) items were notified", "PIPA 28-8"),
)

BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def explain(rule_id: str) -> str:
    """The plain-language line of ``rule_id``, or an empty string for an id outside the catalogue."""
    rule = BY_ID.get(rule_id)
    return rule.explanation if rule is not None else ""


def rules_markdown() -> str:
    """``docs/rules.md``: every rule with its explanation and source, grouped by area."""
    lines = [
        "# Rules",
        "",
        "Every check datacustoms reports cites one of these rules. Generated from",
        "`src/datacustoms/model/rules.py` by `python scripts/gen_schemas.py`; do not edit by hand.",
        "Thresholds marked *engineering* are defaults, not law; they are configurable.",
    ]
    area = ""
    for rule in RULES:
        if rule.area != area:
            area = rule.area
            lines += ["", f"## {area}", "", "| id | what it means | source |", "| --- | --- | --- |"]
        lines.append(f"| {rule.id} | {rule.explanation} | {rule.source} |")
    return "\n".join(lines) + "\n"
