"""Benchmark: fit_nash on 10^6 agreements against calling linearmodels directly on the same arrays.

Target (docs/design.md): the linear fit takes at most 1.5 times linearmodels' time, with peak memory a small
multiple of the data. Run:  python benchmarks/bench_nash_fit.py [--rows N] [--repeat K]

Each timing is the best of K runs (the machine is shared, so the minimum is the least noisy statistic).
Memory is the peak traced by tracemalloc (numpy and pandas allocations) during one fit, relative to the
size of the input DataFrame, next to the peak of the direct linearmodels call (which copies its inputs into
pandas objects, so most of the peak is linearmodels' own).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=rows)
    r = rng.uniform(0, 1, size=rows)
    expected_cost = r + 1.0 + 0.5 * z
    cost = expected_cost + rng.uniform(-0.3, 0.3, size=rows)
    value = expected_cost + 0.4 + rng.lognormal(0.5, 0.5, size=rows)
    price = cost + 0.4 * (value - cost) + rng.normal(scale=0.3, size=rows)
    return pd.DataFrame(
        {
            "price": price,
            "value": value,
            "cost": cost,
            "z": z,
            "r": r,
            "market": rng.integers(0, 1000, size=rows),
        }
    )


def best_time(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(func: Callable[[], object]) -> int:
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> int:
    from linearmodels.iv import IV2SLS

    from bargaining.estimate.nash_price import fit_nash

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    data = make_data(args.rows)
    data_bytes = int(data.memory_usage(deep=True).sum())
    ones = np.ones(args.rows)
    clusters = data["market"].to_numpy()
    cases = {
        "observed cost, robust": (
            lambda: fit_nash(data, price="price", buyer_value="value", seller_cost="cost"),
            lambda: IV2SLS(
                (data.price - data.cost).to_numpy(), (data.value - data.cost).to_numpy()[:, None], None, None
            ).fit(cov_type="robust"),
        ),
        "cost formula ~ 1 + z, robust": (
            lambda: fit_nash(data, price="price", buyer_value="value", cost_formula="~ 1 + z", recapture="r"),
            lambda: IV2SLS(
                (data.price - data.r).to_numpy(),
                np.column_stack([ones, data.z.to_numpy(), (data.value - data.r).to_numpy()]),
                None,
                None,
            ).fit(cov_type="robust"),
        ),
        "cost formula ~ 1 + z, clustered": (
            lambda: fit_nash(
                data,
                price="price",
                buyer_value="value",
                cost_formula="~ 1 + z",
                recapture="r",
                cov_type="clustered",
                cluster="market",
            ),
            lambda: IV2SLS(
                (data.price - data.r).to_numpy(),
                np.column_stack([ones, data.z.to_numpy(), (data.value - data.r).to_numpy()]),
                None,
                None,
            ).fit(cov_type="clustered", clusters=clusters),
        ),
    }
    print(f"rows: {args.rows:,}; input DataFrame {data_bytes / 2**20:.1f} MiB; best of {args.repeat}")
    print(
        f"{'case':34s} {'fit_nash s':>10s} {'linearmodels s':>14s} {'ratio':>6s} {'peak MiB':>9s} "
        f"{'peak/data':>9s} {'lm peak MiB':>11s}"
    )
    for name, (ours, direct) in cases.items():
        ours()  # warm up imports and caches
        t_ours = best_time(ours, args.repeat)
        t_direct = best_time(direct, args.repeat)
        peak, peak_direct = peak_memory(ours), peak_memory(direct)
        print(
            f"{name:34s} {t_ours:10.3f} {t_direct:14.3f} {t_ours / t_direct:6.2f} {peak / 2**20:9.1f} "
            f"{peak / data_bytes:9.2f} {peak_direct / 2**20:11.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
