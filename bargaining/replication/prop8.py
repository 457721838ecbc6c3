"""Appendix Proposition 8: with Delta = 0 and values above costs, equilibrium investment is first best.

A numerical illustration with :class:`InvestmentGame`: one buyer and one supplier invest e at cost Psi(e) = e^2
before bargaining; the buyer's value is Beta(1 + e, 1) on [v_low, v_low + 1] (investment raises values), the
supplier's cost Beta(1, 1 + e) on [0, 1] (investment lowers costs). Three games:

* ``Delta = 0, v_low = 1`` (values above costs: Proposition 8's conditions). First-best welfare is separable,
  E[v] - E[c] - Psi = v_low + (1 + e_B)/(2 + e_B) - 1/(2 + e_S) - e_B^2 - e_S^2, so each first-best investment
  solves 1/(2 + e)^2 = 2e, found here by a root finder independently of the package. Rows: each equilibrium
  investment against that root; the first-order condition (marginal payoff) published 0; the welfare lost to
  under-investment published 0.
* ``Delta = 0, v_low = 0`` (overlapping supports: condition fails) and ``Delta = 0.8, v_low = 1`` (unequal
  weights): the package reports under-investment. Rows: ``1[e_FB - e_eq > tol]`` per agent and
  ``1[loss > accuracy]`` published 1; the first-order conditions published 0.

The first-best investments of the two ``v_low = 1`` games are the closed-form root (the first best does not
depend on the weights): the package's own first-best search, which costs most of the run time, is exercised on
the overlapping game, whose first best has no closed form. Tolerances: investments are located by bounded Brent
to ``XTOL`` and best responses stop when they move less than 10 ``XTOL``, so 20 ``XTOL``; marginal payoffs are
central differences of the payoff with a step of 1e-5 of the range, tolerance ``MARGINAL_TOLERANCE``;
welfare rows use the accuracy the game reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize

from bargaining.replication import Report

TITLE = "Proposition 8: equilibrium investment = first best with Delta = 0 and values above costs; else under-investment"
SOURCE = "Loertscher-Marx (2022) online appendix, Proposition 8 and its proof (eq. 22-33)"

XTOL = 1e-6
PANELS = 16
# finite-difference marginal payoffs at an interior optimum located to XTOL: the payoff's curvature is about
# 2 (Psi = e^2), so an optimum off by 20 XTOL shows a slope of about 4e-5; a corner or a wrong fixed point ~0.1
MARGINAL_TOLERANCE = 1e-4


def closed_form_first_best() -> float:
    """Root of 1/(2 + e)^2 = 2e: the first-best investment of each agent when values lie above costs."""
    return float(optimize.brentq(lambda e: 1.0 / (2.0 + e) ** 2 - 2.0 * e, 0.0, 1.0, xtol=1e-15))


def game(value_low: float, supplier_weight: float = 1.0, first_best: Any = None) -> Any:
    from bargaining.models.distributions import Beta
    from bargaining.models.mechanism.investment import InvestmentGame

    class _Game(InvestmentGame):
        def first_best(self) -> np.ndarray:
            return super().first_best() if first_best is None else np.array(first_best, dtype=float)

    return _Game([lambda e: Beta(1 + e, 1, value_low, value_low + 1)], [lambda e: Beta(1, 1 + e)],
                 [lambda e: e**2], [lambda e: e**2], bounds=(0.0, 1.0), panels=PANELS, xtol=XTOL,
                 buyer_weights=[1.0], supplier_weights=[supplier_weight])


def run() -> Report:
    report = Report("prop8", TITLE, SOURCE)
    e_star = closed_form_first_best()
    tol_e = 20 * XTOL
    cases = [
        ("Delta=0, v in [1,2]", game(1.0, first_best=[e_star, e_star]), True),
        ("Delta=0, v in [0,1] (overlap)", game(0.0), False),
        ("Delta=0.8, v in [1,2]", game(1.0, supplier_weight=0.2, first_best=[e_star, e_star]), False),
    ]
    for label, g, holds in cases:
        result = g.solve()
        for k, agent in enumerate(result.labels):
            report.add(f"marginal payoff at equilibrium, {agent} [{label}]", 0.0, float(result.marginal_payoffs[k]),
                       MARGINAL_TOLERANCE, "first-order condition of the equilibrium (eq. 23-24)")
        if holds:
            for k, agent in enumerate(result.labels):
                report.add(f"equilibrium investment, {agent} [{label}]", e_star, float(result.equilibrium[k]), tol_e,
                           "Proposition 8: = first best, root of 1/(2+e)^2 = 2e")
            report.add(f"welfare lost to under-investment [{label}]", 0.0, result.loss_from_underinvestment,
                       result.accuracy, "Proposition 8: no under-investment")
        else:
            for k, agent in enumerate(result.labels):
                report.add(f"1[e_FB - e_eq > tol], {agent} [{label}]", 1.0,
                           float(result.under_investment[k] > tol_e), 0.0, "Proposition 8: under-investment")
            report.add(f"1[welfare lost to under-investment > accuracy] [{label}]", 1.0,
                       float(result.loss_from_underinvestment > result.accuracy), 0.0,
                       "Proposition 8: under-investment costs welfare")
        report.notes.append(
            f"{label}: first best {np.round(result.first_best, 6).tolist()}, equilibrium "
            f"{np.round(result.equilibrium, 6).tolist()}, lost to under-investment "
            f"{result.loss_from_underinvestment:.3g}, in bargaining {result.loss_from_bargaining:.3g} "
            f"(accuracy {result.accuracy:.2g}; {result.iterations} best-response rounds, "
            f"{'converged' if result.converged else 'NOT converged'})"
        )
        if not result.converged:
            report.add(f"best responses converged [{label}]", 1.0, 0.0, 0.0, "best-response iteration")
    return report
