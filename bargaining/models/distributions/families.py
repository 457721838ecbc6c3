"""Parametric families of type distributions with closed-form primitives: Uniform (closed-form virtual types
and inverses), Beta, TruncatedNormal and TruncatedExponential (scipy.special formulas)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special, stats

from bargaining.errors import SupportError
from bargaining.models._checks import check_finite, check_positive
from bargaining.models.distributions.base import TypeDistribution, _clip, _weight_ratio
from bargaining.models.ironing import Flat

__all__ = ["Beta", "TruncatedExponential", "TruncatedNormal", "Uniform"]



class Uniform(TypeDistribution):
    """Uniform types on [low, high]: Phi_a(v) = (2 - a) v - (1 - a) high, Gamma_a(c) = (2 - a) c - (1 - a) low.

    Parameters
    ----------
    low, high
        Support.

    Examples
    --------
    >>> float(Uniform(0, 1).virtual_value(0.75, weight=0.0))   # 2v - 1
    0.5
    """

    def __init__(self, low: float = 0.0, high: float = 1.0) -> None:
        low_f, high_f = check_finite(low, "low"), check_finite(high, "high")
        if not low_f < high_f:
            raise SupportError(f"The support needs low < high, got [{low_f:g}, {high_f:g}].", hint="Swap or widen the bounds.")
        super().__init__(stats.uniform(low_f, high_f - low_f), low_f, high_f, name=f"Uniform({low_f:g}, {high_f:g})")

    def _cdf_in(self, x: np.ndarray) -> np.ndarray:
        return (x - self.low) / (self.high - self.low)

    def _sf_in(self, x: np.ndarray) -> np.ndarray:
        return (self.high - x) / (self.high - self.low)

    def _cdf_sf_in(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._cdf_in(x), self._sf_in(x)

    def _pdf_in(self, x: np.ndarray) -> np.ndarray:
        return np.full_like(np.asarray(x, dtype=float), 1.0 / (self.high - self.low))

    def _logpdf_in(self, x: np.ndarray) -> np.ndarray:
        return np.full_like(np.asarray(x, dtype=float), -math.log(self.high - self.low))

    def _dlogpdf_in(self, x: np.ndarray) -> np.ndarray | None:
        return np.zeros_like(np.asarray(x, dtype=float))

    def _quantile_in(self, u: np.ndarray) -> np.ndarray:
        return self.low + u * (self.high - self.low)

    def _flats(self, side: str, a: float) -> list[Flat]:
        return []  # linear, increasing virtual types

    def _raw(self, side: str, a: float, x: np.ndarray) -> np.ndarray:
        if side == "value":
            return (2.0 - a) * x - (1.0 - a) * self.high
        return (2.0 - a) * x - (1.0 - a) * self.low

    def raw_virtual_value(self, x: Any, weight: float = 1.0) -> Any:
        out = self._raw("value", _weight_ratio(weight), self._types(x))
        return out[()] if out.ndim == 0 else out

    def raw_virtual_cost(self, x: Any, weight: float = 1.0) -> Any:
        out = self._raw("cost", _weight_ratio(weight), self._types(x))
        return out[()] if out.ndim == 0 else out

    def _inverse(self, side: str, a: float, y: Any) -> Any:
        levels = np.asarray(y, dtype=float)
        anchor = self.high if side == "value" else self.low
        out = np.clip((levels + (1.0 - a) * anchor) / (2.0 - a), self.low, self.high)
        return out[()] if out.ndim == 0 else out

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def cache_key(self) -> tuple[Any, ...] | None:
        return self._family_key()


class Beta(TypeDistribution):
    """Beta(a, b) scaled to [low, high]; density x^(a-1)(1-x)^(b-1) on the unit scale.

    Parameters
    ----------
    a, b
        Shape parameters (both positive).
    low, high
        Support.

    Examples
    --------
    >>> round(float(Beta(2, 3).mean()), 6)
    0.4
    """

    def __init__(self, a: float, b: float, low: float = 0.0, high: float = 1.0) -> None:
        self.a, self.b = check_positive(a, "a"), check_positive(b, "b")
        low_f, high_f = check_finite(low, "low"), check_finite(high, "high")
        if not low_f < high_f:
            raise SupportError(f"The support needs low < high, got [{low_f:g}, {high_f:g}].", hint="Swap or widen the bounds.")
        self._betaln, self._log_width = float(special.betaln(self.a, self.b)), math.log(high_f - low_f)
        super().__init__(
            stats.beta(self.a, self.b, loc=low_f, scale=high_f - low_f), low_f, high_f,
            name=f"Beta({self.a:g}, {self.b:g}) on [{low_f:g}, {high_f:g}]",
        )

    @property
    def cache_key(self) -> tuple[Any, ...] | None:
        return self._family_key(self.a, self.b)

    def _unit(self, x: np.ndarray) -> np.ndarray:
        return _clip((np.asarray(x, dtype=float) - self.low) / (self.high - self.low), 0.0, 1.0)

    def _raw_cdf(self, x: np.ndarray) -> np.ndarray:
        return special.betainc(self.a, self.b, self._unit(x))

    def _raw_sf(self, x: np.ndarray) -> np.ndarray:
        return special.betaincc(self.a, self.b, self._unit(x))

    def _raw_logpdf(self, x: np.ndarray) -> np.ndarray:
        t = self._unit(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = special.xlogy(self.a - 1, t) + special.xlog1py(self.b - 1, -t) - self._betaln
        return out - self._log_width

    def _dlogpdf_in(self, x: np.ndarray) -> np.ndarray | None:
        t = self._unit(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ((self.a - 1.0) / t - (self.b - 1.0) / (1.0 - t)) / (self.high - self.low)


class TruncatedNormal(TypeDistribution):
    """Normal(mean, sd) truncated to [low, high].

    Parameters
    ----------
    mean, sd
        Mean and standard deviation of the untruncated normal.
    low, high
        Support.

    Examples
    --------
    >>> round(float(TruncatedNormal(0.5, 0.2, 0, 1).mean()), 6)
    0.5
    """

    def __init__(self, mean: float, sd: float, low: float, high: float) -> None:
        self.location, self.sd = check_finite(mean, "mean"), check_positive(sd, "sd")
        super().__init__(
            stats.norm(self.location, self.sd), low, high,
            name=f"TruncatedNormal({self.location:g}, {self.sd:g}) on [{float(low):g}, {float(high):g}]",
        )

    @property
    def cache_key(self) -> tuple[Any, ...] | None:
        return self._family_key(self.location, self.sd)

    def _raw_cdf(self, x: np.ndarray) -> np.ndarray:
        return special.ndtr((np.asarray(x, dtype=float) - self.location) / self.sd)

    def _raw_sf(self, x: np.ndarray) -> np.ndarray:
        return special.ndtr((self.location - np.asarray(x, dtype=float)) / self.sd)

    def _raw_logpdf(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=float) - self.location) / self.sd
        return -0.5 * z * z - math.log(self.sd) - 0.5 * math.log(2 * math.pi)

    def _dlogpdf_in(self, x: np.ndarray) -> np.ndarray | None:
        return -(np.asarray(x, dtype=float) - self.location) / (self.sd * self.sd)


class TruncatedExponential(TypeDistribution):
    """Exponential with the given scale, starting at ``low`` and truncated at ``high``.

    F(x) = (1 - exp(-(x - low)/scale)) / (1 - exp(-(high - low)/scale)).

    Parameters
    ----------
    scale
        Scale of the exponential (positive).
    low, high
        Support.

    Examples
    --------
    >>> round(float(TruncatedExponential(1.0).cdf(0.5)), 6)
    0.622459
    """

    def __init__(self, scale: float, low: float = 0.0, high: float = 1.0) -> None:
        self.scale = check_positive(scale, "scale")
        low_f = check_finite(low, "low")
        super().__init__(
            stats.expon(loc=low_f, scale=self.scale), low_f, high,
            name=f"TruncatedExponential({self.scale:g}) on [{low_f:g}, {float(high):g}]",
        )

    @property
    def cache_key(self) -> tuple[Any, ...] | None:
        return self._family_key(self.scale)

    def _raw_cdf(self, x: np.ndarray) -> np.ndarray:
        return -np.expm1(-(np.asarray(x, dtype=float) - self.low) / self.scale)

    def _raw_sf(self, x: np.ndarray) -> np.ndarray:
        return np.exp(-(np.asarray(x, dtype=float) - self.low) / self.scale)

    def _raw_logpdf(self, x: np.ndarray) -> np.ndarray:
        return -(np.asarray(x, dtype=float) - self.low) / self.scale - math.log(self.scale)

    def _dlogpdf_in(self, x: np.ndarray) -> np.ndarray | None:
        return np.full_like(np.asarray(x, dtype=float), -1.0 / self.scale)

