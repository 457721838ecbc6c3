"""The same inference options mean the same thing in every front end (fit_nash, fit_incomplete,
fit_incomplete_moments): one option matrix, run through all three."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bargaining import Uniform, fit_incomplete, fit_incomplete_moments, fit_nash
from bargaining.errors import InvalidParameterError


def _agreements() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    value = rng.uniform(5, 10, n)
    cost = rng.uniform(0, 4, n)
    return pd.DataFrame(
        {
            "price": cost + 0.4 * (value - cost) + rng.normal(0, 0.3, n),
            "value": value,
            "cost": cost,
            "market": np.arange(n) % 20,
        }
    )


def _negotiations() -> pd.DataFrame:
    from bargaining.models.bilateral import k_double_auction

    rng = np.random.default_rng(12)
    n = 600
    v, c = rng.uniform(size=n), rng.uniform(size=n)
    auction = k_double_auction(0.5)
    traded = np.asarray(auction.trades(v, c))
    # logistic noise in trade for the likelihood; prices from the auction where it trades
    index = (4 * v - 1 - 4 * c) / 3  # Phi - Gamma at Delta = 0 (weight ratios 2/3, eq. 38)
    noisy = rng.uniform(size=n) < 1 / (1 + np.exp(-index / 0.1))
    price = np.where(traded, np.asarray(auction.price(v, c), dtype=float), np.nan)
    return pd.DataFrame(
        {
            "traded": noisy.astype(int),
            "kda_traded": traded.astype(int),
            "price": price,
            "value": v,
            "cost": c,
            "market": np.arange(n) % 20,
        }
    )


AGREEMENTS = _agreements()
NEGOTIATIONS = _negotiations()


def _run(front_end: str, **options):
    if front_end == "nash":
        return fit_nash(AGREEMENTS, price="price", buyer_value="value", seller_cost="cost", **options)
    if front_end == "likelihood":
        u = Uniform(0, 1)
        return fit_incomplete(
            NEGOTIATIONS, traded="traded", value="value", cost="cost", value_dist=u, cost_dist=u, **options
        )
    return fit_incomplete_moments(
        NEGOTIATIONS, traded="kda_traded", price="price", price_rule="k-double-auction", **options
    )


FRONT_ENDS = ("nash", "likelihood", "moments")
MATRIX = [
    {"cov_type": "unadjusted"},
    {"cov_type": "robust"},
    {"cov_type": "clustered", "cluster": "market"},
    {"cov_type": "cluster", "cluster": "market"},  # alias
    {"bootstrap": 8, "seed": 3},
    {"bootstrap": 8, "seed": 3, "cluster": "market", "bootstrap_kind": "cluster"},
    {"cov_type": "bootstrap", "seed": 3, "n_jobs": 1},
]


@pytest.mark.parametrize("options", MATRIX, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_option_matrix(front_end, options):
    if options.get("cov_type") == "bootstrap":
        options = {**options}
        res = _run(front_end, **options) if front_end == "nash" else None
        if res is None:  # 199 replicates is the default: keep the likelihood and moments runs short
            res = _run(front_end, **{**options, "bootstrap": 6})
    else:
        res = _run(front_end, **options)
    expected = "bootstrap" if ("bootstrap" in options or options.get("cov_type") == "bootstrap") else None
    canonical = {"cluster": "clustered"}.get(options.get("cov_type", "robust"), options.get("cov_type", "robust"))
    assert res.cov_type == (expected or canonical)
    assert np.all(np.isfinite(res.std_errors.to_numpy()))
    assert np.all(res.std_errors.to_numpy() > 0)
    if "cluster" in options:
        assert res.to_dict()["clusters"] == 20
    if "bootstrap" in options and "seed" in options:
        again = _run(front_end, **{**options, "n_jobs": 2})
        pd.testing.assert_frame_equal(res.bootstrap_params, again.bootstrap_params)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize(
    "options",
    [
        {"cov_type": "hc3"},
        {"cov_type": "clustered"},
        {"cluster": "market"},
        {"bootstrap": 1},
        {"bootstrap_kind": "cluster", "bootstrap": 5},
        {"n_jobs": 0},
    ],
    ids=str,
)
def test_same_errors_everywhere(front_end, options):
    with pytest.raises(InvalidParameterError):
        _run(front_end, **options)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_every_front_end_reads_a_path(front_end, tmp_path, monkeypatch):
    frame = AGREEMENTS if front_end == "nash" else NEGOTIATIONS
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    from_frame = _run(front_end)
    monkeypatch.setitem(globals(), "AGREEMENTS", str(path))
    monkeypatch.setitem(globals(), "NEGOTIATIONS", str(path))
    from_path = _run(front_end)
    np.testing.assert_allclose(from_path.params.to_numpy(), from_frame.params.to_numpy(), rtol=1e-8)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_maxiter_none_means_the_default_everywhere(front_end):
    # found by the property suite: fit_incomplete_moments(maxiter=None) raised a TypeError from inside scipy
    default = _run(front_end)
    res = _run(front_end, maxiter=None)
    pd.testing.assert_series_equal(res.params, default.params)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize("maxiter", [0, -1, 2.5, "x", True])
def test_bad_maxiter_is_refused_with_a_hint(front_end, maxiter):
    with pytest.raises(InvalidParameterError, match="maxiter") as info:
        _run(front_end, maxiter=maxiter)
    assert "maxiter" in info.value.hint


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_huge_bootstrap_is_refused_before_drawing(front_end):
    # found by the property suite: bootstrap=10**9 was accepted and started drawing 10**9 replicate seeds
    with pytest.raises(InvalidParameterError, match="bootstrap") as info:
        _run(front_end, bootstrap=10**9, seed=1)
    assert "bootstrap=" in info.value.hint


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize("seed", [-1, "a", 2.5, float("nan")], ids=repr)
def test_bad_seed_is_refused_with_a_hint(front_end, seed):
    # found by the property suite: fit_nash(bootstrap=2, seed=-1) raised numpy's ValueError, seed="a" TypeError
    with pytest.raises(InvalidParameterError, match="seed") as info:
        _run(front_end, bootstrap=3, seed=seed)
    assert "seed=" in info.value.hint


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cluster_given_as_a_list_is_refused_with_a_hint(front_end):
    # found by the property suite: cluster=["a", "b"] with a bootstrap raised TypeError (unhashable type: 'list')
    with pytest.raises(InvalidParameterError, match="cluster") as info:
        _run(front_end, cluster=["market", "market"], bootstrap=3, seed=1)
    assert "cluster=" in info.value.hint
