"""The wild restricted score bootstrap (Kline and Santos 2012) for every estimator.

Checked against independent computations written here: for OLS it equals the wild cluster restricted
bootstrap exactly (same weights); for 2SLS it equals a brute-force loop that rebuilds y from the restricted
residuals, refits 2SLS and recomputes the CR1 standard error by explicit cluster sums; for a logit fitted by
maximum likelihood it equals a brute-force loop of the one-step bootstrap with hand-written scores and
Hessians. Coverage of the inverted intervals with 8 clusters: the interval is {b0 : p(b0) > 0.05}, so its
coverage is the share of samples with p(truth) > 0.05.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bargaining import FewClustersWarning, fit_incomplete, fit_incomplete_moments, fit_model, fit_nash
from bargaining.errors import (
    ConvergenceError,
    IdentificationError,
    InvalidParameterError,
    SpecificationWarning,
)
from bargaining.estimate.engines.wild_bootstrap import WildClusterBootstrap
from bargaining.estimate.engines.wild_score import WildScoreBootstrap, score_problem
from bargaining.models.distributions import Uniform
from bargaining.models.incomplete_likelihood import TypeData, WeightRatioCurve, trade_probability

WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


class LinearModel:
    """y = X theta + u as a MomentModel (instruments Z: 2SLS)."""

    def __init__(self, y, x, z=None, names=None):
        self.y, self.x, self.instruments = y, x, z
        self.param_names = tuple(names or [f"b{j}" for j in range(x.shape[1])])

    @property
    def nobs(self):
        return len(self.y)

    def start_values(self):
        return np.zeros(self.x.shape[1])

    def residuals(self, theta):
        return self.y - self.x @ theta

    def jacobian(self, theta):
        return -self.x

    def subset(self, rows):
        return LinearModel(self.y[rows], self.x[rows], None if self.instruments is None else self.instruments[rows])


class Logit:
    """A logit written only as a likelihood (no analytic scores: the engine differences them)."""

    param_names = ("const", "slope", "other")
    lower_bounds = np.full(3, -np.inf)
    upper_bounds = np.full(3, np.inf)

    def __init__(self, y, x):
        self.y, self.x = y, x

    @property
    def nobs(self):
        return len(self.y)

    def start_values(self):
        return np.zeros(3)

    def loglikeobs(self, b):
        z = self.x @ b
        return self.y * z - np.logaddexp(0.0, z)

    def subset(self, rows):
        return Logit(self.y[rows], self.x[rows])


def _clustered_data(rng, clusters=8, per_cluster=30):
    g = np.repeat(np.arange(clusters), per_cluster)
    shock = rng.normal(0, 0.5, clusters)[g]
    return g, shock


# ------------------------------------------------------------------------------------------- exactness
def test_ols_wald_score_bootstrap_equals_wild_cluster_restricted_bootstrap():
    rng = np.random.default_rng(1)
    g, shock = _clustered_data(rng)
    n = g.size
    x = np.column_stack([rng.uniform(1, 3, n) + shock, np.ones(n), rng.normal(size=n)])
    y = x @ np.array([0.4, 1.0, 0.5]) + 0.6 * shock + rng.normal(0, 0.3, n)
    estimate = np.linalg.lstsq(x, y, rcond=None)[0]
    wcr = WildClusterBootstrap(y, x, g, reps=199, seed=7)
    wald = WildScoreBootstrap(score_problem(LinearModel(y, x)), estimate, g, reps=199, seed=7, statistic="wald")
    for j in (0, 2):
        for b0 in (estimate[j], estimate[j] - 0.1, estimate[j] + 0.2, 0.0):
            assert wald.pvalue(j, b0) == wcr.pvalue(j, b0)  # identical, not just close
    # intervals agree to the bisection tolerance (1e-3 standard errors here, 1e-4 in the WCR)
    se = wald.std_error(0)
    assert np.allclose(wald.conf_int(0), wcr.conf_int(0), atol=2e-3 * se)


def test_ols_score_statistic_equals_a_refitting_loop_of_the_score_t():
    """The default (score) statistic for OLS: y* = X theta~ + u~ v_g, restricted refit, clustered score t."""
    rng = np.random.default_rng(12)
    g, shock = _clustered_data(rng, clusters=7, per_cluster=20)
    n = g.size
    x = np.column_stack([rng.uniform(1, 3, n) + shock, np.ones(n), rng.normal(size=n)])
    y = x @ np.array([0.4, 1.0, 0.5]) + shock + rng.normal(0, 0.3, n)
    estimate = np.linalg.lstsq(x, y, rcond=None)[0]
    boot = WildScoreBootstrap(score_problem(LinearModel(y, x)), estimate, g, reps=99, seed=4)
    weights = np.random.default_rng(4).choice(WEBB, size=(7, 99))
    factor = 7 / 6 * (n - 1) / (n - 3)
    row = np.linalg.inv(x.T @ x)[0]

    def score_t(yy, b0):
        free = np.linalg.lstsq(x[:, 1:], yy - b0 * x[:, 0], rcond=None)[0]
        u = yy - b0 * x[:, 0] - x[:, 1:] @ free
        parts = np.array([row @ (x[g == c].T @ u[g == c]) for c in range(7)])
        return parts.sum() / math.sqrt(factor * np.sum(parts**2)), u

    wald = WildScoreBootstrap(score_problem(LinearModel(y, x)), estimate, g, reps=99, seed=4, statistic="wald")
    for b0 in (0.4, 0.2, 0.6):
        t, u_r = score_t(y, b0)
        stars = [score_t(y - u_r + u_r * weights[g, b], b0)[0] for b in range(99)]
        assert boot.statistic_value(0, b0) == pytest.approx(t, rel=1e-9)
        assert boot.pvalue(0, b0) == pytest.approx(float(np.mean(np.abs(stars) >= abs(t))), abs=1e-12)
        # asymptotically equivalent to the Wald version, not equal: here within 0.1 of each other
        assert abs(boot.pvalue(0, b0) - wald.pvalue(0, b0)) < 0.1


def _tsls_score_t(y, x, z, g, j, b0):
    """Restricted 2SLS (theta_j = b0, the others re-estimated) and its clustered score t, by explicit sums;
    returns (t, restricted theta, restricted residuals)."""
    n, k = x.shape
    n_clusters = g.max() + 1
    xhat = z @ np.linalg.solve(z.T @ z, z.T @ x)
    others = [m for m in range(k) if m != j]
    theta = np.zeros(k)
    theta[j] = b0
    if others:
        theta[others] = np.linalg.solve(xhat[:, others].T @ x[:, others], xhat[:, others].T @ (y - b0 * x[:, j]))
    u = y - x @ theta
    row = np.linalg.inv(xhat.T @ x)[j]
    parts = np.array([row @ (xhat[g == c].T @ u[g == c]) for c in range(n_clusters)])
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return parts.sum() / math.sqrt(factor * np.sum(parts**2)), theta, u


def _tsls_t(y, x, z, g, j, b0):
    """2SLS estimate and its CR1 clustered t statistic, by explicit cluster sums."""
    n, k = x.shape
    n_clusters = g.max() + 1
    xhat = z @ np.linalg.solve(z.T @ z, z.T @ x)
    theta = np.linalg.solve(xhat.T @ x, xhat.T @ y)
    u = y - x @ theta
    bread = np.linalg.inv(xhat.T @ x)
    meat = np.zeros((k, k))
    for c in range(n_clusters):
        s = xhat[g == c].T @ u[g == c]
        meat += np.outer(s, s)
    cov = n_clusters / (n_clusters - 1) * (n - 1) / (n - k) * bread @ meat @ bread.T
    return theta, (theta[j] - b0) / math.sqrt(cov[j, j])


def test_iv_score_bootstrap_equals_brute_force_refitting_loop():
    rng = np.random.default_rng(2)
    g, shock = _clustered_data(rng, clusters=9, per_cluster=25)
    n = g.size
    z1, z2 = rng.normal(size=n), rng.normal(size=n)
    common = rng.normal(size=n)
    endog = 1.0 + z1 + 0.5 * z2 + common + shock
    u = 0.7 * common + shock + rng.normal(0, 0.5, n)
    x = np.column_stack([np.ones(n), endog])
    z = np.column_stack([np.ones(n), z1, z2])
    y = x @ np.array([0.5, 2.0]) + u
    with pytest.warns(FewClustersWarning):
        res = fit_model(LinearModel(y, x, z, ["const", "slope"]), cluster=g, bootstrap=99, bootstrap_kind="wild", seed=3)
    weights = np.random.default_rng(3).choice(WEBB, size=(9, 99))  # Webb below 12 clusters, G x B
    wald = WildScoreBootstrap(score_problem(LinearModel(y, x, z)), res.params.to_numpy(), g, reps=99, seed=3,
                              statistic="wald")
    for b0 in (2.0, 1.8, 0.0):
        # brute force: restricted 2SLS (slope = b0), y* = X theta~ + u~ v_g, refit (restricted for the score
        # t, unrestricted for the Wald t), clustered t
        t, theta_r, u_r = _tsls_score_t(y, x, z, g, 1, b0)
        stars = [_tsls_score_t(x @ theta_r + u_r * weights[g, b], x, z, g, 1, b0)[0] for b in range(99)]
        expected = float(np.mean(np.abs(stars) >= abs(t)))
        assert res.resampled_inference.bootstrap.pvalue(1, b0) == pytest.approx(expected, abs=1e-12)
        if b0 == 0.0:
            assert res.pvalues["slope"] == pytest.approx(expected, abs=1e-12)
        t = _tsls_t(y, x, z, g, 1, b0)[1]
        stars = [_tsls_t(x @ theta_r + u_r * weights[g, b], x, z, g, 1, b0)[1] for b in range(99)]
        assert wald.pvalue(1, b0) == pytest.approx(float(np.mean(np.abs(stars) >= abs(t))), abs=1e-12)
    # the reported standard error is the package's clustered one, the interval the inverted test
    assert res.cov_type == "clustered" and "wild score bootstrap" in res.summary.as_text()
    low = res.conf_int().loc["slope", "lower"]
    boot = res.resampled_inference.bootstrap
    assert boot.pvalue(1, low - 0.01 * res.std_errors["slope"]) <= 0.05 < boot.pvalue(1, low + 0.01 * res.std_errors["slope"])


def _logit_pieces(y, x, b):
    p = 1.0 / (1.0 + np.exp(-(x @ b)))
    return x * (y - p)[:, None], -(p * (1 - p))[:, None, None] * x[:, :, None] * x[:, None, :]


def _one_step_score_t(v, sums, h_clusters, a, factor, free):
    """Score t of the perturbed scores after the restricted one-step (free coefficients re-solve their FOC)."""
    delta = np.zeros(a.shape[0])
    delta[free] = np.linalg.solve(a[np.ix_(free, free)], (v @ sums)[free])
    parts = (v[:, None] * sums + np.einsum("gkm,m->gk", h_clusters, delta)) @ np.linalg.inv(a)[1]
    return parts.sum() / math.sqrt(factor * np.sum(parts**2))


def _one_step_wald_t(v, sums, h_clusters, a, factor, free):
    """Wald t of the unrestricted one-step bootstrap estimate, with the one-step scores' clustered variance."""
    a_inv = np.linalg.inv(a)
    delta = a_inv @ (v @ sums)
    star_sums = v[:, None] * sums + np.einsum("gkm,m->gk", h_clusters, delta)
    cov = factor * a_inv @ (star_sums.T @ star_sums) @ a_inv.T
    return delta[1] / math.sqrt(cov[1, 1])


def test_logit_score_bootstrap_equals_brute_force_one_step_loop():
    rng = np.random.default_rng(4)
    g, shock = _clustered_data(rng, clusters=10, per_cluster=40)
    n = g.size
    x = np.column_stack([np.ones(n), rng.normal(size=n) + 0.5 * shock, rng.normal(size=n)])
    y = (rng.logistic(size=n) < x @ np.array([0.2, 0.8, -0.4]) + shock).astype(float)
    with pytest.warns(FewClustersWarning):
        res = fit_model(Logit(y, x), cluster=g, bootstrap=199, bootstrap_kind="wild", seed=5)
    estimate = res.params.to_numpy()
    weights = np.random.default_rng(5).choice(WEBB, size=(10, 199))
    factor = 10 / 9 * (n - 1) / (n - 3)

    def clustered_t(scores, hessians, delta_j_minus_b0):
        sums = np.array([scores[g == c].sum(axis=0) for c in range(10)])
        a_inv = np.linalg.inv(-hessians.sum(axis=0))
        cov = factor * a_inv @ (sums.T @ sums) @ a_inv.T
        return delta_j_minus_b0 / math.sqrt(cov[1, 1])

    s_hat, h_hat = _logit_pieces(y, x, estimate)
    engine = res.resampled_inference.bootstrap
    assert engine.statistic == "score"
    wald_engine = WildScoreBootstrap(score_problem(Logit(y, x)), estimate, g, reps=199, seed=5, statistic="wald")
    free = [0, 2]
    for b0 in (0.8, 0.55, 1.2):
        # restricted MLE by hand (Newton on the two free coefficients with slope fixed at b0)
        b = estimate.copy()
        b[1] = b0
        for _ in range(50):
            s, h = _logit_pieces(y, x, b)
            b[free] -= np.linalg.solve(h.sum(axis=0)[np.ix_(free, free)], s.sum(axis=0)[free])
        s_r, h_r = _logit_pieces(y, x, b)
        sums = np.array([s_r[g == c].sum(axis=0) for c in range(10)])
        h_clusters = np.array([h_r[g == c].sum(axis=0) for c in range(10)])
        a = -h_r.sum(axis=0)
        pieces = (sums, h_clusters, a, factor, free)
        t = _one_step_score_t(np.ones(10), *pieces)
        stars = np.array([_one_step_score_t(weights[:, draw], *pieces) for draw in range(199)])
        assert engine.statistic_value(1, b0) == pytest.approx(t, rel=1e-5)
        assert engine.bootstrap_statistics(1, b0) == pytest.approx(stars, rel=1e-4, abs=1e-6)
        assert engine.pvalue(1, b0) == pytest.approx(float(np.mean(np.abs(stars) >= abs(t))), abs=1.0 / 199)
        t = clustered_t(s_hat, h_hat, estimate[1] - b0)
        stars = np.array([_one_step_wald_t(weights[:, draw], *pieces) for draw in range(199)])
        assert wald_engine.statistic_value(1, b0) == pytest.approx(t, rel=1e-5)
        assert wald_engine.bootstrap_statistics(1, b0) == pytest.approx(stars, rel=1e-4, abs=1e-6)
        assert wald_engine.pvalue(1, b0) == pytest.approx(float(np.mean(np.abs(stars) >= abs(t))), abs=1.0 / 199)


class MeansModel:
    """Minimum distance on the means of three columns with model moments (a, b, a + b): linear in theta."""

    param_names = ("a", "b")
    lower_bounds = np.full(2, -np.inf)
    upper_bounds = np.full(2, np.inf)
    design = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])

    def __init__(self, y):
        self.y = y

    @property
    def nobs(self):
        return len(self.y)

    @property
    def data_moments(self):
        return self.y.mean(axis=0)

    @property
    def influence(self):
        return (self.y - self.y.mean(axis=0)) / len(self.y)

    def start_values(self):
        return np.zeros(2)

    def model_moments(self, theta):
        return self.design @ theta

    def recentered_influence(self, theta):
        return (self.y - self.design @ theta) / len(self.y)

    def subset(self, rows):
        return MeansModel(self.y[rows])


def test_minimum_distance_score_bootstrap_equals_a_refitting_loop():
    """Rebuild y* = m(theta~) + (y - m(theta~)) v_g, refit with W fixed (restricted), clustered score t."""
    rng = np.random.default_rng(13)
    g, shock = _clustered_data(rng, clusters=8, per_cluster=15)
    n = g.size
    y = np.column_stack([0.5 + shock, 1.0 + shock, 1.5 + shock]) + rng.normal(0, 1, (n, 3)) * [1.0, 2.0, 0.5]
    with pytest.warns(FewClustersWarning):
        res = fit_model(MeansModel(y), cluster=g, bootstrap=99, bootstrap_kind="wild", seed=6)
    design = MeansModel.design
    sums = np.array([((y - y.mean(axis=0)) / n)[g == c].sum(axis=0) for c in range(8)])
    weight = np.linalg.inv(sums.T @ sums * 1.0)  # the optimal weight from the clustered moment covariance
    factor = 8 / 7 * (n - 1) / (n - 2)
    row = np.linalg.inv(design.T @ weight @ design)[1]
    weights = np.random.default_rng(6).choice(WEBB, size=(8, 99))

    def score_t(yy, b0):
        # restricted minimum distance (b = b0) with W fixed, then the clustered score t of b
        a = (design[:, 0] @ weight @ (yy.mean(axis=0) - b0 * design[:, 1])) / (design[:, 0] @ weight @ design[:, 0])
        theta = np.array([a, b0])
        psi = (yy - design @ theta) / n
        parts = np.array([row @ design.T @ weight @ psi[g == c].sum(axis=0) for c in range(8)])
        return parts.sum() / math.sqrt(factor * np.sum(parts**2)), theta

    boot = res.resampled_inference.bootstrap
    for b0 in (1.0, 0.7, 1.4):
        t, theta = score_t(y, b0)
        fitted = design @ theta
        stars = [score_t(fitted + (y - fitted) * weights[g, b][:, None], b0)[0] for b in range(99)]
        assert boot.statistic_value(1, b0) == pytest.approx(t, rel=1e-6)
        assert boot.pvalue(1, b0) == pytest.approx(float(np.mean(np.abs(stars) >= abs(t))), abs=1e-12)


def test_fit_incomplete_moments_takes_the_wild_bootstrap():
    rng = np.random.default_rng(14)
    g = np.repeat(np.arange(8), 100)
    v, c = rng.uniform(size=g.size), rng.uniform(size=g.size)
    bid, ask = v / 1.5 + 0.25 / 3, c / 1.5 + 0.25  # k = 1/2 equilibrium bids: Delta = 0
    trade = bid >= ask
    frame = pd.DataFrame({"traded": trade.astype(int), "price": np.where(trade, (bid + ask) / 2, np.nan), "m": g})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        res = fit_incomplete_moments(frame, traded="traded", price="price", price_rule="k-double-auction",
                                     value_dist=Uniform(0, 1), cost_dist=Uniform(0, 1), cluster="m", bootstrap=99,
                                     bootstrap_kind="wild", seed=1)
    assert "wild score bootstrap" in res.method and res.cov_type == "clustered"
    boot = res.resampled_inference.bootstrap
    assert boot.pvalue(0, res.params["Delta"]) == 1.0
    low, high = res.conf_int().loc["Delta"]
    assert low < res.params["Delta"] < high and -1 <= low and high <= 1


# ------------------------------------------------------------------------------------------- sanity
def _incomplete_frame(rng, clusters=8, per_cluster=30, delta=0.3, sigma=0.1):
    dist = Uniform(0, 1)
    curve = WeightRatioCurve.for_distributions(dist, dist)
    g = np.repeat(np.arange(clusters), per_cluster)
    v, c = rng.uniform(0, 1, g.size), rng.uniform(0, 1, g.size)
    p = trade_probability(delta, sigma, TypeData.build(v, c, dist, dist), curve)
    # within-cluster correlated uniforms (Gaussian copula, correlation 0.3): P(trade | v, c) stays p
    uniforms = stats.norm.cdf(math.sqrt(0.3) * rng.normal(size=clusters)[g] + math.sqrt(0.7) * rng.normal(size=g.size))
    traded = (uniforms < p).astype(float)
    return pd.DataFrame({"traded": traded, "value": v, "cost": c, "market": g})


def _fit_incomplete_wild(frame, seed, reps=199):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        warnings.simplefilter("ignore", SpecificationWarning)  # the cluster shocks make the cells misfit
        return fit_incomplete(
            frame, traded="traded", value="value", cost="cost", value_dist=Uniform(0, 1),
            cost_dist=Uniform(0, 1), cluster="market", bootstrap=reps, bootstrap_kind="wild", seed=seed,
        )


def test_fit_incomplete_wild_pvalues_and_intervals_are_sane():
    res = _fit_incomplete_wild(_incomplete_frame(np.random.default_rng(6)), seed=1)
    boot = res.resampled_inference.bootstrap
    estimate = res.params["Delta"]
    assert boot.pvalue(0, estimate) == 1.0  # t = 0: every |t*| >= 0
    assert boot.pvalue(0, estimate - 12 * res.std_errors["Delta"]) < 0.01
    assert boot.pvalue(0, 1.5) == 0.0  # outside [-1, 1]
    ci = res.conf_int()
    assert ci.loc["Delta", "lower"] < estimate < ci.loc["Delta", "upper"]
    assert -1 <= ci.loc["Delta", "lower"] and ci.loc["Delta", "upper"] <= 1
    # sigma keeps the clustered t(G - 1) interval
    assert list(res.resampled_inference.names) == ["Delta"]
    half = stats.t.ppf(0.975, 7) * res.std_errors["sigma"]
    assert ci.loc["sigma", "upper"] == pytest.approx(res.params["sigma"] + half)
    # the standard errors stay the clustered ones; the summary says where p and the interval come from
    assert res.cov_type == "clustered" and "wild restricted score bootstrap" in res.summary.as_text()
    assert "sigma's interval are the clustered t(G - 1) ones" in res.summary.as_text()
    assert res.pvalues["Delta"] == boot.pvalue(0, 0.0)


def test_fit_nash_iv_and_logistic_use_the_score_bootstrap():
    rng = np.random.default_rng(7)
    g, shock = _clustered_data(rng, clusters=10, per_cluster=30)
    n = g.size
    wtp = rng.uniform(1, 3, n)
    s = wtp + 0.3 * shock + rng.normal(0, 0.2, n)
    cost = rng.uniform(0, 1, n)
    x = rng.normal(size=n)
    beta = 1 / (1 + np.exp(-(-0.4 + 0.8 * x)))
    frame = pd.DataFrame(
        {"price": cost + beta * s + 0.3 * shock + rng.normal(0, 0.3, n), "value": cost + s, "cost": cost,
         "wtp": wtp, "x": x, "market": g}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        logistic = fit_nash(frame, price="price", buyer_value="value", seller_cost="cost", weight_formula="~ 1 + x",
                            cluster="market", bootstrap=99, bootstrap_kind="wild", seed=1)
        iv = fit_nash(frame.assign(price=cost + 0.4 * s + 0.3 * shock), price="price", buyer_value="value",
                      seller_cost="cost", instruments="~ wtp", cluster="market", bootstrap=99,
                      bootstrap_kind="wild", seed=1)
    assert "wild score bootstrap" in logistic.method
    assert "wild restricted efficient bootstrap" in iv.method
    for res in (logistic, iv):
        ci = res.conf_int()
        assert np.all(ci["lower"] < res.params) and np.all(res.params < ci["upper"])
    # the IV design with an observed cost has one parameter: the brute-force WRE of p - C = beta s + u
    z = np.column_stack([np.ones(n), wtp])
    y, s_ = iv._design.y, iv._design.s
    weights = np.random.default_rng(1).choice(WEBB, size=(10, 99))
    u_r = y  # restricted at beta = 0
    coef = np.linalg.lstsq(np.column_stack([z, u_r]), s_, rcond=None)[0]
    fitted, v_r = z @ coef[:2], s_ - z @ coef[:2]
    t = _tsls_t(y, s_[:, None], z, g, 0, 0.0)[1]
    stars = [_tsls_t(u_r * weights[g, b], (fitted + v_r * weights[g, b])[:, None], z, g, 0, 0.0)[1] for b in range(99)]
    assert iv.pvalues["beta"] == pytest.approx(float(np.mean(np.abs(stars) >= abs(t))), abs=1e-12)
    # an unobserved cost with instruments: the WRE for beta; gamma = pi / (1 - beta) keeps its t(G - 1) interval
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        modeled = fit_nash(frame.assign(z=rng.normal(size=n)), price="price", buyer_value="value",
                           cost_formula="~ 1 + z", instruments="~ wtp + z", cluster="market", bootstrap=99,
                           bootstrap_kind="wild", seed=1)
    assert "wild restricted efficient bootstrap" in modeled.method
    assert list(modeled.resampled_inference.names) == ["beta"]
    # the WRE's data t uses the reported clustered standard error (linearmodels' 2SLS times G/(G-1)(N-1)/(N-K))
    wre = modeled.resampled_inference.bootstrap
    assert wre._se_hat[-1] == pytest.approx(math.sqrt(modeled.linear_cov.loc["beta", "beta"]), rel=1e-10)


# -------------------------------------------------------------------------------------------- coverage
def _nash_logistic_pvalue_at_truth(rng, seed, reps):
    g, shock = _clustered_data(rng, clusters=8, per_cluster=30)
    n = g.size
    x = rng.normal(size=n) + shock
    beta = 1 / (1 + np.exp(-(-0.4 + 0.8 * x)))
    s, cost = rng.uniform(1, 3, n), rng.uniform(0, 1, n)
    u = 0.6 * rng.normal(0, 0.5, 8)[g] + rng.normal(0, 0.3, n)
    frame = pd.DataFrame({"price": cost + beta * s + u, "value": cost + s, "cost": cost, "x": x, "market": g})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        res = fit_nash(frame, price="price", buyer_value="value", seller_cost="cost", weight_formula="~ 1 + x",
                       cluster="market", bootstrap=reps, bootstrap_kind="wild", seed=seed)
    return res.resampled_inference.bootstrap.pvalue(1, 0.8)


def _incomplete_pvalue_at_truth(rng, seed, reps):
    res = _fit_incomplete_wild(_incomplete_frame(rng, per_cluster=100), seed=seed, reps=reps)
    return res.resampled_inference.bootstrap.pvalue(0, 0.3)


def test_wild_score_coverage_with_eight_clusters_reduced():
    rng = np.random.default_rng(8)
    covered = [_nash_logistic_pvalue_at_truth(rng, r, 99) > 0.05 for r in range(40)]
    assert 0.85 <= np.mean(covered) <= 1.0


def _nash_iv_pvalue_at_truth(rng, seed, reps):
    g, shock = _clustered_data(rng, clusters=8, per_cluster=30)
    n = g.size
    wtp, common = rng.uniform(1, 3, n), rng.normal(size=n)
    s = np.maximum(wtp + 0.5 * common + 0.6 * shock + rng.normal(0, 0.3, n), 0.05)  # endogenous surplus
    cost = rng.uniform(0, 1, n)
    u = 0.3 * common + 0.6 * shock + rng.normal(0, 0.2, n)
    frame = pd.DataFrame({"price": cost + 0.4 * s + u, "value": cost + s, "cost": cost, "wtp": wtp, "market": g})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        res = fit_nash(frame, price="price", buyer_value="value", seller_cost="cost", instruments="~ wtp",
                       cluster="market", bootstrap=reps, bootstrap_kind="wild", seed=seed)
    return res.resampled_inference.bootstrap.pvalue(0, 0.4)


@pytest.mark.slow
@pytest.mark.parametrize(
    "pvalue_at_truth", [_nash_logistic_pvalue_at_truth, _incomplete_pvalue_at_truth, _nash_iv_pvalue_at_truth]
)
def test_wild_score_coverage_with_eight_clusters_full(pvalue_at_truth):
    rng = np.random.default_rng(9)
    covered = [pvalue_at_truth(rng, r, 399) > 0.05 for r in range(600)]
    print(f"{pvalue_at_truth.__name__}: coverage {np.mean(covered):.3f}")  # recorded with pytest -s
    assert 0.92 <= np.mean(covered) <= 0.98


# ------------------------------------------------------------------------------------------ bad inputs
def test_bad_inputs_raise_our_errors_with_hints():
    frame = _incomplete_frame(np.random.default_rng(10))
    kwargs = {"traded": "traded", "value": "value", "cost": "cost", "value_dist": Uniform(0, 1),
              "cost_dist": Uniform(0, 1)}
    with pytest.raises(InvalidParameterError, match="cluster") as info:
        fit_incomplete(frame, bootstrap=99, bootstrap_kind="wild", **kwargs)
    assert "cluster=" in info.value.hint
    with pytest.raises(IdentificationError, match="1 cluster") as info:
        fit_incomplete(frame.assign(market=0), cluster="market", bootstrap=99, bootstrap_kind="wild", **kwargs)
    assert "cov_type='robust'" in info.value.hint
    y = np.arange(5.0)
    model = LinearModel(y, np.ones((5, 1)))
    with pytest.raises(IdentificationError, match="at least 2 clusters") as info:
        WildScoreBootstrap(score_problem(model), np.array([2.0]), np.zeros(5, dtype=int), reps=9)
    assert "cluster=COLUMN" in info.value.hint
    with pytest.raises(InvalidParameterError, match="one code per observation"):
        WildScoreBootstrap(score_problem(model), np.array([2.0]), np.zeros(4, dtype=int), reps=9)
    # a minimum-distance model needs its influence functions re-centred at the model
    plain = MeansModel(np.random.default_rng(0).normal(size=(40, 3)))
    plain.recentered_influence = None
    with pytest.raises(InvalidParameterError, match="recentered_influence") as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        fit_model(plain, cluster=np.repeat(np.arange(4), 10), bootstrap_kind="wild")
    assert "bootstrap_kind='cluster'" in info.value.hint


def test_iv_gmm_refuses_the_wild_bootstrap():
    rng = np.random.default_rng(11)
    n = 120
    frame = pd.DataFrame({"price": rng.uniform(1, 2, n), "value": rng.uniform(2, 3, n), "cost": rng.uniform(0, 1, n),
                          "z": rng.normal(size=n), "market": np.repeat(np.arange(4), 30)})
    with pytest.raises(InvalidParameterError, match="iv_method='gmm'") as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_nash(frame, price="price", buyer_value="value", seller_cost="cost", instruments="~ z", iv_method="gmm",
                 cluster="market", bootstrap=99, bootstrap_kind="wild")
    assert "iv_method='2sls'" in info.value.hint


def test_restricted_fit_failure_is_a_convergence_error():
    # an iteration limit too small to reach the restricted maximum: never a silent non-maximum
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(50), rng.normal(size=50), rng.normal(size=50)])
    y = (rng.uniform(size=50) < 0.5).astype(float)
    problem = score_problem(Logit(y, x), maxiter=1)
    with pytest.raises(ConvergenceError, match="could not be maximized") as info:
        problem.restricted_fit(1, 3.0, np.array([5.0, 0.0, -5.0]))
    assert "bootstrap_kind='cluster'" in info.value.hint


def test_fit_merger_model_carries_the_wild_score_bootstrap():
    from bargaining import fit_merger_model, simulate

    data = simulate("bargaining-markets", n=40, seed=12).data
    options = {"price": "price", "share": "share", "seller": "seller", "market": "market",
               "cost_formula": "~ 1 + z1 + z2", "alpha": 1.0,
               "instruments": "~ x + x_rivals + z1_rivals + z2_rivals"}
    res = fit_merger_model(data, **options, cluster="market", bootstrap=99, bootstrap_kind="wild", seed=2)
    assert res.resampled_inference is not None and "wild score bootstrap" in res.method
    assert res.cov_type == "clustered"
    boot = res.resampled_inference.bootstrap
    j = list(res.params.index).index("seller_weight")
    assert boot.pvalue(j, res.params["seller_weight"]) == 1.0
    assert res.pvalues["seller_weight"] == boot.pvalue(j, 0.0)
    with pytest.raises(InvalidParameterError, match="alpha_cov"):
        fit_merger_model(data, **options, alpha_cov=0.01, cluster="market", bootstrap_kind="wild")


# ---------------------------------------------------------------------------------- WRE (linear IV)
def test_wre_equals_a_brute_force_loop():
    """Davidson-MacKinnon WRE: restricted 2SLS, reduced form on [Z, u~], both residuals times v_g, 2SLS."""
    from bargaining.estimate.engines.wild_iv import WildRestrictedEfficient

    rng = np.random.default_rng(15)
    g, shock = _clustered_data(rng, clusters=9, per_cluster=20)
    n = g.size
    z = rng.normal(size=(n, 2))
    common = rng.normal(size=n)
    endog = 0.5 + z @ np.array([0.6, 0.3]) + common + 0.5 * shock
    y = 1.0 + 0.5 * endog + 0.8 * common + shock + rng.normal(0, 0.5, n)
    x = np.column_stack([np.ones(n), endog])
    zz = np.column_stack([np.ones(n), z])
    wre = WildRestrictedEfficient(y, np.ones((n, 1)), endog[:, None], z, g, reps=99, seed=8)
    weights = np.random.default_rng(8).choice(WEBB, size=(9, 99))
    t_hat = None
    for b0 in (0.5, 0.2, 0.9):
        # restricted 2SLS (slope = b0): the constant is the mean of y - b0 x (it instruments itself)
        theta_r = np.array([np.mean(y - b0 * endog), b0])
        u_r = y - x @ theta_r
        coef = np.linalg.lstsq(np.column_stack([zz, u_r]), endog, rcond=None)[0]
        fitted_endog = zz @ coef[:3]
        v_r = endog - fitted_endog
        t_hat = _tsls_t(y, x, zz, g, 1, b0)[1]
        stars = []
        for b in range(99):
            e_star = fitted_endog + v_r * weights[g, b]
            x_star = np.column_stack([np.ones(n), e_star])
            stars.append(_tsls_t(x_star @ theta_r + u_r * weights[g, b], x_star, zz, g, 1, b0)[1])
        assert wre.pvalue(1, b0) == pytest.approx(float(np.mean(np.abs(stars) >= abs(t_hat))), abs=1e-12)
    low, high = wre.conf_int(1)
    assert low < wre._beta[1] < high
    assert wre.pvalue(1, low - 0.01) <= 0.05 < wre.pvalue(1, low + 0.01)


def test_engine_examples_run():
    import doctest

    from bargaining.estimate.engines import wild_iv, wild_score

    for module in (wild_score, wild_iv):
        assert doctest.testmod(module).failed == 0
