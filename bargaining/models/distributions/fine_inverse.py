"""Inverse weighted virtual types with one weight ratio per level, on a grid finer than the distribution's.

Used by the batched evaluations of :mod:`bargaining.models.mechanism.batch` (many weight ratios at once). For
unironed built-in families only (raw virtual type x -+ (1 - a) r(x), r = (1 - F)/f for values, F/f for
costs): the level is bracketed in a coarse table of the virtual type (every 8th node of a grid four times finer
than the distribution's inverse grid) and by bisection on that grid, then a cubic through the four nodes around
it is used as it is where it checks to 1e-13 at the cell midpoint (its error falls like the cell width to the
4th, so almost everywhere), else a safeguarded secant / Illinois search in the cell.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from bargaining.models.distributions.inverse import lagrange_rows

if TYPE_CHECKING:
    from bargaining.models.distributions.base import TypeDistribution

__all__ = ["inverse_batch", "inverse_rows"]

_SIDE = {True: "value", False: "cost"}


def inverse_batch(dist: TypeDistribution, is_buyer: bool, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The smallest type whose weighted virtual type reaches y, one ratio a per level, clipped to the support.

    The arithmetic of the distribution's own inverse (``virtual_value_inverse``) for unironed built-in
    families: bracket in the table of the virtual type on the inverse grid, a cubic guess accepted where the
    cell's interpolant checks to 1e-13 at its midpoint, else an Illinois search in the cell to the same
    tolerances. Equal to the one-ratio inverse to rounding (tested).
    """
    y = np.asarray(y, dtype=float).ravel()
    ratios, row = np.unique(np.broadcast_to(np.asarray(a, dtype=float), y.shape), return_inverse=True)
    return inverse_rows(dist, is_buyer, ratios, row.ravel(), y)


def inverse_rows(dist: TypeDistribution, is_buyer: bool, ratios: np.ndarray, row: np.ndarray, y: np.ndarray,
                  tables: dict[Any, np.ndarray] | None = None) -> np.ndarray:
    """:func:`inverse_batch` with the ratios given as a list and, per level, its row in it; ``tables`` keeps the
    coarse tables of the virtual type built for a list of ratios, for further calls with the same list."""
    side = _SIDE[is_buyer]
    out = np.empty(y.shape)
    identity = ratios[row] >= 1.0
    out[identity] = y[identity]
    rest = np.flatnonzero(~identity)
    if rest.size:
        key = (id(dist), side, ratios.tobytes())
        rows = None if tables is None else tables.get(key)
        if rows is None:
            rows = _tables(dist, side, ratios)
            if tables is not None:
                tables[key] = rows
        out[rest] = _inverse_cells(dist, side, ratios, rows, row[rest], y[rest])
    return np.clip(out, dist.low, dist.high)


_SUBDIVIDE = 4
"""The batch's grid cuts every cell of the distribution's inverse grid in this many: the cubic guesses are then
accurate enough to be used as they are almost everywhere (their error falls like the cell width to the 4th)."""
_STRIDE = 8
"""Every how many nodes of that grid the coarse table of each ratio is built (the cell is then found by
bisection between two coarse nodes)."""


def _grid(dist: TypeDistribution, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grid, hazard ratio on it, hazard ratio at its cell midpoints), kept by the distribution."""
    key = (side, "batch grid")
    if key not in dist._ratio_cache:
        base = dist._inverse_grid()
        steps = np.arange(_SUBDIVIDE) / _SUBDIVIDE
        grid = np.append((base[:-1, None] + np.diff(base)[:, None] * steps[None, :]).ravel(), base[-1])
        dist._ratio_cache[key] = grid
        dist._ratio_cache[(side, "batch ratio")] = dist._hazard_ratio(grid, side)
        dist._ratio_cache[(side, "batch mid ratio")] = dist._hazard_ratio(0.5 * (grid[1:] + grid[:-1]), side)
    cache = dist._ratio_cache
    return cache[key], cache[(side, "batch ratio")], cache[(side, "batch mid ratio")]


@functools.lru_cache(maxsize=64)
def _coarse_nodes(n: int) -> np.ndarray:
    return np.unique(np.concatenate([np.arange(0, n, _STRIDE), [n - 1]]))


def _tables(dist: TypeDistribution, side: str, ratios: np.ndarray) -> np.ndarray:
    """The virtual type of each ratio on every sixteenth node of the inverse grid (and its last): the coarse
    tables in which :func:`_inverse_cells` brackets each level before bisecting to a cell of the grid."""
    grid, ratio, _ = _grid(dist, side)
    nodes = _coarse_nodes(grid.size)
    sign = -1.0 if side == "value" else 1.0
    with np.errstate(invalid="ignore"):
        rows = grid[nodes][None, :] + (sign * (1.0 - ratios))[:, None] * ratio[nodes][None, :]
    return np.asarray(np.where(np.isnan(rows), -np.inf, rows))


def _inverse_cells(dist: TypeDistribution, side: str, ratios: np.ndarray, rows: np.ndarray, row: np.ndarray,
                   y: np.ndarray) -> np.ndarray:
    """Inverse at levels ``y`` with ratios ``ratios[row]`` (all below 1), ``rows`` the coarse tables."""
    grid, ratio, mid_ratio = _grid(dist, side)
    sign = -1.0 if side == "value" else 1.0
    n = grid.size
    a = ratios[row]
    nodes = _coarse_nodes(n)

    def value(cells: np.ndarray, ratios_at: np.ndarray) -> np.ndarray:
        # the virtual type on the grid (the table of the distribution's own inverse, without its running
        # maximum: the virtual type is non-decreasing without ironing); the ratios are below 1, so an infinite
        # hazard ratio gives an infinite value, never NaN
        return grid[cells] + sign * (1.0 - ratios_at) * ratio[cells]

    def table(cells: np.ndarray, which: np.ndarray) -> np.ndarray:
        return value(cells, ratios[which])

    # the cell of each level: the first grid node whose virtual type reaches it; bracketed between two nodes
    # of the coarse table of its ratio (levels grouped by ratio), then bisection on the grid
    coarse = np.empty(y.size, dtype=int)
    order = np.argsort(row, kind="stable")
    bounds = np.searchsorted(row[order], np.arange(ratios.size + 1))
    for r in range(ratios.size):
        sel = order[bounds[r]:bounds[r + 1]]
        coarse[sel] = np.searchsorted(rows[r], y[sel], side="left")
    k = np.where(coarse == 0, 0, n)
    inner = np.flatnonzero((coarse > 0) & (coarse < nodes.size))
    lo, hi = nodes[coarse[inner] - 1], nodes[coarse[inner]]
    y_in, a_in = y[inner], a[inner]
    while True:
        wide = hi - lo > 1
        if not wide.any():
            break
        mid = (lo + hi) // 2
        reach = value(mid, a_in) >= y_in
        hi = np.where(wide & reach, mid, hi)
        lo = np.where(wide & ~reach, mid, lo)
    k[inner] = hi
    out = np.empty(y.size)
    below, above = k == 0, k >= n
    out[below], out[above] = dist.low, dist.high
    todo = ~(below | above)
    exact = np.zeros(y.size, dtype=bool)
    exact[todo] = table(k[todo], row[todo]) == y[todo]
    out[exact] = grid[k[exact]]
    todo &= ~exact
    where = np.flatnonzero(todo)
    if not where.size:
        return out
    idx, yy, aa, rr = k[where], y[where], a[where], row[where]
    # cubic inverse interpolation through the four table nodes around each level, checked at the midpoint
    mid = 0.5 * (grid[idx - 1] + grid[idx])
    y_mid = mid + sign * (1.0 - aa) * mid_ratio[idx - 1]
    first = np.clip(idx - 2, 0, n - 4)
    nodes = first[:, None] + np.arange(4)
    ys = table(nodes, rr[:, None])
    guess, x_mid = lagrange_rows(grid[nodes], ys, [yy, y_mid])
    lo_y, hi_y = table(idx - 1, rr), table(idx, rr)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        slope = (hi_y - lo_y) / (grid[idx] - grid[idx - 1])
        residual = np.abs(x_mid - mid) * slope
        trusted = (np.isfinite(residual) & np.isfinite(y_mid) & (slope > 0)
                   & (residual <= 1e-13 * np.maximum(1.0, np.abs(y_mid))))
    take = trusted & np.isfinite(guess) & (guess >= grid[idx - 1]) & (guess <= grid[idx])
    out[where[take]] = guess[take]
    keep = ~take
    if np.any(keep):
        with np.errstate(invalid="ignore", divide="ignore"):
            dxdy = (grid[idx] - grid[idx - 1]) / (hi_y - lo_y)
        out[where[keep]] = dist._illinois(side, aa[keep], yy[keep], grid[idx - 1][keep], grid[idx][keep], lo_y[keep],
                                          hi_y[keep], guess=guess[keep], slope=dxdy[keep])
    return out
