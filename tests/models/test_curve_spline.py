"""The graded quintic splines of the rho(Delta) curve (bargaining.models._curve_spline) against closed forms:
a function with the singular expansion 1 - c0 u - c1 u^2 log u at both ends (u = distance to the end), as the
solver's curve has where rho tends to 1, and its derivative; the map and its inverse."""

from __future__ import annotations

import numpy as np
import pytest

from bargaining.models._curve_spline import SplitSpline, _Map, flat_map_grid


def _f(d: np.ndarray) -> np.ndarray:
    # singular at -1 and +1 (u^2 log u), smooth on each side of 0 with a kink in the second derivative there
    u, v = 1.0 + d, 1.0 - d
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(u > 0, u**2 * np.log(u), 0.0)
        right = np.where(v > 0, v**2 * np.log(v), 0.0)
    return 1.0 - 0.4 * u + 0.1 * left - 0.2 * right + 0.3 * np.where(d > 0, d**2, 0.0) + 0.05 * np.sin(3 * d)


def _df(d: float) -> float:
    u, v = 1.0 + d, 1.0 - d
    left = 0.1 * (2 * u * np.log(u) + u) if u > 0 else 0.0
    right = -0.2 * (-(2 * v * np.log(v) + v)) if v > 0 else 0.0
    return -0.4 + left + right + (0.6 * d if d > 0 else 0.0) + 0.15 * np.cos(3 * d)


@pytest.mark.parametrize(("flat_lo", "flat_hi"), [(True, False), (False, True), (True, True), (False, False)])
def test_map_round_trip(flat_lo: bool, flat_hi: bool) -> None:
    m = _Map(-0.3, 0.7, flat_lo, flat_hi)
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(m.x(m.delta(x)), x, atol=1e-12)
    # near a flat end (u ~ x^2) the rounding of Delta costs x about 1e-16 / x
    near = np.array([1e-6, 1 - 1e-6])
    np.testing.assert_allclose(m.x(m.delta(near)), near, atol=1e-10)
    assert m.delta(np.array([0.0]))[0] == pytest.approx(-0.3, abs=1e-15)
    assert m.delta(np.array([1.0]))[0] == pytest.approx(0.7, abs=1e-15)
    # derivatives against central differences of the map
    for x0 in (0.2, 0.5, 0.9):
        h = 1e-5
        d1 = (m.delta(np.array([x0 + h]))[0] - m.delta(np.array([x0 - h]))[0]) / (2 * h)
        d2 = (m.delta(np.array([x0 + h]))[0] - 2 * m.delta(np.array([x0]))[0] + m.delta(np.array([x0 - h]))[0]) / h**2
        assert m.derivatives(x0)[0] == pytest.approx(d1, rel=1e-8)
        assert m.derivatives(x0)[1] == pytest.approx(d2, rel=1e-4, abs=1e-4)


def test_graded_spline_interpolates_the_end_singularity() -> None:
    flats = [(True, False), (False, True)]
    grid = flat_map_grid(24, [0.0], flats)
    spline = SplitSpline(grid, _f(grid), [0.0], flats)
    d = np.concatenate([np.linspace(-1, 1, 4001), -1 + np.logspace(-9, -1, 50), 1 - np.logspace(-9, -1, 50)])
    assert np.max(np.abs(spline(d) - _f(d))) < 1e-6
    # the same number of nodes evenly spaced in Delta, as cubic splines had: far worse at the ends
    even = np.linspace(-1, 1, len(grid))
    plain = SplitSpline(even, _f(even), [0.0])
    assert np.max(np.abs(plain(d) - _f(d))) > 10 * np.max(np.abs(spline(d) - _f(d)))
    # derivatives, including at the flat ends (ratio of second derivatives) and on the left of the knot 0
    for x in (-1.0, -1 + 1e-7, -0.6, -0.1, 0.0, 0.3, 0.95, 1 - 1e-7, 1.0):
        assert spline.slope(x) == pytest.approx(_df(x), abs=5e-4), x
    # midpoints in the mapped variable lie inside their intervals
    mids = spline.midpoints(grid[:-1], grid[1:])
    assert np.all((mids > grid[:-1]) & (mids < grid[1:]))


def test_solver_curve_slopes_at_the_ends_against_eq38() -> None:
    """Uniform laws on [0, 1]: the solver-built curve's slopes at Delta = -1 and +1 (flat ends of the map, where
    a = 0 or b = 0 exactly) against one-sided differences of the closed form (eq. 38)."""
    from bargaining import Uniform
    from bargaining.models.incomplete_likelihood import WeightRatioCurve, uniform_weight_ratios

    curve = WeightRatioCurve.from_solver(Uniform(), Uniform())
    h = 1e-7
    for end, inner in ((-1.0, -1.0 + h), (1.0, 1.0 - h)):
        (a0, b0), (a1, b1) = uniform_weight_ratios(end), uniform_weight_ratios(inner)
        da, db = curve.slopes(end)
        assert da == pytest.approx((a1 - a0) / (inner - end), abs=1e-4)
        assert db == pytest.approx((b1 - b0) / (inner - end), abs=1e-4)
    assert curve.slopes(-1.0)[0] == pytest.approx(1.0, abs=1e-4)  # a = (1 + Delta) t with t(-1) = 1
