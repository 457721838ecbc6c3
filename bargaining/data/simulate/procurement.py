"""Simulated procurement: one buyer, several suppliers, the Loertscher-Marx mechanism.

In each auction the buyer (one unit of demand, value v ~ F) faces ``n_suppliers`` suppliers with one unit
each and costs c_j ~ G_j, all independent. For the bargaining differential Delta the mechanism is solved once
by ``Market([F], [G_1, ..., G_S]).bargain_delta(Delta)`` and each auction is allocated by
``Market.allocate``: the supplier with the lowest weighted virtual cost sells iff that virtual cost is at most
the buyer's weighted virtual value.

The recorded ``price`` of the winning supplier is its threshold (dominant-strategy) payment: the largest cost
at which it would still have won, min(Gamma_j^{-1}(Phi(v)), Gamma_j^{-1}(min_{k != j} Gamma_k(c_k))), with
the generalized inverse virtual cost of :mod:`bargaining.models.distributions`. For regular distributions
this is the payment of the dominant-strategy implementation; inside an ironing interval ties are broken by
the mechanism and the threshold is only defined up to that interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bargaining.data.simulate import Simulation
from bargaining.data.simulate.negotiations import _describe, _uniform
from bargaining.data.validate import validate_negotiations
from bargaining.errors import InvalidParameterError

__all__ = ["simulate_procurement"]


def simulate_procurement(
    *,
    n: int = 2000,
    n_suppliers: int = 3,
    value_dist: Any = None,
    cost_dist: Any | Sequence[Any] = None,
    delta: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> Simulation:
    """Simulate n procurement auctions (one buyer, ``n_suppliers`` suppliers) under Loertscher-Marx.

    Parameters
    ----------
    n
        Number of auctions; the data have n x n_suppliers rows (one per auction and supplier).
    n_suppliers
        Suppliers per auction.
    value_dist, cost_dist
        F of the buyer's value; G of the costs, one distribution for all suppliers or one per supplier.
        Default uniform [0, 1].
    delta
        Bargaining differential Delta in [-1, 1] (all suppliers weight w_S, the buyer w_B).
    seed
        int or numpy Generator.

    Returns
    -------
    Simulation
        ``data`` columns: auction, supplier, traded (1 for the supplier that sells), price (its threshold
        payment, NaN otherwise), value (the buyer's v), cost; ``truth``: Delta, rho, weight ratios,
        expected_trades of the solver.
    """
    from bargaining.models.mechanism import Market

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidParameterError(f"n must be an integer >= 1, got {n!r}.", hint="e.g. n=2000.")
    if isinstance(n_suppliers, bool) or not isinstance(n_suppliers, (int, np.integer)) or n_suppliers < 1:
        raise InvalidParameterError(
            f"n_suppliers must be an integer >= 1, got {n_suppliers!r}.", hint="e.g. n_suppliers=3."
        )
    value_dist = _uniform() if value_dist is None else value_dist
    if cost_dist is None:
        cost_dists = [_uniform()] * n_suppliers
    elif isinstance(cost_dist, Sequence):
        cost_dists = list(cost_dist)
        if len(cost_dists) != n_suppliers:
            raise InvalidParameterError(
                f"{len(cost_dists)} cost distributions for {n_suppliers} suppliers.",
                hint="give one distribution, or one per supplier.",
            )
    else:
        cost_dists = [cost_dist] * n_suppliers

    rng = np.random.default_rng(seed)
    values = np.asarray(value_dist.sample(n, seed=rng), dtype=float)
    costs = np.column_stack([np.asarray(g.sample(n, seed=rng), dtype=float) for g in cost_dists])

    market = Market([value_dist], cost_dists)
    outcome = market.bargain_delta(float(delta))
    _, supplier_q = market.allocate(values[:, None], costs, outcome)
    won = np.asarray(supplier_q, dtype=float) > 0.5
    a_b = float(np.ravel(outcome.buyer_weight_ratios)[0])
    a_s = np.ravel(np.asarray(outcome.supplier_weight_ratios, dtype=float))

    phi = np.asarray(value_dist.virtual_value(values, a_b), dtype=float)
    gamma = np.column_stack(
        [np.asarray(g.virtual_cost(costs[:, j], a_s[j]), dtype=float) for j, g in enumerate(cost_dists)]
    )
    threshold = np.full(costs.shape, np.nan)
    for j, g in enumerate(cost_dists):
        others = np.delete(gamma, j, axis=1)
        rival = others.min(axis=1) if others.shape[1] else np.full(n, np.inf)
        bound = np.minimum(phi, rival)
        finite = np.isfinite(bound)
        threshold[finite, j] = np.asarray(g.virtual_cost_inverse(bound[finite], a_s[j]), dtype=float)
        threshold[~finite, j] = float(g.high)
    price = np.where(won, threshold, np.nan)

    frame = pd.DataFrame(
        {
            "auction": np.repeat(np.arange(1, n + 1), n_suppliers),
            "supplier": np.tile([f"s{j + 1}" for j in range(n_suppliers)], n),
            "traded": won.astype(np.int64).ravel(),
            "price": price.ravel(),
            "value": np.repeat(values, n_suppliers),
            "cost": costs.ravel(),
        }
    )
    validate_negotiations(
        frame, traded="traded", price="price", value="value", cost="cost", groups=["auction", "supplier"]
    )
    truth = {
        "model": "procurement: one buyer, several suppliers, Loertscher-Marx",
        "n": int(n),
        "n_suppliers": int(n_suppliers),
        "delta": float(delta),
        "Delta": float(delta),  # the estimators' parameter name
        "rho": float(outcome.rho),
        "buyer_weight_ratio": a_b,
        "supplier_weight_ratios": [float(a) for a in a_s],
        "expected_trades": float(outcome.expected_trades),
        "accuracy": float(getattr(outcome, "accuracy", math.nan)),
        "value_dist": _describe(value_dist),
        "cost_dists": [_describe(g) for g in cost_dists],
    }
    description = (
        f"{n} procurement auctions, one buyer (v ~ {_describe(value_dist)}) and {n_suppliers} suppliers; "
        f"Loertscher-Marx allocation at Delta = {float(delta):g}; one row per auction and supplier. "
        "Observable in practice: auction, supplier, traded, price (the winner's threshold payment); value and "
        "cost are the true types."
    )
    return Simulation(data=frame, truth=truth, description=description)
