"""Logit and nested logit demand (bargaining.models.demand) against independent computations.

Each check recomputes the quantity another way than the model does: shares written out by hand (two-level
formula for nested logit), derivatives by central finite differences of ``shares``, elasticities and diversion
by the textbook logit formulas, consumer surplus changes by numerical quadrature of demand along a price path
(Roy's identity), logit surplus and shares by Monte Carlo over Gumbel draws, WTP by re-solving the demand
without the removed products, calibration by round trips, and logit WTP against HospitalInsurerMarkets.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

import bargaining
from bargaining.errors import InvalidParameterError, UnknownNameError
from bargaining.models.demand import LogitDemand, NestedLogitDemand

PRODUCTS = pd.Index(["a", "b", "c", "d", "e"])
DELTA = pd.Series([1.2, 0.4, -0.3, 0.8, 0.1], index=PRODUCTS)
PRICES = pd.Series([1.5, 1.0, 0.7, 1.3, 0.9], index=PRODUCTS)
ALPHA = 1.7
OUTSIDE_PRICE = 0.2
NESTS = ["x", "x", "y", "y", "y"]
LAMBDAS = {"x": 0.45, "y": 0.8}


def normalized_delta(reference="c"):
    """DELTA shifted so that the reference product's mean utility is 0 (shares without outside good unchanged)."""
    return DELTA - DELTA[reference]


def all_demands():
    """Every kind of demand the module offers: logit and nested logit, with an outside good and normalized."""
    return {
        "logit": LogitDemand(ALPHA, DELTA, outside_price=OUTSIDE_PRICE),
        "logit-normalized": LogitDemand(ALPHA, normalized_delta(), normalize="c"),
        "nested": NestedLogitDemand(ALPHA, DELTA, NESTS, LAMBDAS, outside_price=OUTSIDE_PRICE),
        "nested-normalized": NestedLogitDemand(ALPHA, normalized_delta(), NESTS, LAMBDAS, normalize="c"),
    }


DEMANDS = all_demands()


# --------------------------------------------------------------------------------------- hand-written shares
def hand_logit_shares(delta, prices, alpha, outside_price=None):
    """exp(delta_j - alpha p_j) / (exp(-alpha p_0) [if outside] + sum_k exp(delta_k - alpha p_k))."""
    e = [math.exp(d - alpha * p) for d, p in zip(delta, prices)]
    den = sum(e) + (math.exp(-alpha * outside_price) if outside_price is not None else 0.0)
    return np.array(e) / den


def hand_nested_shares(delta, prices, alpha, nests, lambdas, outside_price=None):
    """Two-level nested logit: P(nest) P(j | nest), written out with loops."""
    v = [d - alpha * p for d, p in zip(delta, prices)]
    within_sum = {g: sum(math.exp(v[j] / lambdas[g]) for j in range(len(v)) if nests[j] == g) for g in lambdas}
    nest_weight = {g: within_sum[g] ** lambdas[g] for g in lambdas}
    den = sum(nest_weight.values()) + (math.exp(-alpha * outside_price) if outside_price is not None else 0.0)
    return np.array([
        nest_weight[nests[j]] / den * math.exp(v[j] / lambdas[nests[j]]) / within_sum[nests[j]]
        for j in range(len(v))
    ])


def test_logit_shares_by_hand():
    demand = DEMANDS["logit"]
    expected = hand_logit_shares(DELTA, PRICES, ALPHA, OUTSIDE_PRICE)
    np.testing.assert_allclose(demand.shares(PRICES).to_numpy(), expected, rtol=1e-14)
    assert demand.outside_share(PRICES) == pytest.approx(1 - expected.sum(), rel=1e-13)
    normalized = DEMANDS["logit-normalized"]
    np.testing.assert_allclose(normalized.shares(PRICES).to_numpy(),
                               hand_logit_shares(normalized_delta(), PRICES, ALPHA), rtol=1e-14)


def test_nested_shares_by_hand():
    expected = hand_nested_shares(DELTA, PRICES, ALPHA, NESTS, LAMBDAS, OUTSIDE_PRICE)
    np.testing.assert_allclose(DEMANDS["nested"].shares(PRICES).to_numpy(), expected, rtol=1e-13)
    expected = hand_nested_shares(normalized_delta(), PRICES, ALPHA, NESTS, LAMBDAS)
    np.testing.assert_allclose(DEMANDS["nested-normalized"].shares(PRICES).to_numpy(), expected, rtol=1e-13)


def test_logit_shares_and_surplus_by_monte_carlo():
    """Choice frequencies and E[max utility] over Gumbel draws (CS = (E max - Euler gamma) / alpha)."""
    demand = DEMANDS["logit"]
    rng = np.random.default_rng(11)
    n = 400_000
    v = np.append(DELTA.to_numpy() - ALPHA * PRICES.to_numpy(), -ALPHA * OUTSIDE_PRICE)
    utility = v[None, :] + rng.gumbel(size=(n, v.size))
    choice = utility.argmax(axis=1)
    frequency = np.bincount(choice, minlength=v.size)[:-1] / n
    s = demand.shares(PRICES).to_numpy()
    assert np.all(np.abs(frequency - s) < 5 * np.sqrt(s * (1 - s) / n))
    best = utility.max(axis=1)
    # CS measured from the outside good: subtract the outside good's utility index -alpha p_0
    simulated = (best.mean() - np.euler_gamma + ALPHA * OUTSIDE_PRICE) / ALPHA
    assert abs(simulated - demand.consumer_surplus(PRICES)) < 5 * best.std() / np.sqrt(n) / ALPHA


# ---------------------------------------------------------------------------------------------- derivatives
def finite_difference_jacobian(demand, prices, step=1e-6):
    p = np.asarray(prices, dtype=float)
    out = np.empty((p.size, p.size))
    for k in range(p.size):
        up, down = p.copy(), p.copy()
        up[k] += step
        down[k] -= step
        out[:, k] = (demand.shares(up).to_numpy() - demand.shares(down).to_numpy()) / (2 * step)
    return out


@pytest.mark.parametrize("kind", list(DEMANDS))
def test_share_derivatives_match_finite_differences(kind):
    demand = DEMANDS[kind]
    analytic = demand.share_derivatives(PRICES)
    assert list(analytic.index) == list(PRODUCTS) and list(analytic.columns) == list(PRODUCTS)
    numeric = finite_difference_jacobian(demand, PRICES.to_numpy())
    np.testing.assert_allclose(analytic.to_numpy(), numeric, atol=1e-9, rtol=0)
    s, dsdp = demand.shares_and_derivatives(PRICES.to_numpy())
    np.testing.assert_array_equal(dsdp, analytic.to_numpy())
    np.testing.assert_array_equal(s, demand.shares(PRICES).to_numpy())


@pytest.mark.parametrize("kind", list(DEMANDS))
def test_consumer_surplus_gradient_is_minus_shares(kind):
    """Roy's identity: dCS/dp_j = -s_j (central differences of consumer_surplus)."""
    demand = DEMANDS[kind]
    p, step = PRICES.to_numpy(), 1e-6
    gradient = [
        (demand.consumer_surplus(p + step * unit) - demand.consumer_surplus(p - step * unit)) / (2 * step)
        for unit in np.eye(p.size)
    ]
    np.testing.assert_allclose(gradient, -demand.shares(p).to_numpy(), atol=1e-9)


def test_logit_elasticities_by_hand_formula():
    demand = DEMANDS["logit"]
    s, p = demand.shares(PRICES).to_numpy(), PRICES.to_numpy()
    expected = np.tile(ALPHA * p * s, (p.size, 1))  # cross: alpha p_k s_k in column k
    np.fill_diagonal(expected, -ALPHA * p * (1 - s))  # own: -alpha p_j (1 - s_j)
    np.testing.assert_allclose(demand.elasticities(PRICES).to_numpy(), expected, rtol=1e-13)


def test_logit_diversion_by_hand_formula():
    demand = DEMANDS["logit"]
    s = demand.shares(PRICES).to_numpy()
    expected = s[None, :] / (1 - s[:, None])  # D_jk = s_k / (1 - s_j)
    np.fill_diagonal(expected, 0.0)
    diversion = demand.diversion_ratios(PRICES)
    np.testing.assert_allclose(diversion.to_numpy(), expected, rtol=1e-13)
    # what is not diverted to other products goes to the outside good: s_0 / (1 - s_j)
    np.testing.assert_allclose(1 - diversion.sum(axis=1).to_numpy(), demand.outside_share(PRICES) / (1 - s),
                               rtol=1e-12)


@pytest.mark.parametrize("kind", ["logit-normalized", "nested-normalized"])
def test_without_outside_good_diversion_rows_sum_to_one(kind):
    np.testing.assert_allclose(DEMANDS[kind].diversion_ratios(PRICES).sum(axis=1), 1.0, rtol=1e-13)


def test_nested_diversion_by_finite_differences():
    demand = DEMANDS["nested"]
    numeric = finite_difference_jacobian(demand, PRICES.to_numpy())
    expected = -numeric.T / np.diag(numeric)[:, None]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(demand.diversion_ratios(PRICES).to_numpy(), expected, atol=1e-7)
    # products of the same nest are closer substitutes: b takes more of a's sales than d does, though d is bigger
    diversion = demand.diversion_ratios(PRICES)
    assert demand.shares(PRICES)["d"] > demand.shares(PRICES)["b"]
    assert diversion.loc["a", "b"] > diversion.loc["a", "d"]


# ---------------------------------------------------------------------------------- nested logit reductions
@pytest.mark.parametrize("normalize", [None, "c"])
def test_nested_logit_with_lambda_one_is_logit(normalize):
    delta = DELTA if normalize is None else normalized_delta()
    outside = OUTSIDE_PRICE if normalize is None else 0.0
    logit = LogitDemand(ALPHA, delta, outside_price=outside, normalize=normalize)
    nested = NestedLogitDemand(ALPHA, delta, NESTS, 1.0, outside_price=outside, normalize=normalize)
    np.testing.assert_allclose(nested.shares(PRICES), logit.shares(PRICES), rtol=1e-13)
    np.testing.assert_allclose(nested.share_derivatives(PRICES), logit.share_derivatives(PRICES), atol=1e-15)
    np.testing.assert_allclose(nested.diversion_ratios(PRICES), logit.diversion_ratios(PRICES), rtol=1e-12)
    assert nested.consumer_surplus(PRICES) == pytest.approx(logit.consumer_surplus(PRICES), rel=1e-13)
    assert nested.willingness_to_pay(PRICES, ["a", "d"]) == pytest.approx(
        logit.willingness_to_pay(PRICES, ["a", "d"]), rel=1e-12)


def test_nested_logit_with_singleton_nests_is_logit_for_any_lambda():
    logit = DEMANDS["logit"]
    nested = NestedLogitDemand(ALPHA, DELTA, list(PRODUCTS), [0.3, 0.5, 0.7, 0.9, 0.2], outside_price=OUTSIDE_PRICE)
    np.testing.assert_allclose(nested.shares(PRICES), logit.shares(PRICES), rtol=1e-13)
    np.testing.assert_allclose(nested.share_derivatives(PRICES), logit.share_derivatives(PRICES), atol=1e-15)


# ----------------------------------------------------------------------------------------- consumer surplus
@pytest.mark.parametrize("kind", list(DEMANDS))
def test_surplus_change_is_the_integral_of_demand_along_a_price_path(kind):
    """CS(p1) - CS(p0) = -int_0^1 s(p(t)) . p'(t) dt for the curved path p(t) = p0 + (p1 - p0) t^2 + bump."""
    demand = DEMANDS[kind]
    p0 = PRICES.to_numpy()
    p1 = p0 + np.array([0.4, -0.2, 0.3, 0.0, 0.6])
    bump = np.array([0.1, 0.3, -0.2, 0.5, 0.0])

    def path(t):
        return p0 + (p1 - p0) * t**2 + bump * math.sin(math.pi * t)

    def velocity(t):
        return 2 * (p1 - p0) * t + bump * math.pi * math.cos(math.pi * t)

    integral, error = quad(lambda t: float(demand.shares(path(t)).to_numpy() @ velocity(t)), 0.0, 1.0,
                           epsabs=1e-13, epsrel=1e-13)
    assert error < 1e-10
    change = demand.consumer_surplus(p1) - demand.consumer_surplus(p0)
    assert change == pytest.approx(-integral, abs=1e-11)


def test_consumer_surplus_with_outside_good_is_measured_from_it():
    demand = DEMANDS["logit"]
    assert demand.consumer_surplus(PRICES) == pytest.approx(
        math.log(1 + sum(math.exp(d - ALPHA * (p - OUTSIDE_PRICE)) for d, p in zip(DELTA, PRICES))) / ALPHA,
        rel=1e-14)
    # removing every product leaves the outside good: WTP for all of them is the whole surplus
    assert demand.willingness_to_pay(PRICES, PRODUCTS) == pytest.approx(demand.consumer_surplus(PRICES), rel=1e-13)
    # only p - p0 matters
    shifted = LogitDemand(ALPHA, DELTA, outside_price=OUTSIDE_PRICE + 0.3)
    np.testing.assert_allclose(shifted.shares(PRICES + 0.3), demand.shares(PRICES), rtol=1e-13)
    assert shifted.consumer_surplus(PRICES + 0.3) == pytest.approx(demand.consumer_surplus(PRICES), rel=1e-13)


def test_without_outside_good_a_uniform_price_rise_costs_its_size():
    demand = DEMANDS["nested-normalized"]
    np.testing.assert_allclose(demand.shares(PRICES + 0.25), demand.shares(PRICES), rtol=1e-13)
    assert demand.consumer_surplus(PRICES) - demand.consumer_surplus(PRICES + 0.25) == pytest.approx(0.25, rel=1e-12)


# ------------------------------------------------------------------------------------- willingness to pay
def without(demand, removed):
    """The same demand re-built without the products in ``removed`` (shares then re-solved from scratch)."""
    keep = [j for j in demand.products if j not in removed]
    delta = demand.mean_utility[keep]
    if isinstance(demand, NestedLogitDemand):
        nests = demand.nests[keep]
        lambdas = {g: demand.nesting_parameter[g] for g in pd.unique(nests)}
        return NestedLogitDemand(demand.alpha, delta, nests, lambdas, demand.outside_price, demand.normalize)
    return LogitDemand(demand.alpha, delta, demand.outside_price, demand.normalize)


@pytest.mark.parametrize("kind", list(DEMANDS))
@pytest.mark.parametrize("removed", ["a", ["b"], ["a", "b"], ("d", "e"), {"b", "d", "e"}])
def test_wtp_is_the_surplus_drop_from_re_solving_without_the_products(kind, removed):
    demand = DEMANDS[kind]
    labels = [removed] if isinstance(removed, str) else list(removed)
    smaller = without(demand, labels)
    remaining = PRICES.drop(labels)
    assert smaller.shares(remaining).sum() + smaller.outside_share(remaining) == pytest.approx(1.0, abs=1e-14)
    expected = demand.consumer_surplus(PRICES) - smaller.consumer_surplus(remaining)
    assert demand.willingness_to_pay(PRICES, removed) == pytest.approx(expected, rel=1e-12)
    assert demand.willingness_to_pay(PRICES, removed) > 0


def test_logit_wtp_closed_form_and_each():
    demand = DEMANDS["logit"]
    s = demand.shares(PRICES)
    each = demand.willingness_to_pay_each(PRICES)
    np.testing.assert_allclose(each, -np.log1p(-s) / ALPHA, rtol=1e-12)
    assert list(each.index) == list(PRODUCTS)
    assert demand.willingness_to_pay(PRICES, ["a", "c"]) == pytest.approx(-math.log(1 - s["a"] - s["c"]) / ALPHA,
                                                                         rel=1e-12)
    assert demand.willingness_to_pay(PRICES, []) == 0.0
    nested = DEMANDS["nested"]
    np.testing.assert_allclose(nested.willingness_to_pay_each(PRICES),
                               [nested.willingness_to_pay(PRICES, j) for j in PRODUCTS], rtol=1e-14)


def test_logit_wtp_agrees_with_hospital_insurer_markets():
    """HospitalInsurerMarkets values a network at kappa N log(1 + sum e_h); with kappa = 1/alpha, N = 1 and
    utility delta - alpha p, dropping a hospital costs the same as LogitDemand.willingness_to_pay."""
    from bargaining.models.nash_in_nash.hospital_insurer import HospitalInsurerMarkets

    utility = (DELTA - ALPHA * (PRICES - OUTSIDE_PRICE)).to_numpy()
    markets = HospitalInsurerMarkets(utility[None, None, :], np.ones((1, 1)), np.full((1, 1), 1 / ALPHA),
                                     np.zeros((1, 1, 5)), beta=0.5)
    demand = DEMANDS["logit"]
    full = markets.willingness_to_pay()[0, 0]
    for h, label in enumerate(PRODUCTS):
        network = np.ones((1, 1, 5), dtype=bool)
        network[0, 0, h] = False
        assert demand.willingness_to_pay(PRICES, label) == pytest.approx(
            full - markets.willingness_to_pay(network)[0, 0], rel=1e-12)
    np.testing.assert_allclose(demand.shares(PRICES), markets.shares()[0, 0], rtol=1e-13)


# ---------------------------------------------------------------------------------------------- calibration
@pytest.mark.parametrize("kind", list(DEMANDS))
def test_from_shares_round_trips(kind):
    demand = DEMANDS[kind]
    shares = demand.shares(PRICES)
    if isinstance(demand, NestedLogitDemand):
        calibrated = NestedLogitDemand.from_shares(PRICES, shares, ALPHA, demand.nests, LAMBDAS,
                                                   outside_price=demand.outside_price, normalize=demand.normalize)
    else:
        calibrated = LogitDemand.from_shares(PRICES, shares, ALPHA, outside_price=demand.outside_price,
                                             normalize=demand.normalize)
    assert type(calibrated) is type(demand)
    np.testing.assert_allclose(calibrated.shares(PRICES), shares, rtol=1e-12, atol=0)
    np.testing.assert_allclose(calibrated.mean_utility, demand.mean_utility, atol=1e-12)
    assert list(calibrated.products) == list(PRODUCTS)


def test_from_shares_with_arbitrary_observed_shares():
    """Shares that no model generated (made up) are reproduced exactly, and the formula holds by hand."""
    shares = np.array([0.12, 0.08, 0.2, 0.05, 0.15])
    prices = np.array([2.0, 1.5, 1.0, 3.0, 0.5])
    demand = LogitDemand.from_shares(prices, shares, alpha=0.9, outside_price=0.4)
    np.testing.assert_allclose(demand.shares(prices), shares, rtol=1e-12)
    s0 = 1 - shares.sum()
    np.testing.assert_allclose(demand.mean_utility, np.log(shares / s0) + 0.9 * (prices - 0.4), rtol=1e-14)
    nested = NestedLogitDemand.from_shares(prices, shares, 0.9, ["u", "v", "u", "v", "w"], [0.3, 0.6, 1.0],
                                           outside_price=0.4)
    np.testing.assert_allclose(nested.shares(prices), shares, rtol=1e-12)
    assert nested.nesting_parameter.to_dict() == {"u": 0.3, "v": 0.6, "w": 1.0}


@pytest.mark.parametrize("cls", [LogitDemand, NestedLogitDemand])
def test_normalized_product_shares_sum_to_one_and_reference_utility_is_zero(cls):
    shares = pd.Series([0.3, 0.1, 0.25, 0.2, 0.15], index=PRODUCTS)
    extra = (NESTS, LAMBDAS) if cls is NestedLogitDemand else ()
    demand = cls.from_shares(PRICES, shares, ALPHA, *extra, normalize="b")
    assert demand.mean_utility["b"] == 0.0
    assert demand.normalize == "b" and not demand.has_outside_good
    assert demand.outside_share(PRICES) == 0.0
    np.testing.assert_allclose(demand.shares(PRICES), shares, rtol=1e-12)
    for prices in (PRICES, PRICES * 1.7, PRICES[::-1].to_numpy()):
        assert demand.shares(prices).sum() == pytest.approx(1.0, abs=1e-14)
    # the reference price: delta_j = log(s_j / s_b) + alpha (p_j - p_b) for logit
    if cls is LogitDemand:
        np.testing.assert_allclose(demand.mean_utility,
                                   np.log(shares / shares["b"]) + ALPHA * (PRICES - PRICES["b"]), rtol=1e-13)


# ----------------------------------------------------------------------------------------- labels, inputs
def test_prices_as_a_series_are_aligned_by_label_and_outputs_are_labelled():
    demand = DEMANDS["nested"]
    shuffled = PRICES[["d", "a", "e", "c", "b"]]
    pd.testing.assert_series_equal(demand.shares(shuffled), demand.shares(PRICES.to_numpy()))
    assert list(demand.elasticities(PRICES).columns) == list(PRODUCTS)
    params = demand.params
    assert params["alpha"] == ALPHA and params["mean_utility[c]"] == DELTA["c"]
    assert params["nesting_parameter[x]"] == LAMBDAS["x"]
    unlabelled = LogitDemand(ALPHA, DELTA.to_numpy())
    assert list(unlabelled.products) == [0, 1, 2, 3, 4]
    named = LogitDemand(ALPHA, DELTA.to_numpy(), products=list("vwxyz"))
    assert named.willingness_to_pay(PRICES.to_numpy(), "x") == unlabelled.willingness_to_pay(PRICES.to_numpy(), 2)


def test_layering_demand_imports_neither_data_nor_estimate():
    code = ("import sys, bargaining.models.demand; "
            "print(sorted(m for m in sys.modules if m.startswith(('bargaining.data', 'bargaining.estimate'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert bargaining.LogitDemand is LogitDemand and bargaining.NestedLogitDemand is NestedLogitDemand


# ------------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("make", "error", "argument"),
    [
        (lambda: LogitDemand(0.0, DELTA), InvalidParameterError, "alpha"),
        (lambda: LogitDemand(-1.0, DELTA), InvalidParameterError, "alpha"),
        (lambda: LogitDemand(ALPHA, [1.0, np.nan]), InvalidParameterError, "mean_utility"),
        (lambda: LogitDemand(ALPHA, DELTA, normalize="zz"), UnknownNameError, "normalize"),
        (lambda: LogitDemand(ALPHA, DELTA, normalize="a"), InvalidParameterError, "mean_utility"),
        (lambda: LogitDemand(ALPHA, normalized_delta(), 1.0, "c"), InvalidParameterError, "outside_price"),
        (lambda: NestedLogitDemand(ALPHA, DELTA, NESTS, 1.5), InvalidParameterError, "nesting_parameter"),
        (lambda: NestedLogitDemand(ALPHA, DELTA, NESTS, {"x": 0.5}), InvalidParameterError, "nesting_parameter"),
        (lambda: NestedLogitDemand(ALPHA, DELTA, NESTS[:3], 0.5), InvalidParameterError, "nests"),
        (lambda: LogitDemand.from_shares(PRICES, [0.3, 0.3, 0.2, 0.1, 0.2], ALPHA), InvalidParameterError,
         "normalize"),
        (lambda: LogitDemand.from_shares(PRICES, [0.3, 0.3, 0.2, 0.1, 0.0], ALPHA), InvalidParameterError,
         "shares"),
        (lambda: LogitDemand.from_shares(PRICES, [0.3, 0.3, 0.2, 0.1, 0.05], ALPHA, normalize="a"),
         InvalidParameterError, "normalize"),
        (lambda: DEMANDS["logit"].shares([1.0, 2.0]), InvalidParameterError, "prices"),
        (lambda: DEMANDS["logit"].shares(PRICES.rename({"a": "q"})), InvalidParameterError, "prices"),
        (lambda: DEMANDS["logit"].willingness_to_pay(PRICES, "q"), UnknownNameError, "removed"),
        (lambda: DEMANDS["logit"].willingness_to_pay(PRICES, ["a", "q"]), UnknownNameError, "removed"),
        (lambda: DEMANDS["logit-normalized"].willingness_to_pay(PRICES, PRODUCTS), InvalidParameterError,
         "removed"),
    ],
)
def test_errors_name_the_argument_in_the_hint(make, error, argument):
    with pytest.raises(error) as caught:
        make()
    assert caught.value.hint and argument in caught.value.hint


@pytest.mark.parametrize("kind", list(DEMANDS))
def test_large_utilities_do_not_overflow(kind):
    """Mean utilities of hundreds of utils (exp overflows a float) still give finite shares that sum right."""
    demand = DEMANDS[kind]
    big = demand.mean_utility + np.array([800.0, 790.0, 0.0, 805.0, 0.0])
    if demand.normalize is not None:
        big = big - big[demand.normalize]
    cls = type(demand)
    extra = (NESTS, LAMBDAS) if cls is NestedLogitDemand else ()
    shifted = cls(ALPHA, big, *extra, demand.outside_price, demand.normalize)
    s = shifted.shares(PRICES)
    assert np.all(np.isfinite(s)) and s.sum() + shifted.outside_share(PRICES) == pytest.approx(1.0, abs=1e-14)
    assert np.all(np.isfinite(shifted.share_derivatives(PRICES).to_numpy()))
    assert math.isfinite(shifted.consumer_surplus(PRICES))
    assert shifted.willingness_to_pay(PRICES, "a") >= 0
