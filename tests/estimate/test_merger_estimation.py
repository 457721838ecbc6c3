"""fit_merger_model and MergerPricingMoments: residuals are the cost shocks at the truth, the Jacobian is
analytic, weights and costs are recovered, alpha's uncertainty widens the intervals (delta method)."""

from __future__ import annotations

import numpy as np
import pytest

from bargaining import fit_merger_model, simulate
from bargaining.errors import InvalidParameterError, MissingColumnError
from bargaining.estimate.merger_estimation import alpha_sensitivity
from bargaining.models.merger.estimation_model import MergerPricingMoments
from bargaining.models.protocols import MomentModel

OPTIONS = {"price": "price", "share": "share", "seller": "seller", "market": "market",
           "cost_formula": "~ 1 + z1 + z2", "alpha": 1.0, "instruments": "~ x + x_rivals + z1_rivals + z2_rivals"}


@pytest.fixture(scope="module")
def markets():
    return simulate("bargaining-markets", n=150, seed=11)


def _model(data, alpha=1.0):
    z = np.column_stack([np.ones(len(data)), data.z1, data.z2])
    h = np.column_stack([z, data.x, data.x_rivals])
    return MergerPricingMoments(data.price, data.share, data.market, data.seller, z, ["Intercept", "z1", "z2"],
                                alpha=alpha, instruments=h)


def test_simulator_truth_and_equilibrium(markets):
    data, truth = markets.data, markets.truth
    assert truth["seller_weight"] == 0.5 and truth["gamma[z1]"] == 1.0
    assert len(data) == 600 and set(data.seller) == {"A", "B", "C"}
    assert (data.groupby("market").share.sum() < 1).all() and (data.margin > 0).all()
    assert np.allclose(data.x_rivals, data.groupby("market").x.transform("sum") - data.x)


def test_residuals_are_the_cost_shocks_and_the_jacobian_is_analytic(markets):
    data = markets.data
    model = _model(data)
    assert isinstance(model, MomentModel)
    theta = np.array([0.5, 2.0, 1.0, 0.5])
    assert np.max(np.abs(model.residuals(theta) - data.omega)) < 1e-10
    assert np.max(np.abs(model.implied_margins(theta) - data.margin)) < 1e-10
    step = 1e-6
    numeric = np.column_stack([(model.residuals(theta + step * e) - model.residuals(theta - step * e)) / (2 * step)
                               for e in np.eye(4)])
    assert np.max(np.abs(model.jacobian(theta) - numeric)) < 1e-7
    # alpha: d u / d alpha by differences
    up, down = _model(data, 1.0 + step), _model(data, 1.0 - step)
    numeric_alpha = (up.residuals(theta) - down.residuals(theta)) / (2 * step)
    assert np.max(np.abs(model.alpha_derivative(theta) - numeric_alpha)) < 1e-7
    rows = np.array([3, 3, 10])
    assert np.allclose(model.subset(rows).residuals(theta), model.residuals(theta)[rows])


def test_single_market_margins_match_the_solver():
    """One market: the implied margins equal the equilibrium margins of NashInNashMarket."""
    from bargaining.models.demand import LogitDemand
    from bargaining.models.merger import NashInNashMarket

    demand = LogitDemand(0.8, [1.0, 0.5, 1.5])
    market = NashInNashMarket(demand, seller=["A", "A", "B"], marginal_cost=[1.0, 1.5, 2.0],
                              seller_weight=[0.3, 0.3, 0.7])
    eq = market.equilibrium()
    model = MergerPricingMoments(eq.price, eq.share, [0, 0, 0], ["A", "A", "B"], np.ones((3, 1)), ["Intercept"],
                                 alpha=0.8, weight_group=[0, 0, 1], group_names=["A", "B"])
    margins = model.implied_margins(np.array([0.3, 0.7, 0.0]))
    assert np.allclose(margins, eq.price - np.array([1.0, 1.5, 2.0]), atol=1e-9)


def test_fit_recovers_the_truth(markets):
    res = fit_merger_model(markets.data, **OPTIONS, cov_type="clustered", cluster="market")
    truth = {k: v for k, v in markets.truth.items() if k.startswith(("seller_weight", "gamma["))}
    assert list(res.params.index) == list(truth)
    z = (res.params - pd_series(truth)) / res.std_errors
    assert np.all(np.abs(z) < 4), z
    assert res.converged and res.nobs == 600


def pd_series(mapping):
    import pandas as pd

    return pd.Series(mapping)


def test_grouped_weights():
    sim = simulate("bargaining-markets", n=200, seed=5, seller_weight={"A": 0.3, "B": 0.5, "C": 0.8})
    res = fit_merger_model(sim.data, **OPTIONS, weight_by="seller")
    assert list(res.params.index[:3]) == ["seller_weight[A]", "seller_weight[B]", "seller_weight[C]"]
    z = (res.params[:3].to_numpy() - np.array([0.3, 0.5, 0.8])) / res.std_errors[:3].to_numpy()
    assert np.all(np.abs(z) < 4), z


def test_alpha_uncertainty_by_the_delta_method(markets):
    base = fit_merger_model(markets.data, **OPTIONS)
    wider = fit_merger_model(markets.data, **OPTIONS, alpha_cov=0.1**2)
    assert np.allclose(base.params, wider.params)
    assert np.all(wider.std_errors >= base.std_errors - 1e-12)
    # the sensitivity equals the change of the estimate when alpha moves (finite differences)
    model = _model(markets.data)
    options = {**OPTIONS, "instruments": "~ x + x_rivals"}
    fits = [fit_merger_model(markets.data, **{**options, "alpha": a}).params.to_numpy() for a in (0.999, 1.001)]
    at = fit_merger_model(markets.data, **options).params.to_numpy()
    assert np.allclose(alpha_sensitivity(model, at), (fits[1] - fits[0]) / 0.002, rtol=2e-2, atol=2e-3)
    extra = wider.cov.to_numpy() - base.cov.to_numpy()
    assert np.linalg.matrix_rank(extra, tol=1e-12) == 1


def test_bad_inputs(markets):
    with pytest.raises(MissingColumnError):
        fit_merger_model(markets.data, **{**OPTIONS, "share": "shares"})
    with pytest.raises(InvalidParameterError):
        fit_merger_model(markets.data, **OPTIONS, alpha_cov=0.01, bootstrap=10)
    with pytest.raises(InvalidParameterError):
        fit_merger_model(markets.data, **{**OPTIONS, "alpha": -1.0})


# -- seller weights by covariates (weight_formula) --------------------------------------------------------------
COVARIATE_TRUTH = {"Intercept": 0.0, "w": 0.8}


@pytest.fixture(scope="module")
def covariate_markets():
    return simulate("bargaining-markets", n=300, seed=5, weight_delta=COVARIATE_TRUTH)


def test_covariate_weights_simulator_residuals_and_jacobian(covariate_markets):
    data, truth = covariate_markets.data, covariate_markets.truth
    assert truth["delta[Intercept]"] == 0.0 and truth["delta[w]"] == 0.8 and "seller_weight" not in truth
    assert np.allclose(data.seller_weight, 1 / (1 + np.exp(-0.8 * data.w)), rtol=1e-14)
    z = np.column_stack([np.ones(len(data)), data.z1, data.z2])
    w = np.column_stack([np.ones(len(data)), data.w])
    model = MergerPricingMoments(data.price, data.share, data.market, data.seller, z, ["Intercept", "z1", "z2"],
                                 alpha=1.0, weight_design=w, weight_design_names=["Intercept", "w"],
                                 instruments=np.column_stack([z, data.x, data.x_rivals, data.x * data.w]))
    assert model.param_names == ["delta[Intercept]", "delta[w]", "gamma[Intercept]", "gamma[z1]", "gamma[z2]"]
    theta = np.array([0.0, 0.8, 2.0, 1.0, 0.5])
    # at the truth the residuals are the simulated cost shocks (the equilibria solve the FOCs to ~1e-10)
    assert np.max(np.abs(model.residuals(theta) - data.omega)) < 1e-8
    assert np.allclose(model.seller_weights(theta), data.seller_weight, rtol=1e-14)
    at = np.array([0.3, -0.5, 2.0, 1.0, 0.5])
    step = 1e-6
    numeric = np.column_stack([(model.residuals(at + step * e) - model.residuals(at - step * e)) / (2 * step)
                               for e in np.eye(5)])
    assert np.max(np.abs(model.jacobian(at) - numeric)) < 1e-7
    rows = np.array([7, 7, 100])
    sub = model.subset(rows)
    assert np.allclose(sub.residuals(at), model.residuals(at)[rows])
    assert np.allclose(sub.jacobian(at), model.jacobian(at)[rows])


def test_group_formula_reproduces_weight_by():
    sim = simulate("bargaining-markets", n=150, seed=21, seller_weight={"A": 0.3, "B": 0.5, "C": 0.7})
    grouped = fit_merger_model(sim.data, **OPTIONS, weight_by="seller")
    logistic = fit_merger_model(sim.data, **OPTIONS, weight_formula="~ 0 + C(seller)")
    assert logistic.converged
    delta = logistic.params[[f"delta[C(seller)[{g}]]" for g in "ABC"]].to_numpy()
    beta = 1 / (1 + np.exp(-delta))
    names = [f"seller_weight[{g}]" for g in "ABC"]
    assert np.allclose(beta, grouped.params[names], atol=1e-6)
    # delta method: se(beta_g) = beta (1 - beta) se(delta_g), same instrument span, same sandwich
    se_delta = logistic.std_errors[[f"delta[C(seller)[{g}]]" for g in "ABC"]].to_numpy()
    assert np.allclose(beta * (1 - beta) * se_delta, grouped.std_errors[names], rtol=1e-5)
    gammas = ["gamma[Intercept]", "gamma[z1]", "gamma[z2]"]
    assert np.allclose(logistic.params[gammas], grouped.params[gammas], atol=1e-6)
    assert np.allclose(logistic.std_errors[gammas], grouped.std_errors[gammas], rtol=1e-5)
    implied = logistic.implied_weights()
    first_a = int(np.flatnonzero(sim.data.seller.to_numpy() == "A")[0])
    assert implied["seller_weight"].iloc[first_a] == pytest.approx(grouped.params["seller_weight[A]"], abs=1e-6)
    assert implied["std_error"].iloc[first_a] == pytest.approx(grouped.std_errors["seller_weight[A]"], rel=1e-5)
    with pytest.raises(InvalidParameterError, match="weight_formula") as info:
        fit_merger_model(sim.data, **OPTIONS, weight_by="seller", weight_formula="~ 1 + x")
    assert "weight_formula=" in info.value.hint


def test_covariate_weights_are_recovered(covariate_markets):
    fit = fit_merger_model(covariate_markets.data, **OPTIONS, weight_formula="~ 1 + w")
    truth = covariate_markets.truth
    assert fit.converged
    for name in ("delta[Intercept]", "delta[w]", "gamma[Intercept]", "gamma[z1]", "gamma[z2]"):
        assert abs(fit.params[name] - truth[name]) < 3 * fit.std_errors[name], name
    assert fit.std_errors["delta[w]"] < 0.2           # the slope is identified, not merely not rejected
