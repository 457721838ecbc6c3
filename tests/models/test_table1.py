"""Table 1 of the Loertscher-Marx online appendix (one buyer, two suppliers, uniform [0, 1], w = 1, theta_2 = 1).

Two independent truths: the published two decimals, and an independent computation written here for this
market only (uniform closed forms for the virtual types, the rival supplier integrated out by hand,
Gauss-Legendre on the pieces of the cost integral and scipy.integrate.quad over the value, rho by Brent's
method), which pins every number to 1e-6.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, optimize

from bargaining.models.distributions import Uniform
from bargaining.models.mechanism import Market

PUBLISHED = {  # (D, theta_1): (1/rho, u_B, u_1, u_2)
    (1, 1.0): (0.73, 0.13, 0.05, 0.05),
    (1, 2.0): (0.76, 0.34, 0.21, 0.01),
    (2, 1.0): (0.67, 0.14, 0.07, 0.07),
    (2, 2.0): (0.72, 0.38, 0.22, 0.08),
}

_GL_X, _GL_W = np.polynomial.legendre.leggauss(4)  # exact for the cubic pieces below


def _expectations(a: float, demand: int, theta: tuple[float, float]) -> np.ndarray:
    """(budget, u_B, u_1, u_2) at weight ratio a = 1/rho for every agent.

    With uniform [0, 1] types Phi_a(v) = k v - (1 - a) and Gamma_a(c) = k c, k = 2 - a; supplier i's
    virtual surplus is Lambda_i = theta_i phi - k c_i. Supplier i sells iff Lambda_i >= 0 and, when the buyer
    wants one unit, Lambda_i >= Lambda_j, i.e. c_j >= c_i + (theta_j - theta_i) phi / k.
    """
    k, b = 2.0 - a, 1.0 - a
    out = np.zeros(4)
    for i in (0, 1):
        j = 1 - i
        ti, tj = theta[i], theta[j]

        def inner(v: float, i: int = i, ti: float = ti, tj: float = tj) -> np.ndarray:
            phi = k * v - b
            if phi <= 0:
                return np.zeros(4)
            top = min(1.0, ti * phi / k)
            shift = (tj - ti) * phi / k
            cuts = sorted({0.0, top, *[x for x in (-shift, 1.0 - shift) if 0.0 < x < top]})
            total = np.zeros(4)
            for lo, hi in itertools.pairwise(cuts):
                c = 0.5 * (lo + hi) + 0.5 * (hi - lo) * _GL_X
                w = 0.5 * (hi - lo) * _GL_W
                if demand >= 2:
                    p = np.ones_like(c)
                else:  # probability that the rival's cost is high enough
                    p = 1.0 - np.clip(c + shift, 0.0, 1.0)
                total += np.array([
                    np.sum(w * (ti * (2 * v - 1) - 2 * c) * p),  # Phi(v) theta_i - Gamma(c) (unweighted, uniform)
                    np.sum(w * ti * (1 - v) * p),  # buyer rent from this supplier's unit
                    np.sum(w * c * p) if i == 0 else 0.0,
                    np.sum(w * c * p) if i == 1 else 0.0,
                ])
            return total

        kinks = [b / k, (b + k / ti) / k] + [x for x in np.linspace(0, 1, 9)]
        for col in range(4):
            out[col] += integrate.quad(lambda v, col=col: inner(v)[col], 0.0, 1.0, points=[x for x in kinks if 0 < x < 1],
                                       epsabs=1e-13, epsrel=1e-12, limit=400)[0]
    return out


def independent(demand: int, theta_1: float) -> tuple[float, float, float, float]:
    theta = (theta_1, 1.0)
    a = optimize.brentq(lambda x: _expectations(x, demand, theta)[0], 1e-6, 1.0, xtol=1e-13)
    _, u_b, u_1, u_2 = _expectations(a, demand, theta)
    return a, u_b, u_1, u_2


def solver(demand: int, theta_1: float) -> tuple[float, float, float, float]:
    market = Market([Uniform(0.0, 1.0)], [Uniform(0.0, 1.0), Uniform(0.0, 1.0)], buyer_units=[demand],
                    preferences=[theta_1, 1.0])
    out = market.bargain([1.0], [1.0, 1.0])
    return 1.0 / out.rho, float(out.buyer_payoffs[0]), float(out.supplier_payoffs[0]), float(out.supplier_payoffs[1])


@pytest.mark.parametrize(("demand", "theta_1"), list(PUBLISHED))
def test_table1_published_and_independent(demand: int, theta_1: float) -> None:
    ours = solver(demand, theta_1)
    np.testing.assert_allclose(ours, PUBLISHED[(demand, theta_1)], atol=0.005 + 1e-9)
    np.testing.assert_allclose(ours, independent(demand, theta_1), atol=1e-6)


def test_table1_closed_form_column() -> None:
    # D = 2 >= n = 2 with theta = 1: each supplier faces the bilateral second best, 1/rho = 2/3,
    # u_B = 2 * 9/128, u_i = 9/128
    ours = solver(2, 1.0)
    np.testing.assert_allclose(ours, (2 / 3, 9 / 64, 9 / 128, 9 / 128), atol=1e-10)
