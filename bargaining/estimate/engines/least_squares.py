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
  :math:`|d_j| \le \max(10^{-6} (1 + |\theta_j|), 10^{-3} se_j)` with the homoskedastic standard error
  :math:`se_j = \sqrt{\hat\sigma^2 [(J'J)^{-1}]_{jj}}` (the gradient :math:`J'f` vanishes in the metric of
  the curvature, so the criterion does not depend on the units of u; a step below a thousandth of a
  standard error changes no inference), and
* the curvature :math:`J'J` is non-singular: the smallest singular value of the column-scaled J is above
  :math:`10^{-8}` of the largest (otherwise the estimate sits on a flat region and is not a point
  estimate).

:func:`multistart_least_squares` restarts from other points when the first fit fails either check and
keeps the best fit that passes both. When scipy stops on a small change of the objective short of such a
point (ill-conditioned problems), up to ten safeguarded Gauss-Newton steps finish the fit first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize

__all__ = ["NonlinearFit", "multistart_least_squares", "nonlinear_least_squares"]

#: largest Gauss-Newton step, relative to 1 + |theta|, still counted as a stationary point
STEP_TOLERANCE = 1e-6
#: ... or, when larger, this fraction of the parameter's (homoskedastic) standard error
SE_FRACTION = 1e-3
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
    met = bool(solution.status > 0)
    nfev = int(solution.nfev)
    sigma2 = _sigma2(residual(theta), theta.size)
    step, curvature, ok = _stationarity(fun(theta), jac(theta), theta, sigma2)
    if met and not ok and curvature > CURVATURE_TOLERANCE:
        # scipy stopped on a small change of the objective short of the stationary point (ill-conditioned
        # problems): finish with safeguarded Gauss-Newton steps
        theta, used = _polish(fun, jac, theta)
        nfev += used
        sigma2 = _sigma2(residual(theta), theta.size)
        step, curvature, ok = _stationarity(fun(theta), jac(theta), theta, sigma2)
    u = residual(theta)
    nobs = u.shape[0]
    message = str(solution.message)
    if met and not curvature > CURVATURE_TOLERANCE:
        message = (
            f"flat objective at the estimate: the Jacobian is singular (relative singular value "
            f"{curvature:.2g}); a weight may be stuck at 0 or 1 ({message})"
        )
    elif met and not ok:
        message = f"not a stationary point: a Gauss-Newton step of {step:.2g} (relative) remains ({message})"
    f_final = fun(theta)
    return NonlinearFit(
        theta=theta,
        residuals=u,
        jacobian=jacobian(theta),
        objective=float(f_final @ f_final / nobs),
        converged=met and ok and curvature > CURVATURE_TOLERANCE,
        nfev=nfev,
        message=message,
        newton_step=step,
        curvature=curvature,
    )


def _sigma2(u: np.ndarray, k: int) -> float:
    return float(u @ u) / max(u.shape[0] - k, 1) if np.all(np.isfinite(u)) else float("nan")


def _gauss_newton_step(f: np.ndarray, jac: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(jac, axis=0)
    norms = np.where(norms > 0, norms, 1.0)   # a flat direction (e.g. a saturated logistic weight): no step there
    step: np.ndarray = -np.linalg.lstsq(jac / norms, f, rcond=None)[0] / norms
    return step


def _polish(
    fun: Callable[[np.ndarray], np.ndarray], jac: Callable[[np.ndarray], np.ndarray], theta: np.ndarray
) -> tuple[np.ndarray, int]:
    """Up to 10 Gauss-Newton steps, each halved until the objective does not increase."""
    f = fun(theta)
    value = float(f @ f)
    used = 0
    for _ in range(10):
        step = _gauss_newton_step(f, jac(theta))
        for _ in range(20):
            trial = theta + step
            f_trial = fun(trial)
            used += 1
            trial_value = float(f_trial @ f_trial)
            if np.isfinite(trial_value) and trial_value <= value:
                break
            step = step / 2.0
        else:
            return theta, used
        if np.all(np.abs(trial - theta) <= 1e-14 * (1.0 + np.abs(theta))):
            return trial, used
        theta, f, value = trial, f_trial, trial_value
    return theta, used


def _stationarity(
    f: np.ndarray, jac: np.ndarray, theta: np.ndarray, sigma2: float
) -> tuple[float, float, bool]:
    """Largest relative Gauss-Newton step, the relative smallest singular value of the scaled Jacobian, and
    whether the step is negligible: below 1e-6 (1 + |theta_j|) or a thousandth of the standard error
    sqrt(sigma2 [(J'J)^-1]_jj) in every coordinate."""
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(jac))):
        return float("inf"), 0.0, False
    norms = np.linalg.norm(jac, axis=0)
    if np.any(norms == 0.0):
        return float("inf"), 0.0, False
    scaled = jac / norms
    singular = np.linalg.svd(scaled, compute_uv=False)
    curvature = float(singular[-1] / singular[0]) if singular[0] > 0 else 0.0
    step = np.abs(_gauss_newton_step(f, jac))
    allowed = STEP_TOLERANCE * (1.0 + np.abs(theta))
    if curvature > CURVATURE_TOLERANCE and np.isfinite(sigma2) and sigma2 > 0:
        gram_inverse = np.linalg.inv(scaled.T @ scaled) / np.outer(norms, norms)
        allowed = np.maximum(allowed, SE_FRACTION * np.sqrt(sigma2 * np.clip(np.diag(gram_inverse), 0, None)))
    return float(np.max(step / (1.0 + np.abs(theta)))), curvature, bool(np.all(step <= allowed))


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
