"""Bilateral trade: k-double auction, eq. 38/39, posted prices, Myerson-Satterthwaite.

Independent truths: closed forms worked by hand (written here, not taken from the code), best-response checks
of the equilibrium strategies by numerical optimization, scipy quadrature of the defining integrals, and
Monte Carlo with fixed seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from bargaining.errors import BargainingError, InvalidParameterError, SupportError
from bargaining.models.bilateral import (
    delta_from_k,
    k_double_auction,
    k_from_delta,
    myerson_satterthwaite,
    posted_price,
    random_posted_price,
    rho_from_delta,
    uniform_trade_threshold,
)

K_GRID = [0.0, 0.25, 0.5, 0.75, 1.0]


class ScipyDist:
    """Minimal stand-in for a type distribution (only what bilateral.py reads), built on scipy."""

    def __init__(self, frozen, low: float, high: float) -> None:
        self.frozen, self.low, self.high, self.breakpoints = frozen, low, high, ()

    def cdf(self, x):
        return self.frozen.cdf(x)

    def pdf(self, x):
        return self.frozen.pdf(x)

    def sample(self, n, rng):
        return self.frozen.rvs(size=n, random_state=rng)


def uniform(low=0.0, high=1.0) -> ScipyDist:
    return ScipyDist(stats.uniform(loc=low, scale=high - low), low, high)


BETA23 = ScipyDist(stats.beta(2, 3), 0.0, 1.0)
BETA32 = ScipyDist(stats.beta(3, 2), 0.0, 1.0)


# ------------------------------------------------------------------------------------------ k-double auction
def buyer_expected_payoff(k: float, v: float, bid: float) -> float:
    """Buyer's payoff from ``bid`` against the seller's linear ask s(c) = (1 - k)/2 + c/(2 - k), c ~ U[0, 1]."""
    c_star = min(max((bid - (1 - k) / 2) * (2 - k), 0.0), 1.0)
    return integrate.quad(lambda c: v - k * bid - (1 - k) * ((1 - k) / 2 + c / (2 - k)), 0.0, c_star)[0]


def seller_expected_payoff(k: float, c: float, ask: float) -> float:
    """Seller's payoff from ``ask`` against the buyer's linear bid b(v) = v/(1 + k) + k(1 - k)/(2(1 + k))."""
    v_star = min(max((ask - k * (1 - k) / (2 * (1 + k))) * (1 + k), 0.0), 1.0)
    return integrate.quad(
        lambda v: k * (v / (1 + k) + k * (1 - k) / (2 * (1 + k))) + (1 - k) * ask - c, v_star, 1.0
    )[0]


@pytest.mark.parametrize("k", [0.25, 0.5, 0.75])
def test_linear_strategies_are_mutual_best_responses(k):
    auction = k_double_auction(k)
    for v in (0.45, 0.7, 0.95):  # types that trade with positive probability
        best = optimize.minimize_scalar(
            lambda b, v=v: -buyer_expected_payoff(k, v, b),
            bounds=(0, 1),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert auction.buyer_bid(v) == pytest.approx(best.x, abs=1e-6)
    for c in (0.05, 0.3, 0.6):
        best = optimize.minimize_scalar(
            lambda s, c=c: -seller_expected_payoff(k, c, s),
            bounds=(0, 1),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert auction.seller_ask(c) == pytest.approx(best.x, abs=1e-6)


def test_strategies_at_the_extremes_are_take_it_or_leave_it_offers():
    # k = 1: the buyer's bid is the price; he offers v/2 (monopsony price against U[0,1]); the seller asks c
    a1 = k_double_auction(1.0)
    assert a1.buyer_bid(0.8) == pytest.approx(0.4) and a1.seller_ask(0.3) == pytest.approx(0.3)
    # k = 0: the seller's ask is the price; she asks (1 + c)/2; the buyer bids v
    a0 = k_double_auction(0.0)
    assert a0.buyer_bid(0.8) == pytest.approx(0.8) and a0.seller_ask(0.3) == pytest.approx(0.65)


def test_price_and_trade_rule_by_hand():
    a = k_double_auction(0.5)
    # b(0.9) = 0.9/1.5 + 1/12, s(0.2) = 0.2/1.5 + 1/4; price is their average
    assert a.price(0.9, 0.2) == pytest.approx((0.6 + 1 / 12 + 0.2 / 1.5 + 0.25) / 2, abs=1e-15)
    assert math.isnan(a.price(0.3, 0.2))  # v - c = 0.1 < 1/4
    assert a.trades(0.5, 0.25) and not a.trades(0.5, 0.2500001)  # boundary v = c + 1/4
    v, c = np.meshgrid(np.linspace(0, 1, 41), np.linspace(0, 1, 41))
    for k in K_GRID:
        expected = v >= c * (1 + k) / (2 - k) + (1 - k) / 2 - 1e-12
        got = k_double_auction(k).trades(v, c)
        boundary = np.isclose(v, c * (1 + k) / (2 - k) + (1 - k) / 2, atol=1e-12)
        assert np.array_equal(got[~boundary], expected[~boundary])
        prices = k_double_auction(k).price(v, c)
        assert np.array_equal(np.isnan(prices), ~got)


@pytest.mark.parametrize("k", K_GRID + [0.1, 0.6, 0.9])
def test_expected_quantities_match_hand_closed_forms(k):
    a = k_double_auction(k)
    assert a.trade_probability == pytest.approx((1 + k) * (2 - k) / 8, abs=1e-14)
    assert a.gains_from_trade == pytest.approx((1 + k) * (2 - k) / 16, abs=1e-14)
    assert a.buyer_payoff == pytest.approx((1 + k) ** 2 * (2 - k) / 48, abs=1e-14)
    assert a.seller_payoff == pytest.approx((1 + k) * (2 - k) ** 2 / 48, abs=1e-14)


def test_second_best_numbers_at_k_one_half():
    a = k_double_auction(0.5)
    assert a.gains_from_trade == pytest.approx(9 / 64, abs=1e-15)
    assert a.trade_probability == pytest.approx(9 / 32, abs=1e-15)
    assert a.mean_price == pytest.approx(0.5, abs=1e-14)  # symmetry


@pytest.mark.parametrize("k", [0.3, 0.8])
def test_expectations_against_dblquad(k):
    a = k_double_auction(k)
    lo = lambda c: min(1.0, c * (1 + k) / (2 - k) + (1 - k) / 2)

    def expect(fn):
        return integrate.dblquad(lambda v, c: fn(v, c), 0, 1, lo, lambda c: 1.0, epsabs=1e-12, epsrel=1e-12)[
            0
        ]

    def price(v, c):
        b = v / (1 + k) + k * (1 - k) / (2 * (1 + k))
        s = c / (2 - k) + (1 - k) / 2
        return k * b + (1 - k) * s

    p_trade = expect(lambda v, c: 1.0)
    assert a.trade_probability == pytest.approx(p_trade, abs=1e-10)
    assert a.gains_from_trade == pytest.approx(expect(lambda v, c: v - c), abs=1e-10)
    assert a.buyer_payoff == pytest.approx(expect(lambda v, c: v - price(v, c)), abs=1e-10)
    assert a.seller_payoff == pytest.approx(expect(lambda v, c: price(v, c) - c), abs=1e-10)
    assert a.mean_price == pytest.approx(expect(price) / p_trade, abs=1e-10)
    assert a.mean_price_squared == pytest.approx(expect(lambda v, c: price(v, c) ** 2) / p_trade, abs=1e-10)


def test_expectations_against_monte_carlo():
    rng = np.random.default_rng(20240501)
    n = 200_000
    v, c = rng.uniform(size=n), rng.uniform(size=n)
    for k in (0.2, 0.65):
        a = k_double_auction(k)
        price = a.price(v, c)
        traded = ~np.isnan(price)
        samples = {
            "trade_probability": traded.astype(float),
            "buyer_payoff": np.where(traded, v - np.nan_to_num(price), 0.0),
            "seller_payoff": np.where(traded, np.nan_to_num(price) - c, 0.0),
            "gains_from_trade": np.where(traded, v - c, 0.0),
        }
        for name, x in samples.items():
            se = x.std(ddof=1) / math.sqrt(n)
            assert abs(x.mean() - getattr(a, name)) < 4 * se, name
        se_price = price[traded].std(ddof=1) / math.sqrt(traded.sum())
        assert abs(price[traded].mean() - a.mean_price) < 4 * se_price


def test_k_double_auction_rejects_bad_input():
    with pytest.raises(InvalidParameterError):
        k_double_auction(1.2)
    with pytest.raises(InvalidParameterError):
        k_double_auction(float("nan"))
    a = k_double_auction(0.5)
    with pytest.raises(InvalidParameterError):
        a.price(np.array([0.5, np.nan]), 0.1)
    with pytest.raises(InvalidParameterError):
        a.trades(1.5, 0.1)


# ------------------------------------------------------------------------------------------- eq. 38 and 39
def budget_root_rho(delta: float) -> float:
    """rho from the budget condition E[(2v - 1 - 2c) 1{Phi_a(v) >= Gamma_b(c)}] = 0 solved by brentq (no eq. 38).

    Uniform types: Phi_a(v) = v - (1 - a)(1 - v), Gamma_b(c) = (2 - b) c with a = w_B/rho, b = w_S/rho.
    """
    w_b, w_s = (1.0, 1.0 - delta) if delta >= 0 else (1.0 + delta, 1.0)

    def budget(rho):
        a, b = w_b / rho, w_s / rho

        def inner(v):  # integral over c in [0, c_max(v)] of 2v - 1 - 2c
            c_max = min(max((v - (1 - a) * (1 - v)) / (2 - b), 0.0), 1.0)
            return (2 * v - 1) * c_max - c_max**2

        return integrate.quad(inner, 0, 1, epsabs=1e-14, epsrel=1e-13, limit=200)[0]

    return optimize.brentq(budget, 1.0 + 1e-12, 3.0, xtol=1e-14, rtol=1e-14)


@pytest.mark.parametrize("delta", [-0.9, -0.5, -0.1, 0.0, 0.3, 0.7, 0.95])
def test_rho_from_delta_matches_budget_root_and_eq38(delta):
    assert rho_from_delta(delta) == pytest.approx(budget_root_rho(delta), abs=1e-9)
    d = abs(delta)
    eq38 = 3 * (1 - d) / (4 - 2 * d - 2 * math.sqrt(1 - d + d * d))
    assert rho_from_delta(delta) == pytest.approx(eq38, rel=1e-12)


def test_rho_from_delta_end_points_and_symmetric_point():
    assert rho_from_delta(0.0) == pytest.approx(1.5, abs=1e-15)
    assert rho_from_delta(1.0) == 1.0 and rho_from_delta(-1.0) == 1.0
    assert rho_from_delta(1 - 1e-12) == pytest.approx(1.0, abs=1e-11)  # no 0/0 near the ends
    np.testing.assert_allclose(rho_from_delta([-0.4, 0.4]), [rho_from_delta(0.4)] * 2)


def test_delta_from_k_end_points_and_weight_ratios():
    assert delta_from_k(0.0) == -1.0 and delta_from_k(1.0) == 1.0 and delta_from_k(0.5) == 0.0
    for k in np.linspace(0, 1, 21):
        # weight ratios implied by the k-double auction's trade boundary (economics notes)
        x_b, x_s = 2 * k / (1 + k), 2 * (1 - k) / (2 - k)
        assert delta_from_k(k) == pytest.approx((x_b - x_s) / max(x_b, x_s), abs=1e-14)
        assert k_from_delta(delta_from_k(k)) == pytest.approx(k, abs=1e-13)


@pytest.mark.parametrize("k", K_GRID)
def test_k_double_auction_trade_rule_is_loertscher_marx_at_delta_k(k):
    delta = delta_from_k(k)
    c = np.linspace(0, 1, 101)
    # threshold from the budget-root rho (independent of eq. 38)
    w_b, w_s = (1.0, 1.0 - delta) if delta >= 0 else (1.0 + delta, 1.0)
    rho = budget_root_rho(delta) if abs(delta) < 1 else 1.0
    a, b = w_b / rho, w_s / rho
    independent = ((2 - b) * c + 1 - a) / (2 - a)
    auction_boundary = c * (1 + k) / (2 - k) + (1 - k) / 2
    np.testing.assert_allclose(independent, auction_boundary, atol=1e-8)
    np.testing.assert_allclose(uniform_trade_threshold(delta, c), auction_boundary, atol=1e-12)


# ------------------------------------------------------------------------------------------------ posted prices
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_posted_price_uniform_closed_forms(p):
    m = posted_price(p, uniform(), uniform())
    assert m.trade_probability == pytest.approx(p * (1 - p), abs=1e-14)
    assert m.buyer_payoff == pytest.approx(p * (1 - p) ** 2 / 2, abs=1e-12)
    assert m.seller_payoff == pytest.approx((1 - p) * p**2 / 2, abs=1e-12)
    assert m.gains_from_trade == pytest.approx(p * (1 - p) / 2, abs=1e-12)
    assert m.accuracy < 1e-10


def test_posted_price_outside_the_supports():
    # value U[1, 2], cost U[0, 1]: at p = 0.5 every buyer trades with sellers below 0.5
    m = posted_price(0.5, uniform(1, 2), uniform(0, 1))
    assert m.trade_probability == pytest.approx(0.5)
    assert m.buyer_payoff == pytest.approx(0.5 * (1.5 - 0.5))  # G(p) E[v - p]
    assert m.seller_payoff == pytest.approx(0.5 * 0.25)  # E[(p - c)^+]
    high = posted_price(3.0, uniform(1, 2), uniform(0, 1))
    assert high.trade_probability == 0.0 and high.buyer_payoff == 0.0


def test_posted_price_against_monte_carlo_with_beta_types():
    rng = np.random.default_rng(7)
    n = 200_000
    v, c = BETA32.sample(n, rng), BETA23.sample(n, rng)
    m = posted_price(0.45, BETA32, BETA23)
    trade = m.trades(v, c)
    for name, x in {
        "trade_probability": trade.astype(float),
        "buyer_payoff": np.where(trade, v - 0.45, 0.0),
        "seller_payoff": np.where(trade, 0.45 - c, 0.0),
    }.items():
        assert abs(x.mean() - getattr(m, name)) < 4 * x.std(ddof=1) / math.sqrt(n), name
    assert np.array_equal(np.isnan(m.price(v, c)), ~trade)


def test_random_posted_price_averages_and_draws():
    r = random_posted_price([0.3, 0.6], [0.25, 0.75], uniform(), uniform())
    assert r.gains_from_trade == pytest.approx(0.25 * 0.3 * 0.7 / 2 + 0.75 * 0.6 * 0.4 / 2, abs=1e-12)
    assert r.trade_probability == pytest.approx(0.25 * 0.21 + 0.75 * 0.24, abs=1e-14)
    assert r.mean_price == pytest.approx((0.25 * 0.21 * 0.3 + 0.75 * 0.24 * 0.6) / r.trade_probability)
    rng = np.random.default_rng(3)
    v, c = rng.uniform(size=100_000), rng.uniform(size=100_000)
    p1, p2 = r.price(v, c, seed=11), r.price(v, c, seed=11)
    assert np.array_equal(p1, p2, equal_nan=True)  # reproducible
    traded = ~np.isnan(p1)
    assert abs(traded.mean() - r.trade_probability) < 4 * traded.std() / math.sqrt(v.size)
    with pytest.raises(InvalidParameterError):
        random_posted_price([0.3, 0.6], [0.5, 0.6], uniform(), uniform())


def test_k_one_half_beats_every_randomization_over_posted_prices():
    # a randomization's gains are an average of p(1 - p)/2 <= 1/8 < 9/64: the BIC "posted prices" claim fails
    best_posted = max(posted_price(p, uniform(), uniform()).gains_from_trade for p in np.linspace(0, 1, 101))
    assert best_posted == pytest.approx(1 / 8, abs=1e-12)
    assert k_double_auction(0.5).gains_from_trade > best_posted + 0.015


# ------------------------------------------------------------------------------------------ Myerson-Satterthwaite
def test_myerson_satterthwaite_uniform_closed_forms():
    ms = myerson_satterthwaite(uniform(), uniform())
    assert ms.first_best_gains == pytest.approx(1 / 6, abs=1e-12)
    assert ms.first_best_trade_probability == pytest.approx(1 / 2, abs=1e-12)
    assert ms.deficit == pytest.approx(1 / 6, abs=1e-12)  # int_0^1 x (1 - x) dx
    assert ms.first_best_budget_surplus == pytest.approx(-1 / 6, abs=1e-12)
    assert ms.accuracy < 1e-9


def test_myerson_satterthwaite_beta_types_against_dblquad_and_simulation():
    f, g = BETA32, BETA23
    ms = myerson_satterthwaite(f, g)

    def expect(fn):  # over v >= c
        return integrate.dblquad(
            lambda c, v: fn(v, c) * f.pdf(v) * g.pdf(c), 0, 1, 0, lambda v: v, epsabs=1e-12, epsrel=1e-10
        )[0]

    assert ms.first_best_gains == pytest.approx(expect(lambda v, c: v - c), abs=1e-9)
    assert ms.first_best_trade_probability == pytest.approx(expect(lambda v, c: 1.0), abs=1e-9)
    # deficit = -E[(Phi(v) - Gamma(c)) 1{v >= c}] (payoff equivalence), with the raw virtual types
    phi = lambda v: v - f.frozen.sf(v) / f.pdf(v) if v < 1 else 1.0
    gamma = lambda c: c + g.cdf(c) / g.pdf(c) if c > 0 else 0.0
    assert ms.deficit == pytest.approx(-expect(lambda v, c: phi(v) - gamma(c)), abs=1e-7)
    # simulate the VCG-style payments: buyer pays c, seller receives v (supports coincide)
    rng = np.random.default_rng(11)
    v, c = f.sample(200_000, rng), g.sample(200_000, rng)
    x = np.where(v >= c, v - c, 0.0)
    assert abs(x.mean() - ms.deficit) < 4 * x.std(ddof=1) / math.sqrt(v.size)


def test_no_deficit_when_lowest_value_exceeds_highest_cost():
    ms = myerson_satterthwaite(uniform(1, 2), uniform(0, 1))
    assert ms.deficit == 0.0
    assert ms.first_best_gains == pytest.approx(1.0, abs=1e-10)  # E[v - c] = 1.5 - 0.5
    assert ms.first_best_trade_probability == pytest.approx(1.0, abs=1e-12)
    # partially overlapping supports: v ~ U[0.5, 1.5], c ~ U[0, 1]; deficit = int_{0.5}^{1} x (1.5 - x) dx
    ms2 = myerson_satterthwaite(uniform(0.5, 1.5), uniform(0, 1))
    assert ms2.deficit == pytest.approx((1.5 / 2 * (1 - 0.25)) - (1 - 0.125) / 3, abs=1e-12)
    with pytest.raises(SupportError):
        myerson_satterthwaite(uniform(0, 1), uniform(2, 3))


def test_defaults_and_second_best_with_package_distributions():
    ms = myerson_satterthwaite()
    assert ms.deficit == pytest.approx(1 / 6, abs=1e-12)
    assert posted_price(0.5).gains_from_trade == pytest.approx(1 / 8, abs=1e-12)
    second = ms.second_best()
    assert second.rho == pytest.approx(1.5, abs=1e-8)
    assert second.welfare == pytest.approx(9 / 64, abs=1e-8)
    assert second.expected_trades == pytest.approx(9 / 32, abs=1e-8)


def test_errors_are_package_errors():
    with pytest.raises(BargainingError):
        rho_from_delta(1.5)
    with pytest.raises(BargainingError):
        delta_from_k(-0.1)
    with pytest.raises(BargainingError):
        posted_price(float("inf"), uniform(), uniform())
