"""HospitalInsurerMarkets against independent computations: each agreement's Nash first-order condition
with the gains computed by dropping the hospital from the network and recomputing logit demand by hand (no
diversion formula, no linear system), and the general NashInNashPrices fixed point built from the same
primitives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bargaining.errors import GainsFromTradeError, InvalidParameterError, InvalidWeightError
from bargaining.models.nash_in_nash import NashInNashPrices
from bargaining.models.nash_in_nash.hospital_insurer import HospitalInsurerMarkets


def small_model(systems=None, recapture=1.0, beta=None, seed=3, markets=2, insurers=2, hospitals=3):
    rng = np.random.default_rng(seed)
    shape = (markets, insurers, hospitals)
    if beta is None:
        beta = rng.uniform(0.2, 0.8, shape)
    return HospitalInsurerMarkets(
        utility=rng.normal(0.0, 0.7, shape),
        enrollees=rng.uniform(500.0, 2000.0, shape[:2]),
        wtp_per_util=rng.uniform(8.0, 12.0, shape[:2]),
        marginal_cost=rng.uniform(3.0, 6.0, shape),
        beta=beta,
        systems=systems,
        recapture=recapture,
    )


# ---------------------------------------------------------------------------- hand-written demand and profits
def hand_quantity(model, m, i, network):
    """Patients of each hospital of insurer i in market m when ``network`` (a set of hospitals) is formed."""
    e = [math.exp(u) for u in model.utility[m, i]]
    denominator = 1.0 + sum(e[k] for k in network)
    return {k: model.enrollees[m, i] * e[k] / denominator for k in network}


def hand_wtp(model, m, i, network):
    e = [math.exp(u) for u in model.utility[m, i]]
    return model.wtp_per_util[m, i] * model.enrollees[m, i] * math.log(1.0 + sum(e[k] for k in network))


def sibling_list(labels, h):
    return [k for k in range(len(labels)) if k != h and labels[k] == labels[h]]


@pytest.mark.parametrize(
    ("systems", "recapture"),
    [(None, 1.0), (["s1", "s1", "s2"], 1.0), (["s1", "s1", "s2"], 0.4), (["a", "a", "a"], 0.75)],
)
def test_first_order_conditions_by_hand(systems, recapture):
    """At the equilibrium, for every agreement (h, i): beta (gain of i) = (1 - beta) (gain of h's system), the
    first-order condition of max gain_h^beta gain_i^(1 - beta) when both gains move one for one with the
    price times q_h. Gains are profit differences computed by re-solving logit demand without h."""
    model = small_model(systems=systems, recapture=recapture)
    labels = list(range(3)) if systems is None else systems
    eq = model.equilibrium()
    p, c = eq.price, model.marginal_cost
    markets, insurers, hospitals = model.shape
    for m in range(markets):
        for i in range(insurers):
            full = set(range(hospitals))
            q_full = hand_quantity(model, m, i, full)
            for h in range(hospitals):
                without = full - {h}
                q_without = hand_quantity(model, m, i, without)
                # hospital side: own margin, plus share r of the siblings' margin change with insurer i
                gain_h = (p[m, i, h] - c[m, i, h]) * q_full[h] + recapture * sum(
                    (p[m, i, k] - c[m, i, k]) * (q_full[k] - q_without[k]) for k in sibling_list(labels, h)
                )
                # insurer side: willingness to pay minus payments, with and without h
                gain_i = (hand_wtp(model, m, i, full) - sum(p[m, i, k] * q_full[k] for k in full)) - (
                    hand_wtp(model, m, i, without) - sum(p[m, i, k] * q_without[k] for k in without)
                )
                beta = model.beta[m, i, h]
                assert gain_h > 0 and gain_i > 0
                assert beta * gain_i == pytest.approx((1 - beta) * gain_h, rel=1e-9)
                # and the reported threat points are those gains per patient
                assert eq.seller_cost[m, i, h] == pytest.approx(p[m, i, h] - gain_h / q_full[h], rel=1e-9)
                assert eq.buyer_value[m, i, h] == pytest.approx(p[m, i, h] + gain_i / q_full[h], rel=1e-9)


def test_demand_and_wtp_by_hand():
    model = small_model()
    eq = model.equilibrium()
    for m, i in [(0, 0), (1, 1)]:
        full = set(range(3))
        q = hand_quantity(model, m, i, full)
        for h in range(3):
            assert eq.quantity[m, i, h] == pytest.approx(q[h], rel=1e-12)
            drop = hand_wtp(model, m, i, full) - hand_wtp(model, m, i, full - {h})
            assert eq.wtp_drop[m, i, h] == pytest.approx(drop / q[h], rel=1e-10)
        assert model.willingness_to_pay()[m, i] == pytest.approx(hand_wtp(model, m, i, full), rel=1e-12)
    network = np.ones(model.shape, dtype=bool)
    network[:, :, 1] = False
    q_without = model.quantities(network)
    assert q_without[0, 1, 0] == pytest.approx(hand_quantity(model, 0, 1, {0, 2})[0], rel=1e-12)
    assert q_without[0, 1, 1] == 0.0
    assert model.willingness_to_pay(network)[1, 0] == pytest.approx(hand_wtp(model, 1, 0, {0, 2}), rel=1e-12)


@pytest.mark.parametrize(("systems", "recapture"), [(None, 1.0), ([0, 0, 1], 1.0), ([0, 0, 1], 0.5)])
def test_matches_the_general_nash_in_nash_prices_solver(systems, recapture):
    """One market, 3 hospitals, 2 insurers: the exact linear solve against NashInNashPrices' fixed-point
    iteration on profit functions written from the primitives. Partial recapture r is a profit function in
    which hospital h counts r times its siblings' margins (an externality across agreements)."""
    beta_by_insurer = np.array([0.3, 0.7])
    model = small_model(
        systems=systems, recapture=recapture, beta=beta_by_insurer[None, :, None], markets=1, seed=11
    )
    labels = [0, 1, 2] if systems is None else systems
    hospitals, insurers = ["h0", "h1", "h2"], ["I0", "I1"]
    pairs = [(h, i) for h in hospitals for i in insurers]

    def patients(i_name, agreements):
        i = insurers.index(i_name)
        network = {hospitals.index(h) for (h, j) in agreements if j == i_name}
        return hand_quantity(model, 0, i, network) if network else {}, network, i

    def profit(agent, agreements, prices):
        if agent in insurers:
            q, network, i = patients(agent, agreements)
            wtp = hand_wtp(model, 0, i, network)
            return wtp - sum(prices[(hospitals[k], agent)] * q[k] for k in network)
        h = hospitals.index(agent)
        total = 0.0
        for i_name in insurers:
            q, network, i = patients(i_name, agreements)
            for k in network:
                weight = 1.0 if k == h else recapture if k in sibling_list(labels, h) else 0.0
                total += weight * (prices[(hospitals[k], i_name)] - model.marginal_cost[0, i, k]) * q[k]
        return total

    weights = {h: 1.0 for h in hospitals}
    weights.update({name: (1 - b) / b for name, b in zip(insurers, beta_by_insurer, strict=True)})
    general = NashInNashPrices(pairs, profit, weights, joint=False).solve(tol=1e-12, max_iter=500)
    eq = model.equilibrium()
    for h, i in pairs:
        at = (0, insurers.index(i), hospitals.index(h))
        assert general.price_of((h, i)) == pytest.approx(eq.price[at], rel=1e-8)
        row = general.prices.loc[f"{h}-{i}"]
        assert row["seller_cost"] == pytest.approx(eq.seller_cost[at], rel=1e-6)
        assert row["buyer_value"] == pytest.approx(eq.buyer_value[at], rel=1e-6)


def test_price_equation_and_prices_shortcut():
    model = small_model(systems=["x", "x", "y"])
    eq = model.equilibrium()
    np.testing.assert_allclose(eq.price, eq.seller_cost + eq.beta * eq.gains, rtol=1e-12)
    np.testing.assert_array_equal(model.prices(), eq.price)
    assert eq.has_gains_from_trade and eq.smallest_gain > 0
    independent = small_model(systems=None).equilibrium()
    assert np.all(independent.recapture == 0)
    assert np.all(eq.recapture[:, :, :2] > 0) and np.all(eq.recapture[:, :, 2] == 0)


def test_no_gains_from_trade_and_bad_inputs():
    model = small_model()
    costly = HospitalInsurerMarkets(
        model.utility, model.enrollees, model.wtp_per_util, model.marginal_cost + 1e3, model.beta
    )
    with pytest.raises(GainsFromTradeError, match="no gains from trade"):
        costly.equilibrium()
    assert not costly.equilibrium(check=False).has_gains_from_trade
    with pytest.raises(InvalidWeightError, match=r"\[0, 1\]"):
        small_model(beta=1.5)
    with pytest.raises(InvalidWeightError, match="broadcast"):
        small_model(beta=np.full(4, 0.5))
    with pytest.raises(InvalidParameterError, match="labels for 3 hospitals"):
        small_model(systems=["a", "b"])
    with pytest.raises(InvalidParameterError, match="recapture"):
        small_model(recapture=1.5)
    with pytest.raises(InvalidParameterError, match="3 dimensions"):
        HospitalInsurerMarkets(np.zeros((2, 3)), np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), 0.5)
    with pytest.raises(InvalidParameterError, match="shape"):
        HospitalInsurerMarkets(np.zeros((1, 2, 3)), np.ones((1, 3)), np.ones((1, 2)), np.ones((1, 2, 3)), 0.5)
    with pytest.raises(InvalidParameterError, match="enrollees"):
        HospitalInsurerMarkets(np.zeros((1, 2, 3)), np.zeros((1, 2)), np.ones((1, 2)), np.ones((1, 2, 3)), 0)
