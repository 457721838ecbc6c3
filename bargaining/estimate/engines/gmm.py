r"""GMM on a :class:`~bargaining.models.protocols.MomentModel`: nonlinear least squares or nonlinear 2SLS.

The moment conditions :math:`E[H_i u_i(\theta_0)] = 0` are solved by
:func:`~bargaining.estimate.engines.least_squares.nonlinear_least_squares` (one-step GMM with weight
:math:`(H'H/n)^{-1}`; without instruments, nonlinear least squares) with the model's analytic Jacobian, or
central differences when it has none. The covariance is the IV sandwich with the linearized regressors
:math:`X = -\partial u / \partial\theta'` (:func:`~bargaining.estimate.engines.covariance.iv_covariance`),
so that a model that happens to be linear reproduces ``linearmodels``' IV2SLS. Linear designs that need
``linearmodels``' own numbers (IV-GMM, first-stage statistics) use :mod:`bargaining.estimate.engines.linear`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bargaining.estimate.engines.covariance import iv_covariance
from bargaining.estimate.engines.least_squares import NonlinearFit, multistart_least_squares
from bargaining.estimate.formulas import check_full_rank
from bargaining.models.protocols import MomentModel

__all__ = ["MomentFit", "fallback_starts", "fit_moment_model", "model_jacobian"]

#: starting points tried in all (the first plus fallbacks) before a fit is reported as not converged
MAX_STARTS = 6


@dataclass(frozen=True)
class MomentFit:
    """Estimates, covariance and the optimizer's report of :func:`fit_moment_model`."""

    params: np.ndarray
    cov: np.ndarray
    residuals: np.ndarray
    solver: NonlinearFit


def model_jacobian(model: MomentModel) -> Callable[[np.ndarray], np.ndarray]:
    """The model's analytic Jacobian, or central differences of its residuals when it has none."""

    def jacobian(theta: np.ndarray) -> np.ndarray:
        analytic = model.jacobian(theta)
        if analytic is not None:
            return np.asarray(analytic, dtype=float)
        theta = np.asarray(theta, dtype=float)
        out = np.empty((model.nobs, theta.size))
        for j in range(theta.size):
            h = 1e-6 * max(1.0, abs(theta[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += h
            down[j] -= h
            out[:, j] = (model.residuals(up) - model.residuals(down)) / (2 * h)
        return out

    return jacobian


def fallback_starts(first: np.ndarray, model_start: np.ndarray, count: int = MAX_STARTS) -> list[np.ndarray]:
    """Starting points after ``first``: the model's own start, the origin, then fixed random perturbations.

    The origin is where logistic weights equal 1/2, away from the flat regions near 0 and 1. The
    perturbations come from a fixed seed so that a fit is reproducible.
    """
    rng = np.random.default_rng(20261130)
    candidates = [first, model_start, np.zeros_like(first)]
    while len(candidates) < count:
        candidates.append(model_start + 0.5 * (1.0 + np.abs(model_start)) * rng.standard_normal(first.size))
    starts: list[np.ndarray] = []
    for candidate in candidates:
        if not any(np.array_equal(candidate, s) for s in starts):
            starts.append(np.asarray(candidate, dtype=float))
    return starts[:count]


def fit_moment_model(
    model: MomentModel,
    *,
    start: np.ndarray | None = None,
    cov_type: str = "robust",
    clusters: np.ndarray | None = None,
    maxiter: int | None = None,
    compute_cov: bool = True,
    identification_hint: str = "the parameters are not identified at the estimate",
    max_starts: int = MAX_STARTS,
) -> MomentFit:
    """Estimate a moment model; raises IdentificationError when the linearized design is rank deficient.

    The fit starts from ``start`` (default: the model's start values); when that fit is not a stationary
    point with non-singular curvature (a flat or boundary region), up to ``max_starts - 1`` other starts are
    tried (:func:`fallback_starts`) and the first converged fit is kept. ``compute_cov=False`` returns only the
    estimate (bootstrap replicates); the covariance is then NaN.
    """
    jacobian = model_jacobian(model)
    model_start = np.asarray(model.start_values(), dtype=float)
    first = model_start if start is None else np.asarray(start, dtype=float)
    solver = multistart_least_squares(
        model.residuals,
        jacobian,
        fallback_starts(first, model_start) if max_starts > 1 else [first],
        instruments=model.instruments,
        maxiter=maxiter,
    )
    k = solver.theta.size
    cov = np.full((k, k), np.nan)
    if compute_cov:
        regressors = -solver.jacobian
        check_full_rank(
            regressors,
            list(model.param_names),
            what="the moment conditions do not identify the parameters locally at the estimate",
            hint=identification_hint,
        )
        cov = iv_covariance(
            regressors, solver.residuals, instruments=model.instruments, cov_type=cov_type, clusters=clusters
        )
    return MomentFit(params=solver.theta, cov=cov, residuals=solver.residuals, solver=solver)
