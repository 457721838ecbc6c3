"""FeasibleSet: the convex hull of finitely many payoff pairs; its frontier is piecewise linear and the
solution is found exactly, segment by segment."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bargaining.errors import InvalidParameterError
from bargaining.models.nash.result import (
    _CLOSED_FORM,
    NashSolution,
    _infeasible,
    _nash_product,
    _rounding_bound,
)

__all__ = ["FeasibleSet"]


def _upper_hull(points: np.ndarray) -> np.ndarray:
    """Upper convex hull from left to right (Andrew's monotone chain), collinear points removed."""
    order = np.lexsort((points[:, 1], points[:, 0]))
    hull: list[np.ndarray] = []
    for p in points[order]:
        while len(hull) >= 2:
            o, q = hull[-2], hull[-1]
            cross = (q[0] - o[0]) * (p[1] - o[1]) - (q[1] - o[1]) * (p[0] - o[0])
            if cross >= 0:  # not a right turn: q is not a vertex of the upper hull
                hull.pop()
            else:
                break
        if hull and hull[-1][0] == p[0] and hull[-1][1] == p[1]:
            continue
        hull.append(p)
    return np.array(hull)


class FeasibleSet:
    r"""The convex hull of finitely many payoff pairs (randomizing over agreements is allowed).

    The Pareto frontier is the part of the upper hull from the vertex with the largest :math:`u_2` to the vertex
    with the largest :math:`u_1`; it is piecewise linear and strictly decreasing, and the Nash solution is found
    exactly on each segment (see the notes of :mod:`bargaining.models.nash`), or at a vertex (a kink).

    Parameters
    ----------
    points
        Array-like of shape (n, 2): the payoff pairs :math:`(u_1, u_2)` of the available agreements.

    Examples
    --------
    >>> nash_solution(FeasibleSet([(0, 0), (1, 0), (0, 1)])).payoffs
    (0.5, 0.5)
    """

    def __init__(self, points: Sequence[Sequence[float]] | np.ndarray) -> None:
        try:
            array = np.asarray(points, dtype=float)
        except (TypeError, ValueError):
            array = np.empty((0, 0))
        if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
            raise InvalidParameterError(
                f"points must have shape (n, 2) with n >= 1, got shape {array.shape}.",
                hint="pass a list of payoff pairs, e.g. [(0, 1), (0.8, 0.6), (1, 0)].",
            )
        bad = ~np.all(np.isfinite(array), axis=1)
        if np.any(bad):
            rows = np.flatnonzero(bad)
            raise InvalidParameterError(
                f"{rows.size} payoff pair(s) are NaN or infinite (first at row {int(rows[0])}).",
                hint="remove or fix those rows.",
            )
        self.points = array
        upper = _upper_hull(array)
        top = np.flatnonzero(upper[:, 1] == upper[:, 1].max())[-1]
        #: Vertices of the Pareto frontier, u1 increasing and u2 decreasing.
        self.pareto_frontier: np.ndarray = upper[top:]
        self._scale = 1.0 + float(np.max(np.abs(array)))

    def __repr__(self) -> str:
        return f"FeasibleSet({self.points.shape[0]} points, {len(self.pareto_frontier)} Pareto vertices)"

    def frontier_value(self, u1: float) -> float:
        """Player 2's best payoff given player 1's payoff ``u1`` (within the frontier's range)."""
        v = self.pareto_frontier
        return float(np.interp(u1, v[:, 0], v[:, 1]))

    def _point_at(self, k: int, x: float) -> tuple[float, float]:
        """Point of segment k (from vertex k to k + 1) with first coordinate x; vertices returned exactly."""
        p, q = self.pareto_frontier[k], self.pareto_frontier[k + 1]
        if x <= p[0]:
            return float(p[0]), float(p[1])
        if x >= q[0]:
            return float(q[0]), float(q[1])
        return float(x), float(p[1] + (q[1] - p[1]) * (x - p[0]) / (q[0] - p[0]))

    def _solve(self, d: tuple[float, float], beta: float) -> NashSolution:
        d1, d2 = d
        v = self.pareto_frontier
        n_seg = len(v) - 1
        dominating = (v[:, 0] > d1) & (v[:, 1] > d2)
        crosses = False
        for k in range(n_seg):  # a segment can pass above d even when neither end does
            if v[k, 0] <= d1 < v[k + 1, 0] and self._point_at(k, d1)[1] > d2:
                crosses = True
        if not (np.any(dominating) or crosses):
            raise _infeasible(d, "every point of the convex hull is weakly below d in some coordinate")
        tol = _rounding_bound(float(np.max(np.abs(v))), *d)

        def done(u: tuple[float, float]) -> NashSolution:
            return NashSolution(u, beta, d, _CLOSED_FORM, tol, _nash_product(u, d, beta))

        # the frontier above d runs from u1 = a (player 2's best point with u1 >= d1) to u1 = b (player 1's
        # best point with u2 >= d2); these are the solutions for weights 0 and 1
        if d1 < v[0, 0]:
            a, left_end = float(v[0, 0]), (float(v[0, 0]), float(v[0, 1]))
        else:
            a = d1
            left_end = self._point_at(int(np.searchsorted(v[:, 0], d1, side="right")) - 1, d1)
        if d2 < v[-1, 1]:
            b, right_end = float(v[-1, 0]), (float(v[-1, 0]), float(v[-1, 1]))
        else:
            k = int(np.flatnonzero((v[:-1, 1] >= d2) & (v[1:, 1] <= d2))[0])
            p, q = v[k], v[k + 1]
            if d2 == q[1]:
                b, right_end = float(q[0]), (float(q[0]), float(q[1]))
            else:
                b = float(p[0] + (d2 - p[1]) * (q[0] - p[0]) / (q[1] - p[1]))
                right_end = (b, d2)
        if beta == 0.0 or n_seg == 0:
            return done(left_end)
        if beta == 1.0:
            return done(right_end)

        # The log Nash product is concave along the frontier and, on segment k, peaks at the pie solution
        # x_k = d1 + beta (X_k - d1) of the segment's line (X_k: where it meets u2 = d2). Walking left to right,
        # the product rises across every segment whose x_k lies beyond its right end; the first segment with x_k
        # before its right end holds the maximizer, at x_k or, if x_k is left of the segment, at its left end
        # (a kink). No Nash products are compared, so tiny gains (weights near 0 or 1) cannot mislead.
        for k in range(n_seg):
            p, q = v[k], v[k + 1]
            if q[0] <= a:
                continue
            if p[0] >= b:
                break
            slope = (q[1] - p[1]) / (q[0] - p[0])  # < 0 on the Pareto frontier
            hit = p[0] + (d2 - p[1]) / slope
            x = d1 + beta * (hit - d1)
            if x < min(q[0], b):
                if p[0] >= a and x <= p[0]:
                    return done((float(p[0]), float(p[1])))
                if x <= a:
                    return done(left_end)
                # inside a segment the rounding of its direction (relative error eps |p| / |q - p|) moves the
                # maximizer: this matters for very short segments
                length = math.hypot(q[0] - p[0], q[1] - p[1])
                u = self._point_at(k, x)
                return NashSolution(
                    u, beta, d, _CLOSED_FORM, tol * max(1.0, self._scale / length), _nash_product(u, d, beta)
                )
        return done(right_end)
