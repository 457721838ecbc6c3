"""Random-coefficients logit demand (MixedLogitDemand), and demand taken from a solved pyblp problem.

Checks: one agent is logit (closed forms of LogitDemand); derivatives against finite differences of the shares;
Roy's identity for consumer surplus; shares without a product against a demand built without it; and, when pyblp
is installed, pyblp's own shares, demand Jacobian and consumer surplus for the same market, and zero random
coefficients giving plain logit.
"""

from __future__ import annotations

import numpy as np
import pytest

from bargaining import LogitDemand, MixedLogitDemand, NashInNashMarket
from bargaining.errors import InvalidParameterError

P = np.array([1.0, 2.0, 1.5, 0.7])
DELTA = np.array([1.0, 0.3, -0.2, 0.5])


def mixed() -> MixedLogitDemand:
    rng = np.random.default_rng(3)
    weights = rng.uniform(0.5, 1.5, 6)
    return MixedLogitDemand(0.9, DELTA, agent_utility=rng.normal(0, 0.8, (4, 6)), agent_weights=weights / weights.sum(),
                            agent_alpha=rng.uniform(-0.4, 0.6, 6))


def test_one_agent_is_logit() -> None:
    logit = LogitDemand(0.9, DELTA, outside_price=0.2)
    one = MixedLogitDemand(0.9, DELTA, agent_utility=np.zeros((4, 1)), agent_weights=[1.0], outside_price=0.2)
    s = logit._shares(P)
    assert one._shares(P) == pytest.approx(s, abs=1e-15)
    assert one._derivatives(P, s) == pytest.approx(logit._derivatives(P, s), abs=1e-14)
    assert one._second_derivatives(P, s) == pytest.approx(logit._second_derivatives(P, s), abs=1e-14)
    assert one.consumer_surplus(P) == pytest.approx(logit.consumer_surplus(P), abs=1e-14)
    for a, b in zip(one._removal_state(P), logit._removal_state(P)):
        assert a == pytest.approx(b, abs=1e-14)
    market = {"seller": ["A", "B", "B", "C"], "marginal_cost": [0.2, 0.4, 0.3, 0.1], "seller_weight": 0.4}
    left = NashInNashMarket(logit, **market).simulate(seller_post=["A", "A", "A", "C"])
    right = NashInNashMarket(one, **market).simulate(seller_post=["A", "A", "A", "C"])
    assert np.max(np.abs(left.post["price"].to_numpy() - right.post["price"].to_numpy())) < 1e-10


def test_heterogeneous_agents_derivatives_surplus_and_removal() -> None:
    demand = mixed()
    s = demand._shares(P)
    h = 1e-6
    first = demand._derivatives(P, s)
    hessian = demand._second_derivatives(P, s)
    for k in range(4):
        e = np.eye(4)[k] * h
        assert first[:, k] == pytest.approx((demand._shares(P + e) - demand._shares(P - e)) / (2 * h), abs=1e-9)
        numeric = (demand._derivatives(P + e, s) - demand._derivatives(P - e, s)) / (2 * h)
        assert hessian[:, :, k] == pytest.approx(numeric, abs=1e-8)
        roy = (demand.consumer_surplus(P + e) - demand.consumer_surplus(P - e)) / (2 * h)
        assert roy == pytest.approx(-s[k], abs=1e-9)
    removal, slopes, wtp = demand._removal_state(P)
    for j in range(4):
        keep = np.arange(4) != j
        sub = demand._restricted(keep)
        assert removal[j][keep] == pytest.approx(sub._shares(P[keep]), abs=1e-15)
        assert slopes[j][np.ix_(keep, keep)] == pytest.approx(sub._derivatives(P[keep], None), abs=1e-15)
        assert wtp[j] == pytest.approx(demand.consumer_surplus(P) - sub.consumer_surplus(P[keep]), abs=1e-14)
    # the supply side solves with it (general equations); a merger of B's products with A's raises prices
    market = NashInNashMarket(demand, seller=["A", "B", "B", "C"], marginal_cost=[0.2, 0.4, 0.3, 0.1],
                              seller_weight=0.5)
    result = market.simulate(seller_post=["A", "A", "A", "C"])
    assert result.converged and (result.post["price"].to_numpy()[:3] > result.pre["price"].to_numpy()[:3]).all()


def test_mixed_logit_input_errors() -> None:
    with pytest.raises(InvalidParameterError, match="sum to 1"):
        MixedLogitDemand(1.0, [0.0, 0.0], agent_utility=np.zeros((2, 2)), agent_weights=[0.5, 0.6])
    with pytest.raises(InvalidParameterError, match="shape"):
        MixedLogitDemand(1.0, [0.0, 0.0], agent_utility=np.zeros((3, 2)), agent_weights=[0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="alpha"):
        MixedLogitDemand(1.0, [0.0, 0.0], agent_utility=np.zeros((2, 2)), agent_weights=[0.5, 0.5],
                         agent_alpha=[0.0, -1.5])


@pytest.fixture(scope="module")
def pyblp_problem():
    pyblp = pytest.importorskip("pyblp")
    pyblp.options.verbose = False
    ids = pyblp.build_id_data(T=2, J=4, F=2)
    integration = pyblp.Integration("product", 3)
    formulations = (pyblp.Formulation("1 + prices + x"), pyblp.Formulation("1 + prices"), pyblp.Formulation("0 + x"))
    simulation = pyblp.Simulation(
        product_formulations=formulations,
        product_data={"market_ids": ids.market_ids, "firm_ids": ids.firm_ids},
        beta=[1, -2, 1], sigma=[[0.5, 0], [0, 0.2]], gamma=[1], xi_variance=0.001, omega_variance=0.001,
        correlation=0.7, integration=integration, seed=0)
    data = simulation.replace_endogenous().product_data
    return pyblp, data, formulations, integration


def test_pyblp_random_coefficients_match_pyblp(pyblp_problem) -> None:
    pyblp, data, formulations, integration = pyblp_problem
    problem = pyblp.Problem(formulations[:2], data, integration=integration)
    results = problem.solve(sigma=[[0.5, 0], [0, 0.2]], optimization=pyblp.Optimization("return"))
    for market in (0, 1):
        demand = MixedLogitDemand.from_pyblp(results, market)
        rows = np.asarray(data.market_ids).ravel() == market
        prices = np.asarray(data.prices).ravel()[rows]
        assert demand.shares(prices).to_numpy() == pytest.approx(
            np.asarray(results.compute_shares(market_id=market)).ravel(), abs=1e-12)
        assert demand.share_derivatives(prices).to_numpy() == pytest.approx(
            np.asarray(results.compute_demand_jacobians(market_id=market)), abs=1e-12)
        assert demand.consumer_surplus(prices) == pytest.approx(
            float(np.asarray(results.compute_consumer_surpluses(market_id=market)).ravel()[0]), rel=1e-10)


def test_pyblp_zero_random_coefficients_is_logit(pyblp_problem) -> None:
    pyblp, data, formulations, integration = pyblp_problem
    problem = pyblp.Problem(formulations[:2], data, integration=integration)
    results = problem.solve(sigma=np.zeros((2, 2)), optimization=pyblp.Optimization("return"))
    plain = pyblp.Problem(formulations[:1], data).solve()          # plain logit (no X2, no agents)
    for res in (results, plain):
        demand = MixedLogitDemand.from_pyblp(res, 0)
        rows = np.asarray(data.market_ids).ravel() == 0
        prices, shares = np.asarray(data.prices).ravel()[rows], np.asarray(data.shares).ravel()[rows]
        alpha = -float(np.asarray(res.beta).ravel()[list(map(str, res.beta_labels)).index("prices")])
        logit = LogitDemand.from_shares(prices, shares, alpha)
        assert demand.alpha == pytest.approx(alpha, rel=1e-12)
        assert demand.mean_utility.to_numpy() == pytest.approx(logit.mean_utility.to_numpy(), abs=1e-10)
        assert demand.shares(prices).to_numpy() == pytest.approx(logit.shares(prices).to_numpy(), abs=1e-12)
        assert demand.share_derivatives(prices).to_numpy() == pytest.approx(
            logit.share_derivatives(prices).to_numpy(), abs=1e-12)
        assert demand.consumer_surplus(prices) == pytest.approx(logit.consumer_surplus(prices), abs=1e-10)


def test_outside_share_by_hand() -> None:
    demand = mixed()
    v = DELTA[:, None] + demand._utility - demand._alphas[None, :] * P[:, None]
    by_hand = float(demand._weights @ (1 / (1 + np.exp(v).sum(axis=0))))
    assert demand.outside_share(P) == pytest.approx(by_hand, abs=1e-15)
