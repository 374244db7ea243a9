"""How fast ``datacustoms synth kakaopay`` writes a scenario, against a per-row Python generator.

Ours: ``generate_kakaopay`` (numpy + Arrow, column at a time) on ``--customers`` customers.
Baseline: the obvious generator — a Python loop per customer and per event with ``random``,
``hashlib`` and the ``csv`` module — producing the same kinds of rows (customers with a valid
RRN, unique phone and email; heavy-tailed events; one export row per customer per day with three
SHA-256 digests) on ``--baseline-rows`` customers. Both are timed end to end including writing,
and compared per customer.

    python benchmarks/synth_scale.py            # 1 M customers x 1 day vs 100 k in the loop
    python benchmarks/synth_scale.py --quick    # 100 k vs 10 k
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from datacustoms.synth import generate_kakaopay
from datacustoms.synth.korean import EMAIL_DOMAINS, GIVEN_SYLLABLES, REGIONS, SURNAMES

W = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]


def baseline(out: Path, customers: int, days: int, seed: int) -> int:
    """Per-row Python: one loop iteration per customer, per event, per export row."""
    rng = random.Random(seed)
    start = date(2024, 5, 14)
    window = days + 6
    surnames = [s[:2] for s in SURNAMES]
    s_w = [s[2] for s in SURNAMES]
    domains = [d[0] for d in EMAIL_DOMAINS]
    d_w = [d[1] for d in EMAIL_DOMAINS]
    districts = [(p, d, lo, hi) for p, w, ds in REGIONS for d, lo, hi in ds]
    phones: set[str] = set()
    emails: set[str] = set()
    people = []
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "customers.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "account_id",
                "name",
                "mobile",
                "email",
                "birth_date",
                "sex",
                "rrn",
                "province",
                "district",
                "postcode",
                "signup_date",
                "dormant",
                "card_count",
            ]
        )
        for i in range(customers):
            female = rng.random() < 0.5
            ((sh, sr),) = rng.choices(surnames, s_w)
            g1, g2 = rng.choices(GIVEN_SYLLABLES, [g[3 if female else 2] for g in GIVEN_SYLLABLES], k=2)
            while True:
                phone = f"010-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d}"
                if phone not in phones:
                    phones.add(phone)
                    break
            birth = start - timedelta(days=rng.randint(19 * 366, 80 * 365))
            while True:
                email = f"{g1[1]}{g2[1]}{sr}{rng.randint(0, 9999)}@{rng.choices(domains, d_w)[0]}"
                if email not in emails:
                    emails.add(email)
                    break
            sex = (3 if birth.year >= 2000 else 1) + female
            body = f"{birth:%y%m%d}{sex}{rng.randint(0, 99999):05d}"
            check = (11 - sum(int(c) * x for c, x in zip(body, W, strict=True)) % 11) % 10
            prov, dist, lo, hi = rng.choice(districts)
            postcode = f"{rng.randint(lo, hi) * 100 + rng.randint(0, 99):05d}"
            signup = date(2014, 9, 5) + timedelta(days=rng.randint(0, (start - date(2014, 9, 12)).days))
            dormant = rng.random() < 0.18
            cards = rng.choices(range(6), [40, 30, 16, 8, 4, 2])[0]
            rate = 0.0 if dormant else min(rng.lognormvariate(-1.4, 1.2), 30.0)
            account = 100_000_001 + i
            people.append((account, phone, email, signup, dormant, cards, rate))
            w.writerow(
                [
                    account,
                    sh + g1[0] + g2[0],
                    phone,
                    email,
                    birth,
                    "F" if female else "M",
                    f"{body[:6]}-{body[6:]}{check}",
                    prov,
                    dist,
                    postcode,
                    signup,
                    dormant,
                    cards,
                ]
            )
    counts: dict[tuple[int, int], list[int]] = {}
    balance: dict[int, int] = {}
    n_events = 0
    with open(out / "events.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["event_id", "account_id", "ts", "type", "amount_krw"])
        for account, *_, rate in people:
            balance[account] = rng.choice([0, 0, 10_000, 50_000])
            for d in range(window):
                k = 0
                while rng.random() < rate / (1 + rate):  # geometric number of events that day
                    k += 1
                for _ in range(k):
                    kind = rng.choices(range(4), [2, 0.7, 5, 1.5])[0]
                    amount = int(rng.lognormvariate(9.5, 1.0))
                    counts.setdefault((account, d), [0, 0, 0, 0])[kind] += 1
                    n_events += 1
                    ts = f"{start + timedelta(days=d - 6)} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
                    w.writerow(
                        [
                            n_events,
                            account,
                            ts,
                            ("topup", "withdrawal", "payment", "remittance")[kind],
                            amount,
                        ]
                    )
    (out / "export").mkdir(exist_ok=True)

    def cat(c: int) -> str:
        return "0" if c == 0 else "1-2" if c <= 2 else "3-5" if c <= 5 else "6+"

    for j in range(days):
        day = start + timedelta(days=j)
        with open(out / "export" / f"kakaopay_to_alipay_{day:%Y%m%d}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(
                [
                    "base_date",
                    "account_sha256",
                    "phone_sha256",
                    "email_sha256",
                    "signup_date",
                    "dormant",
                    "balance",
                    "topup_7d",
                    "withdrawal_7d",
                    "payment_7d",
                    "remittance_7d",
                    "card_count",
                ]
            )
            for account, phone, email, signup, dormant, cards, _ in people:
                week = [0, 0, 0, 0]
                for d in range(j, j + 7):
                    for t, c in enumerate(counts.get((account, d), (0, 0, 0, 0))):
                        week[t] += c
                w.writerow(
                    [
                        day,
                        hashlib.sha256(str(account).encode()).hexdigest(),
                        hashlib.sha256(phone.replace("-", "").encode()).hexdigest(),
                        hashlib.sha256(email.lower().encode()).hexdigest(),
                        signup,
                        "Y" if dormant else "N",
                        balance[account],
                        *(cat(c) for c in week),
                        cards,
                    ]
                )
    return n_events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000, help="customers for our generator")
    ap.add_argument("--baseline-rows", type=int, default=100_000, help="customers for the per-row baseline")
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--quick", action="store_true", help="100 k customers vs 10 k in the baseline")
    args = ap.parse_args()
    if args.quick:
        args.customers, args.baseline_rows = 100_000, 10_000
    work = Path(tempfile.mkdtemp(prefix="synth_scale_"))
    try:
        t0 = time.perf_counter()
        m = generate_kakaopay(work / "ours", customers=args.customers, days=args.days, seed=args.seed)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        base_events = baseline(work / "base", args.baseline_rows, args.days, args.seed)
        base = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ours_us = ours / args.customers * 1e6
    base_us = base / args.baseline_rows * 1e6
    print(
        f"datacustoms synth kakaopay: {args.customers:,} customers x {args.days} day(s), "
        f"{m.events:,} events: {ours:.2f} s ({ours_us:.2f} us/customer)"
    )
    print(
        f"per-row Python baseline:    {args.baseline_rows:,} customers x {args.days} day(s), "
        f"{base_events:,} events: {base:.2f} s ({base_us:.2f} us/customer)"
    )
    print(f"speed-up per customer: {base_us / ours_us:.1f}x")


if __name__ == "__main__":
    main()
