"""Figures for incomplete-information bargaining (matplotlib, imported only when a function is called).

Every function draws on ``ax`` when given (otherwise on a new figure) and returns the
:class:`matplotlib.figure.Figure`. The plotted numbers are the model's, so tests read them back from the axes.

* :func:`plot_frontier` -- the Pareto (Williams) frontier of expected payoffs with the complete-information
  first best (the line u_B + u_S = W*) and the symmetric point Delta = 0 marked.
* :func:`plot_counterfactual` -- the frontiers of a market before and after a counterfactual (merger,
  vertical integration) with the two compared outcomes marked; for equalization of bargaining power, one
  frontier with the given-weights and equal-weights points.
* :func:`plot_trade_regions` -- the trade boundaries in the (c, v) square for several Delta.
* :func:`plot_k_double_auction_payoffs` -- buyer and seller payoffs and gains of the k-double auction
  against k (appendix Figure D.1).
* :func:`plot_nash_fit` -- observed against fitted prices of a Nash bargaining fit, with the 45-degree line.
* :func:`plot_transparency` -- an equilibrium quantity of the pay-transparency model against transparency tau
  (or the number of sellers), with the passive-beliefs benchmark dashed.
* :func:`plot_merger_price_changes` -- bar chart of the percentage price change per product after a merger,
  merging parties highlighted, with the industry's share-weighted change.
* :func:`plot_nash_weights` -- histogram of the implied bargaining weights beta_i of a Nash bargaining fit
  (and of the observed (p - C)/(V - C) when the seller's cost is observed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "plot_counterfactual",
    "plot_frontier",
    "plot_k_double_auction_payoffs",
    "plot_merger_price_changes",
    "plot_nash_fit",
    "plot_nash_weights",
    "plot_trade_regions",
    "plot_transparency",
]


def _axes(ax: Any, figsize: tuple[float, float] = (5.5, 4.5)) -> tuple[Any, Any]:
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _uniform_market() -> Any:
    from bargaining.models.distributions import Uniform
    from bargaining.models.mechanism import Market

    return Market([Uniform(0.0, 1.0)], [Uniform(0.0, 1.0)])


def _support(market: Any, side: str) -> tuple[float, float]:
    """Support of the first agent's distribution on one side of a bilateral market ([0, 1] if unknown)."""
    agents = getattr(market, side, None)
    if agents:
        return float(agents[0].low), float(agents[0].high)
    return 0.0, 1.0


def plot_frontier(market: Any = None, *, points: int = 101, ax: Any = None) -> Any:
    """Frontier of expected payoffs (supplier payoff on the x axis, buyer payoff on the y axis).

    Parameters
    ----------
    market
        A :class:`bargaining.Market` (default: one buyer and one supplier, uniform [0, 1]).
    points
        Number of Delta values passed to ``market.frontier``.
    ax
        Matplotlib axes to draw on.

    The frontier is drawn with label "frontier", the complete-information benchmark u_B + u_S = W*
    (W* = ``market.first_best().welfare``, not attainable under incomplete information) with label
    "first best", and the Delta = 0 point with label "Delta = 0".

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> fig = plot_frontier(Market([Uniform()], [Uniform()]), points=5)
    """
    market = _uniform_market() if market is None else market
    frame = market.frontier(points=points)
    symmetric = market.bargain_delta(0.0)
    first_best = float(market.first_best().welfare)
    fig, ax = _axes(ax)
    ax.plot(frame["supplier_payoff"], frame["buyer_payoff"], color="C0", label="frontier")
    ax.plot([0.0, first_best], [first_best, 0.0], color="0.5", linestyle="--", label="first best")
    ax.plot(
        [float(np.sum(symmetric.supplier_payoffs))],
        [float(np.sum(symmetric.buyer_payoffs))],
        marker="o",
        linestyle="none",
        color="C3",
        label="Delta = 0",
    )
    ax.set_xlabel("suppliers' expected payoff")
    ax.set_ylabel("buyers' expected payoff")
    ax.set_xlim(left=0.0)
    ax.set_ylim(bottom=0.0)
    ax.legend(loc="upper right", frameon=False)
    return fig


def plot_counterfactual(comparison: Any, *, points: int = 21, ax: Any = None) -> Any:
    """Frontiers before and after a counterfactual (a :class:`~bargaining.models.mechanism.counterfactuals.Comparison`).

    Lines labelled "before" and "after" (suppliers' total payoff on the x axis, buyers' on the y axis, each
    traced by Delta in [-1, 1] with ``points`` values), and the compared outcomes as markers labelled
    "before: outcome" and "after: outcome". After vertical integration the integrated firm's in-house surplus
    is added to the side it negotiates as (``comparison.after_offsets``), so the after frontier holds the
    integrated firm's whole payoff. When the market does not change (equalization of bargaining power) one
    frontier is drawn, labelled "frontier", with the given weights and equal weights as the two markers.

    Parameters
    ----------
    comparison
        The result of :func:`~bargaining.compare_merger`, :func:`~bargaining.compare_integration` or
        :func:`~bargaining.equalize_power`.
    points
        Number of Delta values tracing each frontier.
    ax
        Matplotlib axes to draw on (default: a new figure); the figure is returned.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from bargaining import Market, Uniform, compare_merger
    >>> comparison = compare_merger(Market([Uniform()], [Uniform()] * 3), suppliers=(0, 1))
    >>> fig = plot_counterfactual(comparison, points=5)
    """
    fig, ax = _axes(ax)
    same = comparison.market_after is comparison.market_before
    off_b, off_s = (float(x) for x in comparison.after_offsets)
    before = comparison.market_before.frontier(points=points)
    ax.plot(before["supplier_payoff"], before["buyer_payoff"], color="C0", label="frontier" if same else "before")
    if not same:
        after = comparison.market_after.frontier(points=points)
        ax.plot(after["supplier_payoff"] + off_s, after["buyer_payoff"] + off_b, color="C1", label="after")
    b, a = comparison.before, comparison.after
    ax.plot([b.supplier_payoff], [b.buyer_payoff], marker="o", linestyle="none", color="C0", label="before: outcome")
    ax.plot([a.supplier_payoff + off_s], [a.buyer_payoff + off_b], marker="s", linestyle="none", color="C1",
            label="after: outcome")
    ax.set_xlabel("suppliers' expected payoff")
    ax.set_ylabel("buyers' expected payoff")
    ax.set_title(str(comparison.operation))
    ax.legend(loc="upper right", frameon=False)
    return fig


def plot_trade_regions(
    deltas: Sequence[float] = (-1.0, -0.5, 0.0, 0.5, 1.0),
    market: Any = None,
    *,
    points: int = 101,
    ax: Any = None,
) -> Any:
    """Trade boundaries v*(c) of the Loertscher-Marx outcome for several Delta (bilateral market).

    Trade happens above each curve (v >= v*(c)); the 45-degree line is the first best (label "first best").
    Each curve has label ``f"Delta = {delta:g}"``; the boundary is found by bisection on ``Market.allocate``
    (:func:`bargaining.models.bilateral.trade_boundary`, error below 1e-15 of the value range).

    Parameters
    ----------
    deltas
        The bargaining differentials to draw, each in [-1, 1].
    market
        A bilateral :class:`~bargaining.Market` (default: uniform [0, 1] value and cost).
    points
        Number of cost values at which each boundary is computed.
    ax
        Matplotlib axes to draw on (default: a new figure); the figure is returned.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> fig = plot_trade_regions(deltas=(0.0,), points=11)
    """
    from bargaining.models.bilateral import trade_boundary

    market = _uniform_market() if market is None else market
    v_low, v_high = _support(market, "buyers")
    c_low, c_high = _support(market, "suppliers")
    costs = np.linspace(c_low, c_high, int(points))
    fig, ax = _axes(ax)
    for i, delta in enumerate(deltas):
        outcome = market.bargain_delta(float(delta))
        boundary = trade_boundary(market, outcome, costs)
        ax.plot(costs, boundary, color=f"C{i % 10}", label=f"Delta = {float(delta):g}")
    ax.plot(costs, np.clip(costs, v_low, v_high), color="0.5", linestyle="--", label="first best")
    ax.set_xlabel("seller's cost c")
    ax.set_ylabel("buyer's value v")
    ax.set_xlim(c_low, c_high)
    ax.set_ylim(v_low, v_high)
    ax.legend(loc="lower right", frameon=False, title="trade above the curve")
    return fig


def plot_k_double_auction_payoffs(ks: Any = None, *, ax: Any = None) -> Any:
    """Buyer payoff, seller payoff and gains from trade of the k-double auction against k (Figure D.1).

    Uniform [0, 1] types, linear equilibrium; values from :func:`bargaining.k_double_auction` (closed forms).
    Line labels: "buyer", "seller", "gains from trade".

    Parameters
    ----------
    ks
        Values of k in [0, 1] (default: a fine grid).
    ax
        Matplotlib axes to draw on (default: a new figure); the figure is returned.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> fig = plot_k_double_auction_payoffs()
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ['buyer', 'seller']
    """
    from bargaining.models.bilateral import k_double_auction

    ks = np.linspace(0.0, 1.0, 101) if ks is None else np.asarray(ks, dtype=float)
    auctions = [k_double_auction(float(k)) for k in ks]
    fig, ax = _axes(ax)
    ax.plot(ks, [a.buyer_payoff for a in auctions], color="C0", label="buyer")
    ax.plot(ks, [a.seller_payoff for a in auctions], color="C1", label="seller")
    ax.plot(ks, [a.gains_from_trade for a in auctions], color="0.3", linestyle=":", label="gains from trade")
    ax.set_xlabel("k (weight of the buyer's bid in the price)")
    ax.set_ylabel("expected payoff")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(bottom=0.0)
    ax.legend(loc="center right", frameon=False)
    return fig


def plot_nash_fit(results: Any, ax: Any = None) -> Any:
    """Observed against fitted prices of a Nash bargaining fit, with the 45-degree line.

    Parameters
    ----------
    results
        A fit with ``fitted_values`` and ``observed_prices`` (e.g. :class:`bargaining.NashResults`).
    ax
        Matplotlib axes to draw on (default: a new figure); the figure is returned.

    Returns
    -------
    matplotlib.figure.Figure
        The points (fitted price on x, observed price on y) have label "agreements", the line
        "45-degree line".

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> res = fit_nash(load_example("hospital_insurer"), price="price", buyer_value="buyer_value",
    ...                seller_cost="seller_cost")
    >>> fig = plot_nash_fit(res)
    """
    fitted = np.asarray(results.fitted_values, dtype=float)
    observed = np.asarray(results.observed_prices, dtype=float)
    fig, ax = _axes(ax, (5.0, 5.0))
    ax.scatter(fitted, observed, s=6, alpha=0.5, label="agreements")
    both = np.concatenate([fitted, observed])
    both = both[np.isfinite(both)]
    low, high = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    ax.plot([low, high], [low, high], color="k", lw=1, label="45-degree line")
    ax.set_xlabel("fitted price")
    ax.set_ylabel("observed price")
    ax.legend(frameon=False)
    return fig


def plot_nash_weights(results: Any, ax: Any = None, bins: int = 30) -> Any:
    """Histogram (density) of the implied seller bargaining weights beta_i of a Nash bargaining fit.

    Parameters
    ----------
    results
        A fit with ``implied_weights`` and ``observed_weights`` (e.g. :class:`bargaining.NashResults`);
        ``observed_weights`` is None unless the seller's cost was observed.
    ax
        Matplotlib axes to draw on (default: a new figure); the figure is returned.
    bins
        Number of histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
        The model's beta_i have label "model beta_i". When the seller's cost is observed, the row-by-row
        (p - C)/(V - C) (NaN rows left out, clipped to their 1st and 99th percentiles) are drawn first with
        label "(p - C)/(V - C)".

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> res = fit_nash(load_example("hospital_insurer"), price="price", buyer_value="buyer_value",
    ...                seller_cost="seller_cost")
    >>> fig = plot_nash_weights(res)
    """
    fig, ax = _axes(ax, (6.0, 4.0))
    observed = results.observed_weights
    if observed is not None:
        values = np.asarray(observed, dtype=float)
        values = values[np.isfinite(values)]
        low, high = np.quantile(values, [0.01, 0.99]) if values.size else (0.0, 1.0)
        ax.hist(values.clip(low, high), bins=bins, alpha=0.5, density=True, label="(p - C)/(V - C)")
    ax.hist(
        np.asarray(results.implied_weights, dtype=float),
        bins=bins,
        alpha=0.7,
        density=True,
        label="model beta_i",
    )
    ax.set_xlabel("seller's bargaining weight beta")
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    return fig


def plot_transparency(
    statics: Any, *, quantity: str = "seller_payoff", x: str = "transparency", passive: bool = True, ax: Any = None
) -> Any:
    """An equilibrium quantity of the pay-transparency model against tau (or N), one line per value of the other.

    Parameters
    ----------
    statics
        The DataFrame of :meth:`bargaining.PayTransparency.comparative_statics`, or a
        :class:`~bargaining.PayTransparency` (then tau = 0, 0.05, ..., 1 at its own N).
    quantity
        A column of that frame: ``seller_payoff`` (default), ``high_price``, ``prob_high_offer``,
        ``payoff_high_type``, ``welfare``, ...
    x
        ``"transparency"`` or ``"n_sellers"``.
    passive
        Also draw the passive-beliefs benchmark (dashed, labels ending in ", passive").

    Lines are labelled ``"N = n"`` (``"tau = t"`` when x is ``n_sellers``).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> model = PayTransparency(3, high=1.0, low=0.35, prob_high=0.5, discount=0.9, transparency=0.2)
    >>> fig = plot_transparency(model.comparative_statics(transparency=[0, 0.5, 1]))
    """
    import pandas as pd

    if not isinstance(statics, pd.DataFrame):
        statics = statics.comparative_statics(transparency=np.linspace(0.0, 1.0, 21))
    other = "n_sellers" if x == "transparency" else "transparency"
    short = {"n_sellers": "N", "transparency": "tau"}
    fig, ax = _axes(ax)
    for i, (value, group) in enumerate(statics.sort_values(x).groupby(other, sort=True)):
        label = f"{short[other]} = {value:g}"
        ax.plot(group[x], group[quantity], color=f"C{i}", marker=".", label=label)
        if passive:
            ax.plot(group[x], group[f"passive_{quantity}"], color=f"C{i}", linestyle="--", label=f"{label}, passive")
    ax.set_xlabel(short[x])
    ax.set_ylabel(quantity.replace("_", " "))
    ax.legend(fontsize="small")
    return fig


def plot_merger_price_changes(result: Any, *, wholesale: bool = False, ax: Any = None) -> Any:
    """Bar chart of the percentage price change of each product after a merger (or another counterfactual).

    Parameters
    ----------
    result
        A :class:`bargaining.MergerResult` (from ``simulate_merger`` or ``NashInNashMarket.simulate``).
    wholesale
        Plot wholesale instead of retail price changes (a vertical chain).
    ax
        Matplotlib axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        One bar per product, height 100 (post / pre - 1); the merging parties' bars have label "merging
        parties", the others "other products" (a product removed by the counterfactual has no bar height: 0,
        hatched); the industry's pre-merger-share-weighted change is a dashed horizontal line labelled
        "share-weighted (industry)".

    Examples
    --------
    Two logit products bargained with a retailer (seller weight 1/2), whose sellers A and B merge; the
    bars are the percentage price changes of :meth:`MergerResult.to_frame
    <bargaining.MergerResult.to_frame>`:

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> demand = LogitDemand(0.2, [2.0, 1.5], outside_price=2.0)
    >>> market = NashInNashMarket(demand, seller=["A", "B"], marginal_cost=[3.0, 4.0], seller_weight=0.5)
    >>> result = market.simulate(seller_post=["A", "A"])
    >>> fig = plot_merger_price_changes(result)
    >>> type(fig).__name__, [round(float(bar.get_height()), 1) for bar in fig.axes[0].patches]
    ('Figure', [39.1, 54.2])
    >>> result.to_frame()["price_change_pct"].round(1).tolist()
    [39.1, 54.2]
    >>> round(float(result.industry.loc["industry", "price_change_pct"]), 1)   # the dashed line
    44.7
    """
    column = "wholesale_price" if wholesale else "price"
    if column not in result.pre.columns:
        from bargaining.errors import InvalidParameterError

        raise InvalidParameterError("wholesale=True needs a vertical chain (wholesale prices).",
                                    hint="plot retail price changes with wholesale=False.")
    frame = result.to_frame()
    change = frame[f"{column}_change_pct"].to_numpy(dtype=float)
    merging = frame["merging"].to_numpy(dtype=bool)
    labels = [str(p) for p in frame.index]
    fig, ax = _axes(ax, (max(4.0, 0.6 * len(labels) + 2.0), 4.0))
    positions = np.arange(len(labels))
    removed = ~np.isfinite(change)
    heights = np.where(removed, 0.0, change)
    for mask, label, color in ((merging, "merging parties", "C3"), (~merging, "other products", "C0")):
        if mask.any():
            bars = ax.bar(positions[mask], heights[mask], color=color, label=label)
            for bar, gone in zip(bars, removed[mask]):
                if gone:
                    bar.set_hatch("//")
    weighted = result.industry.loc["industry", f"{column}_change_pct"]
    if np.isfinite(weighted):
        ax.axhline(weighted, color="k", ls="--", lw=1, label="share-weighted (industry)")
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xticks(positions, labels, rotation=45 if len(labels) > 8 else 0)
    ax.set_xlabel("product")
    ax.set_ylabel(f"{'wholesale ' if wholesale else ''}price change (%)")
    ax.legend(frameon=False)
    return fig
