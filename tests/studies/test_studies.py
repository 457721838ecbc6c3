"""Named Monte Carlo studies: the truth is the design's, and a reduced study of every estimator recovers it.

Reduced studies: R = 100 replications of N = 250 agreements (10 markets) for fit_nash, of N = 1000
negotiations for the incomplete-information estimators. Bands: |bias| <= 4 Monte Carlo
standard errors; coverage of 95% intervals >= the 0.05% binomial quantile for R = 100 (0.87: under exact
coverage a parameter falls below it with probability < 0.0005, about 1% for all ~30 parameters together),
and SD / mean SE within 0.7-1.4 (the standard deviation of R = 100 estimates is itself uncertain by ~7%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bargaining.errors import InvalidParameterError, UnknownNameError
from bargaining.studies import get_study, list_studies, run_study, sample_size_study
from bargaining.studies import incomplete as incomplete_studies
from bargaining.studies import recorded as recorded_runs
from bargaining.studies import sample_size as sample_size_module

REPS = 100
COVERAGE_FLOOR = stats.binom.ppf(0.0005, REPS, 0.95) / REPS
COMPLETE = [
    "nash-constant-observed",
    "nash-constant-formula",
    "nash-grouped-observed",
    "nash-grouped-formula",
    "nash-logistic-observed",
    "nash-logistic-formula",
    "nash-constant-formula-ols",
]
INCOMPLETE = ["incomplete-likelihood", "incomplete-min-distance"]
MERGER = ["merger-constant-weight", "merger-grouped-weight", "merger-covariate-weight", "merger-effect-constant",
          "merger-effect-grouped"]  # reduced runs in test_merger_studies.py
SIZE = {name: 250 for name in COMPLETE} | {name: 1000 for name in INCOMPLETE}


def needs_solver():
    pytest.importorskip("bargaining.models.distributions")
    pytest.importorskip("bargaining.models.mechanism")


def test_registry_lists_every_estimator():
    table = list_studies()
    assert set(COMPLETE + INCOMPLETE + MERGER) == set(table["name"])
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
    rates = np.mean(
        [incomplete_studies.logit_trades(sim, rng)["traded"].to_numpy() for _ in range(20000)], axis=0
    )
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
    assert len(sample_size_module.SAMPLE_SIZES) >= 4


# -- recorded full runs (bargaining/studies/recorded) --------------------------------------------------------
RECORDED = [name for name in COMPLETE + INCOMPLETE if name != "nash-constant-formula-ols"] + ["merger-effect-constant"]


@pytest.mark.parametrize("name", RECORDED)
def test_recorded_full_run_recovers_the_truth(name):
    """The recorded runs (R = 1000): |bias| <= 4 MC s.e.; coverage within 0.95 +- 4 binomial s.e. (0.0069),
    i.e. [0.922, 0.978]; SD / mean SE within 0.9-1.1 (the SD of 1000 estimates is uncertain by ~2.2%)."""
    recorded, meta = recorded_runs.load_recorded(name)
    assert meta["reps"] >= 500 and meta["n_failed"] == 0
    if name in INCOMPLETE:
        needs_solver()
    assert set(recorded.index) == set(get_study(name).truth())
    assert (recorded["bias"].abs() <= 4 * recorded["bias_mcse"]).all(), recorded[["bias", "bias_mcse"]]
    half = 4 * np.sqrt(0.95 * 0.05 / meta["reps"])
    assert recorded["coverage"].between(0.95 - half, 0.95 + half).all(), recorded["coverage"]
    assert recorded["sd_over_se"].between(0.9, 1.1).all(), recorded["sd_over_se"]


def test_recorded_estimates_are_reproduced_exactly():
    """Replication r depends only on (seed, r): rerunning the first 15 replications of a recorded study gives
    the recorded estimates (written with full precision in estimates.csv)."""
    name = "nash-grouped-formula"
    _, meta = recorded_runs.load_recorded(name)
    recorded = recorded_runs.read_recorded_csv(
        recorded_runs.recorded_folder(name), "estimates.csv", index_col="replication"
    )
    rerun = run_study(name, reps=15, seed=meta["seed"], n=meta["n"], progress=False)
    cols = list(rerun.estimates.columns)
    np.testing.assert_allclose(rerun.estimates.to_numpy(), recorded[cols].iloc[:15].to_numpy(), rtol=1e-9)


def test_replication_study_compares_with_the_recorded_run():
    from bargaining.replication import run_study as replicate

    report = replicate("mc_nash_constant_observed", reps=40)
    assert report.ok, report.format()
    assert {r.quantity for r in report.rows} == {"mean [beta]", "rmse [beta]", "coverage [beta]"}
    assert "R = 1000" in report.rows[0].reference


def test_recorded_run_shows_the_endogeneity_bias_of_ols():
    """Without the instrument, V - r is correlated with the cost shock in the Nash-in-Nash design
    (cov(V, omega) > 0), so OLS overstates beta and understates the cost intercept: the recorded run must show
    it beyond 4 Monte Carlo standard errors, and the IV run of the same design must not."""
    ols, _ = recorded_runs.load_recorded("nash-constant-formula-ols")
    iv, _ = recorded_runs.load_recorded("nash-constant-formula")
    assert ols.loc["beta", "bias"] > 4 * ols.loc["beta", "bias_mcse"]
    assert ols.loc["gamma[Intercept]", "bias"] < -4 * ols.loc["gamma[Intercept]", "bias_mcse"]
    assert abs(iv.loc["beta", "bias"]) < 3 * iv.loc["beta", "bias_mcse"]
    # the bias is small next to the sampling error: the intervals still cover about 95%
    assert ols.loc["beta", "bias"] < 0.5 * ols.loc["beta", "sd"]


@pytest.mark.slow
@pytest.mark.parametrize("name", [n.replace("-", "_") for n in COMPLETE + INCOMPLETE]
                         + ["sample_size", "merger_effect_constant"])
def test_every_recorded_study_replicates(name):
    from bargaining.replication import run_study as replicate

    report = replicate(f"mc_{name}")
    assert report.ok, report.format()


def test_recorded_sample_size_study():
    folder = recorded_runs.recorded_root() / "mc_sample_size"
    slopes = recorded_runs.read_recorded_csv(folder, "slopes.csv")
    table = recorded_runs.read_recorded_csv(folder, "table.csv")
    assert set(table["N"]) == set(sample_size_module.SAMPLE_SIZES)
    from bargaining.replication import mc_sample_size

    checked = slopes[slopes["study"].isin(mc_sample_size.SLOPE_STUDIES)]
    assert len(checked) >= 8 and (checked["slope"] + 0.5).abs().max() <= 0.1, checked
    # the minimum-distance Delta has excess small-sample RMSE: its full-range slope is steeper than -1/2
    md = slopes.set_index(["study", "parameter"]).loc[("incomplete-min-distance", "Delta")]
    assert md["slope"] < -0.5 - 2 * md["slope_se"]
    assert len((folder / "rmse.png").read_bytes()) > 5000


def test_a_package_study_gives_the_same_table_on_a_local_dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    serial = run_study("nash-constant-formula", reps=6, n=250, seed=3, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as c,
        distributed.Client(c),
    ):
        on_dask = run_study(
            "nash-constant-formula", reps=6, n=250, seed=3, progress=False, backend="dask", n_jobs=-1
        )
    pd.testing.assert_frame_equal(serial.estimates, on_dask.estimates)
    pd.testing.assert_frame_equal(serial.summary, on_dask.summary)
