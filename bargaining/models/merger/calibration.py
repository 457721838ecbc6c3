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

import itertools
import math
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from bargaining.errors import (
    IdentificationError,
    IdentificationWarning,
    InfeasibleProblemError,
    InvalidParameterError,
    SpecificationWarning,
)
from bargaining.models.demand import LogitDemand, NestedLogitDemand
from bargaining.models.merger import equations as eq
from bargaining.models.merger import general
from bargaining.models.merger.market import NashInNashMarket, _labels, _weights

__all__ = ["Calibration", "calibrate_market"]

#: relative fit error below which an exactly identified calibration counts as exact
EXACT_TOLERANCE = 1e-8
#: the interior of [0, 1] searched for an unknown weight (the ends make margins degenerate)
WEIGHT_EDGE = 1e-9
#: the interior of (0, 1) searched for an unknown outside share
SHARE_EDGE = 1e-9
#: the smallest nesting parameter searched when it is calibrated (lambda -> 0 makes nests perfect substitutes)
NESTING_EDGE = 1e-3


@dataclass(frozen=True)
class Calibration:
    """A calibrated market and how well it fits: ``market``, ``observed`` and ``fitted`` moments (margins by
    product and ``market_elasticity`` when given), ``max_error`` (largest misfit: |fitted - observed| margin, and
    for the elasticity the relative misfit of alpha), ``n_margins``, ``n_unknowns``, ``exact`` and
    ``outside_share`` (calibrated from the market elasticity when shares were of inside goods; else None) and
    ``nesting_parameter`` (calibrated lambda when nests were given without it; else None)."""

    market: NashInNashMarket
    observed: pd.Series
    fitted: pd.Series
    max_error: float
    n_margins: int
    n_unknowns: int
    exact: bool
    outside_share: float | None = None
    nesting_parameter: float | None = None

    @property
    def info(self) -> pd.Series:
        n_moments = len(self.observed)
        status = ("exactly identified" if n_moments == self.n_unknowns else
                  f"least squares ({n_moments} moments, {self.n_unknowns} unknowns)")
        out = {"fit": status, "max_margin_error": f"{self.max_error:.2e}"}
        if self.outside_share is not None:
            out["outside_share"] = f"{self.outside_share:.6g}"
        if self.nesting_parameter is not None:
            out["nesting_parameter"] = f"{self.nesting_parameter:.6g}"
        return pd.Series(out, name="calibration")


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


def _weight_groups(weight_by: Any, index: pd.Index, sellers: np.ndarray, buyers: np.ndarray | None
                   ) -> tuple[list[Any], np.ndarray]:
    """Group labels and one integer code per product for the calibrated seller weights."""
    if weight_by is None:
        return ["all"], np.zeros(len(index), dtype=int)
    if isinstance(weight_by, str) and weight_by == "seller":
        labels = sellers
    elif isinstance(weight_by, str) and weight_by == "buyer":
        if buyers is None:
            raise InvalidParameterError("weight_by='buyer' was given, but the market has no buyers (retailers).",
                                        hint="pass weight_by='seller' or one group label per product, or buyer=.")
        labels = buyers
    else:
        labels = _labels(weight_by, index, "weight_by")
    codes, uniques = pd.factorize(pd.Series(np.asarray(labels, dtype=object)))
    return list(uniques), np.asarray(codes, dtype=int)


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
    market_elasticity: float | None = None,
    weight_by: Any = None,
    nests: Any = None,
    nesting_parameter: Any = None,
) -> Calibration:
    r"""Calibrate logit (or nested logit) demand, costs and unknown seller weights from one market.

    Parameters
    ----------
    prices, shares
        Consumer (retail) prices and market shares per product (arrays or Series by product). With
        ``market_elasticity`` and an outside good, shares that sum to 1 are read as shares of the inside goods,
        and the outside good's share is calibrated too.
    seller, buyer
        Owners per product; ``buyer`` makes the market a chain (then ``wholesale_price`` is required).
    margin
        (price - marginal cost) / price of the seller, or in a chain the retail margin (P - W - c^D) / P; NaN
        where unknown.
    wholesale_margin
        (W - c^U) / W in a chain, NaN where unknown.
    seller_weight
        None (calibrate the weights in [0, 1]: one common weight, or one per group of ``weight_by``), or a
        number / one number per product (fixed).
    outside_price, normalize, products
        As in :class:`~bargaining.models.demand.LogitDemand`.
    market_elasticity
        The aggregate elasticity of the inside goods, :math:`\varepsilon = \sum_j \sum_k (\partial s_j /
        \partial p_k) p_k / \sum_j s_j` (the % change in total inside sales when every price rises by 1%;
        negative; for logit :math:`-\alpha s_0 \bar p` with :math:`\bar p` the share-weighted mean price). An
        extra moment: its relative misfit :math:`\alpha_\varepsilon/\alpha - 1` (with :math:`\alpha_\varepsilon`
        the alpha that reproduces it exactly) is fitted together with the margins. Needs an outside good.
    weight_by
        With ``seller_weight=None``: ``None`` (one common weight), ``"seller"`` (one per seller), ``"buyer"``
        (one per retailer, in a chain) or one group label per product.
    nests, nesting_parameter
        Nested logit demand: one nest label per product and the nesting parameter lambda in (0, 1] (as in
        :class:`~bargaining.models.demand.NestedLogitDemand`: a number, or per nest). With ``nests`` and
        ``nesting_parameter=None`` one common lambda is calibrated in [0.001, 1] together with alpha and the
        weights (it needs one more margin, and margins of products whose nests differ in their shares).
        Default (no ``nests``): logit.

    Returns
    -------
    Calibration
        The calibrated ``market`` and the fit (observed and fitted moments, ``max_error``, ``exact``).

    Notes
    -----
    Unknowns: :math:`\theta = 1/\alpha` (profiled in closed form), the weights, a calibrated nesting parameter
    and, with inside shares, the outside share; moments: the known margins and the market elasticity. Fewer moments than unknowns, or a
    weight that no moment depends on, raise :class:`~bargaining.errors.IdentificationError`; an exactly
    identified system that no weights in [0, 1] (and outside share in (0, 1)) reproduce raises
    :class:`~bargaining.errors.InfeasibleProblemError`. Weights are never returned outside [0, 1]. With more
    than one unknown besides alpha, seeded starts are added to the best grid point; when an exactly identified
    system has several exact roots an :class:`~bargaining.errors.IdentificationWarning` lists them and the first
    (from the best grid start) is kept.

    Examples
    --------
    >>> fit = calibrate_market([1.0, 1.2], [0.3, 0.2], seller=["A", "B"], margin=[0.4, np.nan],
    ...                        seller_weight=0.5)
    >>> round(fit.max_error, 12), fit.exact
    (0.0, True)
    """
    nested = nests is not None
    if not nested and nesting_parameter is not None:
        raise InvalidParameterError("nesting_parameter was given without nests (nested logit demand).",
                                    hint="pass nests= (one nest label per product) with nesting_parameter=, or "
                                    "drop nesting_parameter= for logit.")
    lambda_unknown = nested and nesting_parameter is None
    elasticity: float | None = None
    if market_elasticity is not None:
        try:
            elasticity = float(market_elasticity)
        except (TypeError, ValueError):
            elasticity = math.nan
        if not (math.isfinite(elasticity) and elasticity < 0):
            raise InvalidParameterError(
                f"market_elasticity must be a finite negative number, got {market_elasticity!r}.",
                hint="pass market_elasticity= the aggregate elasticity of the inside goods, e.g. -1.5.")
        if normalize is not None:
            raise InvalidParameterError(
                "market_elasticity needs an outside good, but normalize= was given.",
                hint="drop normalize= (keep an outside good), or drop market_elasticity=.")
    raw_shares = pd.Series(shares) if not isinstance(shares, pd.Series) else shares
    total = float(np.nansum(np.asarray(raw_shares, dtype=float)))
    inside = elasticity is not None and abs(total - 1.0) <= 1e-8
    probe = (shares * 0.5 if isinstance(shares, pd.Series) else np.asarray(shares, dtype=float) * 0.5) if inside \
        else shares
    base = LogitDemand.from_shares(prices, probe, 1.0, outside_price, normalize, products=products)
    index = base.products
    p = np.asarray(pd.Series(prices, index=index) if not isinstance(prices, pd.Series)
                   else prices.reindex(index), dtype=float)
    observed_shares = base.shares(p).to_numpy() * (2.0 if inside else 1.0)
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
    if seller_weight is not None and weight_by is not None:
        raise InvalidParameterError("weight_by= groups calibrated weights, but seller_weight= fixes them.",
                                    hint="drop seller_weight= to calibrate one weight per group, or drop weight_by=.")
    group_labels, groups = _weight_groups(weight_by, index, sellers, buyers)

    def unit_demand(s: np.ndarray, alpha: float = 1.0, lam: Any = None) -> LogitDemand | NestedLogitDemand:
        if nested:
            return NestedLogitDemand.from_shares(p, s, alpha, nests, nesting_parameter if lam is None else lam,
                                                 outside_price, normalize, products=index)
        return LogitDemand.from_shares(p, s, alpha, outside_price, normalize, products=index)

    def coefficients(beta: np.ndarray, s: np.ndarray, lam: Any = None) -> np.ndarray:
        """Margins in levels times alpha, stacked like ``observed``."""
        if nested:
            state = general.demand_state(unit_demand(s, lam=lam), p, second=False)
            if chain:
                return np.concatenate(general.chain_margins_at(state, structure, beta))
            return general.consumer_margins(state, ownership, beta)
        if chain:
            down, up = eq.chain_margin_coefficients(s, structure, beta)
            return np.concatenate([down, up])
        return eq.consumer_margin_coefficients(s, ownership, beta)

    def unit_elasticity(s: np.ndarray, lam: Any = None) -> float:
        """The market elasticity at alpha = 1 (it is proportional to alpha)."""
        d = unit_demand(s, lam=lam)
        return float((d._derivatives(p, s) @ p).sum() / s.sum())

    seen = np.flatnonzero(np.isfinite(observed))
    if seen.size == 0 and elasticity is None:
        raise IdentificationError(
            "no margin was given, so the price coefficient alpha is not identified.",
            hint="give the margin of at least one product (margin=, or wholesale_margin= in a chain), or "
            "market_elasticity=.")
    n_moments = seen.size + (elasticity is not None)
    weights_unknown = seller_weight is None
    n_weights = len(group_labels) if weights_unknown else 0
    n_unknowns = 1 + n_weights + int(lambda_unknown) + int(inside)
    if n_moments < n_unknowns:
        missing = []
        if weights_unknown:
            missing.append(f"{n_weights} seller weight{'s' if n_weights > 1 else ''}")
        if lambda_unknown:
            missing.append("the nesting parameter")
        if inside:
            missing.append("the outside share")
        raise IdentificationError(
            f"{n_moments} moment{'s' if n_moments != 1 else ''} (margins"
            f"{' and the market elasticity' if elasticity is not None else ''}) cannot identify alpha and "
            + " and ".join(missing) + f" ({n_unknowns} unknowns).",
            hint="give more margins (margin=, wholesale_margin= in a chain) or market_elasticity=, fix "
            "seller_weight= (R antitrust's bargaining power is 1 - seller_weight), fix nesting_parameter=, or use "
            "fewer weight_by groups.")

    def split(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
        """(weights, shares, lambda) from the free unknowns z = (weights, lambda, outside share)."""
        beta = (z[groups] if weights_unknown else _weights(seller_weight, index, "seller_weight", chain=chain))
        s = observed_shares * (1.0 - z[-1]) if inside else observed_shares
        lam = float(z[n_weights]) if lambda_unknown else None
        return beta, s, lam

    def profile(z: np.ndarray) -> tuple[float, np.ndarray]:
        beta, s, lam = split(z)
        a = coefficients(beta, s, lam)[seen] / reference[seen]
        y = observed[seen]
        if elasticity is not None:
            a = np.append(a, elasticity / unit_elasticity(s, lam))
            y = np.append(y, 1.0)
        denominator = float(a @ a)
        theta = float(a @ y) / denominator if denominator > 0 else np.nan
        return theta, theta * a - y

    def residuals(z: np.ndarray) -> np.ndarray:
        return profile(z)[1]

    n_free = n_weights + int(lambda_unknown) + int(inside)
    z = np.zeros(0)
    if n_free:
        lower = np.r_[np.full(n_weights, WEIGHT_EDGE), [NESTING_EDGE] * int(lambda_unknown), [SHARE_EDGE] * int(inside)]
        upper = np.r_[np.full(n_weights, 1.0 - WEIGHT_EDGE), [1.0] * int(lambda_unknown),
                      [1.0 - SHARE_EDGE] * int(inside)]
        beta_grid = np.linspace(WEIGHT_EDGE, 1.0 - WEIGHT_EDGE, 199 if not (inside or nested) else 21)
        share_grid = np.linspace(0.1, 0.9, 9) if inside else np.zeros(1)
        lambda_grid = np.linspace(0.1, 1.0, 10) if lambda_unknown else np.zeros(1)
        fixed = None if weights_unknown else np.zeros(0)
        candidates = []
        for b, lam0, outside_share in itertools.product(beta_grid if weights_unknown else [np.nan], lambda_grid,
                                                         share_grid):
            point = np.r_[np.full(n_weights, b) if fixed is None else fixed, [lam0] * int(lambda_unknown),
                          [outside_share] * int(inside)]
            with np.errstate(all="ignore"):
                ssr = float(np.sum(residuals(point) ** 2))
            candidates.append((ssr if np.isfinite(ssr) else np.inf, point))
        ssr_best, start = min(candidates, key=lambda item: item[0])
        if not np.isfinite(ssr_best):
            raise InfeasibleProblemError("the margins cannot be fitted by any seller weight in [0, 1].",
                                         hint="check that margins are fractions of prices and owners are right.")
        starts = [start]
        if n_free > 1:   # seeded starts more: the best fit is kept, and distinct exact fits are reported
            rng = np.random.default_rng(0)
            starts += [lower + (upper - lower) * rng.uniform(0.05, 0.95, n_free) for _ in range(4)]
        best = None
        exact_fits: list[Any] = []
        for z0 in starts:
            fit = least_squares(residuals, z0, bounds=(lower, upper), xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                method="trf")
            if best is None or fit.cost < best.cost - 1e-30:
                best = fit
            if 2 * fit.cost <= EXACT_TOLERANCE**2:
                if not any(np.max(np.abs(fit.x - other.x)) <= 1e-6 for other in exact_fits):
                    exact_fits.append(fit)
                if n_moments > n_unknowns or n_free == 1:
                    break
        if exact_fits:
            best = exact_fits[0]
        assert best is not None
        z = best.x
        if n_free > 1:   # every calibrated weight (and the outside share) must move some moment
            column = np.sqrt((np.asarray(best.jac) ** 2).sum(axis=0))
            flat = np.flatnonzero(column <= 1e-10 * max(1.0, float(column.max())))
            if flat.size:
                names = [f"seller_weight[{group_labels[i]}]" if i < n_weights else
                         "nesting_parameter" if lambda_unknown and i == n_weights else "outside share" for i in flat]
                raise IdentificationError(
                    f"no given margin depends on {', '.join(map(str, names))}, so it is not identified.",
                    hint="give a margin for a product of that group (for the nesting parameter: margins in nests "
                    "with different shares), fix nesting_parameter=, or use fewer weight_by groups.")
        if len(exact_fits) > 1:
            shown = "; ".join("(" + ", ".join(f"{v:.6g}" for v in fit.x) + ")" for fit in exact_fits[:3])
            warnings.warn(IdentificationWarning(
                f"several parameter values reproduce the moments exactly ({shown}: the weights in the order of "
                f"weight_by's groups{', then lambda' if lambda_unknown else ''}"
                f"{', then the outside share' if inside else ''}); the calibration keeps the first "
                "(from the best grid start). Add a moment (a margin) or fix a weight to tell them apart."),
                stacklevel=2)
    beta, s, lam = split(z)
    theta, error = profile(z)
    if not (np.isfinite(theta) and theta > 0):
        raise InfeasibleProblemError(
            "the margins imply a price coefficient alpha <= 0 (demand rising with price).",
            hint="check the margins and the seller weight: with seller_weight = 0 a single-product seller "
            "prices at cost, so its margin cannot be positive.")
    max_error = float(np.max(np.abs(error)))
    exact = max_error <= EXACT_TOLERANCE
    if n_moments == n_unknowns and not exact:
        shown = ", ".join(f"{v:.6g}" for v in z)
        raise InfeasibleProblemError(
            f"the margins{' and market elasticity' if elasticity is not None else ''} cannot be reproduced with "
            f"seller weights in [0, 1]{' and an outside share in (0, 1)' if inside else ''} (best "
            f"{shown or f'{beta[0]:.6g}'} misses a moment by {max_error:.3g}).",
            hint="R antitrust's bargaining power is 1 - seller_weight; check the margins, or fix seller_weight=.")
    alpha = 1.0 / theta
    demand = unit_demand(s, alpha, lam)
    levels = coefficients(beta, s, lam) * theta
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
    observed_values = list(observed[seen])
    fitted_values = list(observed[seen] + error[: seen.size])
    if elasticity is not None:
        labels.append("market_elasticity")
        observed_values.append(elasticity)
        fitted_values.append(unit_elasticity(s, lam) * alpha)
    return Calibration(
        market=market,
        observed=pd.Series(observed_values, index=labels, name="observed", dtype=float),
        fitted=pd.Series(fitted_values, index=labels, name="fitted", dtype=float),
        max_error=max_error,
        n_margins=int(seen.size),
        n_unknowns=n_unknowns,
        exact=exact,
        outside_share=float(z[-1]) if inside else None,
        nesting_parameter=lam,
    )
