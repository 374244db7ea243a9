"""Cumulative exposure per recipient (R17): keyed sketches in the ledger, judged on the union."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from datacustoms.flows.transfer import run_transfer
from datacustoms.ledger import LedgerStore
from datacustoms.ledger.exposure import SKETCH_K, figures, fingerprint, linkable_share, unpack
from datacustoms.table import from_arrow

KEY = b"k" * 32


def _release(people: range, day: int, *, prefix: str = "p") -> pa.Table:
    rng = np.random.default_rng(day)
    n = len(people)
    return pa.table({
        "pseudonym": [f"{prefix}{p:06d}" for p in people],
        "q1": [str(p % 10) for p in people],  # stable
        "q2": [str(x) for x in rng.integers(0, 5, n)],  # changes daily
    })


def test_sketch_is_keyed_bounded_and_estimates_distinct() -> None:
    fp = fingerprint(from_arrow(_release(range(5000), 1)), ["q1", "q2"], KEY)
    assert [c.column for c in fp.columns] == ["pseudonym"]  # only the near-unique column is sketched
    sketch = unpack(fp.columns[0].sketch)
    assert len(sketch) == SKETCH_K and np.all(np.diff(sketch.astype(np.float64)) > 0)
    assert fp.columns[0].distinct == pytest.approx(5000, rel=0.1)
    other = fingerprint(from_arrow(_release(range(5000), 1)), ["q1", "q2"], b"x" * 32)
    assert not np.intersect1d(sketch, unpack(other.columns[0].sketch)).size  # another key, other digests
    sizes = unpack(fp.class_sizes, "<u4")
    assert len(sizes) == SKETCH_K and 60 < float(np.mean(sizes)) < 140  # 5000 rows in 50 classes
    assert b"p000" not in fp.model_dump_json().encode()  # no value kept


def test_stable_pseudonym_links_and_joint_classes_shrink() -> None:
    day1 = fingerprint(from_arrow(_release(range(2000), 1)), ["q1", "q2"], KEY)
    day2 = fingerprint(from_arrow(_release(range(2000), 2)), ["q1", "q2"], KEY)
    alone = figures([day2], k=5)
    assert alone.at_risk_share < 0.01  # classes of ~40 in one release
    both = figures([day1, day2], k=5, new=day2)
    assert both.linkable_share == pytest.approx(1.0, abs=0.05)
    assert both.people == pytest.approx(2000, rel=0.1)
    # two daily snapshots: ~ 1999 · (39/1999)² ≈ 0.8 others share a person's classes
    assert both.at_risk_share > 0.9 and both.highest_risk > 0.5


def test_rotating_pseudonyms_do_not_link() -> None:
    day1 = fingerprint(from_arrow(_release(range(2000), 1, prefix="a")), ["q1", "q2"], KEY)
    day2 = fingerprint(from_arrow(_release(range(2000), 2, prefix="b")), ["q1", "q2"], KEY)
    assert linkable_share([day1], day2) < 0.05
    both = figures([day1, day2], k=5, new=day2)
    assert both.people == pytest.approx(4000, rel=0.1) and both.at_risk_share < 0.05


POLICY = """
recipient: Alipay Singapore
recipient_country: KR
purpose: NSF score
legal_basis: contract
role: processor
key: env:DC_TEST_TRANSFER_KEY
default_action: drop
quasi_identifiers: [region, band]
columns:
  phone: {action: pseudonymize, normalize: digits}
  region: keep
  band: keep
thresholds: {k: 5, max_risk: 0.2}
record:
  contact: dpo@alipay.example
  role_questions: {purpose: sender, benefit: sender, control: sender}
  subject_categories: [payment customers]
  key_holder: sender
  retention_until: 2027-12-31
"""


def _day_csv(folder: Path, day: int) -> Path:
    rng = np.random.default_rng(day)
    n = 600
    table = pa.table({
        "phone": [f"010-{1000 + i // 10000:04d}-{i % 10000:04d}" for i in range(n)],
        "region": [("Seoul", "Busan", "Incheon")[i % 3] for i in range(n)],
        "band": [str(x) for x in rng.integers(0, 4, n)],
    })
    path = folder / f"day{day}.csv"
    pacsv.write_csv(table, path)
    return path


def test_second_daily_transfer_with_a_stable_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DC_TEST_TRANSFER_KEY", "520d2ed6a1cc4cb307b27fbebba02bcb7e0140e54dd0baa7523542b1e24b61d0")
    policy = tmp_path / "policy.yaml"
    policy.write_text(textwrap.dedent(POLICY), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    first = run_transfer(str(_day_csv(tmp_path, 1)), policy, tmp_path / "out1.csv", ledger=url, attack=False)
    assert not first.refused and first.record.exposure_sha256 is not None
    assert first.exposure.held_before is None and first.exposure.this_release.at_risk_share == 0.0
    second = run_transfer(str(_day_csv(tmp_path, 2)), policy, tmp_path / "out2.csv", ledger=url, attack=False)
    assert second.refused and not (tmp_path / "out2.csv").exists()
    assert second.record.refusal_reasons[0].startswith("R17:")
    assert second.exposure.held_after.linkable_share == pytest.approx(1.0, abs=0.05)
    with LedgerStore(url) as store:
        assert store.verify().ok


def test_ledger_exposure_cli_prints_the_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from datacustoms.cli import app

    monkeypatch.setenv("DC_TEST_TRANSFER_KEY", "520d2ed6a1cc4cb307b27fbebba02bcb7e0140e54dd0baa7523542b1e24b61d0")
    policy = tmp_path / "policy.yaml"
    policy.write_text(textwrap.dedent(POLICY).replace("max_risk: 0.2", "max_risk: 1.0"), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    for day in (1, 2):
        assert not run_transfer(str(_day_csv(tmp_path, day)), policy, tmp_path / f"o{day}.csv", ledger=url,
                                attack=False).refused  # fmt: skip
    res = CliRunner().invoke(app, ["ledger", "exposure", "--recipient", "Alipay Singapore", "--ledger", url, "--json"])
    data = json.loads(res.stdout)
    assert res.exit_code == 0 and [r["releases"] for r in data["transfers"]] == [1, 2]
    assert data["transfers"][1]["at_risk_share"] > data["transfers"][0]["at_risk_share"]
    assert 0 < data["transfers"][0]["fingerprint_bytes"] < 40_000
    text = CliRunner().invoke(app, ["ledger", "exposure", "--recipient", "Alipay Singapore", "--ledger", url]).stdout
    assert "cumulative exposure of Alipay Singapore" in text


def test_rotating_key_per_transfer_passes_the_cumulative_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DC_TEST_TRANSFER_KEY", "520d2ed6a1cc4cb307b27fbebba02bcb7e0140e54dd0baa7523542b1e24b61d0")
    policy = tmp_path / "policy.yaml"
    policy.write_text(textwrap.dedent(POLICY).replace("normalize: digits}", "normalize: digits, rotate: per_transfer}"),
                      encoding="utf-8")  # fmt: skip
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    outcomes = [run_transfer(str(_day_csv(tmp_path, d)), policy, tmp_path / f"o{d}.csv", ledger=url, attack=False)
                for d in (1, 2)]  # fmt: skip
    assert not any(o.refused for o in outcomes)
    assert outcomes[1].exposure.held_after.linkable_share < 0.05
    methods = [o.record.pseudonymisation[0].method for o in outcomes]
    assert all("per transfer" in m for m in methods) and methods[0] != methods[1]  # the epoch is recorded
    sent = [pacsv.read_csv(tmp_path / f"o{d}.csv").column("phone").to_pylist() for d in (1, 2)]
    assert not set(sent[0]) & set(sent[1])


def test_a_changed_fingerprint_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from datacustoms.errors import LedgerTampered
    from datacustoms.ledger.exposure import history

    monkeypatch.setenv("DC_TEST_TRANSFER_KEY", "520d2ed6a1cc4cb307b27fbebba02bcb7e0140e54dd0baa7523542b1e24b61d0")
    policy = tmp_path / "policy.yaml"
    policy.write_text(textwrap.dedent(POLICY), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert not run_transfer(str(_day_csv(tmp_path, 1)), policy, tmp_path / "o.csv", ledger=url, attack=False).refused
    con = sqlite3.connect(tmp_path / "ledger.db")
    con.execute("UPDATE dc_exposure SET fingerprint = replace(fingerprint, '\"rows\":600', '\"rows\":6')")
    con.commit()
    con.close()
    with LedgerStore(url) as store, pytest.raises(LedgerTampered):
        history(store, "Alipay Singapore")
