r"""Covariance estimators shared by every engine: one ``cov_type`` vocabulary, one place for the formulas.

Every estimator of the package is (asymptotically) a sandwich :math:`V = A^{-1} B A^{-1\prime}`: the bread
:math:`A` depends on the engine (the Hessian of the log-likelihood, :math:`\hat X' X` for (I)V and least
squares, :math:`G'WG` for minimum distance), the meat :math:`B` on ``cov_type`` only. With per-observation
scores :math:`s_i` (the derivative of observation i's contribution to the objective):

``"unadjusted"`` (aliases ``"nonrobust"``, ``"homoskedastic"``)
    the model's own information: :math:`B = A` for maximum likelihood, :math:`B = \hat\sigma^2 \hat X'\hat X`
    for (I)V / least squares, :math:`B = \hat\Omega` for minimum distance;
``"robust"`` (aliases ``"heteroskedastic"``, ``"hc0"``)
    :math:`B = \sum_i s_i s_i'` (White / Huber);
``"clustered"`` (alias ``"cluster"``)
    :math:`B = \sum_g S_g S_g'` with :math:`S_g = \sum_{i \in g} s_i`, needs ``cluster``.

Clustered covariances carry the small-sample factor :math:`\frac{G}{G-1}\frac{N-1}{N-K}` (Stata's, and
``linearmodels``' ``debiased=True`` for clustered errors; :func:`cluster_small_sample_factor`), and their
p-values and intervals use t with G - 1 degrees of freedom (the front ends pass ``df_inference``): with few
clusters the uncorrected sandwich is too small and normal quantiles too narrow. ``unadjusted`` and ``robust``
are asymptotic (``linearmodels``' ``debiased=False``). The same names mean the same thing in :func:`~bargaining.fit_nash`, :func:`~bargaining.fit_incomplete` and
:func:`~bargaining.fit_incomplete_moments`. ``"bootstrap"`` is handled by the front ends (the covariance
of bootstrap replicates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from bargaining.errors import IdentificationError, InvalidParameterError

__all__ = [
    "COV_TYPES",
    "ClusteredCovariance",
    "CovarianceEstimator",
    "RobustCovariance",
    "UnadjustedCovariance",
    "canonical_cov_type",
    "cluster_small_sample_factor",
    "cluster_sums",
    "covariance_estimator",
    "cross_product",
    "iv_covariance",
    "likelihood_covariance",
    "linear_covariance",
    "row_product",
    "sandwich",
    "symmetric_inverse",
]


ROW_BLOCK = 8192  # rows per BLAS call in :func:`cross_product` and :func:`row_product`


def cross_product(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    r""":math:`A'B` (:math:`A'A` without ``b``) of tall arrays, summed over blocks of :data:`ROW_BLOCK` rows.

    The same numbers as ``a.T @ b`` up to rounding (blocked sums are, if anything, more accurate). One
    multithreaded BLAS call over a million rows waits for every thread; on a shared machine with few cores that
    wait can cost 10 times the arithmetic, while small blocks keep OpenBLAS on one thread. Vectors are taken
    as one column.
    """
    a2 = a[:, None] if a.ndim == 1 else a
    b2 = a2 if b is None else (b[:, None] if b.ndim == 1 else b)
    n = a2.shape[0]
    if n <= ROW_BLOCK:
        out = a2.T @ b2
    else:
        out = np.zeros((a2.shape[1], b2.shape[1]))
        for start in range(0, n, ROW_BLOCK):
            out += a2[start : start + ROW_BLOCK].T @ b2[start : start + ROW_BLOCK]
    if b is not None and b.ndim == 1:
        out = out[:, 0]
    return out


def row_product(a: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``a @ coef`` for a tall (n, k) array, in blocks of :data:`ROW_BLOCK` rows (see :func:`cross_product`)."""
    n = a.shape[0]
    if n <= ROW_BLOCK:
        return a @ coef
    if a.shape[1] == 1 and coef.ndim == 1:
        return a[:, 0] * coef[0]
    out = np.empty((n, *coef.shape[1:]))
    for start in range(0, n, ROW_BLOCK):
        np.matmul(a[start : start + ROW_BLOCK], coef, out=out[start : start + ROW_BLOCK])
    return out


def cluster_small_sample_factor(nobs: int, nparams: int, nclusters: int) -> float:
    r"""The clustered covariance's small-sample factor :math:`\frac{G}{G-1}\frac{N-1}{N-K}`."""
    if nclusters < 2 or nobs <= nparams:
        raise IdentificationError(
            f"clustered standard errors need at least 2 clusters and more observations than parameters "
            f"(G = {nclusters}, N = {nobs}, K = {nparams})",
            hint="with one cluster nothing is known about between-cluster variation; use cov_type='robust'",
        )
    return nclusters / (nclusters - 1) * (nobs - 1) / (nobs - nparams)


def cluster_sums(scores: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Sums of the rows of ``scores`` within each cluster (integer codes 0..G-1): a (G, k) array.

    One ``numpy.bincount`` per column (rows added in order, as ``numpy.add.at`` does, many times faster).
    """
    n_clusters = int(clusters.max()) + 1
    sums = np.empty((n_clusters, scores.shape[1]))
    for j in range(scores.shape[1]):
        sums[:, j] = np.bincount(clusters, weights=scores[:, j], minlength=n_clusters)
    return sums


@dataclass(frozen=True)
class CovarianceEstimator:
    """The meat of a sandwich covariance for one ``cov_type``."""

    name: ClassVar[str] = ""
    needs_clusters: ClassVar[bool] = False

    def meat(self, scores: np.ndarray, clusters: np.ndarray | None, model_meat: np.ndarray) -> np.ndarray:
        """B from the (n, k) scores; ``model_meat`` is the model's own information (unadjusted case)."""
        raise NotImplementedError


class UnadjustedCovariance(CovarianceEstimator):
    r"""The model's own information: the inverse Hessian, :math:`\hat\sigma^2 (\hat X'\hat X)^{-1}`, ..."""

    name = "unadjusted"

    def meat(self, scores: np.ndarray, clusters: np.ndarray | None, model_meat: np.ndarray) -> np.ndarray:
        return model_meat


class RobustCovariance(CovarianceEstimator):
    r"""Heteroskedasticity-robust meat :math:`\sum_i s_i s_i'`."""

    name = "robust"

    def meat(self, scores: np.ndarray, clusters: np.ndarray | None, model_meat: np.ndarray) -> np.ndarray:
        return cross_product(scores)


class ClusteredCovariance(CovarianceEstimator):
    r"""Cluster-robust meat :math:`\sum_g S_g S_g'`, :math:`S_g` the sum of the scores in cluster g."""

    name = "clustered"
    needs_clusters = True

    def meat(self, scores: np.ndarray, clusters: np.ndarray | None, model_meat: np.ndarray) -> np.ndarray:
        if clusters is None:
            raise InvalidParameterError("clustered covariance needs cluster codes", hint="pass cluster=COLUMN")
        sums = cluster_sums(scores, clusters)
        return sums.T @ sums


# name or alias -> estimator class; canonical names first
COV_TYPES: dict[str, type[CovarianceEstimator]] = {
    "unadjusted": UnadjustedCovariance,
    "robust": RobustCovariance,
    "clustered": ClusteredCovariance,
    "nonrobust": UnadjustedCovariance,
    "homoskedastic": UnadjustedCovariance,
    "heteroskedastic": RobustCovariance,
    "hc0": RobustCovariance,
    "cluster": ClusteredCovariance,
}


def canonical_cov_type(cov_type: str, *, cluster: object = None, bootstrap: bool = False) -> str:
    """The canonical name (``unadjusted``, ``robust``, ``clustered`` or ``bootstrap``) of a ``cov_type``.

    Raises :class:`~bargaining.errors.InvalidParameterError` for an unknown name, and for ``clustered``
    without a ``cluster`` column.
    """
    key = str(cov_type).strip().lower()
    if key == "bootstrap" and bootstrap:
        return "bootstrap"
    estimator = COV_TYPES.get(key)
    if estimator is None:
        names = ["unadjusted", "robust", "clustered", *(["bootstrap"] if bootstrap else [])]
        raise InvalidParameterError(
            f"unknown cov_type {cov_type!r}",
            hint=f"use one of {names} (aliases: {', '.join(sorted(set(COV_TYPES) - set(names)))})",
        )
    if estimator.needs_clusters and cluster is None:
        raise InvalidParameterError(
            f"cov_type={cov_type!r} needs a cluster column", hint="pass cluster=COLUMN"
        )
    return estimator.name


def covariance_estimator(cov_type: str) -> CovarianceEstimator:
    """The estimator object of a (canonical or alias) ``cov_type``."""
    return COV_TYPES[canonical_cov_type(cov_type, cluster=True)]()


def symmetric_inverse(matrix: np.ndarray, *, what: str, hint: str) -> np.ndarray:
    """Inverse of a square matrix, raising IdentificationError (not numpy's LinAlgError) when singular."""
    matrix = np.asarray(matrix, dtype=float)
    if not np.all(np.isfinite(matrix)):
        raise IdentificationError(f"{what} has non-finite entries", hint=hint)
    try:
        inverse = np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        raise IdentificationError(f"{what} is singular", hint=hint) from None
    if not np.all(np.isfinite(inverse)):
        raise IdentificationError(f"{what} is singular", hint=hint)
    return inverse


def sandwich(bread_inverse: np.ndarray, meat: np.ndarray) -> np.ndarray:
    """A^{-1} B A^{-1}', symmetrized."""
    cov = bread_inverse @ meat @ bread_inverse.T
    return (cov + cov.T) / 2.0


def iv_covariance(
    regressors: np.ndarray,
    residuals: np.ndarray,
    *,
    instruments: np.ndarray | None = None,
    cov_type: str = "robust",
    clusters: np.ndarray | None = None,
    small_sample: bool = True,
) -> np.ndarray:
    r"""Covariance of an (I)V or (nonlinear) least-squares estimator.

    With regressors X (for a nonlinear model, :math:`-\partial u/\partial\theta'`), instruments Z (default X),
    :math:`\hat X = Z (Z'Z)^{-1} Z'X`, :math:`A = \hat X'X`, scores :math:`s_i = \hat x_i u_i` and unadjusted
    meat :math:`(u'u/n)\, \hat X'\hat X`. Equals ``linearmodels.iv.IV2SLS(...).fit(cov_type=...,
    debiased=False)`` for a linear model, and for ``clustered`` (with ``small_sample``, the default)
    ``debiased=True``.
    """
    x = np.asarray(regressors, dtype=float)
    u = np.asarray(residuals, dtype=float)
    if instruments is None:
        xhat = x
    else:
        z = np.asarray(instruments, dtype=float)
        xhat = z @ np.linalg.lstsq(z, x, rcond=None)[0]
    return linear_covariance(
        xhat, xhat.T @ x, u, cov_type=cov_type, clusters=clusters, small_sample=small_sample
    )


def linear_covariance(
    xhat: np.ndarray,
    bread: np.ndarray,
    residuals: np.ndarray,
    *,
    cov_type: str,
    clusters: np.ndarray | None = None,
    small_sample: bool = True,
    xhat_gram: np.ndarray | None = None,
) -> np.ndarray:
    r"""The sandwich :math:`A^{-1} B A^{-1\prime}` of an (I)V estimator from its projected regressors.

    ``xhat`` is :math:`\hat X = P_Z X` (X itself without instruments), ``bread`` :math:`A = \hat X' X`, the
    scores are :math:`s_i = \hat x_i u_i` and the unadjusted meat is :math:`(u'u/n)\,\hat X'\hat X`
    (``xhat_gram`` when the caller has it; for (I)V it equals ``bread``). The workhorse of
    :func:`iv_covariance` and of the direct linear fits (:mod:`bargaining.estimate.engines.linear`).
    """
    u = residuals
    nobs = xhat.shape[0]
    bread_inv = symmetric_inverse(
        bread,
        what="the linearized design X'P_Z X",
        hint="the parameters are not identified at the estimate; check collinear regressors or instruments",
    )
    estimator = covariance_estimator(cov_type)
    if isinstance(estimator, UnadjustedCovariance):
        gram = cross_product(xhat) if xhat_gram is None else xhat_gram
        meat = (float(np.sum(u * u)) / nobs) * gram
    else:
        # scores column by column in contiguous memory (the cluster sums read one column at a time)
        scores = np.multiply(xhat.T, u, out=np.empty((xhat.shape[1], nobs))).T
        meat = estimator.meat(scores, clusters, np.empty(0))
    cov = sandwich(bread_inv, meat)
    if isinstance(estimator, ClusteredCovariance) and small_sample:
        assert clusters is not None
        cov = cov * cluster_small_sample_factor(nobs, xhat.shape[1], int(clusters.max()) + 1)
    return cov


def likelihood_covariance(
    hessian: np.ndarray,
    scores: np.ndarray,
    *,
    cov_type: str,
    clusters: np.ndarray | None = None,
    small_sample: bool = True,
) -> np.ndarray:
    r"""Covariance of a maximum-likelihood estimator from the Hessian H of the log-likelihood and the
    per-observation scores: :math:`(-H)^{-1}` (unadjusted), :math:`H^{-1} B H^{-1}` otherwise."""
    bread = -np.asarray(hessian, dtype=float)
    bread_inv = symmetric_inverse(
        bread,
        what="the information matrix (minus the Hessian of the log-likelihood)",
        hint="the parameters are not separately identified by these data; check that the regressors vary",
    )
    estimator = covariance_estimator(cov_type)
    if isinstance(estimator, UnadjustedCovariance):
        return (bread_inv + bread_inv.T) / 2.0
    scores = np.asarray(scores, dtype=float)
    cov = sandwich(bread_inv, estimator.meat(scores, clusters, bread))
    if isinstance(estimator, ClusteredCovariance) and small_sample:
        assert clusters is not None
        cov = cov * cluster_small_sample_factor(scores.shape[0], scores.shape[1], int(clusters.max()) + 1)
    return cov
