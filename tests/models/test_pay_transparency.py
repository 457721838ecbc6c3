"""Pay transparency: the computed equilibrium against brute force written here from the model's statement.

The helpers below do not use the module's acceptance rule or payoff functions: the buyer's choice is the
largest payoff-maximizing subset found by enumerating all 2^N subsets, and a seller's payoff is computed from
that choice and the period-2 rule.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import binom

from bargaining.errors import BargainingError, InvalidParameterError
from bargaining.models.pay_transparency import PayTransparency

TIE = 1e-9


def subsets(n):
    return np.array(list(itertools.product([False, True], repeat=n)), dtype=bool)


def subset_payoffs(m, p, v, S):
    """Discounted payoff of a type-v buyer for every row (subset) of S, straight from the timing."""
    high = S & (p > m.low)
    revealed = high.any(axis=1)
    q = np.where(revealed[:, None], np.where(m.recall & high, 1.0, m.transparency), 0.0)
    period2 = (q * max(v - m.high, 0) + (1 - q) * max(v - m.low, 0)).sum(axis=1)
    return (S * (v - p)).sum(axis=1) + m.discount * period2


def brute_choice(m, p, v, beliefs="strategic"):
    p = np.asarray(p, dtype=float)
    S = subsets(p.size)
    if beliefs == "passive":  # each offer judged as if it were the only one: accept {i} vs nothing
        single = np.eye(p.size, dtype=bool)
        none = subset_payoffs(m, p, v, np.zeros((1, p.size), dtype=bool))[0]
        return subset_payoffs(m, p, v, single) - none >= -TIE
    u = subset_payoffs(m, p, v, S)
    optimal = S[u >= u.max() - TIE]
    return optimal[optimal.sum(axis=1).argmax()]


def brute_seller(m, p, beliefs="strategic"):
    p = np.asarray(p, dtype=float)
    out = np.zeros(p.size)
    for v, w in ((m.high, m.prob_high), (m.low, 1 - m.prob_high)):
        a = brute_choice(m, p, v, beliefs)
        high = a & (p > m.low)
        q = np.where(m.recall & high, 1.0, m.transparency) if high.any() else np.zeros(p.size)
        out += w * (np.where(a, p, 0.0) + m.discount * (q * (m.high if v == m.high else 0.0) + (1 - q) * m.low))
    return out


def brute_value(m, own, outcome, beliefs):
    """Seller 1's payoff at price `own` when each rival draws from the outcome's offer distribution."""
    n = m.n_sellers - 1
    s, ph = outcome.prob_high_offer, (outcome.high_price if outcome.prob_high_offer > 0 else m.low)
    return sum(w * brute_seller(m, [own] + [ph] * k + [m.low] * (n - k), beliefs)[0]
               for k, w in enumerate(binom.pmf(np.arange(n + 1), n, s)) if w > 0)


CASES = [
    {"n_sellers": 3, "high": 1.0, "low": 0.35, "prob_high": 0.5, "discount": 0.9, "transparency": 0.2},   # passive mixes
    {"n_sellers": 4, "high": 1.0, "low": 0.3, "prob_high": 0.6, "discount": 0.8, "transparency": 0.7},
    {"n_sellers": 2, "high": 2.0, "low": 1.5, "prob_high": 0.5, "discount": 0.95, "transparency": 0.5},   # mu h < l
    {"n_sellers": 5, "high": 1.0, "low": 0.2, "prob_high": 0.4, "discount": 0.5, "transparency": 0.1, "recall": True},
    {"n_sellers": 1, "high": 1.0, "low": 0.3, "prob_high": 0.5, "discount": 0.9, "transparency": 1.0},
    {"n_sellers": 6, "high": 1.0, "low": 0.4, "prob_high": 0.55, "discount": 0.9, "transparency": 0.15},  # N = 6
]


@pytest.mark.parametrize("params", CASES)
def test_no_seller_gains_from_any_price_on_a_fine_grid(params):
    m = PayTransparency(**params)
    eq = m.equilibrium()
    grid = np.linspace(0.0, m.high * 1.05, 801)
    for outcome in (eq, eq.passive_beliefs()):
        beliefs = outcome.beliefs
        prices = [pr for pr, _ in outcome.offers]
        values = [brute_value(m, pr, outcome, beliefs) for pr in prices]
        assert max(values) - min(values) < 1e-9                       # indifferent across the support
        assert values[0] == pytest.approx(outcome.seller_payoff, abs=1e-9)
        best = max(brute_value(m, pr, outcome, beliefs) for pr in grid)
        assert best <= values[0] + 1e-9, (beliefs, best - values[0])


@pytest.mark.parametrize("params", CASES)
def test_buyer_acceptance_is_the_best_subset_for_each_type(params):
    m = PayTransparency(**params)
    rng = np.random.default_rng(7)
    eq = m.equilibrium(grid=0)
    draws = [np.full(m.n_sellers, eq.high_price if eq.prob_high_offer else m.low)]
    draws += [rng.choice([m.low * 0.5, m.low, rng.uniform(m.low, m.high), m.high, m.high * 1.1], m.n_sellers)
              for _ in range(60)]
    draws += [rng.uniform(0, m.high * 1.1, m.n_sellers) for _ in range(60)]
    for p in draws:
        for t, v in (("high", m.high), ("low", m.low)):
            for beliefs in ("strategic", "passive"):
                np.testing.assert_array_equal(m.acceptance(p, t, beliefs), brute_choice(m, p, v, beliefs))
            a = m.acceptance(p, t)
            assert m.buyer_payoff(p, a, t) == pytest.approx(subset_payoffs(m, p, v, a[None, :])[0], abs=1e-12)
            # the slides' observation, as an outcome: high offers the high type can afford are all in or all out
            if t == "high" and not m.recall:
                affordable = (p > m.low) & (p <= m.high)
                assert a[affordable].all() or not a[affordable].any()


@pytest.mark.parametrize("params", CASES)
def test_reported_payoffs_add_up(params):
    m = PayTransparency(**params)
    for o in (eq := m.equilibrium(grid=0), eq.passive_beliefs()):
        n, s = m.n_sellers, o.prob_high_offer
        ph = o.high_price if s > 0 else m.low
        pay = {"high": 0.0, "low": 0.0}
        for k, w in enumerate(binom.pmf(np.arange(n + 1), n, s)):
            p = np.array([ph] * k + [m.low] * (n - k))
            for t, v in (("high", m.high), ("low", m.low)):
                pay[t] += w * subset_payoffs(m, p, v, brute_choice(m, p, v, o.beliefs)[None, :])[0]
        assert o.payoff_high_type == pytest.approx(pay["high"], abs=1e-9)
        assert o.payoff_low_type == pytest.approx(pay["low"], abs=1e-9)
        assert o.welfare == pytest.approx(o.buyer_payoff + n * o.seller_payoff, abs=1e-12)
        assert o.welfare <= o.first_best_welfare + 1e-12


@pytest.mark.parametrize("mu", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("n", [1, 2, 4])
def test_no_transparency_is_the_passive_benchmark_and_monopoly_pricing(mu, n):
    m = PayTransparency(n, high=1.0, low=0.45, prob_high=mu, discount=0.9, transparency=0.0)
    eq = m.equilibrium(grid=0)
    fields = ("regime", "offers", "prob_high_offer", "payoff_high_type", "payoff_low_type", "seller_payoff", "welfare")
    for f in fields:
        assert getattr(eq, f) == getattr(eq.passive_beliefs(), f), f
    assert eq.regime == ("high" if mu * 1.0 >= 0.45 else "low")
    assert eq.offers == (((1.0, 1.0),) if mu >= 0.45 else ((0.45, 1.0),))


@pytest.mark.parametrize("tau", [0.0, 0.3, 1.0])
def test_one_seller_by_hand(tau):
    h, l, mu, d = 1.0, 0.3, 0.5, 0.9
    eq = PayTransparency(1, h, l, mu, d, tau).equilibrium(grid=0)
    D = d * (h - l)
    assert eq.regime == "high" and eq.high_price == pytest.approx(h - tau * D, abs=1e-14)
    assert eq.seller_payoff == pytest.approx(mu * h + d * l, abs=1e-12)     # the price cut is repaid in period 2
    assert eq.payoff_high_type == pytest.approx(D, abs=1e-12)               # held to its no-revelation payoff
    assert eq.passive_beliefs().offers == eq.offers                         # one offer: nothing to correlate


def test_degenerate_types():
    low_only = PayTransparency(3, 1.0, 0.4, 0.0, 0.9, 0.5).equilibrium(grid=0)
    assert low_only.regime == "low" and low_only.welfare == pytest.approx(low_only.first_best_welfare)
    assert low_only.seller_payoff == pytest.approx(1.9 * 0.4)
    high_only = PayTransparency(3, 1.0, 0.4, 1.0, 0.9, 0.5).equilibrium(grid=0)
    assert high_only.regime == "high" and high_only.high_price == pytest.approx(1 - 0.5 * 0.9 * 0.6)
    assert high_only.payoff_high_type == pytest.approx(3 * 0.9 * 0.6)
    assert high_only.welfare == pytest.approx(high_only.first_best_welfare)


@pytest.mark.parametrize("n", [2, 3, 6])
def test_equilibrium_sets_by_hand(n):
    h, l, d, tau = 1.0, 0.35, 0.9, 0.2
    D = d * (h - l)
    for mu in np.linspace(0.05, 0.95, 19):
        eq = PayTransparency(n, h, l, mu, d, tau).equilibrium(grid=0)
        regimes = {eq.regime, *eq.alternatives}
        assert ("high" in regimes) == (mu * h >= l)
        no_single_high_accepted = h - n * tau * D <= l
        assert ("low" in regimes) == (mu * (h - (n - 1) * tau * D) <= l or no_single_high_accepted)
        passive = eq.passive_beliefs()
        assert passive.alternatives == ()                                    # unique under passive beliefs
        if mu * (h - n * tau * D) >= l:
            assert passive.regime == "high" and passive.high_price == pytest.approx(h - n * tau * D)
        elif mu * (h - (n - 1) * tau * D) <= l or no_single_high_accepted:
            assert passive.regime == "low"
        else:
            x = (l - mu * (h - n * tau * D)) / (mu * tau * D)                 # (1 - s)^(N-1)
            assert passive.regime == "mixed"
            assert passive.prob_high_offer == pytest.approx(1 - x ** (1 / (n - 1)), abs=1e-12)


def test_strategic_buyer_gets_higher_prices_than_passive_one_and_period2_rule_check():
    m = PayTransparency(3, 1.0, 0.35, 0.5, 0.9, 0.2)
    eq = m.equilibrium(grid=0)
    assert eq.high_price == pytest.approx(1 - 0.2 * 0.9 * 0.65) and eq.passive.high_price == pytest.approx(1 - 3 * 0.2 * 0.9 * 0.65)
    assert eq.seller_payoff > eq.passive.seller_payoff
    assert not eq.period2_sequentially_rational       # a seller who saw nothing has posterior mu, and mu h > l
    assert PayTransparency(3, 1.0, 0.35, 0.5, 0.9, 0.2, recall=True).equilibrium(grid=0).period2_sequentially_rational
    assert PayTransparency(3, 1.0, 0.6, 0.5, 0.9, 0.2).equilibrium(grid=0).period2_sequentially_rational


def test_comparative_statics_frame():
    m = PayTransparency(2, 1.0, 0.35, 0.5, 0.9, 0.2)
    frame = m.comparative_statics(transparency=[0, 0.5, 1], n_sellers=[1, 3])
    assert len(frame) == 6 and {"n_sellers", "transparency", "regime", "high_price", "passive_welfare"} <= set(frame)
    assert frame.loc[frame.n_sellers == 3, "high_price"].is_monotonic_decreasing
    row = frame.iloc[4]
    eq = m.replace(n_sellers=3, transparency=0.5).equilibrium(grid=0)
    assert row["welfare"] == eq.welfare and row["passive_regime"] == eq.passive.regime


@pytest.mark.parametrize(
    "kwargs",
    [{"n_sellers": 0}, {"n_sellers": 2.5}, {"low": 1.0}, {"low": -0.1}, {"prob_high": 1.2},
     {"discount": -0.1}, {"transparency": math.nan}, {"high": "x"}],
)
def test_bad_parameters_raise_with_hint(kwargs):
    params = {"n_sellers": 2, "high": 1.0, "low": 0.3, "prob_high": 0.5, "discount": 0.9, "transparency": 0.5} | kwargs
    with pytest.raises(InvalidParameterError) as info:
        PayTransparency(**params)
    assert isinstance(info.value, BargainingError) and info.value.hint
    m = PayTransparency(2, 1.0, 0.3, 0.5, 0.9, 0.5)
    with pytest.raises(InvalidParameterError):
        m.acceptance([0.5], "high")
    with pytest.raises(InvalidParameterError):
        m.acceptance([0.5, 0.5], "medium")


def test_plot_transparency_draws_the_table():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bargaining.plots import plot_transparency

    m = PayTransparency(2, 1.0, 0.35, 0.5, 0.9, 0.2)
    frame = m.comparative_statics(transparency=[0.0, 0.5, 1.0], n_sellers=[2, 3])
    fig = plot_transparency(frame, quantity="high_price")
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert set(lines) == {"N = 2", "N = 2, passive", "N = 3", "N = 3, passive"}
    np.testing.assert_allclose(lines["N = 3"].get_ydata(), frame.loc[frame.n_sellers == 3, "high_price"])
    plt.close(fig)
    fig = plot_transparency(frame, quantity="welfare", x="n_sellers", passive=False)
    assert {line.get_label() for line in fig.axes[0].get_lines()} == {"tau = 0", "tau = 0.5", "tau = 1"}
    plt.close(fig)
