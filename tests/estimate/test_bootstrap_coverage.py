"""Simulate-then-recover checks of the shared bootstrap engine: percentile intervals cover about 95%.

A cheap linear IV moment model (through ``fit_model``) runs in CI; the minimum-distance front end, whose
bootstrap is new in the estimation layer, runs the same check at full size under ``-m slow``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bargaining import Uniform, fit_incomplete_moments, fit_model, simulate


class LinearIV:
    param_names = ("a", "b")

    def __init__(self, y: np.ndarray, x: np.ndarray, w: np.ndarray) -> None:
        self.y, self.x, self.w = y, x, w

    @property
    def nobs(self) -> int:
        return len(self.y)

    @property
    def instruments(self) -> np.ndarray:
        return np.column_stack([np.ones_like(self.w), self.w])

    def start_values(self) -> np.ndarray:
        return np.zeros(2)

    def residuals(self, params: np.ndarray) -> np.ndarray:
        return self.y - params[0] - params[1] * self.x

    def jacobian(self, params: np.ndarray) -> np.ndarray:
        return -np.column_stack([np.ones_like(self.x), self.x])

    def subset(self, rows: np.ndarray) -> LinearIV:
        return LinearIV(self.y[rows], self.x[rows], self.w[rows])


def _draw(rng: np.random.Generator, n: int = 200) -> LinearIV:
    w = rng.normal(size=n)
    v = rng.normal(size=n)
    x = w + v
    y = 1.0 + 2.0 * x + v * np.abs(w) + rng.normal(size=n)  # endogenous and heteroskedastic
    return LinearIV(y, x, w)


def test_percentile_bootstrap_covers_in_a_linear_iv_model():
    reps, hits = 120, 0
    master = np.random.default_rng(2024)
    for r in range(reps):
        res = fit_model(_draw(master), bootstrap=99, seed=r)
        ci = res.conf_int()
        hits += ci.loc["b", "lower"] <= 2.0 <= ci.loc["b", "upper"]
    # binomial sd at 0.95 with 120 draws is 0.02: accept 0.88-0.99
    assert 0.88 <= hits / reps <= 0.99, hits / reps


@pytest.mark.slow
def test_minimum_distance_bootstrap_covers():
    """fit_incomplete_moments' bootstrap (k-double auction, known uniform types, Delta = 0.5)."""
    u = Uniform(0, 1)
    reps, hits = 200, 0
    for r in range(reps):
        data = simulate("negotiations", n=800, seed=10_000 + r, delta=0.5, price_rule="k-double-auction").data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fit_incomplete_moments(
                data, traded="traded", price="price", price_rule="k-double-auction",
                value_dist=u, cost_dist=u, bootstrap=99, seed=r,
            )
        ci = res.conf_int()
        hits += ci.loc["Delta", "lower"] <= 0.5 <= ci.loc["Delta", "upper"]
    assert 0.92 <= hits / reps <= 0.98, hits / reps
