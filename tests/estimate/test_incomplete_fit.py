"""Maximum likelihood for Loertscher-Marx bargaining with observed values and costs.

Independent truths used here:
* a numpy-only simulator written in this file, with rho from eq. (38) in the appendix's original form
  3(1 - |D|) / (4 - 2|D| - 2 sqrt(1 - |D| + D^2)) (the package evaluates a rationalized form);
* the k-double auction's trade rule v >= c (1 + k)/(2 - k) + (1 - k)/2 (appendix D.1) as sigma -> 0;
* statsmodels' unrestricted Logit on (1, v, c), which nests the model for uniform [0, 1] types;
* hand-computed weight ratios at Delta in {-1, 0, 1}.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bargaining.errors import (
    BargainingError,
    ConvergenceWarning,
    IdentificationError,
    IdentificationWarning,
    MissingColumnError,
)
from bargaining.estimate.incomplete import fit_incomplete, fit_type_distribution
from bargaining.models.incomplete_likelihood import (
    TypeData,
    WeightRatioCurve,
    trade_log_likelihood,
    trade_probability,
    uniform_weight_ratios,
)


# ------------------------------------------------------------------------------- test-local simulator
def rho_eq38(delta: float) -> float:
    d = abs(delta)
    if d == 1.0:
        return 1.0
    return 3 * (1 - d) / (4 - 2 * d - 2 * math.sqrt(1 - d + d * d))


def ratios(delta: float) -> tuple[float, float]:
    w_b, w_s = (1.0, 1.0 - delta) if delta >= 0 else (1.0 + delta, 1.0)
    r = rho_eq38(delta)
    return w_b / r, w_s / r


def simulate(
    n: int, delta: float, sigma: float, seed: int, low: float = 0.0, high: float = 1.0
) -> pd.DataFrame:
    """Uniform [low, high] values and costs; logistic noise on the weighted virtual surplus."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(low, high, n)
    c = rng.uniform(low, high, n)
    a, b = ratios(delta)
    phi = v - (1 - a) * (high - v)  # (1 - F)/f = high - v
    gamma = c + (1 - b) * (c - low)  # G/g = c - low
    index = phi - gamma
    if sigma == 0:
        traded = index >= 0
    else:
        traded = rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-index / sigma))
    return pd.DataFrame({"traded": traded.astype(int), "value": v, "cost": c})


class UnitUniform:
    """Uniform [0, 1] type distribution written here (cdf, pdf, virtual types), independent of the package's."""

    low, high, name = 0.0, 1.0, "uniform (test)"

    def cdf(self, x):
        return np.clip(np.asarray(x, dtype=float), 0.0, 1.0)

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where((x >= 0) & (x <= 1), 1.0, 0.0)

    def virtual_value(self, x, weight=1.0):
        return x - (1 - weight) * (1 - x)

    def virtual_cost(self, x, weight=1.0):
        return x + (1 - weight) * x


@pytest.fixture(scope="module")
def uniform01():
    return UnitUniform()




# ------------------------------------------------------------------------------------------ model side
def test_weight_ratios_by_hand():
    # Delta = 0: rho = 3/2 (second best), a = b = 2/3; Delta = +-1: rho = 1, take-it-or-leave-it offers
    assert uniform_weight_ratios(0.0) == pytest.approx((2 / 3, 2 / 3), abs=1e-14)
    assert uniform_weight_ratios(1.0) == pytest.approx((1.0, 0.0), abs=1e-14)
    assert uniform_weight_ratios(-1.0) == pytest.approx((0.0, 1.0), abs=1e-14)
    for d in np.linspace(-0.99, 0.99, 23):
        assert uniform_weight_ratios(d) == pytest.approx(ratios(d), abs=1e-12)


def test_trade_probability_tends_to_k_double_auction_rule(uniform01):
    from bargaining.models.bilateral import k_from_delta

    rng = np.random.default_rng(0)
    v, c = rng.uniform(size=4000), rng.uniform(size=4000)
    types = TypeData.build(v, c, uniform01, uniform01)
    curve = WeightRatioCurve.closed_form()
    for delta in (-1.0, -0.5, 0.0, 0.3, 1.0):
        k = float(k_from_delta(delta))
        threshold = c * (1 + k) / (2 - k) + (1 - k) / 2
        clear = np.abs(v - threshold) > 1e-3  # away from the boundary the limit is 0 or 1
        p = trade_probability(delta, 1e-7, types, curve)
        np.testing.assert_array_equal(p[clear] > 0.5, (v >= threshold)[clear])
        assert np.all((p[clear] < 1e-12) | (p[clear] > 1 - 1e-12))


def test_log_likelihood_by_hand(uniform01):
    v = np.array([0.9, 0.2, 0.6, 0.55])
    c = np.array([0.1, 0.7, 0.3, 0.5])
    t = np.array([1.0, 0.0, 1.0, 0.0])
    delta, sigma = -0.4, 0.07
    a, b = ratios(delta)
    z = ((2 - a) * v - (1 - a) - (2 - b) * c) / sigma
    p = 1 / (1 + np.exp(-z))
    expected = np.where(t == 1, np.log(p), np.log(1 - p))
    types = TypeData.build(v, c, uniform01, uniform01)
    got = trade_log_likelihood(delta, sigma, t, types, WeightRatioCurve.closed_form())
    np.testing.assert_allclose(got, expected, rtol=1e-8)  # the reference's log(1 - p) cancels


def test_solver_curve_agrees_with_eq38(uniform01):
    from bargaining.models.distributions import Uniform

    curve = WeightRatioCurve.from_solver(Uniform(), Uniform(), tol=1e-7)
    assert curve.accuracy <= 1e-6
    for d in (-0.97, -0.61, -0.2, 0.0, 0.13, 0.5, 0.88):
        assert curve(d) == pytest.approx(ratios(d), abs=2e-6)


def test_locally_refined_curve_meets_its_accuracy_with_few_solver_points():
    """Beta laws (no closed form): the refined curve agrees with direct solves at Deltas that are not nodes
    to within its reported accuracy, and refinement is local (the uniform doubling needed 513 nodes)."""
    from bargaining.models import distributions as D
    from bargaining.models.mechanism import Market

    value, cost = D.Beta(2.0, 2.0), D.Uniform(0.0, 1.0)
    curve = WeightRatioCurve.from_solver(value, cost)
    assert curve.accuracy <= 1e-6
    assert len(curve.grid) < 200
    market = Market([value], [cost])
    for d in np.random.default_rng(4).uniform(-1, 1, 8):
        outcome = market.bargain_delta(float(d))
        direct = (float(np.ravel(outcome.buyer_weight_ratios)[0]), float(np.ravel(outcome.supplier_weight_ratios)[0]))
        assert curve(float(d)) == pytest.approx(direct, abs=max(2 * curve.accuracy, 1e-9))


# ---------------------------------------------------------------------------------------- estimation
def test_recovery_known_uniform(uniform01):
    truth = {"Delta": 0.4, "sigma": 0.05}
    df = simulate(5000, truth["Delta"], truth["sigma"], seed=11)
    res = fit_incomplete(
        df, traded="traded", value="value", cost="cost", value_dist=uniform01, cost_dist=uniform01
    )
    assert res.converged and res.nobs == 5000
    assert res.rho_method.startswith("closed form")
    for name, value in truth.items():
        assert abs(res.params[name] - value) < 3 * res.std_errors[name], name
    assert list(res.params.index) == ["Delta", "sigma"]
    assert res.predicted.shape == (5000,)
    new = pd.DataFrame({"value": [0.9, 0.1], "cost": [0.1, 0.9]})
    assert res.predict(new).to_numpy() == pytest.approx([1.0, 0.0], abs=1e-6)
    np.testing.assert_allclose(res.predict(df.iloc[:5]), res.predicted.iloc[:5], rtol=1e-12)
    assert res.to_dict()["params"]["Delta"] == pytest.approx(res.params["Delta"])


def test_restricted_model_is_nested_in_unrestricted_logit(uniform01):
    """For uniform [0, 1] types the index is linear in (1, v, c): an unrestricted logit nests the model."""
    import statsmodels.api as sm

    df = simulate(5000, -0.3, 0.04, seed=5)
    res = fit_incomplete(
        df, traded="traded", value="value", cost="cost", value_dist=uniform01, cost_dist=uniform01
    )
    logit = sm.Logit(df["traded"], sm.add_constant(df[["value", "cost"]])).fit(disp=0)
    lr = 2 * (logit.llf - res.loglike)
    assert -1e-6 <= lr < stats.chi2.ppf(0.999, 1)
    # the unrestricted coefficients are close to the structural ones
    a, b = ratios(res.params["Delta"])
    s = res.params["sigma"]
    implied = np.array([-(1 - a) / s, (2 - a) / s, -(2 - b) / s])
    assert np.all(np.abs(logit.params.to_numpy() - implied) < 4 * logit.bse.to_numpy())


def test_estimated_uniform_supports_use_solver_and_recover_truth():
    df = simulate(5000, -0.5, 0.05, seed=3)
    res = fit_incomplete(df, traded="traded", value="value", cost="cost")
    assert res.distributions_estimated and res.rho_method.startswith("solver")
    assert abs(res.params["Delta"] + 0.5) < 3 * res.std_errors["Delta"]
    assert any("treat them as known" in n for n in res.notes)


@pytest.mark.parametrize("cov_type", ["unadjusted", "robust"])
def test_coverage_small_monte_carlo(uniform01, cov_type):
    """100 replications, n = 1000: the 95% intervals cover the truth in 90-99% of them."""
    truth = {"Delta": 0.25, "sigma": 0.06}
    hits = {"Delta": 0, "sigma": 0}
    reps = 100
    for r in range(reps):
        df = simulate(1000, truth["Delta"], truth["sigma"], seed=1000 + r)
        res = fit_incomplete(
            df,
            traded="traded",
            value="value",
            cost="cost",
            value_dist=uniform01,
            cost_dist=uniform01,
            cov_type=cov_type,
        )
        ci = res.conf_int()
        for name, value in truth.items():
            hits[name] += ci.loc[name, "lower"] <= value <= ci.loc[name, "upper"]
    for name in truth:
        assert 0.90 <= hits[name] / reps <= 0.99, (name, hits[name])


def test_clustered_and_bootstrap(uniform01):
    df = simulate(1500, 0.1, 0.05, seed=8)
    df["market"] = np.arange(len(df)) % 50
    res = fit_incomplete(
        df,
        traded="traded",
        value="value",
        cost="cost",
        value_dist=uniform01,
        cost_dist=uniform01,
        cov_type="clustered",
        cluster="market",
    )
    assert res.cov_type == "clustered" and res.to_dict()["clusters"] == 50
    boot = [
        fit_incomplete(df, traded="traded", value="value", cost="cost", bootstrap=15, seed=4)
        for _ in range(2)
    ]
    assert boot[0].cov_type == "bootstrap"
    assert boot[0].std_errors.equals(boot[1].std_errors)  # seeded: reproducible
    assert len(boot[0].bootstrap_params) + boot[0].bootstrap_failures == 15
    # the bootstrap re-estimates F and G, so its SE of Delta is not far below the analytical one
    analytic = fit_incomplete(df, traded="traded", value="value", cost="cost")
    assert boot[0].std_errors["Delta"] > 0.4 * analytic.std_errors["Delta"]


@pytest.mark.parametrize("cov_type", ["robust", "unadjusted"])
def test_boundary_delta_reports_likelihood_ratio_interval(uniform01, cov_type):
    # issue example: at a boundary estimate cov_type="unadjusted" raised statsmodels' ValueError
    df = simulate(3000, 1.0, 0.02, seed=2)
    with pytest.warns(IdentificationWarning, match="boundary"):
        res = fit_incomplete(
            df, traded="traded", value="value", cost="cost", value_dist=uniform01, cost_dist=uniform01,
            cov_type=cov_type,
        )
    assert res.at_boundary
    assert math.isnan(res.std_errors["Delta"]) and res.std_errors["sigma"] > 0
    lower, upper = res.conf_int().loc["Delta"]
    assert -1 < lower < 1.0 and upper == 1.0


# ---------------------------------------------------------------------------------------------- errors
def test_optimizer_stopping_early_is_reported(uniform01):
    df = simulate(2000, 0.2, 0.05, seed=1)
    with pytest.warns(ConvergenceWarning):
        res = fit_incomplete(
            df,
            traded="traded",
            value="value",
            cost="cost",
            value_dist=uniform01,
            cost_dist=uniform01,
            maxiter=1,
        )
    assert res.converged is False
    assert "NOT converge" in res.summary.as_text()


def test_identification_failures(uniform01):
    df = simulate(500, 0.0, 0.05, seed=1)
    with pytest.raises(IdentificationError):
        fit_incomplete(df.assign(traded=1), traded="traded", value="value", cost="cost")
    noiseless = simulate(2000, 0.0, 0.0, seed=1)
    with pytest.raises(IdentificationError, match="separates"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_incomplete(
            noiseless, traded="traded", value="value", cost="cost", value_dist=uniform01, cost_dist=uniform01
        )
    with pytest.raises(IdentificationError, match="no variation"):
        fit_incomplete(df.assign(value=0.5), traded="traded", value="value", cost="cost")


def test_bad_data_raise_package_errors(uniform01):
    df = simulate(500, 0.0, 0.05, seed=1)
    with pytest.raises(MissingColumnError):
        fit_incomplete(df, traded="traded", value="valu", cost="cost")
    broken = df.copy()
    broken.loc[3, "value"] = np.nan
    with pytest.raises(BargainingError):
        fit_incomplete(broken, traded="traded", value="value", cost="cost")
    res = fit_incomplete(broken, traded="traded", value="value", cost="cost", drop_invalid=True)
    assert res.nobs == 499 and int(res.dropped["count"].sum()) == 1
    outside = df.copy()
    outside.loc[0, "value"] = 1.5
    with pytest.raises(BargainingError):
        fit_incomplete(
            outside, traded="traded", value="value", cost="cost", value_dist=uniform01, cost_dist=uniform01
        )
    kept = fit_incomplete(
        outside,
        traded="traded",
        value="value",
        cost="cost",
        value_dist=uniform01,
        cost_dist=uniform01,
        drop_invalid=True,
    )
    assert kept.nobs == 499 and kept.dropped["reason"].str.contains("value outside").any()
    with pytest.raises(BargainingError):
        fit_incomplete(df, traded="traded", value="value", cost="cost", value_dist="lognormal")
    with pytest.raises(BargainingError):
        fit_incomplete(df, traded="traded", value="value", cost="cost", cov_type="clustered")


# ----------------------------------------------------------------------------------------- first stage
def test_first_stage_families():
    rng = np.random.default_rng(3)
    x = 2.0 + 3.0 * rng.beta(2.0, 5.0, 5000)
    beta = fit_type_distribution(x, "beta", bounds=(2.0, 5.0))
    grid = np.linspace(2.05, 4.95, 30)
    np.testing.assert_allclose(beta.cdf(grid), stats.beta.cdf((grid - 2) / 3, 2, 5), atol=0.02)
    uni = fit_type_distribution(rng.uniform(1, 2, 999), "uniform")
    assert uni.low == pytest.approx(1.0, abs=0.01) and uni.high == pytest.approx(2.0, abs=0.01)
    y = stats.truncnorm.rvs(-1, 2, loc=0.5, scale=0.2, size=5000, random_state=4)  # on [0.3, 0.9]
    tn = fit_type_distribution(y, "truncnorm", bounds=(0.3, 0.9))
    np.testing.assert_allclose(
        tn.cdf(np.linspace(0.31, 0.89, 20)),
        stats.truncnorm.cdf(np.linspace(0.31, 0.89, 20), -1, 2, loc=0.5, scale=0.2),
        atol=0.02,
    )
    emp = fit_type_distribution(y, "empirical", bounds=(0.3, 0.9))
    grid = np.linspace(0.3, 0.9, 13)
    np.testing.assert_allclose(emp.cdf(grid), np.mean(y[:, None] <= grid[None, :], axis=0), atol=0.03)


@pytest.mark.slow
def test_coverage_monte_carlo_realistic_size_with_estimated_supports():
    """200 replications of n = 5000 with uniform supports estimated in the first stage (solver path)."""
    truth = {"Delta": -0.35, "sigma": 0.04}
    hits = {"Delta": 0, "sigma": 0}
    reps = 200
    for r in range(reps):
        df = simulate(5000, truth["Delta"], truth["sigma"], seed=20_000 + r)
        res = fit_incomplete(df, traded="traded", value="value", cost="cost")
        ci = res.conf_int()
        for name, value in truth.items():
            hits[name] += ci.loc[name, "lower"] <= value <= ci.loc[name, "upper"]
    for name in truth:
        assert 0.92 <= hits[name] / reps <= 0.98, (name, hits[name])


@pytest.mark.slow
def test_coverage_monte_carlo_realistic_size_known_types(uniform01):
    """200 replications of n = 5000 with known uniform types: coverage 92-98% for both parameters."""
    truth = {"Delta": -0.35, "sigma": 0.04}
    hits = {"Delta": 0, "sigma": 0}
    for r in range(200):
        df = simulate(5000, truth["Delta"], truth["sigma"], seed=30_000 + r)
        res = fit_incomplete(
            df, traded="traded", value="value", cost="cost", value_dist=uniform01, cost_dist=uniform01
        )
        ci = res.conf_int()
        for name, value in truth.items():
            hits[name] += ci.loc[name, "lower"] <= value <= ci.loc[name, "upper"]
    for name in truth:
        assert 0.92 <= hits[name] / 200 <= 0.98, (name, hits[name])


def test_package_simulator_without_noise_is_separated():
    """The package's negotiations simulator trades by the exact Loertscher-Marx rule: the logit likelihood
    has no maximum (sigma -> 0), which must be reported as an identification failure."""
    from bargaining.data import simulate
    from bargaining.models.distributions import Uniform

    sim = simulate("negotiations", n=3000, seed=5, delta=-0.2, price_rule=None)
    with pytest.raises(IdentificationError, match="separates"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_incomplete(
            sim.data,
            traded="traded",
            value="value",
            cost="cost",
            value_dist=Uniform(0, 1),
            cost_dist=Uniform(0, 1),
        )


def test_solver_curve_handles_a_slack_budget_region(recwarn):
    """Costs reaching below the lowest value: near Delta = 1 the budget is slack (rho = max w), so the ratios
    have a kink where it starts binding. The curve must put a knot there and still interpolate to 1e-6."""
    from bargaining.errors import AccuracyWarning
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market

    value_dist, cost_dist = Uniform(-0.09, 1.09), Uniform(-0.19, 1.1)
    curve = WeightRatioCurve.from_solver(value_dist, cost_dist, tol=1e-6)
    assert not [w for w in recwarn if issubclass(w.category, AccuracyWarning)]
    market = Market([value_dist], [cost_dist])
    assert market.bargain_delta(0.99).rho == pytest.approx(1.0, abs=1e-12)  # slack: the kink exists
    for d in (-0.7, 0.31, 0.93, 0.951, 0.97, 0.995):
        out = market.bargain_delta(d)
        a, b = curve(d)
        assert a == pytest.approx(float(out.buyer_weight_ratios[0]), abs=1e-6)
        assert b == pytest.approx(float(out.supplier_weight_ratios[0]), abs=1e-6)


@pytest.mark.parametrize("drop_invalid", [False, True])
@pytest.mark.parametrize(
    "bounds", [(0.0,), (0.0, 0.5, 1.0), "a", 3.0, (1.0, 0.0), (0.0, math.inf), (math.nan, 1.0), ("x", 1.0)], ids=repr
)
def test_malformed_bounds_are_refused_with_a_hint(bounds, drop_invalid):
    # found by the property suite: cost_bounds=(0.0,) with drop_invalid=True raised IndexError
    from bargaining.errors import InvalidParameterError

    df = simulate(200, 0.0, 0.05, seed=1)
    with pytest.raises(InvalidParameterError, match="cost_bounds") as info:
        fit_incomplete(df, traded="traded", value="value", cost="cost", value_bounds=(0, 1), cost_bounds=bounds,
                       drop_invalid=drop_invalid)
    assert "cost_bounds=(low, high)" in info.value.hint


def test_unconverged_bootstrap_replicates_are_left_out():
    """A replicate whose optimizer stops short (maxiter=1) is counted as failed, not averaged into the
    covariance: with every replicate stopped short no bootstrap covariance can be formed."""
    df = simulate(800, 0.2, 0.1, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(IdentificationError, match="bootstrap replicates could be estimated"):
            fit_incomplete(df, traded="traded", value="value", cost="cost", bootstrap=6, seed=1, maxiter=1)
        ok = fit_incomplete(df, traded="traded", value="value", cost="cost", bootstrap=6, seed=1)
    assert ok.bootstrap_failures == 0 and len(ok.bootstrap_params) == 6


def test_converged_replicate_helper():
    from bargaining.errors import ConvergenceError
    from bargaining.estimate.engines.bootstrap import converged_replicate

    assert converged_replicate(np.array([1.0, 2.0]), True, "x").tolist() == [1.0, 2.0]
    with pytest.raises(ConvergenceError, match="did not converge"):
        converged_replicate(np.array([1.0]), False, "fit_x")
