"""Monte Carlo study ``nash-constant-formula-ols``: fit_nash, constant beta, unobserved cost by OLS without
instrument (endogeneity bias).

``run`` reruns the study with R = ``reps`` replications (default 100; the recorded seed and N) and compares
the mean, RMSE and coverage of every parameter with the recorded full run in
bargaining/studies/recorded/mc_nash_constant_formula_ols/ within 4 Monte Carlo standard errors. ``record``
redoes the full run (``python replication/mc_nash_constant_formula_ols.py --record``). Design, estimator and
truth: ``bargaining.studies.get_study("nash-constant-formula-ols")``.
"""

from __future__ import annotations

from typing import Any

from bargaining.replication import Report

STUDY = "nash-constant-formula-ols"
RECORD = {"reps": 1000, "seed": 70}
TITLE = (
    "Monte Carlo recovery: "
    "fit_nash, constant beta, unobserved cost by OLS without instrument (endogeneity bias)"
)
SOURCE = (
    "recorded full run (R = 1000, seed = 70) in bargaining/studies/recorded/mc_nash_constant_formula_ols; "
    "truth from the simulator"
)


def run(*, reps: int = 100, seed: int | None = None) -> Report:
    from bargaining.studies import compare_with_recorded

    _, rows, notes = compare_with_recorded(STUDY, reps=reps, seed=seed)
    report = Report("mc_nash_constant_formula_ols", TITLE, SOURCE, notes=notes)
    for row in rows:
        report.add(**row)
    return report


def record(*, n_jobs: int | None = 1, progress: bool = True) -> Any:
    from bargaining.studies import record_study

    return record_study(STUDY, n_jobs=n_jobs, progress=progress, **RECORD)
