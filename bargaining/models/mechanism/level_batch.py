"""Many evaluations of the separable engine at once on grids of virtual-type levels.

:func:`~bargaining.models.mechanism.batch.evaluate_batch` for markets where both shared grids apply: every
problem (a vector of weight ratios) gets one adaptive integral over the levels of the virtual types, as
:func:`~bargaining.models.mechanism.level_grid.evaluate_on_levels` computes it alone, and all problems share
every integrand call. Each agent's virtual type is inverted once per level for all problems, with one weight
ratio per level (:func:`~bargaining.models.distributions.fine_inverse.inverse_rows`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bargaining.models.distributions.fine_inverse import inverse_rows
from bargaining.models.mechanism.integrals import integrate_many
from bargaining.models.mechanism.level_grid import units_at_levels
from bargaining.models.mechanism.level_terms import closed_form_law, terms_at_types
from bargaining.models.mechanism.protocol import Evaluation
from bargaining.models.mechanism.types import _HUGE

__all__ = ["evaluate_levels_batch", "levels_batch_applies"]


def levels_batch_applies(engine: Any) -> bool:
    """Whether every agent's law qualifies for the level grid (:func:`closed_form_law`; the batch already
    excludes ironing at every weight ratio)."""
    return all(closed_form_law(dist) for dist in [*engine.buyers, *engine.suppliers])


def _virtual(dist: Any, is_buyer: bool, x: float, a: np.ndarray) -> np.ndarray:
    """The raw weighted virtual type at one type x for every ratio in a (NaN where infinite)."""
    from bargaining.models.mechanism.batch import virtual_batch

    values = virtual_batch(dist, is_buyer, np.full(a.size, x), a)
    return np.where(np.abs(values) < _HUGE, values, np.nan)


def evaluate_levels_batch(engine: Any, ratios: np.ndarray, nb: int, warm: dict[Any, Any] | None,
                          ids: list[int]) -> list[Evaluation] | None:
    """The evaluations at each row of ``ratios`` (K x agents, buyers first), or None when some problem's range
    of levels is infinite (the caller then integrates over types)."""
    agents = [(True, d) for d in engine.buyers] + [(False, d) for d in engine.suppliers]
    n_problems, n_agents = ratios.shape
    units = np.concatenate([engine.kb, engine.ks])
    kb, ks = units[:nb], units[nb:]
    columns = [np.ascontiguousarray(ratios[:, col]) for col in range(n_agents)]
    lower = np.min([_virtual(d, False, d.low, columns[nb + j]) for j, (_, d) in enumerate(agents[nb:])], axis=0)
    upper = np.max([_virtual(d, True, d.high, columns[i]) for i, (_, d) in enumerate(agents[:nb])], axis=0)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        return None
    # every agent's levels: its virtual type at the support ends (qualifying laws have no breakpoints)
    kinks = [_virtual(dist, is_buyer, x, columns[col]) for col, (is_buyer, dist) in enumerate(agents)
             for x in (dist.low, dist.high)]
    levels = np.column_stack(kinks)
    # every problem's sorted distinct breakpoints at once (rows padded with inf): one sort instead of a
    # np.unique per problem
    inside = np.isfinite(levels) & (levels > lower[:, None]) & (levels < upper[:, None])
    table = np.sort(np.column_stack([lower, np.where(inside, levels, np.inf), upper]), axis=1)
    repeated = np.zeros(table.shape, dtype=bool)
    repeated[:, 1:] = table[:, 1:] == table[:, :-1]
    table = np.sort(np.where(repeated, np.inf, table), axis=1)
    counts = np.where(lower < upper, np.sum(np.isfinite(table), axis=1), 0)  # none: nobody trades
    point_sets = [table[k, :counts[k]] for k in range(n_problems)]
    tables: dict[Any, np.ndarray] = {}
    bilateral = n_agents == 2 and int(units[0]) == 1 and int(units[1]) == 1

    def integrand(y: np.ndarray, problem: np.ndarray) -> np.ndarray:
        x, prob, dens, rent = (np.empty((n_agents, y.size)) for _ in range(4))
        for col, (is_buyer, dist) in enumerate(agents):
            x[col] = inverse_rows(dist, is_buyer, columns[col], problem, y, tables)
            s = np.maximum(1.0 - columns[col][problem], 0.0)
            prob[col], dens[col], rent[col] = terms_at_types(dist, is_buyer, x[col], s)
        # one buyer and one supplier with a unit each: each trades exactly when the other reaches its level
        q = prob[::-1].copy() if bilateral else units_at_levels(prob, kb, ks)
        traded = dens * q
        return np.concatenate([traded, x * traded, rent * q])

    initial = None
    if warm is not None:
        from bargaining.models.mechanism.batch import _moved_edges

        initial = [_moved_edges(warm.get((key, "Y")), b) for key, b in zip(ids, point_sets)]
    results = integrate_many(integrand, [b.tolist() for b in point_sets], atol=engine.atol, rtol=engine.rtol,
                             initial=initial)
    evaluations = []
    for key, b, res in zip(ids, point_sets, results):
        if warm is not None and res.edges is not None:
            warm[(key, "Y")] = (b, res.edges)
        value = res.value.reshape(3, n_agents)
        mismatch = abs(float(np.sum(value[0, :nb]) - np.sum(value[0, nb:])))
        evaluations.append(Evaluation(value[0, :nb], value[1, :nb], value[2, :nb], value[0, nb:], value[1, nb:],
                                      value[2, nb:], float(np.sum(res.error)), res.converged,
                                      details={"units_mismatch": mismatch}))
    return evaluations
