"""fit_nested_logit_demand against linearmodels' IV2SLS on arrays built by hand in this file, recovery of
alpha and sigma from markets simulated with NestedLogitDemand (lambda = 1 - sigma), and the bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from _nested_merger_data import TRUTH, simulate_nested_markets
from linearmodels.iv import IV2SLS

from bargaining import NestedLogitDemand, fit_nested_logit_demand
from bargaining.errors import InvalidParameterError, SpecificationWarning

EXCLUDED = ["z", "n_nest", "x_nest_rivals", "z_nest_rivals", "x_rivals", "z_rivals"]
DEMAND = {"share": "share", "price": "price", "market": "market", "nests": "nest", "formula": "~ 1 + x",
          "instruments": "~ " + " + ".join(EXCLUDED)}


@pytest.fixture(scope="module")
def data():
    return simulate_nested_markets(300, seed=1)


def test_simulated_shares_are_the_models(data):
    # the within-nest share used by the fit is s_j / (sum over the market's nest); the model's own shares
    # reproduce the data at the true parameters (independent of the estimator)
    rows = data[data.market == 3]
    demand = NestedLogitDemand(1.0, 1 + rows.x.to_numpy() + rows.xi.to_numpy(), nests=list(rows.nest),
                               nesting_parameter=0.5)
    assert np.max(np.abs(demand.shares(rows.price.to_numpy()) - rows.share.to_numpy())) < 1e-12


@pytest.mark.parametrize("cov_type", ["robust", "unadjusted", "clustered"])
def test_equals_iv2sls_on_the_same_arrays(data, cov_type):
    outside = 1.0 - data.groupby("market").share.transform("sum")
    nest_share = data.groupby(["market", "nest"]).share.transform("sum")
    y = np.log(data.share) - np.log(outside)
    exog = np.column_stack([np.ones(len(data)), data.x])
    endog = np.column_stack([data.price, np.log(data.share / nest_share)])
    kwargs = {"clusters": data.market.to_numpy(), "debiased": True} if cov_type == "clustered" else {}
    ref = IV2SLS(y.to_numpy(), exog, endog, data[EXCLUDED].to_numpy()).fit(cov_type=cov_type, **kwargs)
    res = fit_nested_logit_demand(data, **DEMAND, cov_type=cov_type,
                                  cluster="market" if cov_type == "clustered" else None)
    sign = np.array([1.0, 1.0, -1.0, 1.0])          # the price coefficient is -alpha, log s_(j|g)'s is sigma
    assert list(res.params.index) == ["demand[Intercept]", "demand[x]", "alpha", "sigma"]
    assert np.max(np.abs(res.params.to_numpy() - sign * np.asarray(ref.params))) < 1e-10
    assert np.max(np.abs(res.cov.to_numpy() - np.outer(sign, sign) * np.asarray(ref.cov))) < 1e-10
    assert res.diagnostics["nesting_parameter (lambda = 1 - sigma)"] == pytest.approx(1 - res.params["sigma"])


def test_recovers_alpha_and_sigma(data):
    res = fit_nested_logit_demand(data, **DEMAND)
    for name in ("alpha", "sigma", "demand[Intercept]", "demand[x]"):
        assert abs(res.params[name] - TRUTH[name]) < 3 * res.std_errors[name], name
    assert res.std_errors["sigma"] < 0.05


def test_bad_inputs_and_sigma_outside_the_unit_interval(data):
    with pytest.raises(InvalidParameterError, match="two endogenous") as info:
        fit_nested_logit_demand(data, **{**DEMAND, "instruments": "~ z"})
    assert "instruments" in info.value.hint
    # true sigma = 0 (logit) in 40 markets: this seed's estimate is negative (-0.095)
    small = simulate_nested_markets(40, seed=0, truth={"sigma": 0.0})
    with pytest.warns(SpecificationWarning, match="outside \\[0, 1\\)"):
        res = fit_nested_logit_demand(small, **DEMAND)
    assert res.params["sigma"] < 0 and any("utility maximization" in note for note in res.notes)
