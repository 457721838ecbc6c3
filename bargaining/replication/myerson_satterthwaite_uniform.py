"""Myerson-Satterthwaite with uniform [0, 1] value and cost: first best, deficit and second best."""

from __future__ import annotations

import numpy as np

from bargaining.replication import Report

TITLE = (
    "Bilateral trade with uniform [0, 1] types: first best 1/6, deficit 1/6, second best 9/64, v - c >= 1/4"
)
SOURCE = (
    "Myerson and Satterthwaite (1983); Loertscher-Marx (2022) online appendix A.2 (deficit) and D.1 "
    "(k = 1/2 double auction is the second best)"
)

HAND = "closed form worked by hand for uniform [0, 1] types"


def run() -> Report:
    from bargaining.models.bilateral import k_double_auction, myerson_satterthwaite, trade_boundary
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market

    report = Report("myerson_satterthwaite_uniform", TITLE, SOURCE)
    ms = myerson_satterthwaite(Uniform(0.0, 1.0), Uniform(0.0, 1.0))
    tol = max(1e-10, 10 * ms.accuracy)
    report.add("first-best gains from trade E[(v - c)+]", 1 / 6, ms.first_best_gains, tol, HAND)
    report.add("first-best trade probability", 1 / 2, ms.first_best_trade_probability, tol, HAND)
    report.add("deficit of the efficient mechanism", 1 / 6, ms.deficit, tol, HAND)

    market = Market([Uniform(0.0, 1.0)], [Uniform(0.0, 1.0)])
    second = market.bargain_delta(0.0)
    tol2 = max(1e-8, 10 * float(getattr(second, "accuracy", 0.0) or 0.0))
    report.add("second-best gains from trade", 9 / 64, second.welfare, tol2, HAND)
    report.add("second-best trade probability", 9 / 32, second.expected_trades, tol2, HAND)
    report.add("second-best 1/rho", 2 / 3, 1 / second.rho, tol2, HAND)
    report.add("second-best buyer payoff", 9 / 128, float(np.sum(second.buyer_payoffs)), tol2, HAND)
    report.add("second-best seller payoff", 9 / 128, float(np.sum(second.supplier_payoffs)), tol2, HAND)
    report.add("second-best budget surplus", 0.0, second.budget_surplus, tol2, HAND)
    costs = np.array([0.05, 0.2, 0.4, 0.6, 0.74])
    gaps = trade_boundary(market, second, costs) - costs
    for c, gap in zip(costs, gaps):
        report.add(f"second best trades iff v - c >= t: t at c = {c:g}", 0.25, gap, 1e-9, HAND)
    report.add(
        "k = 1/2 double auction gains (= second best)",
        9 / 64,
        k_double_auction(0.5).gains_from_trade,
        1e-14,
        HAND,
    )
    report.notes.append(
        "second best: Loertscher-Marx with equal weights (bargaining.Market.bargain_delta(0))."
    )
    return report
