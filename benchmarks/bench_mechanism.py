"""Benchmark: Loertscher-Marx solver (quadrature) against a 10^6-draw Monte Carlo of the same quantities.

Targets (design): one buyer and one supplier with smooth distributions, rho and payoffs to 1e-8 in well
under 50 ms; one buyer and five suppliers to 1e-6 in well under 0.5 s.
Run:  python benchmarks/bench_mechanism.py [--draws N] [--repeat K] [--seed S]

For each market the script prints the solver's time (best of K runs; the machine may be shared), rho, the
payoffs and its reported accuracy, next to a Monte Carlo with N draws: rho solved from the simulated budget
surplus (same draws for every trial rho, bisection), and payoffs as sample means of the information rents
(1 - F(v))/f(v) Q^B and G(c)/g(c) Q^S at the solver's rho, with standard errors. The Monte Carlo uses
``Market.allocate`` (the ex post rule), not the quadrature code.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from bargaining.models import distributions as D
from bargaining.models.mechanism import Market


def markets() -> dict[str, tuple[Market, list[float], list[float]]]:
    smooth_b = D.Beta(2.0, 3.0, low=0.0, high=1.0)
    smooth_s = D.Beta(3.0, 2.0, low=0.0, high=1.0)
    return {
        "1x1 uniform, w = (1, 1)": (Market([D.Uniform(0, 1)], [D.Uniform(0, 1)]), [1.0], [1.0]),
        "1x1 Beta(2,3) vs Beta(3,2), w = (1, 0.6)": (Market([smooth_b], [smooth_s]), [1.0], [0.6]),
        "1x5 uniform, w = 1": (Market([D.Uniform(0, 1)], [D.Uniform(0, 1)] * 5), [1.0], [1.0] * 5),
        "1x5 Beta(3,2) suppliers, w_S = 0.8": (Market([D.Uniform(0, 1)], [smooth_s] * 5), [1.0], [0.8] * 5),
    }


def time_solver(market: Market, wb: list[float], ws: list[float], repeat: int) -> tuple[Any, float]:
    best = np.inf
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = market.bargain(wb, ws)
        best = min(best, time.perf_counter() - start)
    return out, best


def monte_carlo(market: Market, outcome: Any, wb: list[float], ws: list[float], draws: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    v = np.column_stack([np.asarray(d.sample(draws, seed=rng), dtype=float) for d in market.buyers])
    c = np.column_stack([np.asarray(d.sample(draws, seed=rng), dtype=float) for d in market.suppliers])
    with np.errstate(divide="ignore", invalid="ignore"):
        rb = np.column_stack([d.sf(v[:, i]) / d.pdf(v[:, i]) for i, d in enumerate(market.buyers)])
        rs = np.column_stack([d.cdf(c[:, j]) / d.pdf(c[:, j]) for j, d in enumerate(market.suppliers)])
    wb_n, ws_n = np.asarray(wb) / max(max(wb), max(ws)), np.asarray(ws) / max(max(wb), max(ws))

    def per_draw(t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        alloc = market._allocate_ratios(v, c, wb_n * t, ws_n * t)
        qb, qs = alloc.buyer_value_units, alloc.supplier_units
        brent = np.where(qb != 0, rb * qb, 0.0)
        srent = np.where(qs != 0, rs * qs, 0.0)
        budget = (v * qb).sum(1) - brent.sum(1) - (c * qs).sum(1) - srent.sum(1)
        return budget, brent, srent

    # rho from the simulated budget (bisection on t = 1/rho, the budget is non-increasing in t)
    lo, hi = 0.0, 1.0
    if per_draw(1.0)[0].mean() >= 0:
        t = 1.0
    else:
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if per_draw(mid)[0].mean() >= 0:
                lo = mid
            else:
                hi = mid
        t = 0.5 * (lo + hi)
    budget, brent, srent = per_draw(1.0 / outcome.rho)
    elapsed = time.perf_counter() - start
    se = lambda x: x.std(axis=0, ddof=1) / np.sqrt(draws)
    return {
        "rho": 1.0 / t,
        "buyer": brent.sum(1).mean(),
        "buyer_se": se(brent.sum(1)),
        "supplier": srent.sum(1).mean(),
        "supplier_se": se(srent.sum(1)),
        "budget": budget.mean(),
        "budget_se": se(budget),
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    for name, (market, wb, ws) in markets().items():
        out, seconds = time_solver(market, wb, ws, args.repeat)
        mc = monte_carlo(market, out, wb, ws, args.draws, args.seed)
        print(f"\n{name}")
        print(f"{'':24s}{'quadrature':>22s}{'Monte Carlo (' + format(args.draws, ',') + ' draws)':>40s}")
        print(f"{'time [s]':24s}{seconds:22.4f}{mc['seconds']:40.2f}")
        print(f"{'rho':24s}{out.rho:22.12f}{mc['rho']:40.6f}")
        print(f"{'rho accuracy (bound)':24s}{out.rho_accuracy:22.2e}{'':>40s}")
        print(f"{'buyers payoff':24s}{out.buyer_payoff:22.12f}{mc['buyer']:27.6f} +- {mc['buyer_se']:.1e} (1 se)")
        print(f"{'suppliers payoff':24s}{out.supplier_payoff:22.12f}{mc['supplier']:27.6f} +- {mc['supplier_se']:.1e} (1 se)")
        print(f"{'budget surplus':24s}{out.budget_surplus:22.2e}{mc['budget']:27.6f} +- {mc['budget_se']:.1e} (1 se)")
        print(f"{'accuracy (bound)':24s}{out.accuracy:22.2e}")


if __name__ == "__main__":
    main()
