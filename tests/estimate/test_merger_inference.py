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
