"""Appendix eq. (38): rho as a function of Delta for one buyer and one seller with uniform types."""

from __future__ import annotations

import math

import numpy as np

from bargaining.replication import Report

TITLE = "rho(Delta) of eq. (38) against the Loertscher-Marx solver, uniform [0, 1], one buyer and one seller"
SOURCE = "Loertscher-Marx (2022) online appendix D.1, eq. (38)"


def eq38(delta: float) -> float:
    """Eq. (38) as printed, with rho = 1 at |Delta| = 1."""
    d = abs(delta)
    if d == 1.0:
        return 1.0
    return 3 * (1 - d) / (4 - 2 * d - 2 * math.sqrt(1 - d + d * d))


def run(*, points: int = 21) -> Report:
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market

    report = Report("eq38", TITLE, SOURCE)
    market = Market([Uniform(0.0, 1.0)], [Uniform(0.0, 1.0)])
    for delta in np.linspace(-1.0, 1.0, int(points)):
        delta = float(round(delta, 12))
        outcome = market.bargain_delta(delta)
        report.add(f"rho(Delta = {delta:+.2f})", eq38(delta), outcome.rho, 1e-8, "eq. (38)")
    return report
