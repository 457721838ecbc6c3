"""Size-dependent discounts (appendix C.3) against an independent brute-force simulation.

One buyer with uniform [0, 1] value v who can buy up to two units, two suppliers with uniform [0, 1] costs.
Buying from the set X is worth theta_X v with theta_X = sum_{i in X} theta_i - delta_|X| (delta_1 = 0). The
Loertscher-Marx allocation picks the X that maximizes theta_X Phi_a(v) - sum_{i in X} Gamma_b(c_i), written
here by enumerating the four subsets. At the solver's rho the simulated budget surplus
E[theta_X Phi_0(v) - sum Gamma_0(c_i)] must be zero, and expected trades and welfare must match, within
Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
import pytest

from bargaining.models.distributions import Uniform
from bargaining.models.mechanism import Market

N = 400_000


def brute_force(a_b: float, a_s: float, theta: tuple[float, float], discount: float, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    v, c1, c2 = rng.random(N), rng.random(N), rng.random(N)
    phi = v - (1 - a_b) * (1 - v)
    g1, g2 = c1 + (1 - a_s) * c1, c2 + (1 - a_s) * c2
    both = theta[0] + theta[1] - discount
    options = np.stack([np.zeros(N), theta[0] * phi - g1, theta[1] * phi - g2, both * phi - g1 - g2])
    choice = np.argmax(options, axis=0)
    in1, in2 = np.isin(choice, (1, 3)), np.isin(choice, (2, 3))
    theta_x = np.select([choice == 1, choice == 2, choice == 3], [theta[0], theta[1], both], 0.0)
    phi0, gamma1, gamma2 = 2 * v - 1, 2 * c1, 2 * c2
    budget = theta_x * phi0 - in1 * gamma1 - in2 * gamma2
    trades = in1.astype(float) + in2
    welfare = theta_x * v - in1 * c1 - in2 * c2
    return {name: (x.mean(), x.std(ddof=1) / np.sqrt(N)) for name, x in
            (("budget", budget), ("trades", trades), ("welfare", welfare))}


@pytest.mark.parametrize(("theta", "discount"), [((1.0, 1.0), 0.3), ((1.2, 0.9), 0.5)])
def test_discounts_match_brute_force(theta, discount):
    market = Market([Uniform()], [Uniform(), Uniform()], buyer_units=[2], preferences=list(theta),
                    discounts=[0.0, discount])
    out = market.bargain([1.0], [1.0, 1.0])
    a_b, a_s = float(out.buyer_weight_ratios[0]), float(out.supplier_weight_ratios[0])
    sim = brute_force(a_b, a_s, theta, discount)
    mean, se = sim["budget"]
    assert abs(mean) < 4 * se  # the budget binds at the solver's rho
    assert abs(out.budget_surplus) < 1e-8
    for name, value in (("trades", out.expected_trades), ("welfare", out.welfare)):
        mean, se = sim[name]
        assert abs(value - mean) < 4 * se + 1e-8, name
    # the discount matters: without it the buyer buys both units more often
    plain = Market([Uniform()], [Uniform(), Uniform()], buyer_units=[2], preferences=list(theta)).bargain([1.0], [1.0, 1.0])
    assert plain.expected_trades > out.expected_trades + 0.01
