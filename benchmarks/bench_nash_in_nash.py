"""Benchmark: Nash-in-Nash per-unit prices on hospital-insurer networks of 10, 50 and 200 agreements.

Workloads (issue 15, item 3), each against the direct linear solve of the same equilibrium
(``HospitalInsurerMarkets.equilibrium``: one batched ``numpy.linalg.solve`` of the per-insurer systems):

* ``analytic``: ``NashInNashPrices.solve()`` on ``model.nash_in_nash_prices()``, whose profit object provides
  ``linear_system`` (one linear solve plus the result table);
* ``functions``: the same problem with the profits given only as a plain function (no ``linear_system``):
  Newton with one sweep of payoff calls per residual and a colour-grouped finite-difference Jacobian;
* ``fixed-point`` (``--old``): the previous default, pair-by-pair best replies (damped Jacobi), once.

Networks: M markets of 5 hospitals (systems {h1, h2}, {h3}, {h4, h5}, full recapture) and 2 insurers, every
pair contracting (10 M agreements; agents are market-specific), primitives drawn as in the hospital-insurer
simulator (hospital quality plus insurer taste shocks, uniform enrollment, costs and per-insurer weights).
Times are medians (and minima) over ``--repeat`` (payoff functions: ``--repeat-functions``) interleaved
runs; ratios are to the linear solve timed in the
same loop, so machine load largely cancels. Growth: log(t_200 / t_10) / log(20).

Acceptance (issue 15): analytic within 20 x the linear solve at 200 agreements; functions under 1 s; growth no
worse than about n^1.2 from 10 to 200.
Run:  python benchmarks/bench_nash_in_nash.py [--repeat K] [--repeat-functions K] [--old]
(from a worktree: PYTHONPATH=. python benchmarks/bench_nash_in_nash.py)
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from bargaining.models.nash_in_nash import HospitalInsurerMarkets, NashInNashPrices

SIZES = {10: 1, 50: 5, 200: 20}  # agreements: markets


def network(markets: int, seed: int = 0) -> HospitalInsurerMarkets:
    rng = np.random.default_rng(seed)
    hospitals, insurers = 5, 2
    shape = (markets, insurers, hospitals)
    quality = rng.normal(0.0, 0.6, (markets, 1, hospitals))
    return HospitalInsurerMarkets(
        utility=quality + rng.normal(0.0, 0.3, shape),
        enrollees=rng.uniform(500.0, 2000.0, shape[:2]),
        wtp_per_util=rng.uniform(8.0, 12.0, shape[:2]),
        marginal_cost=rng.uniform(3.0, 6.0, shape),
        beta=rng.uniform(0.3, 0.7, (1, insurers, 1)),
        systems=[0, 0, 1, 2, 2],
        recapture=1.0,
    )


class Counted:
    """The model's profits as a plain function, counting calls."""

    def __init__(self, problem: NashInNashPrices) -> None:
        self.inner = problem._profit  # the callable profits of HospitalInsurerMarkets
        self.calls = 0

    def __call__(self, agent, agreements, prices) -> float:  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.inner(agent, agreements, prices)


def timed(call) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=51, help="runs of the linear solve and analytic path")
    parser.add_argument("--repeat-functions", type=int, default=7, help="runs of the payoff-function path")
    parser.add_argument("--old", action="store_true", help="also time the old fixed-point iteration once")
    args = parser.parse_args()
    rows = {}
    for n, markets in SIZES.items():
        model = network(markets)
        problem = model.nash_in_nash_prices()
        counted = Counted(problem)
        functions = NashInNashPrices(problem.network.pairs, counted, problem.network.weights, joint=False)
        reference = model.equilibrium().price.ravel()
        analytic_result, function_result = problem.solve(), functions.solve()
        counted.calls = 0
        function_result = functions.solve()
        calls = counted.calls
        times: dict[str, list[float]] = {"linear": [], "analytic": [], "functions": []}
        for run in range(max(args.repeat, args.repeat_functions)):
            times["linear"].append(timed(model.equilibrium))
            if run < args.repeat:
                times["analytic"].append(timed(problem.solve))
            if run < args.repeat_functions:
                times["functions"].append(timed(functions.solve))
        row = {key: (float(np.median(value)), float(np.min(value))) for key, value in times.items()}
        row["calls"] = calls
        row["iterations"] = function_result.iterations
        row["error_analytic"] = float(np.max(np.abs(analytic_result.prices["price"].to_numpy() - reference)))
        row["error_functions"] = float(np.max(np.abs(function_result.prices["price"].to_numpy() - reference)))
        row["residual"] = function_result.residual
        if args.old:
            counted.calls = 0
            start = time.perf_counter()
            old = functions.solve(method="fixed-point")
            row["old"] = time.perf_counter() - start
            row["old_calls"] = counted.calls
            row["error_old"] = float(np.max(np.abs(old.prices["price"].to_numpy() - reference)))
        rows[n] = row

    print(
        f"Nash-in-Nash prices, hospital-insurer networks (median / min of {args.repeat} interleaved runs; "
        f"{args.repeat_functions} for the payoff functions)"
    )
    print(
        f"{'agreements':>10} {'linear ms':>14} {'analytic ms':>16} {'ratio':>12} {'functions s':>16} "
        f"{'ratio':>14} {'calls':>7} {'Newton it':>9} {'max |dp| an/fn':>18}"
    )
    for n, row in rows.items():
        lin, ana, fun = row["linear"], row["analytic"], row["functions"]
        print(
            f"{n:>10} {lin[0] * 1e3:>6.3f}/{lin[1] * 1e3:<7.3f} {ana[0] * 1e3:>7.2f}/{ana[1] * 1e3:<8.2f} "
            f"{ana[0] / lin[0]:>5.1f}/{ana[1] / lin[1]:<6.1f} {fun[0]:>7.3f}/{fun[1]:<8.3f} "
            f"{fun[0] / lin[0]:>6.0f}/{fun[1] / lin[1]:<7.0f} {row['calls']:>7} {row['iterations']:>9} "
            f"{row['error_analytic']:>8.1e}/{row['error_functions']:<8.1e}"
        )
    growth = {
        key: math.log(rows[200][key][0] / rows[10][key][0]) / math.log(20)
        for key in ("analytic", "functions")
    }
    print(
        f"growth exponent 10 -> 200 agreements (medians): analytic n^{growth['analytic']:.2f}, "
        f"functions n^{growth['functions']:.2f}; payoff calls n^"
        f"{math.log(rows[200]['calls'] / rows[10]['calls']) / math.log(20):.2f}"
    )
    if args.old:
        print("old default (method='fixed-point', pair-by-pair best replies), one run each:")
        for n, row in rows.items():
            print(
                f"{n:>10} agreements: {row['old']:.3f} s, {row['old_calls']} payoff calls, max |dp| "
                f"{row['error_old']:.1e}; new functions path {row['old'] / row['functions'][0]:.0f} x faster"
            )
    target = rows[200]
    print(
        f"acceptance at 200 agreements: analytic {target['analytic'][0] / target['linear'][0]:.1f} x the "
        f"linear solve (target <= 20), functions {target['functions'][0]:.3f} s (target < 1 s), growth "
        f"n^{growth['functions']:.2f} (target about n^1.2)"
    )


if __name__ == "__main__":
    main()
