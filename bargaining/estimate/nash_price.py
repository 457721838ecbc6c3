r"""Fit the Nash (Nash-in-Nash) price equation p = C + beta (V - C) + u to agreement-level data.

:func:`fit_nash` is a front end: it validates the data, builds the model
(:class:`bargaining.models.nash_moments.NashPriceEquation`, from columns and formulas in
:mod:`bargaining.estimate.nash_design`) and calls an engine: linear variants go through ``linearmodels``
(OLS, IV-2SLS, IV-GMM; :mod:`bargaining.estimate.engines.linear`), nonlinear ones (beta_i =
logistic(x_i'delta), or beta by group with cost shifters) through the GMM engine
(:mod:`bargaining.estimate.engines.gmm`: nonlinear least squares / nonlinear 2SLS with the analytic
Jacobian). The results are :class:`bargaining.estimate.nash_results.NashResults`.

Identification: beta is separately identified from the cost only through variation in V - r that is not
collinear with the cost shifters z (changes in the network, entry, exclusion restrictions); the fit refuses
collinear designs with :class:`bargaining.errors.IdentificationError` and reports the scaled condition
number and, with instruments, the first-stage partial F.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from bargaining.errors import DataValidationError, IdentificationWarning, InvalidParameterError
from bargaining.estimate.engines.covariance import cluster_small_sample_factor
from bargaining.estimate.engines.gmm import fit_moment_model
from bargaining.estimate.engines.linear import fit_linear, solve_linear
from bargaining.estimate.engines.options import InferenceOptions, check_maxiter, read_data
from bargaining.estimate.engines.wild_bootstrap import WildClusterBootstrap, WildInference
from bargaining.estimate.formulas import formula_variables
from bargaining.estimate.hypotheses import f_test
from bargaining.estimate.nash_design import (
    IDENTIFICATION_HINT,
    NashSpec,
    build_equation,
    check_identification,
    check_instruments,
    require_columns,
    validate_agreement_rows,
)
from bargaining.estimate.nash_results import NashResults
from bargaining.estimate.results import warn_not_converged
from bargaining.models.nash_moments import NashPriceEquation, gamma_delta_method, nash_weights

__all__ = ["NashResults", "demo_fit", "fit_nash"]


#: largest |price|, |value|, |cost| accepted by fit_nash (the robust covariance uses their 4th powers)
_MAX_MONEY = 1e50


def _fit_linear_design(
    design: NashPriceEquation, *, cov_type: str, iv_method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """linearmodels fit of a linear design: (coefficients, covariance) with the weights first, residuals, result."""
    surplus = design.s[:, None] * design.weights
    has_iv = design.excluded is not None
    if has_iv:
        exog, endog = design.cost, surplus
    else:
        exog, endog = (surplus if design.cost is None else np.hstack([design.cost, surplus])), None
    fit = fit_linear(
        design.y,
        exog=exog,
        endog=endog,
        instruments=design.excluded_interacted() if has_iv else None,
        cov_type=cov_type,
        clusters=design.clusters,
        iv_method=iv_method,
    )
    k_cost = 0 if design.cost is None else design.cost.shape[1]
    # linearmodels orders exog before endog, and the cost shifters come first in exog: put beta first
    order = np.r_[np.arange(k_cost, len(fit.params)), np.arange(k_cost)]
    cov = fit.cov
    if cov_type == "clustered" and design.clusters is not None:
        # the package's clustered covariance carries the small-sample factor (engines/covariance.py)
        cov = cov * cluster_small_sample_factor(len(design.y), len(fit.params), int(design.clusters.max()) + 1)
    return fit.params[order], cov[np.ix_(order, order)], fit.residuals, fit.result


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
        (:mod:`bargaining.estimate.engines.options`).
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
    condition, notes = check_identification(design)
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
            design, cov_type=cov_type, iv_method=iv_method
        )
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
        method = "nonlinear " + ("2SLS" if instrument_matrix is not None else "least squares")

    params = pd.Series(theta, index=names)
    analytic_cov = pd.DataFrame(theta_cov, index=names, columns=names)
    beta_values, _ = nash_weights(params[design.weight_names].to_numpy(), design.weights, design.link)
    if design.link == "identity" and np.any((beta_values < 0) | (beta_values > 1)):
        notes.append("Some estimated beta lie outside [0, 1]; the Nash model requires 0 <= beta <= 1.")

    reported_cov, ci_method, draws, reported_type = analytic_cov, "normal", None, cov_type
    resampled = None
    if options.bootstrap is not None and options.bootstrap_kind == "wild":
        resampled = _wild_inference(design, options, names)
        method += f", wild cluster bootstrap ({resampled.bootstrap.weight_kind} weights, B = {options.bootstrap})"
        notes.append(
            "p-values and intervals of the seller weights are from the wild cluster restricted bootstrap "
            "(test inversion); standard errors are the clustered ones."
        )
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


def _wild_inference(design: NashPriceEquation, options: InferenceOptions, names: list[str]) -> WildInference:
    """Wild cluster restricted bootstrap of the seller weights of a linear design without instruments.

    The regressors are those of the linear equation: s w (observed cost) or [s, z] (unobserved cost, constant
    beta), so beta (or beta[g]) is a coefficient; gamma = pi / (1 - beta) is not, and keeps its t(G - 1)
    interval.
    """
    if not design.linear or design.excluded is not None or design.clusters is None:
        raise InvalidParameterError(
            "the wild cluster bootstrap is available for linear designs without instruments",
            hint="drop instruments or use bootstrap_kind='cluster'",
        )
    if design.cost is None:
        regressors = design.s[:, None] * design.weights
        columns = {name: j for j, name in enumerate(design.weight_names)}
    else:
        regressors = np.hstack([design.s[:, None], design.cost])
        columns = {"beta": 0}
    assert options.bootstrap is not None
    bootstrap = WildClusterBootstrap(
        design.y, regressors, design.clusters, reps=options.bootstrap, seed=options.seed
    )
    return WildInference(bootstrap, {n: columns[n] for n in names if n in columns})


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
