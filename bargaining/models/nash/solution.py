"""nash_solution: the generalized Nash bargaining solution of a Pie, a Frontier or a FeasibleSet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bargaining.errors import InvalidParameterError
from bargaining.models._checks import check_weight
from bargaining.models.nash.feasible_set import FeasibleSet
from bargaining.models.nash.frontier import Frontier
from bargaining.models.nash.pie import Pie
from bargaining.models.nash.result import NashSolution

__all__ = ["nash_solution"]

_WEIGHT_HINT = "weight is player 1's bargaining exponent beta in [0, 1] (0.5 for the symmetric solution); player 2's is 1 - beta."


def _check_disagreement(disagreement: Any) -> tuple[float, float]:
    try:
        values = np.asarray(disagreement, dtype=float)
    except (TypeError, ValueError):
        values = np.array([])
    if values.shape != (2,) or not np.all(np.isfinite(values)):
        raise InvalidParameterError(
            f"disagreement must be two finite numbers (d1, d2), got {disagreement!r}.",
            hint="pass the payoffs each player gets if bargaining breaks down, e.g. disagreement=(0, 0).",
        )
    return float(values[0]), float(values[1])


def nash_solution(
    frontier: Pie | Frontier | FeasibleSet,
    disagreement: Sequence[float] = (0.0, 0.0),
    weight: float = 0.5,
) -> NashSolution:
    r"""Generalized Nash bargaining solution :math:`\arg\max (u_1 - d_1)^\beta (u_2 - d_2)^{1-\beta}`.

    Parameters
    ----------
    frontier
        The feasible set: a :class:`Pie`, a :class:`Frontier` or a :class:`FeasibleSet`.
    disagreement
        :math:`d = (d_1, d_2)`, the payoffs if bargaining breaks down.
    weight
        :math:`\beta \in [0, 1]`, player 1's bargaining weight (exponent); player 2's is :math:`1 - \beta`.

    Returns
    -------
    NashSolution
        With ``.payoffs``, ``.method`` and the error bound ``.tolerance``. Pies and finite sets are solved in
        closed form; frontiers by a bracketed root search on the first-order condition to about
        :math:`10^{-10}` (relative to the scale of the problem).

    Raises
    ------
    InvalidWeightError
        ``weight`` is outside [0, 1] or NaN.
    InfeasibleProblemError
        No feasible point gives both players strictly more than :math:`d`.

    Examples
    --------
    >>> nash_solution(Pie(1.0), weight=0.3).payoffs
    (0.3, 0.7)
    """
    beta = check_weight(weight, "weight", hint=_WEIGHT_HINT)
    d = _check_disagreement(disagreement)
    if not isinstance(frontier, (Pie, Frontier, FeasibleSet)):
        raise InvalidParameterError(
            f"frontier must be a Pie, Frontier or FeasibleSet, got {type(frontier).__name__}.",
            hint="wrap the problem, e.g. Pie(1.0), Frontier(lambda u1: 1 - u1**2, 0, 1) or "
            "FeasibleSet([(0, 1), (1, 0)]).",
        )
    return frontier._solve(d, beta)
