r"""Nonlinear least squares / nonlinear IV-GMM for the Nash price equation, and sandwich covariances.

Used when the price equation is not linear in its parameters: beta = logistic(x'delta), or beta by group
together with unobserved cost shifters (beta_g multiplies z'gamma). With residuals u(theta) from
:mod:`bargaining.models.nash_moments` and instruments H (n x m, m >= k), the estimator minimizes

.. math:: Q(\theta) = u(\theta)' H (H'H)^{-1} H' u(\theta)

(nonlinear two-stage least squares, the one-step GMM with weight (H'H/n)^{-1}); without instruments H is
taken to be the Jacobian itself, i.e. nonlinear least squares min u'u. With H = Q R (thin QR), Q equals
||Q'u||^2, which ``scipy.optimize.least_squares`` minimizes with the analytic Jacobian Q' du/dtheta.

Covariances follow ``linearmodels``' IV conventions (``debiased=False``) with the linearized regressors
X = -du/dtheta in place of the regressors, so a model that happens to be linear reproduces IV2SLS exactly:
V = X'Z(Z'Z)^{-1}Z'X / n, X-hat = Z(Z'Z)^{-1}Z'X and cov = V^{-1} S V^{-1} / n with
S = (u'u/n) V (unadjusted), sum_i u_i^2 x-hat_i x-hat_i' / n (robust), or
sum_g (sum_{i in g} u_i x-hat_i)(...)' / n (clustered; no small-cluster correction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from bargaining.errors import InvalidParameterError

__all__ = ["NonlinearFit", "nonlinear_least_squares", "sandwich_cov"]


def sandwich_cov(
    regressors: np.ndarray,
    residuals: np.ndarray,
    *,
    instruments: np.ndarray | None = None,
    cov_type: str = "robust",
    clusters: np.ndarray | None = None,
) -> np.ndarray:
    """Covariance of an (I)V estimator with regressors X, instruments Z (default X) and residuals u.

    Matches ``linearmodels.iv.IV2SLS(...).fit(cov_type=..., debiased=False)`` for a linear model.
    ``clusters`` are integer codes (one per row) for ``cov_type="clustered"``.
    """
    x = np.asarray(regressors, dtype=float)
    u = np.asarray(residuals, dtype=float)
    nobs = x.shape[0]
    if instruments is None:
        xhat = x
    else:
        z = np.asarray(instruments, dtype=float)
        xhat = z @ np.linalg.lstsq(z, x, rcond=None)[0]
    v = xhat.T @ x / nobs
    v_inv = np.linalg.inv(v)
    if cov_type == "unadjusted":
        s = (u @ u / nobs) * (xhat.T @ xhat / nobs)
    elif cov_type == "robust":
        scores = xhat * u[:, None]
        s = scores.T @ scores / nobs
    elif cov_type == "clustered":
        if clusters is None:
            raise InvalidParameterError(
                "clustered covariance needs cluster codes", hint="pass cluster=COLUMN"
            )
        scores = xhat * u[:, None]
        sums = np.zeros((int(clusters.max()) + 1, x.shape[1]))
        np.add.at(sums, clusters, scores)
        s = sums.T @ sums / nobs
    else:
        raise InvalidParameterError(
            f"unknown cov_type {cov_type!r}", hint="use 'unadjusted', 'robust' or 'clustered'"
        )
    cov = v_inv @ s @ v_inv.T / nobs
    return (cov + cov.T) / 2


@dataclass(frozen=True)
class NonlinearFit:
    """Outcome of :func:`nonlinear_least_squares`.

    Attributes
    ----------
    theta
        Estimate.
    residuals, jacobian
        u(theta) and du/dtheta at the estimate.
    objective
        Q(theta) / n at the estimate (mean squared projected residual).
    converged
        True when scipy reports that a tolerance (ftol, xtol or gtol = ``tol``) was met.
    nfev
        Function evaluations used.
    message
        scipy's termination message.
    """

    theta: np.ndarray
    residuals: np.ndarray
    jacobian: np.ndarray
    objective: float
    converged: bool
    nfev: int
    message: str


def nonlinear_least_squares(
    residual: Callable[[np.ndarray], np.ndarray],
    jacobian: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    *,
    instruments: np.ndarray | None = None,
    maxiter: int | None = None,
    tol: float = 1e-10,
) -> NonlinearFit:
    """Minimize ||u(theta)||^2, or ||P_H u(theta)||^2 with instruments H, by trust-region least squares.

    ``maxiter`` bounds the number of function evaluations (scipy's ``max_nfev``; default 100 (k + 1)).
    """
    start = np.asarray(start, dtype=float)
    if instruments is None:
        fun, jac = residual, jacobian
    else:
        q, _ = np.linalg.qr(np.asarray(instruments, dtype=float))

        def fun(theta: np.ndarray) -> np.ndarray:
            return q.T @ residual(theta)

        def jac(theta: np.ndarray) -> np.ndarray:
            return q.T @ jacobian(theta)

    solution = optimize.least_squares(
        fun,
        start,
        jac=jac,
        method="trf",
        x_scale="jac",
        ftol=tol,
        xtol=tol,
        gtol=tol,
        max_nfev=maxiter if maxiter is not None else 100 * (start.size + 1),
    )
    theta = solution.x
    u = residual(theta)
    nobs = u.shape[0]
    return NonlinearFit(
        theta=theta,
        residuals=u,
        jacobian=jacobian(theta),
        objective=float(2.0 * solution.cost / nobs),
        converged=bool(solution.status > 0),
        nfev=int(solution.nfev),
        message=str(solution.message),
    )
