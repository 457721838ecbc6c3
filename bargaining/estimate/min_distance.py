"""Minimum distance on cell moments when only trades and prices are observed.

For every cell g (a group of negotiations, e.g. a market or a bin of covariates) the data give the sample
moments m-hat_g: the trade rate, and the mean, variance and third central moment of the price among trades.
A declared price rule (:func:`bargaining.models.incomplete_likelihood.price_rule_moments`) gives the model's
moments m_g(theta). The estimator minimizes

.. math:: Q(\\theta) = (\\hat m - m(\\theta))' W (\\hat m - m(\\theta)).

* Covariance of the sample moments: Omega-hat = sum_i psi_i psi_i' from each observation's influence
  function psi_i (clusters: sums of psi within cluster); cells are independent samples.
  For a cell with n_g negotiations and N_g trades: trade rate (t_i - P)/n_g; mean price t_i (p_i - mu)/N_g;
  variance t_i((p_i - mu)^2 - s^2)/N_g; third moment t_i((p_i - mu)^3 - k_3 - 3 s^2 (p_i - mu))/N_g.
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
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from bargaining.errors import (
    DataValidationError,
    IdentificationError,
    IdentificationWarning,
    InvalidParameterError,
    UnknownNameError,
)
from bargaining.estimate.results import EstimationResults, warn_not_converged
from bargaining.models.incomplete_likelihood import MOMENT_NAMES, price_rule_moments, uniform_support

__all__ = ["MinDistanceResults", "cell_moments", "fit_incomplete_moments"]

RULES = ("k-double-auction", "intermediary", "posted-price")
_DEFAULT_MOMENTS = {
    "k-double-auction": MOMENT_NAMES,
    "intermediary": MOMENT_NAMES[:3],
    "posted-price": MOMENT_NAMES[:2],
}
WEIGHTINGS = ("optimal", "two-step", "diagonal", "identity")


# ------------------------------------------------------------------------------------------ data moments
def cell_moments(
    traded: np.ndarray,
    price: np.ndarray,
    cells: np.ndarray,
    *,
    center: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample moments by cell and their influence functions.

    Parameters
    ----------
    traded, price
        0/1 outcomes and prices (prices are only read where ``traded`` is 1).
    cells
        Integer cell codes 0..C-1.
    center
        Optional (C, 4) moments at which to centre the influence functions (the two-step weighting);
        default the sample moments.

    Returns
    -------
    moments
        (C, 4) array of (trade rate, mean price, price variance, third central moment); NaN where a cell
        has fewer than 2 trades.
    influence
        (n, C, 4) array psi_i with moments - truth ~ sum_i psi_i.
    counts
        (C, 2) negotiations and trades per cell.
    """
    n_cells = int(cells.max()) + 1
    n = len(traded)
    moments = np.full((n_cells, 4), np.nan)
    influence = np.zeros((n, n_cells, 4))
    counts = np.zeros((n_cells, 2), dtype=int)
    for g in range(n_cells):
        rows = np.flatnonzero(cells == g)
        t = traded[rows]
        n_g, trades = len(rows), int(t.sum())
        counts[g] = (n_g, trades)
        p_rate = t.mean()
        moments[g, 0] = p_rate
        ref = moments[g] if center is None else center[g]
        influence[rows, g, 0] = (t - (p_rate if center is None else ref[0])) / n_g
        if trades < 2:
            continue
        p = price[rows][t == 1]
        mu = p.mean()
        dev = p - mu
        moments[g, 1:] = (mu, np.mean(dev**2), np.mean(dev**3))
        ref = moments[g] if center is None else center[g]
        d = p - ref[1]
        traded_rows = rows[t == 1]
        influence[traded_rows, g, 1] = d / trades
        influence[traded_rows, g, 2] = (d**2 - ref[2]) / trades
        influence[traded_rows, g, 3] = (d**3 - ref[3] - 3.0 * ref[2] * d) / trades
    return moments, influence, counts


def _covariance(psi: np.ndarray, clusters: np.ndarray | None) -> np.ndarray:
    if clusters is not None:
        sums = np.zeros((int(clusters.max()) + 1, psi.shape[1]))
        np.add.at(sums, clusters, psi)
        psi = sums
    return psi.T @ psi


# ---------------------------------------------------------------------------------------------- model
class _MomentModel:
    """Parameters <-> model moments for one price rule over the cells."""

    def __init__(
        self,
        rule: str,
        n_cells: int,
        *,
        value_dist: Any,
        cost_dist: Any,
        fixed_delta: float | None,
        support: str,
        known_support: tuple[float, float] | None,
        data_moments: np.ndarray,
        cell_labels: Sequence[str],
    ) -> None:
        self.rule, self.n_cells = rule, n_cells
        self.value_dist, self.cost_dist = value_dist, cost_dist
        self.fixed_delta, self.support, self.known_support = fixed_delta, support, known_support
        names: list[str] = []
        lower: list[float] = []
        upper: list[float] = []
        start: list[float] = []
        if rule in ("k-double-auction", "intermediary") and fixed_delta is None:
            names.append("Delta")
            lower.append(-1.0)
            upper.append(1.0)
            start.append(0.0)
        if rule == "posted-price":
            names.append("price")
            lower.append(-np.inf)
            upper.append(np.inf)
            start.append(float(np.nanmean(data_moments[:, 1])))
        self.support_cells: list[str | None] = []
        if rule == "k-double-auction" and known_support is None:
            labels: list[str | None] = [None] if support == "common" else list(cell_labels)
            self.support_cells = labels
            for g, label in enumerate(labels):
                rows = data_moments if label is None else data_moments[g : g + 1]
                if not np.all(np.isfinite(rows[:, 1:3])):  # a cell without price moments: pooled start
                    rows = data_moments
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean, var = float(np.nanmean(rows[:, 1])), float(np.nanmean(rows[:, 2]))
                if not (math.isfinite(mean) and math.isfinite(var)):
                    mean, var = 0.5, 1.0 / 96.0
                width = math.sqrt(max(var, 1e-300) / 0.0104166)  # Var = s^2 / 96 at k = 1/2
                suffix = "" if label is None else f"[{label}]"
                names += [f"low{suffix}", f"width{suffix}"]
                lower += [-np.inf, 0.0]
                upper += [np.inf, np.inf]
                start += [mean - width / 2.0, width]
        self.names, self.lower, self.upper = names, np.array(lower), np.array(upper)
        self.start = np.array(start)
        self._cache: dict[tuple[float, ...], np.ndarray] = {}

    def cell_params(self, theta: np.ndarray, g: int) -> dict[str, float]:
        values = dict(zip(self.names, theta, strict=True))
        out: dict[str, float] = {}
        if self.rule in ("k-double-auction", "intermediary"):
            out["Delta"] = float(np.clip(values.get("Delta", self.fixed_delta), -1.0, 1.0))
        if self.rule == "posted-price":
            out["price"] = values["price"]
        if self.rule == "k-double-auction":
            if self.known_support is not None:
                out["low"], out["high"] = self.known_support
            else:
                suffix = "" if self.support == "common" else f"[{self.support_cells[g]}]"
                low, width = values[f"low{suffix}"], values[f"width{suffix}"]
                out["low"], out["high"] = low, low + width
        return out

    def moments(self, theta: np.ndarray) -> np.ndarray:
        """(C, 4) model moments."""
        key = tuple(np.round(theta, 14))
        if key not in self._cache:
            self._cache[key] = np.vstack(
                [
                    price_rule_moments(
                        self.rule,
                        self.cell_params(theta, g),
                        value_dist=self.value_dist,
                        cost_dist=self.cost_dist,
                    )
                    for g in range(self.n_cells)
                ]
            )
        return self._cache[key]

    def reported(self, theta: np.ndarray, cov: np.ndarray) -> tuple[pd.Series, pd.DataFrame]:
        """Map (low, width) to (low, high) with the delta method."""
        names = [n.replace("width", "high") for n in self.names]
        jac = np.eye(len(theta))
        values = theta.copy()
        for j, name in enumerate(self.names):
            if name.startswith("width"):
                i = self.names.index(name.replace("width", "low"))
                values[j] = theta[i] + theta[j]
                jac[j, i] = 1.0
        return pd.Series(values, index=names), pd.DataFrame(jac @ cov @ jac.T, index=names, columns=names)


# -------------------------------------------------------------------------------------------- results
class MinDistanceResults(EstimationResults):
    """Results of :func:`fit_incomplete_moments`.

    Extra attributes
    ----------------
    moments
        DataFrame by (cell, moment): ``data``, ``model``, ``std_error`` (of the data moment), ``used``.
    j_statistic, j_df, j_pvalue
        Over-identification test (NaN when just identified or with non-efficient weights).
    price_rule
        The rule's name; ``implied_k`` the k of the k-double auction at Delta-hat (k-double-auction only).
    """

    model_name = "Incomplete-information bargaining: minimum distance on cell moments"

    moments: pd.DataFrame
    j_statistic: float
    j_df: int
    j_pvalue: float
    price_rule: str
    implied_k: float | None


def _numerical_jacobian(fn: Any, theta: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Central differences (one-sided at an active bound), step 1e-5 relative."""
    base = fn(theta)
    jac = np.empty((base.size, theta.size))
    for j in range(theta.size):
        h = 1e-5 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] = min(theta[j] + h, upper[j])
        down[j] = max(theta[j] - h, lower[j])
        jac[:, j] = (fn(up) - fn(down)) / (up[j] - down[j])
    return jac


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
    cluster: str | None = None,
    drop_invalid: bool = False,
    maxiter: int = 200,
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
    cluster
        Column of cluster ids (within-cluster correlation in the moment covariance).
    drop_invalid
        Drop (and report) invalid rows instead of raising.
    maxiter
        Iteration limit of the least-squares solver (function evaluations = 100 x maxiter).
    """
    from bargaining.data import read_table, validate_negotiations
    from bargaining.models.bilateral import delta_from_k, k_from_delta

    rule = str(price_rule).strip().lower().replace("_", "-")
    if rule not in RULES:
        raise UnknownNameError(
            f"No minimum-distance model for price rule {price_rule!r}.", hint=f"Use one of {RULES}."
        )
    if weighting not in WEIGHTINGS:
        raise InvalidParameterError(f"Unknown weighting {weighting!r}.", hint=f"Use one of {WEIGHTINGS}.")
    if support not in ("common", "by-cell"):
        raise InvalidParameterError(f"Unknown support {support!r}.", hint="Use 'common' or 'by-cell'.")
    cell_cols = [] if cells is None else ([cells] if isinstance(cells, str) else list(cells))
    frame = read_table(data) if not isinstance(data, pd.DataFrame) else data
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

    known_support = None
    if rule in ("intermediary", "posted-price") and (value_dist is None or cost_dist is None):
        raise InvalidParameterError(
            f"The {rule} rule needs known value and cost distributions.",
            hint="Pass value_dist= and cost_dist= (e.g. bargaining.Uniform(0, 1)).",
        )
    if rule == "k-double-auction" and (value_dist is not None or cost_dist is not None):
        f_sup, g_sup = uniform_support(value_dist), uniform_support(cost_dist)
        if f_sup is None or g_sup is None or not np.allclose(f_sup, g_sup):
            raise InvalidParameterError(
                "The k-double auction's linear equilibrium needs uniform values and costs on one interval.",
                hint="Pass Uniform(low, high) for both, or omit them to estimate the support.",
            )
        known_support = f_sup
    fixed_delta = None
    if k is not None:
        if rule != "k-double-auction":
            raise InvalidParameterError("k applies to the k-double-auction rule only.", hint="Drop k.")
        fixed_delta = float(delta_from_k(k))

    data_m, influence, counts = cell_moments(t, p, codes)
    wanted = list(moments) if moments is not None else list(_DEFAULT_MOMENTS[rule])
    unknown = [m for m in wanted if m not in MOMENT_NAMES]
    if unknown:
        raise InvalidParameterError(f"Unknown moments {unknown}.", hint=f"Choose from {MOMENT_NAMES}.")
    cols = [MOMENT_NAMES.index(m) for m in wanted]
    mask = np.zeros_like(data_m, dtype=bool)
    mask[:, cols] = True
    mask &= np.isfinite(data_m)
    notes: list[str] = []
    thin = [cell_labels[g] for g in range(len(cell_labels)) if counts[g, 1] < 2]
    if thin and any(c > 0 for c in cols):
        notes.append(f"Price moments left out for cells with fewer than 2 trades: {', '.join(thin)}.")
    model = _MomentModel(
        rule,
        len(cell_labels),
        value_dist=value_dist,
        cost_dist=cost_dist,
        fixed_delta=fixed_delta,
        support=support,
        known_support=known_support,
        data_moments=data_m,
        cell_labels=cell_labels,
    )
    n_params = len(model.names)
    if n_params == 0:
        raise IdentificationError(
            "Nothing to estimate: every parameter is fixed.", hint="Drop k or the distributions."
        )
    flat = np.flatnonzero(mask.ravel())
    psi = influence.reshape(len(t), -1)[:, flat]
    omega = _covariance(psi, clusters)
    # a moment without sampling variation (e.g. the mean of a constant posted price) is known exactly: give
    # it a tiny variance so that the fit matches it (a model that cannot match it fails the J test)
    scale = max(1.0, float(np.max(np.abs(data_m[np.isfinite(data_m)]))))
    degenerate = np.diag(omega) <= 1e-14 * scale**2
    if np.any(degenerate):
        omega[np.diag_indices_from(omega)] = np.where(degenerate, 1e-14 * scale**2, np.diag(omega))
        notes.append(f"{int(degenerate.sum())} moment(s) without sampling variation are matched exactly.")
    if len(flat) < n_params:
        raise IdentificationError(
            f"{len(flat)} usable moments cannot identify {n_params} parameters ({', '.join(model.names)}).",
            hint="Add moments or cells, fix k, or pass known distributions.",
        )
    target = data_m.ravel()[flat]

    def model_vector(theta: np.ndarray) -> np.ndarray:
        return model.moments(theta).ravel()[flat]

    def solve(weight: np.ndarray, starts: list[np.ndarray]) -> Any:
        root = np.linalg.cholesky(weight).T
        best = None
        for start in starts:
            res = optimize.least_squares(
                lambda th: root @ (target - model_vector(th)),
                np.clip(start, model.lower + 1e-9, model.upper - 1e-9),
                bounds=(model.lower, model.upper),
                x_scale="jac",
                max_nfev=100 * maxiter,
                xtol=1e-12,
                ftol=1e-12,
                gtol=1e-12,
            )
            if best is None or res.cost < best.cost:
                best = res
        return best

    starts = [model.start]
    if "Delta" in model.names:
        j = model.names.index("Delta")
        for d in (-0.6, 0.6):
            s = model.start.copy()
            s[j] = d
            starts.append(s)
    try:
        omega_inv = np.linalg.inv(omega)
    except np.linalg.LinAlgError:
        raise IdentificationError(
            "The covariance of the cell moments is singular.", hint="Use fewer moments or more data per cell."
        ) from None
    diag_w = np.diag(1.0 / np.diag(omega))
    if weighting == "optimal":
        weight = omega_inv
        res = solve(weight, starts)
    elif weighting == "diagonal":
        weight = diag_w
        res = solve(weight, starts)
    elif weighting == "identity":
        weight = np.eye(len(flat))
        res = solve(weight, starts)
    else:  # two-step
        first = solve(diag_w, starts)
        center = model.moments(first.x)
        center = np.where(np.isfinite(center), center, data_m)
        _, influence2, _ = cell_moments(t, p, codes, center=center)
        psi = influence2.reshape(len(t), -1)[:, flat]
        omega = _covariance(psi, clusters)
        weight = np.linalg.inv(omega)
        res = solve(weight, [first.x, *starts])
    theta = res.x
    converged = bool(res.success) and res.status > 0
    if not converged:
        warn_not_converged(f"The minimum-distance solver ({res.message})")
    G = _numerical_jacobian(model_vector, theta, model.lower, model.upper)
    # rank condition on the Jacobian in standard-error units of the moments and natural units of theta
    standardized = np.linalg.cholesky(weight).T @ G * np.maximum(np.abs(theta), 1.0)
    singular = np.linalg.svd(standardized, compute_uv=False)
    if singular.min() <= 1e-8 * singular.max():
        raise IdentificationError(
            f"The moments do not identify {', '.join(model.names)} at the estimate (rank-deficient Jacobian).",
            hint="Add moments (price variance, third moment), cells, or fix k / the support.",
        )
    bread = np.linalg.inv(G.T @ weight @ G)
    cov = bread @ G.T @ weight @ omega @ weight @ G @ bread
    at_bound = (theta <= model.lower + 1e-8) | (theta >= model.upper - 1e-8)
    for j in np.flatnonzero(at_bound):
        cov[j, :] = cov[:, j] = np.nan
        warnings.warn(
            f"{model.names[j]} = {theta[j]:.6g} is on the boundary of its range; its standard error is not "
            "reported (the normal approximation does not hold there).",
            IdentificationWarning,
            stacklevel=2,
        )
    resid = target - model_vector(theta)
    j_df = len(flat) - n_params
    efficient = weighting in ("optimal", "two-step")
    j_stat = float(resid @ weight @ resid) if efficient and j_df > 0 else math.nan
    j_p = float(stats.chi2.sf(j_stat, j_df)) if math.isfinite(j_stat) else math.nan
    params, cov_frame = model.reported(theta, cov)
    implied_k = None
    if rule == "k-double-auction":
        delta_hat = float(params["Delta"]) if "Delta" in params.index else float(fixed_delta)
        implied_k = float(k_from_delta(np.clip(delta_hat, -1, 1)))
    if not efficient:
        notes.append(f"{weighting} weighting: sandwich standard errors, no J test.")
    full_model = model.moments(theta)
    se_data = np.full(data_m.size, np.nan)
    se_data[flat] = np.sqrt(np.diag(omega))
    table = pd.DataFrame(
        {
            "cell": np.repeat(cell_labels, 4),
            "moment": np.tile(MOMENT_NAMES, len(cell_labels)),
            "data": data_m.ravel(),
            "model": full_model.ravel(),
            "std_error": se_data,
            "used": np.isin(np.arange(data_m.size), flat),
        }
    )
    diagnostics: dict[str, Any] = {
        "price rule": rule,
        "cells": len(cell_labels),
        "moments used": len(flat),
        "objective": float(resid @ weight @ resid),
        "J statistic": j_stat,
        "J df": j_df,
        "J p-value": j_p,
    }
    if implied_k is not None:
        diagnostics["implied k"] = implied_k
    results = MinDistanceResults(
        params=params,
        cov=cov_frame,
        nobs=len(t),
        n_input=validated.n_input,
        dropped=validated.dropped,
        converged=converged,
        cov_type="clustered" if cluster else "robust",
        method=f"minimum distance ({weighting} weighting)",
        diagnostics=diagnostics,
        notes=notes,
        cluster_count=None if clusters is None else int(clusters.max() + 1),
    )
    results.moments = table
    results.j_statistic, results.j_df, results.j_pvalue = j_stat, j_df, j_p
    results.price_rule, results.implied_k = rule, implied_k
    return results
