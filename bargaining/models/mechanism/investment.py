"""Investment before bargaining (Loertscher and Marx, 2022, appendix Proposition 8, eq. 22-33).

Each agent chooses an investment e that shifts its type distribution, F_i(x; e) for a buyer and G_j(x; e) for a
supplier, at a cost Psi(e). Investments are chosen before types are drawn and are not observed by the
mechanism, so the bargaining mechanism is the Loertscher-Marx outcome for the *anticipated* investments e-bar
(virtual types and rho computed from F(.; e-bar), G(.; e-bar)). An agent that deviates keeps facing that
mechanism; by payoff equivalence (eq. 22-24) its expected payoff is, up to a constant it cannot affect,

    buyer i:     int q_i(x) (1 - F_i(x; e_i)) dx - Psi_i(e_i)
    supplier j:  int q_j(x) G_j(x; e_j) dx - Psi_j(e_j)

over the support, where q is the agent's interim expected quantity under the mechanism for e-bar
(:meth:`Market.interim_trades`). A Nash equilibrium e-bar is a fixed point of these best responses; it is found
by best-response iteration. First-best investments maximize first-best welfare (ex post efficient trade given
the investments) minus the sum of Psi (eq. 25-26).

Assumptions (the appendix's eq. 9-10 and what it is silent on):

* Investment moves mass within a fixed support (eq. 23-24 integrate over a support that does not depend on
  e); checked at the ends and the middle of the investment range. A location shift that moves the support is
  therefore not accepted: shift mass instead, e.g. ``lambda e: Beta(1 + e, 1, low, high)`` (values rise in e).
* Payoffs are concave in own investment (eq. 9-10), so each best response is the maximizer found by bounded
  Brent search; the equilibrium found is the one reached from the first-best investments.
* Weights and capacities do not depend on investment; markets with preferences or participation costs are not
  supported.

Proposition 8: with Delta = 0 the first-best investments are an equilibrium when the mechanism is ex post
efficient at them (values above costs and, with unequal total units, symmetric agents on the long side);
otherwise, e.g. with overlapping supports, agents under-invest (q is below its first-best counterpart).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from bargaining.errors import InvalidParameterError
from bargaining.models.mechanism.market import Market
from bargaining.models.mechanism.outcome import BargainingOutcome

__all__ = ["InvestmentGame", "InvestmentResult"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)


def _callables(items: Any, name: str) -> list[Callable[..., Any]]:
    out = list(items) if isinstance(items, (list, tuple)) else [items]
    if not out or not all(callable(f) for f in out):
        raise InvalidParameterError(f"{name} must be a list of functions of the investment e.",
                                    hint=f"e.g. {name}=[lambda e: Beta(1 + e, 1)].")
    return out


@dataclass(frozen=True)
class InvestmentResult:
    """First-best and equilibrium investments and the welfare lost to under-investment.

    Attributes
    ----------
    labels
        Agent names (buyers, then suppliers).
    first_best, equilibrium
        Investments, one per agent.
    welfare_first_best
        First-best welfare at the first-best investments, minus investment costs.
    welfare_first_best_at_equilibrium
        First-best (ex post efficient) welfare at the equilibrium investments, minus their costs.
    welfare_equilibrium
        Bargaining welfare at the equilibrium investments, minus their costs.
    loss_from_underinvestment
        welfare_first_best - welfare_first_best_at_equilibrium (>= 0).
    loss_from_bargaining
        welfare_first_best_at_equilibrium - welfare_equilibrium (the allocation loss at those investments).
    outcome
        The bargaining outcome at the equilibrium investments.
    marginal_payoffs
        Each agent's derivative of its payoff net of Psi at the equilibrium (first-order conditions, ~0 inside
        the investment range).
    iterations, converged
        Best-response iterations and whether the investments moved less than ``xtol``.
    accuracy
        Error bound of the welfare numbers (solver accuracy plus the quadrature of eq. 23-24).

    Examples
    --------
    Hold-up: a supplier lowers its costs by investing e at cost Psi(e) = e^2 / 20 (its cost distribution
    is truncated exponential on [0, 1] with scale 1 / (1 + e)); the buyer's values are uniform and it has
    nothing to invest in (investing costs e and changes nothing, so it stays at 0). Bargaining leaves the
    supplier only part of the gains its investment creates, so it invests about half of the first-best
    amount:

    >>> game = InvestmentGame([lambda e: Uniform()], [lambda e: TruncatedExponential(1 / (1 + e))],
    ...                       [lambda e: e], [lambda e: 0.05 * e**2], bounds=(0.0, 2.0), panels=16,
    ...                       xtol=1e-4)
    >>> result = game.solve()
    >>> result.to_frame()[["first_best", "equilibrium", "under_investment"]].round(3)
                first_best  equilibrium  under_investment
    agent
    buyer 1          0.000         0.00             0.000
    supplier 1       0.414         0.22             0.193

    Welfare net of investment costs falls from 0.2178 (first best) to 0.2158 through under-investment and
    to 0.1854 through the bargaining allocation at those investments:

    >>> round(result.loss_from_underinvestment, 4), round(result.loss_from_bargaining, 4), result.converged
    (0.0019, 0.0305, True)
    """

    labels: tuple[str, ...]
    first_best: np.ndarray
    equilibrium: np.ndarray
    welfare_first_best: float
    welfare_first_best_at_equilibrium: float
    welfare_equilibrium: float
    outcome: BargainingOutcome
    marginal_payoffs: np.ndarray
    iterations: int
    converged: bool
    accuracy: float

    @property
    def under_investment(self) -> np.ndarray:
        return self.first_best - self.equilibrium

    @property
    def loss_from_underinvestment(self) -> float:
        return self.welfare_first_best - self.welfare_first_best_at_equilibrium

    @property
    def loss_from_bargaining(self) -> float:
        return self.welfare_first_best_at_equilibrium - self.welfare_equilibrium

    def to_frame(self) -> pd.DataFrame:
        """One row per agent: first-best and equilibrium investment, under-investment, marginal payoff."""
        return pd.DataFrame({
            "agent": list(self.labels), "first_best": self.first_best, "equilibrium": self.equilibrium,
            "under_investment": self.under_investment, "marginal_payoff": self.marginal_payoffs,
        }).set_index("agent")

    def to_dict(self) -> dict[str, Any]:
        return {
            "investments": {k: {c: float(v) for c, v in row.items()} for k, row in self.to_frame().iterrows()},
            "welfare_first_best": self.welfare_first_best,
            "welfare_first_best_at_equilibrium": self.welfare_first_best_at_equilibrium,
            "welfare_equilibrium": self.welfare_equilibrium,
            "loss_from_underinvestment": self.loss_from_underinvestment,
            "loss_from_bargaining": self.loss_from_bargaining,
            "rho": self.outcome.rho, "iterations": self.iterations, "converged": self.converged,
            "accuracy": self.accuracy,
        }

    def __str__(self) -> str:
        lines = ["Investment before bargaining (appendix Proposition 8)", ""]
        with pd.option_context("display.float_format", lambda v: f"{v:.6g}"):
            lines.append(self.to_frame().to_string())
        lines += [
            "",
            f"welfare, first-best investments and trade     {self.welfare_first_best:.8g}",
            f"welfare, equilibrium investments, efficient   {self.welfare_first_best_at_equilibrium:.8g}",
            f"welfare, equilibrium investments, bargaining  {self.welfare_equilibrium:.8g}",
            f"lost to under-investment                      {self.loss_from_underinvestment:.3g}",
            f"lost in bargaining at those investments       {self.loss_from_bargaining:.3g}",
            f"accuracy (absolute error bound)               {self.accuracy:.2g}",
            f"best-response iterations {self.iterations} ({'converged' if self.converged else 'NOT converged'})",
        ]
        return "\n".join(lines)


class InvestmentGame:
    """Agents invest in their type distributions, then bargain (Proposition 8).

    Parameters
    ----------
    buyers, suppliers
        One function per agent mapping an investment e to its type distribution F(.; e) / G(.; e), on a support
        that does not depend on e.
    buyer_costs, suppliers_costs
        Psi(e), one function per agent (increasing, convex).
    bounds
        Investment range (low, high), one pair for all agents or one per agent (buyers, then suppliers).
    buyer_weights, supplier_weights
        Bargaining weights (default equal, Delta = 0).
    buyer_units, supplier_units
        Capacities, as in :class:`Market`.
    panels
        Gauss-Legendre panels (8 nodes each) for the integrals of eq. 23-24.

    Examples
    --------
    Proposition 8 when every pair trades: values uniform on [1, 2] lie above all costs, and a supplier
    lowers its costs (truncated exponential on [0, 1] with scale 1 / (1 + e)) at cost Psi(e) = e^2 / 20.
    Trade is ex post efficient, so the supplier invests the first-best amount, which solves
    -d E[c; e] / de = e / 10, i.e. 1 / (1 + e)^2 - exp(1 + e) / (exp(1 + e) - 1)^2 = e / 10:

    >>> game = InvestmentGame([lambda e: Uniform(1, 2)], [lambda e: TruncatedExponential(1 / (1 + e))],
    ...                       [lambda e: e], [lambda e: 0.05 * e**2], bounds=(0.0, 2.0), panels=16,
    ...                       xtol=1e-4)
    >>> result = game.solve()
    >>> round(float(result.first_best[1]), 4), round(float(result.equilibrium[1]), 4)
    (0.7228, 0.7228)
    >>> from scipy.optimize import brentq
    >>> foc = lambda e: 1 / (1 + e) ** 2 - np.exp(1 + e) / np.expm1(1 + e) ** 2 - e / 10
    >>> round(brentq(foc, 0.1, 2.0), 4)
    0.7228

    With values uniform on [0, 1] the supports overlap and the same supplier under-invests
    (:class:`InvestmentResult`).
    """

    def __init__(self, buyers: Any, suppliers: Any, buyer_costs: Any, supplier_costs: Any, *,
                 bounds: Any = (0.0, 1.0), buyer_weights: Any = None, supplier_weights: Any = None,
                 buyer_units: Any = None, supplier_units: Any = None, panels: int = 128,
                 xtol: float = 1e-8, max_iter: int = 100) -> None:
        self.families = _callables(buyers, "buyers") + _callables(suppliers, "suppliers")
        self.n_buyers = len(_callables(buyers, "buyers"))
        self.costs = _callables(buyer_costs, "buyer_costs") + _callables(supplier_costs, "supplier_costs")
        n = len(self.families)
        if len(self.costs) != n:
            raise InvalidParameterError(f"{len(self.costs)} cost functions for {n} agents.", hint="Give one Psi per agent.")
        b = np.asarray(bounds, dtype=float)
        b = np.broadcast_to(b, (n, 2)) if b.shape == (2,) else b
        if b.shape != (n, 2) or not np.all(np.isfinite(b)) or np.any(b[:, 0] >= b[:, 1]):
            raise InvalidParameterError(f"bounds must be (low, high) with low < high, or one pair per agent; got {bounds!r}.",
                                        hint="e.g. bounds=(0.0, 1.0).")
        self.bounds = b.copy()
        self.buyer_units, self.supplier_units = buyer_units, supplier_units
        self.buyer_weights, self.supplier_weights = buyer_weights, supplier_weights
        self.panels, self.xtol, self.max_iter = int(panels), float(xtol), int(max_iter)
        self.labels = tuple([f"buyer {k + 1}" for k in range(self.n_buyers)]
                            + [f"supplier {k + 1}" for k in range(n - self.n_buyers)])
        self._supports = []
        for k, fam in enumerate(self.families):
            ends = {(round(float(d.low), 12), round(float(d.high), 12))
                    for d in (fam(e) for e in (self.bounds[k, 0], self.bounds[k, :].mean(), self.bounds[k, 1]))}
            if len(ends) != 1:
                raise InvalidParameterError(
                    f"The support of {self.labels[k]}'s distribution changes with investment: {sorted(ends)}.",
                    hint="Investment must move mass within a fixed support (eq. 23-24), e.g. lambda e: Beta(1 + e, 1, low, high).",
                )
            self._supports.append(ends.pop())

    # ------------------------------------------------------------------------------------------ pieces
    def market(self, e: Any) -> Market:
        """The market when investments are ``e`` (buyers, then suppliers)."""
        e = np.asarray(e, dtype=float)
        dists = [fam(float(x)) for fam, x in zip(self.families, e)]
        return Market(dists[: self.n_buyers], dists[self.n_buyers:], buyer_units=self.buyer_units,
                      supplier_units=self.supplier_units)

    def _psi(self, e: np.ndarray) -> float:
        return float(sum(float(c(float(x))) for c, x in zip(self.costs, e)))

    def first_best_welfare(self, e: Any) -> tuple[float, float]:
        """(first-best welfare minus investment costs, accuracy) at investments ``e``."""
        fb = self.market(e).first_best()
        return float(fb.welfare) - self._psi(np.asarray(e, dtype=float)), float(fb.accuracy)

    def _nodes(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        low, high = self._supports[k]
        edges = np.linspace(low, high, self.panels + 1)
        half = 0.5 * np.diff(edges)
        mid = 0.5 * (edges[1:] + edges[:-1])
        return (mid[:, None] + half[:, None] * _NODES).ravel(), (half[:, None] * _WEIGHTS).ravel()

    def interim(self, anticipated: Any, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Agent k's interim quantity q under the mechanism for ``anticipated``: (nodes, weights, q)."""
        market = self.market(anticipated)
        outcome = market.bargain(*self._weights(market))
        x, w = self._nodes(k)
        side = "buyer" if k < self.n_buyers else "supplier"
        index = k if k < self.n_buyers else k - self.n_buyers
        return x, w, np.asarray(market.interim_trades(outcome, side, index, x), dtype=float)

    def _weights(self, market: Market) -> tuple[Any, Any]:
        wb = self.buyer_weights if self.buyer_weights is not None else [1.0] * len(market.buyers)
        ws = self.supplier_weights if self.supplier_weights is not None else [1.0] * len(market.suppliers)
        return wb, ws

    def _payoff_from(self, k: int, e_k: float, x: np.ndarray, w: np.ndarray, q: np.ndarray) -> float:
        dist = self.families[k](float(e_k))
        mass = np.asarray(dist.sf(x), dtype=float) if k < self.n_buyers else np.asarray(dist.cdf(x), dtype=float)
        return float(np.sum(w * q * mass)) - float(self.costs[k](float(e_k)))

    def payoff(self, k: int, e_k: float, anticipated: Any) -> float:
        """Agent k's expected payoff net of Psi from investing ``e_k`` against the mechanism for ``anticipated``.

        Eq. 23 (buyer: int q (1 - F(.; e_k))) or eq. 24 (supplier: int q G(.; e_k)), up to a constant that
        does not depend on e_k.
        """
        x, w, q = self.interim(anticipated, k)
        return self._payoff_from(k, e_k, x, w, q)

    # ------------------------------------------------------------------------------------------ solutions
    def first_best(self) -> np.ndarray:
        """First-best investments: coordinate ascent on first-best welfare minus costs (bounded Brent)."""
        e = self.bounds.mean(axis=1)
        for _ in range(self.max_iter):
            previous = e.copy()
            for k in range(len(e)):
                def objective(t: float, k: int = k) -> float:
                    trial = e.copy()
                    trial[k] = t
                    return -self.first_best_welfare(trial)[0]
                e[k] = optimize.minimize_scalar(objective, bounds=tuple(self.bounds[k]), method="bounded",
                                                options={"xatol": self.xtol}).x
            if np.max(np.abs(e - previous)) < 10 * self.xtol:
                break
        return e

    def best_responses(self, anticipated: Any) -> np.ndarray:
        """Each agent's best investment against the mechanism designed for ``anticipated``."""
        anticipated = np.asarray(anticipated, dtype=float)
        out = anticipated.copy()
        for k in range(len(anticipated)):
            x, w, q = self.interim(anticipated, k)
            out[k] = optimize.minimize_scalar(lambda t, k=k, x=x, w=w, q=q: -self._payoff_from(k, t, x, w, q),
                                              bounds=tuple(self.bounds[k]), method="bounded",
                                              options={"xatol": self.xtol}).x
        return out

    def solve(self) -> InvestmentResult:
        """First-best investments, the equilibrium reached by best responses from them, and the welfare lost."""
        e_fb = self.first_best()
        e = e_fb.copy()
        converged, iterations = False, 0
        for iterations in range(1, self.max_iter + 1):
            new = self.best_responses(e)
            step = float(np.max(np.abs(new - e)))
            e = new
            if step < 10 * self.xtol:
                converged = True
                break
        market = self.market(e)
        outcome = market.bargain(*self._weights(market))
        w_fb, acc_fb = self.first_best_welfare(e_fb)
        w_fb_eq, acc_fb_eq = self.first_best_welfare(e)
        psi = self._psi(e)
        marginal = np.empty(len(e))
        for k in range(len(e)):
            x, w, q = self.interim(e, k)
            h = 1e-5 * (self.bounds[k, 1] - self.bounds[k, 0])
            lo, hi = max(e[k] - h, self.bounds[k, 0]), min(e[k] + h, self.bounds[k, 1])
            marginal[k] = (self._payoff_from(k, hi, x, w, q) - self._payoff_from(k, lo, x, w, q)) / (hi - lo)
        quad_error = self._quadrature_error(e)
        accuracy = float(outcome.accuracy + acc_fb + acc_fb_eq + quad_error)
        return InvestmentResult(
            labels=self.labels, first_best=e_fb, equilibrium=e,
            welfare_first_best=w_fb, welfare_first_best_at_equilibrium=w_fb_eq,
            welfare_equilibrium=float(outcome.welfare) - psi, outcome=outcome, marginal_payoffs=marginal,
            iterations=iterations, converged=converged, accuracy=accuracy,
        )

    def _quadrature_error(self, e: np.ndarray) -> float:
        """Difference between the payoff integrals with ``panels`` and ``panels // 2`` panels (an error estimate)."""
        worst = 0.0
        for k in range(len(e)):
            x, w, q = self.interim(e, k)
            fine = self._payoff_from(k, e[k], x, w, q)
            saved = self.panels
            try:
                self.panels = max(saved // 2, 1)
                xc, wc, qc = self.interim(e, k)
            finally:
                self.panels = saved
            worst = max(worst, abs(fine - self._payoff_from(k, e[k], xc, wc, qc)))
        return worst if math.isfinite(worst) else math.inf
