r"""Linear (IV) regression: OLS and 2SLS computed directly in numpy, IV-GMM through ``linearmodels``.

OLS and IV-2SLS are a few k x k products and solves on the design as it is (no copies into pandas objects):
with regressors X (n x K) and instruments Z (n x L, L >= K; Z = X for OLS),

.. math:: \Pi = (Z'Z)^{-1} Z'X,\quad \hat X = Z\Pi,\quad A = \hat X'X = X'Z\Pi,\quad
          \hat\beta = A^{-1}\hat X' y = A^{-1}\Pi' Z'y,\quad u = y - X\hat\beta,

and the covariance is the package's sandwich (:func:`~bargaining.estimate.engines.covariance.linear_covariance`:
``unadjusted`` :math:`(u'u/n) A^{-1}`, ``robust`` and ``clustered`` with scores :math:`\hat x_i u_i`; the
clustered one with the small-sample factor :math:`\frac{G}{G-1}\frac{N-1}{N-K}`). These are the numbers of
``linearmodels.iv.IV2SLS(y, exog, endog, instruments).fit(cov_type=...)`` (``debiased=True`` for clustered
errors), which the tests use as the reference (:func:`fit_linear_linearmodels`) to 1e-10. Two-step efficient
IV-GMM keeps ``linearmodels``' ``IVGMM``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import IdentificationError, InvalidParameterError
from bargaining.estimate.engines.covariance import (
    canonical_cov_type,
    cluster_small_sample_factor,
    cross_product,
    linear_covariance,
    row_product,
)

__all__ = ["LinearFit", "first_stage_partial_f", "fit_linear", "fit_linear_linearmodels", "ols_2sls", "solve_linear"]

_SINGULAR_HINT = "the regressors (or instruments) are collinear; drop redundant columns"


@dataclass(frozen=True)
class LinearFit:
    """Point estimates and covariance of a linear equation, in the order of the regressors (exog..., endog...).

    ``result`` is the ``linearmodels`` results object on the IV-GMM path (and on
    :func:`fit_linear_linearmodels`), None on the direct OLS / 2SLS path.
    """

    params: np.ndarray
    cov: np.ndarray
    residuals: np.ndarray
    result: Any = None


def _columns(*blocks: np.ndarray | None) -> np.ndarray | None:
    """Blocks side by side; a single block as it is (no copy)."""
    present = [b for b in blocks if b is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else np.hstack(present)


def _solve(matrix: np.ndarray, rhs: np.ndarray, what: str) -> np.ndarray:
    try:
        out = np.linalg.solve(matrix, rhs)
    except np.linalg.LinAlgError:
        raise IdentificationError(f"{what} is singular", hint=_SINGULAR_HINT) from None
    if not np.all(np.isfinite(out)):
        raise IdentificationError(f"{what} is singular", hint=_SINGULAR_HINT)
    return out


def fit_linear(
    y: np.ndarray,
    *,
    exog: np.ndarray | None,
    endog: np.ndarray | None,
    instruments: np.ndarray | None,
    cov_type: str,
    clusters: np.ndarray | None = None,
    iv_method: str = "2sls",
) -> LinearFit:
    r"""Fit y on exog (and endog, instrumented by exog and ``instruments``); params ordered exog then endog.

    Parameters
    ----------
    y
        (n,) dependent variable.
    exog, endog
        (n, k) exogenous and endogenous regressors (either may be None; ``endog`` needs ``instruments``).
    instruments
        (n, q) excluded instruments, or None for OLS.
    cov_type
        ``"unadjusted"``, ``"robust"`` or ``"clustered"`` (or an alias;
        :mod:`bargaining.estimate.engines.covariance`).
    clusters
        Integer cluster codes 0..G-1 (``clustered`` only).
    iv_method
        ``"2sls"`` (OLS without instruments; computed directly, see the module docstring) or ``"gmm"``
        (two-step efficient IV-GMM with the weighting matrix of the same ``cov_type``, by ``linearmodels``).

    Returns
    -------
    LinearFit
        The clustered covariance carries the small-sample factor G/(G-1)(N-1)/(N-K).

    Examples
    --------
    >>> x = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> fit = fit_linear(np.array([1.1, 1.9, 3.2, 3.9]), exog=x, endog=None, instruments=None,
    ...                  cov_type="robust")
    >>> round(float(fit.params[0]), 4)   # sum(x y) / sum(x^2) = 30.1 / 30
    1.0033
    """
    if iv_method not in ("2sls", "gmm"):
        raise InvalidParameterError(f"unknown iv_method {iv_method!r}", hint="use '2sls' or 'gmm'")
    if instruments is not None and iv_method == "gmm":
        return fit_linear_linearmodels(
            y, exog=exog, endog=endog, instruments=instruments, cov_type=cov_type, clusters=clusters,
            iv_method="gmm",
        )
    x = _columns(exog, endog)
    if x is None:
        raise InvalidParameterError("no regressors", hint="pass exog and/or endog")
    return ols_2sls(
        y, x, None if instruments is None else _columns(exog, instruments), cov_type=cov_type, clusters=clusters
    )


#: regressors whose root-mean-square sizes differ by more than this are refused (units far apart)
MAX_SCALE_RATIO = 1e12


def _check_scales(squares: np.ndarray, nobs: int) -> None:
    """Refuse regressors on scales many orders of magnitude apart.

    Such a design is not of full column rank in floating point for the covariance (the standard errors of the
    small-scale coefficients are lost to rounding, linearmodels' rank check rejects it) even where the
    coefficients themselves can still be computed; it almost always means values in absurd units.
    """
    if squares.size < 2 or nobs == 0:
        return
    size = np.sqrt(np.abs(squares) / nobs)  # root mean square of each column (from the diagonal of X'X)
    size = size[size > 0]
    if size.size >= 2 and np.all(np.isfinite(size)) and size.max() > MAX_SCALE_RATIO * size.min():
        raise IdentificationError(
            "The regressors are not of full column rank in floating point: their scales differ by "
            f"{size.max() / size.min():.1e} (collinear columns, or values in units many orders of magnitude apart).",
            hint="Check the value, cost and price columns for absurd values (e.g. 1e20) and rescale them to "
            "common units.",
        )


def ols_2sls(
    y: np.ndarray,
    regressors: np.ndarray,
    instruments: np.ndarray | None = None,
    *,
    cov_type: str,
    clusters: np.ndarray | None = None,
) -> LinearFit:
    r"""OLS (``instruments`` None) or 2SLS of y on X with the full instrument matrix Z, directly in numpy.

    See the module docstring for the formulas; params are in the order of the columns of ``regressors``.
    Only k x k (and L x L) matrices are inverted; the (n, K) arrays made are :math:`\hat X` (2SLS), the
    residuals and, for ``robust`` and ``clustered``, the scores.
    """
    cov_type = canonical_cov_type(cov_type, cluster=clusters)
    y = np.asarray(y, dtype=float)
    x = np.asarray(regressors, dtype=float)
    if instruments is None:
        xhat, bread = x, cross_product(x)
        _check_scales(np.diag(bread), x.shape[0])
        params = _solve(bread, cross_product(x, y), "the design X'X")
    else:
        z = np.asarray(instruments, dtype=float)
        _check_scales(np.einsum("ij,ij->j", x, x), x.shape[0])
        ztx = cross_product(z, x)
        coef = _solve(cross_product(z), np.column_stack([ztx, cross_product(z, y)]), "the instruments' Z'Z")
        pi, pi_y = coef[:, :-1], coef[:, -1]  # (Z'Z)^{-1} Z'X and (Z'Z)^{-1} Z'y
        bread = ztx.T @ pi  # A = X'Z (Z'Z)^{-1} Z'X, symmetric
        bread = (bread + bread.T) / 2.0
        params = _solve(bread, ztx.T @ pi_y, "the design X'P_Z X")
        xhat = row_product(z, pi)
    residuals = y - row_product(x, params)
    cov = linear_covariance(
        xhat,
        bread,
        residuals,
        cov_type=cov_type,
        clusters=clusters if cov_type == "clustered" else None,
        small_sample=True,
        xhat_gram=bread,
    )
    return LinearFit(params=params, cov=cov, residuals=residuals)


def fit_linear_linearmodels(
    y: np.ndarray,
    *,
    exog: np.ndarray | None,
    endog: np.ndarray | None,
    instruments: np.ndarray | None,
    cov_type: str,
    clusters: np.ndarray | None = None,
    iv_method: str = "2sls",
) -> LinearFit:
    """The same fit through ``linearmodels`` (IV2SLS or IVGMM): the reference of :func:`fit_linear`.

    ``iv_method="gmm"`` uses IVGMM with the weighting matrix of the same ``cov_type`` (two steps). The
    clustered covariance is multiplied by the package's small-sample factor G/(G-1)(N-1)/(N-K).
    """
    from linearmodels.iv import IV2SLS, IVGMM

    cov_type = canonical_cov_type(cov_type, cluster=clusters)
    cov_config: dict[str, Any] = {"clusters": clusters} if cov_type == "clustered" else {}
    try:
        if instruments is None or iv_method == "2sls":
            model: IV2SLS | IVGMM = IV2SLS(y, exog, endog, instruments)
            result = model.fit(cov_type=cov_type, **cov_config)
        elif iv_method == "gmm":
            model = IVGMM(y, exog, endog, instruments, weight_type=cov_type, **cov_config)
            result = model.fit(cov_type=cov_type, **cov_config)
        else:
            raise InvalidParameterError(f"unknown iv_method {iv_method!r}", hint="use '2sls' or 'gmm'")
    except ValueError as error:
        if "full column rank" not in str(error):
            raise
        # linearmodels' own rank check: collinear columns, or columns on scales 1e100 apart
        raise IdentificationError(
            "The regressors of the price equation are not of full column rank in floating point (collinear "
            "columns, or columns whose scales differ by many orders of magnitude).",
            hint="Check the value, cost and price columns for absurd values (e.g. 1e150) or rescale them to "
            "common units, and drop cost shifters that are collinear with the others.",
        ) from None
    params = np.asarray(result.params, dtype=float)
    cov = np.asarray(result.cov, dtype=float)
    if cov_type == "clustered" and clusters is not None:
        cov = cov * cluster_small_sample_factor(len(y), len(params), int(np.max(clusters)) + 1)
    return LinearFit(params=params, cov=cov, residuals=np.asarray(result.resids, dtype=float), result=result)


def solve_linear(y: np.ndarray, regressors: np.ndarray, instruments: np.ndarray | None = None) -> np.ndarray:
    """Point estimate only (OLS, or 2SLS with the full instrument matrix), for bootstrap replicates."""
    if instruments is None:
        return np.linalg.lstsq(regressors, y, rcond=None)[0]
    projected = instruments @ np.linalg.lstsq(instruments, regressors, rcond=None)[0]
    return np.linalg.lstsq(projected, y, rcond=None)[0]


def first_stage_partial_f(endog: np.ndarray, exog: np.ndarray | None, excluded: np.ndarray) -> pd.Series:
    r"""Homoskedastic first-stage partial F of the excluded instruments, one per endogenous column.

    F_j = [(RSS_r - RSS_u) / q] / [RSS_u / (n - k_u)], RSS_u from regressing endog_j on (exog, excluded),
    RSS_r on exog alone (q = number of excluded instruments, k_u = columns of the unrestricted design).
    Staiger and Stock's rule of thumb flags F < 10 as weak.
    """
    n = endog.shape[0]
    full = excluded if exog is None else np.hstack([exog, excluded])
    q = excluded.shape[1]
    out = []
    for j in range(endog.shape[1]):
        target = endog[:, j]
        rss_u = float(np.sum((target - full @ np.linalg.lstsq(full, target, rcond=None)[0]) ** 2))
        if exog is None:
            rss_r = float(target @ target)
        else:
            rss_r = float(np.sum((target - exog @ np.linalg.lstsq(exog, target, rcond=None)[0]) ** 2))
        if n <= full.shape[1]:  # no residual degrees of freedom: F is not defined
            out.append(np.nan)
            continue
        denom = rss_u / (n - full.shape[1])
        out.append(((rss_r - rss_u) / q) / denom if denom > 0 else np.inf)
    return pd.Series(out, dtype=float)
