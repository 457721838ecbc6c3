r"""Simulated bargaining markets: many logit markets whose prices are Nash-in-Nash bargaining equilibria.

In market t = 1..T, products j = 1..J are sold by sellers (the same ownership pattern in every market, e.g. a
two-product seller ``A`` and single-product sellers ``B`` and ``C``) that bargain over per-unit prices with
the consumers (Miller 2014; :class:`bargaining.models.merger.NashInNashMarket` without ``buyer``). Primitives:

* demand: logit with an outside good priced 0, utility
  :math:`\delta_{jt} - \alpha p_{jt}` with :math:`\delta_{jt} = \xi_0 + \xi_x x_{jt} + \xi_{jt}`,
  :math:`x_{jt} \sim N(0, 1)` an observed demand shifter and :math:`\xi_{jt} \sim N(0, \sigma_\xi^2)` an
  unobserved demand shock;
* costs: :math:`c_{jt} = z_{jt}'\gamma + \omega_{jt}` with :math:`z = (1, z_1, z_2)`,
  :math:`z_1 \sim U(0, 1)`, :math:`z_2 \sim N(0, 1)` and the unobserved cost shock
  :math:`\omega_{jt} \sim N(0, \sigma_\omega^2)`;
* one seller weight beta, or one per seller (``seller_weight={"A": 0.3, ...}``), or weights by a covariate
  (``weight_delta={"Intercept": d0, "w": d1}``): :math:`\beta_{jt} = \Lambda(d_0 + d_1 w_{jt})` with the
  logistic function :math:`\Lambda` and an observed characteristic :math:`w_{jt} \sim N(0, 1)` (column ``w``,
  drawn after all other variables, so the other columns are those of the same seed without it; truth keys
  ``delta[Intercept]``, ``delta[w]`` as ``fit_merger_model(weight_formula="~ 1 + w")`` names them).

Equilibrium prices solve the Nash-in-Nash first-order conditions
(:mod:`bargaining.models.merger.equations`) with ``NashInNashMarket.solve``. The rows carry what an
econometrician sees (market, product, seller, price, share, x, z1, z2 and the rivals' sums ``x_rivals``,
``z1_rivals``, ``z2_rivals`` of the other products in the market, natural instruments) and, for checks, the
true ``marginal_cost``, ``margin`` (p - c) and shocks ``xi``, ``omega``. ``truth`` keys the parameters as
:func:`bargaining.estimate.merger_estimation.fit_merger_model` names its estimates: ``seller_weight`` or
``seller_weight[SELLER]``, ``gamma[Intercept]``, ``gamma[z1]``, ``gamma[z2]``, and ``alpha``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from bargaining.data.simulate import Simulation
from bargaining.errors import ConvergenceError, InvalidParameterError

__all__ = ["simulate_bargaining_markets"]

DEFAULT_SELLERS = ("A", "A", "B", "C")
DEFAULT_GAMMA = {"Intercept": 2.0, "z1": 1.0, "z2": 0.5}


def _weights(seller_weight: float | Mapping[str, float], sellers: Sequence[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """beta per product and the truth entries (``seller_weight`` or ``seller_weight[SELLER]``)."""
    if isinstance(seller_weight, Mapping):
        missing = sorted(set(sellers) - set(seller_weight))
        if missing:
            raise InvalidParameterError(
                f"seller_weight has no weight for sellers {missing}.",
                hint=f"give one weight per seller {sorted(set(sellers))}, or one number for all.",
            )
        values = {str(k): float(v) for k, v in seller_weight.items() if k in set(sellers)}
        beta = np.array([values[s] for s in sellers])
        truth: dict[str, Any] = {f"seller_weight[{k}]": v for k, v in sorted(values.items())}
    else:
        beta = np.full(len(sellers), float(seller_weight))
        truth = {"seller_weight": float(seller_weight)}
    if not np.all((beta > 0) & (beta <= 1)):
        raise InvalidParameterError(
            f"seller weights must lie in (0, 1], got {np.unique(beta)}.",
            hint="beta is the seller's Nash weight; 0 would price at cost and identify nothing.",
        )
    return beta, truth


def simulate_bargaining_markets(
    *,
    n_markets: int = 200,
    sellers: Sequence[str] = DEFAULT_SELLERS,
    seller_weight: float | Mapping[str, float] = 0.5,
    alpha: float = 1.0,
    demand_intercept: float = 2.0,
    demand_slope: float = 1.0,
    gamma: Mapping[str, float] | None = None,
    sd_xi: float = 0.5,
    sd_omega: float = 0.25,
    weight_delta: Mapping[str, float] | None = None,
    seed: int | np.random.Generator | None = None,
) -> Simulation:
    """Simulate ``n_markets`` logit markets with Nash-in-Nash bargained prices (see the module docstring).

    Parameters
    ----------
    n_markets
        Number of markets T; the data have T x J rows (J = ``len(sellers)``).
    sellers
        The seller of each product (the same in every market; repeated labels are multi-product sellers).
    seller_weight
        beta in (0, 1]: one number, or a mapping seller -> beta.
    alpha
        Price coefficient of logit demand (> 0).
    demand_intercept, demand_slope
        Mean utility xi_0 + xi_x x_jt + xi_jt.
    gamma
        Cost coefficients on ``Intercept``, ``z1``, ``z2`` (default 2, 1, 0.5).
    sd_xi, sd_omega
        Standard deviations of the demand and cost shocks.
    weight_delta
        Seller weights by a covariate instead of ``seller_weight``: ``{"Intercept": d0, "w": d1}`` gives
        beta_jt = logistic(d0 + d1 w_jt) with w_jt ~ N(0, 1) in column ``w``.
    seed
        int or numpy Generator.

    Examples
    --------
    >>> sim = simulate("bargaining-markets", n=3, weight_delta={"Intercept": 0.0, "w": 1.0}, seed=1)
    >>> sorted(k for k in sim.truth if k.startswith("delta")), "w" in sim.data.columns
    (['delta[Intercept]', 'delta[w]'], True)
    """
    from bargaining.models.demand import LogitDemand
    from bargaining.models.merger import NashInNashMarket

    if isinstance(n_markets, bool) or not isinstance(n_markets, (int, np.integer)) or n_markets < 1:
        raise InvalidParameterError(f"n_markets must be an integer >= 1, got {n_markets!r}.", hint="e.g. 200.")
    sellers = [str(s) for s in sellers]
    if len(sellers) < 1:
        raise InvalidParameterError("sellers is empty.", hint="give one seller label per product.")
    if not alpha > 0:
        raise InvalidParameterError(f"alpha must be positive, got {alpha!r}.", hint="e.g. alpha=1.")
    coefficients = dict(DEFAULT_GAMMA if gamma is None else gamma)
    if set(coefficients) != set(DEFAULT_GAMMA):
        raise InvalidParameterError(
            f"gamma must have the keys {sorted(DEFAULT_GAMMA)}, got {sorted(coefficients)}.",
            hint="e.g. gamma={'Intercept': 2.0, 'z1': 1.0, 'z2': 0.5}.",
        )
    beta, weight_truth = _weights(seller_weight, sellers)
    rng = np.random.default_rng(seed)
    n_products = len(sellers)
    shape = (int(n_markets), n_products)
    x = rng.normal(size=shape)
    z1 = rng.uniform(size=shape)
    z2 = rng.normal(size=shape)
    xi = rng.normal(scale=sd_xi, size=shape)
    omega = rng.normal(scale=sd_omega, size=shape)
    beta_rows = np.broadcast_to(beta, shape)
    w = None
    if weight_delta is not None:
        if isinstance(seller_weight, Mapping) or set(weight_delta) != {"Intercept", "w"}:
            raise InvalidParameterError(
                "weight_delta must have the keys 'Intercept' and 'w', with seller_weight left a number.",
                hint="e.g. weight_delta={'Intercept': 0.0, 'w': 0.8}.")
        w = rng.normal(size=shape)
        beta_rows = expit(float(weight_delta["Intercept"]) + float(weight_delta["w"]) * w)
        weight_truth = {f"delta[{k}]": float(v) for k, v in sorted(weight_delta.items())}
    delta = demand_intercept + demand_slope * x + xi
    cost = coefficients["Intercept"] + coefficients["z1"] * z1 + coefficients["z2"] * z2 + omega
    products = [f"P{j + 1}" for j in range(n_products)]
    price = np.empty(shape)
    share = np.empty(shape)
    for t in range(shape[0]):
        demand = LogitDemand(alpha, delta[t], products=products)
        market = NashInNashMarket(demand, seller=sellers, marginal_cost=cost[t], seller_weight=beta_rows[t])
        # starts: costs plus a markup in units of 1 / alpha. The large markups matter for a market with a
        # dominant product (share near 0.7 or more): from the small ones the hybrid Powell steps can run into the
        # region where that product's share is 1 to machine precision and the equations are flat there, a
        # spurious "solution" with a negative margin that the validity check below rejects. Before these starts
        # were added, merger-grouped-weight (N = 800) lost replication 81 of 100 at seed 0 and replications 42,
        # 88, 147, 162 of 200 at seed 3 (the slow test's run) that way; all now simulate and fit.
        for markup in (beta_rows[t], 1.0, 0.25, 2.0, 5.0, 10.0):
            with np.errstate(divide="ignore", invalid="ignore"):  # a start that runs into saturated shares
                solution = market.solve(start=cost[t] + markup / alpha)
                shares = demand.shares(solution.price).to_numpy()
            valid = (solution.converged and np.all(solution.price > cost[t])
                     and np.all((shares > 1e-12) & (shares < 1.0 - 1e-12)))
            if valid:
                break
        else:
            raise ConvergenceError(
                f"market {t}: the bargaining equilibrium did not converge from any start "
                f"(residual {solution.residual:.3g}).",
                hint="use smaller shocks, a smaller demand_intercept or a different seed.",
            )
        price[t] = solution.price
        share[t] = shares

    def rivals(values: np.ndarray) -> np.ndarray:
        return values.sum(axis=1, keepdims=True) - values

    frame = pd.DataFrame({
        "market": np.repeat(np.arange(shape[0]), n_products),
        "product": np.tile(products, shape[0]),
        "seller": np.tile(sellers, shape[0]),
        "price": price.ravel(),
        "share": share.ravel(),
        "x": x.ravel(),
        "z1": z1.ravel(),
        "z2": z2.ravel(),
        "x_rivals": rivals(x).ravel(),
        "z1_rivals": rivals(z1).ravel(),
        "z2_rivals": rivals(z2).ravel(),
        "marginal_cost": cost.ravel(),
        "margin": (price - cost).ravel(),
        "xi": xi.ravel(),
        "omega": omega.ravel(),
    })
    if w is not None:
        frame["w"] = w.ravel()
        frame["seller_weight"] = beta_rows.ravel()
    truth: dict[str, Any] = {
        **weight_truth,
        **{f"gamma[{k}]": float(v) for k, v in coefficients.items()},
        "alpha": float(alpha),
        "demand_intercept": float(demand_intercept),
        "demand_slope": float(demand_slope),
        "sd_xi": float(sd_xi),
        "sd_omega": float(sd_omega),
        "sellers": list(sellers),
        "n_markets": int(n_markets),
    }
    description = (
        f"{n_markets} logit markets x {n_products} products, sellers {sellers}, prices bargained Nash-in-Nash with "
        "consumers (NashInNashMarket). Observed: market, product, seller, price, share, x (demand shifter), z1, z2 "
        "(cost shifters) and rivals' sums; unobserved: marginal_cost, margin, xi, omega."
    )
    return Simulation(data=frame, truth=truth, description=description)
