"""Benchmark: fit_nash on 10^6 agreements against OLS with its sandwich covariance written directly in numpy.

Target (issue 15): the linear fit (robust and clustered; observed cost and cost formula) takes at most 3 times the
direct numpy computation of the same estimates and covariance, with numbers equal to linearmodels' to 1e-10 and
peak memory at most 4 times the data. Run:  python benchmarks/bench_nash_fit.py [--rows N] [--repeat K]

Each ratio is the median of K interleaved pairs of runs (the machine is shared, so only ratios measured in one
run mean something). Memory is the peak traced by tracemalloc (numpy and pandas allocations) during one fit,
relative to the size of the input DataFrame. The last column is the largest relative difference of the
coefficients and covariance from ``linearmodels.iv.IV2SLS`` on the same design.
"""

from __future__ import annotations

import argparse
import statistics
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


def median_times(ours: Callable[[], object], baseline: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Medians of ``repeat`` interleaved runs of each (so that machine load affects both alike)."""
    t_ours, t_base = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        baseline()
        t_base.append(time.perf_counter() - start)
    return statistics.median(t_ours), statistics.median(t_base)


def peak_memory(func: Callable[[], object]) -> int:
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def numpy_ols(y: np.ndarray, x: np.ndarray, clusters: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """OLS and its HC0 (or clustered, with the factor G/(G-1)(N-1)/(N-K)) sandwich, directly in numpy."""
    xtx = x.T @ x
    beta = np.linalg.solve(xtx, x.T @ y)
    scores = x * (y - x @ beta)[:, None]
    if clusters is None:
        meat = scores.T @ scores
        factor = 1.0
    else:
        g = int(clusters.max()) + 1
        sums = np.column_stack([np.bincount(clusters, weights=scores[:, j], minlength=g) for j in range(x.shape[1])])
        meat = sums.T @ sums
        n, k = x.shape
        factor = g / (g - 1) * (n - 1) / (n - k)
    inverse = np.linalg.inv(xtx)
    return beta, factor * inverse @ meat @ inverse


def numpy_ols_elementwise(
    y: np.ndarray, columns: list[np.ndarray], clusters: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The same estimates with elementwise products and numpy sums only (no BLAS call over the n rows).

    On a loaded machine with few cores a multithreaded BLAS call over 10^6 rows can wait tens of milliseconds for
    its threads, so :func:`numpy_ols` is slower there than its arithmetic; this baseline does not wait.
    """
    k = len(columns)
    xtx = np.array([[np.sum(columns[i] * columns[j]) for j in range(k)] for i in range(k)])
    beta = np.linalg.solve(xtx, np.array([np.sum(c * y) for c in columns]))
    e = y - sum(b * c for b, c in zip(beta, columns, strict=True))
    scores = [c * e for c in columns]
    if clusters is None:
        meat = np.array([[np.sum(scores[i] * scores[j]) for j in range(k)] for i in range(k)])
        factor = 1.0
    else:
        g = int(clusters.max()) + 1
        sums = np.column_stack([np.bincount(clusters, weights=sc, minlength=g) for sc in scores])
        meat = sums.T @ sums
        n = len(y)
        factor = g / (g - 1) * (n - 1) / (n - k)
    inverse = np.linalg.inv(xtx)
    return beta, factor * inverse @ meat @ inverse


def cases(
    data: pd.DataFrame,
) -> dict[str, tuple[Callable[[], object], Callable[[], object], Callable[[], object], Callable[[], float]]]:
    """name -> (fit_nash, the numpy baseline with BLAS, the elementwise one, largest relative difference from
    linearmodels)."""
    from linearmodels.iv import IV2SLS

    from bargaining import fit_nash

    def observed(**options: object) -> object:
        return fit_nash(data, price="price", buyer_value="value", seller_cost="cost", **options)  # type: ignore[arg-type]

    def formula(**options: object) -> object:
        return fit_nash(data, price="price", buyer_value="value", cost_formula="~ 1 + z", recapture="r", **options)  # type: ignore[arg-type]

    def observed_design() -> tuple[np.ndarray, np.ndarray]:
        return (data["price"] - data["cost"]).to_numpy(), (data["value"] - data["cost"]).to_numpy()[:, None]

    def formula_design() -> tuple[np.ndarray, np.ndarray]:
        s = (data["value"] - data["r"]).to_numpy()
        return (data["price"] - data["r"]).to_numpy(), np.column_stack([s, np.ones(len(s)), data["z"].to_numpy()])

    def difference(fit: Callable[[], object], design: Callable[[], tuple[np.ndarray, np.ndarray]], clustered: bool) -> float:
        res = fit()
        y, x = design()
        options = {"clusters": data["market"].to_numpy(), "debiased": True} if clustered else {}
        lm = IV2SLS(y, x, None, None).fit(cov_type="clustered" if clustered else "robust", **options)
        params = np.asarray(res.linear_params if res.linear_params is not None else res.params)  # type: ignore[attr-defined]
        cov = np.asarray(res.linear_cov if res.linear_cov is not None else res.cov)  # type: ignore[attr-defined]
        return float(max(np.max(np.abs(params / lm.params.to_numpy() - 1)), np.max(np.abs(cov / lm.cov.to_numpy() - 1))))

    market = data["market"]
    out = {}
    for label, fit, design in (("observed cost", observed, observed_design), ("cost formula ~ 1 + z", formula, formula_design)):
        for cov_type in ("robust", "clustered"):
            options = {"cov_type": cov_type, **({"cluster": "market"} if cov_type == "clustered" else {})}
            clustered = cov_type == "clustered"
            # cluster ids to codes 0..G-1 (pd.factorize, as linearmodels does) is part of the clustered baseline
            out[f"{label}, {cov_type}"] = (
                lambda fit=fit, options=options: fit(**options),
                lambda design=design, c=clustered: numpy_ols(*design(), pd.factorize(market)[0] if c else None),
                lambda design=design, c=clustered: _elementwise(design, pd.factorize(market)[0] if c else None),
                lambda fit=fit, options=options, design=design, c=cov_type: difference(lambda: fit(**options), design, c == "clustered"),
            )
    return out


def _elementwise(design: Callable[[], tuple[np.ndarray, np.ndarray]], clusters: np.ndarray | None) -> object:
    y, x = design()
    return numpy_ols_elementwise(y, [x[:, j] for j in range(x.shape[1])], clusters)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    data = make_data(args.rows)
    data_bytes = int(data.memory_usage(deep=True).sum())
    print(f"rows: {args.rows:,}; input DataFrame {data_bytes / 2**20:.1f} MiB; medians of {args.repeat}")
    print(
        "ratio: fit_nash / numpy with BLAS products (x.T @ x, ...); ratio_ew: fit_nash (timed first, interleaved)\n"
        "/ numpy with elementwise sums. OpenBLAS threads spin for a while after a call, so on a loaded machine\n"
        "the runs interleaved with the BLAS baseline are slowed down too; ratio_ew is the cleaner comparison."
    )
    print(
        f"{'case':32s} {'fit_nash s':>10s} {'numpy s':>8s} {'ratio':>6s} {'fit_nash s':>10s} {'ew s':>6s} "
        f"{'ratio_ew':>8s} {'peak MiB':>9s} {'peak/data':>9s} {'vs lm':>8s}"
    )
    table = cases(data)
    elementwise_times = {}
    for name, (ours, _, elementwise, _) in table.items():  # first, before any BLAS call over the rows
        ours(), elementwise()  # warm up imports and caches
        elementwise_times[name] = median_times(ours, elementwise, args.repeat)
    for name, (ours, direct, _, difference) in table.items():
        direct()
        t_ours, t_direct = median_times(ours, direct, args.repeat)
        t_ours2, t_ew = elementwise_times[name]
        peak = peak_memory(ours)
        print(
            f"{name:32s} {t_ours:10.3f} {t_direct:8.3f} {t_ours / t_direct:6.2f} {t_ours2:10.3f} {t_ew:6.3f} "
            f"{t_ours2 / t_ew:8.2f} "
            f"{peak / 2**20:9.1f} {peak / data_bytes:9.2f} {difference():8.1e}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
