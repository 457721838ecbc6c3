"""fit_incomplete with known Beta laws against a statsmodels Logit on the same rows (issue 15).

Workloads (5,000 negotiations, values Beta(2, 3), costs Beta(3, 2), Delta = 0.3, sigma = 0.1):
  first fit     the rho(Delta) curve built from scratch (the curve cache cleared before every run)
  further fit   the same laws again (the cached curve: a bootstrap replicate, a resample)
  baseline      statsmodels Logit of traded on (1, v, c), the same rows
  bootstrap     with --bootstrap B: one fit with a B-replicate pairs bootstrap and n_jobs=2 (issue 15: B = 199
                in under two minutes on 2 cores), timed once from a cleared curve cache
Each time is the median of ``--repeat`` interleaved runs.

Run:  python benchmarks/bench_incomplete.py [--repeat K] [--bootstrap B]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

from bargaining import Beta, fit_incomplete
from bargaining.models.incomplete_likelihood import (
    TypeData,
    WeightRatioCurve,
    clear_curve_cache,
    trade_probability,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=0, help="also time a fit with this many bootstrap replicates")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n = 5000
    v = np.asarray(Beta(2.0, 3.0).sample(n, seed=rng))
    c = np.asarray(Beta(3.0, 2.0).sample(n, seed=rng))
    curve = WeightRatioCurve.for_distributions(Beta(2.0, 3.0), Beta(3.0, 2.0))
    p = trade_probability(0.3, 0.1, TypeData.build(v, c, Beta(2.0, 3.0), Beta(3.0, 2.0)), curve)
    frame = pd.DataFrame({"traded": (rng.random(n) < p).astype(float), "v": v, "c": c})
    exog = np.column_stack([np.ones(n), v, c])

    def fit() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit_incomplete(frame, traded="traded", value="v", cost="c", value_dist=Beta(2.0, 3.0),
                                  cost_dist=Beta(3.0, 2.0))

    def timed(func: object) -> float:
        start = time.perf_counter()
        func()  # type: ignore[operator]
        return time.perf_counter() - start

    first, further, logit = [], [], []
    for _ in range(args.repeat):
        clear_curve_cache()
        first.append(timed(fit))
        further.append(timed(fit))
        logit.append(statistics.median(timed(lambda: sm.Logit(frame["traded"].to_numpy(), exog).fit(disp=0))
                                       for _ in range(5)))
    base = statistics.median(logit)
    for label, times in (("first fit (curve built)", first), ("further fit (cached curve)", further)):
        seconds = statistics.median(times)
        print(f"{label:<28}{seconds:>9.3f} s {seconds / base:>9.1f} x Logit ({base * 1e3:.2f} ms)")
    if args.bootstrap:
        clear_curve_cache()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_incomplete(frame, traded="traded", value="v", cost="c", value_dist=Beta(2.0, 3.0),
                           cost_dist=Beta(3.0, 2.0), bootstrap=args.bootstrap, n_jobs=2, seed=0)
        print(f"{f'bootstrap {args.bootstrap}, n_jobs=2':<28}{time.perf_counter() - start:>9.3f} s")


if __name__ == "__main__":
    main()
