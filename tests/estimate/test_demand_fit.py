"""fit_logit_demand against linearmodels' IV2SLS on the same arrays, and the stacked demand + pricing
covariance of fit_merger_model(demand=...) against a sandwich built in this file from numerical derivatives
of the stacked moment conditions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS

from bargaining import fit_logit_demand, fit_merger_model, simulate
from bargaining.errors import InvalidParameterError
from bargaining.models.merger.estimation_model import MergerPricingMoments

DEMAND = {"share": "share", "price": "price", "market": "market", "formula": "~ 1 + x",
          "instruments": "~ z1 + z2 + z1_rivals + z2_rivals"}
SUPPLY = {"price": "price", "share": "share", "seller": "seller", "market": "market",
          "cost_formula": "~ 1 + z1 + z2", "instruments": "~ x + x_rivals + z1_rivals + z2_rivals"}


@pytest.fixture(scope="module")
def markets():
    return simulate("bargaining-markets", n=120, seed=5)


def _by_hand(data):
    outside = 1.0 - data.groupby("market").share.transform("sum")
    y = np.log(data.share) - np.log(outside)
    exog = np.column_stack([np.ones(len(data)), data.x])
    excluded = data[["z1", "z2", "z1_rivals", "z2_rivals"]].to_numpy()
    return y.to_numpy(), exog, excluded


@pytest.mark.parametrize("cov_type", ["robust", "unadjusted", "clustered"])
def test_demand_fit_equals_iv2sls(markets, cov_type):
    data = markets.data
    y, exog, excluded = _by_hand(data)
    # the package's clustered covariance carries the small-sample factor G/(G-1)(N-1)/(N-K): linearmodels' debiased
    kwargs = {"clusters": data.market.to_numpy(), "debiased": True} if cov_type == "clustered" else {}
    ref = IV2SLS(y, exog, data.price.to_numpy()[:, None], excluded).fit(cov_type=cov_type, **kwargs)
    res = fit_logit_demand(data, **DEMAND, cov_type=cov_type, cluster="market" if cov_type == "clustered" else None)
    sign = np.array([1.0, 1.0, -1.0])
    assert np.max(np.abs(res.params.to_numpy() - sign * np.asarray(ref.params))) < 1e-10
    assert np.max(np.abs(res.cov.to_numpy() - np.outer(sign, sign) * np.asarray(ref.cov))) < 1e-10
    assert abs(res.params["alpha"] - 1.0) < 4 * res.std_errors["alpha"]


def _numeric_stacked_cov(data, theta, *, clustered):
    """The two-step GMM sandwich A^{-1} L Omega L' A^{-T} with G from central differences of the moments."""
    y, exog, excluded = _by_hand(data)
    h_d = np.column_stack([exog, excluded])
    z = np.column_stack([np.ones(len(data)), data.z1, data.z2])
    h_s = np.column_stack([z, data[["x", "x_rivals", "z1_rivals", "z2_rivals"]].to_numpy()])
    price = data.price.to_numpy()

    def contributions(t):
        xi = y - exog @ t[:2] + t[2] * price
        model = MergerPricingMoments(data.price, data.share, data.market, data.seller, z, ["Intercept", "z1", "z2"],
                                     alpha=t[2])
        u = model.residuals(t[3:])
        return np.hstack([h_d * xi[:, None], h_s * u[:, None]])

    m = contributions(theta)
    k, l_d = theta.size, h_d.shape[1]
    g = np.empty((m.shape[1], k))
    for j in range(k):
        step = 1e-6 * max(1.0, abs(theta[j]))
        e = np.zeros(k)
        e[j] = step
        g[:, j] = (contributions(theta + e).sum(0) - contributions(theta - e).sum(0)) / (2 * step)
    w_d, w_s = np.linalg.inv(h_d.T @ h_d), np.linalg.inv(h_s.T @ h_s)
    g_dd, g_sd, g_ss = g[:l_d, :3], g[l_d:, :3], g[l_d:, 3:]
    a = np.zeros((k, k))
    a[:3, :3] = g_dd.T @ w_d @ g_dd
    a[3:, :3] = g_ss.T @ w_s @ g_sd
    a[3:, 3:] = g_ss.T @ w_s @ g_ss
    selection = np.zeros((k, m.shape[1]))
    selection[:3, :l_d] = g_dd.T @ w_d
    selection[3:, l_d:] = g_ss.T @ w_s
    if clustered:
        sums = pd.DataFrame(m).groupby(data.market.to_numpy()).sum().to_numpy()
        omega = sums.T @ sums
        n_groups, n = sums.shape[0], len(data)
        omega *= n_groups / (n_groups - 1) * (n - 1) / (n - k)
    else:
        omega = m.T @ m
    inverse = np.linalg.inv(a)
    return inverse @ selection @ omega @ selection.T @ inverse.T


@pytest.mark.parametrize("clustered", [False, True])
def test_joint_fit_point_estimates_and_stacked_covariance(markets, clustered):
    data = markets.data
    options = {"cov_type": "clustered", "cluster": "market"} if clustered else {}
    joint = fit_merger_model(data, **SUPPLY, demand="~ 1 + x",
                             demand_instruments="~ z1 + z2 + z1_rivals + z2_rivals", **options)
    demand = fit_logit_demand(data, **DEMAND)
    supply = fit_merger_model(data, **SUPPLY, alpha=float(demand.params["alpha"]))
    # point estimates: exactly the two steps
    assert np.max(np.abs(joint.params[demand.params.index] - demand.params)) < 1e-10
    assert np.max(np.abs(joint.params[supply.params.index] - supply.params)) < 1e-7
    theta = joint.params.to_numpy()
    numeric = _numeric_stacked_cov(data, theta, clustered=clustered)
    relative = np.abs(joint.cov.to_numpy() - numeric) / np.sqrt(np.outer(np.diag(numeric), np.diag(numeric)))
    assert np.max(relative) < 1e-5
    if not clustered:  # the demand block is IV2SLS's robust covariance of the demand equation alone
        assert np.max(np.abs(joint.cov.loc[demand.params.index, demand.params.index] - demand.cov).to_numpy()) < 1e-10
    assert joint.full_params.equals(joint.params) and "alpha" in joint.full_cov.index


def test_demand_fit_result_enters_by_the_delta_method(markets):
    data = markets.data
    demand = fit_logit_demand(data, **DEMAND)
    via_fit = fit_merger_model(data, **SUPPLY, demand=demand)
    explicit = fit_merger_model(data, **SUPPLY, alpha=float(demand.params["alpha"]),
                                alpha_cov=float(demand.cov.loc["alpha", "alpha"]))
    assert np.allclose(via_fit.cov, explicit.cov, rtol=1e-12, atol=0)
    # the full covariance: cov(theta_s, alpha) = D var(alpha), var(alpha) from the demand fit
    assert via_fit.full_cov.loc["alpha", "alpha"] == pytest.approx(demand.cov.loc["alpha", "alpha"], rel=1e-12)


def test_bad_inputs(markets):
    data = markets.data
    with pytest.raises(InvalidParameterError, match="exactly one"):
        fit_merger_model(data, **SUPPLY, alpha=1.0, demand="~ 1 + x", demand_instruments="~ z1")
    with pytest.raises(InvalidParameterError, match="exactly one"):
        fit_merger_model(data, **SUPPLY)
    with pytest.raises(InvalidParameterError, match="demand_instruments"):
        fit_merger_model(data, **SUPPLY, demand="~ 1 + x")
    with pytest.raises(InvalidParameterError, match="stacked sandwich"):
        fit_merger_model(data, **SUPPLY, demand="~ 1 + x", demand_instruments="~ z1", bootstrap=10)
    with pytest.raises(InvalidParameterError, match="stacked sandwich"):
        fit_merger_model(data, **SUPPLY, demand="~ 1 + x", demand_instruments="~ z1", cov_type="homoskedastic")
    with pytest.raises(InvalidParameterError, match="excluded"):
        fit_logit_demand(data, **{**DEMAND, "instruments": "~ 1"})
    with pytest.raises(InvalidParameterError, match="cluster"):
        fit_logit_demand(data, **DEMAND, cov_type="clustered")
