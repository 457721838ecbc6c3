"""A frontier solved in lockstep: every bargaining differential's root search at once (batched evaluations).

:meth:`Market.bargain_deltas` and :meth:`Market.frontier` solve the budget equation B(t) = participation
costs (t = 1/rho) at many Deltas. One at a time, each solve costs a few evaluations of a few milliseconds,
mostly fixed overhead. Here the root searches of all Deltas advance together and every round is one
:func:`~bargaining.models.mechanism.batch.evaluate_batch` call:

1. cheap evaluations (quadrature tolerance 1e-6) on a subset of the Deltas (about one in five on each side of
   Delta = 0, denser towards the ends): Chandrupatla's method in lockstep from the bracket [0, 1], to about
   1e-6 in t (``scipy.optimize.elementwise.find_root``), then secant steps at the requested tolerances;
2. t* and the budget's slope at those Deltas splined to every other Delta (a cubic spline on each side of
   Delta = 0, where the weights have a kink), one cheap Newton step from there (to about 1e-7);
3. secant steps at the requested tolerances, in lockstep, each Delta with its own bracket, stopping rule,
   error bound and accuracy exactly as in :meth:`RhoSearch._solve_near` (usually two evaluations).

Integrals start from the accepted panels of the nearest Delta solved before (a start only; the acceptance
test decides). Subset Deltas whose constraint may be slack are evaluated at rho = 1 and reported slack when
they are at the final accuracy. A Delta whose steps leave its bracket, or that is not covered otherwise, is
returned as None and solved by the one-at-a-time path, so the result at every Delta is a solution at the requested tolerances with its own
accuracy bound whichever path found it.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Literal

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import elementwise

from bargaining.models.conventions import weights_from_delta
from bargaining.models.mechanism.batch import evaluate_batch
from bargaining.models.mechanism.inputs import normalized_weights, surplus_shares
from bargaining.models.mechanism.outcome import BargainingOutcome, replace_outcome
from bargaining.models.mechanism.protocol import Evaluation

__all__ = ["lockstep_sweep"]

_SUBSET_STEP = 5
"""About one Delta in this many (on each side of 0, at least six) is solved first, the others from a spline."""
_COARSE_TOL = 1e-6
_MAX_COARSE_ROUNDS = 40
_MAX_FINE_ROUNDS = 8


def _subset(deltas: np.ndarray) -> np.ndarray:
    """Indices of the Deltas solved first: on each side of Delta = 0 about one in five (at least six), at
    Chebyshev-Lobatto positions of the sorted Deltas (the spline through them is least accurate near the ends)."""
    chosen: list[int] = []
    for side in (deltas < 0.0, deltas >= 0.0):
        where = np.flatnonzero(side)
        if where.size == 0:
            continue
        order = where[np.argsort(deltas[where], kind="stable")]
        count = min(order.size, max(6, -(-order.size // _SUBSET_STEP) + 1))
        # Chebyshev-Lobatto positions: denser towards the ends of each side, where t moves fastest
        positions = np.round(0.5 * (1.0 - np.cos(np.linspace(0.0, np.pi, count))) * (order.size - 1)).astype(int)
        chosen += order[np.unique(positions)].tolist()
    return np.array(sorted(set(chosen)), dtype=int)


def lockstep_sweep(market: Any, deltas: np.ndarray, step_tol: float | None = None) -> list[BargainingOutcome | None]:
    """Outcomes at ``deltas`` (None where the one-at-a-time path must solve), see the module docstring."""
    try:
        return _lockstep(market, deltas, step_tol)
    except FloatingPointError:
        # a non-finite integrand somewhere in the batch: the one-at-a-time path meets (and reports) it at the
        # Delta concerned
        return [None] * deltas.size


def _lockstep(market: Any, deltas: np.ndarray, step_tol: float | None) -> list[BargainingOutcome | None]:
    engine = market._engine
    n_d = deltas.size
    nb, ns = len(market.buyers), len(market.suppliers)
    costs = float(market.buyer_participation_costs.sum() + market.supplier_participation_costs.sum())
    wb = np.empty((n_d, nb))
    ws = np.empty((n_d, ns))
    for k, d in enumerate(deltas):
        w_b, w_s = weights_from_delta(float(d))
        wb[k], ws[k] = normalized_weights([w_b] * nb, [w_s] * ns, nb, ns)
    results: list[BargainingOutcome | None] = [None] * n_d

    # 1. cheap root searches on the subset ------------------------------------------------------------------
    loose = copy.copy(engine)
    loose.atol, loose.rtol = max(market.atol, _COARSE_TOL * 0.1 * market.scale), _COARSE_TOL
    subset = _subset(deltas)
    ev0 = loose.evaluate(np.zeros(nb), np.zeros(ns))  # t = 0: the same allocation at every Delta
    margin = 1e-6 * market.scale
    if not ev0.budget - costs > margin + 10.0 * ev0.error:
        return results  # infeasible or doubtful: the one-at-a-time path reports it
    warm_loose: dict[Any, Any] = {}
    ev1 = evaluate_batch(loose, wb[subset], ws[subset], warm=warm_loose, keys=subset)
    gap1 = np.array([e.budget - costs for e in ev1])
    err1 = np.array([e.error for e in ev1])
    usable = gap1 < -(margin + 10.0 * err1)  # binding with room at the loose accuracy
    sub = subset[usable]
    history: list[list[tuple[float, float]]] = [[(0.0, ev0.budget - costs), (1.0, float(g))] for g in gap1[usable]]

    def gap(t: np.ndarray, which: np.ndarray) -> np.ndarray:
        # Chandrupatla's steps for all unfinished Deltas of the subset: one batched evaluation a round
        t, rows = np.asarray(t, dtype=float).ravel(), np.asarray(which).ravel().astype(int)
        out = np.empty(t.size)
        inner = (t > 0.0) & (t < 1.0)  # the bracket's ends are known already
        out[t <= 0.0] = ev0.budget - costs
        for m in np.flatnonzero(t >= 1.0):
            out[m] = history[rows[m]][1][1]
        if inner.any():
            evs = evaluate_batch(loose, wb[sub[rows[inner]]] * t[inner, None], ws[sub[rows[inner]]] * t[inner, None],
                                 warm=warm_loose, keys=sub[rows[inner]])
            for m, ev in zip(np.flatnonzero(inner), evs):
                out[m] = ev.budget - costs
                history[rows[m]].append((float(t[m]), float(out[m])))
        return out.reshape(np.shape(which))

    roots = None
    if sub.size:
        roots = elementwise.find_root(gap, (np.zeros(sub.size), np.ones(sub.size)), args=(np.arange(sub.size),),
                                      tolerances={"xatol": _COARSE_TOL, "xrtol": _COARSE_TOL, "fatol": 0.0, "frtol": 0.0},
                                      maxiter=_MAX_COARSE_ROUNDS)
    active = np.ones(sub.size, dtype=bool) if roots is None else ~np.asarray(roots.success, dtype=bool)
    ok_sub: list[int] = []
    t_sub: list[float] = []
    slope_sub: list[float] = []
    for m, k in enumerate(sub):
        if active[m]:
            continue
        pts = history[m]
        near_t, near_g = min(pts, key=lambda p: abs(p[1]))
        far = [p for p in pts if abs(p[0] - near_t) >= 1e-4]
        if not far:
            continue
        far_t, far_g = min(far, key=lambda p: abs(p[0] - near_t))
        slope = (far_g - near_g) / (far_t - near_t)
        t_c = near_t - near_g / slope if slope < 0 else math.nan
        if slope < 0 and math.isfinite(t_c) and 1e-6 < t_c < 1.0 - 1e-6:
            ok_sub.append(int(k))
            t_sub.append(t_c)
            slope_sub.append(slope)

    # 2. the subset at the final tolerances, alone: its solutions (t* and the budget's slope, to about 1e-10
    # and 1e-6) and panels then start every other Delta ---------------------------------------------------------
    tol = market._near_tol if step_tol is None else step_tol
    warm: dict[Any, Any] = dict(warm_loose)  # the cheap panels as a start: the fine ones refine them
    state = {k: _Secant(t_c, slope) for k, t_c, slope in zip(ok_sub, t_sub, slope_sub)}
    # Deltas of the subset whose constraint may be slack (the budget at rho = 1 covers the costs at the cheap
    # accuracy): evaluated at t = 1 in the first round, and solved here when it is slack at the final accuracy
    slack = [int(k) for k in subset[~usable]]
    for k, ev in _advance(engine, state, wb, ws, warm, costs, tol, slack):
        results[k] = _slack_outcome(market, wb[k], ws[k], ev, costs, float(deltas[k]))
    slack_seen = [k for k in slack if results[k] is not None]
    known: dict[int, tuple[float, float]] = {}
    for k, search in state.items():
        found = search.result() if search.status == "done" else None
        if found is not None:
            known[k] = (found[0], found[5])

    # 3. every other Delta: spline guesses, one cheap Newton step, secant steps at the final tolerances ----
    guess_t, guess_slope = _spline_guesses(deltas, known)
    others = [k for k in range(n_d) if k not in state and k not in slack]
    fresh = np.array([k for k in others if np.isfinite(guess_t[k]) and np.isfinite(guess_slope[k])
                      and guess_slope[k] < 0.0 and 0.0 < guess_t[k] < 1.0 - 1e-6], dtype=int)
    lead = np.array(list(known), dtype=int)
    if fresh.size:
        # the spline is good to about 1e-5 (1e-3 near Delta = +-1); the step takes t to the cheap accuracy
        # (about 1e-7), from where the final secant steps stop after two evaluations
        _borrow_panels(warm_loose, fresh, lead, deltas)
        evs = evaluate_batch(loose, wb[fresh] * guess_t[fresh, None], ws[fresh] * guess_t[fresh, None],
                             warm=warm_loose, keys=fresh)
        for k, ev in zip(fresh, evs):
            step = -(ev.budget - costs) / guess_slope[k]
            guess_t[k] = guess_t[k] + step if abs(step) < 1e-2 else math.nan  # else: one at a time
        fresh = fresh[np.isfinite(guess_t[fresh]) & (guess_t[fresh] > 0.0) & (guess_t[fresh] < 1.0 - 1e-6)]
    # Deltas next to a subset Delta where the constraint is slack may be slack too: evaluated at rho = 1 in the
    # first round (besides their own secant search when they have a guess)
    near_slack = _next_to_slack(deltas, others, slack_seen, lead.tolist())
    if fresh.size or near_slack:
        _borrow_panels(warm, np.union1d(fresh, near_slack).astype(int), np.union1d(lead, slack_seen).astype(int),
                       deltas)
        followers = {int(k): _Secant(float(guess_t[k]), float(guess_slope[k])) for k in fresh}
        for k, ev in _advance(engine, followers, wb, ws, warm, costs, tol, near_slack):
            results[k] = _slack_outcome(market, wb[k], ws[k], ev, costs, float(deltas[k]))
        state.update({k: search for k, search in followers.items() if results[k] is None})
    for k, search in state.items():
        if search.status != "done":
            continue
        found = search.result()
        if found is None:
            continue
        t_star, ev, ev_a, ev_b, dt, slope, t_error = found
        eta_b, eta_s = surplus_shares(None, wb[k], ws[k])
        ev = market._certify(wb[k], ws[k], t_star, ev)
        out = market._outcome(wb[k], ws[k], t_star, ev, eta_b, eta_s, binding=True, t_error=t_error,
                              slopes=(ev_a, ev_b, dt))
        out.details["budget_slope"] = float(slope)
        results[k] = replace_outcome(out, delta=float(deltas[k]))
    return results


def _slack_outcome(market: Any, wb: np.ndarray, ws: np.ndarray, ev: Evaluation, costs: float,
                   delta: float) -> BargainingOutcome | None:
    """The outcome at rho = 1 from an evaluation at t = 1 when the constraint is slack at the final accuracy
    (the test of :meth:`RhoSearch._solve`), else None."""
    if ev.budget - costs < -(1e-12 * market.scale + 2.0 * ev.error):
        return None
    eta_b, eta_s = surplus_shares(None, wb, ws)
    ev = market._certify(wb, ws, 1.0, ev)
    out = market._outcome(wb, ws, 1.0, ev, eta_b, eta_s, binding=False, t_error=0.0, slopes=None)
    return replace_outcome(out, delta=delta)


def _next_to_slack(deltas: np.ndarray, candidates: list[int], slack: list[int], binding: list[int]) -> list[int]:
    """The candidates whose nearest solved Delta on either side (same side of 0) is a slack one."""
    if not slack:
        return []
    out = []
    for k in candidates:
        same = [j for j in slack + binding if (deltas[j] < 0.0) == (deltas[k] < 0.0)]
        below = [j for j in same if deltas[j] < deltas[k]]
        above = [j for j in same if deltas[j] > deltas[k]]
        neighbours = ([max(below, key=lambda j: deltas[j])] if below else []) + \
            ([min(above, key=lambda j: deltas[j])] if above else [])
        if any(j in slack for j in neighbours):
            out.append(int(k))
    return out


def _advance(engine: Any, state: dict[int, _Secant], wb: np.ndarray, ws: np.ndarray, warm: dict[Any, Any],
             costs: float, tol: float, extra: list[int]) -> list[tuple[int, Evaluation]]:
    """Secant rounds (one batched evaluation each) until no search in ``state`` is live; the Deltas in
    ``extra`` are evaluated at t = 1 in the first round, and returned with their evaluations."""
    extra_out: list[tuple[int, Evaluation]] = []
    for round_ in range(_MAX_FINE_ROUNDS + 1):
        live = [k for k, search in state.items() if search.status == "live"]
        more = extra if round_ == 0 else []
        if not live and not more:
            break
        ts = np.array([state[k].t for k in live] + [1.0] * len(more))
        rows = live + more
        evs = evaluate_batch(engine, wb[rows] * ts[:, None], ws[rows] * ts[:, None], warm=warm, keys=rows)
        for k, ev in zip(live, evs):
            state[k].update(ev, costs, tol)
        extra_out += list(zip(more, evs[len(live):]))
    return extra_out


def _spline_guesses(deltas: np.ndarray, known: dict[int, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """t and the budget's slope at every Delta from cubic splines through the known points, on each side of
    Delta = 0 separately (the weights have a kink there); NaN on a side with fewer than two known points."""
    guess_t = np.full(deltas.size, np.nan)
    guess_slope = np.full(deltas.size, np.nan)
    for side in (deltas < 0.0, deltas >= 0.0):
        members = sorted((k for k in known if side[k]), key=lambda k: deltas[k])
        if len(members) < 2:
            continue
        x = np.asarray(deltas[members], dtype=float)
        where = np.flatnonzero(side)
        kind: Literal["not-a-knot", "natural"] = "not-a-knot" if len(members) >= 4 else "natural"
        guess_t[where] = CubicSpline(x, np.array([known[k][0] for k in members]), bc_type=kind)(deltas[where])
        guess_slope[where] = CubicSpline(x, np.array([known[k][1] for k in members]), bc_type=kind)(deltas[where])
    return guess_t, guess_slope


def _borrow_panels(warm: dict[Any, Any], targets: np.ndarray, sources: np.ndarray, deltas: np.ndarray) -> None:
    """Start each target Delta's integrals from the panels of the nearest source Delta on the same side of 0
    (mapped onto the target's breakpoints by the engine; only a start, the acceptance test decides)."""
    if not sources.size:
        return
    for k in targets:
        same = sources[(deltas[sources] < 0.0) == (deltas[k] < 0.0)]
        if not same.size:
            continue
        near = int(same[np.argmin(np.abs(deltas[same] - deltas[k]))])
        for key in [key for key in warm if key[0] == near]:
            warm.setdefault((int(k), *key[1:]), warm[key])


class _Secant:
    """One Delta's safeguarded secant search of B(t) = costs (the rules of :meth:`RhoSearch._solve_near`)."""

    def __init__(self, t: float, slope_guess: float) -> None:
        self.t = t
        self.slope_guess = slope_guess
        self.lo, self.hi, self.hi_seen = 0.0, 1.0, False
        self.points: list[tuple[float, Evaluation]] = []
        self.status = "live"
        self.gap = math.nan

    def update(self, ev: Evaluation, costs: float, tol: float) -> None:
        gap = ev.budget - costs
        self.gap = gap
        self.points.append((self.t, ev))
        if gap >= 0.0:
            self.lo = max(self.lo, self.t)
        else:
            self.hi, self.hi_seen = min(self.hi, self.t), True
        if len(self.points) == 1:
            step = -gap / self.slope_guess
        else:
            (t0, e0), (t1, e1) = self.points[-2], self.points[-1]
            slope = (e1.budget - e0.budget) / (t1 - t0) if t1 != t0 else 0.0
            if not slope < 0.0:
                self.status = "failed"
                return
            step = -gap / slope
        if abs(step) <= tol and len(self.points) >= 2:
            self.status = "done"
            return
        t_next = self.t + step
        if not (self.lo < t_next < self.hi) or (t_next >= 1.0 and not self.hi_seen) or len(self.points) >= _MAX_FINE_ROUNDS:
            self.status = "failed"
            return
        self.t = t_next

    def result(self) -> tuple[float, Evaluation, Evaluation, Evaluation, float, float, float] | None:
        """(t*, its evaluation, the two evaluations of the slope, their distance in t, the slope, t's error
        bound), or None when the last two points do not qualify for the error bound."""
        if not self.hi_seen and self.t >= 1.0 - 1e-6:
            return None
        t_star, ev = self.points[-1]
        (t_a, ev_a), (t_b, ev_b) = sorted(self.points[-2:], key=lambda p: p[0])
        if t_b - t_a <= 0 or t_b - t_a > 1e-3:
            return None
        slope = (ev_b.budget - ev_a.budget) / (t_b - t_a)
        if not slope < 0.0:
            return None
        # as in _solve_near: the residual over the slope is the first-order distance to t*, doubled for the
        # change of slope between t* and the last evaluation
        t_error = (ev.error + 2.0 * abs(self.gap)) / abs(slope) + 1e-14
        return t_star, ev, ev_a, ev_b, t_b - t_a, slope, t_error
