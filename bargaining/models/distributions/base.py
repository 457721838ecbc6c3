"""TypeDistribution: a continuous distribution restricted to [low, high], its weighted virtual types, their
ironing and generalized inverses (see the package docstring of :mod:`bargaining.models.distributions`)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import integrate

from bargaining.errors import (
    AccuracyWarning,
    DistributionError,
    InvalidParameterError,
    SupportError,
)
from bargaining.models._checks import check_finite, check_weight
from bargaining.models.ironing import Flat, find_flats

__all__ = ["TypeDistribution"]

_CHECK_POINTS = 2001
_GRID_POINTS = 1025
_CACHE_LIMIT = 512
#: a tail probability below this share of the mass is recomputed from the other raw function (no cancellation)
_TAIL_RECOMPUTE = 1e-2
_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(8)
_SIDES = ("value", "cost")


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


class TypeDistribution:
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
        return self._cdf_sf_in(x)[0]

    def _sf_in(self, x: np.ndarray) -> np.ndarray:
        return self._cdf_sf_in(x)[1]

    def _logpdf_in(self, x: np.ndarray) -> np.ndarray:
        return self._raw_logpdf(x) - self._log_mass

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
        return arr, np.clip(arr, self.low, self.high)

    def cdf(self, x: Any) -> Any:
        """F(x); 0 below the support and 1 above it."""
        arr, inside = self._inside(x)
        out = np.clip(self._cdf_in(inside), 0.0, 1.0)
        out = np.where(arr <= self.low, 0.0, np.where(arr >= self.high, 1.0, out))
        return out[()] if out.ndim == 0 else out

    def sf(self, x: Any) -> Any:
        """1 - F(x), computed without cancellation in the upper tail."""
        arr, inside = self._inside(x)
        out = np.clip(self._sf_in(inside), 0.0, 1.0)
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
        return np.clip(arr, self.low, self.high)

    def _hazard_ratio(self, x: np.ndarray, side: str) -> np.ndarray:
        """(1 - F)/f for values, F/f for costs; 0 where the numerator is 0, +inf where only f vanishes."""
        density = self._pdf_in(x)
        lower, upper = self._cdf_sf_in(x)
        if side == "value":
            numerator = np.where(x >= self.high, 0.0, np.clip(upper, 0.0, 1.0))
        else:
            numerator = np.where(x <= self.low, 0.0, np.clip(lower, 0.0, 1.0))
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
            steps = width * 10.0 ** -np.arange(3.0, 13.01, 0.125)
            extra = np.concatenate([self.low + steps, self.high - steps])
            extra = extra[(extra > grid[0]) & (extra < grid[-1])]
            merged = np.unique(np.concatenate([grid, extra]))
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

    def _table(self, side: str, a: float) -> np.ndarray:
        key = (side, a)
        if key not in self._table_cache:
            grid = self._inverse_grid()
            if type(self)._raw is TypeDistribution._raw and not self._flats(side, a):
                # no ironing: the raw virtual type x -+ (1 - a) * ratio from the hazard ratio on the grid, kept
                # once per side (the same arithmetic as _raw, without re-evaluating the distribution at every a)
                rkey = (side, "ratio")
                if rkey not in self._ratio_cache:
                    self._ratio_cache[rkey] = self._hazard_ratio(grid, side)
                ratio = self._ratio_cache[rkey]
                if a >= 1:
                    values = grid.copy()
                else:
                    values = grid - (1.0 - a) * ratio if side == "value" else grid + (1.0 - a) * ratio
            else:
                values = self._ironed(side, a, grid)
            self._table_cache[key] = np.maximum.accumulate(np.where(np.isnan(values), -np.inf, values))
        return self._table_cache[key]

    def _inverse(self, side: str, a: float, y: Any) -> Any:
        levels = np.asarray(y, dtype=float)
        if np.any(np.isnan(levels)):
            raise InvalidParameterError("Virtual-type levels must not be NaN.", hint="Check the inputs for missing values.")
        grid = self._inverse_grid_cache if self._inverse_grid_cache is not None else self._inverse_grid()
        table = self._table(side, a)
        flat_y = levels.ravel()
        out = np.empty_like(flat_y)
        k = np.searchsorted(table, flat_y, side="left")
        below = k == 0
        above = k >= len(grid)
        out[below] = self.low
        out[above] = self.high
        todo = ~(below | above)
        tol = 1e-12 * self._scale
        for flat in self._flats(side, a):  # the smallest type on a flat is its left end
            on = todo & (np.abs(flat_y - flat.level) <= tol)
            out[on] = flat.low
            todo &= ~on
        exact = np.zeros_like(todo)
        exact[todo] = table[k[todo]] == flat_y[todo]
        out[exact] = grid[k[exact]]
        todo &= ~exact
        if np.any(todo):
            idx = k[todo]
            guess, trusted = self._guess_and_trust(side, a, grid, table, idx, flat_y[todo])
            if trusted is not None:
                take = trusted & np.isfinite(guess) & (guess >= grid[idx - 1]) & (guess <= grid[idx])
                if np.any(take):
                    where = np.flatnonzero(todo)
                    out[where[take]] = guess[take]
                    todo[where[take]] = False
                    keep = ~take
                    idx, guess = idx[keep], guess[keep]
        if np.any(todo):
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = (grid[idx] - grid[idx - 1]) / (table[idx] - table[idx - 1])  # dx/dy across the cell
            out[todo] = self._illinois(
                side, a, flat_y[todo], grid[idx - 1], grid[idx], table[idx - 1], table[idx], guess=guess, slope=slope
            )
        out = np.clip(out, self.low, self.high).reshape(levels.shape)
        return out[()] if out.ndim == 0 else out

    def _illinois(
        self,
        side: str,
        a: float,
        y: np.ndarray,
        xl: np.ndarray,
        xr: np.ndarray,
        fl: np.ndarray,
        fr: np.ndarray,
        *,
        guess: np.ndarray | None = None,
        slope: np.ndarray | None = None,
    ) -> np.ndarray:
        """Solve ironed h(x) = y on brackets [xl, xr] with h(xl) < y <= h(xr) (Illinois regula falsi).

        The brackets are cells of the ironing grid, so the first secant step is already a linear interpolation
        of the tabulated type; convergence is superlinear and stops when the bracket is 1e-13 of the support
        length or the virtual type is within 1e-13 (relative) of y.
        """
        # Every level is solved by its own iterates; the arrays shrink to the levels still searched (most
        # converge in one or two steps), which does not change any level's iterates.
        out = np.empty(y.shape)
        idx = np.arange(y.size)
        xl, xr = xl.astype(float).copy(), xr.astype(float).copy()
        hl, hr = fl.astype(float), fr.astype(float)  # virtual types at the bracket ends (not halved)
        fl, fr = fl - y, fr - y
        last = np.zeros(y.shape, dtype=np.int8)  # which end moved last: -1 left, +1 right (Illinois)
        xtol = 1e-13 * self._scale
        ftol = 1e-11 * np.maximum(1.0, np.abs(y))
        yy = y
        newton: np.ndarray | None = None
        x_prev = f_prev = x_older = f_older = dxdy = np.zeros(0)
        for iteration in range(100):
            denom = fr - fl
            width = xr - xl
            # an infinite end value (a pole of the virtual type where a density vanishes): see _pole_step
            secant = np.isfinite(denom) & (denom > 0)
            if secant.all():
                step = xl - fl * width / denom
            else:
                step = self._pole_step(secant, xl, xr, fl, fr, hl, hr, yy, width, denom)
            if iteration == 0 and guess is not None:
                step = np.where(np.isfinite(guess), guess, step)
            elif iteration >= 1 and newton is not None:
                # From a close start, regula falsi against the far end of the cell is slow. Step instead by the
                # secant through the last two iterates (the first time: Newton with the cell's slope dx/dy),
                # whenever that stays inside the bracket: superlinear, and safeguarded by the bracket.
                with np.errstate(invalid="ignore", divide="ignore"):
                    if iteration == 1:
                        fast = x_prev - f_prev * dxdy
                    else:
                        fast = x_prev - f_prev * (x_prev - x_older) / (f_prev - f_older)
                usable = newton & np.isfinite(fast) & (fast > xl) & (fast < xr)
                step = np.where(usable, fast, step)
            trial = np.clip(step, xl + 1e-9 * width, xr - 1e-9 * width)
            h = self._ironed(side, a, trial)
            f = h - yy
            if iteration == 0 and guess is not None and slope is not None:
                newton = np.isfinite(guess) & np.isfinite(slope) & (slope > 0) & np.isfinite(f)
                dxdy = np.where(np.isfinite(slope), slope, 0.0)
            if newton is not None:
                newton = newton & np.isfinite(f)
                x_older, f_older, x_prev, f_prev = x_prev, f_prev, trial, f
            neg = f < 0
            pos = ~neg
            fr = np.where(neg & (last == -1), 0.5 * fr, fr)  # halve the stale end
            fl = np.where(pos & (last == 1), 0.5 * fl, fl)
            xl, fl, hl = np.where(neg, trial, xl), np.where(neg, f, fl), np.where(neg, h, hl)
            xr, fr, hr = np.where(pos, trial, xr), np.where(pos, f, fr), np.where(pos, h, hr)
            last = np.where(neg, -1, 1).astype(np.int8)
            done = (xr - xl <= xtol) | (np.abs(f) <= ftol)
            out[idx[done]] = trial[done]
            keep = ~done
            if not keep.any():
                idx = idx[keep]
                break
            idx, xl, xr, fl, fr, hl, hr, last, ftol, yy = (
                idx[keep], xl[keep], xr[keep], fl[keep], fr[keep], hl[keep], hr[keep], last[keep], ftol[keep], yy[keep]
            )
            if newton is not None:
                newton, x_prev, f_prev, dxdy = newton[keep], x_prev[keep], f_prev[keep], dxdy[keep]
                if iteration >= 1:
                    x_older, f_older = x_older[keep], f_older[keep]
        if idx.size:
            warnings.warn(
                f"The inverse virtual type did not converge for {int(idx.size)} level(s); the bracket width is "
                f"{float(np.max(xr - xl)):.2g}.",
                AccuracyWarning,
                stacklevel=4,
            )
            out[idx] = 0.5 * (xl + xr)
        return out

    def _guess_and_trust(self, side: str, a: float, grid: np.ndarray, table: np.ndarray, idx: np.ndarray,
                         y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Cubic guesses of the inverse at levels ``y`` (cells ``idx``) and whether each cell is trusted, i.e.
        accurate enough there to need no root finding (None when the check does not apply).

        Only for the unironed virtual type of the built-in families (the table is then x -+ (1 - a) * ratio).
        The interpolant is checked where its error is largest, at the cell midpoint: the inverse interpolated at
        the virtual type of the midpoint is compared with the midpoint itself, and the cell is trusted when that
        error times the cell's slope dy/dx (the residual in the virtual type it implies) is below 1e-13 (at
        least 1) of the level: a hundredth of the residual at which :meth:`_illinois` stops. Cells next to
        poles, at non-finite or non-increasing table values are never trusted. Guesses and checks are one
        interpolation call.
        """
        if type(self)._raw is not TypeDistribution._raw or self._flats(side, a) or a >= 1:
            return self._cubic_guess(side, a, grid, table, idx, y), None
        rkey = (side, "mid ratio")
        if rkey not in self._ratio_cache:
            self._ratio_cache[rkey] = self._hazard_ratio(0.5 * (grid[1:] + grid[:-1]), side)
        mid = 0.5 * (grid[idx - 1] + grid[idx])
        ratio = self._ratio_cache[rkey][idx - 1]
        y_mid = mid - (1.0 - a) * ratio if side == "value" else mid + (1.0 - a) * ratio
        both = self._cubic_guess(side, a, grid, table, np.concatenate([idx, idx]), np.concatenate([y, y_mid]))
        guess, x_mid = both[: idx.size], both[idx.size:]
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            slope = (table[idx] - table[idx - 1]) / (grid[idx] - grid[idx - 1])
            residual = np.abs(x_mid - mid) * slope
            trusted = np.asarray(
                np.isfinite(residual) & np.isfinite(y_mid) & (slope > 0)
                & (residual <= 1e-13 * np.maximum(1.0, np.abs(y_mid))),
                dtype=bool,
            )
        return guess, trusted

    def _cubic_guess(self, side: str, a: float, grid: np.ndarray, table: np.ndarray, idx: np.ndarray,
                     y: np.ndarray) -> np.ndarray:
        """:func:`_inverse_cubic_guess` with the Lagrange denominators of every stencil computed once per table.

        The stencil of cell k is the four table nodes from clip(k - 2, 0, n - 4); x(y) = sum_j c_j prod_{m != j}
        (y - y_m) with c_j = x_j / prod_{m != j} (y_j - y_m). NaN where the nodes are not finite and strictly
        increasing (the root finder then starts from its bracket).
        """
        key = (side, a)
        if key not in self._cubic_cache and 4 * idx.size < grid.size:
            # few levels at this ratio (e.g. breakpoints, or the neighbouring ratios of a sweep): per level
            return _inverse_cubic_guess(grid, table, idx, y)
        if key not in self._cubic_cache:
            n = len(grid)
            first = np.arange(max(n - 3, 1))
            nodes = np.clip(first[:, None] + np.arange(4), 0, n - 1)
            ys, xs = table[nodes], grid[nodes]
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                ok = np.all(np.isfinite(ys), axis=1) & np.all(np.diff(ys, axis=1) > 0, axis=1)
                coef = np.empty_like(xs)
                for j in range(4):
                    denom = np.ones(len(first))
                    for m in range(4):
                        if m != j:
                            denom = denom * (ys[:, j] - ys[:, m])
                    coef[:, j] = xs[:, j] / denom
            self._cubic_cache[key] = (ok, np.where(ok[:, None], ys, 0.0), np.where(ok[:, None], coef, 0.0))
        ok_all, ys_all, coef_all = self._cubic_cache[key]
        first = np.clip(idx - 2, 0, len(grid) - 4)
        out = np.full(y.shape, np.nan)
        ok = ok_all[first]
        if not np.any(ok):
            return out
        f, t = first[ok], y[ok]
        d = t[:, None] - ys_all[f]
        c = coef_all[f]
        p01, p23 = d[:, 0] * d[:, 1], d[:, 2] * d[:, 3]
        out[ok] = c[:, 0] * d[:, 1] * p23 + c[:, 1] * d[:, 0] * p23 + c[:, 2] * p01 * d[:, 3] + c[:, 3] * p01 * d[:, 2]
        return out

    @staticmethod
    def _pole_step(
        secant: np.ndarray, xl: np.ndarray, xr: np.ndarray, fl: np.ndarray, fr: np.ndarray, hl: np.ndarray,
        hr: np.ndarray, y: np.ndarray, width: np.ndarray, denom: np.ndarray,
    ) -> np.ndarray:
        """Regula falsi where both end values are finite; elsewhere a step for an end at a pole, or bisection.

        An end value is infinite where a density vanishes at an end of the support: the virtual type has a
        pole there. Step to the root of the simple pole h(x) = h_finite * width / (distance to the pole) through
        the finite end (for a pole of higher order this lands between the root and the pole and gives a finite
        end), at least 1e-3 of the bracket away from the pole (a huge level, 1e30 for an infinite one, would
        otherwise put the step on the pole itself after rounding); bisect when that model does not apply.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            right_pole = np.isposinf(fr) & np.isfinite(fl) & (hl > 0) & (y > hl)
            left_pole = np.isneginf(fl) & np.isfinite(fr) & (hr < 0) & (y < hr)
            pole = np.where(right_pole, xr - width * np.maximum(hl / np.where(right_pole, y, 1.0), 1e-3),
                            xl + width * np.maximum(hr / np.where(left_pole, y, 1.0), 1e-3))
            fallback = np.where(right_pole | left_pole, pole, 0.5 * (xl + xr))
            return np.where(secant, xl - fl * width / np.where(secant, denom, 1.0), fallback)

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


def _inverse_cubic_guess(grid: np.ndarray, table: np.ndarray, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cubic inverse interpolation x(y) through the four table nodes around each level (NaN where the nodes are
    not finite and strictly increasing): a start for the root finder that is usually already within 1e-11.

    Lagrange form x(y) = sum_j x_j prod_{m != j} (y - y_m) / (y_j - y_m), evaluated for all levels at once.
    """
    n = len(grid)
    first = np.clip(idx - 2, 0, n - 4)
    nodes = first[:, None] + np.arange(4)
    ys, xs = table[nodes], grid[nodes]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        ok = np.all(np.isfinite(ys), axis=1) & np.all(np.diff(ys, axis=1) > 0, axis=1)
        gaps = ys[:, :, None] - ys[:, None, :]
        gaps[:, np.arange(4), np.arange(4)] = 1.0
        denominator = np.prod(gaps, axis=2)
        d = y[:, None] - ys
        p01, p23 = d[:, 0] * d[:, 1], d[:, 2] * d[:, 3]
        numerator = np.column_stack([d[:, 1] * p23, d[:, 0] * p23, p01 * d[:, 3], p01 * d[:, 2]])
        value = np.sum(xs * numerator / denominator, axis=1)
    return np.where(ok, value, np.nan)


def _describe(distribution: Any) -> str:
    dist_name = getattr(getattr(distribution, "dist", None), "name", type(distribution).__name__)
    args = ", ".join(f"{v:g}" if isinstance(v, (int, float)) else repr(v) for v in getattr(distribution, "args", ()))
    kwds = ", ".join(f"{k}={v:g}" for k, v in getattr(distribution, "kwds", {}).items() if isinstance(v, (int, float)))
    return f"{dist_name}({', '.join(p for p in (args, kwds) if p)})"
