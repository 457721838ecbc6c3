"""Maximum likelihood for Loertscher-Marx bargaining when values and costs (or proxies) are observed.

Model (see :mod:`bargaining.models.incomplete_likelihood`): a negotiation between a buyer with value v ~ F
and a seller with cost c ~ G ends in trade with probability

.. math:: P(\\text{trade} \\mid v, c) = \\Lambda\\big((\\Phi_{w_B/\\rho}(v) - \\Gamma_{w_S/\\rho}(c)) / \\sigma\\big),

where (w_B, w_S) are the bargaining weights with max w = 1 and differential Delta = (w_B - w_S) / max(w_B,
w_S), rho = rho(Delta; F, G) is the Loertscher-Marx multiplier, Lambda the logistic cdf and sigma > 0 the
scale of the noise in the virtual surplus. Parameters: ``Delta`` in [-1, 1] and ``sigma``.

Estimation
----------
* First stage: F and G are given (type distribution objects) or estimated from the value and cost columns:
  ``"uniform"`` (support from ``*_bounds`` or the sample range widened by range/(n - 1) at each end, the
  unbiased estimator of uniform end points), ``"beta"`` (shape parameters by maximum likelihood on that
  support), ``"truncnorm"`` (mean and sd by maximum likelihood, truncated to that support) or
  ``"empirical"`` (a Gaussian kernel density with Silverman's bandwidth, reflected at the support's ends so
  that no mass leaks out, tabulated on 401 points with a piecewise-linear density and its exact integral as
  the cdf).
* Second stage: the model (:class:`bargaining.models.incomplete_likelihood.TradeLikelihood`) goes to the
  generic maximum-likelihood engine (:mod:`bargaining.estimate.engines.mle`), which maximizes over
  (atanh Delta, log sigma) from the best point of a coarse grid; the covariance (inverse numerical Hessian
  for ``"unadjusted"``, the sandwich with numerical scores for ``"robust"``, the cluster sandwich for
  ``"clustered"``; :mod:`bargaining.estimate.engines.covariance`) is mapped to (Delta, sigma) by the delta
  method. These standard errors treat F and G as known; with estimated F and G use ``bootstrap=B``, which
  re-estimates F and G in every replication (standard errors from the replications' covariance, percentile
  confidence intervals).
* Delta on the boundary (|Delta| within 1e-6 of 1): the normal approximation does not hold there, so the
  standard error of Delta is NaN, an :class:`~bargaining.errors.IdentificationWarning` is issued and
  ``results.delta_interval`` holds the likelihood-ratio (profile) interval.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from bargaining.errors import (
    ConvergenceWarning,
    DataValidationError,
    IdentificationError,
    IdentificationWarning,
    InvalidParameterError,
    UnknownNameError,
)
from bargaining.estimate.engines.bootstrap import converged_replicate
from bargaining.estimate.engines.covariance import COV_TYPES
from bargaining.estimate.engines.mle import (
    likelihood_ratio_interval,
    maximize_likelihood,
    profile_interval,
    with_covariance,
)
from bargaining.estimate.engines.options import InferenceOptions, check_maxiter, read_data
from bargaining.estimate.engines.wild_score import wild_score_inference
from bargaining.estimate.results import EstimationResults, warn_not_converged
from bargaining.estimate.trade_diagnostics import (
    SMALL_SAMPLE,
    distribution_tests,
    fit_by_cells,
    rejection_notes,
    swapped_columns_warning,
)
from bargaining.models.conventions import weights_from_delta
from bargaining.models.incomplete_likelihood import (
    TradeLikelihood,
    TypeData,
    WeightRatioCurve,
    trade_probability,
)

__all__ = [
    "COV_TYPES",
    "DISTRIBUTION_FAMILIES",
    "IncompleteResults",
    "fit_incomplete",
    "fit_type_distribution",
]

DISTRIBUTION_FAMILIES: tuple[str, ...] = ("uniform", "beta", "truncnorm", "empirical")
_BOUNDARY = 1e-6  # |Delta| > 1 - _BOUNDARY is treated as the boundary of [-1, 1]


# ------------------------------------------------------------------------------------------- first stage
def _check_bounds(bounds: Any, argument: str) -> tuple[float, float] | None:
    """``value_bounds`` / ``cost_bounds``: None or a pair (low, high) of finite numbers with low < high."""
    if bounds is None:
        return None
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{argument}={bounds!r} is not a pair of numbers (low, high).",
            hint=f"Pass {argument}=(low, high) with low < high, or leave it out to use the sample range.",
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise InvalidParameterError(
            f"{argument}={tuple(bounds)!r} is not an interval.",
            hint=f"Pass {argument}=(low, high) with finite low < high, or leave it out to use the sample range.",
        )
    return low, high


def _support(x: np.ndarray, bounds: Sequence[float] | None, name: str) -> tuple[float, float]:
    if bounds is not None:
        low, high = (float(b) for b in bounds)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise InvalidParameterError(
                f"{name} bounds {tuple(bounds)!r} are not an interval.",
                hint="Pass (low, high) with low < high.",
            )
        if x.min() < low or x.max() > high:
            raise DataValidationError(
                f"Some {name}s lie outside the given bounds [{low}, {high}].",
                hint=f"Widen the {name} bounds, or drop those rows.",
                column=name,
            )
        return low, high
    n = len(x)
    spread = float(np.ptp(x))
    if n < 2 or spread <= 0:
        raise IdentificationError(
            f"The {name} column has no variation, so its distribution cannot be estimated.",
            hint=f"Pass a known {name} distribution, or data with varying {name}s.",
        )
    pad = spread / (n - 1)
    return float(x.min()) - pad, float(x.max()) + pad


def fit_type_distribution(
    x: Any, family: str, *, bounds: Sequence[float] | None = None, name: str = "type"
) -> Any:
    """Estimate a type distribution from a sample (the first stage of :func:`fit_incomplete`).

    Parameters
    ----------
    x
        Observed types (values or costs).
    family
        ``"uniform"``, ``"beta"``, ``"truncnorm"`` or ``"empirical"`` (see the module docstring).
    bounds
        Known support (low, high); by default the sample range widened by range/(n - 1) at each end.
    name
        Used in messages ("value", "cost").

    Examples
    --------
    >>> fit_type_distribution(np.linspace(0.01, 0.99, 50), "uniform", bounds=(0, 1))
    Uniform(0, 1)
    """
    from bargaining.models import distributions as dists

    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise DataValidationError(
            f"The {name}s must be finite numbers.", hint="Drop rows with missing values."
        )
    key = str(family).strip().lower().replace("_", "").replace("-", "")
    low, high = _support(arr, bounds, name)
    if key == "uniform":
        return dists.Uniform(low, high)
    if key == "beta":
        a, b, _, _ = stats.beta.fit(arr, floc=low, fscale=high - low)
        return dists.Beta(a, b, low=low, high=high)
    if key in ("truncnorm", "truncatednormal"):
        mean, sd = _fit_truncnorm(arr, low, high)
        return dists.TruncatedNormal(mean, sd, low, high)
    if key == "empirical":
        return dists.TypeDistribution(_smoothed_empirical(arr, low, high), low, high, name="empirical (KDE)")
    raise UnknownNameError(
        f"Unknown distribution family {family!r} for the {name}s.",
        hint=f"Choose one of {', '.join(DISTRIBUTION_FAMILIES)} or pass a TypeDistribution.",
    )


def _fit_truncnorm(x: np.ndarray, low: float, high: float) -> tuple[float, float]:
    def nll(p: np.ndarray) -> float:
        mean, sd = p[0], math.exp(p[1])
        a, b = (low - mean) / sd, (high - mean) / sd
        return -float(np.sum(stats.truncnorm.logpdf(x, a, b, loc=mean, scale=sd)))

    start = np.array([x.mean(), math.log(max(x.std(), 1e-12 * (high - low)))])
    res = optimize.minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-10})
    return float(res.x[0]), float(math.exp(res.x[1]))


def _smoothed_empirical(x: np.ndarray, low: float, high: float, points: int = 401) -> Any:
    """Reflected Gaussian KDE on [low, high] as a frozen scipy distribution (piecewise-linear density)."""
    n = len(x)
    bandwidth = 1.06 * min(x.std(), stats.iqr(x) / 1.349 or x.std()) * n ** (-0.2)
    grid = np.linspace(low, high, points)
    mirrored = np.concatenate([x, 2 * low - x, 2 * high - x])
    density = np.zeros(points)
    for chunk in np.array_split(mirrored, max(1, len(mirrored) // 2000)):
        density += stats.norm.pdf((grid[:, None] - chunk[None, :]) / bandwidth).sum(axis=1)
    density /= n * bandwidth
    step = grid[1] - grid[0]
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * step)])
    density, cumulative = density / cumulative[-1], cumulative / cumulative[-1]

    class _KernelDistribution(stats.rv_continuous):
        # scipy passes arrays to these hooks; the stubs type them generically over float | ndarray
        def _pdf(self, t: np.ndarray) -> np.ndarray:  # type: ignore[override]
            return np.interp(t, grid, density)

        def _cdf(self, t: np.ndarray) -> np.ndarray:  # type: ignore[override]
            i = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, points - 2)
            u = t - grid[i]
            slope = (density[i + 1] - density[i]) / step
            return np.clip(cumulative[i] + density[i] * u + 0.5 * slope * u * u, 0.0, 1.0)

    return _KernelDistribution(a=low, b=high, name="kde")()


def _first_stage(
    v: np.ndarray,
    c: np.ndarray,
    value_dist: Any,
    cost_dist: Any,
    value_bounds: Sequence[float] | None,
    cost_bounds: Sequence[float] | None,
) -> tuple[Any, Any, bool]:
    # a uniform family with known bounds has nothing left to estimate
    estimated = any(
        isinstance(d, str) and not (d.strip().lower() == "uniform" and b is not None)
        for d, b in ((value_dist, value_bounds), (cost_dist, cost_bounds))
    )
    if isinstance(value_dist, str):
        value_dist = fit_type_distribution(v, value_dist, bounds=value_bounds, name="value")
    if isinstance(cost_dist, str):
        cost_dist = fit_type_distribution(c, cost_dist, bounds=cost_bounds, name="cost")
    for dist, role in ((value_dist, "value_dist"), (cost_dist, "cost_dist")):
        if not all(hasattr(dist, a) for a in ("cdf", "pdf", "low", "high", "virtual_value", "virtual_cost")):
            raise InvalidParameterError(
                f"{role} is neither a distribution family name nor a type distribution.",
                hint=f"Pass one of {', '.join(DISTRIBUTION_FAMILIES)} or e.g. bargaining.Uniform(0, 1).",
            )
    return value_dist, cost_dist, estimated


# ------------------------------------------------------------------------------------------ second stage
def _profile_information(model: TradeLikelihood, params: np.ndarray, step: float = 1e-4) -> float:
    """-d^2 loglike / d(log sigma)^2 at the estimate by a central difference (Delta held fixed)."""
    values = [
        float(np.sum(model.loglikeobs(np.array([params[0], params[1] * math.exp(k * step)]))))
        for k in (-1, 0, 1)
    ]
    return -(values[0] - 2 * values[1] + values[2]) / step**2


# --------------------------------------------------------------------------------------------- results
class IncompleteResults(EstimationResults):
    """Results of :func:`fit_incomplete`: parameters ``Delta`` and ``sigma``.

    Attributes
    ----------
    predicted
        Predicted trade probabilities of the used rows (Series with the data's index); also ``fitted_values``.
    loglike
        Maximized log-likelihood.
    value_dist, cost_dist
        The type distributions used (given or estimated in the first stage).
    distributions_estimated
        Whether F or G was estimated (then only the bootstrap accounts for the first stage).
    rho_method, rho_accuracy
        How rho(Delta) was computed and the interpolation error bound of the weight ratios (0: closed form).
    at_boundary, delta_interval
        Whether Delta is at +-1, and then its 95% likelihood-ratio interval (also what ``conf_int(0.95)``
        reports for Delta).
    bootstrap_failures
        Number of failed bootstrap replications (left out of ``bootstrap_params``).

    Examples
    --------
    2,000 negotiations with uniform values and costs, Delta = 0.5 and logistic noise of scale 0.05 on the
    weighted virtual surplus Phi(v) - Gamma(c), with Phi(v) = v - (1 - w_B/rho)(1 - v) and
    Gamma(c) = c + (1 - w_S/rho) c for uniform [0, 1] types:

    >>> rng = np.random.default_rng(0)
    >>> v, c = rng.uniform(size=2000), rng.uniform(size=2000)
    >>> a, b = np.array(weights_from_delta(0.5)) / rho_from_delta(0.5)    # w_B/rho, w_S/rho
    >>> surplus = (v - (1 - a) * (1 - v)) - (c + (1 - b) * c)
    >>> traded = rng.uniform(size=2000) < 1 / (1 + np.exp(-surplus / 0.05))
    >>> df = pd.DataFrame({"traded": traded.astype(int), "value": v, "cost": c})
    >>> res = fit_incomplete(df, traded="traded", value="value", cost="cost",
    ...                      value_dist=Uniform(), cost_dist=Uniform())
    >>> res.params.round(3).to_dict(), res.std_errors.round(3).to_dict()
    ({'Delta': 0.487, 'sigma': 0.044}, {'Delta': 0.027, 'sigma': 0.004})
    >>> res.rho_method, res.at_boundary
    ('closed form (eq. 38)', False)

    Trade probabilities at the estimates for new pairs (v, c):

    >>> res.predict(pd.DataFrame({"value": [0.9, 0.6], "cost": [0.1, 0.4]})).round(3).tolist()
    [1.0, 0.11]
    """

    model_name = "Incomplete-information bargaining (Loertscher-Marx): trade likelihood"

    def __init__(
        self,
        *,
        predicted: pd.Series,
        loglike: float,
        value_dist: Any,
        cost_dist: Any,
        distributions_estimated: bool,
        curve: WeightRatioCurve,
        columns: tuple[str, str],
        delta_interval: tuple[float, float] | None = None,
        bootstrap_failures: int = 0,
        model: TradeLikelihood | None = None,
        fit: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._likelihood, self._likelihood_fit = model, fit
        self.predicted = predicted
        self.loglike = loglike
        self.value_dist, self.cost_dist = value_dist, cost_dist
        self.distributions_estimated = distributions_estimated
        self.rho_method, self.rho_accuracy = curve.method, curve.accuracy
        self.at_boundary, self.delta_interval = delta_interval is not None, delta_interval
        self.bootstrap_failures = bootstrap_failures
        self._columns, self._curve = columns, curve

    @property
    def fitted_values(self) -> pd.Series:
        """Predicted trade probabilities of the estimation sample."""
        return self.predicted.copy()

    def predict(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Trade probabilities at the estimates, for the estimation sample or new rows with the same columns."""
        if data is None:
            return self.fitted_values
        v = pd.to_numeric(data[self._columns[0]]).to_numpy(dtype=float)
        c = pd.to_numeric(data[self._columns[1]]).to_numpy(dtype=float)
        types = TypeData.build(v, c, self.value_dist, self.cost_dist)
        p = trade_probability(float(self.params["Delta"]), float(self.params["sigma"]), types, self._curve)
        return pd.Series(p, index=data.index, name="trade_probability")

    def likelihood_ratio_interval(self, name: str = "Delta", level: float = 0.95) -> tuple[float, float]:
        """Profile likelihood-ratio interval of ``Delta`` or ``sigma`` (better than the normal one in small
        samples; :func:`bargaining.estimate.engines.mle.likelihood_ratio_interval`)."""
        if name not in ("Delta", "sigma"):
            raise InvalidParameterError(f"unknown parameter {name!r}", hint="use 'Delta' or 'sigma'")
        index = ["Delta", "sigma"].index(name)
        if self.at_boundary and name == "Delta" and self.delta_interval is not None and math.isclose(level, 0.95):
            return self.delta_interval
        if self._likelihood is None or self._likelihood_fit is None:
            raise InvalidParameterError("this result carries no likelihood", hint="refit with fit_incomplete")
        return likelihood_ratio_interval(self._likelihood, self._likelihood_fit, index, level=level)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Normal (or bootstrap percentile) intervals; at the boundary, Delta's likelihood-ratio interval."""
        ci = super().conf_int(level)
        if self.at_boundary and self.delta_interval is not None and math.isclose(level, 0.95):
            ci.loc["Delta", ["lower", "upper"]] = self.delta_interval
        return ci


def _weights_table(delta: float, a: float, b: float) -> dict[str, float]:
    w_b, w_s = weights_from_delta(delta)
    return {"w_B": w_b, "w_S": w_s, "w_B/rho": a, "w_S/rho": b, "rho": w_b / a if a > 0 else w_s / b}


def fit_incomplete(
    data: Any,
    *,
    traded: str,
    value: str,
    cost: str,
    value_dist: Any = "uniform",
    cost_dist: Any = "uniform",
    value_bounds: Sequence[float] | None = None,
    cost_bounds: Sequence[float] | None = None,
    cov_type: str = "robust",
    cluster: str | None = None,
    bootstrap: int | None = None,
    bootstrap_kind: str | None = None,
    n_jobs: int = 1,
    seed: Any = None,
    progress: bool = False,
    rho_method: str = "auto",
    maxiter: int | None = 200,
    drop_invalid: bool = False,
) -> IncompleteResults:
    """Fit the bargaining differential Delta and noise scale sigma by maximum likelihood.

    Parameters
    ----------
    data
        DataFrame (or path to a CSV/Parquet file), one row per negotiation.
    traded, value, cost
        Column names: 0/1 trade indicator, buyer's value v, seller's cost c.
    value_dist, cost_dist
        F and G: a type distribution (known), or a family name estimated from the column
        (``"uniform"``, ``"beta"``, ``"truncnorm"``, ``"empirical"``).
    value_bounds, cost_bounds
        Known supports for the estimated families (default: the widened sample range).
    cov_type
        ``"unadjusted"`` (inverse Hessian), ``"robust"`` (sandwich, the default), ``"clustered"`` (needs
        ``cluster``) or ``"bootstrap"`` (same as ``bootstrap=199``).
    cluster
        Column of cluster ids for clustered standard errors (and the cluster bootstrap).
    bootstrap, bootstrap_kind, n_jobs, seed, progress
        Bootstrap replicates (each resamples rows or clusters, re-estimates F and G when they are estimated,
        and re-maximizes the likelihood; standard errors then come from the replicates), their kind, parallel
        workers, seed and progress bar; the same meaning in every estimator
        (:mod:`bargaining.estimate.engines.options`). ``bootstrap_kind="wild"`` (with ``cluster``) gives
        the p-value and interval of Delta from the wild restricted score bootstrap (F and G held at their
        estimates; :mod:`bargaining.estimate.engines.wild_score`) beside the clustered standard errors; the
        scale sigma keeps its t(G - 1) interval.
    rho_method
        ``"auto"`` (eq. 38 closed form for uniform F and G on a common interval, else the solver),
        ``"closed form"`` or ``"solver"``.
    maxiter
        Maximum BFGS iterations; if reached, ``converged`` is False and a ConvergenceWarning is issued.
    drop_invalid
        Drop (and report) rows with missing or invalid entries instead of raising.

    Returns
    -------
    IncompleteResults

    Examples
    --------
    Trades of 3,000 negotiations with uniform [0, 1] values and costs, generated at Delta = -0.3 (the seller
    favoured) with logistic noise of scale 0.05 on the weighted virtual surplus; the likelihood recovers Delta
    within its standard error (rho(Delta) in closed form, eq. 38, since both laws are uniform on [0, 1]):

    >>> rng = np.random.default_rng(8)
    >>> v, c = rng.uniform(size=3000), rng.uniform(size=3000)
    >>> a, b = np.array(weights_from_delta(-0.3)) / rho_from_delta(-0.3)      # w_B/rho, w_S/rho
    >>> surplus = (v - (1 - a) * (1 - v)) - (c + (1 - b) * c)
    >>> traded = (rng.uniform(size=3000) < 1 / (1 + np.exp(-surplus / 0.05))).astype(int)
    >>> res = fit_incomplete(pd.DataFrame({"traded": traded, "value": v, "cost": c}), traded="traded",
    ...                      value="value", cost="cost", value_dist=Uniform(0, 1), cost_dist=Uniform(0, 1))
    >>> res.params.round(2).to_dict(), res.std_errors.round(2).to_dict()
    ({'Delta': -0.32, 'sigma': 0.05}, {'Delta': 0.03, 'sigma': 0.0})
    """
    from bargaining.data import validate_negotiations

    frame = read_data(data)
    maxiter = check_maxiter(maxiter, 200)
    options = InferenceOptions.build(
        cov_type=cov_type,
        cluster=cluster,
        bootstrap=bootstrap,
        bootstrap_kind=bootstrap_kind,
        n_jobs=n_jobs,
        seed=seed,
        progress=progress,
    )
    value_bounds = _check_bounds(value_bounds, "value_bounds")
    cost_bounds = _check_bounds(cost_bounds, "cost_bounds")
    validated = validate_negotiations(
        frame,
        traded=traded,
        value=value,
        cost=cost,
        groups=(cluster,) if cluster is not None else (),
        drop_invalid=drop_invalid,
    )
    used, dropped = validated.data, validated.dropped
    if drop_invalid:
        used, dropped = _drop_outside_support(
            used, dropped, ((value, value_dist, value_bounds), (cost, cost_dist, cost_bounds))
        )
    t = used[traded].to_numpy(dtype=float)
    v = used[value].to_numpy(dtype=float)
    c = used[cost].to_numpy(dtype=float)
    groups = pd.factorize(used[cluster])[0] if cluster is not None else None
    if len(t) < 3 or t.min() == t.max():
        raise IdentificationError(
            "Every negotiation has the same outcome (all trades or none), so Delta and sigma are not identified.",
            hint="The likelihood needs both trades and failed negotiations.",
        )
    # before the fit: swapped columns can send sigma to infinity, where the fit stops with an error
    swapped = swapped_columns_warning(t, v, c)
    df_inference = options.cluster_inference(groups)
    F, G, estimated = _first_stage(v, c, value_dist, cost_dist, value_bounds, cost_bounds)
    curve = WeightRatioCurve.for_distributions(F, G, method=rho_method)
    model = TradeLikelihood(t, TypeData.build(v, c, F, G), curve)

    fit = maximize_likelihood(
        model,
        cov_type=options.analytic_cov_type,
        clusters=groups if options.analytic_cov_type == "clustered" else None,
        maxiter=maxiter,
        compute_cov=False,
    )
    if not fit.converged:
        warn_not_converged(f"The likelihood maximizer (BFGS, maxiter={maxiter})")
    delta_hat, sigma_hat = (float(x) for x in fit.params)
    if model.separated(fit.params):
        # complete separation: the likelihood increases without bound as sigma -> 0 (no MLE exists)
        raise IdentificationError(
            "A Loertscher-Marx trade rule separates trades from failures perfectly, so sigma is driven to 0 "
            "and the likelihood has no maximum.",
            hint="The data look noise-free; compare the trade rule directly (e.g. with efficiency_report).",
        )
    at_boundary = abs(delta_hat) > 1.0 - _BOUNDARY
    draws, failures = None, 0
    cov = np.full((2, 2), np.nan)
    if not at_boundary and (options.bootstrap is None or options.wild):
        fit = with_covariance(
            model,
            fit,
            cov_type=options.analytic_cov_type,
            clusters=groups if options.analytic_cov_type == "clustered" else None,
        )
        cov = fit.cov
    resampled = None
    if options.wild:
        assert groups is not None and options.bootstrap is not None
        # Delta only: on its bound it keeps the likelihood-ratio interval instead (the score bootstrap needs an
        # interior point); the scale sigma keeps its t(G - 1) interval, which covered better than the wild one
        # in the package's Monte Carlo (8 clusters, N = 240: 0.89 against 0.83; both undercover)
        resampled = (
            None
            if at_boundary
            else wild_score_inference(
                model, fit.params, groups, reps=options.bootstrap, seed=options.seed, names=["Delta"], maxiter=maxiter
            )
        )
    elif options.bootstrap is not None:

        def refit(rows: np.ndarray) -> np.ndarray:
            F_r, G_r, _ = _first_stage(v[rows], c[rows], value_dist, cost_dist, value_bounds, cost_bounds)
            curve_r = curve if not estimated else WeightRatioCurve.for_distributions(F_r, G_r, method=rho_method)
            replicate = TradeLikelihood(t[rows], TypeData.build(v[rows], c[rows], F_r, G_r), curve_r)
            rep = maximize_likelihood(replicate, start=fit.params, maxiter=maxiter, compute_cov=False)
            return converged_replicate(rep.params, rep.converged, "fit_incomplete")

        draws, failures = options.run_bootstrap(refit, len(t), names=["Delta", "sigma"], clusters=groups)
        if failures:
            warnings.warn(
                f"{failures} of {options.bootstrap} bootstrap replications failed and were left out.",
                ConvergenceWarning,
                stacklevel=2,
            )
        cov = np.cov(draws[["Delta", "sigma"]].to_numpy().T)
    delta_interval = None
    if at_boundary:
        # the likelihood is flat in atanh(Delta) out there: keep sigma's variance from the profile at Delta-hat
        cov = np.full((2, 2), np.nan)
        if draws is None:
            cov[1, 1] = sigma_hat**2 / _profile_information(model, fit.params)
        else:
            cov[1, 1] = float(np.var(draws["sigma"], ddof=1))
        delta_interval = profile_interval(model, fit, 0, level=0.95, boundary_tol=_BOUNDARY)
        warnings.warn(
            f"Delta = {delta_hat:+.6f} is on the boundary of [-1, 1]: its normal standard error does not "
            f"apply; the 95% likelihood-ratio interval is ({delta_interval[0]:.4f}, {delta_interval[1]:.4f}).",
            IdentificationWarning,
            stacklevel=2,
        )
    elif not np.all(np.isfinite(cov)) or np.linalg.eigvalsh(0.5 * (cov + cov.T)).min() <= 0:
        raise IdentificationError(
            "The information matrix is singular: Delta and sigma are not separately identified by these data.",
            hint="Check that values and costs vary and that both trades and failures occur across their range.",
        )
    names = ["Delta", "sigma"]
    a, b = curve(delta_hat)
    notes = []
    if resampled is not None:
        notes.append(
            "The p-value and interval of Delta are from the wild restricted score bootstrap (Kline and Santos "
            f"2012, {resampled.bootstrap.weight_kind} weights, B = {options.bootstrap}; test inversion); standard "
            "errors and sigma's interval are the clustered t(G - 1) ones."
        )
    elif options.wild:
        notes.append("Delta is on its bound: the wild bootstrap does not apply; its interval is the likelihood-ratio one.")
    if estimated and draws is None:
        notes.append(
            "F and G were estimated; these standard errors"
            + (" and the wild bootstrap" if resampled is not None else "")
            + " treat them as known (bootstrap=B with bootstrap_kind='cluster' re-estimates them)."
        )
    if at_boundary:
        notes.append(
            "Delta is on the boundary of [-1, 1]; its 95% interval is the likelihood-ratio interval."
        )
    if failures:
        notes.append(f"{failures} of {options.bootstrap} bootstrap replicates failed and were left out.")
    probabilities = model.probabilities(fit.params)
    tests = {"fit by cells": fit_by_cells(t, probabilities, v, c)}
    tests.update(distribution_tests(v, c, F, G))
    notes += rejection_notes(tests)
    if estimated:
        notes.append("F and/or G were estimated from these data: the Kolmogorov-Smirnov p-values are conservative.")
    if swapped:
        notes.append(swapped)
    if len(t) < SMALL_SAMPLE and draws is None and resampled is None:
        message = (
            f"{len(t)} negotiations: below {SMALL_SAMPLE}, normal intervals of the trade likelihood undercover "
            "(0.83-0.89 for 95% intervals in the package's Monte Carlo); use bootstrap=499 for percentile "
            "intervals, or results.likelihood_ratio_interval(name)"
        )
        warnings.warn(message, IdentificationWarning, stacklevel=2)
        notes.append(message[0].upper() + message[1:] + ".")
    loglike = fit.loglike
    return IncompleteResults(
        tests=tests,
        model=model,
        fit=fit,
        specification={
            "traded": traded,
            "value": f"{value} ~ {_describe(F)}",
            "cost": f"{cost} ~ {_describe(G)}",
            "link": "logistic noise in the weighted virtual surplus",
        },
        predicted=pd.Series(probabilities, index=used.index, name="trade_probability"),
        loglike=loglike,
        value_dist=F,
        cost_dist=G,
        distributions_estimated=estimated,
        curve=curve,
        columns=(value, cost),
        delta_interval=delta_interval,
        bootstrap_failures=failures,
        params=pd.Series([delta_hat, sigma_hat], index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=len(t),
        n_input=validated.n_input,
        dropped=dropped,
        converged=fit.converged,
        cov_type="bootstrap" if draws is not None else options.cov_type,
        method="maximum likelihood (logit)"
        + (f", {options.bootstrap_kind} bootstrap" if draws is not None else "")
        + (", wild score bootstrap" if resampled is not None else ""),
        diagnostics={
            "log-likelihood": loglike,
            "trade rate": float(t.mean()),
            "F": _describe(F),
            "G": _describe(G),
            "rho method": curve.method,
            "rho accuracy": curve.accuracy,
            **_weights_table(delta_hat, a, b),
        },
        notes=notes,
        bootstrap_params=None if draws is None else draws[names],
        ci_method="normal" if draws is None else "percentile",
        cluster_count=None if groups is None else int(groups.max() + 1),
        df_inference=df_inference if draws is None else None,
        resampled_inference=resampled,
    )


def _drop_outside_support(
    used: pd.DataFrame, dropped: pd.DataFrame, sides: Sequence[tuple[str, Any, Sequence[float] | None]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """With drop_invalid: drop rows outside a known support (distribution or bounds) and report them."""
    reasons = []
    for column, dist, bounds in sides:
        if isinstance(dist, str):
            if bounds is None:
                continue
            low, high = float(bounds[0]), float(bounds[1])
        else:
            low, high = float(dist.low), float(dist.high)
        x = used[column].to_numpy(dtype=float)
        outside = (x < low) | (x > high)
        if outside.any():
            reasons.append({"reason": f"{column} outside [{low:g}, {high:g}]", "count": int(outside.sum())})
            used = used.loc[~outside]
    if reasons:
        dropped = pd.concat([dropped, pd.DataFrame(reasons)], ignore_index=True)
    return used, dropped


def _describe(dist: Any) -> str:
    name = getattr(dist, "name", None) or type(dist).__name__
    return f"{name} on [{float(dist.low):.6g}, {float(dist.high):.6g}]"
