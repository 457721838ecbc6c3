"""Sample-size studies: run studies at growing N and check that the RMSE falls like N^{-1/2}."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError
from bargaining.estimate.montecarlo import MonteCarloResults
from bargaining.studies.registry import get_study, run_study

__all__ = ["SAMPLE_SIZES", "SAMPLE_SIZE_STUDIES", "SampleSizeResults", "sample_size_study"]

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

    Examples
    --------
    ``fit_nash`` (IV, unobserved costs; true beta 0.5) at N = 100 and 400 agreements, 10 replications each
    (a smoke run: the defaults are five sizes and 200 replications). Quadrupling N should halve the RMSE,
    a log-log slope of -1/2; with 10 replications the slope's standard error is 0.25, so the ``ok`` flags
    mean little here:

    >>> res = sample_size_study(["nash-constant-formula"], sizes=(100, 400), reps=10, progress=False)
    >>> res.table.query("parameter == 'beta'")[["N", "bias", "rmse", "rmse_mcse", "coverage"]].round(4)
         N    bias    rmse  rmse_mcse  coverage
    0  100 -0.0023  0.0139     0.0029       0.8
    4  400 -0.0009  0.0060     0.0016       0.9
    >>> res.slopes.set_index("parameter").loc["beta", ["slope", "slope_se"]].round(2).tolist()
    [-0.6, 0.25]
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
        def float_format(x: float) -> str:
            return f"{x:.{digits}g}"

        with pd.option_context("display.max_rows", 500, "display.width", 200):
            return "\n".join(
                [
                    "Bias and RMSE by sample size N (Monte Carlo standard errors in *_mcse)",
                    self.table.to_string(float_format=float_format, index=False),
                    "",
                    f"log-log slope of RMSE on N (root-N: -0.5; ok = within {self.tolerance} of -0.5)",
                    self.slopes.to_string(float_format=float_format, index=False),
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
        if figures and importlib.util.find_spec("matplotlib") is not None:  # figures need the `plot` extra
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

    Parameters
    ----------
    studies
        Names of Monte Carlo studies (:func:`list_monte_carlo_studies`).
    sizes
        Sample sizes N.
    reps
        Replications per (study, N) cell.
    seed
        Root seed of the ``SeedSequence``.
    n_jobs, progress, backend
        As in :func:`run_monte_carlo`.
    tolerance
        Allowed distance of the fitted log-log RMSE slope from -1/2.

    Returns
    -------
    SampleSizeResults

    Examples
    --------
    A smoke run of ``fit_nash`` (IV, unobserved costs) at N = 100 and 400 agreements, 10 replications per
    size; the RMSE of beta-hat falls from 0.014 to 0.006, close to the root-N halving:

    >>> res = sample_size_study(["nash-constant-formula"], sizes=(100, 400), reps=10, progress=False)
    >>> sorted(res.results)
    [('nash-constant-formula', 100), ('nash-constant-formula', 400)]
    >>> res.table.query("parameter == 'beta'").set_index("N")["rmse"].round(3).to_dict()
    {100: 0.014, 400: 0.006}
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
