"""Minimum distance on cell moments of trades and prices.

Independent truths: a numpy-only k-double-auction simulator written here from the equilibrium bids of
Chatterjee-Samuelson (appendix D.1, footnote 2), Monte Carlo moments of 10^6 draws, eq. (39) solved
numerically for k, the binomial variance P(1 - P)/n, and the closed-form posted-price trade rate.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from bargaining.errors import (
    BargainingError,
    IdentificationError,
    IdentificationWarning,
    InvalidParameterError,
    MissingColumnError,
)
from bargaining.estimate.min_distance import cell_moments, fit_incomplete_moments
from bargaining.models.incomplete_likelihood import kda_unit_moments, price_rule_moments


def k_of_delta(delta: float) -> float:
    """Solve eq. (39), Delta = (1 - 2k)/(k^2 - max(1, 2k)), for k numerically."""
    return optimize.brentq(lambda k: (1 - 2 * k) / (k * k - max(1.0, 2 * k)) - delta, 0.0, 1.0, xtol=1e-14)


def simulate_kda(
    n: int, delta: float, seed: int, low: float = 0.0, high: float = 1.0, cells: int = 1
) -> pd.DataFrame:
    k = k_of_delta(delta)
    rng = np.random.default_rng(seed)
    v, c = rng.uniform(size=n), rng.uniform(size=n)
    bid = v / (1 + k) + k * (1 - k) / (2 * (1 + k))
    ask = c / (2 - k) + (1 - k) / 2
    traded = bid >= ask
    price = np.where(traded, low + (high - low) * (k * bid + (1 - k) * ask), np.nan)
    return pd.DataFrame({"traded": traded.astype(int), "price": price, "cell": rng.integers(0, cells, n)})


# ---------------------------------------------------------------------------------------- model moments
@pytest.mark.parametrize("delta", [-0.7, 0.0, 0.45, 1.0])
def test_kda_moments_against_simulation(delta):
    df = simulate_kda(1_000_000, delta, seed=1)
    p = df["price"].dropna().to_numpy()
    mc = np.array([df["traded"].mean(), p.mean(), p.var(), np.mean((p - p.mean()) ** 3)])
    exact = kda_unit_moments(delta)
    assert np.all(np.abs(exact - mc) < [2e-3, 5e-4, 1e-4, 1e-5]), exact - mc
    # closed form P(trade) = (1 + k)(2 - k)/8
    k = k_of_delta(delta)
    assert exact[0] == pytest.approx((1 + k) * (2 - k) / 8, abs=1e-12)


def test_affine_equivariance_of_kda_moments():
    unit = kda_unit_moments(0.3)
    scaled = price_rule_moments("k-double-auction", {"Delta": 0.3, "low": 2.0, "high": 5.0})
    np.testing.assert_allclose(scaled, [unit[0], 2 + 3 * unit[1], 9 * unit[2], 27 * unit[3]], rtol=1e-13)


def test_cell_moment_influence_functions():
    rng = np.random.default_rng(0)
    t = (rng.uniform(size=400) < 0.3).astype(float)
    p = np.where(t == 1, rng.normal(2.0, 0.5, 400), np.nan)
    moments, psi, counts = cell_moments(t, p, np.zeros(400, dtype=int))
    assert counts.tolist() == [[400, int(t.sum())]]
    # Var of the trade rate: P(1 - P)/n, and of the mean price: s^2 / N
    omega = psi.reshape(400, -1).T @ psi.reshape(400, -1)
    assert omega[0, 0] == pytest.approx(t.mean() * (1 - t.mean()) / 400, rel=1e-12)
    assert omega[1, 1] == pytest.approx(moments[0, 2] / t.sum(), rel=1e-12)
    assert omega[0, 1] == pytest.approx(0.0, abs=1e-15)


# ---------------------------------------------------------------------------------------------- recovery
def test_recovery_with_unknown_common_support():
    df = simulate_kda(5000, 0.4, seed=3, low=2.0, high=5.0)
    res = fit_incomplete_moments(df, traded="traded", price="price", price_rule="k-double-auction")
    assert res.converged
    for name, value in {"Delta": 0.4, "low": 2.0, "high": 5.0}.items():
        assert abs(res.params[name] - value) < 3 * res.std_errors[name], name
    assert res.j_df == 1 and 0.001 < res.j_pvalue <= 1
    assert res.implied_k == pytest.approx(k_of_delta(res.params["Delta"]), abs=1e-8)


def test_recovery_by_cell_support_and_two_step():
    df = simulate_kda(6000, -0.3, seed=4, cells=3)
    # cell-specific units: cell g's prices are on [g, g + 1 + g]
    g = df["cell"].to_numpy()
    df["price"] = g + (1 + g) * df["price"]
    res = fit_incomplete_moments(
        df,
        traded="traded",
        price="price",
        price_rule="k-double-auction",
        cells="cell",
        support="by-cell",
        weighting="two-step",
    )
    assert abs(res.params["Delta"] + 0.3) < 3 * res.std_errors["Delta"]
    assert res.j_df == 12 - 7
    for cell in range(3):
        label = str(sorted(df["cell"].unique())[cell])
        assert abs(res.params[f"high[{label}]"] - (2 * int(label) + 1)) < 4 * res.std_errors[f"high[{label}]"]


def test_known_support_and_diagonal_weighting():
    from bargaining.models.distributions import Uniform

    df = simulate_kda(4000, -0.8, seed=5)
    res = fit_incomplete_moments(
        df,
        traded="traded",
        price="price",
        price_rule="k-double-auction",
        value_dist=Uniform(0, 1),
        cost_dist=Uniform(0, 1),
        weighting="diagonal",
    )
    assert list(res.params.index) == ["Delta"]
    assert abs(res.params["Delta"] + 0.8) < 3 * res.std_errors["Delta"]
    assert math.isnan(res.j_statistic)


def test_coverage_small_monte_carlo():
    """100 replications, n = 2000: 95% intervals for Delta cover the truth in 90-99% of them."""
    reps, hits = 100, 0
    for r in range(reps):
        df = simulate_kda(2000, 0.4, seed=500 + r, low=1.0, high=3.0)
        res = fit_incomplete_moments(df, traded="traded", price="price", price_rule="k-double-auction")
        lower, upper = res.conf_int().loc["Delta"]
        hits += lower <= 0.4 <= upper
    assert 0.90 <= hits / reps <= 0.99, hits


def test_j_test_rejects_a_wrong_price_rule():
    """Posted-price data (price 0.5, trade iff c <= 0.5 <= v) are not a k-double auction."""
    rng = np.random.default_rng(9)
    v, c = rng.uniform(size=5000), rng.uniform(size=5000)
    traded = (c <= 0.5) & (v >= 0.5)
    price = np.where(traded, 0.5 + 0.05 * rng.uniform(-1, 1, 5000), np.nan)
    df = pd.DataFrame({"traded": traded.astype(int), "price": price})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_incomplete_moments(df, traded="traded", price="price", price_rule="k-double-auction")
    assert res.j_pvalue < 1e-6


def test_posted_price_rule_recovers_the_price():
    from bargaining.models.distributions import Uniform

    rng = np.random.default_rng(2)
    v, c = rng.uniform(size=5000), rng.uniform(size=5000)
    traded = (c <= 0.6) & (v >= 0.6)
    df = pd.DataFrame({"traded": traded.astype(int), "price": np.where(traded, 0.6, np.nan)})
    res = fit_incomplete_moments(
        df,
        traded="traded",
        price="price",
        price_rule="posted-price",
        value_dist=Uniform(0, 1),
        cost_dist=Uniform(0, 1),
    )
    assert res.params["price"] == pytest.approx(0.6, abs=1e-9)
    # closed form P(trade) = (1 - 0.6) * 0.6
    row = res.moments.query("moment == 'trade_probability'").iloc[0]
    assert row["model"] == pytest.approx(0.24, abs=1e-9)


# ---------------------------------------------------------------------------------------- identification
def test_identification_errors():
    df = simulate_kda(3000, 0.0, seed=6, low=1.0, high=2.0)
    # one moment cannot identify three parameters (order condition)
    with pytest.raises(IdentificationError, match="cannot identify"):
        fit_incomplete_moments(
            df, traded="traded", price="price", price_rule="k-double-auction", moments=["trade_probability"]
        )
    # rank condition: with one support per cell, a cell with a single trade has no price moments, so its
    # support parameters move no moment at all
    few = simulate_kda(300, 0.0, seed=8)
    few = few[(few["traded"] == 0) | (few.index == few.index[few["traded"] == 1][0])].assign(cell=1)
    both = pd.concat([df.assign(cell=0), few], ignore_index=True)
    with pytest.raises(IdentificationError, match="rank"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_incomplete_moments(
            both,
            traded="traded",
            price="price",
            price_rule="k-double-auction",
            cells="cell",
            support="by-cell",
        )


def test_bad_input_raises_package_errors():
    df = simulate_kda(500, 0.0, seed=7)
    with pytest.raises(MissingColumnError):
        fit_incomplete_moments(df, traded="traded", price="prices", price_rule="k-double-auction")
    with pytest.raises(BargainingError):
        fit_incomplete_moments(df, traded="traded", price="price", price_rule="nash")
    with pytest.raises(InvalidParameterError):
        fit_incomplete_moments(df, traded="traded", price="price", price_rule="intermediary")
    broken = df.copy()
    broken.loc[broken.index[broken["traded"] == 1][0], "price"] = np.nan
    with pytest.raises(BargainingError):
        fit_incomplete_moments(broken, traded="traded", price="price", price_rule="k-double-auction")


def test_intermediary_rule_recovers_delta():
    """Prices simulated from the fee-setting intermediary game (ex post play on draws) against the rule's
    moments by quadrature."""
    from bargaining.models.distributions import Uniform
    from bargaining.models.price_rules import get_price_rule

    uniform = Uniform(0.0, 1.0)
    rule = get_price_rule("intermediary", value_dist=uniform, cost_dist=uniform, delta=0.5)
    rng = np.random.default_rng(12)
    v, c = rng.uniform(size=4000), rng.uniform(size=4000)
    traded = np.asarray(rule.trades(v, c))
    df = pd.DataFrame({"traded": traded.astype(int), "price": np.where(traded, rule.price(v, c), np.nan)})
    res = fit_incomplete_moments(
        df, traded="traded", price="price", price_rule="intermediary", value_dist=uniform, cost_dist=uniform
    )
    assert abs(res.params["Delta"] - 0.5) < 3 * res.std_errors["Delta"]
    assert res.j_df == 2


@pytest.mark.slow
def test_coverage_monte_carlo_realistic_size():
    """300 replications of n = 5000, Delta and the support free, by-cell J test size."""
    reps, hits, rejections = 300, 0, 0
    for r in range(reps):
        df = simulate_kda(5000, -0.45, seed=9000 + r, low=10.0, high=30.0, cells=2)
        res = fit_incomplete_moments(
            df, traded="traded", price="price", price_rule="k-double-auction", cells="cell"
        )
        lower, upper = res.conf_int().loc["Delta"]
        hits += lower <= -0.45 <= upper
        rejections += res.j_pvalue < 0.05
    assert 0.92 <= hits / reps <= 0.98, hits
    assert rejections / reps < 0.10, rejections


def test_recovery_on_the_package_simulator():
    """bargaining.data.simulate("negotiations") solves Loertscher-Marx and prices by the k-double auction."""
    from bargaining.data import simulate

    sim = simulate("negotiations", n=5000, seed=21, delta=0.3, price_rule="k-double-auction")
    res = fit_incomplete_moments(sim.data, traded="traded", price="price", price_rule="k-double-auction")
    for name, value in {"Delta": 0.3, "low": 0.0, "high": 1.0}.items():
        assert abs(res.params[name] - value) < 3 * res.std_errors[name], name


def test_parameter_on_its_bound_gets_a_distance_interval_and_spares_the_others():
    """Delta estimated at 1: NaN standard error, an interval from the distance-metric test that ends at 1
    (the objective rises by the chi-square critical value at its other end), other parameters unaffected."""
    from scipy import stats

    from bargaining import Uniform, simulate
    from bargaining.models.price_rules import MOMENT_NAMES, _delta_method

    u = Uniform(0, 1)
    data = simulate("negotiations", n=1500, seed=3, delta=1.0, price_rule="k-double-auction").data
    with pytest.warns(IdentificationWarning, match="boundary"):
        res = fit_incomplete_moments(
            data, traded="traded", price="price", price_rule="k-double-auction", value_dist=u, cost_dist=u
        )
    assert res.params["Delta"] == pytest.approx(1.0, abs=1e-8) and math.isnan(res.std_errors["Delta"])
    low, high = res.conf_int().loc["Delta"]
    assert high == 1.0 and 0.9 < low < 1.0
    # independent check of the lower end: Q(b) - Q(1) = chi2(1) critical value, with Q built here from the
    # sample moments, their influence-function covariance and the closed-form k-double-auction moments
    t = data["traded"].to_numpy(float)
    p = data["price"].to_numpy(float)
    used = [MOMENT_NAMES.index(m) for m in MOMENT_NAMES]
    m_hat, influence, _ = cell_moments(t, p, np.zeros(len(t), dtype=int))
    psi = influence.reshape(len(t), -1)[:, used]
    w = np.linalg.inv(psi.T @ psi)

    def q(delta):
        r = m_hat.ravel()[used] - kda_unit_moments(delta)
        return float(r @ w @ r)

    assert q(low) - q(1.0) == pytest.approx(stats.chi2.ppf(0.95, 1), rel=1e-4)
    assert any("distance-metric" in n for n in res.notes)
    # the delta method no longer spreads one NaN variance into every reported parameter
    jac = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    cov = np.diag([np.nan, 0.01, 0.02])
    out = _delta_method(jac, cov)
    assert np.isnan(out[0, 0]) and out[1, 1] == pytest.approx(0.01) and out[2, 2] == pytest.approx(0.03)


@pytest.mark.parametrize("n_clusters", [2, 3, 4])
def test_fewer_clusters_than_moments_is_an_identification_error(n_clusters):
    """The clustered covariance of m moments from G <= m clusters has rank <= G - 1: it was passed to a
    Cholesky factorization and crashed with numpy's LinAlgError. Now our error, naming the way out."""
    df = simulate_kda(2000, 0.4, seed=5, low=2.0, high=5.0)
    df["market"] = np.arange(len(df)) % n_clusters
    with pytest.raises(IdentificationError, match="clusters") as error, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_incomplete_moments(
            df, traded="traded", price="price", price_rule="k-double-auction", cov_type="clustered", cluster="market"
        )
    assert "cluster" in error.value.hint


def test_moment_covariance_not_positive_definite_is_an_identification_error():
    # found by the property suite: 10 negotiations with 3 trades (k-double auction, support estimated) gave a
    # moment covariance that inverts but is not positive definite; numpy's LinAlgError escaped from cholesky
    from bargaining import simulate
    from bargaining.errors import IdentificationError
    from bargaining.estimate.min_distance import fit_incomplete_moments

    frame = simulate("negotiations", n=400, seed=3, proxy_noise=0.1, delta=[0.3, -0.3]).data.iloc[83:93]
    assert frame["traded"].tolist() == [1, 0, 0, 0, 0, 0, 0, 1, 0, 1]
    with pytest.raises(IdentificationError) as info:
        fit_incomplete_moments(frame, traded="traded", price="price", price_rule="k-double-auction")
    assert "moments" in info.value.hint


@pytest.mark.parametrize("scale", [1e150, 1e40])
def test_absurd_prices_are_a_data_error_naming_the_column(scale):
    # found by the property suite: prices of order 1e150 overflowed (OverflowError) in the moment covariance
    from bargaining import simulate
    from bargaining.errors import DataValidationError

    frame = simulate("negotiations", n=300, seed=3).data
    frame["price"] = frame["price"] * scale
    with pytest.raises(DataValidationError, match="price") as info:
        fit_incomplete_moments(frame, traded="traded", price="price", price_rule="k-double-auction")
    assert "Rescale the price column 'price'" in info.value.hint
    # the same prices in ordinary units fit
    frame["price"] = frame["price"] / scale
    res = fit_incomplete_moments(frame, traded="traded", price="price", price_rule="k-double-auction")
    assert np.all(np.isfinite(res.params))
