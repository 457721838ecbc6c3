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
group's weight has its own excluded variation.

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
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError, MissingColumnError
from bargaining.estimate.engines.options import read_data
from bargaining.estimate.fit_model import fit_model
from bargaining.estimate.formulas import formula_variables, group_dummies, model_matrix
from bargaining.estimate.results import EstimationResults
from bargaining.models.merger.estimation_model import MergerPricingMoments

__all__ = ["alpha_sensitivity", "fit_merger_model"]


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
    jac = model.jacobian(params)
    h = model.instruments if model.instruments is not None else jac
    projected_jac = h @ np.linalg.lstsq(h, jac, rcond=None)[0]        # P J
    lhs = jac.T @ projected_jac                                         # J' P J
    rhs = projected_jac.T @ model.alpha_derivative(params)              # J' P du/dalpha
    out: np.ndarray = -np.linalg.solve(lhs, rhs)
    return out


def fit_merger_model(
    data: Any,
    *,
    price: str,
    share: str,
    seller: str,
    market: str,
    cost_formula: str = "~ 1",
    alpha: float,
    alpha_cov: float | None = None,
    instruments: str | None = None,
    weight_by: str | None = None,
    cov_type: str = "robust",
    cluster: str | None = None,
    bootstrap: int | None = None,
    bootstrap_kind: str | None = None,
    seed: Any = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> EstimationResults:
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
        method.
    instruments
        Excluded instruments (a right-hand-side formula without intercept is fine, ``"~ x + x_rivals"``);
        default: rivals' sums of the non-constant cost regressors.
    weight_by
        Column whose values get their own seller weight (``seller_weight[VALUE]``); default one
        ``seller_weight``.
    cov_type, cluster, bootstrap, bootstrap_kind, seed, n_jobs, progress
        Inference options with the package-wide meaning; ``cluster`` is a column (e.g. the market).
        ``bootstrap_kind="wild"`` gives wild restricted score bootstrap p-values and intervals of every
        parameter (alpha held fixed, so not with ``alpha_cov``).

    Returns
    -------
    EstimationResults
        Parameters ``seller_weight`` (or ``seller_weight[G]``) and ``gamma[TERM]``.
    """
    frame = read_data(data)
    columns = {"price": price, "share": share, "seller": seller, "market": market}
    if weight_by is not None:
        columns["weight_by"] = weight_by
    if cluster is not None:
        columns["cluster"] = cluster
    _check_columns(frame, columns)
    if alpha_cov is not None and (
        bootstrap is not None or str(cov_type).lower() == "bootstrap" or bootstrap_kind == "wild"
    ):
        raise InvalidParameterError(
            "alpha_cov cannot be combined with the bootstrap (the replicates hold alpha fixed).",
            hint="use an analytic cov_type (robust or clustered) with alpha_cov, or drop alpha_cov.",
        )
    if alpha_cov is not None and not (np.isfinite(alpha_cov) and float(alpha_cov) >= 0):
        raise InvalidParameterError(f"alpha_cov must be a non-negative variance, got {alpha_cov!r}.",
                                    hint="pass the squared standard error of alpha.")
    used = list(dict.fromkeys([*columns.values(), *formula_variables(cost_formula, what="cost formula"),
                               *formula_variables(instruments, what="instruments")]))
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
    group_codes, group_names = None, None
    if weight_by is not None:
        dummies, group_names = group_dummies(rows[weight_by])
        group_codes = dummies.argmax(axis=1)
        excluded = np.hstack([excluded * dummies[:, [g]] for g in range(dummies.shape[1])] + [dummies[:, 1:]])
    model = MergerPricingMoments(
        rows[price].to_numpy(), rows[share].to_numpy(), market_labels, rows[seller].to_numpy(), design, cost_names,
        alpha=alpha, weight_group=group_codes, group_names=group_names, instruments=np.hstack([design, excluded]),
    )
    title = "Nash-in-Nash pricing conditions (sellers and consumers, logit)"
    cluster_labels = None if cluster is None else rows[cluster].to_numpy()
    fit = fit_model(
        model, cov_type=cov_type, cluster=cluster_labels, bootstrap=bootstrap, bootstrap_kind=bootstrap_kind,
        n_jobs=n_jobs, seed=seed, progress=progress, title=title,
    )
    cov = fit.cov
    notes = list(fit.notes)
    diagnostics = dict(fit.diagnostics)
    diagnostics["alpha"] = float(alpha)
    if alpha_cov is not None:
        sensitivity = alpha_sensitivity(model, fit.params.to_numpy())
        cov = cov + float(alpha_cov) * pd.DataFrame(np.outer(sensitivity, sensitivity), index=cov.index,
                                                    columns=cov.columns)
        diagnostics["alpha std. error"] = float(np.sqrt(alpha_cov))
        notes.append("Standard errors include the uncertainty in alpha (delta method, alpha independent of the "
                     "supply-side moments).")
    else:
        notes.append("alpha is treated as known (pass alpha_cov to carry its uncertainty into the estimates).")
    return EstimationResults(
        params=fit.params, cov=cov, nobs=fit.nobs, cov_type=fit.cov_type, dropped=dropped,
        converged=fit.converged, model=title, method=fit.method, n_input=len(frame), diagnostics=diagnostics,
        notes=notes, bootstrap_params=fit.bootstrap_params,
        ci_method="normal" if fit.bootstrap_params is None else "percentile",
        cluster_count=None if cluster_labels is None else int(pd.Series(cluster_labels).nunique()),
        df_inference=fit.df_inference, resampled_inference=fit.resampled_inference,
        specification={"cost_formula": cost_formula, "instruments": instruments or "rivals' sums of cost shifters",
                       "weight_by": weight_by},
    )
