"""Markets simulated from the package's nested logit demand and Nash-in-Nash supply side (case (a)) at known
parameters, shared by the nested logit demand and merger estimation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bargaining import NashInNashMarket, NestedLogitDemand

TRUTH = {"alpha": 1.0, "sigma": 0.5, "seller_weight": 0.5, "demand[Intercept]": 1.0, "demand[x]": 1.0,
         "gamma[Intercept]": 1.0, "gamma[z]": 1.0}


def simulate_nested_markets(n_markets: int, seed: int, *, truth: dict | None = None) -> pd.DataFrame:
    """One row per product and market: 2 to 5 products in nests "a"/"b", sellers A/B/C (multi-product),
    mean utility 1 + x + xi, cost 1 + z + omega, prices from the equilibrium (solved by NashInNashMarket)."""
    par = {**TRUTH, **(truth or {})}
    rng = np.random.default_rng(seed)
    frames = []
    for t in range(n_markets):
        n = int(rng.integers(2, 6))
        nest = rng.choice(["a", "b"], size=n)
        seller = rng.choice(["A", "B", "C"], size=n)
        x, z = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
        xi, omega = rng.normal(0, 0.3, n), rng.normal(0, 0.1, n)
        delta = par["demand[Intercept]"] + par["demand[x]"] * x + xi
        cost = par["gamma[Intercept]"] + par["gamma[z]"] * z + omega
        products = [f"P{j}" for j in range(n)]
        demand = NestedLogitDemand(par["alpha"], pd.Series(delta, index=products), nests=list(nest),
                                   nesting_parameter=1.0 - par["sigma"])
        market = NashInNashMarket(demand, seller=list(seller), marginal_cost=cost,
                                  seller_weight=par["seller_weight"])
        eq = market.equilibrium()
        frames.append(pd.DataFrame({"market": t, "product": products, "nest": nest, "seller": seller, "x": x,
                                    "z": z, "xi": xi, "omega": omega, "cost": cost,
                                    "price": eq["price"].to_numpy(), "share": eq["share"].to_numpy()}))
    data = pd.concat(frames, ignore_index=True)
    by_market = data.groupby("market")
    by_nest = data.groupby(["market", "nest"])
    data["n_nest"] = by_nest["x"].transform("size").astype(float)
    data["x_nest_rivals"] = by_nest["x"].transform("sum") - data["x"]
    data["z_nest_rivals"] = by_nest["z"].transform("sum") - data["z"]
    data["x_rivals"] = by_market["x"].transform("sum") - data["x"]
    data["z_rivals"] = by_market["z"].transform("sum") - data["z"]
    return data
