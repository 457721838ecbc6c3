r"""Monte Carlo recovery: simulate from known parameters theta_0, estimate, repeat R times, summarize.

:func:`run_monte_carlo` draws R data sets with ``simulate``, fits each with ``estimate`` and compares the
estimates theta-hat_r with the truth theta_0. Per parameter it reports

* bias  = mean_r(theta-hat_r) - theta_0 and median bias = median_r(theta-hat_r) - theta_0,
* RMSE  = sqrt(mean_r (theta-hat_r - theta_0)^2), the standard deviation SD of theta-hat_r,
* the mean reported standard error and the ratio SD / mean SE (near 1 when the standard errors are right),
* coverage = share of replications whose confidence interval (default 95%) contains theta_0,
* rejection rate of H0: theta = theta_0 by the t test |theta-hat - theta_0| / se > z_{0.975} (5% size),
* counts: ``n_ok`` finite estimates, ``n_no_se`` of them without a finite standard error (left out of the
  mean SE, coverage and rejection rate -- e.g. an estimate on the boundary of the parameter space),
  ``n_failed`` replications that raised, ``n_not_converged`` fits that reported no convergence,
* Monte Carlo standard errors of these numbers: SD / sqrt(R) for the bias, sqrt(c (1 - c) / R) for the
  coverage c (the nominal level replaces c when c is 0 or 1), and the delta-method error of the RMSE,
  sd((theta-hat - theta_0)^2) / (2 RMSE sqrt(R)).

Reproducibility: replication r simulates with its own generator built from
``numpy.random.SeedSequence(seed).spawn(R)[r]``, so its data depend only on ``seed`` and r -- never on the
number of workers or the order in which workers finish. Replications run through joblib (``n_jobs``
processes, or any joblib backend such as Dask: ``backend="dask"`` or ``with joblib.parallel_config("dask")``).

Failures are data: a replication whose simulator or estimator raises is caught, counted and reported with its
error message (``MonteCarloResults.failures``); non-converged fits are kept in the summary and counted.
Warnings raised inside a replication are recorded with it (``n_warnings``, ``warning_messages``); with the
``"threading"`` backend they may be attributed to the wrong replication, since Python's warning filters are
process-wide.
"""

from __future__ import annotations

import importlib.util
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bargaining.errors import DataValidationError, InvalidParameterError, UnknownNameError

__all__ = ["MonteCarloResults", "ReplicationOutcome", "run_monte_carlo", "seed_sequences"]

SUMMARY_COLUMNS = [
    "truth",
    "mean",
    "bias",
    "bias_mcse",
    "median_bias",
    "rmse",
    "rmse_mcse",
    "sd",
    "mean_se",
    "sd_over_se",
    "coverage",
    "coverage_mcse",
    "rejection_rate",
    "n_ok",
    "n_no_se",
    "n_failed",
    "n_not_converged",
]


# -- seeds -------------------------------------------------------------------------------------------------
def seed_sequences(seed: Any, reps: int) -> list[np.random.SeedSequence]:
    """One independent :class:`numpy.random.SeedSequence` per replication, derived from ``seed``.

    ``seed`` is an int, a SeedSequence, or a Generator (one integer is drawn from it, so the generator's
    state determines every replication). Child r depends only on ``seed`` and r.
    """
    if isinstance(seed, np.random.SeedSequence):
        root = seed
    elif isinstance(seed, np.random.Generator):
        root = np.random.SeedSequence(int(seed.integers(0, 2**63 - 1)))
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        root = np.random.SeedSequence(int(seed))
    else:
        raise InvalidParameterError(
            f"seed must be a non-negative int or a numpy Generator, got {seed!r}.",
            hint="pass e.g. seed=2024; every replication's data then follow from it.",
        )
    return root.spawn(reps)


# -- one replication ---------------------------------------------------------------------------------------
@dataclass
class ReplicationOutcome:
    """What one replication produced (estimates are empty when it failed)."""

    index: int
    params: dict[str, float] = field(default_factory=dict)
    std_errors: dict[str, float] = field(default_factory=dict)
    lower: dict[str, float] = field(default_factory=dict)
    upper: dict[str, float] = field(default_factory=dict)
    converged: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds_simulate: float = math.nan
    seconds_estimate: float = math.nan

    @property
    def failed(self) -> bool:
        return self.error is not None


def _series(obj: Any) -> pd.Series:
    return pd.Series(obj, dtype=float)


def _run_one(
    index: int,
    seed_seq: np.random.SeedSequence,
    simulate: Callable[[np.random.Generator], Any],
    estimate: Callable[[Any], Any],
    level: float,
) -> ReplicationOutcome:
    """Simulate and estimate once; every exception becomes a recorded failure."""
    out = ReplicationOutcome(index=index)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            data = simulate(np.random.default_rng(seed_seq))
            middle = time.perf_counter()
            out.seconds_simulate = middle - start
            fit = estimate(data)
            out.seconds_estimate = time.perf_counter() - middle
            params = _series(fit.params)
            se = _series(fit.std_errors).reindex(params.index)
            if hasattr(fit, "conf_int"):
                ci = fit.conf_int(level)
                lower, upper = _series(ci["lower"]), _series(ci["upper"])
            else:  # duck-typed results without intervals: normal intervals from the standard errors
                z = float(stats.norm.ppf((1 + level) / 2))
                lower, upper = params - z * se, params + z * se
            out.params = {str(k): float(v) for k, v in params.items()}
            out.std_errors = {str(k): float(v) for k, v in se.items()}
            out.lower = {str(k): float(v) for k, v in lower.reindex(params.index).items()}
            out.upper = {str(k): float(v) for k, v in upper.reindex(params.index).items()}
            out.converged = bool(getattr(fit, "converged", True))
        except Exception as exc:  # noqa: BLE001 -- a failed replication is a result, not a crash
            out.error = f"{type(exc).__name__}: {exc}"
    out.warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return out


# -- the results object ------------------------------------------------------------------------------------
class MonteCarloResults:
    r"""Replications of a Monte Carlo study and their summary.

    Attributes
    ----------
    summary
        One row per parameter with the columns of ``SUMMARY_COLUMNS`` (see the module docstring).
    estimates, std_errors, lower, upper
        R x K DataFrames (index = replication, columns = parameters; NaN where a replication failed).
    replications
        One row per replication: ``converged``, ``failed``, ``error``, ``n_warnings``, ``seconds_simulate``,
        ``seconds_estimate``.
    failures
        The failed replications and their error messages (empty when none failed).
    truth
        theta_0 as a Series.
    reps, seed, level, name, elapsed
        Settings and wall-clock seconds of the run.

    Examples
    --------
    >>> from functools import partial
    >>> draw = lambda rng: simulate("hospital-insurer", n=20, seed=rng).data
    >>> fit = partial(fit_nash, price="price", buyer_value="buyer_value", seller_cost="seller_cost")
    >>> mc = run_monte_carlo(draw, fit, {"beta": 0.5}, reps=5, seed=1, progress=False)
    >>> mc.n_failed, "coverage" in mc.summary.columns
    (0, True)
    """

    def __init__(
        self,
        outcomes: list[ReplicationOutcome],
        truth: pd.Series,
        *,
        seed: Any,
        level: float = 0.95,
        name: str = "monte carlo",
        elapsed: float = math.nan,
        n_jobs: int | None = 1,
        backend: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        outcomes = sorted(outcomes, key=lambda o: o.index)
        self.truth = truth.astype(float)
        self.reps = len(outcomes)
        self.seed = seed
        self.level = float(level)
        self.name = name
        self.elapsed = float(elapsed)
        self.n_jobs = n_jobs
        self.backend = backend
        self.settings = dict(settings or {})
        index = pd.RangeIndex(self.reps, name="replication")
        names = list(dict.fromkeys([k for o in outcomes for k in o.params] + list(self.truth.index)))

        def frame(attr: str) -> pd.DataFrame:
            rows = [getattr(o, attr) for o in outcomes]
            return pd.DataFrame(rows, index=index, columns=names, dtype=float)

        self.estimates = frame("params")
        self.std_errors = frame("std_errors")
        self.lower = frame("lower")
        self.upper = frame("upper")
        self.replications = pd.DataFrame(
            {
                "converged": [o.converged for o in outcomes],
                "failed": [o.failed for o in outcomes],
                "error": [o.error or "" for o in outcomes],
                "n_warnings": [len(o.warnings) for o in outcomes],
                "seconds_simulate": [o.seconds_simulate for o in outcomes],
                "seconds_estimate": [o.seconds_estimate for o in outcomes],
            },
            index=index,
        )
        self.warning_messages = sorted({w for o in outcomes for w in o.warnings})
        self.summary = self._summarize()

    # -- statistics -------------------------------------------------------------------------------------
    @property
    def n_failed(self) -> int:
        return int(self.replications["failed"].sum())

    @property
    def n_not_converged(self) -> int:
        ok = ~self.replications["failed"]
        return int((~self.replications.loc[ok, "converged"]).sum())

    @property
    def failures(self) -> pd.DataFrame:
        """Failed replications with their error messages."""
        failed = self.replications[self.replications["failed"]]
        return failed[["error"]].copy()

    @property
    def error_counts(self) -> pd.Series:
        """How many replications failed with each distinct error message."""
        return self.failures["error"].value_counts()

    def _summarize(self) -> pd.DataFrame:
        z = float(stats.norm.ppf(0.975))
        ok = ~self.replications["failed"].to_numpy()
        not_converged = int((ok & ~self.replications["converged"].to_numpy()).sum())
        rows = {}
        for name, theta0 in self.truth.items():
            est = self.estimates[name].to_numpy()[ok]
            se = self.std_errors[name].to_numpy()[ok]
            lo = self.lower[name].to_numpy()[ok]
            hi = self.upper[name].to_numpy()[ok]
            finite = np.isfinite(est)
            est, se, lo, hi = est[finite], se[finite], lo[finite], hi[finite]
            n = est.size
            row: dict[str, float] = {"truth": theta0}
            if n == 0:
                row.update({c: math.nan for c in SUMMARY_COLUMNS if c not in row})
            else:
                error = est - theta0
                sd = float(np.std(est, ddof=1)) if n > 1 else math.nan
                mse = float(np.mean(error**2))
                rmse = math.sqrt(mse)
                # delta method: se(sqrt(MSE)) = se(MSE) / (2 RMSE), se(MSE) = sd(error^2) / sqrt(n)
                mse_se = float(np.std(error**2, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
                se_ok = np.isfinite(se) & (se > 0)
                mean_se = float(np.mean(se[se_ok])) if se_ok.any() else math.nan
                ci_ok = np.isfinite(lo) & np.isfinite(hi)
                cover = (
                    float(np.mean((lo[ci_ok] <= theta0) & (theta0 <= hi[ci_ok]))) if ci_ok.any() else math.nan
                )
                reject = float(np.mean(np.abs(error[se_ok]) / se[se_ok] > z)) if se_ok.any() else math.nan
                row.update(
                    {
                        "mean": float(np.mean(est)),
                        "bias": float(np.mean(error)),
                        "bias_mcse": sd / math.sqrt(n),
                        "median_bias": float(np.median(est)) - theta0,
                        "rmse": rmse,
                        "rmse_mcse": mse_se / (2 * rmse) if rmse > 0 else math.nan,
                        "sd": sd,
                        "mean_se": mean_se,
                        "sd_over_se": sd / mean_se if mean_se > 0 else math.nan,
                        "coverage": cover,
                        "coverage_mcse": _coverage_mcse(cover, int(ci_ok.sum()), self.level),
                        "rejection_rate": reject,
                    }
                )
            row["n_ok"] = n
            # estimates without a finite standard error (e.g. on a parameter's boundary) are counted here
            # and left out of mean_se, coverage and the rejection rate
            row["n_no_se"] = int(n - np.sum(np.isfinite(se) & (se > 0))) if n else 0
            row["n_failed"] = self.n_failed
            row["n_not_converged"] = not_converged
            rows[name] = row
        summary = pd.DataFrame.from_dict(rows, orient="index")[SUMMARY_COLUMNS]
        summary.index.name = "parameter"
        for col in ("n_ok", "n_no_se", "n_failed", "n_not_converged"):
            summary[col] = summary[col].astype(int)
        return summary

    def coverage_band(self, level: float | None = None, *, z: float = 1.96) -> tuple[float, float]:
        r"""Interval level +- z sqrt(level (1 - level) / R): where the coverage of exact intervals falls with
        probability about 95% (binomial Monte Carlo error with R successful replications)."""
        level = self.level if level is None else level
        n = max(int(self.summary["n_ok"].min()), 1) if len(self.summary) else 1
        half = z * math.sqrt(level * (1 - level) / n)
        return level - half, level + half

    # -- output -----------------------------------------------------------------------------------------
    def header(self) -> str:
        timing = self.replications[["seconds_simulate", "seconds_estimate"]].mean()
        lines = [
            f"Monte Carlo: {self.name}",
            (
                f"replications R = {self.reps}, seed = {self.seed}, failed = {self.n_failed}, "
                f"not converged = {self.n_not_converged}, wall time = {self.elapsed:.1f} s "
                f"(mean per replication: simulate {timing['seconds_simulate']:.3g} s, "
                f"estimate {timing['seconds_estimate']:.3g} s)"
            ),
            f"coverage of {self.level:.0%} intervals; Monte Carlo standard errors in *_mcse columns",
        ]
        lines.extend(f"{key} = {value}" for key, value in self.settings.items())
        return "\n".join(lines)

    def to_text(self, digits: int = 4) -> str:
        """Readable summary table with a header and any failures."""
        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
            body = self.summary.to_string(float_format=lambda x: f"{x:.{digits}g}")
        lines = [self.header(), body]
        if self.n_failed:
            lines.append(f"{self.n_failed} failed replications:")
            lines.extend(f"  {count} x {message}" for message, count in self.error_counts.items())
        if self.warning_messages:
            lines.append("warnings raised in replications:")
            lines.extend(f"  {message}" for message in self.warning_messages[:10])
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<MonteCarloResults {self.name!r}: R={self.reps}, failed={self.n_failed}>"

    def to_csv(self, path: str | Path | None = None) -> str | None:
        """The summary as CSV (returned as text when ``path`` is None)."""
        return self.summary.to_csv(path)

    def to_latex(self, digits: int = 4) -> str:
        """The summary as a LaTeX tabular (booktabs)."""
        columns = ["truth", "mean", "bias", "rmse", "sd", "mean_se", "coverage", "n_ok"]
        table = self.summary[columns].copy()
        table.index = [str(i).replace("_", r"\_") for i in table.index]
        table.columns = [c.replace("_", r"\_") for c in columns]
        # written by hand: pandas' to_latex needs jinja2, which is not a dependency of the package
        lines = [r"\begin{tabular}{l" + "r" * len(columns) + "}", r"\toprule"]
        lines.append(" & " + " & ".join(table.columns) + r" \\")
        lines.append(r"\midrule")
        for label, row in table.iterrows():
            cells = [f"{x:.{digits}g}" if isinstance(x, (float, np.floating)) else str(x) for x in row]
            lines.append(" & ".join([str(label), *cells]) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}", ""]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: settings, summary records, failure counts."""
        summary = self.summary.reset_index()
        return {
            "name": self.name,
            "reps": self.reps,
            "seed": self.seed if isinstance(self.seed, (int, np.integer)) else str(self.seed),
            "level": self.level,
            "n_failed": self.n_failed,
            "n_not_converged": self.n_not_converged,
            "elapsed_seconds": self.elapsed,
            "settings": self.settings,
            "summary": summary.to_dict(orient="records"),
            "errors": {str(k): int(v) for k, v in self.error_counts.items()},
        }

    def save(self, folder: str | Path, *, figures: bool = True) -> dict[str, Path]:
        """Write ``summary.txt``, ``summary.csv``, ``summary.tex``, ``estimates.csv`` and (with matplotlib)
        ``distributions.png`` and ``coverage.png`` into ``folder``; return the paths by kind."""
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as error:
            raise DataValidationError(
                f"cannot write into {str(folder)!r}: {error.strerror or error}.",
                hint="choose a folder that can be created and written.",
            ) from None
        paths = {
            "text": folder / "summary.txt",
            "csv": folder / "summary.csv",
            "latex": folder / "summary.tex",
            "estimates": folder / "estimates.csv",
        }
        paths["text"].write_text(self.to_text() + "\n")
        self.summary.to_csv(paths["csv"])
        paths["latex"].write_text(self.to_latex())
        self.estimates.join(self.replications).to_csv(paths["estimates"])
        if figures and importlib.util.find_spec("matplotlib") is not None:  # figures need the `plot` extra
            paths["distributions"] = folder / "distributions.png"
            paths["coverage"] = folder / "coverage.png"
            self.plot_distributions(paths["distributions"])
            self.plot_coverage(paths["coverage"])
        return paths

    def plot_distributions(self, path: str | Path | None = None) -> Any:
        """Histogram of each parameter's estimates with theta_0 (solid) and their mean (dashed)."""
        import matplotlib.pyplot as plt

        names = list(self.truth.index)
        cols = min(len(names), 3)
        rows = math.ceil(len(names) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(max(4 * cols, 6.5), 3 * rows + 0.4), squeeze=False)
        for ax, name in zip(axes.ravel(), names):
            values = self.estimates[name].dropna()
            if len(values):
                ax.hist(values, bins=min(40, max(10, len(values) // 10)), color="0.75", edgecolor="0.4")
                ax.axvline(values.mean(), color="tab:blue", linestyle="--", label="mean")
            ax.axvline(self.truth[name], color="tab:red", label="truth")
            ax.set_title(name)
        for ax in axes.ravel()[len(names) :]:
            ax.set_visible(False)
        axes[0, 0].legend(fontsize=8)
        fig.suptitle(f"{self.name}: sampling distributions (R = {self.reps})", fontsize=10)
        fig.tight_layout()
        return _finish(fig, path)

    def plot_coverage(self, path: str | Path | None = None) -> Any:
        """Coverage per parameter with +-1.96 Monte Carlo errors, against the nominal level and its band."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(max(6.5, 0.8 * len(self.summary) + 2), 3.5))
        x = np.arange(len(self.summary))
        low, high = self.coverage_band()
        ax.axhspan(low, high, color="tab:green", alpha=0.15, label="Monte Carlo band of exact intervals")
        ax.axhline(self.level, color="tab:green")
        ax.errorbar(
            x,
            self.summary["coverage"],
            yerr=1.96 * self.summary["coverage_mcse"],
            fmt="o",
            color="black",
            label="coverage +- 1.96 MC s.e.",
        )
        ax.set_xticks(x, list(self.summary.index), rotation=30, ha="right")
        ax.set_ylabel("coverage")
        ax.set_ylim(top=1.005)  # a coverage rate cannot exceed one, whatever its normal band says
        ax.set_title(f"{self.name}: coverage of {self.level:.0%} intervals", fontsize=10)
        ax.legend(fontsize=8, loc="lower left")
        fig.tight_layout()
        return _finish(fig, path)


def _coverage_mcse(coverage: float, n: int, level: float) -> float:
    """Binomial error sqrt(c (1 - c) / n); at c = 0 or 1 the plug-in is 0, so the nominal level is used."""
    if n == 0 or not math.isfinite(coverage):
        return math.nan
    c = coverage if 0 < coverage < 1 else level
    return math.sqrt(c * (1 - c) / n)


def _finish(fig: Any, path: str | Path | None) -> Any:
    if path is None:
        return fig
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


# -- the engine --------------------------------------------------------------------------------------------
def _truth_series(truth: Mapping[str, float] | pd.Series) -> pd.Series:
    series = pd.Series(dict(truth) if isinstance(truth, Mapping) else truth, dtype=float)
    if series.empty or not np.all(np.isfinite(series.to_numpy())):
        raise InvalidParameterError(
            f"truth must map parameter names to finite numbers, got {dict(series)}.",
            hint="e.g. truth={'beta': 0.5}; names must match the estimator's params index.",
        )
    return series


def run_monte_carlo(
    simulate: Callable[[np.random.Generator], Any],
    estimate: Callable[[Any], Any],
    truth: Mapping[str, float] | pd.Series,
    *,
    reps: int,
    seed: int | np.random.Generator | np.random.SeedSequence,
    n_jobs: int | None = 1,
    progress: bool = True,
    backend: str | None = None,
    level: float = 0.95,
    name: str = "monte carlo",
    settings: Mapping[str, Any] | None = None,
) -> MonteCarloResults:
    r"""Run R replications of simulate -> estimate and summarize the estimates against the truth theta_0.

    Parameters
    ----------
    simulate
        ``simulate(rng) -> data``: draws one data set with the numpy Generator it is given (use only it).
    estimate
        ``estimate(data) -> results`` with ``params`` and ``std_errors`` (Series by parameter name), and
        optionally ``converged`` and ``conf_int(level)`` (columns ``lower``, ``upper``; otherwise normal
        intervals theta-hat +- z se are used). Any :class:`~bargaining.estimate.results.EstimationResults`.
    truth
        theta_0: parameter name -> true value. Only these parameters are summarized.
    reps
        Number of replications R.
    seed
        int, SeedSequence or Generator. Replication r uses ``SeedSequence(seed).spawn(R)[r]``, so the results
        are identical for any ``n_jobs`` and backend.
    n_jobs
        joblib workers (1: serial in this process; -1: all cores; None: joblib's active configuration).
    progress
        Show a tqdm progress bar.
    backend
        A joblib backend name, e.g. ``"loky"`` (default for n_jobs > 1), ``"threading"``, or ``"dask"`` (needs
        a running ``dask.distributed.Client``; with ``n_jobs=-1`` every Dask worker is used). The same as
        running inside ``with joblib.parallel_config(backend=...)``.
    level
        Confidence level of the intervals whose coverage is reported.
    name, settings
        Title and descriptive settings (sample size, estimator options) printed with the summary.

    Returns
    -------
    MonteCarloResults

    Examples
    --------
    >>> from functools import partial
    >>> from bargaining.data.simulate import simulate
    >>> from bargaining.estimate.nash_price import fit_nash
    >>> draw = lambda rng: simulate("hospital-insurer", n=20, seed=rng).data  # 400 agreements
    >>> fit = partial(fit_nash, price="price", buyer_value="buyer_value", seller_cost="seller_cost")
    >>> mc = run_monte_carlo(draw, fit, {"beta": 0.5}, reps=20, seed=1, progress=False)
    >>> mc.summary.loc["beta", ["bias", "bias_mcse", "rmse", "mean_se", "coverage"]].round(4).to_dict()
    {'bias': -0.0001, 'bias_mcse': 0.0001, 'rmse': 0.0006, 'mean_se': 0.0006, 'coverage': 1.0}

    (20 replications keep the example fast; a study uses hundreds, e.g. ``reps=1000``.)

    On a Dask cluster (the same numbers for the same seed)::

        from dask.distributed import Client
        client = Client("scheduler-address:8786")          # or Client() for a local cluster
        mc = run_monte_carlo(draw, fit, {"beta": 0.5}, reps=5000, seed=1, backend="dask", n_jobs=-1)
    """
    import joblib

    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 1:
        raise InvalidParameterError(f"reps must be an integer >= 1, got {reps!r}.", hint="e.g. reps=500.")
    if not 0 < level < 1:
        raise InvalidParameterError(f"level must be in (0, 1), got {level!r}.", hint="e.g. level=0.95.")
    theta0 = _truth_series(truth)
    seeds = seed_sequences(seed, int(reps))
    start = time.perf_counter()
    if n_jobs == 1 and backend is None:
        iterator: Any = (_run_one(i, s, simulate, estimate, level) for i, s in enumerate(seeds))
        outcomes = _collect(iterator, reps, progress, name)
    else:
        config = {"backend": backend} if backend is not None else {}
        with joblib.parallel_config(**config):
            parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            iterator = parallel(
                joblib.delayed(_run_one)(i, s, simulate, estimate, level) for i, s in enumerate(seeds)
            )
            outcomes = _collect(iterator, reps, progress, name)
    elapsed = time.perf_counter() - start
    results = MonteCarloResults(
        outcomes,
        theta0,
        seed=seed if isinstance(seed, (int, np.integer)) else repr(seed),
        level=level,
        name=name,
        elapsed=elapsed,
        n_jobs=n_jobs,
        backend=backend,
        settings=settings,
    )
    succeeded = ~results.replications["failed"]
    if succeeded.any():
        estimated = set(results.estimates.columns[results.estimates[succeeded].notna().any()])
        missing = [k for k in theta0.index if k not in estimated]
        if missing:
            raise UnknownNameError(
                f"the estimator never returned the parameters {missing} named in truth.",
                hint=f"name the truth by the estimator's parameters: {sorted(estimated)}.",
            )
    return results


def _collect(iterator: Any, reps: int, progress: bool, name: str) -> list[ReplicationOutcome]:
    from tqdm.auto import tqdm

    bar = tqdm(iterator, total=reps, desc=name, disable=not progress, unit="rep", leave=False)
    outcomes = []
    for outcome in bar:
        outcomes.append(outcome)
        if outcome.failed:
            bar.set_postfix(failed=sum(o.failed for o in outcomes))
    return outcomes
