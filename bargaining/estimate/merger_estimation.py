r"""``fit_merger_model``: seller weights and cost parameters of Nash-in-Nash bargaining from many markets.

A thin front end: it reads the columns, builds
:class:`bargaining.models.merger.estimation_model.MergerPricingMoments` (residual: the observed price minus
z'gamma minus the margin the first-order conditions imply at beta, alpha and the observed shares; this is the
cost shock omega at the truth) and estimates it by nonlinear 2SLS with the shared GMM engine
(:func:`bargaining.fit_model`).

Instruments. Shares respond to the cost shock through prices, so the implied margin is endogenous. The
instruments are the cost regressors z and the excluded instruments E (``instruments="~ x + x_rivals"``:
demand shifters, rivals' characteristics; default: the sums over the other products of the market of the
non-constant cost regressors, which move rivals' prices, hence own shares, but not own costs). With seller
weights by group (``weight_by``) every excluded instrument is interacted with the group indicators, so each
group's weight has its own excluded variation. With seller weights by covariates (``weight_formula="~ 1 + w"``:
:math:`\beta_{jt} = \Lambda(w_{jt}'\delta)`, parameters ``delta[TERM]``) every excluded instrument is
interacted with every column of the weight design, and the design's columns that add rank to the instruments
are instruments too (exogenous by assumption, like ``weight_by``'s group indicators); a design of group
indicators, ``"~ 0 + C(g)"``, then has the instruments of ``weight_by="g"`` (the same column span) and
reproduces its estimates through the link, :math:`\Lambda(\hat\delta_g) = \hat\beta_g`.

Demand uncertainty. alpha is taken as known; with ``alpha_cov`` (its variance, e.g. from a first-stage
logit estimate on other data or the same data) the covariance of the estimates adds the delta-method term
:math:`D \, \mathrm{var}(\hat\alpha) D'` with

.. math::

    D = \frac{\partial \hat\theta}{\partial \alpha} = -(J' P J)^{-1} J' P \, \frac{\partial u}{\partial \alpha},
    \qquad P = H (H'H)^{-1} H', \quad J = \frac{\partial u}{\partial \theta'}, \quad
    \frac{\partial u}{\partial \alpha} = \frac{M(\hat\beta, \alpha)}{\alpha},

the implicit-function derivative of the 2SLS first-order condition :math:`J' P u = 0`. This treats
:math:`\hat\alpha` as independent of the supply-side moments (exact when alpha comes from another sample;
an approximation otherwise, since the covariance between demand and supply moments is left out). With
``cov_type="bootstrap"`` alpha is held fixed in the replicates, so ``alpha_cov`` is refused there.

Nested logit (``nests=COLUMN``). The pricing conditions are those of
:class:`bargaining.models.merger.nested_estimation_model.NestedMergerPricingMoments` at (alpha, lambda = 1 -
sigma). With a fitted :func:`bargaining.fit_nested_logit_demand` result the same delta method carries the
2 x 2 covariance V of (alpha, sigma): :math:`D V D'` with
:math:`D = -(J'PJ)^{-1} J'P [\partial u/\partial\alpha, \partial u/\partial\sigma]`. With
``demand=FORMULA`` the nested logit equation (price and log s_{j|g} instrumented) is stacked with the pricing
conditions and the sandwich's bread has the columns :math:`\hat J' \partial u / \partial \alpha` and
:math:`\hat J' \partial u / \partial \sigma` (both analytic).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError, MissingColumnError
from bargaining.estimate.engines.covariance import (
    canonical_cov_type,
    cluster_small_sample_factor,
    symmetric_inverse,
)
from bargaining.estimate.engines.options import read_data
from bargaining.estimate.fit_model import fit_model
from bargaining.estimate.formulas import formula_variables, group_dummies, model_matrix
from bargaining.estimate.results import EstimationResults
from bargaining.models.merger.estimation_model import MergerPricingMoments
from bargaining.models.merger.nested_estimation_model import NestedMergerPricingMoments

if TYPE_CHECKING:
    from bargaining.estimate.demand_fit import LogitDemandArrays

__all__ = ["MergerEstimationResults", "alpha_sensitivity", "fit_merger_model", "stacked_covariance"]


class MergerEstimationResults(EstimationResults):
    """:class:`~bargaining.estimate.results.EstimationResults` of :func:`fit_merger_model`, plus what a merger
    simulation at the estimates needs.

    Attributes
    ----------
    full_params, full_cov
        Estimates and covariance with ``alpha`` (and ``sigma`` with nested logit) included (and
        ``demand[TERM]`` when demand was estimated);
        alpha's variance is 0 when it was given without ``alpha_cov``.
    columns
        The data's column names by role: ``price``, ``share``, ``seller``, ``market``, ``weight_by``, ``nests``
        (nested logit; None otherwise).
    weight_formula, weight_spec, weight_rows
        With seller weights by covariates: the formula, its formulaic model spec (to evaluate the design on
        other rows with the same columns and categories) and the design of the estimation rows (columns named
        like the parameters); None otherwise.

    Examples
    --------
    >>> sim = simulate("bargaining-markets", n=100, seed=4, weight_delta={"Intercept": 0.0, "w": 1.0})
    >>> res = fit_merger_model(sim.data, price="price", share="share", seller="seller", market="market",
    ...                        cost_formula="~ 1 + z1 + z2", alpha=1.0, weight_formula="~ 1 + w",
    ...                        instruments="~ x + x_rivals + z1_rivals + z2_rivals")
    >>> frame = res.implied_weights()
    >>> list(frame.columns), bool(frame["seller_weight"].between(0, 1).all())
    (['seller_weight', 'std_error', 'lower', 'upper'], True)
    """

    full_params: pd.Series
    full_cov: pd.DataFrame
    columns: dict[str, str | None]
    weight_formula: str | None = None
    weight_spec: Any = None
    weight_rows: pd.DataFrame | None = None

    def implied_weights(self, level: float = 0.95) -> pd.DataFrame:
        r"""The seller weight of every estimation row with delta-method intervals.

        With weights by covariates, :math:`\hat\beta_{jt} = \Lambda(w_{jt}'\hat\delta)` and
        :math:`\mathrm{se} = \hat\beta (1 - \hat\beta) \sqrt{w' \hat V_\delta w}`; the interval is the link of
        the interval of the index :math:`w'\hat\delta` (inside (0, 1)). Without covariates the weights are
        parameters and are reported as such (one row per parameter).

        Parameters
        ----------
        level
            Confidence level.

        Examples
        --------
        >>> sim = simulate("bargaining-markets", n=80, seed=4)
        >>> res = fit_merger_model(sim.data, price="price", share="share", seller="seller", market="market",
        ...                        cost_formula="~ 1 + z1 + z2", alpha=1.0, weight_formula="~ 1",
        ...                        instruments="~ x + x_rivals + z1_rivals + z2_rivals")
        >>> bool(abs(res.implied_weights()["seller_weight"].iloc[0] - 0.5) < 0.2)
        True
        """
        from scipy import stats
        from scipy.special import expit

        if not 0 < float(level) < 1:
            raise InvalidParameterError(f"level must be in (0, 1), got {level!r}.", hint="e.g. level=0.95.")
        z = float(stats.norm.ppf((1 + level) / 2))
        if self.weight_rows is None:
            names = [n for n in self.params.index if str(n).startswith("seller_weight")]
            value = self.params[names].to_numpy(dtype=float)
            se = np.sqrt(np.diag(self.cov.loc[names, names].to_numpy(dtype=float)))
            return pd.DataFrame({"seller_weight": value, "std_error": se, "lower": value - z * se,
                                 "upper": value + z * se}, index=pd.Index(names, name="parameter"))
        names = list(self.weight_rows.columns)
        w = self.weight_rows.to_numpy(dtype=float)
        index = w @ self.params[names].to_numpy(dtype=float)
        index_se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", w, self.cov.loc[names, names].to_numpy(), w), 0))
        beta = expit(index)
        return pd.DataFrame({"seller_weight": beta, "std_error": beta * (1 - beta) * index_se,
                             "lower": expit(index - z * index_se), "upper": expit(index + z * index_se)},
                            index=self.weight_rows.index)


def _check_columns(frame: pd.DataFrame, columns: dict[str, str]) -> None:
    for role, name in columns.items():
        if name not in frame.columns:
            close = difflib.get_close_matches(str(name), [str(c) for c in frame.columns], n=1)
            raise MissingColumnError(
                f"column {name!r} ({role}) is not in the data.",
                hint=(f"did you mean {close[0]!r}? " if close else "") + f"columns: {list(frame.columns)[:12]}.",
                column=str(name),
            )


def _rival_sums(values: np.ndarray, market: np.ndarray) -> np.ndarray:
    """Sum over the other products of the same market, column by column."""
    totals = pd.DataFrame(values).groupby(market).transform("sum").to_numpy()
    out: np.ndarray = totals - values
    return out


def alpha_sensitivity(model: MergerPricingMoments, params: np.ndarray) -> np.ndarray:
    r"""d theta-hat / d alpha (k,) of the 2SLS (or least-squares) estimate (module docstring)."""
    out: np.ndarray = _sensitivity(model, params, model.alpha_derivative(params)[:, None])[:, 0]
    return out


def _sensitivity(model: Any, params: np.ndarray, du: np.ndarray) -> np.ndarray:
    r"""d theta-hat / d (demand parameters) (k x m) = -(J' P J)^{-1} J' P du, du: n x m."""
    jac = model.jacobian(params)
    h = model.instruments if model.instruments is not None else jac
    projected_jac = h @ np.linalg.lstsq(h, jac, rcond=None)[0]        # P J
    lhs = jac.T @ projected_jac                                         # J' P J
    rhs = projected_jac.T @ du                                          # J' P du
    out: np.ndarray = -np.linalg.solve(lhs, rhs)
    return out


def _demand_columns(model: Any, params: np.ndarray) -> dict[str, np.ndarray]:
    """d u / d (alpha, sigma) of the pricing residuals (sigma only with nested logit: du/dsigma = -du/dlambda)."""
    out = {"alpha": model.alpha_derivative(params)}
    if isinstance(model, NestedMergerPricingMoments):
        out["sigma"] = -model.nesting_derivative(params)
    return out


def _projected(instruments: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    out: np.ndarray = instruments @ np.linalg.lstsq(instruments, matrix, rcond=None)[0]
    return out


def stacked_covariance(
    demand: Any,
    demand_params: np.ndarray,
    model: MergerPricingMoments | NestedMergerPricingMoments,
    supply_params: np.ndarray,
    *,
    cov_type: str = "robust",
    clusters: np.ndarray | None = None,
) -> np.ndarray:
    r"""Covariance of (b, alpha, theta_s) from the stacked 2SLS estimating equations (module docstring).

    ``demand`` is a :class:`~bargaining.estimate.demand_fit.LogitDemandArrays` (or its nested logit version,
    with sigma), ``model`` the pricing conditions at the demand estimates (rows aligned with ``demand``); ``cov_type`` is ``"robust"`` or ``"clustered"``
    (``clusters``: integer codes 0..G-1).
    """
    x_d = demand.regressors
    xhat_d = _projected(demand.instruments, x_d)
    xi = demand.residuals(demand_params)
    jac = model.jacobian(supply_params)
    h_s = model.instruments if model.instruments is not None else jac
    jhat = _projected(h_s, jac)
    u = model.residuals(supply_params)
    k_d, k_s = x_d.shape[1], jac.shape[1]
    bread = np.zeros((k_d + k_s, k_d + k_s))
    bread[:k_d, :k_d] = -xhat_d.T @ x_d
    demand_names = list(demand.param_names)
    for name, column in _demand_columns(model, supply_params).items():      # alpha (and sigma)
        bread[k_d:, demand_names.index(name)] = jhat.T @ column
    bread[k_d:, k_d:] = jhat.T @ jac
    scores = np.hstack([xhat_d * xi[:, None], jhat * u[:, None]])
    factor = 1.0
    if cov_type == "clustered":
        if clusters is None:
            raise InvalidParameterError("clustered covariance needs cluster codes.", hint="pass cluster=COLUMN.")
        sums = np.zeros((int(clusters.max()) + 1, scores.shape[1]))
        np.add.at(sums, clusters, scores)
        meat = sums.T @ sums
        factor = cluster_small_sample_factor(scores.shape[0], k_d + k_s, int(clusters.max()) + 1)
    elif cov_type == "robust":
        meat = scores.T @ scores
    else:
        raise InvalidParameterError(
            f"cov_type {cov_type!r} is not available with demand estimated jointly.",
            hint="use cov_type='robust' or 'clustered' (the stacked sandwich has no homoskedastic form).")
    inverse = symmetric_inverse(bread, what="the stacked Jacobian of the demand and pricing equations",
                                hint="check the demand and supply instruments (rank) at the estimates.")
    cov = inverse @ meat @ inverse.T * factor
    out: np.ndarray = (cov + cov.T) / 2.0
    return out


def fit_merger_model(
    data: Any,
    *,
    price: str,
    share: str,
    seller: str,
    market: str,
    cost_formula: str = "~ 1",
    alpha: float | None = None,
    alpha_cov: float | None = None,
    demand: Any = None,
    demand_instruments: str | None = None,
    nests: str | None = None,
    instruments: str | None = None,
    weight_by: str | None = None,
    weight_formula: str | None = None,
    cov_type: str = "robust",
    cluster: str | None = None,
    bootstrap: int | None = None,
    bootstrap_kind: str | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> MergerEstimationResults:
    """Estimate seller weights and marginal-cost parameters from the pricing conditions of many markets.

    Sellers bargain over per-unit prices with consumers (Miller 2014), logit demand with price coefficient
    ``alpha``, marginal cost z'gamma + omega (module docstring of
    :mod:`bargaining.models.merger.estimation_model` for the moment conditions).

    Parameters
    ----------
    data
        One row per product and market: a DataFrame, or a CSV/Parquet path.
    price, share, seller, market
        Columns: consumer price, market share (outside good included in the market), the seller that
        bargains the product's price (its products in a market recapture each other's sales), the market.
    cost_formula
        Right-hand side of the marginal-cost equation (``"~ 1 + z1 + z2"``): parameters ``gamma[TERM]``.
    alpha, alpha_cov
        The logit price coefficient, and optionally its variance, carried into the covariance by the delta
        method. Give ``alpha`` or ``demand``, not both.
    demand, demand_instruments
        Demand estimated instead of given: a mean-utility formula (``demand="~ 1 + x"``) with the excluded
        instruments of the price (``demand_instruments="~ z1 + z2 + z1_rivals"``) estimates logit demand on
        the same rows and stacks it with the pricing conditions (module docstring; parameters
        ``demand[TERM]`` and ``alpha`` come first); or a fitted
        :func:`~bargaining.estimate.demand_fit.fit_logit_demand` result (other data): its alpha and variance
        enter by the delta method. With ``nests`` the demand is nested logit (below).
    nests
        Column with each product's nest: the demand is nested logit (Berry's sigma, the nesting parameter of
        :class:`~bargaining.models.demand.NestedLogitDemand` is lambda = 1 - sigma) and the pricing conditions
        use its derivatives and removal shares
        (:class:`~bargaining.models.merger.nested_estimation_model.NestedMergerPricingMoments`). Needs demand
        estimated: ``demand="~ 1 + x"`` with ``demand_instruments`` (at least two excluded instruments, for the
        price and log s_{j|g}; stacked with the pricing conditions, parameters ``demand[TERM]``, ``alpha``,
        ``sigma`` first), or ``demand=`` a :func:`~bargaining.estimate.demand_fit.fit_nested_logit_demand`
        result (alpha and sigma with their covariance enter by the delta method; ``nests`` defaults to the
        fit's column). A sigma outside [0, 1) is refused.
    instruments
        Excluded instruments (a right-hand-side formula without intercept is fine, ``"~ x + x_rivals"``);
        default: rivals' sums of the non-constant cost regressors.
    weight_by
        Column whose values get their own seller weight (``seller_weight[VALUE]``); default one
        ``seller_weight``.
    weight_formula
        Seller weights by covariates instead (not with ``weight_by``): beta_jt = logistic(w_jt'delta) with w
        from this right-hand-side formula (``"~ 1 + w"``; ``"~ 0 + C(g)"`` for groups through the link);
        parameters ``delta[TERM]``, the weights per row in :meth:`MergerEstimationResults.implied_weights`.
    cov_type, cluster, bootstrap, bootstrap_kind, seed, n_jobs, progress
        Inference options with the package-wide meaning; ``cluster`` is a column (e.g. the market).
        ``bootstrap_kind="wild"`` gives wild restricted score bootstrap p-values and intervals of every
        parameter (alpha held fixed, so not with ``alpha_cov``).

    Returns
    -------
    MergerEstimationResults
        Parameters ``seller_weight`` (or ``seller_weight[G]``) and ``gamma[TERM]`` (after ``demand[TERM]`` and
        ``alpha`` when demand is estimated); ``full_params`` / ``full_cov`` include alpha in every case.

    Examples
    --------
    >>> sim = simulate("bargaining-markets", n=150, seed=2)
    >>> res = fit_merger_model(sim.data, price="price", share="share", seller="seller", market="market",
    ...                        cost_formula="~ 1 + z1 + z2", demand="~ 1 + x",
    ...                        demand_instruments="~ z1 + z2 + z1_rivals + z2_rivals",
    ...                        instruments="~ x + x_rivals + z1_rivals + z2_rivals")
    >>> list(res.params.index)[:3], bool(abs(res.params["seller_weight"] - 0.5) < 0.2)
    (['demand[Intercept]', 'demand[x]', 'alpha'], True)
    """
    demand_fit: EstimationResults | None = None
    demand_formula: str | None = None
    sigma: float | None = None                     # Berry's nesting coefficient (nested logit), lambda = 1 - sigma
    demand_block: np.ndarray | None = None         # covariance of (alpha, sigma) from a nested logit fit
    if isinstance(demand, EstimationResults):
        demand_fit = demand
    elif isinstance(demand, str):
        demand_formula = demand
    elif demand is not None:
        raise InvalidParameterError(
            f"demand must be a formula or a fit_logit_demand result, got {type(demand).__name__}.",
            hint='pass demand="~ 1 + x" with demand_instruments=..., or demand=fit_logit_demand(...).')
    if (alpha is None) == (demand is None):
        raise InvalidParameterError(
            "give exactly one of alpha (known price coefficient) and demand (estimated).",
            hint='pass alpha=1.0, or demand="~ 1 + x" with demand_instruments="~ ...".')
    if weight_by is not None and weight_formula is not None:
        raise InvalidParameterError(
            "give at most one of weight_by (a weight per group) and weight_formula (weights by covariates).",
            hint="for groups through the logistic link use weight_formula='~ 0 + C(group)'; add covariates "
                 "with weight_formula='~ 0 + C(group) + w'.")
    if demand_fit is not None:
        if alpha_cov is not None or "alpha" not in demand_fit.params.index:
            raise InvalidParameterError(
                "demand= must be a fit with an 'alpha' parameter, and then alpha_cov is taken from it.",
                hint="pass demand=fit_logit_demand(...) without alpha_cov.")
        position = list(demand_fit.params.index).index("alpha")
        alpha = float(demand_fit.params.to_numpy()[position])
        alpha_cov = float(demand_fit.cov.to_numpy()[position, position])
        if "sigma" in demand_fit.params.index:           # a fit_nested_logit_demand result
            nests = nests if nests is not None else demand_fit.specification.get("Nests")
            if nests is None:
                raise InvalidParameterError("a nested logit demand fit needs the nests of the products.",
                                            hint="pass nests= the column with each product's nest.")
            sigma = float(demand_fit.params["sigma"])
            demand_block = demand_fit.cov.loc[["alpha", "sigma"], ["alpha", "sigma"]].to_numpy(dtype=float)
        elif nests is not None:
            raise InvalidParameterError("nests= was given with a plain logit demand fit.",
                                        hint="pass demand=fit_nested_logit_demand(...), or drop nests=.")
    elif demand_formula is None and nests is not None:
        raise InvalidParameterError(
            "nests= needs the nested logit demand estimated: its sigma is not known otherwise.",
            hint='pass demand="~ 1 + x" with demand_instruments=..., or demand=fit_nested_logit_demand(...).')
    if demand_formula is not None:
        if demand_instruments is None:
            raise InvalidParameterError(
                "demand was given as a formula without demand_instruments.",
                hint='pass demand_instruments="~ z1 + z2 + z1_rivals" (excluded instruments of the price).')
        joint_cov = canonical_cov_type(cov_type, cluster=cluster, bootstrap=True)
        if alpha_cov is not None or bootstrap is not None or joint_cov not in ("robust", "clustered"):
            raise InvalidParameterError(
                "with demand estimated jointly the covariance is the stacked sandwich: cov_type must be "
                "'robust' or 'clustered', without alpha_cov or bootstrap.",
                hint="use cov_type='robust' or cov_type='clustered' with cluster='market'.")
    elif demand_instruments is not None:
        raise InvalidParameterError("demand_instruments was given without a demand formula.",
                                    hint='pass demand="~ 1 + x" as well, or drop demand_instruments.')
    frame = read_data(data)
    columns = {"price": price, "share": share, "seller": seller, "market": market}
    if weight_by is not None:
        columns["weight_by"] = weight_by
    if nests is not None:
        columns["nests"] = nests
    if cluster is not None:
        columns["cluster"] = cluster
    _check_columns(frame, columns)
    if alpha_cov is not None and (
        bootstrap is not None or str(cov_type).lower() == "bootstrap" or bootstrap_kind == "wild"
    ):
        if demand_fit is not None:
            raise InvalidParameterError(
                "a fitted demand (demand=) cannot be combined with the bootstrap (the replicates would hold its "
                "parameters fixed).",
                hint="use an analytic cov_type (robust or clustered) with demand=, or estimate demand jointly "
                     "(demand='~ 1 + x' with demand_instruments=).")
        raise InvalidParameterError(
            "alpha_cov cannot be combined with the bootstrap (the replicates hold alpha fixed).",
            hint="use an analytic cov_type (robust or clustered) with alpha_cov, or drop alpha_cov.",
        )
    if alpha_cov is not None and not (np.isfinite(alpha_cov) and float(alpha_cov) >= 0):
        raise InvalidParameterError(f"alpha_cov must be a non-negative variance, got {alpha_cov!r}.",
                                    hint="pass the squared standard error of alpha.")
    used = list(dict.fromkeys([*columns.values(), *formula_variables(cost_formula, what="cost formula"),
                               *formula_variables(instruments, what="instruments"),
                               *formula_variables(demand_formula, what="demand formula"),
                               *formula_variables(demand_instruments, what="demand instruments"),
                               *formula_variables(weight_formula, what="weight formula")]))
    _check_columns(frame, {f"formula variable {c}": c for c in used})
    complete = frame[used].notna().all(axis=1).to_numpy()
    rows = frame.loc[complete]
    dropped = pd.DataFrame({"reason": ["missing value in a used column"], "count": [int((~complete).sum())]})
    dropped = dropped[dropped["count"] > 0]
    design, cost_names = model_matrix(cost_formula, rows, what="cost formula")
    market_labels = rows[market].to_numpy()
    if instruments is None:
        varying = [j for j, name in enumerate(cost_names) if name != "Intercept"]
        if not varying:
            raise InvalidParameterError(
                "no instruments: the cost formula has no shifters whose rivals' sums could serve.",
                hint='pass instruments="~ x + x_rivals" (demand shifters, rivals\' characteristics).')
        excluded = _rival_sums(design[:, varying], market_labels)
    else:
        excluded, names = model_matrix(instruments, rows, what="instruments")
        excluded = excluded[:, [j for j, name in enumerate(names) if name != "Intercept"]]
    demand_arrays: LogitDemandArrays | None = None
    demand_params = np.empty(0)
    if demand_formula is not None:
        from bargaining.estimate.demand_fit import logit_demand_arrays, nested_logit_demand_arrays
        from bargaining.estimate.engines.linear import solve_linear

        assert demand_instruments is not None
        if nests is None:
            demand_arrays = logit_demand_arrays(
                rows, share=share, price=price, market=market, formula=demand_formula,
                instruments=demand_instruments)
        else:
            demand_arrays = nested_logit_demand_arrays(rows, share=share, price=price, market=market, nests=nests,
                                                       formula=demand_formula, instruments=demand_instruments)
        demand_params = solve_linear(demand_arrays.y, demand_arrays.regressors, demand_arrays.instruments)
        alpha = float(demand_params[demand_arrays.param_names.index("alpha")])
        if nests is not None:
            sigma = float(demand_params[-1])
        if not alpha > 0:
            raise InvalidParameterError(
                f"the estimated logit price coefficient alpha = {alpha:.4g} is not positive: demand does not slope "
                "down, and the pricing conditions are undefined.",
                hint="check demand_instruments (strength, exclusion) and the demand formula.")
    assert alpha is not None
    if sigma is not None and not 0.0 <= sigma < 1.0:
        raise InvalidParameterError(
            f"the estimated nested logit sigma = {sigma:.4g} is outside [0, 1): not consistent with utility "
            "maximization, and the pricing conditions are undefined (lambda = 1 - sigma must be in (0, 1]).",
            hint="check the demand instruments of the log within-nest share (demand_instruments=) and nests=.")
    group_codes, group_names = None, None
    if weight_by is not None:
        dummies, group_names = group_dummies(rows[weight_by])
        group_codes = dummies.argmax(axis=1)
        excluded = np.hstack([excluded * dummies[:, [g]] for g in range(dummies.shape[1])] + [dummies[:, 1:]])
    weight_design, weight_terms, weight_spec = None, None, None
    instrument_matrix = np.hstack([design, excluded])
    if weight_formula is not None:
        import formulaic

        weight_design, weight_terms = model_matrix(weight_formula, rows, what="weight formula")
        weight_spec = formulaic.model_matrix(weight_formula, rows, na_action="raise").model_spec
        interacted = (excluded[:, :, None] * weight_design[:, None, :]).reshape(len(rows), -1)
        instrument_matrix = np.hstack([design, interacted])
        rank = np.linalg.matrix_rank(instrument_matrix)
        for column in weight_design.T:          # the design's columns that add rank (exogenous)
            candidate = np.hstack([instrument_matrix, column[:, None]])
            if np.linalg.matrix_rank(candidate) > rank:
                instrument_matrix, rank = candidate, rank + 1
    model: MergerPricingMoments | NestedMergerPricingMoments
    if sigma is None:
        model = MergerPricingMoments(
            rows[price].to_numpy(), rows[share].to_numpy(), market_labels, rows[seller].to_numpy(), design,
            cost_names, alpha=alpha, weight_group=group_codes, group_names=group_names, weight_design=weight_design,
            weight_design_names=weight_terms, instruments=instrument_matrix,
        )
        title = "Nash-in-Nash pricing conditions (sellers and consumers, logit)"
    else:
        assert nests is not None
        model = NestedMergerPricingMoments(
            rows[price].to_numpy(), rows[share].to_numpy(), market_labels, rows[seller].to_numpy(),
            rows[nests].to_numpy(), design, cost_names, alpha=alpha, nesting_parameter=1.0 - sigma,
            weight_group=group_codes, group_names=group_names, weight_design=weight_design,
            weight_design_names=weight_terms, instruments=instrument_matrix,
        )
        title = "Nash-in-Nash pricing conditions (sellers and consumers, nested logit)"
    cluster_labels = None if cluster is None else rows[cluster].to_numpy()
    fit = fit_model(
        model, cov_type=cov_type, cluster=cluster_labels, bootstrap=bootstrap, bootstrap_kind=bootstrap_kind,
        n_jobs=n_jobs, seed=seed, progress=progress, title=title,
    )
    cov = fit.cov
    params = fit.params
    notes = list(fit.notes)
    diagnostics = dict(fit.diagnostics)
    names = list(params.index)
    method = fit.method
    if demand_arrays is not None:
        method = "2SLS (demand) + nonlinear 2SLS (pricing), stacked covariance"
        codes = None if cluster_labels is None else pd.factorize(cluster_labels)[0]
        analytic = canonical_cov_type(cov_type, cluster=cluster)
        names = [*demand_arrays.param_names, *names]
        params = pd.Series(np.concatenate([demand_params, fit.params.to_numpy()]), index=names)
        joint = stacked_covariance(demand_arrays, demand_params, model, fit.params.to_numpy(), cov_type=analytic,
                                   clusters=codes)
        cov = pd.DataFrame(joint, index=names, columns=names)
        full_params, full_cov = params, cov
        kind = "logit" if sigma is None else "nested logit"
        notes.append(f"Demand ({kind}, Berry inversion, 2SLS) and pricing conditions estimated on the same rows; "
                     "covariance: stacked sandwich, demand-supply correlation included.")
        title = ("Logit" if sigma is None else "Nested logit") + " demand and Nash-in-Nash pricing conditions " \
            "(stacked 2SLS)"
    else:
        diagnostics["alpha"] = float(alpha)
        if sigma is None:
            demand_names, demand_values = ["alpha"], [float(alpha)]
            variance = np.array([[0.0 if alpha_cov is None else float(alpha_cov)]])
        else:
            assert demand_block is not None
            diagnostics["sigma"] = sigma
            demand_names, demand_values, variance = ["alpha", "sigma"], [float(alpha), sigma], demand_block
        columns_du = _demand_columns(model, fit.params.to_numpy())
        sensitivity = _sensitivity(model, fit.params.to_numpy(),
                                   np.column_stack([columns_du[name] for name in demand_names]))
        carried = sensitivity @ variance
        cov = cov + pd.DataFrame(carried @ sensitivity.T, index=cov.index, columns=cov.columns)
        m = len(demand_names)
        full_names = [*names, *demand_names]
        full_params = pd.Series([*fit.params.to_numpy(), *demand_values], index=full_names)
        block = np.zeros((len(full_names), len(full_names)))
        block[:-m, :-m] = cov.to_numpy()
        block[:-m, -m:] = carried
        block[-m:, :-m] = carried.T
        block[-m:, -m:] = variance
        full_cov = pd.DataFrame(block, index=full_names, columns=full_names)
        if sigma is not None:
            notes.append("Standard errors include the uncertainty in the nested logit alpha and sigma (delta "
                         "method, demand estimates independent of the supply-side moments).")
        elif alpha_cov is not None:
            diagnostics["alpha std. error"] = float(np.sqrt(alpha_cov))
            notes.append("Standard errors include the uncertainty in alpha (delta method, alpha independent of "
                         "the supply-side moments).")
        else:
            notes.append("alpha is treated as known (pass alpha_cov to carry its uncertainty into the estimates).")
    result = MergerEstimationResults(
        params=params, cov=cov, nobs=fit.nobs, cov_type=fit.cov_type, dropped=dropped,
        converged=fit.converged, model=title, method=method, n_input=len(frame), diagnostics=diagnostics,
        notes=notes, bootstrap_params=fit.bootstrap_params,
        ci_method="normal" if fit.bootstrap_params is None else "percentile",
        cluster_count=None if cluster_labels is None else int(pd.Series(cluster_labels).nunique()),
        df_inference=fit.df_inference, resampled_inference=fit.resampled_inference,
        specification={"cost_formula": cost_formula, "instruments": instruments or "rivals' sums of cost shifters",
                       "weight_by": weight_by, "weight_formula": weight_formula, "demand_formula": demand_formula,
                       "demand_instruments": demand_instruments, "nests": nests},
    )
    result.full_params = full_params
    result.full_cov = full_cov
    result.columns = {"price": price, "share": share, "seller": seller, "market": market, "weight_by": weight_by,
                      "nests": nests}
    result.weight_formula = weight_formula
    result.weight_spec = weight_spec
    result.weight_rows = None if weight_design is None else pd.DataFrame(
        weight_design, index=rows.index, columns=[f"delta[{t}]" for t in (weight_terms or [])])
    return result
