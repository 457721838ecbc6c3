"""Clustered inference with few clusters (simulate-then-recover): the small-sample factor G/(G-1)(N-1)/(N-K)
and t(G - 1) quantiles bring 95% intervals back to about 95% with 8 clusters, where the asymptotic sandwich
with normal quantiles covers about 0.86."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bargaining import FewClustersWarning, Uniform, fit_incomplete, fit_nash
from bargaining.errors import IdentificationError


def _agreements(rng: np.random.Generator, clusters: int = 8, per_cluster: int = 40) -> pd.DataFrame:
    """p = C + 0.4 (V - C) + u with a cluster component in both the surplus and the error."""
    g = np.repeat(np.arange(clusters), per_cluster)
    surplus = rng.uniform(1, 3, g.size) + np.clip(rng.normal(0, 0.3, clusters), -0.9, 0.9)[g]  # V > C
    error = rng.normal(0, 0.3, clusters)[g] + rng.normal(0, 0.3, g.size)
    cost = rng.uniform(0, 1, g.size)
    return pd.DataFrame({"price": cost + 0.4 * surplus + error, "value": cost + surplus, "cost": cost, "market": g})


def _coverage(reps: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    corrected = asymptotic = 0
    for _ in range(reps):
        data = _agreements(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)
            res = fit_nash(
                data, price="price", buyer_value="value", seller_cost="cost", cov_type="clustered", cluster="market"
            )
        ci = res.conf_int()
        corrected += ci.loc["beta", "lower"] <= 0.4 <= ci.loc["beta", "upper"]
        # the same fit without the factor and with normal quantiles (what the package reported before)
        n = len(data)
        raw_se = res.std_errors["beta"] / np.sqrt(8 / 7 * (n - 1) / (n - 1))
        asymptotic += abs(res.params["beta"] - 0.4) <= stats.norm.ppf(0.975) * raw_se
    return corrected / reps, asymptotic / reps


def test_eight_clusters_cover_in_ci():
    corrected, asymptotic = _coverage(400, seed=5)
    assert 0.92 <= corrected <= 0.98, corrected
    assert asymptotic < corrected - 0.03  # the correction matters here


@pytest.mark.slow
def test_eight_clusters_cover_full():
    corrected, _ = _coverage(2000, seed=6)
    assert 0.93 <= corrected <= 0.97, corrected


def test_few_clusters_warn_and_use_t():
    data = _agreements(np.random.default_rng(1))
    with pytest.warns(FewClustersWarning, match="8 clusters"):
        res = fit_nash(data, price="price", buyer_value="value", seller_cost="cost", cov_type="clustered", cluster="market")
    assert res.df_inference == 7 and "t(7)" in res.summary.as_text()


def test_one_cluster_is_an_identification_error_everywhere():
    data = _agreements(np.random.default_rng(2), clusters=1)
    with pytest.raises(IdentificationError, match="at least 2"):
        fit_nash(data, price="price", buyer_value="value", seller_cost="cost", cov_type="clustered", cluster="market")
    rng = np.random.default_rng(3)
    v, c = rng.uniform(size=300), rng.uniform(size=300)
    traded = (rng.uniform(size=300) < 1 / (1 + np.exp(-((4 * v - 1 - 4 * c) / 3) / 0.1))).astype(int)
    frame = pd.DataFrame({"traded": traded, "value": v, "cost": c, "market": 0})
    u = Uniform(0, 1)
    with pytest.raises(IdentificationError, match="at least 2"):
        fit_incomplete(
            frame, traded="traded", value="value", cost="cost", value_dist=u, cost_dist=u,
            cov_type="clustered", cluster="market",
        )


def test_two_clusters_are_not_reported_as_ordinary_standard_errors():
    data = _agreements(np.random.default_rng(4), clusters=2)
    with pytest.warns(FewClustersWarning):
        res = fit_nash(data, price="price", buyer_value="value", seller_cost="cost", cov_type="clustered", cluster="market")
    # t(1): the 95% interval is 12.7 standard errors wide on each side, not 1.96
    half = (res.conf_int()["upper"] - res.conf_int()["lower"]).iloc[0] / 2
    assert half / res.std_errors["beta"] == pytest.approx(stats.t(1).ppf(0.975), rel=1e-10)


def test_no_standard_error_of_zero():
    """A parameter the data pin down without sampling variation gets NaN and a note, never 0."""
    rng = np.random.default_rng(9)
    one_row = _agreements(rng).iloc[:1]
    res = fit_nash(one_row, price="price", buyer_value="value", seller_cost="cost")
    assert np.isnan(res.std_errors["beta"]) and any("0 up to rounding" in n for n in res.notes)
    data = _agreements(rng)
    data["g"] = np.where(np.arange(len(data)) == 0, "alone", "rest")  # a group with a single agreement
    grouped = fit_nash(data, price="price", buyer_value="value", seller_cost="cost", weight_by="g")
    assert np.isnan(grouped.std_errors["beta[alone]"]) and grouped.std_errors["beta[rest]"] > 0
    with pytest.raises(IdentificationError):
        fit_nash(
            data.assign(market=0), price="price", buyer_value="value", seller_cost="cost",
            bootstrap=10, seed=1, cluster="market", bootstrap_kind="cluster",
        )
