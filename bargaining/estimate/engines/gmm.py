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
from bargaining.estimate.engines.least_squares import NonlinearFit, nonlinear_least_squares
from bargaining.estimate.formulas import check_full_rank
from bargaining.models.protocols import MomentModel

__all__ = ["MomentFit", "fit_moment_model", "model_jacobian"]


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


def fit_moment_model(
    model: MomentModel,
    *,
    start: np.ndarray | None = None,
    cov_type: str = "robust",
    clusters: np.ndarray | None = None,
    maxiter: int | None = None,
    compute_cov: bool = True,
    identification_hint: str = "the parameters are not identified at the estimate",
) -> MomentFit:
    """Estimate a moment model; raises IdentificationError when the linearized design is rank deficient.

    ``compute_cov=False`` returns only the estimate (bootstrap replicates); the covariance is then NaN.
    """
    jacobian = model_jacobian(model)
    solver = nonlinear_least_squares(
        model.residuals,
        jacobian,
        model.start_values() if start is None else np.asarray(start, dtype=float),
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
