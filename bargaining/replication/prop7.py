"""Appendix Proposition 7: vertical integration destroys the first best that bargaining reached before it.

A numerical illustration on a grid of small markets, from :func:`compare_integration`. With one buyer (unit
demand), two or more suppliers, values above costs (non-overlapping supports) and symmetric weights, bargaining
is ex post efficient before integration; after the buyer integrates with supplier i its value of outside supply
is c_i, a generalized Myerson-Satterthwaite problem, and the first best is out of reach. Rows per market, with
L = first-best welfare minus bargaining welfare (the same first best before and after integration):

* conditions hold: ``L before`` published 0; ``1[L after > tol]`` published 1;
* a condition fails (overlapping supports, or asymmetric weights): ``1[L before > tol]`` published 1 -- the
  first best is already lost before integration, so the proposition's premise is needed;
* the two uniform markets: ``L after`` published 1/6 - 9/64, the Myerson-Satterthwaite loss they reduce to;
* every market: ``min(L after, 0)`` published 0 (bargaining never beats the first best) and
  ``Proposition 7 applies`` (the package's check of its conditions) against how the market was built.

Tolerances are the error bounds of the differences: the accuracy the solver reports for the bargaining outcome
plus the one for the first best, plus 64 ulps of the market's scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bargaining.replication import Report

if TYPE_CHECKING:
    from bargaining.models.mechanism import Market

TITLE = "Proposition 7: first best before vertical integration, not after (non-overlapping supports, equal weights)"
SOURCE = "Loertscher-Marx (2022) online appendix, proof of Proposition 7"

_EPS = float(np.finfo(float).eps)

# after integration these two markets are the uniform bilateral trade problem (values and costs U on unit
# intervals): the second best loses 1/6 - 9/64 of the first best (Myerson and Satterthwaite, 1983)
_MYERSON_SATTERTHWAITE = {"1B U[1,2] 2S U[0,1]": 1 / 6 - 9 / 64, "2B U[1,2] 1S U[0,1] (mirror)": 1 / 6 - 9 / 64}


def markets() -> list[tuple[str, Market, dict[str, int], list[float], list[float], bool]]:
    """(label, market, integrating pair, buyer weights, supplier weights, conditions hold by construction)."""
    from bargaining.models.distributions import Beta, Uniform
    from bargaining.models.mechanism import Market

    return [
        ("1B U[1,2] 2S U[0,1]", Market([Uniform(1, 2)], [Uniform(), Uniform()]),
         {"supplier": 0}, [1.0], [1.0, 1.0], True),
        ("1B Beta(2,2)[1,2] 2S Beta(2,1)", Market([Beta(2, 2, 1, 2)], [Beta(2, 1), Beta(2, 1)]),
         {"supplier": 1}, [1.0], [1.0, 1.0], True),
        ("1B U[1,2] 3S U/Beta(2,2)/Beta(1,2)", Market([Uniform(1, 2)], [Uniform(), Beta(2, 2), Beta(1, 2)]),
         {"supplier": 0}, [1.0], [1.0, 1.0, 1.0], True),
        ("2B U[1,2] 1S U[0,1] (mirror)", Market([Uniform(1, 2), Uniform(1, 2)], [Uniform()]),
         {"buyer": 0}, [1.0, 1.0], [1.0], True),
        ("1B U[.3,1.3] 2S U[0,1] (overlap)", Market([Uniform(0.3, 1.3)], [Uniform(), Uniform()]),
         {"supplier": 0}, [1.0], [1.0, 1.0], False),
        ("1B U[1,2] 2S U[0,1], w^S=(1,.5)", Market([Uniform(1, 2)], [Uniform(), Uniform()]),
         {"supplier": 0}, [1.0], [1.0, 0.5], False),
    ]


def run() -> Report:
    from bargaining.models.mechanism.counterfactuals import compare_integration

    report = Report("prop7", TITLE, SOURCE)
    ref = "Proposition 7"
    for label, market, pair, wb, ws, holds in markets():
        cmp = compare_integration(market, buyer_weights=wb, supplier_weights=ws, **pair)
        floor = 64 * _EPS * float(market.scale)
        loss_before = float(cmp.first_best_before.welfare) - float(cmp.before.welfare)
        loss_after = float(cmp.first_best_after.welfare) - float(cmp.after.welfare)  # the in-house surplus cancels
        tol_before = float(cmp.before.accuracy + cmp.first_best_before.accuracy) + floor
        tol_after = float(cmp.after.accuracy + cmp.first_best_after.accuracy) + floor
        name = "supplier" if "supplier" in pair else "buyer"
        what = f"{label}; integrate {name} {next(iter(pair.values())) + 1}"
        report.add(f"Proposition 7 applies [{what}]", float(holds), float(bool(cmp.claim["applies"])), 0.0,
                   "market built to satisfy / violate the conditions")
        if holds:
            report.add(f"L before [{what}]", 0.0, loss_before, tol_before, ref + ": first best before integration")
            report.add(f"1[L after > tol] [{what}]", 1.0, float(loss_after > tol_after), 0.0,
                       ref + ": not first best after integration")
            if label in _MYERSON_SATTERTHWAITE:
                report.add(f"L after [{what}]", _MYERSON_SATTERTHWAITE[label], loss_after, tol_after,
                           "uniform Myerson-Satterthwaite: 1/6 - 9/64 = 5/192")
        else:
            report.add(f"1[L before > tol] [{what}]", 1.0, float(loss_before > tol_before), 0.0,
                       "without the conditions the first best is lost before integration")
        report.add(f"min(L after, 0) [{what}]", 0.0, min(loss_after, 0.0), tol_after, "no mechanism beats the first best")
        failing = ", ".join(c.label for c in cmp.conditions if not c.holds) or "none"
        report.notes.append(
            f"{what}: first best {float(cmp.first_best_before.welfare):.10g}; loss before {loss_before:.3g} "
            f"(tol {tol_before:.2g}), after {loss_after:.3g} (tol {tol_after:.2g}); failing conditions: {failing}"
        )
    return report
