"""The Kakao Pay → Alipay scenario: an internal customers table, an events table and daily exports.

The export copies what the sender shipped every day from 2019 to 2024 (see ``docs/scenario.md``):
one row per customer, the account serial, mobile and email as plain unsalted SHA-256, sign-up
date, dormant flag, balance and 7-day activity counts as categories, card count. The same seed
gives byte-identical files. The manifest records the hashing recipe — the ground truth a reversal
attack should rediscover — and counts, never a plaintext.

Everything is built column-wise with numpy and Arrow compute; the only per-row Python work is the
SHA-256 call itself (about a second per million values).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from datacustoms.errors import InputError, UsageError, did_you_mean
from datacustoms.io.atomic import atomic_path, atomic_write_text
from datacustoms.synth import korean

PhoneFormat = Literal["digits", "dashes", "e164", "e164-space"]
EmailCase = Literal["as-is", "lower"]
DigestEncoding = Literal["hex", "HEX", "base64"]

PHONE_FORMATS: tuple[str, ...] = ("digits", "dashes", "e164", "e164-space")
EMAIL_CASES: tuple[str, ...] = ("as-is", "lower")
DIGEST_ENCODINGS: tuple[str, ...] = ("hex", "HEX", "base64")
#: how each phone format writes the (unissued, hence nobody's) number 010-1234-5678
PHONE_FORMAT_EXAMPLES: dict[str, str] = {
    "digits": "01012345678",
    "dashes": "010-1234-5678",
    "e164": "+821012345678",
    "e164-space": "+82 10-1234-5678",
}

#: first export day by default: a week before the daily transfers stopped (21 May 2024)
DEFAULT_START = date(2024, 5, 14)
KAKAOPAY_LAUNCH = date(2014, 9, 5)
#: account serials are ACCOUNT_BASE + 1, + 2, … in sign-up order (9 digits; an assumption)
ACCOUNT_BASE = 100_000_000
MAX_CUSTOMERS = 50_000_000
MAX_DAYS = 366
TRAILING_DAYS = 7
#: Kakao Pay money could hold at most KRW 2 million
BALANCE_CAP = 2_000_000

EVENT_TYPES: tuple[str, ...] = ("topup", "withdrawal", "payment", "remittance")
TOPUP, WITHDRAWAL, PAYMENT, REMITTANCE = range(4)
BALANCE_EDGES = np.array([1, 10_001, 50_001, 100_001, 500_001, 1_000_001])
BALANCE_LABELS: tuple[str, ...] = (
    "0", "1-10000", "10001-50000", "50001-100000", "100001-500000", "500001-1000000", "1000001+",
)  # fmt: skip
COUNT_EDGES = np.array([1, 3, 6])
COUNT_LABELS: tuple[str, ...] = ("0", "1-2", "3-5", "6+")
EXPORT_PATTERN = "kakaopay_to_alipay_{:%Y%m%d}.csv"
EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet")

MERCHANTS: tuple[str, ...] = (
    "카카오T", "GS25", "CU", "세븐일레븐", "배달의민족", "스타벅스", "이마트24", "쿠팡", "요기요",
    "카카오톡 선물하기", "11번가", "G마켓", "올리브영", "다이소", "무신사", "SSG.COM", "옥션",
    "투썸플레이스", "이디야커피", "파리바게뜨", "맥도날드", "CGV", "메가박스", "롯데시네마", "멜론",
    "교보문고", "예스24", "홈플러스", "이마트", "롯데마트", "카카오페이지", "티머니", "코레일", "SRT",
)  # fmt: skip
#: share of events by hour of day (KST): quiet nights, peaks at lunch and in the evening
HOUR_WEIGHTS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 3.5, 4, 4.5, 6, 5.5, 4.5, 4.5, 4.8, 5.5, 6.5, 6.5, 6,
     5.5, 4, 2.5]
)  # fmt: skip
#: age bands (inclusive) and shares of adult users (an assumption shaped like Korean wallet users)
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (19, 24, 12), (25, 29, 13), (30, 34, 12), (35, 39, 11), (40, 44, 11), (45, 49, 11),
    (50, 54, 10), (55, 59, 8), (60, 64, 6), (65, 69, 3.5), (70, 79, 2.5), (80, 89, 0.5),
)  # fmt: skip
#: relative sign-ups per year (launch Sep 2014, fast growth 2015–2018)
SIGNUP_YEAR_WEIGHTS: dict[int, float] = {
    2014: 3, 2015: 10, 2016: 12, 2017: 14, 2018: 15, 2019: 12, 2020: 11, 2021: 9, 2022: 7,
    2023: 6, 2024: 5,
}  # fmt: skip
EPOCH = np.datetime64("1970-01-01", "D")
KST_OFFSET_S = 9 * 3600


class HashRecipe(BaseModel):
    """How the export's identifier digests were computed: the ground truth for reversal tests."""

    model_config = ConfigDict(frozen=True)

    algorithm: Literal["sha256"] = "sha256"
    salt: None = None  # no salt was used
    key: None = None  # no key was used
    phone_format: PhoneFormat = "digits"
    phone_example: str = "01012345678"  # the format, shown on an unissued number
    email_case: EmailCase = "lower"
    account_format: Literal["decimal"] = "decimal"
    encoding: DigestEncoding = "hex"
    columns: dict[str, str] = Field(
        default_factory=lambda: {
            "phone_sha256": "mobile",
            "email_sha256": "email",
            "account_sha256": "account_id",
        },
        description="export column -> customers-table column it digests",
    )


class ScenarioManifest(BaseModel):
    """What a scenario run wrote: sizes, dates, the recipe and the files (relative to ``out``)."""

    scenario: Literal["kakaopay"] = "kakaopay"
    format_version: int = 1
    seed: int
    customers: int
    days: int
    export_dates: list[date]
    event_window: tuple[date, date]
    account_id_range: tuple[int, int]
    events: int
    events_by_type: dict[str, int]
    export_rows: int
    recipe: HashRecipe
    files: dict[str, str | list[str]]
    out: Path = Field(exclude=True)

    @property
    def customers_csv(self) -> Path:
        return self.out / str(self.files["customers_csv"])

    @property
    def customers_parquet(self) -> Path:
        return self.out / str(self.files["customers_parquet"])

    @property
    def events_parquet(self) -> Path:
        return self.out / str(self.files["events_parquet"])

    @property
    def exports(self) -> list[Path]:
        return [self.out / name for name in self.files["exports"]]

    @property
    def manifest_path(self) -> Path:
        return self.out / "manifest.json"

    def to_json(self) -> str:
        """Stable JSON (sorted keys, no timestamps) so that the same seed gives the same bytes."""
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, out: Path | str) -> ScenarioManifest:
        """Read ``manifest.json`` from a scenario folder."""
        out = Path(out)
        data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        return cls.model_validate({**data, "out": out})


# ---------------------------------------------------------------------------------------------


def _rng(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per component, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def _days(d: date) -> int:
    return (d - date(1970, 1, 1)).days


@dataclass(frozen=True)
class Population:
    """The customers table plus the hidden traits that drive their events."""

    table: pa.Table
    mobiles: korean.Mobiles
    province_index: np.ndarray
    activity: np.ndarray  # expected events per day
    type_mix: np.ndarray  # (n, 4) shares of topup / withdrawal / payment / remittance
    initial_balance: np.ndarray
    card_count: np.ndarray


def build_customers(customers: int, seed: int, start: date = DEFAULT_START) -> Population:
    """The sender's internal customers table (plaintext identifiers), rows in account-serial order."""
    n = customers
    ref = np.datetime64(start, "D")
    last_signup = start - timedelta(days=TRAILING_DAYS)  # everyone exists before the first window

    rng = _rng(seed, "people")
    female = rng.random(n) < 0.5
    foreign = rng.random(n) < 0.02
    band = rng.choice(len(AGE_BANDS), size=n, p=_norm([b[2] for b in AGE_BANDS]))
    lo = np.array([b[0] for b in AGE_BANDS])[band]
    hi = np.array([b[1] for b in AGE_BANDS])[band]
    age_days = ((lo + rng.random(n) * (hi - lo + 1)) * 365.2425).astype(np.int64)
    birth = ref - np.maximum(age_days, 19 * 366).astype("timedelta64[D]")

    rng = _rng(seed, "signup")
    years = [y for y in range(KAKAOPAY_LAUNCH.year, last_signup.year + 1)]
    year = np.array(years)[rng.choice(len(years), size=n, p=_norm([SIGNUP_YEAR_WEIGHTS.get(y, 5) for y in years]))]
    first = np.maximum(_days(KAKAOPAY_LAUNCH), _year_start(year))
    last = np.minimum(_days(last_signup), _year_start(year + 1) - 1)
    signup_days = first + (rng.random(n) * (last - first + 1)).astype(np.int64)
    adult14 = (birth.astype(np.int64) + int(14 * 365.2425) + 1).astype(np.int64)
    signup_days = np.minimum(np.maximum(signup_days, adult14), _days(last_signup))
    # serials follow sign-up order: put the people in that order, then row i gets serial base + 1 + i
    order = np.argsort(signup_days, kind="stable")
    signup_days, birth, female, foreign = signup_days[order], birth[order], female[order], foreign[order]

    rng = _rng(seed, "status")
    years_since = (_days(start) - signup_days) / 365.2425
    p_dormant = np.where(years_since >= 1, 0.06 + 0.28 * np.minimum((years_since - 1) / 6, 1), 0)
    dormant = rng.random(n) < p_dormant
    cards = rng.choice(6, size=n, p=_norm([40, 30, 16, 8, 4, 2]))
    cards = np.where(dormant & (rng.random(n) < 0.5), 0, cards).astype(np.int8)
    activity = np.where(dormant, 0.0, np.minimum(rng.lognormal(-1.4, 1.2, size=n), 30.0))
    type_mix = rng.dirichlet([2.0, 0.7, 5.0, 1.5], size=n)
    balance = np.where(rng.random(n) < 0.35, 0, np.round(rng.lognormal(np.log(15_000), 1.5, size=n), -1))
    balance = np.where(dormant & (rng.random(n) < 0.8), 0, np.minimum(balance, BALANCE_CAP)).astype(np.int64)

    person = korean.names(_rng(seed, "names"), female)
    home = korean.addresses(_rng(seed, "addresses"), n)
    phones = korean.mobiles(_rng(seed, "mobiles"), n)
    rrn = korean.rrns(_rng(seed, "rrn"), birth, female, foreign)
    email = korean.emails(_rng(seed, "emails"), person, birth)

    table = pa.table(
        {
            "account_id": pa.array(ACCOUNT_BASE + 1 + np.arange(n, dtype=np.int64)),
            "name": person.hangul,
            "mobile": phones.formatted("dashes"),
            "email": email,
            "birth_date": pa.array(birth, pa.date32()),
            "sex": korean.take(["M", "F"], female.astype(np.int64)),
            "rrn": rrn,
            "province": home.province,
            "district": home.district,
            "postcode": home.postcode,
            "signup_date": pa.array(signup_days.astype("datetime64[D]"), pa.date32()),
            "dormant": pa.array(dormant),
            "card_count": pa.array(cards),
        }
    )
    return Population(table, phones, home.province_index, activity, type_mix, balance, cards)


def _norm(values: list[float] | list[int]) -> np.ndarray:
    w = np.asarray(values, dtype=np.float64)
    return w / w.sum()


def _year_start(year: np.ndarray) -> np.ndarray:
    return (np.asarray(year) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


@dataclass(frozen=True)
class Events:
    """The events table and the columns the daily exports aggregate (sorted by time)."""

    table: pa.Table
    customer: np.ndarray  # row index into the customers table
    kind: np.ndarray  # index into EVENT_TYPES
    day: np.ndarray  # 0 .. window-1, non-decreasing
    money_delta: np.ndarray  # effect on the payer's Pay-money balance (KRW)
    recipient: np.ndarray  # customer row receiving a remittance, -1 otherwise
    amount: np.ndarray


def build_events(pop: Population, days: int, seed: int, start: date = DEFAULT_START) -> Events:
    """Top-ups, withdrawals, payments and remittances over the trailing week of the first export
    day through the last one (``days + 6`` days), heavy-tailed per customer."""
    rng = _rng(seed, f"events:{days}")
    n = pop.table.num_rows
    window = days + TRAILING_DAYS - 1
    counts = rng.poisson(pop.activity[:, None] * pop.type_mix * window)  # (n, 4)
    customer = np.concatenate([np.repeat(np.arange(n), counts[:, t]) for t in range(4)])
    kind = np.concatenate([np.full(int(counts[:, t].sum()), t, dtype=np.int8) for t in range(4)])
    e = len(customer)

    day = rng.integers(0, window, size=e)
    hour = rng.choice(24, size=e, p=_norm(list(HOUR_WEIGHTS)))
    local_s = (_days(start) - TRAILING_DAYS + 1 + day) * 86_400 + hour * 3600 + rng.integers(0, 3600, size=e)
    order = np.lexsort((customer, local_s))
    customer, kind, day, local_s = customer[order], kind[order], day[order], local_s[order]

    amount = np.zeros(e, dtype=np.int64)
    pay = kind == PAYMENT
    amount[pay] = np.clip(np.round(rng.lognormal(np.log(13_000), 1.0, size=int(pay.sum())), -1), 100, BALANCE_CAP)
    top = kind == TOPUP
    steps = np.array([10_000, 20_000, 30_000, 50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000])
    amount[top] = steps[rng.choice(len(steps), size=int(top.sum()), p=_norm([20, 12, 10, 18, 18, 8, 5, 5, 4]))]
    wd = kind == WITHDRAWAL
    amount[wd] = np.clip(np.round(rng.lognormal(np.log(50_000), 1.0, size=int(wd.sum())), -3), 1_000, BALANCE_CAP)
    rem = kind == REMITTANCE
    amount[rem] = np.clip(np.round(rng.lognormal(np.log(30_000), 1.1, size=int(rem.sum())), -3), 1_000, BALANCE_CAP)

    # payments are paid from Pay money unless a card is registered and chosen (half the time)
    from_money = ~pay | (pop.card_count[customer] == 0) | (rng.random(e) < 0.5)
    sign = np.where(kind == TOPUP, 1, -1)
    money_delta = np.where(from_money, sign * amount, 0)
    recipient = np.full(e, -1, dtype=np.int64)
    if n > 1:
        other = rng.integers(0, n - 1, size=int(rem.sum()))
        recipient[rem] = other + (other >= customer[rem])  # anyone but the sender

    merchant_idx = rng.choice(len(MERCHANTS), size=e, p=_norm(list(1 / np.arange(1, len(MERCHANTS) + 1) ** 0.9)))
    away = rng.random(e) < 0.15
    region_idx = np.where(
        away,
        rng.choice(len(korean.PROVINCES), size=e, p=korean.PROVINCE_WEIGHTS),
        pop.province_index[customer],
    )
    account_ids = pop.table.column("account_id").to_numpy()
    table = pa.table(
        {
            "event_id": pa.array(np.arange(1, e + 1, dtype=np.int64)),
            "account_id": pa.array(account_ids[customer]),
            "ts": pa.array(local_s - KST_OFFSET_S, pa.timestamp("s", tz="Asia/Seoul")),
            "type": korean.take(list(EVENT_TYPES), kind.astype(np.int64)),
            "amount_krw": pa.array(amount),
            "merchant": pa.array(list(MERCHANTS), pa.string()).take(pa.array(merchant_idx, mask=~pay)),
            "region": korean.take(korean.PROVINCES, region_idx),
            "counterparty_account_id": pa.array(
                np.where(recipient >= 0, account_ids[np.maximum(recipient, 0)], 0), mask=recipient < 0
            ),
        }
    )
    return Events(table, customer, kind, day, money_delta, recipient, amount)


# ---------------------------------------------------------------------------------------------
# the partner export


def sha256_column(values: pa.Array | pa.ChunkedArray, encoding: str) -> pa.Array:
    """Plain SHA-256 of each UTF-8 value, written as lower hex, upper hex or base64."""
    items = values.to_pylist()
    sha = hashlib.sha256
    if encoding == "hex":
        out = [sha(v.encode()).hexdigest() for v in items]
    elif encoding == "HEX":
        out = [sha(v.encode()).hexdigest().upper() for v in items]
    elif encoding == "base64":
        out = [base64.b64encode(sha(v.encode()).digest()).decode("ascii") for v in items]
    else:
        raise UsageError(f"unknown digest encoding {encoding!r}", f"use one of {', '.join(DIGEST_ENCODINGS)}")
    return pa.array(out, pa.string())


def export_digests(pop: Population, recipe: HashRecipe) -> dict[str, pa.Array]:
    """The three identifier digests per customer, in customers-table order (same every day)."""
    email = pop.table.column("email").combine_chunks()
    if recipe.email_case == "lower":
        email = pc.utf8_lower(email)
    account = pc.cast(pop.table.column("account_id").combine_chunks(), pa.string())
    return {
        "phone_sha256": sha256_column(pop.mobiles.formatted(recipe.phone_format), recipe.encoding),
        "email_sha256": sha256_column(email, recipe.encoding),
        "account_sha256": sha256_column(account, recipe.encoding),
    }


def _bins(values: np.ndarray, edges: np.ndarray, labels: tuple[str, ...]) -> pa.Array:
    return korean.take(list(labels), np.searchsorted(edges, values, side="right"))


def daily_exports(
    pop: Population, events: Events, digests: dict[str, pa.Array], days: int, seed: int, start: date
) -> Iterator[tuple[date, pa.Table]]:
    """One table per export day: each customer once, the balance at the end of that day and the
    counts of the trailing seven days, in a fresh random row order (only the hashes link days).
    Yielded one day at a time, so a long series is written without holding it."""
    n = pop.table.num_rows
    window = days + TRAILING_DAYS - 1
    bounds = np.searchsorted(events.day, np.arange(window + 1))  # events of day d: bounds[d]:bounds[d+1]
    balance = pop.initial_balance.astype(np.int64).copy()
    rng = _rng(seed, f"export-order:{days}")
    signup = pop.table.column("signup_date").combine_chunks()
    dormant = korean.take(["N", "Y"], pop.table.column("dormant").to_numpy(zero_copy_only=False).astype(np.int64))
    cards = pop.table.column("card_count").combine_chunks()
    for d in range(window):
        sl = slice(bounds[d], bounds[d + 1])
        balance += np.bincount(events.customer[sl], weights=events.money_delta[sl], minlength=n).astype(np.int64)
        rem = events.recipient[sl] >= 0
        balance += np.bincount(events.recipient[sl][rem], weights=events.amount[sl][rem], minlength=n).astype(np.int64)
        np.clip(balance, 0, BALANCE_CAP, out=balance)
        if d < TRAILING_DAYS - 1:
            continue
        week = slice(bounds[d - TRAILING_DAYS + 1], bounds[d + 1])
        counts = np.bincount(events.customer[week] * 4 + events.kind[week], minlength=4 * n).reshape(n, 4)
        day = start + timedelta(days=d - TRAILING_DAYS + 1)
        order = pa.array(rng.permutation(n))
        table = pa.table(
            {
                "base_date": pa.array(np.full(n, np.datetime64(day, "D")), pa.date32()),
                "account_sha256": digests["account_sha256"],
                "phone_sha256": digests["phone_sha256"],
                "email_sha256": digests["email_sha256"],
                "signup_date": signup,
                "dormant": dormant,
                "balance_category": _bins(balance, BALANCE_EDGES, BALANCE_LABELS),
                "topup_7d": _bins(counts[:, TOPUP], COUNT_EDGES, COUNT_LABELS),
                "withdrawal_7d": _bins(counts[:, WITHDRAWAL], COUNT_EDGES, COUNT_LABELS),
                "payment_7d": _bins(counts[:, PAYMENT], COUNT_EDGES, COUNT_LABELS),
                "remittance_7d": _bins(counts[:, REMITTANCE], COUNT_EDGES, COUNT_LABELS),
                "card_count": cards,
            }
        ).take(order)
        yield day, table


# ---------------------------------------------------------------------------------------------


def _check_choice(value: str, choices: tuple[str, ...], option: str) -> None:
    if value not in choices:
        raise UsageError(
            f"{option} must be one of {', '.join(choices)}, not {value!r}.{did_you_mean(value, choices)}",
            f"e.g. {option} {choices[0]}",
        )


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file, not a folder", "give a folder path")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UsageError(
            f"output folder {str(out)!r} is not empty",
            "choose an empty or new folder, or pass --force to overwrite",
        )
    try:
        (out / "export").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(
            f"cannot create output folder {str(out)!r}: {err.strerror}", "check the path and permissions"
        ) from None


def _write_csv(table: pa.Table, target: Path, written: list[Path]) -> None:
    written.append(target)
    with atomic_path(target) as tmp:
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(include_header=True, quoting_style="needed"))


def _write_parquet(table: pa.Table, target: Path, written: list[Path]) -> None:
    written.append(target)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def generate_kakaopay(
    out: Path | str,
    *,
    customers: int = 10_000,
    days: int = 3,
    seed: int = 2018,
    phone_format: str = "digits",
    email_case: str = "lower",
    digest_encoding: str = "hex",
    force: bool = False,
    start: date = DEFAULT_START,
    export_format: str = "csv",
) -> ScenarioManifest:
    """Write the scenario into ``out``: customers (CSV + Parquet), events, one export CSV per day,
    and ``manifest.json`` (``export_format="parquet"``: one Parquet file per day, for long series).
    Deterministic in all arguments; refuses a non-empty ``out`` unless
    ``force``. Every file is written atomically, and a run that fails removes what it wrote
    (with ``force``, the earlier scenario's manifest goes too, since it no longer holds)."""
    _check_choice(phone_format, PHONE_FORMATS, "--phone-format")
    _check_choice(email_case, EMAIL_CASES, "--email-case")
    _check_choice(digest_encoding, DIGEST_ENCODINGS, "--digest-encoding")
    _check_choice(export_format, EXPORT_FORMATS, "--export-format")
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise UsageError(
            f"--customers must be between 1 and {MAX_CUSTOMERS:,}, not {customers}", "e.g. --customers 10000"
        )
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(f"--days must be between 1 and {MAX_DAYS}, not {days}", "e.g. --days 3")
    if seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, not {seed}", "e.g. --seed 2018")
    if not date(2015, 1, 1) <= start <= date(2099, 12, 31):
        raise UsageError(f"--start must lie between 2015-01-01 and 2099-12-31, not {start}", "e.g. --start 2024-05-14")
    out = Path(out)
    created = [f for f in (out / "export", out) if not f.exists()]
    _prepare_out(out, force)
    written: list[Path] = []
    try:
        return _write_scenario(
            out, customers, days, seed, phone_format, email_case, digest_encoding, force, start, written,
            export_format,
        )
    except BaseException as err:
        # leave no partial scenario: remove what this run wrote, and a manifest that no longer holds
        for path in [*written, out / "manifest.json"]:
            path.unlink(missing_ok=True)
        for folder in created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(err, OSError):
            raise InputError(
                f"cannot write the scenario into {str(out)!r}: {err.strerror or err}",
                "check free space and permissions",
            ) from None
        raise


def _write_scenario(
    out: Path,
    customers: int,
    days: int,
    seed: int,
    phone_format: str,
    email_case: str,
    digest_encoding: str,
    force: bool,
    start: date,
    written: list[Path],
    export_format: str = "csv",
) -> ScenarioManifest:
    recipe = HashRecipe(
        phone_format=phone_format,  # type: ignore[arg-type]
        phone_example=PHONE_FORMAT_EXAMPLES[phone_format],
        email_case=email_case,  # type: ignore[arg-type]
        encoding=digest_encoding,  # type: ignore[arg-type]
    )
    pop = build_customers(customers, seed, start)
    _write_parquet(pop.table, out / "customers.parquet", written)
    _write_csv(pop.table, out / "customers.csv", written)
    events = build_events(pop, days, seed, start)
    _write_parquet(events.table, out / "events.parquet", written)

    digests = export_digests(pop, recipe)
    names: list[str] = []
    for day, table in daily_exports(pop, events, digests, days, seed, start):
        name = f"export/{EXPORT_PATTERN.format(day)}"
        if export_format == "parquet":
            name = name.removesuffix(".csv") + ".parquet"
            _write_parquet(table, out / name, written)
        else:
            _write_csv(table, out / name, written)
        names.append(name)
    if force:  # a previous run with more days must not leave exports that this manifest omits
        for stale in (out / "export").glob("kakaopay_to_alipay_*.*"):
            if f"export/{stale.name}" not in names:
                stale.unlink()

    by_type = np.bincount(events.kind, minlength=4)
    manifest = ScenarioManifest(
        seed=seed,
        customers=customers,
        days=days,
        export_dates=[start + timedelta(days=i) for i in range(days)],
        event_window=(start - timedelta(days=TRAILING_DAYS - 1), start + timedelta(days=days - 1)),
        account_id_range=(ACCOUNT_BASE + 1, ACCOUNT_BASE + customers),
        events=int(events.table.num_rows),
        events_by_type={t: int(c) for t, c in zip(EVENT_TYPES, by_type, strict=True)},
        export_rows=customers * days,
        recipe=recipe,
        files={
            "customers_csv": "customers.csv",
            "customers_parquet": "customers.parquet",
            "events_parquet": "events.parquet",
            "exports": names,
        },
        out=out,
    )
    atomic_write_text(out / "manifest.json", manifest.to_json())
    return manifest
