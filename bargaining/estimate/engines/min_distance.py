r"""Minimum distance for any :class:`~bargaining.models.protocols.MinimumDistanceModel`.

With data moments :math:`\hat m` (m,), their covariance :math:`\hat\Omega = \sum_i \psi_i\psi_i'` (or the sum
over clusters of within-cluster sums of the influence functions) and model moments :math:`m(\theta)`:

.. math:: \hat\theta = \arg\min_\theta (\hat m - m(\theta))' W (\hat m - m(\theta)).

Weighting: ``"optimal"`` :math:`W = \hat\Omega^{-1}` (efficient in one step, since :math:`\hat\Omega` does
not depend on theta); ``"two-step"`` first fits with diagonal weights, then uses the influence functions
re-centred at the model's moments (when the model offers ``recentered_influence``); ``"diagonal"``
:math:`W = \mathrm{diag}(\hat\Omega)^{-1}`; ``"identity"``. Covariance
:math:`(G'WG)^{-1} G'W\hat\Omega WG (G'WG)^{-1}` (``cov_type="unadjusted"``: :math:`(G'\hat\Omega^{-1}G)^{-1}`, the same
under efficient weights) with :math:`G = \partial m/\partial\theta'` (central
differences, one-sided at an active bound). With efficient weights and more moments than parameters,
:math:`J = Q(\hat\theta) \sim \chi^2(m - k)` tests the over-identifying restrictions.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from bargaining.errors import IdentificationError, IdentificationWarning, InvalidParameterError
from bargaining.estimate.engines.covariance import cluster_small_sample_factor, cluster_sums
from bargaining.models.protocols import MinimumDistanceModel

__all__ = [
    "WEIGHTINGS",
    "DistanceFit",
    "DistanceInference",
    "minimize_distance",
    "moment_covariance",
    "numerical_jacobian",
]

WEIGHTINGS = ("optimal", "two-step", "diagonal", "identity")


@dataclass(frozen=True)
class DistanceFit:
    """Outcome of :func:`minimize_distance`: estimates, covariance, J test and the pieces behind them."""

    params: np.ndarray
    cov: np.ndarray
    objective: float
    j_statistic: float
    j_df: int
    j_pvalue: float
    converged: bool
    message: str
    weight: np.ndarray
    omega: np.ndarray
    jacobian: np.ndarray
    at_bound: np.ndarray
    n_degenerate: int = 0


def moment_covariance(influence: np.ndarray, clusters: np.ndarray | None = None) -> np.ndarray:
    r"""Covariance of the data moments: :math:`\sum_i \psi_i\psi_i'` or :math:`\sum_g \Psi_g\Psi_g'`."""
    psi = influence if clusters is None else cluster_sums(influence, clusters)
    return psi.T @ psi


def numerical_jacobian(
    fn: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Central differences (one-sided at an active bound), step 1e-5 relative."""
    base = fn(theta)
    jac = np.empty((base.size, theta.size))
    for j in range(theta.size):
        h = 1e-5 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] = min(theta[j] + h, upper[j])
        down[j] = max(theta[j] - h, lower[j])
        jac[:, j] = (fn(up) - fn(down)) / (up[j] - down[j])
    return jac


def _floor_degenerate(omega: np.ndarray, scale: float) -> tuple[np.ndarray, int]:
    # a moment without sampling variation (e.g. the mean of a constant posted price) is known exactly: a
    # tiny variance makes the fit match it (a model that cannot match it then fails the J test)
    floor = 1e-14 * scale**2
    degenerate = np.diag(omega) <= floor
    if np.any(degenerate):
        omega = omega.copy()
        omega[np.diag_indices_from(omega)] = np.where(degenerate, floor, np.diag(omega))
    return omega, int(degenerate.sum())


def minimize_distance(
    model: MinimumDistanceModel,
    *,
    weighting: str = "optimal",
    clusters: np.ndarray | None = None,
    starts: Sequence[np.ndarray] | None = None,
    maxiter: int = 200,
    compute_cov: bool = True,
    cov_type: str = "robust",
) -> DistanceFit:
    """Fit the model by minimum distance (see the module docstring); ``starts`` are extra starting points.

    Raises :class:`~bargaining.errors.IdentificationError` with fewer moments than parameters, a singular
    moment covariance, or a rank-deficient Jacobian at the estimate. Parameters on a bound get NaN
    variances (with an :class:`~bargaining.errors.IdentificationWarning`), never a standard error of 0.
    """
    if weighting not in WEIGHTINGS:
        raise InvalidParameterError(f"Unknown weighting {weighting!r}.", hint=f"Use one of {WEIGHTINGS}.")
    names = list(model.param_names)
    lower, upper = np.asarray(model.lower_bounds, float), np.asarray(model.upper_bounds, float)
    target = np.asarray(model.data_moments, dtype=float)
    if target.size < len(names):
        raise IdentificationError(
            f"{target.size} usable moments cannot identify {len(names)} parameters ({', '.join(names)}).",
            hint="Add moments or cells, fix parameters, or pass known distributions.",
        )
    scale = max(1.0, float(np.max(np.abs(target)))) if target.size else 1.0
    omega, n_degenerate = _floor_degenerate(moment_covariance(model.influence, clusters), scale)
    n_clusters = int(np.unique(clusters).size) if clusters is not None else None
    if n_clusters is not None and n_clusters <= target.size:
        # a clustered covariance is a sum of G outer products of mean-zero cluster scores: rank <= G - 1
        raise IdentificationError(
            f"the clustered covariance of {target.size} moments from {n_clusters} clusters is singular (its "
            f"rank is at most {n_clusters - 1})",
            hint="use more clusters than moments, fewer moments or cells, or cov_type='robust'",
        )
    try:
        np.linalg.cholesky(omega)
        omega_inv = np.linalg.inv(omega)
    except np.linalg.LinAlgError:
        raise IdentificationError(
            "The covariance of the moments is singular.", hint="Use fewer moments or more data per cell."
        ) from None

    def solve(weight: np.ndarray, points: Sequence[np.ndarray]) -> Any:
        try:
            root = np.linalg.cholesky(weight).T
        except np.linalg.LinAlgError:  # invertible in floating point, but not positive definite
            raise IdentificationError(
                "The covariance of the moments is not positive definite (too few observations per moment).",
                hint="Use fewer moments (moments=...), fewer cells, or more data per cell.",
            ) from None

        def weighted_gap(th: np.ndarray) -> np.ndarray:
            return root @ (target - model.model_moments(th))

        best = None
        for start in points:
            res = optimize.least_squares(
                weighted_gap,
                np.clip(start, lower + 1e-9, upper - 1e-9),
                bounds=(lower, upper),
                x_scale="jac",
                max_nfev=100 * maxiter,
                xtol=1e-12,
                ftol=1e-12,
                gtol=1e-12,
            )
            if best is None or res.cost < best.cost:
                best = res
        return best

    points = [np.asarray(model.start_values(), dtype=float), *(starts or [])]
    diagonal = np.diag(1.0 / np.diag(omega))
    if weighting == "two-step":
        first = solve(diagonal, points)
        recentered = getattr(model, "recentered_influence", None)
        if recentered is not None:
            omega, _ = _floor_degenerate(moment_covariance(recentered(first.x), clusters), scale)
        weight = np.linalg.inv(omega)
        res = solve(weight, [first.x, *points])
    else:
        weight = {"optimal": omega_inv, "diagonal": diagonal, "identity": np.eye(target.size)}[weighting]
        res = solve(weight, points)
    theta = np.asarray(res.x, dtype=float)
    converged = bool(res.success) and res.status > 0
    k = theta.size
    resid = target - model.model_moments(theta)
    objective = float(resid @ weight @ resid)
    j_df = target.size - k
    efficient = weighting in ("optimal", "two-step")
    j_stat = objective if efficient and j_df > 0 else math.nan
    j_p = float(stats.chi2.sf(j_stat, j_df)) if math.isfinite(j_stat) else math.nan
    cov = np.full((k, k), np.nan)
    jac = np.full((target.size, k), np.nan)
    at_bound = (theta <= lower + 1e-8) | (theta >= upper - 1e-8)
    if compute_cov:
        jac = numerical_jacobian(model.model_moments, theta, lower, upper)
        # rank condition in standard-error units of the moments and natural units of theta
        standardized = np.linalg.cholesky(weight).T @ jac * np.maximum(np.abs(theta), 1.0)
        singular = np.linalg.svd(standardized, compute_uv=False)
        if singular.min() <= 1e-8 * singular.max():
            raise IdentificationError(
                f"The moments do not identify {', '.join(names)} at the estimate (rank-deficient Jacobian).",
                hint="Add moments (price variance, third moment), cells, or fix parameters.",
            )
        if cov_type == "unadjusted":
            # the model's own information (G' Omega^-1 G)^-1: equal to the sandwich under efficient weights
            cov = np.linalg.inv(jac.T @ np.linalg.inv(omega) @ jac)
        else:
            bread = np.linalg.inv(jac.T @ weight @ jac)
            cov = bread @ jac.T @ weight @ omega @ weight @ jac @ bread
        if clusters is not None:
            cov = cov * cluster_small_sample_factor(model.nobs, k, int(clusters.max()) + 1)
        for j in np.flatnonzero(at_bound):
            cov[j, :] = cov[:, j] = np.nan
            warnings.warn(
                f"{names[j]} = {theta[j]:.6g} is on the boundary of its range; its standard error is not "
                "reported (the normal approximation does not hold there).",
                IdentificationWarning,
                stacklevel=3,
            )
    return DistanceFit(
        params=theta,
        cov=cov,
        objective=objective,
        j_statistic=j_stat,
        j_df=j_df,
        j_pvalue=j_p,
        converged=converged,
        message=str(res.message),
        weight=weight,
        omega=omega,
        jacobian=jac,
        at_bound=at_bound,
        n_degenerate=n_degenerate,
    )


def _restricted_objective(model: MinimumDistanceModel, fit: DistanceFit, index: int, value: float) -> float:
    """min over the other parameters of the distance with parameter ``index`` fixed at ``value``."""
    lower, upper = np.asarray(model.lower_bounds, float), np.asarray(model.upper_bounds, float)
    others = [j for j in range(fit.params.size) if j != index]
    target = np.asarray(model.data_moments, dtype=float)
    root = np.linalg.cholesky(fit.weight).T

    def full(free: np.ndarray) -> np.ndarray:
        theta = fit.params.copy()
        theta[index] = value
        theta[others] = free
        return theta

    if not others:
        resid = target - model.model_moments(full(np.empty(0)))
        return float(resid @ fit.weight @ resid)
    def weighted(free: np.ndarray) -> np.ndarray:
        return np.asarray(root @ (target - model.model_moments(full(free))))

    res = optimize.least_squares(
        weighted,
        np.clip(fit.params[others], lower[others] + 1e-9, upper[others] - 1e-9),
        bounds=(lower[others], upper[others]),
        x_scale="jac",
        xtol=1e-12,
        ftol=1e-12,
        gtol=1e-12,
    )
    return float(2.0 * res.cost)


@dataclass
class DistanceInference:
    r"""Distance-metric (profile) tests and intervals for parameters on a bound of their range.

    With efficient weights, :math:`D(b) = \min_{\theta: \theta_j = b} Q(\theta) - Q(\hat\theta)` is
    asymptotically :math:`\chi^2(1)` under :math:`\theta_j = b` (Newey and McFadden 1994, sec. 9); the interval
    collects the b in the parameter's range with D(b) below the critical value, so it ends at the bound
    instead of pretending to be symmetric. ``columns`` maps reported names to parameter positions.
    """

    model: MinimumDistanceModel
    fit: DistanceFit
    columns: dict[str, int]

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def _distance(self, index: int, value: float) -> float:
        return max(_restricted_objective(self.model, self.fit, index, value) - self.fit.objective, 0.0)

    def pvalue(self, name: str) -> float:
        index = self.columns[name]
        lower, upper = self.model.lower_bounds[index], self.model.upper_bounds[index]
        if not lower <= 0.0 <= upper:
            return 0.0
        return float(stats.chi2.sf(self._distance(index, 0.0), 1))

    def conf_int(self, name: str, level: float) -> tuple[float, float]:
        index = self.columns[name]
        critical = float(stats.chi2.ppf(level, 1))
        lower = float(self.model.lower_bounds[index])
        upper = float(self.model.upper_bounds[index])
        estimate = float(self.fit.params[index])

        def excess(value: float) -> float:
            return self._distance(index, value) - critical

        ends = []
        for bound in (lower, upper):
            near = estimate
            if abs(bound - estimate) <= 1e-8 * max(1.0, abs(bound)):
                ends.append(bound)  # the estimate sits on this bound
                continue
            far = bound if math.isfinite(bound) else estimate + math.copysign(10.0 * max(1.0, abs(estimate)), bound)
            if excess(far) <= 0:
                ends.append(bound)
            else:
                ends.append(optimize.brentq(excess, near, far, xtol=1e-8))
        return (float(min(ends)), float(max(ends)))
