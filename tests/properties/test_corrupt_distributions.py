"""Type distributions and markets built from corrupted parameters: our error with a hint, or finite numbers."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings

from bargaining import Market
from tests.properties._profile import PROFILE
from tests.properties.strategies import check_outcome, distributions, market_inputs


def _check_distribution(dist):
    lo, hi = dist.low, dist.high
    assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
    grid = np.linspace(lo, hi, 7)
    cdf = np.asarray(dist.cdf(grid), dtype=float)
    assert np.all(np.isfinite(cdf)) and np.all((cdf >= 0) & (cdf <= 1))
    assert np.all(np.diff(cdf) >= -1e-12)
    pdf = np.asarray(dist.pdf(grid[1:-1]), dtype=float)
    assert np.all(pdf >= 0) and not np.any(np.isnan(pdf))
    inner = grid[1:-1]
    for values in (dist.virtual_value(inner), dist.virtual_cost(inner)):
        assert not np.any(np.isnan(np.asarray(values, dtype=float)))


@settings(PROFILE)
@given(distributions())
def test_distribution_from_corrupted_parameters(build):
    check_outcome(lambda: _check_distribution(build()), check=None)


def _check_outcome(out):
    for name in ("rho", "welfare", "budget_surplus", "expected_trades"):
        value = getattr(out, name)
        assert np.all(np.isfinite(np.asarray(value, dtype=float))), f"{name} = {value}"
    assert np.all(np.isfinite(np.asarray(out.buyer_payoffs, dtype=float)))
    assert np.all(np.isfinite(np.asarray(out.supplier_payoffs, dtype=float)))
    assert out.budget_surplus >= -1e-6


def _run_market(case):
    market = Market(**case["market"])
    kwargs = {} if case["shares"] is None else {"shares": case["shares"]}
    out = market.bargain(case["buyer_weights"], case["supplier_weights"], **kwargs)
    _check_outcome(out)
    if case["frontier"] is not None:
        frame = market.frontier(points=case["frontier"])
        assert np.all(np.isfinite(frame[["buyer_payoff", "supplier_payoff", "welfare", "rho"]].to_numpy()))


@settings(PROFILE)
@given(market_inputs())
def test_market_from_corrupted_inputs(case):
    check_outcome(lambda: _run_market(case), check=None)
