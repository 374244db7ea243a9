"""Attacker risks and population-uniqueness models against hand-worked values and their definitions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special

import datacustoms
from datacustoms.model.risk import ClassHistogram
from datacustoms.risk import class_sizes, population_uniqueness
from datacustoms.risk import estimators as est
from datacustoms.risk.special import digamma, log_comb, trigamma

QI_LARGE = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"]

# sizes 1, 2, 5, 5: n = 13 records in J = 4 classes
SMALL = ClassHistogram(sizes=[1, 2, 5], counts=[1, 1, 2])


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


def test_prosecutor_risk_hand_worked():
    risk = est.prosecutor_risk(SMALL, max_risk=0.3)
    assert risk.highest == 1.0  # 1 / smallest class
    assert risk.average == pytest.approx(4 / 13)  # classes / records = mean of 1/f over records
    assert risk.records_at_highest == 1
    assert risk.records_above_threshold == 3  # 1/1 and 1/2 exceed 0.3; 1/5 does not
    assert est.prosecutor_risk(SMALL, max_risk=0.09).records_above_threshold == 13


def test_journalist_and_marketer_hand_worked():
    journalist = est.journalist_risk(SMALL, 0.3)
    assert (journalist.highest, journalist.average) == (1.0, pytest.approx(4 / 13))
    marketer = est.marketer_risk(SMALL, 0.3)
    assert marketer.highest == marketer.average == pytest.approx(4 / 13)
    assert marketer.records_above_threshold == 13  # 0.31 > 0.3: the marketer attack succeeds too often
    assert est.marketer_risk(SMALL, 0.5).records_above_threshold == 0


def test_empty_histogram_has_no_risk():
    empty = ClassHistogram()
    assert est.prosecutor_risk(empty).highest == 0.0
    assert est.marketer_risk(empty).average == 0.0


def test_special_functions_match_scipy():
    x = np.array([1e-3, 0.3, 1.0, 2.5, 9.99, 10.0, 57.0, 1e5, 3e9])
    assert np.allclose(digamma(x), special.digamma(x), rtol=1e-12, atol=1e-12)
    assert np.allclose(trigamma(x), special.polygamma(1, x), rtol=1e-10)
    assert log_comb(10, 4) == pytest.approx(math.log(210))
    assert log_comb(3, 4) == -math.inf


# ------------------------------------------------------------------------------- Zayatz


def test_zayatz_hand_worked():
    """Zayatz (1991) as ARX ModelZayatz, N = 10, n = 4, classes of sizes 1, 1, 2.

    h(i) = P(one of i population records in the sample) = i·C(N−i, n−1)/C(N, n):
    h(1) = 84/210 = 0.4, h(2) = 112/210. P(F=1 | f=1) = 2·h(1) / (2·h(1) + h(2)) = 0.6,
    uniques = c1 · 0.6 / π = 2 · 0.6 / 0.4 = 3.
    """
    hist = ClassHistogram(sizes=[1, 2], counts=[2, 1])
    h1 = 1 * math.comb(9, 3) / math.comb(10, 4)
    h2 = 2 * math.comb(8, 3) / math.comb(10, 4)
    expected = 2 * (2 * h1 / (2 * h1 + h2)) / (4 / 10)
    assert expected == pytest.approx(3.0)
    assert est.zayatz_uniques(hist, 10) == pytest.approx(expected, rel=1e-9)


def test_zayatz_large_population_stays_finite(adult):
    hist = class_sizes(adult, QI_LARGE)
    value = est.zayatz_uniques(hist, 250_000_000)
    assert 0 < value < 250_000_000


# ------------------------------------------------------------------------------- Pitman


def _pitman_loglik(hist: ClassHistogram, t: float, a: float) -> float:
    u, n = hist.classes, hist.records
    value = sum(math.log(t + i * a) for i in range(1, u)) - sum(math.log(t + i) for i in range(1, n))
    for size, count in zip(hist.sizes, hist.counts, strict=True):
        value += count * sum(math.log(i - a) for i in range(1, size))
    return value


def test_pitman_solution_is_the_likelihood_maximum(adult):
    """Hoshino (2001): the ML estimates zero the score (checked with ARX's iterative sums)."""
    hist = class_sizes(adult, QI_LARGE)
    params = est.pitman_parameters(hist)
    assert params is not None
    t, a = params
    assert t > -a and 0 < a < 1
    u, n = hist.classes, hist.records
    d_theta = sum(1 / (t + i * a) for i in range(1, u)) - sum(1 / (t + i) for i in range(1, n))
    d_alpha = sum(i / (t + i * a) for i in range(1, u)) - sum(
        c * sum(1 / (j - a) for j in range(1, s)) for s, c in zip(hist.sizes, hist.counts, strict=True)
    )
    assert abs(d_theta) < 1e-6 and abs(d_alpha) < 1e-4
    best = _pitman_loglik(hist, t, a)
    for dt, da in ((0.01 * t, 0), (-0.01 * t, 0), (0, 0.005), (0, -0.005)):
        assert _pitman_loglik(hist, t + dt, a + da) < best
    population = 3_016_200
    expected = math.exp(math.lgamma(t + 1) - math.lgamma(t + a) + a * math.log(population))
    assert est.pitman_uniques(hist, population) == pytest.approx(expected)


def test_pitman_without_interior_maximum_is_not_a_number():
    # every class has the same size: no sample uniques, the model has nothing to fit
    assert est.pitman_parameters(ClassHistogram(sizes=[3], counts=[10])) is None
    assert math.isnan(est.pitman_uniques(ClassHistogram(sizes=[3], counts=[10]), 1000))


# ------------------------------------------------------------------------------- SNB


def _snb_mixture(k: float, f: float, a: float, b: float, size: int) -> float:
    """K · Σ_F P(F) · P(size of F sampled), by explicit summation (F = 1 + NegBin(α, β))."""
    total = 0.0
    for m in range(0, 4000):
        log_nb = math.lgamma(m + a) - math.lgamma(a) - math.lgamma(m + 1) + a * math.log(b) + m * math.log(1 - b)
        big_f = m + 1
        if big_f < size:
            continue
        log_bin = log_comb(big_f, size) + size * math.log(f) + (big_f - size) * math.log(1 - f)
        total += math.exp(log_nb + log_bin)
    return k * total


@pytest.mark.parametrize(("f", "a", "b"), [(0.1, 0.7, 0.3), (0.3, 2.0, 0.6), (0.02, 0.4, 0.05)])
def test_snb_expected_counts_match_the_mixture(f, a, b):
    """Chen & Keller-McNulty (1998): the closed forms equal the binomial–negative-binomial mixture."""
    e1, e2 = est.snb_expected(1000.0, f, a, b)
    assert e1 == pytest.approx(_snb_mixture(1000.0, f, a, b, 1), rel=1e-9)
    assert e2 == pytest.approx(_snb_mixture(1000.0, f, a, b, 2), rel=1e-9)


def test_snb_solution_reproduces_c1_and_c2(adult):
    hist = class_sizes(adult, QI_LARGE)
    params = est.snb_parameters(hist, 0.3)
    assert params is not None
    k, a, b = params
    e1, e2 = est.snb_expected(k, 0.3, a, b)
    assert e1 == pytest.approx(hist.classes_of_size(1), rel=1e-8)
    assert e2 == pytest.approx(hist.classes_of_size(2), rel=1e-8)
    assert est.snb_uniques(hist, 0.3) == pytest.approx(k * b**a)


def test_shlosser_estimate_hand_worked():
    """Haas & Stokes (1998) Shlosser-type estimate of non-empty population classes, by hand."""
    hist = ClassHistogram(sizes=[1, 2, 3], counts=[4, 2, 1])
    q = 0.25
    terms = [(1, 4), (2, 2), (3, 1)]
    v1 = sum(i * q * q * (1 - q * q) ** (i - 1) * c for i, c in terms)
    v2 = sum((1 - q) ** i * ((1 + q) ** i - 1) * c for i, c in terms)
    v3 = sum((1 - q) ** i * c for i, c in terms)
    v4 = sum(i * q * (1 - q) ** (i - 1) * c for i, c in terms)
    expected = 7 + 4 * (v1 / v2) * (v3 / v4) ** 2
    assert est.shlosser_classes(hist, q) == pytest.approx(expected)
    assert est.shlosser_classes(hist, q) >= hist.classes


# ------------------------------------------------------------------------------- Dankar


def _patch(monkeypatch, pitman: float, zayatz: float, snb: float) -> None:
    monkeypatch.setattr(est, "pitman_uniques", lambda hist, population: pitman)
    monkeypatch.setattr(est, "zayatz_uniques", lambda hist, population: zayatz)
    monkeypatch.setattr(est, "snb_uniques", lambda hist, fraction: snb)


@pytest.mark.parametrize(
    ("fraction", "pitman", "zayatz", "snb", "model", "value"),
    [
        (0.05, 40.0, 50.0, 30.0, "pitman", 40.0),  # π ≤ 0.1: Pitman
        (0.1, math.nan, 50.0, 30.0, "zayatz", 50.0),  # Pitman failed: Zayatz
        (0.5, 40.0, 50.0, 30.0, "snb", 30.0),  # π > 0.1: the smaller of SNB and Zayatz
        (0.5, 40.0, 20.0, 30.0, "zayatz", 20.0),
        (0.5, 40.0, 20.0, math.nan, "zayatz", 20.0),  # SNB failed: Zayatz
    ],
)
def test_dankar_decision_rule(monkeypatch, fraction, pitman, zayatz, snb, model, value):
    _patch(monkeypatch, pitman, zayatz, snb)
    result = population_uniqueness(SMALL, sampling_fraction=fraction)
    assert result.dankar_model == model
    assert result.dankar == value
    assert result.dankar_share == pytest.approx(value / (13 / fraction))


def test_no_sample_uniques_means_no_population_uniques():
    result = population_uniqueness(ClassHistogram(sizes=[2, 4], counts=[3, 1]), population=1000)
    assert result.dankar == 0.0 and result.dankar_model == "none"


def test_population_and_fraction_agree(adult):
    hist = class_sizes(adult, QI_LARGE)
    by_fraction = population_uniqueness(hist, sampling_fraction=0.1)
    by_population = population_uniqueness(hist, population=301_620)
    assert by_fraction.dankar == pytest.approx(by_population.dankar)
    assert by_fraction.dankar_model == "pitman"
    assert 0 < by_fraction.dankar <= by_fraction.population
