"""Nash-in-Nash per-unit prices: :class:`NashInNashPrices` and its :class:`NashInNashEquilibrium`.

When agreements set per-unit prices and profits depend on the network and on every price (for example a
hospital recaptures margins on other insurers when one insurer drops it), each pair's threat point depends on
the other prices, so the Nash-in-Nash prices are a fixed point: every bundle's price is its bilateral Nash
split given the others. :class:`NashInNashPrices` finds it for any profit function;
:meth:`NashInNashPrices.per_unit` builds the profit function of the usual empirical form.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from bargaining.errors import (
    ConvergenceError,
    DataValidationError,
    GainsFromTradeError,
    InvalidParameterError,
)
from bargaining.models.nash_in_nash.network import (
    GAINS_RTOL,
    PAIR_SEPARATOR,
    Network,
    Pair,
    ProfitFunction,
    as_pair,
    finite,
    format_agreements,
    normalize_pairs,
    parse_agreements,
)
from bargaining.models.nash_in_nash.newton import (
    AnalyticNashConditions,
    BatchedNashConditions,
    LinearThreatPoints,
    NashTerms,
    newton,
)

__all__ = ["NashInNashEquilibrium", "NashInNashPrices"]


@dataclass(frozen=True)
class NashInNashEquilibrium:
    """A Nash-in-Nash price equilibrium.

    Attributes
    ----------
    prices
        One row per negotiated bundle (index: its agreements). Columns ``i, j, price`` (per unit; a system's
        bundle has one common price), ``seller_cost`` C and ``buyer_value`` V (per unit, the threat points at
        the equilibrium prices: C includes the margins the seller recaptures elsewhere, V the buyer's
        payments that shift to other sellers), ``beta`` = b_i / (b_i + b_j), so that price = C + beta (V - C),
        and ``gain_i``, ``gain_j``: each side's profit gain from the agreement at the equilibrium prices.
    payoffs
        Each agent's (or system's) profit at G and the equilibrium prices (computed from the profit function
        on first access).
    iterations
        Newton iterations (``method="newton"``; 1 for a linear system), Jacobi iterations over best replies
        (``"fixed-point"``) or evaluations of the Nash conditions (``"root"``).
    residual
        Largest price change still asked for at the returned prices: ``max |BR(x) - x|`` at the last iteration
        (``"fixed-point"``) or ``max |t(x)|`` (``"newton"``, ``"root"``), in price units.
    converged, method, tol
        Whether ``residual <= tol * max(1, max |price|)``; the solver (``"newton+fixed-point"`` when Newton
        stalled, typically at the finite differences' noise under a very small ``tol``, and best replies from
        its last prices finished; ``iterations`` then counts both); the tolerance.
    profits
        The function that computes :attr:`payoffs` (called once, on first access).

    Examples
    --------
    Two hospitals and one insurer, 100 patients each; when a hospital drops out, 150 go to the other.
    Cost 2 and value 10 per patient, equal weights. The agreement with h1 is worth 2,000 - 1,500 = 500 of
    value to the insurer and saves it the payments for the 50 patients who would otherwise go to h2, so
    V = (500 + 50 p) / 100 = 5 + p / 2 per patient of h1; with C = 2, p = C + (V - C) / 2 gives p = 14/3
    and V = 22/3:

    >>> eq = NashInNashPrices.per_unit(
    ...     [("h1", "m"), ("h2", "m")],
    ...     quantity=lambda pair, agreements: 100.0 if len(agreements) == 2 else 150.0,
    ...     seller_cost=2.0, buyer_value=10.0).solve()
    >>> eq.prices[["price", "seller_cost", "buyer_value", "beta", "gain_i", "gain_j"]].round(4)
                price  seller_cost  buyer_value  beta    gain_i    gain_j
    agreement
    h1-m       4.6667          2.0       7.3333   0.5  266.6667  266.6667
    h2-m       4.6667          2.0       7.3333   0.5  266.6667  266.6667
    >>> eq.converged, eq.method, round(eq.price_of("h2-m"), 6)
    (True, 'newton', 4.666667)
    >>> eq.payoffs["profit"].round(2).to_dict()      # the insurer: 200 (10 - 14/3)
    {'h1': 266.67, 'm': 1066.67, 'h2': 266.67}
    """

    prices: pd.DataFrame
    profits: Callable[[], pd.DataFrame] = field(repr=False)
    iterations: int
    residual: float
    converged: bool
    method: str
    tol: float

    @cached_property
    def payoffs(self) -> pd.DataFrame:
        """Each unit's profit at G and the equilibrium prices (index ``agent``, column ``profit``)."""
        return self.profits()

    def price_of(self, pair: Any) -> float:
        """Price of the agreement ``pair`` ((i, j) or ``"i-j"``), or of the bundle containing it."""
        wanted = as_pair(pair)
        for label, row in self.prices.iterrows():
            if wanted in parse_agreements(label):
                return float(row["price"])
        raise InvalidParameterError(
            f"{pair!r} is not a negotiated agreement.", hint="see .prices for the pairs."
        )


class NashInNashPrices:
    """Nash-in-Nash per-unit prices when profits depend on the network and on every price.

    Parameters
    ----------
    pairs
        Agreements (i, j), i the seller receiving the price, j the buyer.
    profit
        ``profit(agent, agreements, prices) -> float``: the agent's profit when the frozenset ``agreements``
        forms at ``prices`` (a dict pair -> price holding exactly the formed pairs; read it, do not modify
        it). A pair's own price must raise the seller's profit and lower the buyer's. It may be an object
        that also provides ``linear_system`` or ``nash_terms`` (Notes). :meth:`per_unit` builds it for the
        usual empirical form.
    weights, systems, joint
        As in :class:`NashInNash`. A system's bundle is negotiated at one common per-unit price; internal
        agreements (both sides in one system) are always formed and evaluated at price 0.

    Notes
    -----
    Bundle b between seller unit S and buyer unit B, at common price x_b and other prices x_{-b}:
    g_S(x) = pi_S(G, x) - pi_S(G minus b, x_{-b}), g_B likewise. The Nash-in-Nash price maximizes
    g_S^{b_S} g_B^{b_B} given x_{-b}; its first-order condition is b_S g_S' g_B + b_B g_B' g_S = 0 (primes:
    derivative in x_b). Replacing g_S, g_B by their linearization in x_b (slopes by central differences, exact
    for profits affine or quadratic in the own price) gives the Nash split of the linearized problem,
    x_b + t_b with t_b = -(b_S g_S' g_B + b_B g_B' g_S) / ((b_S + b_B) g_S' g_B'); t_b = 0 is the first-order
    condition, and for profits affine in the own price x_b + t_b = C + beta (V - C) is the exact best reply.
    ``method="newton"`` (the default) solves t(x) = 0 for all bundles at once by Newton's method
    (:mod:`.newton`). When the profit object has a method ``nash_terms(bundles, prices)`` returning
    :class:`~bargaining.models.nash_in_nash.newton.NashTerms` (the gains, own-price slopes and their
    Jacobians in the prices at the bundle prices ``prices``), Newton uses that exact Jacobian. When it has
    a method ``linear_system(bundles)`` (checked first) returning
    :class:`~bargaining.models.nash_in_nash.newton.LinearThreatPoints` (threat points affine in the prices,
    as in :meth:`HospitalInsurerMarkets.nash_in_nash_prices
    <bargaining.models.nash_in_nash.hospital_insurer.HospitalInsurerMarkets.nash_in_nash_prices>`), that is
    one linear solve; ``linear_system`` may return ``None`` (for example for bundles it cannot describe), and
    then, as for plain functions, each iteration evaluates t with one sweep of profit calls and its Jacobian
    by finite differences over groups of prices that share no bundle (sparsity read off the prices each
    profit reads). ``method="fixed-point"``: damped Jacobi iteration x <- x + damping (BR(x) - x), where
    BR_b(x) solves t_b = 0 in x_b given x_{-b} (secant steps; one step when affine); slow on large networks,
    kept for comparison. ``method="root"``: ``scipy.optimize.root`` (Powell hybrid, Jacobian by its own
    finite differences) on t(x) = 0.

    Examples
    --------
    Two hospitals and one insurer, 100 patients each; when a hospital drops out half of its patients go to
    the other. Cost 2 and value 10 per patient, equal weights: p = 14/3 (user guide).

    >>> model = NashInNashPrices.per_unit(
    ...     [("h1", "m"), ("h2", "m")],
    ...     quantity=lambda pair, agreements: 100.0 if len(agreements) == 2 else 150.0,
    ...     seller_cost=2.0, buyer_value=10.0)
    >>> result = model.solve()
    >>> result.prices["price"].round(8).tolist(), result.converged
    ([4.66666667, 4.66666667], True)
    """

    def __init__(
        self,
        pairs: Iterable[Any],
        profit: ProfitFunction,
        weights: Mapping[Any, float] | None = None,
        *,
        systems: Mapping[Any, Iterable[Any]] | None = None,
        joint: bool = True,
    ) -> None:
        self.network = Network(pairs, weights, systems, joint)
        if not callable(profit):
            raise InvalidParameterError(
                "profit must be a function profit(agent, agreements, prices).",
                hint="or use NashInNashPrices.per_unit(pairs, quantity=, seller_cost=, buyer_value=).",
            )
        self._profit = profit
        bundles = self.network.bundles
        self._beta = np.array([self.network.beta(bundle) for bundle in bundles])
        self._sellers = [bundle.seller for bundle in bundles]
        self._buyers = [bundle.buyer for bundle in bundles]
        self._labels = [bundle.label for bundle in bundles]
        self._frame_parts: tuple[Any, Any, pd.Index] | None = None
        self._bundle_pairs = tuple(bundle.pairs for bundle in bundles)  # what linear_system etc. receive
        for bundle in self.network.bundles:
            sellers = {pair[0] for pair in bundle.pairs}
            if any(self.network.unit_of[s] != bundle.seller for s in sellers):
                raise InvalidParameterError(
                    f"bundle {bundle.label} has agreements in both directions between the same two units.",
                    hint="a common price needs all agreements of a bundle to have their seller on one side; "
                    "use joint=False.",
                )

    @classmethod
    def per_unit(
        cls,
        pairs: Iterable[Any],
        *,
        quantity: Callable[[Pair, frozenset], float],
        seller_cost: float | Mapping[Any, float],
        buyer_value: float | Mapping[Any, float] | Callable[[Hashable, frozenset], float],
        weights: Mapping[Any, float] | None = None,
        systems: Mapping[Any, Iterable[Any]] | None = None,
        joint: bool = True,
    ) -> NashInNashPrices:
        """The empirical form: seller i (a hospital) sells q_ij(A) units to buyer j (an insurer) at p_ij.

        pi_i(A, p) = sum over i's agreements of (p_ij - c_ij) q_ij(A);
        pi_j(A, p) = W_j(A) - sum over j's agreements of p_ij q_ij(A).

        Parameters
        ----------
        quantity
            ``quantity((i, j), agreements) -> q_ij(A) >= 0``: units traded under agreement ij when A forms
            (patients who switch hospital or insurer when the network changes make this network-dependent;
            that recapture is what puts other prices into each pair's threat point).
        seller_cost
            Marginal cost c per unit: one number, or a mapping keyed by pair or by seller.
        buyer_value
            W_j(A): one number v or a mapping keyed by pair or buyer giving a per-unit value v_ij, so that
            W_j(A) = sum v_ij q_ij(A); or a function ``buyer_value(j, agreements) -> W_j(A)``.
        """
        network_pairs = normalize_pairs(pairs)

        def lookup(table: float | Mapping[Any, float], pair: Pair, side: int, what: str) -> float:
            if not isinstance(table, Mapping):
                return finite(table, what)
            for key in (pair, f"{pair[0]}{PAIR_SEPARATOR}{pair[1]}", pair[side]):
                if key in table:
                    return finite(table[key], f"{what} of {key!r}")
            raise InvalidParameterError(
                f"no {what} for agreement {pair[0]!r}-{pair[1]!r}.",
                hint=f"key the {what} mapping by pair or by {'seller' if side == 0 else 'buyer'}.",
            )

        costs = {pair: lookup(seller_cost, pair, 0, "seller_cost") for pair in network_pairs}
        per_unit_value = (
            None
            if callable(buyer_value)
            else {pair: lookup(buyer_value, pair, 1, "buyer_value") for pair in network_pairs}
        )
        value_function = buyer_value if callable(buyer_value) else None  # W_j(A) given as a function
        quantities: dict[tuple[Pair, frozenset], float] = {}

        def q(pair: Pair, agreements: frozenset) -> float:
            key = (pair, agreements)
            if key not in quantities:
                value = finite(
                    quantity(pair, agreements), f"quantity({pair!r}, {{{format_agreements(agreements)}}})"
                )
                if value < 0:
                    raise InvalidParameterError(
                        f"quantity of {pair!r} is negative ({value}).", hint="quantities must be >= 0."
                    )
                quantities[key] = value
            return quantities[key]

        def profit(agent_name: Hashable, agreements: frozenset, prices: Mapping[Pair, float]) -> float:
            total = 0.0
            for pair in agreements:
                if pair[0] == agent_name:
                    total += (prices[pair] - costs[pair]) * q(pair, agreements)
                if pair[1] == agent_name:
                    total -= prices[pair] * q(pair, agreements)
                    if per_unit_value is not None:
                        total += per_unit_value[pair] * q(pair, agreements)
            if value_function is not None and any(pair[1] == agent_name for pair in network_pairs):
                total += finite(value_function(agent_name, agreements), f"buyer_value({agent_name!r}, ...)")
            return total

        return cls(network_pairs, profit, weights, systems=systems, joint=joint)

    # -- evaluation
    def _prices(self, x: np.ndarray, agreements: frozenset) -> dict[Pair, float]:
        prices = {pair: 0.0 for pair in self.network.internal if pair in agreements}
        for value, bundle in zip(x, self.network.bundles, strict=True):
            for pair in bundle.pairs:
                if pair in agreements:
                    prices[pair] = float(value)
        return prices

    def unit_profit(self, unit: Hashable, agreements: frozenset, x: np.ndarray) -> float:
        prices = self._prices(x, agreements)
        return sum(
            finite(self._profit(member, agreements, prices), f"profit({member!r}, ...)")
            for member in self.network.members[unit]
        )

    def _linearization(self, k: int, x: np.ndarray, step: float) -> tuple[float, float, float, float]:
        """Gains g_S, g_B of bundle k at prices x and their slopes in the bundle's own price."""
        net = self.network
        bundle = net.bundles[k]
        without = net.full - frozenset(bundle.pairs)
        h = step * max(1.0, abs(x[k]))
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        out = []
        for unit in (bundle.seller, bundle.buyer):
            gain = self.unit_profit(unit, net.full, x) - self.unit_profit(unit, without, x)
            slope = (self.unit_profit(unit, net.full, up) - self.unit_profit(unit, net.full, down)) / (2 * h)
            out.append((gain, slope))
        (g_s, d_s), (g_b, d_b) = out
        if not (d_s > 0 and d_b < 0):
            raise InvalidParameterError(
                f"in {bundle.label} the price does not raise the seller's profit and lower the buyer's "
                f"(slopes {d_s:.6g} and {d_b:.6g}).",
                hint="check that each pair is (seller, buyer) and that its quantity is positive.",
            )
        return g_s, g_b, d_s, d_b

    def _nash_step(self, k: int, x: np.ndarray, step: float) -> float:
        """Move of bundle k's price to the Nash split of its linearized problem (0 at the Nash condition)."""
        g_s, g_b, d_s, d_b = self._linearization(k, x, step)
        bundle = self.network.bundles[k]
        b_s, b_b = self.network.weights[bundle.seller], self.network.weights[bundle.buyer]
        return -(b_s * d_s * g_b + b_b * d_b * g_s) / ((b_s + b_b) * d_s * d_b)

    def _steps(self, x: np.ndarray, step: float) -> np.ndarray:
        return np.array([self._nash_step(k, x, step) for k in range(len(self.network.bundles))])

    def _best_reply(self, k: int, x: np.ndarray, step: float, tol: float, max_iter: int) -> float:
        """Bundle k's Nash price given the other prices: the root in x_k of the Nash condition, by secant
        steps started from the linearized Nash split (exact in one step for profits affine in own price)."""
        trial = x.copy()

        def condition(price: float) -> float:
            trial[k] = price
            return self._nash_step(k, trial, step)

        first = condition(x[k])
        if not math.isfinite(first):
            return math.nan
        if abs(first) <= tol * max(1.0, abs(x[k])):
            return float(x[k])
        solution = optimize.root_scalar(
            condition,
            x0=float(x[k]),
            x1=float(x[k] + first),
            method="secant",
            xtol=tol * max(1.0, abs(x[k])),
            maxiter=max_iter,
        )
        if not solution.converged:
            raise ConvergenceError(
                f"the Nash price of {self.network.bundles[k].label} given the other prices was not found "
                f"({solution.flag}) after {solution.iterations} secant steps.",
                hint="check that the weighted Nash product has an interior maximum in the own price.",
            )
        return float(solution.root)

    def solve(
        self,
        *,
        start: Mapping[Any, float] | float | None = None,
        method: str = "newton",
        damping: float = 1.0,
        tol: float = 1e-10,
        max_iter: int = 1000,
        step: float = 1e-4,
    ) -> NashInNashEquilibrium:
        """Solve for the Nash-in-Nash prices.

        Parameters
        ----------
        start
            Starting prices: one number, or a mapping pair (or bundle label) -> price; default 0.
        method
            ``"newton"`` (Newton's method on all Nash conditions at once: one linear solve when the profit
            object provides ``linear_system``, otherwise a batched finite-difference Jacobian; see the class
            notes), ``"fixed-point"`` (damped Jacobi iteration over each pair's Nash price given the others)
            or ``"root"`` (``scipy.optimize.root``, Powell hybrid method).
        damping
            Step share in (0, 1] of the fixed-point iteration; smaller values help when the best replies
            oscillate.
        tol
            Converged when every pair's remaining price change is <= tol * max(1, max |price|); the same
            tolerance ends each best-reply search.
        max_iter
            Iteration (or function-evaluation) limit.
        step
            Relative finite-difference step for the slopes in the own price.

        Raises
        ------
        ConvergenceError
            With the iterations done and the residual reached.
        GainsFromTradeError
            When at the equilibrium a bundle has no gains from trade or a side loses from it.
        """
        if method not in ("newton", "fixed-point", "root"):
            raise InvalidParameterError(
                f"unknown method {method!r}.", hint="use 'newton', 'fixed-point' or 'root'."
            )
        if not (0 < damping <= 1):
            raise InvalidParameterError(f"damping must be in (0, 1], got {damping}.", hint="try 0.5.")
        if not (tol > 0 and step > 0 and max_iter >= 1):
            raise InvalidParameterError(
                "tol and step must be > 0 and max_iter >= 1.", hint="use the defaults."
            )
        x = self._start(start)

        def scale(prices: np.ndarray) -> float:
            return max(1.0, float(np.max(np.abs(prices))))

        if method == "newton":
            linear = self._linear_system()
            if linear is not None:
                return self._solve_linear(linear, tol)
            conditions = BatchedNashConditions(self, step)
            analytic = self._analytic_conditions(conditions)
            x, t, iterations, converged, message = newton(
                conditions if analytic is None else analytic,
                x,
                tol=tol,
                max_iter=max_iter,
                reuse_jacobian=analytic is None,  # an analytic Jacobian is cheap: always fresh
            )
            residual = float(np.max(np.abs(t)))
            if not converged and analytic is None and message.startswith("no step") and np.isfinite(residual):
                # stalled, typically at the noise of the finite differences when tol is very small: best
                # replies from there (the old default) finish, or fail and are reported
                try:
                    x, more, residual = self._fixed_point(x, damping, tol, min(max_iter, 100), step)
                except ConvergenceError as error:
                    message += f"; best replies from there failed too: {error.args[0]}"
                else:
                    return self._equilibrium(
                        x, iterations + more, residual, "newton+fixed-point", tol, step, conditions
                    )
            if not converged:
                raise ConvergenceError(
                    f"Newton's method did not find the Nash-in-Nash prices ({message}) after {iterations} "
                    f"iterations: the largest remaining price change is {residual:.3g} (tolerance "
                    f"{tol * scale(x):.3g}) at prices {self._describe(x)}.",
                    hint="try another start, a larger tol, or method='fixed-point' with damping.",
                )
            terms = None if analytic is None else analytic.terms(x)
            return self._equilibrium(x, iterations, residual, method, tol, step, conditions, terms)
        if method == "fixed-point":
            x, iterations, residual = self._fixed_point(x, damping, tol, max_iter, step)
        else:
            # scipy-stubs spell hybr's `maxfev` option "maxffev" (scipy reads `maxfev`): no overload matches
            solution = optimize.root(  # type: ignore[call-overload]
                lambda prices: self._steps(prices, step),
                x,
                method="hybr",
                options={"xtol": tol, "maxfev": max_iter},
            )
            x = np.asarray(solution.x, dtype=float)
            iterations = int(solution.nfev)
            change = self._steps(x, step) if np.all(np.isfinite(x)) else np.full_like(x, np.inf)
            residual = float(np.max(np.abs(change)))
            if not residual <= tol * scale(x):
                raise ConvergenceError(
                    f"scipy.optimize.root did not find the Nash-in-Nash prices in {iterations} evaluations "
                    f"({solution.message.strip()}); the largest remaining price change is {residual:.3g} at "
                    f"prices {self._describe(x)}.",
                    hint="try another start or method='newton'.",
                )
        return self._equilibrium(
            x, iterations, residual, method, tol, step, BatchedNashConditions(self, step)
        )

    def _fixed_point(
        self, x: np.ndarray, damping: float, tol: float, max_iter: int, step: float
    ) -> tuple[np.ndarray, int, float]:
        """Damped Jacobi iteration over best replies from x: the prices, iterations and max |BR(x) - x|."""

        def scale(prices: np.ndarray) -> float:
            return max(1.0, float(np.max(np.abs(prices))))

        first = None
        residual = math.inf
        iterations = 0
        for iterations in range(1, max_iter + 1):
            replies = np.array([self._best_reply(k, x, step, tol, max_iter) for k in range(len(x))])
            change = replies - x
            residual = float(np.max(np.abs(change)))
            if not math.isfinite(residual) or not np.all(np.isfinite(x)):
                raise ConvergenceError(
                    f"the Nash-in-Nash price iteration diverged: prices became non-finite at iteration "
                    f"{iterations}.",
                    hint="the best replies are expansive (recapture too strong?); try method='newton'.",
                )
            first = residual if first is None else first
            if residual <= tol * scale(x):
                break
            if residual > 1e10 * (1.0 + first):
                raise ConvergenceError(
                    f"the Nash-in-Nash price iteration diverged: after {iterations} iterations the price "
                    f"change is {residual:.3g} (it was {first:.3g} at the start).",
                    hint="the best replies are expansive (recapture too strong?); try method='newton' or "
                    "check the profit function.",
                )
            x = x + damping * change
        else:
            raise ConvergenceError(
                f"the Nash-in-Nash price iteration did not converge in {max_iter} iterations: largest "
                f"remaining price change is {residual:.3g} (tolerance {tol * scale(x):.3g}) at prices "
                f"{self._describe(x)}.",
                hint="raise max_iter, lower damping, or try method='newton'.",
            )
        return x, iterations, residual

    def _analytic_conditions(self, conditions: BatchedNashConditions) -> AnalyticNashConditions | None:
        provider = getattr(self._profit, "nash_terms", None)
        if not callable(provider):
            return None
        return AnalyticNashConditions(provider, self._bundle_pairs, conditions.b_seller, conditions.b_buyer)

    def _linear_system(self) -> LinearThreatPoints | None:
        provider = getattr(self._profit, "linear_system", None)
        if not callable(provider):
            return None
        terms = provider(self._bundle_pairs)
        if terms is None:
            return None
        if not isinstance(terms, LinearThreatPoints):
            raise InvalidParameterError(
                f"profit.linear_system returned {type(terms).__name__}, not LinearThreatPoints or None.",
                hint="return LinearThreatPoints(...) for the bundles passed, or None.",
            )
        if terms.seller_cost.shape != (len(self.network.bundles),):
            raise InvalidParameterError(
                f"profit.linear_system returned {terms.seller_cost.shape[0]} bundles for "
                f"{len(self.network.bundles)}.",
                hint="one entry per bundle passed to linear_system, in that order.",
            )
        if not (np.all(terms.seller_slope > 0) and np.all(terms.buyer_slope < 0)):
            raise InvalidParameterError(
                "profit.linear_system has a bundle whose price does not raise the seller's profit and lower "
                "the buyer's.",
                hint="seller_slope must be > 0 and buyer_slope < 0 (e.g. +q and -q).",
            )
        return terms

    def _solve_linear(self, linear: LinearThreatPoints, tol: float) -> NashInNashEquilibrium:
        beta = self._beta
        with np.errstate(all="ignore"):
            try:
                x = linear.solve(beta)
            except np.linalg.LinAlgError:
                x = np.full(len(beta), np.nan)
            cost, value = linear.threat_points(x)
            t = cost + beta * (value - cost) - x
        residual = float(np.max(np.abs(t))) if np.all(np.isfinite(t)) else math.inf
        if not residual <= tol * max(1.0, float(np.max(np.abs(x)))):
            raise ConvergenceError(
                f"the linear Nash-in-Nash system has no usable solution: the largest remaining price change "
                f"is {residual:.3g}.",
                hint="the system is singular or ill-conditioned; check the profit object's linear_system.",
            )
        terms = NashTerms(
            gain_seller=linear.seller_slope * (x - cost),
            gain_buyer=linear.buyer_slope * (x - value),
            slope_seller=linear.seller_slope,
            slope_buyer=linear.buyer_slope,
        )
        return self._equilibrium(x, 1, residual, "newton", tol, 0.0, BatchedNashConditions(self, 1e-4), terms)

    def _describe(self, x: np.ndarray, limit: int = 6) -> str:
        items = [f"{b.label}: {value:.6g}" for b, value in zip(self.network.bundles, x, strict=True)]
        return "{" + ", ".join(items[:limit]) + (", ..." if len(items) > limit else "") + "}"

    def _start(self, start: Mapping[Any, float] | float | None) -> np.ndarray:
        bundles = self.network.bundles
        if start is None:
            return np.zeros(len(bundles))
        if not isinstance(start, Mapping):
            return np.full(len(bundles), finite(start, "start"))
        x = np.zeros(len(bundles))
        for key, value in start.items():
            position = self._bundle_index(key)
            if position is None:
                raise InvalidParameterError(
                    f"start names {key!r}, which is not a negotiated agreement.",
                    hint=f"use one of: {', '.join(b.label for b in bundles)}.",
                )
            x[position] = finite(value, f"start[{key!r}]")
        return x

    def _bundle_index(self, key: Any) -> int | None:
        for k, bundle in enumerate(self.network.bundles):
            if isinstance(key, str) and key == bundle.label:
                return k
        try:
            pair = as_pair(key)
        except (InvalidParameterError, DataValidationError):
            return None
        for k, bundle in enumerate(self.network.bundles):
            if pair in bundle.pairs:
                return k
        return None

    def _equilibrium(
        self,
        x: np.ndarray,
        iterations: int,
        residual: float,
        method: str,
        tol: float,
        step: float,
        conditions: BatchedNashConditions,
        terms: NashTerms | None = None,
    ) -> NashInNashEquilibrium:
        net = self.network
        if terms is None:
            terms = conditions.terms(x)
        g_s, g_b = terms.gain_seller, terms.gain_buyer
        beta = self._beta
        # gains from trade beyond rounding (lacks_gains), and a side with weight 0 gets exactly 0 in theory:
        # allow rounding noise below it
        size = np.maximum(1.0, np.maximum(np.abs(g_s), np.abs(g_b)))
        bad = (
            ~(g_s + g_b > GAINS_RTOL * size)
            | (g_s < -GAINS_RTOL * size * 1e3)
            | (g_b < -GAINS_RTOL * size * 1e3)
        )
        failing = [
            f"{net.bundles[k].label} (gain_i {g_s[k]:.6g}, gain_j {g_b[k]:.6g})" for k in np.flatnonzero(bad)
        ]
        if failing:
            raise GainsFromTradeError(
                f"at the equilibrium prices {len(failing)} agreement(s) lack gains for both sides: "
                f"{'; '.join(failing)}.",
                hint="Nash-in-Nash needs every agreement to benefit both sides in equilibrium; drop those "
                "pairs or check costs and values.",
            )
        if self._frame_parts is None:  # the labels' columns and index, built once per model
            self._frame_parts = (
                pd.Series(self._sellers).array,
                pd.Series(self._buyers).array,
                pd.Index(self._labels, name="agreement"),
            )
        sellers, buyers, index = self._frame_parts
        prices = pd.DataFrame(
            {
                "i": sellers,
                "j": buyers,
                "price": x,
                "seller_cost": x - g_s / terms.slope_seller,
                "buyer_value": x - g_b / terms.slope_buyer,
                "beta": beta,
                "gain_i": g_s,
                "gain_j": g_b,
            },
            index=index,
        )
        x = x.copy()

        def payoffs() -> pd.DataFrame:
            return pd.DataFrame(
                {"profit": conditions.unit_profits(x)}, index=pd.Index(list(net.units), name="agent")
            )

        converged = residual <= tol * max(1.0, float(np.max(np.abs(x))))
        return NashInNashEquilibrium(prices, payoffs, iterations, residual, bool(converged), method, tol)
