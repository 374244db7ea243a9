"""The demo flow: the Kakao Pay → Alipay case in miniature, told by running the real stages.

Generates the scenario, inspects the daily export as the recipient would (blind reversal of the
"encrypted" identifiers, linkage of e-mails with the recipient's own customer list), inspects the
rest of the row for residual risk, measures how unique transaction traces are, then protects the
export by a suggested policy and checks it again. Every figure printed is computed in the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

from datacustoms.attack.api import attack_column
from datacustoms.attack.text import human_seconds
from datacustoms.flows.inspect import inspect
from datacustoms.flows.protect import protect_and_prove
from datacustoms.flows.transfer import run_transfer
from datacustoms.io import read
from datacustoms.io.atomic import atomic_path, atomic_write_text
from datacustoms.io.series import ReleaseFile, ReleaseSeries, key_from_path
from datacustoms.ledger.store import LedgerStore
from datacustoms.model.report import Report
from datacustoms.model.series import SeriesResult
from datacustoms.policy import dump_policy
from datacustoms.protect.keys import Keystore
from datacustoms.protect.suggest import suggest_policy
from datacustoms.report.html import render_html
from datacustoms.risk.series import analyse_series
from datacustoms.risk.unicity import unicity
from datacustoms.synth.kakaopay import generate_kakaopay

Say = Callable[[str], None]
KAKAO_CUSTOMERS = 40_450_000
SNAPSHOT_COLUMNS = ("balance_category", "topup_7d", "withdrawal_7d", "payment_7d", "remittance_7d", "card_count")


@dataclass
class DemoResult:
    """What the demo found, for tests and for the closing summary."""

    folder: Path
    export_report: Report
    internal_report: Report
    phone_reversed_share: float
    account_reversed_share: float
    email_linked_share: float
    files: dict[str, Path] = field(default_factory=dict)


def run_demo(out: Path, *, customers: int = 2_000, days: int = 3, seed: int = 2018, budget: float = 60.0,
             say: Say = print, force: bool = False) -> DemoResult:  # fmt: skip
    """Run the whole story into ``out`` and narrate it through ``say``."""
    say("datacustoms demo — the Kakao Pay → Alipay case (2018–2024), in miniature")
    manifest = generate_kakaopay(out, customers=customers, days=days, seed=seed, force=force)
    export_path = manifest.exports[0]
    say(
        f"1. Generated {customers:,} customers, their payment events and {days} daily export(s) "
        f"into {out}. Each export row carries SHA-256 of the phone, e-mail and account serial — "
        "no salt, no key, as in the case."
    )
    report = inspect(export_path, attack_budget=budget)
    by_column = {a.column: a for a in report.attacks}
    phone = by_column.get("phone_sha256")
    account = by_column.get("account_sha256")
    say("2. What the recipient can compute from the export alone:")
    for attack in (phone, account):
        if attack is None:
            continue
        recipe = f" — recipe: {attack.recipe}" if attack.recipe else ""
        say(
            f"   {attack.column}: {attack.rows_reversed_share:.0%} of rows reversed in "
            f"{human_seconds(attack.seconds)}{recipe}; examples {', '.join(attack.examples[:2]) or 'none'}"
        )
    if phone is not None and phone.candidates_per_second:
        whole = 1e8 / phone.candidates_per_second
        say(
            f"   At this machine's {phone.candidates_per_second / 1e6:,.0f} M candidates/s the whole Korean "
            f"010 range takes {human_seconds(whole)} — for {KAKAO_CUSTOMERS:,} customers as for {customers:,}."
        )

    known = _recipient_list(manifest.customers_csv, out / "recipient_customers.csv", share=0.2, seed=seed)
    linked = attack_column(read(export_path), "email_sha256", known=read(known), budget_s=budget)
    say(
        f"   email_sha256: e-mail hashes cannot be enumerated, but the recipient's own customer list "
        f"({_rows(known):,} addresses) links {linked.rows_reversed_share:.0%} of rows (linkage mode) — "
        "matching was the purpose of the transfer."
    )

    _tell_risk(report, manifest, customers=customers, seed=seed, say=say)

    internal = inspect(manifest.customers_csv, attack=False, measure=False)
    clear = [f"{f.column} ({f.kind})" for f in internal.findings if f.role == "direct_identifier"]
    say(f"5. The sender's internal table holds in clear: {', '.join(clear)} — it must never leave as is.")

    proof_lines, transfer = _protect_and_record(out, export_path, budget=budget)
    say("6. The fix: a suggested policy (keyed HMAC pseudonym for the join key, other keys dropped, "
        "quasi-identifiers generalised to k ≥ 5), applied and checked again with the same tests:")  # fmt: skip
    for line in proof_lines:
        say(f"   {line}")
    say(
        "7. The transfer as it was declared — Alipay a mere 'processor', though the score served its own "
        f"model — is {'REFUSED' if transfer.refused else 'sent'} and recorded"
        + (f" ({'; '.join(transfer.record.refusal_reasons[:1])})" if transfer.refused else "")
        + f"; ledger entry {transfer.entry.seq}, chain verified."
    )

    files = {"export_report": out / "export-report.json", "export_html": out / "export-report.html"}
    atomic_write_text(files["export_report"], report.to_json())
    atomic_write_text(files["export_html"], render_html(report))
    say(f"Verdict on the export: {report.verdict.upper()} — reports written to {files['export_report'].name} "
        f"and {files['export_html'].name}.")  # fmt: skip
    return DemoResult(
        folder=out,
        export_report=report,
        internal_report=internal,
        phone_reversed_share=phone.rows_reversed_share if phone else 0.0,
        account_reversed_share=account.rows_reversed_share if account else 0.0,
        email_linked_share=linked.rows_reversed_share,
        files=files,
    )


def _tell_risk(report: Report, manifest: Any, *, customers: int, seed: int, say: Say) -> None:
    """Steps 3 and 4: what the rest of the row and the payment traces single out."""
    risk = report.risk
    if risk is not None:
        share = risk.records_below_k / risk.rows if risk.rows else 0.0
        say(
            f"3. Without any identifier, the other columns ({', '.join(risk.qi)}) still single people out: "
            f"k = {risk.k}, {share:.0%} of rows in classes smaller than {risk.thresholds.k}, "
            f"{risk.sample_uniques:,} unique rows."
        )
    trace = unicity(read(manifest.events_parquet), "account_id", "ts", place="merchant", amount="amount_krw",
                    amount_bins=10, time_granularity="day", sample_people=min(customers, 5_000), seed=seed)  # fmt: skip
    points = ", ".join(f"{p.p} point(s): {p.epsilon:.0%}" for p in trace.points if p.eligible)
    say(f"4. Payment traces (day, merchant, amount band): share of people singled out by {points}.")
    if len(manifest.exports) > 1:
        daily = daily_snapshot_unicity(manifest.exports, seed=seed)
        daily_points = daily.unicity.points if daily.unicity else []
        shares = ", ".join(f"{p.p} day(s): {p.epsilon:.0%}" for p in daily_points if p.eligible)
        say(
            f"   The daily exports share one hash per person ({daily.link}: {daily.traceable:,} of "
            f"{daily.people:,} people traceable across {daily.releases} days), so they join into a trace; the "
            f"share of people whose (day, balance band, 7-day counts) snapshots single them out — {shares}. "
            "A keyed pseudonym that never changes links the days just the same (rotate: daily breaks it)."
        )


def daily_snapshot_unicity(exports: list[Path], *, seed: int = 0) -> SeriesResult:
    """The daily exports as the recipient holds them (R17), through the series measure: the
    linking column is found (the account hash), one point = (day, balance band, 7-day counts)."""
    files = [ReleaseFile(path, key) for path in exports
             for key, _origin in [key_from_path(path, path.parent)]]  # fmt: skip
    series = ReleaseSeries(source=str(exports[0].parent), files=files, format="csv")
    return analyse_series(series, profile=list(SNAPSHOT_COLUMNS), max_points=min(len(exports), 8),
                          sample_people=5_000, seed=seed, growth=False)  # fmt: skip


def _protect_and_record(out: Path, export_path: Path, *, budget: float) -> tuple[list[str], Any]:
    """Suggest a policy, protect the export with a demo key, prove it; then attempt the transfer
    with the role Kakao Pay claimed, which the R27 questions refuse, and record it."""
    keystore = out / "keys" / "keystore.json"
    keystore.parent.mkdir(exist_ok=True)
    store = Keystore(keystore)
    if not any(k.name == "demo" for k in store.list()):  # a rerun with --force keeps its key
        store.create("demo")
    table = read(export_path)
    suggestion = suggest_policy(table, k=5, recipient="Alipay Singapore", purpose="NSF score", key="demo",
                                policy_dir=out)  # fmt: skip
    policy = suggestion.policy
    policy_path = out / "policy.yaml"
    atomic_write_text(policy_path, dump_policy(policy))
    safe = out / "export-protected.csv"
    proof = protect_and_prove(table, policy, safe, keystore=keystore, attack_budget=budget / 2).proof
    assert proof is not None  # an output was written, so it was proven

    declared = yaml.safe_load(policy_path.read_text(encoding="utf-8"))
    declared.update(recipient_country="SG", legal_basis="processing entrustment", role="processor")
    declared["record"] = {
        "contact": "privacy@alipay.example",
        "role_questions": {"purpose": "both", "benefit": "recipient", "control": "recipient"},
        "transfer_mechanism": "none recorded",
        "subject_categories": ["Kakao Pay customers"],
        "key_holder": "sender",
        "retention_until": "2025-12-31",
        "consent": "not_required",
    }
    declared_path = out / "policy-as-declared.yaml"
    atomic_write_text(declared_path, yaml.safe_dump(declared, allow_unicode=True, sort_keys=False))
    ledger = LedgerStore(f"sqlite:///{out / 'ledger.db'}")
    outcome = run_transfer(str(export_path), declared_path, out / "sent-to-alipay.csv", ledger=ledger,
                           keystore=keystore, attack_budget=budget / 2)  # fmt: skip
    if not ledger.verify().ok:
        raise RuntimeError("the demo ledger does not verify")
    return list(proof.lines), outcome


def _recipient_list(customers_csv: Path, target: Path, *, share: float, seed: int) -> Path:
    """A list of e-mails the recipient already holds: a random ``share`` of the customers."""
    emails = pacsv.read_csv(customers_csv, convert_options=pacsv.ConvertOptions(include_columns=["email"]))
    rng = np.random.default_rng(seed + 1)
    keep = rng.random(emails.num_rows) < share
    with atomic_path(target) as tmp:
        pacsv.write_csv(emails.filter(pa.array(keep)), tmp)
    return target


def _rows(path: Path) -> int:
    return read(path).num_rows
