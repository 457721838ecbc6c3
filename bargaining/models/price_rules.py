"""Price rules: how an incomplete-information negotiation turns types (v, c) into trade and a price.

A minimum-distance estimator that sees only trades and prices needs a declared price-formation rule. Each
rule is a :class:`PriceRule` with

* ``name`` and ``params`` (a dict, JSON-ready),
* ``trades(v, c)`` -- boolean array, and ``price(v, c)`` -- float array with NaN where there is no trade,
  both broadcast over ``v`` and ``c``,
* ``moments(value_dist=None, cost_dist=None)`` -- :class:`PriceMoments` (P(trade), E[price | trade],
  E[price^2 | trade]) computed in closed form or by quadrature, with the accuracy reached.

Rules are built by name with :func:`get_price_rule`; :data:`PRICE_RULES` lists them:

==================== ================================================ ==========================================
name                 parameters                                       price
==================== ================================================ ==========================================
``k-double-auction`` ``k`` in [0, 1] (uniform [0, 1] types only)       k b(v) + (1 - k) s(c), linear equilibrium
``posted-price``     ``price``; ``value_dist``, ``cost_dist``          the posted price, trade iff c <= p <= v
``intermediary``     ``value_dist``, ``cost_dist``, weights            the fee-setting intermediary game (D.3)
==================== ================================================ ==========================================
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from bargaining.errors import InvalidParameterError, UnknownNameError
from bargaining.models.bilateral import KDoubleAuction, PostedPrice, _check_price, _default_distributions

__all__ = [
    "PRICE_RULES",
    "KDoubleAuctionRule",
    "PostedPriceRule",
    "PriceMoments",
    "PriceRule",
    "get_price_rule",
    "list_price_rules",
]


@dataclass(frozen=True)
class PriceMoments:
    """Moments of the outcome of a price rule under given type distributions.

    Attributes
    ----------
    trade_probability
        P(trade).
    mean_price, mean_price_squared
        E[price | trade] and E[price^2 | trade] (NaN when P(trade) = 0).
    accuracy
        Absolute error bound of the numbers (0 for closed forms, up to rounding).
    method
        "closed form" or "quadrature".
    """

    trade_probability: float
    mean_price: float
    mean_price_squared: float
    accuracy: float
    method: str

    @property
    def price_variance(self) -> float:
        """Var[price | trade]."""
        return self.mean_price_squared - self.mean_price**2

    def as_dict(self) -> dict[str, Any]:
        return {
            "trade_probability": self.trade_probability,
            "mean_price": self.mean_price,
            "mean_price_squared": self.mean_price_squared,
            "price_variance": self.price_variance,
            "accuracy": self.accuracy,
            "method": self.method,
        }


class PriceRule(ABC):
    """A price-formation rule for bilateral trade (see the module docstring)."""

    name: ClassVar[str]

    @property
    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The rule's parameters."""

    @abstractmethod
    def trades(self, v: Any, c: Any) -> np.ndarray:
        """Boolean array: does the pair (v, c) trade?"""

    @abstractmethod
    def price(self, v: Any, c: Any) -> np.ndarray:
        """Price paid by the buyer to the seller; NaN where there is no trade."""

    @abstractmethod
    def moments(self, value_dist: Any = None, cost_dist: Any = None) -> PriceMoments:
        """P(trade), E[price | trade], E[price^2 | trade] under the type distributions."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


def _is_standard_uniform(dist: Any) -> bool:
    if dist is None:
        return True
    if not (
        math.isclose(float(dist.low), 0.0, abs_tol=1e-12)
        and math.isclose(float(dist.high), 1.0, abs_tol=1e-12)
    ):
        return False
    grid = np.linspace(0.0, 1.0, 11)
    return bool(np.allclose(np.asarray(dist.cdf(grid), dtype=float), grid, atol=1e-10))


class KDoubleAuctionRule(PriceRule):
    """Linear equilibrium of the k-double auction (uniform [0, 1] types); price k b(v) + (1 - k) s(c)."""

    name = "k-double-auction"

    def __init__(self, k: float) -> None:
        self.auction = KDoubleAuction(k)

    @property
    def k(self) -> float:
        return self.auction.k

    @property
    def params(self) -> dict[str, Any]:
        return {"k": self.k}

    def trades(self, v: Any, c: Any) -> np.ndarray:
        return np.asarray(self.auction.trades(v, c))

    def price(self, v: Any, c: Any) -> np.ndarray:
        return np.asarray(self.auction.price(v, c), dtype=float)

    def moments(self, value_dist: Any = None, cost_dist: Any = None) -> PriceMoments:
        """Closed-form moments; the linear equilibrium is derived for uniform [0, 1] types only."""
        if not (_is_standard_uniform(value_dist) and _is_standard_uniform(cost_dist)):
            raise InvalidParameterError(
                "The linear equilibrium of the k-double auction is implemented for uniform [0, 1] types only.",
                hint="Omit value_dist/cost_dist (uniform [0, 1]) or use the 'intermediary' price rule.",
            )
        a = self.auction
        return PriceMoments(a.trade_probability, a.mean_price, a.mean_price_squared, 0.0, "closed form")


class PostedPriceRule(PriceRule):
    """Trade iff c <= p <= v at the posted price p (distributions default to uniform [0, 1])."""

    name = "posted-price"

    def __init__(self, price: float, value_dist: Any = None, cost_dist: Any = None) -> None:
        value_dist, cost_dist = _default_distributions(value_dist, cost_dist)
        self.mechanism = PostedPrice(_check_price(price), value_dist, cost_dist)

    @property
    def posted(self) -> float:
        return self.mechanism.p

    @property
    def params(self) -> dict[str, Any]:
        return {"price": self.posted}

    def trades(self, v: Any, c: Any) -> np.ndarray:
        return np.asarray(self.mechanism.trades(v, c))

    def price(self, v: Any, c: Any) -> np.ndarray:
        return np.asarray(self.mechanism.price(v, c), dtype=float)

    def moments(self, value_dist: Any = None, cost_dist: Any = None) -> PriceMoments:
        """Closed form: P(trade) = (1 - F(p)) G(p); the price is p whenever there is trade."""
        f_dist = self.mechanism.value_dist if value_dist is None else value_dist
        g_dist = self.mechanism.cost_dist if cost_dist is None else cost_dist
        m = PostedPrice(self.posted, f_dist, g_dist)
        return PriceMoments(m.trade_probability, m.mean_price, m.mean_price_squared, 0.0, "closed form")


def _make_intermediary(**params: Any) -> PriceRule:
    # imported on use: the intermediary needs the Loertscher-Marx solver, which the other rules do not
    from bargaining.models.intermediary import IntermediaryRule

    return IntermediaryRule(**params)


# name -> factory taking the parameters as keywords
PRICE_RULES: dict[str, Callable[..., PriceRule]] = {
    KDoubleAuctionRule.name: KDoubleAuctionRule,
    PostedPriceRule.name: PostedPriceRule,
    "intermediary": _make_intermediary,
}

_PARAMETER_HELP = {
    "k-double-auction": "k (weight of the buyer's bid, in [0, 1])",
    "posted-price": "price, optional value_dist and cost_dist",
    "intermediary": "value_dist, cost_dist, and buyer_weight and supplier_weight (or delta)",
}


def list_price_rules() -> dict[str, str]:
    """Names of the price rules with their parameters."""
    return dict(_PARAMETER_HELP)


def get_price_rule(name: str, **params: Any) -> PriceRule:
    """Build the price rule called ``name`` with keyword parameters.

    Examples
    --------
    >>> rule = get_price_rule("k-double-auction", k=0.5)
    >>> round(float(rule.price(0.9, 0.2)), 4)   # (b(0.9) + s(0.2)) / 2 = (0.6833 + 0.3833) / 2
    0.5333
    """
    key = str(name).strip().lower().replace("_", "-")
    factory = PRICE_RULES.get(key)
    if factory is None:
        choices = ", ".join(f"{n} ({p})" for n, p in _PARAMETER_HELP.items())
        raise UnknownNameError(f"Unknown price rule {name!r}.", hint=f"Choose one of: {choices}.")
    try:
        return factory(**params)
    except TypeError as error:
        raise InvalidParameterError(
            f"Bad parameters for price rule {key!r}: {error}.", hint=f"{key} takes {_PARAMETER_HELP[key]}."
        ) from None
