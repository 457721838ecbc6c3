"""The wild cluster restricted bootstrap: its p-values against a brute-force loop written here (same
weights), its intervals by test inversion, and its coverage with 8 clusters."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from bargaining import FewClustersWarning, fit_incomplete_moments, fit_nash
from bargaining.errors import InvalidParameterError
from bargaining.estimate.engines.wild_bootstrap import WildClusterBootstrap

WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


def _brute_force_pvalue(y, x, g, j, b0, weights):
    """Loop over draws: restricted fit, rebuilt y*, OLS, CR1 standard error by explicit cluster sums."""
    n, k = x.shape
    n_clusters = g.max() + 1
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)

    def t_stat(yy):
        beta = np.linalg.lstsq(x, yy, rcond=None)[0]
        u = yy - x @ beta
        bread = np.linalg.inv(x.T @ x)
        meat = np.zeros((k, k))
        for c in range(n_clusters):
            s = x[g == c].T @ u[g == c]
            meat += np.outer(s, s)
        cov = factor * bread @ meat @ bread
        return (beta[j] - b0) / np.sqrt(cov[j, j])

    others = [i for i in range(k) if i != j]
    target = y - b0 * x[:, j]
    restricted = np.linalg.lstsq(x[:, others], target, rcond=None)[0]
    fitted = b0 * x[:, j] + x[:, others] @ restricted
    u_tilde = y - fitted
    t = t_stat(y)
    stars = [t_stat(fitted + u_tilde * weights[g, b]) for b in range(weights.shape[1])]
    return float(np.mean(np.abs(stars) >= abs(t)))


def _data(rng, clusters=8, per_cluster=30):
    g = np.repeat(np.arange(clusters), per_cluster)
    s = rng.uniform(1, 3, g.size) + np.clip(rng.normal(0, 0.3, clusters), -0.9, 0.9)[g]
    z = rng.normal(size=g.size)
    u = rng.normal(0, 0.3, clusters)[g] + rng.normal(0, 0.3, g.size)
    return g, s, z, u


def test_pvalue_matches_brute_force_loop():
    rng = np.random.default_rng(1)
    g, s, z, u = _data(rng)
    x = np.column_stack([s, np.ones_like(s), z])
    y = x @ np.array([0.4, 1.0, 0.5]) + u
    boot = WildClusterBootstrap(y, x, g, reps=199, seed=7)
    weights = np.random.default_rng(7).choice(WEBB, size=(8, 199))  # the documented draw: Webb, G x B
    for b0 in (0.4, 0.3, 0.55):
        assert boot.pvalue(0, b0) == pytest.approx(_brute_force_pvalue(y, x, g, 0, b0, weights), abs=1e-12)
    low, high = boot.conf_int(0)
    # at the interval's ends the test rejects just outside and not just inside
    assert boot.pvalue(0, low - 1e-3) <= 0.05 < boot.pvalue(0, low + 1e-3)
    assert boot.pvalue(0, high + 1e-3) <= 0.05 < boot.pvalue(0, high - 1e-3)


def _coverage(reps: int, seed: int, boot_reps: int) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for r in range(reps):
        g, s, _, u = _data(rng)
        cost = rng.uniform(0, 1, g.size)
        frame = pd.DataFrame({"price": cost + 0.4 * s + u, "value": cost + s, "cost": cost, "market": g})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)
            res = fit_nash(
                frame, price="price", buyer_value="value", seller_cost="cost", cluster="market",
                bootstrap=boot_reps, bootstrap_kind="wild", seed=r,
            )
        ci = res.conf_int()
        hits += ci.loc["beta", "lower"] <= 0.4 <= ci.loc["beta", "upper"]
    return hits / reps


def test_wild_bootstrap_covers_with_eight_clusters():
    assert 0.88 <= _coverage(100, seed=3, boot_reps=199) <= 0.99


@pytest.mark.slow
def test_wild_bootstrap_covers_with_eight_clusters_full():
    assert 0.92 <= _coverage(600, seed=4, boot_reps=399) <= 0.98


def test_fit_nash_reports_wild_inference():
    rng = np.random.default_rng(5)
    g, s, _, u = _data(rng)
    cost = rng.uniform(0, 1, g.size)
    frame = pd.DataFrame({"price": cost + 0.4 * s + u, "value": cost + s, "cost": cost, "market": g})
    with pytest.warns(FewClustersWarning):
        res = fit_nash(
            frame, price="price", buyer_value="value", seller_cost="cost", cluster="market",
            bootstrap=199, bootstrap_kind="wild", seed=1,
        )
    assert res.cov_type == "clustered" and "wild" in res.summary.as_text()
    normal = fit_nash(frame, price="price", buyer_value="value", seller_cost="cost", cluster="market", cov_type="clustered")
    assert res.std_errors["beta"] == pytest.approx(normal.std_errors["beta"])
    assert not np.allclose(res.conf_int().to_numpy(), normal.conf_int().to_numpy())
    # the other estimators take it too (the wild score bootstrap): fit_incomplete_moments
    moments = frame.assign(traded=1, price=frame["price"] / frame["price"].max())
    with pytest.raises(InvalidParameterError, match="cluster"):
        fit_incomplete_moments(
            moments, traded="traded", price="price", price_rule="k-double-auction", bootstrap=9,
            bootstrap_kind="wild",
        )
