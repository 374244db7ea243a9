"""The blind planner: headers raise priorities and never exclude a keyspace; an unfinished search is
``incomplete``, never "0% reversible"; known salts are tested; sender mode reports inspect's size."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from datacustoms.attack import attack_column
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.engine import native_available
from datacustoms.attack.hashes.keyspaces import Keyspace, ListKeyspace, MaskKeyspace, candidates
from datacustoms.attack.hashes.recipes import Recipe
from datacustoms.attack.hashes.runner import JobResult
from datacustoms.attack.planner import FAMILY_PRIORS, blind_keyspaces, catalogue, rrn_decades
from datacustoms.attack.reverse import ALWAYS_TRY_SECONDS, blind_plan, header_family, plan_jobs, run_jobs
from datacustoms.attack.secrets import known_salts
from datacustoms.cli import app
from datacustoms.flows.inspect import reversal_check
from datacustoms.table import Table, from_arrow

RNG = random.Random(16)
NEUTRAL = ["id", "key", "ref", "value", "qx7_col"]

#: one small slice per built-in family, so every family is enumerable within a test
SLICES: dict[str, Keyspace] = {
    "kr_mobile": ks.kr_mobile().narrowed("1000"),
    "kr_landline": ks.kr_landline().narrowed("12345"),
    "kr_mobile_legacy": ks.kr_mobile_legacy().narrowed("1234"),
    "rrn": ks.rrn(dt.date(1990, 5, 17), dt.date(1990, 5, 17)),
    "dates": ks.dates(dt.date(1980, 1, 1), dt.date(1989, 12, 31)),
    "serial": ks.numeric_range(1, 99_999),
    "jp_mobile": ks.national_mobile("JP").narrowed("12345"),
}
ALL_SLICES = list(SLICES.values())


def _plaintexts(keyspace: Keyspace, n: int, fmt_index: int = 0) -> list[bytes]:
    """``n`` distinct identifiers taken from the keyspace itself, in one of its formats."""
    fmt = keyspace.formats[fmt_index % len(keyspace.formats)]
    if isinstance(keyspace, ListKeyspace):
        return RNG.sample(keyspace.candidates(fmt), n)
    assert isinstance(keyspace, MaskKeyspace)
    part = max(keyspace.parts(fmt), key=lambda p: p.size)
    picks = sorted(RNG.sample(range(part.start, part.end), n))
    return [candidates(part, b"", b"", i, i + 1)[0] for i in picks]


ENCODERS: dict[str, Callable[[bytes], str]] = {
    "sha256/hex": lambda p: hashlib.sha256(p).hexdigest(),
    "sha1/base64": lambda p: base64.b64encode(hashlib.sha1(p).digest()).decode(),
    "md5/HEX": lambda p: hashlib.md5(p).hexdigest().upper(),
    "sha256x2/hex": lambda p: hashlib.sha256(hashlib.sha256(p).hexdigest().encode()).hexdigest(),
}


def _table(values: list[str], column: str) -> Table:
    return from_arrow(pa.table({column: pa.array(values, pa.string())}), name="export")


@pytest.mark.parametrize(
    ("family", "fmt_index", "encoding", "header"),
    [
        ("kr_mobile", 0, "sha256/hex", "id"),
        ("kr_mobile", 1, "sha1/base64", "key"),
        ("kr_landline", 1, "md5/HEX", "ref"),
        ("kr_mobile_legacy", 0, "sha1/base64", "value"),
        ("rrn", 0, "sha256/hex", "qx7_col"),
        ("dates", 1, "md5/HEX", "id"),
        ("serial", 0, "sha256x2/hex", "value"),
        ("jp_mobile", 2, "sha1/base64", "ref"),
    ],
)
def test_every_family_is_reversed_under_a_neutral_header(family: str, fmt_index: int, encoding: str,
                                                          header: str) -> None:  # fmt: skip
    plain = _plaintexts(SLICES[family], 40, fmt_index)
    values = [ENCODERS[encoding](p) for p in plain]
    res = attack_column(_table(values, header), header, header=header, keyspaces=ALL_SLICES, budget_s=120)
    assert res.status == "reversed", res.reason
    assert res.distinct_reversed == len(set(values))
    assert res.search_complete


@pytest.mark.parametrize("header", NEUTRAL)
def test_a_misleading_header_reorders_but_never_excludes(header: str) -> None:
    """``id`` suggests serials: the serial slice runs first, the phone digests are still reversed."""
    plain = _plaintexts(SLICES["kr_mobile"], 30, 1)
    values = [hashlib.sha256(p).hexdigest() for p in plain]
    res = attack_column(_table(values, header), header, header=header, keyspaces=ALL_SLICES, budget_s=120)
    assert res.status == "reversed" and res.recipe == 'sha256(hex) of "010-1000-XXXX"'


def _rate(recipe: Recipe) -> float:
    return 4e7 if recipe.algorithm in ("sha256", "sha1", "md5") else 1e6


def test_every_family_is_planned_whatever_the_header() -> None:
    families = {family for _, family in catalogue("KR")}
    assert families == set(FAMILY_PRIORS)
    for header in ["cust_key", "member_ref", "email", "phone", "생년월일", *NEUTRAL]:
        hinted = {header_family(header)} - {None}
        planned = blind_keyspaces("KR", families=hinted)  # type: ignore[arg-type]
        assert {p.family for p in planned} == families
        assert len(planned) == len(catalogue("KR"))


def test_cheap_jobs_run_first_and_the_010_block_precedes_large_serials() -> None:
    spaces = [k for k, _ in catalogue("KR")]
    orders = {}
    for family in (None, "numeric", "phone", "email"):
        planned = blind_keyspaces("KR", families={family} - {None})  # type: ignore[arg-type]
        priors = {p.keyspace.name: p.prior for p in planned}
        jobs = plan_jobs(spaces, ["sha256", "sha3_256", "blake2s"], [], rate=_rate, priors=priors)
        cheap = [j for j in jobs if j.rank[0] == 0]
        assert jobs[: len(cheap)] == cheap and all(j.seconds < ALWAYS_TRY_SECONDS for j in cheap)
        orders[family] = jobs
        names = [(j.keyspace.name, j.fmt, j.recipe.algorithm, j.recipe.rounds) for j in jobs]
        mobile = names.index(("kr_mobile_010", "digits", "sha256", 1))
        assert mobile < names.index(("serial_1e9", "plain", "sha256", 1))
        assert mobile < names.index(("serial_1e10", "plain", "sha256", 1))
    # the header never changes what is always tried
    cheap_sets = {f: {(j.keyspace.name, j.fmt, str(j.recipe)) for j in o if j.rank[0] == 0} for f, o in orders.items()}
    assert len({frozenset(s) for s in cheap_sets.values()}) == 1


def test_detected_source_kind_raises_priority() -> None:
    values = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(50)]
    table = _table(values, "ref")
    from datacustoms.attack.column import read_column
    from datacustoms.attack.hashes.runner import Runner

    parsed = read_column(table, "ref")
    assert parsed is not None
    runner = Runner(parsed)

    def first_rrn(hints: list[str | None]) -> int:
        _, jobs = blind_plan(parsed, runner, header="ref", column="ref", dataset=None, hints=hints)
        return next(i for i, j in enumerate(jobs) if j.keyspace.family == "rrn")

    assert first_rrn(["kr_rrn"]) < first_rrn([None])


@pytest.mark.skipif(not native_available(), reason="native engine not built")
def test_neutral_header_reverses_korean_mobiles_with_the_default_plan() -> None:
    """The case that spent the whole budget on serials: SHA-256 of 010 mobiles under ``cust_key``."""
    values = [hashlib.sha256(f"010{RNG.randrange(10**8):08d}".encode()).hexdigest() for _ in range(200)]
    res = attack_column(_table(values, "cust_key"), "cust_key", header="cust_key", budget_s=240)
    assert res.status == "reversed", res.reason
    assert res.recipe == 'sha256(hex) of "010XXXXXXXX"'


# ------------------------------------------------------------------------------- honest outcome


def test_an_unfinished_search_is_incomplete_and_fails_the_check() -> None:
    values = [os.urandom(32).hex() for _ in range(20)]
    res = attack_column(_table(values, "member_ref"), "member_ref", budget_s=0.5)
    assert res.status == "incomplete" and not res.search_complete
    assert res.reason.startswith("not reversed within the budget; covered: ")
    assert "not covered: " in res.reason and "estimated time" in res.reason and "0%" not in res.reason.split(";")[0]
    assert res.remaining_seconds and res.remaining_seconds > 0
    assert any(c.keyspace == "kr_mobile_010" and not c.primary_complete for c in res.coverage)
    check = reversal_check(res)
    assert check.status == "fail" and check.message.startswith("not proven safe")


def test_a_finished_search_of_keyed_digests_is_not_reversed_and_warns() -> None:
    key = os.urandom(32)
    values = [hmac.new(key, str(i).encode(), "sha256").hexdigest() for i in range(20)]
    res = attack_column(_table(values, "acct"), "acct", keyspaces=[ks.numeric_range(1, 999)], budget_s=60)
    assert res.status == "not_reversed" and res.search_complete and res.remaining_seconds == 0
    assert reversal_check(res).status == "warn"


# ---------------------------------------------------------------------------------- known salts

SALT = b"s3cr3t-pepper-Q9"
PHONES = sorted({f"0101000{RNG.randrange(10_000):04d}" for _ in range(40)})


@pytest.mark.parametrize(
    ("mode", "digest"),
    [
        ("prefix", lambda p: hashlib.sha256(SALT + p).hexdigest()),
        ("suffix", lambda p: hashlib.sha256(p + SALT).hexdigest()),
        ("hmac", lambda p: hmac.new(SALT, p, "sha256").hexdigest()),
    ],
)
@pytest.mark.parametrize("given", ["text", "hex"])
def test_known_salt_is_recovered_and_masked(mode: str, digest: Callable[[bytes], str], given: str) -> None:
    values = [digest(p.encode()) for p in PHONES]
    salt_arg = SALT.decode() if given == "text" else f"hex:{SALT.hex()}"
    salts = known_salts([salt_arg], mode="any")
    res = attack_column(_table(values, "value"), "value", keyspaces=[SLICES["kr_mobile"]], salts=salts, budget_s=60)
    assert res.status == "reversed" and res.distinct_reversed == len(PHONES), res.reason
    assert res.recipe is not None and "the given salt" in res.recipe
    assert ("hmac-sha256" in res.recipe) == (mode == "hmac")
    dumped = res.model_dump_json() + repr(salts) + repr(res)
    assert SALT.decode() not in dumped and SALT.hex() not in dumped


def test_salt_mode_limits_where_the_salt_goes() -> None:
    values = [hashlib.sha256(p.encode() + SALT).hexdigest() for p in PHONES]  # a suffix
    salts = known_salts([SALT.decode()], mode="prefix")
    res = attack_column(_table(values, "value"), "value", keyspaces=[SLICES["kr_mobile"]], salts=salts, budget_s=60)
    assert res.status == "not_reversed"


def test_known_answer_hmac_sha256() -> None:
    """RFC 4231 test case 2 through the recipe (the same function the enumeration uses)."""
    recipe = Recipe("sha256", hmac_key=b"Jefe")
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert recipe.digest(b"what do ya want for nothing?").hex() == expected
    assert recipe.hasher()(b"what do ya want for nothing?").hex() == expected


def test_cli_salt_file_and_bad_salt(tmp_path: Path) -> None:
    values = [hmac.new(SALT, p.encode(), "sha256").hexdigest() for p in PHONES]
    export = tmp_path / "export.csv"
    export.write_text("member_ref\n" + "\n".join(values) + "\n")
    salt_file = tmp_path / "pepper.txt"
    salt_file.write_bytes(SALT + b"\n")
    cli = CliRunner()
    args = ["attack", str(export), "-k", "kr_mobile", "--budget", "5", "-f", "json"]
    res = cli.invoke(app, [*args, "--salt-file", str(salt_file), "--salt-mode", "hmac", "--kernel", "python"])
    # kr_mobile is 10^8 candidates: not finished in 5 s, so only the output's hygiene is checked here
    assert res.exit_code in (0, 1), res.output
    assert SALT.decode() not in res.output and SALT.hex() not in res.output
    bad = cli.invoke(app, [*args, "--salt", "hex:zz" + SALT.hex()])
    assert bad.exit_code == 2 and SALT.hex() not in bad.output and "not valid hex" in bad.output
    json.loads(res.output)


# ---------------------------------------------------------------------------------- sender mode


def test_sender_mode_enumerates_each_recipe_once_and_quotes_inspects_size() -> None:
    phones = [f"0101000{i:04d}" for i in RNG.sample(range(10_000), 64)]
    values = [hashlib.sha256(p.encode()).hexdigest() for p in phones]
    export = from_arrow(pa.table({"phone_hash": values}), name="feed")
    reference = from_arrow(pa.table({"mobile": [f"{p[:3]}-{p[3:7]}-{p[7:]}" for p in phones]}), name="crm")
    spaces = [SLICES["kr_mobile"], SLICES["kr_mobile_legacy"]]
    sender = attack_column(export, "phone_hash", reference=reference, keyspaces=spaces, budget_s=60)
    blind = attack_column(export, "phone_hash", keyspaces=spaces, budget_s=60)
    assert sender.status == blind.status == "reversed"
    assert sender.keyspace_covered == SLICES["kr_mobile"].size  # once, not once per keyspace
    assert sender.extrapolations[0].candidates == blind.extrapolations[0].candidates == SLICES["kr_mobile"].size


def test_inspect_cli_tests_a_known_salt(tmp_path: Path) -> None:
    """``inspect --salt-file``: salted account serials (a cheap keyspace) are reversed and fail R2."""
    values = [hashlib.sha256(SALT + str(i).encode()).hexdigest() for i in RNG.sample(range(1, 999_999), 50)]
    export = tmp_path / "export.csv"
    export.write_text("acct_ref,city\n" + "\n".join(f"{v},Seoul" for v in values) + "\n")
    salt_file = tmp_path / "salt.bin"
    salt_file.write_bytes(SALT)
    args = ["inspect", str(export), "--salt-file", str(salt_file), "--salt-mode", "prefix", "-f", "json"]
    res = CliRunner().invoke(app, [*args, "--attack-budget", "120"])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.output)
    attack = next(a for a in doc["attacks"] if a["column"] == "acct_ref")
    assert attack["status"] == "reversed" and "the given salt" in attack["recipe"]
    assert SALT.decode() not in res.output and SALT.hex() not in res.output


def test_linkage_tries_a_known_salt() -> None:
    values = [hmac.new(SALT, p.encode(), "sha256").hexdigest() for p in PHONES]
    known = from_arrow(pa.table({"mobile": PHONES[:20]}), name="recipient")
    salts = known_salts([f"hex:{SALT.hex()}"], mode="hmac")
    res = attack_column(_table(values, "ref"), "ref", known=known, salts=salts, budget_s=60)
    assert res.mode == "linkage" and res.rows_reversed == 20
    assert res.recipe is not None and "the given salt" in res.recipe and SALT.hex() not in res.model_dump_json()


class _Recorder:
    """A runner that hashes nothing: it records the order of the jobs and reports hits for the
    keyspaces it is told hold the column's plaintexts (once each)."""

    def __init__(self, holds: dict[str, int]) -> None:
        self.holds = dict(holds)
        self.order: list[str] = []
        self.recipes_hit: list[Recipe] = []
        self.found: list[int] = []

    def done(self) -> bool:
        return False

    def run_mask(self, recipe: Recipe, keyspace: MaskKeyspace, fmt: str, deadline: float) -> JobResult:
        self.order.append(keyspace.name)
        hits = self.holds.pop(keyspace.name, 0) if fmt == "digits" and recipe.rounds == 1 else 0
        if hits and recipe not in self.recipes_hit:
            self.recipes_hit.append(recipe)
        return JobResult(recipe, keyspace.name, size=1, covered=1, hits=hits)


@pytest.mark.parametrize("evidence", [True, False])
def test_digests_reversed_by_a_family_send_the_rest_to_that_familys_keyspaces(evidence: bool) -> None:
    """A column 98 % Korean 010 mobiles is finished by the retired 01X numbers: once 010 numbers are
    found, the legacy block runs before the resident numbers, which the priors alone put first."""
    spaces: list[Keyspace] = [ks.kr_mobile(), *rrn_decades()[:2], ks.kr_mobile_legacy()]
    planned = blind_keyspaces("KR", families={"phone"}, spaces=spaces)
    jobs = plan_jobs(
        spaces, ["sha256"], [], rate=lambda r: 5e7,
        priors={p.keyspace.name: p.prior for p in planned}, families={p.keyspace.name: p.family for p in planned},
    )  # fmt: skip
    runner = _Recorder({"kr_mobile_010": 1962} if evidence else {})
    run_jobs(runner, jobs, 0, time.perf_counter() + 60)  # type: ignore[arg-type]
    order = runner.order
    legacy, rrn = order.index("kr_mobile_legacy"), order.index("kr_rrn_19800101_19891231")
    if evidence:
        assert order[0] == "kr_mobile_010" and legacy < rrn
    else:  # without evidence the priors hold: resident numbers are likelier than retired mobiles
        assert rrn < legacy
