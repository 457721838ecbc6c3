"""simulate_estimated_merger: effects at the estimates rebuilt by hand, the delta-method gradient against
finite differences of a market built in this file, the parametric bootstrap's draws and failure counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bargaining import LogitDemand, NashInNashMarket, fit_merger_model, simulate, simulate_estimated_merger
from bargaining.errors import InvalidParameterError, MissingColumnError

SUPPLY = {"price": "price", "share": "share", "seller": "seller", "market": "market",
          "cost_formula": "~ 1 + z1 + z2", "instruments": "~ x + x_rivals + z1_rivals + z2_rivals"}
JOINT = {"demand": "~ 1 + x", "demand_instruments": "~ z1 + z2 + z1_rivals + z2_rivals"}


@pytest.fixture(scope="module")
def case():
    sim = simulate("bargaining-markets", n=80, seed=21)
    fit = fit_merger_model(sim.data, **SUPPLY, **JOINT)
    return sim, fit


def _by_hand(rows, alpha, beta, post):
    """The market at (alpha, beta): Berry inversion and the Miller (2014) first-order conditions, written out.

    Seller A owns P1 and P2, so its margins solve the 2 x 2 system m_j - s_k m_k ... of the FOC
    (1 - s_j) m_j - s_k m_k = tau_j, single-product sellers m_j (1 - s_j) = tau_j, with
    tau = beta L / (alpha (beta L + (1 - beta) r)), L = -log(1 - s), r = s / (1 - s).
    """
    p, s = rows.price.to_numpy(), rows.share.to_numpy()
    s0 = 1 - s.sum()
    delta = np.log(s / s0) + alpha * p
    log_term, ratio = -np.log(1 - s), s / (1 - s)
    t = beta * log_term / (alpha * (beta * log_term + (1 - beta) * ratio))
    a = np.array([[1 - s[0], -s[1], 0, 0], [-s[0], 1 - s[1], 0, 0], [0, 0, 1 - s[2], 0], [0, 0, 0, 1 - s[3]]])
    cost = p - np.linalg.solve(a, t)
    market = NashInNashMarket(LogitDemand(alpha, delta, products=list(rows["product"])),
                              seller=list(rows.seller), marginal_cost=cost, seller_weight=beta)
    res = market.simulate(seller_post=post, start=p)
    return res


def test_effects_at_the_estimates_and_gradient(case):
    sim, fit = case
    rows = sim.data[sim.data.market == 4]
    out = simulate_estimated_merger(fit, sim.data, market=4, seller_post={"C": "B"}, product="product")
    alpha, beta = float(fit.params["alpha"]), float(fit.params["seller_weight"])
    post = ["A", "A", "B", "B"]
    res = _by_hand(rows, alpha, beta, post)
    assert np.allclose(res.pre.price, rows.price, atol=1e-9)          # pre-merger = the observed market
    assert out.effects.loc["price_post[P4]", "estimate"] == pytest.approx(res.post.loc["P4", "price"], rel=1e-10)
    inside = rows.share.to_numpy() / rows.share.sum()                 # HHI of the inside goods
    hhi_pre = 1e4 * ((inside[0] + inside[1]) ** 2 + inside[2] ** 2 + inside[3] ** 2)
    assert out.effects.loc["hhi_post", "estimate"] - out.effects.loc["hhi_change", "estimate"] == pytest.approx(
        hhi_pre, rel=1e-10)
    # gradient against a Richardson-extrapolated central difference of the hand-built market
    for name, base in (("alpha", alpha), ("seller_weight", beta)):
        def f(x, name=name):
            a, b = (x, beta) if name == "alpha" else (alpha, x)
            r = _by_hand(rows, a, b, post)
            return np.array([r.post.loc["P4", "price_change"], r.post.loc["P3", "price"],
                             r.consumer_surplus_change])

        h = 1e-3
        d1 = (f(base + h) - f(base - h)) / (2 * h)
        d2 = (f(base + h / 2) - f(base - h / 2)) / h
        numeric = (4 * d2 - d1) / 3
        code = out.gradient.loc[["price_change[P4]", "price_post[P3]", "consumer_surplus_change"], name].to_numpy()
        assert np.allclose(code, numeric, rtol=1e-5, atol=1e-8), name
    # delta-method standard error from the gradient and the fit's covariance
    g = out.gradient.loc["price_change[P4]"].to_numpy()
    v = fit.full_cov.loc[["alpha", "seller_weight"], ["alpha", "seller_weight"]].to_numpy()
    assert out.effects.loc["price_change[P4]", "std_error"] == pytest.approx(np.sqrt(g @ v @ g), rel=1e-12)


def test_parametric_bootstrap_counts_and_agrees_with_the_delta_method(case):
    sim, fit = case
    out = simulate_estimated_merger(fit, sim.data, market=4, seller_post={"C": "B"}, product="product", draws=60,
                                    seed=3)
    assert len(out.draws) + int(out.failures.sum()) == 60
    ratio = out.effects["boot_std_error"] / out.effects["std_error"]
    assert 0.7 < ratio["price_change[P4]"] < 1.3
    # an inflated covariance pushes draws out of [0, 1]: they are counted, never dropped silently
    wide = fit_merger_model(sim.data, **SUPPLY, **JOINT)
    wide.full_cov = wide.full_cov * 400.0
    flagged = simulate_estimated_merger(wide, sim.data, market=4, seller_post={"C": "B"}, product="product",
                                        draws=30, seed=3)
    assert flagged.failures["seller weight outside [0, 1]"] > 0
    assert len(flagged.draws) + int(flagged.failures.sum()) == 30
    assert "left out" in flagged.summary
    # the draws do not depend on the number of workers
    again = simulate_estimated_merger(wide, sim.data, market=4, seller_post={"C": "B"}, product="product",
                                      draws=30, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(again.draws, flagged.draws)


def test_grouped_weights_and_bad_inputs(case):
    sim, fit = case
    grouped = fit_merger_model(sim.data, **SUPPLY, alpha=1.0, weight_by="seller")
    out = simulate_estimated_merger(grouped, sim.data, market=2, seller_post=["A", "A", "C", "C"],
                                    product="product")
    assert list(out.gradient.columns) == ["alpha", "seller_weight[A]", "seller_weight[B]", "seller_weight[C]"]
    prices = [f"price_change[P{j}]" for j in range(1, 5)]
    assert np.all(out.gradient.loc[prices, "alpha"] < 0)      # a steeper demand: smaller margins and changes
    assert out.gradient.loc["hhi_post", "alpha"] == pytest.approx(0, abs=1e-6)   # alpha only rescales money
    assert "alpha was given without a variance" in out.summary
    with pytest.raises(InvalidParameterError, match="fit_merger_model"):
        simulate_estimated_merger(object(), sim.data, market=0, seller_post={"C": "B"})
    with pytest.raises(InvalidParameterError, match="market"):
        simulate_estimated_merger(fit, sim.data, market=-5, seller_post={"C": "B"})
    with pytest.raises(InvalidParameterError, match="seller_post"):
        simulate_estimated_merger(fit, sim.data, market=0, seller_post=["A", "B"])
    with pytest.raises(InvalidParameterError, match="draws"):
        simulate_estimated_merger(fit, sim.data, market=0, seller_post={"C": "B"}, draws=1)
    with pytest.raises(MissingColumnError):
        simulate_estimated_merger(fit, sim.data, market=0, seller_post={"C": "B"}, product="prod")


def _cmcr_upp_by_hand(rows, alpha, beta):
    """Sellers B (P3) and C (P4) merge. UPP (Farrell-Shapiro at the bargained margins): UPP_3 = s_4 m_4 / (1 - s_3),
    UPP_4 = s_3 m_3 / (1 - s_4). CMCR: the merged firm's 2 x 2 first-order conditions at the pre-merger shares,
    (1 - s_3) m_3 - s_4 m_4 = tau_3, -s_3 m_3 + (1 - s_4) m_4 = tau_4, give the margins that keep pre-merger
    prices; CMCR = those margins minus the pre-merger margins (single-product: m_j = tau_j / (1 - s_j))."""
    s = rows.share.to_numpy()
    log_term, ratio = -np.log(1 - s), s / (1 - s)
    t = beta * log_term / (alpha * (beta * log_term + (1 - beta) * ratio))
    m_pre = t / (1 - s)
    m_pre[:2] = np.linalg.solve(np.array([[1 - s[0], -s[1]], [-s[0], 1 - s[1]]]), t[:2])
    upp = np.array([s[3] * m_pre[3] / (1 - s[2]), s[2] * m_pre[2] / (1 - s[3])])
    m_post = np.linalg.solve(np.array([[1 - s[2], -s[3]], [-s[2], 1 - s[3]]]), t[2:])
    return upp, m_post - m_pre[2:], m_pre


def test_cmcr_upp_and_producer_surplus_intervals(case):
    sim, fit = case
    rows = sim.data[sim.data.market == 4]
    out = simulate_estimated_merger(fit, sim.data, market=4, seller_post={"C": "B"}, product="product", draws=40,
                                    seed=5)
    alpha, beta = float(fit.params["alpha"]), float(fit.params["seller_weight"])
    upp, cmcr, m_pre = _cmcr_upp_by_hand(rows, alpha, beta)
    e = out.effects["estimate"]
    assert e[["upp[P3]", "upp[P4]"]].to_numpy() == pytest.approx(upp, rel=1e-9)
    assert e[["cmcr[P3]", "cmcr[P4]"]].to_numpy() == pytest.approx(cmcr, rel=1e-9)
    cost = rows.price.to_numpy() - m_pre
    assert e[["cmcr_relative[P3]", "cmcr_relative[P4]"]].to_numpy() == pytest.approx(cmcr / cost[2:], rel=1e-9)
    assert "upp[P1]" not in e.index and "cmcr[P2]" not in e.index      # identically 0 for non-merging products
    # producer surplus change: sum of s (p - c) after minus before, with the post-merger equilibrium by hand
    res = _by_hand(rows, alpha, beta, ["A", "A", "B", "B"])
    profit_post = res.post.share.to_numpy() * (res.post.price.to_numpy() - cost)
    profit_pre = rows.share.to_numpy() * m_pre
    assert e["producer_surplus_change"] == pytest.approx((profit_post - profit_pre).sum(), rel=1e-8)
    assert e["producer_surplus_change_merging"] == pytest.approx((profit_post - profit_pre)[2:].sum(), rel=1e-8)
    # gradients of the closed forms (Richardson-extrapolated central differences) against the code's
    for name, base in (("alpha", alpha), ("seller_weight", beta)):
        def f(x, name=name):
            a, b = (x, beta) if name == "alpha" else (alpha, x)
            u, c, _ = _cmcr_upp_by_hand(rows, a, b)
            return np.concatenate([u, c])

        h = 1e-3
        d1 = (f(base + h) - f(base - h)) / (2 * h)
        d2 = (f(base + h / 2) - f(base - h / 2)) / h
        numeric = (4 * d2 - d1) / 3
        code = out.gradient.loc[["upp[P3]", "upp[P4]", "cmcr[P3]", "cmcr[P4]"], name].to_numpy()
        assert np.allclose(code, numeric, rtol=1e-5, atol=1e-8), name
    v = fit.full_cov.loc[["alpha", "seller_weight"], ["alpha", "seller_weight"]].to_numpy()
    for label in ("upp[P3]", "cmcr[P4]", "producer_surplus_change"):
        g = out.gradient.loc[label].to_numpy()
        assert out.effects.loc[label, "std_error"] == pytest.approx(np.sqrt(g @ v @ g), rel=1e-12)
        assert out.effects.loc[label, "std_error"] > 0
        assert 0.6 < out.effects.loc[label, "boot_std_error"] / out.effects.loc[label, "std_error"] < 1.5


def test_covariate_weight_fits():
    """Weights by covariates: group indicators through the link give the same effects and delta-method
    standard errors as weight_by (invariance of the delta method to the reparametrization beta = expit(delta));
    with a continuous covariate each product's weight is expit(w_j'delta)."""
    sim = simulate("bargaining-markets", n=80, seed=21, seller_weight={"A": 0.3, "B": 0.5, "C": 0.7})
    options = {**SUPPLY, "alpha": 1.0, "alpha_cov": 0.05**2}
    grouped = fit_merger_model(sim.data, **options, weight_by="seller")
    logistic = fit_merger_model(sim.data, **options, weight_formula="~ 0 + C(seller)")
    a = simulate_estimated_merger(grouped, sim.data, market=2, seller_post={"C": "B"}, product="product")
    b = simulate_estimated_merger(logistic, sim.data, market=2, seller_post={"C": "B"}, product="product")
    assert list(b.gradient.columns) == ["alpha", "delta[C(seller)[A]]", "delta[C(seller)[B]]",
                                        "delta[C(seller)[C]]"]
    assert np.allclose(b.effects["estimate"], a.effects["estimate"], rtol=1e-5, atol=1e-9)
    assert np.allclose(b.effects["std_error"], a.effects["std_error"], rtol=1e-4, atol=1e-9)
    continuous = simulate("bargaining-markets", n=120, seed=5, weight_delta={"Intercept": 0.0, "w": 0.8})
    fit = fit_merger_model(continuous.data, **SUPPLY, alpha=1.0, weight_formula="~ 1 + w")
    out = simulate_estimated_merger(fit, continuous.data, market=3, seller_post={"C": "B"}, product="product",
                                    draws=20, seed=2)
    rows = continuous.data[continuous.data.market == 3]
    index = fit.params["delta[Intercept]"] + fit.params["delta[w]"] * rows.w.to_numpy()
    weights = out.result.params[[f"seller_weight[P{j}]" for j in range(1, 5)]].to_numpy()
    assert np.allclose(weights, 1 / (1 + np.exp(-index)), rtol=1e-12)
    assert out.failures.sum() + len(out.draws) == 20
    assert (out.effects["std_error"] > 0).all()
