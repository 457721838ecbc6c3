"""Counterfactuals on a Loertscher-Marx market: mergers, vertical integration, equal bargaining power.

Every operation builds the market after the change as a new :class:`~bargaining.models.mechanism.market.Market`
and solves both with the same solver (rho, allocation and payoffs are never re-derived here). The result is a
frozen :class:`CounterfactualComparison` (before, after, the change, and the accuracy of each number).

Economics assumed (the online appendix of Loertscher and Marx, 2022, is silent on the points marked *):

Merger of two suppliers i, j (:func:`merge_suppliers`, :func:`compare_merger`)
    The merged firm is one agent whose private cost is the lower of the two pre-merger costs, drawn
    independently: G_M(c) = 1 - (1 - G_i(c))(1 - G_j(c)) (:class:`MinimumOf`). *It supplies ``units`` units,
    all at that cost; the default is max(K_i, K_j), which with unit capacities is the one-unit firm with cost
    min(c_i, c_j). The model is exact whenever at most one unit of the pair can trade (e.g. one buyer with unit
    demand); otherwise it assumes the merged firm produces every unit with its better technology (pass
    ``units=K_i + K_j`` to keep the pair's whole capacity). *Its bargaining weight is ``merged_weight``,
    by default the larger of the two pre-merger weights (the merged firm bargains at least as well as the
    stronger of its parts). The merged firm takes the position of the first of the pair; the others keep
    their order. A merger of buyers is the mirror image: value max(v_i, v_j), F_M = F_i F_j (:class:`MaximumOf`).

Vertical integration of the buyer with supplier i (:func:`integrate_vertically`, :func:`compare_integration`)
    (appendix Proposition 7) One buyer with unit demand; supplier i has unit capacity. The integrated firm
    can make the unit itself at cost c_i or buy it from a rival j; relative to its stand-alone surplus
    max(v - c_i, 0), buying from j is worth min(v, c_i) - c_j. So after integration it is a buyer whose private
    value for outside supply is x = min(v, c_i), with distribution 1 - (1 - F)(1 - G_i) (when values lie above
    costs, x = c_i exactly as in the appendix: a generalized Myerson-Satterthwaite problem). *Its weight in the
    remaining negotiation is ``integrated_weight``, by default the buyer's (it negotiates as the buyer did).
    Its payoff is the in-house surplus E[max(v - c_i, 0)] plus its payoff as a buyer; welfare after is that
    surplus plus the welfare of the remaining market; the first-best welfare is unchanged by integration. The
    mirror case (one supplier integrating with buyer i) uses the cost max(v_i, c) of selling outside.
    *Preferences theta, discounts and participation costs are not supported (the integrated firm's value of a
    bundle would no longer be one-dimensional); outside options are kept (they are part of the types).

Equalization of bargaining power (:func:`equalize_power`; Proposition 3)
    Welfare at the given weights W^w against welfare at equal weights W^1 (the planner's second best). W^w <= W^1
    always, because the equal-weight mechanism maximizes welfare subject to the same constraints. Equality holds
    exactly when the two allocation rules coincide. The appendix proves the proposition with four conditions
    whose statements are in the paper's main text; the check reconstructs them from the proof, made exact:

    (i) (eq. 7 / 8) the short side (the side with fewer units in total; both sides when equal) trades all its
        units at every type profile under the market's weights. Checked in primitives: the lowest weighted virtual
        type of the short side at the worst end of its support against the K-th best of the other side's at its
        worst end (K = the short side's units).
    (ii) the agents whose ranking matters have equal weights: the long side's agents if (i) holds (the short
        side trades in full whatever the ranking), all buyers and all suppliers if (i) fails.
    (iii) if w^S < w^B (suppliers' ratio w^S / rho < 1) and the suppliers' ranking matters, they have identical,
        regular cost distributions.
    (iv) the mirror image for buyers when w^B < w^S.

    With all weights already equal the conditions hold trivially. The reconstruction of (ii) is sharper than the
    appendix's Case 2, which does not exempt a short side that always trades; the property tests check that the
    conditions hold exactly when W^w = W^1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import integrate as sp_integrate

from bargaining.errors import InvalidParameterError
from bargaining.models.mechanism.comparison import Condition, CounterfactualComparison
from bargaining.models.mechanism.extreme_types import MaximumOf, MinimumOf
from bargaining.models.mechanism.inputs import normalized_weights
from bargaining.models.mechanism.market import Market
from bargaining.models.mechanism.outcome import BargainingOutcome

__all__ = [
    "Condition",
    "CounterfactualComparison",
    "MaximumOf",
    "MinimumOf",
    "compare_integration",
    "compare_merger",
    "equalize_power",
    "integrate_vertically",
    "merge_buyers",
    "merge_suppliers",
]

_TOL = 1e-9


# ------------------------------------------------------------------------------------------ helpers
def _check_market(market: Any, what: str) -> Market:
    if not isinstance(market, Market):
        raise InvalidParameterError(f"{what} needs a Market, got {type(market).__name__}.", hint="Pass a bargaining.Market.")
    if getattr(market, "_one_buyer", False) or np.any(market.preferences != 1.0) or np.any(market.discounts != 0.0):
        raise InvalidParameterError(
            f"{what} is defined for markets without buyer preferences or discounts.",
            hint="Drop preferences/discounts: after the change an agent's value of a bundle would not be one-dimensional.",
        )
    if np.any(market.buyer_participation_costs > 0) or np.any(market.supplier_participation_costs > 0):
        raise InvalidParameterError(
            f"{what} is defined for markets without participation costs.",
            hint="Drop buyer_participation_costs / supplier_participation_costs (who pays them after a merger is a modelling choice).",
        )
    return market


def _rebuild(market: Market, buyers: list[Any], suppliers: list[Any], buyer_units: Any, supplier_units: Any) -> Market:
    """A market with the same numerical settings (the types already include outside-option shifts)."""
    return Market(
        buyers, suppliers, buyer_units=list(buyer_units), supplier_units=list(supplier_units),
        method="qmc" if market.method == "qmc" else "auto", atol=market.atol / market.scale, rtol=market.rtol,
        qmc_points=market.qmc_points, qmc_replicates=market.qmc_replicates, seed=market.seed,
    )


def _index(i: Any, n: int, name: str) -> int:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < n:
        raise InvalidParameterError(f"{name}={i!r} is not an agent index.", hint=f"Use 0..{n - 1} (positions in the list, from 0).")
    return int(i)


def _pair(pair: Any, n: int, side: str) -> tuple[int, int]:
    try:
        i, j = pair
    except (TypeError, ValueError):
        raise InvalidParameterError(f"The {side} to merge must be a pair of indices, got {pair!r}.", hint="e.g. (0, 1).") from None
    i, j = _index(i, n, side), _index(j, n, side)
    if i == j:
        raise InvalidParameterError(f"Cannot merge {side} {i} with itself.", hint="Give two different indices.")
    return (i, j) if i < j else (j, i)


def _labels(nb: int, ns: int) -> list[str]:
    return [f"buyer {k + 1}" for k in range(nb)] + [f"supplier {k + 1}" for k in range(ns)]


def _weights(market: Market, buyer_weights: Any, supplier_weights: Any) -> tuple[np.ndarray, np.ndarray]:
    nb, ns = len(market.buyers), len(market.suppliers)
    wb = np.ones(nb) if buyer_weights is None else np.broadcast_to(np.asarray(buyer_weights, dtype=float), (nb,)).copy()
    ws = np.ones(ns) if supplier_weights is None else np.broadcast_to(np.asarray(supplier_weights, dtype=float), (ns,)).copy()
    return normalized_weights(wb, ws, nb, ns)


def _weight(value: Any, default: float, name: str) -> float:
    if value is None:
        return float(default)
    w = float(value)
    if not (math.isfinite(w) and 0.0 <= w <= 1.0):
        raise InvalidParameterError(f"{name}={value!r} must be a weight in [0, 1].", hint=f"e.g. {name}=1.0.")
    return w


def _merged_list(items: Sequence[Any], i: int, j: int, merged: Any) -> list[Any]:
    out = list(items)
    out[i] = merged
    del out[j]
    return out


# ------------------------------------------------------------------------------------------ mergers
def _merge(market: Market, pair: Any, side: str, units: Any) -> tuple[Market, tuple[int, int], int]:
    _check_market(market, f"A merger of {side}s")
    dists = market.suppliers if side == "supplier" else market.buyers
    caps = market.supplier_units if side == "supplier" else market.buyer_units
    i, j = _pair(pair, len(dists), f"{side}s")
    if units is None:
        k = int(max(caps[i], caps[j]))
    else:
        if isinstance(units, bool) or not float(units).is_integer() or int(units) < 1:
            raise InvalidParameterError(f"units={units!r} must be an integer >= 1.", hint="e.g. units=1 or units=2.")
        k = int(units)
    merged = MinimumOf([dists[i], dists[j]]) if side == "supplier" else MaximumOf([dists[i], dists[j]])
    new_dists = _merged_list(dists, i, j, merged)
    new_caps = _merged_list(list(caps), i, j, k)
    if side == "supplier":
        post = _rebuild(market, list(market.buyers), new_dists, market.buyer_units, new_caps)
    else:
        post = _rebuild(market, new_dists, list(market.suppliers), new_caps, market.supplier_units)
    return post, (i, j), k


def merge_suppliers(market: Market, pair: Any, *, units: Any = None) -> Market:
    """The market after suppliers ``pair = (i, j)`` (indices from 0) merge.

    The merged firm's cost is min(c_i, c_j), G_M = 1 - (1 - G_i)(1 - G_j); it has ``units`` units (default
    max(K_i, K_j)) and takes position min(i, j); the other suppliers keep their order. See the module
    docstring for the assumptions.

    Parameters
    ----------
    market
        The market before the merger.
    pair
        Indices ``(i, j)`` (from 0) of the merging suppliers.
    units
        Units of the merged supplier (default: the larger of the two).

    Examples
    --------
    >>> from bargaining import Market, Uniform
    >>> float(merge_suppliers(Market([Uniform()], [Uniform(), Uniform()]), (0, 1)).suppliers[0].cdf(0.5))
    0.75
    """
    return _merge(market, pair, "supplier", units)[0]


def merge_buyers(market: Market, pair: Any, *, units: Any = None) -> Market:
    """The market after buyers ``pair = (i, j)`` merge: value max(v_i, v_j), F_M = F_i F_j (mirror of suppliers).

    Parameters
    ----------
    market
        The market before the merger.
    pair
        Indices ``(i, j)`` (from 0) of the merging buyers.
    units
        Units of the merged buyer (default: the larger of the two).

    Examples
    --------
    >>> from bargaining import Market, Uniform
    >>> float(merge_buyers(Market([Uniform(), Uniform()], [Uniform()]), (0, 1)).buyers[0].cdf(0.5))
    0.25
    """
    return _merge(market, pair, "buyer", units)[0]


def compare_merger(
    market: Market,
    *,
    suppliers: Any = None,
    buyers: Any = None,
    buyer_weights: Any = None,
    supplier_weights: Any = None,
    merged_weight: Any = None,
    units: Any = None,
) -> CounterfactualComparison:
    """Outcomes before and after a merger of two suppliers (``suppliers=(i, j)``) or two buyers (``buyers=``).

    Parameters
    ----------
    buyer_weights, supplier_weights
        Pre-merger weights (default all 1, equal bargaining power); shares of a slack surplus are equal.
    merged_weight
        The merged firm's weight; default the larger of the pair's weights.
    units
        The merged firm's capacity (default the larger of the pair's).

    Examples
    --------
    >>> from bargaining.models.distributions import Uniform
    >>> m = Market([Uniform()], [Uniform(), Uniform(), Uniform()])
    >>> cmp = compare_merger(m, suppliers=(0, 1))
    >>> cmp.welfare_change < 0
    True
    """
    if (suppliers is None) == (buyers is None):
        raise InvalidParameterError("Give exactly one of suppliers=(i, j) and buyers=(i, j).", hint="e.g. suppliers=(0, 1).")
    side = "supplier" if suppliers is not None else "buyer"
    post, (i, j), k = _merge(market, suppliers if suppliers is not None else buyers, side, units)
    wb, ws = _weights(market, buyer_weights, supplier_weights)
    own = ws if side == "supplier" else wb
    w_m = _weight(merged_weight, max(own[i], own[j]), "merged_weight")
    new_own = np.asarray(_merged_list(list(own), i, j, w_m))
    wb_post, ws_post = (wb, new_own) if side == "supplier" else (new_own, ws)
    before, after = market.bargain(wb, ws), post.bargain(wb_post, ws_post)
    labels_before = _labels(len(market.buyers), len(market.suppliers))
    nb, ns = len(market.buyers), len(market.suppliers)
    if side == "supplier":
        names = [f"supplier {m + 1}" for m in range(ns)]
        merged_names = _merged_list(names, i, j, f"supplier {i + 1}+{j + 1} (merged)")
        labels_after = [f"buyer {m + 1}" for m in range(nb)] + merged_names
    else:
        names = [f"buyer {m + 1}" for m in range(nb)]
        labels_after = _merged_list(names, i, j, f"buyer {i + 1}+{j + 1} (merged)") + [f"supplier {m + 1}" for m in range(ns)]
    kind, ext = ("cost", "min(c_i, c_j): G_M = 1 - (1 - G_i)(1 - G_j)") if side == "supplier" else (
        "value", "max(v_i, v_j): F_M = F_i F_j")
    assumptions = (
        f"The merged {side} is one agent with private {kind} {ext}, the two drawn independently as before.",
        (f"It has {k} unit(s), all at that {kind} (default: the larger capacity of the pair; exact when at most one "
        f"unit of the pair can trade)."),
        (f"Its bargaining weight is {w_m:g} ({'given' if merged_weight is not None else 'default: the larger of the pair'}); "
        "other weights are unchanged; shares of a slack surplus are equal."),
        ("Both markets are solved by the same Loertscher-Marx solver; 'trade rate' is expected trades over the "
        "short side's units (the probability of trade with one unit on the short side)."),
    )
    return CounterfactualComparison(
        operation=f"merger of {side}s {i + 1} and {j + 1}",
        market_before=market, market_after=post, before=before, after=after,
        first_best_before=market.first_best(), first_best_after=post.first_best(),
        labels_before=tuple(labels_before), labels_after=tuple(labels_after), assumptions=assumptions,
    )


# ------------------------------------------------------------------------------------------ vertical integration
def _expected_positive_part(value: Any, cost: Any) -> tuple[float, float]:
    """E[max(v - c, 0)] = int (1 - F(t)) G(t) dt for independent v ~ value, c ~ cost, and its error."""
    lo, hi = max(float(cost.low), float(value.low)), float(value.high)
    head = 0.0
    if float(value.low) > float(cost.low):
        # below value.low, 1 - F = 1: int_{c_low}^{v_low} G(t) dt
        lo_c, hi_c = float(cost.low), min(float(value.low), float(cost.high))
        part, err0 = sp_integrate.quad(lambda t: float(cost.cdf(t)), lo_c, hi_c, epsabs=1e-14, epsrel=1e-12, limit=200)
        head, head_err = part, err0
        if float(value.low) > float(cost.high):
            head += float(value.low) - float(cost.high)
    else:
        head_err = 0.0
    if hi <= lo:
        return head, head_err
    points = sorted({float(p) for d in (value, cost) for p in (d.low, d.high, *getattr(d, "breakpoints", ())) if lo < p < hi})
    body, err = sp_integrate.quad(lambda t: float(value.sf(t)) * float(cost.cdf(t)), lo, hi, points=points or None,
                                  epsabs=1e-14, epsrel=1e-12, limit=400)
    return head + body, head_err + err + 1e-14 * max(1.0, hi - lo)


def integrate_vertically(market: Market, *, supplier: Any = None, buyer: Any = None) -> tuple[Market, float, float]:
    """The remaining market after the only buyer integrates with ``supplier`` (or the only supplier with ``buyer``).

    Returns (market after, in-house surplus E[max(v - c_i, 0)], its error bound). The integrated firm is the
    first buyer (or the first supplier) of the market after, with value of outside supply min(v, c_i)
    (cost of selling outside max(v_i, c)); see the module docstring.

    Parameters
    ----------
    market
        A market with one buyer (to integrate with ``supplier``) or one supplier (to integrate with
        ``buyer``).
    supplier, buyer
        Index (from 0) of the integrating partner; give exactly one.

    Examples
    --------
    >>> from bargaining import Market, Uniform
    >>> after, surplus, error = integrate_vertically(Market([Uniform()], [Uniform(), Uniform()]), supplier=0)
    >>> round(surplus, 6)   # E[max(v - c, 0)] = 1/6 with uniform types
    0.166667
    """
    _check_market(market, "Vertical integration")
    if (supplier is None) == (buyer is None):
        raise InvalidParameterError("Give exactly one of supplier=i (one buyer) and buyer=i (one supplier).", hint="e.g. supplier=0.")
    if supplier is not None:
        if len(market.buyers) != 1 or int(market.buyer_units[0]) != 1:
            raise InvalidParameterError(
                "Integration with a supplier needs exactly one buyer with unit demand (appendix Proposition 7).",
                hint="Use a market with one buyer (buyer_units=1), or integrate a buyer with the only supplier.",
            )
        i = _index(supplier, len(market.suppliers), "supplier")
        if int(market.supplier_units[i]) != 1:
            raise InvalidParameterError(f"Supplier {i} has {market.supplier_units[i]} units.", hint="The integrating supplier must have unit capacity.")
        if len(market.suppliers) < 2:
            raise InvalidParameterError("After integration no supplier would be left to trade with.", hint="Use at least two suppliers.")
        v, c = market.buyers[0], market.suppliers[i]
        x = c if float(v.low) >= float(c.high) else MinimumOf([v, c])
        others = [d for k, d in enumerate(market.suppliers) if k != i]
        units = [u for k, u in enumerate(market.supplier_units) if k != i]
        post = _rebuild(market, [x], others, [1], units)
    else:
        if len(market.suppliers) != 1 or int(market.supplier_units[0]) != 1:
            raise InvalidParameterError(
                "Integration with a buyer needs exactly one supplier with unit capacity (appendix Proposition 7).",
                hint="Use a market with one supplier (supplier_units=1), or integrate a supplier with the only buyer.",
            )
        i = _index(buyer, len(market.buyers), "buyer")
        if int(market.buyer_units[i]) != 1:
            raise InvalidParameterError(f"Buyer {i} demands {market.buyer_units[i]} units.", hint="The integrating buyer must have unit demand.")
        if len(market.buyers) < 2:
            raise InvalidParameterError("After integration no buyer would be left to trade with.", hint="Use at least two buyers.")
        v, c = market.buyers[i], market.suppliers[0]
        y = v if float(v.low) >= float(c.high) else MaximumOf([v, c])
        others = [d for k, d in enumerate(market.buyers) if k != i]
        units = [u for k, u in enumerate(market.buyer_units) if k != i]
        post = _rebuild(market, others, [y], units, [1])
    surplus, err = _expected_positive_part(v, c)
    return post, surplus, err


def compare_integration(
    market: Market,
    *,
    supplier: Any = None,
    buyer: Any = None,
    buyer_weights: Any = None,
    supplier_weights: Any = None,
    integrated_weight: Any = None,
) -> CounterfactualComparison:
    """Outcomes before and after vertical integration, with a check of appendix Proposition 7.

    Proposition 7: with one buyer (unit demand), at least two suppliers, values above costs (non-overlapping
    supports) and equal weights, bargaining reaches the first best before integration and, when the
    integrated supplier's cost range overlaps a rival's, not after (a generalized Myerson-Satterthwaite
    problem, whatever the weights). ``claim`` reports the prediction and whether the numbers agree.

    ``integrated_weight`` is the integrated firm's weight in the remaining market (default: the weight of the
    side it keeps negotiating as, i.e. the buyer's when a supplier is integrated).

    Parameters
    ----------
    market
        The market before integration (a :class:`~bargaining.Market`).
    supplier, buyer
        Index (from 0) of the supplier that the only buyer integrates with, or of the buyer that the only
        supplier integrates with; give exactly one.
    buyer_weights, supplier_weights
        Bargaining weights before integration (default: all 1).
    integrated_weight
        The integrated firm's weight after integration (default as above).

    Examples
    --------
    >>> from bargaining import Market, Uniform
    >>> cmp = compare_integration(Market([Uniform()], [Uniform(), Uniform()]), supplier=0)
    >>> cmp.claim["applies"]   # overlapping cost supports: Proposition 7 makes no prediction
    False
    """
    post, surplus, err = integrate_vertically(market, supplier=supplier, buyer=buyer)
    wb, ws = _weights(market, buyer_weights, supplier_weights)
    nb, ns = len(market.buyers), len(market.suppliers)
    if supplier is not None:
        i = int(supplier)
        w_i = _weight(integrated_weight, wb[0], "integrated_weight")
        wb_post, ws_post = np.array([w_i]), np.delete(ws, i)
        firm = f"buyer 1+supplier {i + 1} (integrated)"
        labels_after = [firm] + [f"supplier {k + 1}" for k in range(ns) if k != i]
        offsets = (surplus, 0.0)
        others_d = [d for k, d in enumerate(market.suppliers) if k != i]
        own = market.suppliers[i]
        one_side, overlap_support = market.buyers[0], all(float(market.buyers[0].low) >= float(d.high) for d in market.suppliers)
        op = f"vertical integration of buyer 1 with supplier {i + 1}"
    else:
        i = int(buyer)
        w_i = _weight(integrated_weight, ws[0], "integrated_weight")
        wb_post, ws_post = np.delete(wb, i), np.array([w_i])
        firm = f"buyer {i + 1}+supplier 1 (integrated)"
        labels_after = [f"buyer {k + 1}" for k in range(nb) if k != i] + [firm]
        offsets = (0.0, surplus)
        others_d = [d for k, d in enumerate(market.buyers) if k != i]
        own = market.buyers[i]
        one_side, overlap_support = market.suppliers[0], all(float(d.low) >= float(market.suppliers[0].high) for d in market.buyers)
        op = f"vertical integration of supplier 1 with buyer {i + 1}"
    del one_side
    before, after = market.bargain(wb, ws), post.bargain(wb_post, ws_post)
    fb_before, fb_after = market.first_best(), post.first_best()
    equal = bool(np.all(wb == 1.0) and np.all(ws == 1.0))
    rivals_overlap = any(max(float(own.low), float(d.low)) < min(float(own.high), float(d.high)) for d in others_d)
    conditions = (
        Condition("(a)", "one agent with unit demand/capacity on its side, two or more on the other", True, "checked on construction"),
        Condition("(b)", "non-overlapping supports (every value above every cost)", overlap_support,
                  "values lie above costs" if overlap_support else "some value lies below some cost"),
        Condition("(c)", "symmetric (equal) bargaining weights before integration", equal,
                  "all weights equal" if equal else f"buyer weights {wb.tolist()}, supplier weights {ws.tolist()}"),
        Condition("(d)", "the integrated agent's type range overlaps a rival's (implicit: identical supports)", rivals_overlap,
                  "overlap" if rivals_overlap else "no overlap: the integrated firm never trades outside, or always"),
    )
    tol = 1e-7 * market.scale + 10 * (before.accuracy + after.accuracy + fb_before.accuracy + fb_after.accuracy + err)
    fb_w = float(fb_before.welfare)
    w_before, w_after = float(before.welfare), float(after.welfare) + surplus
    first_best_before = abs(w_before - fb_w) <= tol
    first_best_after = abs(w_after - (float(fb_after.welfare) + surplus)) <= tol
    applies = all(c.holds for c in conditions)
    agrees = (first_best_before and not first_best_after) if applies else None
    text = (
        "Proposition 7 applies: first best before integration, not after. "
        + ("The numbers agree." if agrees else "The numbers DISAGREE.")
        if applies else
        "Proposition 7's conditions fail (" + ", ".join(c.label for c in conditions if not c.holds) + "): it makes no prediction."
    )
    claim = {
        "applies": applies, "first_best_before": first_best_before, "first_best_after": first_best_after,
        "agrees": agrees, "tolerance": tol, "text": text,
        "welfare_loss_before": fb_w - w_before, "welfare_loss_after": float(fb_after.welfare) + surplus - w_after,
    }
    assumptions = (
        ("After integration the firm's value of outside supply is min(v, c_i) (its own cost c_i when values lie above "
        "costs, as in appendix Proposition 7); mirror image max(v_i, c) for a supplier integrating with a buyer."),
        (f"Its weight in the remaining negotiation is {w_i:g} "
        f"({'given' if integrated_weight is not None else 'default: the weight of the side it negotiates as'})."),
        "Its payoff adds the in-house surplus E[max(v - c_i, 0)] (also counted in welfare and the first best).",
        "Expected trades after integration count trades between separate firms only (not in-house production).",
    )
    return CounterfactualComparison(
        operation=op, market_before=market, market_after=post, before=before, after=after,
        first_best_before=fb_before, first_best_after=fb_after,
        labels_before=tuple(_labels(nb, ns)), labels_after=tuple(labels_after), assumptions=assumptions,
        after_offsets=offsets, offset_accuracy=err, conditions=conditions, claim=claim,
    )


# ------------------------------------------------------------------------------------------ bargaining power
def _virtual(market: Market, side: str, k: int, x: float, a: float) -> float:
    d = market.buyers[k] if side == "B" else market.suppliers[k]
    f = d.virtual_value if side == "B" else d.virtual_cost
    return float(np.asarray(f(np.array([x]), weight=min(max(float(a), 0.0), 1.0)), dtype=float)[0])


def _same_distributions(dists: Sequence[Any]) -> bool:
    first = dists[0]
    for d in dists[1:]:
        if abs(float(d.low) - float(first.low)) > _TOL or abs(float(d.high) - float(first.high)) > _TOL:
            return False
        x = np.linspace(float(first.low), float(first.high), 257)
        if np.max(np.abs(np.asarray(d.cdf(x), dtype=float) - np.asarray(first.cdf(x), dtype=float))) > 1e-10:
            return False
    return True


def _regular(market: Market, side: str, ratios: np.ndarray) -> bool:
    return all(not market._flats(side, k, float(min(max(a, 0.0), 1.0))) for k, a in enumerate(ratios))


def full_trade_margin(market: Market, outcome: BargainingOutcome) -> tuple[str, float]:
    """Condition (i): the short side and the margin by which it always trades in full (>= 0: it does).

    For buyers short (K^B <= K^S): min_i Phi_i(low_i) minus the K^B-th lowest of Gamma_j(high_j) repeated by
    capacity, at the outcome's weight ratios; the mirror image for suppliers short. With K^B = K^S the smaller
    of the two margins.
    """
    kb, ks = int(np.sum(market.buyer_units)), int(np.sum(market.supplier_units))
    ab, as_ = outcome.buyer_weight_ratios, outcome.supplier_weight_ratios
    phi_low = np.array([_virtual(market, "B", k, float(d.low), ab[k]) for k, d in enumerate(market.buyers)])
    phi_low_slots = np.repeat(phi_low, market.buyer_units)
    gam_high = np.array([_virtual(market, "S", k, float(d.high), as_[k]) for k, d in enumerate(market.suppliers)])
    gam_high_slots = np.repeat(gam_high, market.supplier_units)
    margins = []
    if kb <= ks:
        margins.append(float(np.min(phi_low) - np.sort(gam_high_slots)[kb - 1]))
    if ks <= kb:
        margins.append(float(np.sort(phi_low_slots)[::-1][ks - 1] - np.max(gam_high)))
    side = "both sides" if kb == ks else ("buyers" if kb < ks else "suppliers")
    return side, min(margins)


def equalize_power(
    market: Market,
    buyer_weights: Any = None,
    supplier_weights: Any = None,
) -> CounterfactualComparison:
    """Welfare at the given weights against equal weights, with the conditions of Proposition 3.

    ``before`` is the market at the given weights, ``after`` at equal weights (all 1). ``conditions`` are
    (i)-(iv) of the module docstring; ``claim["predicted_equal"]`` is whether they all hold (then W^w = W^1),
    ``claim["equal"]`` whether the numbers say so, and ``claim["failing"]`` the labels that fail.

    Parameters
    ----------
    market
        The market (a :class:`~bargaining.Market`).
    buyer_weights, supplier_weights
        The unequal weights to compare with equal weights (default: all 1).

    Examples
    --------
    >>> from bargaining import Market, Uniform
    >>> cmp = equalize_power(Market([Uniform()], [Uniform(), Uniform()]), [1.0], [0.5, 1.0])
    >>> cmp.after.welfare >= cmp.before.welfare - 1e-9
    True
    """
    _check_market(market, "Equalization of bargaining power")
    wb, ws = _weights(market, buyer_weights, supplier_weights)
    before = market.bargain(wb, ws)
    after = market.bargain(np.ones_like(wb), np.ones_like(ws))
    kb, ks = int(np.sum(market.buyer_units)), int(np.sum(market.supplier_units))
    all_equal = bool(np.all(wb == wb[0]) and np.all(ws == ws[0]) and wb[0] == ws[0])
    short, margin = full_trade_margin(market, before)
    tol = 1e-9 * market.scale
    if all_equal:
        conditions = tuple(
            Condition(label, stmt, True, "the weights are already equal")
            for label, stmt in _POWER_STATEMENTS
        )
    else:
        full = margin >= -tol
        c1 = Condition("(i)", _POWER_STATEMENTS[0][1], full,
                       f"{short} {'always' if full else 'do not always'} trade in full (margin {margin:.3g} in weighted virtual types)")
        long_side = None if kb == ks else ("suppliers" if kb < ks else "buyers")
        ranked = ({"buyers", "suppliers"} if not full else ({long_side} if long_side else set()))
        unequal = [s for s, w in (("buyers", wb), ("suppliers", ws)) if s in ranked and not np.all(w == w[0])]
        c2 = Condition("(ii)", _POWER_STATEMENTS[1][1], not unequal,
                       ("unequal weights among the " + " and ".join(unequal)) if unequal else
                       ("equal within " + " and ".join(sorted(ranked)) if ranked else "no ranking matters: every unit trades"))
        cond34 = []
        for label, side, dists, w_own, w_other, ratios, key in (
            ("(iii)", "suppliers", market.suppliers, ws, wb, before.supplier_weight_ratios, "S"),
            ("(iv)", "buyers", market.buyers, wb, ws, before.buyer_weight_ratios, "B"),
        ):
            stmt = _POWER_STATEMENTS[2 if side == "suppliers" else 3][1]
            weaker = float(np.max(w_own)) < float(np.max(w_other))
            if side not in ranked:
                cond34.append(Condition(label, stmt, True, f"immaterial: the {side} always trade in full"))
            elif not weaker:
                cond34.append(Condition(label, stmt, True, f"the {side} are not the weaker side"))
            elif len(dists) == 1:
                cond34.append(Condition(label, stmt, True, f"one agent among the {side}"))
            else:
                same = _same_distributions(dists) and _regular(market, key, ratios)
                cond34.append(Condition(label, stmt, same, f"the {side} are the weaker side and their distributions are "
                                        + ("identical and regular" if same else "not identical (or need ironing)")))
        conditions = (c1, c2, *cond34)
    failing = [c.label for c in conditions if not c.holds]
    gain = float(after.welfare - before.welfare)
    tol_w = 1e-7 * market.scale + 10 * (before.accuracy + after.accuracy)
    equal_numbers = abs(gain) <= tol_w
    predicted = not failing
    text = ("Proposition 3: all conditions hold, so equal weights give the same welfare (W^w = W^1). "
            if predicted else
            f"Proposition 3: condition(s) {', '.join(failing)} fail, so equal weights raise welfare (W^w < W^1). ")
    text += "The numbers agree." if equal_numbers == predicted else "The numbers DISAGREE."
    claim = {"predicted_equal": predicted, "equal": equal_numbers, "failing": failing, "welfare_gain": gain,
             "tolerance": tol_w, "agrees": equal_numbers == predicted, "text": text}
    nb, ns = len(market.buyers), len(market.suppliers)
    labels = tuple(_labels(nb, ns))
    assumptions = (
        (f"Before: weights buyers {np.round(wb, 6).tolist()}, suppliers {np.round(ws, 6).tolist()} (normalized to max 1); "
        "after: every weight 1 (the planner's second best)."),
        ("Conditions (i)-(iv) are reconstructed from the appendix's proof of Proposition 3 (the statements are in the "
        "paper's main text) and made exact; see bargaining.models.mechanism.counterfactuals."),
        ("Regular distributions are assumed for (iii)/(iv): with ironing, ties inside an ironing interval are broken "
        "independently of types and the ranking differs from the ranking by types."),
    )
    first_best = market.first_best()
    return CounterfactualComparison(
        operation="equalization of bargaining power", market_before=market, market_after=market,
        before=before, after=after, first_best_before=first_best, first_best_after=first_best,
        labels_before=labels, labels_after=labels, assumptions=assumptions, conditions=conditions, claim=claim,
    )


_POWER_STATEMENTS = (
    ("(i)", "the short side trades all its units at every type profile (eq. 7/8)"),
    ("(ii)", "equal weights among the agents whose ranking matters"),
    ("(iii)", "if the suppliers are the weaker side, identical regular cost distributions"),
    ("(iv)", "if the buyers are the weaker side, identical regular value distributions"),
)
