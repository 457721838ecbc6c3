"""Monte Carlo engine: summary statistics recomputed by hand from the same seeds, failures and non-convergence
counted, identical results for n_jobs = 1, 2 and a local Dask cluster, output files."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bargaining.errors import InvalidParameterError, UnknownNameError
from bargaining.estimate.montecarlo import MonteCarloResults, run_monte_carlo, seed_sequences

MU, SIGMA, N = 1.5, 2.0, 40


class MeanFit:
    """Sample mean with its standard error: a results object by duck typing (no conf_int)."""

    def __init__(self, x: np.ndarray, *, se_scale: float = 1.0, converged: bool = True) -> None:
        self.params = pd.Series({"mu": x.mean(), "sd": x.std(ddof=1)})
        self.std_errors = pd.Series({"mu": se_scale * x.std(ddof=1) / math.sqrt(x.size), "sd": np.nan})
        self.converged = converged


def draw(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(MU, SIGMA, size=N)


def fit(x: np.ndarray) -> MeanFit:
    return MeanFit(x)


def fit_sometimes_fails(x: np.ndarray) -> MeanFit:
    if x[0] > MU + SIGMA:  # about 16% of replications
        raise FloatingPointError("first draw too large")
    return MeanFit(x, converged=bool(x[1] < MU + SIGMA))


def by_hand(reps: int, seed: int, bias: float = 0.0, se_scale: float = 1.0) -> dict[str, float]:
    """The summary of mu, computed directly from SeedSequence(seed).spawn(reps) without the engine."""
    means, ses = [], []
    for child in np.random.SeedSequence(seed).spawn(reps):
        x = np.random.default_rng(child).normal(MU, SIGMA, size=N)
        means.append(x.mean() + bias)
        ses.append(se_scale * x.std(ddof=1) / math.sqrt(N))
    est, se = np.array(means), np.array(ses)
    z = stats.norm.ppf(0.975)
    covered = np.abs(est - MU) <= z * se
    return {
        "mean": est.mean(),
        "bias": est.mean() - MU,
        "bias_mcse": est.std(ddof=1) / math.sqrt(reps),
        "median_bias": np.median(est) - MU,
        "rmse": math.sqrt(np.mean((est - MU) ** 2)),
        # delta method: sd of the squared errors / sqrt(R), divided by 2 RMSE
        "rmse_mcse": np.std((est - MU) ** 2, ddof=1)
        / math.sqrt(reps)
        / (2 * math.sqrt(np.mean((est - MU) ** 2))),
        "sd": est.std(ddof=1),
        "mean_se": se.mean(),
        "coverage": covered.mean(),
        "coverage_mcse": math.sqrt(covered.mean() * (1 - covered.mean()) / reps),
        "rejection_rate": 1 - covered.mean(),
    }


def test_summary_matches_a_direct_computation_from_the_same_seeds():
    res = run_monte_carlo(draw, fit, {"mu": MU}, reps=300, seed=11, progress=False)
    expected = by_hand(300, 11)
    row = res.summary.loc["mu"]
    for key, value in expected.items():
        assert row[key] == pytest.approx(value, rel=1e-12, abs=1e-14), key
    assert row["sd_over_se"] == pytest.approx(expected["sd"] / expected["mean_se"])
    assert (row["n_ok"], row["n_failed"], row["n_not_converged"]) == (300, 0, 0)
    assert list(res.summary.index) == ["mu"]  # only parameters with a truth are summarized
    assert res.estimates.shape == (300, 2)


def test_known_sampling_distribution():
    """Sample mean of 40 normal draws: sd sigma/sqrt(n) = 0.316; normal-z intervals with estimated s cover
    with probability P(|t_39| <= 1.96) = 0.943 (exact, t distribution)."""
    res = run_monte_carlo(draw, fit, {"mu": MU}, reps=2000, seed=5, progress=False)
    row = res.summary.loc["mu"]
    assert abs(row["bias"]) < 4 * row["bias_mcse"]
    assert row["sd"] == pytest.approx(SIGMA / math.sqrt(N), rel=4 * math.sqrt(1 / (2 * 1999)))
    exact = 1 - 2 * stats.t.sf(stats.norm.ppf(0.975), N - 1)
    assert abs(row["coverage"] - exact) < 4 * math.sqrt(exact * (1 - exact) / 2000)


def test_biased_estimator_and_wrong_standard_errors_are_detected():
    def biased(x):
        out = MeanFit(x, se_scale=0.5)
        out.params["mu"] += 0.3
        return out

    res = run_monte_carlo(draw, biased, {"mu": MU}, reps=400, seed=3, progress=False)
    row = res.summary.loc["mu"]
    expected = by_hand(400, 3, bias=0.3, se_scale=0.5)
    assert row["bias"] == pytest.approx(expected["bias"], rel=1e-12)
    assert row["bias"] == pytest.approx(0.3, abs=4 * row["bias_mcse"])
    assert row["sd_over_se"] == pytest.approx(2.0, rel=0.1)  # SEs are half the true spread
    assert row["coverage"] == pytest.approx(expected["coverage"], abs=1e-12)
    assert row["coverage"] < 0.6 and row["rejection_rate"] > 0.4


def test_failures_and_non_convergence_are_counted_and_reported():
    reps, seed = 200, 21
    res = run_monte_carlo(draw, fit_sometimes_fails, {"mu": MU}, reps=reps, seed=seed, progress=False)
    firsts = [np.random.default_rng(c).normal(MU, SIGMA, size=N)[:2] for c in seed_sequences(seed, reps)]
    failed = sum(f[0] > MU + SIGMA for f in firsts)
    not_converged = sum((f[0] <= MU + SIGMA) and (f[1] >= MU + SIGMA) for f in firsts)
    assert 10 < failed < 60 and not_converged > 5
    assert res.n_failed == failed and res.n_not_converged == not_converged
    row = res.summary.loc["mu"]
    assert (row["n_ok"], row["n_failed"], row["n_not_converged"]) == (reps - failed, failed, not_converged)
    assert res.error_counts.to_dict() == {"FloatingPointError: first draw too large": failed}
    assert res.estimates["mu"].isna().sum() == failed  # the failed rows are kept, as NaN
    text = res.to_text()
    assert f"{failed} failed replications" in text and "first draw too large" in text
    assert json.loads(json.dumps(res.to_dict()))["n_failed"] == failed


def test_all_failed_still_reports():
    def broken(x):
        raise ValueError("no")

    res = run_monte_carlo(draw, broken, {"mu": MU}, reps=5, seed=0, progress=False)
    assert (
        res.n_failed == 5 and res.summary.loc["mu", "n_ok"] == 0 and math.isnan(res.summary.loc["mu", "bias"])
    )


def test_warnings_inside_replications_are_collected():
    import warnings

    def noisy(x):
        warnings.warn("careful", RuntimeWarning, stacklevel=1)
        return MeanFit(x)

    res = run_monte_carlo(draw, noisy, {"mu": MU}, reps=3, seed=0, progress=False)
    assert res.replications["n_warnings"].tolist() == [1, 1, 1]
    assert res.warning_messages == ["RuntimeWarning: careful"]


def test_same_seed_same_results_for_one_and_two_jobs():
    serial = run_monte_carlo(draw, fit_sometimes_fails, {"mu": MU}, reps=60, seed=9, progress=False)
    parallel = run_monte_carlo(
        draw, fit_sometimes_fails, {"mu": MU}, reps=60, seed=9, n_jobs=2, progress=False
    )
    pd.testing.assert_frame_equal(serial.summary, parallel.summary)
    pd.testing.assert_frame_equal(serial.estimates, parallel.estimates)
    threads = run_monte_carlo(
        draw, fit, {"mu": MU}, reps=20, seed=9, backend="threading", n_jobs=2, progress=False
    )
    pd.testing.assert_frame_equal(
        threads.summary, run_monte_carlo(draw, fit, {"mu": MU}, reps=20, seed=9, progress=False).summary
    )


def test_same_results_on_a_local_dask_cluster():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("dask.distributed")
    import joblib

    serial = run_monte_carlo(draw, fit_sometimes_fails, {"mu": MU}, reps=40, seed=4, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        by_argument = run_monte_carlo(
            draw, fit_sometimes_fails, {"mu": MU}, reps=40, seed=4, n_jobs=-1, backend="dask", progress=False
        )
        with joblib.parallel_config(backend="dask"):
            by_context = run_monte_carlo(
                draw, fit_sometimes_fails, {"mu": MU}, reps=40, seed=4, n_jobs=None, progress=False
            )
    pd.testing.assert_frame_equal(serial.summary, by_argument.summary)
    pd.testing.assert_frame_equal(serial.estimates, by_context.estimates)


def test_seeds_generator_and_prefix_property():
    a = run_monte_carlo(draw, fit, {"mu": MU}, reps=10, seed=np.random.default_rng(3), progress=False)
    b = run_monte_carlo(draw, fit, {"mu": MU}, reps=10, seed=np.random.default_rng(3), progress=False)
    pd.testing.assert_frame_equal(a.estimates, b.estimates)
    # replication r depends only on (seed, r): the first 10 of 30 replications are the first 10 of 10
    short = run_monte_carlo(draw, fit, {"mu": MU}, reps=10, seed=8, progress=False)
    long = run_monte_carlo(draw, fit, {"mu": MU}, reps=30, seed=8, progress=False)
    pd.testing.assert_frame_equal(short.estimates, long.estimates.iloc[:10])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"reps": 0, "seed": 1}, InvalidParameterError),
        ({"reps": 5, "seed": -1}, InvalidParameterError),
        ({"reps": 5, "seed": 1.5}, InvalidParameterError),
        ({"reps": 5, "seed": 1, "level": 1.0}, InvalidParameterError),
    ],
)
def test_bad_settings(kwargs, error):
    with pytest.raises(error) as info:
        run_monte_carlo(draw, fit, {"mu": MU}, progress=False, **kwargs)
    assert info.value.hint


def test_bad_truth():
    with pytest.raises(InvalidParameterError):
        run_monte_carlo(draw, fit, {"mu": math.nan}, reps=2, seed=0, progress=False)
    with pytest.raises(UnknownNameError) as info:
        run_monte_carlo(draw, fit, {"beta": 0.5}, reps=2, seed=0, progress=False)
    assert "mu" in info.value.hint


def test_conf_int_of_the_results_object_is_used():
    class PercentileFit(MeanFit):
        def conf_int(self, level=0.95):
            return pd.DataFrame({"lower": [MU - 10, 0.0], "upper": [MU - 9, 1.0]}, index=["mu", "sd"])

    res = run_monte_carlo(draw, PercentileFit, {"mu": MU}, reps=5, seed=0, progress=False)
    assert res.summary.loc["mu", "coverage"] == 0.0
    assert res.summary.loc["mu", "coverage_mcse"] == pytest.approx(math.sqrt(0.95 * 0.05 / 5))


def test_outputs(tmp_path):
    pytest.importorskip("matplotlib")
    res = run_monte_carlo(draw, fit, {"mu": MU, "sd": SIGMA}, reps=50, seed=2, progress=False, name="toy")
    assert isinstance(res, MonteCarloResults)
    paths = res.save(tmp_path / "out")
    assert set(paths) == {"text", "csv", "latex", "estimates", "distributions", "coverage"}
    back = pd.read_csv(paths["csv"], index_col="parameter")
    pd.testing.assert_frame_equal(back, res.summary, check_dtype=False)
    assert "\\begin{tabular}" in paths["latex"].read_text() and "mean\\_se" in res.to_latex()
    assert "toy" in paths["text"].read_text()
    assert paths["distributions"].stat().st_size > 5000 and paths["coverage"].stat().st_size > 5000
    assert pd.read_csv(paths["estimates"]).shape[0] == 50
    assert res.to_csv().splitlines()[0].startswith("parameter,truth,mean,bias")
    assert res.summary.loc["sd", "n_no_se"] == 50 and math.isnan(res.summary.loc["sd", "coverage"])
    assert res.summary.loc["mu", "n_no_se"] == 0
    low, high = res.coverage_band()
    assert low == pytest.approx(0.95 - 1.96 * math.sqrt(0.95 * 0.05 / 50)) and high > 0.95


def test_progress_bar_can_be_turned_off(capsys):
    run_monte_carlo(draw, fit, {"mu": MU}, reps=5, seed=0, progress=True, name="toy-bar")
    assert "toy-bar" in capsys.readouterr().err
    run_monte_carlo(draw, fit, {"mu": MU}, reps=5, seed=0, progress=False, name="toy-bar")
    assert "toy-bar" not in capsys.readouterr().err


def test_monte_carlo_standard_errors_match_the_spread_across_independent_studies():
    """40 independent studies of R = 100: the SD across studies of bias, RMSE and coverage agrees with the
    mean reported Monte Carlo standard errors (within 30%: the SD of 40 values is uncertain by ~11%)."""
    rows = [
        run_monte_carlo(draw, fit, {"mu": MU}, reps=100, seed=1000 + k, progress=False).summary.loc["mu"]
        for k in range(40)
    ]
    table = pd.DataFrame(rows)
    for stat in ("bias", "rmse", "coverage"):
        ratio = table[stat].std(ddof=1) / table[f"{stat}_mcse"].mean()
        assert 0.7 < ratio < 1.3, (stat, ratio)
