"""Scaling of the Loertscher-Marx solver with the number of suppliers, and the frontier against one solve.

Workloads (each time is the median of ``--repeat`` runs; each ratio the median of ``--repeat`` ratios to a baseline
timed in the same round, so that the machine's drift between rounds cancels):
  1 x n heterogeneous   one Beta(2,3) buyer, suppliers Beta(3 + j/2, 2 + j/4), j = 0..n-1, w = (1, 0.6):
                        time / time of the n = 1 market
  theta                 the same suppliers with preferences theta_j = 1 + j/(2n) (2-D integrals)
  multi-unit            the buyer demands 3 units from n suppliers
  frontier              Market([Beta(2,3)], [Beta(3,2)]).frontier(points=101) / one bargain([1], [1])
  Monte Carlo           1 x 8 heterogeneous and 1 x 5 with 3 units against a 10^6-draw Monte Carlo of the same
                        market (draws, the ex post allocation of Market.allocate and the sample means of the
                        payoffs at the solver's rho; as in bench_mechanism.py, without its rho bisection)

Run:  python benchmarks/bench_scaling.py [--repeat K] [--sizes 1 2 4 8 16] [--theta-sizes 1 2 3 4] [--mc-repeat K]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bargaining.models import distributions as D
from bargaining.models.mechanism import Market


def suppliers(n: int) -> list[Any]:
    return [D.Beta(3.0 + 0.5 * j, 2.0 + 0.25 * j) for j in range(n)]


def heterogeneous(n: int, **kwargs: Any) -> Any:
    return Market([D.Beta(2.0, 3.0)], suppliers(n), **kwargs).bargain([1.0], [0.6] * n)


def theta_market(n: int) -> Any:
    theta = [1.0 + j / (2.0 * n) for j in range(n)]
    return Market([D.Beta(2.0, 3.0)], suppliers(n), preferences=theta).bargain([1.0], [0.6] * n)


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def monte_carlo(market: Market, outcome: Any, draws: int, seed: int = 1) -> tuple[float, float, float]:
    """Seconds, and simulated buyer and supplier payoffs at the solver's weight ratios (10^6 draws)."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    v = np.column_stack([np.asarray(d.sample(draws, seed=rng), dtype=float) for d in market.buyers])
    c = np.column_stack([np.asarray(d.sample(draws, seed=rng), dtype=float) for d in market.suppliers])
    with np.errstate(divide="ignore", invalid="ignore"):
        rb = np.column_stack([d.sf(v[:, i]) / d.pdf(v[:, i]) for i, d in enumerate(market.buyers)])
        rs = np.column_stack([d.cdf(c[:, j]) / d.pdf(c[:, j]) for j, d in enumerate(market.suppliers)])
    qb, qs = market.allocate(v, c, outcome)
    buyer = float(np.mean(np.where(qb != 0, rb * qb, 0.0).sum(axis=1)))
    supplier = float(np.mean(np.where(qs != 0, rs * qs, 0.0).sum(axis=1)))
    return time.perf_counter() - start, buyer, supplier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds (each size once a round)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--theta-sizes", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--mc-repeat", type=int, default=5, help="interleaved (solver, Monte Carlo) pairs")
    args = parser.parse_args()
    heterogeneous(1)  # imports and first-call caches

    print(f"{'workload':<28}{'n':>4}{'seconds':>10}{'ratio':>9}{'accuracy':>11}")
    for label, make, sizes in (
        ("1 x n heterogeneous", lambda n: heterogeneous(n), args.sizes),
        ("1 x n, 3 units of demand", lambda n: heterogeneous(n, buyer_units=3), args.sizes),
        ("1 x n, preferences theta", theta_market, args.theta_sizes),
    ):
        # every size once a round, rounds repeated: the machine's drift (1.3-1.7 times between minutes here)
        # then affects each round's ratios to the first size alike; the ratio is the median of the rounds'
        times: dict[int, list[float]] = {n: [] for n in sizes}
        outs: dict[int, Any] = {}
        for _ in range(args.repeat):
            for n in sizes:
                seconds, outs[n] = timed(lambda n=n, make=make: make(n), 1)
                times[n].append(seconds)
        first = sizes[0]
        for n in sizes:
            ratio = statistics.median(t / t0 for t, t0 in zip(times[n], times[first]))
            print(f"{label:<28}{n:>4}{statistics.median(times[n]):>10.3f}{ratio:>9.1f}{outs[n].accuracy:>11.1e}")

    front, one = [], []
    for _ in range(args.repeat):
        one.append(timed(lambda: Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0)]).bargain([1.0], [1.0]), 1)[0])
        seconds, frame = timed(lambda: Market([D.Beta(2.0, 3.0)], [D.Beta(3.0, 2.0)]).frontier(points=101), 1)
        front.append(seconds)
    ratio = statistics.median(f / o for f, o in zip(front, one))
    print(f"{'frontier(points=101)':<28}{1:>4}{statistics.median(front):>10.3f}{ratio:>9.1f}"
          f"{frame['accuracy'].max():>11.1e}   (ratio to one bargain, {statistics.median(one):.3f} s)")

    for label, mk in (
        ("1 x 8 heterogeneous", lambda: Market([D.Beta(2.0, 3.0)], suppliers(8))),
        ("1 x 5, 3 units", lambda: Market([D.Beta(2.0, 3.0)], suppliers(5), buyer_units=3)),
    ):
        n = len(mk().suppliers)
        solver, simulated, ratios = [], [], []
        for _ in range(args.mc_repeat):  # (solver, Monte Carlo) pairs, the ratio the median of the pairs'
            seconds, out = timed(lambda mk=mk, n=n: mk().bargain([1.0], [0.6] * n), 3)
            mc_seconds, mc_b, mc_s = monte_carlo(mk(), out, args.draws)
            solver.append(seconds)
            simulated.append(mc_seconds)
            ratios.append(mc_seconds / seconds)
        print(f"{label:<28} solver {statistics.median(solver):.3f} s, Monte Carlo ({args.draws:,} draws) "
              f"{statistics.median(simulated):.2f} s: {statistics.median(ratios):.1f} times faster "
              f"(pairs {min(ratios):.0f}-{max(ratios):.0f}); payoffs {out.buyer_payoff:.6f} / "
              f"{out.supplier_payoff:.6f} (Monte Carlo {mc_b:.6f} / {mc_s:.6f})")


if __name__ == "__main__":
    main()
