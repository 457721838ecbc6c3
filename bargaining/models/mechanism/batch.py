"""Many allocations at once: :class:`SeparableEngine` evaluations at a batch of weight-ratio vectors.

A frontier solves the same market at many bargaining differentials; evaluated one by one, each evaluation
costs a few milliseconds of fixed overhead on a few hundred abscissae. Here the evaluations of K
weight-ratio vectors share every call: each agent's virtual type, density and inverse virtual type are
computed for the abscissae of all K problems together, with the weight ratio as an array (one entry per
abscissa). Every problem keeps its own adaptive panels, acceptance test and error bound
(:func:`~bargaining.models.mechanism.integrals.integrate_many` treats each (problem, agent) pair as an
integral of its own), so each :class:`Evaluation` is the one :meth:`SeparableEngine.evaluate` computes, up to
rounding and the quadrature tolerance.

The batch covers the common case: the built-in distribution families (raw weighted virtual type
x -+ (1 - a) * hazard ratio) without ironing at any weight (regular at a = 0 implies regular at every a).
:func:`batch_supported` says whether a market qualifies; callers fall back to one evaluation at a time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bargaining.models.distributions.base import TypeDistribution
from bargaining.models.distributions.families import Uniform
from bargaining.models.distributions.fine_inverse import inverse_batch, inverse_rows
from bargaining.models.mechanism.engines import SeparableEngine
from bargaining.models.mechanism.integrals import integrate_many
from bargaining.models.mechanism.level_batch import evaluate_levels_batch, levels_batch_applies
from bargaining.models.mechanism.protocol import Evaluation
from bargaining.models.mechanism.types import _HUGE, AgentView

__all__ = ["batch_supported", "evaluate_batch", "inverse_batch", "virtual_batch"]

_SIDE = {True: "value", False: "cost"}


_HAZARD_FORM = (Uniform,)
"""Families whose own raw virtual type is a closed form of x -+ (1 - a) r(x) (uniform: r = high - x, x - low)."""


def batch_supported(engine: Any) -> bool:
    """Whether :func:`evaluate_batch` applies: a :class:`SeparableEngine` whose agents are built-in families
    (raw virtual types x -+ (1 - a) r(x)) that need no ironing at any weight ratio."""
    if type(engine) is not SeparableEngine:
        return False
    for dists, is_buyer in ((engine.buyers, True), (engine.suppliers, False)):
        for dist in dists:
            if not isinstance(dist, TypeDistribution) or dist._flats(_SIDE[is_buyer], 0.0):
                return False
            if not (dist._builtin_raw() or type(dist) in _HAZARD_FORM):
                return False
    return True


def virtual_batch(dist: TypeDistribution, is_buyer: bool, x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Weighted virtual types x -+ (1 - a) r(x) with one ratio per abscissa, clipped to +-1e30 like
    :meth:`AgentView.virtual` (r = (1 - F)/f for values, F/f for costs; the identity where a >= 1)."""
    side = _SIDE[is_buyer]
    x = np.clip(np.asarray(x, dtype=float), dist.low, dist.high)
    ratio = dist._hazard_ratio(x, side)
    with np.errstate(invalid="ignore"):
        shift = np.where(a >= 1.0, 0.0, (1.0 - a) * ratio)
    out = x - shift if is_buyer else x + shift
    return np.clip(out, -_HUGE, _HUGE)


def _own_terms(dist: TypeDistribution, is_buyer: bool, x: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, ...]:
    """(virtual type, density, 1 - F for a buyer or F for a supplier) at abscissae inside the support, from one
    evaluation of the density and of the distribution function (the values of ``virtual_batch``, ``pdf`` and
    ``sf``/``cdf``)."""
    dens = dist._pdf_in(x)
    lower, upper = dist._cdf_sf_in(x)
    if is_buyer:
        tail = np.where(x <= dist.low, 1.0, np.where(x >= dist.high, 0.0, np.clip(upper, 0.0, 1.0)))
        numerator = np.where(x >= dist.high, 0.0, np.clip(upper, 0.0, 1.0))
    else:
        tail = np.where(x <= dist.low, 0.0, np.where(x >= dist.high, 1.0, np.clip(lower, 0.0, 1.0)))
        numerator = np.where(x <= dist.low, 0.0, np.clip(lower, 0.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(numerator == 0, 0.0, numerator / dens)
        shift = np.where(a >= 1.0, 0.0, (1.0 - a) * ratio)
    virtual = np.clip(x - shift if is_buyer else x + shift, -_HUGE, _HUGE)
    return virtual, dens, tail


def _probabilities(dist: TypeDistribution, is_buyer: bool, ratios: np.ndarray, row: np.ndarray, y: np.ndarray,
                   tables: dict[Any, np.ndarray]) -> np.ndarray:
    """P(phi >= y) for a buyer, P(gamma < y) for a supplier (no flats, so no ties), with ratio ratios[row]."""
    x = inverse_rows(dist, is_buyer, ratios, row, y, tables)
    return np.asarray(dist.sf(x) if is_buyer else dist.cdf(x), dtype=float)


def evaluate_batch(engine: SeparableEngine, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray,
                   warm: dict[tuple[int, str, int], tuple[np.ndarray, np.ndarray]] | None = None,
                   keys: Any = None) -> list[Evaluation]:
    """:meth:`SeparableEngine.evaluate` at each row of ``buyer_ratios`` (K x n^B) and ``supplier_ratios``
    (K x n^S), computed together (requires :func:`batch_supported`).

    ``warm``, when a dict, carries each (problem, agent)'s accepted panels to the next call (a warm start, as
    ``engine.warm`` does for one problem); problems are identified by ``keys`` (default: their row numbers).
    """
    rb = np.atleast_2d(np.asarray(buyer_ratios, dtype=float))
    rs = np.atleast_2d(np.asarray(supplier_ratios, dtype=float))
    n_problems = rb.shape[0]
    ids = list(range(n_problems)) if keys is None else [int(k) for k in keys]
    nb = len(engine.buyers)
    agents = [(True, i, d) for i, d in enumerate(engine.buyers)] + [(False, j, d) for j, d in enumerate(engine.suppliers)]
    ratios = np.column_stack([rb, rs])  # K x (n^B + n^S), one column per agent
    if engine.level_grid and levels_batch_applies(engine):
        on_levels = evaluate_levels_batch(engine, ratios, nb, warm, ids)
        if on_levels is not None:
            return on_levels
    column_ratios = [np.ascontiguousarray(ratios[:, col]) for col in range(ratios.shape[1])]
    tables: dict[Any, np.ndarray] = {}  # each agent's tables of its virtual type, built once a call
    units = np.concatenate([engine.kb, engine.ks])
    # identical agents (same law, units and ratios in every problem) share one integral, as in evaluate
    first: dict[tuple[Any, ...], int] = {}
    copy_of: list[int] = []
    todo: list[int] = []  # agent columns integrated
    for col, (is_buyer, _, dist) in enumerate(agents):
        key = (is_buyer, id(dist), int(units[col]), ratios[:, col].tobytes())
        if key in first:
            copy_of.append(first[key])
            continue
        first[key] = len(todo)
        copy_of.append(len(todo))
        todo.append(col)
    # kink levels of each agent in each problem: its virtual type at its support ends and breakpoints
    level_sets: list[np.ndarray] = []  # per agent column: (K, m) finite levels (NaN where infinite)
    for col, (is_buyer, _, dist) in enumerate(agents):
        width = dist.high - dist.low
        xs = [dist.low, dist.high]
        for b in getattr(dist, "breakpoints", ()):
            if dist.low < float(b) < dist.high:
                xs += [float(b) - 1e-9 * width, float(b) + 1e-9 * width]
        xx = np.tile(np.asarray(xs), (n_problems, 1))
        values = virtual_batch(dist, is_buyer, xx.ravel(), np.repeat(ratios[:, col], len(xs))).reshape(xx.shape)
        level_sets.append(np.where(np.abs(values) < _HUGE, values, np.nan))
    point_sets: list[list[float]] = []
    groups: list[tuple[int, int]] = []  # (problem, position in todo) of each integral
    for pos, col in enumerate(todo):
        is_buyer, _, dist = agents[col]
        others = np.column_stack([level_sets[c] for c in range(len(agents)) if c != col]) if len(agents) > 1 else \
            np.full((n_problems, 0), np.nan)
        rows = np.repeat(np.arange(n_problems), others.shape[1])
        flat = others.ravel()
        finite = np.isfinite(flat)
        inv = np.full(flat.size, np.nan)
        if np.any(finite):
            inv[finite] = inverse_rows(dist, is_buyer, column_ratios[col], rows[finite], flat[finite], tables)
        inv_rows = inv.reshape(others.shape)
        own = [dist.low, dist.high, *[float(b) for b in getattr(dist, "breakpoints", ())]]
        own = [p for p in own if dist.low <= p <= dist.high]
        for k in range(n_problems):
            point_sets.append(own + [float(p) for p in inv_rows[k] if np.isfinite(p)])
            groups.append((k, pos))
    group_problem = np.array([g[0] for g in groups])
    group_pos = np.array([g[1] for g in groups])
    # the views only tell _interim_batch each agent's side (no flats here)
    vb = [AgentView(d, True, 1.0, []) for d in engine.buyers]
    vs = [AgentView(d, False, 1.0, []) for d in engine.suppliers]
    todo_sides = np.array(["B" if agents[c][0] else "S" for c in todo])
    todo_index = np.array([agents[c][1] for c in todo])
    bilateral = len(agents) == 2 and int(units[0]) == 1 and int(units[1]) == 1

    def integrand(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        problem, pos = group_problem[g], group_pos[g]
        y, dens, tail = np.empty(x.size), np.empty(x.size), np.empty(x.size)
        for p, col in enumerate(todo):
            at = pos == p
            if not np.any(at):
                continue
            is_buyer, _, dist = agents[col]
            y[at], dens[at], tail[at] = _own_terms(dist, is_buyer, x[at], ratios[problem[at], col])
        probs = {}
        zero = np.zeros(x.size)
        for col, (is_buyer, i, dist) in enumerate(agents):
            own = todo.index(col) if col in todo else -1
            need = pos != own
            base = np.zeros(x.size)
            if np.any(need):
                base[need] = _probabilities(dist, is_buyer, column_ratios[col], problem[need], y[need], tables)
            probs[("B" if is_buyer else "S", i)] = (base, zero)
        if bilateral:
            # one buyer and one supplier with a unit each: each trades exactly when the other reaches its
            # virtual type (what _interim_batch computes here, without the count distributions)
            q = np.where(todo_sides[pos] == "B", probs[("S", 0)][0], probs[("B", 0)][0])
        else:
            q = np.empty(x.size)
            for side in ("B", "S"):
                mine = np.flatnonzero(todo_sides[pos] == side)
                if mine.size:
                    q[mine] = engine._interim_batch(side, todo_index[pos[mine]], mine, probs, vb, vs)
        return np.stack([dens * q, x * dens * q, tail * q])

    breaks = [np.array(sorted({p for p in pts if math.isfinite(p)})) for pts in point_sets]
    keys_of = [(ids[k], *_agent_key(agents, todo[pos])) for k, pos in groups]
    initial = None
    if warm is not None:
        initial = [_moved_edges(warm.get(key), b) for key, b in zip(keys_of, breaks)]
    results = integrate_many(integrand, point_sets, atol=engine.atol, rtol=engine.rtol, initial=initial)
    if warm is not None:
        for warm_key, b, res in zip(keys_of, breaks, results):
            if res.edges is not None:
                warm[warm_key] = (b, res.edges)
    # per problem and agent column: its integral (a copy's is its twin's); results are todo-major
    index = np.asarray(copy_of)[None, :] * n_problems + np.arange(n_problems)[:, None]
    values = np.array([res.value for res in results])[index]  # (K, agents, 3)
    errors = np.array([float(np.sum(res.error)) for res in results])[index].sum(axis=1)
    converged = np.array([res.converged for res in results])[index].all(axis=1)
    evaluations = []
    for k in range(n_problems):
        v = values[k]
        bt, st = v[:nb, 0], v[nb:, 0]
        mismatch = abs(float(bt.sum() - st.sum()))
        evaluations.append(Evaluation(bt, v[:nb, 1], v[:nb, 2], st, v[nb:, 1], v[nb:, 2], float(errors[k]),
                                      bool(converged[k]), details={"units_mismatch": mismatch}))
    return evaluations


def _moved_edges(previous: tuple[np.ndarray, np.ndarray] | None, breaks: np.ndarray) -> np.ndarray | None:
    """:func:`~bargaining.models.mechanism.integrals.mapped_edges` (panel edges found for one set of breakpoints,
    moved piecewise linearly onto another with as many), without its checks of the stored breakpoints, which
    come from this module sorted and distinct."""
    if previous is None or previous[0].size != breaks.size or breaks.size < 2:
        return None
    return np.interp(previous[1], previous[0], breaks)


def _group_index(problem: int, pos: int, n_problems: int) -> int:
    """Index of the integral of (problem, todo position) in the order built above (todo-major)."""
    return pos * n_problems + problem


def _agent_key(agents: list[tuple[bool, int, Any]], col: int) -> tuple[str, int]:
    is_buyer, i, _ = agents[col]
    return ("B" if is_buyer else "S", i)
