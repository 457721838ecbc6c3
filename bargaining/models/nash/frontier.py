"""Frontier: a Pareto frontier u2 = phi(u1) with phi decreasing and concave, solved by a bracketed root search
on the first-order condition (or, without a derivative, a bisection certified by concavity)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import optimize

from bargaining.errors import AccuracyWarning, FrontierShapeError, InvalidParameterError
from bargaining.models._checks import check_finite
from bargaining.models.nash.result import (
    _BRACKETED,
    _CLOSED_FORM,
    _EPS,
    TARGET_TOLERANCE,
    NashSolution,
    _infeasible,
    _nash_product,
    _rounding_bound,
)

__all__ = ["Frontier"]


def _as_vectorized(function: Callable[..., Any], probe: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Return a function of a 1-D array; scalar-only functions are vectorized element by element."""
    try:
        with np.errstate(all="ignore"):
            vectorized = np.shape(np.asarray(function(probe), dtype=float)) in ((), probe.shape)
    except Exception:  # noqa: BLE001 - any failure on arrays means "scalar-only"
        vectorized = False
    if vectorized:
        return lambda x: np.broadcast_to(np.asarray(function(x)), np.shape(x))
    return np.vectorize(function, otypes=[float])


class Frontier:
    r"""A Pareto frontier :math:`u_2 = \varphi(u_1)`, :math:`u_1 \in [\underline u, \overline u]`.

    The feasible set is :math:`\{(u_1, u_2) : \underline u \le u_1 \le \overline u,\ u_2 \le \varphi(u_1)\}`, convex
    because :math:`\varphi` must be (weakly) decreasing and concave. Both properties are checked on a grid of
    ``check_points`` points with a floating-point tolerance; a violation between grid points is not detected.

    Parameters
    ----------
    function
        :math:`\varphi`: player 2's best payoff given player 1's payoff. Preferably vectorized (numpy).
    low, high
        :math:`\underline u < \overline u`, the range of player 1's payoffs on the frontier.
    derivative
        Optional :math:`\varphi'`. Without it the derivative is computed by the complex step
        :math:`\varphi'(u) = \operatorname{Im}\varphi(u + ih)/h` when ``function`` accepts complex input and the
        result agrees with finite differences; otherwise solves use only values of :math:`\varphi` (a bisection
        certified by the concavity of :math:`\varphi`), which is accurate to about :math:`10^{-8}` instead of
        :math:`10^{-10}` on smooth frontiers (an :class:`~bargaining.errors.AccuracyWarning` says so).
    check_points
        Size of the grid on which the shape of :math:`\varphi` is checked.

    Raises
    ------
    FrontierShapeError
        If :math:`\varphi` increases or is not concave somewhere on the grid; the message says where.

    Examples
    --------
    >>> u1, u2 = nash_solution(Frontier(lambda u1: 1 - u1**2, 0, 1)).payoffs
    >>> round(u1, 6), round(u2, 6)   # (1/sqrt(3), 2/3)
    (0.57735, 0.666667)
    """

    def __init__(
        self,
        function: Callable[..., Any],
        low: float,
        high: float,
        *,
        derivative: Callable[..., Any] | None = None,
        check_points: int = 257,
    ) -> None:
        if not callable(function):
            raise InvalidParameterError(
                "function must be callable, e.g. lambda u1: 1 - u1**2.",
                hint="pass player 2's best payoff as a function of player 1's payoff.",
            )
        self.low = check_finite(low, "low")
        self.high = check_finite(high, "high")
        if not self.low < self.high:
            raise InvalidParameterError(
                f"low must be smaller than high, got low={self.low:g}, high={self.high:g}.",
                hint="give the range [low, high] of player 1's payoffs on the frontier.",
            )
        if int(check_points) < 3:
            raise InvalidParameterError("check_points must be at least 3.", hint="use the default 257.")
        self.function = function
        grid = np.linspace(self.low, self.high, int(check_points))
        self._phi = _as_vectorized(function, grid)
        values = self._values(grid)
        self._scale = 1.0 + float(np.max(np.abs(values))) + max(abs(self.low), abs(self.high))
        self._scale_u1 = 1.0 + max(abs(self.low), abs(self.high))  # for tolerances on player 1's payoff
        self._check_shape(grid, values)
        self._slope = self._choose_derivative(derivative, grid)

    def __repr__(self) -> str:
        name = getattr(self.function, "__name__", type(self.function).__name__)
        return f"Frontier({name}, low={self.low:g}, high={self.high:g})"

    # -- evaluation
    def _values(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            try:
                values = np.asarray(self._phi(np.asarray(x, dtype=float)), dtype=float)
            except (TypeError, ValueError) as error:
                raise InvalidParameterError(
                    f"the frontier function failed on player 1 payoffs in [{self.low:g}, {self.high:g}]: {error}",
                    hint="the function must return a real number for every u1 in [low, high].",
                ) from None
        bad = ~np.isfinite(values)
        if np.any(bad):
            where = float(np.asarray(x, dtype=float).reshape(-1)[np.argmax(bad.reshape(-1))])
            raise InvalidParameterError(
                f"the frontier function is not finite at u1 = {where:.6g}.",
                hint="restrict [low, high] to where the function is defined.",
            )
        return values

    def __call__(self, u1: float | np.ndarray) -> float | np.ndarray:
        """:math:`\\varphi(u_1)`."""
        x = np.asarray(u1, dtype=float)
        values = self._values(np.atleast_1d(x)).reshape(np.shape(np.atleast_1d(x)))
        return float(values.reshape(-1)[0]) if x.ndim == 0 else values

    def _f(self, x: float) -> float:
        return float(self._values(np.array([x]))[0])

    # -- shape checks
    def _check_shape(self, grid: np.ndarray, values: np.ndarray) -> None:
        tol = 1e-9 * self._scale
        rises = np.diff(values)
        if np.any(rises > tol):
            k = int(np.flatnonzero(rises > tol)[0])  # report the first place, reading left to right
            raise FrontierShapeError(
                f"the frontier increases between u1 = {grid[k]:.6g} and u1 = {grid[k + 1]:.6g} "
                f"(u2 goes from {values[k]:.6g} to {values[k + 1]:.6g}), so it is not a Pareto frontier.",
                hint="u2 = function(u1) must be player 2's best payoff given u1 and cannot rise with u1; "
                "restrict [low, high] to the decreasing part.",
            )
        # a chord between neighbours lying above the midpoint value means the function is not concave there
        gaps = 0.5 * (values[:-2] + values[2:]) - values[1:-1]
        if np.any(gaps > tol):
            k = int(np.flatnonzero(gaps > tol)[0])
            raise FrontierShapeError(
                f"the frontier is not concave near u1 = {grid[k + 1]:.6g}: the chord from u1 = {grid[k]:.6g} to "
                f"u1 = {grid[k + 2]:.6g} lies {gaps[k]:.3g} above the function.",
                hint="the feasible set must be convex; if lotteries are allowed use FeasibleSet on points "
                "of the frontier (its convex hull), otherwise check the function.",
            )

    # -- derivative
    def _choose_derivative(
        self, derivative: Callable[..., Any] | None, grid: np.ndarray
    ) -> Callable[[float], float] | None:
        """Return an exact-to-rounding derivative, or None when only values of the function can be trusted."""
        inner = grid[1:-1]
        step = 1e-6 * (self.high - self.low)
        with np.errstate(all="ignore"):
            ahead, here, behind = self._values(inner + step), self._values(inner), self._values(inner - step)
        # at a kink on the grid only a one-sided difference matches the (one-sided) derivative
        differences = ((ahead - behind) / (2 * step), (ahead - here) / step, (here - behind) / step)

        # rounding in the differences: a few ulps of phi divided by the step
        noise = 16 * _EPS * float(np.max(np.abs(here))) / step

        def disagree(slopes: np.ndarray) -> np.ndarray:
            close = [np.abs(slopes - diff) <= 1e-5 * (1.0 + np.abs(diff)) + noise for diff in differences]
            return ~(close[0] | close[1] | close[2]) | ~np.isfinite(slopes)

        if derivative is not None:
            slope_fn = _as_vectorized(derivative, inner)
            try:
                with np.errstate(all="ignore"):
                    slopes = np.asarray(slope_fn(inner), dtype=float)
            except Exception as error:  # noqa: BLE001
                raise InvalidParameterError(
                    f"the derivative failed on the grid: {error}",
                    hint="pass a vectorized derivative of function.",
                ) from None
            mismatch = disagree(slopes)
            if np.any(mismatch):
                where = float(inner[np.argmax(mismatch)])
                raise InvalidParameterError(
                    f"derivative does not match finite differences of function at u1 = {where:.6g}.",
                    hint="check the derivative, or omit it to let the package differentiate numerically.",
                )
            return lambda x: float(np.asarray(slope_fn(np.array([x])), dtype=float).reshape(-1)[0])

        # complex step: exact to rounding for analytic numpy expressions; rejected if it disagrees
        h = 1e-20

        def complex_step(x: np.ndarray) -> np.ndarray:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = np.asarray(self.function(np.asarray(x, dtype=complex) + 1j * h))
            if not np.iscomplexobj(out) or out.shape != np.shape(x):
                raise TypeError("no complex result")
            return out.imag / h

        try:
            slopes = complex_step(inner)
        except Exception:  # noqa: BLE001 - function does not support complex input
            return None
        if np.any(disagree(slopes)):
            return None

        def slope(x: float) -> float:
            return float(complex_step(np.array([x]))[0])

        return slope

    @property
    def differentiable(self) -> bool:
        """Whether solves use a derivative (given, or by complex step) rather than values only."""
        return self._slope is not None

    # -- solving
    def _solve(self, d: tuple[float, float], beta: float) -> NashSolution:
        d1, d2 = d
        a = max(self.low, d1)
        if not a < self.high:
            raise _infeasible(d, f"player 1's payoff on the frontier is at most {self.high:g}")
        fa = self._f(a)
        if not fa > d2:
            raise _infeasible(d, f"player 2 gets at most {fa:g} when player 1 gets more than {d1:g}")
        xtol = 1e-3 * TARGET_TOLERANCE * max(self._scale_u1, abs(d1))
        # b: the largest u1 at which player 2 still gets at least d2
        f_high = self._f(self.high)
        if f_high >= d2:
            b, b_is_root, b_error = self.high, False, 0.0
        else:
            b = optimize.brentq(lambda x: self._f(x) - d2, a, self.high, xtol=xtol, rtol=4 * _EPS)
            b_is_root, b_error = True, xtol + 4 * _EPS * abs(b)

        if beta == 0.0:
            x, tol = self._end_of_flat_start(a, b)
            u = (x, self._f(x))
            method = _CLOSED_FORM if x == a else _BRACKETED
            return NashSolution(
                u, beta, d, method, max(tol, _rounding_bound(*u, *d)), _nash_product(u, d, beta)
            )
        if beta == 1.0:
            if b_is_root:
                u = (b, d2)
                tol = b_error
                return NashSolution(
                    u, beta, d, _BRACKETED, max(tol, _rounding_bound(*u)), _nash_product(u, d, beta)
                )
            u = (b, f_high)
            return NashSolution(u, beta, d, _CLOSED_FORM, _rounding_bound(*u, *d), _nash_product(u, d, beta))

        if self._slope is not None:
            x, tol_x = self._solve_foc(d, beta, a, b, b_is_root, xtol)
        else:
            x, tol_x = self._solve_by_chords(d, beta, a, b)
        slope = self._slope(x) if self._slope is not None else self._chord_slope(x, a, b)
        u = (x, self._f(x))
        tolerance = max(tol_x * max(1.0, abs(slope) if math.isfinite(slope) else 1.0), _rounding_bound(*u))
        if b_is_root:
            tolerance = max(tolerance, b_error)
        if tolerance > TARGET_TOLERANCE * max(self._scale, abs(d1), abs(d2)):
            warnings.warn(
                f"Nash solution on {self!r} is accurate only to {tolerance:.2g}; pass derivative= to the "
                "Frontier (or a numpy expression that accepts complex input) for 1e-10.",
                AccuracyWarning,
                stacklevel=3,
            )
        return NashSolution(u, beta, d, _BRACKETED, tolerance, _nash_product(u, d, beta))

    def _end_of_flat_start(self, a: float, b: float) -> tuple[float, float]:
        """Right end of a flat start of phi in [a, b] (else a), and its error: the weight-0 solution.

        A concave decreasing phi can be constant on an initial interval; with all power player 2 then gets that
        constant and player 1 the largest payoff compatible with it (the limit of the solutions as beta -> 0,
        and Pareto efficient). The flat part is recognized by an exactly zero derivative, so it is handled only
        when a derivative is available; from values alone a flat start cannot be told from curvature hidden by
        rounding (1 - u1**4 near 0), and the left end a is returned.
        """
        slope = self._slope
        if slope is None or slope(a + 1e-6 * (b - a)) < 0.0:
            return a, 0.0
        if slope(b) >= 0.0:
            return b, 0.0
        lo, hi = a, b  # slope(lo) >= 0 > slope(hi); concavity makes the slope non-increasing
        while True:
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            if slope(mid) >= 0.0:
                lo = mid
            else:
                hi = mid
        return lo, hi - lo

    def _foc(self, x: float, d: tuple[float, float], beta: float, slope: float) -> float:
        """H(u1) = beta (phi - d2) + (1 - beta)(u1 - d1) phi', the first-order condition times a positive factor."""
        gain1 = x - d[0]
        second = 0.0 if gain1 == 0.0 else (1.0 - beta) * gain1 * slope
        return beta * (self._f(x) - d[1]) + second

    def _solve_foc(
        self, d: tuple[float, float], beta: float, a: float, b: float, b_is_root: bool, xtol: float
    ) -> tuple[float, float]:
        assert self._slope is not None
        big = 1e300  # an infinite slope at an end of the frontier only says which side the root is on

        # at an end of [a, b] use the derivative from inside: a function capped there (np.minimum(.., cap))
        # has a different one-sided derivative outside, which would fake a corner solution
        inside = 1e-12 * (b - a)

        def foc(x: float) -> float:
            slope = self._slope(min(max(x, a + inside), b - inside))  # type: ignore[misc]
            value = self._foc(x, d, beta, slope)
            return float(np.clip(value, -big, big)) if not math.isnan(value) else -big

        h_a, h_b = foc(a), foc(b)
        if h_a <= 0.0:  # the Nash product falls from the left end on: corner solution
            return a, _rounding_bound(a)
        if h_b >= 0.0:  # the Nash product rises up to the right end: corner solution
            return b, _rounding_bound(b)
        x = optimize.brentq(foc, a, b, xtol=xtol, rtol=4 * _EPS)
        # error bound: bracket width plus the effect of rounding noise in H, divided by |H'|
        delta = max(1e-6 * (b - a), 1e3 * xtol)
        lo, hi = max(a, x - delta), min(b, x + delta)
        dh = abs(foc(hi) - foc(lo)) / (hi - lo) if hi > lo else math.inf
        # rounding in H: phi, phi' and the payoffs are each accurate to a few ulps
        slope = abs(self._slope(x))
        noise = 8 * _EPS * (beta * (abs(self._f(x)) + abs(d[1])) + (1 - beta) * (abs(x) + abs(d[0])) * slope)
        tol_x = xtol + 4 * _EPS * abs(x) + (noise / dh if dh > 0 else math.inf)
        return float(x), float(min(tol_x, b - a))

    def _chord_slope(self, x: float, a: float, b: float) -> float:
        h = 1e-7 * (b - a)
        lo, hi = max(a, x - h), min(b, x + h)
        return (self._f(hi) - self._f(lo)) / (hi - lo)

    def _solve_by_chords(
        self, d: tuple[float, float], beta: float, a: float, b: float
    ) -> tuple[float, float]:
        """Bisection on the sign of the derivative of the log Nash product, certified by concavity.

        For concave phi, a forward chord slope is below the right derivative and a backward chord slope above
        the left derivative, so a sign of H computed with chords is conclusive; when the two chords disagree
        the maximizer is within one chord length of the midpoint. The search stops when rounding in the
        chords makes the sign inconclusive.
        """
        lo, hi = a, b
        noise_f = 8 * _EPS * self._scale
        for _ in range(300):
            width = hi - lo
            if width <= 1e-3 * TARGET_TOLERANCE * max(self._scale_u1, abs(d[0])):
                break
            m = 0.5 * (lo + hi)
            h = width / 8
            fm = self._f(m)
            s_plus = (self._f(m + h) - fm) / h
            s_minus = (fm - self._f(m - h)) / h
            noise = (1.0 - beta) * (m - d[0]) * 2 * noise_f / h + beta * noise_f
            base = beta * (fm - d[1])
            h_plus = base + (1.0 - beta) * (m - d[0]) * s_plus
            h_minus = base + (1.0 - beta) * (m - d[0]) * s_minus
            if h_plus > noise:
                lo = m
            elif h_minus < -noise:
                hi = m
            elif h_plus < -noise and h_minus > noise:
                lo, hi = m - h, m + h
            else:
                break
        return 0.5 * (lo + hi), 0.5 * (hi - lo)
