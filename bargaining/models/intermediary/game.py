"""The fee-setting intermediary game (Loertscher-Marx online appendix D.3, Proposition 10).

One buyer with unit demand and value v ~ F, suppliers i = 1..n with costs c_i ~ G_i, and an intermediary
that maximizes the weighted welfare of the traders subject to no deficit. With x_B = w_B/rho and
x_i = w_i/rho (rho from the Loertscher-Marx solver) and the ironed weighted virtual types
Phi^{x}(v) = v - (1 - x)(1 - F(v))/f(v) and Gamma_i^{x}(c) = c + (1 - x) G_i(c)/g_i(c):

1. the intermediary runs a descending *discriminatory clock auction*: supplier i stays active while the clock
   price exceeds its exit price Gamma_i^{x_i}(c_i) (its weakly dominant strategy given the discount
   delta_i(p_hat) = p_hat - (Gamma_i^{x_i})^{-1}(p_hat));
2. the buyer sets the reserve r = Phi^{x_B}(v), the clock's starting price;
3. the lowest exit price wins if it is at most r; the clock stops at
   p_hat = min(r, exit prices of the other suppliers) and the winner is paid the price
   p = (Gamma_i^{x_i})^{-1}(p_hat) (the largest cost at which it would still have won);
4. the buyer pays p to the winner and the fee sigma_i(p) = (Phi^{x_B})^{-1}(Gamma_i^{x_i}(Gamma_i^{-1}(p))) - p to
   the intermediary, where Gamma_i = Gamma_i^{0} is the unweighted virtual cost.

The allocation is the Loertscher-Marx allocation by construction and the suppliers' expected payoffs are
theirs by payoff equivalence. The buyer's fee is exact (the buyer's reserve Phi^{x_B}(v) is a best response
and the expected payoffs are the mechanism's) when sigma_i is affine, which is the case for uniform
distributions; the appendix's proof integrates sigma_i against the distribution of Gamma_i(c_i) rather than
of the realized price p, so for other distributions the literal fee schedule can move the buyer's payoff
and the intermediary's budget away from the mechanism's values. :meth:`IntermediaryGame.expected` reports
what the game actually gives, and ``tests/models/test_intermediary.py`` documents the size of the gap.

When the no-deficit constraint is slack (rho = max w, expected surplus pi > 0), pi is returned to the agents
as lump sums equal to the fixed shares that the Loertscher-Marx outcome pays them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError, InvalidWeightError
from bargaining.models._checks import check_weight
from bargaining.models.bilateral._common import _breakpoints, _check_types, _quad

__all__ = ["FEE_RULES", "IntermediaryGame", "IntermediaryPlay", "intermediary_game"]

# "appendix": the fee schedule printed in Proposition 10's proof; "myerson": the buyer pays the Myerson
# (payoff-equivalence) payment of the type that sets the price (one supplier), which is exact for any
# regular distributions and equals "appendix" for uniform ones.
FEE_RULES = ("appendix", "myerson")


@dataclass(frozen=True)
class IntermediaryPlay:
    """Ex post outcome of the intermediary game for a batch of type draws.

    Arrays over draws; supplier arrays have one column per supplier.

    Attributes
    ----------
    reserve
        the buyer's reserve r = Phi^{x_B}(v)
    exit_prices
        clock prices at which the suppliers drop out, Gamma_i^{x_i}(c_i)
    winner
        index of the winning supplier, -1 if there is no trade
    clock_price
        p_hat where the clock stops (NaN without trade)
    price
        payment p from the buyer to the winner (NaN without trade)
    fee
        fee sigma_i(p) from the buyer to the intermediary (NaN without trade)
    buyer_payoff
        v - p - fee if trade, plus the buyer's lump sum
    supplier_payoffs
        p - c_i for the winner, plus each supplier's lump sum
    intermediary_revenue
        fee minus the lump sums paid out

    Examples
    --------
    One buyer and one supplier with uniform types and equal weights (Delta = 0, w/rho = 2/3). The buyer's
    reserve is Phi(v) = v - (1 - v)/3, the supplier's exit price Gamma(c) = 4c/3, and the winner is paid
    p = 3 r / 4. With v = 0.9 and c = 0.2: r = 0.8667 >= 0.2667, so they trade at p = 0.65, and the
    intermediary's fee is Phi^{-1}(Gamma(p / 2)) - p = 0.575 - 0.65 (p / 2 is the inverse of the unweighted
    virtual cost 2c), a subsidy this time:

    >>> game = intermediary_game(Uniform(), [Uniform()])
    >>> play = game.play([0.9, 0.3], [[0.2], [0.5]])
    >>> play.traded.tolist(), play.reserve.round(4).tolist(), play.exit_prices.ravel().round(4).tolist()
    ([True, False], [0.8667, 0.0667], [0.2667, 0.6667])
    >>> play.price.round(4).tolist(), play.fee.round(4).tolist()
    ([0.65, nan], [-0.075, nan])
    >>> play.buyer_payoff.round(4).tolist(), play.supplier_payoffs.ravel().round(4).tolist()
    ([0.325, 0.0], [0.45, 0.0])

    Over many draws the intermediary breaks even, trade happens with the second-best probability 9/32 and
    each side expects 9/128 = 0.0703:

    >>> rng = np.random.default_rng(0)
    >>> play = game.play(rng.uniform(size=100_000), rng.uniform(size=(100_000, 1)))
    >>> [round(float(x.mean()), 3) for x in (play.traded, play.buyer_payoff, play.supplier_payoffs)]
    [0.28, 0.07, 0.07]
    >>> revenue = play.intermediary_revenue
    >>> bool(abs(revenue.mean()) < 3 * revenue.std() / np.sqrt(revenue.size))   # zero up to noise
    True
    """

    reserve: np.ndarray
    exit_prices: np.ndarray
    winner: np.ndarray
    clock_price: np.ndarray
    price: np.ndarray
    fee: np.ndarray
    buyer_payoff: np.ndarray
    supplier_payoffs: np.ndarray
    intermediary_revenue: np.ndarray

    @property
    def traded(self) -> np.ndarray:
        return self.winner >= 0

    def to_frame(self) -> pd.DataFrame:
        """One row per draw."""
        frame = pd.DataFrame(
            {
                "reserve": self.reserve,
                "winner": self.winner,
                "clock_price": self.clock_price,
                "price": self.price,
                "fee": self.fee,
                "buyer_payoff": self.buyer_payoff,
                "intermediary_revenue": self.intermediary_revenue,
            }
        )
        for i in range(self.supplier_payoffs.shape[1]):
            frame[f"supplier_payoff_{i}"] = self.supplier_payoffs[:, i]
        return frame


class IntermediaryGame:
    """The fee-setting intermediary game of appendix D.3 for given primitives and weights.

    Parameters
    ----------
    buyer
        Value distribution F (a :class:`bargaining.TypeDistribution`).
    suppliers
        Cost distributions G_1, ..., G_n.
    buyer_weight, supplier_weights
        Intermediary preference weights w_B and w_i in [0, 1] (at least one positive).
    shares
        Profit shares eta passed to :meth:`bargaining.Market.bargain` (used only when the no-deficit
        constraint is slack).

    Examples
    --------
    With one supplier and uniform types the game reproduces the second best (trade iff v - c >= 1/4):

    >>> expected = intermediary_game(Uniform(), [Uniform()]).expected()
    >>> round(expected["trade_probability"], 6), round(expected["welfare"], 6)
    (0.28125, 0.140625)
    """

    def __init__(
        self,
        buyer: Any,
        suppliers: Sequence[Any],
        buyer_weight: float = 1.0,
        supplier_weights: float | Sequence[float] = 1.0,
        *,
        shares: Any = None,
        fee_rule: str = "appendix",
    ) -> None:
        self.buyer = buyer
        self.suppliers = tuple(suppliers)
        if not self.suppliers:
            raise InvalidParameterError(
                "The game needs at least one supplier.", hint="Pass a list of cost distributions."
            )
        self.buyer_weight = check_weight(buyer_weight, "buyer_weight")
        # a scalar (0-d) weight applies to every supplier; otherwise one weight per supplier
        weights: Sequence[float] = (
            [cast(float, supplier_weights)] * len(self.suppliers)
            if np.ndim(supplier_weights) == 0
            else cast(Sequence[float], supplier_weights)
        )
        if len(weights) != len(self.suppliers):
            raise InvalidParameterError(
                f"{len(weights)} supplier weights for {len(self.suppliers)} suppliers.",
                hint="Pass one weight per supplier (or one number for all).",
            )
        self.supplier_weights = tuple(check_weight(w, f"supplier_weights[{i}]") for i, w in enumerate(weights))
        if self.buyer_weight == 0 and not any(self.supplier_weights):
            raise InvalidWeightError(
                "All weights are zero.", hint="Give at least one agent a positive weight."
            )
        self.shares = shares
        if fee_rule not in FEE_RULES:
            raise InvalidParameterError(
                f"fee_rule={fee_rule!r} is not known.", hint=f"Use one of: {', '.join(FEE_RULES)}."
            )
        if fee_rule == "myerson" and len(self.suppliers) != 1:
            raise InvalidParameterError(
                "fee_rule='myerson' is implemented for one supplier only.",
                hint="Use fee_rule='appendix' with several suppliers.",
            )
        self.fee_rule = fee_rule

    # Loertscher-Marx quantities -------------------------------------------------------------------------
    @cached_property
    def market(self) -> Any:
        from bargaining.models.mechanism import Market

        return Market([self.buyer], list(self.suppliers))

    @cached_property
    def outcome(self) -> Any:
        """The Loertscher-Marx outcome with the same weights (``BargainingOutcome``)."""
        return self.market.bargain([self.buyer_weight], list(self.supplier_weights), shares=self.shares)

    @property
    def rho(self) -> float:
        return float(self.outcome.rho)

    @property
    def buyer_ratio(self) -> float:
        """x_B = w_B / rho (weights normalized to max 1)."""
        return float(np.asarray(self.outcome.buyer_weight_ratios, dtype=float).ravel()[0])

    @property
    def supplier_ratios(self) -> np.ndarray:
        """x_i = w_i / rho."""
        return np.asarray(self.outcome.supplier_weight_ratios, dtype=float).ravel()

    @cached_property
    def lump_sums(self) -> tuple[float, np.ndarray]:
        """Fixed payments (buyer, suppliers) that distribute a positive expected surplus pi.

        Zero when the no-deficit constraint binds. Otherwise each agent's lump sum is its Loertscher-Marx
        payoff minus its information rent under the allocation (computed by quadrature in the bilateral
        case and, with several suppliers, from the outcome's own budget split).
        """
        surplus = float(self.outcome.budget_surplus)
        if surplus <= 1e-12:
            return 0.0, np.zeros(len(self.suppliers))
        if len(self.suppliers) != 1:
            raise InvalidParameterError(
                "With a slack budget constraint the lump sums are implemented for one supplier only.",
                hint="Use weights that make the no-deficit constraint bind, or one supplier.",
            )
        rents = self._bilateral_expectations()
        buyer_lump = float(np.ravel(self.outcome.buyer_payoffs)[0]) - rents["buyer_rent"]
        supplier_lump = float(np.ravel(self.outcome.supplier_payoffs)[0]) - rents["supplier_rent"]
        return buyer_lump, np.array([supplier_lump])

    # strategies ------------------------------------------------------------------------------------------
    def reserve(self, v: Any) -> np.ndarray:
        """Buyer's equilibrium reserve r = Phi^{x_B}(v)."""
        v_arr = _check_types(v, "value", self.buyer.low, self.buyer.high)
        return np.asarray(self.buyer.virtual_value(v_arr, weight=self.buyer_ratio), dtype=float)

    def exit_prices(self, costs: Any) -> np.ndarray:
        """Clock prices Gamma_i^{x_i}(c_i) at which the suppliers drop out; ``costs`` is (draws, n)."""
        c = np.atleast_2d(np.asarray(costs, dtype=float))
        if c.shape[-1] != len(self.suppliers):
            raise InvalidParameterError(
                f"costs has {c.shape[-1]} columns for {len(self.suppliers)} suppliers.",
                hint="Pass costs with one column per supplier.",
            )
        out = np.empty_like(c)
        for i, (dist, x) in enumerate(zip(self.suppliers, self.supplier_ratios)):
            ci = _check_types(c[:, i], f"cost of supplier {i}", dist.low, dist.high)
            out[:, i] = dist.virtual_cost(ci, weight=x)
        return out

    def discount(self, i: int, clock_price: Any) -> np.ndarray:
        """delta_i(p_hat) = p_hat - (Gamma_i^{x_i})^{-1}(p_hat)."""
        p_hat = np.asarray(clock_price, dtype=float)
        return p_hat - self._winner_price(i, p_hat)

    def _winner_price(self, i: int, clock_price: np.ndarray) -> np.ndarray:
        dist = self.suppliers[i]
        return np.asarray(dist.virtual_cost_inverse(clock_price, weight=self.supplier_ratios[i]), dtype=float)

    def fee(self, i: int, price: Any) -> np.ndarray:
        """Fee sigma_i(p) the buyer pays the intermediary when it buys from supplier i at price p.

        ``fee_rule="appendix"``: sigma_i(p) = (Phi^{x_B})^{-1}(Gamma_i^{x_i}(Gamma_i^{-1}(p))) - p.
        ``fee_rule="myerson"`` (one supplier): the buyer's total payment is the Myerson payment of the
        buyer type v(p) = (Phi^{x_B})^{-1}(Gamma^{x_S}(p)) who sets that price, per unit traded:
        v(p) - int_{v_0}^{v(p)} q(x) dx / q(v(p)) with q(x) = G(c*(x)), so sigma(p) = that - p.
        """
        p = np.asarray(price, dtype=float)
        if self.fee_rule == "myerson":
            return self._myerson_total(p) - p
        dist = self.suppliers[i]
        unweighted_inverse = dist.virtual_cost_inverse(p, weight=0.0)
        target = dist.virtual_cost(unweighted_inverse, weight=self.supplier_ratios[i])
        return np.asarray(self.buyer.virtual_value_inverse(target, weight=self.buyer_ratio), dtype=float) - p

    def _buyer_trade_probability(self, v: Any) -> np.ndarray:
        """q(v) = G(c*(v)): probability that a buyer of type v trades (one supplier)."""
        dist = self.suppliers[0]
        reserve = np.asarray(self.buyer.virtual_value(v, weight=self.buyer_ratio), dtype=float)
        threshold = self._winner_price(0, reserve)
        return np.asarray(dist.cdf(np.clip(threshold, dist.low, dist.high)), dtype=float)

    @cached_property
    def _cumulative_trade_probability(self) -> tuple[float, Any]:
        """(v_0, x -> int_{v_0}^x q) with v_0 the lowest buyer type that trades.

        int q is computed exactly (up to rounding) at 1025 nodes (plus the distributions' breakpoints) by
        8-point Gauss-Legendre rules on each cell -- q is smooth inside a cell, and the rule is exact for
        polynomials of degree 15 -- and interpolated by a cubic Hermite spline that uses the exact
        derivative q at the nodes: between nodes the error is O(h^4) times the third derivative of q, with
        h = (v_high - v_0)/1024.
        """
        from scipy.interpolate import CubicHermiteSpline

        f_dist, g_dist = self.buyer, self.suppliers[0]
        lowest_exit = g_dist.virtual_cost(g_dist.low, weight=self.supplier_ratios[0])
        v0 = float(self.buyer.virtual_value_inverse(lowest_exit, weight=self.buyer_ratio))
        high = float(f_dist.high)
        nodes = np.union1d(np.linspace(v0, high, 1025), _breakpoints([f_dist, g_dist], v0, high))
        x, w = np.polynomial.legendre.leggauss(8)
        left, width = nodes[:-1, None], np.diff(nodes)[:, None]
        points = left + (x[None, :] + 1.0) * width / 2.0
        q = self._buyer_trade_probability(points.ravel()).reshape(points.shape)
        cells = (q * w[None, :]).sum(axis=1) * width[:, 0] / 2.0
        values = np.concatenate([[0.0], np.cumsum(cells)])
        return v0, CubicHermiteSpline(nodes, values, self._buyer_trade_probability(nodes))

    def _myerson_total(self, price: np.ndarray) -> np.ndarray:
        g_dist = self.suppliers[0]
        v0, spline = self._cumulative_trade_probability
        clipped = np.clip(price, g_dist.low, g_dist.high)
        target = g_dist.virtual_cost(clipped, weight=self.supplier_ratios[0])
        v_p = np.asarray(self.buyer.virtual_value_inverse(target, weight=self.buyer_ratio), dtype=float)
        q = np.asarray(g_dist.cdf(clipped), dtype=float)
        integral = spline(np.clip(v_p, v0, self.buyer.high))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(q > 1e-300, v_p - integral / q, v_p)

    # play ------------------------------------------------------------------------------------------------
    def play(self, v: Any, costs: Any, *, reserve: Any = None) -> IntermediaryPlay:
        """Ex post outcome for value draws ``v`` (draws,) and ``costs`` (draws, n).

        ``reserve`` overrides the buyer's equilibrium reserve (to check that deviating does not pay).
        Ties between exit prices (probability zero for regular distributions) go to the lowest index.
        """
        v_arr = np.atleast_1d(_check_types(v, "value", self.buyer.low, self.buyer.high))
        exits = self.exit_prices(np.reshape(costs, (v_arr.size, -1)))
        c = np.reshape(np.asarray(costs, dtype=float), exits.shape)
        r = (
            self.reserve(v_arr)
            if reserve is None
            else np.broadcast_to(np.asarray(reserve, float), v_arr.shape)
        )
        n_draws, n = exits.shape
        best = np.argmin(exits, axis=1)
        best_exit = exits[np.arange(n_draws), best]
        traded = best_exit <= r
        if n > 1:
            others = exits.copy()
            others[np.arange(n_draws), best] = np.inf
            clock = np.minimum(r, others.min(axis=1))
        else:
            clock = np.asarray(r, dtype=float).copy()
        price = np.full(n_draws, np.nan)
        fee = np.full(n_draws, np.nan)
        for i in range(n):
            mask = traded & (best == i)
            if mask.any():
                price[mask] = self._winner_price(i, clock[mask])
                fee[mask] = self.fee(i, price[mask])
        buyer_lump, supplier_lumps = self.lump_sums
        winner = np.where(traded, best, -1)
        buyer_payoff = np.where(traded, v_arr - np.nan_to_num(price) - np.nan_to_num(fee), 0.0) + buyer_lump
        supplier_payoffs = np.zeros((n_draws, n)) + supplier_lumps
        rows = np.flatnonzero(traded)
        supplier_payoffs[rows, best[rows]] += price[rows] - c[rows, best[rows]]
        revenue = np.where(traded, np.nan_to_num(fee), 0.0) - buyer_lump - supplier_lumps.sum()
        return IntermediaryPlay(
            reserve=np.asarray(r, dtype=float),
            exit_prices=exits,
            winner=winner,
            clock_price=np.where(traded, clock, np.nan),
            price=price,
            fee=fee,
            buyer_payoff=buyer_payoff,
            supplier_payoffs=supplier_payoffs,
            intermediary_revenue=revenue,
        )

    def simulate(self, n: int, *, seed: Any = None) -> pd.DataFrame:
        """Expected outcomes by simulation: DataFrame[quantity, mean, std_error] from ``n`` type draws."""
        if int(n) < 2:
            raise InvalidParameterError("n must be at least 2.", hint="Pass the number of simulated draws.")
        rng = np.random.default_rng(seed)
        v = np.asarray(self.buyer.sample(int(n), seed=rng), dtype=float)
        costs = np.column_stack([np.asarray(d.sample(int(n), seed=rng), dtype=float) for d in self.suppliers])
        play = self.play(v, costs)
        columns = {
            "trade_probability": play.traded.astype(float),
            "buyer_payoff": play.buyer_payoff,
            **{f"supplier_payoff_{i}": play.supplier_payoffs[:, i] for i in range(len(self.suppliers))},
            "intermediary_revenue": play.intermediary_revenue,
            "welfare": play.buyer_payoff + play.supplier_payoffs.sum(axis=1) + play.intermediary_revenue,
        }
        return pd.DataFrame(
            {
                "quantity": list(columns),
                "mean": [float(x.mean()) for x in columns.values()],
                "std_error": [float(x.std(ddof=1) / math.sqrt(x.size)) for x in columns.values()],
            }
        )

    # bilateral quadrature -------------------------------------------------------------------------------
    def bilateral_price(self, v: Any) -> np.ndarray:
        """With one supplier the price depends on v only: p(v) = (Gamma^{x_S})^{-1}(Phi^{x_B}(v)), clipped."""
        self._require_bilateral()
        return self._winner_price(0, self.reserve(v))

    def _require_bilateral(self) -> None:
        if len(self.suppliers) != 1:
            raise InvalidParameterError(
                "This quantity is computed by quadrature for one supplier only.",
                hint="Use IntermediaryGame.simulate for several suppliers.",
            )

    @cached_property
    def lowest_trading_value(self) -> float:
        """v_0 = (Phi^{x_B})^{-1}(Gamma^{x_S}(c_low)): buyers below it never trade (one supplier)."""
        self._require_bilateral()
        g_dist = self.suppliers[0]
        lowest_exit = g_dist.virtual_cost(g_dist.low, weight=self.supplier_ratios[0])
        return float(self.buyer.virtual_value_inverse(lowest_exit, weight=self.buyer_ratio))

    _PRICE_MOMENTS = ("trade_probability", "mean_price_mass", "mean_price_squared_mass")

    def _bilateral_expectations(self, names: tuple[str, ...] | None = None) -> dict[str, float]:
        """Expected outcomes with one supplier by one-dimensional quadrature over v (or only ``names``).

        Trade iff c <= p(v), so P(trade | v) = G(p(v)) and E[price^m 1{trade}] = int p(v)^m G(p(v)) dF(v).
        The supplier's expected surplus given v is int_{c_low}^{p(v)} G(c) dc, which by payoff equivalence is
        also its information rent E[(Gamma(c) - c) Q]; the buyer's rent is E[(v - Phi(v)) Q] =
        int (1 - F(v)) G(p(v)) dv. The integrands have a kink at the lowest trading value v_0, which is passed
        to the quadrature as a breakpoint.
        """
        self._require_bilateral()
        f_dist, g_dist = self.buyer, self.suppliers[0]
        points = sorted(
            set(_breakpoints([f_dist, g_dist], f_dist.low, f_dist.high))
            | ({self.lowest_trading_value} if f_dist.low < self.lowest_trading_value < f_dist.high else set())
        )
        start = max(f_dist.low, min(self.lowest_trading_value, f_dist.high))
        points = [x for x in points if x > start]

        def p_of(v: float) -> float:
            return float(self.bilateral_price(v))

        def trade_prob(v: float) -> float:
            return float(g_dist.cdf(p_of(v)))

        def seller_surplus(v: float) -> float:
            p = p_of(v)
            return _quad(g_dist.cdf, g_dist.low, min(p, g_dist.high))[0] if p > g_dist.low else 0.0

        def fee_mass(v: float) -> float:
            q = trade_prob(v)
            return float(self.fee(0, p_of(v))) * q if q > 0 else 0.0

        integrands = {
            "trade_probability": trade_prob,
            "mean_price_mass": lambda v: p_of(v) * trade_prob(v),
            "mean_price_squared_mass": lambda v: p_of(v) ** 2 * trade_prob(v),
            "fee_mass": fee_mass,
            "supplier_rent": seller_surplus,
            "gains_mass": lambda v: v * trade_prob(v),
        }
        out: dict[str, float] = {}
        err = 0.0
        for name in names or tuple(integrands):
            fn = integrands[name]
            value, e = _quad(lambda v, fn=fn: fn(v) * float(f_dist.pdf(v)), start, f_dist.high, points)
            out[name] = value
            err += e
        if names is None:
            # E[c 1{c <= p}] = p G(p) - int^p G, so gains = E[v Q] - (E[p Q] - supplier surplus)
            out["gains_from_trade"] = out["gains_mass"] - (out["mean_price_mass"] - out["supplier_rent"])
            rent, e = _quad(lambda v: float(1.0 - f_dist.cdf(v)) * trade_prob(v), start, f_dist.high, points)
            out["buyer_rent"] = rent
            err += e
        out["accuracy"] = err
        return out

    def price_moments(self) -> dict[str, float]:
        """P(trade), E[p | trade], E[p^2 | trade] and their accuracy (one supplier; three quadratures)."""
        e = self._bilateral_expectations(self._PRICE_MOMENTS)
        p_trade = e["trade_probability"]
        return {
            "trade_probability": p_trade,
            "mean_price": e["mean_price_mass"] / p_trade if p_trade > 0 else math.nan,
            "mean_price_squared": e["mean_price_squared_mass"] / p_trade if p_trade > 0 else math.nan,
            "accuracy": e["accuracy"],
        }

    def expected(self) -> dict[str, float]:
        """Expected outcomes of the game with one supplier, by quadrature (see :meth:`simulate` otherwise).

        Keys: trade_probability, mean_price (E[p | trade]), mean_price_squared, buyer_payoff,
        supplier_payoff, intermediary_revenue, welfare, accuracy (absolute error bound).
        """
        e = self._bilateral_expectations()
        buyer_lump, supplier_lumps = self.lump_sums
        p_trade = e["trade_probability"]
        buyer_payoff = e["gains_mass"] - e["mean_price_mass"] - e["fee_mass"] + buyer_lump
        supplier_payoff = e["supplier_rent"] + float(supplier_lumps[0])
        revenue = e["fee_mass"] - buyer_lump - float(supplier_lumps[0])
        return {
            "trade_probability": p_trade,
            "mean_price": e["mean_price_mass"] / p_trade if p_trade > 0 else math.nan,
            "mean_price_squared": e["mean_price_squared_mass"] / p_trade if p_trade > 0 else math.nan,
            "buyer_payoff": buyer_payoff,
            "supplier_payoff": supplier_payoff,
            "intermediary_revenue": revenue,
            "welfare": e["gains_from_trade"],
            "accuracy": e["accuracy"],
        }


def intermediary_game(
    buyer: Any,
    suppliers: Sequence[Any],
    buyer_weight: float = 1.0,
    supplier_weights: float | Sequence[float] = 1.0,
    *,
    shares: Any = None,
    fee_rule: str = "appendix",
) -> IntermediaryGame:
    """Build the fee-setting intermediary game; see :class:`IntermediaryGame`.

    Parameters
    ----------
    buyer
        The buyer's value distribution.
    suppliers
        The suppliers' cost distributions.
    buyer_weight, supplier_weights
        Bargaining weights (one number for all suppliers, or one per supplier).
    shares
        How a positive budget surplus is shared when the no-deficit constraint is slack (default as in
        :class:`~bargaining.Market`).
    fee_rule
        ``"appendix"`` (the fee schedule of appendix D.3) or another rule of ``FEE_RULES``.

    Examples
    --------
    >>> from bargaining import Uniform
    >>> game = intermediary_game(Uniform(), [Uniform(), Uniform()])
    >>> game.rho >= 1
    True
    """
    return IntermediaryGame(
        buyer, suppliers, buyer_weight, supplier_weights, shares=shares, fee_rule=fee_rule
    )
