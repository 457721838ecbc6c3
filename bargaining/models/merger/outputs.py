r"""Counterfactual outputs of a merger simulation: producer surplus, the compensating marginal-cost reduction and
upward pricing pressure for Nash-in-Nash bargaining, and which products belong to the merging parties.

Notation as in :mod:`bargaining.models.merger.equations`: shares s, margins m, ownership O, the bargaining
target :math:`\tau_j(s_j)` of sellers facing consumers, and in a chain the conditions
:math:`T_{d(j),j} = 1/\alpha` (Bertrand retail) and :math:`\beta_j T_{d(j),j} - (1 - \beta_j) T_{u(j),j} = 0`
(bargained wholesale prices).

Producer surplus
    Firm f's profit per unit of market size, :math:`\pi_f = \sum_k s_k \mu_{f,k}` (a firm that is both a seller and
    a retailer earns at both levels; an integrated pair earns P - c^U - c^D).

Compensating marginal-cost reduction (CMCR)
    The costs :math:`c^*` at which the post-merger equilibrium (post-merger owners, weights and choice set) has
    the pre-merger prices. At fixed prices the shares are fixed, and the first-order conditions are linear in the
    margins with a unique solution (``consumer_margin_coefficients`` / ``chain_margin_coefficients`` at the
    shares the post-merger market has at pre-merger prices), so :math:`c^* = p^{pre} - m^{post}(s)`. In a chain
    the pre-merger retail prices and the wholesale prices of pairs that still bargain are held: bargained pairs
    give :math:`c^{U*} = W - m^U`, :math:`c^{D*} = P - W - m^D`; a pair integrated after the merger only pins
    :math:`c^U + c^D`, and the change is put on the downstream cost. The reduction is reported against the
    pre-merger costs, :math:`c^{pre} - c^*` (positive: the costs must fall), in levels and relative to
    :math:`c^{pre}`; it is zero for products whose conditions the merger leaves unchanged.

Upward pricing pressure (UPP) for bargaining
    The merged firm's first-order condition evaluated at the pre-merger prices, in money per unit. Before the
    merger every condition holds; after it, the condition of product j fails by the residual :math:`G_j` of the
    post-merger system at the pre-merger prices (the solver's residual, in money per unit). Holding shares fixed,
    raising j's own price by x moves that residual by :math:`(1 - s_j) x`, so

    .. math::

        \text{UPP}_j = -G^{post}_j(p^{pre}) / (1 - s_j),

    the rise in j's price (or, in a chain, wholesale price: the bargaining residual moves by
    :math:`-(1 - s_j)` per unit of :math:`W_j`, so :math:`\text{UPP}^W_j = G^{post}_j / (1 - s_j)`) that would
    restore j's condition at unchanged shares. For sellers facing consumers the conditions are
    :math:`T_{f,j} = \tau_j(s_j)`, whose right side depends on shares only, so with unchanged weights and costs
    :math:`\text{UPP}_j = \sum_{k} D_{jk} (p_k - c_k)` over the products k newly co-owned with j
    (:math:`D_{jk} = s_k / (1 - s_j)`): the diversion-weighted margin of Farrell and Shapiro (2010), evaluated at
    the bargained (lower) margins. Efficiencies (``cost_change``) and a new seller weight enter through
    :math:`G`. Positive UPP: the merger pushes the price up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bargaining.models.merger import equations as eq
from bargaining.models.merger import general

if TYPE_CHECKING:
    from bargaining.models.merger.market import NashInNashMarket

__all__ = ["compensating_cost_reduction", "merging_products", "producer_surplus", "upward_pricing_pressure"]


def _firm_margins(market: NashInNashMarket, frame: pd.DataFrame) -> pd.DataFrame:
    """mu (firms x products) at the prices of ``frame`` (indexed by ``market.products``)."""
    price = frame["price"].reindex(market.products).to_numpy(dtype=float)
    if not market.is_chain:
        assert market.marginal_cost is not None
        firms = list(dict.fromkeys(market.seller))
        mu = np.array([np.where(market.seller == f, price - market.marginal_cost, 0.0) for f in firms])
        return pd.DataFrame(mu, index=pd.Index(firms, name="firm"), columns=market.products)
    assert market.buyer is not None and market.upstream_cost is not None and market.downstream_cost is not None
    firms = list(dict.fromkeys([*market.seller, *market.buyer]))
    chain = market._chain()
    wholesale = frame["wholesale_price"].reindex(market.products).to_numpy(dtype=float)
    mu = eq.chain_margins(chain, price, wholesale, market.upstream_cost, market.downstream_cost)
    return pd.DataFrame(mu, index=pd.Index(firms, name="firm"), columns=market.products)


def producer_surplus(market: NashInNashMarket, frame: pd.DataFrame) -> pd.Series:
    """Each firm's profit per unit of market size at the equilibrium ``frame`` (Series by firm)."""
    mu = _firm_margins(market, frame)
    share = frame["share"].reindex(market.products).to_numpy(dtype=float)
    return pd.Series(mu.to_numpy() @ share, index=mu.index, name="producer_surplus")


def _post_state(pre_frame: pd.DataFrame, post: NashInNashMarket) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pre-merger retail and wholesale prices of the post market's products, and the post market's shares there."""
    price = pre_frame["price"].reindex(post.products).to_numpy(dtype=float)
    wholesale = (pre_frame["wholesale_price"].reindex(post.products).to_numpy(dtype=float) if post.is_chain
                 else np.full(len(price), np.nan))
    share = post.demand.shares(price).to_numpy()
    return price, wholesale, share


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """top / bottom, NaN where the cost is 0 (no relative change is defined)."""
    out: np.ndarray = np.divide(top, bottom, out=np.full(len(top), np.nan), where=bottom != 0)
    return out


def compensating_cost_reduction(pre: NashInNashMarket, post: NashInNashMarket,
                                pre_frame: pd.DataFrame) -> pd.DataFrame:
    """The cost reduction (levels and relative to pre-merger costs) that keeps pre-merger prices after the
    change; indexed by ``pre.products`` (NaN for removed products). See the module docstring."""
    price, wholesale, share = _post_state(pre_frame, post)
    alpha = post.demand.alpha
    keep = pre.products.get_indexer(post.products)
    if not post.is_chain:
        assert pre.marginal_cost is not None
        ownership = eq.same_owner(pd.factorize(pd.Series(post.seller))[0])
        if post._general:
            state = general.demand_state(post.demand, price, second=False)
            margin = general.consumer_margins(state, ownership, post.seller_weight)
        else:
            margin = eq.consumer_margin_coefficients(share, ownership, post.seller_weight) / alpha
        base = pre.marginal_cost[keep]
        cut = base - (price - margin)
        out = pd.DataFrame({"marginal_cost": cut, "marginal_cost_relative": _ratio(cut, base)}, index=post.products)
        return out.reindex(pre.products).rename_axis("product")
    assert pre.upstream_cost is not None and pre.downstream_cost is not None and post.upstream_cost is not None
    if post._general:
        state = general.demand_state(post.demand, price, second=False)
        down, up = general.chain_margins_at(state, post._chain(), post.seller_weight)
    else:
        down, up = eq.chain_margin_coefficients(share, post._chain(), post.seller_weight)
        down, up = down / alpha, up / alpha
    integrated = post.integrated
    up_base, down_base = pre.upstream_cost[keep], pre.downstream_cost[keep]
    new_up = np.where(integrated, post.upstream_cost, wholesale - up)
    new_down = np.where(integrated, price - post.upstream_cost - down, price - wholesale - down)
    up_cut, down_cut = up_base - new_up, down_base - new_down
    out = pd.DataFrame({"upstream_cost": up_cut, "downstream_cost": down_cut,
                        "upstream_cost_relative": _ratio(up_cut, up_base),
                        "downstream_cost_relative": _ratio(down_cut, down_base)}, index=post.products)
    return out.reindex(pre.products).rename_axis("product")


def upward_pricing_pressure(pre: NashInNashMarket, post: NashInNashMarket, pre_frame: pd.DataFrame) -> pd.DataFrame:
    """UPP per product in money per unit (``price``; and ``wholesale_price`` in a chain, NaN where the pair
    does not bargain after the change), indexed by ``pre.products``. See the module docstring."""
    price, wholesale, share = _post_state(pre_frame, post)
    system = post._system()
    if not post.is_chain:
        residual, _ = system(price)
        out = pd.DataFrame({"price": -residual / post._own_price_scale(share)}, index=post.products)
        return out.reindex(pre.products).rename_axis("product")
    bargained = np.flatnonzero(~post.integrated)
    n = len(price)
    residual, _ = system(np.concatenate([price, wholesale[bargained]]))
    on_wholesale = np.full(n, np.nan)
    scale = post._own_price_scale(share)
    on_wholesale[bargained] = residual[n:] / scale[bargained]
    out = pd.DataFrame({"price": -residual[:n] / scale, "wholesale_price": on_wholesale},
                       index=post.products)
    return out.reindex(pre.products).rename_axis("product")


def _merging_level(pre_owner: np.ndarray, post_owner: np.ndarray) -> np.ndarray:
    """Products whose post-merger owner gathers products of more than one pre-merger owner, or was relabelled."""
    pre_code = pd.factorize(pd.Series(np.asarray(pre_owner, dtype=object)))[0]
    post_code = pd.factorize(pd.Series(np.asarray(post_owner, dtype=object)))[0]
    mixes = np.array([len(set(pre_code[post_code == c])) > 1 for c in post_code], dtype=bool)
    relabelled = np.asarray(pre_owner != post_owner, dtype=bool)
    return mixes | relabelled


def merging_products(pre: NashInNashMarket, post_seller: np.ndarray,
                     post_buyer: np.ndarray | None) -> tuple[np.ndarray, list[Any]]:
    """The products of the merging parties (a mask by ``pre.products``) and the merging firms: products whose
    owner merges with another at either level, or whose seller or retailer changes (vertical integration
    relabels a retailer); the firms are the pre- and post-merger owners of those products at that level."""
    levels = [(pre.seller, post_seller)]
    if pre.is_chain:
        assert pre.buyer is not None and post_buyer is not None
        levels.append((pre.buyer, post_buyer))
    mask = np.zeros(len(pre.products), dtype=bool)
    firms: dict[Any, None] = {}
    for before, after in levels:
        flagged = _merging_level(before, after)
        mask |= flagged
        firms.update(dict.fromkeys([*before[flagged], *after[flagged]]))
    return mask, list(firms)
