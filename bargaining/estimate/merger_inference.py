r"""``simulate_estimated_merger``: a merger simulated at estimated parameters, with confidence intervals.

Given a fit of :func:`bargaining.estimate.merger_estimation.fit_merger_model` (its ``full_params`` /
``full_cov``: alpha, the seller weights, with alpha's uncertainty when demand was estimated or ``alpha_cov``
given) and one market of the data (prices p, shares s, sellers), the market is recovered at parameters theta:

* mean utilities by the Berry inversion, :math:`\delta_j(\theta) = \log s_j - \log s_0 + \alpha p_j`;
* marginal costs from the pricing first-order conditions at the observed prices,
  :math:`c_j(\theta) = p_j - M_j(\beta, \alpha)`, with the implied margins
  :math:`M = (I - O\,\mathrm{diag}(s))^{-1} \tau(s; \beta, \alpha)` of
  :mod:`bargaining.models.merger.estimation_model` (so the pre-merger equilibrium is the observed one, and the
  cost shock of the market is kept, not only :math:`z'\gamma`);

then :meth:`bargaining.models.merger.NashInNashMarket.simulate` solves the post-merger equilibrium. The effects
:math:`f(\theta)`: the relative price change of each product ``price_change[P]``, the post-merger price
``price_post[P]`` and share ``share_post[P]``, ``consumer_surplus_change`` (per unit of market size, money),
``hhi_post`` and ``hhi_change``; for each product P of the merging parties the upward pricing pressure
``upp[P]`` and the compensating marginal-cost reduction ``cmcr[P]`` (money) and ``cmcr_relative[P]`` (fraction
of the pre-merger cost) of :mod:`bargaining.models.merger.outputs` (both are 0 by construction for the other
products, so they are not listed); the change in producer surplus (profit per unit of market size)
``producer_surplus_change`` (all sellers) and ``producer_surplus_change_merging`` (the merging firms). They
depend on theta only through alpha and the weights of the market's sellers (with weights by covariates,
``fit_merger_model(weight_formula=...)``: through delta, each product's weight :math:`\Lambda(w_j'\delta)` with
w_j the weight formula evaluated on the market's rows by the fit's model spec).

Nested logit (a fit with ``nests=``, parameters alpha and sigma, lambda = 1 - sigma): the mean utilities are
those of :meth:`bargaining.models.demand.NestedLogitDemand.from_shares` and the marginal costs
:math:`c = p - M` with the margins of the nested logit conditions
(:func:`bargaining.models.merger.general.consumer_margins`); theta includes sigma, and a bootstrap draw with
sigma outside [0, 1) is left out (counted).

Delta method: :math:`\mathrm{var} f(\hat\theta) \approx \nabla f\, \hat V \nabla f'`, the gradient by central
differences of the re-solved equilibria (step ``step`` times max(1, |theta_k|); one-sided for a weight within
a step of 0 or 1); the equilibria are solved to a residual of 1e-9 in price units, so the differencing error
is about 1e-9 / step. Parametric bootstrap: draws :math:`\theta_b \sim N(\hat\theta, \hat V)`, the effects
recomputed at each; a draw with a seller weight outside [0, 1], a non-positive alpha, or an equilibrium that
fails to solve (or "solves" at a degenerate point: a negative margin or a share of 1 to machine precision)
is left out and counted by reason (``EstimatedMerger.failures``), never dropped silently.
Percentile intervals and the standard deviation of the kept draws are reported next to the delta method's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from bargaining.errors import BargainingError, InvalidParameterError
from bargaining.estimate.engines.options import read_data
from bargaining.models.merger import MergerResult, NashInNashMarket

__all__ = ["EstimatedMerger", "simulate_estimated_merger"]

FAILURE_REASONS = ("seller weight outside [0, 1]", "alpha not positive", "equilibrium not solved",
                   "sigma outside [0, 1)")


@dataclass
class EstimatedMerger:
    """A merger simulated at estimated parameters, with delta-method and parametric-bootstrap intervals.

    Attributes
    ----------
    result
        The :class:`~bargaining.models.merger.MergerResult` at the estimates.
    effects
        One row per effect (``price_change[P]``, ``price_post[P]``, ``share_post[P]``,
        ``consumer_surplus_change``, ``hhi_post``, ``hhi_change``, and for the merging parties' products
        ``upp[P]``, ``cmcr[P]``, ``cmcr_relative[P]``; ``producer_surplus_change``,
        ``producer_surplus_change_merging``): ``estimate``, ``std_error``, ``lower``,
        ``upper`` (delta method) and, with draws, ``boot_std_error``, ``boot_lower``, ``boot_upper``
        (percentile).
    gradient
        d effect / d parameter (effects x the parameters the market depends on).
    draws
        The effects at each kept bootstrap draw (None without draws).
    failures
        Draws left out, by reason (all reasons listed, 0 when none).
    level
        Confidence level of the intervals.
    notes
        Sentences for the summary.

    Examples
    --------
    >>> sim = simulate("bargaining-markets", n=100, seed=3)
    >>> fit = fit_merger_model(sim.data, price="price", share="share", seller="seller", market="market",
    ...                        cost_formula="~ 1 + z1 + z2", alpha=1.0, alpha_cov=0.05**2,
    ...                        instruments="~ x + x_rivals + z1_rivals + z2_rivals")
    >>> out = simulate_estimated_merger(fit, sim.data, market=0, seller_post={"C": "B"}, product="product")
    >>> bool(out.effects.loc["price_change[P4]", "lower"] > 0)
    True
    """

    result: MergerResult
    effects: pd.DataFrame
    gradient: pd.DataFrame
    draws: pd.DataFrame | None
    failures: pd.Series
    level: float
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """The effects table with the failure counts."""
        lines = [f"Merger effects at the estimates ({self.level:.0%} intervals: delta method"
                 + (", parametric bootstrap percentile)" if self.draws is not None else ")")]
        lines.append(self.effects.to_string(float_format=lambda v: f"{v:.5g}"))
        if self.draws is not None:
            lines.append(f"bootstrap draws kept: {len(self.draws)}; left out: "
                         + ", ".join(f"{k}: {int(v)}" for k, v in self.failures.items()))
        lines.extend(f"Note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary


@dataclass(frozen=True)
class _Market:
    """One market's observed data and how theta maps onto it."""

    price: np.ndarray
    share: np.ndarray
    seller: np.ndarray
    products: pd.Index
    weight_names: list[str]          # the parameter name of each product's weight (or the delta[TERM] names)
    seller_post: np.ndarray
    weight_design: np.ndarray | None = None   # with weights by covariates: the products' rows w_j
    merging: np.ndarray | None = None         # the merging parties' products (fixed by the owners; set once)
    nests: np.ndarray | None = None           # nested logit: each product's nest

    def weights(self, weights: Mapping[str, float]) -> np.ndarray:
        """The products' seller weights at the weight parameters."""
        if self.weight_design is None:
            return np.array([weights[name] for name in self.weight_names])
        out: np.ndarray = expit(self.weight_design @ np.array([weights[name] for name in self.weight_names]))
        return out

    def effects(self, alpha: float, weights: Mapping[str, float], sigma: float | None = None
                ) -> tuple[pd.Series, MergerResult]:
        from bargaining.models.demand import DiscreteChoiceDemand, LogitDemand, NestedLogitDemand
        from bargaining.models.merger.equations import same_owner, tau

        beta = self.weights(weights)
        ownership = same_owner(pd.factorize(self.seller)[0])
        demand: DiscreteChoiceDemand
        if self.nests is None:
            outside = 1.0 - self.share.sum()
            delta = np.log(self.share) - np.log(outside) + alpha * self.price
            coefficient = np.eye(self.share.size) - ownership * self.share[None, :]
            value, _ = tau(self.share, beta, alpha)
            cost = self.price - np.linalg.solve(coefficient, value)
            demand = LogitDemand(alpha, delta, products=self.products)
        else:
            from bargaining.models.merger.general import consumer_margins, demand_state

            assert sigma is not None
            demand = NestedLogitDemand.from_shares(self.price, self.share, alpha, list(self.nests), 1.0 - sigma,
                                                   products=self.products)
            cost = self.price - consumer_margins(demand_state(demand, self.price, second=False), ownership, beta)
        market = NashInNashMarket(demand, seller=self.seller, marginal_cost=cost, seller_weight=beta)
        result = market.simulate(seller_post=self.seller_post, start=self.price)
        post = result.post
        values = {
            **{f"price_change[{p}]": float(post.loc[p, "price_change"]) for p in self.products},
            **{f"price_post[{p}]": float(post.loc[p, "price"]) for p in self.products},
            **{f"share_post[{p}]": float(post.loc[p, "share"]) for p in self.products},
            "consumer_surplus_change": float(result.consumer_surplus_change),
            "hhi_post": float(result.hhi["post"]),
            "hhi_change": float(result.hhi["change"]),
        }
        merging = result.merging.to_numpy(dtype=bool) if self.merging is None else self.merging
        upp = result.upward_pricing_pressure["price"].to_numpy()
        cmcr = result.compensating_cost_reduction
        cut, relative = cmcr["marginal_cost"].to_numpy(), cmcr["marginal_cost_relative"].to_numpy()
        for j in np.flatnonzero(merging):      # elsewhere both are 0 by construction (no interval to report)
            p = self.products[int(j)]
            values[f"upp[{p}]"] = float(upp[j])
            values[f"cmcr[{p}]"] = float(cut[j])
            values[f"cmcr_relative[{p}]"] = float(relative[j])
        # producer surplus: profit s (p - c) per unit of market size, after minus before (sellers facing
        # consumers; the merging firms own exactly the merging products)
        change = post["share"].to_numpy() * (post["price"].to_numpy() - cost) - self.share * (self.price - cost)
        values["producer_surplus_change"] = float(change.sum())
        values["producer_surplus_change_merging"] = float(change[merging].sum())
        return pd.Series(values), result


def _read_market(fit: Any, data: Any, market: Any, seller_post: Any, product: str | None) -> _Market:
    from bargaining.estimate.merger_estimation import MergerEstimationResults, _check_columns

    if not isinstance(fit, MergerEstimationResults):
        raise InvalidParameterError(
            f"fit must be a fit_merger_model result, got {type(fit).__name__}.",
            hint="pass fit=fit_merger_model(data, ...).")
    columns = {k: v for k, v in fit.columns.items() if v is not None}
    frame = read_data(data)
    _check_columns(frame, {**columns, **({"product": product} if product is not None else {})})
    rows = frame.loc[frame[columns["market"]] == market]
    if rows.empty:
        close = list(pd.unique(frame[columns["market"]]))[:8]
        raise InvalidParameterError(f"market {market!r} is not in column {columns['market']!r}.",
                                    hint=f"pass market= one of its values, e.g. {close}.")
    products = pd.Index(rows[product] if product is not None else rows.index, name="product")
    if products.has_duplicates:
        raise InvalidParameterError("the market's product labels repeat.", hint="pass product= a column unique "
                                    "within a market, or None (row labels).")
    sellers = rows[columns["seller"]].to_numpy(dtype=object)
    if isinstance(seller_post, Mapping):
        post = np.array([seller_post.get(s, s) for s in sellers], dtype=object)
    elif isinstance(seller_post, str) and seller_post in rows.columns:
        post = rows[seller_post].to_numpy(dtype=object)
    else:
        post = np.asarray(list(seller_post), dtype=object)
        if post.shape != sellers.shape:
            raise InvalidParameterError(
                f"seller_post has {post.size} labels for the market's {sellers.size} products.",
                hint='pass a mapping {"C": "B"} (seller C joins B), a column name, or one label per product.')
    names = fit.full_params.index
    group = columns.get("weight_by")
    weight_design = None
    if fit.weight_spec is not None:
        try:
            matrix = fit.weight_spec.get_model_matrix(rows, na_action="raise")
        except Exception as error:  # formulaic raises several types for missing columns and values
            raise InvalidParameterError(
                f"the weight formula {fit.weight_formula!r} cannot be evaluated on market {market!r}: {error}",
                hint="pass the data the fit used (the weight formula's columns without missing values).") from error
        weight_names = [f"delta[{c}]" for c in matrix.columns]
        missing = sorted(set(weight_names) - set(names))
        if missing:
            raise InvalidParameterError(f"the fit has no {missing}.", hint="pass the data the fit used.")
        weight_design = np.asarray(matrix, dtype=float)
    elif "seller_weight" in names:
        weight_names = ["seller_weight"] * len(rows)
    else:
        assert group is not None
        weight_names = [f"seller_weight[{g}]" for g in rows[group].astype(str)]
        missing = sorted(set(weight_names) - set(names))
        if missing:
            raise InvalidParameterError(f"the fit has no {missing}.", hint="the market's weight groups must have "
                                        "been estimated.")
    nests = None
    if "sigma" in names:
        nest_column = columns.get("nests")
        if nest_column is None:
            raise InvalidParameterError("the fit has a nested logit sigma but no nests column.",
                                        hint="pass a fit_merger_model result estimated with nests=.")
        nests = rows[nest_column].to_numpy(dtype=object)
    return _Market(price=rows[columns["price"]].to_numpy(dtype=float),
                   share=rows[columns["share"]].to_numpy(dtype=float), seller=sellers, products=products,
                   weight_names=weight_names, seller_post=post, weight_design=weight_design, nests=nests)


def _evaluate(spec: _Market, names: list[str], theta: np.ndarray) -> tuple[pd.Series | None, str | None]:
    """Effects at theta (over ``names``), or the reason the draw is left out."""
    values = dict(zip(names, theta, strict=True))
    alpha = float(values["alpha"])
    sigma = float(values["sigma"]) if "sigma" in values else None
    weights = {k: float(v) for k, v in values.items() if k not in ("alpha", "sigma")}
    if any(not 0.0 <= w <= 1.0 for k, w in weights.items() if k.startswith("seller_weight")):
        return None, FAILURE_REASONS[0]
    if not alpha > 0:
        return None, FAILURE_REASONS[1]
    if sigma is not None and not 0.0 <= sigma < 1.0:
        return None, FAILURE_REASONS[3]
    try:
        effects, result = spec.effects(alpha, weights, sigma)
    except (BargainingError, ArithmeticError, ValueError, np.linalg.LinAlgError):
        return None, FAILURE_REASONS[2]
    post = result.post
    degenerate = bool(np.any(post["margin"].to_numpy() <= 0) or np.any(post["share"].to_numpy() >= 1 - 1e-12))
    if not result.converged or degenerate or not np.all(np.isfinite(effects.to_numpy())):
        # degenerate: the solver's residual is small where a share is 1 to machine precision and the
        # equations are flat (a negative margin); that is not an equilibrium
        return None, FAILURE_REASONS[2]
    return effects, None


def simulate_estimated_merger(
    fit: Any,
    data: Any,
    *,
    market: Any,
    seller_post: Any,
    product: str | None = None,
    draws: int = 0,
    level: float = 0.95,
    step: float = 1e-4,
    seed: Any = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> EstimatedMerger:
    r"""Simulate a merger in one market of the data at the estimates of ``fit``, with confidence intervals.

    The market is recovered at the parameters (Berry-inverted mean utilities, marginal costs from the pricing
    first-order conditions at the observed prices) and re-solved after the merger (module docstring);
    intervals by the delta method and, with ``draws``, by a parametric bootstrap from
    :math:`N(\hat\theta, \hat V)`.

    Parameters
    ----------
    fit
        A :func:`~bargaining.estimate.merger_estimation.fit_merger_model` result (its ``full_params`` and
        ``full_cov`` include alpha: estimated with ``demand=``, with ``alpha_cov``, or known with variance 0;
        and sigma for a nested logit fit, ``nests=``, whose nests column the data must have).
    data
        The data (DataFrame or path) with the columns the fit used.
    market
        The value of the fit's market column that selects the market to simulate.
    seller_post
        Post-merger sellers: a mapping old -> new (``{"C": "B"}``: C joins B), a column name, or one label per
        product of the market.
    product
        Column with product labels (default: the rows' index labels).
    draws
        Parametric bootstrap draws (0: delta method only).
    level
        Confidence level.
    step
        Relative step of the central differences of the delta method.
    seed, n_jobs, progress
        Seed of the draws (the same draws for any ``n_jobs``), joblib workers, tqdm progress bar.

    Returns
    -------
    EstimatedMerger
        ``result`` at the estimates, ``effects`` with intervals, ``gradient``, ``draws``, ``failures``.

    Examples
    --------
    >>> sim = simulate("bargaining-markets", n=100, seed=3)
    >>> fit = fit_merger_model(sim.data, price="price", share="share", seller="seller", market="market",
    ...                        cost_formula="~ 1 + z1 + z2", demand="~ 1 + x",
    ...                        demand_instruments="~ z1 + z2 + z1_rivals + z2_rivals",
    ...                        instruments="~ x + x_rivals + z1_rivals + z2_rivals")
    >>> out = simulate_estimated_merger(fit, sim.data, market=0, seller_post={"C": "B"}, product="product",
    ...                                 draws=50, seed=1)
    >>> list(out.effects.columns)
    ['estimate', 'std_error', 'lower', 'upper', 'boot_std_error', 'boot_lower', 'boot_upper']
    >>> int(out.failures.sum() + len(out.draws))
    50
    """
    if not 0 < float(level) < 1:
        raise InvalidParameterError(f"level must be in (0, 1), got {level!r}.", hint="e.g. level=0.95.")
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 0 or draws == 1:
        raise InvalidParameterError(f"draws must be 0 or an integer >= 2, got {draws!r}.", hint="e.g. draws=499.")
    if not (np.isfinite(step) and 0 < step < 0.1):
        raise InvalidParameterError(f"step must be in (0, 0.1), got {step!r}.", hint="e.g. step=1e-4.")
    spec = _read_market(fit, data, market, seller_post, product)
    names = ["alpha", *(["sigma"] if spec.nests is not None else []), *dict.fromkeys(spec.weight_names)]
    theta = fit.full_params[names].to_numpy(dtype=float)
    cov = fit.full_cov.loc[names, names].to_numpy(dtype=float)
    point, reason = _evaluate(spec, names, theta)
    if point is None:
        raise InvalidParameterError(f"the merger cannot be simulated at the estimates: {reason}.",
                                    hint="check the fit (weights in [0, 1], alpha > 0) and the market.")
    at = dict(zip(names, theta, strict=True))
    _, result = spec.effects(float(at.pop("alpha")), at, at.pop("sigma", None))
    spec = replace(spec, merging=result.merging.to_numpy(dtype=bool))
    gradient = np.empty((point.size, theta.size))
    for k in range(theta.size):
        h = step * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        bounded = names[k].startswith("seller_weight") or names[k] == "sigma"   # delta[TERM] is unbounded
        if bounded and up[k] > 1.0:
            up[k], width = theta[k], h
        elif bounded and down[k] < 0.0:
            down[k], width = theta[k], h
        else:
            width = 2 * h
        values = []
        for at in (up, down):
            effect, why = _evaluate(spec, names, at)
            if effect is None:
                raise InvalidParameterError(f"the delta method's difference in {names[k]} failed: {why}.",
                                            hint="try a smaller step=.")
            values.append(effect.to_numpy())
        gradient[:, k] = (values[0] - values[1]) / width
    z = float(stats.norm.ppf((1 + level) / 2))
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", gradient, cov, gradient), 0.0))
    effects = pd.DataFrame({"estimate": point, "std_error": se, "lower": point - z * se, "upper": point + z * se})
    notes = [f"The pre-merger solve reproduces the observed prices to {float(np.max(np.abs(result.pre['price'].to_numpy() - spec.price))):.2g}."]
    if cov[0, 0] == 0:
        notes.append("alpha was given without a variance: the intervals hold it fixed.")
    failures = pd.Series(0, index=list(FAILURE_REASONS), dtype=np.int64, name="draws left out")
    kept_table = None
    if draws:
        rng = np.random.default_rng(seed)
        sample = rng.multivariate_normal(theta, cov, size=int(draws), method="eigh")

        def one(row: np.ndarray) -> tuple[pd.Series | None, str | None]:
            return _evaluate(spec, names, row)

        iterator: Any = sample
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(sample, desc="merger draws", unit="draw")
        if n_jobs == 1:
            outcomes = [one(row) for row in iterator]
        else:
            from joblib import Parallel, delayed

            outcomes = list(Parallel(n_jobs=n_jobs)(delayed(_evaluate)(spec, names, row) for row in iterator))
        kept = [i for i, (effect, _) in enumerate(outcomes) if effect is not None]
        for _, why in outcomes:
            if why is not None:
                failures[why] += 1
        kept_table = pd.DataFrame([outcomes[i][0] for i in kept], index=pd.Index(kept, name="draw"),
                                  columns=point.index)
        tail = (1 - level) / 2
        if len(kept) >= 2:
            effects["boot_std_error"] = kept_table.std(ddof=1)
            effects["boot_lower"] = kept_table.quantile(tail)
            effects["boot_upper"] = kept_table.quantile(1 - tail)
        else:
            raise InvalidParameterError(
                f"only {len(kept)} of {draws} draws could be used ({dict(failures[failures > 0])}).",
                hint="the covariance puts most mass outside the model's domain; use the delta-method intervals.")
        if failures.sum():
            notes.append(f"{int(failures.sum())} of {draws} draws left out: "
                         + ", ".join(f"{k} ({int(v)})" for k, v in failures.items() if v) + ".")
    return EstimatedMerger(result=result, effects=effects,
                           gradient=pd.DataFrame(gradient, index=point.index, columns=names), draws=kept_table,
                           failures=failures, level=float(level), notes=notes)
