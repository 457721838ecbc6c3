r"""Fit the Nash (Nash-in-Nash) price equation p = C + beta (V - C) + u to agreement-level data.

:func:`fit_nash` is a front end: it validates the data, builds the model
(:class:`bargaining.models.nash_moments.NashPriceEquation`, from columns and formulas in
:mod:`bargaining.estimate.nash_design`) and calls an engine: linear variants are OLS or IV-2SLS computed
directly in numpy with the package's sandwich covariance (the numbers of ``linearmodels``' IV2SLS, its
reference in the tests) or two-step IV-GMM through ``linearmodels``
(:mod:`bargaining.estimate.engines.linear`), nonlinear ones (beta_i =
logistic(x_i'delta), or beta by group with cost shifters) through the GMM engine
(:mod:`bargaining.estimate.engines.gmm`: nonlinear least squares / nonlinear 2SLS with the analytic
Jacobian). The results are :class:`bargaining.estimate.nash_results.NashResults`.

Identification: beta is separately identified from the cost only through variation in V - r that is not
collinear with the cost shifters z (changes in the network, entry, exclusion restrictions); the fit refuses
collinear designs with :class:`bargaining.errors.IdentificationError` and reports the scaled condition
number and, with instruments, the first-stage partial F.
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from bargaining.errors import DataValidationError, IdentificationWarning, InvalidParameterError
from bargaining.estimate.engines.gmm import fit_moment_model
from bargaining.estimate.engines.linear import fit_linear, fit_linear_linearmodels, ols_2sls, solve_linear
from bargaining.estimate.engines.options import InferenceOptions, check_maxiter, read_data
from bargaining.estimate.engines.wild_bootstrap import WildClusterBootstrap, WildInference
from bargaining.estimate.engines.wild_iv import WildRestrictedEfficient
from bargaining.estimate.engines.wild_score import wild_score_inference
from bargaining.estimate.formulas import formula_variables
from bargaining.estimate.hypotheses import f_test
from bargaining.estimate.nash_design import (
    IDENTIFICATION_HINT,
    NashSpec,
    build_equation,
    check_identification,
    check_instruments,
    linear_regressors,
    require_columns,
    surplus_regressors,
    validate_agreement_rows,
)
from bargaining.estimate.nash_results import NashResults
from bargaining.estimate.results import warn_not_converged
from bargaining.models.nash_moments import NashPriceEquation, gamma_delta_method

__all__ = ["NashResults", "demo_fit", "fit_nash"]


#: largest |price|, |value|, |cost| accepted by fit_nash (the robust covariance uses their 4th powers)
_MAX_MONEY = 1e50


def _fit_linear_design(
    design: NashPriceEquation, *, cov_type: str, iv_method: str, regressors: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Fit of a linear design: (coefficients, covariance) with the weights first, residuals, and
    ``linearmodels``' results object (IV-GMM) or a zero-argument function building it (OLS, 2SLS), for
    ``NashResults.linear_result``.

    OLS and 2SLS are computed directly (:func:`bargaining.estimate.engines.linear.ols_2sls`) with the
    regressors ordered (s w, z); IV-GMM goes through ``linearmodels`` with exog (z) before endog (s w).
    """
    surplus = surplus_regressors(design)
    has_iv = design.excluded is not None
    clusters = design.clusters if cov_type == "clustered" else None
    if has_iv and iv_method == "gmm":
        fit = fit_linear(
            design.y,
            exog=design.cost,
            endog=surplus,
            instruments=design.excluded_interacted(),
            cov_type=cov_type,
            clusters=clusters,
            iv_method=iv_method,
        )
        k_cost = 0 if design.cost is None else design.cost.shape[1]
        # linearmodels orders exog before endog, and the cost shifters come first in exog: put beta first
        order = np.r_[np.arange(k_cost, len(fit.params)), np.arange(k_cost)]
        return fit.params[order], fit.cov[np.ix_(order, order)], fit.residuals, fit.result
    # regressors (s w, z); the cost shifters z are exogenous and instrument themselves (design.instruments)
    fit = ols_2sls(
        design.y,
        linear_regressors(design) if regressors is None else regressors,
        design.instruments if has_iv else None,
        cov_type=cov_type,
        clusters=clusters,
    )
    return fit.params, fit.cov, fit.residuals, functools.partial(_linearmodels_result, design, cov_type, iv_method)


def _linearmodels_result(design: NashPriceEquation, cov_type: str, iv_method: str) -> Any:
    """``linearmodels``' results object of the same linear fit (computed on request: it copies the data)."""
    fit = fit_linear_linearmodels(
        design.y,
        exog=design.cost if design.excluded is not None else _exog_for_linearmodels(design),
        endog=surplus_regressors(design) if design.excluded is not None else None,
        instruments=design.excluded_interacted(),
        cov_type=cov_type,
        clusters=design.clusters if cov_type == "clustered" else None,
        iv_method=iv_method,
    )
    return fit.result


def _exog_for_linearmodels(design: NashPriceEquation) -> np.ndarray:
    """Exogenous regressors in linearmodels' order without instruments: (z, s w)."""
    surplus = surplus_regressors(design)
    return surplus if design.cost is None else np.hstack([design.cost, surplus])


def _point_estimate(
    design: NashPriceEquation, *, start: np.ndarray | None = None, maxiter: int | None = None, iv_method: str = "2sls"
) -> np.ndarray:
    """theta-hat (final parameterization) only: used for bootstrap replicates."""
    instruments = design.instruments
    if design.linear:
        if instruments is not None and iv_method == "gmm":
            # the efficient weighting matrix of each replicate is re-estimated (heteroskedasticity-robust)
            coef = _fit_linear_design(design, cov_type="robust", iv_method="gmm")[0]
        elif design.cost is None:
            return solve_linear(design.y, design.s[:, None] * design.weights, instruments)
        else:
            coef = solve_linear(design.y, np.hstack([design.s[:, None], design.cost]), instruments)
        if design.cost is None:
            return coef
        return np.concatenate([[coef[0]], coef[1:] / (1.0 - coef[0])])
    fit = fit_moment_model(design, start=start, maxiter=maxiter, compute_cov=False)
    if not fit.solver.converged:
        raise ArithmeticError("bootstrap replicate did not converge")
    return fit.params


def fit_nash(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    price: str,
    buyer_value: str,
    seller_cost: str | None = None,
    cost_formula: str | None = None,
    recapture: str | None = None,
    weight_by: str | None = None,
    weight_formula: str | None = None,
    instruments: str | None = None,
    cov_type: str = "robust",
    cluster: str | None = None,
    bootstrap: int | None = None,
    bootstrap_kind: Literal["pairs", "cluster", "wild"] | None = None,
    seed: int | np.random.Generator | None = None,
    drop_invalid: bool = False,
    progress: bool = False,
    iv_method: Literal["2sls", "gmm"] = "2sls",
    maxiter: int | None = None,
    n_jobs: int = 1,
) -> NashResults:
    r"""Estimate the seller's bargaining weight from agreement prices: p = C + beta (V - C) + u.

    Parameters
    ----------
    data
        One row per agreement: a DataFrame, or the path of a CSV/Parquet file.
    price, buyer_value
        Columns of the price p and the buyer's value V of the agreement.
    seller_cost
        Column of the seller's cost C (net of recapture), if observed. Then p - C = beta (V - C) + u is fitted
        without a constant.
    cost_formula
        Instead of ``seller_cost``: C = r + z'gamma + omega with z from this right-hand-side formula (e.g.
        ``"~ 1 + z"``); then p - r = beta (V - r) + (1 - beta) z'gamma + u. Parameters ``gamma[TERM]``.
    recapture
        Column of the known recapture r (default 0), only with ``cost_formula``.
    weight_by
        Column of groups: one beta per group, parameters ``beta[GROUP]``.
    weight_formula
        beta_i = logistic(x_i'delta) with x from this formula; parameters ``delta[TERM]``.
    instruments
        Formula of excluded instruments for the surplus V - b (b = C or r), which may be measured with error
        or correlated with omega. With an unobserved cost this is the rule, not the exception, in
        Nash-in-Nash data: V contains other agreements' prices (through recapture and network values), and
        those respond to this pair's cost shock omega through the equilibrium, so OLS overstates beta (the
        package's Monte Carlo study ``nash-constant-formula-ols`` records the bias; instrumenting with the
        buyer's willingness to pay for the hospital, e.g. ``"~ wtp_drop"``, removes it). formulaic adds an
        intercept unless the formula says ``0 +``; columns that repeat a cost shifter are dropped. With group
        or logistic weights they are interacted with the weight design.
    cov_type
        ``"unadjusted"``, ``"robust"`` (default), ``"clustered"`` (needs ``cluster``; carries the small-sample factor G/(G-1) (N-1)/(N-K) and uses t(G-1)) or ``"bootstrap"``; the
        vocabulary and aliases are shared by every estimator (:mod:`bargaining.estimate.engines.covariance`).
    cluster
        Column of cluster ids (for ``cov_type="clustered"`` or the cluster bootstrap).
    bootstrap, bootstrap_kind, seed, n_jobs, progress
        With ``bootstrap=R``, standard errors are the standard deviations of R bootstrap replicates (pairs:
        rows; cluster: whole clusters, the default with ``cluster``), intervals are percentile intervals and
        ``cov_type`` is ``"bootstrap"``; ``seed`` makes them reproducible for any ``n_jobs``
        (:mod:`bargaining.estimate.engines.options`). ``bootstrap_kind="wild"`` (with ``cluster``; B draws,
        default 999) keeps the clustered standard errors and gives p-values and intervals by test inversion of
        the wild cluster restricted bootstrap (linear designs without instruments: the seller weights), of
        Davidson and MacKinnon's wild restricted efficient bootstrap (linear designs with instruments and
        ``iv_method="2sls"``: the seller weights) or of the wild restricted score bootstrap (logistic weights,
        groups with a cost formula: every parameter).
    drop_invalid
        Drop rows with missing or invalid values (reported in ``results.dropped``) instead of raising.
    iv_method
        ``"2sls"`` or ``"gmm"`` (two-step efficient IV-GMM; linear variants only).
    maxiter
        Function-evaluation limit of the nonlinear optimizer (logistic weights; groups with a cost formula).

    Returns
    -------
    NashResults

    Raises
    ------
    MissingColumnError, DataValidationError
        Unknown column, invalid values (unless ``drop_invalid``).
    IdentificationError
        beta is not identified (V - b zero within a group, collinear with the cost shifters, too few or
        collinear instruments).
    InvalidParameterError
        Inconsistent options.

    Examples
    --------
    >>> res = fit_nash(load_example("hospital_insurer"), price="price", buyer_value="buyer_value",
    ...                seller_cost="seller_cost", cov_type="clustered", cluster="market")
    >>> round(float(res.params["beta"]), 2), res.cov_type
    (0.4, 'clustered')
    """
    spec: NashSpec = {
        "price": price,
        "buyer_value": buyer_value,
        "seller_cost": seller_cost,
        "cost_formula": cost_formula,
        "recapture": recapture,
        "weight_by": weight_by,
        "weight_formula": weight_formula,
        "instruments": instruments,
        "cluster": cluster,
    }
    _check_options(spec, iv_method=iv_method)
    maxiter = check_maxiter(maxiter, None)
    options = InferenceOptions.build(
        cov_type=cov_type,
        cluster=cluster,
        bootstrap=bootstrap,
        bootstrap_kind=bootstrap_kind,
        n_jobs=n_jobs,
        seed=seed,
        progress=progress,
    )
    data = read_data(data)
    formula_columns = [
        c
        for f, what in ((cost_formula, "cost formula"), (weight_formula, "weight formula"))
        for c in formula_variables(f, what=what)
    ]
    instrument_columns = formula_variables(instruments, what="instrument formula")
    extra = [c for c in (recapture, weight_by, cluster) if c is not None]
    required = [
        price,
        buyer_value,
        *([seller_cost] if seller_cost else []),
        *formula_columns,
        *instrument_columns,
        *extra,
    ]
    require_columns(data, required)
    covariates = list(dict.fromkeys([*formula_columns, *extra]))
    used, dropped, n_input = validate_agreement_rows(
        data, columns=spec, covariates=covariates, instruments=instrument_columns, drop_invalid=drop_invalid
    )
    for column in (price, buyer_value, seller_cost, recapture):
        # the robust covariance takes 4th powers of these: beyond ~1e50 it overflows to inf
        if column is None or not len(used):
            continue
        largest = float(np.nanmax(np.abs(pd.to_numeric(used[column], errors="coerce").to_numpy(dtype=float)), initial=0.0))
        if largest > _MAX_MONEY:
            raise DataValidationError(
                f"Column {column!r} has values up to {largest:.3g}, too large for the covariance to be computed.",
                hint=f"Rescale {column!r} (and the other money columns) to common units, e.g. thousands, or drop "
                "the rows with absurd values.",
                column=column,
            )
    design = build_equation(used, **spec)
    df_inference = options.cluster_inference(design.clusters)
    regressors = linear_regressors(design)  # (s w, z): shared by the identification check and the linear fit
    condition, notes = check_identification(design, regressors)
    first_stage, iv_notes = check_instruments(design)
    notes += iv_notes
    diagnostics: dict[str, Any] = {"condition number": condition}
    if first_stage is not None:
        diagnostics["min first-stage F"] = float(first_stage.min())

    names = design.names
    instrument_matrix = design.instruments
    cov_type = options.analytic_cov_type
    linear_params = linear_cov = linear_result = None
    converged = True
    if design.linear:
        has_iv = instrument_matrix is not None
        coef, cov, residuals, linear_result = _fit_linear_design(
            design, cov_type=cov_type, iv_method=iv_method, regressors=regressors
        )
        del regressors
        if design.cost is None:
            theta, theta_cov = coef, cov
            method = "OLS" if not has_iv else ("IV-2SLS" if iv_method == "2sls" else "IV-GMM")
        else:
            pi_names = ["beta", *[f"(1-beta)*{n}" for n in design.cost_names]]
            linear_params = pd.Series(coef, index=pi_names)
            linear_cov = pd.DataFrame(cov, index=pi_names, columns=pi_names)
            theta, theta_cov = gamma_delta_method(float(coef[0]), coef[1:], cov)
            notes += _gamma_notes(float(coef[0]), float(np.sqrt(cov[0, 0])))
            method = (
                "OLS" if not has_iv else ("IV-2SLS" if iv_method == "2sls" else "IV-GMM")
            ) + " + delta method"
    else:
        del regressors
        moment_fit = fit_moment_model(
            design,
            cov_type=cov_type,
            clusters=design.clusters if cov_type == "clustered" else None,
            maxiter=maxiter,
            identification_hint=IDENTIFICATION_HINT,
        )
        fit_nl = moment_fit.solver
        converged = fit_nl.converged
        if not converged:
            warn_not_converged(
                f"the nonlinear least-squares fit of the Nash price equation ({fit_nl.message})"
            )
        theta, residuals, theta_cov = moment_fit.params, moment_fit.residuals, moment_fit.cov
        diagnostics.update({"objective": fit_nl.objective, "function evaluations": fit_nl.nfev})
        if fit_nl.starts > 1:
            diagnostics["starting points"] = fit_nl.starts
            notes.append(
                f"The first start of the nonlinear fit was not a stationary point with curvature (a flat or "
                f"boundary region); {fit_nl.starts} starting points were tried."
            )
        method = "nonlinear " + ("2SLS" if instrument_matrix is not None else "least squares")

    params = pd.Series(theta, index=names)
    analytic_cov = pd.DataFrame(theta_cov, index=names, columns=names)
    # identity link: the weight design is one column of ones or group dummies (every group has rows), so the
    # rows' beta_i = w_i'delta are exactly the entries of delta
    delta = np.asarray(theta, dtype=float)[: len(design.weight_names)]
    if design.link == "identity" and np.any((delta < 0) | (delta > 1)):
        notes.append("Some estimated beta lie outside [0, 1]; the Nash model requires 0 <= beta <= 1.")

    reported_cov, ci_method, draws, reported_type = analytic_cov, "normal", None, cov_type
    resampled = None
    if options.bootstrap is not None and options.bootstrap_kind == "wild":
        resampled = _wild_inference(design, options, names, theta=theta, maxiter=maxiter, iv_method=iv_method)
        if not design.linear:
            kind, source = "wild score bootstrap", "the wild restricted score bootstrap (Kline and Santos 2012)"
            what = "p-values and intervals"
        elif design.excluded is not None:
            kind = "wild restricted efficient bootstrap"
            source = "the wild restricted efficient bootstrap (Davidson and MacKinnon 2010; the first stage resampled too)"
            what = "p-values and intervals of the seller weights"
        else:
            kind, source = "wild cluster bootstrap", "the wild cluster restricted bootstrap"
            what = "p-values and intervals of the seller weights"
        method += f", {kind} ({resampled.bootstrap.weight_kind} weights, B = {options.bootstrap})"
        notes.append(f"{what} are from {source}, by test inversion; standard errors are the clustered ones.")
    elif options.bootstrap is not None:
        draws, failed = options.run_bootstrap(
            lambda rows: _point_estimate(
                design.subset(rows),
                start=theta if not design.linear else None,
                maxiter=maxiter,
                iv_method=iv_method,
            ),
            len(design.y),
            names=names,
            clusters=design.clusters,
        )
        reported_cov = draws.cov()
        ci_method, reported_type = "percentile", "bootstrap"
        diagnostics["bootstrap failures"] = failed
        method += f", {options.bootstrap_kind} bootstrap"
        if failed:
            notes.append(f"{failed} of {options.bootstrap} bootstrap replicates failed and were left out.")

    n_clusters = int(design.clusters.max()) + 1 if design.clusters is not None else None
    tests = {}
    excluded_ws = design.excluded_interacted()  # None exactly when design.excluded is None
    if first_stage is not None and excluded_ws is not None:
        q = excluded_ws.shape[1]
        k_unrestricted = (0 if design.cost is None else design.cost.shape[1]) + q
        for label, value in first_stage.items():
            tests[f"first-stage F: {label}"] = f_test(
                float(value),
                q,
                len(design.y) - k_unrestricted,
                name=f"first-stage partial F ({label})",
                null="the excluded instruments do not explain the instrumented regressor",
            )
    specification = {
        "dependent": f"{price} - {seller_cost or recapture or '0'}",
        "surplus": f"{buyer_value} - {seller_cost or recapture or '0'}",
        "weights": weight_formula or (f"by {weight_by}" if weight_by else "constant beta"),
        "cost": f"observed ({seller_cost})" if seller_cost else f"{cost_formula}",
        "instruments": instruments or "none",
        "endogenous": "surplus" if instruments else "none",
    }
    return NashResults(
        tests=tests,
        specification=specification,
        design=design,
        residuals=residuals,
        spec=spec,
        linear_params=linear_params,
        linear_cov=linear_cov,
        first_stage=first_stage,
        analytic_cov=analytic_cov,
        linear_result=linear_result,
        params=params,
        cov=reported_cov,
        nobs=len(design.y),
        cov_type=reported_type,
        dropped=dropped,
        converged=converged,
        method=method,
        n_input=n_input,
        diagnostics=diagnostics,
        notes=notes,
        bootstrap_params=draws,
        ci_method=ci_method,
        cluster_count=n_clusters,
        df_inference=df_inference if draws is None else None,
        resampled_inference=resampled,
    )


def _gamma_notes(beta: float, se: float) -> list[str]:
    if abs(1.0 - beta) < 2.0 * se:
        message = (
            f"beta = {beta:.3g} is within two standard errors of 1, where gamma = pi / (1 - beta) is "
            "not identified; the gamma estimates and standard errors are unreliable"
        )
        warnings.warn(message, IdentificationWarning, stacklevel=3)
        return [message[0].upper() + message[1:] + "."]
    return []


def _wild_inference(
    design: NashPriceEquation,
    options: InferenceOptions,
    names: list[str],
    *,
    theta: np.ndarray,
    maxiter: int | None,
    iv_method: str,
) -> WildInference:
    """Wild cluster bootstrap p-values and intervals.

    Linear designs without instruments: the wild cluster restricted bootstrap of the linear equation (s w for
    an observed cost, [s, z] for an unobserved one, constant beta), so beta (or beta[g]) is a coefficient;
    gamma = pi / (1 - beta) is not, and keeps its t(G - 1) interval. Linear designs with instruments: the
    WRE of Davidson and MacKinnon (2010) for the seller weights (:mod:`bargaining.estimate.engines.wild_iv`),
    2SLS only. Nonlinear designs (logistic weights, groups with a cost formula, with or without
    instruments): the wild restricted score bootstrap of the moment model (every parameter, in the reported
    parameterization; :mod:`bargaining.estimate.engines.wild_score`).
    """
    assert options.bootstrap is not None and design.clusters is not None
    if design.linear and design.excluded is None:
        if design.cost is None:
            regressors = design.s[:, None] * design.weights
            columns = {name: j for j, name in enumerate(design.weight_names)}
        else:
            regressors = np.hstack([design.s[:, None], design.cost])
            columns = {"beta": 0}
        bootstrap = WildClusterBootstrap(
            design.y, regressors, design.clusters, reps=options.bootstrap, seed=options.seed
        )
        return WildInference(bootstrap, {n: columns[n] for n in names if n in columns})
    if design.instruments is not None and iv_method == "gmm":
        raise InvalidParameterError(
            "the wild bootstrap tests 2SLS estimates; it is not available with iv_method='gmm'",
            hint="use iv_method='2sls' with bootstrap_kind='wild', or bootstrap_kind='cluster'",
        )
    excluded = design.excluded_interacted()
    if design.linear and excluded is not None:
        # Davidson-MacKinnon WRE for the seller weights: the endogenous surplus is resampled too
        wre = WildRestrictedEfficient(
            design.y, design.cost, design.s[:, None] * design.weights, excluded, design.clusters,
            reps=options.bootstrap, seed=options.seed,
        )
        k_cost = 0 if design.cost is None else design.cost.shape[1]
        weights = {name: k_cost + j for j, name in enumerate(design.weight_names)}
        return WildInference(wre, {n: weights[n] for n in names if n in weights})
    return wild_score_inference(
        design, theta, design.clusters, reps=options.bootstrap, seed=options.seed, names=names, maxiter=maxiter
    )


def _check_options(spec: NashSpec, *, iv_method: str) -> None:
    if (spec["seller_cost"] is None) == (spec["cost_formula"] is None):
        raise InvalidParameterError(
            "give exactly one of seller_cost (an observed cost column) and cost_formula",
            hint='e.g. seller_cost="cost", or cost_formula="~ 1 + z" when the cost is not observed',
        )
    if spec["recapture"] is not None and spec["seller_cost"] is not None:
        raise InvalidParameterError(
            "recapture is only used with cost_formula",
            hint="an observed seller_cost is already net of recapture",
        )
    if spec["weight_by"] is not None and spec["weight_formula"] is not None:
        raise InvalidParameterError(
            "give at most one of weight_by and weight_formula",
            hint="for groups and covariates use weight_formula='~ 0 + C(group) + x'",
        )
    if iv_method not in ("2sls", "gmm"):
        raise InvalidParameterError(f"unknown iv_method {iv_method!r}", hint="use '2sls' or 'gmm'")
    if iv_method == "gmm" and (
        spec["weight_formula"] is not None
        or (spec["weight_by"] is not None and spec["cost_formula"] is not None)
    ):
        raise InvalidParameterError(
            "iv_method='gmm' is available for the linear variants only",
            hint="use iv_method='2sls' (nonlinear 2SLS) for this model",
        )


def demo_fit() -> NashResults:
    """Fit the bundled hospital-insurer example (constant beta, observed cost, robust standard errors).

    Examples
    --------
    >>> round(float(demo_fit().params["beta"]), 2)   # the bundled data's true beta is 0.4
    0.4
    """
    from bargaining.data import load_example

    frame = load_example("hospital_insurer")
    return fit_nash(frame, price="price", buyer_value="buyer_value", seller_cost="seller_cost")
