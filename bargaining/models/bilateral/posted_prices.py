"""Bilateral trade: Myerson-Satterthwaite, the k-double auction and posted prices.

One buyer with value v ~ F on [v_low, v_high] and one seller with cost c ~ G on [c_low, c_high], independent.

* :func:`myerson_satterthwaite` -- the first best (ex post efficient trade) and the expected deficit of the
  cheapest ex post efficient, incentive compatible, individually rational mechanism (Myerson and
  Satterthwaite, 1983), plus the second best (Loertscher-Marx with equal weights, Delta = 0).
* :func:`k_double_auction` -- the linear Bayes-Nash equilibrium of the k-double auction of Chatterjee and
  Samuelson (1983) for uniform [0, 1] types. The buyer bids b, the seller asks s, trade iff b >= s at the
  price ``k b + (1 - k) s``: k is the weight of the *buyer's bid*, so k = 1 is a take-it-or-leave-it offer
  by the buyer and k = 0 one by the seller.
* :func:`delta_from_k` (Loertscher-Marx appendix eq. 39), :func:`k_from_delta` (its inverse) and
  :func:`rho_from_delta` (eq. 38): the k-double auction is the Loertscher-Marx outcome at Delta_k.
* :func:`posted_price` and :func:`random_posted_price` -- trade iff c <= p <= v at a posted price p, or at a
  price drawn independently of the types.

Every expected quantity says how it was computed: closed forms (``accuracy`` 0 up to rounding) for the
k-double auction, adaptive quadrature (``accuracy`` = the summed absolute error estimates of
:func:`scipy.integrate.quad`) for general distributions.

Note: with uniform types the k = 1/2 double auction reaches gains from trade 9/64, more than any
randomization over posted prices (at most 1/8), so not every Pareto-undominated Bayesian mechanism is a
randomization over posted prices; the equivalence holds for dominant-strategy, ex post IR, ex post
budget-balanced mechanisms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import integrate

from bargaining.errors import (
    InvalidParameterError,
    NumericalAccuracyError,
    SupportError,
)

__all__ = [
    "KDoubleAuction",
    "MyersonSatterthwaite",
    "PostedPrice",
    "RandomPostedPrice",
    "delta_from_k",
    "k_double_auction",
    "k_from_delta",
    "myerson_satterthwaite",
    "posted_price",
    "random_posted_price",
    "rho_from_delta",
    "trade_boundary",
    "uniform_trade_threshold",
]

# Tolerances of every adaptive quadrature in this module.
QUAD_EPSABS = 1e-12
QUAD_EPSREL = 1e-10
QUAD_LIMIT = 200


# --------------------------------------------------------------------------------------------- validation
def _check_unit_interval(x: float, name: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name} must be a number, got {x!r}.", hint=f"Pass {name} in [0, 1]."
        ) from None
    if not (0.0 <= value <= 1.0):
        raise InvalidParameterError(
            f"{name} must lie in [0, 1], got {value!r}.", hint=f"Pass {name} in [0, 1]."
        )
    return value


def _check_delta(delta: Any) -> np.ndarray:
    arr = np.asarray(delta, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > 1.0):
        raise InvalidParameterError(
            "The bargaining differential Delta must lie in [-1, 1].",
            hint="Delta = (w_B - w_S) / max(w_B, w_S); pass a number between -1 and 1.",
        )
    return arr


def _check_types(x: Any, name: str, low: float, high: float) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} contains NaN or inf.", hint=f"Pass finite {name}s.")
    # a few ulps of slack so that grid end points computed in floating point are accepted
    slack = 1e-12 * max(1.0, abs(high - low))
    if np.any(arr < low - slack) or np.any(arr > high + slack):
        raise InvalidParameterError(
            f"{name} outside the support [{low}, {high}].",
            hint=f"Pass {name}s inside the support of their distribution.",
        )
    return arr


def _as_output(arr: np.ndarray) -> Any:
    """Return a Python float for 0-d input so scalar calls give scalars."""
    return float(arr) if np.ndim(arr) == 0 else arr


# ----------------------------------------------------------------------------- Delta <-> k <-> rho (D.1)
def delta_from_k(k: Any) -> Any:
    """Bargaining differential Delta_k at which Loertscher-Marx reproduces the k-double auction (eq. 39).

    .. math:: \\Delta_k = \\frac{1 - 2k}{k^2 - \\max\\{1, 2k\\}}

    Uniform [0, 1] types. Delta_0 = -1 (the seller makes a take-it-or-leave-it offer), Delta_{1/2} = 0,
    Delta_1 = 1 (the buyer makes the offer). Vectorized over ``k``.
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
    """
    d = _check_delta(delta)
    neg = (1.0 + d) / (1.0 + np.sqrt(1.0 + d + d**2))
    pos = 1.0 / (1.0 - d + np.sqrt(1.0 - d + d**2))
    return _as_output(np.where(d <= 0, neg, pos))


def rho_from_delta(delta: Any) -> Any:
    """Loertscher-Marx rho for one buyer and one seller with uniform [0, 1] types, max weight 1 (eq. 38).

    .. math:: \\rho^\\Delta = \\frac{3(1 - |\\Delta|)}{4 - 2|\\Delta| - 2\\sqrt{1 - |\\Delta| + \\Delta^2}}

    with rho = 1 at |Delta| = 1. Multiplying numerator and denominator by the conjugate gives the
    equivalent form rho = (2 - |Delta| + sqrt(1 - |Delta| + Delta^2)) / 2, which is what is evaluated: it has
    no 0/0 at |Delta| = 1 and no cancellation near it. rho(0) = 3/2 (the second best: trade iff v - c >= 1/4).
    """
    d = np.abs(_check_delta(delta))
    return _as_output((2.0 - d + np.sqrt(1.0 - d + d**2)) / 2.0)


def uniform_trade_threshold(delta: float, c: Any) -> Any:
    """Smallest buyer value that trades with cost c under Loertscher-Marx at Delta, uniform [0, 1] types.

    With max weight 1, the weighted virtual types are Phi_a(v) = v - (1 - a)(1 - v) and
    Gamma_b(c) = c + (1 - b) c with a = w_B / rho, b = w_S / rho and rho from eq. (38); trade iff
    Phi_a(v) >= Gamma_b(c), i.e. v >= ((2 - b) c + 1 - a) / (2 - a). This is the closed form of the appendix's
    Q^Delta written through the weight ratios (used to check eq. 39 without the numerical solver).
    """
    d = float(_check_delta(delta))
    w_b, w_s = (1.0, 1.0 - d) if d >= 0 else (1.0 + d, 1.0)
    rho = float(rho_from_delta(d))
    a, b = w_b / rho, w_s / rho
    c_arr = _check_types(c, "cost", 0.0, 1.0)
    return _as_output(((2.0 - b) * c_arr + 1.0 - a) / (2.0 - a))


# --------------------------------------------------------------------------------------- k-double auction
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


# ------------------------------------------------------------------------------------------ quadrature
def _default_distributions(value_dist: Any, cost_dist: Any) -> tuple[Any, Any]:
    if value_dist is None or cost_dist is None:
        from bargaining.models.distributions import Uniform

        value_dist = Uniform(0.0, 1.0) if value_dist is None else value_dist
        cost_dist = Uniform(0.0, 1.0) if cost_dist is None else cost_dist
    for dist, role in ((value_dist, "value_dist"), (cost_dist, "cost_dist")):
        for attribute in ("cdf", "pdf", "low", "high"):
            if not hasattr(dist, attribute):
                raise InvalidParameterError(
                    f"{role} has no attribute {attribute!r}.",
                    hint="Pass a bargaining type distribution such as bargaining.Uniform(0, 1).",
                )
    return value_dist, cost_dist


def _breakpoints(dists: Sequence[Any], a: float, b: float) -> list[float]:
    points: set[float] = set()
    for dist in dists:
        for x in (dist.low, dist.high, *getattr(dist, "breakpoints", ())):
            if a < x < b:
                points.add(float(x))
    return sorted(points)


def _quad(fn: Any, a: float, b: float, points: Sequence[float] = ()) -> tuple[float, float]:
    """Adaptive quadrature of a scalar function on [a, b]; returns (value, absolute error estimate)."""
    if b <= a:
        return 0.0, 0.0
    value, error = integrate.quad(
        lambda x: float(fn(x)),
        a,
        b,
        points=list(points) or None,
        epsabs=QUAD_EPSABS,
        epsrel=QUAD_EPSREL,
        limit=QUAD_LIMIT,
    )
    if not math.isfinite(value) or error > 1e-6 * max(1.0, abs(value)):
        raise NumericalAccuracyError(
            f"Quadrature on [{a}, {b}] reached only an error of {error:.2e}.",
            hint="Check that the densities are bounded and list their kinks in `breakpoints`.",
        )
    return float(value), float(error)


# --------------------------------------------------------------------------------------------- posted prices
@dataclass(frozen=True)
class PostedPrice:
    """Trade at a posted price p: trade iff c <= p <= v; the buyer pays p.

    Expected quantities by one-dimensional quadrature of the distribution functions:
    P(trade) = (1 - F(p)) G(p), buyer payoff G(p) * int_p^{v_high} (1 - F), seller payoff
    (1 - F(p)) * int_{c_low}^p G. ``accuracy`` bounds the absolute quadrature error of the payoffs.
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
    """Randomization over posted prices (equal probabilities by default); distributions default to uniform."""
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


# ------------------------------------------------------------------------------------- Myerson-Satterthwaite
@dataclass(frozen=True)
class MyersonSatterthwaite:
    """First best and second best of bilateral trade with value distribution F and cost distribution G.

    Attributes
    ----------
    first_best_gains
        E[(v - c)^+] = int G(x) (1 - F(x)) dx (since (v - c)^+ = int 1{c <= x < v} dx).
    first_best_trade_probability
        P(v >= c) = int G(v) dF(v).
    deficit
        Expected deficit of the ex post efficient mechanism in which, when v >= c, the buyer pays
        max(c, v_low) and the seller receives min(v, c_high) (dominant-strategy IC, worst-off types get 0):
        E[(min(v, c_high) - max(c, v_low)) 1{v >= c}] = int_{max(v_low, c_low)}^{min(c_high, v_high)} G(x)(1 - F(x)) dx.
        By payoff equivalence every ex post efficient, BIC, interim IR mechanism runs at least this deficit;
        it is 0 exactly when v_low >= c_high. 1/6 for uniform [0, 1] types.
    accuracy
        Absolute error bound of the three quadratures.

    The second best (maximal expected gains subject to BIC, interim IR and no deficit) is the
    Loertscher-Marx outcome with equal weights: :meth:`second_best` delegates to
    :class:`bargaining.models.mechanism.Market` (uniform [0, 1]: trade iff v - c >= 1/4, gains 9/64).
    """

    value_dist: Any
    cost_dist: Any
    first_best_gains: float
    first_best_trade_probability: float
    deficit: float
    accuracy: float

    @property
    def first_best_budget_surplus(self) -> float:
        """Expected budget surplus of the efficient mechanism (= -deficit)."""
        return -self.deficit

    def second_best(self) -> Any:
        """Loertscher-Marx outcome at Delta = 0 (equal weights): a ``BargainingOutcome``."""
        from bargaining.models.mechanism import Market

        return Market([self.value_dist], [self.cost_dist]).bargain_delta(0.0)


def myerson_satterthwaite(value_dist: Any = None, cost_dist: Any = None) -> MyersonSatterthwaite:
    """First-best gains, trade probability and Myerson-Satterthwaite deficit (uniform [0, 1] by default).

    Examples
    --------
    >>> ms = myerson_satterthwaite()
    >>> round(ms.first_best_gains, 10), round(ms.deficit, 10)   # 1/6 and 1/6
    (0.1666666667, 0.1666666667)
    """
    f_dist, g_dist = _default_distributions(value_dist, cost_dist)
    if g_dist.low >= f_dist.high:
        raise SupportError(
            "The lowest cost is at least the highest value: there are never gains from trade.",
            hint="Check the supports of value_dist and cost_dist.",
        )
    both = [f_dist, g_dist]
    # G(x)(1 - F(x)) is positive exactly on (c_low, v_high)
    lo, hi = g_dist.low, f_dist.high
    gains, err_g = _quad(lambda x: g_dist.cdf(x) * (1.0 - f_dist.cdf(x)), lo, hi, _breakpoints(both, lo, hi))
    trade_prob, err_p = _quad(
        lambda x: g_dist.cdf(x) * f_dist.pdf(x),
        f_dist.low,
        f_dist.high,
        _breakpoints(both, f_dist.low, f_dist.high),
    )
    d_lo, d_hi = max(f_dist.low, g_dist.low), min(g_dist.high, f_dist.high)
    deficit, err_d = _quad(
        lambda x: g_dist.cdf(x) * (1.0 - f_dist.cdf(x)), d_lo, d_hi, _breakpoints(both, d_lo, d_hi)
    )
    return MyersonSatterthwaite(
        value_dist=f_dist,
        cost_dist=g_dist,
        first_best_gains=gains,
        first_best_trade_probability=trade_prob,
        deficit=deficit,
        accuracy=err_g + err_p + err_d,
    )


def trade_boundary(market: Any, outcome: Any, costs: Any, *, iterations: int = 60) -> np.ndarray:
    """Smallest buyer value that trades with each cost under a bilateral Loertscher-Marx ``outcome``.

    Bisection on ``market.allocate`` (the allocation is monotone in v): after ``iterations`` halvings of the
    value support the error is at most (v_high - v_low) / 2**iterations. Returns v_high where even the highest
    value does not trade.
    """
    buyers = getattr(market, "buyers", None)
    v_low = float(buyers[0].low) if buyers else 0.0
    v_high = float(buyers[0].high) if buyers else 1.0
    c = np.atleast_1d(np.asarray(costs, dtype=float))
    lo, hi = np.full_like(c, v_low), np.full_like(c, v_high)
    for _ in range(int(iterations)):
        mid = (lo + hi) / 2.0
        buyer_q, _ = market.allocate(mid[:, None], c[:, None], outcome)
        trades = np.asarray(buyer_q, dtype=float).ravel() > 0.5
        hi = np.where(trades, mid, hi)
        lo = np.where(trades, lo, mid)
    # the lowest value may already trade
    buyer_q, _ = market.allocate(np.full((c.size, 1), v_low), c[:, None], outcome)
    return np.where(np.asarray(buyer_q, dtype=float).ravel() > 0.5, v_low, hi)
