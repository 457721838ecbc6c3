"""Argument checks shared by the models.

Each check converts one argument to a float or raises the package's error class (:mod:`bargaining.errors`)
with a message and a ``hint`` that name the argument as the caller knows it (``name``). Callers that can
say more about the argument (what a weight means in their model) pass their own ``hint``.
"""

from __future__ import annotations

import math
from typing import Any

from bargaining.errors import InvalidParameterError, InvalidWeightError

__all__ = ["check_finite", "check_in_interval", "check_positive", "check_weight"]


def check_finite(value: Any, name: str, *, hint: str | None = None) -> float:
    """``value`` as a finite float; :class:`~bargaining.errors.InvalidParameterError` otherwise.

    Examples
    --------
    >>> check_finite("2.5", "low")
    2.5
    """
    hint = hint or f"Pass a finite number as {name}."
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}.", hint=hint) from None
    if not math.isfinite(out):
        raise InvalidParameterError(f"{name} must be finite, got {out}.", hint=hint)
    return out


def check_positive(value: Any, name: str, *, hint: str | None = None) -> float:
    """``value`` as a finite float > 0; :class:`~bargaining.errors.InvalidParameterError` otherwise."""
    out = check_finite(value, name, hint=hint)
    if out <= 0:
        raise InvalidParameterError(f"{name} must be positive, got {out}.", hint=hint or f"Pass {name} > 0.")
    return out


def check_in_interval(
    value: Any,
    name: str,
    low: float,
    high: float,
    *,
    hint: str | None = None,
    slack: float = 0.0,
    error: type[InvalidParameterError] = InvalidParameterError,
) -> float:
    """``value`` as a float in [low, high]; ``error`` (an InvalidParameterError class) otherwise.

    Parameters
    ----------
    value
        The argument as given.
    name
        The argument's name in the caller's signature (used in the message and the default hint).
    low, high
        The closed interval.
    hint
        How to fix a bad value; default "Pass {name} as a number in [low, high]."
    slack
        Values up to ``slack`` outside the interval (rounding) are accepted and clipped into it.
    error
        The class raised: :class:`~bargaining.errors.InvalidParameterError` or a subclass.

    NaN and infinities are rejected (they are not inside any interval).

    Examples
    --------
    >>> check_in_interval(1 + 1e-13, "a", 0.0, 1.0, slack=1e-12)
    1.0
    """
    interval = f"[{low:g}, {high:g}]"
    hint = hint or f"Pass {name} as a number in {interval}."
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a number in {interval}, got {value!r}.", hint=hint) from None
    if not low - slack <= out <= high + slack:  # also rejects NaN
        raise error(f"{name} must be in {interval}, got {out!r}.", hint=hint)
    return min(max(out, low), high)


def check_weight(value: Any, name: str = "weight", *, hint: str | None = None, slack: float = 0.0) -> float:
    """A bargaining weight (or weight ratio) in [0, 1]; :class:`~bargaining.errors.InvalidWeightError` otherwise.

    Examples
    --------
    >>> check_weight(0.5, "w_B")
    0.5
    """
    return check_in_interval(value, name, 0.0, 1.0, hint=hint, slack=slack, error=InvalidWeightError)
