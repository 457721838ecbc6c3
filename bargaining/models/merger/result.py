"""The outcome of a merger simulation: :class:`MergerResult` (pre- and post-merger tables, HHI, surplus)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def _by_owner(values: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner labels (first-seen order) and the sum of ``values`` per owner (pandas groupby is slow here)."""
    codes, labels = pd.factorize(pd.Series(np.asarray(owner, dtype=object)))
    sums = np.bincount(codes, weights=values, minlength=len(labels))
    return np.asarray(labels, dtype=object), sums


def hhi(shares: np.ndarray, owner: np.ndarray) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale over inside goods (shares renormalized to sum to 1)."""
    _, by_owner = _by_owner(shares / shares.sum() * 100.0, owner)
    return float((by_owner**2).sum())


def hhi_contribution(shares: np.ndarray, owner: np.ndarray, firms: list[Any]) -> float:
    """The part of :func:`hhi` due to the owners in ``firms`` (their squared shares, 0-10,000 scale)."""
    labels, by_owner = _by_owner(shares / shares.sum() * 100.0, owner)
    chosen = np.array([label in firms for label in labels], dtype=bool)
    return float((by_owner[chosen] ** 2).sum())


@dataclass(frozen=True)
class MergerContext:
    """What the lazily computed outputs of a :class:`MergerResult` need: the markets before and after (and after
    the change of owners but before any removal), and the owners the HHI is computed over."""

    pre_market: Any
    post_market: Any
    changed: Any
    hhi_owners: tuple[np.ndarray, np.ndarray]


@dataclass
class MergerResult:
    """Pre- and post-merger equilibria of one market.

    Attributes
    ----------
    params
        The model's parameters (Series): ``alpha``, ``mean_utility[P]``, ``marginal_cost[P]`` (or
        ``upstream_cost[P]`` and ``downstream_cost[P]`` in a chain), ``seller_weight`` (one common weight) or
        ``seller_weight[P]``.
    pre, post
        DataFrames indexed by product: ``price``, ``share``, ``margin`` (and ``wholesale_price``,
        ``wholesale_margin`` in a chain), the owners, and ``price_change`` (relative) in ``post``.
    hhi
        Series ``pre``, ``post``, ``change`` (0-10,000 scale, inside goods; by seller, or in a chain at the level
        whose ownership changed: by retailer unless only sellers changed).
    consumer_surplus_change
        CS(post) - CS(pre) per unit of market size, in money (compensating variation with logit demand).
    converged
        Whether both equilibria solved (residual below the tolerance).
    residual
        The largest equation residual of the two solves, in price units.
    calibration
        A Series describing the calibration (when the market was calibrated): fit residuals, identification.
    notes
        Warnings about the solves.
    consumer_surplus
        CS (log-sum over alpha) before and after (``pre``, ``post``); without an outside good only the change
        is meaningful. :attr:`compensating_variation` is CS(pre) - CS(post).
    producer_surplus
        Profit per unit of market size by firm (rows; sellers and, in a chain, retailers), columns ``pre``,
        ``post``, ``change`` (0 where a firm does not exist); :attr:`producer_surplus_total` sums them.
    compensating_cost_reduction
        By product: the cut in marginal cost (``marginal_cost``; in a chain ``upstream_cost`` and
        ``downstream_cost``), in money and relative to the pre-merger cost (``*_relative``), at which the
        post-merger equilibrium has the pre-merger prices (see :mod:`bargaining.models.merger.outputs`).
    upward_pricing_pressure
        By product: the post-merger first-order condition at pre-merger prices, in money per unit (``price``;
        ``wholesale_price`` in a chain); definition in :mod:`bargaining.models.merger.outputs`.
    merging, merging_firms
        Which products belong to the merging parties, and the merging firms.
    hhi_merging
        The merging parties' contribution to the HHI (sum of their squared shares): ``pre``, ``post``, ``change``.
    starts, multiple_equilibria
        With ``starts=K`` > 1: each start's outcome (by stage ``pre`` / ``post``) and whether starts reached
        different equilibria; None otherwise.
    context
        The markets behind the result (:class:`MergerContext`); the outputs above that are properties
        (producer surplus, CMCR, UPP, merging parties) are computed from it on first access.
    model
        A description of the model for :attr:`summary` (empty: Nash-in-Nash per-unit prices with the demand
        named by the parameters).

    :meth:`to_frame` gives the per-product table and :attr:`industry` the industry and merging-party lines of
    :attr:`summary`; a product removed by the counterfactual has NaN post-merger price and share 0.

    Examples
    --------
    >>> demand = LogitDemand(0.2, [2.0, 1.5], outside_price=2.0)
    >>> market = NashInNashMarket(demand, seller=["A", "B"], marginal_cost=[3.0, 4.0], seller_weight=0.5)
    >>> res = market.simulate(seller_post=["A", "A"])
    >>> bool((res.post["price"] > res.pre["price"]).all()), res.converged
    (True, True)
    """

    params: pd.Series
    pre: pd.DataFrame
    post: pd.DataFrame
    hhi: pd.Series
    consumer_surplus_change: float
    converged: bool
    residual: float
    calibration: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    notes: list[str] = field(default_factory=list)
    consumer_surplus: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    starts: pd.DataFrame | None = None
    multiple_equilibria: bool | None = None
    context: MergerContext | None = field(default=None, repr=False)
    model: str = ""
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    # -- outputs computed on first access (they cost more than the two solves) -----------------------------
    def _lazy(self, name: str) -> Any:
        if name not in self._cache:
            self._cache.update(self._compute(name))
        return self._cache[name]

    def _compute(self, name: str) -> dict[str, Any]:
        c = self.context
        if c is None:   # a result built by hand: empty outputs
            empty: dict[str, Any] = {
                "producer_surplus": pd.DataFrame(columns=["pre", "post", "change"], dtype=float),
                "compensating_cost_reduction": pd.DataFrame(index=self.pre.index),
                "upward_pricing_pressure": pd.DataFrame(index=self.pre.index),
                "merging": pd.Series(False, index=self.pre.index, name="merging"),
                "merging_firms": [],
                "hhi_merging": pd.Series(dtype=float, name="hhi_merging"),
            }
            return {name: empty[name]}
        from bargaining.models.merger import outputs

        if name == "producer_surplus":
            before = outputs.producer_surplus(c.pre_market, self.pre)
            after = outputs.producer_surplus(c.post_market, self.post.loc[c.post_market.products])
            surplus = pd.concat({"pre": before, "post": after}, axis=1).fillna(0.0)
            surplus["change"] = surplus["post"] - surplus["pre"]
            surplus.index.name = "firm"
            return {name: surplus}
        if name == "compensating_cost_reduction":
            return {name: outputs.compensating_cost_reduction(c.pre_market, c.post_market, self.pre)}
        if name == "upward_pricing_pressure":
            return {name: outputs.upward_pricing_pressure(c.pre_market, c.post_market, self.pre)}
        mask, firms = outputs.merging_products(c.pre_market, c.changed.seller, c.changed.buyer)
        post_shares = self.post["share"].loc[c.post_market.products].to_numpy()
        parties = (hhi_contribution(self.pre["share"].to_numpy(), c.hhi_owners[0], firms),
                   hhi_contribution(post_shares, c.hhi_owners[1], firms))
        return {
            "merging": pd.Series(mask, index=self.pre.index, name="merging"),
            "merging_firms": firms,
            "hhi_merging": pd.Series({"pre": parties[0], "post": parties[1], "change": parties[1] - parties[0]},
                                     name="hhi_merging"),
        }

    @property
    def producer_surplus(self) -> pd.DataFrame:
        """Profit per unit of market size by firm: ``pre``, ``post``, ``change`` (see the class docstring)."""
        out: pd.DataFrame = self._lazy("producer_surplus")
        return out

    @property
    def compensating_cost_reduction(self) -> pd.DataFrame:
        """The cost cut that keeps pre-merger prices, by product (see the class docstring)."""
        out: pd.DataFrame = self._lazy("compensating_cost_reduction")
        return out

    @property
    def upward_pricing_pressure(self) -> pd.DataFrame:
        """The post-merger first-order condition at pre-merger prices, money per unit (class docstring)."""
        out: pd.DataFrame = self._lazy("upward_pricing_pressure")
        return out

    @property
    def merging(self) -> pd.Series:
        """True for the merging parties' products."""
        out: pd.Series = self._lazy("merging")
        return out

    @property
    def merging_firms(self) -> list[Any]:
        """The merging firms (pre- and post-merger labels at the level that changed)."""
        out: list[Any] = self._lazy("merging_firms")
        return out

    @property
    def hhi_merging(self) -> pd.Series:
        """The merging parties' part of the HHI: ``pre``, ``post``, ``change``."""
        out: pd.Series = self._lazy("hhi_merging")
        return out

    @property
    def compensating_variation(self) -> float:
        """CS(pre) - CS(post) per unit of market size: the money consumers would need after the change to be as
        well off as before (positive when they lose; R antitrust's ``CV`` sign). With logit demand it is the
        change in the log-sum divided by alpha, i.e. ``-consumer_surplus_change``."""
        return -self.consumer_surplus_change

    @property
    def producer_surplus_total(self) -> pd.Series:
        """Total profit per unit of market size: ``pre``, ``post``, ``change``."""
        if self.producer_surplus.empty:
            return pd.Series({"pre": np.nan, "post": np.nan, "change": np.nan}, name="producer_surplus")
        return self.producer_surplus.sum().rename("producer_surplus")

    @property
    def is_chain(self) -> bool:
        return "wholesale_price" in self.pre.columns

    def to_frame(self) -> pd.DataFrame:
        """One row per product: owners, ``merging``, pre/post prices, shares and margins (``*_pre``,
        ``*_post``), ``price_change_pct``, upward pricing pressure (money per unit and % of the pre-merger
        price) and the compensating cost reduction (``cmcr_<cost>`` in money, ``cmcr_<cost>_pct`` in % of the
        pre-merger cost); wholesale columns too in a chain."""
        levels = ["price", "wholesale_price"] if self.is_chain else ["price"]
        margins = ["margin", "wholesale_margin"] if self.is_chain else ["margin"]
        owners = ["seller", "buyer"] if self.is_chain else ["seller"]
        out = pd.DataFrame(index=self.pre.index)
        for name in owners:
            out[name] = self.pre[name]
            out[f"{name}_post"] = self.post[name]
        out["merging"] = self.merging.reindex(out.index).fillna(False).astype(bool)
        for name in levels:
            out[f"{name}_pre"] = self.pre[name]
            out[f"{name}_post"] = self.post[name]
            out[f"{name}_change_pct"] = 100.0 * (self.post[name] / self.pre[name] - 1.0)
        for name in ["share", *margins]:
            out[f"{name}_pre"] = self.pre[name]
            out[f"{name}_post"] = self.post[name]
        upp = self.upward_pricing_pressure
        for name in upp.columns:
            label = "upward_pricing_pressure" + ("" if name == "price" else "_wholesale")
            out[label] = upp[name]
            out[f"{label}_pct"] = 100.0 * upp[name] / self.pre[name]
        for name in self.compensating_cost_reduction.columns:
            value = self.compensating_cost_reduction[name]
            if name.endswith("_relative"):
                out[f"cmcr_{name[: -len('_relative')]}_pct"] = 100.0 * value
            else:
                out[f"cmcr_{name}"] = value
        return out

    def _weighted(self, values: pd.Series, mask: pd.Series) -> float:
        """Pre-merger-share-weighted mean of ``values`` over ``mask`` (NaN entries, e.g. removed products, skipped)."""
        weight = self.pre["share"].where(mask & values.notna(), 0.0)
        total = float(weight.sum())
        return float((weight * values.fillna(0.0)).sum() / total) if total > 0 else float("nan")

    @property
    def industry(self) -> pd.DataFrame:
        """The industry and the merging parties (rows): pre-merger-share-weighted price change (%) (products
        removed by the counterfactual left out) and, for the merging parties, share-weighted UPP (% of price)
        and compensating cost reduction (% of cost); the change in consumer surplus (industry only), producer
        surplus pre/post/change, and HHI pre/post/change (for the merging parties: their own contribution, the
        sum of their squared shares)."""
        frame = self.to_frame()
        everyone = pd.Series(True, index=frame.index)
        merging = frame["merging"].astype(bool)
        rows: dict[str, dict[str, float]] = {}
        firms = self.producer_surplus.index.isin(self.merging_firms)
        for name, mask in (("industry", everyone), ("merging parties", merging)):
            row: dict[str, float] = {
                "price_change_pct": self._weighted(frame["price_change_pct"], mask)}
            if self.is_chain:
                row["wholesale_price_change_pct"] = self._weighted(frame["wholesale_price_change_pct"], mask)
            for column in frame.columns:
                if column.startswith(("upward_pricing_pressure", "cmcr_")) and column.endswith("_pct"):
                    row[column] = self._weighted(frame[column], mask) if name != "industry" else np.nan
            row["consumer_surplus_change"] = self.consumer_surplus_change if name == "industry" else np.nan
            surplus = self.producer_surplus if name == "industry" else self.producer_surplus[firms]
            for key in ("pre", "post", "change"):
                row[f"producer_surplus_{key}"] = (float(surplus[key].sum()) if not self.producer_surplus.empty
                                                  else np.nan)
            source = self.hhi if name == "industry" else self.hhi_merging
            for key in ("pre", "post", "change"):
                row[f"hhi_{key}"] = float(source[key]) if key in source.index else np.nan
            rows[name] = row
        return pd.DataFrame.from_dict(rows, orient="index")

    @property
    def summary(self) -> str:
        """A readable report like R antitrust's: header, per-product table (prices, % price change, shares and
        margins in %, UPP and CMCR), the industry and merging parties, HHI and surplus."""
        chain = self.is_chain
        nested = any(str(k).startswith("nesting_parameter[") for k in self.params.index)
        lines = [f"Merger simulation: {self.model}" if self.model else
                 f"Merger simulation: Nash-in-Nash bargaining with {'nested logit' if nested else 'logit'} demand"
                 + (" (vertical chain)" if chain else " (sellers and consumers)")]
        lines.append(f"converged: {self.converged}   largest residual: {self.residual:.2e}")
        weight = self.params.filter(like="seller_weight")
        listed = list(weight.items())[:8]
        lines.append("seller weight: " + ", ".join(f"{k}={v:.6g}" for k, v in listed)
                     + (", ..." if len(weight) > len(listed) else "")
                     + (f"   alpha: {self.params['alpha']:.6g}" if "alpha" in self.params.index else ""))
        if len(self.calibration):
            lines.append("calibration: " + ", ".join(f"{k}={v}" for k, v in self.calibration.items()))
        frame = self.to_frame()
        columns = [c for c in frame.columns if c.endswith(("_pre", "_post", "_pct")) and not c.startswith(
            ("seller", "buyer"))]
        shown = frame[["merging", *columns]].copy()
        for column in columns:
            if column.startswith(("share", "margin", "wholesale_margin")):
                shown[column] = 100.0 * shown[column]
        shown = shown.rename(columns=lambda c: c.replace("upward_pricing_pressure", "upp"))
        lines.append("Products (shares and margins in %):")
        with pd.option_context("display.width", 200, "display.max_columns", 40):
            lines.append(shown.to_string(float_format=lambda x: f"{x:.4g}"))
            if len(self.merging):
                table = self.industry.T
                lines.append("Industry and merging parties (price changes weighted by pre-merger shares):")
                lines.append(table.to_string(float_format=lambda x: f"{x:.6g}"))
        lines.append(f"HHI: pre {self.hhi['pre']:.0f}, post {self.hhi['post']:.0f}, change {self.hhi['change']:.0f}")
        lines.append(f"consumer surplus change (per unit of market size): {self.consumer_surplus_change:.6g}"
                     f"   compensating variation: {self.compensating_variation:.6g}")
        total = self.producer_surplus_total
        if len(total):
            lines.append(f"producer surplus: pre {total['pre']:.6g}, post {total['post']:.6g}, "
                         f"change {total['change']:.6g}")
        if self.multiple_equilibria is not None:
            lines.append(f"multiple starts reached different equilibria: {self.multiple_equilibria}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary
