r"""Linear (IV) regression through ``linearmodels`` (OLS, IV-2SLS, IV-GMM): the exact path for linear designs.

Linear designs keep this path so that their numbers are linearmodels' to the last digit: exogenous
regressors, endogenous regressors with their excluded instruments, the package's ``cov_type`` names (which
are linearmodels' own), and the first-stage partial F of the excluded instruments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import IdentificationError, InvalidParameterError

__all__ = ["LinearFit", "first_stage_partial_f", "fit_linear", "solve_linear"]


@dataclass(frozen=True)
class LinearFit:
    """Point estimates and covariance of a linear price equation, in the order (exog..., endog...)."""

    params: np.ndarray
    cov: np.ndarray
    residuals: np.ndarray
    result: Any  # the linearmodels results object


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
    """Fit y on exog (and endog, instrumented) with linearmodels; returns params ordered exog then endog.

    ``iv_method="gmm"`` uses IVGMM with the weighting matrix of the same ``cov_type`` (two steps).
    """
    from linearmodels.iv import IV2SLS, IVGMM

    cov_config: dict[str, Any] = {"clusters": clusters} if cov_type == "clustered" else {}
    if instruments is not None and iv_method not in ("2sls", "gmm"):
        raise InvalidParameterError(f"unknown iv_method {iv_method!r}", hint="use '2sls' or 'gmm'")
    try:
        if instruments is None or iv_method == "2sls":
            model: IV2SLS | IVGMM = IV2SLS(y, exog, endog, instruments)
            result = model.fit(cov_type=cov_type, **cov_config)
        else:
            weight_type = {"unadjusted": "unadjusted", "robust": "robust", "clustered": "clustered"}[cov_type]
            model = IVGMM(y, exog, endog, instruments, weight_type=weight_type, **cov_config)
            result = model.fit(cov_type=cov_type, **cov_config)
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
    return LinearFit(
        params=np.asarray(result.params, dtype=float),
        cov=np.asarray(result.cov, dtype=float),
        residuals=np.asarray(result.resids, dtype=float),
        result=result,
    )


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
