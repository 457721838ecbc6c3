"""fit_nash against independent computations: direct linearmodels fits on the same design, the delta method
by finite differences, reparameterizations of the nonlinear estimator that have linear closed forms, and
finite-difference Jacobians of the model's residuals."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS, IVGMM
from scipy.optimize import approx_fprime
from scipy.special import expit, logit

from bargaining.errors import (
    ConvergenceWarning,
    DataValidationError,
    IdentificationError,
    IdentificationWarning,
    InvalidParameterError,
    MissingColumnError,
)
from bargaining.estimate.engines.covariance import iv_covariance as sandwich_cov
from bargaining.estimate.nash_price import NashResults, fit_nash
from bargaining.models.nash_moments import nash_price, nash_price_jacobian, nash_price_residuals

COV_TYPES = ["unadjusted", "robust", "clustered"]


def agreements(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Test-local data-generating process: p = C + beta_g (V - C) + u with an endogenous V (measured with an
    error correlated with u) and an instrument w that shifts V."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    w = rng.normal(size=n)
    r = rng.uniform(0.0, 0.5, size=n)
    g = rng.choice(["north", "south", "west"], size=n)
    x = rng.normal(size=n)
    cost = r + 1.0 + 0.5 * z + 0.3 * rng.normal(size=n)
    value = cost + 2.0 + 0.8 * w + rng.gamma(2.0, 0.5, size=n)
    beta = np.select([g == "north", g == "south"], [0.3, 0.5], 0.7)
    u = rng.normal(scale=0.2, size=n) * (1 + 0.5 * np.abs(z))  # heteroskedastic
    return pd.DataFrame(
        {
            "price": nash_price(cost, value, beta) + u,
            "value": value,
            "cost": cost,
            "z": z,
            "w": w,
            "r": r,
            "g": g,
            "x": x,
            "market": rng.integers(0, 40, size=n),
        }
    )


def _lm(y, exog, endog, instruments, cov_type, data, gmm=False):
    # clustered covariances carry the small-sample factor G/(G-1)(N-1)/(N-K): linearmodels' debiased=True
    kwargs = {"clusters": data["market"].to_numpy()} if cov_type == "clustered" else {}
    debiased = {"debiased": True} if cov_type == "clustered" else {}
    if gmm:
        weight = {"unadjusted": "unadjusted", "robust": "robust", "clustered": "clustered"}[cov_type]
        return IVGMM(y, exog, endog, instruments, weight_type=weight, **kwargs).fit(
            cov_type=cov_type, **kwargs, **debiased
        )
    return IV2SLS(y, exog, endog, instruments).fit(cov_type=cov_type, **kwargs, **debiased)


def _fit(data, cov_type, **kwargs) -> NashResults:
    cluster = "market" if cov_type == "clustered" else None
    return fit_nash(data, price="price", buyer_value="value", cov_type=cov_type, cluster=cluster, **kwargs)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return agreements()


# -- linear variants against linearmodels ------------------------------------------------------------------
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_observed_cost_matches_linearmodels(data, cov_type):
    res = _fit(data, cov_type, seller_cost="cost")
    y = (data.price - data.cost).to_numpy()
    s = (data.value - data.cost).to_numpy()[:, None]
    lm = _lm(y, s, None, None, cov_type, data)
    np.testing.assert_allclose(res.params["beta"], lm.params.iloc[0], rtol=1e-10)
    np.testing.assert_allclose(res.std_errors["beta"], lm.std_errors.iloc[0], rtol=1e-8)
    np.testing.assert_allclose(res.residuals.to_numpy(), lm.resids.to_numpy(), atol=1e-10)
    assert res.nobs == len(data) and res.converged and res.cov_type == cov_type


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_grouped_observed_cost_matches_linearmodels(data, cov_type):
    res = _fit(data, cov_type, seller_cost="cost", weight_by="g")
    s = (data.value - data.cost).to_numpy()
    groups = ["north", "south", "west"]
    design = np.column_stack([s * (data.g == grp).to_numpy() for grp in groups])
    lm = _lm((data.price - data.cost).to_numpy(), design, None, None, cov_type, data)
    names = [f"beta[{grp}]" for grp in groups]
    assert list(res.params.index) == names
    np.testing.assert_allclose(res.params[names].to_numpy(), lm.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.std_errors[names].to_numpy(), lm.std_errors.to_numpy(), rtol=1e-8)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_cost_formula_matches_linearmodels_and_delta_method(data, cov_type):
    res = _fit(data, cov_type, cost_formula="~ 1 + z", recapture="r")
    y = (data.price - data.r).to_numpy()
    exog = np.column_stack([np.ones(len(data)), data.z, data.value - data.r])
    lm = _lm(y, exog, None, None, cov_type, data)
    b = lm.params.to_numpy()  # (pi_Intercept, pi_z, beta)
    lin = res.linear_params
    np.testing.assert_allclose(lin.to_numpy(), [b[2], b[0], b[1]], rtol=1e-10)
    np.testing.assert_allclose(
        np.sqrt(np.diag(res.linear_cov)), lm.std_errors.to_numpy()[[2, 0, 1]], rtol=1e-8
    )
    assert list(res.params.index) == ["beta", "gamma[Intercept]", "gamma[z]"]

    # gamma = pi / (1 - beta); its covariance by a finite-difference Jacobian of that map (independent of the
    # analytic one in the package)
    def transform(theta):
        return np.concatenate([[theta[0]], theta[1:] / (1 - theta[0])])

    theta = lin.to_numpy()
    step = 1e-6 * np.eye(3)  # central differences: error O(step^2)
    jac = np.column_stack([(transform(theta + h) - transform(theta - h)) / 2e-6 for h in step])
    np.testing.assert_allclose(res.params.to_numpy(), transform(theta), rtol=1e-10)
    np.testing.assert_allclose(res.cov.to_numpy(), jac @ res.linear_cov.to_numpy() @ jac.T, rtol=1e-7)


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("gmm", [False, True])
def test_instrumented_matches_linearmodels(data, cov_type, gmm):
    iv_method = "gmm" if gmm else "2sls"
    # observed cost: V - C instrumented by (1, w) -- formulaic adds the intercept
    res = _fit(data, cov_type, seller_cost="cost", instruments="~ w", iv_method=iv_method)
    y = (data.price - data.cost).to_numpy()
    s = (data.value - data.cost).to_numpy()[:, None]
    lm = _lm(y, None, s, np.column_stack([np.ones(len(data)), data.w]), cov_type, data, gmm=gmm)
    np.testing.assert_allclose(res.params["beta"], lm.params.iloc[0], rtol=1e-8)
    np.testing.assert_allclose(res.std_errors["beta"], lm.std_errors.iloc[0], rtol=1e-8)
    assert res.first_stage is not None and res.first_stage.min() > 10

    # cost formula: the cost shifters instrument themselves; the instrument formula's intercept repeats one
    res = _fit(data, cov_type, cost_formula="~ 1 + z", recapture="r", instruments="~ w", iv_method=iv_method)
    exog = np.column_stack([np.ones(len(data)), data.z])
    lm = _lm(
        (data.price - data.r).to_numpy(),
        exog,
        (data.value - data.r).to_numpy()[:, None],
        data[["w"]].to_numpy(),
        cov_type,
        data,
        gmm=gmm,
    )
    b, se = lm.params.to_numpy(), lm.std_errors.to_numpy()
    np.testing.assert_allclose(res.linear_params.to_numpy(), b[[2, 0, 1]], rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(res.linear_cov)), se[[2, 0, 1]], rtol=1e-8)


def test_first_stage_f_matches_linearmodels_wald(data):
    res = _fit(data, "unadjusted", seller_cost="cost", instruments="~ 0 + w + x")
    s = (data.value - data.cost).to_numpy()
    lm = IV2SLS((data.price - data.cost).to_numpy(), None, s[:, None], data[["w", "x"]].to_numpy()).fit(
        cov_type="unadjusted"
    )
    # linearmodels' unadjusted f.stat is Wald / q with s2 = RSS / n, i.e. n / (n - k) times the textbook F
    lm_f = float(lm.first_stage.diagnostics["f.stat"].iloc[0])
    n, k = len(data), 2
    assert res.first_stage.iloc[0] == pytest.approx(lm_f * (n - k) / n, rel=1e-8)


def test_weak_instrument_is_reported(data):
    noise = np.random.default_rng(5).normal(size=len(data))
    weak = data.assign(noise=noise)
    with pytest.warns(IdentificationWarning, match="weak instruments"):
        res = _fit(weak, "robust", seller_cost="cost", instruments="~ 0 + noise")
    assert res.diagnostics["min first-stage F"] < 10
    assert any("weak" in note.lower() for note in res.notes)


# -- nonlinear estimator against linear closed forms -----------------------------------------------------------
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_logistic_with_intercept_only_is_logit_of_linear_beta(data, cov_type):
    """beta = Lambda(delta) constant: delta-hat = logit(beta-hat_OLS), se(delta) = se(beta) / (beta (1-beta))."""
    lin = _fit(data, cov_type, seller_cost="cost")
    res = _fit(data, cov_type, seller_cost="cost", weight_formula="~ 1")
    beta, se = lin.params["beta"], lin.std_errors["beta"]
    assert res.params["delta[Intercept]"] == pytest.approx(logit(beta), abs=1e-8)
    assert res.std_errors["delta[Intercept]"] == pytest.approx(se / (beta * (1 - beta)), rel=1e-6)
    np.testing.assert_allclose(res.implied_weights.to_numpy(), beta, atol=1e-9)
    frame = res.weights_frame()
    np.testing.assert_allclose(frame["std_error"].to_numpy(), se, rtol=1e-6)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_logistic_group_dummies_equal_grouped_linear(data, cov_type):
    lin = _fit(data, cov_type, seller_cost="cost", weight_by="g")
    res = _fit(data, cov_type, seller_cost="cost", weight_formula="~ 0 + C(g)")
    beta = lin.params.to_numpy()
    np.testing.assert_allclose(expit(res.params.to_numpy()), beta, atol=1e-8)
    np.testing.assert_allclose(
        res.std_errors.to_numpy() * beta * (1 - beta), lin.std_errors.to_numpy(), rtol=1e-6
    )


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_nonlinear_2sls_with_intercept_only_matches_linear_iv(data, cov_type):
    lin = _fit(data, cov_type, seller_cost="cost", instruments="~ w")
    res = _fit(data, cov_type, seller_cost="cost", weight_formula="~ 1", instruments="~ w")
    beta, se = lin.params["beta"], lin.std_errors["beta"]
    assert res.params["delta[Intercept]"] == pytest.approx(logit(beta), abs=1e-8)
    assert res.std_errors["delta[Intercept]"] == pytest.approx(se / (beta * (1 - beta)), rel=1e-6)


def test_nonlinear_least_squares_is_a_minimum(data):
    """The logistic fit with a cost formula satisfies the first-order conditions and beats nearby points."""
    res = fit_nash(
        data,
        price="price",
        buyer_value="value",
        cost_formula="~ 1 + z",
        recapture="r",
        weight_formula="~ 1 + x",
    )
    kwargs = {
        "price_gap": (data.price - data.r).to_numpy(),
        "surplus": (data.value - data.r).to_numpy(),
        "weight_design": np.column_stack([np.ones(len(data)), data.x]),
        "cost_design": np.column_stack([np.ones(len(data)), data.z]),
        "link": "logistic",
    }
    theta = res.params.to_numpy()
    u = nash_price_residuals(theta, **kwargs)
    np.testing.assert_allclose(u, res.residuals.to_numpy(), atol=1e-12)
    gradient = nash_price_jacobian(theta, **kwargs).T @ u
    assert np.max(np.abs(gradient)) < 1e-6 * len(data)
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = nash_price_residuals(theta + 1e-3 * rng.normal(size=theta.size), **kwargs)
        assert other @ other > u @ u
    # grouped beta with a cost formula (nonlinear, identity link): also a stationary point
    grouped = fit_nash(
        data, price="price", buyer_value="value", cost_formula="~ 1 + z", recapture="r", weight_by="g"
    )
    assert grouped.converged
    assert list(grouped.params.index) == [
        "beta[north]",
        "beta[south]",
        "beta[west]",
        "gamma[Intercept]",
        "gamma[z]",
    ]
    np.testing.assert_allclose(grouped.params[:3].to_numpy(), [0.3, 0.5, 0.7], atol=0.08)


@pytest.mark.parametrize("link", ["identity", "logistic"])
def test_residual_jacobian_matches_finite_differences(link):
    rng = np.random.default_rng(3)
    n = 7
    kwargs = {
        "price_gap": rng.normal(size=n),
        "surplus": rng.normal(size=n) + 2,
        "weight_design": np.column_stack([np.ones(n), rng.normal(size=n)]),
        "cost_design": np.column_stack([np.ones(n), rng.normal(size=n)]),
        "link": link,
    }
    theta = np.array([0.2, -0.4, 1.0, 0.5])
    analytic = nash_price_jacobian(theta, **kwargs)
    numeric = np.array(
        [approx_fprime(theta, lambda t, i=i: nash_price_residuals(t, **kwargs)[i], 1e-7) for i in range(n)]
    )
    np.testing.assert_allclose(analytic, numeric, atol=1e-6)
    # the residual at the true parameters is p - (C + beta (V - C)) by hand for the identity link
    if link == "identity":
        beta = kwargs["weight_design"] @ theta[:2]
        cost = kwargs["cost_design"] @ theta[2:]
        expected = kwargs["price_gap"] - (cost + beta * (kwargs["surplus"] - cost))
        np.testing.assert_allclose(nash_price_residuals(theta, **kwargs), expected, atol=1e-14)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_sandwich_matches_linearmodels_iv(data, cov_type):
    y = data.price.to_numpy()
    x = np.column_stack([np.ones(len(data)), data.value])
    z = np.column_stack([np.ones(len(data)), data.w, data.x])
    lm = _lm(y, x[:, :1], x[:, 1:], z[:, 1:], cov_type, data)
    clusters = pd.factorize(data["market"])[0] if cov_type == "clustered" else None
    ours = sandwich_cov(x, lm.resids.to_numpy(), instruments=z, cov_type=cov_type, clusters=clusters)
    np.testing.assert_allclose(ours, lm.cov.to_numpy(), rtol=1e-9)


def test_nonconvergence_is_flagged_and_warned(data):
    with pytest.warns(ConvergenceWarning):
        res = fit_nash(
            data, price="price", buyer_value="value", seller_cost="cost", weight_formula="~ 1 + x", maxiter=1
        )
    assert not res.converged
    assert "NOT converge" in str(res.summary)
    assert res.to_dict()["converged"] is False


# -- identification and bad input ------------------------------------------------------------------------------
def test_collinear_surplus_and_cost_shifters_raise(data):
    collinear = data.assign(value=data.r + 2.0 + 3.0 * data.z)
    with pytest.raises(IdentificationError, match="collinear"):
        fit_nash(collinear, price="price", buyer_value="value", cost_formula="~ 1 + z", recapture="r")
    constant = data.assign(value=data.cost + 1.5)
    fit_nash(
        constant, price="price", buyer_value="value", seller_cost="cost"
    )  # fine: no constant in the model
    with pytest.raises(IdentificationError):
        fit_nash(
            constant.assign(r=0.0, value=1.5), price="price", buyer_value="value", cost_formula="~ 1 + z"
        )


def test_group_without_surplus_variation_raises(data):
    flat = data.copy()
    flat.loc[flat.g == "west", "value"] = flat.loc[flat.g == "west", "cost"]
    with pytest.raises(IdentificationError, match=r"beta\[west\]"):
        fit_nash(flat, price="price", buyer_value="value", seller_cost="cost", weight_by="g")
    flat2 = data.copy()
    flat2.loc[flat2.g == "west", "value"] = flat2.loc[flat2.g == "west", "r"] + 2.0
    with pytest.raises(IdentificationError, match=r"beta\[west\].*does not vary"):
        fit_nash(
            flat2, price="price", buyer_value="value", cost_formula="~ 1 + z", recapture="r", weight_by="g"
        )


def test_collinear_instruments_and_weight_covariates_raise(data):
    with pytest.raises(IdentificationError):
        fit_nash(
            data.assign(w2=2 * data.w),
            price="price",
            buyer_value="value",
            seller_cost="cost",
            instruments="~ w + w2",
        )
    with pytest.raises(IdentificationError):
        fit_nash(
            data.assign(x2=data.x * 3),
            price="price",
            buyer_value="value",
            seller_cost="cost",
            weight_formula="~ 1 + x + x2",
        )


def test_bad_columns_and_values(data):
    with pytest.raises(MissingColumnError, match="prcie|price"):
        fit_nash(data, price="prcie", buyer_value="value", seller_cost="cost")
    with pytest.raises(MissingColumnError):
        fit_nash(data, price="price", buyer_value="value", cost_formula="~ 1 + nope")
    broken = data.copy()
    broken.loc[[3, 10], "price"] = np.nan
    broken.loc[20, "z"] = np.nan
    with pytest.raises(DataValidationError):
        fit_nash(broken, price="price", buyer_value="value", cost_formula="~ 1 + z")
    res = fit_nash(
        broken, price="price", buyer_value="value", cost_formula="~ 1 + z", recapture="r", drop_invalid=True
    )
    assert res.nobs == len(data) - 3
    assert int(res.dropped["count"].sum()) == 3 and res.n_input == len(data)
    assert res.to_dict()["dropped"]
    assert 3 not in res.residuals.index and 20 not in res.residuals.index


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seller_cost": "cost", "cost_formula": "~ 1 + z"},
        {},
        {"seller_cost": "cost", "recapture": "r"},
        {"seller_cost": "cost", "weight_by": "g", "weight_formula": "~ 1 + x"},
        {"seller_cost": "cost", "cov_type": "clustered"},
        {"seller_cost": "cost", "cov_type": "hc3"},
        {"seller_cost": "cost", "cluster": "market"},
        {"seller_cost": "cost", "bootstrap": 1},
        {"seller_cost": "cost", "weight_formula": "~ 1 + x", "iv_method": "gmm", "instruments": "~ w"},
    ],
)
def test_inconsistent_options_raise(data, kwargs):
    with pytest.raises(InvalidParameterError):
        fit_nash(data, price="price", buyer_value="value", **kwargs)


# -- results object --------------------------------------------------------------------------------------
def test_results_object(data):
    res = fit_nash(data, price="price", buyer_value="value", seller_cost="cost", weight_by="g")
    np.testing.assert_allclose(res.fitted_values + res.residuals, data.price, atol=1e-12)
    np.testing.assert_allclose(res.predict(data), res.fitted_values, atol=1e-12)
    new = data.iloc[:5]
    expected = new.cost + res.params[[f"beta[{g}]" for g in new.g]].to_numpy() * (new.value - new.cost)
    np.testing.assert_allclose(res.predict(new.drop(columns="price")), expected, atol=1e-12)
    observed = res.observed_weights
    np.testing.assert_allclose(observed, (data.price - data.cost) / (data.value - data.cost))
    out = json.loads(json.dumps(res.to_dict()))
    assert set(out["params"]) == {"beta[north]", "beta[south]", "beta[west]"}
    assert r"\begin{tabular}" in res.summary.as_latex()
    formula_fit = fit_nash(
        data,
        price="price",
        buyer_value="value",
        cost_formula="~ 1 + z",
        recapture="r",
        weight_formula="~ 1 + x",
    )
    np.testing.assert_allclose(formula_fit.predict(data), formula_fit.fitted_values, atol=1e-10)
    assert formula_fit.observed_weights is None
    from bargaining.plots import plot_nash_fit, plot_nash_weights

    fig = plot_nash_fit(res)
    fig2 = plot_nash_weights(formula_fit)
    assert fig.axes and fig2.axes
    import matplotlib.pyplot as plt

    plt.close("all")


def test_bootstrap_is_reproducible_and_close_to_sandwich(data):
    kwargs = {"price": "price", "buyer_value": "value", "seller_cost": "cost", "bootstrap": 200, "seed": 11}
    first = fit_nash(data, **kwargs)
    again = fit_nash(data, **kwargs)
    pd.testing.assert_frame_equal(first.bootstrap_params, again.bootstrap_params)
    assert first.cov_type == "bootstrap"
    sandwich = np.sqrt(first.analytic_cov.loc["beta", "beta"])
    # with R = 200 the bootstrap SE has a relative sampling error of about 1/sqrt(2R) = 5%
    assert first.std_errors["beta"] == pytest.approx(sandwich, rel=0.2)
    ci = first.conf_int()
    assert ci.loc["beta", "lower"] < first.params["beta"] < ci.loc["beta", "upper"]
    clustered = fit_nash(
        data,
        price="price",
        buyer_value="value",
        cost_formula="~ 1 + z",
        recapture="r",
        cluster="market",
        cov_type="clustered",
        bootstrap=100,
        bootstrap_kind="cluster",
        seed=2,
    )
    assert clustered.std_errors["beta"] == pytest.approx(
        np.sqrt(clustered.analytic_cov.loc["beta", "beta"]), rel=0.3
    )


def test_bootstrap_same_with_two_workers(data):
    kwargs = {
        "price": "price",
        "buyer_value": "value",
        "seller_cost": "cost",
        "weight_formula": "~ 1 + x",
        "bootstrap": 8,
        "seed": 3,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        one = fit_nash(data, n_jobs=1, **kwargs)
        two = fit_nash(data, n_jobs=2, **kwargs)
    np.testing.assert_allclose(one.bootstrap_params.to_numpy(), two.bootstrap_params.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_grouped_instrumented_matches_linearmodels(data, cov_type):
    """beta by group with instruments: endogenous (V - C) 1[g], instruments (1, w) x 1[g]."""
    res = _fit(data, cov_type, seller_cost="cost", weight_by="g", instruments="~ w")
    s = (data.value - data.cost).to_numpy()
    dummies = [(data.g == grp).to_numpy().astype(float) for grp in ["north", "south", "west"]]
    endog = np.column_stack([s * d for d in dummies])
    instruments = np.column_stack(
        [col * d for col in (np.ones(len(data)), data.w.to_numpy()) for d in dummies]
    )
    lm = _lm((data.price - data.cost).to_numpy(), None, endog, instruments, cov_type, data)
    np.testing.assert_allclose(res.params.to_numpy(), lm.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.std_errors.to_numpy(), lm.std_errors.to_numpy(), rtol=1e-8)
    assert len(res.first_stage) == 3


def test_demo_fit_on_bundled_example():
    from bargaining.data import load_example
    from bargaining.estimate.nash_price import demo_fit

    res = demo_fit()
    frame = load_example("hospital_insurer")
    lm = IV2SLS(
        (frame.price - frame.seller_cost).to_numpy(),
        (frame.buyer_value - frame.seller_cost).to_numpy()[:, None],
        None,
        None,
    ).fit(cov_type="robust")
    assert res.params["beta"] == pytest.approx(lm.params.iloc[0], rel=1e-10)
    assert res.std_errors["beta"] == pytest.approx(lm.std_errors.iloc[0], rel=1e-8)


def test_one_row_with_instruments_is_reported_like_one_row_without():
    # found by the property suite: one agreement with instruments raised ZeroDivisionError in the first-stage F
    from bargaining import load_example

    row = load_example("hospital_insurer").iloc[:1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_nash(row, price="price", buyer_value="buyer_value", seller_cost="seller_cost",
                       instruments="~ 0 + wtp_drop")
    # one row: beta = (p - C) / (V - C) exactly, and no standard error (NaN with a note, never 0)
    expected = (row["price"] - row["seller_cost"]) / (row["buyer_value"] - row["seller_cost"])
    assert res.params["beta"] == pytest.approx(float(expected.iloc[0]), rel=1e-10)
    assert np.isnan(res.std_errors["beta"])
    assert any("standard error of beta" in note for note in res.notes)


def test_buyer_values_of_order_1e20_are_an_identification_error():
    # found by the property suite: with buyer_value scaled by 1e150 (cost formula and recapture), linearmodels'
    # "regressors [exog endog] do not have full column rank" ValueError escaped (1e150 is now refused earlier,
    # as too large; 1e20 still reaches linearmodels' rank check)
    from bargaining import load_example

    frame = load_example("hospital_insurer").iloc[:60].copy()
    frame["buyer_value"] = frame["buyer_value"] * 1e20
    with pytest.raises(IdentificationError, match="full column rank") as info:
        fit_nash(frame, price="price", buyer_value="buyer_value", cost_formula="~ 1 + z1", recapture="recapture")
    assert "rescale" in info.value.hint


def test_prices_of_order_1e150_are_a_data_error_not_an_infinite_standard_error():
    # found by the property suite: price scaled by 1e150 gave beta = 8e299 with a standard error of inf
    from bargaining import load_example
    from bargaining.errors import DataValidationError

    frame = load_example("hospital_insurer").iloc[:60].copy()
    frame["price"] = frame["price"] * 1e150
    with pytest.raises(DataValidationError, match="'price'") as info:
        fit_nash(frame, price="price", buyer_value="buyer_value", seller_cost="seller_cost")
    assert "Rescale 'price'" in info.value.hint
    frame["price"] = frame["price"] / 1e150  # ordinary units fit
    assert fit_nash(frame, price="price", buyer_value="buyer_value", seller_cost="seller_cost").std_errors["beta"] > 0
