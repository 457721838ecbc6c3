"""The k-double auction of Chatterjee and Samuelson (1983): its linear Bayes-Nash equilibrium for uniform
[0, 1] types, with every expected quantity in closed form."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from bargaining.models.bilateral._common import _as_output, _check_types, _check_unit_interval
from bargaining.models.bilateral.delta_k import delta_from_k


def _triangle_moments(vertices: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Area, mean and second-moment matrix of the uniform distribution on a triangle.

    ``vertices`` is (3, 2) in (v, c) coordinates. Returns (area, E[x] with x = (1, v, c), E[x x^T]); for a
    triangle E[x_j x_k] = (sum_i p_ij p_ik + (sum_i p_ij)(sum_i p_ik)) / 12.
    """
    p = np.column_stack([np.ones(3), vertices])
    area = 0.5 * abs(np.linalg.det(p))
    mean = p.mean(axis=0)
    total = p.sum(axis=0)
    second = (p.T @ p + np.outer(total, total)) / 12.0
    return area, mean, second


@dataclass(frozen=True)
class KDoubleAuction:
    """Linear Bayes-Nash equilibrium of the k-double auction with uniform [0, 1] value and cost.

    The buyer bids :meth:`buyer_bid`, the seller asks :meth:`seller_ask`; trade iff bid >= ask, at price
    ``k * bid + (1 - k) * ask``. Equilibrium strategies (Chatterjee and Samuelson, 1983):

    .. math:: b(v) = \\frac{v}{1 + k} + \\frac{k(1 - k)}{2(1 + k)}, \\qquad
              s(c) = \\frac{c}{2 - k} + \\frac{1 - k}{2},

    so trade happens iff v >= c (1 + k)/(2 - k) + (1 - k)/2: a triangle in the (v, c) square. Every expected
    quantity is an exact polynomial integral over that triangle (``accuracy`` = 0 up to rounding); the
    closed forms are P(trade) = (1 + k)(2 - k)/8, gains W = P/2, buyer payoff (1 + k)^2 (2 - k)/48 and seller
    payoff (1 + k)(2 - k)^2/48 (tests check the integrals against these, quadrature and simulation).

    Parameters
    ----------
    k
        Weight of the buyer's bid in the price, in [0, 1].

    Examples
    --------
    >>> KDoubleAuction(0.5).trade_probability   # (1 + k)(2 - k)/8
    0.28125
    """

    k: float

    accuracy: float = field(default=0.0, init=False)
    method: str = field(default="closed form", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _check_unit_interval(self.k, "k"))

    # strategies and outcome -------------------------------------------------------------------------
    @property
    def intercept(self) -> float:
        """(1 - k)/2: the lowest buyer value that trades (with a seller of cost 0)."""
        return (1.0 - self.k) / 2.0

    @property
    def slope(self) -> float:
        """(1 + k)/(2 - k): the slope of the trade boundary v = intercept + slope * c."""
        return (1.0 + self.k) / (2.0 - self.k)

    @property
    def delta(self) -> float:
        """Bargaining differential Delta_k of the equivalent Loertscher-Marx outcome (eq. 39)."""
        return float(delta_from_k(self.k))

    def buyer_bid(self, v: Any) -> Any:
        """Equilibrium bid b(v) = v/(1 + k) + k(1 - k)/(2(1 + k)) of a buyer with value v in [0, 1]."""
        v_arr = _check_types(v, "value", 0.0, 1.0)
        k = self.k
        return _as_output(v_arr / (1.0 + k) + k * (1.0 - k) / (2.0 * (1.0 + k)))

    def seller_ask(self, c: Any) -> Any:
        """Equilibrium ask s(c) = c/(2 - k) + (1 - k)/2 of a seller with cost c in [0, 1]."""
        c_arr = _check_types(c, "cost", 0.0, 1.0)
        return _as_output(c_arr / (2.0 - self.k) + (1.0 - self.k) / 2.0)

    def trades(self, v: Any, c: Any) -> Any:
        """Whether bid >= ask, i.e. v >= c (1 + k)/(2 - k) + (1 - k)/2 (boolean, broadcast over v and c)."""
        bid = np.asarray(self.buyer_bid(v))
        ask = np.asarray(self.seller_ask(c))
        out = bid >= ask
        return bool(out) if out.ndim == 0 else out

    def price(self, v: Any, c: Any) -> Any:
        """Price k b(v) + (1 - k) s(c) paid by the buyer to the seller; NaN where there is no trade."""
        bid = np.asarray(self.buyer_bid(v))
        ask = np.asarray(self.seller_ask(c))
        out = np.where(bid >= ask, self.k * bid + (1.0 - self.k) * ask, np.nan)
        return _as_output(out)

    # expectations ------------------------------------------------------------------------------------
    @cached_property
    def _region(self) -> tuple[float, np.ndarray, np.ndarray]:
        # trade triangle in (v, c): (a, 0), (1, 0) and (1, c_max) with c_max = (1 - a)/slope = 1 - k/2
        a = self.intercept
        c_max = (1.0 - a) / self.slope
        return _triangle_moments(np.array([[a, 0.0], [1.0, 0.0], [1.0, c_max]]))

    def _price_coefficients(self) -> np.ndarray:
        """Coefficients of the price in (1, v, c) on the trade region."""
        k = self.k
        return np.array(
            [
                k * k * (1.0 - k) / (2.0 * (1.0 + k)) + (1.0 - k) ** 2 / 2.0,
                k / (1.0 + k),
                (1.0 - k) / (2.0 - k),
            ]
        )

    def _expect(self, coefficients: np.ndarray) -> float:
        """E[(coefficients . (1, v, c)) * 1{trade}]."""
        area, mean, _ = self._region
        return float(area * (coefficients @ mean))

    @property
    def trade_probability(self) -> float:
        """P(trade) = (1 + k)(2 - k)/8."""
        return float(self._region[0])

    @property
    def gains_from_trade(self) -> float:
        """E[(v - c) 1{trade}] = (1 + k)(2 - k)/16 (9/64 at k = 1/2, the second best)."""
        return self._expect(np.array([0.0, 1.0, -1.0]))

    @property
    def buyer_payoff(self) -> float:
        """E[(v - price) 1{trade}] (equals (1 + k)^2 (2 - k)/48)."""
        return self._expect(np.array([0.0, 1.0, 0.0]) - self._price_coefficients())

    @property
    def seller_payoff(self) -> float:
        """E[(price - c) 1{trade}] (equals (1 + k)(2 - k)^2/48)."""
        return self._expect(self._price_coefficients() - np.array([0.0, 0.0, 1.0]))

    @property
    def mean_price(self) -> float:
        """E[price | trade]."""
        return self._expect(self._price_coefficients()) / self.trade_probability

    @property
    def mean_price_squared(self) -> float:
        """E[price^2 | trade]."""
        _, _, second = self._region
        beta = self._price_coefficients()
        return float(beta @ second @ beta)

    def summary(self) -> dict[str, float]:
        """The expected quantities as a dict (JSON-ready)."""
        return {
            "k": self.k,
            "delta": self.delta,
            "trade_probability": self.trade_probability,
            "gains_from_trade": self.gains_from_trade,
            "buyer_payoff": self.buyer_payoff,
            "seller_payoff": self.seller_payoff,
            "mean_price": self.mean_price,
            "mean_price_squared": self.mean_price_squared,
        }


def k_double_auction(k: float) -> KDoubleAuction:
    """Linear equilibrium of the k-double auction, uniform [0, 1] types; see :class:`KDoubleAuction`.

    Parameters
    ----------
    k
        Weight of the buyer's bid in the price ``k b + (1 - k) s``, in [0, 1].

    Examples
    --------
    >>> auction = k_double_auction(0.5)
    >>> round(auction.gains_from_trade, 6)   # 9/64
    0.140625
    """
    return KDoubleAuction(k)
