"""Price rules: registry, prices, trade indicators and moments (checked by simulation and by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bargaining.errors import InvalidParameterError, UnknownNameError
from bargaining.models.price_rules import PRICE_RULES, PriceRule, get_price_rule, list_price_rules


class ScipyDist:
    """Minimal stand-in for a type distribution, built on scipy."""

    def __init__(self, frozen, low: float, high: float) -> None:
        self.frozen, self.low, self.high, self.breakpoints = frozen, low, high, ()

    def cdf(self, x):
        return self.frozen.cdf(x)

    def pdf(self, x):
        return self.frozen.pdf(x)


UNIFORM = ScipyDist(stats.uniform(), 0.0, 1.0)
BETA22 = ScipyDist(stats.beta(2, 2), 0.0, 1.0)


def test_registry_lists_the_three_rules():
    assert set(PRICE_RULES) == {"k-double-auction", "posted-price", "intermediary"}
    assert set(list_price_rules()) == set(PRICE_RULES)


def test_unknown_name_lists_the_choices():
    with pytest.raises(UnknownNameError) as info:
        get_price_rule("nash")
    assert "k-double-auction" in str(info.value) and "posted-price" in str(info.value)
    with pytest.raises(InvalidParameterError):
        get_price_rule("k-double-auction", price=0.3)


def test_k_double_auction_rule_prices_by_hand():
    rule = get_price_rule("k_double_auction", k=0.25)  # underscores accepted
    assert isinstance(rule, PriceRule) and rule.name == "k-double-auction" and rule.params == {"k": 0.25}
    k = 0.25
    v, c = np.array([0.9, 0.3]), np.array([0.1, 0.4])
    bid = 0.9 / (1 + k) + k * (1 - k) / (2 * (1 + k))
    ask = 0.1 / (2 - k) + (1 - k) / 2
    prices = rule.price(v, c)
    assert prices[0] == pytest.approx(k * bid + (1 - k) * ask, abs=1e-15)
    assert math.isnan(prices[1])
    assert rule.trades(v, c).tolist() == [True, False]


@pytest.mark.parametrize("k", [0.0, 0.4, 1.0])
def test_k_double_auction_moments_against_simulation(k):
    rule = get_price_rule("k-double-auction", k=k)
    m = rule.moments()
    assert m.method == "closed form"
    assert m.trade_probability == pytest.approx((1 + k) * (2 - k) / 8, abs=1e-14)
    rng = np.random.default_rng(123)
    v, c = rng.uniform(size=200_000), rng.uniform(size=200_000)
    price = rule.price(v, c)
    p = price[~np.isnan(price)]
    assert abs(p.mean() - m.mean_price) < 4 * p.std() / math.sqrt(p.size)
    assert abs((p**2).mean() - m.mean_price_squared) < 4 * (p**2).std() / math.sqrt(p.size)
    assert m.price_variance == pytest.approx(p.var(), abs=5 * p.var() * math.sqrt(2 / p.size) + 1e-12)


def test_k_double_auction_moments_refuse_non_uniform_types():
    rule = get_price_rule("k-double-auction", k=0.5)
    assert rule.moments(UNIFORM, UNIFORM).trade_probability == pytest.approx(9 / 32)
    with pytest.raises(InvalidParameterError):
        rule.moments(BETA22, UNIFORM)


def test_posted_price_rule():
    rule = get_price_rule("posted-price", price=0.4, value_dist=BETA22, cost_dist=UNIFORM)
    assert rule.params == {"price": 0.4}
    assert rule.price(np.array([0.5, 0.3]), np.array([0.1, 0.1])).tolist()[0] == 0.4
    assert rule.trades(0.39, 0.1).item() is False
    m = rule.moments()
    # (1 - F(0.4)) G(0.4) with F = Beta(2, 2): F(x) = 3x^2 - 2x^3
    assert m.trade_probability == pytest.approx((1 - (3 * 0.16 - 2 * 0.064)) * 0.4, abs=1e-14)
    assert m.mean_price == 0.4 and m.mean_price_squared == pytest.approx(0.16)
    other = rule.moments(UNIFORM, UNIFORM)
    assert other.trade_probability == pytest.approx(0.24, abs=1e-14)


def test_as_dict_is_json_ready():
    d = get_price_rule("k-double-auction", k=0.5).moments().as_dict()
    assert set(d) >= {"trade_probability", "mean_price", "mean_price_squared", "price_variance", "method"}
    assert all(isinstance(x, (float, str)) for x in d.values())
