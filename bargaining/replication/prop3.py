"""Appendix Proposition 3: equal bargaining power maximizes welfare, strictly exactly when a condition fails.

A numerical illustration on a grid of small markets, each chosen so that all of conditions (i)-(iv) hold or
exactly one of them fails. For every market the welfare at the given weights W^w is compared with the welfare
at equal weights W^1 (the planner's second best), both from :func:`equalize_power`:

* ``min(W^1 - W^w, 0)`` -- the one-sided claim W^1 >= W^w, published 0: the row fails if W^w exceeds W^1 by
  more than the tolerance;
* where (i)-(iv) hold, ``W^1 - W^w`` published 0 (equalizing power gains nothing);
* where a condition fails, the indicator ``1[W^1 - W^w > tol]`` published 1 (equalizing power strictly raises
  welfare), with the gain itself in the notes;
* ``failing conditions as designed``: 1 when the package's check of (i)-(iv) names exactly the condition
  the market was built to violate (none for the markets where they hold).

The tolerance of every welfare row is the error bound of the difference: the accuracy the solver reports for
W^w plus the one for W^1, plus 64 ulps of the market's scale for the subtraction itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bargaining.replication import Report

if TYPE_CHECKING:
    from bargaining.models.mechanism import Market

TITLE = "Proposition 3: W(equal weights) >= W(given weights), with equality iff conditions (i)-(iv) hold"
SOURCE = "Loertscher-Marx (2022) online appendix, proof of Proposition 3 (conditions (i)-(iv), eq. 7/8)"

_EPS = float(np.finfo(float).eps)


def markets() -> list[tuple[str, Market, list[float], list[float], list[str]]]:
    """(label, market, buyer weights, supplier weights, conditions designed to fail)."""
    from bargaining.models.distributions import Beta, Uniform
    from bargaining.models.mechanism import Market

    return [
        # conditions hold
        ("1B [2,3] 2S U[0,1], w^S=.5",
         Market([Uniform(2, 3)], [Uniform(), Uniform()]), [1.0], [0.5, 0.5], []),
        ("1B U[0,1] 2S U/Beta(1,2), equal w",
         Market([Uniform()], [Uniform(), Beta(1, 2)]), [1.0], [1.0, 1.0], []),
        ("2B [2,3] 3S U,U,Beta(2,1), w^B=(1,.5)",
         Market([Uniform(2, 3), Uniform(2, 3)], [Uniform(), Uniform(), Beta(2, 1)]), [1.0, 0.5], [1.0, 1.0, 1.0], []),
        ("2B [2,3] U/Beta(2,1) 1S U[0,1], w^S=.5",
         Market([Uniform(2, 3), Beta(2, 1, 2, 3)], [Uniform()]), [1.0, 1.0], [0.5], []),
        # one condition fails
        ("1B U[0,1] 2S U[0,1], w^S=.5 (overlap)",
         Market([Uniform()], [Uniform(), Uniform()]), [1.0], [0.5, 0.5], ["(i)"]),
        ("1B [2,3] 2S U[0,1], w^S=(1,.5)",
         Market([Uniform(2, 3)], [Uniform(), Uniform()]), [1.0], [1.0, 0.5], ["(ii)"]),
        ("1B [2,3] 2S U/Beta(2,1), w^S=.5",
         Market([Uniform(2, 3)], [Uniform(), Beta(2, 1)]), [1.0], [0.5, 0.5], ["(iii)"]),
        ("2B [2,3] U/Beta(2,1) 1S U[0,1], w^B=.5",
         Market([Uniform(2, 3), Beta(2, 1, 2, 3)], [Uniform()]), [0.5, 0.5], [1.0], ["(iv)"]),
    ]


def run() -> Report:
    from bargaining.models.mechanism.counterfactuals import equalize_power

    report = Report("prop3", TITLE, SOURCE)
    for label, market, wb, ws, designed in markets():
        cmp = equalize_power(market, wb, ws)
        gain = float(cmp.after.welfare) - float(cmp.before.welfare)
        tol = float(cmp.before.accuracy) + float(cmp.after.accuracy) + 64 * _EPS * float(market.scale)
        failing = list(cmp.claim["failing"])
        ref = "Proposition 3"
        report.add(f"min(W^1 - W^w, 0) [{label}]", 0.0, min(gain, 0.0), tol, ref + ": W^1 >= W^w always")
        if designed:
            report.add(f"1[W^1 - W^w > tol] [{label}]", 1.0, float(gain > tol), 0.0,
                       ref + ": W^1 > W^w when a condition fails")
        else:
            report.add(f"W^1 - W^w [{label}]", 0.0, gain, tol, ref + ": W^1 = W^w when (i)-(iv) hold")
        report.add(f"failing conditions = {','.join(designed) or 'none'} [{label}]", 1.0,
                   float(failing == designed), 0.0, "market built to violate exactly these conditions")
        report.notes.append(
            f"{label}: W^w = {float(cmp.before.welfare):.10g}, W^1 = {float(cmp.after.welfare):.10g}, "
            f"W^1 - W^w = {gain:.3g} (tolerance {tol:.2g}); failing: {', '.join(failing) or 'none'}"
        )
    return report
