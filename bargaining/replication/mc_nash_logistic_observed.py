"""Monte Carlo study ``nash-logistic-observed``: fit_nash, logistic beta, observed cost (hospital-insurer).

``run`` reruns the study with R = ``reps`` replications (default 100; the recorded seed and N) and compares
the mean, RMSE and coverage of every parameter with the recorded full run in
bargaining/studies/recorded/mc_nash_logistic_observed/ within 4 Monte Carlo standard errors. ``record`` redoes
the full run (``python replication/mc_nash_logistic_observed.py --record``). Design, estimator and truth:
``bargaining.studies.get_study("nash-logistic-observed")``.
"""

from __future__ import annotations

from typing import Any

from bargaining.replication import Report

STUDY = "nash-logistic-observed"
RECORD = {"reps": 1000, "seed": 65}
TITLE = "Monte Carlo recovery: fit_nash, logistic beta, observed cost (hospital-insurer)"
SOURCE = (
    "recorded full run (R = 1000, seed = 65) in bargaining/studies/recorded/mc_nash_logistic_observed; "
    "truth from the simulator"
)


def run(*, reps: int = 100, seed: int | None = None) -> Report:
    from bargaining.studies import compare_with_recorded

    _, rows, notes = compare_with_recorded(STUDY, reps=reps, seed=seed)
    report = Report("mc_nash_logistic_observed", TITLE, SOURCE, notes=notes)
    for row in rows:
        report.add(**row)
    return report


def record(*, n_jobs: int | None = 1, progress: bool = True) -> Any:
    from bargaining.studies import record_study

    return record_study(STUDY, n_jobs=n_jobs, progress=progress, **RECORD)
