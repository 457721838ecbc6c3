r"""Calibration of a :class:`~bargaining.models.merger.NashInNashMarket` from one market.

Inputs: prices, shares, owners, margins for some products (NaN where unknown) and, optionally, the seller
weight. The first-order conditions of :mod:`bargaining.models.merger.equations` hold at the observed prices; at
observed shares they are linear in the margins, and every margin is proportional to 1/alpha:

* (a) sellers and consumers: :math:`(I - O \operatorname{diag}(s)) m = \tau(s; \beta) = k(\beta)/\alpha`;
* (b) a chain: the retail conditions :math:`T_{d(j),j} = 1/\alpha` and the bargaining conditions
  :math:`\beta T_d - (1 - \beta) T_u = 0` are linear in the retail margins P - W - c^D and the wholesale margins
  W - c^U, so both equal :math:`k(\beta)/\alpha`.

So with theta = 1/alpha the observed margins (as fractions of their price) satisfy
:math:`\text{margin}_i = \theta \, k_i(\beta) / \text{price}_i`. For a given beta the best theta is the
least-squares slope :math:`\theta(\beta) = \sum a_i \text{margin}_i / \sum a_i^2` with :math:`a_i = k_i/\text{price}_i`
(exact with one margin), and an unknown common beta minimizes the profiled sum of squares over [0, 1]
(bounded trust region from the best point of a grid; exact, to rounding, when two margins identify it).
Mean utilities then invert the shares exactly at alpha (``LogitDemand.from_shares``), and costs follow from the
margins: :math:`c = p - m` or :math:`c^U = W - m^U`, :math:`c^D = P - W - m^D`.

An input that cannot be fitted (no margin, a negative implied alpha, an exactly identified beta outside
[0, 1]) raises an error with a hint; a weight is never returned outside [0, 1]. A negative calibrated cost is
a fact of the inputs, not an error: it raises a :class:`~bargaining.errors.SpecificationWarning` naming the
products (Miller 2014's published inputs give product 1 a cost of -11.97).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from bargaining.errors import (
    IdentificationError,
    InfeasibleProblemError,
    InvalidParameterError,
    SpecificationWarning,
)
from bargaining.models.demand import LogitDemand
from bargaining.models.merger import equations as eq
from bargaining.models.merger.market import NashInNashMarket, _labels, _weights

__all__ = ["Calibration", "calibrate_market"]

#: relative fit error below which an exactly identified calibration counts as exact
EXACT_TOLERANCE = 1e-8
#: the interior of [0, 1] searched for an unknown weight (the ends make margins degenerate)
WEIGHT_EDGE = 1e-9


@dataclass(frozen=True)
class Calibration:
    """A calibrated market and how well it fits: ``market``, ``fitted`` margins by observed product,
    ``max_error`` (largest |fitted - observed| margin), ``n_margins``, ``n_unknowns``, ``exact``."""

    market: NashInNashMarket
    observed: pd.Series
    fitted: pd.Series
    max_error: float
    n_margins: int
    n_unknowns: int
    exact: bool

    @property
    def info(self) -> pd.Series:
        status = ("exactly identified" if self.n_margins == self.n_unknowns else
                  f"least squares ({self.n_margins} margins, {self.n_unknowns} unknowns)")
        return pd.Series({"fit": status, "max_margin_error": f"{self.max_error:.2e}"}, name="calibration")


def _margin_vector(values: Any, products: pd.Index, name: str) -> np.ndarray:
    if values is None:
        return np.full(len(products), np.nan)
    if isinstance(values, pd.Series):
        values = values.reindex(products)
    out = np.broadcast_to(np.asarray(values, dtype=float), (len(products),)).copy()
    bad = np.isfinite(out) & ((out <= 0) | (out >= 1))
    if bad.any():
        raise InvalidParameterError(
            f"{name} must be in (0, 1) (a fraction of the price), got {out[bad][:3]}.",
            hint=f"pass {name} as (price - cost) / price, e.g. 0.25 for 25%; NaN where unknown.")
    return out


def calibrate_market(
    prices: Any,
    shares: Any,
    *,
    seller: Any,
    buyer: Any = None,
    wholesale_price: Any = None,
    margin: Any = None,
    wholesale_margin: Any = None,
    seller_weight: Any = None,
    outside_price: float = 0.0,
    normalize: Hashable | None = None,
    products: Any = None,
) -> Calibration:
    """Calibrate logit demand, costs and (if not given) one common seller weight from one market.

    Parameters
    ----------
    prices, shares
        Consumer (retail) prices and market shares per product (arrays or Series by product).
    seller, buyer
        Owners per product; ``buyer`` makes the market a chain (then ``wholesale_price`` is required).
    margin
        (price - marginal cost) / price of the seller, or in a chain the retail margin (P - W - c^D) / P; NaN
        where unknown.
    wholesale_margin
        (W - c^U) / W in a chain, NaN where unknown.
    seller_weight
        None (calibrate one common weight in [0, 1]), or a number / one number per product (fixed).
    outside_price, normalize, products
        As in :class:`~bargaining.models.demand.LogitDemand`.
    """
    base = LogitDemand.from_shares(prices, shares, 1.0, outside_price, normalize, products=products)
    index = base.products
    p = np.asarray(pd.Series(prices, index=index) if not isinstance(prices, pd.Series)
                   else prices.reindex(index), dtype=float)
    s = base.shares(p).to_numpy()
    chain = buyer is not None
    sellers = _labels(seller, index, "seller")
    buyers = _labels(buyer, index, "buyer") if chain else None
    retail_margin = _margin_vector(margin, index, "margin")
    if chain:
        if wholesale_price is None:
            raise InvalidParameterError("a chain (buyer=) needs wholesale prices.",
                                        hint="pass wholesale_price= (what each retailer pays its seller).")
        w = np.asarray(wholesale_price.reindex(index) if isinstance(wholesale_price, pd.Series)
                       else wholesale_price, dtype=float)
        if w.shape != (len(index),) or not np.all(np.isfinite(w)):
            raise InvalidParameterError("wholesale_price must be finite, one per product.",
                                        hint="pass one wholesale price per product (no NaN).")
        up_margin = _margin_vector(wholesale_margin, index, "wholesale_margin")
        assert buyers is not None
        firms = {label: i for i, label in enumerate(dict.fromkeys([*sellers, *buyers]))}
        structure = eq.Chain.build(np.array([firms[x] for x in sellers]), np.array([firms[x] for x in buyers]),
                                   len(firms))
        up_margin[sellers == buyers] = np.nan  # integrated pairs: the transfer is at cost by construction
        observed = np.concatenate([retail_margin, up_margin])
        reference = np.concatenate([p, w])
    else:
        if wholesale_price is not None or wholesale_margin is not None:
            raise InvalidParameterError("wholesale prices or margins were given without buyer=.",
                                        hint="pass buyer= (the retailer of each product) for a chain.")
        ownership = eq.same_owner(pd.factorize(pd.Series(sellers))[0])
        observed = retail_margin
        reference = p

    def coefficients(beta: np.ndarray) -> np.ndarray:
        """Margins in levels times alpha, stacked like ``observed``."""
        if chain:
            down, up = eq.chain_margin_coefficients(s, structure, beta)
            return np.concatenate([down, up])
        return eq.consumer_margin_coefficients(s, ownership, beta)

    seen = np.flatnonzero(np.isfinite(observed))
    if seen.size == 0:
        raise IdentificationError(
            "no margin was given, so the price coefficient alpha is not identified.",
            hint="give the margin of at least one product (margin=, or wholesale_margin= in a chain).")

    def profile(beta: np.ndarray) -> tuple[float, np.ndarray]:
        a = coefficients(beta)[seen] / reference[seen]
        denominator = float(a @ a)
        theta = float(a @ observed[seen]) / denominator if denominator > 0 else np.nan
        return theta, theta * a - observed[seen]

    n_unknowns = 1
    if seller_weight is None:
        n_unknowns = 2
        if seen.size < 2:
            raise IdentificationError(
                f"one margin identifies alpha but not the seller weight ({seen.size} margin given).",
                hint="give margins for at least two products (or a wholesale margin in a chain), or fix "
                "seller_weight= (R antitrust's bargaining power is 1 - seller_weight).")
        upper = 1.0 - WEIGHT_EDGE
        grid = np.linspace(WEIGHT_EDGE, upper, 199)
        n = len(index)

        def residuals(x: np.ndarray) -> np.ndarray:
            return profile(np.full(n, x[0]))[1]

        ssr = [float(np.sum(residuals(np.array([b])) ** 2)) for b in grid]
        finite = np.isfinite(ssr)
        if not finite.any():
            raise InfeasibleProblemError("the margins cannot be fitted by any seller weight in [0, 1].",
                                         hint="check that margins are fractions of prices and owners are right.")
        start = float(grid[int(np.nanargmin(np.where(finite, ssr, np.inf)))])
        fit = least_squares(residuals, [start], bounds=([WEIGHT_EDGE], [upper]), xtol=1e-15, ftol=1e-15,
                            gtol=1e-15, method="trf")
        beta = np.full(n, float(fit.x[0]))
    else:
        beta = _weights(seller_weight, index, "seller_weight", chain=chain)
    theta, error = profile(beta)
    if not (np.isfinite(theta) and theta > 0):
        raise InfeasibleProblemError(
            "the margins imply a price coefficient alpha <= 0 (demand rising with price).",
            hint="check the margins and the seller weight: with seller_weight = 0 a single-product seller "
            "prices at cost, so its margin cannot be positive.")
    max_error = float(np.max(np.abs(error)))
    exact = max_error <= EXACT_TOLERANCE
    if seen.size == n_unknowns and not exact:
        raise InfeasibleProblemError(
            f"the margins cannot be reproduced with a seller weight in [0, 1] (best weight "
            f"{beta[0]:.6g} misses a margin by {max_error:.3g}).",
            hint="R antitrust's bargaining power is 1 - seller_weight; check the margins, or fix seller_weight=.")
    alpha = 1.0 / theta
    demand = LogitDemand.from_shares(p, s, alpha, outside_price, normalize, products=index)
    levels = coefficients(beta) * theta
    if chain:
        m_down, m_up = levels[: len(index)], levels[len(index):]
        market = NashInNashMarket(demand, seller=sellers, buyer=buyers, upstream_cost=w - m_up,
                                  downstream_cost=p - w - m_down, seller_weight=beta)
        names = [f"margin[{x}]" for x in index] + [f"wholesale_margin[{x}]" for x in index]
    else:
        market = NashInNashMarket(demand, seller=sellers, marginal_cost=p - levels, seller_weight=beta)
        names = [f"margin[{x}]" for x in index]
    costs = {"marginal cost": market.marginal_cost, "upstream cost": market.upstream_cost,
             "downstream cost": market.downstream_cost}
    for what, values in costs.items():
        if values is not None and np.any(values < 0):
            negative = ", ".join(f"{label} ({value:.4g})" for label, value, bad in zip(index, values, values < 0)
                                 if bad)
            warnings.warn(SpecificationWarning(
                f"the calibrated {what} is negative for product(s) {negative} (the margins, prices and shares "
                "given imply it); the simulation goes on, but check the inputs: a negative cost usually means the "
                "known margins or the seller weight do not fit every product."), stacklevel=2)
    labels = [names[i] for i in seen]
    return Calibration(
        market=market,
        observed=pd.Series(observed[seen], index=labels, name="observed"),
        fitted=pd.Series(observed[seen] + error, index=labels, name="fitted"),
        max_error=max_error,
        n_margins=int(seen.size),
        n_unknowns=n_unknowns,
        exact=exact,
    )
