"""Independent checks of the Nash-in-Nash merger equilibria and their calibration.

Shares, removal shares and gains are recomputed here from utilities by brute force (exp / sum), never through
the package's formulas.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from bargaining import LogitDemand, NashInNashMarket, calibrate_market
from bargaining.errors import (
    IdentificationError,
    InfeasibleProblemError,
    InvalidParameterError,
    InvalidWeightError,
)
from bargaining.models.merger import equations as eq


def brute_shares(delta: np.ndarray, alpha: float, prices: np.ndarray, available: np.ndarray | None = None,
                 outside: bool = True) -> np.ndarray:
    expv = np.exp(delta - alpha * prices)
    if available is not None:
        expv = np.where(available, expv, 0.0)
    return expv / (expv.sum() + (1.0 if outside else 0.0))


def test_two_product_first_order_conditions_by_hand() -> None:
    alpha, delta, cost, beta = 0.8, np.array([1.5, 1.0]), np.array([1.0, 0.6]), 0.35
    market = NashInNashMarket(LogitDemand(alpha, delta), seller=["A", "B"], marginal_cost=cost, seller_weight=beta)
    p = market.equilibrium()["price"].to_numpy()
    s = brute_shares(delta, alpha, p)
    for j in range(2):
        margin = p[j] - cost[j]
        wtp = -np.log(1 - s[j]) / alpha                 # consumers' gain: CS drop when j leaves
        seller_gain = s[j] * margin                     # single-product seller: no recapture
        d_gain = s[j] - alpha * s[j] * (1 - s[j]) * margin
        d_wtp = -s[j]
        foc = beta * wtp * d_gain + (1 - beta) * seller_gain * d_wtp
        assert abs(foc) < 1e-10

    # the same two products owned by one seller: the seller recaptures product 2's sales when 1 is dropped
    joint = NashInNashMarket(LogitDemand(alpha, delta), seller=["A", "A"], marginal_cost=cost, seller_weight=beta)
    p = joint.equilibrium()["price"].to_numpy()
    s = brute_shares(delta, alpha, p)
    m = p - cost
    for j, k in ((0, 1), (1, 0)):
        without = brute_shares(delta, alpha, p, available=np.arange(2) != j)
        gain = s[j] * m[j] + s[k] * m[k] - without[k] * m[k]
        d_gain = s[j] - alpha * s[j] * (1 - s[j]) * m[j] + alpha * s[j] * s[k] * m[k]  # without[k] is free of p_j
        foc = beta * (-np.log(1 - s[j]) / alpha) * d_gain + (1 - beta) * gain * (-s[j])
        assert abs(foc) < 1e-10
    assert np.all(p > market.equilibrium()["price"].to_numpy())   # the merger raises both prices


@pytest.mark.parametrize("outside", [True, False])
def test_sellers_and_consumers_brute_force_nash_product(outside: bool) -> None:
    alpha = 0.5
    delta = np.array([1.0, 0.4, 0.0, 0.8])
    cost = np.array([1.0, 2.0, 1.5, 0.5])
    beta = np.array([0.3, 0.6, 0.6, 0.9])
    owners = np.array(["A", "B", "B", "C"])
    demand = LogitDemand(alpha, delta) if outside else LogitDemand(alpha, delta, normalize=2)
    market = NashInNashMarket(demand, seller=owners, marginal_cost=cost, seller_weight=beta)
    solution = market.solve()
    assert solution.converged and solution.residual < 1e-9
    p = solution.price

    def log_nash_product(j: int, pj: float) -> float:
        q = p.copy()
        q[j] = pj
        every = np.ones(4, dtype=bool)
        without_j = np.arange(4) != j
        s_all = brute_shares(delta, alpha, q, outside=outside)
        s_without = brute_shares(delta, alpha, q, available=without_j, outside=outside)
        mine = owners == owners[j]
        profit = np.sum((s_all * (q - cost))[mine])
        profit_without = np.sum((s_without * (q - cost))[mine & without_j])
        log_all = np.log(np.sum(np.exp(delta - alpha * q)[every]) + outside)
        log_without = np.log(np.sum(np.exp(delta - alpha * q)[without_j]) + outside)
        wtp = (log_all - log_without) / alpha
        gain = profit - profit_without
        if gain <= 0:
            return np.inf
        return -(beta[j] * np.log(gain) + (1 - beta[j]) * np.log(wtp))

    for j in range(4):
        best = minimize_scalar(lambda x, j=j: log_nash_product(j, x), bounds=(cost[j] - 5, cost[j] + 30),
                               method="bounded", options={"xatol": 1e-10})
        assert best.x == pytest.approx(p[j], rel=1e-6)


def test_chain_brute_force_bargaining_and_bertrand() -> None:
    """Three products: (A, R), (B, R) and A's own retail product (A, A): integrated, A also supplies R."""
    alpha, p0 = 0.3, 1.0
    delta = np.array([2.0, 1.6, 1.8])
    cu, cd = np.array([1.0, 1.4, 1.1]), np.array([0.5, 0.4, 0.6])
    beta = np.array([0.4, 0.7, 0.4])
    sellers, buyers = np.array(["A", "B", "A"]), np.array(["R", "R", "A"])
    market = NashInNashMarket(LogitDemand(alpha, delta, outside_price=p0), seller=sellers, buyer=buyers,
                              upstream_cost=cu, downstream_cost=cd, seller_weight=beta)
    frame = market.equilibrium()
    assert frame.attrs["converged"]
    P, W = frame["price"].to_numpy(), frame["wholesale_price"].to_numpy()
    assert W[2] == cu[2]   # integrated pair: wholesale at upstream cost

    def profit(firm: str, prices: np.ndarray, wholesale: np.ndarray, available: np.ndarray) -> float:
        s = brute_shares(delta, alpha, prices - p0, available=available)
        w = wholesale.copy()
        integrated = sellers == buyers
        w[integrated] = cu[integrated]
        per_unit = np.where(buyers == firm, prices - w - cd, 0.0) + np.where(sellers == firm, w - cu, 0.0)
        return float(np.sum(s * per_unit))

    every = np.ones(3, dtype=bool)
    for j in range(3):   # Bertrand: each retail price maximizes its retailer's whole profit
        firm = buyers[j]

        def negative_profit(x: float, j: int = j, firm: str = firm) -> float:
            q = P.copy()
            q[j] = x
            return -profit(firm, q, W, every)

        best = minimize_scalar(negative_profit, bounds=(0, 100), method="bounded", options={"xatol": 1e-10})
        assert best.x == pytest.approx(P[j], rel=1e-6)
    for j in (0, 1):     # each non-integrated pair's wholesale price maximizes its Nash product
        without = np.arange(3) != j

        def negative_log_nash(x: float, j: int = j, without: np.ndarray = without) -> float:
            w = W.copy()
            w[j] = x
            gain_u = profit(sellers[j], P, w, every) - profit(sellers[j], P, w, without)
            gain_d = profit(buyers[j], P, w, every) - profit(buyers[j], P, w, without)
            if gain_u <= 0 or gain_d <= 0:
                return 1e10
            return -(beta[j] * np.log(gain_u) + (1 - beta[j]) * np.log(gain_d))

        best = minimize_scalar(negative_log_nash, bounds=(cu[j] - 5, P[j]), method="bounded",
                               options={"xatol": 1e-10})
        assert best.x == pytest.approx(W[j], rel=1e-6)


def test_analytic_jacobians_match_finite_differences() -> None:
    rng = np.random.default_rng(3)
    n, h = 4, 1e-6
    delta, alpha = rng.normal(size=n), 0.7
    beta = np.array([0.3, 0.5, 0.5, 0.9])

    def consumer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return eq.consumer_residual(x, alpha=alpha, delta=delta, outside_price=0.2, outside=True,
                                    cost=np.full(n, 0.5), ownership=eq.same_owner(np.array([0, 1, 1, 2])),
                                    beta=beta)

    chain = eq.Chain.build(np.array([0, 1, 0, 1]), np.array([2, 2, 0, 0]), 3)   # product 2 integrated

    def vertical(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return eq.chain_residual(x, alpha=alpha, delta=delta, outside_price=0.0, outside=True, chain=chain,
                                 upstream_cost=np.full(n, 0.3), downstream_cost=np.full(n, 0.2), beta=beta)

    for system, size in ((consumer, n), (vertical, n + len(chain.bargained))):
        x = rng.uniform(1, 3, size)
        numeric = np.column_stack([(system(x + h * e)[0] - system(x - h * e)[0]) / (2 * h) for e in np.eye(size)])
        np.testing.assert_allclose(system(x)[1], numeric, atol=1e-7)


@pytest.mark.parametrize("beta", [0.15, 0.37, 0.8])
def test_calibration_recovers_the_weight_that_generated_exact_data(beta: float) -> None:
    alpha, delta = 0.6, np.array([1.2, 0.7, 0.9, 0.2])
    cost = np.array([1.0, 1.3, 0.8, 1.1])
    owners = ["A", "A", "B", "C"]
    truth = NashInNashMarket(LogitDemand(alpha, delta), seller=owners, marginal_cost=cost, seller_weight=beta)
    eqm = truth.equilibrium()
    margins = eqm["margin"].to_numpy().copy()
    margins[[0, 3]] = np.nan          # two margins: exactly identified (alpha, beta)
    fit = calibrate_market(eqm["price"], eqm["share"], seller=owners, margin=margins)
    assert fit.exact and fit.n_margins == fit.n_unknowns == 2
    params = fit.market.params
    assert params["seller_weight"] == pytest.approx(beta, abs=1e-6)
    assert params["alpha"] == pytest.approx(alpha, rel=1e-6)
    np.testing.assert_allclose(fit.market.marginal_cost, cost, rtol=1e-6)
    np.testing.assert_allclose(fit.market.demand.mean_utility.to_numpy(), delta, atol=1e-6)
    # rounded like published margins (six digits): the weight stays within what rounding allows
    rounded = np.round(eqm["margin"].to_numpy(), 6)
    approx = calibrate_market(eqm["price"], eqm["share"], seller=owners, margin=rounded)
    assert 0 <= approx.market.params["seller_weight"] <= 1
    assert approx.market.params["seller_weight"] == pytest.approx(beta, abs=1e-3)


def test_chain_calibration_recovers_the_weight() -> None:
    alpha, delta, beta = 0.2, np.array([2.0, 1.5, 2.5, 1.0]), 0.3
    sellers, buyers = ["U1", "U2", "U1", "U2"], ["D1", "D1", "D2", "D2"]
    truth = NashInNashMarket(LogitDemand(alpha, delta, outside_price=2.0), seller=sellers, buyer=buyers,
                             upstream_cost=[3.0, 4.0, 3.0, 4.0], downstream_cost=[1.0, 1.0, 2.0, 2.0],
                             seller_weight=beta)
    eqm = truth.equilibrium()
    only_two = np.full(4, np.nan)
    only_two[0] = eqm["wholesale_margin"].iloc[0]
    fit = calibrate_market(eqm["price"], eqm["share"], seller=sellers, buyer=buyers,
                           wholesale_price=eqm["wholesale_price"], margin=[eqm["margin"].iloc[0]] + [np.nan] * 3,
                           wholesale_margin=only_two, outside_price=2.0)
    assert fit.exact
    assert fit.market.params["seller_weight"] == pytest.approx(beta, abs=1e-6)
    assert fit.market.params["alpha"] == pytest.approx(alpha, rel=1e-6)
    np.testing.assert_allclose(fit.market.upstream_cost, [3.0, 4.0, 3.0, 4.0], rtol=1e-6)


def test_calibration_errors_are_clear() -> None:
    prices, shares, owners = [1.0, 2.0], [0.3, 0.2], ["A", "B"]
    with pytest.raises(IdentificationError, match="no margin"):
        calibrate_market(prices, shares, seller=owners, seller_weight=0.5)
    with pytest.raises(IdentificationError, match="seller weight"):
        calibrate_market(prices, shares, seller=owners, margin=[0.4, np.nan])
    # margins no seller weight in [0, 1] can produce (exactly identified): an error, never a weight outside
    with pytest.raises(InfeasibleProblemError) as info:
        calibrate_market(prices, shares, seller=owners, margin=[0.9, 0.05])
    assert info.value.hint
    with pytest.raises(InvalidWeightError):
        NashInNashMarket(LogitDemand(1.0, [0.0, 0.0]), seller=owners, marginal_cost=[0, 0], seller_weight=1.2)
    with pytest.raises(InvalidParameterError, match="demand object"):
        NashInNashMarket([0.0, 0.0], seller=owners, marginal_cost=[0, 0], seller_weight=0.5)  # type: ignore[arg-type]


def test_counterfactuals_vertical_integration_and_costs() -> None:
    demand = LogitDemand(0.2, [2.0, 1.5, 2.5, 1.0], outside_price=2.0)
    market = NashInNashMarket(demand, seller=["U1", "U2", "U1", "U2"], buyer=["D1", "D1", "D2", "D2"],
                              upstream_cost=[3.0, 4.0, 3.0, 4.0], downstream_cost=1.0, seller_weight=0.5)
    integrated = market.simulate(buyer_post=["U1", "U1", "D2", "D2"])     # U1 buys retailer D1
    assert integrated.converged
    assert integrated.post["wholesale_price"].iloc[0] == 3.0          # the integrated pair trades at cost
    cheaper = market.simulate(cost_change=[-0.1, 0.0, -0.1, 0.0])
    assert np.all(cheaper.post["wholesale_price"].iloc[[0, 2]] < cheaper.pre["wholesale_price"].iloc[[0, 2]])
    level = market.simulate(cost_change=[-0.3, 0.0, -0.3, 0.0], cost_change_kind="level")
    np.testing.assert_allclose(level.post["price"], cheaper.post["price"], rtol=1e-10)  # 10% of 3 = 0.3
    weaker = market.simulate(seller_weight_post=0.2)
    assert np.all(weaker.post["wholesale_price"] < weaker.pre["wholesale_price"])
    assert set(weaker.hhi.index) == {"pre", "post", "change"}
