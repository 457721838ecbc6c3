"""Specification checks and small-sample intervals of the trade likelihood: each signal fires when the
model is wrong (or the sample too small) and stays quiet when it is right."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from bargaining import (
    Beta,
    IdentificationError,
    IdentificationWarning,
    SpecificationWarning,
    Uniform,
    fit_incomplete,
)

U = Uniform(0, 1)


def simulate(n: int, delta: float, sigma: float, seed: int) -> pd.DataFrame:
    """Uniform [0, 1] types, logistic noise on the weighted virtual surplus at Delta (eq. 38 written out)."""
    rng = np.random.default_rng(seed)
    v, c = rng.uniform(size=n), rng.uniform(size=n)
    d = abs(delta)
    rho = 1.0 if d == 1 else 3 * (1 - d) / (4 - 2 * d - 2 * np.sqrt(1 - d + d * d))
    w_b, w_s = (1.0, 1.0 - delta) if delta >= 0 else (1.0 + delta, 1.0)
    a, b = w_b / rho, w_s / rho
    index = (v - (1 - a) * (1 - v)) - (c + (1 - b) * c)
    traded = rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-index / sigma))
    return pd.DataFrame({"traded": traded.astype(int), "value": v, "cost": c})


def _fit(frame: pd.DataFrame, **kwargs):
    options = {"value_dist": U, "cost_dist": U, **kwargs}
    return fit_incomplete(frame, traded="traded", value="value", cost="cost", **options)


def test_well_specified_model_passes_its_checks():
    frame = simulate(3000, 0.2, 0.05, seed=21)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpecificationWarning)
        res = _fit(frame)
    for name in ("fit by cells", "KS F (values)", "KS G (costs)"):
        assert res.tests[name].valid and res.tests[name].pvalue > 0.01, name


def test_wrong_type_distribution_is_flagged():
    """Beta(2, 5) values analysed as uniform: the KS test of F rejects and says so."""
    rng = np.random.default_rng(3)
    n = 3000
    v = rng.beta(2, 5, n)
    c = rng.uniform(size=n)
    traded = (rng.uniform(size=n) < 1 / (1 + np.exp(-(v - c) / 0.05))).astype(int)
    frame = pd.DataFrame({"traded": traded, "value": v, "cost": c})
    with pytest.warns(SpecificationWarning, match="Kolmogorov-Smirnov F"):
        res = _fit(frame)
    assert res.tests["KS F (values)"].pvalue < 1e-6
    assert any("misspecified" in note for note in res.notes)
    right = _fit(frame, value_dist=Beta(2, 5))  # the right F is not rejected
    assert right.tests["KS F (values)"].pvalue > 0.01


def test_misfitting_trade_probabilities_are_flagged_by_cells():
    """Trade driven by v alone (not v - c): the fit by cells of (v, c) rejects."""
    rng = np.random.default_rng(4)
    n = 4000
    v, c = rng.uniform(size=n), rng.uniform(size=n)
    traded = (rng.uniform(size=n) < np.where(v > 0.5, 0.9, 0.1)).astype(int)
    frame = pd.DataFrame({"traded": traded, "value": v, "cost": c})
    with pytest.warns(SpecificationWarning, match="fit by cells"):
        res = _fit(frame)
    assert res.tests["fit by cells"].pvalue < 1e-6


def test_swapped_value_and_cost_columns_warn():
    # the warning comes before the fit; with these data sigma runs off to infinity (1.7e6: trade is unrelated
    # to the weighted virtual surplus), where Delta carries no information: an IdentificationError, not a
    # standard error computed from a numerically zero information matrix
    frame = simulate(2000, 0.0, 0.05, seed=5).rename(columns={"value": "cost", "cost": "value"})
    with pytest.warns(SpecificationWarning, match="swapped"), pytest.raises(IdentificationError, match="singular"):
        _fit(frame)


def test_small_samples_warn_and_offer_likelihood_ratio_intervals():
    frame = simulate(300, 0.3, 0.06, seed=6)
    with pytest.warns(IdentificationWarning, match="300 negotiations"):
        res = _fit(frame)
    low, high = res.likelihood_ratio_interval("Delta")
    # independent check: the profile log-likelihood, maximized over log sigma by hand, drops by chi2(1)/2
    # at both ends
    t = frame["traded"].to_numpy()
    v, c = frame["value"].to_numpy(), frame["cost"].to_numpy()

    def profile(delta: float) -> float:
        d = abs(delta)
        rho = 1.0 if d == 1 else 3 * (1 - d) / (4 - 2 * d - 2 * np.sqrt(1 - d + d * d))
        w_b, w_s = (1.0, 1.0 - delta) if delta >= 0 else (1.0 + delta, 1.0)
        a, b = w_b / rho, w_s / rho
        index = (v - (1 - a) * (1 - v)) - (c + (1 - b) * c)

        def negative(log_sigma: float) -> float:
            z = index / np.exp(log_sigma)
            return -float(np.sum(t * stats.logistic.logcdf(z) + (1 - t) * stats.logistic.logcdf(-z)))

        return -optimize.minimize_scalar(negative, bounds=(-8, 2), method="bounded", options={"xatol": 1e-10}).fun

    critical = stats.chi2.ppf(0.95, 1) / 2
    assert profile(low) == pytest.approx(res.loglike - critical, abs=2e-4)
    assert profile(high) == pytest.approx(res.loglike - critical, abs=2e-4)
    assert low < res.params["Delta"] < high
    s_low, s_high = res.likelihood_ratio_interval("sigma")
    assert s_low < res.params["sigma"] < s_high
