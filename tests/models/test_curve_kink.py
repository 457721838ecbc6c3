"""The Delta where the budget constraint starts to bind (a knot of the rho(Delta) curve) is found by Brent's method
on the budget surplus at rho = max weight; checked against bisection on full solves (rho = 1 or not)."""

from __future__ import annotations

import numpy as np
import pytest

from bargaining import Uniform
from bargaining.models import incomplete_likelihood as il
from bargaining.models.mechanism import Market


def _bisect_on_solves(market: Market, lo: float, hi: float) -> float:
    def slack(d: float) -> bool:
        return market.bargain_delta(d).rho <= 1.0 + 1e-12

    slack_lo = slack(lo)
    assert slack(hi) != slack_lo
    while hi - lo > 1e-10:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if slack(mid) == slack_lo else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize(("lo", "hi", "slack_lo"), [(-0.75, -0.5, True), (0.5, 0.75, False)])
def test_kink_by_brent_equals_bisection_on_full_solves(lo: float, hi: float, slack_lo: bool) -> None:
    # values U(0.5, 1.5), costs U(0, 1): slack near Delta = -1 and +1, binding in the middle
    market = Market([Uniform(0.5, 1.5)], [Uniform(0.0, 1.0)])
    calls = []
    evaluate = market._evaluate

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(args)
        return evaluate(*args)

    market._evaluate = counted  # type: ignore[method-assign]
    kink = il._kink(market, lo, hi, slack_lo, lambda d: market.bargain_delta(d).rho <= 1.0 + 1e-12)
    assert len(calls) <= 15  # one evaluation a step, no full solves
    market._evaluate = evaluate  # type: ignore[method-assign]
    reference = _bisect_on_solves(Market([Uniform(0.5, 1.5)], [Uniform(0.0, 1.0)]), lo, hi)
    assert kink == pytest.approx(reference, abs=2e-10)
    # the constraint binds on one side of the kink and not on the other
    side = -1.0 if slack_lo else 1.0
    assert market.bargain_delta(kink + side * 1e-6).rho <= 1.0 + 1e-12
    assert market.bargain_delta(kink - side * 1e-6).rho > 1.0 + 1e-9


def test_curve_has_the_kinks_as_knots() -> None:
    curve = il.WeightRatioCurve.from_solver(Uniform(0.5, 1.5), Uniform(0.0, 1.0), tol=1e-4)
    market = Market([Uniform(0.5, 1.5)], [Uniform(0.0, 1.0)])
    for lo, hi, slack_lo in [(-0.75, -0.5, True), (0.5, 0.75, False)]:
        kink = il._kink(market, lo, hi, slack_lo, lambda d: market.bargain_delta(d).rho <= 1.0 + 1e-12)
        assert np.min(np.abs(curve.grid - kink)) < 1e-9
