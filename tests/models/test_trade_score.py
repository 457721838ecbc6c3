"""The analytic scores of the trade likelihood against central differences of the log-likelihood itself."""

from __future__ import annotations

import numpy as np
import pytest

from bargaining import Beta, Uniform
from bargaining.models.incomplete_likelihood import (
    TradeLikelihood,
    TypeData,
    WeightRatioCurve,
    trade_probability,
)


def _numerical_scores(model: TradeLikelihood, params: np.ndarray) -> np.ndarray:
    out = np.empty((model.nobs, 2))
    for j, h in enumerate((1e-6, 1e-7)):
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        out[:, j] = (model.loglikeobs(up) - model.loglikeobs(down)) / (2 * h)
    return out


@pytest.mark.parametrize("laws", ["uniform", "beta"])
@pytest.mark.parametrize("delta", [-0.45, 0.3, 0.8])
def test_scores_equal_central_differences(laws: str, delta: float) -> None:
    value_dist, cost_dist = (Uniform(0, 1), Uniform(0, 1)) if laws == "uniform" else (Beta(2.0, 3.0), Beta(3.0, 2.0))
    rng = np.random.default_rng(3)
    n = 400
    v = np.asarray(value_dist.sample(n, seed=rng))
    c = np.asarray(cost_dist.sample(n, seed=rng))
    curve = WeightRatioCurve.for_distributions(value_dist, cost_dist)
    types = TypeData.build(v, c, value_dist, cost_dist)
    traded = (rng.random(n) < trade_probability(0.2, 0.1, types, curve)).astype(float)
    model = TradeLikelihood(traded, types, curve)
    params = np.array([delta, 0.12])
    analytic, numerical = model.score_obs(params), _numerical_scores(model, params)
    scale = np.max(np.abs(numerical), axis=0)
    assert np.max(np.abs(analytic - numerical), axis=0) == pytest.approx(np.zeros(2), abs=1e-5 * scale.max())


def test_curve_slopes_against_differences_of_the_curve() -> None:
    curve = WeightRatioCurve.for_distributions(Beta(2.0, 3.0), Beta(3.0, 2.0))
    for d in (-0.7, -0.2, 0.35, 0.9):
        h = 1e-5
        (a1, b1), (a0, b0) = curve(d + h), curve(d - h)
        da, db = curve.slopes(d)
        assert da == pytest.approx((a1 - a0) / (2 * h), rel=1e-5, abs=1e-8)
        assert db == pytest.approx((b1 - b0) / (2 * h), rel=1e-5, abs=1e-8)
