"""Nash's axioms as property tests on random problems (hypothesis, 200 problems per property and set type).

Random problems: pies; finite point sets (their convex hull); concave decreasing frontiers from four families
with known derivatives. The checks use independent truths: a linear program for Pareto dominance in a convex
hull, the frontier's own formula, and the first-order condition solved for the weight by hand.
"""

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bargaining.models.nash import FeasibleSet, Frontier, Pie, nash_solution

EXAMPLES = settings(max_examples=200)
unit = st.floats(0.0, 1.0)
weights = st.floats(0.02, 0.98)


# ------------------------------------------------------------------------------------------ strategies
@dataclass
class FrontierProblem:
    """A concave decreasing frontier u2 = phi(u1) on [low, high] with its derivative (for checks only)."""

    phi: object
    slope: object
    low: float
    high: float
    d: tuple[float, float]

    def frontier(self) -> Frontier:
        return Frontier(self.phi, self.low, self.high)


def _family(kind: int, c: float, k: float, p: float, width: float):
    if kind == 0:  # c - k u^p, p >= 1
        return (lambda u: c - k * u**p), (lambda u: -k * p * u ** (p - 1))
    if kind == 1:  # superellipse quadrant c (1 - (u / width)^p)^(1/p): infinite slope at the right end
        return (
            lambda u: c * (1 - (u / width) ** p) ** (1 / p),
            lambda u: -c / width * (u / width) ** (p - 1) * (1 - (u / width) ** p) ** (1 / p - 1),
        )
    if kind == 2:  # c - k (e^{p u} - 1)
        return (lambda u: c - k * np.expm1(p * u)), (lambda u: -k * p * np.exp(p * u))
    # c + k log(1 - u / (1.5 width))
    scale = 1.5 * width
    return (lambda u: c + k * np.log1p(-u / scale)), (lambda u: -k / (scale - u))


@st.composite
def frontier_problems(draw) -> FrontierProblem:
    kind = draw(st.integers(0, 3))
    c, k = draw(st.floats(0.5, 3.0)), draw(st.floats(0.2, 3.0))
    p, width = draw(st.floats(1.0, 4.0)), draw(st.floats(0.3, 3.0))
    o1, o2 = draw(st.floats(-2.0, 2.0)), draw(st.floats(-2.0, 2.0))
    width = (o1 + width) - o1  # so that u1 = high maps exactly to the end of the family's domain
    base, base_slope = _family(kind, c, k, p, width)

    def phi(u1, base=base, o1=o1, o2=o2):
        return base(u1 - o1) + o2

    def slope(u1, base_slope=base_slope, o1=o1):
        return base_slope(u1 - o1)

    low, high = o1, o1 + width
    # d1 anywhere from left of the frontier to well inside it; d2 strictly below phi(max(low, d1))
    d1 = low + (draw(unit) * 1.2 - 0.4) * width
    a = max(low, d1)
    top, bottom = float(phi(a)), float(phi(high))
    d2 = top - (0.02 + 1.3 * draw(unit)) * (top - bottom + 0.1)
    return FrontierProblem(phi, slope, low, high, (d1, d2))


@st.composite
def point_sets(draw, *, symmetric: bool = False):
    n = draw(st.integers(1, 10))
    # payoffs on a grid of 1/1000: realistic magnitudes, and many ties and collinear points
    coords = draw(st.lists(st.integers(-1000, 2000), min_size=2 * n, max_size=2 * n))
    points = np.array(coords, dtype=float).reshape(n, 2) / 1000
    if symmetric:
        points = np.vstack([points, points[:, ::-1]])
    upper_right = points[np.argmax(points.sum(axis=1))]
    # d strictly below some point of the set, so that the problem is feasible
    t = draw(st.floats(0.05, 1.0))
    if symmetric:
        m = min(upper_right) - t
        return points, (m, m)
    return points, (
        upper_right[0] - t * draw(st.floats(0.05, 2.0)),
        upper_right[1] - t * draw(st.floats(0.05, 2.0)),
    )


@st.composite
def pies(draw):
    size = draw(st.floats(-2.0, 5.0))
    d1 = draw(st.floats(-2.0, 2.0))
    d2 = size - d1 - draw(st.floats(0.05, 3.0))
    return size, (d1, d2)


# ------------------------------------------------------------------------------------------ helpers
def _directions(points: np.ndarray) -> np.ndarray:
    """Every direction that can separate a point from the convex hull of ``points`` in the plane: the normals
    and directions of the lines through pairs of points, and the axes (enough for degenerate hulls)."""
    i, j = np.triu_indices(len(points), k=1)
    along = points[j] - points[i]
    along = along[np.any(along != 0, axis=1)]
    normals = along[:, ::-1] * np.array([1.0, -1.0])
    dirs = np.vstack([along, normals, np.eye(2)])
    dirs = dirs / np.linalg.norm(dirs, axis=1, keepdims=True)
    return np.vstack([dirs, -dirs])


def _in_hull(points: np.ndarray, s, tol=1e-10) -> bool:
    """Is s (within tol) in the convex hull? No separating direction among the candidates."""
    dirs = _directions(points)
    scale = 1.0 + np.abs(points).max()
    return bool(np.all(dirs @ np.asarray(s) <= (dirs @ points.T).max(axis=1) + tol * scale))


def _dominated_in_hull(points: np.ndarray, s, tol=1e-10) -> bool:
    """Pareto efficiency in a polytope: s is undominated iff it maximizes w1 u1 + w2 u2 over the hull for some
    strictly positive w. The gap max_p w.p - w.s is convex and piecewise linear in w1 = lam (w2 = 1 - lam); its
    minimum over (0, 1) is at a crossing of two points' lines or at the ends, all of which are tried."""
    diff = points - np.asarray(s)
    i, j = np.triu_indices(len(points), k=1)
    # lam where points i and j give the same gap: lam (a_i - a_j) + (1 - lam)(b_i - b_j) = 0
    da, db = diff[i, 0] - diff[j, 0], diff[i, 1] - diff[j, 1]
    with np.errstate(all="ignore"):
        crossings = db / (db - da)
    lams = np.concatenate([crossings[np.isfinite(crossings)], [0.0, 1.0]])
    lams = np.clip(lams, 1e-12, 1 - 1e-12)
    gaps = (np.outer(lams, diff[:, 0]) + np.outer(1 - lams, diff[:, 1])).max(axis=1)
    scale = 1.0 + np.abs(points).max()
    return bool(gaps.min() > tol * scale)


def _frontier_range(problem: FrontierProblem) -> tuple[float, float]:
    """Player 1's payoffs on the frontier above d: [a, b], b from the frontier formula by bisection."""
    d1, d2 = problem.d
    a = max(problem.low, d1)
    if problem.phi(problem.high) >= d2:
        return a, problem.high
    lo, hi = a, problem.high
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if problem.phi(mid) >= d2:
            lo = mid
        else:
            hi = mid
    return a, 0.5 * (lo + hi)


# ------------------------------------------------------------------------------------- Pareto efficiency
@EXAMPLES
@given(pies(), st.floats(0.0, 1.0))
def test_pareto_pie(problem, beta):
    size, d = problem
    s = nash_solution(Pie(size), d, beta).payoffs
    assert s[0] + s[1] == pytest.approx(size, abs=1e-12)
    assert s[0] >= d[0] - 1e-12 and s[1] >= d[1] - 1e-12


@EXAMPLES
@given(point_sets(), st.floats(0.0, 1.0))
def test_pareto_feasible_set(problem, beta):
    points, d = problem
    s = nash_solution(FeasibleSet(points), d, beta).payoffs
    assert _in_hull(points, s)
    assert not _dominated_in_hull(points, s)
    assert s[0] >= d[0] - 1e-12 and s[1] >= d[1] - 1e-12


@EXAMPLES
@given(frontier_problems(), st.floats(0.0, 1.0))
def test_pareto_frontier(problem, beta):
    solution = nash_solution(problem.frontier(), problem.d, beta)
    s, tol = solution.payoffs, solution.tolerance
    assert problem.low - tol <= s[0] <= problem.high + tol
    assert s[1] == pytest.approx(float(problem.phi(s[0])), abs=tol + 1e-12)  # on the frontier itself
    assert s[0] >= problem.d[0] - tol and s[1] >= problem.d[1] - tol
    # the families are strictly decreasing: no frontier point right of s is as good for player 2
    grid = np.linspace(problem.low, problem.high, 2001)
    right = grid[grid > s[0] + 1e-6]
    assert np.all(problem.phi(right) < s[1] + 1e-12)


# ------------------------------------------------------------------------------------------------ symmetry
@EXAMPLES
@given(st.floats(-2.0, 5.0), st.floats(0.05, 3.0))
def test_symmetry_pie(size, gap):
    d = (size - gap) / 2
    s = nash_solution(Pie(size), (d, d)).payoffs
    assert s[0] == s[1]


@EXAMPLES
@given(point_sets(symmetric=True))
def test_symmetry_feasible_set(problem):
    points, d = problem
    s = nash_solution(FeasibleSet(points), d).payoffs
    assert s[0] == pytest.approx(s[1], abs=1e-12)


@st.composite
def symmetric_frontiers(draw):
    """Self-inverse decreasing concave frontiers; with d1 = d2 >= low the part above d is symmetric."""
    o = draw(st.floats(-2.0, 2.0))
    if draw(st.booleans()):
        c, p = draw(st.floats(0.3, 3.0)), draw(st.floats(1.0, 5.0))
        c = (o + c) - o  # u1 = high maps exactly to the end of the quadrant

        def phi(u, c=c, p=p, o=o):
            return o + c * (1 - ((u - o) / c) ** p) ** (1 / p)

        low, high = o, o + c
    else:  # log(2 - e^u) is its own inverse
        start = draw(st.floats(-3.0, -0.3))

        def phi(u, o=o):
            return o + np.log(2 - np.exp(u - o))

        low, high = o + start, float(phi(o + start))
    # d on the diagonal, below the symmetric point where phi(u) = u
    lo, hi = low, high
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if phi(mid) > mid else (lo, mid)
    t = low + draw(st.floats(0.0, 0.95)) * (lo - low)
    return Frontier(phi, low, high), (t, t)


@EXAMPLES
@given(symmetric_frontiers())
def test_symmetry_frontier(problem):
    frontier, d = problem
    solution = nash_solution(frontier, d)
    assert solution.payoffs[0] == pytest.approx(solution.payoffs[1], abs=max(1e-9, 2 * solution.tolerance))


# ------------------------------------------------------------------------ invariance to affine rescaling
scales = st.floats(0.1, 10.0)
shifts = st.floats(-5.0, 5.0)


@EXAMPLES
@given(pies(), st.floats(0.0, 1.0), scales, scales, shifts, shifts)
def test_affine_invariance_pie(problem, beta, a1, a2, b1, b2):
    size, d = problem
    s = nash_solution(Pie(size), d, beta).payoffs
    # same scale for both players keeps a pie; different scales give a line, solved as a Frontier
    same = nash_solution(Pie(a1 * size + b1 + b2), (a1 * d[0] + b1, a1 * d[1] + b2), beta).payoffs
    assert same == pytest.approx((a1 * s[0] + b1, a1 * s[1] + b2), abs=1e-11 * (1 + a1 * (abs(size) + 5)))
    # u2' = a2 (size - (u1' - b1) / a1) + b2 on a range of u1' that contains the solution and the transformed d
    lo = a1 * (min(d[0], s[0]) - 1) + b1
    hi = a1 * (max(d[0], s[0]) + 1) + b1
    line = Frontier(lambda u: a2 * (size - (u - b1) / a1) + b2, lo, hi)
    other = nash_solution(line, (a1 * d[0] + b1, a2 * d[1] + b2), beta)
    expected = (a1 * s[0] + b1, a2 * s[1] + b2)
    assert other.payoffs == pytest.approx(expected, abs=other.tolerance + 1e-10 * (1 + max(a1, a2) * 10))


@EXAMPLES
@given(point_sets(), st.floats(0.0, 1.0), scales, scales, shifts, shifts)
def test_affine_invariance_feasible_set(problem, beta, a1, a2, b1, b2):
    points, d = problem
    s = nash_solution(FeasibleSet(points), d, beta).payoffs
    a, b = np.array([a1, a2]), np.array([b1, b2])
    t = nash_solution(FeasibleSet(points * a + b), tuple(np.asarray(d) * a + b), beta).payoffs
    assert t == pytest.approx(tuple(np.asarray(s) * a + b), abs=1e-11 * (1 + 10 * max(a1, a2)))


@EXAMPLES
@given(frontier_problems(), weights, scales, scales, shifts, shifts)
def test_affine_invariance_frontier(problem, beta, a1, a2, b1, b2):
    solution = nash_solution(problem.frontier(), problem.d, beta)
    s = solution.payoffs
    phi = problem.phi
    low, high = problem.low, problem.high

    def rescaled_phi(u):
        # rounding in (u - b1) / a1 must not step outside [low, high], where phi may be undefined
        return a2 * phi(np.minimum(np.maximum((u - b1) / a1, low), high)) + b2

    rescaled = Frontier(rescaled_phi, a1 * low + b1, a1 * high + b1)
    d = (a1 * problem.d[0] + b1, a2 * problem.d[1] + b2)
    other = nash_solution(rescaled, d, beta)
    tol = other.tolerance + max(a1, a2) * solution.tolerance + 1e-9
    assert other.payoffs == pytest.approx((a1 * s[0] + b1, a2 * s[1] + b2), abs=tol)


# ----------------------------------------------------------------- independence of irrelevant alternatives
@EXAMPLES
@given(pies(), weights, unit, st.just(0.0) | st.floats(0.01, 1.0))
def test_iia_pie(problem, beta, left, right):
    size, d = problem
    s = nash_solution(Pie(size), d, beta).payoffs
    # a triangle-or-quadrilateral inside the pie: d, s and two other points of the pie's edge around s
    x_left = d[0] + left * (s[0] - d[0])
    x_right = s[0] + right * (size - d[1] - s[0])
    subset = FeasibleSet([d, s, (x_left, size - x_left), (x_right, size - x_right)])
    smaller = nash_solution(subset, d, beta)
    assert smaller.payoffs == pytest.approx(s, abs=smaller.tolerance + 1e-12 * (1 + abs(size) + 4))


@EXAMPLES
@given(point_sets(), weights, st.data())
def test_iia_feasible_set(problem, beta, data):
    points, d = problem
    s = nash_solution(FeasibleSet(points), d, beta).payoffs
    keep = data.draw(st.lists(st.booleans(), min_size=len(points), max_size=len(points)))
    lottery = st.lists(st.integers(0, 10), min_size=len(points), max_size=len(points))
    mixes = data.draw(st.lists(lottery, max_size=3))
    inner = [
        np.asarray(m) @ points / sum(m) for m in mixes if sum(m) > 0
    ]  # random lotteries: inside the hull
    smaller = np.vstack([np.asarray(s)[None, :], points[np.asarray(keep, dtype=bool)], *inner])
    solution = nash_solution(FeasibleSet(smaller), d, beta)
    assert solution.payoffs == pytest.approx(s, abs=solution.tolerance + 1e-12)


@EXAMPLES
@given(frontier_problems(), weights, unit, unit)
def test_iia_frontier(problem, beta, left, right):
    solution = nash_solution(problem.frontier(), problem.d, beta)
    s, tol = solution.payoffs, solution.tolerance
    # (1) the same frontier on a shorter range of u1 that still contains the solution
    low = problem.low + left * (s[0] - problem.low)
    high = s[0] + right * (problem.high - s[0])
    assume(high - low > 1e-6)
    shorter = nash_solution(Frontier(problem.phi, low, high), problem.d, beta)
    assert shorter.payoffs == pytest.approx(s, abs=tol + shorter.tolerance + 1e-10)
    # (2) the convex hull of points on the frontier, the solution among them: a polygon inside the set
    grid = np.linspace(problem.low, problem.high, 9)
    points = np.vstack([np.column_stack([grid, problem.phi(grid)]), [s]])
    polygon = nash_solution(FeasibleSet(points), problem.d, beta)
    assert polygon.payoffs == pytest.approx(s, abs=1e-9)


# --------------------------------------------------- the weight traces the whole frontier above d
def _check_monotone_path(solutions):
    u1 = np.array([s.payoffs[0] for s in solutions])
    u2 = np.array([s.payoffs[1] for s in solutions])
    tol = np.array([s.tolerance for s in solutions])
    assert np.all(np.diff(u1) >= -(tol[1:] + tol[:-1]) - 1e-12)
    assert np.all(np.diff(u2) <= tol[1:] + tol[:-1] + 1e-12)


WEIGHT_GRID = np.linspace(0.0, 1.0, 21)


@EXAMPLES
@given(pies(), st.lists(unit, min_size=5, max_size=5))
def test_weights_trace_pie(problem, positions):
    size, d = problem
    path = [nash_solution(Pie(size), d, w) for w in WEIGHT_GRID]
    _check_monotone_path(path)
    surplus = size - d[0] - d[1]
    assert path[0].payoffs == pytest.approx((d[0], size - d[0]), abs=1e-12 * (1 + abs(size) + 4))
    assert path[-1].payoffs == pytest.approx((size - d[1], d[1]), abs=1e-12 * (1 + abs(size) + 4))
    # every point of the edge above d is the solution for the weight (u1 - d1) / (S - d1 - d2)
    for t in positions:
        u1 = d[0] + t * surplus
        hit = nash_solution(Pie(size), d, min(1.0, (u1 - d[0]) / surplus)).payoffs
        assert hit == pytest.approx((u1, size - u1), abs=1e-11 * (1 + abs(size) + 4))


@EXAMPLES
@given(point_sets(), st.data())
def test_weights_trace_feasible_set(problem, data):
    points, d = problem
    feasible = FeasibleSet(points)
    path = [nash_solution(feasible, d, w) for w in WEIGHT_GRID]
    _check_monotone_path(path)
    # the ends are the extreme points of the frontier above d
    v = feasible.pareto_frontier
    left_u1 = max(v[0, 0], d[0])
    assert path[0].payoffs == pytest.approx((left_u1, feasible.frontier_value(left_u1)), abs=1e-12)
    right_u2 = max(v[-1, 1], d[1])
    assert path[-1].payoffs[1] == pytest.approx(right_u2, abs=1e-12)
    assert not _dominated_in_hull(points, path[-1].payoffs)
    # every point on a segment above d is reached with the weight (u1 - d1) / (X - d1), X where the segment's
    # line meets u2 = d2 (the pie formula), and every vertex above d with a weight between its segments' weights
    for k in range(len(v) - 1):
        p, q = v[k], v[k + 1]
        slope = (q[1] - p[1]) / (q[0] - p[0])
        hit = p[0] + (d[1] - p[1]) / slope
        lo, hi = max(p[0], d[0]), min(q[0], hit)
        if hi - lo < 1e-9:
            continue
        u1 = lo + data.draw(st.floats(0.01, 0.99)) * (hi - lo)
        solution = nash_solution(feasible, d, (u1 - d[0]) / (hit - d[0]))
        assert solution.payoffs == pytest.approx((u1, p[1] + slope * (u1 - p[0])), abs=1e-11)


@EXAMPLES
@given(frontier_problems(), st.lists(st.floats(0.01, 0.99), min_size=6, max_size=6))
def test_weights_trace_frontier(problem, positions):
    frontier = problem.frontier()
    d1, d2 = problem.d
    path = [nash_solution(frontier, problem.d, w) for w in WEIGHT_GRID]
    _check_monotone_path(path)
    a, b = _frontier_range(problem)
    assert path[0].payoffs == pytest.approx((a, float(problem.phi(a))), abs=1e-10)
    assert path[-1].payoffs == pytest.approx((b, max(float(problem.phi(b)), d2)), abs=1e-8)
    # no gaps: each point of a grid on the frontier above d is the solution for the weight that solves the
    # first-order condition there, beta = -(u1 - d1) phi' / ((phi - d2) - (u1 - d1) phi')
    for t in positions:
        u1 = a + t * (b - a)
        gain2, slope = float(problem.phi(u1)) - d2, float(problem.slope(u1))
        beta = -(u1 - d1) * slope / (gain2 - (u1 - d1) * slope)
        solution = nash_solution(frontier, problem.d, beta)
        assert solution.payoffs[0] == pytest.approx(u1, abs=1e-8 * (1 + abs(u1)))
        assert solution.tolerance <= 1e-10 * (1 + abs(u1) + abs(d1) + abs(d2) + abs(gain2))
