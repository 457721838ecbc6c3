"""Recorded full runs of the studies, shipped as package data in ``bargaining/studies/recorded/``.

One folder per study (``mc_<study name with _>``: summary.txt/.csv/.tex, estimates.csv, meta.json) plus
``mc_sample_size`` (table.csv, slopes.csv, summary.txt, rmse.png, meta.json). They are read with
:mod:`importlib.resources`, so they are found in any installation (wheel, ``pip install .``, editable), and
written by ``python replication/mc_NAME.py --record`` into the package folder (which must then be a
directory on disk, e.g. a source checkout).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pandas as pd

from bargaining.errors import InvalidParameterError
from bargaining.estimate.montecarlo import MonteCarloResults
from bargaining.studies.registry import get_study, run_study

__all__ = [
    "COMPARE_Z",
    "compare_with_recorded",
    "load_recorded",
    "read_recorded_csv",
    "record_study",
    "recorded_folder",
    "recorded_root",
    "recording_folder",
]

COMPARE_Z = 4.0  # rows compare within 4 Monte Carlo standard errors (about 1 false alarm in 16,000 rows)


def recorded_root() -> Traversable:
    """The folder of all recorded runs: the package data ``bargaining/studies/recorded``."""
    return resources.files("bargaining.studies") / "recorded"


def recorded_folder(name: str) -> Traversable:
    """Folder of the recorded full run of study ``name`` (``recorded/mc_<name with _>``)."""
    return recorded_root() / f"mc_{get_study(name).name.replace('-', '_')}"


def recording_folder(folder: Traversable) -> Path:
    """``folder`` (under :func:`recorded_root`) as a directory on disk to write a new recording into."""
    if not isinstance(folder, Path):
        raise InvalidParameterError(
            f"the recorded runs are not in a folder on disk ({folder}); cannot record into them.",
            hint="record from a source checkout installed with `pip install -e .`.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_recorded_csv(folder: Traversable, file: str, **options: Any) -> pd.DataFrame:
    """``pandas.read_csv`` of a recorded file (works for any importlib.resources Traversable)."""
    with (folder / file).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, **options)


def record_study(
    name: str, *, reps: int, seed: int, n: int | None = None, n_jobs: int | None = 1, progress: bool = True
) -> MonteCarloResults:
    """Run the full study and write its tables (txt, csv, tex, estimates) and ``meta.json`` to
    :func:`recorded_folder`."""
    folder = recording_folder(recorded_folder(name))  # before the run: fail early
    results = run_study(name, reps=reps, seed=seed, n=n, n_jobs=n_jobs, progress=progress)
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
    folder = recorded_folder(name)
    if not (folder / "summary.csv").is_file():
        raise InvalidParameterError(
            f"no recorded results for study {name!r} in {folder}.",
            hint="reinstall the package (the recorded runs are its package data), or record them with "
            f"`python replication/mc_{get_study(name).name.replace('-', '_')}.py --record`.",
        )
    summary = read_recorded_csv(folder, "summary.csv", index_col="parameter")
    return summary, json.loads((folder / "meta.json").read_text(encoding="utf-8"))


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
        new = results.summary.loc[[parameter]].iloc[0]  # the row of `parameter` (unique in both summaries)
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
