"""Expectations of every agent of a market without preferences on one grid of virtual-type levels.

The second way of :class:`~bargaining.models.mechanism.engines.SeparableEngine` to compute its integrals, used
when no agent's virtual type is ironed and every slope is known in closed form
(:func:`~bargaining.models.mechanism.level_terms.has_closed_form_slope`). Agent i's interim allocation
depends on its type only through its virtual type y (Lemma 1 of Loertscher and Marx, 2022): q_i(y) is the
expected overlap of the units ahead of it on its own side (agents whose virtual type beats y) and the units of
the other side that reach y. Changing variables from the type x to y = Phi_i(x) or Gamma_i(x),

    E[h(x) Q_i] = int h(x_i(y)) q_i(y) dens_i(y) dy,

with dens_i the density of agent i's virtual type. On a grid of levels y shared by all agents each agent is
inverted once per level, and that inversion serves its own integral and every other agent's count: n
inversions per level for n integrals, where integrals over each agent's own types need n - 1 inversions at
each of their nodes (work growing like n^2). Levels below the lowest supplier's virtual cost or above the
highest buyer's virtual value trade nothing, so the grid runs between those two; its breakpoints are every
agent's levels (:meth:`~bargaining.models.mechanism.types.AgentView.levels`). The adaptive rule of
:func:`~bargaining.models.mechanism.integrals.integrate_many` holds all 3n integrands to the tolerance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bargaining.models.mechanism.integrals import (
    count_pmf,
    expected_overlap,
    integrate_many,
    leave_one_out_pmfs,
    mapped_edges,
)
from bargaining.models.mechanism.level_terms import finite_level, has_closed_form_slope, level_terms
from bargaining.models.mechanism.protocol import Evaluation
from bargaining.models.mechanism.types import AgentView

__all__ = ["evaluate_on_levels", "level_grid_applies", "units_at_levels"]

_WARM_KEY = ("Y", -1)


def _range(vb: list[AgentView], vs: list[AgentView]) -> tuple[float, float] | None:
    """(lowest virtual cost, highest virtual value), or None when either is infinite."""
    lows = [finite_level(v, v.low) for v in vs]
    highs = [finite_level(v, v.high) for v in vb]
    if any(level is None for level in lows) or any(level is None for level in highs):
        return None
    return min(float(x) for x in lows if x is not None), max(float(x) for x in highs if x is not None)


def level_grid_applies(vb: list[AgentView], vs: list[AgentView]) -> bool:
    """Whether the shared level grid applies: no ironing, closed-form slopes, and a finite range of levels."""
    return all(has_closed_form_slope(v) for v in [*vb, *vs]) and _range(vb, vs) is not None


def units_at_levels(prob: np.ndarray, kb: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Every agent's expected units traded when its virtual type is at the level (buyers' rows first).

    ``prob`` holds, per agent, the probability of being ahead at the level: P(Phi_i >= y) for buyers,
    P(Gamma_j < y) for suppliers (no ties without ironing). For agent i, the units ahead of it are those of the
    agents of its side that are ahead (all but i) and the units that reach it those of the other side that are
    ahead at the same level; Lemma 1 then gives E[clip(N - s, 0, k_i)].
    """
    nb = kb.size
    cap_b, cap_s = int(kb.sum()), int(ks.sum())
    q = np.empty_like(prob)
    ahead, reach = leave_one_out_pmfs(prob[:nb], kb, cap_b), count_pmf(prob[nb:], ks, cap_b)
    for i in range(nb):
        q[i] = expected_overlap(ahead[i], reach, int(kb[i]))
    ahead, reach = leave_one_out_pmfs(prob[nb:], ks, cap_s), count_pmf(prob[:nb], kb, cap_s)
    for j in range(ks.size):
        q[nb + j] = expected_overlap(ahead[j], reach, int(ks[j]))
    return q


def evaluate_on_levels(engine: Any, vb: list[AgentView], vs: list[AgentView]) -> Evaluation:
    """:meth:`SeparableEngine.evaluate` on the shared level grid (``engine`` gives units, tolerances, warm start)."""
    nb, ns = len(vb), len(vs)
    views = [*vb, *vs]
    kb, ks = engine.kb, engine.ks
    bounds = _range(vb, vs)
    assert bounds is not None  # checked by level_grid_applies
    lower, upper = bounds
    if not lower < upper:  # no buyer's virtual value reaches any supplier's virtual cost: nobody trades
        zeros_b, zeros_s = np.zeros(nb), np.zeros(ns)
        return Evaluation(zeros_b, zeros_b.copy(), zeros_b.copy(), zeros_s, zeros_s.copy(), zeros_s.copy(), 0.0, True,
                          details={"units_mismatch": 0.0})
    inside = {float(lv) for v in views for lv in v.levels() if lower < lv < upper}
    breaks = np.unique(np.asarray([lower, upper, *inside], dtype=float))
    initial = None
    if engine.warm is not None:
        initial = [mapped_edges(engine.warm.get(_WARM_KEY), breaks)]

    def integrand(y: np.ndarray, owner: np.ndarray) -> np.ndarray:
        terms = [level_terms(view, y) for view in views]
        x, prob, dens, rent = (np.stack([t[k] for t in terms]) for k in range(4))
        q = units_at_levels(prob, kb, ks)
        traded = dens * q
        return np.concatenate([traded, x * traded, rent * q])

    (res,) = integrate_many(integrand, [list(breaks)], atol=engine.atol, rtol=engine.rtol, initial=initial)
    if engine.warm is not None and res.edges is not None:
        engine.warm[_WARM_KEY] = (breaks, res.edges)
    value = res.value.reshape(3, nb + ns)
    trades, gross, rent_b = value[0, :nb], value[1, :nb], value[2, :nb]
    sold, cost, rent_s = value[0, nb:], value[1, nb:], value[2, nb:]
    mismatch = abs(float(np.sum(trades) - np.sum(sold)))
    return Evaluation(trades, gross, rent_b, sold, cost, rent_s, float(np.sum(res.error)), res.converged,
                      details={"units_mismatch": mismatch})
