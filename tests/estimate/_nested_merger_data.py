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


def _stacked_shares(delta, price, same, alpha, lam):
    """Nested logit shares of a stack of markets (T, J), outside good of utility 0, written out here."""
    v = (delta - alpha * price) / lam
    top = v.max(axis=1, keepdims=True)
    e = np.exp(v - top)
    nest_sum = np.einsum("tjk,tk->tj", same, e)                 # D_g / exp(top), per product
    within = e / nest_sum
    inclusive = lam * (np.log(nest_sum) + top)                  # I_g per product
    count = same.sum(axis=2)
    denominator = 1.0 + (np.exp(inclusive) / count).sum(axis=1, keepdims=True)
    return within * np.exp(inclusive) / denominator


def simulate_nested_markets_fast(n_markets: int, seed: int, *, size: int = 4, truth: dict | None = None,
                                 first_sellers: list[str] | None = None, tol: float = 1e-11) -> pd.DataFrame:
    """Like :func:`simulate_nested_markets` with ``size`` products per market and a common nest layout
    (nests a, a, b, b, ...; sellers drawn per market), the equilibria found by a damped fixed-point iteration
    p = c + M(s(p)) vectorized over markets (M: the implied margins of NestedMergerPricingMoments at the
    shares); a test checks these equilibria against NashInNashMarket's. ``first_sellers`` fixes the sellers of
    market 0."""
    from bargaining.models.merger.nested_estimation_model import nested_logit_closed_forms

    par = {**TRUTH, **(truth or {})}
    alpha, lam, beta = par["alpha"], 1.0 - par["sigma"], par["seller_weight"]
    rng = np.random.default_rng(seed)
    t_, j_ = n_markets, size
    nest = np.array(["a", "b"])[np.arange(j_) * 2 // j_]
    seller = rng.choice(np.array(["A", "B", "C"]), size=(t_, j_))
    if first_sellers is not None:
        seller[0] = first_sellers
    x, z = rng.uniform(0, 1, (t_, j_)), rng.uniform(0, 1, (t_, j_))
    xi, omega = rng.normal(0, 0.3, (t_, j_)), rng.normal(0, 0.1, (t_, j_))
    delta = par["demand[Intercept]"] + par["demand[x]"] * x + xi
    cost = par["gamma[Intercept]"] + par["gamma[z]"] * z + omega
    same = np.broadcast_to(nest[:, None] == nest[None, :], (t_, j_, j_))
    own = (seller[:, :, None] == seller[:, None, :]).astype(float)
    price = cost + 1.0 / alpha
    for _ in range(2000):
        s = _stacked_shares(delta, price, same.astype(float), alpha, lam)
        form = nested_logit_closed_forms(s, same, lam)
        s_t = np.swapaxes(form["S"], 1, 2)
        matrix = own * (-(beta * form["W"])[:, :, None] * s_t
                        + ((1.0 - beta) * s)[:, :, None] * (s[:, None, :] - form["R"]))
        target = cost + np.linalg.solve(matrix, (beta * form["W"] * s)[:, :, None])[:, :, 0] / alpha
        gap = float(np.max(np.abs(target - price)))
        price = 0.5 * price + 0.5 * target
        if gap < tol:
            break
    else:
        raise RuntimeError(f"fixed point not reached: {gap}")
    s = _stacked_shares(delta, price, same.astype(float), alpha, lam)
    data = pd.DataFrame({"market": np.repeat(np.arange(t_), j_), "product": np.tile([f"P{j}" for j in range(j_)], t_),
                         "nest": np.tile(nest, t_), "seller": seller.ravel(), "x": x.ravel(), "z": z.ravel(),
                         "xi": xi.ravel(), "omega": omega.ravel(), "cost": cost.ravel(), "price": price.ravel(),
                         "share": s.ravel()})
    by_market = data.groupby("market")
    by_nest = data.groupby(["market", "nest"])
    data["n_nest"] = by_nest["x"].transform("size").astype(float)
    data["x_nest_rivals"] = by_nest["x"].transform("sum") - data["x"]
    data["z_nest_rivals"] = by_nest["z"].transform("sum") - data["z"]
    data["x_rivals"] = by_market["x"].transform("sum") - data["x"]
    data["z_rivals"] = by_market["z"].transform("sum") - data["z"]
    return data
