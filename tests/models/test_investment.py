"""Investment before bargaining (appendix Proposition 8), against independent computations.

Equilibrium investments satisfy each agent's first-order condition, with the payoff computed the other way
round (E over the agent's types of the interim utility int_low^v q, eq. 22, rather than eq. 23); first-best
investments match a brute-force grid; with Delta = 0 and values above costs (Proposition 8's conditions) the two
coincide, with overlapping supports agents under-invest.
"""

from __future__ import annotations

import numpy as np
import pytest

from bargaining.errors import InvalidParameterError
from bargaining.models.distributions import Beta, Uniform
from bargaining.models.mechanism.investment import InvestmentGame


def _game(value_low: float, **kwargs) -> InvestmentGame:
    return InvestmentGame(
        [lambda e: Beta(1 + e, 1, value_low, value_low + 1)], [lambda e: Beta(1, 1 + e)],
        [lambda e: e**2], [lambda e: e**2], bounds=(0.0, 1.0), panels=32, xtol=1e-7, **kwargs,
    )


@pytest.fixture(scope="module")
def overlapping():
    game = _game(0.0)
    return game, game.solve()


def _payoff_by_interim_utility(game: InvestmentGame, k: int, e_k: float, anticipated: np.ndarray) -> float:
    """E_{F(e_k)}[u(v)] - Psi with u(v) = int_low^v q (buyer) or int_c^high q (supplier), by trapezoids."""
    market = game.market(anticipated)
    outcome = market.bargain([1.0], [1.0])
    side = "buyer" if k == 0 else "supplier"
    dist = game.families[k](e_k)
    x = np.linspace(dist.low, dist.high, 4001)
    q = market.interim_trades(outcome, side, 0, x)
    steps = 0.5 * (q[1:] + q[:-1]) * np.diff(x)
    cum = np.concatenate([[0.0], np.cumsum(steps)])
    utility = cum if side == "buyer" else cum[-1] - cum
    density = np.asarray(dist.pdf(x), dtype=float)
    return float(np.trapezoid(utility * density, x)) - float(game.costs[k](e_k))


def test_equilibrium_satisfies_first_order_conditions(overlapping) -> None:
    game, result = overlapping
    assert result.converged
    e = result.equilibrium
    for k in range(2):
        h = 1e-3
        up = _payoff_by_interim_utility(game, k, e[k] + h, e)
        down = _payoff_by_interim_utility(game, k, e[k] - h, e)
        assert (up - down) / (2 * h) == pytest.approx(0.0, abs=2e-4)
        assert abs(result.marginal_payoffs[k]) < 1e-6
        # and it is a maximum: moving further away lowers the payoff
        centre = _payoff_by_interim_utility(game, k, e[k], e)
        assert centre >= up - 1e-9 and centre >= down - 1e-9


def test_first_best_matches_grid_search(overlapping) -> None:
    game, result = overlapping
    grid = np.linspace(0.0, 0.12, 13)
    values = np.array([[game.first_best_welfare([a, b])[0] for b in grid] for a in grid])
    i, j = np.unravel_index(np.argmax(values), values.shape)
    assert result.first_best == pytest.approx([grid[i], grid[j]], abs=0.01 + 1e-9)
    assert result.welfare_first_best >= values.max() - 1e-10


def test_overlapping_supports_under_invest(overlapping) -> None:
    _, result = overlapping
    assert np.all(result.under_investment > 1e-3)
    assert result.loss_from_underinvestment > 1e-5 and result.loss_from_bargaining > 0
    assert result.welfare_equilibrium < result.welfare_first_best_at_equilibrium < result.welfare_first_best
    assert "under_investment" in result.to_frame().columns and "lost to under-investment" in str(result)


def test_proposition_8_delta_zero_values_above_costs_coincide() -> None:
    result = _game(1.0).solve()
    # first-order condition of the first best in closed form: 1 / (2 + e)^2 = 2 e
    assert result.first_best == pytest.approx([0.11209, 0.11209], abs=1e-4)
    assert result.equilibrium == pytest.approx(result.first_best, abs=1e-6)
    assert abs(result.loss_from_underinvestment) < 1e-9 and abs(result.loss_from_bargaining) < 1e-9
    # unequal weights break the coincidence (Delta != 0)
    skewed = _game(1.0, buyer_weights=[1.0], supplier_weights=[0.2]).solve()
    assert skewed.under_investment.max() > 1e-4


def test_support_must_not_move() -> None:
    with pytest.raises(InvalidParameterError) as info:
        InvestmentGame([lambda e: Uniform(e, 1 + e)], [lambda e: Uniform()], [lambda e: e], [lambda e: e])
    assert "fixed support" in info.value.hint
