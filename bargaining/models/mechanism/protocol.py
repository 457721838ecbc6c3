"""The contract between :class:`~bargaining.models.mechanism.market.Market` and its evaluation engines.

The market owns everything about the problem that does not depend on how integrals are computed: the
checks of its inputs, the search for rho, fixed payments, accuracy and warnings. An *engine* owns the
numerics: for weight ratios a = w / rho it returns the expected quantities of the allocation rule that
trades between the highest ironed weighted virtual values Phi_a and the lowest virtual costs Gamma_a.

Three engines implement :class:`MechanismEngine`:

* :class:`~bargaining.models.mechanism.engines.SeparableEngine`: quadrature, 1-D integrals of closed-form
  interim allocations (any numbers of buyers and suppliers, capacities).
* :class:`~bargaining.models.mechanism.engines.OneBuyerEngine`: quadrature for one buyer with preferences
  theta and discounts; 1-D with a common theta, 2-D (over the buyer's value and a supplier's cost) with
  different theta_j.
* :class:`~bargaining.models.mechanism.qmc.QMCEngine`: randomized quasi-Monte Carlo (fallback, cross-check).

The market calls only what the protocol lists, so a new engine needs nothing else to plug in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

__all__ = ["Evaluation", "MechanismEngine", "Side"]

Side = Literal["B", "S"]
"""Which side an agent is on: "B" for a buyer, "S" for a supplier."""


@dataclass
class Evaluation:
    """Expected quantities of one allocation (weight ratios fixed), per agent, with error bounds.

    ``buyer_gross`` is E[theta_X v] (E[v Q] without preferences); ``buyer_rent`` E[theta_X (1 - F)/f];
    ``supplier_cost`` E[c Q]; ``supplier_rent`` E[G/g Q]. ``error`` bounds the absolute error of every
    aggregate (welfare, budget, rents) from the quadrature.
    """

    buyer_trades: np.ndarray
    buyer_gross: np.ndarray
    buyer_rent: np.ndarray
    supplier_trades: np.ndarray
    supplier_cost: np.ndarray
    supplier_rent: np.ndarray
    error: float
    converged: bool = True
    method: str = "quadrature"
    details: dict[str, Any] = field(default_factory=dict)

    # cached: root searches read the budget of each evaluation many times, and the arrays are never modified
    @cached_property
    def welfare(self) -> float:
        return float(self.buyer_gross.sum() - self.supplier_cost.sum())

    @cached_property
    def budget(self) -> float:
        return float(self.welfare - self.buyer_rent.sum() - self.supplier_rent.sum())

    @property
    def expected_trades(self) -> float:
        return float(np.sum(self.supplier_trades))


@runtime_checkable
class MechanismEngine(Protocol):
    """What :class:`~bargaining.models.mechanism.market.Market` asks of an evaluation engine.

    An engine is built once per market (with the market's agents, capacities and tolerances) and is then
    asked about many weight ratios: the root search for rho evaluates it at a = t w for several t in
    [0, 1]. Both methods must be deterministic functions of their arguments (a QMC engine fixes its draws
    when it is built), so that the budget surplus is a well-defined function of t.

    Attributes
    ----------
    method
        Name of the numerical method, reported on the outcome: "quadrature" or "qmc".
    """

    method: str

    def evaluate(self, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray) -> Evaluation:
        """Expected trades, gross values, costs and information rents of every agent.

        Parameters
        ----------
        buyer_ratios, supplier_ratios
            Weight ratios a = w / rho in [0, 1], one per buyer / supplier: the allocation trades between
            the ironed virtual types Phi_a and Gamma_a.

        Returns
        -------
        Evaluation
            Per-agent expectations with ``error``, an absolute error bound of every aggregate, and
            ``converged`` False when the integration stopped at a limit before reaching its tolerance.
        """
        ...

    def interim(
        self, side: Side, i: int, types: np.ndarray, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray
    ) -> np.ndarray:
        """Interim expected units Q_i(type) = E[units of agent i | own type] at each of ``types``.

        Parameters
        ----------
        side
            "B" (agent i is the i-th buyer) or "S" (the i-th supplier).
        i
            The agent's index on its side.
        types
            Types inside the agent's support (any shape; the result has the same shape).
        buyer_ratios, supplier_ratios
            Weight ratios a = w / rho, as in :meth:`evaluate`.
        """
        ...
