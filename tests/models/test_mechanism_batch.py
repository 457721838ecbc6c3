"""Batched evaluations and the lockstep frontier (issue 15: frontier(points=101) within 5 bargains).

References: each distribution's own one-ratio inverse virtual type and a direct evaluation of the virtual type
at the result; :meth:`SeparableEngine.evaluate` one weight vector at a time; independent one-Delta solves
(:meth:`Market.bargain_delta`), and for uniform types the closed form of rho (appendix eq. 38).
"""

from __future__ import annotations

import numpy as np
import pytest

from bargaining import rho_from_delta
from bargaining.models.distributions import Beta, Mixture, TruncatedExponential, TruncatedNormal, Uniform
from bargaining.models.mechanism import Market
from bargaining.models.mechanism import sweep as sweep_module
from bargaining.models.mechanism.batch import batch_supported, evaluate_batch, inverse_batch

LAWS = [
    Beta(2.0, 3.0), Beta(3.0, 2.0), Beta(0.8, 1.7), Uniform(0.0, 1.0), TruncatedNormal(0.5, 0.2, 0.0, 1.0),
    TruncatedExponential(0.4, 0.0, 2.0), Mixture([Beta(2.0, 5.0), Beta(5.0, 2.0)], [0.5, 0.5]),
]


@pytest.mark.parametrize("dist", LAWS, ids=lambda d: type(d).__name__)
@pytest.mark.parametrize("is_buyer", [True, False])
def test_inverse_batch_matches_the_one_ratio_inverse(dist, is_buyer):
    if dist._flats("value" if is_buyer else "cost", 0.0):
        pytest.skip("ironed virtual type: the batch does not apply (Beta(0.8, 1.7) values)")
    rng = np.random.default_rng(3)
    ratios = rng.choice([0.0, 0.2, 0.45, 0.9, 1.0], size=400)
    width = dist.high - dist.low
    levels = rng.uniform(dist.low - 0.5 * width, dist.high + 0.5 * width, size=400)
    got = inverse_batch(dist, is_buyer, ratios, levels)
    for a in np.unique(ratios):
        at = ratios == a
        if is_buyer:
            want = dist.virtual_value_inverse(levels[at], weight=a)
        else:
            want = dist.virtual_cost_inverse(levels[at], weight=a)
        np.testing.assert_allclose(got[at], want, rtol=0, atol=1e-11 * width)
    # and the definition: inside the support the virtual type at the result is the level
    inside = (got > dist.low + 1e-6 * width) & (got < dist.high - 1e-6 * width)
    x = got[inside]
    ratio = (dist.sf(x) if is_buyer else dist.cdf(x)) / dist.pdf(x)
    virtual = x - (1 - ratios[inside]) * ratio if is_buyer else x + (1 - ratios[inside]) * ratio
    np.testing.assert_allclose(virtual, levels[inside], rtol=0, atol=1e-9 * max(1.0, np.max(np.abs(levels))))


def _market_cases():
    return [
        Market([Beta(2.0, 3.0)], [Beta(3.0, 2.0)]),
        Market([Beta(2.0, 3.0), Uniform(0.0, 1.0)], [Beta(3.0, 2.0), Beta(3.0, 2.0), TruncatedNormal(0.4, 0.3, 0.0, 1.0)],
               buyer_units=[2, 1], supplier_units=[1, 2, 1]),
        Market([Uniform(0.0, 1.0)] * 3, [Uniform(0.0, 1.0)] * 2),  # identical agents share one integral
    ]


@pytest.mark.parametrize("level_grid", [True, False], ids=["levels", "types"])
@pytest.mark.parametrize("market", _market_cases(), ids=["1x1", "2x3-units", "3x2-identical"])
def test_evaluate_batch_equals_one_evaluation_at_a_time(market, level_grid):
    """The batch computes what evaluate computes, on the shared level grid (the default for these laws) and on
    each agent's own types; and the two grids agree within their error bounds."""
    engine = market._engine
    assert batch_supported(engine)
    rng = np.random.default_rng(5)
    nb, ns = len(market.buyers), len(market.suppliers)
    ratios_b = rng.uniform(0.2, 1.0, size=(7, nb))
    ratios_s = rng.uniform(0.2, 1.0, size=(7, ns))
    ratios_s[:, :] = ratios_s[:, :1]  # same-side agents with the same weight (as on a frontier) and without
    ratios_b[0] = ratios_b[0, 0]
    engine.level_grid = level_grid
    try:
        batch = evaluate_batch(engine, ratios_b, ratios_s)
        refs = [engine.evaluate(ratios_b[k], ratios_s[k]) for k in range(len(batch))]
        engine.level_grid = not level_grid
        others = [engine.evaluate(ratios_b[k], ratios_s[k]) for k in range(len(batch))]
    finally:
        engine.level_grid = True
    for ev, ref, other in zip(batch, refs, others):
        tol = 10 * (ev.error + ref.error) + 1e-15
        for name in ("buyer_trades", "buyer_gross", "buyer_rent", "supplier_trades", "supplier_cost", "supplier_rent"):
            np.testing.assert_allclose(getattr(ev, name), getattr(ref, name), rtol=0, atol=tol)
        assert abs(ev.error - ref.error) <= 0.5 * ref.error + 1e-15
        assert ev.converged
        assert abs(other.welfare - ref.welfare) <= other.error + ref.error
        assert abs(other.budget - ref.budget) <= other.error + ref.error


def _assert_frontier_matches_single_solves(market, deltas):
    got = market.bargain_deltas(deltas)
    fresh = Market(market.buyers, market.suppliers, buyer_units=market.buyer_units,
                   supplier_units=market.supplier_units,
                   buyer_participation_costs=market.buyer_participation_costs,
                   supplier_participation_costs=market.supplier_participation_costs)
    for d, out in zip(deltas, got, strict=True):
        ref = fresh.bargain_delta(float(d))
        assert out.delta == pytest.approx(d)
        assert out.binding == ref.binding
        bound = out.accuracy + ref.accuracy
        assert abs(out.welfare - ref.welfare) <= bound
        np.testing.assert_allclose(out.buyer_payoffs, ref.buyer_payoffs, rtol=0, atol=bound)
        np.testing.assert_allclose(out.supplier_payoffs, ref.supplier_payoffs, rtol=0, atol=bound)
        assert abs(out.rho - ref.rho) <= out.rho_accuracy + ref.rho_accuracy + 1e-13
        assert out.accuracy < 1e-10
    return got


def test_lockstep_frontier_equals_single_solves_beta():
    market = Market([Beta(2.0, 3.0)], [Beta(3.0, 2.0)])
    calls = []
    original = sweep_module.lockstep_sweep

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        calls.append(sum(o is not None for o in out))
        return out

    sweep_module_lockstep = pytest.MonkeyPatch()
    sweep_module_lockstep.setattr("bargaining.models.mechanism.rho_search.lockstep_sweep", spy)
    try:
        deltas = np.linspace(-1.0, 1.0, 41)
        _assert_frontier_matches_single_solves(market, deltas)
    finally:
        sweep_module_lockstep.undo()
    assert calls and calls[0] == 41  # every point solved in lockstep (the slack ends too)


def test_lockstep_frontier_uniform_closed_form():
    market = Market([Uniform(0.0, 1.0)], [Uniform(0.0, 1.0)])
    frame = market.frontier(points=61)
    want = np.array([float(rho_from_delta(d)) for d in frame["delta"]])
    np.testing.assert_allclose(frame["rho"], want, rtol=0, atol=1e-9)


def test_lockstep_with_participation_costs_units_and_unsorted_deltas():
    market = Market([Beta(2.0, 3.0), Beta(2.0, 2.0)], [Beta(3.0, 2.0), Uniform(0.0, 1.0)], supplier_units=[2, 1],
                    buyer_participation_costs=[0.002, 0.0], supplier_participation_costs=[0.001, 0.001])
    deltas = np.random.default_rng(2).permutation(np.linspace(-1.0, 1.0, 15))
    _assert_frontier_matches_single_solves(market, deltas)


def test_slack_markets_and_points_left_to_the_one_at_a_time_path(monkeypatch):
    # values above every cost: the first best balances the budget at every Delta (rho = 1, slack)
    market = Market([Uniform(1.0, 2.0)], [Uniform(0.0, 1.0)])
    outs = market.bargain_deltas(np.linspace(-1.0, 1.0, 13))
    assert all(not o.binding and o.rho == 1.0 for o in outs)
    # slack near Delta = -1 and 1, binding in between: the Deltas next to the slack ones are tried at rho = 1
    partly = Market([Uniform(0.5, 1.5)], [Uniform(0.0, 1.0)])
    outs = _assert_frontier_matches_single_solves(partly, np.linspace(-1.0, 1.0, 41))
    assert any(o.binding for o in outs) and any(not o.binding for o in outs)
    left = sweep_module.lockstep_sweep(partly, np.linspace(-1.0, 1.0, 41))
    assert sum(o is None for o in left) <= 6  # binding Deltas right next to the switch: one at a time
    # points the lockstep leaves (None) are solved one at a time, warm-started from the lockstep's neighbours
    original = sweep_module.lockstep_sweep

    def drop_some(*args, **kwargs):
        out = original(*args, **kwargs)
        return [None if i % 3 == 0 else o for i, o in enumerate(out)]

    monkeypatch.setattr("bargaining.models.mechanism.rho_search.lockstep_sweep", drop_some)
    _assert_frontier_matches_single_solves(Market([Beta(2.0, 3.0)], [Beta(3.0, 2.0)]), np.linspace(-1.0, 1.0, 16))


def test_ironing_and_preferences_use_the_one_at_a_time_path():
    bimodal = Mixture([TruncatedNormal(0.2, 0.05, 0.0, 1.0), TruncatedNormal(0.8, 0.05, 0.0, 1.0)], [0.5, 0.5])
    assert not bimodal.is_regular()
    assert not batch_supported(Market([bimodal], [Uniform(0.0, 1.0)])._engine)
    assert not batch_supported(Market([Beta(2.0, 3.0)], [Uniform(0.0, 1.0)] * 2, preferences=[1.0, 1.2])._engine)
    _assert_frontier_matches_single_solves(Market([bimodal], [Uniform(0.0, 1.0)]), np.linspace(-1.0, 1.0, 13))


def test_long_sweeps_are_cut_into_chunks(monkeypatch):
    calls = []
    original = sweep_module.lockstep_sweep

    def spy(market, deltas, *args, **kwargs):
        calls.append(deltas.size)
        return original(market, deltas, *args, **kwargs)

    monkeypatch.setattr("bargaining.models.mechanism.rho_search.lockstep_sweep", spy)
    monkeypatch.setattr("bargaining.models.mechanism.rho_search._LOCKSTEP_BATCH", 32)  # 16 Deltas for 1 x 1
    _assert_frontier_matches_single_solves(Market([Beta(2.0, 3.0)], [Beta(3.0, 2.0)]), np.linspace(-1.0, 1.0, 37))
    assert calls == [16, 16]  # the last 5 are too few for a batch: one at a time
