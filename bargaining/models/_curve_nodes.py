"""Refinement nodes of the rho(Delta) curve from one engine evaluation each (behind
:meth:`bargaining.models.incomplete_likelihood.WeightRatioCurve.from_solver`).

A refinement node at Delta comes with an accurate guess t_h of t = 1/rho (the splines through the nodes so far)
and of the budget's slope s = dB/dt (an interpolation of the nodes' slopes). The warm-started solver
(``Market._sweep``) always spends two evaluations on a node, because it measures the slope by a secant. Here the
budget B(t_h) is evaluated once and the node is the Newton step t = t_h - (B(t_h) - costs) / s. Its error is at
most |step| |s_err / s| (the slope's error) + error(B) / |s| + O(step^2), which is checked against the node
tolerance; a node that fails the check (or any of the guards) is left to the solver.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["newton_nodes"]

_MAX_STEP = 1e-5
"""Largest Newton step accepted (its square, the second-order error, stays below 1e-10)."""


def newton_nodes(market: Any, deltas: np.ndarray, hints: list[tuple[float, float, float] | None],
                 node_tol: float) -> list[tuple[float, float, float] | None]:
    """(a, b, budget slope) at each Delta from one evaluation, or None where the solver must be used.

    Parameters
    ----------
    market
        The one-buyer, one-seller :class:`~bargaining.models.mechanism.Market` of the curve.
    deltas
        Bargaining differentials.
    hints
        Per Delta, (t guess, budget slope guess, bound on the slope guess's error), or None.
    node_tol
        Largest error in t accepted for a node.
    """
    from bargaining.models.conventions import weights_from_delta
    from bargaining.models.mechanism.inputs import normalized_weights

    out: list[tuple[float, float, float] | None] = [None] * len(deltas)
    engine = market._engine
    costs = float(market.buyer_participation_costs.sum() + market.supplier_participation_costs.sum())
    warm = hasattr(engine, "warm")
    if warm:
        engine.warm = {}  # neighbouring problems start from each other's panels, as in the solver's sweeps
    try:
        for i in np.argsort(deltas):
            hint = hints[i]
            if hint is None:
                continue
            t_h, slope, slope_err = hint
            if not (0.0 < t_h < 1.0 - 1e-6 and slope < 0.0 and math.isfinite(slope) and math.isfinite(slope_err)):
                continue
            w_b, w_s = weights_from_delta(float(deltas[i]))
            wb, ws = normalized_weights([w_b], [w_s], 1, 1)
            ev = market._evaluate(wb, ws, t_h)
            if not ev.converged or not math.isfinite(ev.budget):
                continue
            step = -(ev.budget - costs) / slope
            t = t_h + step
            bound = abs(step) * slope_err / abs(slope) + ev.error / abs(slope) + step * step
            if abs(step) <= _MAX_STEP and bound <= node_tol and 0.0 < t < 1.0 - 1e-6:
                out[i] = (float(wb[0] * t), float(ws[0] * t), float(slope))
    finally:
        if warm:
            engine.warm = None
    return out
