"""Benchmark: 200 replications of a 1,000-agreement Nash-in-Nash fit (fit_nash, constant beta).

Target (issue 6): the study finishes in under a minute on 2 cores. Each replication simulates 40
hospital-insurer markets (5 hospitals x 5 insurers = 1,000 agreements, Nash-in-Nash prices solved exactly) and
fits beta with fit_nash (observed cost, robust standard errors). Run:

    python benchmarks/bench_montecarlo.py [--reps 200] [--n 1000] [--n-jobs 2] [--study NAME]

Prints the wall time with n_jobs = 1 and with --n-jobs workers (the parallel time includes starting the
worker processes), the per-replication simulate / estimate times, and checks that both runs give the
same summary (the seeds do not depend on the number of workers).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from bargaining.studies import run_study

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--study", default="nash-constant-observed")
    args = parser.parse_args()

    timings = {}
    results = {}
    for n_jobs in (1, args.n_jobs):
        start = time.perf_counter()
        results[n_jobs] = run_study(
            args.study, reps=args.reps, n=args.n, seed=0, n_jobs=n_jobs, progress=False
        )
        timings[n_jobs] = time.perf_counter() - start
    serial = results[1]
    per_rep = serial.replications[["seconds_simulate", "seconds_estimate"]].mean()
    same = results[1].summary.equals(results[args.n_jobs].summary)
    print(f"{args.study}: R = {args.reps} replications of N = {args.n} agreements")
    print(f"  per replication: simulate {per_rep['seconds_simulate'] * 1e3:.1f} ms, "
          f"estimate {per_rep['seconds_estimate'] * 1e3:.1f} ms")  # fmt: skip
    for n_jobs, seconds in timings.items():
        verdict = "ok" if seconds < TARGET_SECONDS else "TOO SLOW"
        print(f"  n_jobs = {n_jobs}: {seconds:.1f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")
    print(f"  identical summaries for n_jobs = 1 and {args.n_jobs}: {same}")
    with pd.option_context("display.width", 160):
        print(serial.summary[["truth", "bias", "rmse", "mean_se", "coverage", "n_ok", "n_failed"]])


if __name__ == "__main__":
    main()
