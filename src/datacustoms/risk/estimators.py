"""Re-identification risk from the class histogram (rule R11).

Attacker models follow ARX (``RiskModelSampleRisks``): the prosecutor knows the target is in the
data, so a record in a class of size f is re-identified with probability 1/f; the highest risk is
1/k and the average over records is (number of classes) / (number of records). Without a
population table the journalist's estimate equals the prosecutor's (ARX does the same); the
marketer, who re-identifies as many records as possible, succeeds on classes / records.

Population uniqueness (how many people in the *population* are unique on the quasi-identifiers)
needs the population size N or the sampling fraction π = n / N. Three models estimate it from
the counts c_i of classes of size i, and Dankar et al. (2012) pick one; the code mirrors ARX's
``RiskModelPopulationUniqueness``, ``ModelPitman``, ``ModelZayatz`` and ``ModelSNB``. Formulas
and sources are listed in docs/risk.md.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from datacustoms.model.risk import AttackerRisk, ClassHistogram, PopulationUniqueness
from datacustoms.risk.special import digamma, log_comb, trigamma

# --------------------------------------------------------------------------------------------
# attacker models


def prosecutor_risk(hist: ClassHistogram, max_risk: float = 0.09) -> AttackerRisk:
    """Highest risk 1/k, average J/n, records in classes whose 1/f exceeds ``max_risk``."""
    if not hist.sizes:
        return AttackerRisk(model="prosecutor", highest=0.0, average=0.0, records_at_highest=0)
    return AttackerRisk(
        model="prosecutor",
        highest=1.0 / hist.sizes[0],
        average=hist.classes / hist.records,
        records_at_highest=hist.sizes[0] * hist.counts[0],
        records_above_threshold=sum(s * c for s, c in zip(hist.sizes, hist.counts, strict=True) if 1.0 / s > max_risk),
    )


def journalist_risk(hist: ClassHistogram, max_risk: float = 0.09) -> AttackerRisk:
    """ARX's estimate without a population table: the data set is its own population."""
    base = prosecutor_risk(hist, max_risk)
    return base.model_copy(
        update={
            "model": "journalist",
            "note": "no population table: equals the prosecutor estimate (an upper bound)",
        }
    )


def marketer_risk(hist: ClassHistogram, max_risk: float = 0.09) -> AttackerRisk:
    """The share of records a marketer re-identifies by matching everyone: J/n."""
    if not hist.sizes:
        return AttackerRisk(model="marketer", highest=0.0, average=0.0, records_at_highest=0)
    rate = hist.classes / hist.records
    return AttackerRisk(
        model="marketer",
        highest=rate,
        average=rate,
        records_at_highest=hist.records,
        records_above_threshold=hist.records if rate > max_risk else 0,
    )


# --------------------------------------------------------------------------------------------
# population uniqueness


def _arrays(hist: ClassHistogram) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(hist.sizes, dtype=np.float64), np.asarray(hist.counts, dtype=np.float64)


def zayatz_uniques(hist: ClassHistogram, population: float) -> float:
    """Zayatz (1991), as ARX ``ModelZayatz``: population uniques = c1 · P(F=1 | f=1) / π.

    P(F=1 | f=1) = c1·h(1) / Σ_i c_i·h(i), where h(i) is the hypergeometric probability that a
    population class of size i leaves exactly one record in a sample of n drawn from N (the
    sample's class-size distribution stands in for the population's). The common factor h(1)
    cancels, so only the ratios h(i)/h(1) are formed, in logs.
    """
    n = float(hist.records)
    c1 = float(hist.classes_of_size(1))
    if c1 == 0 or n == 0:
        return 0.0
    big_n = float(round(population))
    log_h1 = log_comb(big_n - 1, n - 1)
    denom = 0.0
    for size, count in zip(hist.sizes, hist.counts, strict=True):
        log_ratio = math.log(size) + log_comb(big_n - size, n - 1) - log_h1
        if log_ratio > -745:
            denom += count * math.exp(log_ratio)
    if denom <= 0:
        return math.nan
    return c1 * (c1 / denom) / (n / big_n)


def pitman_parameters(hist: ClassHistogram, max_iter: int = 200) -> tuple[float, float] | None:
    """Maximum-likelihood (θ, α) of Pitman's sampling formula, by Newton-Raphson (Hoshino 2001).

    Log-likelihood of a sample of n records in u classes of sizes f_j:
    L = Σ_{i<u} ln(θ + iα) − Σ_{i<n} ln(θ + i) + Σ_j Σ_{i<f_j} ln(i − α). Gradient and Hessian use
    closed forms in ψ and ψ'; the start is ARX's moment guess. None when it does not converge.
    """
    sizes, counts = _arrays(hist)
    n = float(hist.records)
    u = float(hist.classes)
    c1 = float(hist.classes_of_size(1))
    c2 = float(hist.classes_of_size(2)) or 1.0
    if c1 == 0 or u < 2:
        return None
    c = c1 * (c1 - 1) / c2
    denom = 2 * c1 * u + c1 * c - n * c
    if denom == 0:
        return None
    t = (n * u * c - c1 * (n - 1) * (2 * u + c)) / denom
    a = (t * (c1 - n) + (n - 1) * c1) / (n * u)
    if not (0 < a < 1) or not t > -a:
        a = min(max(a, 0.05), 0.95) if math.isfinite(a) else 0.5
        t = max(t, 1.0) if math.isfinite(t) else 1.0
    multi = sizes > 1
    fs, fc = sizes[multi], counts[multi]

    def grad_hess(t: float, a: float) -> tuple[np.ndarray, np.ndarray]:
        x1, xu = t / a + 1, t / a + u
        psi = digamma([x1, xu, t + 1, t + n, 1 - a])
        tri = trigamma([x1, xu, t + 1, t + n, 1 - a])
        s1 = (psi[1] - psi[0]) / a  # Σ_{i<u} 1/(θ+iα)
        d1 = (tri[0] - tri[1]) / (a * a)  # Σ_{i<u} 1/(θ+iα)²
        s2 = ((u - 1) - t * s1) / a  # Σ i/(θ+iα)
        e1 = (s1 - t * d1) / a  # Σ i/(θ+iα)²
        e2 = (s2 - t * e1) / a  # Σ i²/(θ+iα)²
        b1 = psi[3] - psi[2]  # Σ_{i<n} 1/(θ+i)
        b2 = tri[2] - tri[3]  # Σ_{i<n} 1/(θ+i)²
        g1 = float(np.sum(fc * (digamma(fs - a) - psi[4])))  # Σ_j Σ_{i<f_j} 1/(i−α)
        g2 = float(np.sum(fc * (tri[4] - trigamma(fs - a))))  # Σ_j Σ_{i<f_j} 1/(i−α)²
        grad = np.array([s1 - b1, s2 - g1])
        hess = np.array([[b2 - d1, -e1], [-e1, -e2 - g2]])
        return grad, hess

    for _ in range(max_iter):
        grad, hess = grad_hess(t, a)
        if not np.all(np.isfinite(grad)) or not np.all(np.isfinite(hess)):
            return None
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return None
        scale = 1.0
        while scale > 1e-6:  # damp the step so (θ, α) stays in the parameter space
            nt, na = t - scale * step[0], a - scale * step[1]
            if 0 < na < 1 and nt > -na:
                break
            scale /= 2
        else:
            return None
        t, a = nt, na
        if t > 1e10:  # θ running off to infinity: the likelihood has no interior maximum
            return None
        if abs(scale * step[0]) <= 1e-10 * (1 + abs(t)) and abs(scale * step[1]) <= 1e-12:
            grad, _ = grad_hess(t, a)
            scale_g = max(1.0, u / max(abs(t), 1.0))
            return (t, a) if np.all(np.abs(grad) <= 1e-6 * scale_g) else None
    return None


def pitman_uniques(hist: ClassHistogram, population: float) -> float:
    """Pitman's model (ARX ``ModelPitman``): uniques = Γ(θ+1)/Γ(θ+α) · N^α; NaN if not found."""
    params = pitman_parameters(hist)
    if params is None:
        return math.nan
    t, a = params
    if a == 0:
        return math.nan
    try:
        value = math.exp(math.lgamma(t + 1) - math.lgamma(t + a) + a * math.log(population))
    except (OverflowError, ValueError):
        return math.nan
    return value if 0 <= value <= population else math.nan


def shlosser_classes(hist: ClassHistogram, fraction: float) -> float:
    """Non-empty population classes K, Haas & Stokes' (1998) Shlosser-type estimator (as ARX).

    K = u + c1 · [Σ i π² (1−π²)^{i−1} c_i / Σ (1−π)^i ((1+π)^i − 1) c_i]
              · [Σ (1−π)^i c_i / Σ i π (1−π)^{i−1} c_i]².
    """
    sizes, counts = _arrays(hist)
    q = fraction
    with np.errstate(under="ignore"):
        var1 = np.sum(sizes * q * q * np.power(1 - q * q, sizes - 1) * counts)
        var2 = np.sum((np.power(1 - q * q, sizes) - np.power(1 - q, sizes)) * counts)
        var3 = np.sum(np.power(1 - q, sizes) * counts)
        var4 = np.sum(sizes * q * np.power(1 - q, sizes - 1) * counts)
    c1 = float(hist.classes_of_size(1))
    if var2 <= 0 or var4 <= 0:
        return float(hist.classes)
    return float(hist.classes + c1 * (var1 / var2) * (var3 / var4) ** 2)


def snb_expected(k: float, fraction: float, a: float, b: float) -> tuple[float, float]:
    """Expected sample classes of size 1 and 2 under the slide negative binomial model.

    Population class sizes F = 1 + M with M ~ NegBin(α, β) (P(M=m) = C(m+α−1, m) β^α (1−β)^m),
    sampled by Bernoulli(π) per record. With d = (1−π)(1−β):
    E c1 = K π (β/(1−d))^α (1 + α d/(1−d)),
    E c2 = K (π²/2) α (1−β) β^α (2 − (1−α) d) / (1−d)^(α+2).
    """
    d = (1 - fraction) * (1 - b)
    e1 = k * fraction * (b / (1 - d)) ** a * (1 + a * d / (1 - d))
    e2 = k * fraction**2 / 2 * a * (1 - b) * b**a * (2 - (1 - a) * d) / (1 - d) ** (a + 2)
    return e1, e2


def snb_parameters(hist: ClassHistogram, fraction: float) -> tuple[float, float, float] | None:
    """(K, α, β) solving E c1 = c1 and E c2 = c2 (Chen & Keller-McNulty 1998); None if unsolved."""
    c1 = float(hist.classes_of_size(1))
    c2 = float(hist.classes_of_size(2))
    if c1 == 0 or c2 == 0:
        return None
    k = shlosser_classes(hist, fraction)

    def residual(x: np.ndarray) -> np.ndarray:
        a, b = math.exp(x[0]), 1 / (1 + math.exp(-x[1]))
        e1, e2 = snb_expected(k, fraction, a, b)
        return np.array([math.log(e1 / c1), math.log(e2 / c2)])

    best: np.ndarray | None = None
    best_norm = math.inf
    for la in np.linspace(-4, 4, 17):
        for lb in np.linspace(-8, 8, 33):
            x = np.array([la, lb])
            try:
                norm = float(np.abs(residual(x)).sum())
            except (OverflowError, ValueError, ZeroDivisionError):
                continue
            if norm < best_norm:
                best, best_norm = x, norm
    if best is None:
        return None
    x = best
    for _ in range(100):
        try:
            r = residual(x)
            h = 1e-7
            jac = np.column_stack([(residual(x + h * e) - r) / h for e in np.eye(2)])
            step = np.linalg.solve(jac, r)
        except (OverflowError, ValueError, ZeroDivisionError, np.linalg.LinAlgError):
            return None
        scale = 1.0
        norm = float(np.abs(r).sum())
        while scale > 1e-6:
            candidate = x - scale * step
            try:
                if float(np.abs(residual(candidate)).sum()) < norm:
                    break
            except (OverflowError, ValueError, ZeroDivisionError):
                pass
            scale /= 2
        else:
            break
        x = candidate
        if float(np.abs(residual(x)).max()) < 1e-10:
            return k, math.exp(x[0]), 1 / (1 + math.exp(-x[1]))
    return (k, math.exp(x[0]), 1 / (1 + math.exp(-x[1]))) if float(np.abs(residual(x)).max()) < 1e-8 else None


def snb_uniques(hist: ClassHistogram, fraction: float) -> float:
    """SNB population uniques K·P(F=1) = K β^α; NaN when the equations have no solution."""
    params = snb_parameters(hist, fraction)
    if params is None:
        return math.nan
    k, a, b = params
    return float(k * b**a)


def _valid(value: float) -> bool:
    return not math.isnan(value) and value != 0.0


def population_uniqueness(
    hist: ClassHistogram, *, population: float | None = None, sampling_fraction: float | None = None
) -> PopulationUniqueness:
    """All three estimates and Dankar et al.'s choice, exactly as ARX's decision rule.

    π ≤ 0.1: Pitman, or Zayatz when Pitman fails. π > 0.1: the smaller of SNB and Zayatz, or
    Zayatz when SNB fails. No sample uniques: zero.
    """
    n = hist.records
    if population is None and sampling_fraction is None:
        raise ValueError("population or sampling_fraction is required")
    if population is None:
        assert sampling_fraction is not None
        population = n / sampling_fraction
    fraction = n / population
    c1 = hist.classes_of_size(1)
    model: Literal["pitman", "zayatz", "snb", "none"]
    if c1 == 0 or n == 0:
        return PopulationUniqueness(
            population=population,
            sampling_fraction=fraction,
            sample_uniques=0,
            pitman=0.0,
            zayatz=0.0,
            snb=0.0,
            dankar=0.0,
            dankar_model="none",
            dankar_share=0.0,
        )
    zayatz = zayatz_uniques(hist, population)
    pitman = pitman_uniques(hist, population)
    snb = snb_uniques(hist, fraction) if fraction < 1 else math.nan
    if fraction <= 0.1:
        if _valid(pitman):
            dankar, model = pitman, "pitman"
        else:
            dankar, model = zayatz, "zayatz"
    elif _valid(snb):
        dankar, model = (zayatz, "zayatz") if zayatz < snb else (snb, "snb")
    else:
        dankar, model = zayatz, "zayatz"
    dankar = dankar if _valid(dankar) else 0.0
    return PopulationUniqueness(
        population=population,
        sampling_fraction=fraction,
        sample_uniques=c1,
        pitman=pitman if _valid(pitman) else None,
        zayatz=zayatz if _valid(zayatz) else None,
        snb=snb if _valid(snb) else None,
        dankar=dankar,
        dankar_model=model,
        dankar_share=dankar / population,
    )
