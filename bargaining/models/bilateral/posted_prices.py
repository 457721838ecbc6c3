"""Posted prices: trade iff c <= p <= v at a posted price p, or at a price drawn independently of the types."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from bargaining.errors import InvalidParameterError
from bargaining.models.bilateral._common import (
    _as_output,
    _breakpoints,
    _check_types,
    _default_distributions,
    _quad,
)


@dataclass(frozen=True)
class PostedPrice:
    """Trade at a posted price p: trade iff c <= p <= v; the buyer pays p.

    Expected quantities by one-dimensional quadrature of the distribution functions:
    P(trade) = (1 - F(p)) G(p), buyer payoff G(p) * int_p^{v_high} (1 - F), seller payoff
    (1 - F(p)) * int_{c_low}^p G. ``accuracy`` bounds the absolute quadrature error of the payoffs.

    Parameters
    ----------
    p
        The posted price.
    value_dist, cost_dist
        The buyer's value and the seller's cost distributions.

    Examples
    --------
    >>> from bargaining import Uniform
    >>> PostedPrice(0.5, Uniform(), Uniform()).trade_probability   # (1 - F(p)) G(p)
    0.25
    """

    p: float
    value_dist: Any
    cost_dist: Any

    def trades(self, v: Any, c: Any) -> Any:
        """Whether c <= p <= v (boolean, broadcast)."""
        v_arr = _check_types(v, "value", self.value_dist.low, self.value_dist.high)
        c_arr = _check_types(c, "cost", self.cost_dist.low, self.cost_dist.high)
        out = (c_arr <= self.p) & (self.p <= v_arr)
        return bool(out) if np.ndim(out) == 0 else out

    def price(self, v: Any, c: Any) -> Any:
        """p where trade happens, NaN elsewhere."""
        return _as_output(np.where(self.trades(v, c), self.p, np.nan))

    @cached_property
    def _integrals(self) -> tuple[float, float, float, float]:
        f_dist, g_dist = self.value_dist, self.cost_dist
        p = self.p
        buyer_tail, err_b = _quad(
            lambda x: 1.0 - f_dist.cdf(x),
            max(p, f_dist.low),
            f_dist.high,
            _breakpoints([f_dist], max(p, f_dist.low), f_dist.high),
        )
        seller_tail, err_s = _quad(
            lambda x: g_dist.cdf(x),
            g_dist.low,
            min(p, g_dist.high),
            _breakpoints([g_dist], g_dist.low, min(p, g_dist.high)),
        )
        # for p below v_low every buyer trades and pays p: int_p^{v_high}(1 - F) includes v_low - p
        buyer_tail += max(f_dist.low - p, 0.0)
        # for p above c_high every seller trades: int_{c_low}^p G includes p - c_high
        seller_tail += max(p - g_dist.high, 0.0)
        return buyer_tail, err_b, seller_tail, err_s

    @property
    def trade_probability(self) -> float:
        """P(c <= p <= v) = (1 - F(p)) G(p)."""
        return float((1.0 - self.value_dist.cdf(self.p)) * self.cost_dist.cdf(self.p))

    @property
    def buyer_payoff(self) -> float:
        """E[(v - p) 1{trade}] = G(p) int_p (1 - F(v)) dv."""
        return float(self.cost_dist.cdf(self.p)) * self._integrals[0]

    @property
    def seller_payoff(self) -> float:
        """E[(p - c) 1{trade}] = (1 - F(p)) int^p G(c) dc."""
        return float(1.0 - self.value_dist.cdf(self.p)) * self._integrals[2]

    @property
    def gains_from_trade(self) -> float:
        """E[(v - c) 1{trade}] = buyer payoff + seller payoff (the price is a transfer)."""
        return self.buyer_payoff + self.seller_payoff

    @property
    def mean_price(self) -> float:
        """E[price | trade] = p (NaN if trade has probability 0)."""
        return self.p if self.trade_probability > 0 else math.nan

    @property
    def mean_price_squared(self) -> float:
        """E[price^2 | trade] = p^2."""
        return self.p**2 if self.trade_probability > 0 else math.nan

    @property
    def accuracy(self) -> float:
        """Absolute error bound of the quadratures behind the payoffs."""
        return self._integrals[1] + self._integrals[3]


def _check_price(p: Any) -> float:
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"A posted price must be a number, got {p!r}.", hint="Pass a finite price."
        ) from None
    if not math.isfinite(value):
        raise InvalidParameterError(
            f"A posted price must be finite, got {value!r}.", hint="Pass a finite price."
        )
    return value


def posted_price(p: float, value_dist: Any = None, cost_dist: Any = None) -> PostedPrice:
    """Posted-price mechanism at price ``p``; distributions default to uniform [0, 1].

    Parameters
    ----------
    p
        The posted price.
    value_dist, cost_dist
        The buyer's value and the seller's cost distributions (default uniform on [0, 1]).

    Examples
    --------
    >>> round(posted_price(0.5).gains_from_trade, 6)   # p(1 - p)/2 with uniform types
    0.125
    """
    value_dist, cost_dist = _default_distributions(value_dist, cost_dist)
    return PostedPrice(_check_price(p), value_dist, cost_dist)


@dataclass(frozen=True)
class RandomPostedPrice:
    """A posted price drawn independently of the types: finitely many ``prices`` with ``probabilities``.

    Expected quantities are the probability-weighted averages of those of :class:`PostedPrice`; price
    moments condition on trade. ``trades``/``price`` need a draw of the price: pass ``seed``.

    Parameters
    ----------
    prices
        The possible posted prices.
    probabilities
        Their probabilities.
    value_dist, cost_dist
        The buyer's value and the seller's cost distributions.

    Examples
    --------
    >>> round(random_posted_price([0.4, 0.6], [0.5, 0.5]).trade_probability, 6)
    0.24
    """

    prices: tuple[float, ...]
    probabilities: tuple[float, ...]
    value_dist: Any
    cost_dist: Any

    @cached_property
    def components(self) -> tuple[PostedPrice, ...]:
        return tuple(PostedPrice(p, self.value_dist, self.cost_dist) for p in self.prices)

    def _average(self, attribute: str) -> float:
        return float(sum(q * getattr(m, attribute) for q, m in zip(self.probabilities, self.components)))

    @property
    def trade_probability(self) -> float:
        return self._average("trade_probability")

    @property
    def buyer_payoff(self) -> float:
        return self._average("buyer_payoff")

    @property
    def seller_payoff(self) -> float:
        return self._average("seller_payoff")

    @property
    def gains_from_trade(self) -> float:
        return self._average("gains_from_trade")

    @property
    def accuracy(self) -> float:
        return self._average("accuracy")

    @property
    def mean_price(self) -> float:
        """E[price | trade]."""
        mass = [q * m.trade_probability for q, m in zip(self.probabilities, self.components)]
        total = sum(mass)
        return float(sum(w * p for w, p in zip(mass, self.prices)) / total) if total > 0 else math.nan

    @property
    def mean_price_squared(self) -> float:
        """E[price^2 | trade]."""
        mass = [q * m.trade_probability for q, m in zip(self.probabilities, self.components)]
        total = sum(mass)
        return float(sum(w * p * p for w, p in zip(mass, self.prices)) / total) if total > 0 else math.nan

    def draw_prices(self, size: int | tuple[int, ...], *, seed: Any = None) -> np.ndarray:
        """Draw posted prices (reproducible from ``seed``)."""
        rng = np.random.default_rng(seed)
        return rng.choice(np.asarray(self.prices), size=size, p=np.asarray(self.probabilities))

    def price(self, v: Any, c: Any, *, seed: Any = None) -> np.ndarray:
        """Realized prices for type pairs (one independent price draw per pair), NaN where no trade."""
        v_arr = _check_types(v, "value", self.value_dist.low, self.value_dist.high)
        c_arr = _check_types(c, "cost", self.cost_dist.low, self.cost_dist.high)
        v_arr, c_arr = np.broadcast_arrays(v_arr, c_arr)
        p = self.draw_prices(v_arr.shape, seed=seed)
        return np.where((c_arr <= p) & (p <= v_arr), p, np.nan)

    def trades(self, v: Any, c: Any, *, seed: Any = None) -> np.ndarray:
        """Realized trade indicators (same draws as :meth:`price` with the same seed)."""
        return ~np.isnan(self.price(v, c, seed=seed))


def random_posted_price(
    prices: Sequence[float],
    probabilities: Sequence[float] | None = None,
    value_dist: Any = None,
    cost_dist: Any = None,
) -> RandomPostedPrice:
    """Randomization over posted prices (equal probabilities by default); distributions default to uniform.

    Parameters
    ----------
    prices
        The possible posted prices.
    probabilities
        Their probabilities (default: equal).
    value_dist, cost_dist
        The buyer's value and the seller's cost distributions (default uniform on [0, 1]).

    Examples
    --------
    >>> round(random_posted_price([0.4, 0.6]).gains_from_trade, 6)   # mean of 0.12 and 0.12
    0.12
    """
    price_tuple = tuple(_check_price(p) for p in prices)
    if not price_tuple:
        raise InvalidParameterError("No prices given.", hint="Pass at least one posted price.")
    if probabilities is None:
        probs = np.full(len(price_tuple), 1.0 / len(price_tuple))
    else:
        probs = np.asarray(probabilities, dtype=float)
        if probs.shape != (len(price_tuple),) or not np.all(np.isfinite(probs)) or np.any(probs < 0):
            raise InvalidParameterError(
                "probabilities must be non-negative, one per price.", hint="Pass one probability per price."
            )
        if not math.isclose(float(probs.sum()), 1.0, rel_tol=0, abs_tol=1e-9):
            raise InvalidParameterError(
                f"probabilities sum to {probs.sum()!r}, not 1.",
                hint="Normalize the probabilities to sum to 1.",
            )
    value_dist, cost_dist = _default_distributions(value_dist, cost_dist)
    return RandomPostedPrice(price_tuple, tuple(float(q) for q in probs), value_dist, cost_dist)
