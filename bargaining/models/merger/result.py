"""The outcome of a merger simulation: :class:`MergerResult` (pre- and post-merger tables, HHI, surplus)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def hhi(shares: np.ndarray, owner: np.ndarray) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale over inside goods (shares renormalized to sum to 1)."""
    inside = shares / shares.sum()
    by_owner = pd.Series(inside * 100.0).groupby(owner).sum()
    return float((by_owner**2).sum())


@dataclass
class MergerResult:
    """Pre- and post-merger equilibria of one market.

    Attributes
    ----------
    params
        The model's parameters (Series): ``alpha``, ``mean_utility[P]``, ``marginal_cost[P]`` (or
        ``upstream_cost[P]`` and ``downstream_cost[P]`` in a chain), ``seller_weight`` (one common weight) or
        ``seller_weight[P]``.
    pre, post
        DataFrames indexed by product: ``price``, ``share``, ``margin`` (and ``wholesale_price``,
        ``wholesale_margin`` in a chain), the owners, and ``price_change`` (relative) in ``post``.
    hhi
        Series ``pre``, ``post``, ``change`` (0-10,000 scale, inside goods; by seller, or in a chain at the level
        whose ownership changed: by retailer unless only sellers changed).
    consumer_surplus_change
        CS(post) - CS(pre) per unit of market size, in money (compensating variation with logit demand).
    converged
        Whether both equilibria solved (residual below the tolerance).
    residual
        The largest equation residual of the two solves, in price units.
    calibration
        A Series describing the calibration (when the market was calibrated): fit residuals, identification.

    Examples
    --------
    >>> demand = LogitDemand(0.2, [2.0, 1.5], outside_price=2.0)
    >>> market = NashInNashMarket(demand, seller=["A", "B"], marginal_cost=[3.0, 4.0], seller_weight=0.5)
    >>> res = market.simulate(seller_post=["A", "A"])
    >>> bool((res.post["price"] > res.pre["price"]).all()), res.converged
    (True, True)
    """

    params: pd.Series
    pre: pd.DataFrame
    post: pd.DataFrame
    hhi: pd.Series
    consumer_surplus_change: float
    converged: bool
    residual: float
    calibration: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """A readable report: header, per-product table, HHI and consumer surplus."""
        chain = "wholesale_price" in self.pre.columns
        lines = ["Merger simulation: Nash-in-Nash bargaining with logit demand"
                 + (" (vertical chain)" if chain else " (sellers and consumers)")]
        lines.append(f"converged: {self.converged}   largest residual: {self.residual:.2e}")
        weight = self.params.filter(like="seller_weight")
        lines.append("seller weight: " + ", ".join(f"{k}={v:.6g}" for k, v in weight.items())
                     + f"   alpha: {self.params['alpha']:.6g}")
        if len(self.calibration):
            lines.append("calibration: " + ", ".join(f"{k}={v}" for k, v in self.calibration.items()))
        columns = ["price", "wholesale_price", "share", "margin"] if chain else ["price", "share", "margin"]
        table = pd.concat({"pre": self.pre[columns], "post": self.post[columns]}, axis=1)
        table[("change", "price")] = self.post["price"] / self.pre["price"] - 1.0
        if chain:
            table[("change", "wholesale_price")] = self.post["wholesale_price"] / self.pre["wholesale_price"] - 1.0
        with pd.option_context("display.width", 160, "display.max_columns", 30):
            lines.append(table.to_string(float_format=lambda x: f"{x:.6g}"))
        lines.append(f"HHI: pre {self.hhi['pre']:.0f}, post {self.hhi['post']:.0f}, change {self.hhi['change']:.0f}")
        lines.append(f"consumer surplus change (per unit of market size): {self.consumer_surplus_change:.6g}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary
