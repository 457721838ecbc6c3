"""Loertscher-Marx (2022) incomplete-information bargaining in a market: rho, allocation, payoffs, frontier.

Buyers i draw values v_i ~ F_i, suppliers j draw costs c_j ~ G_j, independently and privately. With
bargaining weights w (max w = 1; only ratios matter), the outcome maximizes expected weighted welfare
subject to incentive compatibility, interim individual rationality and no expected deficit. By Lemma 1
the allocation trades between the highest ironed weighted virtual values

    Phi_{w/rho}(v) = v - (1 - w/rho) (1 - F(v)) / f(v)

and the lowest weighted virtual costs Gamma_{w/rho}(c) = c + (1 - w/rho) G(c) / g(c), where rho = rho^w is
the smallest rho >= max w at which the expected budget surplus

    E[sum_i Phi_i(v_i) Q_i^B - sum_j Gamma_j(c_j) Q_j^S]          (unweighted virtual types)

is non-negative. When it is already non-negative at rho = max w, the constraint is slack and the surplus
pi is paid to the worst-off types of the agents with the largest weight, in shares eta. Expected payoffs
are the information rents E[(v - Phi(v)) Q^B] and E[(Gamma(c) - c) Q^S] plus those fixed payments.

Extensions (online appendix): integer capacities per agent; one buyer with preferences theta_j over
suppliers (C.2: the buyer's value of supplier j's unit is theta_j v) and size-dependent discounts
delta_m (C.3: theta_X = sum_{j in X} theta_j - delta_|X|); participation costs x (C.1, eq. 36: rho is the
smallest rho at which the budget surplus covers sum x, and each agent's fixed payment covers its x);
production-relevant outside options y (C.1: supports shifted by y, eq. 37).

How the numbers are computed (see :mod:`bargaining.models.mechanism.engines`): every expectation is a 1-D
integral of an interim allocation that is exact in closed form (for any numbers of buyers and
suppliers, capacities, and one buyer with a common theta and convex discounts), or a 2-D integral (one
buyer, different theta_j), by adaptive Gauss-Kronrod quadrature split at every point where the integrand
has a kink or jump. Randomized quasi-Monte Carlo (:mod:`bargaining.models.mechanism.qmc`) is used only when
no quadrature applies (non-convex discounts, or discounts with negative costs) or on request.
rho is found by Brent's method on t = 1 / rho in (0, 1] (the budget surplus is non-increasing in t,
because the allocation at t maximizes budget + t * weighted rents). ``accuracy`` on the outcome is an
absolute error bound for payoffs, welfare and budget: the quadrature bound plus the effect of the error in
rho.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from bargaining.errors import AccuracyWarning, InfeasibleProblemError, InvalidParameterError, SupportError
from bargaining.models.conventions import weights_from_delta
from bargaining.models.mechanism.allocation import ExPostAllocation, allocate_one_buyer, allocate_slots
from bargaining.models.mechanism.engines import OneBuyerEngine, SeparableEngine
from bargaining.models.mechanism.inputs import (
    agent_list,
    capacities,
    nonnegative_per_agent,
    normalized_weights,
    surplus_shares,
)
from bargaining.models.mechanism.outcome import BargainingOutcome, replace_outcome
from bargaining.models.mechanism.protocol import Evaluation, MechanismEngine
from bargaining.models.mechanism.qmc import QMCEngine
from bargaining.models.mechanism.rho_search import RhoSearch
from bargaining.models.mechanism.types import Shifted, flat_intervals

__all__ = ["Market"]

_METHODS = ("auto", "quadrature", "qmc")


#: Market.frontier(points=...) above this is refused before allocating (each point is one solve of the market)
MAX_FRONTIER_POINTS = 100_001


def _check_tol(tol: Any) -> float:
    try:
        value = float(tol)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(tol, bool) or not (math.isfinite(value) and 0.0 < value < 1.0):
        raise InvalidParameterError(
            f"tol={tol!r} is not a number in (0, 1).",
            hint="Pass tol as the accuracy wanted for payoffs, e.g. tol=1e-6 (or leave tol=None for 1e-10 or better).",
        )
    return value


class Market(RhoSearch):
    """A market of buyers and suppliers with private values and costs (Loertscher and Marx, 2022).

    Parameters
    ----------
    buyers, suppliers
        Type distributions F_i of values and G_j of costs (``bargaining.Uniform``, ``TypeDistribution``...).
    buyer_units, supplier_units
        Integer capacities (units each buyer demands / each supplier can produce); default 1.
    preferences
        theta_j >= 0, one per supplier, with exactly one buyer: the buyer values supplier j's unit at
        theta_j v (appendix C.2).
    discounts
        Size-dependent discounts delta_1..delta_D (D = the buyer's units, delta_1 = 0, non-decreasing), one
        buyer only: buying the set X is worth (sum_{j in X} theta_j - delta_|X|) v (appendix C.3).
    buyer_outside_options, supplier_outside_options
        Production-relevant outside options y >= 0 (appendix C.1): values become v - y_B, costs c + y_j.
    buyer_participation_costs, supplier_participation_costs
        Fixed costs x >= 0 of taking part (eq. 36): the budget surplus must cover their sum and each
        agent's fixed payment covers its own x. Payoffs are net of x.
    method
        "auto" (quadrature whenever it applies, otherwise QMC), "quadrature" or "qmc".
    atol, rtol
        Quadrature tolerances (absolute in units of the type range, and relative).
    tol
        Target accuracy of payoffs and welfare, trading accuracy for speed: sets atol = rtol = tol / 10 and
        the root search's tolerance in t = 1/rho to tol / 10. Default None: atol and rtol as given and t to
        1e-14, which keeps ``accuracy`` at 1e-10 or better on smooth markets. The accuracy actually reached
        is always reported on the outcome (``accuracy``, ``rho_accuracy``).
    qmc_points, qmc_replicates, seed
        Draws per replicate, number of independent scrambles, and seed of the QMC path.

    Examples
    --------
    >>> from bargaining.models.distributions import Uniform
    >>> market = Market([Uniform(0, 1)], [Uniform(0, 1)])
    >>> outcome = market.bargain([1.0], [1.0])
    >>> round(1 / outcome.rho, 10), round(outcome.welfare, 10)   # 2/3 and 9/64
    (0.6666666667, 0.140625)
    """

    def __init__(
        self,
        buyers: Any,
        suppliers: Any,
        buyer_units: Any = None,
        supplier_units: Any = None,
        preferences: Any = None,
        *,
        discounts: Any = None,
        buyer_outside_options: Any = None,
        supplier_outside_options: Any = None,
        buyer_participation_costs: Any = None,
        supplier_participation_costs: Any = None,
        method: str = "auto",
        atol: float = 1e-13,
        rtol: float = 1e-11,
        qmc_points: int = 2**15,
        qmc_replicates: int = 16,
        seed: Any = 0,
        tol: float | None = None,
    ) -> None:
        base_buyers = agent_list(buyers, "buyers")
        base_suppliers = agent_list(suppliers, "suppliers")
        nb, ns = len(base_buyers), len(base_suppliers)
        self.buyer_units = capacities(buyer_units, nb, "buyer_units")
        self.supplier_units = capacities(supplier_units, ns, "supplier_units")
        y_b = nonnegative_per_agent(buyer_outside_options, nb, "buyer_outside_options")
        y_s = nonnegative_per_agent(supplier_outside_options, ns, "supplier_outside_options")
        self.buyer_outside_options, self.supplier_outside_options = y_b, y_s
        self.buyers = [Shifted(d, -y) if y else d for d, y in zip(base_buyers, y_b)]
        self.suppliers = [Shifted(d, y) if y else d for d, y in zip(base_suppliers, y_s)]
        self.buyer_participation_costs = nonnegative_per_agent(buyer_participation_costs, nb, "buyer_participation_costs")
        self.supplier_participation_costs = nonnegative_per_agent(supplier_participation_costs, ns, "supplier_participation_costs")

        one_buyer_extras = preferences is not None or discounts is not None
        if one_buyer_extras and nb != 1:
            raise InvalidParameterError(
                "preferences and discounts are defined for a market with exactly one buyer.",
                hint="Use one buyer (with buyer_units for its demand) or drop preferences/discounts.",
            )
        if preferences is None:
            theta = np.ones(ns)
        else:
            theta = np.atleast_1d(np.asarray(preferences, dtype=float))
            if theta.size != ns or not np.all(np.isfinite(theta)) or np.any(theta < 0) or not np.any(theta > 0):
                raise InvalidParameterError(
                    f"preferences must be {ns} finite numbers >= 0, not all zero; got {preferences!r}.",
                    hint="One theta per supplier, e.g. preferences=[2.0, 1.0].",
                )
        self.preferences = theta
        demand = int(self.buyer_units[0]) if nb == 1 else 0
        if discounts is None:
            delta = np.zeros(max(demand, 1))
        else:
            delta = np.atleast_1d(np.asarray(discounts, dtype=float))
            if delta.size != demand or not np.all(np.isfinite(delta)) or delta[0] != 0.0 or np.any(np.diff(delta) < 0):
                raise InvalidParameterError(
                    f"discounts must be delta_1..delta_D for D = {demand} units, with delta_1 = 0 and non-decreasing; "
                    f"got {discounts!r}.",
                    hint="e.g. discounts=[0, 0.2, 0.5] for a buyer demanding 3 units.",
                )
            worst = np.cumsum(np.sort(np.repeat(theta, self.supplier_units)))[: delta.size] - delta[: min(delta.size, int(self.supplier_units.sum()))]
            if np.any(worst < -1e-12):
                raise InvalidParameterError(
                    "Some bundle would have negative value theta_X = sum theta - delta_|X| < 0.",
                    hint="Use smaller discounts.",
                )
        self.discounts = delta
        self._one_buyer = one_buyer_extras and (np.any(theta != 1.0) or np.any(delta != 0.0))

        self._check_gains()
        if method not in _METHODS:
            raise InvalidParameterError(f"method={method!r} is not known.", hint=f"Use one of {', '.join(_METHODS)}.")
        self.scale = max(
            max(d.high for d in self.buyers) - min(d.low for d in self.suppliers),
            max(d.high - d.low for d in self.buyers + self.suppliers),
        )
        if not (np.isfinite(atol) and atol > 0 and np.isfinite(rtol) and rtol > 0):
            raise InvalidParameterError("atol and rtol must be positive.", hint="e.g. atol=1e-13, rtol=1e-11.")
        self.atol, self.rtol = float(atol) * self.scale, float(rtol)
        self.tol = None if tol is None else _check_tol(tol)
        self._xtol = 1e-14  # root search in t = 1/rho (Brent)
        # largest last step in t accepted by the warm-started search of frontier: its size enters rho_accuracy
        # and accuracy (about 1e-11 in payoffs), as Brent's tolerance does in bargain
        self._near_tol = 1e-10
        if self.tol is not None:
            self.atol, self.rtol = 0.1 * self.tol * self.scale, 0.1 * self.tol
            self._xtol = max(1e-14, 0.1 * self.tol)
            self._near_tol = max(1e-10, 0.1 * self.tol)
        self._flat_cache: dict[tuple[str, int, float], list[tuple[float, float, float]]] = {}
        self._coarse_engine: MechanismEngine | None = None

        quadrature_ok, reason = self._quadrature_applies()
        if method == "quadrature" and not quadrature_ok:
            raise InvalidParameterError(f"Quadrature does not apply: {reason}.", hint="Use method='qmc' or 'auto'.")
        self.method = "qmc" if method == "qmc" or not quadrature_ok else "quadrature"
        self.qmc_points, self.qmc_replicates, self.seed = int(qmc_points), int(qmc_replicates), seed
        self._engine: MechanismEngine = self._make_engine()

    # ------------------------------------------------------------------------------------------ setup
    def _check_gains(self) -> None:
        best_value = max(float(t) for t in self.preferences) * max(d.high for d in self.buyers)
        if best_value <= min(d.low for d in self.suppliers):
            raise SupportError(
                "No buyer value exceeds any supplier cost: there are never gains from trade.",
                hint="Check the supports (and outside options) of buyers and suppliers.",
            )

    def _quadrature_applies(self) -> tuple[bool, str]:
        if not self._one_buyer or not np.any(self.discounts != 0.0):
            return True, ""
        marginal = np.diff(np.concatenate([[0.0], self.discounts]))
        if np.any(np.diff(marginal) < -1e-15):
            return False, "the marginal discounts delta_m - delta_{m-1} are not non-decreasing"
        if min(d.low for d in self.suppliers) < 0:
            return False, "discounts with costs below zero"
        return True, ""

    def _flats(self, side: str, index: int, a: float) -> list[tuple[float, float, float]]:
        key = (side, index, float(a))
        if key not in self._flat_cache:
            if len(self._flat_cache) > 4096:
                self._flat_cache.clear()
            dist = self.buyers[index] if side == "B" else self.suppliers[index]
            self._flat_cache[key] = flat_intervals(dist, side == "B", float(a))
        return self._flat_cache[key]

    def _make_engine(self) -> MechanismEngine:
        if self.method == "qmc":
            return QMCEngine(
                self.buyers, self.suppliers, self._allocate_ratios,
                points=self.qmc_points, replicates=self.qmc_replicates, seed=self.seed,
            )
        if self._one_buyer:
            return OneBuyerEngine(
                self.buyers[0], self.suppliers, int(self.buyer_units[0]), self.supplier_units,
                self.preferences, self.discounts, atol=self.atol, rtol=self.rtol, flats=self._flats,
            )
        return SeparableEngine(
            self.buyers, self.suppliers, self.buyer_units, self.supplier_units,
            atol=self.atol, rtol=self.rtol, flats=self._flats,
        )

    def __repr__(self) -> str:
        return (
            f"Market(buyers={self.buyers!r}, suppliers={self.suppliers!r}, "
            f"buyer_units={self.buyer_units.tolist()}, supplier_units={self.supplier_units.tolist()}, "
            f"preferences={None if self.preferences is None else np.asarray(self.preferences).tolist()}, "
            f"method={self.method!r})"
        )

    # ------------------------------------------------------------------------------------------ allocation
    def _allocate_ratios(self, values: np.ndarray, costs: np.ndarray, buyer_ratios: np.ndarray,
                         supplier_ratios: np.ndarray) -> ExPostAllocation:
        phi = np.column_stack(
            [np.asarray(d.virtual_value(values[:, i], weight=float(a)), dtype=float)
             for i, (d, a) in enumerate(zip(self.buyers, buyer_ratios))]
        )
        gamma = np.column_stack(
            [np.asarray(d.virtual_cost(costs[:, j], weight=float(a)), dtype=float)
             for j, (d, a) in enumerate(zip(self.suppliers, supplier_ratios))]
        )
        if self._one_buyer:
            return allocate_one_buyer(
                phi[:, 0], gamma, int(self.buyer_units[0]), self.supplier_units, self.preferences, self.discounts
            )
        return allocate_slots(phi, gamma, self.buyer_units, self.supplier_units)

    def _types(self, x: Any, n_agents: int, dists: Sequence[Any], name: str) -> np.ndarray:
        arr = np.asarray(x, dtype=float)
        if arr.ndim == 1 and n_agents == 1:
            arr = arr[:, None]
        if arr.ndim == 0 and n_agents == 1:
            arr = arr.reshape(1, 1)
        if arr.ndim != 2 or arr.shape[1] != n_agents:
            raise InvalidParameterError(
                f"{name} has shape {arr.shape}; expected (draws, {n_agents}).",
                hint=f"Pass one column per agent ({n_agents}).",
            )
        if not np.all(np.isfinite(arr)):
            raise InvalidParameterError(f"{name} contains NaN or infinite entries.", hint="Pass finite types.")
        for k, d in enumerate(dists):
            col = arr[:, k]
            if np.any(col < d.low - 1e-12 * self.scale) or np.any(col > d.high + 1e-12 * self.scale):
                raise InvalidParameterError(
                    f"{name}[:, {k}] has entries outside the support [{d.low}, {d.high}].",
                    hint="Types must lie in their distribution's support (after outside-option shifts).",
                )
            arr[:, k] = np.clip(col, d.low, d.high)
        return arr

    def allocate(self, values: Any, costs: Any, outcome: BargainingOutcome) -> tuple[np.ndarray, np.ndarray]:
        """Units traded in each draw under ``outcome``'s allocation rule (Lemma 1 / Lemma 2).

        Parameters
        ----------
        values
            Buyers' values, shape (n, n_B) (or (n,) with one buyer).
        costs
            Suppliers' costs, shape (n, n_S) (or (n,) with one supplier).
        outcome
            A :class:`BargainingOutcome` of this market (its weight ratios w / rho define the rule).

        Returns
        -------
        (buyer_quantities (n, n_B), supplier_quantities (n, n_S)) as floats holding integers.
        """
        v = self._types(values, len(self.buyers), self.buyers, "values")
        c = self._types(costs, len(self.suppliers), self.suppliers, "costs")
        if v.shape[0] != c.shape[0]:
            raise InvalidParameterError(
                f"values has {v.shape[0]} rows and costs {c.shape[0]}.", hint="Pass one row per draw in both."
            )
        alloc = self._allocate_ratios(
            v, c, np.asarray(outcome.buyer_weight_ratios, dtype=float), np.asarray(outcome.supplier_weight_ratios, dtype=float)
        )
        return alloc.buyer_units, alloc.supplier_units

    # ------------------------------------------------------------------------------------------ solving
    def bargain(self, buyer_weights: Any, supplier_weights: Any, shares: Any = None) -> BargainingOutcome:
        """Loertscher-Marx outcome for bargaining weights in [0, 1] (at least one positive).

        Parameters
        ----------
        buyer_weights, supplier_weights
            One weight per buyer / supplier (a scalar is used for all). Only ratios matter; they are
            normalized to max 1.
        shares
            Shares eta of a slack budget surplus among the agents with the largest weight: a pair
            (buyer_shares, supplier_shares) or one flat list (buyers first); default equal. Normalized to
            sum 1; a positive share for an agent without the largest weight is an error.
        """
        wb, ws = normalized_weights(buyer_weights, supplier_weights, len(self.buyers), len(self.suppliers))
        eta_b, eta_s = surplus_shares(shares, wb, ws)
        return self._solve(wb, ws, eta_b, eta_s)

    def bargain_delta(self, delta: float, shares: Any = None) -> BargainingOutcome:
        """Outcome when every buyer has weight w_B and every supplier w_S, with Delta = (w_B - w_S)/max."""
        w_b, w_s = weights_from_delta(delta)
        out = self.bargain([w_b] * len(self.buyers), [w_s] * len(self.suppliers), shares=shares)
        return replace_outcome(out, delta=float(delta))

    def _outcome(self, wb: np.ndarray, ws: np.ndarray, t: float, ev: Evaluation, eta_b: np.ndarray, eta_s: np.ndarray,
                 *, binding: bool, t_error: float, slopes: Any, kind: str = "bargaining") -> BargainingOutcome:
        xb, xs = self.buyer_participation_costs, self.supplier_participation_costs
        costs = float(xb.sum() + xs.sum())
        surplus = ev.budget - costs
        pi = max(surplus, 0.0) if not binding else 0.0
        if kind == "first_best":
            fixed_b, fixed_s = np.zeros_like(xb), np.zeros_like(xs)
        else:
            fixed_b, fixed_s = xb + eta_b * pi, xs + eta_s * pi
        buyer_pay = ev.buyer_rent + fixed_b - xb
        supplier_pay = ev.supplier_rent + fixed_s - xs
        accuracy = ev.error
        if slopes is not None:
            ev_lo, ev_hi, dt = slopes
            derivs = [
                (ev_hi.buyer_rent - ev_lo.buyer_rent) / dt,
                (ev_hi.supplier_rent - ev_lo.supplier_rent) / dt,
                np.array([(ev_hi.welfare - ev_lo.welfare) / dt, (ev_hi.budget - ev_lo.budget) / dt]),
            ]
            accuracy += float(max(np.max(np.abs(d)) for d in derivs)) * t_error
        rho = 1.0 / t if t > 0 else math.inf
        rho_accuracy = t_error / t**2 if t > 0 else math.inf
        # the panel limit is only worth a warning when the accuracy actually reached is poor: the requested
        # tolerances (1e-13 absolute) are far below what any use needs
        if not ev.converged and accuracy > 1e-10 * self.scale:
            import warnings

            warnings.warn(
                f"Quadrature stopped at its panel limit; the reported accuracy is {accuracy:.2e}.",
                AccuracyWarning,
                stacklevel=3,
            )
        return BargainingOutcome(
            rho=rho,
            buyer_weights=wb,
            supplier_weights=ws,
            buyer_weight_ratios=wb * t,
            supplier_weight_ratios=ws * t,
            buyer_payoffs=buyer_pay,
            supplier_payoffs=supplier_pay,
            welfare=ev.welfare - costs,
            budget_surplus=surplus,
            expected_trades=ev.expected_trades,
            accuracy=float(accuracy),
            method=ev.method,
            binding=binding,
            rho_accuracy=float(rho_accuracy),
            buyer_shares=eta_b,
            supplier_shares=eta_s,
            buyer_fixed_payments=fixed_b,
            supplier_fixed_payments=fixed_s,
            buyer_rents=ev.buyer_rent,
            supplier_rents=ev.supplier_rent,
            buyer_trades=ev.buyer_trades,
            supplier_trades=ev.supplier_trades,
            kind=kind,
            details=dict(ev.details),
        )

    # ------------------------------------------------------------------------------------------ benchmarks
    def first_best(self) -> BargainingOutcome:
        """Ex post efficient allocation (all weight ratios 1) with worst-off types at payoff 0.

        ``budget_surplus`` is its expected budget surplus net of participation costs; negative values
        are the Myerson-Satterthwaite deficit. ``rho`` is reported as 1 (the constraint is ignored).
        """
        nb, ns = len(self.buyers), len(self.suppliers)
        wb, ws = np.ones(nb), np.ones(ns)
        ev = self._certify(wb, ws, 1.0, self._evaluate(wb, ws, 1.0))
        return self._outcome(wb, ws, 1.0, ev, np.zeros(nb), np.zeros(ns), binding=False, t_error=0.0, slopes=None,
                             kind="first_best")

    def frontier(self, points: int = 101) -> pd.DataFrame:
        """Pareto frontier traced by the bargaining differential Delta on an even grid of [-1, 1].

        Returns a DataFrame with columns delta, buyer_payoff, supplier_payoff (sums over agents), welfare,
        rho, budget_surplus, expected_trades, accuracy. The points are :meth:`bargain_deltas` of the grid
        (solved together, each to the tolerance of a single :meth:`bargain_delta`, with its own accuracy):
        101 points of a one-buyer, one-supplier Beta market cost about four single solves.
        """
        if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 2:
            raise InvalidParameterError(f"points must be an integer >= 2, got {points!r}.", hint="e.g. points=101.")
        if points > MAX_FRONTIER_POINTS:  # refused before the grid is allocated (one solve per point)
            raise InvalidParameterError(
                f"points={points:,} is more than the {MAX_FRONTIER_POINTS:,} frontier points supported.",
                hint="Pass points=101 (or up to 10,001 for a fine plot).",
            )
        grid = np.linspace(-1.0, 1.0, int(points))
        rows = [
            {
                "delta": float(d), "buyer_payoff": out.buyer_payoff, "supplier_payoff": out.supplier_payoff,
                "welfare": out.welfare, "rho": out.rho, "budget_surplus": out.budget_surplus,
                "expected_trades": out.expected_trades, "accuracy": out.accuracy,
            }
            for d, out in zip(grid, self.bargain_deltas(grid), strict=True)
        ]
        return pd.DataFrame(rows)

    def bargain_deltas(self, deltas: Any) -> list[BargainingOutcome]:
        """:meth:`bargain_delta` at several Deltas, each solve warm-started from the ones before it.

        With 12 or more distinct Deltas on a market without ironing or buyer preferences, the root searches
        advance in lockstep and every round is one batched evaluation of all Deltas
        (:mod:`bargaining.models.mechanism.sweep`): t = 1/rho on a subset of the Deltas to about 1e-6, a spline
        of it as the start everywhere, then secant steps at the final tolerances. Otherwise (and at any Delta
        the lockstep leaves) each root search starts from t extrapolated from the points before it on the same
        side of Delta = 0 (with the slope of the budget found there), and each integral from the panels
        accepted at the point before. Either way every point is solved to the tolerance of
        :meth:`bargain_delta` and carries its own accuracy bound.

        Parameters
        ----------
        deltas
            Bargaining differentials in [-1, 1], solved in the order given.

        Returns
        -------
        list of BargainingOutcome
            One outcome per Delta, in the order given.

        Examples
        --------
        >>> market = Market([Uniform(0, 1)], [Uniform(0, 1)])
        >>> [round(float(out.rho), 6) for out in market.bargain_deltas([-0.5, 0.0, 0.5])]
        [1.183013, 1.5, 1.183013]
        >>> round(float(rho_from_delta(0.5)), 6)  # uniform types: the closed form (appendix eq. 38)
        1.183013
        """
        values = np.atleast_1d(np.asarray(deltas, dtype=float))
        if values.ndim != 1 or not np.all(np.isfinite(values)) or np.any(np.abs(values) > 1.0):
            raise InvalidParameterError(
                f"deltas must be numbers in [-1, 1], got {deltas!r}.", hint="e.g. deltas=np.linspace(-1, 1, 21)."
            )
        return self._sweep(values, None)

    def weights_for(self, *, buyer_payoff: float | None = None, supplier_payoff: float | None = None,
                    xtol: float = 1e-12) -> BargainingOutcome:
        """Outcome on the frontier where the buyers' (or suppliers') total payoff equals a target.

        Proposition 2: every Pareto-undominated payoff pair is reached by some weights. With one weight per
        side the frontier is traced by Delta; the buyers' total payoff increases in Delta, so the Delta
        reaching the target is found by Brent's method on [-1, 1] (``xtol`` in Delta). The outcome's
        ``delta``, ``buyer_weights`` and ``supplier_weights`` are the answer.
        """
        if (buyer_payoff is None) == (supplier_payoff is None):
            raise InvalidParameterError("Give exactly one of buyer_payoff and supplier_payoff.", hint="e.g. weights_for(buyer_payoff=0.05).")
        target = float(buyer_payoff if buyer_payoff is not None else supplier_payoff)  # type: ignore[arg-type]
        sign = 1.0 if buyer_payoff is not None else -1.0

        def value(d: float) -> float:
            out = self.bargain_delta(d)
            return sign * ((out.buyer_payoff if sign > 0 else out.supplier_payoff) - target)

        lo, hi = value(-1.0), value(1.0)
        if not math.isfinite(target) or lo > 0 or hi < 0:
            name = "buyer_payoff" if sign > 0 else "supplier_payoff"
            raise InfeasibleProblemError(
                f"{name}={target!r} is not on the frontier traced by Delta in [-1, 1].",
                hint="Pick a value between the payoffs at Delta = -1 and Delta = 1 (see Market.frontier()).",
            )
        if lo == 0:
            return self.bargain_delta(-1.0)
        if hi == 0:
            return self.bargain_delta(1.0)
        d = float(optimize.brentq(value, -1.0, 1.0, xtol=xtol))
        return self.bargain_delta(d)

    def interim_trades(self, outcome: BargainingOutcome, side: str = "buyer", index: int = 0, types: Any = None) -> np.ndarray:
        """Interim expected units Q_i(type) of one agent under ``outcome``'s allocation rule.

        Parameters
        ----------
        side
            "buyer" or "supplier".
        index
            The agent's position in its list.
        types
            Types at which to evaluate (default: 101 points spanning the support).
        """
        if side not in ("buyer", "supplier"):
            raise InvalidParameterError(f"side={side!r} is not known.", hint="Use 'buyer' or 'supplier'.")
        agents = self.buyers if side == "buyer" else self.suppliers
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(agents):
            raise InvalidParameterError(f"index={index!r} is not an agent of that side.", hint=f"Use 0..{len(agents) - 1}.")
        dist = agents[index]
        x = np.linspace(dist.low, dist.high, 101) if types is None else np.asarray(types, dtype=float)
        if not np.all(np.isfinite(x)) or np.any(x < dist.low) or np.any(x > dist.high):
            raise InvalidParameterError("types must be finite and inside the agent's support.", hint=f"Use [{dist.low}, {dist.high}].")
        return self._engine.interim(
            "B" if side == "buyer" else "S", int(index), x,
            np.asarray(outcome.buyer_weight_ratios, dtype=float), np.asarray(outcome.supplier_weight_ratios, dtype=float),
        )

