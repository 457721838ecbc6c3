"""Plots run under the Agg backend and show the model's numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from bargaining.plots import (
    plot_frontier,
    plot_k_double_auction_payoffs,
    plot_nash_fit,
    plot_nash_weights,
    plot_trade_regions,
)


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_k_double_auction_payoffs_plot_shows_the_closed_forms():
    fig = plot_k_double_auction_payoffs(np.linspace(0, 1, 11))
    lines = lines_by_label(fig.axes[0])
    k = np.linspace(0, 1, 11)
    np.testing.assert_allclose(lines["buyer"].get_ydata(), (1 + k) ** 2 * (2 - k) / 48, atol=1e-14)
    np.testing.assert_allclose(lines["seller"].get_ydata(), (1 + k) * (2 - k) ** 2 / 48, atol=1e-14)
    np.testing.assert_allclose(lines["gains from trade"].get_ydata(), (1 + k) * (2 - k) / 16, atol=1e-14)
    plt.close(fig)


def test_plots_accept_an_existing_axes():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    assert plot_k_double_auction_payoffs(ax=ax2) is fig
    assert len(ax2.get_lines()) == 3 and not ax1.get_lines()
    plt.close(fig)


def test_frontier_plot():
    pytest.importorskip("bargaining.models.distributions")
    pytest.importorskip("bargaining.models.mechanism")
    from bargaining.models.bilateral import delta_from_k, k_double_auction

    fig = plot_frontier(points=21)
    lines = lines_by_label(fig.axes[0])
    # Delta = 0: the k = 1/2 double auction, 9/128 each
    point = lines["Delta = 0"]
    assert point.get_xdata()[0] == pytest.approx(9 / 128, abs=1e-8)
    assert point.get_ydata()[0] == pytest.approx(9 / 128, abs=1e-8)
    # first best line: u_B + u_S = 1/6
    first = lines["first best"]
    np.testing.assert_allclose(np.add(first.get_xdata(), first.get_ydata()), 1 / 6, atol=1e-8)
    # frontier end points are the take-it-or-leave-it offers (k = 0 and k = 1)
    frontier = lines["frontier"]
    xs, ys = np.asarray(frontier.get_xdata()), np.asarray(frontier.get_ydata())
    for k in (0.0, 1.0):
        a = k_double_auction(k)
        assert np.min(np.hypot(xs - a.seller_payoff, ys - a.buyer_payoff)) < 1e-8, delta_from_k(k)
    plt.close(fig)


def test_trade_regions_plot_matches_closed_form_boundaries():
    pytest.importorskip("bargaining.models.distributions")
    pytest.importorskip("bargaining.models.mechanism")
    from bargaining.models.bilateral import uniform_trade_threshold

    deltas = (-0.5, 0.0, 1.0)
    fig = plot_trade_regions(deltas, points=21)
    lines = lines_by_label(fig.axes[0])
    for delta in deltas:
        line = lines[f"Delta = {delta:g}"]
        c = np.asarray(line.get_xdata())
        expected = np.minimum(uniform_trade_threshold(delta, c), 1.0)
        np.testing.assert_allclose(line.get_ydata(), expected, atol=1e-9)
    plt.close(fig)


class _NashFit:
    """The attributes plot_nash_fit and plot_nash_weights read from a Nash bargaining fit."""

    def __init__(self, observed_cost: bool) -> None:
        rng = np.random.default_rng(3)
        index = pd.RangeIndex(50)
        self.fitted_values = pd.Series(np.linspace(1.0, 3.0, 50), index=index)
        self.observed_prices = self.fitted_values + rng.normal(scale=0.1, size=50)
        self.implied_weights = pd.Series(rng.uniform(0.3, 0.5, size=50), index=index)
        ratio = rng.uniform(0.0, 1.0, size=50)
        ratio[0] = np.nan  # V = C
        self.observed_weights = pd.Series(ratio, index=index) if observed_cost else None


def test_nash_fit_plot_shows_observed_against_fitted_prices():
    fit = _NashFit(observed_cost=True)
    fig = plot_nash_fit(fit)
    ax = fig.axes[0]
    points = ax.collections[0]
    assert points.get_label() == "agreements"
    np.testing.assert_allclose(
        points.get_offsets(), np.column_stack([fit.fitted_values, fit.observed_prices])
    )
    line = lines_by_label(ax)["45-degree line"]
    np.testing.assert_array_equal(line.get_xdata(), line.get_ydata())
    low = min(fit.fitted_values.min(), fit.observed_prices.min())
    assert line.get_xdata()[0] == pytest.approx(low)
    assert ax.get_xlabel() == "fitted price" and ax.get_ylabel() == "observed price"
    plt.close(fig)


@pytest.mark.parametrize("observed_cost", [True, False])
def test_nash_weights_plot_is_a_density_histogram_of_the_implied_weights(observed_cost):
    fit = _NashFit(observed_cost)
    fig, (ax1, ax2) = plt.subplots(1, 2)
    assert plot_nash_weights(fit, ax=ax2, bins=10) is fig
    assert not ax1.patches
    labels = [text.get_text() for text in ax2.get_legend().get_texts()]
    assert labels == (["(p - C)/(V - C)", "model beta_i"] if observed_cost else ["model beta_i"])
    bars = ax2.containers[-1]
    assert len(bars) == 10
    widths = np.array([bar.get_width() for bar in bars])
    heights = np.array([bar.get_height() for bar in bars])
    assert np.sum(widths * heights) == pytest.approx(1.0)  # a density
    assert bars[0].get_x() == pytest.approx(fit.implied_weights.min())
    plt.close(fig)


def test_nash_plots_accept_a_real_fit():
    from bargaining import fit_nash

    rng = np.random.default_rng(0)
    n = 200
    cost = rng.uniform(0.0, 1.0, n)
    value = cost + rng.uniform(1.0, 2.0, n)
    data = pd.DataFrame(
        {"price": cost + 0.4 * (value - cost) + rng.normal(scale=0.05, size=n), "value": value, "cost": cost}
    )
    res = fit_nash(data, price="price", buyer_value="value", seller_cost="cost")
    for fig in (plot_nash_fit(res), plot_nash_weights(res)):
        assert fig.axes
        plt.close(fig)


def test_counterfactual_plot_shows_both_frontiers_and_the_compared_outcomes():
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market
    from bargaining.models.mechanism.counterfactuals import compare_integration, equalize_power
    from bargaining.plots import plot_counterfactual

    market = Market([Uniform(1, 2)], [Uniform(), Uniform()])
    cmp = compare_integration(market, supplier=0)
    fig = plot_counterfactual(cmp, points=5)
    lines = lines_by_label(fig.axes[0])
    assert {"before", "after", "before: outcome", "after: outcome"} <= set(lines)
    x, y = lines["after: outcome"].get_data()
    assert y[0] == pytest.approx(cmp.after.buyer_payoff + cmp.after_offsets[0])   # in-house surplus included
    assert x[0] == pytest.approx(cmp.after.supplier_payoff)
    assert len(lines["after"].get_xdata()) == 5
    plt.close(fig)
    fig = plot_counterfactual(equalize_power(Market([Uniform()], [Uniform()]), 1.0, 0.5), points=3)
    assert "frontier" in lines_by_label(fig.axes[0]) and "after" not in lines_by_label(fig.axes[0])
    plt.close(fig)
