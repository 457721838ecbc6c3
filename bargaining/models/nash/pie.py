"""Pie: transferable utility, u1 + u2 <= S, with the closed-form solution u1 = d1 + beta (S - d1 - d2)."""

from __future__ import annotations

from dataclasses import dataclass

from bargaining.models._checks import check_finite
from bargaining.models.nash.result import (
    _CLOSED_FORM,
    NashSolution,
    _infeasible,
    _nash_product,
    _rounding_bound,
)

__all__ = ["Pie"]


@dataclass(frozen=True)
class Pie:
    r"""Transferable utility: every split with :math:`u_1 + u_2 \le S` is feasible (side payments allowed).

    Parameters
    ----------
    size
        :math:`S`, the surplus to divide. The generalized Nash solution is
        :math:`u_1 = d_1 + \beta (S - d_1 - d_2)`, :math:`u_2 = d_2 + (1 - \beta)(S - d_1 - d_2)`.

    Examples
    --------
    >>> nash_solution(Pie(1.0), weight=0.3).payoffs
    (0.3, 0.7)
    """

    size: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", check_finite(self.size, "size"))

    def _solve(self, d: tuple[float, float], beta: float) -> NashSolution:
        surplus = self.size - d[0] - d[1]
        if not surplus > 0:
            raise _infeasible(
                d, f"the pie of size {self.size:g} is not larger than d1 + d2 = {d[0] + d[1]:g}"
            )
        u1 = d[0] + beta * surplus
        u2 = d[1] + (1.0 - beta) * surplus
        u = (u1, u2)
        return NashSolution(
            u, beta, d, _CLOSED_FORM, _rounding_bound(self.size, *d), _nash_product(u, d, beta)
        )
