"""Counterfactuals on a Loertscher-Marx market against independent computations.

* a supplier merger, checked by simulating the pre-merger primitives with the post-merger allocation written
  out by hand (uniform costs, closed-form virtual types of the minimum of two uniforms);
* vertical integration of one buyer with one of two uniform suppliers, checked against the bilateral
  Myerson-Satterthwaite numbers it reduces to (``bargaining.models.bilateral``);
* Propositions 3 and 7 on hand-built and random markets (hypothesis, derandomized by the test profile): the
  claims hold when their conditions do and fail exactly when they fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bargaining.errors import BargainingError, InvalidParameterError
from bargaining.models.bilateral import myerson_satterthwaite
from bargaining.models.distributions import Beta, Uniform
from bargaining.models.mechanism import Market
from bargaining.models.mechanism.counterfactuals import (
    MaximumOf,
    MinimumOf,
    compare_integration,
    compare_merger,
    equalize_power,
    full_trade_margin,
    integrate_vertically,
    merge_buyers,
    merge_suppliers,
)

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ------------------------------------------------------------------------------------------ distributions
def test_extreme_distributions_match_closed_forms() -> None:
    low = MinimumOf([Uniform(), Uniform()])
    high = MaximumOf([Uniform(), Uniform()])
    x = np.linspace(0.01, 0.99, 7)
    np.testing.assert_allclose(low.cdf(x), 1 - (1 - x) ** 2, atol=1e-14)
    np.testing.assert_allclose(low.pdf(x), 2 * (1 - x), atol=1e-14)
    np.testing.assert_allclose(high.cdf(x), x**2, atol=1e-14)
    np.testing.assert_allclose(high.sf(x), 1 - x**2, atol=1e-14)
    # virtual cost of the minimum: c + G / g
    np.testing.assert_allclose(low.virtual_cost(x, weight=0.0), x + (1 - (1 - x) ** 2) / (2 * (1 - x)), atol=1e-12)
    np.testing.assert_allclose(low.quantile(low.cdf(x)), x, atol=1e-12)
    # different supports: the minimum lives on [min lows, min highs]
    mixed = MinimumOf([Uniform(0, 1), Uniform(0.5, 2)])
    assert (mixed.low, mixed.high) == (0.0, 1.0)
    assert abs(float(mixed.cdf(0.75)) - (1 - 0.25 * (1 - 0.25 / 1.5))) < 1e-14


# ------------------------------------------------------------------------------------------ merger
def test_supplier_merger_matches_simulation_of_premerger_draws() -> None:
    market = Market([Uniform()], [Uniform(), Uniform(), Uniform()])
    cmp = compare_merger(market, suppliers=(0, 1))
    post = cmp.after
    assert cmp.labels_after == ("buyer 1", "supplier 1+2 (merged)", "supplier 3")
    a = float(post.buyer_weight_ratios[0])
    b_m, b_3 = (float(r) for r in post.supplier_weight_ratios)

    rng = np.random.default_rng(20240607)
    n = 1_000_000  # the issue's 10^6 draws
    v, c1, c2, c3 = rng.random((4, n))
    m = np.minimum(c1, c2)                              # the merged firm's cost, from pre-merger draws
    phi = v - (1 - a) * (1 - v)                         # Phi_a for U[0, 1]
    g_m = 1 - (1 - m) ** 2
    gam_m = m + (1 - b_m) * g_m / (2 * (1 - m))         # Gamma_b for the minimum of two uniforms
    gam_3 = c3 + (1 - b_3) * c3
    merged_wins = gam_m <= gam_3
    trade = phi >= np.minimum(gam_m, gam_3)
    cost = np.where(merged_wins, m, c3)
    samples = {
        "welfare": np.where(trade, v - cost, 0.0),
        "trades": trade.astype(float),
        # information rents with the raw virtual types: buyer (1 - v), merged firm G_M / g_M, supplier 3 c
        "buyer": np.where(trade, 1 - v, 0.0),
        "merged": np.where(trade & merged_wins, g_m / (2 * (1 - m)), 0.0),
        "supplier 3": np.where(trade & ~merged_wins, c3, 0.0),
        "budget": np.where(trade, (2 * v - 1) - np.where(merged_wins, m + g_m / (2 * (1 - m)), 2 * c3), 0.0),
    }
    exact = {
        "welfare": post.welfare, "trades": post.expected_trades, "buyer": post.buyer_payoffs[0],
        "merged": post.supplier_payoffs[0], "supplier 3": post.supplier_payoffs[1], "budget": post.budget_surplus,
    }
    assert post.binding
    for key, draws in samples.items():
        se = draws.std() / math.sqrt(n)
        assert abs(draws.mean() - exact[key]) < 4 * se + post.accuracy, (key, draws.mean(), exact[key], se)
    frame = cmp.to_frame()
    assert frame.loc["welfare", "after"] == pytest.approx(post.welfare, abs=1e-15)
    assert frame.loc["welfare", "change"] < 0                         # fewer competitors, less welfare
    assert frame.loc["payoff: supplier 3", "change"] > 0              # the outsider gains
    assert frame.loc["trade rate", "after"] == pytest.approx(post.expected_trades)


def test_merger_options_and_mirror_for_buyers() -> None:
    market = Market([Uniform(), Uniform(0.2, 1)], [Uniform()], buyer_units=[1, 2])
    post = merge_buyers(market, (1, 0))
    assert isinstance(post.buyers[0], MaximumOf) and len(post.buyers) == 1
    assert post.buyer_units.tolist() == [2]                           # default: the larger capacity
    assert merge_buyers(market, (0, 1), units=3).buyer_units.tolist() == [3]
    cmp = compare_merger(market, buyers=(0, 1), buyer_weights=[0.5, 1.0], supplier_weights=1.0)
    assert cmp.after.buyer_weights.tolist() == [1.0]                  # default: the larger weight
    cmp2 = compare_merger(market, buyers=(0, 1), buyer_weights=[0.5, 1.0], merged_weight=0.5)
    assert cmp2.after.buyer_weights.tolist() == [0.5] and cmp2.after.supplier_weights.tolist() == [1.0]
    d = cmp.to_dict()
    assert d["after"]["market"][0]["agent"] == "buyer 1+2 (merged)" and d["after"]["market"][0]["units"] == 2
    assert "merger of buyers 1 and 2" in str(cmp)
    three = Market([Uniform()], [Uniform(), Uniform(0, 2), Uniform()])
    merged = merge_suppliers(three, (2, 0))
    assert isinstance(merged.suppliers[0], MinimumOf) and merged.suppliers[1].high == 2.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"suppliers": (0, 0)}, "itself"), ({"suppliers": (0, 5)}, "index"), ({}, "exactly one"),
     ({"suppliers": (0, 1), "merged_weight": 2.0}, "weight"), ({"suppliers": (0, 1), "units": 0}, "units")],
)
def test_merger_errors_have_hints(kwargs: dict, message: str) -> None:
    market = Market([Uniform()], [Uniform(), Uniform()])
    with pytest.raises(InvalidParameterError, match=message) as info:
        compare_merger(market, **kwargs)
    assert info.value.hint


def test_counterfactuals_reject_preferences() -> None:
    market = Market([Uniform()], [Uniform(), Uniform()], preferences=[2.0, 1.0])
    with pytest.raises(InvalidParameterError) as info:
        merge_suppliers(market, (0, 1))
    assert info.value.hint


# ------------------------------------------------------------------------------------------ vertical integration
def test_integration_reduces_to_myerson_satterthwaite() -> None:
    market = Market([Uniform(1, 2)], [Uniform(), Uniform()])
    cmp = compare_integration(market, supplier=0)
    ms = myerson_satterthwaite(Uniform(), Uniform())
    inhouse = 1.0                                                     # E[v - c_1] = 3/2 - 1/2
    assert cmp.after_offsets == pytest.approx((inhouse, 0.0), abs=1e-12)
    fb = cmp.first_best_after
    assert fb.welfare == pytest.approx(ms.first_best_gains, abs=1e-10)
    assert fb.expected_trades == pytest.approx(ms.first_best_trade_probability, abs=1e-10)
    assert -fb.budget_surplus == pytest.approx(ms.deficit, abs=1e-10)
    # equal weights: the uniform bilateral second best, rho = 3/2, W = 9/64, each side 9/128
    assert cmp.after.rho == pytest.approx(1.5, abs=1e-9)
    assert cmp.after.welfare == pytest.approx(9 / 64, abs=1e-10)
    assert cmp.after.supplier_payoffs[0] == pytest.approx(9 / 128, abs=1e-10)
    frame = cmp.to_frame()
    assert frame.loc["payoff: buyer 1+supplier 1 (integrated)", "after"] == pytest.approx(inhouse + 9 / 128, abs=1e-10)
    assert frame.loc["welfare", "after"] == pytest.approx(inhouse + 9 / 64, abs=1e-10)
    assert frame.loc["first-best welfare", "before"] == pytest.approx(frame.loc["first-best welfare", "after"], abs=1e-10)
    # other weights: the same as the bilateral market with the integrated supplier's cost as value
    bilateral = Market([Uniform()], [Uniform()]).bargain([0.3], [1.0])
    other = compare_integration(market, supplier=0, supplier_weights=[1.0, 1.0], integrated_weight=0.3)
    assert other.after.welfare == pytest.approx(bilateral.welfare, abs=1e-10)
    assert other.after.buyer_payoffs[0] == pytest.approx(bilateral.buyer_payoffs[0], abs=1e-10)
    assert cmp.claim["applies"] and cmp.claim["agrees"]


def test_integration_with_overlapping_supports_keeps_the_first_best() -> None:
    # min(v, c_1) is the integrated firm's value of outside supply: the first best must not change
    market = Market([Uniform()], [Uniform(), Beta(2, 3)])
    post, surplus, err = integrate_vertically(market, supplier=1)
    assert isinstance(post.buyers[0], MinimumOf)
    assert surplus + post.first_best().welfare == pytest.approx(market.first_best().welfare, abs=1e-9 + err)
    assert surplus == pytest.approx(0.5 - 0.4 + _e_neg_part(), abs=1e-9)
    # mirror image: the only supplier integrates with buyer 1 of two
    two = Market([Uniform(), Uniform()], [Uniform()])
    post2, surplus2, _ = integrate_vertically(two, buyer=0)
    assert isinstance(post2.suppliers[0], MaximumOf)
    assert surplus2 == pytest.approx(1 / 6, abs=1e-12)
    assert surplus2 + post2.first_best().welfare == pytest.approx(two.first_best().welfare, abs=1e-9)
    cmp = compare_integration(two, buyer=1)
    assert not cmp.claim["applies"]                                    # supports overlap: no prediction


def _e_neg_part() -> float:
    """E[max(c - v, 0)] for v ~ U[0, 1], c ~ Beta(2, 3): so E[max(v - c, 0)] = E[v] - E[c] + E[max(c - v, 0)]."""
    from scipy import integrate as quad_integrate

    beta = Beta(2, 3)
    return quad_integrate.quad(lambda t: float(beta.sf(t)) * t, 0, 1, epsabs=1e-14)[0]


def test_integration_errors() -> None:
    with pytest.raises(InvalidParameterError, match="one buyer"):
        integrate_vertically(Market([Uniform(), Uniform()], [Uniform(), Uniform()]), supplier=0)
    with pytest.raises(InvalidParameterError, match="no supplier"):
        integrate_vertically(Market([Uniform()], [Uniform()]), supplier=0)
    with pytest.raises(BargainingError):
        integrate_vertically(Market([Uniform()], [Uniform(), Uniform()]), supplier=3)


@st.composite
def integration_markets(draw: st.DrawFn) -> tuple[Market, list[float], list[float], str]:
    case = draw(st.sampled_from(["separate", "overlap"]))
    ns = draw(st.integers(2, 3))
    families = [Uniform(0, 1), Beta(2, 2), Beta(1, 2), Beta(2, 1)]
    suppliers = [draw(st.sampled_from(families)) for _ in range(ns)]
    buyer = Uniform(1.0, 2.0) if case == "separate" else draw(st.sampled_from([Uniform(0.3, 1.3), Beta(2, 2, 0.2, 1.2)]))
    equal = draw(st.booleans())
    ws = [1.0] * ns if equal else [draw(st.sampled_from([0.5, 1.0])) for _ in range(ns)]
    wb = [1.0] if equal else [draw(st.sampled_from([0.5, 1.0]))]
    return Market([buyer], suppliers), wb, ws, case


@SETTINGS
@given(integration_markets(), st.integers(0, 2))
def test_proposition_7_on_random_markets(spec: tuple, which: int) -> None:
    market, wb, ws, case = spec
    i = which % len(market.suppliers)
    cmp = compare_integration(market, supplier=i, buyer_weights=wb, supplier_weights=ws)
    claim = cmp.claim
    conditions = {c.label: c.holds for c in cmp.conditions}
    assert conditions["(b)"] == (case == "separate")
    if claim["applies"]:
        assert claim["first_best_before"] and not claim["first_best_after"] and claim["agrees"]
    if case == "overlap":                     # Myerson-Satterthwaite before integration, whatever the weights
        assert not claim["first_best_before"]
    assert not claim["first_best_after"]     # overlapping cost ranges after integration: never the first best
    assert claim["welfare_loss_after"] > 0
    # the first best is the same before and after integration
    frame = cmp.to_frame()
    assert frame.loc["first-best welfare", "change"] == pytest.approx(0.0, abs=1e-8)


# ------------------------------------------------------------------------------------------ Proposition 3
@pytest.mark.parametrize(
    ("buyers", "suppliers", "wb", "ws", "failing"),
    [
        ([Uniform()], [Uniform(), Uniform()], [1.0], [0.5, 0.5], ["(i)"]),
        ([Uniform(2, 3)], [Uniform(), Uniform()], [1.0], [1.0, 0.5], ["(ii)"]),
        ([Uniform(2, 3)], [Uniform(), Beta(2, 1)], [1.0], [0.5, 0.5], ["(iii)"]),
        ([Uniform(2, 3), Beta(2, 1, 2, 3)], [Uniform()], [0.5, 0.5], [1.0], ["(iv)"]),
        ([Uniform(2, 3), Uniform(2, 3)], [Uniform(), Uniform(), Beta(2, 1)], [1.0, 0.5], [1.0, 1.0, 1.0], []),
        ([Uniform(2, 3)], [Uniform(), Uniform()], [1.0], [0.5, 0.5], []),
        ([Uniform()], [Uniform(), Beta(1, 2)], [1.0], [1.0, 1.0], []),
    ],
)
def test_proposition_3_names_the_failing_condition(buyers: list, suppliers: list, wb: list, ws: list, failing: list) -> None:
    cmp = equalize_power(Market(buyers, suppliers), wb, ws)
    assert cmp.claim["failing"] == failing
    assert cmp.claim["predicted_equal"] == (not failing)
    assert cmp.claim["agrees"], str(cmp)
    gain = cmp.to_frame().loc["welfare", "change"]
    assert gain >= -1e-12
    if failing:
        assert gain > 1e-6
    text = str(cmp)
    for label in failing:
        assert f"{label:<6}FAILS" in text


@st.composite
def power_markets(draw: st.DrawFn) -> tuple[Market, list[float], list[float]]:
    nb, ns = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    assume(nb + ns >= 3)
    shapes = [(1.0, 1.0), (2.0, 1.0), (1.0, 2.0), (2.0, 2.0)]
    value_low = draw(st.sampled_from([0.0, 0.5, 1.5, 2.5]))

    def dist(low: float) -> object:
        a, b = draw(st.sampled_from(shapes))
        return Uniform(low, low + 1) if (a, b) == (1.0, 1.0) else Beta(a, b, low, low + 1)

    buyers = [dist(value_low) for _ in range(nb)]
    suppliers = [dist(0.0) for _ in range(ns)]
    wb = [draw(st.sampled_from([0.5, 1.0])) for _ in range(nb)]
    ws = [draw(st.sampled_from([0.5, 1.0])) for _ in range(ns)]
    return Market(buyers, suppliers), wb, ws


@SETTINGS
@given(power_markets())
def test_proposition_3_on_random_markets(spec: tuple) -> None:
    market, wb, ws = spec
    before = market.bargain(wb, ws)
    _, margin = full_trade_margin(market, before)
    assume(abs(margin) > 0.02 or not math.isfinite(margin))          # stay away from the boundary of (i)
    cmp = equalize_power(market, wb, ws)
    gain = cmp.claim["welfare_gain"]
    assert gain >= -cmp.claim["tolerance"]                            # W^w <= W^1 always
    assert cmp.claim["agrees"], str(cmp)                              # equal exactly when (i)-(iv) hold
