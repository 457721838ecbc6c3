"""Quick performance regression check (seconds): each workload timed against a baseline run in the same process.

Machine noise and speed cancel in the ratio workload / baseline, so ratios recorded on one machine are a fair
yardstick on another. Each ratio is the median of ``--repeat`` interleaved pairs of runs. The check fails (exit
code 1) when a ratio is 1.5 times (``--tolerance``) its value recorded in ``benchmarks/results/check_ratios.json``
or more; ``--record`` rewrites that file with this run's ratios.

Workloads and baselines:
  market_1x1_beta   Market([Beta(2,3)], [Beta(3,2)]).bargain([1], [0.6]) (a fresh market each run)
                    vs a 10^5-draw Monte Carlo of the same market (Market.allocate and the sample means)
  fit_nash_robust   fit_nash with observed cost, robust covariance, 10^6 rows
                    vs the same OLS and its HC0 sandwich written directly in numpy (elementwise products and
                    numpy sums: one multithreaded BLAS dot over 10^6 rows can wait tens of ms for its threads
                    on a loaded machine, which would make the baseline, and the ratio, depend on the load)
  load_validate     read_table + validate_agreements of a 2 * 10^5-row CSV with string ids (25 MB, large enough for
                    pandas' parallel reader) vs pandas.read_csv; benchmarks/bench_load.py measures 10^6 rows
  fit_incomplete    a further fit_incomplete with known laws (cached rho curve), 5,000 rows,
                    vs a statsmodels Logit of traded on (1, v, c) on the same rows
  market_1x8_het    one Beta(2,3) buyer and 8 suppliers Beta(3 + j/2, 2 + j/4) (all different), w = (1, 0.6)
                    vs the one-supplier market Beta(2,3) / Beta(3,2) solved the same way (issue 15: at most 10)
  theta_1x8_vs_1x4  one Beta(2,3) buyer, 8 suppliers Beta(3 + j/2, 2 + j/4) with preferences theta_j = 1 + j/16,
                    w = (1, 0.6), vs the same with 4 suppliers (theta_j = 1 + j/8) (issue 15: growth no worse
                    than n^2, i.e. a ratio of at most 4)
  frontier_101      Market([Beta(2,3)], [Beta(3,2)]).frontier(points=101) vs one bargain([1], [1]) of the same
                    market (issue 15: within 5; every point warm-started from its neighbour)
  cli_help          `bargaining --help` (python -c "from bargaining.cli import main; ...") vs `python -c pass`

Run:  python benchmarks/check_ratios.py [--repeat K] [--only NAME ...] [--record] [--tolerance 1.5] [--retries 2]

A workload that looks slower is measured again (``--retries`` times) and its smallest ratio counts, so a burst
of load on a shared machine does not fail the check while a real slowdown, which persists, does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "results" / "check_ratios.json"
sys.path.insert(0, str(HERE))

Pair = tuple[Callable[[], object], Callable[[], object]]


def _market_1x1() -> Pair:
    from bargaining.models import distributions as D
    from bargaining.models.mechanism import Market

    def solve() -> object:
        market = Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0)])
        return market.bargain([1.0], [0.6])

    market = Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0)])
    outcome = market.bargain([1.0], [0.6])
    draws = 100_000

    def monte_carlo() -> object:
        rng = np.random.default_rng(0)
        v = market.buyers[0].sample(draws, seed=rng)[:, None]
        c = market.suppliers[0].sample(draws, seed=rng)[:, None]
        qb, qs = market.allocate(v, c, outcome)
        return float(np.mean(qb)), float(np.mean(v * qb - c * qs))

    return solve, monte_carlo


def _market_1x8_het() -> Pair:
    from bargaining.models import distributions as D
    from bargaining.models.mechanism import Market

    def market(n: int) -> Callable[[], object]:
        def solve() -> object:
            suppliers = [D.Beta(3.0 + 0.5 * j, 2.0 + 0.25 * j) for j in range(n)]
            return Market([D.Beta(2.0, 3.0)], suppliers).bargain([1.0], [0.6] * n)

        return solve

    return market(8), market(1)


def _theta_1x8_vs_1x4() -> Pair:
    from bargaining.models import distributions as D
    from bargaining.models.mechanism import Market

    def market(n: int) -> Callable[[], object]:
        def solve() -> object:
            suppliers = [D.Beta(3.0 + 0.5 * j, 2.0 + 0.25 * j) for j in range(n)]
            theta = [1.0 + j / (2.0 * n) for j in range(n)]
            return Market([D.Beta(2.0, 3.0)], suppliers, preferences=theta).bargain([1.0], [0.6] * n)

        return solve

    return market(8), market(4)


def _frontier_101() -> Pair:
    from bargaining.models import distributions as D
    from bargaining.models.mechanism import Market

    def frontier() -> object:
        return Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0)]).frontier(points=101)

    def one() -> object:
        return Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0)]).bargain([1.0], [1.0])

    return frontier, one


def _fit_nash() -> Pair:
    from bench_nash_fit import make_data

    from bargaining import fit_nash

    data = make_data(1_000_000)

    def ours() -> object:
        return fit_nash(data, price="price", buyer_value="value", seller_cost="cost", cov_type="robust")

    def numpy_ols() -> object:
        y = (data["price"] - data["cost"]).to_numpy()
        x = (data["value"] - data["cost"]).to_numpy()
        xx = np.sum(x * x)
        beta = np.sum(x * y) / xx
        e = y - beta * x
        return beta, np.sqrt(np.sum((x * e) ** 2)) / xx

    return ours, numpy_ols


def _load_validate(folder: Path) -> Pair:
    from bench_load import COLUMNS, make_data

    from bargaining.data import read_table, validate_agreements

    path = folder / "agreements.csv"
    make_data(200_000).to_csv(path, index=False)

    def ours() -> object:
        frame = read_table(path, ids=["market", "buyer", "seller"], numeric=["price", "value", "cost", "quantity"])
        return validate_agreements(frame, **COLUMNS).n_used

    return ours, lambda: pd.read_csv(path)


def _fit_incomplete() -> Pair:
    import statsmodels.api as sm

    from bargaining import Uniform, fit_incomplete
    from bargaining.models.incomplete_likelihood import TypeData, WeightRatioCurve, trade_probability

    # uniform laws on different intervals: the solver curve (cached after the first build), built quickly
    value_dist, cost_dist = Uniform(0, 1), Uniform(0, 1.5)
    rng = np.random.default_rng(1)
    n = 5000
    v, c = rng.uniform(0, 1, n), rng.uniform(0, 1.5, n)
    curve = WeightRatioCurve.for_distributions(value_dist, cost_dist)
    p = trade_probability(0.3, 0.1, TypeData.build(v, c, value_dist, cost_dist), curve)
    frame = pd.DataFrame({"traded": (rng.random(n) < p).astype(float), "v": v, "c": c})
    exog = np.column_stack([np.ones(n), v, c])

    def ours() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit_incomplete(frame, traded="traded", value="v", cost="c", value_dist=value_dist, cost_dist=cost_dist)

    return ours, lambda: sm.Logit(frame["traded"].to_numpy(), exog).fit(disp=0)


def _cli_help() -> Pair:
    def run(code: str) -> Callable[[], object]:
        return lambda: subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, check=True)

    return run("from bargaining.cli import main; main(['--help'])"), run("pass")


def median_ratio(pair: Pair, repeat: int) -> tuple[float, float, float]:
    ours, baseline = pair
    ours(), baseline()  # warm up (imports, first-call caches)
    t_ours, t_base = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        baseline()
        t_base.append(time.perf_counter() - start)
    a, b = statistics.median(t_ours), statistics.median(t_base)
    return a / b, a, b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved pairs of runs per workload (median)")
    parser.add_argument("--tolerance", type=float, default=1.5, help="fail at this multiple of a recorded ratio")
    parser.add_argument("--record", action="store_true", help=f"write this run's ratios to {RECORDED}")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these workloads")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="re-measure a workload that looks slower up to this many times; the smallest ratio counts "
        "(a real slowdown persists, a burst of load on a shared machine does not)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    recorded = json.loads(RECORDED.read_text()) if RECORDED.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        workloads: dict[str, Callable[[], Pair]] = {
            "market_1x1_beta": _market_1x1,
            "market_1x8_het": _market_1x8_het,
            "theta_1x8_vs_1x4": _theta_1x8_vs_1x4,
            "frontier_101": _frontier_101,
            "fit_nash_robust": _fit_nash,
            "load_validate": lambda: _load_validate(Path(tmp)),
            "fit_incomplete": _fit_incomplete,
            "cli_help": _cli_help,
        }
        names = args.only or list(workloads)
        unknown = [n for n in names if n not in workloads]
        if unknown:
            parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(workloads)}")
        ratios, failed = {}, []
        print(f"{'workload':<18} {'ours (s)':>10} {'baseline (s)':>13} {'ratio':>8} {'recorded':>9}  status")
        for name in names:
            pair = workloads[name]()
            ratio, ours, base = median_ratio(pair, args.repeat)
            before = recorded.get(name, {}).get("ratio") if isinstance(recorded.get(name), dict) else None
            for _ in range(args.retries if before is not None and not args.record else 0):
                if ratio < args.tolerance * before:
                    break
                again = median_ratio(pair, args.repeat)
                if again[0] < ratio:
                    ratio, ours, base = again
            ratios[name] = ratio
            status = "new"
            if before is not None:
                slow = ratio >= args.tolerance * before
                status = f"SLOWER x{ratio / before:.2f}" if slow else f"ok (x{ratio / before:.2f})"
                if slow:
                    failed.append(name)
            shown = f"{before:9.3g}" if before is not None else f"{'-':>9}"
            print(f"{name:<18} {ours:10.4f} {base:13.4f} {ratio:8.3g} {shown}  {status}")
    print(f"check_ratios: {time.perf_counter() - started:.1f} s")
    if args.record:
        out = dict(recorded)
        for name, ratio in ratios.items():
            out[name] = {"ratio": round(ratio, 4), "repeat": args.repeat, "date": time.strftime("%Y-%m-%d")}
        RECORDED.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
        print(f"recorded {len(ratios)} ratio(s) in {RECORDED}")
        return 0
    if failed:
        print(f"FAILED: {', '.join(failed)} slowed down {args.tolerance} times or more against the recorded ratio")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
