"""Type distributions of the best of several independent agents: a merged firm's cost or value.

A merged supplier produces at the lower of its constituents' costs, so its cost law is that of the minimum,
G_M = 1 - prod_k (1 - G_k) (:class:`MinimumOf`); a merged buyer values a unit at the higher of its
constituents' values, F_M = prod_k F_k (:class:`MaximumOf`). Both are :class:`TypeDistribution` objects, so
virtual types and ironing come with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize.elementwise import find_root

from bargaining.errors import DistributionError
from bargaining.models.distributions import TypeDistribution

__all__ = ["MaximumOf", "MinimumOf"]

_TOL = 1e-9

class _Extreme(TypeDistribution):
    """Distribution of the lowest (``kind="min"``) or highest (``"max"``) of independent types."""

    _kind = "min"

    def __init__(self, components: Sequence[Any]) -> None:
        comps = list(components)
        needed = ("cdf", "sf", "pdf", "low", "high")
        if len(comps) < 2 or any(not all(hasattr(c, a) for a in needed) for c in comps):
            raise DistributionError(
                f"{type(self).__name__} needs at least two type distributions.",
                hint=f"e.g. {type(self).__name__}([Uniform(0, 1), Uniform(0, 1)]).",
            )
        self.components = comps
        if self._kind == "min":
            low, high = min(float(c.low) for c in comps), min(float(c.high) for c in comps)
        else:
            low, high = max(float(c.low) for c in comps), max(float(c.high) for c in comps)
        points = [float(p) for c in comps for p in (c.low, c.high, *getattr(c, "breakpoints", ()))]
        names = ", ".join(str(getattr(c, "name", None) or type(c).__name__) for c in comps)
        self._set_support(low, high, f"{'min' if self._kind == 'min' else 'max'}({names})", points)
        self._validate_density()

    def _parts(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        cdfs = [np.asarray(c.cdf(x), dtype=float) for c in self.components]
        sfs = [np.asarray(c.sf(x), dtype=float) for c in self.components]
        return cdfs, sfs

    def _cdf_sf_in(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cdfs, sfs = self._parts(x)
        # each side as a sum of positive terms, free of cancellation: for the minimum
        # F = F_1 + S_1 F_2 + S_1 S_2 F_3 + ..., S = prod S_k; mirror image for the maximum
        lower, upper = (cdfs, sfs) if self._kind == "min" else (sfs, cdfs)
        acc, prod = np.zeros_like(lower[0]), np.ones_like(lower[0])
        for lo, up in zip(lower, upper):
            acc = acc + prod * lo
            prod = prod * up
        return (acc, prod) if self._kind == "min" else (prod, acc)

    def _pdf_in(self, x: np.ndarray) -> np.ndarray:
        cdfs, sfs = self._parts(x)
        others = sfs if self._kind == "min" else cdfs
        total = np.zeros_like(cdfs[0])
        for k, c in enumerate(self.components):
            term = np.asarray(c.pdf(x), dtype=float)
            for m, o in enumerate(others):
                if m != k:
                    term = term * o
            total = total + term
        return total

    def _logpdf_in(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self._pdf_in(x))

    def _quantile_in(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        flat = u.ravel()
        out = np.where(flat <= 0, self.low, self.high).astype(float)
        inner = (flat > 0) & (flat < 1)
        if np.any(inner):
            lo = np.full(int(inner.sum()), self.low)
            hi = np.full(int(inner.sum()), self.high)

            def excess(x: np.ndarray, p: np.ndarray) -> np.ndarray:
                return np.asarray(self.cdf(x), dtype=float) - p

            result = find_root(excess, (lo, hi), args=(flat[inner],),
                               tolerances={"xatol": 1e-14 * self._scale, "xrtol": 4 * np.finfo(float).eps})
            out[inner] = result.x
        return out.reshape(u.shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.components!r})"


class MinimumOf(_Extreme):
    """Distribution of min(c_1, ..., c_k) of independent costs: G = 1 - prod (1 - G_k).

    The cost of a merged supplier (:func:`merge_suppliers`) or the value of outside supply of a buyer
    integrated with a supplier (:func:`integrate_vertically`). Support [min low_k, min high_k].

    Parameters
    ----------
    components
        Independent cost distributions.

    Examples
    --------
    >>> from bargaining.models.distributions import Uniform
    >>> round(float(MinimumOf([Uniform(), Uniform()]).cdf(0.5)), 12)   # 1 - 0.5^2
    0.75
    """

    _kind = "min"


class MaximumOf(_Extreme):
    """Distribution of max(v_1, ..., v_k) of independent values: F = prod F_k (support [max low_k, max high_k]).

    Parameters
    ----------
    components
        Independent value distributions.

    Examples
    --------
    >>> from bargaining import Uniform
    >>> float(MaximumOf([Uniform(), Uniform()]).cdf(0.5))   # 0.5^2
    0.25
    """

    _kind = "max"
