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
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from bargaining.errors import InvalidParameterError, UnknownNameError
from bargaining.models.bilateral import KDoubleAuction, PostedPrice
from bargaining.models.bilateral._common import _default_distributions
from bargaining.models.bilateral.posted_prices import _check_price

__all__ = [
    "MOMENT_NAMES",
    "PRICE_RULES",
    "KDoubleAuctionRule",
    "MomentParameter",
    "MomentSetting",
    "PostedPriceRule",
    "PriceMoments",
    "PriceRule",
    "get_price_rule",
    "kda_unit_moments",
    "list_price_rules",
    "price_rule_class",
]

#: the cell moments a price rule can model, in this order
MOMENT_NAMES = ("trade_probability", "mean_price", "price_variance", "price_third_moment")


@dataclass(frozen=True)
class MomentParameter:
    """A parameter estimated from cell moments: name, bounds and starting value."""

    name: str
    lower: float
    upper: float
    start: float


@dataclass(frozen=True)
class MomentSetting:
    """What a minimum-distance fit of a price rule knows or fixes, besides the parameters it estimates.

    Attributes
    ----------
    value_dist, cost_dist
        Known type distributions (None when not given).
    fixed_delta
        Delta fixed by the user (e.g. from ``k`` for the k-double auction), or None.
    support
        ``"common"`` or ``"by-cell"``: how an unknown support is parameterized (k-double auction).
    cell_labels
        Names of the cells.
    data_moments
        (C, 4) sample moments by cell (for starting values).
    """

    value_dist: Any = None
    cost_dist: Any = None
    fixed_delta: float | None = None
    support: str = "common"
    cell_labels: Sequence[str] = ("all",)
    data_moments: np.ndarray = field(default_factory=lambda: np.full((1, 4), np.nan))


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

    Examples
    --------
    The k = 1/2 double auction with uniform [0, 1] types (Chatterjee-Samuelson): trade iff v - c >= 1/4,
    with probability 9/32, at price (v + c) / 3 + 1/6, whose mean given trade is 1/2 and variance 1/96:

    >>> m = get_price_rule("k-double-auction", k=0.5).moments()
    >>> m.trade_probability, round(m.mean_price, 12), round(m.price_variance, 12), m.method
    (0.28125, 0.5, 0.010416666667, 'closed form')

    A posted price of 0.4 trades iff c <= 0.4 <= v, with probability 0.4 x 0.6, always at 0.4:

    >>> m = get_price_rule("posted-price", price=0.4).moments(Uniform(), Uniform())
    >>> round(m.trade_probability, 12), m.mean_price, round(m.price_variance, 12)
    (0.24, 0.4, 0.0)
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
    """A price-formation rule for bilateral trade (see the module docstring).

    Examples
    --------
    >>> rule = get_price_rule("k-double-auction", k=0.5)
    >>> float(rule.price(0.9, 0.2)) > 0, bool(np.isnan(rule.price(0.2, 0.9)))   # no trade: NaN
    (True, True)
    """

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

    # -- the rule as a moment model (minimum distance on cell moments) ------------------------------------
    #: moments matched by default, a prefix of :data:`MOMENT_NAMES`
    default_moments: ClassVar[tuple[str, ...]] = MOMENT_NAMES
    #: whether the rule's moments need known value and cost distributions
    needs_distributions: ClassVar[bool] = True
    #: whether the user may fix the bargaining weights through ``k``
    accepts_k: ClassVar[bool] = False

    @classmethod
    def check_moment_setting(cls, setting: MomentSetting) -> None:
        """Raise InvalidParameterError when the setting cannot be estimated with this rule."""
        if cls.needs_distributions and (setting.value_dist is None or setting.cost_dist is None):
            raise InvalidParameterError(
                f"The {cls.name} rule needs known value and cost distributions.",
                hint="Pass value_dist= and cost_dist= (e.g. bargaining.Uniform(0, 1)).",
            )

    @classmethod
    def moment_parameters(cls, setting: MomentSetting) -> list[MomentParameter]:
        """The parameters estimated from cell moments (default: Delta unless fixed)."""
        return [] if setting.fixed_delta is not None else [MomentParameter("Delta", -1.0, 1.0, 0.0)]

    @classmethod
    def cell_parameters(cls, values: Mapping[str, float], cell: int, setting: MomentSetting) -> dict[str, float]:
        """The rule's parameters in cell ``cell`` given the estimated ``values`` (by name)."""
        # Delta is among the estimated values whenever it is not fixed (moment_parameters)
        fixed = setting.fixed_delta
        delta = values["Delta"] if fixed is None else values.get("Delta", fixed)
        return {"Delta": float(np.clip(delta, -1.0, 1.0))}

    @classmethod
    def cell_moments(
        cls, params: Mapping[str, float], value_dist: Any = None, cost_dist: Any = None
    ) -> np.ndarray:
        """The model's moments (in :data:`MOMENT_NAMES` order, NaN where not modelled) at ``params``."""
        raise NotImplementedError(f"the {cls.name} rule has no moment model")

    @classmethod
    def reported_parameters(
        cls, names: Sequence[str], theta: np.ndarray, cov: np.ndarray
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Map estimated parameters to the reported ones (delta method); default: unchanged."""
        return list(names), theta, cov


def _complete_homogeneous(values: np.ndarray, degree: int) -> float:
    """h_m(x_1, x_2, x_3): the sum of all monomials of degree m in the three values."""
    x1, x2, x3 = (float(x) for x in values)
    return float(
        sum(x1**i * x2**j * x3 ** (degree - i - j) for i in range(degree + 1) for j in range(degree + 1 - i))
    )


def kda_unit_moments(delta: float) -> np.ndarray:
    """(P(trade), E[p | trade], Var[p | trade], E[(p - E p)^3 | trade]) of the k-double auction at k(Delta).

    Uniform [0, 1] types. The trade region of the linear equilibrium is a triangle in (v, c) and the price
    is linear on it, so with L_1, L_2, L_3 the prices at the vertices, E[p^m | trade] = h_m(L_1, L_2, L_3) /
    C(m + 2, 2) (the moments of the barycentric coordinates, a flat Dirichlet(1, 1, 1)), h_m the complete
    homogeneous symmetric polynomial. Exact up to rounding.
    """
    from bargaining.models.bilateral import k_from_delta

    delta = float(delta)
    if not (math.isfinite(delta) and -1.0 <= delta <= 1.0):
        raise InvalidParameterError(
            f"Delta = {delta!r} is outside [-1, 1].",
            hint="Delta = (w_B - w_S) / max(w_B, w_S) lies in [-1, 1].",
        )
    auction = KDoubleAuction(float(k_from_delta(delta)))
    low_v = auction.intercept  # the triangle (low_v, 0), (1, 0), (1, c_max)
    c_max = (1.0 - low_v) / auction.slope
    bid = np.asarray(auction.buyer_bid(np.array([low_v, 1.0, 1.0])), dtype=float)
    ask = np.asarray(auction.seller_ask(np.array([0.0, 0.0, c_max])), dtype=float)
    vertex_prices = auction.k * bid + (1.0 - auction.k) * ask
    raw = [_complete_homogeneous(vertex_prices, m) / math.comb(m + 2, 2) for m in (1, 2, 3)]
    mean = raw[0]
    variance = raw[1] - mean**2
    third = raw[2] - 3 * mean * raw[1] + 2 * mean**3
    area = 0.5 * (1.0 - low_v) * c_max
    return np.array([area, mean, variance, third])


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

    # -- moment model: Delta (or k) and the common uniform support [low, high] of values and costs --------
    needs_distributions = False
    accepts_k = True

    @staticmethod
    def known_support(setting: MomentSetting) -> tuple[float, float] | None:
        """The common uniform support of known distributions (None when they are not given)."""
        if setting.value_dist is None and setting.cost_dist is None:
            return None
        from bargaining.models.incomplete_likelihood import uniform_support

        f_sup, g_sup = uniform_support(setting.value_dist), uniform_support(setting.cost_dist)
        if f_sup is None or g_sup is None or not np.allclose(f_sup, g_sup):
            raise InvalidParameterError(
                "The k-double auction's linear equilibrium needs uniform values and costs on one interval.",
                hint="Pass Uniform(low, high) for both, or omit them to estimate the support.",
            )
        return f_sup

    @classmethod
    def check_moment_setting(cls, setting: MomentSetting) -> None:
        cls.known_support(setting)
        if setting.support not in ("common", "by-cell"):
            raise InvalidParameterError(f"Unknown support {setting.support!r}.", hint="Use 'common' or 'by-cell'.")

    @classmethod
    def _support_cells(cls, setting: MomentSetting) -> list[str | None]:
        if cls.known_support(setting) is not None:
            return []
        return [None] if setting.support == "common" else list(setting.cell_labels)

    @classmethod
    def moment_parameters(cls, setting: MomentSetting) -> list[MomentParameter]:
        """Delta (unless fixed) and, with an unknown support, ``low``/``width`` (common or per cell)."""
        out = super().moment_parameters(setting)
        data = np.asarray(setting.data_moments, dtype=float)
        for g, label in enumerate(cls._support_cells(setting)):
            rows = data if label is None else data[g : g + 1]
            if not np.all(np.isfinite(rows[:, 1:3])):  # a cell without price moments: pooled start
                rows = data
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean, var = float(np.nanmean(rows[:, 1])), float(np.nanmean(rows[:, 2]))
            if not (math.isfinite(mean) and math.isfinite(var)):
                mean, var = 0.5, 1.0 / 96.0
            width = math.sqrt(max(var, 1e-300) / 0.0104166)  # Var = s^2 / 96 at k = 1/2
            suffix = "" if label is None else f"[{label}]"
            out += [
                MomentParameter(f"low{suffix}", -np.inf, np.inf, mean - width / 2.0),
                MomentParameter(f"width{suffix}", 0.0, np.inf, width),
            ]
        return out

    @classmethod
    def cell_parameters(cls, values: Mapping[str, float], cell: int, setting: MomentSetting) -> dict[str, float]:
        out = super().cell_parameters(values, cell, setting)
        known = cls.known_support(setting)
        if known is not None:
            out["low"], out["high"] = known
        else:
            suffix = "" if setting.support == "common" else f"[{setting.cell_labels[cell]}]"
            low, width = values[f"low{suffix}"], values[f"width{suffix}"]
            out["low"], out["high"] = low, low + width
        return out

    @classmethod
    def cell_moments(
        cls, params: Mapping[str, float], value_dist: Any = None, cost_dist: Any = None
    ) -> np.ndarray:
        """Unit-interval moments (:func:`kda_unit_moments`) rescaled to [low, high]: the equilibrium is
        equivariant to a common affine change of units, so with s = high - low the mean is low + s m_1, the
        variance s^2 v_1 and the third moment s^3 t_1."""
        p_trade, mean1, var1, third1 = kda_unit_moments(params["Delta"])
        low, high = float(params["low"]), float(params["high"])
        scale = high - low
        return np.array([p_trade, low + scale * mean1, scale**2 * var1, scale**3 * third1])

    @classmethod
    def reported_parameters(
        cls, names: Sequence[str], theta: np.ndarray, cov: np.ndarray
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(low, width) are reported as (low, high = low + width), with the delta method."""
        names = list(names)
        jac = np.eye(len(theta))
        values = np.array(theta, dtype=float)
        for j, name in enumerate(names):
            if name.startswith("width"):
                i = names.index(name.replace("width", "low"))
                values[j] = theta[i] + theta[j]
                jac[j, i] = 1.0
        return [n.replace("width", "high") for n in names], values, _delta_method(jac, cov)


def _delta_method(jac: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """J V J' where a NaN (unreported) variance makes NaN only the outputs that depend on it.

    Plain J V J' would spread a NaN row (a parameter on its bound) into every output through 0 x NaN.
    """
    missing = ~np.isfinite(np.diag(cov))
    out = jac @ np.where(np.isfinite(cov), cov, 0.0) @ jac.T
    tainted = np.any(jac[:, missing] != 0, axis=1)
    out[tainted, :] = np.nan
    out[:, tainted] = np.nan
    return out


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

    # -- moment model: the posted price itself (it does not involve the bargaining weights) --------------
    default_moments = MOMENT_NAMES[:2]

    @classmethod
    def moment_parameters(cls, setting: MomentSetting) -> list[MomentParameter]:
        start = float(np.nanmean(np.asarray(setting.data_moments, dtype=float)[:, 1]))
        return [MomentParameter("price", -np.inf, np.inf, start)]

    @classmethod
    def cell_parameters(cls, values: Mapping[str, float], cell: int, setting: MomentSetting) -> dict[str, float]:
        return {"price": float(values["price"])}

    @classmethod
    def cell_moments(
        cls, params: Mapping[str, float], value_dist: Any = None, cost_dist: Any = None
    ) -> np.ndarray:
        """P(trade) = (1 - F(p)) G(p) and the price p itself (no variance, no skewness)."""
        m = cls(float(params["price"]), value_dist=value_dist, cost_dist=cost_dist).moments()
        return np.array([m.trade_probability, m.mean_price, 0.0, 0.0])


class _LazyRule:
    """Factory of a rule whose module is imported on first use (the intermediary needs the
    Loertscher-Marx solver, which the other rules do not)."""

    def __init__(self, module: str, cls: str) -> None:
        self._module, self._cls = module, cls

    def rule_class(self) -> type[PriceRule]:
        import importlib

        return getattr(importlib.import_module(self._module), self._cls)

    def __call__(self, **params: Any) -> PriceRule:
        return self.rule_class()(**params)


_make_intermediary = _LazyRule("bargaining.models.intermediary", "IntermediaryRule")


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
    """Names of the price rules with their parameters.

    Examples
    --------
    >>> sorted(list_price_rules())
    ['intermediary', 'k-double-auction', 'posted-price']
    """
    return dict(_PARAMETER_HELP)


def _key(name: str) -> str:
    key = str(name).strip().lower().replace("_", "-")
    if key not in PRICE_RULES:
        choices = ", ".join(f"{n} ({p})" for n, p in _PARAMETER_HELP.items())
        raise UnknownNameError(f"Unknown price rule {name!r}.", hint=f"Choose one of: {choices}.")
    return key


def price_rule_class(name: str) -> type[PriceRule]:
    """The class of the price rule called ``name`` (for its moment model), from the one registry."""
    factory = PRICE_RULES[_key(name)]
    if isinstance(factory, _LazyRule):
        return factory.rule_class()
    assert isinstance(factory, type) and issubclass(factory, PriceRule)
    return factory


def get_price_rule(name: str, **params: Any) -> PriceRule:
    """Build the price rule called ``name`` with keyword parameters.

    Parameters
    ----------
    name
        A name of :data:`PRICE_RULES` (``"k-double-auction"``, ``"posted-price"``, ``"intermediary"``).
    **params
        The rule's parameters, e.g. ``k`` for the k-double auction.

    Examples
    --------
    >>> rule = get_price_rule("k-double-auction", k=0.5)
    >>> round(float(rule.price(0.9, 0.2)), 4)   # (b(0.9) + s(0.2)) / 2 = (0.6833 + 0.3833) / 2
    0.5333
    """
    key = _key(name)
    factory = PRICE_RULES[key]
    try:
        return factory(**params)
    except TypeError as error:
        raise InvalidParameterError(
            f"Bad parameters for price rule {key!r}: {error}.", hint=f"{key} takes {_PARAMETER_HELP[key]}."
        ) from None
