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

Convergence is judged by the problem, not by the optimizer's stopping rule: scipy stops when steps or
objective changes become small, which also happens on a plateau (a logistic weight saturated at 0 or 1 has a
vanishing derivative). A fit counts as converged only when

* the Gauss-Newton step from the estimate, :math:`d = -(J'J)^{+} J'f`, is negligible:
  :math:`|d_j| \le 10^{-6} (1 + |\theta_j|)` (the gradient :math:`J'f` vanishes in the metric of the
  curvature, so the criterion does not depend on the units of u), and
* the curvature :math:`J'J` is non-singular: the smallest singular value of the column-scaled J is above
  :math:`10^{-8}` of the largest (otherwise the estimate sits on a flat region and is not a point
  estimate).

:func:`multistart_least_squares` restarts from other points when the first fit fails either check and
keeps the best fit that passes both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize

__all__ = ["NonlinearFit", "multistart_least_squares", "nonlinear_least_squares"]

#: largest Gauss-Newton step, relative to 1 + |theta|, still counted as a stationary point
STEP_TOLERANCE = 1e-6
#: smallest singular value of the column-scaled Jacobian, relative to the largest, counted as curvature
CURVATURE_TOLERANCE = 1e-8


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
        True when scipy met a tolerance (ftol, xtol or gtol = ``tol``) AND the estimate is a stationary point
        with non-singular curvature (module docstring).
    nfev
        Function evaluations used (over all starts).
    message
        scipy's termination message, or why the fit does not count as converged.
    newton_step
        Largest Gauss-Newton step from the estimate relative to 1 + |theta| (small at a stationary point).
    curvature
        Smallest over largest singular value of the column-scaled Jacobian (0: flat direction).
    starts
        Number of starting points tried.
    distinct_minima
        Number of different converged estimates among the starts (more than 1: local minima exist; the
        reported fit has the smallest objective).
    """

    theta: np.ndarray
    residuals: np.ndarray
    jacobian: np.ndarray
    objective: float
    converged: bool
    nfev: int
    message: str
    newton_step: float = float("nan")
    curvature: float = float("nan")
    starts: int = 1
    distinct_minima: int = 1


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
    step, curvature = _stationarity(fun(theta), jac(theta), theta)
    met = bool(solution.status > 0)
    message = str(solution.message)
    if met and not step <= STEP_TOLERANCE:
        message = f"not a stationary point: a Gauss-Newton step of {step:.2g} (relative) remains ({message})"
    elif met and not curvature > CURVATURE_TOLERANCE:
        message = (
            f"flat objective at the estimate: the Jacobian is singular (relative singular value "
            f"{curvature:.2g}); a weight may be stuck at 0 or 1 ({message})"
        )
    return NonlinearFit(
        theta=theta,
        residuals=u,
        jacobian=jacobian(theta),
        objective=float(2.0 * solution.cost / nobs),
        converged=met and step <= STEP_TOLERANCE and curvature > CURVATURE_TOLERANCE,
        nfev=int(solution.nfev),
        message=message,
        newton_step=step,
        curvature=curvature,
    )


def _stationarity(f: np.ndarray, jac: np.ndarray, theta: np.ndarray) -> tuple[float, float]:
    """Largest relative Gauss-Newton step and the relative smallest singular value of the scaled Jacobian."""
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(jac))):
        return float("inf"), 0.0
    norms = np.linalg.norm(jac, axis=0)
    if np.any(norms == 0.0):
        return float("inf"), 0.0
    scaled = jac / norms
    singular = np.linalg.svd(scaled, compute_uv=False)
    curvature = float(singular[-1] / singular[0]) if singular[0] > 0 else 0.0
    step = np.linalg.lstsq(scaled, f, rcond=None)[0] / norms
    return float(np.max(np.abs(step) / (1.0 + np.abs(theta)))), curvature


def multistart_least_squares(
    residual: Callable[[np.ndarray], np.ndarray],
    jacobian: Callable[[np.ndarray], np.ndarray],
    starts: Sequence[np.ndarray],
    *,
    instruments: np.ndarray | None = None,
    maxiter: int | None = None,
    tol: float = 1e-10,
    try_all: bool = False,
) -> NonlinearFit:
    """:func:`nonlinear_least_squares` from several starts; the converged fit with the smallest objective.

    Starts are tried in order. By default the search stops at the first converged fit (the first start is the
    caller's best guess; later ones are fallbacks for a flat or boundary region); ``try_all=True`` tries every
    start, so that ``distinct_minima`` of the result says whether they reach different local minima. When none
    converges, the fit with the smallest objective is returned with ``converged=False``. A start at which the
    residuals are not finite is skipped.
    """
    fits: list[NonlinearFit] = []
    nfev = 0
    for start in starts:
        try:
            with np.errstate(all="ignore"):
                fit = nonlinear_least_squares(
                    residual, jacobian, start, instruments=instruments, maxiter=maxiter, tol=tol
                )
        except ValueError:  # scipy refuses non-finite residuals at the start
            continue
        nfev += fit.nfev
        fits.append(fit)
        if fit.converged and not try_all:
            break
    if not fits:
        raise ValueError("the residuals are not finite at any starting point")
    converged = [f for f in fits if f.converged]
    best = min(converged or fits, key=lambda f: f.objective if np.isfinite(f.objective) else np.inf)
    distinct = _count_distinct([f.theta for f in converged]) if converged else 0
    message = best.message
    if len(fits) > 1:
        position = next(i for i, f in enumerate(fits) if f is best)
        message += f" (start {1 + position} of {len(fits)} tried)"
    return replace(best, nfev=nfev, starts=len(fits), distinct_minima=distinct, message=message)


def _count_distinct(thetas: Sequence[np.ndarray]) -> int:
    distinct: list[np.ndarray] = []
    for theta in thetas:
        if not any(np.allclose(theta, d, rtol=1e-5, atol=1e-7) for d in distinct):
            distinct.append(theta)
    return len(distinct)
