"""Named Monte Carlo studies: the truth is the design's, and a reduced study of every estimator recovers it.

Reduced studies: R = 100 replications of N = 250 agreements (10 markets) for fit_nash, of N = 1000
negotiations for the incomplete-information estimators. Bands: |bias| <= 4 Monte Carlo
standard errors; coverage of 95% intervals >= the 0.05% binomial quantile for R = 100 (0.87: under exact
coverage a parameter falls below it with probability < 0.0005, about 1% for all ~30 parameters together),
and SD / mean SE within 0.7-1.4 (the standard deviation of R = 100 estimates is itself uncertain by ~7%).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bargaining.errors import InvalidParameterError, UnknownNameError
from bargaining.estimate import studies
from bargaining.estimate.studies import get_study, list_studies, run_study, sample_size_study

REPS = 100
COVERAGE_FLOOR = stats.binom.ppf(0.0005, REPS, 0.95) / REPS
COMPLETE = [
    "nash-constant-observed",
    "nash-constant-formula",
    "nash-grouped-observed",
    "nash-grouped-formula",
    "nash-logistic-observed",
    "nash-logistic-formula",
]
INCOMPLETE = ["incomplete-likelihood", "incomplete-min-distance"]
SIZE = {name: 250 for name in COMPLETE} | {name: 1000 for name in INCOMPLETE}


def needs_solver():
    pytest.importorskip("bargaining.models.distributions")
    pytest.importorskip("bargaining.models.mechanism")


def test_registry_lists_every_estimator():
    table = list_studies()
    assert set(COMPLETE + INCOMPLETE) == set(table["name"])
    assert {"name", "description", "simulator", "estimator", "default_n", "default_reps"} <= set(
        table.columns
    )
    assert get_study("nash_constant_formula").name == "nash-constant-formula"
    with pytest.raises(UnknownNameError) as info:
        get_study("nash-nothing")
    assert "nash-constant-observed" in info.value.hint


def test_truths_are_the_design_numbers():
    gamma = {"gamma[Intercept]": 6.0, "gamma[z1]": 1.0, "gamma[z2]": 0.5}
    assert get_study("nash-constant-observed").truth() == {"beta": 0.5}
    assert get_study("nash-constant-formula").truth() == {"beta": 0.5, **gamma}
    assert get_study("nash-grouped-observed").truth() == {
        "beta[I1]": 0.3, "beta[I2]": 0.5, "beta[I3]": 0.7, "beta[I4]": 0.4, "beta[I5]": 0.6
    }  # fmt: skip
    assert get_study("nash-logistic-formula").truth() == {
        "delta[Intercept]": -0.2, "delta[insurer_size]": 0.8, "delta[hospital_quality]": 0.5, **gamma
    }  # fmt: skip


def test_sample_size_must_fit_the_design():
    study = get_study("nash-constant-observed")
    assert study.units(1000) == 40
    with pytest.raises(InvalidParameterError) as info:
        run_study(study, reps=2, n=260, progress=False)
    assert "multiple of 25" in info.value.hint or "25" in str(info.value)
    data = study.simulate(np.random.default_rng(0), n=250)
    assert len(data) == 250


def test_incomplete_truths_come_from_the_simulator():
    needs_solver()
    assert get_study("incomplete-likelihood").truth() == pytest.approx({"Delta": 0.3, "sigma": 0.05})
    assert get_study("incomplete-min-distance").truth() == pytest.approx(
        {"Delta": 0.3, "low": 0.0, "high": 1.0}
    )


def test_logit_trades_follow_the_logit_probability():
    """The noisy trade layer: over many draws with the same (v, c), the trade rate is the logistic of the
    uniform closed-form virtual surplus (a = w / rho from the simulator's solver; here Delta = 0, where
    a_B = a_S = a and the second-best trade rule (2 - a) v - (1 - a) >= (2 - a) c must be Myerson and
    Satterthwaite's v >= c + 1/4, so (1 - a) / (2 - a) = 1/4 and a = 2/3)."""
    needs_solver()
    from bargaining.data.simulate import simulate

    sim = simulate("negotiations", n=4, seed=0, delta=0.0, price_rule=None)
    a = 2 / 3
    assert sim.truth["groups"][0]["buyer_weight_ratio"] == pytest.approx(a, abs=1e-8)
    v, c = sim.data["value"].to_numpy(), sim.data["cost"].to_numpy()
    expected = 1 / (1 + np.exp(-(((2 - a) * v - (1 - a) - (2 - a) * c) / 0.05)))
    rng = np.random.default_rng(1)
    rates = np.mean([studies.logit_trades(sim, rng)["traded"].to_numpy() for _ in range(20000)], axis=0)
    assert np.all(np.abs(rates - expected) < 4 * np.sqrt(expected * (1 - expected) / 20000) + 1e-9)


@pytest.mark.parametrize("name", COMPLETE + INCOMPLETE)
def test_reduced_study_recovers_the_truth(name):
    if name in INCOMPLETE:
        needs_solver()
    res = run_study(name, reps=REPS, n=SIZE[name], seed=2024, progress=False)
    summary = res.summary
    assert res.n_failed == 0 and res.n_not_converged == 0
    assert (summary["n_ok"] == REPS).all() and (summary["n_no_se"] == 0).all()
    assert (summary["bias"].abs() <= 4 * summary["bias_mcse"]).all(), summary[["bias", "bias_mcse"]]
    assert (summary["coverage"] >= COVERAGE_FLOOR).all(), summary["coverage"]
    assert summary["sd_over_se"].between(0.7, 1.4).all(), summary["sd_over_se"]


def test_reduced_sample_size_study_has_root_n_slope():
    """RMSE at N = 250, 1000, 4000 (R = 60 each): slope of log RMSE on log N within 0.2 of -1/2 (the slope's
    own Monte Carlo standard error is about 0.06 here)."""
    result = sample_size_study(
        ["nash-constant-formula"], (250, 1000, 4000), reps=60, seed=1, progress=False, tolerance=0.2
    )
    assert result.ok, result.slopes
    assert list(result.table["N"].unique()) == [250, 1000, 4000]
    # the slope is an ordinary weighted least-squares fit: check one against numpy
    part = result.table[result.table["parameter"] == "beta"]
    weights = part["rmse"] / part["rmse_mcse"]  # 1 / sd(log RMSE)
    slope = np.polyfit(np.log(part["N"]), np.log(part["rmse"]), 1, w=weights)[0]
    row = result.slopes.set_index("parameter").loc["beta"]
    assert row["slope"] == pytest.approx(slope, rel=1e-10)
    assert (result.slopes["slope_se"] < 0.15).all()
    # RMSE falls: each quadrupling of N roughly halves it
    rmse = part["rmse"].to_numpy()
    assert np.all(rmse[1:] < rmse[:-1])


def test_sample_size_study_needs_two_sizes():
    with pytest.raises(InvalidParameterError):
        sample_size_study(["nash-constant-observed"], (250,), reps=2, progress=False)


def test_sample_size_outputs(tmp_path):
    result = sample_size_study(["nash-constant-observed"], (250, 500), reps=5, seed=0, progress=False)
    paths = result.save(tmp_path)
    assert paths["figure"].stat().st_size > 5000 and "log-log slope" in paths["text"].read_text()
    assert len(studies.SAMPLE_SIZES) >= 4
