"""Digamma, trigamma and the log binomial coefficient, without SciPy.

The population-uniqueness models need ψ and ψ' for positive arguments only. Both use the
recurrence ψ(x) = ψ(x + 1) − 1/x to move the argument above 10, then the asymptotic series
(Abramowitz & Stegun 6.3.18 and 6.4.12); absolute error below 1e-13 for x > 0.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

_SHIFT = 10.0


def digamma(x: npt.ArrayLike) -> np.ndarray:
    """ψ(x) for x > 0, elementwise."""
    x = np.array(x, dtype=np.float64, copy=True)
    acc = np.zeros_like(x)
    small = x < _SHIFT
    while small.any():
        acc[small] -= 1.0 / x[small]
        x[small] += 1.0
        small = x < _SHIFT
    inv2 = 1.0 / (x * x)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return np.asarray(acc + np.log(x) - 0.5 / x - series)


def trigamma(x: npt.ArrayLike) -> np.ndarray:
    """ψ'(x) for x > 0, elementwise."""
    x = np.array(x, dtype=np.float64, copy=True)
    acc = np.zeros_like(x)
    small = x < _SHIFT
    while small.any():
        acc[small] += 1.0 / (x[small] * x[small])
        x[small] += 1.0
        small = x < _SHIFT
    inv = 1.0 / x
    inv2 = inv * inv
    series = inv + inv2 / 2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 / 30)))
    return np.asarray(acc + series)


def log_comb(a: float, b: float) -> float:
    """ln C(a, b) for real a ≥ b ≥ 0 (−inf when b > a)."""
    if b < 0 or b > a:
        return -math.inf
    return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)
