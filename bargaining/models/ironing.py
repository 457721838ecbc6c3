"""Myerson ironing of a weighted virtual type on the quantile scale.

Write q = F(x) and let h(q) be the raw weighted virtual type at the type x(q). Ironing replaces h by the
derivative of the greatest convex minorant of its integral H(q) = int_0^q h(t) dt. The ironed type is
non-decreasing, equals h where H touches its minorant, and is constant (the "flat" level) on each interval
where the minorant lies strictly below H.

For the weighted virtual value Phi_a(v) = v - (1 - a)(1 - F(v))/f(v) and virtual cost
Gamma_a(c) = c + (1 - a) F(c)/f(c), integrating by parts gives H in closed form in type space, with
I(x) = int_low^x F(t) dt (up to constants, which do not move the minorant):

    supplier:  H_S(x) = x F(x) - a I(x)
    buyer:     H_B(x) = x F(x) - a I(x) - (1 - a) x

so ironing needs only F and one smooth integral of F (no derivative of the density).

Algorithm: the lower convex hull of the points (F(x_k), H(x_k)) on a grid that contains the support's ends and
every breakpoint of the density locates the flats to within a grid cell; each free end of a flat is then
refined by solving the tangency conditions h(x_1) = h(x_2) = (H(x_2) - H(x_1)) / (F(x_2) - F(x_1)) with a
root finder (to ~1e-13 relative). An end that sits at a support end or at a jump of h stays on the grid point,
which is exact there, so piecewise distributions are ironed exactly.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from bargaining.errors import AccuracyWarning

__all__ = ["Flat", "find_flats", "lower_convex_hull"]

ArrayFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Flat:
    """An ironing interval [low, high] (in type space) on which the ironed virtual type equals ``level``."""

    low: float
    high: float
    level: float


def lower_convex_hull(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the vertices of the lower convex hull of points sorted by ``x`` (monotone chain)."""
    hull: list[int] = []
    for k in range(len(x)):
        while len(hull) >= 2:
            i, j = hull[-2], hull[-1]
            # pop j when it lies on or above the chord from i to k
            if (y[j] - y[i]) * (x[k] - x[i]) >= (y[k] - y[i]) * (x[j] - x[i]):
                hull.pop()
            else:
                break
        hull.append(k)
    return np.asarray(hull, dtype=int)


def find_flats(
    grid: np.ndarray,
    *,
    raw: ArrayFunction,
    cumulative: ArrayFunction,
    cdf: ArrayFunction,
    jumps: Sequence[float] = (),
    scale: float = 1.0,
) -> list[Flat]:
    """Ironing intervals of a virtual type h given on a type grid.

    Parameters
    ----------
    grid
        Increasing types covering the support, including its ends and every breakpoint of the density.
    raw
        The raw virtual type h(x) (may be infinite at an end of the support).
    cumulative
        H(x) with dH/dF = h, up to an additive constant (see the module docstring).
    cdf
        F(x).
    jumps
        Types at which h may jump (density breakpoints): a flat may end exactly there.
    scale
        Size of the types, for tolerances.

    Returns
    -------
    list of Flat
        Sorted, disjoint flats; empty when h is already non-decreasing.
    """
    values = raw(grid)
    finite = np.isfinite(values)
    tol = 1e-12 * scale
    steps = np.diff(values[finite])
    if steps.size == 0 or np.all(steps >= -tol):
        return []
    q = cdf(grid)
    big_h = cumulative(grid)
    hull = lower_convex_hull(q, big_h)
    flats: list[Flat] = []
    for i, j in itertools.pairwise(hull):
        if j - i < 2:
            continue
        chord = big_h[i] + (big_h[j] - big_h[i]) * (q[i + 1 : j] - q[i]) / (q[j] - q[i])
        if np.max(big_h[i + 1 : j] - chord) <= tol * max(1.0, q[j] - q[i]):
            continue  # collinear up to rounding: nothing to iron
        flats.append(_refine(grid, i, j, raw=raw, cumulative=cumulative, cdf=cdf, jumps=jumps, scale=scale))
    return flats


def _refine(
    grid: np.ndarray,
    i: int,
    j: int,
    *,
    raw: ArrayFunction,
    cumulative: ArrayFunction,
    cdf: ArrayFunction,
    jumps: Sequence[float],
    scale: float,
) -> Flat:
    """Solve the tangency conditions for the free ends of the flat found between grid points i and j."""
    lo, hi = float(grid[i]), float(grid[j])
    jump_set = np.asarray(list(jumps), dtype=float)
    fixed_lo = i == 0 or _on_jump(lo, jump_set, scale)
    fixed_hi = j == len(grid) - 1 or _on_jump(hi, jump_set, scale)
    last = len(grid) - 1
    bounds_lo = (float(grid[max(i - 2, 0)]), float(grid[min(i + 2, last)]))
    bounds_hi = (float(grid[max(j - 2, 0)]), float(grid[min(j + 2, last)]))

    def slope(a: float, b: float) -> float:
        pts = np.array([a, b])
        h = cumulative(pts)
        f = cdf(pts)
        return float((h[1] - h[0]) / (f[1] - f[0]))

    def residual(free: np.ndarray) -> np.ndarray:
        a = float(free[0]) if not fixed_lo else lo
        b = float(free[-1]) if not fixed_hi else hi
        s = slope(a, b)
        out = []
        if not fixed_lo:
            out.append(float(raw(np.array([a]))[0]) - s)
        if not fixed_hi:
            out.append(float(raw(np.array([b]))[0]) - s)
        return np.asarray(out)

    start = [x for x, fixed in ((lo, fixed_lo), (hi, fixed_hi)) if not fixed]
    a, b = lo, hi
    if start:
        solution = optimize.root(residual, np.asarray(start), method="hybr", options={"xtol": 1e-13})
        candidate = solution.x
        a_new = float(candidate[0]) if not fixed_lo else lo
        b_new = float(candidate[-1]) if not fixed_hi else hi
        inside = bounds_lo[0] <= a_new <= bounds_lo[1] and bounds_hi[0] <= b_new <= bounds_hi[1] and a_new < b_new
        # hybr may report failure only because it cannot improve on a solution at rounding level
        if inside and np.all(np.abs(residual(candidate)) <= 1e-9 * scale):
            a, b = a_new, b_new
        else:
            warnings.warn(
                f"Ironing interval near [{lo:.6g}, {hi:.6g}] could not be refined beyond the grid; its ends are "
                f"accurate to about {max(bounds_hi[1] - bounds_hi[0], bounds_lo[1] - bounds_lo[0]):.2g}.",
                AccuracyWarning,
                stacklevel=4,
            )
    return Flat(a, b, slope(a, b))


def _on_jump(x: float, jumps: np.ndarray, scale: float) -> bool:
    return bool(jumps.size) and bool(np.any(np.abs(jumps - x) <= 1e-12 * scale))

