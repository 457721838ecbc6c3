"""Minimum distance on cell moments when only trades and prices are observed.

For every cell g (a group of negotiations, e.g. a market or a bin of covariates) the data give the sample
moments m-hat_g: the trade rate, and the mean, variance and third central moment of the price among trades.
A declared price rule (:func:`bargaining.models.incomplete_likelihood.price_rule_moments`) gives the model's
moments m_g(theta). The estimator minimizes

.. math:: Q(\\theta) = (\\hat m - m(\\theta))' W (\\hat m - m(\\theta)).

This module is the front end: it validates the data, builds the model
(:class:`bargaining.models.price_rule_moments.PriceRuleMoments`, whose influence functions give the
covariance of the sample moments) and calls the generic engine
(:func:`bargaining.estimate.engines.min_distance.minimize_distance`).

* Covariance of the sample moments: Omega-hat = sum_i psi_i psi_i' from each observation's influence
  function psi_i (clusters: sums of psi within cluster); cells are independent samples.
* Weighting: ``"optimal"`` W = Omega-hat^{-1} (Omega-hat does not depend on theta, so one step is efficient);
  ``"two-step"`` first fits with the diagonal weights, then re-centres the influence functions at the
  model's moments m(theta-tilde) and uses the inverse of that covariance (steadier in small cells);
  ``"diagonal"`` and ``"identity"`` (sandwich standard errors).
* Standard errors: (G'WG)^{-1} G'W Omega W G (G'WG)^{-1} with G = dm/dtheta by central differences.
* J test: with efficient weights and more moments than parameters, J = Q(theta-hat) ~ chi^2(M - K).
* Identification: fewer usable moments than parameters, or a rank-deficient G at the estimate, raises
  :class:`~bargaining.errors.IdentificationError`.

Price rules and their parameters
--------------------------------
``"k-double-auction"``: Delta (or fixed by ``k``) and, unless known uniform distributions are passed, the
common uniform support [low, high] (``support="common"``) or one support per cell (``support="by-cell"``).
With one cell and a free support the trade rate alone cannot tell k from 1 - k; the price's third moment
(its skewness changes sign) does, so it is among the default moments.
``"intermediary"``: Delta, with known distributions. ``"posted-price"``: the posted ``price`` (which
does not involve the bargaining weights), with known distributions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import DataValidationError, InvalidParameterError, UnknownNameError
from bargaining.estimate.engines.bootstrap import converged_replicate
from bargaining.estimate.engines.min_distance import WEIGHTINGS, DistanceInference, minimize_distance
from bargaining.estimate.engines.options import InferenceOptions, check_maxiter, read_data
from bargaining.estimate.engines.wild_score import wild_score_inference
from bargaining.estimate.hypotheses import InvalidTestStatistic, TestStatistic, chi2_test
from bargaining.estimate.results import EstimationResults, warn_not_converged
from bargaining.models.price_rule_moments import PriceRuleMoments, cell_moments
from bargaining.models.price_rules import MOMENT_NAMES, PRICE_RULES, price_rule_class

__all__ = ["WEIGHTINGS", "MinDistanceResults", "cell_moments", "fit_incomplete_moments"]


class _CombinedInference:
    """Resampled inference of several sources (the distance-metric test at a bound, the wild bootstrap)."""

    def __init__(self, parts: list[Any]) -> None:
        self._by_name = {name: part for part in parts for name in part.names}

    @property
    def names(self) -> list[str]:
        return list(self._by_name)

    def pvalue(self, name: str) -> float:
        return float(self._by_name[name].pvalue(name))

    def conf_int(self, name: str, level: float) -> tuple[float, float]:
        low, high = self._by_name[name].conf_int(name, level)
        return (float(low), float(high))


class MinDistanceResults(EstimationResults):
    """Results of :func:`fit_incomplete_moments`.

    Attributes
    ----------
    moments
        DataFrame by (cell, moment): ``data``, ``model``, ``std_error`` (of the data moment), ``used``.
    j_statistic, j_df, j_pvalue
        Over-identification test (NaN when just identified or with non-efficient weights).
    price_rule
        The rule's name; ``implied_k`` the k of the k-double auction at Delta-hat (k-double-auction only).

    Examples
    --------
    Delta and the common support [low, high] of the types from trades and prices of group ``g1`` of the
    bundled negotiations (true Delta 0.5, k-double auction prices, uniform [0, 1] types): the four cell
    moments are matched, and with three parameters the J test has one degree of freedom:

    >>> df = load_example("negotiations")
    >>> res = fit_incomplete_moments(df[df.group == "g1"], traded="traded", price="price",
    ...                              price_rule="k-double-auction")
    >>> res.moments[["moment", "data", "model", "std_error"]].round(4)
                   moment    data   model  std_error
    0   trade_probability  0.2820  0.2773     0.0090
    1          mean_price  0.4227  0.4225     0.0040
    2      price_variance  0.0111  0.0111     0.0005
    3  price_third_moment -0.0004 -0.0004     0.0001
    >>> round(res.j_statistic, 3), res.j_df, round(res.j_pvalue, 3)
    (0.277, 1, 0.599)
    >>> round(res.implied_k, 3)    # the k-double auction's k at Delta-hat
    0.677
    """

    model_name = "Incomplete-information bargaining: minimum distance on cell moments"

    def __init__(
        self,
        *,
        moments: pd.DataFrame,
        j_statistic: float,
        j_df: int,
        j_pvalue: float,
        price_rule: str,
        implied_k: float | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.moments = moments
        self.j_statistic, self.j_df, self.j_pvalue = j_statistic, j_df, j_pvalue
        self.price_rule, self.implied_k = price_rule, implied_k


#: largest data moment accepted: third moments of prices beyond ~1e33 overflow the moment covariance
_MAX_MOMENT = 1e100


def fit_incomplete_moments(
    data: Any,
    *,
    traded: str,
    price: str,
    price_rule: str,
    cells: str | Sequence[str] | None = None,
    value_dist: Any = None,
    cost_dist: Any = None,
    k: float | None = None,
    support: str = "common",
    moments: Sequence[str] | None = None,
    weighting: str = "optimal",
    cov_type: str = "robust",
    cluster: str | None = None,
    bootstrap: int | None = None,
    bootstrap_kind: str | None = None,
    n_jobs: int = 1,
    seed: Any = None,
    progress: bool = False,
    drop_invalid: bool = False,
    maxiter: int | None = 200,
) -> MinDistanceResults:
    """Fit a price rule's parameters to cell moments of trades and prices by minimum distance.

    Parameters
    ----------
    data
        DataFrame (or path), one row per negotiation.
    traded, price
        Column names of the 0/1 trade indicator and the price (missing where there was no trade).
    price_rule
        ``"k-double-auction"``, ``"intermediary"`` or ``"posted-price"`` (see the module docstring).
    cells
        Column(s) whose distinct values define the cells (default: one cell).
    value_dist, cost_dist
        Known type distributions (required for the intermediary and posted-price rules; for the
        k-double auction they must be uniform on a common interval, which is then not estimated).
    k
        k-double auction only: fix k (and so Delta = Delta_k, eq. 39); only the support is estimated.
    support
        k-double auction with unknown support: ``"common"`` or ``"by-cell"``.
    moments
        Which of ``trade_probability``, ``mean_price``, ``price_variance``, ``price_third_moment`` to match
        (default: all that the rule models).
    weighting
        ``"optimal"``, ``"two-step"``, ``"diagonal"`` or ``"identity"``.
    cov_type, cluster, bootstrap, bootstrap_kind, n_jobs, seed, progress
        Inference options, with the same meaning in every estimator
        (:mod:`bargaining.estimate.engines.options`). The covariance of the sample moments comes from the
        influence functions of independent negotiations (``robust``) or their sums within clusters
        (``clustered``); ``unadjusted`` reports (G' Omega^-1 G)^-1, the sandwich under efficient weights.
        ``bootstrap_kind="wild"`` (with ``cluster``) gives p-values and intervals of the parameters inside
        their range from the wild restricted score bootstrap (the influence functions re-centred at the
        restricted fit, the weight matrix held fixed; :mod:`bargaining.estimate.engines.wild_score`).
    drop_invalid
        Drop (and report) invalid rows instead of raising.
    maxiter
        Iteration limit of the least-squares solver (function evaluations = 100 x maxiter); None: 200.

    Examples
    --------
    >>> df = load_example("negotiations")
    >>> res = fit_incomplete_moments(df[df.group == "g1"], traded="traded", price="price",
    ...                              price_rule="k-double-auction")
    >>> round(float(res.params["Delta"]), 1)   # the truth is 0.5 (standard error about 0.07)
    0.4
    """
    from bargaining.data import validate_negotiations
    from bargaining.models.bilateral import delta_from_k, k_from_delta

    rule_name = str(price_rule).strip().lower().replace("_", "-")
    if rule_name not in PRICE_RULES:
        raise UnknownNameError(
            f"No minimum-distance model for price rule {price_rule!r}.", hint=f"Use one of {tuple(PRICE_RULES)}."
        )
    rule = price_rule_class(rule_name)
    maxiter = check_maxiter(maxiter, 200)
    options = InferenceOptions.build(
        cov_type=cov_type,
        cluster=cluster,
        bootstrap=bootstrap,
        bootstrap_kind=bootstrap_kind,
        n_jobs=n_jobs,
        seed=seed,
        progress=progress,
    )
    if weighting not in WEIGHTINGS:
        raise InvalidParameterError(f"Unknown weighting {weighting!r}.", hint=f"Use one of {WEIGHTINGS}.")
    if support not in ("common", "by-cell"):
        raise InvalidParameterError(f"Unknown support {support!r}.", hint="Use 'common' or 'by-cell'.")
    cell_cols = [] if cells is None else ([cells] if isinstance(cells, str) else list(cells))
    frame = read_data(data)
    validated = validate_negotiations(
        frame,
        traded=traded,
        price=price,
        groups=tuple(cell_cols) + ((cluster,) if cluster else ()),
        drop_invalid=drop_invalid,
    )
    used = validated.data
    t = used[traded].to_numpy(dtype=float)
    p = used[price].to_numpy(dtype=float)
    if np.any(~np.isfinite(p[t == 1])):
        raise DataValidationError(
            f"Column {price!r} is missing for some trades.", hint="Every trade needs a price.", column=price
        )
    if cell_cols:
        codes, labels = pd.factorize(
            pd.MultiIndex.from_frame(used[cell_cols]) if len(cell_cols) > 1 else used[cell_cols[0]]
        )
        cell_labels = [str(x) for x in labels]
    else:
        codes, cell_labels = np.zeros(len(t), dtype=int), ["all"]
    clusters = pd.factorize(used[cluster])[0] if cluster else None

    fixed_delta = None
    if k is not None:
        if not rule.accepts_k:
            raise InvalidParameterError("k applies to the k-double-auction rule only.", hint="Drop k.")
        fixed_delta = float(delta_from_k(k))
    unknown = [m for m in (moments or []) if m not in MOMENT_NAMES]
    if unknown:
        raise InvalidParameterError(f"Unknown moments {unknown}.", hint=f"Choose from {MOMENT_NAMES}.")
    model = PriceRuleMoments(
        rule,
        t,
        p,
        codes,
        cell_labels=cell_labels,
        moments=moments,
        value_dist=value_dist,
        cost_dist=cost_dist,
        fixed_delta=fixed_delta,
        support=support,
    )
    with np.errstate(over="ignore", invalid="ignore"):
        target = np.asarray(model.data_moments, dtype=float)
        too_large = not np.all(np.isfinite(target)) or float(np.max(np.abs(target), initial=0.0)) > _MAX_MOMENT
    if too_large:  # squares and cubes of the prices overflow (before the moment covariance does)
        raise DataValidationError(
            f"The price moments are too large to compute (largest |{price}| = {np.nanmax(np.abs(p)):.3g}).",
            hint=f"Rescale the price column {price!r} (e.g. to thousands), or drop rows with absurd prices.",
            column=price,
        )
    if not model.param_names:
        from bargaining.errors import IdentificationError

        raise IdentificationError(
            "Nothing to estimate: every parameter is fixed.", hint="Drop k or the distributions."
        )
    notes: list[str] = []
    wanted_columns = [MOMENT_NAMES.index(m) for m in model.wanted]
    thin = [cell_labels[g] for g in range(len(cell_labels)) if model.counts[g, 1] < 2]
    if thin and any(c > 0 for c in wanted_columns):
        notes.append(f"Price moments left out for cells with fewer than 2 trades: {', '.join(thin)}.")
    starts = []
    if "Delta" in model.param_names:
        j = model.param_names.index("Delta")
        for d in (-0.6, 0.6):
            s = model.start_values()
            s[j] = d
            starts.append(s)
    df_inference = options.cluster_inference(clusters)
    use_clusters = clusters if options.analytic_cov_type == "clustered" else None
    fit = minimize_distance(
        model,
        weighting=weighting,
        clusters=use_clusters,
        starts=starts,
        maxiter=maxiter,
        cov_type=options.analytic_cov_type,
    )
    if fit.n_degenerate:
        notes.append(f"{fit.n_degenerate} moment(s) without sampling variation are matched exactly.")
    if not fit.converged:
        warn_not_converged(f"The minimum-distance solver ({fit.message})")
    names, values, cov = model.reported(fit.params, fit.cov)
    params = pd.Series(values, index=names)
    resampled: Any = None
    bound_names = [model.param_names[j] for j in np.flatnonzero(fit.at_bound)]
    if bound_names and weighting in ("optimal", "two-step") and (options.bootstrap is None or options.wild):
        columns = {n: model.param_names.index(n) for n in bound_names if n in names}
        resampled = DistanceInference(model, fit, columns) if columns else None
        if resampled is not None:
            notes.append(
                f"{', '.join(columns)} on the boundary of its range: its interval and p-value are from the "
                "distance-metric test (profile of the objective), which ends at the bound."
            )
    if options.wild:
        assert clusters is not None and options.bootstrap is not None
        interior = [n for j, n in enumerate(model.param_names) if n in names and not fit.at_bound[j]]
        if interior:
            wild = wild_score_inference(
                model, fit.params, clusters, reps=options.bootstrap, seed=options.seed, names=interior,
                maxiter=maxiter, weight=fit.weight,
            )
            resampled = wild if resampled is None else _CombinedInference([resampled, wild])
            notes.append(
                f"p-values and intervals of {', '.join(interior)} are from the wild restricted score bootstrap "
                f"(Kline and Santos 2012; {wild.bootstrap.weight_kind} weights, B = {options.bootstrap}, the weight "
                "matrix held fixed; test inversion); standard errors are the clustered ones."
            )
    cov_frame = pd.DataFrame(cov, index=names, columns=names)
    draws, failed, reported_type = None, 0, options.analytic_cov_type
    if options.bootstrap is not None and not options.wild:

        def refit(rows: np.ndarray) -> np.ndarray:
            replicate = model.subset(rows)
            rep = minimize_distance(
                replicate, weighting=weighting, starts=[fit.params], maxiter=maxiter, compute_cov=False
            )
            reported = replicate.reported(rep.params, np.zeros((len(rep.params),) * 2))[1]
            return converged_replicate(reported, rep.converged, "fit_incomplete_moments")

        draws, failed = options.run_bootstrap(refit, len(t), names=names, clusters=clusters)
        cov_frame = draws.cov()
        reported_type = "bootstrap"
        if failed:
            notes.append(f"{failed} of {options.bootstrap} bootstrap replicates failed and were left out.")
    implied_k = None
    if rule_name == "k-double-auction":
        delta_hat = float(params["Delta"]) if "Delta" in params.index else float(fixed_delta or 0.0)
        implied_k = float(k_from_delta(np.clip(delta_hat, -1, 1)))
    efficient = weighting in ("optimal", "two-step")
    if not efficient:
        notes.append(f"{weighting} weighting: sandwich standard errors, no J test.")
    se_data = np.full(model.all_moments.size, np.nan)
    se_data[model.used] = np.sqrt(np.diag(fit.omega))
    table = pd.DataFrame(
        {
            "cell": np.repeat(cell_labels, 4),
            "moment": np.tile(MOMENT_NAMES, len(cell_labels)),
            "data": model.all_moments.ravel(),
            "model": model.full_model_moments(fit.params).ravel(),
            "std_error": se_data,
            "used": np.isin(np.arange(model.all_moments.size), model.used),
        }
    )
    diagnostics: dict[str, Any] = {
        "price rule": rule_name,
        "cells": len(cell_labels),
        "moments used": len(model.used),
        "objective": fit.objective,
        "J statistic": fit.j_statistic,
        "J df": fit.j_df,
        "J p-value": fit.j_pvalue,
    }
    if implied_k is not None:
        diagnostics["implied k"] = implied_k
    if options.bootstrap is not None and not options.wild:
        diagnostics["bootstrap failures"] = failed
    j_test: TestStatistic
    if math.isfinite(fit.j_statistic):
        j_test = chi2_test(
            fit.j_statistic, fit.j_df, name="J (over-identification)", null="the model matches every moment"
        )
    else:
        reason = "just identified" if fit.j_df <= 0 else f"{weighting} weighting is not efficient"
        j_test = InvalidTestStatistic(reason, name="J (over-identification)")
    return MinDistanceResults(
        tests={"J": j_test},
        specification={
            "price rule": rule_name,
            "moments": ", ".join(model.wanted),
            "cells": ", ".join(cell_cols) or "one cell",
            "weighting": weighting,
        },
        moments=table,
        j_statistic=fit.j_statistic,
        j_df=fit.j_df,
        j_pvalue=fit.j_pvalue,
        price_rule=rule_name,
        implied_k=implied_k,
        params=params,
        cov=cov_frame,
        nobs=len(t),
        n_input=validated.n_input,
        dropped=validated.dropped,
        converged=fit.converged,
        cov_type=reported_type,
        method=f"minimum distance ({weighting} weighting)"
        + (f", {options.bootstrap_kind} bootstrap" if draws is not None else "")
        + (", wild score bootstrap" if options.wild else ""),
        diagnostics=diagnostics,
        notes=notes,
        bootstrap_params=draws,
        ci_method="normal" if draws is None else "percentile",
        cluster_count=None if clusters is None else int(clusters.max() + 1),
        df_inference=df_inference if draws is None else None,
        resampled_inference=resampled,
    )
