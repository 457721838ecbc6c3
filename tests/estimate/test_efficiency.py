"""efficiency_report: observed outcomes against the Loertscher-Marx frontier and the first best.

Hand-computed truths for uniform [0, 1] values and costs: first best trades iff v >= c, with probability 1/2
and gains E[(v - c)+] = 1/6; the second best (Delta = 0, the k = 1/2 double auction) trades iff
v - c >= 1/4, with probability 9/32 and gains 9/64, so the unavoidable loss is 1 - (9/64)/(1/6) = 5/32.
Data come from a numpy simulator of the k-double auction written here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bargaining.errors import BargainingError


@pytest.fixture(scope="module")
def uniform01():
    from bargaining.models.distributions import Uniform

    return Uniform(0.0, 1.0)


def kda_data(k: float, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    v, c = rng.uniform(size=n), rng.uniform(size=n)
    bid = v / (1 + k) + k * (1 - k) / (2 * (1 + k))
    ask = c / (2 - k) + (1 - k) / 2
    traded = bid >= ask
    price = np.where(traded, k * bid + (1 - k) * ask, np.nan)
    return pd.DataFrame({"traded": traded.astype(int), "value": v, "cost": c, "price": price})


def test_first_and_second_best_by_hand(uniform01):
    from bargaining.estimate.efficiency import efficiency_report

    df = kda_data(0.5, 20000, seed=1)
    rep = efficiency_report(
        uniform01, uniform01, df, traded="traded", value="value", cost="cost", price="price"
    )
    t = rep.table
    assert t.loc["trade_probability", "first_best"] == pytest.approx(0.5, abs=1e-6)
    assert t.loc["gains_from_trade", "first_best"] == pytest.approx(1 / 6, abs=1e-6)
    assert t.loc["gains_from_trade", "second_best"] == pytest.approx(9 / 64, abs=1e-6)
    assert t.loc["trade_probability", "second_best"] == pytest.approx(9 / 32, abs=1e-6)
    assert rep.share_unavoidable == pytest.approx(5 / 32, abs=1e-6)
    # the k = 1/2 data sit at Delta = 0 and lose 5/32 of the first-best surplus (up to sampling error)
    se_share = t.loc["gains_from_trade", "std_error"] * 6
    assert abs(rep.share_lost - 5 / 32) < 4 * se_share
    assert abs(rep.implied_delta) < 0.1
    assert "Share of first-best surplus lost" in rep.summary()
    assert rep.to_dict()["share_unavoidable"] == pytest.approx(5 / 32, abs=1e-6)


def test_buyer_offer_data_imply_delta_one(uniform01):
    from bargaining.estimate.efficiency import efficiency_report

    df = kda_data(1.0, 20000, seed=2)  # k = 1: the buyer makes a take-it-or-leave-it offer, Delta = 1
    rep = efficiency_report(
        uniform01, uniform01, df, traded="traded", value="value", cost="cost", price="price"
    )
    assert rep.implied_delta > 0.85
    # buyer payoff (1 + k)^2 (2 - k)/48 = 1/12 at k = 1 (closed form of the k-double auction)
    assert rep.table.loc["buyer_payoff", "frontier_at_delta"] == pytest.approx(1 / 12, abs=0.01)


def test_welfare_only_gives_two_candidates(uniform01):
    from bargaining.estimate.efficiency import efficiency_report

    df = kda_data(0.8, 20000, seed=3)
    rep = efficiency_report(uniform01, uniform01, df, traded="traded", value="value", cost="cost")
    assert len(rep.implied_delta_candidates) == 2
    low, high = rep.implied_delta_candidates
    assert low < 0 < high and low == pytest.approx(
        -high, abs=0.05
    )  # uniform types: welfare symmetric in Delta


def test_plot_and_errors(uniform01):
    from bargaining.estimate.efficiency import efficiency_report

    df = kda_data(0.5, 2000, seed=4)
    rep = efficiency_report(
        uniform01, uniform01, df, traded="traded", value="value", cost="cost", price="price"
    )
    ax = rep.plot()
    assert ax.get_xlabel() == "buyer payoff"
    with pytest.raises(BargainingError):
        efficiency_report(uniform01, uniform01, df, traded="trade")
    with pytest.raises(BargainingError):
        efficiency_report(uniform01, uniform01)


def test_package_simulator_implied_delta(uniform01):
    from bargaining.data import simulate
    from bargaining.estimate.efficiency import efficiency_report

    sim = simulate("negotiations", n=20000, seed=8, delta=0.3, price_rule="k-double-auction")
    rep = efficiency_report(
        uniform01, uniform01, sim.data, traded="traded", value="value", cost="cost", price="price"
    )
    assert abs(rep.implied_delta - 0.3) < 0.15
