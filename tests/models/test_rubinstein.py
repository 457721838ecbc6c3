"""Rubinstein alternating offers: closed form by hand, equilibrium conditions, frequent-offers limit.

By hand: delta = (0.9, 0.8), player 1 proposes and keeps (1 - 0.8) / (1 - 0.72) = 0.2 / 0.28 = 5/7 and offers
player 2 the rest, 2/7; player 2 proposing keeps (1 - 0.9) / 0.28 = 5/14 and offers player 1 9/14.
Limit by hand: with delta_i = exp(-r_i dt), player 1 proposing keeps
(1 - e^{-r2 dt}) / (1 - e^{-(r1 + r2) dt}) = r2 / (r1 + r2) + r1 r2 dt / (2 (r1 + r2)) + O(dt^2).
"""

import math

import numpy as np
import pytest

from bargaining.errors import InvalidParameterError
from bargaining.models.nash import NashSolution
from bargaining.models.rubinstein import RubinsteinOutcome, rubinstein, rubinstein_limit


def test_hand_example_player_1_proposes():
    outcome = rubinstein(0.9, 0.8)
    assert isinstance(outcome, RubinsteinOutcome)
    assert outcome.shares == pytest.approx((5 / 7, 2 / 7), abs=1e-15)
    assert outcome.payoffs == pytest.approx((5 / 7, 2 / 7), abs=1e-15)
    assert outcome.proposer == 1
    assert outcome.immediate_agreement is True
    assert outcome.offer_by_1 == pytest.approx((5 / 7, 2 / 7), abs=1e-15)
    assert outcome.offer_by_2 == pytest.approx((9 / 14, 5 / 14), abs=1e-15)


def test_hand_example_player_2_proposes_and_size_scales():
    outcome = rubinstein(0.9, 0.8, size=14.0, first_proposer=2)
    assert outcome.payoffs == pytest.approx((9.0, 5.0), abs=1e-13)
    assert outcome.shares == pytest.approx((9 / 14, 5 / 14), abs=1e-15)
    assert outcome.proposer == 2


@pytest.mark.parametrize(
    ("delta1", "delta2"), [(0.9, 0.8), (0.5, 0.99), (0.0, 0.7), (0.3, 0.0), (1.0, 0.6), (0.6, 1.0)]
)
def test_equilibrium_conditions(delta1, delta2):
    # each responder is exactly indifferent between accepting and waiting to make its own offer next round
    outcome = rubinstein(delta1, delta2, size=3.0)
    assert outcome.offer_by_1[1] == pytest.approx(delta2 * outcome.offer_by_2[1], abs=1e-14)
    assert outcome.offer_by_2[0] == pytest.approx(delta1 * outcome.offer_by_1[0], abs=1e-14)
    assert sum(outcome.offer_by_1) == pytest.approx(3.0, abs=1e-14)
    assert sum(outcome.offer_by_2) == pytest.approx(3.0, abs=1e-14)


def test_impatient_responder_gets_nothing_and_patient_proposer_everything():
    assert rubinstein(0.9, 0.0).shares == (1.0, 0.0)
    assert rubinstein(1.0, 0.5).shares == (1.0, 0.0)
    assert rubinstein(1.0, 0.5, first_proposer=2).shares == (1.0, 0.0)


@pytest.mark.parametrize("rounds", [400, 401])
def test_finite_horizon_backward_induction_converges_to_closed_form(rounds):
    # independent computation: the game cut off after T rounds, solved backwards. Player 1 proposes in odd
    # rounds; the last proposer keeps everything; earlier, the proposer keeps what is left after offering the
    # responder the discounted amount the responder would keep as next round's proposer.
    deltas = {1: 0.9, 2: 0.8}
    keep = 1.0
    for t in range(rounds - 1, 0, -1):
        next_proposer = 1 if (t + 1) % 2 == 1 else 2
        keep = 1.0 - deltas[next_proposer] * keep
    assert keep == pytest.approx(rubinstein(0.9, 0.8).shares[0], abs=1e-12)


@pytest.mark.parametrize(("r1", "r2"), [(1.0, 1.0), (1.0, 3.0), (0.2, 0.05)])
def test_limit_is_the_nash_solution_with_weights_from_rates(r1, r2):
    limit = rubinstein_limit(r1, r2, size=2.0)
    assert isinstance(limit, NashSolution)
    assert limit.weight == pytest.approx(r2 / (r1 + r2), abs=1e-15)
    assert limit.payoffs == pytest.approx((2 * r2 / (r1 + r2), 2 * r1 / (r1 + r2)), abs=1e-14)


def test_convergence_is_first_order_in_dt_and_proposer_advantage_vanishes():
    r1, r2 = 1.0, 3.0
    target = rubinstein_limit(r1, r2).payoffs[0]
    slope = r1 * r2 / (2 * (r1 + r2))  # first-order error coefficient, derived by hand
    dts = 0.1 * 0.5 ** np.arange(6)
    errors, advantages = [], []
    for dt in dts:
        outcome = rubinstein(math.exp(-r1 * dt), math.exp(-r2 * dt))
        errors.append(outcome.shares[0] - target)
        advantages.append(outcome.offer_by_1[0] - outcome.offer_by_2[0])
    errors, advantages = np.array(errors), np.array(advantages)
    assert np.all(errors > 0)  # the first proposer is ahead of the limit
    ratios = errors[:-1] / errors[1:]
    assert np.allclose(ratios, 2.0, atol=0.05)  # halving dt halves the error: linear convergence
    assert errors / dts == pytest.approx(np.full_like(dts, slope), rel=0.1)
    assert errors[-1] / dts[-1] == pytest.approx(slope, rel=0.01)
    assert np.all(np.diff(advantages) < 0) and advantages[-1] < 0.01  # proposer advantage r1 dt * share -> 0


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((1.0, 1.0), {}, "every division"),
        ((1.1, 0.5), {}, "delta1"),
        ((0.5, -0.1), {}, "delta2"),
        ((float("nan"), 0.5), {}, "NaN"),
        (("x", 0.5), {}, "number"),
        ((0.5, 0.5), {"size": 0.0}, "size"),
        ((0.5, 0.5), {"size": float("inf")}, "size"),
        ((0.5, 0.5), {"first_proposer": 3}, "first_proposer"),
    ],
)
def test_invalid_input(args, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match) as info:
        rubinstein(*args, **kwargs)
    assert info.value.hint


@pytest.mark.parametrize(("r1", "r2"), [(0.0, 0.0), (-1.0, 1.0), (1.0, float("inf"))])
def test_invalid_rates(r1, r2):
    with pytest.raises(InvalidParameterError):
        rubinstein_limit(r1, r2)
