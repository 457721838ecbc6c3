"""Calibration with a market elasticity, seller weights by group and nested logit demand.

Data are generated from known parameters by solving the market (its equilibrium is checked independently in
test_merger_equilibrium.py and test_merger_nested.py); the market elasticity is computed here from its closed form
(logit: -alpha s_0 p_bar) or by finite differences of the shares, never by the calibration's formula.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bargaining import LogitDemand, NashInNashMarket, NestedLogitDemand, calibrate_market
from bargaining.errors import IdentificationError, InfeasibleProblemError, InvalidParameterError

DELTA = np.array([1.0, 0.3, -0.2, 0.5])
COST = np.array([1.0, 1.2, 0.8, 1.0])
OWNERS = ["A", "B", "B", "C"]


def logit_elasticity(alpha: float, price: np.ndarray, share: np.ndarray) -> float:
    """-alpha s_0 p_bar: a 1% rise in every inside price, logit closed form."""
    return float(-alpha * (1 - share.sum()) * (share @ price) / share.sum())


def brute_elasticity(demand: object, price: np.ndarray, h: float = 1e-6) -> float:
    """d log(sum_j s_j) / d log(price scale) by a central difference."""
    total = lambda scale: float(demand.shares(price * scale).sum())  # type: ignore[attr-defined]
    return (np.log(total(1 + h)) - np.log(total(1 - h))) / (2 * h)


def generate(beta: object, alpha: float = 0.9, demand: object | None = None) -> tuple[NashInNashMarket, np.ndarray,
                                                                                       np.ndarray, np.ndarray]:
    demand = LogitDemand(alpha, DELTA) if demand is None else demand
    market = NashInNashMarket(demand, seller=OWNERS, marginal_cost=COST, seller_weight=beta)  # type: ignore[arg-type]
    eqm = market.equilibrium()
    price, share = eqm["price"].to_numpy(), eqm["share"].to_numpy()
    return market, price, share, (price - COST) / price


def test_elasticity_and_one_margin_identify_alpha_and_the_weight() -> None:
    _, price, share, margin = generate(0.37)
    elasticity = logit_elasticity(0.9, price, share)
    fit = calibrate_market(price, share, seller=OWNERS, margin=[margin[0], np.nan, np.nan, np.nan],
                           market_elasticity=elasticity)
    assert fit.exact and fit.n_unknowns == 2
    assert fit.market.seller_weight == pytest.approx(0.37, abs=1e-6)
    assert fit.market.demand.alpha == pytest.approx(0.9, rel=1e-6)
    assert fit.market.marginal_cost == pytest.approx(COST, abs=1e-6)
    assert fit.fitted["market_elasticity"] == pytest.approx(elasticity, rel=1e-8)


def test_elasticity_identifies_the_outside_share_from_inside_shares() -> None:
    _, price, share, margin = generate(0.55)
    elasticity = logit_elasticity(0.9, price, share)
    inside = share / share.sum()
    fit = calibrate_market(price, inside, seller=OWNERS, margin=[margin[0], margin[1], np.nan, np.nan],
                           market_elasticity=elasticity)
    assert fit.exact and fit.n_unknowns == 3
    assert fit.outside_share == pytest.approx(1 - share.sum(), abs=1e-6)
    assert fit.market.seller_weight == pytest.approx(0.55, abs=1e-6)
    assert fit.market.demand.alpha == pytest.approx(0.9, rel=1e-6)
    assert fit.market.demand.shares(price).to_numpy() == pytest.approx(share, abs=1e-8)
    assert "outside_share" in fit.info.index


def test_weights_by_seller_recovered_exactly() -> None:
    truth = {"A": 0.3, "B": 0.6, "C": 0.45}
    _, price, share, margin = generate([truth[o] for o in OWNERS])
    fit = calibrate_market(price, share, seller=OWNERS, margin=margin, weight_by="seller")
    assert fit.exact
    assert fit.market.seller_weight == pytest.approx([truth[o] for o in OWNERS], abs=1e-6)
    assert fit.market.demand.alpha == pytest.approx(0.9, rel=1e-6)
    # groups given as labels: A alone, B and C together (overidentified: 4 margins, 3 unknowns, data from 0.4)
    _, price, share, margin = generate(0.4)
    fit = calibrate_market(price, share, seller=OWNERS, margin=margin, weight_by=["g1", "g2", "g2", "g2"])
    assert fit.exact and fit.n_unknowns == 3
    assert fit.market.seller_weight == pytest.approx(0.4, abs=1e-6)


def test_weights_by_buyer_in_a_chain() -> None:
    sellers, buyers = ["U1", "U2", "U1", "U2"], ["D1", "D1", "D2", "D2"]
    cu, cd = np.array([1.0, 1.2, 0.8, 1.0]), np.array([0.2, 0.1, 0.3, 0.2])
    beta = np.array([0.3, 0.3, 0.7, 0.7])
    market = NashInNashMarket(LogitDemand(0.9, DELTA), seller=sellers, buyer=buyers, upstream_cost=cu,
                              downstream_cost=cd, seller_weight=beta)
    eqm = market.equilibrium()
    p, w = eqm["price"].to_numpy(), eqm["wholesale_price"].to_numpy()
    fit = calibrate_market(p, eqm["share"], seller=sellers, buyer=buyers, wholesale_price=w,
                           margin=(p - w - cd) / p, wholesale_margin=[(w[0] - cu[0]) / w[0], np.nan,
                                                                      (w[2] - cu[2]) / w[2], np.nan],
                           weight_by="buyer")
    assert fit.exact
    assert fit.market.seller_weight == pytest.approx(beta, abs=1e-6)
    assert fit.market.upstream_cost == pytest.approx(cu, abs=1e-6)


def test_rounded_margins_land_within_what_rounding_allows() -> None:
    truth = {"A": 0.3, "B": 0.6, "C": 0.45}
    _, price, share, margin = generate([truth[o] for o in OWNERS])
    rounded = np.round(margin, 6)
    fit = calibrate_market(price, share, seller=OWNERS, margin=rounded, weight_by="seller")
    estimate = fit.market.seller_weight[[0, 1, 3]]
    # the rounding allows |d beta / d margin| * 5e-7 per margin; sensitivities by finite differences on exact data
    h = 1e-5
    sensitivity = np.zeros((3, 4))
    for i in range(4):
        bumped = margin.copy()
        bumped[i] += h
        up = calibrate_market(price, share, seller=OWNERS, margin=bumped, weight_by="seller")
        sensitivity[:, i] = (up.market.seller_weight[[0, 1, 3]] - np.array([0.3, 0.6, 0.45])) / h
    allowed = np.abs(sensitivity) @ np.full(4, 5e-7)
    assert np.all(np.abs(estimate - [0.3, 0.6, 0.45]) <= 1.01 * allowed + 1e-9)
    assert fit.max_error <= 1e-12   # exactly identified: the rounded margins are reproduced


@pytest.mark.parametrize("chain", [False, True])
def test_nested_logit_calibration_recovers_parameters(chain: bool) -> None:
    demand = NestedLogitDemand(0.9, DELTA, nests=list("aabb"), nesting_parameter=[0.5, 0.7])
    if chain:
        sellers, buyers = ["U1", "U2", "U1", "U2"], ["D1", "D1", "D2", "D2"]
        cu, cd = np.array([1.0, 1.2, 0.8, 1.0]), np.array([0.2, 0.1, 0.3, 0.2])
        market = NashInNashMarket(demand, seller=sellers, buyer=buyers, upstream_cost=cu, downstream_cost=cd,
                                  seller_weight=0.35)
        eqm = market.equilibrium()
        p, w = eqm["price"].to_numpy(), eqm["wholesale_price"].to_numpy()
        fit = calibrate_market(p, eqm["share"], seller=sellers, buyer=buyers, wholesale_price=w,
                               margin=[(p[0] - w[0] - cd[0]) / p[0], np.nan, np.nan, np.nan],
                               wholesale_margin=[np.nan, (w[1] - cu[1]) / w[1], np.nan, np.nan],
                               nests=list("aabb"), nesting_parameter=[0.5, 0.7])
        assert fit.market.upstream_cost == pytest.approx(cu, abs=1e-6)
        assert fit.market.downstream_cost == pytest.approx(cd, abs=1e-6)
    else:
        market, p, share, margin = generate(0.35, demand=demand)
        elasticity = brute_elasticity(demand, p)
        fit = calibrate_market(p, share, seller=OWNERS, margin=[margin[0], np.nan, np.nan, np.nan],
                               market_elasticity=elasticity, nests=list("aabb"), nesting_parameter=[0.5, 0.7])
        assert fit.market.marginal_cost == pytest.approx(COST, abs=1e-6)
    assert fit.exact
    assert fit.market.seller_weight == pytest.approx(0.35, abs=1e-6)
    assert fit.market.demand.alpha == pytest.approx(0.9, rel=1e-6)
    assert isinstance(fit.market.demand, NestedLogitDemand)
    assert fit.market.demand.mean_utility.to_numpy() == pytest.approx(DELTA, abs=1e-6)


def test_calibration_input_errors() -> None:
    _, price, share, margin = generate(0.4)
    one = [margin[0], np.nan, np.nan, np.nan]
    with pytest.raises(IdentificationError, match="seller weight") as info:   # 2 moments, 1 + 3 unknowns
        calibrate_market(price, share, seller=OWNERS, margin=one, market_elasticity=-1.0, weight_by="seller")
    assert info.value.hint
    with pytest.raises(IdentificationError, match="seller_weight\\[C\\]"):  # C's weight moves no given margin
        calibrate_market(price, share, seller=OWNERS, margin=[margin[0], margin[1], margin[2], np.nan],
                         market_elasticity=logit_elasticity(0.9, price, share), weight_by="seller")
    with pytest.raises(InvalidParameterError, match="negative"):
        calibrate_market(price, share, seller=OWNERS, margin=one, market_elasticity=1.2)
    with pytest.raises(InvalidParameterError, match="outside good"):
        calibrate_market(price, share / share.sum(), seller=OWNERS, margin=one, market_elasticity=-1.0,
                         normalize=0)
    with pytest.raises(InvalidParameterError, match="without nests"):
        calibrate_market(price, share, seller=OWNERS, margin=one, seller_weight=0.5, nesting_parameter=0.5)
    with pytest.raises(IdentificationError, match="nesting parameter") as nesting:   # 1 margin, alpha and lambda
        calibrate_market(price, share, seller=OWNERS, margin=one, seller_weight=0.5, nests=list("aabb"))
    assert "nesting_parameter=" in nesting.value.hint
    with pytest.raises(InvalidParameterError, match="weight_by"):
        calibrate_market(price, share, seller=OWNERS, margin=one, seller_weight=0.5, weight_by="seller")
    with pytest.raises(InvalidParameterError, match="buyer"):
        calibrate_market(price, share, seller=OWNERS, margin=margin, weight_by="buyer")
    # exactly identified but no weight in [0, 1] fits: an error, never a weight outside [0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InfeasibleProblemError) as infeasible:
            calibrate_market(price, share, seller=OWNERS, margin=[0.9, np.nan, np.nan, np.nan],
                             market_elasticity=5 * logit_elasticity(0.9, price, share))
    assert infeasible.value.hint


def test_nested_logit_calibration_without_outside_good() -> None:
    delta = DELTA - DELTA[1]
    demand = NestedLogitDemand(0.9, delta, nests=list("aabb"), nesting_parameter={"a": 0.5, "b": 0.7}, normalize=1)
    _, price, share, margin = generate(0.6, demand=demand)
    fit = calibrate_market(price, share, seller=OWNERS, margin=[np.nan, margin[1], np.nan, margin[3]],
                           normalize=1, nests=list("aabb"), nesting_parameter={"a": 0.5, "b": 0.7})
    assert fit.exact
    assert fit.market.seller_weight == pytest.approx(0.6, abs=1e-6)
    assert fit.market.demand.alpha == pytest.approx(0.9, rel=1e-6)
    assert fit.market.marginal_cost == pytest.approx(COST, abs=1e-6)
    assert fit.market.demand.mean_utility.to_numpy() == pytest.approx(delta, abs=1e-6)


def test_several_exact_fits_are_reported() -> None:
    """Per-seller weights and the outside share from inside shares: this exactly identified system has two
    exact roots (found by seeded starts); the calibration warns and lists them, the truth among them."""
    from bargaining.errors import IdentificationWarning

    truth = {"A": 0.3, "B": 0.6, "C": 0.45}
    _, price, share, margin = generate([truth[o] for o in OWNERS])
    with pytest.warns(IdentificationWarning, match="several parameter values") as caught:
        fit = calibrate_market(price, share / share.sum(), seller=OWNERS, margin=margin,
                               market_elasticity=logit_elasticity(0.9, price, share), weight_by="seller")
    assert fit.exact
    message = str(caught[0].message)
    assert f"(0.3, 0.6, 0.45, {1 - share.sum():.6g})" in message


def test_nested_rounded_margins_land_within_what_rounding_allows() -> None:
    nests, lam = list("aabb"), [0.5, 0.7]
    demand = NestedLogitDemand(0.9, DELTA, nests=nests, nesting_parameter=lam)
    _, price, share, margin = generate(0.4, demand=demand)
    known = np.array([margin[0], np.nan, margin[2], np.nan])

    def weight(values: np.ndarray) -> float:
        fit = calibrate_market(price, share, seller=OWNERS, margin=values, nests=nests, nesting_parameter=lam)
        return float(fit.market.seller_weight[0])

    assert weight(known) == pytest.approx(0.4, abs=1e-6)
    h = 1e-5
    slopes = [(weight(known + h * (np.arange(4) == i)) - 0.4) / h for i in (0, 2)]
    allowed = 5e-7 * sum(abs(x) for x in slopes)
    assert abs(weight(np.round(known, 6)) - 0.4) <= 1.01 * allowed + 1e-9


@pytest.mark.parametrize("weight_known", [True, False])
def test_nesting_parameter_is_calibrated_when_not_given(weight_known: bool) -> None:
    """Data from the nested-logit equilibrium at lambda = 0.6 (common) and weight 0.35; calibrating with nests and
    no nesting_parameter recovers lambda (and the weight, alpha, costs) from the margins: two margins identify
    alpha and lambda with the weight known, three add the weight."""
    demand = NestedLogitDemand(0.9, DELTA, nests=list("aabb"), nesting_parameter=0.6)
    _, price, share, margin = generate(0.35, demand=demand)
    given = [margin[0], np.nan, margin[2], np.nan] if weight_known else [margin[0], margin[1], margin[2], np.nan]
    fit = calibrate_market(price, share, seller=OWNERS, margin=given, nests=list("aabb"),
                           seller_weight=0.35 if weight_known else None)
    assert fit.exact
    assert fit.nesting_parameter == pytest.approx(0.6, abs=1e-6)
    assert fit.market.seller_weight == pytest.approx(0.35, abs=1e-6)
    assert fit.market.demand.alpha == pytest.approx(0.9, rel=1e-6)
    assert fit.market.marginal_cost == pytest.approx(COST, abs=1e-6)
    assert fit.info["nesting_parameter"] == "0.6"
    # one margin more than unknowns: least squares, still exact on exact data
    over = calibrate_market(price, share, seller=OWNERS, margin=margin, nests=list("aabb"))
    assert over.nesting_parameter == pytest.approx(0.6, abs=1e-6)
    assert over.market.seller_weight == pytest.approx(0.35, abs=1e-6)
