"""Benchmark: pre/post merger equilibria of a 4-product market (R antitrust's two documented examples).

Target (design.md, "Numbers to hold"): well under R antitrust's time, about 20 ms per 4-product pre/post solve
(100 ms for a vertical chain). Also nested logit demand (the general equations). Times the pre- and post-merger
solves only (the market is calibrated once,
outside the timing), from the observed prices, with analytic Jacobians; then the whole ``simulate_merger`` call
(reading the columns, calibrating, both solves). Best of K repeats (the machine may be shared).
Run:  python benchmarks/bench_merger.py [--repeat K]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from bargaining import SpecificationWarning, simulate_merger
from bargaining.models.merger import calibrate_market

MILLER = pd.DataFrame({
    "price": [35.53, 154.0, 84.08, 53.16], "share": [0.29, 0.40, 0.28, 0.03],
    "seller": ["s1", "s2", "s3", "s4"], "post": ["s1", "s2", "s2", "s4"],
    "margin": [np.nan, 1 - 101 / 154, np.nan, np.nan],
}, index=[1, 2, 3, 4])
CHAIN = pd.DataFrame({
    "seller": ["U1", "U2", "U1", "U2"], "buyer": ["D1", "D1", "D2", "D2"], "post": ["D1"] * 4,
    "price": [63.08158, 50.70465, 95.8296, 83.45267], "share": [0.1293482, 0.1422541, 0.4631014, 0.2152962],
    "wholesale_price": [58.109, 53.31135, 58.109, 53.31135],
    "margin": [0.2067532, 0.2572216, 0.3082511, 0.3539681],
    "wholesale_margin": [0.4011427, 0.2773734, 0.4011427, 0.2773734],
})


def best_of(repeat: int, call) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    # the published inputs imply negative costs (Miller's product 1, D1's retail cost): warned once, not timed
    warnings.simplefilter("ignore", SpecificationWarning)

    miller = calibrate_market(MILLER["price"], MILLER["share"], seller=MILLER["seller"], margin=MILLER["margin"],
                              seller_weight=0.4, normalize=2).market
    chain = calibrate_market(CHAIN["price"], CHAIN["share"], seller=CHAIN["seller"], buyer=CHAIN["buyer"],
                             wholesale_price=CHAIN["wholesale_price"], margin=CHAIN["margin"],
                             wholesale_margin=CHAIN["wholesale_margin"], outside_price=10.0).market
    chain_start = np.concatenate([CHAIN["price"].to_numpy(), CHAIN["wholesale_price"].to_numpy()])
    # the same Miller inputs with nested logit demand (products 1-2 and 3-4 nested, lambda 0.6): general equations
    nested = calibrate_market(MILLER["price"], MILLER["share"], seller=MILLER["seller"], margin=MILLER["margin"],
                              seller_weight=0.4, normalize=2, nests=["x", "x", "y", "y"],
                              nesting_parameter=0.6).market
    cases = {
        "sellers-consumers pre/post solve": lambda: miller.simulate(seller_post=MILLER["post"].to_numpy(),
                                                                    start=MILLER["price"].to_numpy()),
        "vertical chain pre/post solve": lambda: chain.simulate(buyer_post=CHAIN["post"].to_numpy(),
                                                                start=chain_start),
        "nested logit sellers-consumers pre/post solve": lambda: nested.simulate(
            seller_post=MILLER["post"].to_numpy(), start=MILLER["price"].to_numpy()),
        "simulate_merger (Miller, calibrate + solve)": lambda: simulate_merger(
            MILLER, price="price", share="share", seller="seller", margin="margin", seller_weight=0.4,
            normalize=2, seller_post="post"),
        "simulate_merger (chain, calibrate + solve)": lambda: simulate_merger(
            CHAIN, price="price", share="share", seller="seller", buyer="buyer", wholesale_price="wholesale_price",
            margin="margin", wholesale_margin="wholesale_margin", outside_price=10.0, buyer_post="post"),
    }
    for name, call in cases.items():
        result = call()
        assert result.converged
        print(f"{name:48s} {1e3 * best_of(args.repeat, call):8.2f} ms   (residual {result.residual:.1e})")


if __name__ == "__main__":
    main()
