r"""Nonlinear least squares and nonlinear two-stage least squares on a residual (moment) model.

For a model whose residuals u(theta) are not linear in theta (in the package: the Nash price equation with
beta = logistic(x'delta), or beta by group together with unobserved cost shifters) and instruments H
(n x m, m >= k), the estimator minimizes

.. math:: Q(\theta) = u(\theta)' H (H'H)^{-1} H' u(\theta)

(nonlinear two-stage least squares, the one-step GMM with weight (H'H/n)^{-1}); without instruments H is
taken to be the Jacobian itself, i.e. nonlinear least squares min u'u. With H = Q R (thin QR), Q equals
||Q'u||^2, which ``scipy.optimize.least_squares`` minimizes with the analytic Jacobian Q' du/dtheta.

Covariances: :func:`bargaining.estimate.engines.covariance.iv_covariance` with the linearized regressors
X = -du/dtheta, so a model that happens to be linear reproduces ``linearmodels``' IV2SLS exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["NonlinearFit", "nonlinear_least_squares"]


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
