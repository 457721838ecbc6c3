"""NashSolution, the result of every solve, and the helpers the solvers share to build it: the infeasibility
error, the Nash product and the bound on rounding errors."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bargaining.errors import InfeasibleProblemError

__all__ = ["TARGET_TOLERANCE", "NashSolution"]

_EPS = float(np.finfo(float).eps)
#: Target accuracy (absolute, relative to the scale of the problem) of iterative solves.
TARGET_TOLERANCE = 1e-10
_CLOSED_FORM = "closed form"
_BRACKETED = "bracketed solve"


@dataclass(frozen=True)
class NashSolution:
    r"""The generalized Nash bargaining solution of one problem.

    Attributes
    ----------
    payoffs
        :math:`(u_1^*, u_2^*)`, the solution.
    weight
        :math:`\beta`, player 1's exponent.
    disagreement
        :math:`(d_1, d_2)`.
    method
        ``"closed form"`` (exact up to floating-point rounding) or ``"bracketed solve"`` (a root of the
        first-order condition found by bracketing).
    tolerance
        Bound on the absolute error of each payoff (for closed forms, a bound on the rounding error).
    nash_product
        :math:`(u_1^* - d_1)^\beta (u_2^* - d_2)^{1-\beta}` (with :math:`0^0 = 1`).

    Examples
    --------
    >>> sol = nash_solution(Pie(1.0), weight=0.3)
    >>> sol.payoffs, sol.method
    ((0.3, 0.7), 'closed form')
    """

    payoffs: tuple[float, float]
    weight: float
    disagreement: tuple[float, float]
    method: str
    tolerance: float
    nash_product: float = field(default=math.nan)

    @property
    def gains(self) -> tuple[float, float]:
        """Each player's gain over disagreement, :math:`u^* - d`."""
        return (self.payoffs[0] - self.disagreement[0], self.payoffs[1] - self.disagreement[1])

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation (JSON-ready)."""
        return {
            "payoffs": list(self.payoffs),
            "gains": list(self.gains),
            "disagreement": list(self.disagreement),
            "weight": self.weight,
            "nash_product": self.nash_product,
            "method": self.method,
            "tolerance": self.tolerance,
        }


def _infeasible(d: tuple[float, float], detail: str) -> InfeasibleProblemError:
    return InfeasibleProblemError(
        f"no feasible payoff pair gives both players more than the disagreement point d = "
        f"({d[0]:g}, {d[1]:g}): {detail}.",
        hint="lower the disagreement payoffs or enlarge the feasible set.",
    )


def _nash_product(u: tuple[float, float], d: tuple[float, float], beta: float) -> float:
    g1, g2 = max(u[0] - d[0], 0.0), max(u[1] - d[1], 0.0)
    return (g1**beta if beta > 0 else 1.0) * (g2 ** (1.0 - beta) if beta < 1 else 1.0)


def _rounding_bound(*values: float) -> float:
    return 16.0 * _EPS * max(1.0, *(abs(v) for v in values))

