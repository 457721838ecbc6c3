"""Nested logit pricing moments (NestedMergerPricingMoments) and fit_merger_model with nested logit demand.

The moments are checked against the package's supply side (markets solved by NashInNashMarket with
NestedLogitDemand at known weights: the residuals are the cost shocks to 1e-8), the closed forms against the
demand object's own derivatives and removal shares, the analytic derivatives against central differences,
and the stacked covariance against a sandwich built in this file from numerical derivatives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _nested_merger_data import TRUTH, simulate_nested_markets

from bargaining import NestedLogitDemand, fit_merger_model, fit_model, fit_nested_logit_demand
from bargaining.errors import InvalidParameterError
from bargaining.models.merger.nested_estimation_model import (
    NestedMergerPricingMoments,
    nested_logit_closed_forms,
)

DEMAND_EXCLUDED = ["z", "n_nest", "x_nest_rivals", "z_nest_rivals", "x_rivals", "z_rivals"]
SUPPLY_EXCLUDED = ["x", "n_nest", "x_nest_rivals", "x_rivals", "z_rivals"]
SUPPLY = {"price": "price", "share": "share", "seller": "seller", "market": "market", "nests": "nest",
          "cost_formula": "~ 1 + z", "instruments": "~ " + " + ".join(SUPPLY_EXCLUDED)}
JOINT = {"demand": "~ 1 + x", "demand_instruments": "~ " + " + ".join(DEMAND_EXCLUDED)}


@pytest.fixture(scope="module")
def data():
    return simulate_nested_markets(200, seed=7)


def _moments(data, alpha, lam, weight_group=None, group_names=None):
    z = np.column_stack([np.ones(len(data)), data.z])
    return NestedMergerPricingMoments(data.price, data.share, data.market, data.seller, data.nest, z,
                                      ["Intercept", "z"], alpha=alpha, nesting_parameter=lam,
                                      weight_group=weight_group, group_names=group_names,
                                      instruments=np.column_stack([z, data[SUPPLY_EXCLUDED]]))


def test_closed_forms_match_the_demand_object():
    s = np.array([0.1, 0.2, 0.15, 0.25, 0.05])
    nests = ["a", "a", "b", "b", "b"]
    lam = 0.4
    demand = NestedLogitDemand.from_shares(np.zeros(5), s, 1.0, nests, lam)
    p = np.zeros(5)
    codes = np.array([0, 0, 1, 1, 1])
    forms = nested_logit_closed_forms(s[None], (codes[:, None] == codes[None, :])[None], lam)
    assert np.max(np.abs(forms["S"][0] - demand._derivatives(p, s))) < 1e-14
    removal, _, wtp = demand._removal_state(p, s)
    assert np.max(np.abs(forms["R"][0] - removal)) < 1e-14
    assert np.max(np.abs(forms["W"][0] - wtp)) < 1e-14
    # a nest with one product: its removal takes the whole nest
    forms1 = nested_logit_closed_forms(np.array([[0.3, 0.2]]), np.eye(2, dtype=bool)[None], 0.5)
    assert forms1["W"][0, 0] == pytest.approx(-np.log(1 - 0.3))
    # derivatives in lambda by central differences
    h = 1e-6
    up = nested_logit_closed_forms(s[None], (codes[:, None] == codes[None, :])[None], lam + h)
    down = nested_logit_closed_forms(s[None], (codes[:, None] == codes[None, :])[None], lam - h)
    for key in ("S", "W", "R"):
        assert np.max(np.abs((up[key] - down[key]) / (2 * h) - forms["d" + key])) < 1e-7, key


def test_moments_are_the_cost_shocks_at_the_truth(data):
    model = _moments(data, TRUTH["alpha"], 1 - TRUTH["sigma"])
    u = model.residuals([TRUTH["seller_weight"], TRUTH["gamma[Intercept]"], TRUTH["gamma[z]"]])
    assert np.max(np.abs(u - data.omega.to_numpy())) < 1e-8
    # margins against the supply side's own linear system (general.consumer_margins) in one market
    from bargaining.models.merger import general
    from bargaining.models.merger.equations import same_owner

    rows = data[data.market == 5]
    demand = NestedLogitDemand.from_shares(rows.price.to_numpy(), rows.share.to_numpy(), 1.3, list(rows.nest), 0.7)
    state = general.demand_state(demand, rows.price.to_numpy(), second=False)
    beta = np.full(len(rows), 0.3)
    direct = general.consumer_margins(state, same_owner(pd.factorize(rows.seller)[0]), beta)
    model = _moments(data, 1.3, 0.7)
    assert np.max(np.abs(model.implied_margins([0.3, 0, 0])[data.market.to_numpy() == 5] - direct)) < 1e-12


def test_analytic_derivatives_against_central_differences(data):
    groups = (data.nest == "b").to_numpy().astype(int)
    model = _moments(data, 1.2, 0.6, weight_group=groups, group_names=["a", "b"])
    theta = np.array([0.4, 0.7, 1.0, 0.8])
    jac = model.jacobian(theta)
    numeric = np.empty_like(jac)
    for k in range(theta.size):
        e = np.zeros(theta.size)
        e[k] = 1e-6
        numeric[:, k] = (model.residuals(theta + e) - model.residuals(theta - e)) / 2e-6
    assert np.max(np.abs(jac - numeric)) < 1e-6
    h = 1e-6
    d_lam = (_moments(data, 1.2, 0.6 + h, groups, ["a", "b"]).residuals(theta)
             - _moments(data, 1.2, 0.6 - h, groups, ["a", "b"]).residuals(theta)) / (2 * h)
    assert np.max(np.abs(model.nesting_derivative(theta) - d_lam)) < 1e-6
    d_alpha = (_moments(data, 1.2 + h, 0.6, groups, ["a", "b"]).residuals(theta)
               - _moments(data, 1.2 - h, 0.6, groups, ["a", "b"]).residuals(theta)) / (2 * h)
    assert np.max(np.abs(model.alpha_derivative(theta) - d_alpha)) < 1e-6
    # subset keeps markets whole: the residuals of the selected rows are unchanged
    rows = np.array([5, 3, 3, 100])
    assert np.array_equal(model.subset(rows).residuals(theta), model.residuals(theta)[rows])


def _numeric_stacked_cov(data, theta, *, clustered):
    """The two-step GMM sandwich A^{-1} L Omega L' A^{-T}, G from central differences of the stacked moments
    (demand: H_d xi with xi = log(s/s_0) - b0 - b1 x + alpha p - sigma log s_(j|g); supply: H_s u)."""
    outside = 1.0 - data.groupby("market").share.transform("sum")
    nest_share = data.groupby(["market", "nest"]).share.transform("sum")
    y = (np.log(data.share) - np.log(outside)).to_numpy()
    log_within = np.log(data.share / nest_share).to_numpy()
    exog = np.column_stack([np.ones(len(data)), data.x])
    h_d = np.column_stack([exog, data[DEMAND_EXCLUDED]])
    price = data.price.to_numpy()

    def contributions(t):
        xi = y - exog @ t[:2] + t[2] * price - t[3] * log_within
        model = _moments(data, t[2], 1 - t[3])
        u = model.residuals(t[4:])
        return np.hstack([h_d * xi[:, None], model.instruments * u[:, None]])

    h_s = _moments(data, 1.0, 0.5).instruments
    m = contributions(theta)
    k, l_d, k_d = theta.size, h_d.shape[1], 4
    g = np.empty((m.shape[1], k))
    for j in range(k):
        step = 1e-6 * max(1.0, abs(theta[j]))
        e = np.zeros(k)
        e[j] = step
        g[:, j] = (contributions(theta + e).sum(0) - contributions(theta - e).sum(0)) / (2 * step)
    w_d, w_s = np.linalg.inv(h_d.T @ h_d), np.linalg.inv(h_s.T @ h_s)
    g_dd, g_sd, g_ss = g[:l_d, :k_d], g[l_d:, :k_d], g[l_d:, k_d:]
    a = np.zeros((k, k))
    a[:k_d, :k_d] = g_dd.T @ w_d @ g_dd
    a[k_d:, :k_d] = g_ss.T @ w_s @ g_sd
    a[k_d:, k_d:] = g_ss.T @ w_s @ g_ss
    selection = np.zeros((k, m.shape[1]))
    selection[:k_d, :l_d] = g_dd.T @ w_d
    selection[k_d:, l_d:] = g_ss.T @ w_s
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
def test_joint_fit_and_stacked_covariance(data, clustered):
    options = {"cov_type": "clustered", "cluster": "market"} if clustered else {}
    joint = fit_merger_model(data, **SUPPLY, **JOINT, **options)
    demand = fit_nested_logit_demand(data, share="share", price="price", market="market", nests="nest",
                                     formula="~ 1 + x", instruments=JOINT["demand_instruments"])
    assert list(joint.params.index)[:4] == ["demand[Intercept]", "demand[x]", "alpha", "sigma"]
    assert np.max(np.abs(joint.params[demand.params.index] - demand.params)) < 1e-10
    # the supply estimates: a fit of the pricing moments at the demand estimates (fit_model, built here)
    model = _moments(data, demand.params["alpha"], 1 - demand.params["sigma"])
    supply = fit_model(model)
    assert np.max(np.abs(joint.params[supply.params.index] - supply.params)) < 1e-7
    theta = joint.params.to_numpy()
    numeric = _numeric_stacked_cov(data, theta, clustered=clustered)
    relative = np.abs(joint.cov.to_numpy() - numeric) / np.sqrt(np.outer(np.diag(numeric), np.diag(numeric)))
    assert np.max(relative) < 1e-5
    for name in ("alpha", "sigma", "seller_weight", "gamma[Intercept]", "gamma[z]"):
        assert abs(joint.params[name] - TRUTH[name]) < 3 * joint.std_errors[name], name
    if not clustered:  # the demand block is IV2SLS's robust covariance of the demand equation alone
        block = joint.cov.loc[demand.params.index, demand.params.index] - demand.cov
        assert np.max(np.abs(block.to_numpy())) < 1e-10


def test_fitted_nested_demand_enters_by_the_delta_method(data):
    demand = fit_nested_logit_demand(data, share="share", price="price", market="market", nests="nest",
                                     formula="~ 1 + x", instruments=JOINT["demand_instruments"])
    res = fit_merger_model(data, **SUPPLY, demand=demand)
    alpha, sigma = float(demand.params["alpha"]), float(demand.params["sigma"])
    names = ["seller_weight", "gamma[Intercept]", "gamma[z]"]
    # d theta / d (alpha, sigma) = -(J'PJ)^{-1} J'P du, the implicit-function derivative of the 2SLS condition
    # J'P u = 0, with J and du by central differences of the residuals (built here)
    model = _moments(data, alpha, 1 - sigma)
    theta = fit_model(model).params.to_numpy()
    h = 1e-6
    jac = np.column_stack([(model.residuals(theta + e) - model.residuals(theta - e)) / (2 * h)
                           for e in np.eye(3) * h])
    du = np.column_stack([
        (_moments(data, alpha + h, 1 - sigma).residuals(theta) - _moments(data, alpha - h, 1 - sigma).residuals(theta)),
        (_moments(data, alpha, 1 - sigma - h).residuals(theta) - _moments(data, alpha, 1 - sigma + h).residuals(theta)),
    ]) / (2 * h)
    hz = model.instruments
    pj = hz @ np.linalg.lstsq(hz, jac, rcond=None)[0]
    d = -np.linalg.solve(jac.T @ pj, pj.T @ du)
    # re-estimating at perturbed (alpha, sigma) moves the estimates by about d (it adds the finite-sample term
    # (dJ/d alpha)' P u, which the asymptotic derivative leaves out: a few percent here)
    for k, (da, ds) in enumerate([(1e-4, 0.0), (0.0, 1e-4)]):
        up = fit_model(_moments(data, alpha + da, 1 - (sigma + ds))).params.to_numpy()
        down = fit_model(_moments(data, alpha - da, 1 - (sigma - ds))).params.to_numpy()
        assert np.allclose((up - down) / 2e-4, d[:, k], rtol=0.05, atol=0.01)
    v = demand.cov.loc[["alpha", "sigma"], ["alpha", "sigma"]].to_numpy()
    alone = fit_model(model).cov.to_numpy()
    expected = alone + d @ v @ d.T
    assert np.max(np.abs(res.cov.loc[names, names].to_numpy() - expected) / np.sqrt(
        np.outer(np.diag(expected), np.diag(expected)))) < 1e-6
    assert np.allclose(res.full_cov.loc[names, ["alpha", "sigma"]].to_numpy(), d @ v, rtol=1e-6, atol=1e-12)
    assert res.full_cov.loc["sigma", "sigma"] == demand.cov.loc["sigma", "sigma"]
    # the nests column is taken from the demand fit unless given
    assert res.columns["nests"] == "nest"
    with pytest.raises(InvalidParameterError, match="fitted demand"):
        fit_merger_model(data, **SUPPLY, demand=demand, bootstrap=20)
    from bargaining import fit_logit_demand

    logit = fit_logit_demand(data, share="share", price="price", market="market", formula="~ 1 + x",
                             instruments=JOINT["demand_instruments"])
    with pytest.raises(InvalidParameterError, match="plain logit"):
        fit_merger_model(data, **SUPPLY, demand=logit)


def test_bad_nested_inputs(data):
    with pytest.raises(InvalidParameterError, match="nests= needs"):
        fit_merger_model(data, **SUPPLY, alpha=1.0)
    logit = fit_merger_model(data, **{**SUPPLY, "nests": None}, alpha=1.0)
    assert "sigma" not in logit.full_params.index
    with pytest.raises(InvalidParameterError, match="two endogenous"):
        fit_merger_model(data, **SUPPLY, demand="~ 1 + x", demand_instruments="~ z")
    small = simulate_nested_markets(40, seed=0, truth={"sigma": 0.0})      # sigma-hat = -0.095 here
    with pytest.raises(InvalidParameterError, match="outside \\[0, 1\\)") as info:
        fit_merger_model(small, **SUPPLY, **JOINT)
    assert "demand_instruments" in info.value.hint
