"""Refinement nodes of the rho(Delta) curve from one evaluation (Newton step from a hint) against direct solves of
the Loertscher-Marx solver (Market.bargain_delta), and the guards that leave a node to the solver."""

from __future__ import annotations

import numpy as np

from bargaining import Beta
from bargaining.models._curve_nodes import newton_nodes
from bargaining.models.mechanism import Market


def test_newton_nodes_against_direct_solves() -> None:
    market = Market([Beta(2.0, 3.0)], [Beta(3.0, 2.0)])
    deltas = np.array([0.41, -0.93, 0.05])
    direct = [market.bargain_delta(float(d)) for d in deltas]
    hints = []
    for o in direct:
        t = 1.0 / o.rho
        slope = float(o.details["budget_slope"])
        hints.append((t + 3e-7, slope * (1 + 1e-3), 1e-3 * abs(slope)))  # a guess off by 3e-7, slope by 0.1%
    nodes = newton_nodes(market, deltas, hints, 1e-8)
    for node, o in zip(nodes, direct, strict=True):
        assert node is not None
        assert abs(node[0] - float(o.buyer_weight_ratios[0])) < 1e-9
        assert abs(node[1] - float(o.supplier_weight_ratios[0])) < 1e-9
    assert market._engine.warm is None  # the engine's warm starts are switched off again


def test_newton_nodes_leave_poor_hints_to_the_solver() -> None:
    market = Market([Beta(2.0, 3.0)], [Beta(3.0, 2.0)])
    o = market.bargain_delta(0.3)
    t, slope = 1.0 / o.rho, float(o.details["budget_slope"])
    hints = [
        (t + 1e-3, slope, 1e-3 * abs(slope)),  # step above the largest accepted
        (t + 2e-6, slope, 0.1 * abs(slope)),  # slope too uncertain for the node tolerance
        (1.0, slope, 0.0),  # slack guess
        None,
    ]
    assert newton_nodes(market, np.full(4, 0.3), hints, 1e-8) == [None, None, None, None]
