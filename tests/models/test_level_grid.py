"""The shared grid of virtual-type levels of the separable engine (issue 15: work linear in the agents).

Checked against closed forms (uniform laws), central differences, and the integrals over each agent's own
types that were the only computation before (tested independently elsewhere, and unchanged).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bargaining.models import distributions as D
from bargaining.models.mechanism import Market, level_grid
from bargaining.models.mechanism.level_grid import level_grid_applies
from bargaining.models.mechanism.level_terms import has_closed_form_slope, level_terms
from bargaining.models.mechanism.types import AgentView

_FIELDS = ("buyer_trades", "buyer_gross", "buyer_rent", "supplier_trades", "supplier_cost", "supplier_rent")


def _both(market: Market, buyer_ratio: float, supplier_ratio: float) -> tuple[Any, Any]:
    rb, rs = np.full(len(market.buyers), buyer_ratio), np.full(len(market.suppliers), supplier_ratio)
    return _both_at(market._engine, rb, rs)


def _both_at(engine: Any, rb: np.ndarray, rs: np.ndarray) -> tuple[Any, Any]:
    """The evaluation on the level grid and the one over each agent's types, at the same weight ratios."""
    levels = engine.evaluate(rb, rs)
    engine.level_grid = False
    try:
        types = engine.evaluate(rb, rs)
    finally:
        engine.level_grid = True
    return levels, types


def _applies(market: Market, buyer_ratio: float = 0.7, supplier_ratio: float = 0.55) -> bool:
    vb, vs = market._engine.views(np.full(len(market.buyers), buyer_ratio), np.full(len(market.suppliers), supplier_ratio))
    return level_grid_applies(vb, vs)


def test_buyer_level_terms_against_uniform_closed_forms() -> None:
    # Uniform [0, 1] values at weight ratio a: Phi(v) = (2 - a) v - (1 - a), uniform on [-(1 - a), 1]
    a = 0.3
    view = AgentView(D.Uniform(0.0, 1.0), True, a)
    y = np.array([-0.9, -0.5, 0.0, 0.6, 1.2])
    v, above, dens, rent = level_terms(view, y)
    k = 2.0 - a
    exact_v = np.clip((y + 1.0 - a) / k, 0.0, 1.0)
    live = (y > -(1.0 - a)) & (y < 1.0)
    np.testing.assert_allclose(v, exact_v, atol=1e-14)
    np.testing.assert_allclose(above, 1.0 - exact_v, atol=1e-14)
    np.testing.assert_allclose(dens, np.where(live, 1.0 / k, 0.0), atol=1e-14)
    np.testing.assert_allclose(rent, np.where(live, (1.0 - exact_v) / k, 0.0), atol=1e-14)


def test_buyer_level_density_is_the_derivative_of_the_virtual_value_law() -> None:
    for dist, a in ((D.Beta(2.0, 3.0), 0.6), (D.TruncatedNormal(0.6, 0.3, 0.0, 1.0), 0.2)):
        view = AgentView(dist, True, a)
        y = view.virtual(np.array([0.3, 0.5, 0.7, 0.9]))
        h = 1e-6
        _, up, _, _ = level_terms(view, y + h)
        _, down, _, _ = level_terms(view, y - h)
        v, above, dens, rent = level_terms(view, y)
        np.testing.assert_allclose(dens, -(up - down) / (2 * h), rtol=1e-7)  # P(Phi >= y) falls at the density
        np.testing.assert_allclose(rent, above * dens / np.asarray(dist.pdf(v)), rtol=1e-12)


@pytest.mark.parametrize("design", ["1 x 8 Beta", "2 x 3 with units", "mixed laws", "outside options", "identical"])
def test_level_grid_equals_the_integrals_over_types(design: str) -> None:
    markets = {
        "1 x 8 Beta": Market([D.Beta(2.0, 3.0)], [D.Beta(3.0 + j / 2, 2.0 + j / 4) for j in range(8)]),
        "2 x 3 with units": Market([D.Beta(2.0, 2.0), D.Uniform(0.0, 1.2)], [D.Beta(2.0, 3.0), D.Uniform(0.0, 1.0),
                                   D.Beta(3.0, 3.0)], buyer_units=[2, 1], supplier_units=[1, 2, 1]),
        "mixed laws": Market([D.TruncatedNormal(0.6, 0.3, 0.0, 1.0), D.TruncatedExponential(2.0, 0.0, 1.0)],
                             [D.TruncatedExponential(0.5, 0.0, 1.0), D.Uniform(0.1, 0.9)]),
        "outside options": Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0), D.Uniform(0.0, 1.0)],
                                  buyer_outside_options=[0.05], supplier_outside_options=[0.1, 0.0]),
        "identical": Market([D.Uniform(0.0, 1.0)] * 3, [D.Uniform(0.0, 1.0)] * 2),
    }
    market = markets[design]
    assert _applies(market)
    levels, types = _both(market, 0.7, 0.55)
    bound = levels.error + types.error + 1e-13
    for name in _FIELDS:
        np.testing.assert_allclose(getattr(levels, name), getattr(types, name), rtol=0, atol=bound)
    assert levels.error < 1e-11 and levels.converged


def test_uniform_market_matches_the_closed_form_allocation() -> None:
    # One buyer, one supplier, uniform [0, 1], weight ratios a: trade iff Phi(v) >= Gamma(c), i.e.
    # (2 - a) v - (1 - a) >= (2 - a) c. With d = (1 - a)/(2 - a): P(trade) = (1 - d)^2 / 2,
    # E[v Q] = (1 - d)^2 (2 + d) / 6 (the triangle v - c >= d), E[c Q] = (1 - d)^3 / 6.
    a = 0.4
    market = Market([D.Uniform(0.0, 1.0)], [D.Uniform(0.0, 1.0)])
    ev = market._engine.evaluate(np.array([a]), np.array([a]))
    d = (1.0 - a) / (2.0 - a)
    assert ev.supplier_trades[0] == pytest.approx((1 - d) ** 2 / 2, abs=1e-14)
    assert ev.buyer_trades[0] == pytest.approx((1 - d) ** 2 / 2, abs=1e-14)
    assert ev.buyer_gross[0] == pytest.approx((1 - d) ** 2 * (2 + d) / 6, abs=1e-14)
    assert ev.supplier_cost[0] == pytest.approx((1 - d) ** 3 / 6, abs=1e-14)


def test_ironed_or_mixture_agents_keep_the_integrals_over_types() -> None:
    mixture = Market([D.Beta(2.0, 3.0)], [D.Mixture([D.Uniform(0.0, 0.5), D.Uniform(0.0, 1.0)], [0.5, 0.5])])
    assert not _applies(mixture)
    bimodal = D.Mixture([D.TruncatedNormal(0.2, 0.05, 0.0, 1.0), D.TruncatedNormal(0.8, 0.05, 0.0, 1.0)], [0.5, 0.5])
    ironed = Market([bimodal], [D.Uniform(0.0, 1.0)])
    assert not _applies(ironed)
    levels, types = _both(ironed, 0.7, 0.55)
    for name in _FIELDS:  # not applicable: both are the integrals over types
        np.testing.assert_array_equal(getattr(levels, name), getattr(types, name))


def test_a_law_with_an_interior_breakpoint_keeps_the_integrals_over_types() -> None:
    # a jump of the density makes the virtual type jump: the levels it skips carry no mass
    class KinkedUniform(D.Uniform):
        def __init__(self) -> None:
            super().__init__(0.0, 1.0)
            self.breakpoints = (0.5,)

    assert not has_closed_form_slope(AgentView(KinkedUniform(), True, 0.5))
    assert has_closed_form_slope(AgentView(D.Uniform(0.0, 1.0), True, 0.5))


def test_inverted_levels_grow_about_linearly_in_the_agents(record_sizes: Any) -> None:
    """Issue 15: counted, not timed. Levels inverted per evaluation and agent: 315, 375, 405, 435 for 2, 4, 8, 16
    suppliers (the integrals over types invert n - 1 agents at each node of each agent: quadratic)."""
    per_agent = {}
    for n in (4, 16):
        market = Market([D.Beta(2.0, 3.0)], [D.Beta(3.0 + j / 2, 2.0 + j / 4) for j in range(n)])
        with record_sizes(level_grid, "level_terms", 1) as sizes:
            market._engine.evaluate(np.array([0.8]), np.full(n, 0.5))
        per_agent[n] = sum(sizes) / (n + 1)
    assert per_agent[16] <= 1.3 * per_agent[4]


_LAWS = st.one_of(
    st.tuples(st.floats(1.0, 5.0), st.floats(1.0, 5.0)).map(lambda ab: D.Beta(round(ab[0], 2), round(ab[1], 2))),
    st.tuples(st.floats(0.0, 0.3), st.floats(0.7, 1.2)).map(lambda lh: D.Uniform(round(lh[0], 2), round(lh[1], 2))),
    st.floats(0.2, 3.0).map(lambda s: D.TruncatedExponential(round(s, 2), 0.0, 1.0)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LAWS, min_size=1, max_size=3), st.lists(_LAWS, min_size=1, max_size=4), st.data())
def test_random_markets_agree_on_both_grids(buyers: list[Any], suppliers: list[Any], data: Any) -> None:
    """Random laws, capacities and weight ratios: the level grid and the integrals over types agree within the
    sum of their error bounds."""
    units_b = data.draw(st.lists(st.integers(1, 2), min_size=len(buyers), max_size=len(buyers)))
    units_s = data.draw(st.lists(st.integers(1, 2), min_size=len(suppliers), max_size=len(suppliers)))
    rb = np.array(data.draw(st.lists(st.floats(0.1, 1.0), min_size=len(buyers), max_size=len(buyers))))
    rs = np.array(data.draw(st.lists(st.floats(0.1, 1.0), min_size=len(suppliers), max_size=len(suppliers))))
    market = Market(buyers, suppliers, buyer_units=units_b, supplier_units=units_s)
    engine = market._engine
    vb, vs = engine.views(rb, rs)
    if not level_grid_applies(vb, vs):  # an ironed law at these ratios
        return
    levels, types = _both_at(engine, rb, rs)
    bound = levels.error + types.error + 1e-12
    for name in _FIELDS:
        np.testing.assert_allclose(getattr(levels, name), getattr(types, name), rtol=0, atol=bound)
