"""Monte Carlo study ``incomplete-likelihood``: fit_incomplete, logit trade likelihood for Delta and sigma
(negotiations).

``run`` reruns the study with R = ``reps`` replications (default 100; the recorded seed and N) and compares
the mean, RMSE and coverage of every parameter with the recorded full run in
bargaining/studies/recorded/mc_incomplete_likelihood/ within 4 Monte Carlo standard errors. ``record`` redoes
the full run (``python replication/mc_incomplete_likelihood.py --record``). Design, estimator and truth:
``bargaining.studies.get_study("incomplete-likelihood")``.
"""

from __future__ import annotations

from typing import Any

from bargaining.replication import Report

STUDY = "incomplete-likelihood"
RECORD = {"reps": 1000, "seed": 67}
TITLE = "Monte Carlo recovery: fit_incomplete, logit trade likelihood for Delta and sigma (negotiations)"
SOURCE = (
    "recorded full run (R = 1000, seed = 67) in bargaining/studies/recorded/mc_incomplete_likelihood; "
    "truth from the simulator"
)


def run(*, reps: int = 100, seed: int | None = None) -> Report:
    from bargaining.studies import compare_with_recorded

    _, rows, notes = compare_with_recorded(STUDY, reps=reps, seed=seed)
    report = Report("mc_incomplete_likelihood", TITLE, SOURCE, notes=notes)
    for row in rows:
        report.add(**row)
    return report


def record(*, n_jobs: int | None = 1, progress: bool = True) -> Any:
    from bargaining.studies import record_study

    return record_study(STUDY, n_jobs=n_jobs, progress=progress, **RECORD)
