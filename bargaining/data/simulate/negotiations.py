"""Simulated bilateral negotiations under incomplete information (Loertscher-Marx).

Each row is one negotiation between a buyer with value v ~ F and a seller with cost c ~ G, independent.
For the bargaining weights (w_B, w_S) of the row's group, the Loertscher-Marx mechanism is solved once by
``Market([F], [G]).bargain(...)`` (:mod:`bargaining.models.mechanism`), giving rho and the weight ratios
a_B = w_B / rho, a_S = w_S / rho; the pair trades iff the ironed weighted virtual value is at least the
weighted virtual cost, F.virtual_value(v, a_B) >= G.virtual_cost(c, a_S).

The price of a trade follows the declared rule:

* ``"k-double-auction"`` (uniform [0, 1] types only): k = k(Delta) from eq. (39), whose linear equilibrium
  trades exactly when the mechanism does; price = k b(v) + (1 - k) s(c) with the equilibrium bid b and ask s.
* ``"posted-price"``: a posted price p (``posted_price=``); trade iff c <= p <= v (this rule decides trade
  itself; the weights are not used) and the price is p.
* ``"intermediary"``: the fee-setting intermediary game of appendix D.3 (:mod:`bargaining.models.intermediary`)
  with the group's weights; trade and the price received by the seller come from the game.
* ``None``: trade only, no price column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bargaining.data.simulate import Simulation
from bargaining.data.validate import validate_negotiations
from bargaining.errors import InvalidParameterError, UnknownNameError

__all__ = ["PRICE_RULE_NAMES", "simulate_negotiations"]

PRICE_RULE_NAMES = ("k-double-auction", "posted-price", "intermediary")


def _uniform(low: float = 0.0, high: float = 1.0) -> Any:
    from bargaining.models.distributions import Uniform

    return Uniform(low, high)


def _describe(dist: Any) -> str:
    name = getattr(dist, "name", None)
    return str(name) if name else repr(dist)


def _is_standard_uniform(dist: Any) -> bool:
    grid = np.linspace(0.0, 1.0, 11)
    return (
        math.isclose(float(dist.low), 0.0, abs_tol=1e-12)
        and math.isclose(float(dist.high), 1.0, abs_tol=1e-12)
        and bool(np.allclose(np.asarray(dist.cdf(grid), dtype=float), grid, atol=1e-10))
    )


def _group_weights(
    delta: float | Sequence[float] | None, weights: Sequence[float] | Sequence[Sequence[float]] | None
) -> list[tuple[float, float]]:
    """Per group (w_B, w_S) with max 1, from Delta values or weight pairs."""
    from bargaining.models.mechanism import weights_from_delta

    if weights is not None:
        if delta is not None:
            raise InvalidParameterError("give delta or weights, not both.", hint="e.g. delta=0.3.")
        array = np.asarray(weights, dtype=float)
        pairs = array.reshape(1, 2) if array.shape == (2,) else array
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise InvalidParameterError(
                f"weights must be a pair (w_B, w_S) or a list of pairs, got shape {array.shape}.",
                hint="e.g. weights=(1.0, 0.5) or weights=[(1, 0.5), (0.5, 1)].",
            )
        out = []
        for w_b, w_s in pairs:
            if not (0 <= w_b <= 1 and 0 <= w_s <= 1) or max(w_b, w_s) == 0:
                from bargaining.errors import InvalidWeightError

                raise InvalidWeightError(
                    f"weights ({w_b}, {w_s}) must be in [0, 1] with at least one positive.",
                    hint="e.g. weights=(1.0, 0.5).",
                )
            top = max(w_b, w_s)
            out.append((float(w_b / top), float(w_s / top)))
        return out
    deltas = [0.0] if delta is None else list(np.atleast_1d(np.asarray(delta, dtype=float)))
    return [tuple(float(w) for w in weights_from_delta(float(d))) for d in deltas]  # type: ignore[misc]


def simulate_negotiations(
    *,
    n: int = 5000,
    value_dist: Any = None,
    cost_dist: Any = None,
    delta: float | Sequence[float] | None = None,
    weights: Sequence[float] | Sequence[Sequence[float]] | None = None,
    price_rule: str | None = "k-double-auction",
    posted_price: float | None = None,
    proxy_noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> Simulation:
    """Simulate n bilateral negotiations: Loertscher-Marx trade and prices by a declared rule.

    Parameters
    ----------
    n
        Number of negotiations (rows).
    value_dist, cost_dist
        Type distributions F of v and G of c (:class:`bargaining.models.distributions.TypeDistribution`);
        default uniform [0, 1].
    delta
        Bargaining differential Delta in [-1, 1] (Delta > 0 favours buyers), or one per group: with k values
        the rows form k groups ``g1..gk`` of (nearly) equal size, in blocks. Default 0.
    weights
        Instead of ``delta``: (w_B, w_S), or one pair per group.
    price_rule
        ``"k-double-auction"``, ``"posted-price"``, ``"intermediary"`` or None (see the module doc).
    posted_price
        The price p of ``"posted-price"``.
    proxy_noise
        If > 0, add columns ``value_proxy`` = v + e_v and ``cost_proxy`` = c + e_c with independent normal
        errors of this standard deviation.
    seed
        int or numpy Generator.

    Returns
    -------
    Simulation
        ``data`` columns: group, traded (0/1), price (NaN without trade; omitted when price_rule is None),
        value, cost, and the proxies; ``truth``: per group Delta, weights, rho, weight ratios, the solver's
        expected_trades, and the rule's parameters.
    """
    from bargaining.models.mechanism import Market, delta_from_weights

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidParameterError(f"n must be an integer >= 1, got {n!r}.", hint="e.g. n=5000.")
    noise = float(proxy_noise)
    if not math.isfinite(noise) or noise < 0:
        raise InvalidParameterError(f"proxy_noise must be >= 0, got {proxy_noise!r}.", hint="e.g. 0.05.")
    rule_name = None if price_rule is None else str(price_rule).strip().lower().replace("_", "-")
    if rule_name is not None and rule_name not in PRICE_RULE_NAMES:
        raise UnknownNameError(
            f"unknown price rule {price_rule!r}.", hint=f"use one of {', '.join(PRICE_RULE_NAMES)} or None."
        )
    if rule_name == "posted-price" and posted_price is None:
        raise InvalidParameterError(
            "the posted-price rule needs posted_price=.", hint="e.g. posted_price=0.5."
        )
    value_dist = _uniform() if value_dist is None else value_dist
    cost_dist = _uniform() if cost_dist is None else cost_dist
    if rule_name == "k-double-auction" and not (
        _is_standard_uniform(value_dist) and _is_standard_uniform(cost_dist)
    ):
        raise InvalidParameterError(
            "the k-double-auction price rule is derived for uniform [0, 1] values and costs.",
            hint="use price_rule='intermediary' (or None) for other distributions.",
        )
    group_weights = _group_weights(delta, weights)
    n_groups = len(group_weights)
    if n_groups > n:
        raise InvalidParameterError(f"{n_groups} groups but only n = {n} rows.", hint="raise n.")

    rng = np.random.default_rng(seed)
    values = np.asarray(value_dist.sample(n, seed=rng), dtype=float)
    costs = np.asarray(cost_dist.sample(n, seed=rng), dtype=float)
    value_error = rng.standard_normal(n)
    cost_error = rng.standard_normal(n)
    group_of = np.repeat(np.arange(n_groups), np.diff(np.linspace(0, n, n_groups + 1).round().astype(int)))

    market = Market([value_dist], [cost_dist])
    traded = np.zeros(n, dtype=np.int64)
    prices = np.full(n, np.nan)
    groups_truth = []
    for g, (w_b, w_s) in enumerate(group_weights):
        rows = group_of == g
        v, c = values[rows], costs[rows]
        outcome = market.bargain([w_b], [w_s])
        a_b = float(np.ravel(outcome.buyer_weight_ratios)[0])
        a_s = float(np.ravel(outcome.supplier_weight_ratios)[0])
        group_delta = float(delta_from_weights(w_b, w_s))
        info: dict[str, Any] = {
            "group": f"g{g + 1}",
            "rows": int(rows.sum()),
            "delta": group_delta,
            "buyer_weight": w_b,
            "supplier_weight": w_s,
            "rho": float(outcome.rho),
            "buyer_weight_ratio": a_b,
            "supplier_weight_ratio": a_s,
            "expected_trades": float(outcome.expected_trades),
            "accuracy": float(getattr(outcome, "accuracy", math.nan)),
        }
        lm_trades = np.asarray(value_dist.virtual_value(v, a_b)) >= np.asarray(cost_dist.virtual_cost(c, a_s))
        if rule_name == "k-double-auction":
            from bargaining.models.bilateral import KDoubleAuction, k_from_delta

            k = float(k_from_delta(group_delta))
            auction = KDoubleAuction(k)
            trade = lm_trades
            price = k * np.asarray(auction.buyer_bid(v), dtype=float) + (1 - k) * np.asarray(
                auction.seller_ask(c), dtype=float
            )
            info["k"] = k
        elif rule_name in ("posted-price", "intermediary"):
            from bargaining.models.price_rules import get_price_rule

            if rule_name == "posted-price":
                assert posted_price is not None  # checked before the loop
                rule = get_price_rule(
                    "posted-price", price=float(posted_price), value_dist=value_dist, cost_dist=cost_dist
                )
            else:
                rule = get_price_rule(
                    "intermediary",
                    value_dist=value_dist,
                    cost_dist=cost_dist,
                    buyer_weight=w_b,
                    supplier_weight=w_s,
                )
            trade = np.asarray(rule.trades(v, c), dtype=bool)
            price = np.asarray(rule.price(v, c), dtype=float)
            info["price_rule_params"] = rule.params
            info["agreement_with_mechanism"] = float(np.mean(trade == lm_trades))
        else:
            trade = lm_trades
            price = np.full(len(v), np.nan)
        traded[rows] = trade.astype(np.int64)
        prices[rows] = np.where(trade, price, np.nan)
        groups_truth.append(info)

    columns: dict[str, Any] = {
        "group": np.array([f"g{g + 1}" for g in range(n_groups)])[group_of],
        "traded": traded,
    }
    if rule_name is not None:
        columns["price"] = prices
    columns["value"] = values
    columns["cost"] = costs
    if noise > 0:
        columns["value_proxy"] = values + noise * value_error
        columns["cost_proxy"] = costs + noise * cost_error
    frame = pd.DataFrame(columns)
    validate_negotiations(
        frame,
        traded="traded",
        price="price" if rule_name is not None else None,
        value="value",
        cost="cost",
        groups="group",
    )
    truth = {
        "model": "bilateral Loertscher-Marx negotiations",
        "n": int(n),
        "value_dist": _describe(value_dist),
        "cost_dist": _describe(cost_dist),
        "price_rule": rule_name,
        "posted_price": None if posted_price is None else float(posted_price),
        "proxy_noise": noise,
        "groups": groups_truth,
        "delta": groups_truth[0]["delta"]
        if n_groups == 1
        else {i["group"]: i["delta"] for i in groups_truth},
    }
    # the estimators' parameter names: fit_incomplete and fit_incomplete_moments call it Delta (one cell)
    if n_groups == 1:
        truth["Delta"] = groups_truth[0]["delta"]
    else:
        truth.update({f"Delta[{i['group']}]": i["delta"] for i in groups_truth})
    description = (
        f"{n} bilateral negotiations in {n_groups} group(s); v ~ {_describe(value_dist)}, "
        f"c ~ {_describe(cost_dist)}; trade by the Loertscher-Marx mechanism for each group's weights"
        + (" (posted price: trade iff c <= p <= v)" if rule_name == "posted-price" else "")
        + (f", price by the {rule_name} rule" if rule_name else ", no price")
        + ". Observable in practice: group, traded, price"
        + (", value_proxy, cost_proxy" if noise > 0 else "")
        + "; value and cost are the true types (known only in synthetic data)."
    )
    return Simulation(data=frame, truth=truth, description=description)
