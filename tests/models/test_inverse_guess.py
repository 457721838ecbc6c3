"""The vectorized cubic guess of inverse virtual types against a loop written here, and the inverse itself
(interpolated where trusted, root-found elsewhere) against scipy's brentq on the virtual type."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.optimize import brentq

from bargaining.models import distributions as D
from bargaining.models.distributions import base


def _loop_guess(grid: np.ndarray, table: np.ndarray, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
    n, out = len(grid), np.full(y.shape, np.nan)
    for q in range(len(idx)):
        f = min(max(int(idx[q]) - 2, 0), n - 4)
        ys, xs = table[f:f + 4], grid[f:f + 4]
        if not (np.all(np.isfinite(ys)) and np.all(np.diff(ys) > 0)):
            continue
        total = 0.0
        for j in range(4):
            basis = 1.0
            for m in range(4):
                if m != j:
                    basis *= (y[q] - ys[m]) / (ys[j] - ys[m])
            total += basis * xs[j]
        out[q] = total
    return out


@pytest.mark.parametrize("side", ["value", "cost"])
def test_vectorized_cubic_guess_equals_the_loop(side: str) -> None:
    dist = D.Beta(3.5, 2.25)
    grid, table = dist._inverse_grid(), dist._table(side, 0.4)
    rng = np.random.default_rng(0)
    idx = rng.integers(1, len(grid), 3000)
    with np.errstate(invalid="ignore"):  # cells next to a pole have infinite ends: their guesses are NaN
        y = table[idx - 1] + (table[idx] - table[idx - 1]) * rng.random(3000)
    fast, slow = base._inverse_cubic_guess(grid, table, idx, y), _loop_guess(grid, table, idx, y)
    assert np.array_equal(np.isnan(fast), np.isnan(slow))
    assert np.nanmax(np.abs(fast - slow)) < 1e-12


@pytest.mark.parametrize("dist", [
    D.Beta(2.0, 3.0), D.Beta(3.5, 2.25), D.Beta(1.0, 0.99), D.TruncatedNormal(0.5, 0.2, 0.0, 1.0),
    D.TruncatedExponential(0.4, 0.0, 1.0), D.Uniform(0.0, 2.0),
    D.Mixture([D.Beta(2.0, 5.0), D.Beta(5.0, 2.0)], [0.5, 0.5]),
])
def test_inverse_against_brentq(dist) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    for weight in (0.3, 0.8):
        x_true = dist.low + (dist.high - dist.low) * rng.uniform(0.02, 0.98, 200)
        for name in ("value", "cost"):
            forward = dist.virtual_value if name == "value" else dist.virtual_cost
            inverse = dist.virtual_value_inverse if name == "value" else dist.virtual_cost_inverse
            levels = np.asarray(forward(x_true, weight=weight))
            found = np.asarray(inverse(levels, weight=weight))
            reference = np.array([brentq(lambda x, lv=lv, f=forward, w=weight: f(x, weight=w) - lv, dist.low, dist.high,
                                         xtol=1e-15) for lv in levels])
            # the inverse's own contract: a residual in the virtual type of at most 1e-11 (relative, at least 1)
            residual = np.abs(np.asarray(forward(found, weight=weight)) - levels)
            assert np.all(residual <= 1e-11 * np.maximum(1.0, np.abs(levels)))
            assert np.max(np.abs(found - reference)) < 1e-9


def test_upper_tail_has_full_precision() -> None:
    """1 - F(v) near the top of a Beta(2, 5) support: (1 - v)^5 (1 + 5 v) in closed form; computed as 1 - cdf it
    lost every digit (1e-14 against rounding of 1e-16), which made the inverse virtual value fail to converge."""
    dist = D.Beta(2.0, 5.0)
    v = np.array([0.3, 0.9, 0.998, 0.9999])
    exact = (1 - v) ** 5 * (1 + 5 * v)
    assert np.max(np.abs(np.asarray(dist.sf(v)) / exact - 1)) < 1e-12
    assert np.max(np.abs(np.asarray(dist.cdf(v)) - (1 - exact))) < 1e-15
    with np.errstate(all="raise"):
        import warnings

        from bargaining.errors import AccuracyWarning

        with warnings.catch_warnings():
            warnings.simplefilter("error", AccuracyWarning)
            x = dist.virtual_value_inverse(np.array([0.9978638427802031]), weight=0.32162186501972284)
    assert abs(float(dist.virtual_value(x, weight=0.32162186501972284)[0]) - 0.9978638427802031) < 1e-11


@pytest.mark.parametrize(("mean", "sd", "low", "high"), [(0.0, 1.0, 5.0, 6.0), (0.0, 1.0, -6.0, -5.0),
                                                         (0.5, 0.2, 0.0, 1.0)])
def test_truncated_normal_cdf_and_sf_against_scipy(mean: float, sd: float, low: float, high: float) -> None:
    """Supports deep in a tail: F and 1 - F from the raw function without cancellation (scipy's truncnorm)."""
    from scipy import stats

    dist = D.TruncatedNormal(mean, sd, low, high)
    ref = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
    x = np.concatenate([np.linspace(low, high, 9)[1:-1], [low + 1e-4 * (high - low), high - 1e-4 * (high - low)]])
    assert np.max(np.abs(np.asarray(dist.cdf(x)) / ref.cdf(x) - 1)) < 1e-9
    assert np.max(np.abs(np.asarray(dist.sf(x)) / ref.sf(x) - 1)) < 1e-9


@pytest.mark.parametrize("dist", [D.Beta(2.0, 3.0), D.Beta(3.0, 2.0), D.Beta(3.5, 2.25),
                                  D.TruncatedNormal(0.5, 0.2, 0.0, 1.0), D.TruncatedExponential(0.4, 0.0, 1.0)])
def test_few_levels_alone_against_brentq(dist) -> None:  # type: ignore[no-untyped-def]
    """One or two levels at a time (the scalar path of the inverse, as for quadrature breakpoints), including levels
    near a pole of the virtual type and beyond its range, against brentq on the (regular) virtual type."""
    rng = np.random.default_rng(7)
    x_true = dist.low + (dist.high - dist.low) * np.concatenate([rng.uniform(0.01, 0.99, 12), [1e-5, 1 - 1e-5]])
    for weight in (0.0, 0.45, 0.97):
        for name in ("value", "cost"):
            forward = dist.virtual_value if name == "value" else dist.virtual_cost
            inverse = dist.virtual_value_inverse if name == "value" else dist.virtual_cost_inverse
            levels = np.asarray(forward(x_true, weight=weight))
            for lv in levels:
                alone = float(inverse(lv, weight=weight))
                ref = brentq(lambda x, lv=lv, f=forward, w=weight: f(x, weight=w) - lv, dist.low, dist.high, xtol=1e-15)
                assert abs(alone - ref) < 1e-9
            pair = np.asarray(inverse(levels[:2], weight=weight))
            assert pair.shape == (2,)
            np.testing.assert_allclose(pair, [float(inverse(levels[0], weight=weight)),
                                              float(inverse(levels[1], weight=weight))], atol=1e-12)
            outside = np.asarray(inverse(np.array([-np.inf, np.inf]), weight=weight))
            assert outside.tolist() == [dist.low, dist.high]


@pytest.mark.parametrize("side", ["value", "cost"])
@pytest.mark.parametrize("dist", [D.Beta(2.0, 3.0), D.Beta(6.0, 3.5), D.Beta(4.5, 2.0), D.Beta(1.5, 1.5)])
def test_pole_guess_is_close_next_to_a_pole(dist, side: str) -> None:  # type: ignore[no-untyped-def]
    """The log-log cubic next to a pole of the virtual type against roots found by brentq, and its slope against
    a central difference of the virtual type; the cubic in x against y is shown to be far off there."""
    weight = 0.4
    forward = dist.virtual_value if side == "value" else dist.virtual_cost
    distance = np.logspace(-6.0, -1.0, 25)
    x_true = distance if side == "value" else 1.0 - distance
    levels = np.asarray(forward(x_true, weight=weight))
    x_ref = np.array([brentq(lambda x, lv=lv: forward(x, weight=weight) - lv, 1e-15, 1 - 1e-15, xtol=1e-16, rtol=1e-15)
                      for lv in levels])
    grid, table = dist._inverse_grid(), dist._table(side, weight)
    idx = np.searchsorted(table, levels, side="left")
    guess, slope = dist._pole_guess(side, weight, grid, table, idx, levels)
    assert np.all(np.isfinite(guess))
    dist_ref = np.minimum(x_ref, 1.0 - x_ref)
    assert np.max(np.abs(guess - x_ref) / dist_ref) < 1e-3
    assert np.median(np.abs(guess - x_ref) / dist_ref) < 1e-5
    plain = base._inverse_cubic_guess(grid, table, idx, levels)
    assert np.nanmedian(np.abs(plain - x_ref) / dist_ref) > 10 * np.median(np.abs(guess - x_ref) / dist_ref)
    step = 1e-6 * dist_ref
    central = 2 * step / (np.asarray(forward(x_ref + step, weight=weight)) - np.asarray(forward(x_ref - step, weight=weight)))
    assert np.max(np.abs(slope / central - 1.0)) < 1e-2
    found = np.asarray((dist.virtual_value_inverse if side == "value" else dist.virtual_cost_inverse)(levels, weight=weight))
    # within 1e-9 of the distance to the pole, or 1e-14 (a tenth of the root finder's xtol) where that is finer
    assert np.all(np.abs(found - x_ref) <= np.maximum(1e-9 * dist_ref, 1e-14))


def test_pole_guess_does_not_apply_without_a_pole() -> None:
    dist = D.Uniform(0.0, 1.0)  # density positive at both ends: no pole
    grid, table = dist._inverse_grid(), dist._table("cost", 0.4)
    levels = np.array([0.5, 1.2])
    guess, slope = dist._pole_guess("cost", 0.4, grid, table, np.searchsorted(table, levels), levels)
    assert np.all(np.isnan(guess)) and np.all(np.isnan(slope))


def test_close_secant_step_is_not_replaced_by_the_bracket_margin(record_sizes: Any) -> None:
    """From a guess 1e-8 off, Newton and one secant step reach the tolerance: at most three evaluations of the
    virtual type (the bracket margin of 1e-9 of the cell used to replace the last, tiny step)."""
    dist = D.Beta(3.0, 2.0)
    level, root = 5.1921125715443814, 0.991937398283921
    grid, table = dist._inverse_grid(), dist._table("cost", 0.6)
    k = int(np.searchsorted(table, level))
    with record_sizes(dist, "_ironed", 2) as calls:  # evaluations of the (ironed) virtual type
        found = dist._illinois("cost", 0.6, np.array([level]), grid[k - 1:k], grid[k:k + 1], table[k - 1:k],
                               table[k:k + 1], guess=np.array([root + 1e-8]), slope=np.array([0.0019459]))
    reference = brentq(lambda x: float(dist.virtual_cost(x, weight=0.6)) - level, 0.99, 0.995, xtol=1e-16, rtol=1e-15)
    assert abs(found[0] - reference) < 1e-13  # the residual tolerance 1e-11 * level times dx/dy = 2e-3
    assert len(calls) <= 3


def test_level_beyond_the_resolution_of_x_stops_at_the_newton_correction(record_sizes: Any) -> None:
    """A level 1e-11 below the pole: one ulp of x moves the virtual cost by more than its tolerance, so the search
    stops when the Newton / secant correction is below a tenth of xtol (it used to shrink the bracket to xtol
    by regula falsi, up to ten rounds); the root agrees with brentq to 1e-15."""
    dist, weight, level = D.Beta(3.0, 2.0), 0.5138842394437212, 4380869340.1478376
    with record_sizes(dist, "_ironed", 2) as calls:  # evaluations of the (ironed) virtual type
        found = np.asarray(dist.virtual_cost_inverse(np.full(3, level), weight=weight))
    reference = brentq(lambda x: float(dist.virtual_cost(x, weight=weight)) - level, 1 - 1e-9, 1 - 1e-13, xtol=1e-17,
                       rtol=1e-15)
    assert np.max(np.abs(found - reference)) < 1e-15
    assert len(calls) <= 3


def test_cost_hazard_ratio_needs_only_the_raw_cdf() -> None:
    """F/f of a supplier from betainc alone (the survival function is recomputed only for 1 - F), equal to
    scipy's F/f to 1e-14 relative, also in the upper tail where 1 - F is below 1e-2."""
    from scipy import stats

    dist = D.Beta(4.0, 2.5)
    x = np.concatenate([np.linspace(0.05, 0.95, 50), 1.0 - np.logspace(-2, -9, 30)])
    calls: list[int] = []
    original = dist._raw_sf

    def counted(z: np.ndarray) -> np.ndarray:
        calls.append(np.size(z))
        return original(z)

    dist._raw_sf = counted  # type: ignore[method-assign]
    ratio = dist._hazard_ratio(x, "cost")
    cdf = np.asarray(dist.cdf(x))
    dist._raw_sf = original  # type: ignore[method-assign]
    assert calls == []
    reference = stats.beta(4.0, 2.5)
    assert np.max(np.abs(ratio / (reference.cdf(x) / reference.pdf(x)) - 1.0)) < 1e-13
    assert np.max(np.abs(cdf - reference.cdf(x))) < 1e-15


@pytest.mark.parametrize("dist", [
    D.Beta(2.0, 3.0), D.Beta(6.0, 3.5), D.TruncatedNormal(0.5, 0.2, 0.0, 1.0), D.TruncatedExponential(0.4, 0.0, 1.0),
    D.Uniform(0.0, 2.0), D.Beta(2.0, 3.0, low=1.0, high=3.0),
])
def test_closed_form_log_density_slope_and_virtual_type_slope(dist) -> None:  # type: ignore[no-untyped-def]
    """d log f / dx in closed form against a central difference of log f, and the exact dx/dy of each raw
    virtual type (used for Newton steps) against a central difference of the virtual type."""
    x = dist.low + (dist.high - dist.low) * np.linspace(0.03, 0.97, 40)
    step = 1e-6 * (dist.high - dist.low)
    numeric = (np.log(dist.pdf(x + step)) - np.log(dist.pdf(x - step))) / (2 * step)
    exact = dist._dlogpdf_in(x)
    assert np.max(np.abs(exact - numeric)) < 1e-6 * np.maximum(1.0, np.max(np.abs(numeric)))
    for side, weight in (("cost", 0.3), ("value", 0.7)):
        h = dist._raw(side, weight, x)
        dxdy = dist._exact_dxdy(side, np.asarray(weight), x, h)
        central = 2 * step / (dist._raw(side, weight, x + step) - dist._raw(side, weight, x - step))
        assert np.max(np.abs(dxdy / central - 1.0)) < 1e-6


def test_inverse_grid_has_no_near_coincident_nodes_at_the_ends() -> None:
    """Near either end the inverse grid goes from even to geometric (ratio 10^(1/8)) without cells much smaller
    than their neighbours (the geometric points used to fall 2e-5 from an even one): cubics through the nodes
    stay well conditioned next to a pole."""
    dist = D.Beta(3.0, 2.0)
    grid = dist._inverse_grid()
    for end in (grid[(grid > 1.0 - 1e-2) & (grid < 1.0)], grid[(grid < 1e-2) & (grid > 0.0)]):
        cells = np.diff(end)  # (the end cells themselves, 1e-13 wide, are left out)
        ratios = cells[1:] / cells[:-1]
        assert np.all((ratios > 1.0 / 1.5) & (ratios < 1.5))
