"""Case (c): hospital and insurer mergers on the hospital-insurer model, checked by brute force.

Patients, willingness to pay and each side's gain from an agreement are recomputed here from utilities (exp /
sum / log); every negotiated price must maximize its Nash product over that price, other prices fixed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from bargaining import HospitalInsurerMarkets, HospitalNetworkMarket
from bargaining.errors import InvalidParameterError, InvalidWeightError

UTILITY = np.array([[[0.5, 0.2], [0.1, 0.6]]])      # one market, insurers i1, i2, hospitals h1, h2
ENROLLEES = np.array([[100.0, 60.0]])
KAPPA = np.array([[8.0, 6.0]])
COST = np.array([[[1.0, 1.5], [1.2, 1.1]]])


def patients(i: int, network: list[int]) -> np.ndarray:
    e = np.array([np.exp(UTILITY[0, i, h]) if h in network else 0.0 for h in range(2)])
    return ENROLLEES[0, i] * e / (1 + e.sum())


def value(i: int, network: list[int]) -> float:
    return float(KAPPA[0, i] * ENROLLEES[0, i] * np.log(1 + sum(np.exp(UTILITY[0, i, h]) for h in network)))


def gains(i: int, h: int, price: np.ndarray, pooled: bool) -> tuple[float, float]:
    """Hospital side and insurer i's gains from agreement (h, i) at per-patient prices price[h]."""
    full, without = patients(i, [0, 1]), patients(i, [1 - h])
    margins = price - COST[0, i]
    hospital = full[h] * margins[h] + (pooled * (full[1 - h] - without[1 - h]) * margins[1 - h])
    insurer = (value(i, [0, 1]) - full @ price) - (value(i, [1 - h]) - without @ price)
    return hospital, insurer


def market(beta: object = 0.4) -> HospitalNetworkMarket:
    return HospitalNetworkMarket(UTILITY, ENROLLEES, KAPPA, COST, beta, hospitals=["h1", "h2"], insurers=["i1", "i2"])


def test_hospital_merger_prices_maximize_each_nash_product() -> None:
    beta = 0.4
    result = market(beta).simulate(seller_post=["sys", "sys"])
    assert result.converged
    for stage, pooled in (("pre", False), ("post", True)):
        table = getattr(result, stage)
        for i, insurer in enumerate(["i1", "i2"]):
            price = table.loc[(0, insurer)]["price"].to_numpy()
            for h in range(2):
                def minus_log_nash(x: float, h: int = h, i: int = i, price: np.ndarray = price,
                                   pooled: bool = pooled) -> float:
                    p = price.copy()
                    p[h] = x
                    hospital, insurer_gain = gains(i, h, p, pooled)
                    if hospital <= 0 or insurer_gain <= 0:
                        return 1e9
                    return -(beta * np.log(hospital) + (1 - beta) * np.log(insurer_gain))

                best = minimize_scalar(minus_log_nash, bounds=(0.7 * price[h], 1.3 * price[h]), method="bounded",
                                       options={"xatol": 1e-11})
                assert best.x == pytest.approx(price[h], rel=1e-7)
    assert (result.post["price"] > result.pre["price"]).all()
    assert result.merging.all() and set(result.merging_firms) == {"h1", "h2", "sys"}
    assert result.hhi["post"] == pytest.approx(10000.0)
    # the pre-merger prices are the hospital-insurer model's (the existing import path)
    old = HospitalInsurerMarkets(UTILITY, ENROLLEES, KAPPA, COST, beta).prices()
    assert result.pre["price"].to_numpy() == pytest.approx(old.ravel(), abs=1e-12)


def test_insurer_merger_price_maximizes_the_joint_nash_product() -> None:
    beta = 0.6
    result = market(beta).simulate(buyer_post=["I", "I"])
    post = result.post
    price = post.loc[(0, "i1")]["price"].to_numpy()
    assert post.loc[(0, "i2")]["price"].to_numpy() == pytest.approx(price, abs=1e-12)   # one price per hospital
    for h in range(2):
        def minus_log_nash(x: float, h: int = h) -> float:
            p = price.copy()
            p[h] = x
            both = [gains(i, h, p, pooled=False) for i in range(2)]
            hospital, insurer_gain = sum(g[0] for g in both), sum(g[1] for g in both)
            if hospital <= 0 or insurer_gain <= 0:
                return 1e9
            return -(beta * np.log(hospital) + (1 - beta) * np.log(insurer_gain))

        best = minimize_scalar(minus_log_nash, bounds=(0.7 * price[h], 1.3 * price[h]), method="bounded", options={"xatol": 1e-11})
        assert best.x == pytest.approx(price[h], rel=1e-7)
    assert result.hhi["change"] > 0
    assert "I" in result.producer_surplus.index
    assert "hospital-insurer" in result.summary


def test_hospital_merger_errors() -> None:
    beta = np.array([[[0.4, 0.4], [0.6, 0.6]]])
    with pytest.raises(InvalidWeightError, match="different bargaining weights") as info:
        market(beta).simulate(buyer_post=["I", "I"])
    assert info.value.hint
    assert market(beta).simulate(buyer_post=["I", "I"], seller_weight_post=0.5).converged
    with pytest.raises(InvalidParameterError, match="seller_post"):
        market().simulate(seller_post=["sys"])
    with pytest.raises(InvalidParameterError, match="cost_change_kind"):
        market().simulate(cost_change=-0.1, cost_change_kind="percent")
    cheaper = market().simulate(seller_post=["sys", "sys"], cost_change=-0.5)
    assert (cheaper.post["price"] < market().simulate(seller_post=["sys", "sys"]).post["price"]).all()
