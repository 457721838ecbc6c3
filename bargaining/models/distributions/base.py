"""TypeDistribution: a continuous distribution restricted to [low, high], its weighted virtual types, their
ironing and generalized inverses (see the package docstring of :mod:`bargaining.models.distributions`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import integrate

from bargaining.errors import (
    DistributionError,
    InvalidParameterError,
    SupportError,
)
from bargaining.models._checks import check_finite, check_weight
from bargaining.models.distributions.inverse import VirtualTypeInverse, _inverse_cubic_guess  # noqa: F401
from bargaining.models.ironing import Flat, find_flats

__all__ = ["TypeDistribution"]

_CHECK_POINTS = 2001
_GRID_POINTS = 1025
_CACHE_LIMIT = 512
#: a tail probability below this share of the mass is recomputed from the other raw function (no cancellation)
_TAIL_RECOMPUTE = 1e-2
_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(8)
_SIDES = ("value", "cost")


def _clip(x: Any, low: Any, high: Any) -> Any:
    """``np.clip`` without its dispatch overhead (a few microseconds a call on the solver's hot path)."""
    return np.minimum(np.maximum(x, low), high)


def _weight_ratio(weight: Any) -> float:
    """A weight ratio a = w / rho must lie in [0, 1] (rounding of 1e-12 above 1 is forgiven)."""
    return check_weight(
        weight, "weight", slack=1e-12,
        hint="Weights are ratios w / rho; normalise them so that the largest is at most 1.",
    )


def _check_side(side: str) -> str:
    if side not in _SIDES:
        raise InvalidParameterError(f"side must be 'value' or 'cost', got {side!r}.", hint="Use side='value' for buyers, 'cost' for suppliers.")
    return side


class TypeDistribution(VirtualTypeInverse):
    """A continuous distribution restricted to [low, high] and renormalised.

    Parameters
    ----------
    distribution
        A frozen ``scipy.stats`` continuous distribution (e.g. ``scipy.stats.lognorm(0.5)``).
    low, high
        The support of the types, low < high; the distribution must put positive mass on it.
    name
        Label used in tables and messages.
    breakpoints
        Interior points where the density has a kink or a jump (used as quadrature and ironing breakpoints).

    Raises
    ------
    SupportError
        If the support is empty, extends beyond the distribution's own support, or carries no mass.
    DistributionError
        If the density vanishes (or is not finite) inside the support.

    Examples
    --------
    >>> from scipy import stats
    >>> d = TypeDistribution(stats.norm(0.5, 0.2), 0.0, 1.0)
    >>> round(float(d.cdf(0.5)), 12)
    0.5
    """

    def __init__(
        self,
        distribution: Any,
        low: float,
        high: float,
        *,
        name: str | None = None,
        breakpoints: Sequence[float] = (),
    ) -> None:
        missing = [m for m in ("cdf", "sf", "pdf", "logpdf", "ppf", "isf") if not hasattr(distribution, m)]
        if missing:
            raise DistributionError(
                f"{distribution!r} is not a frozen continuous scipy distribution (no {', '.join(missing)}).",
                hint="Pass e.g. scipy.stats.norm(loc, scale), or use Uniform, Beta, TruncatedNormal.",
            )
        self._dist = distribution
        self._set_support(low, high, name or _describe(distribution), breakpoints)
        own_low, own_high = (float(v) for v in distribution.support())
        if self.low < own_low - 1e-12 * self._scale or self.high > own_high + 1e-12 * self._scale:
            raise SupportError(
                f"The support [{self.low:g}, {self.high:g}] extends beyond the distribution's own support "
                f"[{own_low:g}, {own_high:g}], where its density is zero.",
                hint=f"Use low >= {own_low:g} and high <= {own_high:g}.",
            )
        f_low, f_high = float(distribution.cdf(self.low)), float(distribution.cdf(self.high))
        s_low, s_high = float(distribution.sf(self.low)), float(distribution.sf(self.high))
        # the side without cancellation is the one whose difference is larger
        self._use_sf = (s_low - s_high) > (f_high - f_low)
        self._f_low, self._s_low, self._f_high, self._s_high = f_low, s_low, f_high, s_high
        self._mass = max(f_high - f_low, s_low - s_high)
        if not (self._mass > 0 and math.isfinite(self._mass)):
            raise SupportError(
                f"The distribution puts no probability on [{self.low:g}, {self.high:g}].",
                hint="Choose a support where the distribution has mass.",
            )
        self._log_mass = math.log(self._mass)
        self._validate_density()

    # construction helpers ----------------------------------------------------------------------------
    def _set_support(self, low: Any, high: Any, name: str, breakpoints: Sequence[float]) -> None:
        self.low = check_finite(low, "low")
        self.high = check_finite(high, "high")
        if not self.low < self.high:
            raise SupportError(f"The support needs low < high, got [{self.low:g}, {self.high:g}].", hint="Swap or widen the bounds.")
        self.name = name
        self._scale = max(1.0, abs(self.low), abs(self.high), self.high - self.low)
        points = sorted({check_finite(b, "breakpoint") for b in breakpoints})
        self.breakpoints: tuple[float, ...] = tuple(b for b in points if self.low < b < self.high)
        self._flat_cache: dict[tuple[str, float], list[Flat]] = {}
        self._table_cache: dict[tuple[str, float], np.ndarray] = {}
        self._grid: np.ndarray | None = None
        self._inverse_grid_cache: np.ndarray | None = None
        self._ratio_cache: dict[tuple[str, str], np.ndarray] = {}
        self._cubic_cache: dict[tuple[str, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._cell_error_cache: dict[tuple[str, float], np.ndarray] = {}
        self._integral_table: np.ndarray | None = None

    def _validate_density(self) -> None:
        width = self.high - self.low
        x = self.low + width * np.linspace(0.0, 1.0, _CHECK_POINTS)[1:-1]
        edges = np.array([self.low, *self.breakpoints, self.high])
        x = np.concatenate([x, 0.5 * (edges[1:] + edges[:-1])])
        log_density = np.asarray(self._logpdf_in(x), dtype=float)
        bad = ~(log_density > -np.inf) | ~np.isfinite(np.asarray(self._pdf_in(x), dtype=float))
        if np.any(bad):
            where = float(np.sort(x[bad])[0])
            raise DistributionError(
                f"The density of {self.name} is zero or not finite inside its support [{self.low:g}, {self.high:g}] "
                f"(first at x = {where:.6g}); virtual types are undefined there.",
                hint="Restrict the support to where the density is positive (it may vanish only at the ends), "
                "or use a mixture whose components overlap.",
            )

    # primitives on the support (overridden by Mixture and Uniform) -------------------------------------
    # The untruncated functions go through the frozen scipy object; the families (families.py) replace them by
    # the scipy.special formulas, which skip the frozen object's argument checks (most of the solver's time).
    def _raw_cdf(self, x: np.ndarray) -> np.ndarray:
        return self._dist.cdf(x)

    def _raw_sf(self, x: np.ndarray) -> np.ndarray:
        return self._dist.sf(x)

    def _raw_logpdf(self, x: np.ndarray) -> np.ndarray:
        return self._dist.logpdf(x)

    def _cdf_sf_in(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(F(x), 1 - F(x)) on the support, each without cancellation.

        Both come from the raw cdf (or, for a support deep in the upper tail, the raw survival function); where
        the complement computed that way falls below 1e-2 of the mass and the other raw function is the smaller
        number there (so subtracting from it loses nothing), it is recomputed from that one: 1 - F(v) near the
        top of a Beta(2, 5) support is 1e-14 and comes out of betaincc to full precision, not as 1 - betainc.
        """
        x = np.asarray(x, dtype=float)
        if self._use_sf:
            s = self._raw_sf(x)
            lower, upper = (self._s_low - s) / self._mass, (s - self._s_high) / self._mass
            thin = np.asarray((lower < _TAIL_RECOMPUTE) & (s > 0.5))  # where the raw cdf is the smaller number
            if thin.any():
                lower, upper = np.array(lower, dtype=float), np.array(upper, dtype=float)
                f = np.asarray(self._raw_cdf(x[thin]), dtype=float)
                lower[thin], upper[thin] = (f - self._f_low) / self._mass, (self._f_high - f) / self._mass
            return lower, upper
        f = self._raw_cdf(x)
        lower, upper = (f - self._f_low) / self._mass, (self._f_high - f) / self._mass
        thin = np.asarray((upper < _TAIL_RECOMPUTE) & (f > 0.5))  # where the raw survival function is smaller
        if thin.any():
            lower, upper = np.array(lower, dtype=float), np.array(upper, dtype=float)
            s = np.asarray(self._raw_sf(x[thin]), dtype=float)
            lower[thin], upper[thin] = (self._s_low - s) / self._mass, (s - self._s_high) / self._mass
        return lower, upper

    def _cdf_in(self, x: np.ndarray) -> np.ndarray:
        if type(self)._cdf_sf_in is not TypeDistribution._cdf_sf_in or self._use_sf:
            return self._cdf_sf_in(x)[0]  # a subclass's own pair (it may not have the raw functions)
        # F alone needs no second raw function: where 1 - F is thin, F is close to 1 and the raw cdf gives it
        # to full precision (the survival function is recomputed only for 1 - F, see _cdf_sf_in)
        return (self._raw_cdf(np.asarray(x, dtype=float)) - self._f_low) / self._mass

    def _sf_in(self, x: np.ndarray) -> np.ndarray:
        return self._cdf_sf_in(x)[1]

    def _logpdf_in(self, x: np.ndarray) -> np.ndarray:
        return self._raw_logpdf(x) - self._log_mass

    def _dlogpdf_in(self, x: np.ndarray) -> np.ndarray | None:
        """d log f / dx on the support where a family has it in closed form (None otherwise): the inverse virtual
        types then take exact Newton steps."""
        return None

    def _pdf_in(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(self._logpdf_in(x))

    def _quantile_in(self, u: np.ndarray) -> np.ndarray:
        if self._use_sf:
            return self._dist.isf(self._s_low - u * self._mass)
        return self._dist.ppf(self._f_low + u * self._mass)

    # distribution functions ------------------------------------------------------------------------------
    def _inside(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        arr = np.asarray(x, dtype=float)
        return arr, _clip(arr, self.low, self.high)

    def cdf(self, x: Any) -> Any:
        """F(x); 0 below the support and 1 above it."""
        arr, inside = self._inside(x)
        out = _clip(self._cdf_in(inside), 0.0, 1.0)
        out = np.where(arr <= self.low, 0.0, np.where(arr >= self.high, 1.0, out))
        return out[()] if out.ndim == 0 else out

    def sf(self, x: Any) -> Any:
        """1 - F(x), computed without cancellation in the upper tail."""
        arr, inside = self._inside(x)
        out = _clip(self._sf_in(inside), 0.0, 1.0)
        out = np.where(arr <= self.low, 1.0, np.where(arr >= self.high, 0.0, out))
        return out[()] if out.ndim == 0 else out

    def pdf(self, x: Any) -> Any:
        """f(x); 0 outside the support."""
        arr, inside = self._inside(x)
        out = np.where((arr < self.low) | (arr > self.high), 0.0, self._pdf_in(inside))
        return out[()] if out.ndim == 0 else out

    def quantile(self, u: Any) -> Any:
        """F^{-1}(u) for u in [0, 1]."""
        arr = np.asarray(u, dtype=float)
        if np.any(~np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
            raise InvalidParameterError("Quantile levels must lie in [0, 1].", hint="Pass probabilities between 0 and 1.")
        out = np.clip(np.asarray(self._quantile_in(arr), dtype=float), self.low, self.high)
        out = np.where(arr <= 0, self.low, np.where(arr >= 1, self.high, out))
        return out[()] if out.ndim == 0 else out

    def sample(self, size: Any = None, *, seed: Any = None) -> Any:
        """Draws by inversion of the cdf; ``seed`` is an int, a SeedSequence or a ``numpy.random.Generator``."""
        rng = np.random.default_rng(seed)
        return self.quantile(rng.random(size))

    def mean(self) -> float:
        """E[X], by adaptive quadrature of the survival function (absolute error < 1e-12 x support length)."""
        width = self.high - self.low
        value, _ = integrate.quad(
            lambda t: float(self.sf(t)), self.low, self.high, points=self.breakpoints or None,
            epsabs=1e-13 * width, epsrel=1e-12, limit=200,
        )
        return self.low + value

    # raw weighted virtual types ---------------------------------------------------------------------------
    def _types(self, x: Any) -> np.ndarray:
        arr = np.asarray(x, dtype=float)
        tol = 1e-10 * self._scale
        if np.any(~np.isfinite(arr)) or np.any((arr < self.low - tol) | (arr > self.high + tol)):
            raise InvalidParameterError(
                f"Types must be finite and inside the support [{self.low:g}, {self.high:g}].",
                hint="Virtual types are defined on the support only.",
            )
        return _clip(arr, self.low, self.high)

    def _hazard_ratio(self, x: np.ndarray, side: str) -> np.ndarray:
        """(1 - F)/f for values, F/f for costs; 0 where the numerator is 0, +inf where only f vanishes."""
        density = self._pdf_in(x)
        if side == "value":
            numerator = np.where(x >= self.high, 0.0, _clip(self._sf_in(x), 0.0, 1.0))
        else:
            numerator = np.where(x <= self.low, 0.0, _clip(self._cdf_in(x), 0.0, 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = numerator / density
        return np.where(numerator == 0, 0.0, ratio)

    def raw_virtual_value(self, x: Any, weight: float = 1.0) -> Any:
        """Phi_a(v) = v - (1 - a)(1 - F(v))/f(v), not ironed (-inf where f(v) = 0 < 1 - F(v))."""
        out = self._raw("value", _weight_ratio(weight), self._types(x))
        return out[()] if out.ndim == 0 else out

    def raw_virtual_cost(self, x: Any, weight: float = 1.0) -> Any:
        """Gamma_a(c) = c + (1 - a) F(c)/f(c), not ironed (+inf where f(c) = 0 < F(c))."""
        out = self._raw("cost", _weight_ratio(weight), self._types(x))
        return out[()] if out.ndim == 0 else out

    def _builtin_raw(self) -> bool:
        return type(self)._raw is TypeDistribution._raw

    def _raw(self, side: str, a: float, x: np.ndarray) -> np.ndarray:
        """Raw weighted virtual type for types already checked to lie in the support (hot path)."""
        x = np.asarray(x, dtype=float)
        if a >= 1:
            return x.copy()
        ratio = self._hazard_ratio(x, side)
        return x - (1.0 - a) * ratio if side == "value" else x + (1.0 - a) * ratio

    # ironing ------------------------------------------------------------------------------------------------
    def _ironing_grid(self) -> np.ndarray:
        if self._grid is None:
            even = np.linspace(self.low, self.high, _GRID_POINTS)
            by_mass = np.asarray(self.quantile(np.linspace(0.0, 1.0, _GRID_POINTS)), dtype=float)
            grid = np.unique(np.concatenate([even, by_mass, self.breakpoints, [self.low, self.high]]))
            keep = np.concatenate([[True], np.diff(grid) > 1e-12 * self._scale])
            self._grid = grid[keep]
            self._grid[-1] = self.high
        return self._grid

    def _inverse_grid(self) -> np.ndarray:
        """The ironing grid plus points approaching each end geometrically (1e-3 to 1e-13 of the support).

        Tabulated virtual types on it bracket the inverse: where a density vanishes at an end the virtual
        type has a pole there, and the extra points give the root finder brackets on which it converges in a
        few steps instead of crawling towards the pole.
        """
        if self._inverse_grid_cache is None:
            grid = self._ironing_grid()
            width = self.high - self.low
            # geometric steps (ratio 10^(1/8)) where they are finer than the grid's even spacing, which they
            # replace there: mixing the two leaves nodes a few percent of a cell apart, and cubics through such
            # nodes are poorly conditioned
            spacing = width / (_GRID_POINTS - 1)
            reach = spacing / (1.0 - 10.0 ** -0.125)
            steps = width * 10.0 ** -np.arange(0.0, 13.01, 0.125)
            steps = steps[steps < reach]
            interior = (grid - self.low >= reach) & (self.high - grid >= reach)
            kept = np.concatenate([grid[interior], np.asarray(self.breakpoints, dtype=float), [self.low, self.high]])
            extra = np.concatenate([self.low + steps, self.high - steps])
            extra = extra[(extra > grid[0]) & (extra < grid[-1])]
            merged = np.unique(np.concatenate([kept, extra]))
            keep = np.concatenate([[True], np.diff(merged) > 1e-14 * self._scale])
            merged = merged[keep]
            merged[0], merged[-1] = self.low, self.high
            self._inverse_grid_cache = merged
        return self._inverse_grid_cache

    def _cdf_integral(self, x: np.ndarray) -> np.ndarray:
        """I(x) = int_low^x F(t) dt, by 8-point Gauss-Legendre on the cells of the ironing grid."""
        grid = self._ironing_grid()
        if self._integral_table is None:
            half = 0.5 * np.diff(grid)
            mid = 0.5 * (grid[1:] + grid[:-1])
            nodes = mid[:, None] + half[:, None] * _GAUSS_NODES[None, :]
            cells = (np.asarray(self.cdf(nodes), dtype=float) * _GAUSS_WEIGHTS).sum(axis=1) * half
            self._integral_table = np.concatenate([[0.0], np.cumsum(cells)])
        x = np.clip(np.asarray(x, dtype=float), self.low, self.high)
        k = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2)
        half = 0.5 * (x - grid[k])
        nodes = (grid[k] + half)[..., None] + half[..., None] * _GAUSS_NODES
        partial = (np.asarray(self.cdf(nodes), dtype=float) * _GAUSS_WEIGHTS).sum(axis=-1) * half
        return self._integral_table[k] + partial

    def _cumulative(self, side: str, a: float, x: np.ndarray) -> np.ndarray:
        """H(x) whose derivative with respect to F(x) is the raw virtual type (see models.ironing)."""
        x = np.asarray(x, dtype=float)
        h = x * np.asarray(self.cdf(x), dtype=float) - a * self._cdf_integral(x)
        return h - (1.0 - a) * x if side == "value" else h

    def ironing_intervals(self, weight: float = 1.0, side: str = "value") -> list[tuple[float, float, float]]:
        """Intervals (low, high, level) on which the ironed weighted virtual type is constant.

        Parameters
        ----------
        weight
            Weight ratio a = w / rho in [0, 1].
        side
            ``"value"`` (buyers, Phi_a) or ``"cost"`` (suppliers, Gamma_a).
        """
        return [(f.low, f.high, f.level) for f in self._flats(_check_side(side), _weight_ratio(weight))]

    def _flats(self, side: str, a: float) -> list[Flat]:
        key = (side, a)
        if key not in self._flat_cache:
            if len(self._flat_cache) > _CACHE_LIMIT:
                self._flat_cache.clear()
                self._table_cache.clear()
                self._cubic_cache.clear()
                self._cell_error_cache.clear()
            if a > 0.0 and not self._flats(side, 0.0):
                # Phi_a is a mix of Phi_0 and the identity: regular at a = 0 means regular at every a (no search)
                self._flat_cache[key] = []
                return self._flat_cache[key]
            self._flat_cache[key] = find_flats(
                self._ironing_grid(),
                raw=lambda x: self._raw(side, a, x),
                cumulative=lambda x: self._cumulative(side, a, x),
                cdf=lambda x: np.asarray(self.cdf(x), dtype=float),
                jumps=self.breakpoints,
                scale=self._scale,
            )
        return self._flat_cache[key]

    def is_regular(self, weight: float = 0.0, side: str = "both") -> bool:
        """Whether the weighted virtual type(s) are non-decreasing without ironing.

        ``side="both"`` (default) checks the virtual value and the virtual cost. Regularity at a implies it at
        every larger a, since Phi_b is a mix of Phi_a and the identity for b > a.
        """
        a = _weight_ratio(weight)
        sides = _SIDES if side == "both" else (_check_side(side),)
        return all(not self._flats(s, a) for s in sides)

    def _ironed(self, side: str, a: float, x: np.ndarray) -> np.ndarray:
        out = self._raw(side, a, x)
        for flat in self._flats(side, a):
            out = np.where((x >= flat.low) & (x <= flat.high), flat.level, out)
        return out

    def virtual_value(self, x: Any, weight: float = 1.0) -> Any:
        """Ironed weighted virtual value: Phi_a(v), made non-decreasing by ironing when needed."""
        a = _weight_ratio(weight)
        out = self._ironed("value", a, self._types(x))
        return out[()] if out.ndim == 0 else out

    def virtual_cost(self, x: Any, weight: float = 1.0) -> Any:
        """Ironed weighted virtual cost: Gamma_a(c), made non-decreasing by ironing when needed."""
        a = _weight_ratio(weight)
        out = self._ironed("cost", a, self._types(x))
        return out[()] if out.ndim == 0 else out

    # generalized inverses ------------------------------------------------------------------------------
    def virtual_value_inverse(self, y: Any, weight: float = 1.0) -> Any:
        """The smallest v with ironed Phi_a(v) >= y, clipped to the support."""
        return self._inverse("value", _weight_ratio(weight), y)

    def virtual_cost_inverse(self, y: Any, weight: float = 1.0) -> Any:
        """The smallest c with ironed Gamma_a(c) >= y, clipped to the support."""
        return self._inverse("cost", _weight_ratio(weight), y)

    @property
    def cache_key(self) -> tuple[Any, ...] | None:
        """A hashable description of the law, equal for two objects that define the same distribution, or None.

        Used to cache work that depends only on the law (e.g. the rho(Delta) curve of
        :class:`bargaining.models.incomplete_likelihood.WeightRatioCurve`). A generic ``TypeDistribution``
        wraps an arbitrary scipy object, so it has no key (None: never cached); the parametric families and
        mixtures of them return their class and parameters.
        """
        return None

    def _family_key(self, *params: float) -> tuple[Any, ...]:
        return (type(self).__module__, type(self).__qualname__, *(float(p) for p in params), self.low, self.high)

    def __repr__(self) -> str:
        return self.name if type(self) is not TypeDistribution else f"TypeDistribution({self.name}, low={self.low:g}, high={self.high:g})"


def _describe(distribution: Any) -> str:
    dist_name = getattr(getattr(distribution, "dist", None), "name", type(distribution).__name__)
    args = ", ".join(f"{v:g}" if isinstance(v, (int, float)) else repr(v) for v in getattr(distribution, "args", ()))
    kwds = ", ".join(f"{k}={v:g}" for k, v in getattr(distribution, "kwds", {}).items() if isinstance(v, (int, float)))
    return f"{dist_name}({', '.join(p for p in (args, kwds) if p)})"
