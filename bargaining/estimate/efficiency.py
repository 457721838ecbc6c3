"""Where observed bargaining outcomes sit relative to the Pareto (Williams) frontier and the first best.

For one buyer with values F and one seller with costs G, :class:`~bargaining.models.mechanism.Market`
gives the frontier of Loertscher-Marx outcomes over Delta in [-1, 1] (expected buyer and seller payoffs,
welfare = expected gains from trade) and the first best (ex post efficient trade, which runs the
Myerson-Satterthwaite deficit). :func:`efficiency_report` compares the data with them:

* trade rate P-hat = mean(traded) and, with values and costs, realized gains W-hat = mean(traded (v - c));
  with prices also the payoffs mean(traded (v - p)) and mean(traded (p - c)) (standard errors of means);
* share of the first-best surplus lost, 1 - W-hat / W*, and the part of it that no budget-balanced
  mechanism could recover, (W* - W^SB) / W* with W^SB the frontier's maximal welfare (Delta = 0 for
  bilateral trade with equal weights);
* implied Delta: the frontier point nearest to the data's payoffs (with prices), or the two Deltas whose
  frontier welfare equals W-hat (without prices, welfare does not tell the sides apart), or the estimate
  of a fit passed as ``estimate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import DataValidationError, InvalidParameterError

__all__ = ["EfficiencyReport", "efficiency_report"]


@dataclass
class EfficiencyReport:
    """Comparison of observed outcomes with the frontier and the first best (see the module docstring).

    Attributes
    ----------
    table
        DataFrame indexed by quantity (trade_probability, gains_from_trade, buyer_payoff, seller_payoff) with
        columns ``data``, ``std_error``, ``frontier_at_delta`` (the Loertscher-Marx outcome at the implied
        Delta), ``second_best`` (the frontier's welfare maximum) and ``first_best``.
    share_lost
        1 - W-hat / W* (NaN without values and costs).
    share_unavoidable
        (W* - W^SB) / W*: the loss of the best budget-balanced bargaining outcome.
    implied_delta
        Delta of the frontier point matching the data (NaN if none can be implied).
    implied_delta_candidates
        Both solutions when only welfare is observed (negative, positive), else empty.
    inside_frontier
        Whether some frontier point gives both sides at least their observed payoffs (None without prices).
    frontier
        The frontier DataFrame (delta, buyer_payoff, supplier_payoff, welfare, rho).

    Examples
    --------
    Negotiations simulated with Delta = 0.5 and uniform types, values, costs and prices observed. The
    second best loses (1/6 - 9/64) / (1/6) = 15.6% of the first-best surplus; the data lose a little more,
    and the frontier point nearest to the data's payoffs sits at the true Delta:

    >>> df = simulate("negotiations", n=2000, seed=0, delta=0.5).data
    >>> report = efficiency_report(Uniform(), Uniform(), df, traded="traded", value="value", cost="cost",
    ...                            price="price", points=21)
    >>> report.table[["data", "std_error", "frontier_at_delta"]].round(3)
                        data  std_error  frontier_at_delta
    trade_probability  0.268      0.010              0.274
    gains_from_trade   0.136      0.005              0.137
    buyer_payoff       0.079      0.003              0.079
    seller_payoff      0.057      0.002              0.058
    >>> round(report.share_lost, 3), round(report.share_unavoidable, 5), round(report.implied_delta, 2)
    (0.184, 0.15625, 0.51)
    >>> report.inside_frontier
    True
    """

    table: pd.DataFrame
    share_lost: float
    share_unavoidable: float
    implied_delta: float
    implied_delta_candidates: tuple[float, ...]
    inside_frontier: bool | None
    frontier: pd.DataFrame
    first_best_welfare: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        from bargaining.estimate.results import jsonable

        return jsonable(
            {
                "table": {k: dict(row) for k, row in self.table.iterrows()},
                "share_lost": self.share_lost,
                "share_unavoidable": self.share_unavoidable,
                "implied_delta": self.implied_delta,
                "implied_delta_candidates": list(self.implied_delta_candidates),
                "inside_frontier": self.inside_frontier,
                "notes": self.notes,
            }
        )

    def summary(self) -> str:
        """Readable text."""
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            body = self.table.to_string(float_format=lambda x: f"{x:.6g}")
        lines = ["Efficiency of observed bargaining outcomes", "=" * 44, body, "-" * 44]
        lines.append(f"Share of first-best surplus lost:         {self.share_lost:.4g}")
        lines.append(f"  of which unavoidable (second best):     {self.share_unavoidable:.4g}")
        if self.implied_delta_candidates:
            cands = ", ".join(f"{d:+.4f}" for d in self.implied_delta_candidates)
            lines.append(f"Implied Delta (welfare only, either):     {cands}")
        else:
            lines.append(f"Implied Delta:                            {self.implied_delta:+.4f}")
        if self.inside_frontier is not None:
            lines.append(
                f"Observed payoffs inside the frontier:     {'yes' if self.inside_frontier else 'no'}"
            )
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax: Any = None) -> Any:
        """Frontier (buyer vs seller payoff), the first-best iso-welfare line and the data point (+- 1.96 se).

        Returns the matplotlib Axes (matplotlib is imported here: an optional dependency).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5))
        f = self.frontier
        ax.plot(
            f["buyer_payoff"], f["supplier_payoff"], color="C0", label="Pareto frontier (Loertscher-Marx)"
        )
        w = self.first_best_welfare
        ax.plot([0, w], [w, 0], ls="--", color="C2", label="first-best welfare")
        data = self.table["data"]
        se = self.table["std_error"]
        if np.isfinite(data.get("buyer_payoff", np.nan)):
            ax.errorbar(
                data["buyer_payoff"],
                data["seller_payoff"],
                xerr=1.96 * se["buyer_payoff"],
                yerr=1.96 * se["seller_payoff"],
                fmt="o",
                color="C3",
                label="data (95% bars)",
            )
        elif np.isfinite(data.get("gains_from_trade", np.nan)):
            g = data["gains_from_trade"]
            ax.plot([0, g], [g, 0], ls=":", color="C3", label="data welfare")
        ax.set_xlabel("buyer payoff")
        ax.set_ylabel("seller payoff")
        ax.legend(loc="best", fontsize="small")
        return ax


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(len(x))) if len(x) > 1 else math.nan


def _crossings(delta: np.ndarray, values: np.ndarray, level: float) -> list[float]:
    """Deltas where the piecewise-linear curve crosses ``level``."""
    out = []
    diff = values - level
    for i in range(len(delta) - 1):
        if diff[i] == 0:
            out.append(float(delta[i]))
        elif diff[i] * diff[i + 1] < 0:
            out.append(float(delta[i] - diff[i] * (delta[i + 1] - delta[i]) / (diff[i + 1] - diff[i])))
    if diff[-1] == 0:
        out.append(float(delta[-1]))
    return out


def _nearest_on_curve(points: np.ndarray, delta: np.ndarray, target: np.ndarray) -> float:
    """Delta of the point of the polyline ``points`` nearest to ``target`` (linear in Delta per segment)."""
    best, best_d = math.nan, math.inf
    for i in range(len(points) - 1):
        a, b = points[i], points[i + 1]
        seg = b - a
        length2 = float(seg @ seg)
        s = 0.0 if length2 == 0 else float(np.clip((target - a) @ seg / length2, 0.0, 1.0))
        dist = float(np.sum((a + s * seg - target) ** 2))
        if dist < best_d:
            best, best_d = float(delta[i] + s * (delta[i + 1] - delta[i])), dist
    return best


def efficiency_report(
    value_dist: Any,
    cost_dist: Any,
    data: pd.DataFrame | None = None,
    *,
    traded: str | None = None,
    value: str | None = None,
    cost: str | None = None,
    price: str | None = None,
    estimate: Any = None,
    points: int = 201,
) -> EfficiencyReport:
    """Compare observed trade, gains and payoffs with the Loertscher-Marx frontier and the first best.

    Parameters
    ----------
    value_dist, cost_dist
        F and G (type distributions), e.g. known or estimated by :func:`fit_incomplete`.
    data
        One row per negotiation (optional if ``estimate`` is given).
    traded, value, cost, price
        Column names; ``value`` and ``cost`` give the realized gains, ``price`` the split.
    estimate
        A fit with a ``Delta`` parameter (e.g. :class:`IncompleteResults`); its Delta is the implied one.
    points
        Frontier points (Delta grid) used to locate the data.

    Returns
    -------
    EfficiencyReport

    Examples
    --------
    Without prices only the realized gains are observed; the frontier's welfare is symmetric in Delta, so
    the gains point to two Deltas of equal size and opposite sign (the truth here is 0.5):

    >>> df = simulate("negotiations", n=2000, seed=0, delta=0.5).data
    >>> report = efficiency_report(Uniform(), Uniform(), df, traded="traded", value="value", cost="cost",
    ...                            points=21)
    >>> [round(d, 2) for d in report.implied_delta_candidates]
    [-0.57, 0.57]
    >>> round(float(report.table.loc["gains_from_trade", "first_best"]), 6)   # E[(v - c)+] = 1/6
    0.166667
    """
    from bargaining.models.mechanism import Market

    market = Market([value_dist], [cost_dist])
    frontier = market.frontier(points=points)
    first_best = market.first_best()
    w_star = float(first_best.welfare)
    best_row = frontier.iloc[frontier["welfare"].argmax()]
    w_sb = float(best_row["welfare"])

    quantities = ["trade_probability", "gains_from_trade", "buyer_payoff", "seller_payoff"]
    observed = {q: (math.nan, math.nan) for q in quantities}
    notes: list[str] = []
    if data is not None:
        if traded is None:
            raise InvalidParameterError(
                "Pass traded= (the 0/1 trade column).", hint="efficiency_report(F, G, df, traded=...)"
            )
        from bargaining.data import validate_negotiations

        validated = validate_negotiations(data, traded=traded, value=value, cost=cost, price=price)
        used = validated.data
        if validated.n_input != validated.n_used:
            notes.append(f"{validated.n_input - validated.n_used} rows dropped by validation.")
        t = used[traded].to_numpy(dtype=float)
        observed["trade_probability"] = _mean_se(t)
        if value is not None and cost is not None:
            v, c = used[value].to_numpy(float), used[cost].to_numpy(float)
            observed["gains_from_trade"] = _mean_se(t * (v - c))
            if price is not None:
                p = np.where(t == 1, used[price].to_numpy(float), 0.0)
                if np.any(~np.isfinite(p)):
                    raise DataValidationError(
                        f"Column {price!r} is missing for some trades.",
                        hint="Every trade needs a price.",
                        column=price,
                    )
                observed["buyer_payoff"] = _mean_se(t * (v - p))
                observed["seller_payoff"] = _mean_se(t * (p - c))
    elif estimate is None:
        raise InvalidParameterError(
            "Pass data or an estimate.", hint="efficiency_report(F, G, df, traded=..., ...)"
        )

    deltas = frontier["delta"].to_numpy(float)
    candidates: tuple[float, ...] = ()
    inside = None
    if estimate is not None:
        implied = float(estimate.params["Delta"])
    elif math.isfinite(observed["buyer_payoff"][0]):
        target = np.array([observed["buyer_payoff"][0], observed["seller_payoff"][0]])
        curve = frontier[["buyer_payoff", "supplier_payoff"]].to_numpy(float)
        implied = _nearest_on_curve(curve, deltas, target)
        inside = bool(np.any((curve[:, 0] >= target[0]) & (curve[:, 1] >= target[1])))
    elif math.isfinite(observed["gains_from_trade"][0]):
        found = _crossings(deltas, frontier["welfare"].to_numpy(float), observed["gains_from_trade"][0])
        candidates = tuple(sorted(found))
        implied = math.nan
        if not found:
            notes.append(
                "The observed gains are above the frontier's maximum or below its minimum: no Delta matches."
            )
    else:
        implied = math.nan
        notes.append("Only trades observed: pass value and cost columns to locate the data on the frontier.")

    at = market.bargain_delta(float(np.clip(implied, -1, 1))) if math.isfinite(implied) else None
    sb = market.bargain_delta(float(best_row["delta"]))

    def outcome_row(o: Any) -> list[float]:
        if o is None:
            return [math.nan] * 4
        return [
            float(o.expected_trades),
            float(o.welfare),
            float(np.sum(o.buyer_payoffs)),
            float(np.sum(o.supplier_payoffs)),
        ]

    table = pd.DataFrame(
        {
            "data": [observed[q][0] for q in quantities],
            "std_error": [observed[q][1] for q in quantities],
            "frontier_at_delta": outcome_row(at),
            "second_best": outcome_row(sb),
            "first_best": [float(first_best.expected_trades), w_star, math.nan, math.nan],
        },
        index=quantities,
    )
    notes.append(
        "First-best payoffs are not shown: ex post efficient trade runs the Myerson-Satterthwaite deficit "
        f"({float(first_best.budget_surplus):.4g})."
    )
    share_lost = 1.0 - observed["gains_from_trade"][0] / w_star if w_star > 0 else math.nan
    return EfficiencyReport(
        table=table,
        share_lost=share_lost,
        share_unavoidable=(w_star - w_sb) / w_star if w_star > 0 else math.nan,
        implied_delta=implied,
        implied_delta_candidates=candidates,
        inside_frontier=inside,
        frontier=frontier,
        first_best_welfare=w_star,
        notes=notes,
    )
