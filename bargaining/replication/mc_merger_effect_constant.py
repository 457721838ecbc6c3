"""Monte Carlo study ``merger-effect-constant``: fit_merger_model with logit demand estimated jointly (stacked
2SLS), one seller weight, and the price effect of a fixed merger (seller C joins A) in a fixed extra market.

``run`` reruns the study with R = ``reps`` replications (default 100; the recorded seed and N) and compares
the mean, RMSE and coverage of every parameter, the merger effect ``price_change[P4]`` included, with the
recorded full run in bargaining/studies/recorded/mc_merger_effect_constant/ within 4 Monte Carlo standard
errors. ``record`` redoes the full run (``python replication/mc_merger_effect_constant.py --record``). Design,
estimator and truth: ``bargaining.studies.get_study("merger-effect-constant")``.
"""

from __future__ import annotations

from typing import Any

from bargaining.replication import Report

STUDY = "merger-effect-constant"
RECORD = {"reps": 500, "seed": 11}
TITLE = ("Monte Carlo recovery: seller weight, costs, alpha (demand estimated jointly) and a merger's price "
         "effect with delta-method intervals")
SOURCE = (
    "recorded full run (R = 500, seed = 11) in bargaining/studies/recorded/mc_merger_effect_constant; "
    "truth from the simulator and the fixed market's primitives"
)


def run(*, reps: int = 100, seed: int | None = None) -> Report:
    from bargaining.studies import compare_with_recorded

    _, rows, notes = compare_with_recorded(STUDY, reps=reps, seed=seed)
    report = Report("mc_merger_effect_constant", TITLE, SOURCE, notes=notes)
    for row in rows:
        report.add(**row)
    return report


def record(*, n_jobs: int | None = 1, progress: bool = True) -> Any:
    from bargaining.studies import record_study

    return record_study(STUDY, n_jobs=n_jobs, progress=progress, **RECORD)
