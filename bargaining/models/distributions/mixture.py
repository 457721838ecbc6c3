"""Mixture: a finite mixture of type distributions (the support is the union of the components' supports)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize.elementwise import find_root

from bargaining.errors import DistributionError, InvalidParameterError
from bargaining.models.distributions.base import TypeDistribution

__all__ = ["Mixture"]


class Mixture(TypeDistribution):
    """A finite mixture sum_k w_k F_k of type distributions.

    The support is the union of the components' supports, which must not leave a gap (the density would vanish
    there). Component ends inside the support are breakpoints: the density jumps there.

    Parameters
    ----------
    components
        Type distributions.
    weights
        Positive mixing weights (normalised to sum to one); equal weights by default.

    Examples
    --------
    >>> mix = Mixture([Uniform(0, 0.5), Uniform(0.5, 1)])
    >>> float(mix.cdf(0.5)), mix.is_regular()
    (0.5, True)
    """

    def __init__(self, components: Sequence[TypeDistribution], weights: Sequence[float] | None = None) -> None:
        comps = list(components)
        if not comps or not all(isinstance(c, TypeDistribution) for c in comps):
            raise DistributionError("Mixture needs a non-empty list of TypeDistribution components.", hint="e.g. Mixture([Uniform(0, 1), Beta(2, 5)]).")
        raw_weights = np.ones(len(comps)) if weights is None else np.asarray(weights, dtype=float)
        if raw_weights.shape != (len(comps),) or np.any(~np.isfinite(raw_weights)) or np.any(raw_weights <= 0):
            raise InvalidParameterError(
                "Mixture weights must be positive numbers, one per component.",
                hint=f"Pass {len(comps)} positive weights (they are normalised to sum to one).",
            )
        self.components = comps
        self.weights = raw_weights / raw_weights.sum()
        low = min(c.low for c in comps)
        high = max(c.high for c in comps)
        points = [p for c in comps for p in (c.low, c.high, *c.breakpoints)]
        self._set_support(low, high, "Mixture(" + ", ".join(f"{w:.3g} {c.name}" for w, c in zip(self.weights, comps)) + ")", points)
        self._validate_density()

    @property
    def cache_key(self) -> tuple[Any, ...] | None:
        keys = tuple(c.cache_key for c in self.components)
        if any(k is None for k in keys):
            return None
        return (type(self).__module__, type(self).__qualname__, keys, tuple(float(w) for w in self.weights))

    def _cdf_in(self, x: np.ndarray) -> np.ndarray:
        return sum(w * np.asarray(c.cdf(x), dtype=float) for w, c in zip(self.weights, self.components))

    def _sf_in(self, x: np.ndarray) -> np.ndarray:
        return sum(w * np.asarray(c.sf(x), dtype=float) for w, c in zip(self.weights, self.components))

    def _cdf_sf_in(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._cdf_in(x), self._sf_in(x)

    def _pdf_in(self, x: np.ndarray) -> np.ndarray:
        return sum(w * np.asarray(c.pdf(x), dtype=float) for w, c in zip(self.weights, self.components))

    def _logpdf_in(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self._pdf_in(x))

    def _quantile_in(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        flat = u.ravel()
        lo = np.full_like(flat, self.low)
        hi = np.full_like(flat, self.high)
        inner = (flat > 0) & (flat < 1)
        out = np.where(flat <= 0, self.low, self.high).astype(float)
        if np.any(inner):

            def excess(x: np.ndarray, p: np.ndarray) -> np.ndarray:
                return np.asarray(self.cdf(x), dtype=float) - p

            result = find_root(
                excess,
                (lo[inner], hi[inner]),
                args=(flat[inner],),
                tolerances={"xatol": 1e-14 * self._scale, "xrtol": 4 * np.finfo(float).eps},
            )
            out[inner] = result.x
        return out.reshape(u.shape)
