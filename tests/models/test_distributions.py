"""Type distributions: closed forms, weighted virtual types, ironing against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from bargaining.errors import (
    AccuracyWarning,
    DistributionError,
    InvalidParameterError,
    InvalidWeightError,
    SupportError,
)
from bargaining.models.distributions import (
    Beta,
    Mixture,
    TruncatedExponential,
    TruncatedNormal,
    TypeDistribution,
    Uniform,
)

X = np.linspace(0.0, 1.0, 11)


def bimodal() -> Mixture:
    return Mixture([TruncatedNormal(0.2, 0.05, 0, 1), TruncatedNormal(0.8, 0.05, 0, 1)])


# closed forms --------------------------------------------------------------------------------------------
def test_uniform_virtual_types_closed_form():
    u = Uniform(1.0, 3.0)
    v = np.linspace(1, 3, 9)
    for a in (0.0, 0.4, 1.0):
        np.testing.assert_allclose(u.virtual_value(v, a), v - (1 - a) * (3 - v), atol=1e-14)
        np.testing.assert_allclose(u.virtual_cost(v, a), v + (1 - a) * (v - 1), atol=1e-14)
        y = np.linspace(-1, 4, 13)
        inv = u.virtual_value_inverse(y, a)
        expected = np.clip((y + (1 - a) * 3) / (2 - a), 1, 3)
        np.testing.assert_allclose(inv, expected, atol=1e-14)


def test_generic_scipy_uniform_matches_closed_form_class():
    generic = TypeDistribution(stats.uniform(0, 2), 0.5, 1.5)
    closed = Uniform(0.5, 1.5)
    x = np.linspace(0.5, 1.5, 21)
    np.testing.assert_allclose(generic.cdf(x), closed.cdf(x), atol=1e-14)
    np.testing.assert_allclose(generic.pdf(x), closed.pdf(x), atol=1e-14)
    np.testing.assert_allclose(generic.virtual_value(x, 0.3), closed.virtual_value(x, 0.3), atol=1e-12)
    np.testing.assert_allclose(generic.virtual_cost(x, 0.3), closed.virtual_cost(x, 0.3), atol=1e-12)
    y = np.linspace(-0.5, 2.0, 17)
    np.testing.assert_allclose(generic.virtual_value_inverse(y, 0.2), closed.virtual_value_inverse(y, 0.2), atol=1e-11)
    np.testing.assert_allclose(generic.virtual_cost_inverse(y, 0.2), closed.virtual_cost_inverse(y, 0.2), atol=1e-11)


def test_beta22_closed_forms_and_vanishing_density_at_the_ends():
    b = Beta(2, 2)
    np.testing.assert_allclose(b.cdf(X), 3 * X**2 - 2 * X**3, atol=1e-14)
    np.testing.assert_allclose(b.pdf(X), 6 * X * (1 - X), atol=1e-13)
    inner = X[1:-1]
    phi0 = inner - (1 - inner) * (1 + 2 * inner) / (6 * inner)
    gamma0 = inner + inner * (3 - 2 * inner) / (6 * (1 - inner))
    np.testing.assert_allclose(b.virtual_value(inner, 0.0), phi0, atol=1e-12)
    np.testing.assert_allclose(b.virtual_cost(inner, 0.0), gamma0, atol=1e-12)
    assert b.virtual_value(0.0, 0.0) == -np.inf and b.virtual_value(1.0, 0.0) == 1.0
    assert b.virtual_cost(0.0, 0.0) == 0.0 and b.virtual_cost(1.0, 0.0) == np.inf
    assert b.is_regular()
    assert b.mean() == pytest.approx(0.5, abs=1e-12)


def test_weighted_virtual_value_is_the_mix_of_type_and_myerson_virtual_value():
    d = TruncatedNormal(0.4, 0.3, 0, 1)
    x = np.linspace(0.01, 0.99, 15)
    for a in (0.25, 0.8):
        np.testing.assert_allclose(d.raw_virtual_value(x, a), a * x + (1 - a) * d.raw_virtual_value(x, 0.0), atol=1e-12)
        np.testing.assert_allclose(d.raw_virtual_cost(x, a), a * x + (1 - a) * d.raw_virtual_cost(x, 0.0), atol=1e-12)


def test_truncated_exponential_closed_form():
    d = TruncatedExponential(0.5, 0.0, 1.0)
    norm = 1 - math.exp(-2.0)
    cdf = (1 - np.exp(-2 * X)) / norm
    pdf = 2 * np.exp(-2 * X) / norm
    np.testing.assert_allclose(d.cdf(X), cdf, atol=1e-14)
    np.testing.assert_allclose(d.virtual_value(X, 0.0), X - (1 - cdf) / pdf, atol=1e-12)
    np.testing.assert_allclose(d.virtual_cost(X, 0.0), X + cdf / pdf, atol=1e-12)
    # E[X] = 0.5 - e^{-2} / (1 - e^{-2}) for the exponential with rate 2 truncated at 1
    assert d.mean() == pytest.approx(0.5 - math.exp(-2) / norm, abs=1e-12)


def test_truncated_normal_matches_scipy_truncnorm_even_far_in_the_tail():
    d = TruncatedNormal(5.0, 1.0, 0.0, 1.0)  # the whole support sits 4 to 5 sd below the mean
    ref = stats.truncnorm(-5.0, -4.0, loc=5.0, scale=1.0)
    np.testing.assert_allclose(d.cdf(X), ref.cdf(X), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(d.pdf(X), ref.pdf(X), rtol=1e-9)
    np.testing.assert_allclose(d.quantile([0.1, 0.5, 0.9]), ref.ppf([0.1, 0.5, 0.9]), rtol=1e-9)


def test_mixture_functions_and_mean():
    m = Mixture([Uniform(0, 0.5), Beta(2, 5)], [3, 1])
    np.testing.assert_allclose(m.weights, [0.75, 0.25])
    x = np.linspace(0, 1, 41)
    np.testing.assert_allclose(m.cdf(x), 0.75 * np.clip(2 * x, 0, 1) + 0.25 * stats.beta(2, 5).cdf(x), atol=1e-14)
    assert m.breakpoints == (0.5,)
    assert m.mean() == pytest.approx(0.75 * 0.25 + 0.25 * 2 / 7, abs=1e-12)
    u = np.linspace(0.01, 0.99, 9)
    np.testing.assert_allclose(m.cdf(m.quantile(u)), u, atol=1e-12)


# sampling ------------------------------------------------------------------------------------------------
def test_sampling_is_seeded_and_follows_the_distribution():
    m = bimodal()
    a = m.sample(4000, seed=11)
    np.testing.assert_array_equal(a, m.sample(4000, seed=11))
    np.testing.assert_array_equal(a, m.sample(4000, seed=np.random.default_rng(11)))
    assert not np.array_equal(a, m.sample(4000, seed=12))
    assert stats.kstest(a, m.cdf).pvalue > 1e-3
    assert abs(a.mean() - m.mean()) < 5 * a.std() / math.sqrt(a.size)


# ironing ----------------------------------------------------------------------------------------------------
def _brute_force_ironed(dist: TypeDistribution, a: float, side: str, points: int = 200_001) -> tuple[np.ndarray, np.ndarray]:
    """Ironed virtual type on a fine type grid by weighted isotonic regression (pool adjacent violators).

    The slope of the greatest convex minorant of the cumulative sum diagram (cell masses f(x) dx, cell values
    h(x)) is the weighted isotonic regression of the cell values, so scipy's PAVA gives an independent
    discretized ironing. The grid is even in types, not quantiles: between two modes the density is tiny but
    h f is not, and a quantile grid would step over that area.
    """
    edges = np.linspace(dist.low, dist.high, points)
    mid = 0.5 * (edges[1:] + edges[:-1])
    raw = dist.raw_virtual_value(mid, a) if side == "value" else dist.raw_virtual_cost(mid, a)
    mass = dist.pdf(mid) * np.diff(edges)
    return mid, optimize.isotonic_regression(raw, weights=mass).x


@pytest.mark.parametrize("a", [0.0, 0.5])
@pytest.mark.parametrize("side", ["value", "cost"])
def test_bimodal_ironing_matches_a_brute_force_convex_hull(a, side):
    m = bimodal()
    assert not m.is_regular(a, side=side)
    x, expected = _brute_force_ironed(m, a, side)
    keep = (x > 0.02) & (x < 0.98)
    got = m.virtual_value(x[keep], a) if side == "value" else m.virtual_cost(x[keep], a)
    np.testing.assert_allclose(got, expected[keep], atol=1e-4)
    assert np.all(np.diff(got) >= -1e-12)
    raw = m.raw_virtual_value(x[keep], a) if side == "value" else m.raw_virtual_cost(x[keep], a)
    assert np.max(np.abs(raw - got)) > 0.1  # ironing changes the answer


@pytest.mark.parametrize("a", [0.0, 0.3, 0.9])
def test_ironing_interval_satisfies_its_defining_conditions_to_1e8(a):
    m = bimodal()
    (lo, hi, level), = m.ironing_intervals(a, "value")
    # tangency: the raw virtual value crosses the level at both ends
    assert m.raw_virtual_value(lo, a) == pytest.approx(level, abs=1e-8)
    assert m.raw_virtual_value(hi, a) == pytest.approx(level, abs=1e-8)
    # the ironed type preserves the mean of Phi on the interval (independent adaptive quadrature)
    area, _ = integrate.quad(lambda t: (m.raw_virtual_value(t, a) - level) * m.pdf(t), lo, hi, points=[0.5], epsabs=1e-13, limit=200)
    assert abs(area) < 1e-9
    assert m.virtual_value(0.5 * (lo + hi), a) == level


def test_mixture_of_uniforms_is_ironed_exactly():
    # density 7/4 on [0, 1/2] and 1/4 on (1/2, 1]: Phi_0 = 2v - 4/7 then 2v - 1, a downward jump at 1/2;
    # the flat level solves sqrt(7) (3/7 - L) = L, i.e. L = 3 / (7 + sqrt(7))
    m = Mixture([Uniform(0, 0.5), Uniform(0, 1)], [3, 1])
    (lo, hi, level), = m.ironing_intervals(0.0, "value")
    exact = 3 / (7 + math.sqrt(7))
    assert level == pytest.approx(exact, abs=1e-12)
    assert lo == pytest.approx((exact + 4 / 7) / 2, abs=1e-12)
    assert hi == pytest.approx((exact + 1) / 2, abs=1e-12)
    assert m.is_regular(0.0, side="cost")  # Gamma_0 = 2c then 2c + 3: jumps up, no ironing


def test_regularity_returns_as_the_weight_rises():
    m = bimodal()
    assert not m.is_regular(0.0)
    assert m.is_regular(1.0)
    assert Beta(2, 5).is_regular() and TruncatedExponential(1.0).is_regular()


def test_generalized_inverse_of_the_ironed_virtual_value():
    m = bimodal()
    for a in (0.0, 0.6):
        lo, _hi, level = m.ironing_intervals(a, "value")[0]
        assert m.virtual_value_inverse(level, a) == pytest.approx(lo, abs=1e-12)
        y = np.linspace(m.virtual_value(0.05, a), m.virtual_value(0.999, a), 57)
        y = y[np.abs(y - level) > 1e-6]
        x = m.virtual_value_inverse(y, a)
        np.testing.assert_allclose(m.virtual_value(x, a), y, atol=1e-9)
        lo_c, _hi_c, level_c = m.ironing_intervals(a, "cost")[0]
        assert m.virtual_cost_inverse(level_c, a) == pytest.approx(lo_c, abs=1e-12)
        yc = np.linspace(m.virtual_cost(0.001, a), m.virtual_cost(0.95, a), 41)
        yc = yc[np.abs(yc - level_c) > 1e-6]
        np.testing.assert_allclose(m.virtual_cost(m.virtual_cost_inverse(yc, a), a), yc, atol=1e-9)
    assert m.virtual_value_inverse(m.virtual_value(0.0, 0.0) - 1, 0.0) == 0.0
    assert m.virtual_value_inverse(50.0, 0.0) == 1.0
    assert np.shape(m.virtual_value_inverse(np.zeros((2, 3)), 0.0)) == (2, 3)


def test_beta_inverse_handles_infinite_end_values():
    b = Beta(2, 2)
    y = np.array([-1e6, -3.0, 0.0, 0.5, 0.99])
    x = b.virtual_value_inverse(y, 0.0)
    assert np.all((x > 0) & (x < 1))
    # near 0 Phi is about -1/(6v): relative accuracy in v is what the root finder controls
    np.testing.assert_allclose(b.virtual_value(x, 0.0), y, rtol=1e-6, atol=1e-9)


# validation ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("weight", [-0.1, 1.5, float("nan"), "x"])
def test_weights_outside_unit_interval_are_rejected(weight):
    with pytest.raises(InvalidWeightError, match="weight"):
        Uniform().virtual_value(0.5, weight)


def test_density_vanishing_inside_the_support_is_rejected():
    with pytest.raises(DistributionError, match="zero or not finite inside") as info:
        Mixture([Uniform(0, 0.4), Uniform(0.6, 1)])
    assert info.value.hint
    with pytest.raises(SupportError, match="beyond the distribution's own support"):
        TypeDistribution(stats.uniform(0, 0.5), 0.0, 1.0)


def test_other_invalid_primitives():
    with pytest.raises(SupportError, match="low < high"):
        Uniform(1, 1)
    with pytest.raises(InvalidParameterError, match="positive"):
        Beta(0, 2)
    with pytest.raises(InvalidParameterError, match="finite"):
        TruncatedNormal(float("nan"), 1, 0, 1)
    with pytest.raises(SupportError, match="no probability"):
        TruncatedNormal(0, 1, 60, 61)
    with pytest.raises(DistributionError, match="frozen continuous scipy"):
        TypeDistribution(object(), 0, 1)
    with pytest.raises(InvalidParameterError, match="inside the support"):
        Uniform().virtual_value(1.5)
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        Uniform().quantile(1.2)
    with pytest.raises(InvalidParameterError, match="positive"):
        Mixture([Uniform()], [-1])


def test_no_accuracy_warning_on_smooth_bimodal(recwarn):
    m = bimodal()
    for a in np.linspace(0, 1, 11):
        m.ironing_intervals(a, "value")
        m.ironing_intervals(a, "cost")
    assert not [w for w in recwarn if issubclass(w.category, AccuracyWarning)]


def test_inverse_in_the_last_cell_where_the_virtual_cost_is_infinite():
    # Beta(1, 1.125) on [0, 0.5]: g vanishes at 0.5, Gamma -> +inf there; levels beyond the last finite
    # tabulated value must still be solved (a regression: the secant step stalled on the infinite end)
    s = Beta(1, 1.125, 0, 0.5)
    y = np.array([1.05, 1.1, 1.2])
    x = s.virtual_cost_inverse(y, 0.7)
    assert np.all(x < 0.5)
    np.testing.assert_allclose(s.virtual_cost(x, 0.7), y, rtol=1e-7)  # Gamma is very steep here
