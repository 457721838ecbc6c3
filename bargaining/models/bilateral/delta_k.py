"""Delta <-> k <-> rho (Loertscher-Marx appendix D.1): the k-double auction is the Loertscher-Marx outcome at
Delta_k (eq. 39); rho at Delta for uniform [0, 1] types (eq. 38)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bargaining.errors import InvalidParameterError
from bargaining.models.bilateral._common import _as_output, _check_delta


def delta_from_k(k: Any) -> Any:
    """Bargaining differential Delta_k at which Loertscher-Marx reproduces the k-double auction (eq. 39).

    .. math:: \\Delta_k = \\frac{1 - 2k}{k^2 - \\max\\{1, 2k\\}}

    Uniform [0, 1] types. Delta_0 = -1 (the seller makes a take-it-or-leave-it offer), Delta_{1/2} = 0,
    Delta_1 = 1 (the buyer makes the offer). Vectorized over ``k``.

    Parameters
    ----------
    k
        Weight of the buyer's bid in the price, in [0, 1] (a number or an array).

    Examples
    --------
    >>> round(float(delta_from_k(0.25)), 6), float(delta_from_k(1.0))
    (-0.533333, 1.0)
    """
    k_arr = np.asarray(k, dtype=float)
    if not np.all(np.isfinite(k_arr)) or np.any((k_arr < 0) | (k_arr > 1)):
        raise InvalidParameterError(
            "k must lie in [0, 1].", hint="k is the weight of the buyer's bid in the price."
        )
    return _as_output((1.0 - 2.0 * k_arr) / (k_arr**2 - np.maximum(1.0, 2.0 * k_arr)))


def k_from_delta(delta: Any) -> Any:
    """Inverse of :func:`delta_from_k`: the k whose linear equilibrium is the Loertscher-Marx outcome at Delta.

    Solving eq. (39) for k (a quadratic on each side of Delta = 0) and rationalizing to avoid cancellation:
    k = (1 + Delta) / (1 + sqrt(1 + Delta + Delta^2)) for Delta <= 0 and
    k = 1 / (1 - Delta + sqrt(1 - Delta + Delta^2)) for Delta >= 0.

    Parameters
    ----------
    delta
        Bargaining differential in [-1, 1] (a number or an array).

    Examples
    --------
    >>> float(k_from_delta(0.0)), float(k_from_delta(delta_from_k(0.25)))
    (0.5, 0.25)
    """
    d = _check_delta(delta)
    neg = (1.0 + d) / (1.0 + np.sqrt(1.0 + d + d**2))
    pos = 1.0 / (1.0 - d + np.sqrt(1.0 - d + d**2))
    return _as_output(np.where(d <= 0, neg, pos))


def rho_from_delta(delta: Any) -> Any:
    """Loertscher-Marx rho for one buyer and one seller with uniform [0, 1] types, max weight 1 (eq. 38).

    .. math:: \\rho^\\Delta = \\frac{3(1 - |\\Delta|)}{4 - 2|\\Delta| - 2\\sqrt{1 - |\\Delta| + \\Delta^2}}

    with rho = 1 at ``|Delta| = 1``. Multiplying numerator and denominator by the conjugate gives the
    equivalent form ``rho = (2 - |Delta| + sqrt(1 - |Delta| + Delta^2)) / 2``, which is what is evaluated: it
    has no 0/0 at ``|Delta| = 1`` and no cancellation near it. rho(0) = 3/2 (the second best: trade iff v - c >= 1/4).

    Parameters
    ----------
    delta
        Bargaining differential in [-1, 1] (a number or an array).

    Examples
    --------
    >>> float(rho_from_delta(0.0)), float(rho_from_delta(1.0))
    (1.5, 1.0)
    """
    d = np.abs(_check_delta(delta))
    return _as_output((2.0 - d + np.sqrt(1.0 - d + d**2)) / 2.0)
