"""Loertscher-Marx solver against closed forms (uniform bilateral trade, eq. 38, eq. 39, the uniform budget
identity, participation costs), cross-checks between independent code paths, and bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize

from bargaining.errors import (
    BargainingError,
    InfeasibleProblemError,
    InvalidParameterError,
    InvalidWeightError,
    SupportError,
)
from bargaining.models.distributions import Uniform
from bargaining.models.mechanism import Market, delta_from_weights, weights_from_delta


def eq38(delta: float) -> float:
    """rho(Delta) of eq. (38) (max weight 1), written out from the appendix."""
    d = abs(delta)
    if d == 1.0:
        return 1.0
    return 3 * (1 - d) / (4 - 2 * d - 2 * math.sqrt(1 - d + d * d))


def eq39(k: float) -> float:
    """Delta_k of eq. (39)."""
    return (1 - 2 * k) / (k * k - max(1.0, 2 * k))


@pytest.fixture(scope="module")
def uniform_market() -> Market:
    return Market([Uniform(0.0, 1.0)], [Uniform(0.0, 1.0)])


# ------------------------------------------------------------------------------------------ weights, Delta
def test_weights_delta_round_trip() -> None:
    assert weights_from_delta(0.0) == (1.0, 1.0)
    assert weights_from_delta(0.25) == (1.0, 0.75)
    assert weights_from_delta(-0.4) == (0.6, 1.0)
    for d in np.linspace(-1, 1, 9):
        assert delta_from_weights(*weights_from_delta(d)) == pytest.approx(d, abs=1e-15)
    assert delta_from_weights(0.2, 0.4) == pytest.approx(-0.5)


@pytest.mark.parametrize("bad", [1.5, -1.01, float("nan"), "x"])
def test_weights_from_delta_rejects(bad: object) -> None:
    with pytest.raises(InvalidWeightError):
        weights_from_delta(bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ uniform bilateral
def test_second_best_uniform_closed_forms(uniform_market: Market) -> None:
    out = uniform_market.bargain([1.0], [1.0])
    # Myerson-Satterthwaite second best: trade iff v - c >= 1/4, rho = 3/2
    assert out.rho == pytest.approx(1.5, abs=1e-10)
    assert out.welfare == pytest.approx(9 / 64, abs=1e-12)
    assert out.expected_trades == pytest.approx(9 / 32, abs=1e-12)
    assert out.buyer_payoffs[0] == pytest.approx(9 / 128, abs=1e-12)
    assert out.supplier_payoffs[0] == pytest.approx(9 / 128, abs=1e-12)
    assert out.budget_surplus == pytest.approx(0.0, abs=1e-12)
    assert out.binding and out.method == "quadrature"
    assert out.accuracy < 1e-10
    np.testing.assert_allclose(out.buyer_weight_ratios, [2 / 3], atol=1e-10)


def test_second_best_trade_rule_on_grid(uniform_market: Market) -> None:
    out = uniform_market.bargain([1.0], [1.0])
    axis = np.linspace(0, 1, 81)
    v, c = (a.ravel() for a in np.meshgrid(axis, axis))
    off = np.abs(v - c - 0.25) > 1e-9
    bq, sq = uniform_market.allocate(v[:, None], c[:, None], out)
    assert np.array_equal(bq[:, 0][off] > 0.5, (v - c >= 0.25)[off])
    assert np.array_equal(bq, sq)


def test_first_best_uniform(uniform_market: Market) -> None:
    fb = uniform_market.first_best()
    assert fb.welfare == pytest.approx(1 / 6, abs=1e-12)
    assert fb.expected_trades == pytest.approx(1 / 2, abs=1e-12)
    # deficit of the efficient mechanism with worst-off types at 0: E[(2v - 1 - 2c) 1{v >= c}] = -1/6
    assert fb.budget_surplus == pytest.approx(-1 / 6, abs=1e-12)
    # rents: E[(1 - v) 1{v >= c}] = E[c 1{c <= v}] = 1/6
    assert fb.buyer_payoffs[0] == pytest.approx(1 / 6, abs=1e-12)
    assert fb.supplier_payoffs[0] == pytest.approx(1 / 6, abs=1e-12)


@pytest.mark.parametrize("delta", np.round(np.linspace(-1, 1, 17), 12).tolist() + [0.999, -0.999, 1e-6])
def test_eq38(uniform_market: Market, delta: float) -> None:
    out = uniform_market.bargain_delta(delta)
    assert out.rho == pytest.approx(eq38(delta), abs=1e-8)
    assert out.rho_accuracy < 1e-8
    assert out.delta == delta


@pytest.mark.parametrize("delta", [-1.0, -0.6, 0.0, 0.35, 1.0])
def test_uniform_budget_identity(uniform_market: Market, delta: float) -> None:
    # uniform [0, 1]: Phi(v) - Gamma(c) = 2(v - c) - 1, so the budget is 2 W - P(trade) for any allocation
    out = uniform_market.bargain_delta(delta)
    budget = out.budget_surplus
    assert budget == pytest.approx(2 * out.welfare - out.expected_trades, abs=1e-11)
    assert budget == pytest.approx(0.0, abs=1e-11)  # binding, or slack with exactly zero surplus at |Delta| = 1


def test_uniform_budget_identity_many_agents() -> None:
    market = Market([Uniform(0, 1)] * 2, [Uniform(0, 1)] * 3, buyer_units=[2, 1])
    for w in ([1.0, 0.5], [0.3, 0.3]):
        out = market.bargain(w, [1.0, 0.8, 0.6])
        assert out.budget_surplus == pytest.approx(2 * out.welfare - out.expected_trades, abs=1e-10)
    fb = market.first_best()
    assert fb.budget_surplus == pytest.approx(2 * fb.welfare - fb.expected_trades, abs=1e-10)


@pytest.mark.parametrize("k", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_k_double_auction_equivalence(uniform_market: Market, k: float) -> None:
    out = uniform_market.bargain_delta(eq39(k))
    # weighted virtual-type coefficients of the linear equilibrium
    assert out.buyer_weight_ratios[0] == pytest.approx(2 * k / (1 + k), abs=1e-9)
    assert out.supplier_weight_ratios[0] == pytest.approx(2 * (1 - k) / (2 - k), abs=1e-9)
    # trade region v >= c (1 + k)/(2 - k) + (1 - k)/2 (Chatterjee-Samuelson linear equilibrium)
    slope, intercept = (1 + k) / (2 - k), (1 - k) / 2
    axis = np.linspace(0, 1, 61)
    v, c = (a.ravel() for a in np.meshgrid(axis, axis))
    off = np.abs(v - (intercept + slope * c)) > 1e-9
    bq, _ = uniform_market.allocate(v, c, out)
    assert np.array_equal((bq[:, 0] > 0.5)[off], (v >= intercept + slope * c)[off])
    # payoffs of the linear equilibrium: buyer E[(1 - v) 1{trade}], seller E[c 1{trade}] (information rents)
    c_max = (1 - intercept) / slope

    def region(fn):  # integrate fn(v, c) over {v >= intercept + slope c}
        return integrate.dblquad(lambda vv, cc: fn(vv, cc), 0, c_max, lambda cc: intercept + slope * cc, 1.0,
                                 epsabs=1e-13, epsrel=1e-12)[0]

    assert out.buyer_payoffs[0] == pytest.approx(region(lambda vv, cc: 1 - vv), abs=1e-9)
    assert out.supplier_payoffs[0] == pytest.approx(region(lambda vv, cc: cc), abs=1e-9)
    assert out.welfare == pytest.approx(region(lambda vv, cc: vv - cc), abs=1e-9)


def test_frontier_columns_and_symmetry(uniform_market: Market) -> None:
    frame = uniform_market.frontier(points=11)
    assert list(frame.columns[:5]) == ["delta", "buyer_payoff", "supplier_payoff", "welfare", "rho"]
    # uniform [0, 1] is symmetric under v <-> 1 - c: the frontier is symmetric in Delta
    np.testing.assert_allclose(frame["buyer_payoff"].to_numpy(), frame["supplier_payoff"].to_numpy()[::-1], atol=1e-10)
    assert frame["welfare"].max() == pytest.approx(9 / 64, abs=1e-10)
    # Delta = 1: buyer makes a take-it-or-leave-it offer (trade iff v >= 2c): u_B = 1/12, u_S = 1/24
    assert frame["buyer_payoff"].iloc[-1] == pytest.approx(1 / 12, abs=1e-10)
    assert frame["supplier_payoff"].iloc[-1] == pytest.approx(1 / 24, abs=1e-10)


def test_weights_for_inverts_frontier(uniform_market: Market) -> None:
    target = uniform_market.bargain_delta(0.37)
    found = uniform_market.weights_for(buyer_payoff=target.buyer_payoff)
    assert found.delta == pytest.approx(0.37, abs=1e-8)
    found = uniform_market.weights_for(supplier_payoff=target.supplier_payoff)
    assert found.delta == pytest.approx(0.37, abs=1e-8)
    with pytest.raises(InfeasibleProblemError):
        uniform_market.weights_for(buyer_payoff=0.2)
    with pytest.raises(InvalidParameterError):
        uniform_market.weights_for()


def test_interim_trades_uniform(uniform_market: Market) -> None:
    out = uniform_market.bargain([1.0], [1.0])
    v = np.linspace(0, 1, 11)
    # buyer trades iff c <= v - 1/4
    np.testing.assert_allclose(uniform_market.interim_trades(out, "buyer", 0, v), np.clip(v - 0.25, 0, 1), atol=1e-12)
    c = np.linspace(0, 1, 11)
    np.testing.assert_allclose(
        uniform_market.interim_trades(out, "supplier", 0, c), np.clip(0.75 - c, 0, 1), atol=1e-12
    )


# ------------------------------------------------------------------------------------------ shares, slack budget
def test_slack_budget_is_paid_to_max_weight_agents() -> None:
    # values always above costs: the first best trades always and runs a surplus when v_low > c_high.
    # v ~ U[1.5, 2.5], c ~ U[0, 1]: Phi(v) = 2v - 2.5, Gamma(c) = 2c, budget = E[2v - 2.5] - E[2c] = 0.5;
    # rents E[2.5 - v] = E[c] = 0.5; welfare E[v - c] = 1.5
    market = Market([Uniform(1.5, 2.5)], [Uniform(0.0, 1.0)])
    out = market.bargain([1.0], [1.0], shares=([0.25], [0.75]))
    assert not out.binding and out.rho == 1.0
    assert out.expected_trades == pytest.approx(1.0, abs=1e-12)
    assert out.budget_surplus == pytest.approx(0.5, abs=1e-12)
    assert out.buyer_payoffs[0] == pytest.approx(0.5 + 0.125, abs=1e-12)
    assert out.supplier_payoffs[0] == pytest.approx(0.5 + 0.375, abs=1e-12)
    assert out.welfare == pytest.approx(1.5, abs=1e-12)
    # a zero-weight supplier gets no share. With w_S = 0 trade happens iff v >= Gamma_0(c) = 2c, and the
    # buyer gets all the gains less the supplier's rent: E[v m - m^2] with m = min(v/2, 1), = 97/96
    out = market.bargain([1.0], [0.0])
    assert out.supplier_fixed_payments[0] == 0.0
    assert out.buyer_payoffs[0] == pytest.approx(97 / 96, abs=1e-12)
    with pytest.raises(InvalidParameterError):
        market.bargain([1.0], [0.5], shares=([0.5], [0.5]))


def test_zero_weight_is_slack_boundary(uniform_market: Market) -> None:
    # Delta = +-1: the budget at rho = 1 is exactly zero in theory; the solver must not bracket a root
    for delta in (-1.0, 1.0):
        out = uniform_market.bargain_delta(delta)
        assert out.rho == 1.0 and not out.binding
        assert abs(out.budget_surplus) < 1e-12


def test_weights_only_ratios_matter(uniform_market: Market) -> None:
    a = uniform_market.bargain([0.5], [0.25])
    b = uniform_market.bargain([1.0], [0.5])
    assert a.rho == pytest.approx(b.rho, abs=1e-14)
    np.testing.assert_allclose(a.buyer_payoffs, b.buyer_payoffs, atol=1e-14)
    np.testing.assert_allclose(a.buyer_weights, [1.0])


# ------------------------------------------------------------------------------------------ cross-checks
def test_common_preference_equals_scaled_buyer() -> None:
    # theta_j = t for all j is a buyer with value t v: Market([U(0,1)], ..., theta=t) == Market([U(0,t)], ...)
    suppliers = [Uniform(0.0, 1.0), Uniform(0.1, 0.9), Uniform(0.0, 1.2)]
    a = Market([Uniform(0.0, 1.0)], suppliers, buyer_units=[2], preferences=[1.5, 1.5, 1.5]).bargain([0.7], [1.0, 0.9, 1.0])
    b = Market([Uniform(0.0, 1.5)], suppliers, buyer_units=[2]).bargain([0.7], [1.0, 0.9, 1.0])
    assert a.rho == pytest.approx(b.rho, abs=1e-10)
    np.testing.assert_allclose(a.buyer_payoffs, b.buyer_payoffs, atol=1e-10)
    np.testing.assert_allclose(a.supplier_payoffs, b.supplier_payoffs, atol=1e-10)
    assert a.welfare == pytest.approx(b.welfare, abs=1e-10)


def test_two_dimensional_path_matches_closed_form() -> None:
    # the heterogeneous-theta engine (2-D quadrature) on a market where theta is common
    suppliers = [Uniform(0.0, 1.0), Uniform(0.2, 1.1)]
    market = Market([Uniform(0.0, 1.0)], suppliers, buyer_units=[1], preferences=[1.3, 1.3])
    closed = market.bargain([1.0], [0.8, 1.0])
    market._engine.common_theta = False  # force the 2-D path
    twod = market.bargain([1.0], [0.8, 1.0])
    assert twod.rho == pytest.approx(closed.rho, abs=1e-9)
    np.testing.assert_allclose(twod.supplier_payoffs, closed.supplier_payoffs, atol=1e-9)
    np.testing.assert_allclose(twod.buyer_payoffs, closed.buyer_payoffs, atol=1e-9)


def test_mirror_symmetry_one_supplier_many_buyers() -> None:
    # v -> 1 - v and c -> 1 - c swap the sides of a uniform [0, 1] market (and the weights)
    a = Market([Uniform(0, 1)], [Uniform(0, 1)] * 3, buyer_units=[2]).bargain([0.6], [1.0, 0.9, 0.8])
    b = Market([Uniform(0, 1)] * 3, [Uniform(0, 1)], supplier_units=[2]).bargain([1.0, 0.9, 0.8], [0.6])
    assert a.rho == pytest.approx(b.rho, abs=1e-10)
    np.testing.assert_allclose(a.buyer_payoffs, b.supplier_payoffs, atol=1e-10)
    np.testing.assert_allclose(a.supplier_payoffs, b.buyer_payoffs, atol=1e-10)


# ------------------------------------------------------------------------------------------ appendix C.1
def test_participation_costs_bilateral_closed_form() -> None:
    # symmetric weights, uniform: trade iff v - c >= kappa; budget (1 - kappa)^2 (4 kappa - 1) / 6 must equal x
    x_b, x_s = 0.004, 0.006
    market = Market([Uniform(0, 1)], [Uniform(0, 1)], buyer_participation_costs=[x_b], supplier_participation_costs=[x_s])
    out = market.bargain([1.0], [1.0])
    kappa = optimize.brentq(lambda k: (1 - k) ** 2 * (4 * k - 1) / 6 - (x_b + x_s), 0.25, 0.5, xtol=1e-15)
    a = (1 - 2 * kappa) / (1 - kappa)  # kappa = (1 - a) / (2 - a)
    assert 1 / out.rho == pytest.approx(a, abs=1e-9)
    rent = (1 - kappa) ** 3 / 6  # E[(1 - v) 1{v - c >= kappa}]
    assert out.buyer_payoffs[0] == pytest.approx(rent, abs=1e-9)
    assert out.supplier_payoffs[0] == pytest.approx(rent, abs=1e-9)
    np.testing.assert_allclose(out.buyer_fixed_payments, [x_b], atol=1e-12)
    with pytest.raises(InfeasibleProblemError):
        Market([Uniform(0, 1)], [Uniform(0, 1)], buyer_participation_costs=[0.1]).bargain([1.0], [1.0])


def test_outside_options_shift_supports() -> None:
    shifted = Market([Uniform(0, 1)], [Uniform(0, 1)], supplier_outside_options=[0.2], buyer_outside_options=[0.1])
    direct = Market([Uniform(-0.1, 0.9)], [Uniform(0.2, 1.2)])
    a, b = shifted.bargain([1.0], [0.7]), direct.bargain([1.0], [0.7])
    assert a.rho == pytest.approx(b.rho, abs=1e-11)
    np.testing.assert_allclose(a.supplier_payoffs, b.supplier_payoffs, atol=1e-11)
    assert shifted.suppliers[0].low == pytest.approx(0.2)


# ------------------------------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize(
    "weights",
    [([1.2], [1.0]), ([-0.1], [1.0]), ([0.0], [0.0]), ([float("nan")], [1.0]), ([1.0, 1.0], [1.0]), (["a"], [1.0])],
)
def test_bad_weights(uniform_market: Market, weights: tuple) -> None:
    with pytest.raises(InvalidWeightError):
        uniform_market.bargain(*weights)


def test_bad_markets() -> None:
    with pytest.raises(SupportError):
        Market([Uniform(0, 1)], [Uniform(1, 2)])  # no gains from trade
    with pytest.raises(InvalidParameterError):
        Market([], [Uniform(0, 1)])
    with pytest.raises(InvalidParameterError):
        Market([Uniform(0, 1)], [Uniform(0, 1)], buyer_units=[0])
    with pytest.raises(InvalidParameterError):
        Market([Uniform(0, 1)], [Uniform(0, 1)], buyer_units=[1.5])
    with pytest.raises(InvalidParameterError):
        Market([Uniform(0, 1)] * 2, [Uniform(0, 1)], preferences=[1.0])  # theta needs one buyer
    with pytest.raises(InvalidParameterError):
        Market([Uniform(0, 1)], [Uniform(0, 1)] * 2, preferences=[1.0, -1.0])
    with pytest.raises(InvalidParameterError):
        Market([Uniform(0, 1)], [Uniform(0, 1)] * 2, buyer_units=[2], discounts=[0.1, 0.2])  # delta_1 != 0
    with pytest.raises(InvalidParameterError):
        Market([Uniform(0, 1)], [Uniform(0, 1)], method="magic")
    with pytest.raises(InvalidParameterError):
        Market(["not a distribution"], [Uniform(0, 1)])
    with pytest.raises(InvalidParameterError):
        Market([Uniform(0, 1)], [Uniform(0, 1)], supplier_participation_costs=[-1.0])


def test_bad_allocate_inputs(uniform_market: Market) -> None:
    out = uniform_market.bargain([1.0], [1.0])
    with pytest.raises(InvalidParameterError):
        uniform_market.allocate([[0.5, 0.5]], [[0.5]], out)
    with pytest.raises(InvalidParameterError):
        uniform_market.allocate([[float("nan")]], [[0.5]], out)
    with pytest.raises(InvalidParameterError):
        uniform_market.allocate([[1.5]], [[0.5]], out)
    with pytest.raises(BargainingError):
        uniform_market.interim_trades(out, "middleman")


def test_huge_frontier_is_refused_before_allocating(uniform_market):
    # found writing the property suite: frontier(points=10**9) went on to allocate a grid of 10**9 points (8 GB)
    from bargaining.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="points") as info:
        uniform_market.frontier(points=10**9)
    assert "points=" in info.value.hint
