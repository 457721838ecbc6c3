"""Before/after comparisons of a counterfactual on a Loertscher-Marx market (payoffs, welfare, rho, with the
accuracy of every number), and the proposition checks they carry."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bargaining.models.mechanism.market import Market
from bargaining.models.mechanism.outcome import BargainingOutcome

__all__ = ["Condition", "CounterfactualComparison", "describe_market"]

_TOL = 1e-9

@dataclass(frozen=True)
class Condition:
    """One condition of a proposition: its label, whether it holds, and why."""

    label: str
    statement: str
    holds: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "statement": self.statement, "holds": bool(self.holds), "detail": self.detail}


@dataclass(frozen=True)
class CounterfactualComparison:
    """A market before and after a counterfactual change, solved by the same solver.

    Attributes
    ----------
    operation
        What was changed, e.g. "merger of suppliers 1 and 2".
    market_before, market_after
        The two markets (``market_after`` is the remaining market after integration).
    before, after
        Their :class:`BargainingOutcome` at the weights compared.
    first_best_before, first_best_after
        The ex post efficient outcomes of the two markets.
    after_offsets
        Payoff of the integrated firm outside the remaining market (in-house surplus) added to its side
        (buyers, suppliers) after the change; (0, 0) for mergers and power equalization.
    offset_accuracy
        Absolute error bound of the offsets.
    labels_before, labels_after
        Agent names in each market.
    assumptions
        The economics assumed, in words.
    conditions
        The proposition's conditions (Propositions 3 and 7), empty otherwise.
    claim
        What the proposition predicts given the conditions, and whether the numbers agree.

    Examples
    --------
    >>> cmp = compare_merger(Market([Uniform()], [Uniform(), Uniform(), Uniform()]), suppliers=(0, 1))
    >>> cmp.after.welfare < cmp.before.welfare   # fewer independent suppliers
    True
    """

    operation: str
    market_before: Market
    market_after: Market
    before: BargainingOutcome
    after: BargainingOutcome
    first_best_before: BargainingOutcome
    first_best_after: BargainingOutcome
    labels_before: tuple[str, ...]
    labels_after: tuple[str, ...]
    assumptions: tuple[str, ...]
    after_offsets: tuple[float, float] = (0.0, 0.0)
    offset_accuracy: float = 0.0
    conditions: tuple[Condition, ...] = ()
    claim: dict[str, Any] = field(default_factory=dict)

    # --------------------------------------------------------------------------------------------- numbers
    @staticmethod
    def _side_rows(outcome: BargainingOutcome, labels: Sequence[str], offsets: tuple[float, float],
                   offset_labels: tuple[str | None, str | None]) -> dict[str, float]:
        nb = len(outcome.buyer_payoffs)
        pay = list(outcome.buyer_payoffs) + list(outcome.supplier_payoffs)
        rows = {}
        for k, (name, u) in enumerate(zip(labels, pay)):
            extra = offsets[0] if (k < nb and offset_labels[0] == name) else 0.0
            extra += offsets[1] if (k >= nb and offset_labels[1] == name) else 0.0
            rows[f"payoff: {name}"] = float(u) + extra
        return rows

    def _integrated_labels(self) -> tuple[str | None, str | None]:
        buyer = next((name for name in self.labels_after[: len(self.after.buyer_payoffs)] if "+" in name), None)
        supplier = next((name for name in self.labels_after[len(self.after.buyer_payoffs):] if "+" in name), None)
        return buyer, supplier

    @property
    def welfare_before(self) -> float:
        return float(self.before.welfare)

    @property
    def welfare_after(self) -> float:
        return float(self.after.welfare) + float(sum(self.after_offsets))

    @property
    def welfare_change(self) -> float:
        return self.welfare_after - self.welfare_before

    @property
    def accuracy(self) -> float:
        """Absolute error bound of every payoff and welfare number in the comparison."""
        return float(self.before.accuracy + self.after.accuracy + self.offset_accuracy
                     + self.first_best_before.accuracy + self.first_best_after.accuracy)

    def to_frame(self) -> pd.DataFrame:
        """One row per quantity; columns before, after, change, accuracy (absolute error bound of the change)."""
        b, a = self.before, self.after
        rows_b = self._side_rows(b, self.labels_before, (0.0, 0.0), (None, None))
        rows_a = self._side_rows(a, self.labels_after, self.after_offsets, self._integrated_labels())
        acc_b, acc_a = float(b.accuracy), float(a.accuracy) + self.offset_accuracy
        nb_b, nb_a = len(b.buyer_payoffs), len(a.buyer_payoffs)
        names = list(dict.fromkeys([*rows_b, *rows_a]))
        records = []
        for name in names:
            records.append((name, rows_b.get(name, math.nan), rows_a.get(name, math.nan), acc_b + acc_a))
        buyers_a = float(np.sum(a.buyer_payoffs)) + self.after_offsets[0]
        suppliers_a = float(np.sum(a.supplier_payoffs)) + self.after_offsets[1]
        fb_b, fb_a = float(self.first_best_before.welfare), float(self.first_best_after.welfare) + sum(self.after_offsets)
        fb_acc = float(self.first_best_before.accuracy + self.first_best_after.accuracy) + self.offset_accuracy
        short_b = min(float(np.sum(self.market_before.buyer_units)), float(np.sum(self.market_before.supplier_units)))
        short_a = min(float(np.sum(self.market_after.buyer_units)), float(np.sum(self.market_after.supplier_units)))
        records += [
            ("buyers' payoff (sum)", float(np.sum(b.buyer_payoffs)), buyers_a, acc_b + acc_a),
            ("suppliers' payoff (sum)", float(np.sum(b.supplier_payoffs)), suppliers_a, acc_b + acc_a),
            ("welfare", self.welfare_before, self.welfare_after, acc_b + acc_a),
            ("first-best welfare", fb_b, fb_a, fb_acc),
            ("share of first best", self.welfare_before / fb_b if fb_b > 0 else math.nan,
             self.welfare_after / fb_a if fb_a > 0 else math.nan, (acc_b + acc_a + fb_acc) / max(min(fb_b, fb_a), 1e-300)),
            ("expected trades", float(b.expected_trades), float(a.expected_trades), acc_b + acc_a),
            ("trade rate", float(b.expected_trades) / short_b, float(a.expected_trades) / short_a,
             acc_b / short_b + acc_a / short_a),
            ("rho", float(b.rho), float(a.rho), float(b.rho_accuracy + a.rho_accuracy)),
            ("budget surplus", float(b.budget_surplus), float(a.budget_surplus), acc_b + acc_a),
        ]
        del nb_b, nb_a
        frame = pd.DataFrame(records, columns=["quantity", "before", "after", "accuracy"]).set_index("quantity")
        frame.insert(2, "change", frame["after"] - frame["before"])
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary: the markets, both outcomes, the table, assumptions and conditions."""
        frame = self.to_frame()
        return {
            "operation": self.operation,
            "assumptions": list(self.assumptions),
            "before": {"market": describe_market(self.market_before, self.labels_before, self.before),
                       "outcome": self.before.to_dict()},
            "after": {"market": describe_market(self.market_after, self.labels_after, self.after),
                      "outcome": self.after.to_dict(), "offsets": list(self.after_offsets)},
            "comparison": {str(k): {c: float(v) for c, v in row.items()} for k, row in frame.iterrows()},
            "conditions": [c.to_dict() for c in self.conditions],
            "claim": dict(self.claim),
            "accuracy": self.accuracy,
        }

    def __str__(self) -> str:
        frame = self.to_frame()
        lines = [self.operation, "=" * len(self.operation)]
        lines += [f"  before: {', '.join(self.labels_before)}", f"  after:  {', '.join(self.labels_after)}", ""]
        with pd.option_context("display.float_format", lambda v: f"{v:.6g}", "display.width", 120):
            lines.append(frame.to_string())
        if self.conditions:
            lines += ["", "conditions:"]
            lines += [f"  {c.label:<6}{'holds' if c.holds else 'FAILS':<7}{c.statement}: {c.detail}" for c in self.conditions]
        if self.claim:
            lines += ["", "claim: " + str(self.claim.get("text", ""))]
        lines += ["", "assumptions:"] + [f"  - {s}" for s in self.assumptions]
        return "\n".join(lines)


def describe_market(market: Market, labels: Sequence[str], outcome: BargainingOutcome | None = None) -> list[dict[str, Any]]:
    """One dictionary per agent: name, side, type distribution, support, units and weight."""
    rows = []
    nb = len(market.buyers)
    agents = list(market.buyers) + list(market.suppliers)
    units = list(market.buyer_units) + list(market.supplier_units)
    weights = (list(outcome.buyer_weights) + list(outcome.supplier_weights)) if outcome is not None else [None] * len(agents)
    for k, (name, d, u, w) in enumerate(zip(labels, agents, units, weights)):
        rows.append({
            "agent": name, "side": "buyer" if k < nb else "supplier",
            "distribution": str(getattr(d, "name", None) or repr(d)), "low": float(d.low), "high": float(d.high),
            "units": int(u), "weight": None if w is None else float(w),
        })
    return rows
