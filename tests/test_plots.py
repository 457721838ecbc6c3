"""Plots run under the Agg backend and show the model's numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bargaining.plots import plot_frontier, plot_k_double_auction_payoffs, plot_trade_regions


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
