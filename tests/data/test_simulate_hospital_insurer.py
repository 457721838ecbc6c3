"""hospital-insurer simulator: the equilibrium against H2's NashInNashPrices fixed point (independent
computation), the price identity, reproducibility, a stored checksum, and beta/gamma recovery by OLS."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from scipy.optimize import brentq

from bargaining.data import validate_agreements
from bargaining.data.simulate import list_simulators, simulate
from bargaining.data.simulate.hospital_insurer import simulate_hospital_insurer
from bargaining.errors import InvalidParameterError, InvalidWeightError, UnknownNameError
from bargaining.models.nash_in_nash import NashInNashPrices


def rounded_csv_sha256(frame) -> str:
    """sha256 of the CSV of the frame with floats rounded to 10 significant digits (platform-stable)."""
    text = frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def test_same_seed_same_data_and_generator_seed():
    a = simulate_hospital_insurer(n_markets=3, seed=7).data
    b = simulate_hospital_insurer(n_markets=3, seed=7).data
    c = simulate_hospital_insurer(n_markets=3, seed=np.random.default_rng(7)).data
    assert a.equals(b) and a.equals(c)
    assert not a.equals(simulate_hospital_insurer(n_markets=3, seed=8).data)


def test_checksum_of_small_simulation():
    data = simulate_hospital_insurer(n_markets=2, n_hospitals=3, n_insurers=2, systems=[2, 1], seed=2024).data
    assert rounded_csv_sha256(data) == CHECKSUM


# computed once from this simulation (numpy PCG64 draws; values rounded to 10 significant digits)
CHECKSUM = "b5d7b6a0506fe6bc8f5d06c0ded281821e39bd0c3bf86a4769f81e44bd349ee9"


def test_price_identity_and_validation():
    sim = simulate_hospital_insurer(n_markets=5, systems=2, price_sd=0.0, seed=3)
    d = sim.data
    beta = sim.truth["beta"]
    np.testing.assert_allclose(d.price, d.seller_cost + beta * (d.buyer_value - d.seller_cost), rtol=1e-12)
    out = validate_agreements(
        d,
        price="price",
        buyer_value="buyer_value",
        seller_cost="seller_cost",
        market="market",
        buyer="insurer",
        seller="hospital",
        quantity="quantity",
    )
    assert out.n_used == len(d) == 5 * 5 * 4


@pytest.mark.parametrize("systems", [None, [2, 1], [3]])
def test_equilibrium_matches_nash_in_nash_prices_fixed_point(systems):
    """One market, 3 hospitals, 2 insurers with different beta: our linear solve vs H2's iterative solver
    built from the primitives (quantities, costs, log-sum willingness to pay)."""
    betas = [0.3, 0.7]
    sim = simulate_hospital_insurer(
        n_markets=1, n_hospitals=3, n_insurers=2, beta=betas, systems=systems, price_sd=0.0, seed=11
    )
    d = sim.data
    # primitives from the data: mc = C - r; shares s_h = q_h / N with N (enrollees) the number at which
    # wtp_drop = kappa (-log(1 - s)) / s gives one kappa for all of the insurer's hospitals
    cost = {(r.hospital, r.insurer): r.seller_cost - r.recapture for r in d.itertuples()}
    util, scale = {}, {}
    for insurer, block in d.groupby("insurer"):

        def kappa(n, block=block):
            s = block.quantity.to_numpy() / n
            return block.wtp_drop.to_numpy() * s / (-np.log1p(-s))

        total = block.quantity.sum()
        n_enrollees = brentq(lambda n: kappa(n)[0] - kappa(n)[1], total * (1 + 1e-9), total * 1e4, xtol=1e-10)
        shares = block.quantity.to_numpy() / n_enrollees
        scale[insurer] = (kappa(n_enrollees)[0], n_enrollees)
        for r, s in zip(block.itertuples(), shares, strict=True):
            util[(r.hospital, insurer)] = s / (1 - shares.sum())  # exp(u_h), outside option exp(0) = 1
    pairs = list(cost)

    def quantity(pair, agreements):
        insurer = pair[1]
        _, n = scale[insurer]
        denominator = 1 + sum(util[p] for p in agreements if p[1] == insurer)
        return n * util[pair] / denominator

    def buyer_value(insurer, agreements):
        k, n = scale[insurer]
        return k * n * np.log(1 + sum(util[p] for p in agreements if p[1] == insurer))

    weights = {
        "h1": 1.0,
        "h2": 1.0,
        "h3": 1.0,
        "I1": (1 - betas[0]) / betas[0],
        "I2": (1 - betas[1]) / betas[1],
    }
    system_map = None
    if systems is not None:
        system_map = {}
        start = 0
        for k, size in enumerate(systems):
            members = [f"h{j + 1}" for j in range(start, start + size)]
            start += size
            if size > 1:
                system_map[f"S{k}"] = members
    model = NashInNashPrices.per_unit(
        pairs,
        quantity=quantity,
        seller_cost=cost,
        buyer_value=buyer_value,
        weights=weights,
        systems=system_map,
        joint=False,
    )
    eq = model.solve(tol=1e-12, max_iter=500)
    for row in d.itertuples():
        assert eq.price_of((row.hospital, row.insurer)) == pytest.approx(row.price, rel=1e-7)
    for row in d.itertuples():
        solved = eq.prices.loc[f"{row.hospital}-{row.insurer}"]
        assert solved["seller_cost"] == pytest.approx(row.seller_cost, rel=1e-6, abs=1e-6)
        assert solved["buyer_value"] == pytest.approx(row.buyer_value, rel=1e-6)


def test_merger_raises_prices_of_merged_hospitals_only_through_recapture():
    alone = simulate_hospital_insurer(n_markets=20, seed=5).data
    merged = simulate_hospital_insurer(n_markets=20, systems=[2, 1, 1, 1], seed=5).data
    assert (alone.recapture == 0).all()
    inside = merged.hospital.isin(["h1", "h2"])
    assert (merged.recapture[inside] > 0).all() and (merged.recapture[~inside] == 0).all()
    assert (merged.price[inside] - alone.price[inside]).mean() > 0
    # the draws do not depend on systems: wtp_drop and quantities are identical
    assert np.array_equal(alone.wtp_drop, merged.wtp_drop) and np.array_equal(alone.quantity, merged.quantity)


def test_ols_recovers_beta_and_gamma_roughly():
    """Sanity check: p - r = beta (V - r) + (1 - beta)(gamma_0 + z'gamma) + (1 - beta) omega + e."""
    sim = simulate_hospital_insurer(n_markets=100, systems=[2, 1, 1, 1], beta=0.4, seed=1)
    d = sim.data
    X = np.column_stack([np.ones(len(d)), d.buyer_value - d.recapture, d.z1, d.z2])
    coef, *_ = np.linalg.lstsq(X, d.price - d.recapture, rcond=None)
    beta = coef[1]
    gamma = coef[[0, 2, 3]] / (1 - beta)
    assert beta == pytest.approx(0.4, abs=0.01)
    np.testing.assert_allclose(gamma, [6.0, 1.0, 0.5], atol=0.1)


def test_beta_by_insurer_and_logistic():
    sim = simulate_hospital_insurer(n_markets=10, beta=[0.2, 0.8], n_insurers=2, price_sd=0, seed=4)
    d = sim.data
    implied = (d.price - d.seller_cost) / (d.buyer_value - d.seller_cost)
    np.testing.assert_allclose(implied[d.insurer == "I1"], 0.2, rtol=1e-10)
    np.testing.assert_allclose(implied[d.insurer == "I2"], 0.8, rtol=1e-10)
    assert sim.truth["beta"] == {"I1": 0.2, "I2": 0.8}
    delta = {"Intercept": 0.2, "insurer_size": -1.0}
    sim = simulate_hospital_insurer(n_markets=10, delta=delta, price_sd=0, seed=4)
    d = sim.data
    implied = (d.price - d.seller_cost) / (d.buyer_value - d.seller_cost)
    np.testing.assert_allclose(implied, 1 / (1 + np.exp(-(0.2 - d.insurer_size))), rtol=1e-9)


def test_bad_parameters():
    with pytest.raises(InvalidWeightError, match="beta must be in"):
        simulate_hospital_insurer(beta=1.5)
    with pytest.raises(InvalidWeightError, match="one per insurer"):
        simulate_hospital_insurer(beta=[0.5, 0.5], n_insurers=3)
    with pytest.raises(InvalidParameterError, match="add up to"):
        simulate_hospital_insurer(systems=[2, 2], n_hospitals=5)
    with pytest.raises(InvalidParameterError, match="gains from trade"):
        simulate_hospital_insurer(n_markets=3, gamma=(100.0,), seed=1)
    with pytest.raises(InvalidParameterError, match="delta terms"):
        simulate_hospital_insurer(delta={"size": 1.0})


def test_registry():
    table = list_simulators()
    assert list(table.columns) == ["name", "description", "default_n"]
    assert {"hospital-insurer", "negotiations", "procurement"} <= set(table.name)
    sim = simulate("hospital_insurer", n=2, seed=1)
    assert sim.data.market.nunique() == 2
    assert json.loads(json.dumps(sim.truth)) == sim.truth  # plain JSON types
    assert "Observable in practice" in sim.description
    with pytest.raises(UnknownNameError, match="hospital-insurer"):
        simulate("hospitals")
    with pytest.raises(InvalidParameterError, match="both n and n_markets"):
        simulate("hospital-insurer", n=2, n_markets=3)


@pytest.mark.parametrize(
    ("params", "options"),
    [
        ({"beta": 0.4}, {"seller_cost": "seller_cost"}),
        ({"beta": [0.3, 0.5, 0.7, 0.4]}, {"weight_by": "insurer", "cost_formula": "~ 1 + z1 + z2"}),
        (
            {"delta": {"Intercept": -0.2, "insurer_size": 0.8, "hospital_quality": 0.5}},
            {"weight_formula": "~ 1 + insurer_size + hospital_quality", "seller_cost": "seller_cost"},
        ),
    ],
)
def test_truth_uses_fit_nash_parameter_names(params, options):
    """Every parameter fit_nash estimates on the simulated data has its true value under the same name."""
    from bargaining.estimate.nash_price import fit_nash

    sim = simulate_hospital_insurer(n_markets=20, seed=6, **params)
    if "cost_formula" in options:
        options = {**options, "recapture": "recapture", "instruments": "~ wtp_drop"}
    fit = fit_nash(sim.data, price="price", buyer_value="buyer_value", **options)
    assert set(fit.params.index) <= set(sim.truth)
    for name in fit.params.index:
        assert isinstance(sim.truth[name], float)
    if "delta" in params:
        assert sim.truth["delta[insurer_size]"] == 0.8 and sim.truth["delta"]["insurer_size"] == 0.8
    assert sim.truth["gamma[z2]"] == sim.truth["gamma"]["z2"] == 0.5


def test_simulated_prices_are_the_model_objects_equilibrium():
    """The simulator is a driver: HospitalInsurerMarkets rebuilt from the primitives in the data gives its
    prices."""
    from bargaining.models.nash_in_nash import HospitalInsurerMarkets

    sim = simulate_hospital_insurer(
        n_markets=3, n_hospitals=3, n_insurers=2, systems=[2, 1], price_sd=0.0, seed=9
    )
    d = sim.data
    shape = (3, 2, 3)
    quantity = d.quantity.to_numpy().reshape(shape)
    wtp_drop = d.wtp_drop.to_numpy().reshape(shape)

    def kappa(n, q, w):  # wtp_drop = kappa (-log(1 - s)) / s with s = q / n, solved for kappa
        return w * (q / n) / -np.log1p(-q / n)

    # enrollment N: the one at which every hospital of the insurer implies the same kappa
    enrollees = np.empty(shape[:2])
    for m in range(shape[0]):
        for i in range(shape[1]):
            q, w = quantity[m, i], wtp_drop[m, i]
            enrollees[m, i] = brentq(
                lambda n, q=q, w=w: kappa(n, q[0], w[0]) - kappa(n, q[1], w[1]),
                q.sum() * (1 + 1e-9),
                q.sum() * 1e4,
                xtol=1e-12,
            )
    share = quantity / enrollees[:, :, None]
    model = HospitalInsurerMarkets(
        utility=np.log(share / (1 - share.sum(axis=2, keepdims=True))),
        enrollees=enrollees,
        wtp_per_util=kappa(enrollees, quantity[:, :, 0], wtp_drop[:, :, 0]),
        marginal_cost=(d.seller_cost - d.recapture).to_numpy().reshape(shape),
        beta=sim.truth["beta"],
        systems=["s1", "s1", "s2"],
        recapture=sim.truth["recapture"],
    )
    eq = model.equilibrium()
    np.testing.assert_allclose(eq.price.ravel(), d.price, rtol=1e-8)
    np.testing.assert_allclose(eq.recapture.ravel(), d.recapture, rtol=1e-6, atol=1e-9)
