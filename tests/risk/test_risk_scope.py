"""Conservative quasi-identifiers: scope table, combination search, special uniques, vacuous options."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import datacustoms
from datacustoms.cli import app
from datacustoms.errors import UsageError
from datacustoms.flows.inspect import refuse_vacuous
from datacustoms.io import read
from datacustoms.model.thresholds import Thresholds
from datacustoms.report.html import render_html
from datacustoms.report.text import render
from datacustoms.risk.combos import choose_depth, search_combinations
from datacustoms.risk.profile import combination_checks


def _table(n: int = 600) -> pa.Table:
    """age and sex (detected QIs) are safe together; the count and band columns single people out."""
    rng = np.random.default_rng(7)
    return pa.table({
        "age": np.repeat([30, 40, 50], n // 3),
        "sex": np.tile(["F", "M"], n // 2),
        "card_count": rng.integers(0, 40, n),
        "score_band": rng.integers(0, 25, n),
        "country": ["KR"] * n,
    })  # fmt: skip


def test_old_default_passed_but_candidates_fail_naming_the_combination() -> None:
    table = _table()
    old = datacustoms.inspect(table, attack=False, qi=["age", "sex"])
    assert old.verdict == "pass"
    new = datacustoms.inspect(table, attack=False)
    assert new.verdict == "fail"
    assert new.qi_origin == "candidates"
    failing = [c for c in new.checks if c.rule == "R10" and c.status == "fail"]
    assert any("card_count" in c.subject and "score_band" in c.subject for c in failing)
    assert new.combinations is not None and new.combinations.complete
    assert new.combinations.worst[0].k == 1


def test_scope_lists_every_column_with_reasons() -> None:
    table = _table().append_column("phone", pa.array([f"010-{1000 + i % 9000:04d}-{5678:04d}" for i in range(600)]))
    report = datacustoms.inspect(table, attack=False)
    scope = {c.column: c for c in report.scope}
    assert set(scope) == set(table.column_names)
    assert scope["country"].measured_as == "excluded" and scope["country"].reason.startswith("constant")
    assert scope["phone"].measured_as == "excluded" and "direct identifier" in scope["phone"].reason
    assert scope["card_count"].measured_as == "quasi_identifier"
    text = render(report)
    assert "Risk scope" in text and "constant" in text
    assert "Risk scope" in render_html(report)
    assert '"scope"' in report.to_json()


def test_qi_narrowing_is_recorded_and_keeps_explicit_figures() -> None:
    table = _table()
    report = datacustoms.inspect(table, attack=False, qi=["age", "sex"])
    scope = {c.column: c for c in report.scope}
    assert report.qi_origin == "--qi"
    assert scope["card_count"].reason == "not a quasi-identifier: narrowed by --qi"
    assert report.combinations is None
    assert report.risk is not None and report.risk.qi == ["age", "sex"] and report.risk.k == 100
    policy = datacustoms.inspect(table, attack=False, qi=["age"], qi_origin="policy")
    assert "the policy" in {c.column: c for c in policy.scope}["sex"].reason


def test_combination_counts_match_a_direct_count() -> None:
    table = _table()
    result = search_combinations(read(table), ["age", "sex", "card_count", "score_band"], Thresholds())
    assert result.depth == 4 and result.combinations == 15
    for combo in result.worst:
        expected = table.group_by(combo.columns).aggregate([([], "count_all")]).column("count_all").to_numpy()
        assert combo.k == expected.min()
        assert combo.classes == len(expected)
        assert combo.sample_uniques == int((expected == 1).sum())


def test_special_uniques_are_minimal() -> None:
    # row 0 is unique on a alone; row 1 is unique only on (b, c); nothing else is unique
    table = pa.table({
        "a": [9, 1, 1, 1, 2, 2, 2, 2],
        "b": [0, 0, 1, 1, 0, 0, 1, 1],
        "c": [0, 1, 0, 0, 1, 0, 1, 1],
    })  # fmt: skip
    result = search_combinations(read(table), ["a", "b", "c"], Thresholds(k=2))
    special = result.special
    assert special is not None
    # brute force: a record's MSU is a column set it is unique on, with no unique proper subset
    rows = list(zip(*(table.column(c).to_pylist() for c in "abc"), strict=True))
    by_size, holders = [0, 0, 0], set()
    for r, row in enumerate(rows):
        unique_sets = [
            s for size in (1, 2, 3) for s in combinations(range(3), size)
            if sum(all(o[i] == row[i] for i in s) for o in rows) == 1
        ]
        for s in unique_sets:
            if not any(set(t) < set(s) for t in unique_sets):
                by_size[len(s) - 1] += 1
                holders.add(r)
    assert special.msus_by_size == by_size
    assert special.records == len(holders)
    assert special.msus_by_size[0] == 1  # row 0 is the only a = 9
    assert set(special.contributions) <= {"a", "b", "c"}


def test_search_fails_closed_when_candidates_are_too_many() -> None:
    names = [f"c{i}" for i in range(40)]
    table = pa.table({n: np.arange(50) % (i + 2) for i, n in enumerate(names)})
    result = search_combinations(read(table), names, ops_budget=10_000)
    assert not result.complete and result.depth == 0 and "too many" in (result.reason or "")
    checks = combination_checks(result, Thresholds())
    assert [c.status for c in checks] == ["fail"] and "too many" in checks[0].message
    assert choose_depth(40, 1_000_000) == 0 and choose_depth(10, 1_000_000) == 4 and choose_depth(20, 1_000_000) == 3


def test_sampled_search_re_measures_the_worst_on_every_row() -> None:
    table = _table(3000)
    result = search_combinations(read(table), ["age", "sex", "card_count", "score_band"], cell_budget=4000)
    assert result.sampled_rows == 1000 and result.rows == 3000
    assert all(w.exact for w in result.worst)
    worst = result.worst[0]
    expected = table.group_by(worst.columns).aggregate([([], "count_all")]).column("count_all").to_numpy()
    assert worst.k == expected.min()


@pytest.mark.parametrize(("k", "max_risk"), [(1, 0.09), (0, 0.09), (5, 0.0), (5, 1.2)])
def test_vacuous_thresholds_are_refused(k: int, max_risk: float) -> None:
    with pytest.raises(UsageError):
        refuse_vacuous(k, max_risk)


@pytest.mark.parametrize("args", [["--sample-rows", "0"], ["--sample-rows", "-1"], ["--k", "1"], ["--max-risk", "0"]])
def test_cli_refuses_vacuous_options(tmp_path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.csv"
    path.write_text("name,phone\nKim,010-1234-5678\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["inspect", str(path), "--no-attack", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


POLICY = """recipient: partner
purpose: analytics
default_action: keep
{qi}columns:
  age:
    action: generalize
    method: age
    width: 10
  card_count: keep
"""


@pytest.mark.parametrize(
    ("qi", "expected"),
    [
        # quasi_identifiers declared on line 4: every column it does not list points there
        ("quasi_identifiers:\n  - age\n", {"card_count": 4, "score_band": 4, "sex": 4}),
        # no quasi_identifiers: a kept column points to its own line, an unlisted one to default_action
        ("", {"card_count": 9, "score_band": 3, "sex": 3}),
    ],
)
def test_scope_names_the_policy_line_that_left_a_column_out(tmp_path, qi: str, expected: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    from datacustoms.policy import load_policy

    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(qi=qi), encoding="utf-8")
    policy = load_policy(path)
    table = _table().drop_columns(["country"])
    report = datacustoms.inspect(
        table, attack=False, qi=policy.qi_columns(), qi_origin="policy", qi_reasons=policy.qi_reasons(table.column_names)
    )
    reasons = {c.column: c.reason for c in report.scope}
    assert reasons["age"] is None
    for column, line in expected.items():
        assert (reasons[column] or "").startswith(f"declared non-QI by policy line {line} ("), (column, reasons[column])
    assert f"declared non-QI by policy line {expected['sex']}" in render(report)
    assert "lines" not in policy.model_dump() and "lines" not in str(datacustoms.policy.policy_json_schema())


def test_cli_inspect_with_a_policy_names_its_lines_and_uses_its_thresholds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    import pyarrow.csv as pacsv

    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(qi="quasi_identifiers:\n  - age\n") + "thresholds:\n  k: 7\n", encoding="utf-8")
    data = tmp_path / "t.csv"
    pacsv.write_csv(_table().drop_columns(["country"]), data)
    result = CliRunner().invoke(app, ["inspect", str(data), "--no-attack", "--policy", str(policy), "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    assert doc["qi_origin"] == "policy"
    reasons = {c["column"]: c["reason"] for c in doc["scope"]}
    assert reasons["sex"].startswith("declared non-QI by policy line 4 (")
    assert reasons["card_count"].startswith("declared non-QI by policy line 4 (")
    assert doc["risk"]["qi"] == ["age"] and doc["risk"]["thresholds"]["k"] == 7
    narrowed = CliRunner().invoke(app, ["inspect", str(data), "--no-attack", "-p", str(policy), "--qi", "age,sex",
                                        "--k", "3", "-f", "json"])  # fmt: skip
    doc = json.loads(narrowed.stdout)
    assert doc["qi_origin"] == "--qi" and doc["risk"]["thresholds"]["k"] == 3


def _wide_table(n: int = 4000) -> pa.Table:
    """Columns wide enough that some combinations' keys take the sort path, with NULLs in one."""
    rng = np.random.default_rng(11)
    amount = rng.integers(0, 5000, n).astype(object)
    amount[rng.random(n) < 0.05] = None
    return pa.table({
        "age": rng.integers(18, 90, n),
        "sex": rng.choice(["F", "M"], n),
        "joined": [f"2020-{m:02d}-{d:02d}" for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 29, n), strict=True)],
        "amount": pa.array(amount.tolist(), pa.int64()),
    })  # fmt: skip


@pytest.mark.parametrize("cell_budget", [10_000_000, 6000])
def test_both_ways_of_reading_give_the_same_search(monkeypatch: pytest.MonkeyPatch, cell_budget: int) -> None:
    """Every row's codes (the profile's encoder) and the sampled rows dictionary-encoded by Arrow
    (where those codes would not fit, or a column holds floats) measure the same rows and classes."""
    import datacustoms.risk.combos as combos

    table = _wide_table()
    names = ["age", "sex", "joined", "amount"]
    coded = search_combinations(read(table), names, cell_budget=cell_budget)
    monkeypatch.setattr(combos, "encode", lambda *a, **k: None)
    streamed = search_combinations(read(table), names, cell_budget=cell_budget)
    assert coded == streamed
    assert coded.sampled_rows == (4000 if cell_budget > 16_000 else 1500) and coded.rows == 4000
    for worst in coded.worst:  # re-measured on every row when sampled
        expected = table.group_by(worst.columns).aggregate([([], "count_all")]).column("count_all").to_numpy()
        assert worst.exact and worst.k == expected.min() and worst.classes == len(expected)
        assert worst.sample_uniques == int((expected == 1).sum())


def test_a_float_column_is_searched_through_the_sampled_rows() -> None:
    table = _wide_table().append_column("score", pa.array(np.arange(4000) % 7 / 2.0))
    result = search_combinations(read(table), ["age", "sex", "score"], cell_budget=3000)
    assert result.sampled_rows == 1000 and all(w.exact for w in result.worst)
    worst = result.worst[0]
    expected = table.group_by(worst.columns).aggregate([([], "count_all")]).column("count_all").to_numpy()
    assert worst.k == expected.min() and worst.classes == len(expected)


@pytest.mark.parametrize(("rows", "card"), [(1000, 10**9), (50_000, 10**12), (3000, 2**61), (200, 50), (1, 10**9)])
def test_class_ids_are_the_ranks_np_unique_gives(rows: int, card: int) -> None:
    from datacustoms.risk.combos import class_counts, class_sizes_of

    key = np.random.default_rng(rows).integers(0, card, rows)
    ids, counts = class_counts(key, card)
    _, inverse, expected = np.unique(key, return_inverse=True, return_counts=True)
    if card <= 4 * rows + 1024:  # a dense range: the key is its own id
        assert (ids == key).all() and (counts[key] == expected[inverse.reshape(-1)]).all()
    else:
        assert (ids == inverse.reshape(-1)).all() and (counts == expected).all()
    sizes = class_sizes_of(key, card)
    assert sorted(sizes[sizes > 0].tolist()) == sorted(expected.tolist())
