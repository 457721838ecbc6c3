"""The registry of named Monte Carlo studies: :func:`list_studies`, :func:`get_study`, :func:`run_study`."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from bargaining.errors import UnknownNameError
from bargaining.estimate.montecarlo import MonteCarloResults, run_monte_carlo
from bargaining.studies.incomplete import INCOMPLETE_STUDIES
from bargaining.studies.merger import MERGER_STUDIES
from bargaining.studies.nash import NASH_STUDIES
from bargaining.studies.study import Study

__all__ = [
    "STUDIES",
    "get_study",
    "list_monte_carlo_studies",
    "list_studies",
    "run_monte_carlo_study",
    "run_study",
]

STUDIES: dict[str, Study] = {study.name: study for study in [*NASH_STUDIES, *INCOMPLETE_STUDIES, *MERGER_STUDIES]}


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
    """DataFrame[name, description, simulator, estimator, default_n, default_reps] of every study.

    Examples
    --------
    >>> "nash-constant-formula" in list_monte_carlo_studies()["name"].tolist()
    True
    """
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
    seed: int | np.random.Generator | np.random.SeedSequence = 0,
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

    Returns
    -------
    MonteCarloResults

    Examples
    --------
    ``fit_nash`` with unobserved costs C = r + z'gamma + omega, instrumenting V - r by the insurer's
    willingness to pay (true beta 0.5), on 200 agreements, in 10 replications (the study's defaults are
    N = 1,000 and 1,000 replications; this is a smoke run):

    >>> mc = run_monte_carlo_study("nash-constant-formula", reps=10, n=200, seed=0, progress=False)
    >>> mc.summary[["truth", "bias", "bias_mcse", "rmse", "mean_se", "coverage"]].round(4)
                      truth    bias  bias_mcse    rmse  mean_se  coverage
    parameter
    beta                0.5  0.0000     0.0027  0.0082   0.0065       0.9
    gamma[Intercept]    6.0 -0.0330     0.0925  0.2794   0.2501       0.9
    gamma[z1]           1.0 -0.0007     0.0128  0.0385   0.0522       1.0
    gamma[z2]           0.5  0.0182     0.0201  0.0629   0.0549       1.0
    >>> mc.n_failed
    0
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
