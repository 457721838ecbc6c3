"""The mechanism's quadrature against large simulations, and the quasi-Monte Carlo path against quadrature.

For each market the outcome's expected trades, welfare E[sum v Q_B - sum c Q_S], budget surplus
E[sum Phi_0(v) Q_B - sum Gamma_0(c) Q_S] and payoffs (information rents) are recomputed as sample means over
200,000 seeded draws of the types, and must agree within 4 Monte Carlo standard errors. In the one-to-one
market the allocation rule is written out in this file; elsewhere the draws go through ``Market.allocate``
(the pointwise Lemma 1 rule), so the check is on the integration, not on the rule.
"""

from __future__ import annotations

import numpy as np
import pytest

from bargaining.models.distributions import Beta, Uniform
from bargaining.models.mechanism import Market

DRAWS = 200_000


def simulated(market: Market, outcome, quantities=None, seed: int = 99) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(seed)
    v = np.column_stack([d.sample(DRAWS, seed=rng) for d in market.buyers])
    c = np.column_stack([d.sample(DRAWS, seed=rng) for d in market.suppliers])
    qb, qs = quantities(v, c) if quantities else market.allocate(v, c, outcome)
    phi0 = np.column_stack([d.raw_virtual_value(v[:, i], 0.0) for i, d in enumerate(market.buyers)])
    gamma0 = np.column_stack([d.raw_virtual_cost(c[:, j], 0.0) for j, d in enumerate(market.suppliers)])
    if market.preferences is not None and len(market.buyers) == 1:
        # one buyer valuing supplier j's unit at theta_j v (appendix C.2): scale the units bought by theta
        qb_value = (qs * np.asarray(market.preferences, dtype=float)).sum(axis=1, keepdims=True)
    else:
        qb_value = qb
    series = {
        "trades": qb.sum(axis=1),
        "welfare": (v * qb_value).sum(axis=1) - (c * qs).sum(axis=1),
        "budget": (phi0 * qb_value).sum(axis=1) - (gamma0 * qs).sum(axis=1),
        "buyer_rent": ((v - phi0) * qb_value).sum(axis=1),
        "supplier_rent": ((gamma0 - c) * qs).sum(axis=1),
    }
    return {k: (float(x.mean()), float(x.std(ddof=1) / np.sqrt(DRAWS))) for k, x in series.items()}


def assert_agrees(outcome, sim: dict[str, tuple[float, float]]) -> None:
    paid_b, paid_s = float(np.sum(outcome.buyer_fixed_payments)), float(np.sum(outcome.supplier_fixed_payments))
    expected = {
        "trades": outcome.expected_trades,
        "welfare": outcome.welfare,
        "budget": outcome.budget_surplus,
        "buyer_rent": outcome.buyer_payoff - paid_b,
        "supplier_rent": outcome.supplier_payoff - paid_s,
    }
    for name, value in expected.items():
        mean, se = sim[name]
        assert abs(value - mean) <= 4 * se + outcome.accuracy, f"{name}: quadrature {value}, simulation {mean} +- {se}"


def test_one_to_one_beta_with_the_rule_written_here():
    market = Market([Beta(2, 3)], [Beta(3, 2)])
    outcome = market.bargain([1.0], [0.6])
    a, b = float(outcome.buyer_weight_ratios[0]), float(outcome.supplier_weight_ratios[0])
    buyer, supplier = market.buyers[0], market.suppliers[0]

    def rule(v: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Beta(2, 3) and Beta(3, 2) are regular: no ironing, trade iff Phi_a(v) >= Gamma_b(c)
        fv, fc = buyer.pdf(v[:, 0]), supplier.pdf(c[:, 0])
        phi = v[:, 0] - (1 - a) * (1 - buyer.cdf(v[:, 0])) / fv
        gamma = c[:, 0] + (1 - b) * supplier.cdf(c[:, 0]) / fc
        trade = (phi >= gamma).astype(float)[:, None]
        return trade, trade

    assert_agrees(outcome, simulated(market, outcome, rule))


@pytest.mark.parametrize(
    "make",
    [
        lambda: (Market([Uniform()], [Uniform()] * 3, buyer_units=[2], supplier_units=[1, 2, 1]), [1.0], [0.8] * 3),
        lambda: (
            Market([Beta(2, 3), Uniform()], [Uniform(), Beta(3, 2)], buyer_units=[1, 2], supplier_units=[2, 1]),
            [1.0, 0.7],
            [0.9, 1.0],
        ),
        lambda: (Market([Uniform()], [Uniform(0, 0.8), Uniform()], preferences=[1.5, 1.0]), [0.5], [1.0, 1.0]),
        # densities vanishing at support ends make virtual types infinite there (a NaN regression)
        lambda: (
            Market([Beta(2, 1)], [Uniform(), Beta(1, 2), Uniform()], preferences=[1.0, 1.0, 2.0]),
            [0.0],
            [0.0, 0.0, 1.0],
        ),
    ],
    ids=["one-buyer-multi-unit", "two-by-two", "preferences", "vanishing-densities"],
)
def test_quadrature_agrees_with_simulation(make):
    market, wb, ws = make()
    outcome = market.bargain(wb, ws)
    assert outcome.method == "quadrature"
    assert_agrees(outcome, simulated(market, outcome))


def test_qmc_error_estimate_is_honest_and_reproducible():
    buyers, suppliers = [Beta(2, 3), Uniform()], [Uniform(), Beta(3, 2), Uniform(0.1, 0.9)]
    exact = Market(buyers, suppliers).bargain([1.0, 0.8], [0.9, 1.0, 0.7])
    qmc_market = Market(buyers, suppliers, method="qmc", qmc_points=2**13, qmc_replicates=16, seed=7)
    first = qmc_market.bargain([1.0, 0.8], [0.9, 1.0, 0.7])
    again = Market(buyers, suppliers, method="qmc", qmc_points=2**13, qmc_replicates=16, seed=7).bargain(
        [1.0, 0.8], [0.9, 1.0, 0.7]
    )
    assert first.method == "qmc" and exact.method == "quadrature"
    assert first.rho == again.rho and first.welfare == again.welfare
    assert 0 < first.accuracy < 1e-2
    # quadrature is exact to ~1e-12 here, so the difference is the QMC error; 4 x its estimate bounds it
    for name in ("welfare", "expected_trades", "buyer_payoff", "supplier_payoff"):
        assert abs(getattr(first, name) - getattr(exact, name)) <= 4 * first.accuracy, name
    assert abs(first.rho - exact.rho) < 0.05
