"""The root search for rho behind :class:`~bargaining.models.mechanism.market.Market` (a mixin).

The budget surplus B(t) of the Lemma 1 allocation at weight ratios t * w (t = 1/rho) is non-increasing in t;
rho solves B(t) = participation costs when the constraint binds (appendix eq. 36). ``_solve`` finds t* from
scratch (cheap evaluations first, then secant steps at the requested tolerances), ``_solve_near`` from a close
guess, and ``_sweep`` runs the warm-started sequence behind ``Market.bargain_deltas`` and ``frontier``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize

from bargaining.errors import InfeasibleProblemError
from bargaining.models.conventions import weights_from_delta
from bargaining.models.mechanism.batch import batch_supported
from bargaining.models.mechanism.inputs import normalized_weights, surplus_shares
from bargaining.models.mechanism.outcome import BargainingOutcome, replace_outcome
from bargaining.models.mechanism.protocol import Evaluation, MechanismEngine
from bargaining.models.mechanism.sweep import lockstep_sweep

__all__ = ["RhoSearch"]

_COARSE_TOL = 1e-6
"""Relative quadrature tolerance of the cheap evaluations that locate t* = 1/rho before the final ones."""
_COARSE_XTOL = 1e-6
"""Tolerance in t of the root search on those cheap evaluations."""
_LOCKSTEP_MIN = 12
"""Sweeps of at least this many Deltas solve them in lockstep with batched evaluations (:mod:`.sweep`)."""
_LOCKSTEP_BATCH = 2048
"""Deltas times agents solved in one lockstep batch (larger sweeps are cut into chunks)."""


class RhoSearch:
    """Root search for t = 1/rho; mixed into :class:`~bargaining.models.mechanism.market.Market`, which provides
    the agents, the engine and :meth:`_outcome`."""

    buyers: list[Any]
    suppliers: list[Any]
    buyer_participation_costs: np.ndarray
    supplier_participation_costs: np.ndarray
    scale: float
    atol: float
    rtol: float
    method: str
    _engine: MechanismEngine
    _coarse_engine: MechanismEngine | None
    _xtol: float
    _near_tol: float

    def _evaluate(self, wb: np.ndarray, ws: np.ndarray, t: float) -> Evaluation:
        return self._engine.evaluate(wb * t, ws * t)

    def _certify(self, wb: np.ndarray, ws: np.ndarray, t: float, ev: Evaluation) -> Evaluation:
        """The engine's tighter error bound for the evaluation reported (engines without one: ``ev``)."""
        certify = getattr(self._engine, "certify", None)
        return ev if certify is None else certify(wb * t, ws * t, ev)

    def _outcome(self, wb: np.ndarray, ws: np.ndarray, t: float, ev: Evaluation, eta_b: np.ndarray,
                 eta_s: np.ndarray, *, binding: bool, t_error: float, slopes: Any,
                 kind: str = "bargaining") -> BargainingOutcome:
        raise NotImplementedError  # provided by Market

    def _slack_at_delta(self, delta: float) -> tuple[float, float]:
        """(budget surplus net of participation costs at rho = max weight, its slack tolerance) at Delta.

        The constraint is slack at Delta (rho = 1, :meth:`_solve`'s first branch) exactly when the first is at
        least minus the second; the first is smooth in Delta, so the Delta where the constraint starts to bind
        is a root of it (one evaluation a step instead of a solve).
        """
        w_b, w_s = weights_from_delta(float(delta))
        wb, ws = normalized_weights([w_b] * len(self.buyers), [w_s] * len(self.suppliers), len(self.buyers),
                                    len(self.suppliers))
        ev = self._evaluate(wb, ws, 1.0)
        costs = float(self.buyer_participation_costs.sum() + self.supplier_participation_costs.sum())
        return ev.budget - costs, 1e-12 * self.scale + 2.0 * ev.error

    def _solve(self, wb: np.ndarray, ws: np.ndarray, eta_b: np.ndarray, eta_s: np.ndarray) -> BargainingOutcome:
        costs = float(self.buyer_participation_costs.sum() + self.supplier_participation_costs.sum())
        coarse = self._coarse_guess(wb, ws, costs)
        if coarse is not None:
            # finish to Brent's tolerance in t (not the looser one of the frontier's warm starts), each
            # evaluation starting from the panels of the one before (unless a caller already keeps them)
            engine = self._engine
            fresh = hasattr(engine, "warm") and engine.warm is None
            if fresh:
                engine.warm = {}  # type: ignore[attr-defined]
            try:
                near = self._solve_near(wb, ws, eta_b, eta_s, *coarse, step_tol=max(self._xtol, 1e-12))
            finally:
                if fresh:
                    engine.warm = None  # type: ignore[attr-defined]
            if near is not None:
                near[0].details["budget_slope"] = float(near[2])
                return near[0]
        ev1 = self._evaluate(wb, ws, 1.0)
        tol = 1e-12 * self.scale + 2.0 * ev1.error
        if ev1.budget - costs >= -tol:
            ev1 = self._certify(wb, ws, 1.0, ev1)
            return self._outcome(wb, ws, 1.0, ev1, eta_b, eta_s, binding=False, t_error=0.0, slopes=None)
        ev0 = self._evaluate(wb, ws, 0.0)
        if ev0.budget - costs < -(1e-12 * self.scale + 2.0 * ev0.error):
            raise InfeasibleProblemError(
                f"The largest possible budget surplus ({ev0.budget:.6g}) does not cover the participation costs "
                f"({costs:.6g}).",
                hint="Lower the participation costs or add agents: no rho satisfies eq. (36).",
            )
        cache: dict[float, Evaluation] = {0.0: ev0, 1.0: ev1}

        def gap(t: float) -> float:
            if t not in cache:
                cache[t] = self._evaluate(wb, ws, t)
            return cache[t].budget - costs

        if gap(0.0) <= 0.0:
            t_star = 0.0
        else:
            t_star = float(optimize.brentq(gap, 0.0, 1.0, xtol=self._xtol, rtol=4 * np.finfo(float).eps, maxiter=300))
        ev = cache.get(t_star) or self._evaluate(wb, ws, t_star)
        ev = self._certify(wb, ws, t_star, ev)
        # error in t from the error of the budget, through the slope of the budget in t
        # the root search has already evaluated points close to t* on both sides; reuse them when they are
        # close enough for a slope (the slope only scales the error bound), else evaluate two more
        below = [t for t in cache if t < t_star]
        above = [t for t in cache if t > t_star]
        if below and above and max(t_star - max(below), min(above) - t_star) <= 1e-3:
            lo_t, hi_t = max(below), min(above)
        else:
            h = max(1e-6, 1e-5 * t_star)
            lo_t, hi_t = max(t_star - h, 0.0), min(t_star + h, 1.0)
        ev_lo = cache.get(lo_t) or self._evaluate(wb, ws, lo_t)
        ev_hi = cache.get(hi_t) or self._evaluate(wb, ws, hi_t)
        slope = (ev_hi.budget - ev_lo.budget) / (hi_t - lo_t)
        budget_err = ev.error + abs(ev.budget - costs)
        t_error = budget_err / abs(slope) + 1e-14 if slope != 0 else math.inf
        out = self._outcome(wb, ws, t_star, ev, eta_b, eta_s, binding=True, t_error=t_error,
                            slopes=(ev_lo, ev_hi, hi_t - lo_t))
        out.details["budget_slope"] = float(slope)
        return out

    def _coarse_guess(self, wb: np.ndarray, ws: np.ndarray, costs: float) -> tuple[float, float] | None:
        """t* to about 1e-7 and the budget's slope there, from cheap evaluations at loose tolerances, or None.

        The root search in t = 1/rho needs about ten evaluations from the bracket [0, 1]; done at the final
        tolerances each costs as much as the last. Here Brent's method runs on evaluations with tolerances 1e-6
        (about half the cost) and :meth:`_solve` finishes from its result with a few secant steps at the
        requested tolerances (:meth:`_solve_near`), so the result and its accuracy bound are those of the
        tolerances asked for. None (and the caller's full search) when the quadrature is already loose, the
        constraint may be slack, the bracket is in doubt at the loose accuracy, or the root is near t = 1.
        """
        engine = self._engine
        if self.method != "quadrature" or not hasattr(engine, "atol") or self.rtol >= 1e-8:
            return None
        if self._coarse_engine is None:
            loose = copy.copy(engine)
            loose.atol, loose.rtol = max(self.atol, _COARSE_TOL * 0.1 * self.scale), _COARSE_TOL  # type: ignore[attr-defined]
            self._coarse_engine = loose
        loose_engine = self._coarse_engine
        if hasattr(loose_engine, "warm"):
            # each evaluation starts from the panels of the previous one (neighbouring t need about the same)
            loose_engine.warm = {}
        cache: dict[float, Evaluation] = {}

        def gap(t: float) -> float:
            if t not in cache:
                cache[t] = loose_engine.evaluate(wb * t, ws * t)
            return cache[t].budget - costs

        margin = 1e-6 * self.scale
        if not (gap(1.0) < -(margin + 10.0 * cache[1.0].error)) or not (gap(0.0) > margin + 10.0 * cache[0.0].error):
            return None
        t_c = float(optimize.brentq(gap, 0.0, 1.0, xtol=_COARSE_XTOL, rtol=_COARSE_XTOL, maxiter=100))
        if not 1e-6 < t_c < 1.0 - 1e-6:
            return None
        # the slope from the evaluated points nearest t* that are far enough apart for the loose budget's error
        # (about 1e-6) not to matter
        far = [t for t in cache if abs(t - t_c) >= 1e-4]
        if not far:
            return None
        far_t = min(far, key=lambda t: abs(t - t_c))
        near = min(cache, key=lambda t: abs(t - t_c))
        slope = (cache[far_t].budget - cache[near].budget) / (far_t - near)
        return (t_c, slope) if slope < 0.0 and math.isfinite(slope) else None

    def _solve_near(self, wb: np.ndarray, ws: np.ndarray, eta_b: np.ndarray, eta_s: np.ndarray, t_guess: float,
                    slope_guess: float, step_tol: float | None = None) -> tuple[BargainingOutcome, float, float] | None:
        """The binding solution from a close guess of t = 1/rho and of the budget's slope in t (a warm start).

        Safeguarded secant steps on the budget surplus B(t), non-increasing in t: the first from the guess with
        the guessed slope, then through the last two evaluations, always inside the bracket of t* that the
        signs of B give. Stops when the next step is below 1e-10 (``tol`` / 10 if larger), and reports the last evaluated t with the
        error bound of :meth:`_solve` (the budget's error and residual divided by its slope, carried into
        ``accuracy`` through the derivatives of the payoffs in t). Returns (outcome, t*, slope), or None when the guess is not usable (the constraint may be
        slack, or the steps leave the bracket), so that the caller solves from scratch.
        """
        costs = float(self.buyer_participation_costs.sum() + self.supplier_participation_costs.sum())
        if not (0.0 < t_guess < 1.0 - 1e-6) or not (slope_guess < 0.0) or not math.isfinite(slope_guess):
            return None
        lo, hi = 0.0, 1.0  # B(lo) >= 0 > B(hi) once hi is evaluated
        hi_seen = False
        points: list[tuple[float, Evaluation]] = []
        t = t_guess
        for _ in range(8):
            ev = self._evaluate(wb, ws, t)
            gap = ev.budget - costs
            points.append((t, ev))
            if gap >= 0.0:
                lo = max(lo, t)
            else:
                hi, hi_seen = min(hi, t), True
            if len(points) == 1:
                step = -gap / slope_guess
            else:
                (t0, e0), (t1, e1) = points[-2], points[-1]
                slope = (e1.budget - e0.budget) / (t1 - t0) if t1 != t0 else 0.0
                if not slope < 0.0:
                    return None
                step = -gap / slope
            # a last step below _near_tol is accepted; its size (the distance to t*, up to the budget's error)
            # enters t_error and thus the reported accuracy
            if abs(step) <= (self._near_tol if step_tol is None else step_tol) and len(points) >= 2:
                break
            t_next = t + step
            if not (lo < t_next < hi) or (t_next >= 1.0 and not hi_seen):
                return None
            t = t_next
        else:
            return None
        if not hi_seen and t >= 1.0 - 1e-6:
            return None
        t_star, ev = points[-1]
        ev = self._certify(wb, ws, t_star, ev)
        (t_a, ev_a), (t_b, ev_b) = sorted(points[-2:], key=lambda p: p[0])
        if t_b - t_a <= 0 or t_b - t_a > 1e-3:
            return None
        slope = (ev_b.budget - ev_a.budget) / (t_b - t_a)
        if not slope < 0.0:
            return None
        # the residual over the slope is the first-order distance to t*; twice it bounds the distance with room
        # for the change of slope between t* and the last evaluation
        t_error = (ev.error + 2.0 * abs(ev.budget - costs)) / abs(slope) + 1e-14
        out = self._outcome(wb, ws, t_star, ev, eta_b, eta_s, binding=True, t_error=t_error,
                            slopes=(ev_a, ev_b, t_b - t_a))
        return out, t_star, slope

    def _sweep(self, deltas: np.ndarray, hints: Sequence[tuple[float, float] | None] | None,
               step_tol: float | None = None) -> list[BargainingOutcome]:
        """:meth:`bargain_deltas` on checked Deltas; ``hints`` optionally gives (t guess, budget slope guess) per
        point (e.g. from an interpolated curve), used instead of extrapolating from the points solved before;
        ``step_tol`` is the last secant step in t accepted by the warm-started points (default ``_near_tol``,
        1e-10; its size enters ``rho_accuracy`` and ``accuracy``)."""
        batched: list[BargainingOutcome | None] = [None] * deltas.size
        if (hints is None and self.method == "quadrature" and deltas.size >= _LOCKSTEP_MIN and self.rtol < 1e-8
                and np.unique(deltas).size == deltas.size and batch_supported(self._engine)):
            # in chunks, so that the batched arrays (Deltas x abscissae x agents) stay small
            size = max(_LOCKSTEP_MIN, _LOCKSTEP_BATCH // (len(self.buyers) + len(self.suppliers)))
            batched = []
            for start in range(0, deltas.size, size):
                chunk = deltas[start:start + size]
                batched += lockstep_sweep(self, chunk, step_tol) if chunk.size >= _LOCKSTEP_MIN else [None] * chunk.size
        engine = self._engine
        warm = hasattr(engine, "warm")
        if warm:
            engine.warm = {}  # type: ignore[attr-defined]
        solved: list[tuple[float, float, float]] = []  # (delta, t, slope of the budget in t) of binding points
        out: list[BargainingOutcome] = []
        try:
            for i, d in enumerate(deltas):
                found = batched[i]
                if found is None:
                    found = self._frontier_point(float(d), solved, None if hints is None else hints[i], step_tol)
                elif found.binding:
                    solved.append((float(d), 1.0 / found.rho, float(found.details["budget_slope"])))
                out.append(found)
            return out
        finally:
            if warm:
                engine.warm = None  # type: ignore[attr-defined]

    def _frontier_point(self, delta: float, solved: list[tuple[float, float, float]],
                        hint: tuple[float, float] | None = None, step_tol: float | None = None) -> BargainingOutcome:
        """bargain_delta(delta), warm-started from ``hint`` (t, slope) or from the binding points solved before
        it (appended to). The outcome's ``details["budget_slope"]`` is the budget's slope in t at the solution."""
        w_b, w_s = weights_from_delta(delta)
        wb, ws = normalized_weights([w_b] * len(self.buyers), [w_s] * len(self.suppliers), len(self.buyers),
                                    len(self.suppliers))
        eta_b, eta_s = surplus_shares(None, wb, ws)
        near = None
        # the weights are smooth in Delta on each side of 0 (w_B = 1 for Delta >= 0, w_S = 1 below), with a
        # kink at 0: extrapolate only through points on the same side
        same_side = [p for p in solved if p[0] * delta >= 0.0]
        if hint is not None and self.method == "quadrature" and all(map(math.isfinite, hint)):
            near = self._solve_near(wb, ws, eta_b, eta_s, float(hint[0]), float(hint[1]), step_tol=step_tol)
        elif same_side and self.method == "quadrature":
            recent = same_side[-4:]
            ds = np.array([p[0] for p in recent])
            ts = np.array([p[1] for p in recent])
            slopes = np.array([p[2] for p in recent])
            # polynomial extrapolation in Delta through the last points (exact for t cubic in Delta), and of the
            # budget's slope linearly through the last two
            guess = float(np.polyval(np.polyfit(ds, ts, len(recent) - 1), delta)) if len(recent) > 1 else float(ts[0])
            slope = float(np.polyval(np.polyfit(ds, slopes, len(recent) - 1), delta)) if len(recent) > 1 else slopes[0]
            near = self._solve_near(wb, ws, eta_b, eta_s, guess, slope, step_tol=step_tol)
        if near is not None:
            out, t_star, slope = near
            out.details["budget_slope"] = float(slope)
            solved.append((delta, t_star, slope))
        else:
            out = self._solve(wb, ws, eta_b, eta_s)
            slope = out.details.get("budget_slope", math.nan)
            if out.binding and math.isfinite(slope):
                solved.append((delta, 1.0 / out.rho, slope))
            else:
                solved.clear()
        return replace_outcome(out, delta=float(delta))

