"""Parameter recovery: fit_nash on data simulated from known parameters (test-local simulator, an independent
implementation of p = C + beta (V - C) + u), at a realistic size and in a small Monte Carlo of coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from bargaining.estimate.nash_price import fit_nash

GROUP_BETA = {"A": 0.25, "B": 0.5, "C": 0.75}
DELTA = {"Intercept": -0.4, "x": 0.9}
GAMMA = {"Intercept": 1.0, "z": 0.5}


def simulate(
    n: int,
    seed: int | np.random.Generator,
    *,
    weights: str = "constant",
    beta: float = 0.4,
    sigma: float = 0.3,
) -> pd.DataFrame:
    """Agreements: C = r + gamma_0 + gamma_z z + omega, V = r + gamma_0 + gamma_z z + gains, Nash prices."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    x = rng.normal(size=n)
    r = rng.uniform(0.0, 1.0, size=n)
    group = rng.choice(list(GROUP_BETA), size=n)
    expected_cost = r + GAMMA["Intercept"] + GAMMA["z"] * z
    cost = expected_cost + rng.uniform(-0.3, 0.3, size=n)  # omega, unobserved with a cost formula
    # V must not depend on omega: with the cost unobserved, V - r correlated with omega would be endogenous
    gains = 0.4 + rng.lognormal(mean=0.5, sigma=0.5, size=n)  # > |omega|: V > C always
    value = expected_cost + gains
    if weights == "constant":
        b = np.full(n, beta)
    elif weights == "grouped":
        b = np.vectorize(GROUP_BETA.get)(group)
    else:
        b = expit(DELTA["Intercept"] + DELTA["x"] * x)
    # the error scales with the gains from trade (heteroskedastic), as price dispersion does in practice
    price = cost + b * (value - cost) + rng.normal(scale=sigma, size=n) * np.sqrt(gains)
    return pd.DataFrame(
        {
            "price": price,
            "value": value,
            "cost": cost,
            "r": r,
            "z": z,
            "x": x,
            "group": group,
            "market": rng.integers(0, 100, size=n),
        }
    )


def truth(weights: str, cost_formula: bool, beta: float = 0.4) -> dict[str, float]:
    if weights == "constant":
        out = {"beta": beta}
    elif weights == "grouped":
        out = {f"beta[{g}]": b for g, b in GROUP_BETA.items()}
    else:
        out = {f"delta[{t}]": d for t, d in DELTA.items()}
    if cost_formula:
        out.update({f"gamma[{t}]": g for t, g in GAMMA.items()})
    return out


VARIANT_OPTIONS = {
    "constant": {},
    "grouped": {"weight_by": "group"},
    "logistic": {"weight_formula": "~ 1 + x"},
}


@pytest.mark.parametrize("cost_formula", [False, True], ids=["observed-cost", "cost-formula"])
@pytest.mark.parametrize("weights", ["constant", "grouped", "logistic"])
def test_recovery_at_realistic_size(weights, cost_formula):
    data = simulate(2000, seed=20240 + len(weights) + cost_formula, weights=weights)
    cost = {"cost_formula": "~ 1 + z", "recapture": "r"} if cost_formula else {"seller_cost": "cost"}
    res = fit_nash(data, price="price", buyer_value="value", **cost, **VARIANT_OPTIONS[weights])
    expected = pd.Series(truth(weights, cost_formula))
    assert set(res.params.index) == set(expected.index)
    z = (res.params[expected.index] - expected) / res.std_errors[expected.index]
    assert res.converged
    assert np.all(np.abs(z) < 4), z
    # the standard errors are of the right order: 2,000 agreements pin beta down to a few hundredths
    assert np.all(res.std_errors < 0.2)


def _coverage(reps: int, n: int, seed: int, **options) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    hits, estimates = 0, []
    for _ in range(reps):
        res = fit_nash(simulate(n, rng), price="price", buyer_value="value", **options)
        ci = res.conf_int(0.95).loc["beta"]
        hits += ci["lower"] <= 0.4 <= ci["upper"]
        estimates.append(res.params["beta"])
    return hits / reps, float(np.mean(estimates))


def test_monte_carlo_coverage_observed_cost():
    """100 replications: robust 95% intervals cover beta = 0.4 in 90-99% of them (binomial sd 2.2 points)."""
    coverage, mean = _coverage(100, 300, seed=7, seller_cost="cost")
    assert 0.90 <= coverage <= 0.99
    assert mean == pytest.approx(0.4, abs=0.01)


def test_monte_carlo_coverage_cost_formula_clustered():
    coverage, mean = _coverage(
        100, 300, seed=8, cost_formula="~ 1 + z", recapture="r", cov_type="clustered", cluster="market"
    )
    assert 0.90 <= coverage <= 0.99
    assert mean == pytest.approx(0.4, abs=0.02)


@pytest.mark.slow
def test_monte_carlo_coverage_logistic_and_bootstrap():
    """Slow study: logistic weights with a cost formula, and pairs-bootstrap percentile intervals."""
    rng = np.random.default_rng(9)
    hits = np.zeros(4)
    reps = 200
    for _ in range(reps):
        data = simulate(500, rng, weights="logistic")
        res = fit_nash(
            data,
            price="price",
            buyer_value="value",
            cost_formula="~ 1 + z",
            recapture="r",
            weight_formula="~ 1 + x",
        )
        ci = res.conf_int()
        for i, (name, value) in enumerate(truth("logistic", True).items()):
            hits[i] += ci.loc[name, "lower"] <= value <= ci.loc[name, "upper"]
    assert np.all((hits / reps >= 0.90) & (hits / reps <= 0.99)), hits / reps
    boot_hits = 0
    for _ in range(100):
        res = fit_nash(
            simulate(300, rng),
            price="price",
            buyer_value="value",
            seller_cost="cost",
            bootstrap=199,
            seed=rng,
        )
        ci = res.conf_int().loc["beta"]
        boot_hits += ci["lower"] <= 0.4 <= ci["upper"]
    assert 0.88 <= boot_hits / 100 <= 0.99
