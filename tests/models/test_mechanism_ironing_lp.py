"""Ironing inside the mechanism, checked against a brute-force discretized optimization (a linear program).

Buyer values are bimodal (two truncated normals), so Phi_a is not monotone; the supplier's cost is uniform.
For the weight ratios (a, b) of the package's outcome, the Loertscher-Marx allocation maximizes
E[(Phi_a(v) - Gamma_b(c)) Q(v, c)] over allocations whose interim trade probabilities are monotone (buyer
non-decreasing in v, supplier non-increasing in c). Here that problem is discretized on a grid of cells and
solved by scipy's HiGHS linear programming, with the virtual types computed in this file from scipy.stats.
The LP's trade probability, welfare and budget surplus must match the package's quadrature to the grid's
accuracy, and the un-ironed pointwise rule must give a visibly different (and non-monotone) allocation.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, sparse, stats

from bargaining.models.distributions import Mixture, TruncatedNormal, Uniform
from bargaining.models.mechanism import Market

CELLS = 120


def bimodal_law() -> tuple[object, object]:
    """cdf and pdf of 0.5 TN(0.2, 0.05) + 0.5 TN(0.8, 0.05) on [0, 1], from scipy.stats directly."""
    parts = [stats.truncnorm((0 - m) / 0.05, (1 - m) / 0.05, loc=m, scale=0.05) for m in (0.2, 0.8)]
    return (lambda x: 0.5 * (parts[0].cdf(x) + parts[1].cdf(x))), (lambda x: 0.5 * (parts[0].pdf(x) + parts[1].pdf(x)))


def discretized_problem(a: float, b: float) -> dict[str, np.ndarray]:
    cdf, pdf = bimodal_law()
    edges = np.linspace(0.0, 1.0, CELLS + 1)
    v = 0.5 * (edges[1:] + edges[:-1])
    p = np.diff(cdf(edges))  # exact cell masses of the values
    c = v.copy()
    q = np.full(CELLS, 1.0 / CELLS)  # uniform costs
    phi0 = v - (1 - cdf(v)) / pdf(v)
    gamma0 = 2 * c
    phi_a, gamma_b = a * v + (1 - a) * phi0, b * c + (1 - b) * gamma0
    return {"v": v, "c": c, "p": p, "q": q, "phi0": phi0, "gamma0": gamma0, "phi_a": phi_a, "gamma_b": gamma_b}


def solve_lp(problem: dict[str, np.ndarray], *, ironed: bool = True) -> np.ndarray:
    """Q (values x costs) maximizing the weighted virtual surplus under interim monotonicity (if ironed)."""
    p, q = problem["p"], problem["q"]
    weight = np.outer(p, q)
    gain = weight * (problem["phi_a"][:, None] - problem["gamma_b"][None, :])
    if not ironed:
        return (gain >= 0).astype(float)
    n, m = gain.shape
    index = np.arange(n * m).reshape(n, m)
    rows, cols, vals = [], [], []
    r = 0
    for i in range(n - 1):  # sum_j q_j (Q_ij - Q_i+1,j) <= 0
        rows += [r] * (2 * m)
        cols += list(index[i]) + list(index[i + 1])
        vals += list(q) + list(-q)
        r += 1
    for j in range(m - 1):  # sum_i p_i (Q_i,j+1 - Q_ij) <= 0
        rows += [r] * (2 * n)
        cols += list(index[:, j + 1]) + list(index[:, j])
        vals += list(p) + list(-p)
        r += 1
    a_ub = sparse.csr_matrix((vals, (rows, cols)), shape=(r, n * m))
    res = optimize.linprog(-gain.ravel(), A_ub=a_ub, b_ub=np.zeros(r), bounds=(0, 1), method="highs")
    assert res.status == 0, res.message
    return res.x.reshape(n, m)


def summaries(problem: dict[str, np.ndarray], allocation: np.ndarray) -> dict[str, float]:
    weight = np.outer(problem["p"], problem["q"]) * allocation
    v, c = problem["v"][:, None], problem["c"][None, :]
    return {
        "trades": float(weight.sum()),
        "welfare": float((weight * (v - c)).sum()),
        "budget": float((weight * (problem["phi0"][:, None] - problem["gamma0"][None, :])).sum()),
        "buyer_interim": allocation @ problem["q"],
    }


@pytest.fixture(scope="module")
def case():
    market = Market([Mixture([TruncatedNormal(0.2, 0.05, 0, 1), TruncatedNormal(0.8, 0.05, 0, 1)])], [Uniform()])
    outcome = market.bargain([1.0], [1.0])
    a, b = float(outcome.buyer_weight_ratios[0]), float(outcome.supplier_weight_ratios[0])
    problem = discretized_problem(a, b)
    return market, outcome, problem, solve_lp(problem), solve_lp(problem, ironed=False)


def test_the_buyer_side_needs_ironing_at_the_outcome(case):
    market, outcome, _, _, _ = case
    assert not market.buyers[0].is_regular(float(outcome.buyer_weight_ratios[0]), side="value")


def test_package_matches_the_linear_program(case):
    _, outcome, problem, lp, _ = case
    got = summaries(problem, lp)
    # cells of width 1/120 move the trade boundary by at most half a cell; observed gaps are ~1e-4
    assert outcome.expected_trades == pytest.approx(got["trades"], abs=1e-3)
    assert outcome.welfare == pytest.approx(got["welfare"], abs=5e-4)
    assert abs(got["budget"]) < 1.5e-3  # the package's rho makes the LP's budget (nearly) balance
    assert np.all(np.diff(got["buyer_interim"]) >= -1e-9)


def test_unironed_rule_is_different_and_not_incentive_compatible(case):
    _, outcome, problem, lp, raw = case
    ironed, pointwise = summaries(problem, lp), summaries(problem, raw)
    assert np.min(np.diff(pointwise["buyer_interim"])) < -0.05  # higher values trade less: violates IC
    assert abs(pointwise["trades"] - outcome.expected_trades) > 0.02
    assert abs(pointwise["trades"] - ironed["trades"]) > 0.02
