r"""Fit any model that implements a protocol of :mod:`bargaining.models.protocols`.

:func:`fit_model` is what the package's own front ends do once the data are validated and the model is
built: pick the engine for the protocol, compute the covariance of ``cov_type``, run the bootstrap on
``model.subset(rows)``, and wrap everything in :class:`~bargaining.estimate.results.EstimationResults`. A
new model therefore gets estimates, standard errors, a bootstrap and a summary by implementing its
protocol alone.

Examples
--------
A probit written only as a likelihood:

>>> import numpy as np
>>> from scipy.stats import norm
>>> class Probit:
...     param_names = ("const", "slope")
...     lower_bounds = np.array([-np.inf, -np.inf])
...     upper_bounds = np.array([np.inf, np.inf])
...     def __init__(self, y, x):
...         self.y, self.x = y, x
...     @property
...     def nobs(self):
...         return len(self.y)
...     def start_values(self):
...         return np.zeros(2)
...     def loglikeobs(self, params):
...         z = params[0] + params[1] * self.x
...         return np.where(self.y == 1, norm.logcdf(z), norm.logcdf(-z))
...     def subset(self, rows):
...         return Probit(self.y[rows], self.x[rows])
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=2000)
>>> y = (0.5 + x + rng.normal(size=2000) > 0).astype(float)
>>> res = fit_model(Probit(y, x))
>>> bool(abs(res.params["slope"] - 1.0) < 4 * res.std_errors["slope"])
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError
from bargaining.estimate.engines.bootstrap import converged_replicate
from bargaining.estimate.engines.gmm import fit_moment_model
from bargaining.estimate.engines.min_distance import minimize_distance
from bargaining.estimate.engines.mle import maximize_likelihood
from bargaining.estimate.engines.options import InferenceOptions
from bargaining.estimate.engines.wild_score import wild_score_inference
from bargaining.estimate.results import EstimationResults, warn_not_converged
from bargaining.models.protocols import LikelihoodModel, MinimumDistanceModel, MomentModel

__all__ = ["fit_model"]


def _cluster_codes(cluster: Any, nobs: int) -> np.ndarray | None:
    if cluster is None:
        return None
    labels = np.asarray(cluster)
    if labels.shape != (nobs,):
        raise InvalidParameterError(
            f"cluster has shape {labels.shape}, expected one label per observation ({nobs},)",
            hint="pass an array of cluster labels aligned with the model's observations",
        )
    codes, _ = pd.factorize(labels)
    if np.any(codes < 0):
        raise InvalidParameterError("cluster has missing labels", hint="give every observation a cluster")
    return codes.astype(np.int64)


def fit_model(
    model: LikelihoodModel | MomentModel | MinimumDistanceModel,
    *,
    cov_type: str = "robust",
    cluster: Any = None,
    bootstrap: int | None = None,
    bootstrap_kind: str | None = None,
    n_jobs: int = 1,
    seed: Any = None,
    progress: bool = False,
    maxiter: int = 200,
    weighting: str = "optimal",
    title: str | None = None,
) -> EstimationResults:
    """Estimate a protocol model with the matching engine.

    Parameters
    ----------
    model
        A :class:`~bargaining.models.protocols.LikelihoodModel` (maximum likelihood), a
        :class:`~bargaining.models.protocols.MomentModel` (nonlinear least squares / 2SLS) or a
        :class:`~bargaining.models.protocols.MinimumDistanceModel` (minimum distance).
    cov_type, bootstrap, bootstrap_kind, n_jobs, seed, progress
        Inference options with the package-wide meaning (:mod:`bargaining.estimate.engines.options`).
        ``bootstrap_kind="wild"`` (with ``cluster``) gives p-values and intervals of every parameter from the
        wild restricted score bootstrap (:mod:`bargaining.estimate.engines.wild_score`; likelihood,
        moment and minimum-distance models, the last with a ``recentered_influence``), ``bootstrap`` draws
        (default 999).
    cluster
        Cluster labels, one per observation of the model (an array: the model has no columns).
    maxiter
        Optimizer iteration limit.
    weighting
        Minimum distance only: ``"optimal"``, ``"two-step"``, ``"diagonal"`` or ``"identity"``.
    title
        Title of the summary (default: the model's class name).

    Returns
    -------
    EstimationResults

    Examples
    --------
    A model only has to implement a protocol. An exponential-duration likelihood, log f(t) = log(lam) - lam t,
    whose maximum-likelihood estimate is 1 / mean(t) with standard error lam / sqrt(n) (unadjusted):

    >>> class Exponential:
    ...     param_names = ("lam",)
    ...     lower_bounds, upper_bounds = np.array([0.0]), np.array([np.inf])
    ...     def __init__(self, t):
    ...         self.t = np.asarray(t, dtype=float)
    ...     @property
    ...     def nobs(self):
    ...         return self.t.size
    ...     def start_values(self):
    ...         return np.array([1.0])
    ...     def loglikeobs(self, params):
    ...         return np.log(params[0]) - params[0] * self.t
    ...     def subset(self, rows):
    ...         return Exponential(self.t[rows])
    >>> t = np.random.default_rng(0).exponential(scale=0.5, size=2000)
    >>> res = fit_model(Exponential(t), cov_type="unadjusted")
    >>> bool(np.isclose(res.params["lam"], 1 / t.mean(), rtol=1e-6))
    True
    >>> bool(np.isclose(res.std_errors["lam"], res.params["lam"] / np.sqrt(t.size), rtol=1e-3))
    True
    >>> res.params.round(2).to_dict()
    {'lam': 1.98}
    """
    if not isinstance(model, (LikelihoodModel, MinimumDistanceModel, MomentModel)):
        raise InvalidParameterError(
            f"{type(model).__name__} implements none of the estimation protocols",
            hint="implement LikelihoodModel, MomentModel or MinimumDistanceModel (bargaining.models.protocols)",
        )
    codes = _cluster_codes(cluster, int(model.nobs))
    options = InferenceOptions.build(
        cov_type=cov_type,
        cluster=None if codes is None else "cluster",
        bootstrap=bootstrap,
        bootstrap_kind=bootstrap_kind,
        n_jobs=n_jobs,
        seed=seed,
        progress=progress,
    )
    df_inference = options.cluster_inference(codes)
    analytic = options.analytic_cov_type
    use_clusters = codes if analytic == "clustered" else None
    names = list(model.param_names)
    diagnostics: dict[str, Any] = {}
    if isinstance(model, LikelihoodModel):

        def estimate(m: Any, compute_cov: bool, start: np.ndarray | None = None) -> tuple[np.ndarray, Any]:
            fit = maximize_likelihood(
                m, start=start, cov_type=analytic, clusters=use_clusters, maxiter=maxiter, compute_cov=compute_cov
            )
            return fit.params, fit

        params, fit = estimate(model, True)
        cov, converged, method = fit.cov, fit.converged, "maximum likelihood"
        diagnostics["log-likelihood"] = fit.loglike
    elif isinstance(model, MinimumDistanceModel):

        def estimate(m: Any, compute_cov: bool, start: np.ndarray | None = None) -> tuple[np.ndarray, Any]:
            fit = minimize_distance(
                m,
                weighting=weighting,
                clusters=use_clusters,
                starts=None if start is None else [start],
                maxiter=maxiter,
                compute_cov=compute_cov,
                cov_type=analytic,
            )
            return fit.params, fit

        params, fit = estimate(model, True)
        cov, converged, method = fit.cov, fit.converged, f"minimum distance ({weighting} weighting)"
        diagnostics.update({"objective": fit.objective, "J statistic": fit.j_statistic, "J p-value": fit.j_pvalue})
    else:

        def estimate(m: Any, compute_cov: bool, start: np.ndarray | None = None) -> tuple[np.ndarray, Any]:
            fit = fit_moment_model(
                m, start=start, cov_type=analytic, clusters=use_clusters, maxiter=maxiter, compute_cov=compute_cov
            )
            return fit.params, fit

        params, fit = estimate(model, True)
        cov, converged = fit.cov, fit.solver.converged
        method = "nonlinear 2SLS" if model.instruments is not None else "nonlinear least squares"
        diagnostics["objective"] = fit.solver.objective
        if fit.solver.starts > 1:
            diagnostics["starting points"] = fit.solver.starts
    if not converged:
        warn_not_converged(f"The optimizer of {type(model).__name__}")
    notes: list[str] = []
    draws = None
    resampled = None
    if options.wild:
        assert codes is not None and options.bootstrap is not None
        resampled = wild_score_inference(
            model, params, codes, reps=options.bootstrap, seed=options.seed, maxiter=maxiter,
            weight=getattr(fit, "weight", None) if isinstance(model, MinimumDistanceModel) else None,
        )
        method += (
            f", wild score bootstrap ({resampled.bootstrap.weight_kind} weights, B = {options.bootstrap})"
        )
        notes.append(
            "p-values and intervals are from the wild restricted score bootstrap (Kline and Santos 2012; test "
            "inversion); standard errors are the clustered ones."
        )
    elif options.bootstrap is not None:
        def refit(rows: np.ndarray) -> np.ndarray:
            rep_params, rep = estimate(model.subset(rows), False, params)
            rep_converged = rep.solver.converged if hasattr(rep, "solver") else rep.converged
            return converged_replicate(rep_params, bool(rep_converged), type(model).__name__)

        draws, failed = options.run_bootstrap(refit, int(model.nobs), names=names, clusters=codes)
        cov = draws.cov().to_numpy()
        method += f", {options.bootstrap_kind} bootstrap"
        diagnostics["bootstrap failures"] = failed
        if failed:
            notes.append(f"{failed} of {options.bootstrap} bootstrap replicates failed and were left out.")
    return EstimationResults(
        params=pd.Series(params, index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=int(model.nobs),
        cov_type="bootstrap" if draws is not None else analytic,
        converged=converged,
        model=title or type(model).__name__,
        method=method,
        diagnostics=diagnostics,
        notes=notes,
        bootstrap_params=draws,
        ci_method="normal" if draws is None else "percentile",
        cluster_count=None if codes is None else int(codes.max() + 1),
        df_inference=df_inference if draws is None else None,
        resampled_inference=resampled,
    )
