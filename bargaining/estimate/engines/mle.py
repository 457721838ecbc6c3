r"""Maximum likelihood for any :class:`~bargaining.models.protocols.LikelihoodModel`.

The log-likelihood :math:`\sum_i \ell_i(\theta)` is maximized over unconstrained coordinates t with
:math:`\theta = \theta(t)` (:class:`~bargaining.models.protocols.BoxTransform` of the model's bounds) by
statsmodels' :class:`~statsmodels.base.model.GenericLikelihoodModel` (BFGS), whose numerical Hessian and
per-observation scores (the model's analytic ``score_obs`` when it has one, through the chain rule) feed the package's covariance module
(:func:`~bargaining.estimate.engines.covariance.likelihood_covariance`). The covariance in t is mapped to
the model's units by the delta method, :math:`V_\theta = J V_t J'` with :math:`J = d\theta/dt`.

At a bound of the parameter space the normal approximation fails: :func:`profile_interval` gives the
likelihood-ratio (profile) interval :math:`\{\theta_j : 2(\ell(\hat\theta) - \max_{\theta_{-j}}
\ell(\theta_j, \theta_{-j})) \le \chi^2_{1, level}\}` instead.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import optimize, stats

from bargaining.estimate.engines.covariance import likelihood_covariance
from bargaining.models.protocols import BoxTransform, LikelihoodModel

#: largest |d mean log-likelihood / d t| accepted as a maximum (BFGS stops at gtol = 1e-7 on its own scale)
_GRADIENT_TOL = 1e-4

__all__ = [
    "LikelihoodFit",
    "likelihood_ratio_interval",
    "maximize_likelihood",
    "profile_interval",
    "with_covariance",
]


@dataclass(frozen=True)
class LikelihoodFit:
    """Outcome of :func:`maximize_likelihood`.

    Attributes
    ----------
    params
        Estimates in the model's units.
    cov
        Their covariance (delta method from the optimizer's coordinates).
    unconstrained, unconstrained_cov
        The optimizer's coordinates t and their covariance.
    loglike
        Maximized log-likelihood.
    converged, message, iterations
        The optimizer's report.
    transform
        The map between t and the parameters.
    """

    params: np.ndarray
    cov: np.ndarray
    unconstrained: np.ndarray
    unconstrained_cov: np.ndarray
    loglike: float
    converged: bool
    message: str
    iterations: int
    transform: BoxTransform


def _statsmodels_model(model: LikelihoodModel, transform: BoxTransform) -> Any:
    from statsmodels.base.model import GenericLikelihoodModel

    analytic = getattr(model, "score_obs", None)

    class _Model(GenericLikelihoodModel):
        def loglikeobs(self, t: np.ndarray) -> np.ndarray:
            return np.asarray(model.loglikeobs(transform.to_natural(t)), dtype=float)

        if analytic is not None:
            # chain rule through the transform: d l_i / d t = (d l_i / d theta) (d theta / d t)
            def score_obs(self, t: np.ndarray) -> np.ndarray:
                assert analytic is not None
                scores = np.asarray(analytic(transform.to_natural(t)), dtype=float)
                return scores @ transform.jacobian(t)

            def score(self, t: np.ndarray) -> np.ndarray:
                return np.asarray(self.score_obs(t).sum(axis=0))

    names = [f"t({name})" for name in model.param_names]
    return _Model(np.zeros(model.nobs), None, extra_params_names=names)


def _loglike(model: LikelihoodModel, transform: BoxTransform, t: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        value = float(np.sum(model.loglikeobs(transform.to_natural(t))))
    return value if np.isfinite(value) else -np.inf


def _optimize_from(sm_model: Any, model: LikelihoodModel, t0: np.ndarray, maxiter: int) -> tuple[np.ndarray, bool, str, int]:
    """BFGS from ``t0`` (Newton restart after a loss of precision); converged only with a vanishing gradient."""
    with warnings.catch_warnings():
        # statsmodels' warnings are replaced by the package's (converged flag, ConvergenceWarning)
        warnings.simplefilter("ignore")
        result = sm_model.fit(start_params=t0, method="bfgs", maxiter=maxiter, disp=0, gtol=1e-7)
        retvals = getattr(result, "mle_retvals", {}) or {}
        iterations = int(retvals.get("iterations", 0) or 0)
        if not retvals.get("converged", False) and retvals.get("warnflag") == 2 and iterations < maxiter:
            # BFGS lost precision on a flat stretch: restart from where it stopped with Newton steps (numerical
            # Hessian), within what is left of the iteration budget
            result = sm_model.fit(
                start_params=np.asarray(result.params, dtype=float),
                method="newton",
                maxiter=max(1, maxiter - iterations),
                disp=0,
            )
            retvals = getattr(result, "mle_retvals", {}) or {}
            iterations += int(retvals.get("iterations", 0) or 0)
    t_hat = np.asarray(result.params, dtype=float)
    converged, message = bool(retvals.get("converged", False)), str(retvals.get("warnflag", ""))
    if converged:
        # the optimizer's own test is on its scaled objective; check the gradient of the mean log-likelihood
        # directly, so that a stop on a plateau is never reported as convergence
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gradient = np.asarray(sm_model.score(t_hat), dtype=float) / max(model.nobs, 1)
        if not np.all(np.isfinite(gradient)) or np.max(np.abs(gradient)) > _GRADIENT_TOL:
            converged = False
            message = f"gradient of the mean log-likelihood {np.max(np.abs(gradient)):.2e} at the stopping point"
    return t_hat, converged, message, iterations


def maximize_likelihood(
    model: LikelihoodModel,
    *,
    start: np.ndarray | None = None,
    cov_type: str = "robust",
    clusters: np.ndarray | None = None,
    maxiter: int = 200,
    compute_cov: bool = True,
    max_starts: int = 5,
) -> LikelihoodFit:
    """Maximize the model's log-likelihood; covariance of ``cov_type`` (``unadjusted``, ``robust``,
    ``clustered`` with integer ``clusters``).

    When the fit from ``start`` (default: the model's start values) does not converge (no vanishing gradient:
    a flat or boundary region), up to ``max_starts - 1`` other starts are tried and the first converged fit
    is kept (else the one with the highest log-likelihood, reported as not converged).

    ``compute_cov=False`` skips the Hessian and scores (bootstrap replicates need only the estimate); the
    covariance is then NaN. Raises :class:`~bargaining.errors.IdentificationError` when the information
    matrix is singular.
    """
    transform = BoxTransform.from_bounds(model.lower_bounds, model.upper_bounds)
    model_start = np.asarray(model.start_values(), dtype=float)
    natural_start = model_start if start is None else np.asarray(start, dtype=float)
    sm_model = _statsmodels_model(model, transform)
    t_hat, converged, message, iterations = _optimize_from(
        sm_model, model, transform.to_unconstrained(natural_start), maxiter
    )
    tried = 1
    if not converged and max_starts > 1:
        # a flat or boundary region: other starts in the unconstrained space (the model's start values, the
        # centre of the transform, perturbations from a fixed seed); the best converged one is kept
        best_ll = _loglike(model, transform, t_hat)
        origin = transform.to_unconstrained(model_start)
        rng = np.random.default_rng(20261130)
        fallbacks = [origin, np.zeros_like(origin)]
        while len(fallbacks) < max_starts - 1:
            fallbacks.append(origin + (1.0 + np.abs(origin)) * rng.standard_normal(origin.size))
        for t0 in fallbacks:
            if not np.all(np.isfinite(t0)):
                continue
            tried += 1
            t_try, ok, msg, its = _optimize_from(sm_model, model, t0, maxiter)
            iterations += its
            ll = _loglike(model, transform, t_try)
            if ok and (not converged or ll > best_ll):
                t_hat, converged, message, best_ll = t_try, True, msg, ll
                break
            if not converged and ll > best_ll:
                t_hat, message, best_ll = t_try, msg, ll
        if tried > 1:
            message += f" ({tried} starting points tried)"
    k = t_hat.size
    natural = transform.to_natural(t_hat)
    fit = LikelihoodFit(
        params=natural,
        cov=np.full((k, k), np.nan),
        unconstrained=t_hat,
        unconstrained_cov=np.full((k, k), np.nan),
        loglike=float(np.sum(model.loglikeobs(natural))),
        converged=converged,
        message=message,
        iterations=iterations,
        transform=transform,
    )
    return with_covariance(model, fit, cov_type=cov_type, clusters=clusters) if compute_cov else fit


def with_covariance(
    model: LikelihoodModel, fit: LikelihoodFit, *, cov_type: str = "robust", clusters: np.ndarray | None = None
) -> LikelihoodFit:
    """``fit`` with the covariance of ``cov_type`` computed at its estimate (numerical Hessian and scores)."""
    sm_model = _statsmodels_model(model, fit.transform)
    t_hat = fit.unconstrained
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hessian = np.asarray(sm_model.hessian(t_hat), dtype=float)
        scores = np.asarray(sm_model.score_obs(t_hat), dtype=float)
    cov_t = likelihood_covariance(hessian, scores, cov_type=cov_type, clusters=clusters)
    jac = fit.transform.jacobian(t_hat)
    return replace(fit, cov=jac @ cov_t @ jac.T, unconstrained_cov=cov_t)


def _profile_loglike(model: LikelihoodModel, fit: LikelihoodFit, index: int, value: float) -> float:
    """max over the other parameters of the log-likelihood with parameter ``index`` fixed at ``value``."""
    transform = fit.transform
    others = [j for j in range(fit.params.size) if j != index]
    fixed_natural = fit.params.copy()
    fixed_natural[index] = value

    def negative(t_others: np.ndarray) -> float:
        t = transform.to_unconstrained(fixed_natural)
        t[others] = t_others
        return -float(np.sum(model.loglikeobs(transform.to_natural(t))))

    start = fit.unconstrained[others]
    if len(others) == 1:
        res = optimize.minimize_scalar(
            lambda x: negative(np.array([x])), bracket=(start[0] - 1.0, start[0] + 1.0)
        )
        return -float(res.fun)
    res_nd = optimize.minimize(negative, start, method="BFGS")
    return -float(res_nd.fun)


def profile_interval(
    model: LikelihoodModel, fit: LikelihoodFit, index: int, *, level: float = 0.95, boundary_tol: float = 1e-6
) -> tuple[float, float]:
    """Likelihood-ratio (profile) interval of parameter ``index`` whose estimate sits at a bound.

    The interval runs from the bound to where twice the drop in the profile log-likelihood reaches the
    chi-square(1) critical value; it is the whole parameter range when the drop never gets there.
    """
    critical = float(stats.chi2.ppf(level, 1))
    low, high = float(fit.transform.lower[index]), float(fit.transform.upper[index])
    estimate = float(fit.params[index])
    at_upper = math.isfinite(high) and high - estimate <= boundary_tol * max(1.0, high - low)
    width = (high - low) if math.isfinite(high - low) else 1.0

    def excess(value: float) -> float:
        return 2.0 * (fit.loglike - _profile_loglike(model, fit, index, value)) - critical

    if at_upper:
        far, near = low, high - boundary_tol * width
    else:
        far, near = high, low + boundary_tol * width
    if not math.isfinite(far) or excess(far) < 0:
        return (low, high)
    inner = optimize.brentq(excess, far, near, xtol=1e-6)
    return (inner, high) if at_upper else (low, inner)


def likelihood_ratio_interval(
    model: LikelihoodModel, fit: LikelihoodFit, index: int, *, level: float = 0.95
) -> tuple[float, float]:
    r"""Two-sided likelihood-ratio (profile) interval of parameter ``index`` at an interior estimate.

    :math:`\{\theta_j : 2(\ell(\hat\theta) - \max_{\theta_{-j}} \ell(\theta_j, \theta_{-j})) \le
    \chi^2_{1,level}\}`; each end is found by bracketing away from the estimate (geometrically towards an
    infinite bound) and a root search. An end that reaches a finite bound is that bound.
    """
    critical = float(stats.chi2.ppf(level, 1))
    low, high = float(fit.transform.lower[index]), float(fit.transform.upper[index])
    estimate = float(fit.params[index])

    def excess(value: float) -> float:
        return 2.0 * (fit.loglike - _profile_loglike(model, fit, index, value)) - critical

    scale = float(np.sqrt(fit.cov[index, index])) if np.isfinite(fit.cov[index, index]) else 0.0
    scale = scale if scale > 0 else max(abs(estimate), 1.0) * 0.1
    ends = []
    for direction, bound in ((-1.0, low), (1.0, high)):
        step = scale
        inner, outer = estimate, estimate + direction * step
        while True:
            if direction * (outer - bound) >= 0:  # reached the bound
                outer = bound - direction * 1e-9 * max(1.0, abs(bound)) if math.isfinite(bound) else outer
                if excess(outer) < 0:
                    ends.append(bound)
                    break
            if excess(outer) > 0:
                ends.append(optimize.brentq(excess, inner, outer, xtol=1e-8 * max(1.0, abs(estimate))))
                break
            inner, step = outer, step * 2.0
            outer = estimate + direction * step
            if step > 1e12 * scale:
                ends.append(bound)
                break
    return (float(ends[0]), float(ends[1]))
