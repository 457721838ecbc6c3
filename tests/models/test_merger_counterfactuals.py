"""Counterfactual outputs of the merger simulation, each checked against an independent computation.

Shares, surplus and profits are recomputed here from the parameters by brute force (exp / sum, log-sums,
numerical integrals, re-solved equilibria), never through the package's formulas.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize_scalar

from bargaining import LogitDemand, NashInNashMarket, SpecificationWarning, calibrate_market, simulate_merger
from bargaining.models.merger import MarketSolution


def brute_shares(delta: np.ndarray, alpha: float, prices: np.ndarray, outside: bool = True,
                 available: np.ndarray | None = None) -> np.ndarray:
    expv = np.exp(delta - alpha * prices)
    if available is not None:
        expv = np.where(available, expv, 0.0)
    return expv / (expv.sum() + (1.0 if outside else 0.0))


def log_sum(delta: np.ndarray, alpha: float, prices: np.ndarray, outside: bool = True) -> float:
    return float(np.log(np.sum(np.exp(delta - alpha * prices)) + (1.0 if outside else 0.0)))


MILLER = pd.DataFrame({
    "product": [1, 2, 3, 4],
    "price": [35.53, 154.0, 84.08, 53.16],
    "share": [0.29, 0.40, 0.28, 0.03],
    "seller": ["s1", "s2", "s3", "s4"],
    "seller_post": ["s1", "s2", "s2", "s4"],
    "margin": [np.nan, 1 - 101 / 154, np.nan, np.nan],
})

VERTICAL = pd.DataFrame({
    "product": ["U1D1", "U2D1", "U1D2", "U2D2"],
    "seller": ["U1", "U2", "U1", "U2"],
    "buyer": ["D1", "D1", "D2", "D2"],
    "price": [63.08158, 50.70465, 95.8296, 83.45267],
    "share": [0.1293482, 0.1422541, 0.4631014, 0.2152962],
    "wholesale_price": [58.109, 53.31135, 58.109, 53.31135],
    "margin": [0.2067532, 0.2572216, 0.3082511, 0.3539681],
    "wholesale_margin": [0.4011427, 0.2773734, 0.4011427, 0.2773734],
})


def miller(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecificationWarning)   # product 1's calibrated cost is negative
        return simulate_merger(MILLER, price="price", share="share", seller="seller", product="product",
                               margin="margin", seller_weight=0.4, normalize=2, seller_post="seller_post", **kwargs)


def vertical(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecificationWarning)
        return simulate_merger(VERTICAL, price="price", share="share", seller="seller", buyer="buyer",
                               product="product", wholesale_price="wholesale_price", margin="margin",
                               wholesale_margin="wholesale_margin", outside_price=10.0, **kwargs)


def vertical_market() -> NashInNashMarket:
    with warnings.catch_warnings():   # R's inputs imply negative downstream costs for D1
        warnings.simplefilter("ignore", SpecificationWarning)
        data = VERTICAL.set_index("product")
        fit = calibrate_market(data["price"], data["share"], seller=data["seller"], buyer=data["buyer"],
                               wholesale_price=data["wholesale_price"], margin=data["margin"],
                               wholesale_margin=data["wholesale_margin"], outside_price=10.0)
    return fit.market


def test_negative_calibrated_cost_warns_but_simulates() -> None:
    with pytest.warns(SpecificationWarning, match=r"negative for product\(s\) 1 \(-11\.97"):
        res = simulate_merger(MILLER, price="price", share="share", seller="seller", product="product",
                              margin="margin", seller_weight=0.4, normalize=2, seller_post="seller_post")
    assert res.converged and res.params["marginal_cost[1]"] == pytest.approx(-11.9685, abs=1e-4)


def test_consumer_surplus_change_is_the_log_sum_and_the_integral_of_shares() -> None:
    res = miller()
    alpha = res.params["alpha"]
    delta = res.params.filter(like="mean_utility").to_numpy()
    p0, p1 = res.pre["price"].to_numpy(), res.post["price"].to_numpy()
    by_log_sum = (log_sum(delta, alpha, p1, outside=False) - log_sum(delta, alpha, p0, outside=False)) / alpha
    assert res.consumer_surplus_change == pytest.approx(by_log_sum, rel=1e-10)
    # Roy's identity: CS(p1) - CS(p0) = -integral of s(p) . dp along the straight path from p0 to p1
    integral = quad(lambda t: float(brute_shares(delta, alpha, p0 + t * (p1 - p0), outside=False) @ (p1 - p0)),
                    0.0, 1.0, epsabs=1e-12)[0]
    assert res.consumer_surplus_change == pytest.approx(-integral, rel=1e-8)
    assert res.compensating_variation == pytest.approx(integral, rel=1e-8) and res.compensating_variation > 0
    # the same identity through the demand module's shares
    demand = LogitDemand(alpha, pd.Series(delta, index=res.pre.index), normalize=2)
    through_module = quad(lambda t: float(demand.shares(p0 + t * (p1 - p0)).to_numpy() @ (p1 - p0)), 0.0, 1.0,
                          epsabs=1e-12)[0]
    assert res.consumer_surplus_change == pytest.approx(-through_module, rel=1e-8)


def test_producer_surplus_hhi_and_industry_table_by_hand() -> None:
    res = miller()
    alpha = res.params["alpha"]
    delta = res.params.filter(like="mean_utility").to_numpy()
    cost = res.params.filter(like="marginal_cost").to_numpy()
    owners_pre, owners_post = MILLER["seller"].to_numpy(), MILLER["seller_post"].to_numpy()
    for stage, owners in (("pre", owners_pre), ("post", owners_post)):
        p = getattr(res, stage)["price"].to_numpy()
        s = brute_shares(delta, alpha, p, outside=False)
        profit = pd.Series(s * (p - cost)).groupby(owners).sum()
        for firm, value in profit.items():
            assert res.producer_surplus.loc[firm, stage] == pytest.approx(value, rel=1e-9)
        assert res.producer_surplus_total[stage] == pytest.approx(profit.sum(), rel=1e-9)
        hhi = float((pd.Series(100 * s).groupby(owners).sum() ** 2).sum())
        assert res.hhi[stage] == pytest.approx(hhi, rel=1e-9)
        assert res.industry.loc["merging parties", f"hhi_{stage}"] == pytest.approx(
            float((pd.Series(100 * s).groupby(owners).sum()[["s2", "s3"]
                                                          if stage == "pre" else ["s2"]] ** 2).sum()), rel=1e-9)
    assert res.hhi["pre"] == pytest.approx(29**2 + 40**2 + 28**2 + 3**2)
    assert res.producer_surplus.loc["s3", "post"] == 0.0
    assert res.merging.tolist() == [False, True, True, False] and set(res.merging_firms) == {"s2", "s3"}
    # share-weighted price changes (pre-merger shares), as R antitrust reports them
    change = 100 * (res.post["price"] / res.pre["price"] - 1)
    w = MILLER["share"].to_numpy()
    assert res.industry.loc["industry", "price_change_pct"] == pytest.approx(float(w @ change) / w.sum(), rel=1e-9)
    merging = np.array([False, True, True, False])
    assert res.industry.loc["merging parties", "price_change_pct"] == pytest.approx(
        float(w[merging] @ change[merging]) / w[merging].sum(), rel=1e-9)
    frame = res.to_frame()
    assert {"price_pre", "price_post", "price_change_pct", "share_pre", "share_post", "margin_pre", "margin_post",
            "upward_pricing_pressure", "cmcr_marginal_cost", "cmcr_marginal_cost_pct", "merging"} <= set(frame)
    for text in ("price_change_pct", "merging parties", "compensating variation", "producer surplus", "HHI"):
        assert text in res.summary


def test_compensating_cost_reduction_restores_pre_merger_prices() -> None:
    res = miller()
    pre = res.pre["price"].to_numpy()
    cut = res.compensating_cost_reduction["marginal_cost"].to_numpy()
    assert cut[[0, 3]] == pytest.approx([0.0, 0.0], abs=1e-9)      # outsiders' conditions do not change
    assert np.all(cut[[1, 2]] > 0)
    delta = res.params.filter(like="mean_utility")
    demand = LogitDemand(res.params["alpha"], pd.Series(delta.to_numpy(), index=res.pre.index), normalize=2)
    cost = res.params.filter(like="marginal_cost").to_numpy()
    merged = NashInNashMarket(demand, seller=MILLER["seller_post"].to_numpy(), marginal_cost=cost - cut,
                              seller_weight=0.4)
    np.testing.assert_allclose(merged.equilibrium(start=res.post["price"].to_numpy())["price"], pre, rtol=1e-9)
    relative = res.compensating_cost_reduction["marginal_cost_relative"].to_numpy()
    np.testing.assert_allclose(relative[1:], cut[1:] / cost[1:], rtol=1e-12)


@pytest.mark.parametrize("change", [{"buyer_post": ["D1"] * 4},                       # downstream merger
                                    {"seller_post": ["U1"] * 4},                       # upstream merger
                                    {"buyer_post": ["U1", "D1", "D2", "D2"]}])         # U1 integrates with D1
def test_chain_compensating_cost_reduction_restores_pre_merger_prices(change: dict) -> None:
    market = vertical_market()
    res = market.simulate(start=np.concatenate([VERTICAL["price"], VERTICAL["wholesale_price"]]), **change)
    assert res.converged
    cut = res.compensating_cost_reduction
    post_sellers = change.get("seller_post", VERTICAL["seller"].tolist())
    post_buyers = change.get("buyer_post", VERTICAL["buyer"].tolist())
    restored = NashInNashMarket(market.demand, seller=post_sellers, buyer=post_buyers,
                                upstream_cost=market.upstream_cost - cut["upstream_cost"].to_numpy(),
                                downstream_cost=market.downstream_cost - cut["downstream_cost"].to_numpy(),
                                seller_weight=market.seller_weight)
    eqm = restored.equilibrium(start=res.post)
    np.testing.assert_allclose(eqm["price"], res.pre["price"], rtol=1e-8)
    still_bargained = np.asarray(post_sellers) != np.asarray(post_buyers)
    np.testing.assert_allclose(eqm["wholesale_price"][still_bargained], res.pre["wholesale_price"][still_bargained],
                               rtol=1e-8)


def test_upward_pricing_pressure_two_products_by_hand() -> None:
    """UPP_1 = D_12 m_2, and it equals the merged firm's Nash-product derivative at pre-merger prices, scaled."""
    alpha, delta, cost, beta = 0.8, np.array([1.5, 1.0]), np.array([1.0, 0.6]), 0.35
    market = NashInNashMarket(LogitDemand(alpha, delta), seller=["A", "B"], marginal_cost=cost, seller_weight=beta)
    res = market.simulate(seller_post=["A", "A"])
    p = res.pre["price"].to_numpy()
    s = brute_shares(delta, alpha, p)
    m = p - cost
    upp = res.upward_pricing_pressure["price"].to_numpy()
    np.testing.assert_allclose(upp, [s[1] / (1 - s[0]) * m[1], s[0] / (1 - s[1]) * m[0]], rtol=1e-10)
    for j, k in ((0, 1), (1, 0)):
        def log_nash(pj: float, j: int = j, k: int = k) -> float:
            q = p.copy()
            q[j] = pj
            with_j = brute_shares(delta, alpha, q)
            without_j = brute_shares(delta, alpha, q, available=np.arange(2) != j)
            gain = with_j @ (q - cost) - without_j[k] * (q[k] - cost[k])   # merged firm's gain from j
            wtp = (log_sum(delta, alpha, q) - np.log(np.exp(delta[k] - alpha * q[k]) + 1.0)) / alpha
            return beta * np.log(gain) + (1 - beta) * np.log(wtp)

        h = 1e-6
        derivative = (log_nash(p[j] + h) - log_nash(p[j] - h)) / (2 * h)   # > 0: pressure to raise p_j
        gain = s[j] * m[j] + s[k] * m[k] - s[k] / (1 - s[j]) * m[k]
        wtp = -np.log(1 - s[j]) / alpha
        ratio = s[j] / (1 - s[j])
        by_hand = derivative * gain * wtp / (s[j] * (1 - s[j]) * (beta * alpha * wtp + (1 - beta) * ratio))
        assert derivative > 0
        assert upp[j] == pytest.approx(by_hand, rel=1e-6)
    # beta = 1 is Bertrand: the Farrell-Shapiro UPP D_12 m_2 at the Bertrand margins
    bertrand = NashInNashMarket(LogitDemand(alpha, delta), seller=["A", "B"], marginal_cost=cost, seller_weight=1.0)
    pb = bertrand.simulate(seller_post=["A", "A"])
    sb = brute_shares(delta, alpha, pb.pre["price"].to_numpy())
    mb = pb.pre["price"].to_numpy() - cost
    assert pb.upward_pricing_pressure["price"].iloc[0] == pytest.approx(sb[1] / (1 - sb[0]) * mb[1], rel=1e-10)
    assert mb[0] == pytest.approx(1 / (alpha * (1 - sb[0])), rel=1e-10)
    # efficiencies enter: a cost cut of exactly UPP (1 - s) / (1 - s) on product 1 offsets its pressure
    offset = market.simulate(seller_post=["A", "A"], cost_change=[-upp[0], 0.0], cost_change_kind="level")
    assert offset.upward_pricing_pressure["price"].iloc[0] == pytest.approx(0.0, abs=1e-10)


def test_cost_change_levels_and_proportions_match_a_market_built_by_hand() -> None:
    alpha, delta, cost = 0.5, np.array([1.0, 0.4, 0.8]), np.array([2.0, 1.5, 1.0])
    market = NashInNashMarket(LogitDemand(alpha, delta), seller=["A", "B", "C"], marginal_cost=cost,
                              seller_weight=0.6)
    level = market.simulate(seller_post=["A", "A", "C"], cost_change=[-0.4, 0.0, 0.0], cost_change_kind="level")
    relative = market.simulate(seller_post=["A", "A", "C"], cost_change=[-0.2, 0.0, 0.0])
    by_hand = NashInNashMarket(LogitDemand(alpha, delta), seller=["A", "A", "C"],
                               marginal_cost=[1.6, 1.5, 1.0], seller_weight=0.6).equilibrium()
    np.testing.assert_allclose(level.post["price"], by_hand["price"], rtol=1e-10)
    np.testing.assert_allclose(relative.post["price"], by_hand["price"], rtol=1e-10)   # -20% of 2.0 = -0.4
    assert level.params["marginal_cost[0]"] == 2.0       # params are the pre-merger costs


def test_product_removal_equals_the_smaller_market() -> None:
    alpha, delta, cost = 0.5, np.array([1.0, 0.4, 0.8]), np.array([2.0, 1.5, 1.0])
    market = NashInNashMarket(LogitDemand(alpha, delta, products=["a", "b", "c"]), seller=["A", "B", "C"],
                              marginal_cost=cost, seller_weight=0.6)
    res = market.simulate(remove="b")
    smaller = NashInNashMarket(LogitDemand(alpha, delta[[0, 2]], products=["a", "c"]), seller=["A", "C"],
                               marginal_cost=cost[[0, 2]], seller_weight=0.6).equilibrium()
    np.testing.assert_allclose(res.post.loc[["a", "c"], "price"], smaller["price"], rtol=1e-10)
    assert np.isnan(res.post.loc["b", "price"]) and res.post.loc["b", "share"] == 0.0
    p0, p1 = res.pre["price"].to_numpy(), smaller["price"].to_numpy()
    cs_change = (np.log(np.exp(delta[[0, 2]] - alpha * p1).sum() + 1) - log_sum(delta, alpha, p0)) / alpha
    assert res.consumer_surplus_change == pytest.approx(cs_change, rel=1e-10) and cs_change < 0
    s1 = brute_shares(delta[[0, 2]], alpha, p1)
    assert res.hhi["post"] == pytest.approx(float(np.sum((100 * s1 / s1.sum()) ** 2)), rel=1e-10)
    assert res.producer_surplus.loc["B", "post"] == 0.0
    assert res.producer_surplus.loc["A", "post"] == pytest.approx(s1[0] * (p1[0] - cost[0]), rel=1e-10)
    # through simulate_merger (labels from a column) and with a merger at the same time
    out = miller(remove=[4])
    assert out.converged and np.isnan(out.post.loc[4, "price"])
    with pytest.raises(ValueError, match="normalized product"):
        miller(remove=[2])


def test_multiple_starts_report_the_equilibria() -> None:
    market = NashInNashMarket(LogitDemand(0.5, [1.0, 0.4, 0.8]), seller=["A", "B", "B"],
                              marginal_cost=[2.0, 1.5, 1.0], seller_weight=0.6)
    frame = market.equilibrium(start=[3.0, 3.0, 3.0], starts=5)
    table = frame.attrs["starts"]
    assert table["start"].tolist()[:3] == ["given", "cost-plus", "high markup"] and len(table) == 5
    assert table["converged"].all() and (table["equilibrium"] == 0).all()
    assert frame.attrs["multiple_equilibria"] is False
    np.testing.assert_allclose(frame["price"], market.equilibrium()["price"], rtol=1e-10)
    res = market.simulate(seller_post=["A", "A", "A"], starts=3)
    assert res.multiple_equilibria is False and set(res.starts.index.get_level_values("stage")) == {"pre", "post"}
    with pytest.raises(ValueError, match="starts"):
        market.equilibrium(starts=0)


def test_multiple_starts_flag_different_equilibria(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reporting itself: two starts that land on different converged prices are flagged."""
    market = NashInNashMarket(LogitDemand(0.5, [1.0, 0.4]), seller=["A", "B"], marginal_cost=[2.0, 1.5],
                              seller_weight=0.6)
    outcomes = iter([MarketSolution(np.array([4.0, 3.0]), None, True, 0.0, 1, "ok"),
                     MarketSolution(np.array([9.0, 3.0]), None, True, 0.0, 1, "ok"),
                     MarketSolution(np.array([4.0, 3.0]), None, False, 1.0, 1, "failed")])
    monkeypatch.setattr(market, "_solve_from", lambda x0: next(outcomes))
    _, table = market._solve_starts([4.0, 3.0], 3)
    assert table is not None and table.attrs["multiple_equilibria"] is True
    assert table["equilibrium"].tolist()[:2] == [0.0, 1.0] and np.isnan(table["equilibrium"].iloc[2])


def _check_chain_equilibrium(market: NashInNashMarket, frame: pd.DataFrame) -> None:
    """Brute force: each retail price maximizes its retailer's profit; each bargained wholesale price maximizes
    its pair's Nash product (profits written out from utilities and the firms' margins)."""
    d = market.demand
    delta, alpha, p0 = d.mean_utility.to_numpy(), d.alpha, d.outside_price
    sellers, buyers = np.asarray(market.seller), np.asarray(market.buyer)
    cu, cd, beta = market.upstream_cost, market.downstream_cost, market.seller_weight
    P, W = frame["price"].to_numpy(), frame["wholesale_price"].to_numpy()
    n = len(P)
    every = np.ones(n, dtype=bool)

    def profit(firm: str, prices: np.ndarray, wholesale: np.ndarray, available: np.ndarray) -> float:
        s = brute_shares(delta, alpha, prices - p0, available=available)
        w = np.where(sellers == buyers, cu, wholesale)
        per_unit = np.where(buyers == firm, prices - w - cd, 0.0) + np.where(sellers == firm, w - cu, 0.0)
        return float(np.sum(s * per_unit))

    for j in range(n):
        def negative_profit(x: float, j: int = j) -> float:
            q = P.copy()
            q[j] = x
            return -profit(buyers[j], q, W, every)

        best = minimize_scalar(negative_profit, bounds=(0, 4 * P.max()), method="bounded", options={"xatol": 1e-9})
        assert best.x == pytest.approx(P[j], rel=1e-6)
    for j in np.flatnonzero(sellers != buyers):
        without = np.arange(n) != j

        def negative_log_nash(x: float, j: int = j, without: np.ndarray = without) -> float:
            w = W.copy()
            w[j] = x
            gain_u = profit(sellers[j], P, w, every) - profit(sellers[j], P, w, without)
            gain_d = profit(buyers[j], P, w, every) - profit(buyers[j], P, w, without)
            if gain_u <= 0 or gain_d <= 0:
                return 1e10
            return -(beta[j] * np.log(gain_u) + (1 - beta[j]) * np.log(gain_d))

        grid = np.linspace(cu[j] - 50, P[j] + 50, 401)    # both gains are linear in W_j: an interval
        feasible = grid[np.array([negative_log_nash(x) for x in grid]) < 1e9]
        best = minimize_scalar(negative_log_nash, bounds=(feasible.min(), feasible.max()), method="bounded",
                               options={"xatol": 1e-9})
        assert best.x == pytest.approx(W[j], rel=1e-6)


@pytest.mark.parametrize("change", [{"seller_post": ["U1"] * 4},                            # upstream merger
                                    {"buyer_post": ["U1", "D1", "D2", "D2"]},                # U1 integrates D1
                                    {"buyer_post": ["D1", "D1", "D2", "U2"]},                # U2 integrates D2
                                    {"seller_post": ["U1"] * 4, "buyer_post": ["U1", "U1", "D2", "D2"]}])
def test_chain_upstream_mergers_and_integration_converge_from_observed_prices(change: dict) -> None:
    res = vertical(**change)
    assert res.converged and res.residual < 1e-8
    post_market = vertical_market().with_changes(seller=change.get("seller_post"), buyer=change.get("buyer_post"))
    _check_chain_equilibrium(post_market, res.post)
    # the producer surplus of each firm, recomputed from the same margins by hand
    d = post_market.demand
    s = brute_shares(d.mean_utility.to_numpy(), d.alpha, res.post["price"].to_numpy() - d.outside_price)
    sellers, buyers = np.asarray(post_market.seller), np.asarray(post_market.buyer)
    w = np.where(sellers == buyers, post_market.upstream_cost, res.post["wholesale_price"].to_numpy())
    for firm in set(sellers) | set(buyers):
        per_unit = (np.where(buyers == firm, res.post["price"].to_numpy() - w - post_market.downstream_cost, 0.0)
                    + np.where(sellers == firm, w - post_market.upstream_cost, 0.0))
        assert res.producer_surplus.loc[firm, "post"] == pytest.approx(float(s @ per_unit), rel=1e-9)


@pytest.mark.parametrize("change", [{"buyer_post": ["D1"] * 4}, {"seller_post": ["U1"] * 4}])
def test_chain_upward_pricing_pressure_from_profits_by_hand(change: dict) -> None:
    """Retail UPP = the merged retailer's profit derivative at pre-merger prices over -ds_j/dP_j (Farrell and
    Shapiro); wholesale UPP = (beta G_d - (1 - beta) G_u) / (r_j (1 - s_j)), the gains from brute-force profits."""
    market = vertical_market()
    res = market.simulate(start=np.concatenate([VERTICAL["price"], VERTICAL["wholesale_price"]]), **change)
    post = market.with_changes(seller=change.get("seller_post"), buyer=change.get("buyer_post"))
    d = post.demand
    delta, alpha, p0 = d.mean_utility.to_numpy(), d.alpha, d.outside_price
    sellers, buyers = np.asarray(post.seller), np.asarray(post.buyer)
    cu, cd, beta = post.upstream_cost, post.downstream_cost, post.seller_weight
    P, W = res.pre["price"].to_numpy(), res.pre["wholesale_price"].to_numpy()
    s = brute_shares(delta, alpha, P - p0)

    def profit(firm: str, prices: np.ndarray, available: np.ndarray | None = None) -> float:
        shares = brute_shares(delta, alpha, prices - p0, available=available)
        return float(shares @ (np.where(buyers == firm, prices - W - cd, 0.0) + np.where(sellers == firm, W - cu, 0.0)))

    h = 1e-6
    for j in range(4):
        up, down = P.copy(), P.copy()
        up[j] += h
        down[j] -= h
        derivative = (profit(buyers[j], up) - profit(buyers[j], down)) / (2 * h)
        expected = derivative / (alpha * s[j] * (1 - s[j]))
        assert res.upward_pricing_pressure["price"].iloc[j] == pytest.approx(expected, rel=1e-5, abs=1e-7)
        without = np.arange(4) != j
        gain_u = profit(sellers[j], P) - profit(sellers[j], P, without)
        gain_d = profit(buyers[j], P) - profit(buyers[j], P, without)
        r = s[j] / (1 - s[j])
        wholesale = (beta[j] * gain_d - (1 - beta[j]) * gain_u) / (r * (1 - s[j]))
        assert res.upward_pricing_pressure["wholesale_price"].iloc[j] == pytest.approx(wholesale, rel=1e-8, abs=1e-9)
    if "buyer_post" in change:   # the merged retailer recaptures: pressure on every retail price
        assert np.all(res.upward_pricing_pressure["price"] > 0)


def test_a_result_built_by_hand_has_empty_outputs() -> None:
    from bargaining.models.merger import MergerResult

    pre = pd.DataFrame({"price": [1.0, 2.0], "share": [0.3, 0.4], "margin": [0.2, 0.3], "seller": ["a", "b"]})
    post = pre.assign(price=[1.1, 2.1])
    res = MergerResult(pd.Series({"alpha": 1.0, "seller_weight": 0.5}), pre, post,
                       pd.Series({"pre": 1.0, "post": 2.0, "change": 1.0}), -0.1, True, 0.0)
    assert res.producer_surplus.empty and not res.merging.any() and res.compensating_variation == 0.1
    assert res.industry.loc["industry", "price_change_pct"] == pytest.approx(100 * (0.3 * 0.1 + 0.4 * 0.05) / 0.7)
    assert "HHI: pre 1, post 2" in res.summary
