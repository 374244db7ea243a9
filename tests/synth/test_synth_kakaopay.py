"""The Kakao Pay scenario: determinism, the export's hashing recipe, daily rows from the events."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from datacustoms.errors import InputError, UsageError
from datacustoms.synth import ScenarioManifest, generate_kakaopay
from datacustoms.synth.kakaopay import COUNT_LABELS, EVENT_TYPES

EXPORT_COLUMNS = [
    "base_date",
    "account_sha256",
    "phone_sha256",
    "email_sha256",
    "signup_date",
    "dormant",
    "balance_category",
    "topup_7d",
    "withdrawal_7d",
    "payment_7d",
    "remittance_7d",
    "card_count",
]


def _read_csv(path: Path) -> pa.Table:
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=False))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> ScenarioManifest:
    return generate_kakaopay(tmp_path_factory.mktemp("kp") / "out", customers=400, days=3, seed=7)


def _digest(text: str, encoding: str) -> str:
    raw = hashlib.sha256(text.encode()).digest()
    return {"hex": raw.hex(), "HEX": raw.hex().upper(), "base64": base64.b64encode(raw).decode()}[encoding]


def _phone(dashed: str, fmt: str) -> str:
    """Independent re-implementation of the four phone forms, from the stored 010-1234-5678."""
    digits = dashed.replace("-", "")
    return {
        "digits": digits,
        "dashes": dashed,
        "e164": "+82" + digits[1:],
        "e164-space": "+82 " + dashed[1:],
    }[fmt]


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a = generate_kakaopay(tmp_path / "a", customers=300, days=2, seed=5)
    b = generate_kakaopay(tmp_path / "b", customers=300, days=2, seed=5)
    c = generate_kakaopay(tmp_path / "c", customers=300, days=2, seed=6)
    files_a = sorted(p.relative_to(a.out) for p in a.out.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b.out) for p in b.out.rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 6
    for rel in files_a:
        assert (a.out / rel).read_bytes() == (b.out / rel).read_bytes(), rel
    assert a.exports[0].read_bytes() != (c.out / a.files["exports"][0]).read_bytes()
    assert a.customers_csv.read_bytes() != c.customers_csv.read_bytes()


def test_manifest_lists_files_and_recipe_but_no_plaintext(scenario: ScenarioManifest) -> None:
    loaded = ScenarioManifest.load(scenario.out)
    assert loaded == scenario
    assert [p.name for p in scenario.exports] == [
        "kakaopay_to_alipay_20240514.csv",
        "kakaopay_to_alipay_20240515.csv",
        "kakaopay_to_alipay_20240516.csv",
    ]
    for path in (
        scenario.customers_csv,
        scenario.customers_parquet,
        scenario.events_parquet,
        *scenario.exports,
    ):
        assert path.is_file()
    r = scenario.recipe
    assert (r.algorithm, r.salt, r.key, r.phone_format, r.email_case, r.encoding) == (
        "sha256",
        None,
        None,
        "digits",
        "lower",
        "hex",
    )
    text = scenario.manifest_path.read_text(encoding="utf-8")
    customers = pq.read_table(scenario.customers_parquet).to_pydict()
    for column in ("mobile", "email", "rrn", "name"):
        for value in customers[column][:50]:
            assert value not in text and value.replace("-", "") not in text
    assert not list(scenario.out.rglob("*.tmp"))
    assert scenario.events == pq.read_metadata(scenario.events_parquet).num_rows
    assert sum(scenario.events_by_type.values()) == scenario.events


def test_one_row_per_customer_per_day_and_linkable_hashes(scenario: ScenarioManifest) -> None:
    customers = pq.read_table(scenario.customers_parquet)
    expected_accounts = {_digest(str(a), "hex") for a in customers.column("account_id").to_pylist()}
    by_day = []
    for path, day in zip(scenario.exports, scenario.export_dates, strict=True):
        t = _read_csv(path)
        assert t.column_names == EXPORT_COLUMNS
        assert t.num_rows == scenario.customers
        assert set(t.column("base_date").to_pylist()) == {day}
        accounts = t.column("account_sha256").to_pylist()
        assert len(set(accounts)) == len(accounts) and set(accounts) == expected_accounts
        by_day.append({row["account_sha256"]: (row["phone_sha256"], row["email_sha256"]) for row in t.to_pylist()})
    assert by_day[0] == by_day[1] == by_day[2]  # the same person has the same hashes every day
    first = _read_csv(scenario.exports[0]).column("account_sha256").to_pylist()
    second = _read_csv(scenario.exports[1]).column("account_sha256").to_pylist()
    assert first != second  # only the hashes link the days, not the row order


FORMAT_CASES = [
    ("digits", "lower", "hex"),
    ("dashes", "as-is", "HEX"),
    ("e164", "lower", "base64"),
    ("e164-space", "as-is", "hex"),
]


@pytest.mark.parametrize(("phone_format", "email_case", "encoding"), FORMAT_CASES)
def test_export_hashes_follow_the_recipe(tmp_path: Path, phone_format: str, email_case: str, encoding: str) -> None:
    m = generate_kakaopay(
        tmp_path / "out",
        customers=300,
        days=1,
        seed=3,
        phone_format=phone_format,
        email_case=email_case,
        digest_encoding=encoding,
    )
    assert (m.recipe.phone_format, m.recipe.email_case, m.recipe.encoding) == (
        phone_format,
        email_case,
        encoding,
    )
    customers = pq.read_table(m.customers_parquet).to_pylist()
    export = {row["account_sha256"]: row for row in _read_csv(m.exports[0]).to_pylist()}
    mixed_case = 0
    for c in customers:
        row = export[_digest(str(c["account_id"]), encoding)]
        assert row["phone_sha256"] == _digest(_phone(c["mobile"], phone_format), encoding)
        email = c["email"] if email_case == "as-is" else c["email"].lower()
        assert row["email_sha256"] == _digest(email, encoding)
        mixed_case += c["email"] != c["email"].lower()
        assert row["signup_date"] == c["signup_date"]
        assert row["dormant"] == ("Y" if c["dormant"] else "N")
        assert row["card_count"] == c["card_count"]
    assert mixed_case > 0  # the email-case choice changes some digests


def test_daily_counts_are_the_trailing_seven_days_of_events(scenario: ScenarioManifest) -> None:
    events = pq.read_table(scenario.events_parquet)
    local_day = pc.cast(pc.local_timestamp(events.column("ts")), pa.date32()).to_numpy(zero_copy_only=False)
    account = events.column("account_id").to_numpy()
    kind = np.array([EVENT_TYPES.index(t) for t in events.column("type").to_pylist()])
    customers = pq.read_table(scenario.customers_parquet).column("account_id").to_pylist()
    by_hash = {_digest(str(a), "hex"): a for a in customers}
    for path, day in zip(scenario.exports, scenario.export_dates, strict=True):
        lo, hi = np.datetime64(day - timedelta(days=6)), np.datetime64(day)
        week = (local_day >= lo) & (local_day <= hi)
        for row in _read_csv(path).to_pylist():
            mine = week & (account == by_hash[row["account_sha256"]])
            for t, name in enumerate(EVENT_TYPES):
                count = int((mine & (kind == t)).sum())
                label = COUNT_LABELS[int(np.searchsorted([1, 3, 6], count, side="right"))]
                assert row[f"{name}_7d"] == label, (day, name, count)


def test_events_are_consistent(scenario: ScenarioManifest) -> None:
    t = pq.read_table(scenario.events_parquet)
    assert t.column_names == [
        "event_id",
        "account_id",
        "ts",
        "type",
        "amount_krw",
        "merchant",
        "region",
        "counterparty_account_id",
    ]
    rows = t.to_pylist()
    ts = [r["ts"] for r in rows]
    assert ts == sorted(ts)
    start, end = scenario.event_window
    assert start <= min(ts).date() and max(ts).date() <= end
    assert [r["event_id"] for r in rows] == list(range(1, len(rows) + 1))
    customers = pq.read_table(scenario.customers_parquet).to_pydict()
    dormant = {a for a, d in zip(customers["account_id"], customers["dormant"], strict=True) if d}
    for r in rows:
        assert r["type"] in EVENT_TYPES and r["amount_krw"] > 0
        assert (r["merchant"] is not None) == (r["type"] == "payment")
        assert (r["counterparty_account_id"] is not None) == (r["type"] == "remittance")
        assert r["counterparty_account_id"] != r["account_id"]
        assert r["account_id"] not in dormant
    per_customer = np.bincount(t.column("account_id").to_numpy() - 100_000_001, minlength=scenario.customers)
    assert per_customer.max() > 10 * max(np.median(per_customer), 1)  # heavy-tailed activity


def test_balance_categories_and_counts_use_the_bins(scenario: ScenarioManifest) -> None:
    t = _read_csv(scenario.exports[-1])
    assert set(t.column("balance_category").to_pylist()) <= {
        "0",
        "1-10000",
        "10001-50000",
        "50001-100000",
        "100001-500000",
        "500001-1000000",
        "1000001+",
    }
    assert len(set(t.column("balance_category").to_pylist())) >= 4
    for name in EVENT_TYPES:
        assert set(t.column(f"{name}_7d").to_pylist()) <= set(COUNT_LABELS)


def test_refuses_a_non_empty_folder_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        generate_kakaopay(out, customers=50, days=1)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    generate_kakaopay(out, customers=50, days=3, force=True)
    m = generate_kakaopay(out, customers=50, days=1, force=True)
    assert sorted(p.name for p in (out / "export").iterdir()) == [p.name for p in m.exports]
    assert (out / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"phone_format": "e16"}, "Did you mean 'e164'"),
        ({"email_case": "upper"}, "--email-case"),
        ({"digest_encoding": "b64"}, "--digest-encoding"),
        ({"customers": 0}, "--customers"),
        ({"days": 0}, "--days"),
        ({"seed": -1}, "--seed"),
    ],
)
def test_bad_arguments_are_refused_before_writing(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        generate_kakaopay(tmp_path / "never", **kwargs)
    assert not (tmp_path / "never").exists()


def test_a_failed_run_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datacustoms.synth import kakaopay

    def broken(*args: object, **kwargs: object) -> list:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kakaopay, "daily_exports", broken)
    out = tmp_path / "new"
    with pytest.raises(InputError, match="No space left"):
        generate_kakaopay(out, customers=50, days=1)
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError):
        generate_kakaopay(empty, customers=50, days=1)
    assert list(empty.iterdir()) == []


def test_customers_csv_and_parquet_hold_the_same_rows(scenario: ScenarioManifest) -> None:
    parquet = pq.read_table(scenario.customers_parquet)
    text_types = {name: pa.string() for name in ("mobile", "rrn", "postcode", "email", "name")}
    csv = pacsv.read_csv(scenario.customers_csv, convert_options=pacsv.ConvertOptions(column_types=text_types))
    assert csv.column_names == parquet.column_names
    for name in ("account_id", "mobile", "email", "rrn", "postcode", "name", "card_count"):
        assert csv.column(name).to_pylist() == parquet.column(name).to_pylist(), name
    assert all(len(code) == 5 for code in csv.column("postcode").to_pylist())  # leading zeros kept
