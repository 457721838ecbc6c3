"""The shared (v, Lambda) grid of the one-buyer market with preferences theta (issue 15: work like n^2).

Checked against closed forms (uniform laws), brute-force convolutions, central differences, and the
per-supplier (v, c_j) grids that were the only computation before (tested independently elsewhere).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate as sci

import bargaining.models.mechanism.theta_shared as shared
from bargaining.models import distributions as D
from bargaining.models.mechanism import Market
from bargaining.models.mechanism.integrals import _NODES, _WK, count_pmf, leave_one_out_pmfs
from bargaining.models.mechanism.level_terms import level_terms
from bargaining.models.mechanism.theta_shared import (
    STEP_NODES,
    STEP_WK,
    _relative_edges,
    grading_levels,
    shared_grid_applies,
)
from bargaining.models.mechanism.types import AgentView


def _rows(ev: Any) -> np.ndarray:
    return np.concatenate([ev.supplier_trades, ev.supplier_cost, ev.supplier_rent, ev.buyer_trades, ev.buyer_gross,
                           ev.buyer_rent])


def _evaluate(market: Market, buyer_ratio: float, supplier_ratio: float, *, shared_grid: bool, split: int = 1) -> Any:
    engine = market._engine
    ns = len(market.suppliers)
    engine.shared_grid, engine.inner_split = shared_grid, split
    try:
        return engine.evaluate(np.array([buyer_ratio]), np.full(ns, supplier_ratio))
    finally:
        engine.shared_grid, engine.inner_split = True, 1


def _certified_both(engine: Any, rb: np.ndarray, rs: np.ndarray) -> tuple[Any, Any]:
    """Certified evaluations on the shared grid and on the per-supplier grids, at the same weight ratios."""
    ours = engine.certify(rb, rs, engine.evaluate(rb, rs))
    engine.shared_grid = False
    try:
        theirs = engine.certify(rb, rs, engine.evaluate(rb, rs))
    finally:
        engine.shared_grid = True
    return ours, theirs


def _applies(market: Market, buyer_ratio: float = 0.7, supplier_ratio: float = 0.55) -> bool:
    _, views = market._engine.views(np.array([buyer_ratio]), np.full(len(market.suppliers), supplier_ratio))
    return shared_grid_applies(views)


def _beta_suppliers(n: int) -> list[Any]:
    return [D.Beta(3.0 + j / 2, 2.0 + j / 4) for j in range(n)]


# ------------------------------------------------------------------------------------------- building blocks
def test_leave_one_out_counts_equal_direct_convolutions() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(size=(5, 7))
    p[2, :3] = 1.0  # an agent that is surely ahead: division by 1 - p would fail
    ks = np.array([1, 2, 1, 3, 1])
    for cap in (1, 2, 4):
        got = leave_one_out_pmfs(p, ks, cap)
        for j in range(5):
            others = [l for l in range(5) if l != j]
            np.testing.assert_allclose(got[j], count_pmf(p[others], ks[others], cap), atol=1e-15)


def test_cost_terms_against_uniform_closed_forms() -> None:
    # Uniform [0, 1] costs at weight ratio a: Gamma(c) = (2 - a) c, so the virtual cost is uniform on [0, 2 - a]
    a = 0.4
    view = AgentView(D.Uniform(0.0, 1.0), False, a)
    y = np.array([-0.1, 0.3, 1.0, 1.5, 1.7])
    c, below, dens, rent = level_terms(view, y)
    k = 2.0 - a
    np.testing.assert_allclose(c, np.clip(y / k, 0.0, 1.0), atol=1e-14)
    np.testing.assert_allclose(below, np.clip(y / k, 0.0, 1.0), atol=1e-14)
    np.testing.assert_allclose(dens, np.where((y > 0) & (y < k), 1.0 / k, 0.0), atol=1e-14)
    np.testing.assert_allclose(rent, np.where((y > 0) & (y < k), y / k / k, 0.0), atol=1e-14)


def test_cost_terms_density_is_the_derivative_of_the_virtual_cost_cdf() -> None:
    for dist, a in ((D.Beta(3.0, 2.0), 0.6), (D.TruncatedNormal(0.4, 0.3, 0.0, 1.0), 0.3),
                    (D.TruncatedExponential(0.5, 0.0, 2.0), 0.8)):
        view = AgentView(dist, False, a)
        y = view.virtual(np.array([0.1, 0.3, 0.5, 0.7])) if dist.high == 1.0 else view.virtual(np.array([0.2, 0.9, 1.5]))
        h = 1e-6
        _, up, _, _ = level_terms(view, y + h)
        _, down, _, _ = level_terms(view, y - h)
        c, below, dens, rent = level_terms(view, y)
        np.testing.assert_allclose(dens, (up - down) / (2 * h), rtol=1e-7)
        np.testing.assert_allclose(rent, below * dens / np.asarray(dist.pdf(c)), rtol=1e-12)


# ------------------------------------------------------------------------------------------- independent values
def test_two_uniform_suppliers_against_nested_quadrature() -> None:
    # Uniform [0, 1] types: Phi(v) = (2 - a_b) v - (1 - a_b), Gamma(c) = (2 - a_s) c. Supplier i sells iff
    # Lambda_i = theta_i Phi - Gamma(c) >= 0 and the rival's virtual surplus is lower, i.e. its cost is above
    # (Gamma(c) + (theta_o - theta_i) Phi) / (2 - a_s).
    theta = (1.5, 1.0)
    a_b, a_s = 0.7, 0.55
    market = Market([D.Uniform(0.0, 1.0)], [D.Uniform(0.0, 1.0), D.Uniform(0.0, 1.0)], preferences=list(theta))
    assert _applies(market, a_b, a_s)
    ev = _evaluate(market, a_b, a_s, shared_grid=True)
    kb, ks = 2.0 - a_b, 2.0 - a_s

    def q(v: float, c: float, i: int) -> float:
        phi = kb * v - (1.0 - a_b)
        lam = theta[i] * phi - ks * c
        if lam < 0.0:
            return 0.0
        return 1.0 - min(max((ks * c + (theta[1 - i] - theta[i]) * phi) / ks, 0.0), 1.0)

    for i in (0, 1):
        def inner(c: float, weight: Any, i: int = i) -> float:
            # the integrand over v jumps where Lambda_i = 0 and has kinks where the rival's threshold is 0 or 1
            gap = theta[1 - i] - theta[i]
            phis = [ks * c / theta[i], -ks * c / gap, (ks - ks * c) / gap]
            kinks = sorted(x for x in ((phi + 1.0 - a_b) / kb for phi in phis) if 0.0 < x < 1.0)
            return sci.quad(lambda v: weight(v, c) * q(v, c, i), 0.0, 1.0, points=kinks or None, epsabs=1e-15,
                            epsrel=1e-13, limit=200)[0]

        def outer(weight: Any) -> float:
            return sci.quad(lambda c: inner(c, weight), 0.0, 1.0, points=list(np.linspace(0.0, 1.0, 41)[1:-1]),
                            epsabs=1e-13, epsrel=1e-12, limit=400)[0]

        assert ev.supplier_trades[i] == pytest.approx(outer(lambda v, c: 1.0), abs=1e-11)
        assert ev.supplier_cost[i] == pytest.approx(outer(lambda v, c: c), abs=1e-11)
        assert ev.supplier_rent[i] == pytest.approx(outer(lambda v, c: c), abs=1e-11)  # G/g = c


@pytest.mark.parametrize("design", ["beta", "multi-unit", "discounts", "outside options", "mixed laws"])
def test_shared_grid_equals_the_per_supplier_grids(design: str) -> None:
    markets = {
        "beta": Market([D.Beta(2.0, 3.0)], _beta_suppliers(4), preferences=[1.0, 1.1, 1.25, 1.4]),
        "multi-unit": Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0), D.Uniform(0.0, 1.0), D.Beta(4.0, 2.0)],
                             buyer_units=[3], supplier_units=[1, 2, 1], preferences=[1.2, 1.0, 0.9]),
        "discounts": Market([D.Uniform(0.0, 1.0)], [D.Uniform(0.0, 1.0), D.Beta(2.0, 2.0)], buyer_units=[2],
                            preferences=[1.2, 0.9], discounts=[0.0, 0.4]),
        "outside options": Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0), D.TruncatedNormal(0.5, 0.3, 0.0, 1.0)],
                                  preferences=[1.3, 1.0], supplier_outside_options=[0.1, 0.0]),
        "mixed laws": Market([D.TruncatedExponential(2.0, 0.0, 1.0)],
                             [D.TruncatedExponential(1.0, 0.0, 1.0), D.Uniform(0.1, 0.9), D.Beta(2.0, 2.0)],
                             preferences=[1.0, 1.3, 1.1]),
    }
    market = markets[design]
    assert _applies(market)
    ours = _rows(_evaluate(market, 0.7, 0.55, shared_grid=True))
    reference = _rows(_evaluate(market, 0.7, 0.55, shared_grid=False, split=4))
    np.testing.assert_allclose(ours, reference, atol=1e-11)


def test_laws_the_inner_rule_cannot_resolve_keep_the_per_supplier_grids() -> None:
    singular = Market([D.Beta(1.0, 1.5)], [D.Beta(0.3, 1.5), D.Beta(1.5, 1.0)], preferences=[1.4, 1.0])
    assert not _applies(singular)  # a density like c^-0.7 at the bottom: over 40 geometric parts
    mixture = Market([D.Beta(2.0, 3.0)], [D.Mixture([D.Uniform(0.0, 0.5), D.Uniform(0.0, 1.0)], [0.5, 0.5]),
                                          D.Beta(3.0, 2.0)], preferences=[1.2, 1.0])
    assert not _applies(mixture)  # no closed-form slope of its virtual cost
    # the per-supplier grids then give exactly what forcing them gives
    a = _rows(_evaluate(singular, 0.7, 0.55, shared_grid=True))
    b = _rows(_evaluate(singular, 0.7, 0.55, shared_grid=False))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)  # (the inverse's caches change the last digits)


def test_grading_levels_follow_the_rule_error_on_powers() -> None:
    # integer powers and alpha >= 2.5 need none; the others enough parts of ratio 1/4 for 1e-14
    assert [grading_levels(a) for a in (0.0, 1.0, 2.0, 2.5, 3.7)] == [0, 0, 0, 0, 0]
    assert [grading_levels(a) for a in (1.5, 0.5, -0.3, -0.5)] == [2, 6, 19, 33]
    assert grading_levels(-0.7) is None and grading_levels(float("nan")) is None
    # the count is what the rule needs: smootherstep nodes on the part at 0, Gauss-Kronrod on the geometric parts,
    # integrate t^-0.3 on [0, 1] to 1e-13 relative
    rel, plain = _relative_edges(1, 19, 0, 1)
    assert rel[-2] == 0.5 and not plain[0] and not plain[-1] and plain[1:-1].all()  # the graded half, then [1/2, 1]
    _, both = _relative_edges(1, 3, 3, 2)  # graded towards both ends, every part halved
    assert not both[0] and not both[-1] and both[1:-1].all()
    lo, hi = rel[:-1], rel[1:]
    t = 0.5 * (_NODES + 1.0)
    nodes = lo[:, None] + (hi - lo)[:, None] * np.where(plain[:, None], t, STEP_NODES)
    weights = (hi - lo)[:, None] * np.where(plain[:, None], 0.5 * _WK, STEP_WK)
    assert abs(float(np.sum(weights * nodes**-0.3)) * 0.7 - 1.0) < 1e-13


def test_rough_densities_are_graded_and_reach_the_default_accuracy() -> None:
    """Beta(0.7, b) and Beta(1.5, b) costs (densities like c^-0.3 and c^0.5 at the bottom, sqrt(1 - v) for the
    buyer): the graded shared grid agrees with the per-supplier grids within both certified bounds, and its
    bound is far tighter (the per-supplier grids: about 1e-9)."""
    market = Market([D.Beta(1.0, 1.5)], [D.Beta(0.7, 1.5), D.Beta(1.5, 1.0)], preferences=[1.4, 1.0])
    assert _applies(market)
    engine = market._engine
    rb, rs = np.array([0.7]), np.array([0.55, 0.55])
    ours, theirs = _certified_both(engine, rb, rs)
    np.testing.assert_allclose(_rows(ours), _rows(theirs), rtol=0, atol=ours.error + theirs.error)
    assert ours.error < 1e-10 < theirs.error


# ------------------------------------------------------------------------------------------- accuracy and work
def test_inverted_levels_grow_like_n_squared(record_sizes: Any) -> None:
    """Issue 15: the theta case no worse than n^2. Counted (not timed): the levels inverted in one evaluation
    per n^2 fall from 2 to 16 suppliers (15,200, 8,600, 7,700, 6,800); the per-supplier grids grew like n^3."""
    per_n2 = {}
    for n in (4, 8, 16):
        theta = [1.0 + j / (2.0 * n) for j in range(n)]
        market = Market([D.Beta(2.0, 3.0)], _beta_suppliers(n), preferences=theta)
        assert _applies(market, 0.8, 0.5)
        with record_sizes(shared, "level_terms", 1) as sizes:
            _evaluate(market, 0.8, 0.5, shared_grid=True)
        per_n2[n] = sum(sizes) / n**2
    assert per_n2[8] <= 1.1 * per_n2[4]
    assert per_n2[16] <= 1.1 * per_n2[8]


_SMOOTH_LAWS = st.one_of(
    st.tuples(st.integers(3, 5), st.floats(1.2, 4.0)).map(lambda ab: D.Beta(float(ab[0]), round(ab[1], 2))),
    st.tuples(st.floats(0.0, 0.3), st.floats(0.7, 1.2)).map(lambda lh: D.Uniform(round(lh[0], 2), round(lh[1], 2))),
    st.tuples(st.floats(0.2, 0.8), st.floats(0.15, 0.5)).map(
        lambda ms: D.TruncatedNormal(round(ms[0], 2), round(ms[1], 2), 0.0, 1.0)),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SMOOTH_LAWS, st.lists(_SMOOTH_LAWS, min_size=2, max_size=4), st.integers(1, 2), st.data())
def test_random_markets_agree_on_both_grids_within_certified_bounds(buyer: Any, suppliers: list[Any], units: int,
                                                                     data: Any) -> None:
    n = len(suppliers)
    theta = data.draw(st.lists(st.floats(0.8, 1.5), min_size=n, max_size=n))
    market = Market([buyer], suppliers, buyer_units=[units], preferences=[round(t, 2) for t in theta])
    rb = np.array([data.draw(st.floats(0.2, 1.0))])
    rs = np.array(data.draw(st.lists(st.floats(0.2, 1.0), min_size=n, max_size=n)))
    engine = market._engine
    if not shared_grid_applies(engine.views(rb, rs)[1]):  # an ironed law at these ratios
        return
    ours, theirs = _certified_both(engine, rb, rs)
    np.testing.assert_allclose(_rows(ours), _rows(theirs), rtol=0, atol=ours.error + theirs.error + 1e-12)
