r"""Named Monte Carlo studies: one package simulator + one package estimator + the simulator's truth.

Every estimator of the package has a study here; :func:`run_study` runs one through
:func:`bargaining.estimate.montecarlo.run_monte_carlo`, and :func:`sample_size_study` runs studies at growing
sample sizes N and checks that the RMSE falls like N^{-1/2} (log-log slope -1/2).

Complete-information studies use the ``hospital-insurer`` simulator (Nash-in-Nash prices, 5 hospitals x 5
insurers = 25 agreements per market; a study's N counts agreements, so N must be a multiple of 25) and
:func:`~bargaining.estimate.nash_price.fit_nash`:

==================================== ===================================================================
nash-{constant,grouped,logistic}-    beta constant, one per insurer, or logistic in (insurer_size,
observed                             hospital_quality); the seller's cost C is observed
nash-{constant,grouped,logistic}-    the same with C unobserved: C = r + gamma_0 + z'gamma + omega, fitted
formula                              with ``cost_formula="~ 1 + z1 + z2"`` (parameters gamma[...]) and
                                     V - r instrumented by ``wtp_drop``
nash-constant-formula-ols            the same without the instrument: shows the endogeneity bias
==================================== ===================================================================

Why an instrument with an unobserved cost: the cost shock omega is then in the error term, and in the
Nash-in-Nash design the buyer's value V_hi includes the other hospitals' equilibrium prices, which respond to
omega_hi; so cov(V, omega) > 0 and OLS overstates beta (by about 8 Monte Carlo standard errors at N = 1000,
R = 1000, though only ~0.1% of beta). The insurer's willingness to pay per patient ``wtp_drop`` moves V but
not omega.

Incomplete-information studies use the ``negotiations`` simulator (bilateral Loertscher-Marx negotiations,
v, c ~ U[0, 1], Delta = 0.3; N = negotiations):

=========================== ===========================================================================
incomplete-likelihood       :func:`~bargaining.estimate.incomplete.fit_incomplete` (Delta, sigma) with F,
                            G known; trades redrawn with logit noise sigma = 0.05 (:func:`logit_trades`)
incomplete-min-distance     :func:`~bargaining.estimate.min_distance.fit_incomplete_moments`, k-double
                            auction prices, common uniform support estimated (Delta, low, high)
=========================== ===========================================================================

The truth of a study comes from the simulator's own ``Simulation.truth`` (read from one small simulated data
set), mapped onto the estimator's parameter names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError, UnknownNameError
from bargaining.estimate.montecarlo import MonteCarloResults, run_monte_carlo

__all__ = [
    "SampleSizeResults",
    "Study",
    "get_study",
    "list_monte_carlo_studies",
    "list_studies",
    "run_monte_carlo_study",
    "run_study",
    "sample_size_study",
]


@dataclass(frozen=True)
class Study:
    """A Monte Carlo design: simulator, its parameters, estimator, its options, and the truth mapping.

    Attributes
    ----------
    name, description
        Identifier (``list_studies``) and one line describing the design.
    simulator, simulator_params
        Name for :func:`bargaining.data.simulate` and its keyword parameters (besides ``n`` and ``seed``).
    estimator, estimator_options
        ``"module:function"`` of the estimator and its keyword options (besides the data).
    truth_map
        Function of ``Simulation.truth`` returning {parameter name: true value}.
    default_n, default_reps
        Sample size N (rows / agreements) and replications R used when not given.
    rows_per_unit
        Rows per simulator size unit (25 agreements per hospital-insurer market; 1 otherwise).
    tags
        Keywords (``complete`` / ``incomplete``, weights, cost).
    transform
        Optional ``transform(simulation, rng) -> data`` applied to the simulator's output with the same
        generator (e.g. to draw noisy trade decisions); None uses ``simulation.data``.
    """

    name: str
    description: str
    simulator: str
    simulator_params: Mapping[str, Any]
    estimator: str
    estimator_options: Mapping[str, Any]
    truth_map: Callable[[Mapping[str, Any]], dict[str, float]]
    default_n: int = 1000
    default_reps: int = 500
    rows_per_unit: int = 1
    tags: tuple[str, ...] = field(default_factory=tuple)
    transform: Callable[[Any, np.random.Generator], pd.DataFrame] | None = None

    def units(self, n: int) -> int:
        """Simulator size argument for N rows (N must be a multiple of ``rows_per_unit``)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < self.rows_per_unit:
            raise InvalidParameterError(
                f"study {self.name!r}: N must be an integer >= {self.rows_per_unit}, got {n!r}.",
                hint=f"e.g. N={self.default_n}.",
            )
        if n % self.rows_per_unit:
            raise InvalidParameterError(
                f"study {self.name!r} simulates {self.rows_per_unit} agreements per market; N = {n} is not a "
                "multiple of it.",
                hint=f"use a multiple of {self.rows_per_unit}, e.g. {self.default_n}.",
            )
        return int(n) // self.rows_per_unit

    def simulate(self, rng: np.random.Generator, *, n: int) -> pd.DataFrame:
        """One simulated data set of N rows drawn with ``rng``."""
        from bargaining.data.simulate import simulate

        sim = simulate(self.simulator, n=self.units(n), seed=rng, **dict(self.simulator_params))
        return sim.data if self.transform is None else self.transform(sim, rng)

    def estimate(self, data: pd.DataFrame) -> Any:
        """Fit the study's estimator to ``data``."""
        return _resolve(self.estimator)(data, **dict(self.estimator_options))

    def truth(self) -> dict[str, float]:
        """theta_0, read from the simulator's ``Simulation.truth`` (one small simulated data set)."""
        from bargaining.data.simulate import simulate

        sim = simulate(self.simulator, n=1, seed=0, **dict(self.simulator_params))
        return {k: float(v) for k, v in self.truth_map(sim.truth).items()}


def _resolve(target: str) -> Callable[..., Any]:
    import importlib

    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


# -- complete information: hospital-insurer Nash-in-Nash prices ---------------------------------------------
HOSPITAL_DESIGN: dict[str, Any] = {"n_hospitals": 5, "n_insurers": 5}
GROUP_BETAS = (0.3, 0.5, 0.7, 0.4, 0.6)
LOGISTIC_DELTA = {"Intercept": -0.2, "insurer_size": 0.8, "hospital_quality": 0.5}
COST_FORMULA = {"cost_formula": "~ 1 + z1 + z2", "recapture": "recapture"}
# With C unobserved, omega is in the error, and V - r is endogenous in this design: V_hi contains the other
# hospitals' equilibrium prices, which respond to omega_hi (cov(omega, V) > 0, so OLS overstates beta).
# The insurer's willingness to pay per patient (wtp_drop) moves V but not omega: it is the instrument.
COST_INSTRUMENTS = {"instruments": "~ wtp_drop"}
COST_TEXT = {
    "observed": "observed seller cost",
    "formula": "unobserved cost C = r + z'gamma + omega, V - r instrumented by wtp_drop (IV-2SLS)",
    "formula-ols": "unobserved cost C = r + z'gamma + omega, no instrument (OLS: endogeneity bias)",
}
OBSERVED_COST = {"seller_cost": "seller_cost"}
FIT_NASH = "bargaining.estimate.nash_price:fit_nash"


def _gamma_truth(truth: Mapping[str, Any]) -> dict[str, float]:
    return {f"gamma[{term}]": float(value) for term, value in truth["gamma"].items()}


def _nash_truth(truth: Mapping[str, Any], *, weights: str, cost: str) -> dict[str, float]:
    if weights == "constant":
        out = {"beta": float(truth["beta"])}
    elif weights == "grouped":
        out = {f"beta[{group}]": float(b) for group, b in truth["beta"].items()}
    else:
        out = {f"delta[{term}]": float(d) for term, d in truth["delta"].items()}
    if cost.startswith("formula"):
        out.update(_gamma_truth(truth))
    return out


def _nash_study(weights: str, cost: str) -> Study:
    params: dict[str, Any] = dict(HOSPITAL_DESIGN)
    options: dict[str, Any] = {"price": "price", "buyer_value": "buyer_value"}
    options.update(OBSERVED_COST if cost == "observed" else COST_FORMULA)
    if cost == "formula":
        options.update(COST_INSTRUMENTS)
    if weights == "constant":
        params["beta"] = 0.5
        what = "constant beta = 0.5"
    elif weights == "grouped":
        params["beta"] = list(GROUP_BETAS)
        options["weight_by"] = "insurer"
        what = f"one beta per insurer {GROUP_BETAS}"
    else:
        params["delta"] = dict(LOGISTIC_DELTA)
        options["weight_formula"] = "~ 1 + insurer_size + hospital_quality"
        what = "logistic beta(insurer_size, hospital_quality)"
    cost_text = COST_TEXT[cost]
    return Study(
        name=f"nash-{weights}-{cost}",
        description=f"fit_nash, hospital-insurer Nash-in-Nash prices: {what}; {cost_text}",
        simulator="hospital-insurer",
        simulator_params=params,
        estimator=FIT_NASH,
        estimator_options=options,
        truth_map=partial(_nash_truth, weights=weights, cost=cost),
        default_n=1000,
        default_reps=1000,
        rows_per_unit=25,
        tags=("complete", weights, cost),
    )


STUDIES: dict[str, Study] = {}
for _weights in ("constant", "grouped", "logistic"):
    for _cost in ("observed", "formula"):
        _study = _nash_study(_weights, _cost)
        STUDIES[_study.name] = _study
STUDIES["nash-constant-formula-ols"] = _nash_study("constant", "formula-ols")


# -- incomplete information: bilateral Loertscher-Marx negotiations ---------------------------------------
INCOMPLETE_DELTA = 0.3
LOGIT_SIGMA = 0.05
UNIFORM = "Uniform(0, 1)"


def _check_uniform(truth: Mapping[str, Any]) -> None:
    if truth["value_dist"] != UNIFORM or truth["cost_dist"] != UNIFORM:
        raise InvalidParameterError(
            f"the study assumes uniform [0, 1] values and costs; the simulator used {truth['value_dist']} "
            "and "
            f"{truth['cost_dist']}.",
            hint="keep the simulator's default distributions in this study.",
        )


def logit_trades(simulation: Any, rng: np.random.Generator, *, sigma: float = LOGIT_SIGMA) -> pd.DataFrame:
    r"""Replace the simulator's exact Loertscher-Marx trade decisions by noisy ones.

    The negotiations simulator trades exactly when Phi_{a_B}(v) >= Gamma_{a_S}(c), where a likelihood has no
    maximum (perfect separation). Here trade happens with probability
    Lambda((Phi_{a_B}(v) - Gamma_{a_S}(c)) / sigma), the model of
    :func:`~bargaining.estimate.incomplete.fit_incomplete`, with the weight ratios a = w / rho that the
    simulator's mechanism solver reported in ``truth`` and the uniform [0, 1] closed forms
    Phi_a(v) = (2 - a) v - (1 - a), Gamma_a(c) = (2 - a) c.
    """
    _check_uniform(simulation.truth)
    (group,) = simulation.truth["groups"]
    data = simulation.data.copy()
    a_b, a_s = float(group["buyer_weight_ratio"]), float(group["supplier_weight_ratio"])
    index = (2 - a_b) * data["value"].to_numpy() - (1 - a_b) - (2 - a_s) * data["cost"].to_numpy()
    prob = 0.5 * (1.0 + np.tanh(index / (2.0 * sigma)))  # logistic cdf, overflow-free
    data["traded"] = (rng.uniform(size=len(data)) < prob).astype(np.int64)
    return data


def _likelihood_truth(truth: Mapping[str, Any], *, sigma: float) -> dict[str, float]:
    _check_uniform(truth)
    return {"Delta": float(truth["delta"]), "sigma": sigma}


def _moments_truth(truth: Mapping[str, Any]) -> dict[str, float]:
    _check_uniform(truth)
    return {"Delta": float(truth["delta"]), "low": 0.0, "high": 1.0}


def _uniform_0_1() -> Any:
    from bargaining.models.distributions import Uniform

    return Uniform(0.0, 1.0)


def fit_incomplete_known_uniform(data: pd.DataFrame, **options: Any) -> Any:
    """:func:`~bargaining.estimate.incomplete.fit_incomplete` with F = G = Uniform(0, 1) known."""
    from bargaining.estimate.incomplete import fit_incomplete

    return fit_incomplete(data, value_dist=_uniform_0_1(), cost_dist=_uniform_0_1(), **options)


STUDIES_INCOMPLETE = [
    Study(
        name="incomplete-likelihood",
        description=(
            f"fit_incomplete (logit trade likelihood, F = G = U[0,1] known): Delta = {INCOMPLETE_DELTA}, "
            f"sigma = {LOGIT_SIGMA}; values and costs from the negotiations simulator, noisy trades"
        ),
        simulator="negotiations",
        simulator_params={"delta": INCOMPLETE_DELTA, "price_rule": None},
        estimator="bargaining.studies.registry:fit_incomplete_known_uniform",
        estimator_options={"traded": "traded", "value": "value", "cost": "cost"},
        truth_map=partial(_likelihood_truth, sigma=LOGIT_SIGMA),
        default_n=2000,
        default_reps=500,
        tags=("incomplete", "likelihood"),
        transform=partial(logit_trades, sigma=LOGIT_SIGMA),
    ),
    Study(
        name="incomplete-min-distance",
        description=(
            f"fit_incomplete_moments (k-double auction, common uniform support estimated): Delta = "
            f"{INCOMPLETE_DELTA}, support [0, 1]; trades and prices from the negotiations simulator"
        ),
        simulator="negotiations",
        simulator_params={"delta": INCOMPLETE_DELTA, "price_rule": "k-double-auction"},
        estimator="bargaining.estimate.min_distance:fit_incomplete_moments",
        estimator_options={"traded": "traded", "price": "price", "price_rule": "k-double-auction"},
        truth_map=_moments_truth,
        default_n=2000,
        default_reps=500,
        tags=("incomplete", "min-distance"),
    ),
]
for _study in STUDIES_INCOMPLETE:
    STUDIES[_study.name] = _study


# -- registry ----------------------------------------------------------------------------------------------
def _canonical(name: str) -> str:
    return str(name).strip().lower().replace("_", "-")


def get_study(name: str) -> Study:
    """The study called ``name`` (``_`` and ``-`` are interchangeable)."""
    key = _canonical(name)
    if key not in STUDIES:
        raise UnknownNameError(
            f"no Monte Carlo study named {name!r}.",
            hint=f"choose one of: {', '.join(STUDIES)} (or run `bargaining montecarlo --list`).",
        )
    return STUDIES[key]


def list_studies() -> pd.DataFrame:
    """DataFrame[name, description, simulator, estimator, default_n, default_reps] of every study."""
    return pd.DataFrame(
        [
            {
                "name": s.name,
                "description": s.description,
                "simulator": s.simulator,
                "estimator": s.estimator.rpartition(":")[2],
                "default_n": s.default_n,
                "default_reps": s.default_reps,
            }
            for s in STUDIES.values()
        ]
    )


def run_study(
    name: str | Study,
    *,
    reps: int | None = None,
    seed: int | np.random.Generator = 0,
    n: int | None = None,
    n_jobs: int | None = 1,
    progress: bool = True,
    backend: str | None = None,
) -> MonteCarloResults:
    """Run a named study: R replications of simulate (N rows) -> estimate, summarized against the truth.

    Parameters
    ----------
    name
        A study name (see :func:`list_studies`) or a :class:`Study`.
    reps, n
        Replications R and sample size N (default: the study's).
    seed, n_jobs, progress, backend
        As in :func:`~bargaining.estimate.montecarlo.run_monte_carlo`.
    """
    study = name if isinstance(name, Study) else get_study(name)
    n = study.default_n if n is None else n
    reps = study.default_reps if reps is None else reps
    study.units(n)  # reject a bad N before any replication runs
    settings = {
        "study": study.description,
        "N": n,
        "estimator options": ", ".join(f"{k}={v!r}" for k, v in study.estimator_options.items()),
    }
    return run_monte_carlo(
        partial(study.simulate, n=n),
        study.estimate,
        study.truth(),
        reps=reps,
        seed=seed,
        n_jobs=n_jobs,
        progress=progress,
        backend=backend,
        name=study.name,
        settings=settings,
    )


# public aliases that do not clash with bargaining.replication's names when re-exported
list_monte_carlo_studies = list_studies
run_monte_carlo_study = run_study


# -- sample size -------------------------------------------------------------------------------------------
SAMPLE_SIZES = (250, 500, 1000, 2000, 4000)
SAMPLE_SIZE_STUDIES = ("nash-constant-formula", "nash-logistic-formula")


class SampleSizeResults:
    r"""Bias and RMSE of each study's estimates at sample sizes N_1 < N_2 < ...

    Attributes
    ----------
    table
        One row per (study, N, parameter): bias, bias_mcse, rmse, rmse_mcse, sd, mean_se, coverage, n_ok,
        n_no_se, n_failed.
    slopes
        One row per (study, parameter): the weighted least-squares slope of log RMSE on log N (weights 1 /
        Var(log RMSE), Var by the delta method from the Monte Carlo error of the RMSE), its standard error,
        and ``ok`` = the slope is within ``tolerance`` of -1/2 (root-N consistency).
    results
        The :class:`MonteCarloResults` by (study, N).
    """

    def __init__(self, results: dict[tuple[str, int], MonteCarloResults], *, tolerance: float = 0.1) -> None:
        self.results = results
        self.tolerance = float(tolerance)
        frames = []
        for (study, n), res in results.items():
            frame = res.summary.reset_index()
            frame.insert(0, "N", n)
            frame.insert(0, "study", study)
            frames.append(frame)
        columns = ["study", "N", "parameter", "truth", "bias", "bias_mcse", "rmse", "rmse_mcse", "sd",
                   "mean_se", "coverage", "n_ok", "n_no_se", "n_failed"]  # fmt: skip
        self.table = (
            pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
        )
        self.slopes = self._slopes()

    @classmethod
    def from_table(cls, table: pd.DataFrame, *, tolerance: float = 0.1) -> SampleSizeResults:
        """Rebuild from a saved ``table.csv`` (slopes and plot; ``results`` is then empty)."""
        out = cls({}, tolerance=tolerance)
        out.table = table.copy()
        out.slopes = out._slopes()
        return out

    def _slopes(self) -> pd.DataFrame:
        rows = []
        for (study, parameter), group in self.table.groupby(["study", "parameter"], sort=False):
            x = np.log(group["N"].to_numpy(dtype=float))
            y = np.log(group["rmse"].to_numpy(dtype=float))
            var = (group["rmse_mcse"].to_numpy(dtype=float) / group["rmse"].to_numpy(dtype=float)) ** 2
            w = 1.0 / np.maximum(var, 1e-12)
            xbar = np.sum(w * x) / np.sum(w)
            sxx = np.sum(w * (x - xbar) ** 2)
            slope = float(np.sum(w * (x - xbar) * (y - np.sum(w * y) / np.sum(w))) / sxx)
            rows.append(
                {
                    "study": study,
                    "parameter": parameter,
                    "slope": slope,
                    "slope_se": float(math.sqrt(1.0 / sxx)),
                    "ok": abs(slope + 0.5) <= self.tolerance,
                }
            )
        return pd.DataFrame(rows)

    @property
    def ok(self) -> bool:
        return bool(self.slopes["ok"].all())

    def to_text(self, digits: int = 4) -> str:
        fmt = {"float_format": lambda x: f"{x:.{digits}g}", "index": False}
        with pd.option_context("display.max_rows", 500, "display.width", 200):
            return "\n".join(
                [
                    "Bias and RMSE by sample size N (Monte Carlo standard errors in *_mcse)",
                    self.table.to_string(**fmt),
                    "",
                    f"log-log slope of RMSE on N (root-N: -0.5; ok = within {self.tolerance} of -0.5)",
                    self.slopes.to_string(**fmt),
                ]
            )

    def __str__(self) -> str:
        return self.to_text()

    def plot(self, path: str | Path | None = None) -> Any:
        """log RMSE against log N per parameter with a reference line of slope -1/2."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter

        studies = list(dict.fromkeys(self.table["study"]))
        cols = min(len(studies), 2)
        rows = math.ceil(len(studies) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4 * rows), squeeze=False)
        sizes = sorted(self.table["N"].unique())
        for ax, study in zip(axes.ravel(), studies):
            part = self.table[self.table["study"] == study]
            for parameter, group in part.groupby("parameter", sort=False):
                ax.errorbar(group["N"], group["rmse"], yerr=1.96 * group["rmse_mcse"], marker="o",
                            label=parameter, capsize=2)  # fmt: skip
                n0, r0 = group["N"].iloc[0], group["rmse"].iloc[0]
                ax.plot(group["N"], r0 * np.sqrt(n0 / group["N"]), color="0.6", linestyle=":", linewidth=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(sizes, [str(n) for n in sizes])
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel("N")
            ax.set_ylabel("RMSE")
            ax.set_title(f"{study} (dotted: slope -1/2)", fontsize=9)
            ax.legend(fontsize=7)
        for ax in axes.ravel()[len(studies) :]:
            ax.set_visible(False)
        fig.tight_layout()
        if path is None:
            return fig
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return Path(path)

    def save(self, folder: str | Path, *, figures: bool = True) -> dict[str, Path]:
        """Write ``table.csv``, ``slopes.csv``, ``summary.txt`` (and ``rmse.png``) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "table": folder / "table.csv",
            "slopes": folder / "slopes.csv",
            "text": folder / "summary.txt",
        }
        self.table.to_csv(paths["table"], index=False)
        self.slopes.to_csv(paths["slopes"], index=False)
        paths["text"].write_text(self.to_text() + "\n")
        if figures:
            paths["figure"] = self.plot(folder / "rmse.png")
        return paths


def sample_size_study(
    studies: Sequence[str] = SAMPLE_SIZE_STUDIES,
    sizes: Sequence[int] = SAMPLE_SIZES,
    *,
    reps: int = 200,
    seed: int = 0,
    n_jobs: int | None = 1,
    progress: bool = True,
    backend: str | None = None,
    tolerance: float = 0.1,
) -> SampleSizeResults:
    """Run each study at each N in ``sizes`` (R replications each) and fit the log-log RMSE slope.

    Each (study, N) cell gets its own child of ``SeedSequence(seed)``, so cells are independent and the whole
    table is reproducible from ``seed``.
    """
    sizes = sorted(int(s) for s in sizes)
    if len(sizes) < 2:
        raise InvalidParameterError("a sample-size study needs at least two sizes.", hint="e.g. (500, 2000).")
    names = [get_study(s).name for s in studies]
    children = np.random.SeedSequence(seed).spawn(len(names) * len(sizes))
    results = {}
    for i, name in enumerate(names):
        for j, n in enumerate(sizes):
            results[(name, n)] = run_study(
                name,
                reps=reps,
                seed=children[i * len(sizes) + j],
                n=n,
                n_jobs=n_jobs,
                progress=progress,
                backend=backend,
            )
    return SampleSizeResults(results, tolerance=tolerance)


# -- recorded studies (replication/results) ----------------------------------------------------------------
RESULTS_DIR = Path(__file__).resolve().parents[2] / "replication" / "results"
COMPARE_Z = 4.0  # rows compare within 4 Monte Carlo standard errors (about 1 false alarm in 16,000 rows)


def recorded_folder(name: str) -> Path:
    """Folder of the recorded full run of study ``name`` (in the source checkout's replication/results)."""
    return RESULTS_DIR / f"mc_{get_study(name).name.replace('-', '_')}"


def record_study(
    name: str, *, reps: int, seed: int, n: int | None = None, n_jobs: int | None = 1, progress: bool = True
) -> MonteCarloResults:
    """Run the full study and write its tables (txt, csv, tex, estimates) and ``meta.json`` to
    :func:`recorded_folder`."""
    import json

    results = run_study(name, reps=reps, seed=seed, n=n, n_jobs=n_jobs, progress=progress)
    folder = recorded_folder(name)
    results.save(folder, figures=False)
    meta = {
        "study": get_study(name).name,
        "reps": reps,
        "seed": seed,
        "n": results.settings["N"],
        "n_failed": results.n_failed,
        "n_not_converged": results.n_not_converged,
        "errors": {str(k): int(v) for k, v in results.error_counts.items()},
        "elapsed_seconds": round(results.elapsed, 1),
        "n_jobs": n_jobs,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return results


def load_recorded(name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The recorded summary (indexed by parameter) and its settings (``meta.json``)."""
    import json

    folder = recorded_folder(name)
    if not (folder / "summary.csv").exists():
        raise InvalidParameterError(
            f"no recorded results for study {name!r} in {folder}.",
            hint="run from a source checkout of the repository, or record them with "
            f"`python replication/mc_{get_study(name).name.replace('-', '_')}.py --record`.",
        )
    summary = pd.read_csv(folder / "summary.csv", index_col="parameter")
    return summary, json.loads((folder / "meta.json").read_text())


def compare_with_recorded(
    name: str, *, reps: int = 100, seed: int | None = None, n_jobs: int | None = 1, progress: bool = False
) -> tuple[MonteCarloResults, list[dict[str, Any]], list[str]]:
    """Rerun study ``name`` (R = ``reps``, the recorded seed and N unless ``seed`` is given) and compare mean,
    RMSE and coverage of every parameter with the recorded full run.

    Tolerances treat the two runs as independent: ``COMPARE_Z`` times sqrt(se_run^2 + se_recorded^2) with
    se = SD / sqrt(R) for the mean, the delta-method error for the RMSE and sqrt(c (1 - c) / R) for the
    coverage. (With the recorded seed the rerun's replications are the first R of the recorded ones, so the
    differences are smaller still; with R equal to the recorded R they vanish.)

    Returns the rerun, rows (quantity, published = recorded, computed, tolerance, reference) and notes.
    """
    recorded, meta = load_recorded(name)
    seed = int(meta["seed"]) if seed is None else seed
    results = run_study(name, reps=reps, seed=seed, n=int(meta["n"]), n_jobs=n_jobs, progress=progress)
    rows: list[dict[str, Any]] = []
    reference = f"recorded run R = {meta['reps']}, N = {meta['n']}, seed = {meta['seed']}"
    for parameter, old in recorded.iterrows():
        new = results.summary.loc[parameter]
        r_old, r_new = max(int(old["n_ok"]), 1), max(int(new["n_ok"]), 1)
        c = float(old["coverage"]) if 0 < float(old["coverage"]) < 1 else results.level
        checks = [
            ("mean", old["sd"] ** 2 / r_old + new["sd"] ** 2 / r_new),
            ("rmse", old["rmse_mcse"] ** 2 + new["rmse_mcse"] ** 2),
            ("coverage", c * (1 - c) * (1 / r_old + 1 / r_new)),
        ]
        for stat, variance in checks:
            rows.append(
                {
                    "quantity": f"{stat} [{parameter}]",
                    "published": float(old[stat]),
                    "computed": float(new[stat]),
                    "tolerance": COMPARE_Z * math.sqrt(float(variance)),
                    "reference": reference,
                }
            )
    runs = (
        f"rerun: R = {reps}, N = {meta['n']}, seed = {seed}; recorded: R = {meta['reps']} "
        f"({meta['n_failed']} failed, {meta['n_not_converged']} not converged); rerun: {results.n_failed} "
        f"failed, {results.n_not_converged} not converged"
    )
    recorded_bias = "; ".join(
        f"{p} bias {row['bias']:.3g} (MC s.e. {row['bias_mcse']:.2g}), coverage {row['coverage']:.3f}"
        for p, row in recorded.iterrows()
    )
    notes = [runs, f"recorded run against the truth: {recorded_bias}"]
    return results, rows, notes
