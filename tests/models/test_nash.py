"""Generalized Nash bargaining solution: closed forms worked by hand, brute force, errors.

Hand derivations used below (d = 0 unless stated):
* Pie of size S: maximize (u1 - d1)^b (S - u1 - d2)^(1-b)  =>  u1 = d1 + b (S - d1 - d2).
* u2 = c - u1^2: maximize b log u1 + (1 - b) log(c - u1^2); FOC b (c - u1^2) = 2 (1 - b) u1^2
  =>  u1 = sqrt(c b / (2 - b)), u2 = c - u1^2 = 2 c (1 - b) / (2 - b).  (c = 1, b = 1/2: 1/sqrt(3), 2/3.)
* u2 = sqrt(1 - u1): maximize b log u1 + (1 - b)/2 log(1 - u1); FOC 2 b (1 - u1) = (1 - b) u1
  =>  u1 = 2 b / (1 + b).
* A segment of slope s meeting u2 = d2 at u1 = X behaves like a pie: u1 = d1 + b (X - d1).
"""

import math
import warnings

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from bargaining.errors import (
    AccuracyWarning,
    FrontierShapeError,
    InfeasibleProblemError,
    InvalidParameterError,
    InvalidWeightError,
)
from bargaining.models.nash import FeasibleSet, Frontier, NashSolution, Pie, nash_solution


# ------------------------------------------------------------------------------------------------- Pie
def test_pie_split_with_weight_0_3():
    solution = nash_solution(Pie(1.0), weight=0.3)
    assert isinstance(solution, NashSolution)
    assert solution.payoffs == pytest.approx((0.3, 0.7), abs=1e-15)
    assert solution.method == "closed form"
    assert solution.weight == 0.3
    assert solution.disagreement == (0.0, 0.0)
    assert solution.nash_product == pytest.approx(0.3**0.3 * 0.7**0.7, rel=1e-14)


def test_pie_split_with_disagreement_point():
    # S = 2, d = (0.2, 0.1): surplus 1.7; player 1 gets 0.2 + 0.3 * 1.7 = 0.71, player 2 0.1 + 0.7 * 1.7 = 1.29
    solution = nash_solution(Pie(2.0), disagreement=(0.2, 0.1), weight=0.3)
    assert solution.payoffs == pytest.approx((0.71, 1.29), abs=1e-14)
    assert solution.gains == pytest.approx((0.51, 1.19), abs=1e-14)
    assert abs(solution.payoffs[0] - 0.71) <= solution.tolerance


def test_pie_negative_disagreement_uses_transfers():
    # transferable utility: payoffs may leave [0, S]; d = (-1, 0), S = 1, b = 1/2 -> (-1 + 1, 0 + 1)
    assert nash_solution(Pie(1.0), (-1.0, 0.0)).payoffs == pytest.approx((0.0, 1.0), abs=1e-15)


@pytest.mark.parametrize(("weight", "expected"), [(0.0, (0.25, 0.75)), (1.0, (0.75, 0.25))])
def test_pie_extreme_weights_give_the_other_player_disagreement(weight, expected):
    # S = 1, d = (0.25, 0.25): all power to one player leaves the other at d
    assert nash_solution(Pie(1.0), (0.25, 0.25), weight).payoffs == pytest.approx(expected, abs=1e-15)


# -------------------------------------------------------------------------------------------- Frontier
def test_quadratic_frontier_symmetric_weight():
    solution = nash_solution(Frontier(lambda u1: 1 - u1**2, 0, 1))
    assert solution.payoffs[0] == pytest.approx(1 / math.sqrt(3), abs=1e-10)
    assert solution.payoffs[1] == pytest.approx(2 / 3, abs=1e-10)
    assert solution.method == "bracketed solve"
    assert solution.tolerance <= 1e-10


@pytest.mark.parametrize("beta", [0.05, 0.2, 0.3, 0.5, 0.75, 0.95])
@pytest.mark.parametrize("c", [1.0, 2.5])
def test_quadratic_frontier_general_weight(beta, c):
    # d2 shifts the problem: u2 = 1 - u1^2 with d = (0, 1 - c) is u2 - d2 = c - u1^2
    solution = nash_solution(Frontier(lambda u1: 1 - u1**2, 0, 2), disagreement=(0.0, 1 - c), weight=beta)
    u1 = math.sqrt(c * beta / (2 - beta))
    assert solution.payoffs[0] == pytest.approx(u1, abs=1e-10)
    assert solution.payoffs[1] - (1 - c) == pytest.approx(2 * c * (1 - beta) / (2 - beta), abs=1e-10)
    assert abs(solution.payoffs[0] - u1) <= solution.tolerance + 1e-15


@pytest.mark.parametrize("beta", [0.1, 0.5, 0.9])
def test_square_root_frontier_with_infinite_end_slope(beta):
    solution = nash_solution(Frontier(lambda u1: np.sqrt(1 - u1), 0, 1), weight=beta)
    assert solution.payoffs[0] == pytest.approx(2 * beta / (1 + beta), abs=1e-10)
    assert solution.payoffs[1] == pytest.approx(math.sqrt(1 - 2 * beta / (1 + beta)), abs=1e-10)


def test_user_derivative_is_used_and_checked():
    frontier = Frontier(lambda u1: 1 - u1**2, 0, 1, derivative=lambda u1: -2 * u1)
    assert frontier.differentiable
    assert nash_solution(frontier).payoffs[0] == pytest.approx(1 / math.sqrt(3), abs=1e-11)
    with pytest.raises(InvalidParameterError, match="derivative"):
        Frontier(lambda u1: 1 - u1**2, 0, 1, derivative=lambda u1: -u1)


def test_corner_solutions_at_the_ends_of_the_frontier():
    # u2 = 1 - u1 on [0.6, 1]: the unconstrained optimum u1 = 0.5 lies left of the frontier -> (0.6, 0.4)
    left = nash_solution(Frontier(lambda u1: 1 - u1, 0.6, 1.0))
    assert left.payoffs == pytest.approx((0.6, 0.4), abs=1e-14)
    # u2 = 2 - u1 on [0, 1] with b = 0.8: the pie optimum 1.6 lies right of high = 1 -> (1, 1)
    right = nash_solution(Frontier(lambda u1: 2 - u1, 0.0, 1.0), weight=0.8)
    assert right.payoffs == pytest.approx((1.0, 1.0), abs=1e-14)


def test_kinked_frontier_solution_at_the_kink():
    # min(1 - u1/2, 2 - 2 u1): pieces meet at u1 = 2/3. Piece 1 (X = 2) wants u1 = 2b >= 2/3 iff b >= 1/3,
    # piece 2 (X = 1) wants u1 = b <= 2/3 iff b <= 2/3: the kink is the solution for b in [1/3, 2/3].
    frontier = Frontier(lambda u1: np.minimum(1 - 0.5 * u1, 2 - 2 * u1), 0, 1)
    for beta in (1 / 3 + 0.01, 0.5, 2 / 3 - 0.01):
        solution = nash_solution(frontier, weight=beta)
        assert solution.payoffs == pytest.approx((2 / 3, 2 / 3), abs=1e-10)
    assert nash_solution(frontier, weight=0.2).payoffs == pytest.approx((0.4, 0.8), abs=1e-10)
    assert nash_solution(frontier, weight=0.9).payoffs == pytest.approx((0.9, 0.2), abs=1e-10)


def test_scalar_only_function_falls_back_to_values_with_honest_tolerance():
    frontier = Frontier(lambda u1: 1 - math.pow(u1, 2), 0, 1)
    assert not frontier.differentiable
    with pytest.warns(AccuracyWarning, match="accurate only to"):
        solution = nash_solution(frontier)
    error = abs(solution.payoffs[0] - 1 / math.sqrt(3))
    assert error <= solution.tolerance
    assert solution.tolerance < 1e-6


def test_kink_found_from_values_only():
    # abs() defeats the complex-step derivative; the kink at u1 = 0.5 of 1 - u1 - |u1 - 0.5| is still exact
    frontier = Frontier(lambda u1: 1 - u1 - np.abs(u1 - 0.5), 0, 1)
    assert not frontier.differentiable
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no accuracy warning: the kink is located to rounding
        solution = nash_solution(frontier, weight=0.5)
    assert solution.payoffs == pytest.approx((0.5, 0.5), abs=1e-12)


@pytest.mark.parametrize(("weight", "expected"), [(0.0, (0.2, 0.96)), (1.0, (math.sqrt(0.9), 0.1))])
def test_frontier_extreme_weights(weight, expected):
    # u2 = 1 - u1^2, d = (0.2, 0.1): b = 0 -> u1 = d1, u2 = 1 - 0.04; b = 1 -> u2 = d2, u1 = sqrt(1 - 0.1)
    solution = nash_solution(Frontier(lambda u1: 1 - u1**2, 0, 1), (0.2, 0.1), weight)
    assert solution.payoffs == pytest.approx(expected, abs=1e-10)
    assert abs(solution.payoffs[0] - expected[0]) <= solution.tolerance


def test_flat_start_weight_zero_is_pareto_efficient():
    # min(1, 2 - 2 u1) is flat on [0, 1/2]: with all power player 2 gets 1 and player 1 the most compatible, 1/2
    solution = nash_solution(Frontier(lambda u1: np.minimum(1.0, 2 - 2 * u1), 0, 1), weight=0.0)
    assert solution.payoffs == pytest.approx((0.5, 1.0), abs=1e-7)
    assert abs(solution.payoffs[0] - 0.5) <= solution.tolerance


def test_frontier_matches_brute_force_grid():
    rng = np.random.default_rng(7)
    for _ in range(20):
        p, c, beta = rng.uniform(1, 4), rng.uniform(0.5, 2), rng.uniform(0.05, 0.95)
        d = (rng.uniform(-0.5, 0.3), rng.uniform(-0.5, 0.3))
        solution = nash_solution(Frontier(lambda u, p=p, c=c: c - u**p, 0, 1), d, beta)
        grid = np.linspace(max(0.0, d[0]), 1, 200_001)[1:]
        gains2 = c - grid**p - d[1]
        ok = gains2 > 0
        logs = beta * np.log(grid[ok] - d[0]) + (1 - beta) * np.log(gains2[ok])
        brute = grid[ok][np.argmax(logs)]
        assert solution.payoffs[0] == pytest.approx(brute, abs=2e-5)
        assert math.log(solution.nash_product) >= logs.max() - 1e-12


# ------------------------------------------------------------------------------------------ FeasibleSet
HAND_POINTS = [(0.0, 1.0), (0.8, 0.8), (1.0, 0.0), (0.0, 0.0), (0.3, 0.3)]


@pytest.mark.parametrize(
    ("d", "beta", "expected"),
    [
        # segment 1: u2 = 1 - u1/4 meets u2 = 0 at X = 4 -> u1 = 4b (on the segment iff b <= 0.2)
        ((0.0, 0.0), 0.1, (0.4, 0.9)),
        # segment 2: u2 = 0.8 - 4 (u1 - 0.8) meets u2 = 0 at X = 1 -> u1 = b (on it iff b >= 0.8)
        ((0.0, 0.0), 0.9, (0.9, 0.4)),
        # in between both segments point at the vertex: a kink solution
        ((0.0, 0.0), 0.2, (0.8, 0.8)),
        ((0.0, 0.0), 0.5, (0.8, 0.8)),
        ((0.0, 0.0), 0.8, (0.8, 0.8)),
        # d = (0.5, 0): segment 2 gives u1 = 0.5 + 0.5 b -> 0.95 for b = 0.9, u2 = 0.8 - 4 * 0.15 = 0.2
        ((0.5, 0.0), 0.9, (0.95, 0.2)),
        # d = (0, 0.9): only segment 1 is above d; X = 0.4, u1 = 0.4 b -> 0.2 for b = 1/2, u2 = 0.95
        ((0.0, 0.9), 0.5, (0.2, 0.95)),
        # extreme weights: the other player gets d
        ((0.5, 0.0), 0.0, (0.5, 1 - 0.5 / 4)),
        ((0.0, 0.6), 1.0, (0.85, 0.6)),
    ],
)
def test_feasible_set_solved_by_hand(d, beta, expected):
    solution = nash_solution(FeasibleSet(HAND_POINTS), d, beta)
    assert solution.payoffs == pytest.approx(expected, abs=1e-14)
    assert solution.method == "closed form"


def test_pareto_frontier_of_hand_example():
    frontier = FeasibleSet(HAND_POINTS + [(0.8, 0.8), (0.5, 0.5)]).pareto_frontier
    np.testing.assert_array_equal(frontier, [[0.0, 1.0], [0.8, 0.8], [1.0, 0.0]])
    # a horizontal top and a vertical right side are only weakly efficient and are cut off
    frontier = FeasibleSet([(0, 1), (0.5, 1), (1, 0.5), (1, 0), (0, 0)]).pareto_frontier
    np.testing.assert_array_equal(frontier, [[0.5, 1.0], [1.0, 0.5]])


def test_degenerate_sets():
    assert nash_solution(FeasibleSet([(0.3, 0.4)])).payoffs == (0.3, 0.4)
    # a single segment is a pie with S = 1: u1 = 0.3
    assert nash_solution(FeasibleSet([(0, 1), (1, 0)]), weight=0.3).payoffs == pytest.approx(
        (0.3, 0.7), abs=1e-15
    )
    # collinear points: the middle one is not a vertex
    solution = nash_solution(FeasibleSet([(0, 1), (0.5, 0.5), (1, 0)]), weight=0.3)
    assert solution.payoffs == pytest.approx((0.3, 0.7), abs=1e-15)
    # a segment that passes above d although neither end does
    solution = nash_solution(FeasibleSet([(0, 2), (2, 0)]), (1.0, 0.5), 0.5)
    assert solution.payoffs == pytest.approx((1.25, 0.75), abs=1e-15)


def _brute_force_on_hull(points, d, beta, per_edge=20_001):
    """Independent check: scipy's convex hull, every edge sampled densely, the best Nash product."""
    hull = ConvexHull(points)
    best, best_point = -np.inf, None
    t = np.linspace(0, 1, per_edge)[:, None]
    for i, j in hull.simplices:
        edge = points[i] + t * (points[j] - points[i])
        gains = edge - np.asarray(d)
        ok = np.all(gains > 0, axis=1)
        if not ok.any():
            continue
        logs = beta * np.log(gains[ok, 0]) + (1 - beta) * np.log(gains[ok, 1])
        k = int(np.argmax(logs))
        if logs[k] > best:
            best, best_point = logs[k], edge[ok][k]
    return best, best_point


def test_feasible_set_matches_brute_force_on_scipy_hull():
    rng = np.random.default_rng(11)
    for _ in range(25):
        points = rng.uniform(0, 1, size=(rng.integers(3, 12), 2))
        d = tuple(rng.uniform(0, 0.3, size=2))
        beta = rng.uniform(0.05, 0.95)
        best, best_point = _brute_force_on_hull(points, d, beta)
        if best_point is None:
            with pytest.raises(InfeasibleProblemError):
                nash_solution(FeasibleSet(points), d, beta)
            continue
        solution = nash_solution(FeasibleSet(points), d, beta)
        assert math.log(solution.nash_product) >= best - 1e-12
        assert math.log(solution.nash_product) <= best + 1e-6  # the grid is fine: values close
        assert np.allclose(solution.payoffs, best_point, atol=2e-3)


# ---------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("weight", [-0.1, 1.1, float("nan"), "half", None])
def test_invalid_weight(weight):
    with pytest.raises(InvalidWeightError) as info:
        nash_solution(Pie(1.0), weight=weight)
    assert info.value.hint


@pytest.mark.parametrize("disagreement", [(0,), (0, 1, 2), (0, float("nan")), "ab"])
def test_invalid_disagreement(disagreement):
    with pytest.raises(InvalidParameterError, match="disagreement"):
        nash_solution(Pie(1.0), disagreement)


@pytest.mark.parametrize(
    ("problem", "d"),
    [
        (Pie(1.0), (0.5, 0.5)),
        (Pie(1.0), (2.0, -0.5)),
        (Frontier(lambda u1: 1 - u1**2, 0, 1), (1.0, 0.0)),
        (Frontier(lambda u1: 1 - u1**2, 0, 1), (0.5, 0.75)),
        (FeasibleSet([(0, 1), (1, 0)]), (0.5, 0.5)),
        (FeasibleSet([(0, 1), (0.5, 0.5)]), (0.5, 0.2)),
    ],
)
def test_infeasible_problems(problem, d):
    with pytest.raises(InfeasibleProblemError, match="disagreement point") as info:
        nash_solution(problem, d)
    assert "lower the disagreement" in info.value.hint


def test_frontier_shape_errors_say_where():
    with pytest.raises(FrontierShapeError, match=r"increases between u1 = 0\.49 and u1 = 0\.5 "):
        Frontier(lambda u1: np.where(u1 < 0.5, 1 - u1, 1.0), 0, 1, check_points=101)
    with pytest.raises(FrontierShapeError, match=r"not concave near u1 = 0\.5") as info:
        # max of two lines is convex: a kink bending the wrong way at u1 = 1/2
        Frontier(lambda u1: np.maximum(1 - 2 * u1, 0.5 - u1), 0, 1, check_points=101)
    assert info.value.hint
    with pytest.raises(FrontierShapeError, match="not concave"):
        Frontier(lambda u1: (1 - u1) ** 2, 0, 1)
    # rounding-level wiggles are tolerated: a straight line computed with noise
    Frontier(lambda u1: 1 - u1 + 1e-14 * np.sin(1e4 * u1), 0, 1)


def test_bad_constructor_arguments():
    with pytest.raises(InvalidParameterError):
        Frontier(lambda u1: 1 - u1, 1, 0)
    with pytest.raises(InvalidParameterError, match="not finite"):
        Frontier(lambda u1: np.sqrt(0.5 - u1), 0, 1)
    with pytest.raises(InvalidParameterError):
        Frontier("1 - u1", 0, 1)
    with pytest.raises(InvalidParameterError, match="NaN or infinite"):
        FeasibleSet([(0, 1), (np.nan, 0)])
    with pytest.raises(InvalidParameterError, match=r"shape \(n, 2\)"):
        FeasibleSet([1, 2, 3])
    with pytest.raises(InvalidParameterError):
        Pie(float("inf"))
    with pytest.raises(InvalidParameterError, match="Pie, Frontier or FeasibleSet"):
        nash_solution([(0, 1), (1, 0)])
