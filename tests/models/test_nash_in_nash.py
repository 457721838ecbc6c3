"""Nash-in-Nash transfers and prices, checked against hand computations written out below."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import optimize

from bargaining.errors import (
    ConvergenceError,
    DataValidationError,
    GainsFromTradeError,
    InvalidParameterError,
    InvalidWeightError,
    MissingColumnError,
)
from bargaining.models.nash_in_nash import NashInNash, NashInNashPrices, parse_agreements

# ----------------------------------------------------------------------------------------------------------
# A 2 x 2 network with externalities: hospitals h1, h2 (sellers), insurers i1, i2 (buyers), all four pairs.
# 60 enrollees choose insurers; insurer i with network N_i enrolls n_i = 60 (1 + |N_i|) / (2 + |N_1| + |N_2|)
# (a bigger network attracts enrollees from the rival: the externality). An enrollee is worth
# a(N_i) = 0, 1, 1.5 to the insurer for 0, 1, 2 hospitals: pi_i = n_i a(N_i). Enrollees of i split evenly over
# N_i; a patient costs hospital h c_h (c_h1 = 0.1, c_h2 = 0.2): pi_h = -c_h * patients (before payments).
# The same numbers are in bargaining/data/examples/nash_in_nash_payoffs.csv.
PAIRS = [("h1", "i1"), ("h1", "i2"), ("h2", "i1"), ("h2", "i2")]
COST = {"h1": 0.1, "h2": 0.2}
VALUE_PER_ENROLLEE = {0: 0.0, 1: 1.0, 2: 1.5}


def _network(insurer, agreements):
    return {h for (h, i) in agreements if i == insurer}


def _enrollment(insurer, agreements):
    rival = "i2" if insurer == "i1" else "i1"
    own, other = len(_network(insurer, agreements)), len(_network(rival, agreements))
    return 60 * (1 + own) / (2 + own + other)


def make_payoff(cost=COST):
    def payoff(agent, agreements):
        if agent.startswith("i"):
            return _enrollment(agent, agreements) * VALUE_PER_ENROLLEE[len(_network(agent, agreements))]
        patients = sum(
            _enrollment(i, agreements) / len(_network(i, agreements))
            for i in ("i1", "i2")
            if (agent, i) in agreements
        )
        return -cost[agent] * patients

    return payoff


# Hand computation.
# G (all four): n_1 = n_2 = 60 * 3/6 = 30; pi_i = 30 * 1.5 = 45; each hospital treats 15 + 15 = 30 patients:
#   pi_h1 = -3, pi_h2 = -6.
# G \ h1-i1: N_i1 = {h2}, N_i2 = {h1, h2}; n_1 = 60 * 2/5 = 24, n_2 = 36. pi_i1 = 24 * 1 = 24.
#   h1 treats 36/2 = 18 (it recaptures patients through i2): pi_h1 = -1.8.
#   Delta pi_h1 = -3 - (-1.8) = -1.2, Delta pi_i1 = 45 - 24 = 21.
# G \ h1-i2: by symmetry Delta pi_h1 = -1.2, Delta pi_i2 = 21.
# G \ h2-i1: h2 treats 18: pi_h2 = -3.6, Delta pi_h2 = -6 + 3.6 = -2.4; Delta pi_i1 = 45 - 24 = 21.
# G \ h2-i2: Delta pi_h2 = -2.4, Delta pi_i2 = 21.
# Weights b_h1 = 1, b_h2 = 2, b_i1 = 1, b_i2 = 3; p_ij = (b_i dpi_j - b_j dpi_i) / (b_i + b_j):
#   h1-i1: (1 * 21 + 1 * 1.2) / 2 = 11.1        h1-i2: (1 * 21 + 3 * 1.2) / 4 = 6.15
#   h2-i1: (2 * 21 + 1 * 2.4) / 3 = 14.8        h2-i2: (2 * 21 + 3 * 2.4) / 5 = 9.84
# Design convention: h2-i2 has C = 2.4, V = 21, beta = 2/5: 2.4 + 0.4 * 18.6 = 9.84.
WEIGHTS = {"h1": 1, "h2": 2, "i1": 1, "i2": 3}
HAND = pd.DataFrame(
    {
        "i": ["h1", "h1", "h2", "h2"],
        "j": ["i1", "i2", "i1", "i2"],
        "gain_i": [-1.2, -1.2, -2.4, -2.4],
        "gain_j": [21.0, 21.0, 21.0, 21.0],
        "transfer": [11.1, 6.15, 14.8, 9.84],
    },
    index=pd.Index(["h1-i1", "h1-i2", "h2-i1", "h2-i2"], name="agreement"),
)


def test_two_by_two_with_externalities_matches_hand_computation():
    table = NashInNash(PAIRS, make_payoff(), WEIGHTS).transfers()
    assert list(table.columns) == ["i", "j", "gain_i", "gain_j", "transfer"]
    pd.testing.assert_frame_equal(table, HAND, check_exact=False, rtol=0, atol=1e-12)


def test_payoffs_include_transfers_and_conserve_total():
    # h1: -3 + 11.1 + 6.15 = 14.25; h2: -6 + 14.8 + 9.84 = 18.64; i1: 45 - 11.1 - 14.8 = 19.1;
    # i2: 45 - 6.15 - 9.84 = 29.01. Transfers cancel, so the payoffs sum to sum pi(G) = 81.
    payoffs = NashInNash(PAIRS, make_payoff(), WEIGHTS).payoffs()
    expected = {"h1": 14.25, "h2": 18.64, "i1": 19.1, "i2": 29.01}
    for agent, value in expected.items():
        assert payoffs.loc[agent, "payoff"] == pytest.approx(value, abs=1e-12)
    assert payoffs["pi"].sum() == pytest.approx(81.0, abs=1e-12)
    assert payoffs["payoff"].sum() == pytest.approx(81.0, abs=1e-12)


def test_transfer_solves_the_bilateral_nash_product():
    # Independent check of the formula: maximize b_i log(dpi_i + p) + b_j log(dpi_j - p) numerically.
    table = NashInNash(PAIRS, make_payoff(), WEIGHTS).transfers()
    for _, row in table.iterrows():
        b_i, b_j = WEIGHTS[row.i], WEIGHTS[row.j]
        # first-order condition of the log Nash product, solved by bracketing
        root = optimize.brentq(
            lambda p, row=row, b_i=b_i, b_j=b_j: b_i / (row.gain_i + p) - b_j / (row.gain_j - p),
            -row.gain_i + 1e-9,
            row.gain_j - 1e-9,
            xtol=1e-14,
        )
        assert root == pytest.approx(row.transfer, abs=1e-10)


def test_from_table_csv_example_equals_function():
    from importlib import resources

    path = resources.files("bargaining.data") / "examples" / "nash_in_nash_payoffs.csv"
    with resources.as_file(path) as file:
        frame = pd.read_csv(file, keep_default_na=False)
    model = NashInNash.from_table(frame, WEIGHTS)
    assert model.network.pairs == tuple(PAIRS)  # inferred, in order of first appearance
    pd.testing.assert_frame_equal(model.transfers(), HAND, check_exact=False, rtol=0, atol=1e-12)
    # G for all four agents plus the two parties of each of the four single removals: 4 + 8 of 64 rows.
    model.payoffs()
    assert (model.table.n_used, model.table.n_rows) == (12, 64)


def test_table_forms_agree_wide_long_mapping():
    payoff = make_payoff()
    sets = [frozenset(PAIRS)] + [frozenset(PAIRS) - {pair} for pair in PAIRS]
    labels = [";".join(f"{i}-{j}" for i, j in PAIRS if (i, j) in s) for s in sets]
    agents = ["h1", "h2", "i1", "i2"]
    wide = pd.DataFrame({"agreements": labels, **{a: [payoff(a, s) for s in sets] for a in agents}})
    mapping = {s: {a: payoff(a, s) for a in agents} for s in sets}
    for table in (wide, mapping):
        got = NashInNash.from_table(table, WEIGHTS, pairs=PAIRS).transfers()
        pd.testing.assert_frame_equal(got, HAND, check_exact=False, rtol=0, atol=1e-12)
    # the constructor takes a table directly too
    got = NashInNash(PAIRS, mapping, WEIGHTS).transfers()
    pd.testing.assert_frame_equal(got, HAND, check_exact=False, rtol=0, atol=1e-12)


def test_merger_joint_bargaining_raises_insurer_payment():
    # System sys = {h1, h2} bargains with i1 over {h1-i1, h2-i1}; disagreement drops both.
    # G \ {h1-i1, h2-i1}: N_i1 = {}, n_1 = 60 * 1/4 = 15, worth 0: pi_i1 = 0 -> Delta pi_i1 = 45.
    #   N_i2 = {h1, h2}, n_2 = 45; each hospital treats 22.5: pi_sys = -2.25 - 4.5 = -6.75,
    #   Delta pi_sys = -9 + 6.75 = -2.25.
    # Equal weights: P = (45 + 2.25) / 2 = 23.625. Before the merger (equal weights) i1 paid
    # (21 + 1.2)/2 + (21 + 2.4)/2 = 11.1 + 11.7 = 22.8: losing both substitutes at once hurts i1 more
    # (45 > 21 + 21), so the merged system extracts more.
    before = NashInNash(PAIRS, make_payoff()).transfers()
    assert before.loc[["h1-i1", "h2-i1"], "transfer"].sum() == pytest.approx(22.8, abs=1e-12)
    merged = NashInNash(PAIRS, make_payoff(), systems={"sys": ["h1", "h2"]})
    table = merged.transfers()
    assert list(table.index) == ["h1-i1;h2-i1", "h1-i2;h2-i2"]
    row = table.loc["h1-i1;h2-i1"]
    assert (row.i, row.j) == ("sys", "i1")
    assert row.gain_i == pytest.approx(-2.25, abs=1e-12)
    assert row.gain_j == pytest.approx(45.0, abs=1e-12)
    assert row.transfer == pytest.approx(23.625, abs=1e-12)
    payoffs = merged.payoffs()
    assert list(payoffs.index) == ["sys", "i1", "i2"]
    assert payoffs.loc["sys", "payoff"] == pytest.approx(-9 + 2 * 23.625, abs=1e-12)


def test_merger_separate_bargaining_pools_profits():
    # joint=False: sys negotiates h1-i1 alone but counts h2. G \ h1-i1: h1 -1.8, h2 treats 24 + 18 = 42,
    # -8.4. Delta pi_sys = -9 - (-10.2) = +1.2 (h2 is the costlier hospital); Delta pi_i1 = 21.
    # Equal weights: p = (21 - 1.2) / 2 = 9.9.
    table = NashInNash(PAIRS, make_payoff(), systems={"sys": ["h1", "h2"]}, joint=False).transfers()
    assert len(table) == 4
    assert table.loc["h1-i1", "gain_i"] == pytest.approx(1.2, abs=1e-12)
    assert table.loc["h1-i1", "transfer"] == pytest.approx(9.9, abs=1e-12)


def test_vertical_integration_internal_pair_not_negotiated():
    # v = {h1, i1}: h1-i1 is internal. Bundle h2-i1 (seller h2, buyer v): pi_v(G) = -3 + 45 = 42;
    # G \ h2-i1 = {h1-i1, h1-i2, h2-i2}: N_i1 = {h1}, N_i2 = {h1, h2}: n_1 = 24, n_2 = 36;
    # h1 treats 24 + 18 = 42
    # (-4.2), pi_i1 = 24, so pi_v = 19.8 and Delta pi_v = 22.2; Delta pi_h2 = -2.4. Equal weights:
    # p = (22.2 + 2.4) / 2 = 12.3.
    table = NashInNash(PAIRS, make_payoff(), systems={"v": ["h1", "i1"]}).transfers()
    assert "h1-i1" not in table.index
    assert table.loc["h2-i1", "j"] == "v"
    assert table.loc["h2-i1", "gain_j"] == pytest.approx(22.2, abs=1e-12)
    assert table.loc["h2-i1", "transfer"] == pytest.approx(12.3, abs=1e-12)


def test_weight_zero_edge_cases():
    # b_seller = 0: p = -Delta pi_i (C): the seller is just compensated. b_buyer = 0: p = Delta pi_j (V).
    table = NashInNash(PAIRS, make_payoff(), {"h1": 0, "h2": 0, "i1": 1, "i2": 1}).transfers()
    np.testing.assert_allclose(table["transfer"], [1.2, 1.2, 2.4, 2.4], atol=1e-12)
    table = NashInNash(PAIRS, make_payoff(), {"h1": 1, "h2": 1, "i1": 0, "i2": 0}).transfers()
    np.testing.assert_allclose(table["transfer"], [21, 21, 21, 21], atol=1e-12)
    # Only ratios matter: scaling all weights changes nothing.
    scaled = NashInNash(PAIRS, make_payoff(), {k: 7.5 * v for k, v in WEIGHTS.items()}).transfers()
    pd.testing.assert_frame_equal(scaled, HAND, check_exact=False, rtol=0, atol=1e-12)
    with pytest.raises(InvalidWeightError, match="h1-i1"):
        NashInNash(PAIRS, make_payoff(), {"h1": 0, "h2": 1, "i1": 0, "i2": 1})


def test_gains_from_trade_failure_names_every_failing_pair():
    # c_h2 = 10: Delta pi_h2 = -10 * (30 - 18) = -120 < -21, so h2-i1 and h2-i2 fail; the h1 pairs do not.
    model = NashInNash(PAIRS, make_payoff({"h1": 0.1, "h2": 10.0}), WEIGHTS)
    with pytest.raises(GainsFromTradeError) as info:
        model.transfers()
    message = str(info.value)
    assert "h2-i1" in message and "h2-i2" in message
    assert "h1-i1" not in message and "h1-i2" not in message
    assert info.value.hint
    # zero total gains fail too (the assumption is strict)
    zero = {frozenset([("s", "b")]): {"s": -1.0, "b": 1.0}, frozenset(): {"s": 0.0, "b": 0.0}}
    with pytest.raises(GainsFromTradeError, match="s-b"):
        NashInNash([("s", "b")], zero).transfers()
    # gains() still reports the numbers
    assert model.gains().loc["h2-i1", "gain_i"] == pytest.approx(-120, abs=1e-9)


@pytest.mark.parametrize(
    ("weights", "pattern"),
    [
        ({"h1": -1, "h2": 1, "i1": 1, "i2": 1}, ">= 0"),
        ({"h1": float("nan"), "h2": 1, "i1": 1, "i2": 1}, "finite"),
        ({"h1": float("inf"), "h2": 1, "i1": 1, "i2": 1}, "finite"),
        ({"h1": 1, "h2": 1, "i1": 1}, "i2"),
        ({"h1": 1, "h2": 1, "i1": 1, "i2": 1, "zz": 1}, "zz"),
        ({"h1": "x", "h2": 1, "i1": 1, "i2": 1}, "not a number"),
        ([1, 2, 3, 4], "map"),
    ],
)
def test_bad_weights(weights, pattern):
    with pytest.raises(InvalidWeightError, match=pattern):
        NashInNash(PAIRS, make_payoff(), weights)


def test_system_weights():
    # members with equal weights pass it on; different weights need an explicit system weight
    NashInNash(
        PAIRS, make_payoff(), {"h1": 2, "h2": 2, "i1": 1, "i2": 1}, systems={"s": ["h1", "h2"]}
    ).transfers()
    with pytest.raises(InvalidWeightError, match="'s'"):
        NashInNash(PAIRS, make_payoff(), WEIGHTS, systems={"s": ["h1", "h2"]})
    table = NashInNash(PAIRS, make_payoff(), {**WEIGHTS, "s": 1}, systems={"s": ["h1", "h2"]}).transfers()
    # s vs i1 with b = 1, 1: 23.625 (hand computation above)
    assert table.loc["h1-i1;h2-i1", "transfer"] == pytest.approx(23.625, abs=1e-12)


@pytest.mark.parametrize(
    ("pairs", "systems", "pattern"),
    [
        ([("a", "a")], None, "same agent"),
        ([("a", "b"), ("b", "a")], None, "twice"),
        ([], None, "empty"),
        ("a-b", None, "list"),
        ([("a", "b", "c")], None, "not an agreement"),
        ([("a", "b")], {"s": ["a", "zz"]}, "zz"),
        ([("a", "b"), ("c", "d")], {"s": ["a", "c"], "t": ["a", "d"]}, "two systems"),
        ([("a", "b")], {"a": ["a", "b"]}, "agent's name"),
        ([("a", "b")], {"s": []}, "no members"),
    ],
)
def test_bad_network(pairs, systems, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        NashInNash(pairs, lambda agent, agreements: 0.0, systems=systems)


def test_bad_payoffs():
    with pytest.raises(InvalidParameterError, match="finite"):
        NashInNash([("a", "b")], lambda agent, agreements: math.nan).transfers()
    with pytest.raises(InvalidParameterError, match="payoff must be"):
        NashInNash([("a", "b")], 3.0)
    # a table missing the row of b at the empty set
    table = pd.DataFrame(
        {"agreements": ["a-b", "a-b", ""], "agent": ["a", "b", "a"], "payoff": [0.0, 5.0, 1.0]}
    )
    with pytest.raises(DataValidationError, match="agent 'b'"):
        NashInNash.from_table(table).transfers()


@pytest.mark.parametrize(
    ("frame", "error", "pattern"),
    [
        (pd.DataFrame({"sets": ["a-b"], "agent": ["a"], "payoff": [1.0]}), MissingColumnError, "agreements"),
        (pd.DataFrame({"agreements": ["a-b"], "agent": ["a"]}), MissingColumnError, "payoff"),
        (
            pd.DataFrame({"agreements": ["a-b"], "agent": ["a"], "payoff": ["x"]}),
            DataValidationError,
            "finite",
        ),
        (
            pd.DataFrame({"agreements": ["a-b"], "agent": ["a"], "payoff": [np.inf]}),
            DataValidationError,
            "finite",
        ),
        (
            pd.DataFrame({"agreements": ["a-b", "a-b"], "agent": ["a", "a"], "payoff": [1, 2]}),
            DataValidationError,
            "two payoffs",
        ),
        (
            pd.DataFrame({"agreements": ["a+b"], "agent": ["a"], "payoff": [1.0]}),
            DataValidationError,
            "SELLER-BUYER",
        ),
        (
            pd.DataFrame({"agreements": ["a-b-c"], "agent": ["a"], "payoff": [1.0]}),
            DataValidationError,
            "a-b-c",
        ),
        (
            pd.DataFrame({"agreements": ["a-b"], "agent": [""], "payoff": [1.0]}),
            DataValidationError,
            "agent name",
        ),
        (
            pd.DataFrame({"agreements": [""], "agent": ["a"], "payoff": [1.0]}),
            DataValidationError,
            "no agreement",
        ),
        (pd.DataFrame({"agreements": [], "agent": [], "payoff": []}), DataValidationError, "no rows"),
    ],
)
def test_bad_tables(frame, error, pattern):
    with pytest.raises(error, match=pattern):
        NashInNash.from_table(frame)


def test_table_pair_outside_pairs_is_reported():
    table = {"a-b;c-d": {"a": 1.0}, "a-b": {"a": 0.0}}
    with pytest.raises(DataValidationError, match="c-d"):
        NashInNash.from_table(table, pairs=[("a", "b")])


def test_parse_agreements():
    assert parse_agreements(" h1-i1 ; h2-i1 ") == frozenset({("h1", "i1"), ("h2", "i1")})
    assert parse_agreements("") == frozenset() == parse_agreements("none") == parse_agreements(None)
    assert parse_agreements(float("nan")) == frozenset()
    assert parse_agreements([("a", "b"), "c-d"]) == frozenset({("a", "b"), ("c", "d")})


# ----------------------------------------------------------------------------------------------------------
# Per-unit prices. Two hospitals h1, h2, one insurer m, 100 patients each; when h drops out, a share D of its
# patients move to the other hospital (the rest go untreated). Cost c and insurer value v per patient.
def two_hospitals(diversion=0.5, weights=None, systems=None, cost=2.0, value=10.0):
    def quantity(pair, agreements):
        other = "h2" if pair[0] == "h1" else "h1"
        return 100.0 if (other, "m") in agreements else 100.0 * (1 + diversion)

    return NashInNashPrices.per_unit(
        [("h1", "m"), ("h2", "m")],
        quantity=quantity,
        seller_cost=cost,
        buyer_value=value,
        weights=weights,
        systems=systems,
    )


# Separate bargaining, pair h1-m, other price p2 (q = 100):
#   Delta pi_h1 = (p1 - c) q                                      -> C = c
#   Delta pi_m  = [2 v q - p1 q - p2 q] - [v (1 + D) q - p2 (1 + D) q] = q [v (1 - D) + D p2 - p1]
#                                                                 -> V = v (1 - D) + D p2
#   p1 = C + beta (V - C); symmetric fixed point: p (1 - beta D) = (1 - beta) c + beta (1 - D) v.
def separate_price(beta, c=2.0, v=10.0, d=0.5):
    return ((1 - beta) * c + beta * (1 - d) * v) / (1 - beta * d)


@pytest.mark.parametrize("method", ["newton", "fixed-point", "root"])
@pytest.mark.parametrize(("weights", "beta"), [(None, 0.5), ({"h1": 1, "h2": 1, "m": 2}, 1 / 3)])
def test_two_hospitals_fixed_point_closed_form(method, weights, beta):
    # beta = 1/2: p = (1 + 2.5) / 0.75 = 14/3; beta = 1/3: p = (4/3 + 5/3) / (5/6) = 3.6.
    expected = {0.5: 14 / 3, 1 / 3: 3.6}[beta]
    assert separate_price(beta) == pytest.approx(expected, abs=1e-14)
    result = two_hospitals(weights=weights).solve(method=method)
    assert result.converged and result.method == method
    assert result.residual <= 1e-10 * expected
    np.testing.assert_allclose(result.prices["price"], [expected, expected], rtol=0, atol=1e-8)
    assert result.price_of(("h1", "m")) == pytest.approx(expected, abs=1e-8)
    # threat points: C = 2, V = 5 + 0.5 p; and price = C + beta (V - C)
    row = result.prices.loc["h1-m"]
    assert row.seller_cost == pytest.approx(2.0, abs=1e-8)
    assert row.buyer_value == pytest.approx(5 + 0.5 * expected, abs=1e-8)
    assert row.beta == pytest.approx(beta)
    assert row.price == pytest.approx(
        row.seller_cost + row.beta * (row.buyer_value - row.seller_cost), abs=1e-9
    )


def test_merger_joint_price_rises_as_theory_predicts():
    # Joint: sys = {h1, h2} vs m, common price x, disagreement drops both:
    #   Delta pi_sys = (x - c) 200, Delta pi_m = (v - x) 200  ->  x = c + beta (v - c) = 2 + 0.5 * 8 = 6.
    # Before: 14/3. x - p* = beta D (1 - beta)(v - c) / (1 - beta D) = 0.5*0.5*0.5*8 / 0.75 = 4/3 > 0: merging
    # substitutes removes the insurer's option of shifting patients to the other hospital at its price.
    before = two_hospitals().solve()
    after = two_hospitals(systems={"sys": ["h1", "h2"]}).solve()
    assert list(after.prices.index) == ["h1-m;h2-m"]
    assert after.price_of("h2-m") == pytest.approx(6.0, abs=1e-8)
    assert after.price_of("h1-m") - before.price_of("h1-m") == pytest.approx(4 / 3, abs=1e-8)
    assert after.prices.loc["h1-m;h2-m", "gain_i"] == pytest.approx(800.0, abs=1e-6)
    assert after.payoffs.loc["sys", "profit"] == pytest.approx(800.0, abs=1e-6)


def test_weight_edge_cases_for_prices():
    # b_h = 0: p = C = c = 2. b_m = 0: p = V = v (1 - D) + D p  ->  p = v = 10.
    result = two_hospitals(weights={"h1": 0, "h2": 0, "m": 1}).solve()
    np.testing.assert_allclose(result.prices["price"], 2.0, atol=1e-8)
    np.testing.assert_allclose(result.prices["gain_i"], 0.0, atol=1e-6)
    result = two_hospitals(weights={"h1": 1, "h2": 1, "m": 0}).solve()
    np.testing.assert_allclose(result.prices["price"], 10.0, atol=1e-8)


# One hospital h, two insurers i1 (100 patients at h, value v1 = 10) and i2 (60 patients, v2 = 8); c = 2.
# If i1 drops h, half of i1's patients switch insurer to keep h: q_h,i2 = 60 + 50 = 110. If i2 drops h, a
# quarter of its patients switch: q_h,i1 = 100 + 15 = 115. Weights b_h = 1, b_i1 = 1, b_i2 = 3:
# beta_1 = 1/2, beta_2 = 1/4.
#   h-i1: Delta pi_h = 100 (p1 - c) - 50 (p2 - c)  (margins recaptured through i2)  -> C1 = c + 0.5 (p2 - c),
#         Delta pi_i1 = 100 (v1 - p1)                                               -> V1 = 10.
#         p1 = (1 - 1/2) C1 + (1/2) V1 = 5.5 + 0.25 p2.
#   h-i2: C2 = c + 0.25 (p1 - c) = 1.5 + 0.25 p1, V2 = 8; p2 = (3/4) C2 + (1/4) 8 = 3.125 + 0.1875 p1.
#   p1 = 5.5 + 0.25 (3.125 + 0.1875 p1)  ->  p1 (61/64) = 201/32  ->  p1 = 402/61, p2 = 266/61.
def one_hospital(d1=0.5, d2=0.25, weights=None):
    base = {("h", "i1"): 100.0, ("h", "i2"): 60.0}

    def quantity(pair, agreements):
        other = ("h", "i2") if pair == ("h", "i1") else ("h", "i1")
        if other in agreements:
            return base[pair]
        return base[pair] + (d1 if other == ("h", "i1") else d2) * base[other]

    return NashInNashPrices.per_unit(
        [("h", "i1"), ("h", "i2")],
        quantity=quantity,
        seller_cost={"h": 2.0},
        buyer_value={"i1": 10.0, "i2": 8.0},
        weights=weights or {"h": 1, "i1": 1, "i2": 3},
    )


@pytest.mark.parametrize("method", ["newton", "fixed-point", "root"])
def test_seller_recapture_asymmetric_fixed_point(method):
    result = one_hospital().solve(method=method, start=5.0)
    assert result.price_of("h-i1") == pytest.approx(402 / 61, abs=1e-8)
    assert result.price_of("h-i2") == pytest.approx(266 / 61, abs=1e-8)
    assert result.prices.loc["h-i1", "seller_cost"] == pytest.approx(2 + 0.5 * (266 / 61 - 2), abs=1e-8)


def test_convergence_failure_raises_with_progress():
    # Symmetric one hospital, two insurers with diversion D = 3 (out of range on purpose), beta = 1/2:
    # p_k - c = beta (v - c) + (1 - beta) D (p_other - c): the Jacobi map has slope 1.5 > 1, so the iteration
    # diverges for every damping (eigenvalue 1 + 0.5 damping). The fixed point itself exists:
    # p - c = 0.5 * 8 / (1 - 1.5) = -8, p = -6, which the root finder reaches.
    model = NashInNashPrices.per_unit(
        [("h", "i1"), ("h", "i2")],
        quantity=lambda pair, agreements: 100.0 if len(agreements) == 2 else 400.0,
        seller_cost=2.0,
        buyer_value=10.0,
    )
    with pytest.raises(ConvergenceError, match="diverged"):
        model.solve(method="fixed-point", max_iter=10_000)
    with pytest.raises(ConvergenceError, match=r"3 iterations.*remaining price change"):
        model.solve(method="fixed-point", max_iter=3, damping=0.5)
    root = model.solve(method="root")
    np.testing.assert_allclose(root.prices["price"], -6.0, atol=1e-8)
    newton = model.solve()  # Newton on all conditions at once does not need the map to contract
    np.testing.assert_allclose(newton.prices["price"], -6.0, atol=1e-8)
    assert newton.converged and newton.method == "newton" and newton.iterations <= 3
    # slow contraction: a true fixed point but too few iterations (two hospitals, beta D = 0.25)
    with pytest.raises(ConvergenceError, match="did not converge in 2 iterations"):
        two_hospitals().solve(method="fixed-point", max_iter=2)


def test_nonlinear_own_price_quantity():
    # One seller, one buyer, quantity A - p (A = 10), cost c = 2: pi_s = (p - c)(A - p), pi_b = (A - p)^2 / 2.
    # max b_s log((p - c)(A - p)) + b_b log((A - p)^2 / 2):  b_s/(p - c) - (b_s + 2 b_b)/(A - p) = 0
    #   -> p = (b_s A + (b_s + 2 b_b) c) / (2 (b_s + b_b)); b_s = 2, b_b = 1: p = (20 + 8) / 6 = 14/3.
    def profit(agent, agreements, prices):
        if ("s", "b") not in agreements:
            return 0.0
        p = prices[("s", "b")]
        return (p - 2.0) * (10.0 - p) if agent == "s" else (10.0 - p) ** 2 / 2

    result = NashInNashPrices([("s", "b")], profit, {"s": 2, "b": 1}).solve(start=3.0)
    assert result.price_of(("s", "b")) == pytest.approx(14 / 3, abs=1e-8)
    assert result.iterations > 1  # not affine: several linearization steps


def test_prices_gains_from_trade_failure():
    # h2's cost 12 exceeds the value 10: whatever the price, h2-m cannot benefit both sides.
    model = two_hospitals(cost={"h1": 2.0, "h2": 12.0}, diversion=0.0)
    with pytest.raises(GainsFromTradeError, match="h2-m") as info:
        model.solve()
    assert "h1-m" not in str(info.value)


def test_prices_bad_inputs():
    with pytest.raises(InvalidParameterError, match="method"):
        two_hospitals().solve(method="bisection")
    with pytest.raises(InvalidParameterError, match="damping"):
        two_hospitals().solve(damping=0)
    with pytest.raises(InvalidParameterError, match="start"):
        two_hospitals().solve(start={"zz-m": 1.0})
    zero = NashInNashPrices.per_unit(
        [("h", "m")], quantity=lambda pair, agreements: 0.0, seller_cost=1.0, buyer_value=2.0
    )
    with pytest.raises(InvalidParameterError, match="seller"):
        zero.solve()
    with pytest.raises(InvalidParameterError, match="negative"):
        NashInNashPrices.per_unit(
            [("h", "m")], quantity=lambda pair, agreements: -1.0, seller_cost=1.0, buyer_value=2.0
        ).solve()
    with pytest.raises(InvalidParameterError, match="seller_cost"):
        NashInNashPrices.per_unit(
            [("h", "m")], quantity=lambda pair, agreements: 1.0, seller_cost={"x": 1.0}, buyer_value=2.0
        )
    with pytest.raises(InvalidParameterError, match="profit must be"):
        NashInNashPrices([("h", "m")], None)
    with pytest.raises(InvalidWeightError):
        two_hospitals(weights={"h1": -1, "h2": 1, "m": 1})


def test_separate_bargaining_with_pooled_profits_internalizes_recapture():
    # joint=False, sys = {h1, h2}: pair h1-m alone, but sys keeps the margin on patients moving to h2:
    #   Delta pi_sys = (p1 - c) q - (p2 - c) D q  -> C = c + D (p2 - c);  V = v (1 - D) + D p2 (as before).
    #   Symmetric: p = (1 - beta)(c + D (p - c)) + beta (v (1 - D) + D p)
    #   -> p (1 - D) = (1 - D)((1 - beta) c + beta v) -> p = c + beta (v - c) = 6: here the same price as
    #   joint bargaining, above the 14/3 of independent hospitals.
    model = NashInNashPrices.per_unit(
        [("h1", "m"), ("h2", "m")],
        quantity=lambda pair, agreements: 100.0 if len(agreements) == 2 else 150.0,
        seller_cost=2.0,
        buyer_value=10.0,
        systems={"sys": ["h1", "h2"]},
        joint=False,
    )
    result = model.solve()
    assert list(result.prices.index) == ["h1-m", "h2-m"]
    np.testing.assert_allclose(result.prices["price"], 6.0, atol=1e-8)
    np.testing.assert_allclose(result.prices["seller_cost"], 2 + 0.5 * 4, atol=1e-8)


def test_vertical_integration_prices():
    # v = {h1, m}: h1-m is internal (price 0 inside the firm). Bundle h2-m, seller h2, buyer v:
    #   pi_v(G) = (v - c) q + (v - p2) q;  without h2-m, h1 treats q (1 + D): pi_v = (v - c) q (1 + D)
    #   Delta pi_v = q [(v - p2) - D (v - c)]  -> V = v - D (v - c) = 6;  C = c = 2
    #   p2 = 2 + 0.5 * (6 - 2) = 4.
    result = two_hospitals(systems={"v": ["h1", "m"]}).solve()
    assert list(result.prices.index) == ["h2-m"]
    assert result.price_of("h2-m") == pytest.approx(4.0, abs=1e-8)
    assert result.prices.loc["h2-m", "buyer_value"] == pytest.approx(6.0, abs=1e-8)


def test_buyer_value_as_function_matches_per_unit_value():
    # W_m(A) = v * (total patients treated) is the per-unit form with v = 10: the same prices (14/3).
    def quantity(pair, agreements):
        return 100.0 if len(agreements) == 2 else 150.0

    model = NashInNashPrices.per_unit(
        [("h1", "m"), ("h2", "m")],
        quantity=quantity,
        seller_cost=2.0,
        buyer_value=lambda buyer, agreements: 10.0 * sum(quantity(p, agreements) for p in agreements),
    )
    np.testing.assert_allclose(model.solve().prices["price"], 14 / 3, atol=1e-8)


def test_joint_prices_reject_bundles_in_both_directions():
    # s = {a, d}: a sells to b and b sells to d, so one common price for the bundle is meaningless.
    with pytest.raises(InvalidParameterError, match="both directions"):
        NashInNashPrices(
            [("a", "b"), ("b", "d")], lambda agent, agreements, prices: 0.0, systems={"s": ["a", "d"]}
        )


@given(
    gain_i=st.floats(-50, 50),
    surplus=st.floats(0.01, 100),
    b_i=st.floats(0, 10),
    b_j=st.floats(0, 10),
)
def test_transfer_is_the_weighted_nash_split(gain_i, surplus, b_i, b_j):
    # Property of the bilateral Nash split, checked without the formula: each side's net gain is its weight's
    # share of the surplus, (gain_i + p) = beta S and (gain_j - p) = (1 - beta) S with S = gain_i + gain_j.
    assume(b_i + b_j > 1e-3)
    gain_j = surplus - gain_i
    table = {"s-b": {"s": gain_i, "b": gain_j}, "": {"s": 0.0, "b": 0.0}}
    p = NashInNash.from_table(table, {"s": b_i, "b": b_j}).transfers().loc["s-b", "transfer"]
    beta = b_i / (b_i + b_j)
    assert gain_i + p == pytest.approx(beta * surplus, abs=1e-9)
    assert gain_j - p == pytest.approx((1 - beta) * surplus, abs=1e-9)


@settings(max_examples=25)
@given(
    beta=st.floats(0.0, 1.0),
    diversion=st.floats(0.0, 0.9),
    cost=st.floats(0.0, 5.0),
    margin=st.floats(0.5, 20.0),
)
def test_two_hospitals_closed_form_property(beta, diversion, cost, margin):
    # p* = [(1 - beta) c + beta (1 - D) v] / (1 - beta D) (derived above) for random primitives;
    # weights b_h = beta, b_m = 1 - beta.
    value = cost + margin
    model = two_hospitals(
        diversion=diversion, weights={"h1": beta, "h2": beta, "m": 1 - beta}, cost=cost, value=value
    )
    result = model.solve()
    expected = separate_price(beta, c=cost, v=value, d=diversion)
    np.testing.assert_allclose(result.prices["price"], expected, rtol=0, atol=1e-8 * max(1.0, expected))
