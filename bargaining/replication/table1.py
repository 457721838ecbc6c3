"""Appendix Table 1: one buyer, two suppliers, buyer preferences theta and demand D (uniform types, w = 1)."""

from __future__ import annotations

import numpy as np

from bargaining.replication import Report

TITLE = "Table 1: 1/rho, u_B, u_1, u_2 for D in {1, 2} and theta_1 in {1, 2} (theta_2 = 1, w = 1)"
SOURCE = "Loertscher-Marx (2022) online appendix C.2, Table 1"

# (D, theta_1) -> (1/rho, u_B, u_1, u_2), as printed (two decimals)
PUBLISHED: dict[tuple[int, float], tuple[float, float, float, float]] = {
    (1, 1.0): (0.73, 0.13, 0.05, 0.05),
    (1, 2.0): (0.76, 0.34, 0.21, 0.01),
    (2, 1.0): (0.67, 0.14, 0.07, 0.07),
    (2, 2.0): (0.72, 0.38, 0.22, 0.08),
}

# numbers printed to two decimals: half a unit in the last place, plus room for the solver's own error
TOLERANCE = 0.005 + 1e-6


def compute(demand: int, theta_1: float) -> tuple[float, float, float, float]:
    """(1/rho, u_B, u_1, u_2) from bargaining.Market."""
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market

    market = Market(
        [Uniform(0.0, 1.0)],
        [Uniform(0.0, 1.0), Uniform(0.0, 1.0)],
        buyer_units=[demand],
        preferences=[theta_1, 1.0],
    )
    outcome = market.bargain([1.0], [1.0, 1.0])
    suppliers = np.asarray(outcome.supplier_payoffs, dtype=float).ravel()
    return 1.0 / outcome.rho, float(np.sum(outcome.buyer_payoffs)), float(suppliers[0]), float(suppliers[1])


def run() -> Report:
    report = Report("table1", TITLE, SOURCE)
    names = ("1/rho", "u_B", "u_1", "u_2")
    for (demand, theta_1), published in PUBLISHED.items():
        computed = compute(demand, theta_1)
        for name, pub, comp in zip(names, published, computed):
            report.add(
                f"{name} (D={demand}, theta_1={theta_1:g})", pub, comp, TOLERANCE, "Table 1 (2 decimals)"
            )
    return report
