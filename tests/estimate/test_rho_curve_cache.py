"""The rho(Delta) curve of fit_incomplete is built once per pair of known laws and reused (issue 15, part 2)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bargaining.estimate.incomplete import fit_incomplete
from bargaining.models import incomplete_likelihood as il
from bargaining.models.distributions import (
    Beta,
    Mixture,
    TruncatedExponential,
    TruncatedNormal,
    TypeDistribution,
    Uniform,
)
from bargaining.models.mechanism import Market


@pytest.fixture(autouse=True)
def _empty_cache():
    il.clear_curve_cache()
    yield
    il.clear_curve_cache()  # curves built with the coarse test tolerance must not reach other tests


def test_cache_keys_describe_the_law():
    assert Beta(2, 3).cache_key == Beta(2.0, 3.0, 0.0, 1.0).cache_key
    assert Beta(2, 3).cache_key != Beta(3, 2).cache_key
    assert Beta(2, 3).cache_key != Beta(2, 3, high=2.0).cache_key
    assert Uniform(0, 1).cache_key == Uniform().cache_key != Uniform(0, 2).cache_key
    assert TruncatedNormal(0.5, 0.2, 0, 1).cache_key != TruncatedNormal(0.5, 0.3, 0, 1).cache_key
    assert TruncatedExponential(1.0).cache_key != TruncatedExponential(2.0).cache_key
    assert Uniform(0, 1).cache_key != Beta(1, 1).cache_key  # same law, different class: no false sharing
    mix = Mixture([Beta(2, 5), Beta(5, 2)], [1, 3])
    assert mix.cache_key == Mixture([Beta(2, 5), Beta(5, 2)], [0.25, 0.75]).cache_key
    assert mix.cache_key != Mixture([Beta(2, 5), Beta(5, 2)]).cache_key
    assert TypeDistribution(stats.norm(0.5, 0.2), 0, 1).cache_key is None  # generic scipy law: never cached
    assert Mixture([Beta(2, 5), TypeDistribution(stats.norm(0.5, 0.2), 0, 1)]).cache_key is None
    for d in (Beta(2, 3), mix, TruncatedExponential(1.0)):
        hash(d.cache_key)


def test_cache_is_bounded_and_skips_laws_without_a_key(monkeypatch):
    built: list[tuple[object, object]] = []

    def fake(cls, f, g, **kwargs):
        built.append((f, g))
        return cls(method="solver + quintic spline")

    monkeypatch.setattr(il.WeightRatioCurve, "from_solver", classmethod(fake))
    monkeypatch.setattr(il, "CURVE_CACHE_SIZE", 2)
    laws = [Beta(2, 3), Beta(3, 3), Beta(4, 3)]
    first = il.WeightRatioCurve.for_distributions(laws[0], Beta(3, 2))
    assert il.WeightRatioCurve.for_distributions(Beta(2, 3), Beta(3, 2)) is first  # a new object, same law
    assert len(built) == 1
    il.WeightRatioCurve.for_distributions(laws[1], Beta(3, 2))
    il.WeightRatioCurve.for_distributions(laws[2], Beta(3, 2))  # evicts laws[0], the least recently used
    assert len(built) == 3
    il.WeightRatioCurve.for_distributions(laws[0], Beta(3, 2))
    assert len(built) == 4
    generic = TypeDistribution(stats.beta(2, 3), 0, 1)
    il.WeightRatioCurve.for_distributions(generic, Beta(3, 2))
    il.WeightRatioCurve.for_distributions(generic, Beta(3, 2))
    assert len(built) == 6
    # the closed form (uniform laws on one interval) needs no solver and no cache
    assert il.WeightRatioCurve.for_distributions(Uniform(), Uniform()).method == "closed form (eq. 38)"
    assert len(built) == 6


def test_second_fit_reuses_the_curve_and_gives_identical_numbers(monkeypatch):
    # a coarse solver curve keeps the test quick; the point is how often the solver runs
    original = il.WeightRatioCurve.from_solver.__func__

    def coarse(cls, f, g, **kwargs):
        return original(cls, f, g, tol=1e-3, initial_points=9)

    monkeypatch.setattr(il.WeightRatioCurve, "from_solver", classmethod(coarse))
    calls = []
    evaluate = Market._evaluate  # every solve, sweep and kink search evaluates the engine through it

    def counted(self, *args, **kwargs):
        calls.append(args)
        return evaluate(self, *args, **kwargs)

    monkeypatch.setattr(Market, "_evaluate", counted)

    value_dist, cost_dist = Uniform(0, 1), Uniform(0, 1.5)  # not one interval: the solver path
    rng = np.random.default_rng(7)
    n = 600
    v, c = rng.uniform(0, 1, n), rng.uniform(0, 1.5, n)
    curve = il.WeightRatioCurve.for_distributions(value_dist, cost_dist)
    built = len(calls)
    assert built > 0 and curve.method == "solver + quintic spline"
    p = il.trade_probability(0.3, 0.1, il.TypeData.build(v, c, value_dist, cost_dist), curve)
    frame = pd.DataFrame({"traded": (rng.random(n) < p).astype(int), "v": v, "c": c})

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit_incomplete(
                frame, traded="traded", value="v", cost="c", value_dist=Uniform(0, 1), cost_dist=Uniform(0, 1.5)
            )

    first = fit()
    second = fit()
    assert len(calls) == built  # neither fit ran the solver: both used the cached curve
    assert first._curve is curve and second._curve is curve
    np.testing.assert_array_equal(first.params.to_numpy(), second.params.to_numpy())
    np.testing.assert_array_equal(first.cov.to_numpy(), second.cov.to_numpy())
    assert first.rho_accuracy == second.rho_accuracy == curve.accuracy
