"""The incomplete-information studies simulate trades with the model's own trade probability.

:func:`bargaining.studies.incomplete.logit_trades` draws trade decisions with probability
:func:`bargaining.models.incomplete_likelihood.trade_probability` (the model fitted by fit_incomplete), so the
study's data-generating process and the estimator's likelihood are one function.
"""

from __future__ import annotations

import numpy as np
import pytest

from bargaining.models.distributions import Uniform
from bargaining.models.incomplete_likelihood import TypeData, WeightRatioCurve, trade_probability
from bargaining.studies import get_study, load_recorded, recorded_folder, run_study
from bargaining.studies.incomplete import LOGIT_SIGMA, logit_trade_probability, logit_trades
from bargaining.studies.recorded import read_recorded_csv


def _simulation(delta: float, n: int = 50, seed: int = 0):
    from bargaining.data.simulate import simulate

    return simulate("negotiations", n=n, seed=seed, delta=delta, price_rule=None)


@pytest.mark.parametrize("delta", [0.3, 0.0, -0.5, 0.8])
def test_study_trade_probability_is_the_models(delta):
    """On simulated (v, c) at several Delta: the study's probability is the model's function, exactly."""
    sim = _simulation(delta)
    v, c = sim.data["value"].to_numpy(), sim.data["cost"].to_numpy()
    types = TypeData.build(v, c, Uniform(0, 1), Uniform(0, 1))
    expected = trade_probability(delta, LOGIT_SIGMA, types, WeightRatioCurve.closed_form())
    np.testing.assert_array_equal(logit_trade_probability(sim), expected)
    sigma = 0.2
    expected = trade_probability(delta, sigma, types, WeightRatioCurve.closed_form())
    np.testing.assert_array_equal(logit_trade_probability(sim, sigma=sigma), expected)


@pytest.mark.parametrize("delta", [0.3, 0.0, -0.5])
def test_study_trade_probability_is_the_uniform_closed_form_at_the_simulators_ratios(delta):
    """The same numbers as the uniform closed forms Phi_a(v) = (2 - a) v - (1 - a), Gamma_b(c) = (2 - b) c
    with the weight ratios the simulator's mechanism solver reports (the study's earlier formula)."""
    sim = _simulation(delta)
    (group,) = sim.truth["groups"]
    a, b = group["buyer_weight_ratio"], group["supplier_weight_ratio"]
    assert WeightRatioCurve.closed_form()(delta) == pytest.approx((a, b), abs=1e-12)
    v, c = sim.data["value"].to_numpy(), sim.data["cost"].to_numpy()
    index = (2 - a) * v - (1 - a) - (2 - b) * c
    closed = 1 / (1 + np.exp(-index / LOGIT_SIGMA))
    np.testing.assert_allclose(logit_trade_probability(sim), closed, rtol=1e-12, atol=1e-14)


def test_logit_trades_draw_with_the_model_probability():
    """Row i trades iff the i-th uniform draw of the generator is below the model's probability."""
    sim = _simulation(0.3, n=500, seed=3)
    data = logit_trades(sim, np.random.default_rng(7))
    draws = np.random.default_rng(7).uniform(size=len(sim.data))
    np.testing.assert_array_equal(
        data["traded"].to_numpy(), (draws < logit_trade_probability(sim)).astype(int)
    )
    assert data.drop(columns="traded").equals(sim.data.drop(columns="traded"))


def test_recorded_incomplete_likelihood_estimates_are_reproduced():
    """The first replications of the recorded incomplete-likelihood run are reproduced (estimates.csv)."""
    name = "incomplete-likelihood"
    assert get_study(name).transform is not None
    _, meta = load_recorded(name)
    recorded = read_recorded_csv(recorded_folder(name), "estimates.csv", index_col="replication")
    rerun = run_study(name, reps=6, seed=meta["seed"], n=meta["n"], progress=False)
    cols = list(rerun.estimates.columns)
    np.testing.assert_allclose(rerun.estimates.to_numpy(), recorded[cols].iloc[:6].to_numpy(), rtol=1e-9)
