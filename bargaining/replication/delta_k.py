"""Appendix eq. (39): the k-double auction is the Loertscher-Marx outcome at Delta_k (uniform types)."""

from __future__ import annotations

import numpy as np

from bargaining.replication import Report

TITLE = "k-double auction = Loertscher-Marx at Delta_k: trade rules on a (v, c) grid and payoffs"
SOURCE = "Loertscher-Marx (2022) online appendix D.1, eq. (39); Williams (1987)"

K_VALUES = (0.0, 0.25, 0.5, 0.75, 1.0)


def run(*, grid: int = 201) -> Report:
    from bargaining.models.bilateral import delta_from_k, k_double_auction
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market

    report = Report("delta_k", TITLE, SOURCE)
    market = Market([Uniform(0.0, 1.0)], [Uniform(0.0, 1.0)])
    axis = np.linspace(0.0, 1.0, int(grid))
    v, c = (a.ravel() for a in np.meshgrid(axis, axis))
    for k in K_VALUES:
        auction = k_double_auction(k)
        delta = float(delta_from_k(k))
        outcome = market.bargain_delta(delta)
        buyer_q, _ = market.allocate(v[:, None], c[:, None], outcome)
        lm_trades = np.asarray(buyer_q).ravel() > 0.5
        # points on the boundary itself are ties; floating point may resolve them either way
        off_boundary = np.abs(v - (auction.intercept + auction.slope * c)) > 1e-9
        mismatches = int(np.sum(lm_trades[off_boundary] != auction.trades(v, c)[off_boundary]))
        report.add(
            f"k = {k:g} (Delta_k = {delta:+.4f}): grid points where trade rules differ",
            0,
            mismatches,
            0,
            f"eq. (39): the rules coincide ({int(off_boundary.sum())} grid points off the boundary)",
        )
        tol = max(1e-8, 10 * float(getattr(outcome, "accuracy", 0.0) or 0.0))
        ref = "Loertscher-Marx payoffs at Delta_k (bargaining.Market)"
        report.add(
            f"k = {k:g}: buyer payoff", float(np.sum(outcome.buyer_payoffs)), auction.buyer_payoff, tol, ref
        )
        report.add(
            f"k = {k:g}: seller payoff",
            float(np.sum(outcome.supplier_payoffs)),
            auction.seller_payoff,
            tol,
            ref,
        )
    return report
