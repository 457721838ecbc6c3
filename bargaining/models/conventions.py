r"""Conventions shared by the models: the bargaining differential Delta and normalized weights.

Loertscher and Marx (2022) weight buyers by w_B and suppliers by w_S in [0, 1]. Only the ratio of the
weights matters for the outcome, so the package normalizes them to max(w_B, w_S) = 1 and summarizes the
pair by the *bargaining differential*

.. math::

    \Delta = \frac{w_B - w_S}{\max(w_B, w_S)} \in [-1, 1].

The map is a bijection between Delta in [-1, 1] and the normalized pairs
{(1, w_S): w_S in [0, 1]} u {(w_B, 1): w_B in [0, 1]}: Delta = 0 is equal weights, Delta = 1 gives all
weight to the buyers (w_S = 0), Delta = -1 all weight to the suppliers (w_B = 0).

Every model and estimator that speaks of Delta uses these two functions.
"""

from __future__ import annotations

from bargaining.errors import InvalidWeightError
from bargaining.models._checks import check_in_interval, check_weight

__all__ = ["delta_from_weights", "weights_from_delta"]

_DELTA_HINT = "Delta = (w_B - w_S) / max(w_B, w_S) is a number in [-1, 1]."


def weights_from_delta(delta: float) -> tuple[float, float]:
    r"""Normalized weights (w_B, w_S), with max 1, for the bargaining differential Delta.

    The inverse of :func:`delta_from_weights` on normalized weights:

    .. math::

        (w_B, w_S) = \begin{cases} (1, 1 - \Delta) & \Delta \ge 0 \text{ (buyers favoured)}, \\
                                   (1 + \Delta, 1) & \Delta < 0 \text{ (suppliers favoured)}. \end{cases}

    Parameters
    ----------
    delta
        Delta in [-1, 1].

    Returns
    -------
    tuple of float
        (w_B, w_S), both in [0, 1], the larger equal to 1.

    Raises
    ------
    InvalidWeightError
        If ``delta`` is not a number in [-1, 1].

    Examples
    --------
    >>> weights_from_delta(0.25)
    (1.0, 0.75)
    >>> weights_from_delta(-1.0)
    (0.0, 1.0)
    """
    d = check_in_interval(delta, "delta", -1.0, 1.0, hint=_DELTA_HINT, error=InvalidWeightError)
    return (1.0, 1.0 - d) if d >= 0.0 else (1.0 + d, 1.0)


def delta_from_weights(w_B: float, w_S: float) -> float:
    r"""Bargaining differential of the weights w_B, w_S (not necessarily normalized).

    .. math::

        \Delta = \frac{w_B - w_S}{\max(w_B, w_S)}

    It depends on the weights only through their ratio, and
    ``delta_from_weights(*weights_from_delta(d)) == d``.

    Parameters
    ----------
    w_B, w_S
        Buyers' and suppliers' bargaining weights in [0, 1], not both zero.

    Returns
    -------
    float
        Delta in [-1, 1].

    Raises
    ------
    InvalidWeightError
        If a weight is not a number in [0, 1], or both are zero.

    Examples
    --------
    >>> delta_from_weights(0.5, 1.0)
    -0.5
    """
    wb, ws = check_weight(w_B, "w_B"), check_weight(w_S, "w_S")
    top = max(wb, ws)
    if top == 0.0:
        raise InvalidWeightError("Both weights are zero.", hint="At least one weight must be positive.")
    return (wb - ws) / top
