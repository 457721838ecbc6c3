"""Weighted virtual types of one agent, seen from the Loertscher-Marx allocation rule.

:class:`AgentView` wraps a type distribution (``bargaining.models.distributions``) with the agent's side
and weight ratio a = w / rho, and answers the questions the allocation rule asks about the *other* agents:
the probability that an agent's ironed weighted virtual type is ahead of a level y (a buyer above y, a
supplier below y), ties at y, and the levels at which these probabilities have kinks or jumps (used as
quadrature breakpoints).

Conventions (buyers; suppliers are the mirror image):

* phi(v) = ironed Phi_a(v) is non-decreasing, constant on ironing intervals ("flats").
* inverse(y) = inf{v : phi(v) >= y} clipped to the support, so P(phi >= y) = 1 - F(inverse(y)).
* P(phi = y) > 0 only when y is the level of a flat; it is the F-mass of that flat.

:class:`Shifted` is the production-relevant outside option of appendix C.1: the same distribution shape
moved by ``shift`` (a supplier with outside option y has costs c + y; a buyer with outside option y has
values v - y). Its virtual types are Phi_a(v - s) + s and Gamma_a(c - s) + s (eq. 37).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["AgentView", "Shifted", "ahead_from", "flat_intervals", "reach_from"]

_FLAT_GRID = 2049
_HUGE = 1e30


class Shifted:
    """A type distribution translated by ``shift`` (support [low + shift, high + shift])."""

    def __init__(self, base: Any, shift: float) -> None:
        self.base = base
        self.shift = float(shift)
        self.low = float(base.low) + self.shift
        self.high = float(base.high) + self.shift
        self.breakpoints = tuple(float(b) + self.shift for b in getattr(base, "breakpoints", ()))
        self.name = f"{getattr(base, 'name', None) or type(base).__name__} shifted by {self.shift:g}"

    def __repr__(self) -> str:
        return f"Shifted({self.base!r}, {self.shift!r})"

    def cdf(self, x: Any) -> Any:
        return self.base.cdf(np.asarray(x, dtype=float) - self.shift)

    def sf(self, x: Any) -> Any:
        return self.base.sf(np.asarray(x, dtype=float) - self.shift)

    def pdf(self, x: Any) -> Any:
        return self.base.pdf(np.asarray(x, dtype=float) - self.shift)

    def quantile(self, u: Any) -> Any:
        return np.asarray(self.base.quantile(u), dtype=float) + self.shift

    def sample(self, size: Any, *, seed: Any = None) -> Any:
        return np.asarray(self.base.sample(size, seed=seed), dtype=float) + self.shift

    def mean(self) -> float:
        return float(self.base.mean()) + self.shift

    def virtual_value(self, x: Any, weight: float = 1.0) -> Any:
        return np.asarray(self.base.virtual_value(np.asarray(x, dtype=float) - self.shift, weight=weight)) + self.shift

    def virtual_cost(self, x: Any, weight: float = 1.0) -> Any:
        return np.asarray(self.base.virtual_cost(np.asarray(x, dtype=float) - self.shift, weight=weight)) + self.shift

    def raw_virtual_value(self, x: Any, weight: float = 1.0) -> Any:
        return np.asarray(self.base.raw_virtual_value(np.asarray(x, dtype=float) - self.shift, weight=weight)) + self.shift

    def raw_virtual_cost(self, x: Any, weight: float = 1.0) -> Any:
        return np.asarray(self.base.raw_virtual_cost(np.asarray(x, dtype=float) - self.shift, weight=weight)) + self.shift

    def virtual_value_inverse(self, y: Any, weight: float = 1.0) -> Any:
        return np.asarray(self.base.virtual_value_inverse(np.asarray(y, dtype=float) - self.shift, weight=weight)) + self.shift

    def virtual_cost_inverse(self, y: Any, weight: float = 1.0) -> Any:
        return np.asarray(self.base.virtual_cost_inverse(np.asarray(y, dtype=float) - self.shift, weight=weight)) + self.shift

    def is_regular(self, weight: float = 0.0, side: str = "both") -> Any:
        return self.base.is_regular(weight, side=side)

    def ironing_intervals(self, weight: float = 1.0, side: str = "value") -> list[tuple[float, float, float]]:
        s = self.shift
        return [(lo + s, hi + s, level + s) for lo, hi, level in self.base.ironing_intervals(weight, side)]

    def __getattr__(self, name: str) -> Any:  # ironing details and other extras of the base distribution
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)


def _virtual(dist: Any, is_buyer: bool, x: np.ndarray, a: float) -> np.ndarray:
    if is_buyer:
        return np.asarray(dist.virtual_value(x, weight=a), dtype=float)
    return np.asarray(dist.virtual_cost(x, weight=a), dtype=float)


def flat_intervals(dist: Any, is_buyer: bool, a: float) -> list[tuple[float, float, float]]:
    """Intervals [lo, hi] on which the ironed weighted virtual type is constant, with its level.

    Taken from the distribution's own ``ironing_intervals`` when it has them (the package's distributions
    refine them by root finding). Otherwise found on a grid of the support (a flat shorter than the grid
    step can be missed; it then only affects how ties between identical agents are broken on a set of
    probability below that step) and refined by bisection to ~1e-13 of the support length.
    """
    if hasattr(dist, "ironing_intervals"):
        return [(float(lo), float(hi), float(level)) for lo, hi, level in dist.ironing_intervals(a, "value" if is_buyer else "cost")]
    lo_s, hi_s = float(dist.low), float(dist.high)
    width = hi_s - lo_s
    # interior grid: virtual types may be infinite at an end where the density vanishes
    grid = lo_s + width * (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, _FLAT_GRID)))[1:-1]
    values = _virtual(dist, is_buyer, grid, a)
    finite = np.isfinite(values)
    scale = max(1.0, float(np.max(np.abs(values[finite])))) if finite.any() else 1.0
    tol = 1e-11 * scale
    flat_step = np.abs(np.diff(values)) <= tol
    flat_step &= finite[1:] & finite[:-1]
    out: list[tuple[float, float, float]] = []
    i = 0
    n = flat_step.size
    while i < n:
        if not flat_step[i]:
            i += 1
            continue
        j = i
        while j < n and flat_step[j]:
            j += 1
        if j - i >= 2:  # at least three grid points at one level
            level = float(values[i + 1])
            left = _edge(dist, is_buyer, a, level, tol, grid[i - 1] if i > 0 else lo_s, grid[i])
            right = _edge(dist, is_buyer, a, level, tol, grid[j + 1] if j + 1 < grid.size else hi_s, grid[j])
            out.append((left, right, level))
        i = j
    return out


def _edge(dist: Any, is_buyer: bool, a: float, level: float, tol: float, x_out: float, x_in: float) -> float:
    """Bisection for the end of a flat between a point outside it (x_out) and one inside (x_in)."""
    out, inside = x_out, x_in
    for _ in range(60):
        mid = 0.5 * (out + inside)
        if abs(float(_virtual(dist, is_buyer, np.array([mid]), a)[0]) - level) <= tol:
            inside = mid
        else:
            out = mid
    return inside


class AgentView:
    """One agent's ironed weighted virtual type at weight ratio ``a`` and the probabilities built from it.

    Parameters
    ----------
    dist
        Type distribution (values for a buyer, costs for a supplier).
    is_buyer
        Side of the market.
    a
        Weight ratio w / rho in [0, 1].
    flats
        Ironing intervals (lo, hi, level) at this ratio; computed when None.
    """

    def __init__(self, dist: Any, is_buyer: bool, a: float, flats: list[tuple[float, float, float]] | None = None):
        self.dist = dist
        self.is_buyer = bool(is_buyer)
        self.a = float(a)
        self.low = float(dist.low)
        self.high = float(dist.high)
        self.flats = flat_intervals(dist, is_buyer, self.a) if flats is None else flats
        self._flat_levels = np.array([f[2] for f in self.flats])
        self._flat_mass = np.array([float(dist.cdf(f[1]) - dist.cdf(f[0])) for f in self.flats])
        scale = max(1.0, abs(self.low), abs(self.high))
        self._tie_tol = 1e-10 * scale

    # virtual type and its generalized inverse ---------------------------------------------------------
    def virtual(self, x: np.ndarray) -> np.ndarray:
        # A density vanishing at an end of the support makes the virtual type infinite there. Replace +-inf by
        # +-1e30: every probability computed from it is the same (the inverse clips to the support end), but
        # differences between agents' virtual types stay defined instead of becoming inf - inf = NaN.
        return np.clip(_virtual(self.dist, self.is_buyer, np.asarray(x, dtype=float), self.a), -_HUGE, _HUGE)

    def inverse(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        if self.is_buyer:
            out = np.asarray(self.dist.virtual_value_inverse(y, weight=self.a), dtype=float)
        else:
            out = np.asarray(self.dist.virtual_cost_inverse(y, weight=self.a), dtype=float)
        return np.clip(out, self.low, self.high)

    # probabilities at a level y -------------------------------------------------------------------------
    def tie(self, y: np.ndarray) -> np.ndarray:
        """P(virtual type == y): the mass of a flat at level y (zero almost everywhere)."""
        y = np.asarray(y, dtype=float)
        if not self.flats:
            return np.zeros_like(y)
        hit = np.abs(y[..., None] - self._flat_levels) <= self._tie_tol
        return np.sum(hit * self._flat_mass, axis=-1)

    def at_levels(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(base, tie) at levels y, from one inversion: base is P(phi >= y) for a buyer (including a tie at y)
        and P(gamma < y) for a supplier (excluding it); tie is P(virtual type == y).

        :meth:`reach` and :meth:`ahead` are :func:`reach_from` and :func:`ahead_from` of these two arrays, so
        callers that need both (or need them at the levels of many agents) invert once.
        """
        x = self.inverse(y)
        if self.is_buyer:
            return np.asarray(self.dist.sf(x), dtype=float), self.tie(y)
        return np.asarray(self.dist.cdf(x), dtype=float), self.tie(y)

    def reach(self, y: np.ndarray) -> np.ndarray:
        """Buyer: P(phi >= y); supplier: P(gamma <= y). The probability of trading at price level y."""
        x = self.inverse(y)
        if self.is_buyer:
            return np.asarray(self.dist.sf(x), dtype=float)
        return np.asarray(self.dist.cdf(x), dtype=float) + self.tie(y)

    def ahead(self, y: np.ndarray, *, ties: bool) -> np.ndarray:
        """Probability of ranking ahead of an own-side competitor at level y (strictly, or also on a tie)."""
        x = self.inverse(y)
        if self.is_buyer:
            strict = np.asarray(self.dist.sf(x), dtype=float) - self.tie(y)
            return np.clip(strict + (self.tie(y) if ties else 0.0), 0.0, 1.0)
        strict = np.asarray(self.dist.cdf(x), dtype=float)
        return np.clip(strict + (self.tie(y) if ties else 0.0), 0.0, 1.0)

    # quadrature breakpoints -------------------------------------------------------------------------------
    def own_points(self) -> list[float]:
        """Support ends, distribution breakpoints and ironing-interval ends (in type space)."""
        pts = [self.low, self.high, *[float(b) for b in getattr(self.dist, "breakpoints", ())]]
        for lo, hi, _ in self.flats:
            pts += [lo, hi]
        return [p for p in pts if self.low <= p <= self.high]

    def levels(self) -> list[float]:
        """Virtual-type levels at which ``reach``/``ahead`` have kinks or jumps as functions of y."""
        width = self.high - self.low
        xs = [self.low, self.high]
        for b in getattr(self.dist, "breakpoints", ()):
            b = float(b)
            if self.low < b < self.high:
                xs += [b - 1e-9 * width, b + 1e-9 * width]
        values = self.virtual(np.array(xs))
        # an infinite virtual type at an end of the support (clipped to +-1e30 by virtual) is no level: every
        # agent reaches it only at the end of its own support
        out = [float(v) for v in values if abs(v) < _HUGE]
        out += [float(f[2]) for f in self.flats]
        return out


def reach_from(is_buyer: bool, base: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """:meth:`AgentView.reach` from :meth:`AgentView.at_levels` (same arithmetic)."""
    return base if is_buyer else base + tie


def ahead_from(is_buyer: bool, base: np.ndarray, tie: np.ndarray, ties: Any) -> np.ndarray:
    """:meth:`AgentView.ahead` from :meth:`AgentView.at_levels`; ``ties`` may be an array of booleans."""
    strict = base - tie if is_buyer else base
    return np.clip(np.where(ties, strict + tie, strict), 0.0, 1.0)
