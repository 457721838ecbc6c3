"""Acceptance numbers of the merger simulation, pinned against R antitrust 0.99.29's documented examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bargaining import simulate_merger

MILLER_POST = np.array([38.7006, 184.3344, 122.5215, 53.3842])
VERTICAL_POST_WHOLESALE = np.array([55.3898, 51.1928, 55.3898, 51.1928])
VERTICAL_POST_RETAIL = np.array([92.2896, 80.5134, 108.5404, 96.7641])


@pytest.fixture(scope="module")
def miller() -> pd.DataFrame:
    """R antitrust's ``bargaining.logit`` example (Miller 2014): sellers 2 and 3 merge."""
    return pd.DataFrame({
        "product": [1, 2, 3, 4],
        "price": [35.53, 154.0, 84.08, 53.16],
        "share": [0.29, 0.40, 0.28, 0.03],
        "seller": ["s1", "s2", "s3", "s4"],
        "seller_post": ["s1", "s2", "s2", "s4"],
        "margin": [np.nan, 1 - 101 / 154, np.nan, np.nan],
    })


def test_miller_bargaining_logit_post_merger_prices(miller: pd.DataFrame) -> None:
    # R: bargpowerPre = 0.6 (the buyer's), so the seller weight is 0.4; product 2 normalized, no outside good
    res = simulate_merger(miller, price="price", share="share", seller="seller", product="product",
                          margin="margin", seller_weight=0.4, normalize=2, seller_post="seller_post")
    assert res.converged
    np.testing.assert_allclose(res.post["price"].to_numpy(), MILLER_POST, rtol=1e-4)
    # calibration is exact: the pre-merger equilibrium reproduces the observed prices, product 2's cost is 101
    np.testing.assert_allclose(res.pre["price"].to_numpy(), miller["price"].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.pre["share"].to_numpy(), miller["share"].to_numpy(), rtol=1e-10)
    assert res.params["marginal_cost[2]"] == pytest.approx(101.0, rel=1e-10)
    assert res.params["mean_utility[2]"] == 0.0
    assert res.params["seller_weight"] == 0.4
    assert res.post["price_change"].loc[3] == pytest.approx(MILLER_POST[2] / 84.08 - 1, rel=1e-3)
    assert res.hhi["post"] > res.hhi["pre"]
    assert res.consumer_surplus_change < 0
    assert "converged: True" in res.summary


@pytest.fixture(scope="module")
def vertical() -> pd.DataFrame:
    """R antitrust's documented ``vertical.barg`` example: two wholesalers, two retailers."""
    return pd.DataFrame({
        "product": ["U1D1", "U2D1", "U1D2", "U2D2"],
        "seller": ["U1", "U2", "U1", "U2"],
        "buyer": ["D1", "D1", "D2", "D2"],
        "buyer_post": ["D1", "D1", "D1", "D1"],
        "price": [63.08158, 50.70465, 95.8296, 83.45267],
        "share": [0.1293482, 0.1422541, 0.4631014, 0.2152962],
        "wholesale_price": [58.109, 53.31135, 58.109, 53.31135],
        "margin": [0.2067532, 0.2572216, 0.3082511, 0.3539681],
        "wholesale_margin": [0.4011427, 0.2773734, 0.4011427, 0.2773734],
    })


def test_vertical_barg_downstream_merger(vertical: pd.DataFrame) -> None:
    res = simulate_merger(vertical, price="price", share="share", seller="seller", buyer="buyer",
                          product="product", wholesale_price="wholesale_price", margin="margin",
                          wholesale_margin="wholesale_margin", outside_price=10.0, buyer_post="buyer_post")
    assert res.converged
    assert res.params["seller_weight"] == pytest.approx(0.5, abs=1e-5)   # R's calibrated bargaining power 0.5
    np.testing.assert_allclose(res.post["wholesale_price"].to_numpy(), VERTICAL_POST_WHOLESALE, rtol=1e-4)
    np.testing.assert_allclose(res.post["price"].to_numpy(), VERTICAL_POST_RETAIL, rtol=1e-4)
    assert round(res.hhi["pre"]) == 5917
    assert round(res.hhi["post"]) == 10000
    # least squares over 8 margins fits the published (7-digit) margins to their rounding
    np.testing.assert_allclose(res.pre["margin"].to_numpy(), vertical["margin"].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(res.pre["wholesale_margin"].to_numpy(), vertical["wholesale_margin"].to_numpy(),
                               atol=1e-6)
    assert {"wholesale_price", "price", "share", "margin"} <= set(res.pre.columns)
    assert any(name.startswith("upstream_cost[") for name in res.params.index)
    assert any(name.startswith("downstream_cost[") for name in res.params.index)
