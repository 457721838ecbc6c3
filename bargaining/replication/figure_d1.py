"""Figure D.1: payoffs of the k-double auction for k in [0, 1] (uniform types, one supplier)."""

from __future__ import annotations

import numpy as np

from bargaining.replication import Report

TITLE = "Figure D.1: k-double auction payoffs against k trace the Loertscher-Marx frontier"
SOURCE = (
    "Loertscher-Marx (2022) online appendix D.1, Figure D.1 and the statement (Williams, 1987) that every k "
    "gives the incomplete-information bargaining outcome for some weights"
)


def run(*, figure_path: str | None = None, points: int = 11) -> Report:
    from bargaining.models.bilateral import delta_from_k, k_double_auction
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market

    report = Report("figure_d1", TITLE, SOURCE)
    hand = "take-it-or-leave-it offer / symmetric second best, worked by hand"
    for k, u_b, u_s in ((0.0, 1 / 24, 1 / 12), (0.5, 9 / 128, 9 / 128), (1.0, 1 / 12, 1 / 24)):
        a = k_double_auction(k)
        report.add(f"k = {k:g}: buyer payoff", u_b, a.buyer_payoff, 1e-14, hand)
        report.add(f"k = {k:g}: seller payoff", u_s, a.seller_payoff, 1e-14, hand)
    market = Market([Uniform(0.0, 1.0)], [Uniform(0.0, 1.0)])
    ref = "Loertscher-Marx payoffs at Delta_k (bargaining.Market)"
    for k in np.linspace(0.0, 1.0, int(points)):
        k = float(round(k, 12))
        a = k_double_auction(k)
        outcome = market.bargain_delta(float(delta_from_k(k)))
        tol = max(1e-8, 10 * float(getattr(outcome, "accuracy", 0.0) or 0.0))
        report.add(
            f"k = {k:.2f}: buyer payoff vs frontier",
            float(np.sum(outcome.buyer_payoffs)),
            a.buyer_payoff,
            tol,
            ref,
        )
        report.add(
            f"k = {k:.2f}: seller payoff vs frontier",
            float(np.sum(outcome.supplier_payoffs)),
            a.seller_payoff,
            tol,
            ref,
        )
    report.notes.append(
        "closed forms: u_B(k) = (1 + k)^2 (2 - k)/48, u_S(k) = (1 + k)(2 - k)^2/48, gains (1 + k)(2 - k)/16."
    )
    if figure_path:
        from bargaining.plots import plot_k_double_auction_payoffs

        fig = plot_k_double_auction_payoffs()
        fig.savefig(figure_path)
        report.artifacts["figure"] = str(figure_path)
    return report
