"""Blind mode: known plaintexts are recovered under every recipe family; keyed or random columns are not."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import random

import pyarrow as pa
import pytest

from datacustoms.attack import attack_column
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.engine import native_available
from datacustoms.attack.hashes.recipes import normalise
from datacustoms.table import Table, from_arrow

RNG = random.Random(20240801)
PHONES = sorted({f"0101000{RNG.randrange(10_000):04d}" for _ in range(60)})
SLICE = [ks.kr_mobile().narrowed("1000")]  # 0101000XXXX: 10^4 candidates per format


def _table(values: list[str | None], column: str = "phone_hash", name: str = "export") -> Table:
    return from_arrow(pa.table({column: pa.array(values, pa.string())}), name=name)


def _hex(alg: str, data: str) -> str:
    return hashlib.new(alg, data.encode()).hexdigest()


@pytest.mark.parametrize("fmt", ["digits", "dashes", "e164", "intl", "cc_digits", "intl_dashes", "spaces", "intl_spaces"])
def test_every_phone_format_is_recovered(fmt: str) -> None:
    values = [_hex("sha256", normalise(p, fmt) or "") for p in PHONES]
    res = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="python", budget_s=60)
    assert res.status == "reversed" and res.rows_reversed == len(PHONES)
    assert res.recipe is not None and res.recipe.startswith("sha256(hex) of")
    assert normalise("01010001234", fmt).replace("1234", "XXXX") in res.recipe  # the shape, e.g. "+82 10-1000-XXXX"


@pytest.mark.parametrize(
    "alg", ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "blake2b", "blake2s"]
)
def test_every_algorithm_is_recovered(alg: str) -> None:
    values = [_hex(alg, normalise(p, "dashes") or "") for p in PHONES]
    res = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="python", budget_s=60)
    assert res.status == "reversed", res.reason
    assert res.recipe == f'{alg}(hex) of "010-1000-XXXX"'
    assert res.distinct_reversed == len(PHONES)


@pytest.mark.parametrize("engine", ["python", "native"])
@pytest.mark.parametrize("alg", ["sha256", "md5"])
def test_double_hashing_is_recovered(engine: str, alg: str) -> None:
    if engine == "native" and not native_available():
        pytest.skip("native engine not built")
    values = [_hex(alg, _hex(alg, p)) for p in PHONES]
    res = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine=engine, budget_s=60)
    assert res.status == "reversed" and res.distinct_reversed == len(PHONES)
    assert res.recipe == f'{alg}(hex) of hex({alg}("0101000XXXX"))'
    hit = [t for t in res.recipes_tried if t.hits]
    assert [t.engine for t in hit] == [engine]  # the double kernels, not a fallback to Python


def test_a_rare_keyspace_waits_behind_double_hashes_of_the_common_one() -> None:
    """After plain SHA-256 of every 010 format found nothing, a double hash of 010 numbers is a
    likelier explanation than a plain hash of retired 011-019 numbers (a few per cent of people)."""
    from datacustoms.attack.reverse import plan_jobs

    jobs = plan_jobs(
        [ks.kr_mobile(), ks.kr_mobile_legacy()], ["sha256"], [], rate=lambda r: 1e8 if r.rounds == 1 else 3.5e7
    )
    order = [(j.keyspace.name, j.recipe.rounds, j.fmt) for j in jobs]
    first_legacy = next(i for i, o in enumerate(order) if o[0] == "kr_mobile_legacy")
    assert order[:8] == [("kr_mobile_010", 1, f) for f in ks.kr_mobile().formats]
    assert order.index(("kr_mobile_010", 2, "digits")) < first_legacy


@pytest.mark.parametrize(("where", "label"), [("prefix", "the column name"), ("suffix", "the dataset name")])
def test_guessable_salts_are_recovered_and_never_printed(where: str, label: str) -> None:
    salt = "phone_hash" if label == "the column name" else "kakao_export_2019"
    values = [_hex("sha256", salt + p if where == "prefix" else p + salt) for p in PHONES]
    res = attack_column(
        _table(values, name="kakao_export_2019"), "phone_hash", keyspaces=SLICE, engine="python", budget_s=60
    )
    assert res.status == "reversed"
    assert res.recipe is not None and f"salt ({label})" in res.recipe
    assert salt not in res.model_dump_json(exclude={"column"})  # the salt is named, never printed


@pytest.mark.parametrize(
    ("encode", "label"),
    [
        (lambda d: d.hex().upper(), "HEX"),
        (lambda d: base64.b64encode(d).decode(), "base64"),
        (lambda d: base64.urlsafe_b64encode(d).decode().rstrip("="), "base64"),
    ],
)
def test_output_encodings(encode, label: str) -> None:
    values = [encode(hashlib.sha1(p.encode()).digest()) for p in PHONES]
    res = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="python", budget_s=60)
    assert res.status == "reversed"
    assert res.recipe is not None and res.recipe.startswith(f"sha1({label}")


def test_ftc_example_recovered_by_a_us_phone_keyspace_slice() -> None:
    ftc_md5 = "2813448ce6316cb70b38fa29c8c64130"  # MD5("123-456-7890"), FTC 2024
    assert hashlib.md5(b"123-456-7890").hexdigest() == ftc_md5
    us = ks.national_mobile("US", strict=False).narrowed("1234567")  # 123-456-7XXX
    res = attack_column(_table([ftc_md5], column="phone"), "phone", keyspaces=[us], region="US", engine="python", reveal=True)
    assert res.status == "reversed"
    assert res.recipe == 'md5(hex) of "123-456-7XXX"'
    assert res.revealed is not None and res.revealed[0].plaintext == "123-456-7890"
    assert res.examples == ["123-***-7890"]


def test_account_serials_with_the_default_plan() -> None:
    values = [_hex("sha256", str(i)) for i in RNG.sample(range(1, 900_000), 40)]
    res = attack_column(_table(values, column="고객번호"), "고객번호", engine="auto", budget_s=120)
    assert res.status == "reversed"
    assert res.recipe == "sha256(hex) of numbers 1…999999"
    assert any(n.startswith("header suggests numeric identifiers") for n in res.notes)


@pytest.mark.parametrize("engine", ["python", "auto"])  # auto: the native path for many small masks
def test_rrn_with_check_digit(engine: str) -> None:
    day = ks.rrn(dt.date(1990, 1, 1), dt.date(1990, 1, 1))
    part = day.parts("rrn_dash")[1]  # 900101-2XXXXXC
    sample = ks.candidates(part, b"", b"", 0, 100_000)
    chosen = [c.decode() for c in RNG.sample(sample, 20)]
    values = [_hex("sha256", c) for c in chosen]
    res = attack_column(_table(values, column="주민등록번호_hash"), "주민등록번호_hash", keyspaces=[day], engine=engine)
    assert res.status == "reversed" and res.recipe == 'sha256(hex) of "YYMMDD-SXXXXXX"'
    assert all(e.startswith("90****-") for e in res.examples)


def test_birth_dates_with_the_default_plan() -> None:
    values = [_hex("md5", d) for d in ("1985-03-14", "1990-12-01", "2001-07-30")]
    res = attack_column(_table(values, column="birth_date"), "birth_date", engine="python", budget_s=60)
    assert res.status == "reversed" and res.recipe == 'md5(hex) of "YYYY-MM-DD"'


def test_keyed_hmac_is_not_reversed() -> None:
    key = os.urandom(32)
    values = [hmac.new(key, p.encode(), "sha256").hexdigest() for p in PHONES]
    tiny = [ks.kr_mobile().narrowed("10000")]  # every recipe runs to the end: keep it to 10^3 each
    res = attack_column(_table(values), "phone_hash", keyspaces=tiny, engine="python", budget_s=60)
    assert res.status == "not_reversed"
    assert res.rows_reversed == 0 and res.distinct_reversed == 0 and res.recipe is None
    assert res.keyspace_covered > 0 and "HMAC" in res.reason
    assert all(t.complete for t in res.recipes_tried)


def test_random_tokens_are_not_reported_reversed() -> None:
    values = [os.urandom(32).hex() for _ in range(200)]
    tiny = [ks.kr_mobile().narrowed("10000")]
    res = attack_column(_table(values, column="token"), "token", keyspaces=tiny, engine="auto", budget_s=60)
    assert res.status == "not_reversed" and not res.reversed_any
    assert res.extrapolations and res.extrapolations[0].candidates == sum(t.size for t in res.recipes_tried)


def test_malformed_and_nulls_are_counted_not_fatal() -> None:
    values: list[str | None] = [_hex("sha256", p) for p in PHONES]
    values[0] = values[0].upper()
    values[1] = f"  {values[1]} "
    values += [None, None, "garbage", ""]
    res = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="python")
    assert res.status == "reversed"
    assert (res.rows_null, res.rows_malformed, res.rows_whitespace) == (2, 2, 1)
    assert res.rows_reversed == len(PHONES) and res.rows == len(PHONES) + 4


def test_plaintexts_only_with_reveal() -> None:
    values = [_hex("sha256", p) for p in PHONES]
    hidden = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="python")
    dump = hidden.model_dump_json()
    assert hidden.revealed is None and not any(p in dump or p[3:] in dump for p in PHONES)
    assert all(e.startswith("010****") for e in hidden.examples)
    shown = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="python", reveal=True)
    assert shown.revealed is not None and {r.plaintext for r in shown.revealed} == set(PHONES)
    assert all(_hex("sha256", r.plaintext) == r.digest for r in shown.revealed)  # each paired with its own digest


def test_email_digests_need_a_list() -> None:
    """An e-mail header raises nothing enumerable, and excludes nothing either: every keyspace is
    planned, the search stops at the budget, and the result says a list is needed."""
    res = attack_column(_table([_hex("sha256", "kim@naver.com")], column="email"), "email", budget_s=1.0)
    assert res.status == "incomplete" and res.reason.startswith("not reversed within the budget; covered:")
    assert any("--known" in n for n in res.notes)
    assert {c.family for c in res.coverage} >= {"phone", "numeric", "date", "rrn"}


def test_not_a_digest_column() -> None:
    res = attack_column(_table(["010-1234-5678", "hello"], column="phone"), "phone")
    assert res.status == "not_attempted"


@pytest.mark.skipif(not native_available(), reason="native engine not built")
def test_native_and_python_agree() -> None:
    phones = [f"0101000{n:04d}" for n in RNG.sample(range(10_000), 300)]
    values = [_hex("sha256", normalise(p, "e164") or "") for p in phones] + [os.urandom(32).hex()]
    a = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="native", reveal=True)
    b = attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="python", reveal=True)
    assert a.distinct_reversed == 300 and a.status == "reversed"
    assert a.engine == "native" and b.engine == "python"
    assert (a.status, a.recipe, a.rows_reversed) == (b.status, b.recipe, b.rows_reversed)
    assert a.revealed == b.revealed
    assert a.revealed is not None and all(_hex("sha256", normalise(r.plaintext, "e164") or "") == r.digest for r in a.revealed)


def test_budget_is_respected_without_wall_clock_assertions() -> None:
    values = [os.urandom(32).hex() for _ in range(10)]
    res = attack_column(_table(values), "phone_hash", engine="python", budget_s=0.2)
    assert res.status == "incomplete" and not res.search_complete and res.remaining_seconds
    assert any(not c.complete for c in res.coverage)
    assert res.keyspace_covered < ks.kr_mobile().size


@pytest.mark.skipif(not native_available(), reason="native extension not built")
def test_native_enumeration_stops_at_the_budget_between_chunks() -> None:
    values = [os.urandom(32).hex() for _ in range(10)]
    # landlines: the first job alone is larger than any host enumerates in the budget, so the
    # deadline always falls inside a job (mobiles' 10^8-candidate jobs could end just at it);
    # 3 s leaves a loaded run time for the one-off kernel timing and the probe first
    landline = ks.kr_landline()
    res = attack_column(_table(values), "phone_hash", engine="native", budget_s=3.0, keyspaces=[landline])
    assert res.status == "incomplete" and "not covered: kr_landline" in res.reason
    assert any(not t.complete for t in res.recipes_tried)  # stopped inside a job, between chunks
    assert 0 < res.keyspace_covered < landline.size * len(landline.formats)


@pytest.mark.parametrize("kind", ["large_string", "dictionary", "raw_binary"])
def test_column_types(kind: str) -> None:
    raw = [hashlib.sha256(p.encode()).digest() for p in PHONES]
    if kind == "large_string":
        arr = pa.array([d.hex() for d in raw], pa.large_string())
    elif kind == "dictionary":
        arr = pa.array([d.hex() for d in raw] * 2).dictionary_encode()
    else:
        arr = pa.array(raw, pa.binary())
    table = from_arrow(pa.table({"hp": arr}))
    res = attack_column(table, "hp", keyspaces=SLICE, engine="python")
    assert res.status == "reversed" and res.distinct_reversed == len(PHONES)
    assert res.digest.encoding == ("raw" if kind == "raw_binary" else "hex")


def test_probes_reorder_python_jobs_without_dropping_any() -> None:
    import time

    from datacustoms.attack.hashes.runner import Runner
    from datacustoms.attack.hashes.targets import DigestFormat, parse_batches
    from datacustoms.attack.reverse import plan_jobs, probe_order

    phones = [f"01010{n:06d}" for n in RNG.sample(range(10**6), 3000)]
    values = pa.array([_hex("sha256", normalise(p, "intl") or "") for p in phones])
    parsed = parse_batches([values], DigestFormat(32, "hex"))
    runner = Runner(parsed, engine="python")
    space = ks.kr_mobile().narrowed("10")  # 010-10XX-XXXX: 10^6 per format
    jobs = plan_jobs([space], ["sha256"], [], rate=runner.rate)
    assert jobs[0].fmt == "digits"  # the prior order
    ordered = probe_order(runner, jobs, time.perf_counter() + 600)
    assert ordered[0].fmt == "intl" and ordered[0].recipe.rounds == 1
    assert sorted(map(id, ordered)) == sorted(map(id, jobs))  # reordered, nothing dropped
    assert 0 < len(runner.found) < 3000  # the probe's own hits are real and kept


def test_progress_is_reported() -> None:
    calls: list[tuple[str, float]] = []
    values = [_hex("sha256", p) for p in PHONES]
    attack_column(_table(values), "phone_hash", keyspaces=SLICE, engine="python",
                  progress=lambda label, done: calls.append((label, done)))  # fmt: skip
    assert calls and all(0.0 <= f <= 1.0 for _, f in calls)
    assert any("0101000XXXX" in label for label, _ in calls)


def test_a_keyspace_too_large_to_enumerate_is_costed_at_an_assumed_gpu_rate() -> None:
    """Post-2020 RRNs of unknown birth date are reported, not enumerated; their cost is given at
    the model's GPU rate, labelled as assumed (no GPU was measured)."""
    random_rrns = ks.rrn(dt.date(2021, 1, 1), dt.date(2021, 12, 31), random_tail=True)
    assert not random_rrns.enumerable
    values = [_hex("sha256", p) for p in PHONES]
    res = attack_column(_table(values), "phone_hash", keyspaces=[*SLICE, random_rrns], engine="python", budget_s=60)
    assert res.status == "reversed"
    (note,) = [n for n in res.notes if n.startswith(random_rrns.name)]
    assert f"{random_rrns.size:,} candidates, not enumerated" in note
    assert f"a GPU at 20 GH/s (assumed) would take {random_rrns.size / 20e9:,.1f} s" in note
