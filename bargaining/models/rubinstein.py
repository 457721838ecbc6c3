r"""Rubinstein (1982) alternating offers with discounting, and its frequent-offers limit.

Two players divide a pie of size :math:`S`; player :math:`i` discounts one round of delay by
:math:`\delta_i`. In the unique subgame-perfect equilibrium agreement is immediate and a proposer keeps

.. math::

    x_1^* = \frac{1 - \delta_2}{1 - \delta_1 \delta_2}\,S \quad\text{(player 1 proposing)}, \qquad
    x_2^* = \frac{1 - \delta_1}{1 - \delta_1 \delta_2}\,S \quad\text{(player 2 proposing)},

offering the responder exactly the discounted value of the responder's own next proposal
(:math:`S - x_1^* = \delta_2 x_2^*`). Uniqueness needs :math:`\delta_1 \delta_2 < 1`.

With time :math:`\Delta t` between offers and :math:`\delta_i = e^{-r_i \Delta t}`, the shares converge as
:math:`\Delta t \to 0` to the generalized Nash solution on the pie with player 1's weight
:math:`r_2 / (r_1 + r_2)` (Binmore, Rubinstein and Wolinsky 1986); the error is first order in :math:`\Delta t`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bargaining.errors import InvalidParameterError
from bargaining.models.nash import NashSolution, Pie, nash_solution

__all__ = ["RubinsteinOutcome", "rubinstein", "rubinstein_limit"]


@dataclass(frozen=True)
class RubinsteinOutcome:
    r"""Subgame-perfect equilibrium of the alternating-offers game.

    Attributes
    ----------
    payoffs
        Amounts :math:`(u_1, u_2)` of the pie each player gets (agreement in the first round).
    shares
        The same as fractions of the pie.
    proposer
        The player who makes the first offer (1 or 2).
    immediate_agreement
        Always ``True``: the first offer is accepted in equilibrium.
    offer_by_1, offer_by_2
        The division :math:`(u_1, u_2)` that player 1, respectively player 2, proposes whenever it is their turn.
    delta1, delta2, size
        The primitives.

    Examples
    --------
    >>> [round(x, 6) for x in rubinstein(0.9, 0.8).shares]   # proposer keeps 5/7
    [0.714286, 0.285714]
    """

    payoffs: tuple[float, float]
    shares: tuple[float, float]
    proposer: int
    immediate_agreement: bool
    offer_by_1: tuple[float, float]
    offer_by_2: tuple[float, float]
    delta1: float
    delta2: float
    size: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation (JSON-ready)."""
        return {
            "payoffs": list(self.payoffs),
            "shares": list(self.shares),
            "proposer": self.proposer,
            "immediate_agreement": self.immediate_agreement,
            "offer_by_1": list(self.offer_by_1),
            "offer_by_2": list(self.offer_by_2),
            "delta1": self.delta1,
            "delta2": self.delta2,
            "size": self.size,
        }


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name} must be a number, got {value!r}.", hint=f"pass a number as {name}."
        ) from None
    if math.isnan(number):
        raise InvalidParameterError(f"{name} is NaN.", hint=f"pass a number as {name}.")
    return number


def _check_size(size: Any) -> float:
    value = _number(size, "size")
    if not (0.0 < value < math.inf):
        raise InvalidParameterError(
            f"size must be positive and finite, got {value}.", hint="size is the amount to divide, e.g. 1.0."
        )
    return value


def rubinstein(
    delta1: float, delta2: float, size: float = 1.0, *, first_proposer: int = 1
) -> RubinsteinOutcome:
    r"""Subgame-perfect shares of Rubinstein's alternating-offers game.

    Parameters
    ----------
    delta1, delta2
        Per-round discount factors :math:`\delta_i \in [0, 1]`, not both 1 (then every division is an
        equilibrium outcome and there is no unique prediction).
    size
        :math:`S > 0`, the pie.
    first_proposer
        1 or 2: who makes the first offer.

    Returns
    -------
    RubinsteinOutcome
        Closed form: the proposer keeps :math:`(1 - \delta_{\text{responder}})/(1 - \delta_1\delta_2)` of the pie.

    Examples
    --------
    >>> rubinstein(0.9, 0.8).shares[0]  # (1 - 0.8) / (1 - 0.72) = 5/7
    0.7142857142857143
    """
    d1, d2 = _number(delta1, "delta1"), _number(delta2, "delta2")
    for name, value in (("delta1", d1), ("delta2", d2)):
        if not 0.0 <= value <= 1.0:
            raise InvalidParameterError(
                f"{name} must be a discount factor in [0, 1], got {value}.",
                hint="delta = exp(-r * dt) for a discount rate r > 0 and time dt between offers.",
            )
    if d1 == 1.0 and d2 == 1.0:
        raise InvalidParameterError(
            "with delta1 = delta2 = 1 nobody is impatient: every division is a subgame-perfect outcome.",
            hint="use discount factors below 1 (at least one player must be impatient).",
        )
    if first_proposer not in (1, 2) or isinstance(first_proposer, bool):
        raise InvalidParameterError(
            f"first_proposer must be 1 or 2, got {first_proposer!r}.",
            hint="say which player makes the first offer.",
        )
    pie = _check_size(size)
    denominator = 1.0 - d1 * d2
    keep1 = (1.0 - d2) / denominator  # player 1's share when proposing
    keep2 = (1.0 - d1) / denominator  # player 2's share when proposing
    # the responder gets 1 - keep; compute it from its own closed form to avoid cancellation
    offer_by_1 = (keep1 * pie, d2 * keep2 * pie)
    offer_by_2 = (d1 * keep1 * pie, keep2 * pie)
    payoffs = offer_by_1 if first_proposer == 1 else offer_by_2
    return RubinsteinOutcome(
        payoffs=payoffs,
        shares=(payoffs[0] / pie, payoffs[1] / pie),
        proposer=first_proposer,
        immediate_agreement=True,
        offer_by_1=offer_by_1,
        offer_by_2=offer_by_2,
        delta1=d1,
        delta2=d2,
        size=pie,
    )


def rubinstein_limit(r1: float, r2: float, size: float = 1.0) -> NashSolution:
    r"""Limit of Rubinstein's shares as the time between offers vanishes.

    With :math:`\delta_i = e^{-r_i \Delta t}` and :math:`\Delta t \to 0` the proposer's advantage disappears and
    the division tends to the generalized Nash solution on the pie (disagreement 0) with player 1's weight
    :math:`\beta = r_2 / (r_1 + r_2)`: the more patient player (smaller :math:`r`) gets more.

    Parameters
    ----------
    r1, r2
        Discount rates :math:`r_i \ge 0` per unit of time, not both 0.
    size
        :math:`S > 0`.

    Returns
    -------
    NashSolution
        ``nash_solution(Pie(size), (0, 0), weight=r2 / (r1 + r2))``.

    Examples
    --------
    >>> rubinstein_limit(1.0, 3.0).payoffs   # the more patient player 1 gets 3/4
    (0.75, 0.25)
    """
    rate1, rate2 = _number(r1, "r1"), _number(r2, "r2")
    for name, value in (("r1", rate1), ("r2", rate2)):
        if not 0.0 <= value < math.inf:
            raise InvalidParameterError(
                f"{name} must be a finite, non-negative discount rate, got {value}.",
                hint="a discount rate r gives the per-round factor exp(-r * dt).",
            )
    if rate1 + rate2 == 0.0:
        raise InvalidParameterError(
            "r1 = r2 = 0: with no impatience every division is an equilibrium outcome.",
            hint="give at least one player a positive discount rate.",
        )
    return nash_solution(Pie(_check_size(size)), (0.0, 0.0), weight=rate2 / (rate1 + rate2))
