"""plot_merger_price_changes under Agg: the bars are the simulated price changes."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bargaining import LogitDemand, NashInNashMarket
from bargaining.plots import plot_merger_price_changes


@pytest.fixture
def result():
    market = NashInNashMarket(LogitDemand(0.5, [1.0, 0.4, 0.8, 0.2], products=["a", "b", "c", "d"]),
                              seller=["A", "B", "C", "D"], marginal_cost=[2.0, 1.5, 1.0, 1.2], seller_weight=0.6)
    return market.simulate(seller_post=["A", "A", "C", "D"], remove="d")


def test_bars_are_the_percentage_price_changes(result):
    fig = plot_merger_price_changes(result)
    ax = fig.axes[0]
    heights = {}
    for container in ax.containers:
        for bar in container:
            heights[round(bar.get_x() + bar.get_width() / 2)] = bar.get_height()
    pre, post = result.pre["price"].to_numpy(), result.post["price"].to_numpy()
    expected = 100 * (post[:3] / pre[:3] - 1)       # product d left the market: a bar of height 0
    np.testing.assert_allclose([heights[i] for i in range(3)], expected, rtol=1e-12)
    assert heights[3] == 0.0
    labels = {c.get_label() for c in ax.containers}
    assert labels == {"merging parties", "other products"}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    weighted = next(line for line in ax.get_lines() if line.get_label() == "share-weighted (industry)")
    assert weighted.get_ydata()[0] == pytest.approx(result.industry.loc["industry", "price_change_pct"])
    plt.close(fig)
    with pytest.raises(ValueError, match="chain"):
        plot_merger_price_changes(result, wholesale=True)


def test_matplotlib_is_imported_lazily():
    code = "import sys, bargaining.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
