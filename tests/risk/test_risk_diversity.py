"""l-diversity, t-closeness, dominance and rare values: pycanon on Adult, and hand-worked tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pycanon import anonymity

import datacustoms
from datacustoms.model.findings import ColumnFinding
from datacustoms.model.thresholds import Thresholds
from datacustoms.risk import column_uniqueness, propose_columns, risk_checks, risk_profile

CASES = [
    (["sex", "age", "race"], "salary-class"),
    (["sex", "race"], "marital-status"),
    (["sex"], "race"),
    (["workclass", "sex"], "education"),
    (["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"],
     "salary-class"),
]  # fmt: skip
#: pycanon loops over classes in Python: the 8-QI set (18k classes) runs on the first rows only
SUBSET_ROWS = 1500


@pytest.fixture(scope="module")
def adult(adult_csv):
    if not adult_csv.exists():
        pytest.skip("the shared UCI Adult data set is not available")
    return datacustoms.read(adult_csv)


@pytest.fixture(scope="module")
def adult_df(adult_csv):
    if not adult_csv.exists():
        pytest.skip("the shared UCI Adult data set is not available")
    return pd.read_csv(adult_csv, sep=";", dtype=str, keep_default_na=False)


def _recursive_c(df: pd.DataFrame, qi: list[str], sa: str, l_: int) -> float:
    """Machanavajjhala et al. (2007): smallest c with r1 < c (r_l + … + r_m) in every class, bound."""
    worst = 0.0
    for _, group in df.groupby(qi, dropna=False):
        counts = sorted(group[sa].value_counts().tolist(), reverse=True)
        rest = sum(counts[l_ - 1 :])
        if rest == 0:
            return math.inf
        worst = max(worst, counts[0] / rest)
    return worst


@pytest.mark.parametrize(("qi", "sa"), CASES, ids=[f"{len(q)}qi-{s}" for q, s in CASES])
def test_diversity_matches_pycanon_on_adult(adult, adult_df, qi, sa, tmp_path):
    if len(qi) > 4:
        adult_df = adult_df.head(SUBSET_ROWS)
        path = tmp_path / "adult_head.csv"
        adult_df.to_csv(path, sep=";", index=False)
        adult = datacustoms.read(path)
        assert adult.num_rows == SUBSET_ROWS
    profile = risk_profile(adult, qi, [sa])
    d = profile.diversity[0]
    assert profile.k == anonymity.k_anonymity(adult_df, qi)
    assert d.distinct_l == anonymity.l_diversity(adult_df, qi, [sa])
    assert int(d.entropy_l + 1e-9) == anonymity.entropy_l_diversity(adult_df, qi, [sa])
    assert not d.ordered
    assert d.t == pytest.approx(anonymity.t_closeness(adult_df, qi, [sa]), abs=1e-12)
    expected_c = _recursive_c(adult_df, qi, sa, 2)
    if math.isinf(expected_c):
        assert d.recursive_c is None
    else:
        assert d.recursive_c == pytest.approx(expected_c)


def test_ordered_t_closeness_matches_pycanon_on_numeric_age(adult, adult_df):
    qi = ["sex", "race", "marital-status"]
    profile = risk_profile(adult, qi, ["age"])  # age is text in the CSV: numeric text is ordered
    d = profile.diversity[0]
    assert d.ordered
    numeric = adult_df.assign(age=adult_df["age"].astype(int))
    assert d.t == pytest.approx(anonymity.t_closeness(numeric, qi, ["age"]), abs=1e-12)


def test_t_closeness_worked_example_from_li_et_al():
    """Li, Li & Venkatasubramanian (ICDE 2007), salaries 3k…11k: EMD({3,4,5}k) = 0.375, {6,8,11}k = 0.167.

    The third class {7, 9, 10}k is 17/72 ≈ 0.236 by the same formula.
    """
    salary = [3, 4, 5, 6, 8, 11, 7, 9, 10]
    zipcode = ["A"] * 3 + ["B"] * 3 + ["C"] * 3
    table = datacustoms.read(pa.table({"zip": zipcode, "salary": salary}))
    th = Thresholds(t=0.2)
    d = risk_profile(table, ["zip"], ["salary"], thresholds=th).diversity[0]
    assert d.ordered
    assert d.t == pytest.approx(0.375)
    assert (d.classes_above_t, d.records_above_t) == (2, 6)  # 0.375 and 0.236 exceed 0.2, 0.167 does not
    strict = risk_profile(table, ["zip"], ["salary"], thresholds=Thresholds(t=0.17)).diversity[0]
    assert strict.classes_above_t == 2
    loose = risk_profile(table, ["zip"], ["salary"], thresholds=Thresholds(t=0.16)).diversity[0]
    assert loose.classes_above_t == 3


def test_equal_distance_and_dominance_hand_worked():
    """Class X: flu ×9, cold ×1 (90% one value); class Y: cold ×5, hiv ×5; table: flu 9, cold 6, hiv 5.

    Equal distance for X: ½(|0.9−0.45| + |0.1−0.3| + |0−0.25|) = 0.45; Y: ½(0.45 + 0.2 + 0.25) = 0.45.
    Entropy of X: −(0.9 ln 0.9 + 0.1 ln 0.1) = 0.325, exp = 1.384; recursive c for l = 2: X 9/1.
    """
    disease = ["flu"] * 9 + ["cold"] + ["cold"] * 5 + ["hiv"] * 5
    table = datacustoms.read(pa.table({"q": ["X"] * 10 + ["Y"] * 10, "disease": disease}))
    profile = risk_profile(table, ["q"], ["disease"])
    d = profile.diversity[0]
    assert not d.ordered
    assert d.distinct_l == 2
    assert d.t == pytest.approx(0.45)
    assert d.entropy_l == pytest.approx(math.exp(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1))))
    assert d.recursive_c == pytest.approx(9.0)
    assert d.classes_failing_recursive == 1  # 9 >= 3 · 1 for X; 5 < 3 · 5 for Y
    assert (d.dominated_classes, d.dominated_records) == (1, 10)


def test_recursive_l3_uses_the_tail_after_the_two_largest():
    # counts 5, 3, 2, 1 → r1 / (r3 + r4) = 5 / 3
    values = ["a"] * 5 + ["b"] * 3 + ["c"] * 2 + ["d"]
    table = datacustoms.read(pa.table({"q": ["x"] * 11, "s": values}))
    d = risk_profile(table, ["q"], ["s"], thresholds=Thresholds(l=3)).diversity[0]
    assert d.recursive_c == pytest.approx(5 / 3)
    assert d.classes_below_l == 0


def test_multiple_sensitive_columns_are_measured_separately(adult, adult_df):
    qi = ["workclass", "sex"]
    profile = risk_profile(adult, qi, ["education", "occupation"])
    for d in profile.diversity:
        assert d.distinct_l == anonymity.l_diversity(adult_df, qi, [d.column])
        assert d.t == pytest.approx(anonymity.t_closeness(adult_df, qi, [d.column]), abs=1e-12)


def test_rare_values_and_near_unique_columns():
    ids = [f"id{i}" for i in range(20)]
    city = ["Seoul"] * 12 + ["Busan"] * 6 + ["Jeju", "Ulsan"]
    table = datacustoms.read(pa.table({"id": ids, "city": city}))
    profile = risk_profile(table, ["city", "id"])
    rare = {r.column: r for r in profile.rare}
    assert (rare["city"].rare_values, rare["city"].rare_records) == (2, 2)
    assert sorted(rare["city"].examples) == ["Jeju", "Ulsan"]
    assert rare["id"].rare_values == 20
    unique = {u.column: u for u in profile.uniqueness}
    assert unique["id"].near_unique and unique["id"].ratio == 1.0
    assert not unique["city"].near_unique
    statuses = {(c.rule, c.subject): c.status for c in risk_checks(profile)}
    assert statuses[("R13", "id")] == "warn"
    assert statuses[("R10", "city, id")] == "fail"


def test_risk_checks_pass_and_fail_with_figures(adult):
    profile = risk_profile(adult, ["sex", "race"], ["salary-class"])
    checks = risk_checks(profile)
    by_rule = {c.rule: c for c in checks if c.subject == "sex, race"}
    assert by_rule["R10"].status == "pass" and "k = " in by_rule["R10"].message
    assert by_rule["R11"].status == "pass"
    strict = Thresholds(k=1000)
    assert next(c for c in risk_checks(profile, strict) if c.rule == "R10").status == "fail"
    risky = risk_profile(adult, ["sex", "age", "race"], ["salary-class"], sampling_fraction=0.01)
    messages = [c for c in risk_checks(risky) if c.rule == "R11"]
    assert messages[0].status == "fail" and "highest 1.000" in messages[0].message
    assert "population uniques" in messages[1].message


def test_propose_columns_uses_roles_and_never_identifiers():
    findings = [
        ColumnFinding(column="phone", kind="kr_mobile", role="direct_identifier", score=0.99),
        ColumnFinding(column="hash", kind="digest:sha256/hex", role="pseudonym", score=0.9),
        ColumnFinding(column="birth", kind="date", role="quasi_identifier", score=0.8),
        ColumnFinding(column="zip", kind="postcode", role="quasi_identifier", score=0.7),
        ColumnFinding(column="diagnosis", kind="other", role="sensitive", score=0.6),
        ColumnFinding(column="note", kind="other", role="other", score=0.1),
    ]
    assert propose_columns(findings) == (["birth", "zip"], ["diagnosis"])


def test_profile_argument_errors(adult):
    from datacustoms.errors import UsageError

    with pytest.raises(UsageError):
        risk_profile(adult, ["sex"], population=1000, sampling_fraction=0.1)
    with pytest.raises(UsageError):
        risk_profile(adult, ["sex"], sampling_fraction=1.5)
    with pytest.raises(UsageError, match="smaller"):
        risk_profile(adult, ["sex"], population=10)


def _ordered_emd(df: pd.DataFrame, qi: list[str], sa: str) -> float:
    """Li et al.'s ordered distance straight from the definition (NULL ranked last)."""
    values = sorted(df[sa].dropna().unique().tolist()) + ([None] if df[sa].isna().any() else [])
    m = len(values)
    total = len(df)
    p = [((df[sa].isna()).sum() if v is None else (df[sa] == v).sum()) / total for v in values]
    worst = 0.0
    for _, group in df.groupby(qi, dropna=False):
        q = [((group[sa].isna()).sum() if v is None else (group[sa] == v).sum()) / len(group) for v in values]
        running, emd = 0.0, 0.0
        for i in range(m):
            running += q[i] - p[i]
            emd += abs(running)
        worst = max(worst, emd / (m - 1))
    return worst


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ordered_distance_matches_the_definition_with_nulls(seed):
    rng = np.random.default_rng(seed)
    rows = 300
    income = rng.integers(0, 40, rows).astype(float)
    income[rng.random(rows) < 0.1] = np.nan
    df = pd.DataFrame({"a": rng.integers(0, 6, rows), "b": rng.choice(["x", "y", None], rows), "income": income})
    table = datacustoms.read(
        pa.table({"a": df["a"], "b": pa.array(df["b"].tolist()), "income": pa.array(income, from_pandas=True)})
    )
    d = risk_profile(table, ["a", "b"], ["income"]).diversity[0]
    assert d.ordered
    assert d.t == pytest.approx(_ordered_emd(df, ["a", "b"], "income"), abs=1e-12)


def test_recursive_l3_on_adult(adult, adult_df):
    qi = ["sex", "race"]
    d = risk_profile(adult, qi, ["marital-status"], thresholds=Thresholds(l=3)).diversity[0]
    assert d.recursive_c == pytest.approx(_recursive_c(adult_df, qi, "marital-status", 3))


def test_column_uniqueness_counts_null_as_a_value():
    table = datacustoms.read(pa.table({"id": ["a", "b", "c", None], "flag": ["y", "y", None, None]}))
    result = {u.column: u for u in column_uniqueness(table)}
    assert (result["id"].distinct, result["id"].near_unique) == (4, True)
    assert (result["flag"].distinct, result["flag"].ratio) == (2, 0.5)
