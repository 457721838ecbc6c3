"""Properties the Loertscher-Marx outcome must have in every market (hypothesis, small random markets).

IC: interim allocations monotone (buyers non-decreasing in v, suppliers non-increasing in c); IR: every
agent's payoff and fixed payment >= 0; no deficit; welfare at most the first best; the frontier traced by
Delta is Pareto-ordered and concave (Proposition 4).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bargaining.models import distributions as dist_module
from bargaining.models.distributions import Uniform
from bargaining.models.mechanism import Market

TOL = 1e-9
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def distributions(draw: st.DrawFn) -> object:
    low = draw(st.floats(0.0, 0.4))
    width = draw(st.floats(0.4, 1.0))
    kind = draw(st.sampled_from(["uniform", "beta"] if hasattr(dist_module, "Beta") else ["uniform"]))
    if kind == "beta":
        a, b = draw(st.floats(1.0, 4.0)), draw(st.floats(1.0, 4.0))
        return dist_module.Beta(a, b, low=low, high=low + width)
    return Uniform(low, low + width)


@st.composite
def markets(draw: st.DrawFn, max_buyers: int = 2, max_suppliers: int = 3) -> tuple[Market, np.ndarray, np.ndarray]:
    nb = draw(st.integers(1, max_buyers))
    ns = draw(st.integers(1, max_suppliers))
    buyers = [draw(distributions()) for _ in range(nb)]
    suppliers = [draw(distributions()) for _ in range(ns)]
    bu = [draw(st.integers(1, 2)) for _ in range(nb)]
    su = [draw(st.integers(1, 2)) for _ in range(ns)]
    preferences = None
    if nb == 1 and ns > 1 and draw(st.booleans()):
        preferences = [draw(st.floats(0.5, 2.0)) for _ in range(ns)]
    market = Market(buyers, suppliers, buyer_units=bu, supplier_units=su, preferences=preferences)
    wb = np.array([draw(st.floats(0.0, 1.0)) for _ in range(nb)])
    ws = np.array([draw(st.floats(0.0, 1.0)) for _ in range(ns)])
    if max(wb.max(), ws.max()) < 0.05:
        wb[0] = 1.0
    return market, wb, ws


@SETTINGS
@given(markets())
def test_ic_ir_budget_and_welfare(case: tuple[Market, np.ndarray, np.ndarray]) -> None:
    market, wb, ws = case
    out = market.bargain(wb, ws)
    assert out.budget_surplus >= -TOL - out.accuracy
    assert np.all(out.buyer_payoffs >= -TOL) and np.all(out.supplier_payoffs >= -TOL)
    assert np.all(out.buyer_fixed_payments >= 0) and np.all(out.supplier_fixed_payments >= 0)
    assert out.welfare <= market.first_best().welfare + TOL
    assert out.rho >= 1.0 - 1e-12
    # payoffs plus what the mechanism keeps add up to the gains from trade
    kept = out.budget_surplus - np.sum(out.buyer_fixed_payments) - np.sum(out.supplier_fixed_payments)
    total = out.buyer_payoff + out.supplier_payoff + kept
    assert total == pytest.approx(out.welfare, abs=1e-9 + out.accuracy)
    for i, d in enumerate(market.buyers):
        q = market.interim_trades(out, "buyer", i, np.linspace(d.low, d.high, 41))
        assert np.all(np.diff(q) >= -1e-9), "buyer interim allocation must be non-decreasing (IC)"
        assert np.all(q >= -1e-12) and np.all(q <= market.buyer_units[i] + 1e-12)
    for j, d in enumerate(market.suppliers):
        q = market.interim_trades(out, "supplier", j, np.linspace(d.low, d.high, 41))
        assert np.all(np.diff(q) <= 1e-9), "supplier interim allocation must be non-increasing (IC)"
    # expected units bought = expected units sold
    assert np.sum(out.buyer_trades) == pytest.approx(np.sum(out.supplier_trades), abs=1e-9 + out.accuracy)


def _check_frontier(case: tuple[Market, np.ndarray, np.ndarray]) -> None:
    market, _, _ = case
    frame = market.frontier(points=9)
    ub, us = frame["buyer_payoff"].to_numpy(), frame["supplier_payoff"].to_numpy()
    assert np.all(np.diff(ub) >= -1e-9), "buyers' payoff increases with Delta"
    assert np.all(np.diff(us) <= 1e-9), "suppliers' payoff decreases with Delta"
    # concavity of u_B as a function of u_S: with Delta decreasing, u_S increases; slopes must fall
    order = np.argsort(us)
    x, y = us[order], ub[order]
    keep = np.concatenate([[True], np.diff(x) > 1e-7])
    x, y = x[keep], y[keep]
    if x.size >= 3:
        slopes = np.diff(y) / np.diff(x)
        scale = 1.0 + np.max(np.abs(slopes))
        assert np.all(np.diff(slopes) <= 1e-5 * scale), "the frontier must be concave (Proposition 4)"
    # every frontier point is weakly below the first-best welfare
    assert np.all(frame["welfare"].to_numpy() <= market.first_best().welfare + TOL)


# a frontier is 9 solves with a root search each: a few random markets in the default suite, more when slow
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets(max_buyers=2, max_suppliers=2))
def test_frontier_pareto_ordered_and_concave(case: tuple[Market, np.ndarray, np.ndarray]) -> None:
    _check_frontier(case)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets(max_buyers=2, max_suppliers=2))
def test_frontier_pareto_ordered_and_concave_many_markets(case: tuple[Market, np.ndarray, np.ndarray]) -> None:
    _check_frontier(case)
