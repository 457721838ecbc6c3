"""Shared helpers of the bilateral models: argument checks, default distributions and quadrature."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import integrate

from bargaining.errors import InvalidParameterError, NumericalAccuracyError

# Tolerances of every adaptive quadrature in this module.
QUAD_EPSABS = 1e-12
QUAD_EPSREL = 1e-10
QUAD_LIMIT = 200


# --------------------------------------------------------------------------------------------- validation
def _check_unit_interval(x: float, name: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name} must be a number, got {x!r}.", hint=f"Pass {name} in [0, 1]."
        ) from None
    if not (0.0 <= value <= 1.0):
        raise InvalidParameterError(
            f"{name} must lie in [0, 1], got {value!r}.", hint=f"Pass {name} in [0, 1]."
        )
    return value


def _check_delta(delta: Any) -> np.ndarray:
    arr = np.asarray(delta, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > 1.0):
        raise InvalidParameterError(
            "The bargaining differential Delta must lie in [-1, 1].",
            hint="Delta = (w_B - w_S) / max(w_B, w_S); pass a number between -1 and 1.",
        )
    return arr


def _check_types(x: Any, name: str, low: float, high: float) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} contains NaN or inf.", hint=f"Pass finite {name}s.")
    # a few ulps of slack so that grid end points computed in floating point are accepted
    slack = 1e-12 * max(1.0, abs(high - low))
    if np.any(arr < low - slack) or np.any(arr > high + slack):
        raise InvalidParameterError(
            f"{name} outside the support [{low}, {high}].",
            hint=f"Pass {name}s inside the support of their distribution.",
        )
    return arr


def _as_output(arr: np.ndarray) -> Any:
    """Return a Python float for 0-d input so scalar calls give scalars."""
    return float(arr) if np.ndim(arr) == 0 else arr


# ------------------------------------------------------------------------------------------ quadrature
def _default_distributions(value_dist: Any, cost_dist: Any) -> tuple[Any, Any]:
    if value_dist is None or cost_dist is None:
        from bargaining.models.distributions import Uniform

        value_dist = Uniform(0.0, 1.0) if value_dist is None else value_dist
        cost_dist = Uniform(0.0, 1.0) if cost_dist is None else cost_dist
    for dist, role in ((value_dist, "value_dist"), (cost_dist, "cost_dist")):
        for attribute in ("cdf", "pdf", "low", "high"):
            if not hasattr(dist, attribute):
                raise InvalidParameterError(
                    f"{role} has no attribute {attribute!r}.",
                    hint="Pass a bargaining type distribution such as bargaining.Uniform(0, 1).",
                )
    return value_dist, cost_dist


def _breakpoints(dists: Sequence[Any], a: float, b: float) -> list[float]:
    points: set[float] = set()
    for dist in dists:
        for x in (dist.low, dist.high, *getattr(dist, "breakpoints", ())):
            if a < x < b:
                points.add(float(x))
    return sorted(points)


def _quad(fn: Any, a: float, b: float, points: Sequence[float] = ()) -> tuple[float, float]:
    """Adaptive quadrature of a scalar function on [a, b]; returns (value, absolute error estimate)."""
    if b <= a:
        return 0.0, 0.0
    value, error = integrate.quad(
        lambda x: float(fn(x)),
        a,
        b,
        points=list(points) or None,
        epsabs=QUAD_EPSABS,
        epsrel=QUAD_EPSREL,
        limit=QUAD_LIMIT,
    )
    if not math.isfinite(value) or error > 1e-6 * max(1.0, abs(value)):
        raise NumericalAccuracyError(
            f"Quadrature on [{a}, {b}] reached only an error of {error:.2e}.",
            hint="Check that the densities are bounded and list their kinks in `breakpoints`.",
        )
    return float(value), float(error)
