"""What :meth:`Market.bargain <bargaining.models.mechanism.market.Market.bargain>` returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["BargainingOutcome", "replace_outcome"]


@dataclass(frozen=True)
class BargainingOutcome:
    """Loertscher-Marx outcome for given weights (or the first best).

    Attributes
    ----------
    rho
        Multiplier rho^w of the no-deficit constraint with weights normalized to max 1 (1 when slack).
    buyer_weights, supplier_weights
        Normalized weights w (max 1).
    buyer_weight_ratios, supplier_weight_ratios
        w / rho: the weights of the virtual types Phi_{w/rho}, Gamma_{w/rho} that define the allocation.
    buyer_payoffs, supplier_payoffs
        Expected payoffs (information rent + fixed payment - participation cost).
    welfare
        Expected gains from trade minus participation costs (= sum of payoffs + unpaid budget surplus).
    budget_surplus
        Expected budget surplus E[sum Phi Q^B - sum Gamma Q^S] minus participation costs: ~0 when the
        constraint binds, pi > 0 when slack, negative for the first best (Myerson-Satterthwaite deficit).
    expected_trades
        Expected number of units traded.
    accuracy
        Absolute error bound of payoffs, welfare and budget surplus.
    method
        "quadrature" or "qmc".
    binding
        Whether the no-deficit constraint binds (rho > max w).

    Examples
    --------
    >>> out = Market([Uniform()], [Uniform()]).bargain_delta(0.0)
    >>> round(out.rho, 6), round(out.expected_trades, 6)   # second best: trade iff v - c >= 1/4
    (1.5, 0.28125)
    """

    rho: float
    buyer_weights: np.ndarray
    supplier_weights: np.ndarray
    buyer_weight_ratios: np.ndarray
    supplier_weight_ratios: np.ndarray
    buyer_payoffs: np.ndarray
    supplier_payoffs: np.ndarray
    welfare: float
    budget_surplus: float
    expected_trades: float
    accuracy: float
    method: str
    binding: bool
    rho_accuracy: float
    buyer_shares: np.ndarray
    supplier_shares: np.ndarray
    buyer_fixed_payments: np.ndarray
    supplier_fixed_payments: np.ndarray
    buyer_rents: np.ndarray
    supplier_rents: np.ndarray
    buyer_trades: np.ndarray
    supplier_trades: np.ndarray
    delta: float | None = None
    kind: str = "bargaining"
    details: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def buyer_payoff(self) -> float:
        """Sum of the buyers' expected payoffs."""
        return float(np.sum(self.buyer_payoffs))

    @property
    def supplier_payoff(self) -> float:
        """Sum of the suppliers' expected payoffs."""
        return float(np.sum(self.supplier_payoffs))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (arrays as lists)."""
        out = asdict(self)
        out.pop("details", None)
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in out.items()}


def replace_outcome(outcome: BargainingOutcome, **changes: Any) -> BargainingOutcome:
    """A copy of ``outcome`` with some fields changed (the outcome is frozen)."""
    return replace(outcome, **changes)
