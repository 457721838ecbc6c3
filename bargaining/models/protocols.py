r"""Contracts between a structural model and the generic estimation engines.

A model tells the engines three things: its parameters (names, start values, the box they live in), how
the data speak to them (a per-observation log-likelihood, per-observation moment contributions, or cell
moments matched by minimum distance) and, optionally, analytic derivatives. The engines in
:mod:`bargaining.estimate.engines` do the rest: optimization, covariance, bootstrap, tests, results. Adding
a model to the package therefore means writing one class that satisfies one of the protocols below.

``LikelihoodModel``
    :math:`\ell_i(\theta)` for every observation; the maximum-likelihood engine maximizes
    :math:`\sum_i \ell_i(\theta)` in unconstrained coordinates (:class:`BoxTransform`) and reports
    :math:`\theta` in the model's own units.
``MomentModel``
    Residuals :math:`u_i(\theta)` and instruments :math:`H` (``None``: the residuals' own gradient, i.e.
    nonlinear least squares), giving the moment contributions :math:`g_i(\theta) = H_i u_i(\theta)`
    (:func:`moment_contributions`); the GMM engine minimizes :math:`\bar g' (H'H/n)^{-1} \bar g`.
``MinimumDistanceModel``
    Data moments :math:`\hat m` with their influence functions :math:`\psi_i` (so that
    :math:`\hat m - m_0 \approx \sum_i \psi_i`) and model moments :math:`m(\theta)`; the engine minimizes
    :math:`(\hat m - m(\theta))' W (\hat m - m(\theta))`.

Every protocol asks for ``subset(rows)``: the same model on a subset (with repetition) of the
observations, which is all the bootstrap needs. This module imports nothing from the estimators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "BoxTransform",
    "LikelihoodModel",
    "MinimumDistanceModel",
    "MomentModel",
    "moment_contributions",
]

# exp/tanh arguments beyond these carry no information in double precision; clipping keeps the optimizer's
# trial points finite (tanh(12) = 1 - 7.6e-11, exp(60) = 1.1e26)
_MAX_TANH = 12.0
_MAX_EXP = 60.0


@dataclass(frozen=True)
class BoxTransform:
    r"""Map between a box of natural parameters and unconstrained optimizer coordinates.

    Coordinate by coordinate, with bounds ``lower`` and ``upper``:

    * both infinite: :math:`\theta = t`;
    * only ``lower`` finite: :math:`\theta = l + e^{t}` (``upper`` only: :math:`\theta = u - e^{-t}`);
    * both finite: :math:`\theta = l + (u - l)(1 + \tanh t)/2` (so :math:`\theta = \tanh t` on [-1, 1]).

    ``t`` is clipped to +-12 inside tanh and +-60 inside exp, so the natural value never reaches a
    bound exactly; estimates within about 1e-10 of a bound are at the bound for every practical purpose.
    """

    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def from_bounds(
        cls, lower: Sequence[float] | np.ndarray, upper: Sequence[float] | np.ndarray
    ) -> BoxTransform:
        """Build from sequences of bounds (``-inf``/``inf`` for none)."""
        low = np.asarray(lower, dtype=float)
        high = np.asarray(upper, dtype=float)
        if low.shape != high.shape or np.any(low >= high):
            raise ValueError("lower bounds must lie strictly below upper bounds")
        return cls(low, high)

    def _kinds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = np.isfinite(self.lower), np.isfinite(self.upper)
        return lo & hi, lo & ~hi, ~lo & hi

    def to_natural(self, t: np.ndarray) -> np.ndarray:
        """theta(t)."""
        t = np.asarray(t, dtype=float)
        theta = t.copy()
        both, low_only, high_only = self._kinds()
        th = np.tanh(np.clip(t, -_MAX_TANH, _MAX_TANH))
        theta[both] = self.lower[both] + (self.upper[both] - self.lower[both]) * (1.0 + th[both]) / 2.0
        theta[low_only] = self.lower[low_only] + np.exp(np.clip(t[low_only], -_MAX_EXP, _MAX_EXP))
        theta[high_only] = self.upper[high_only] - np.exp(np.clip(-t[high_only], -_MAX_EXP, _MAX_EXP))
        return theta

    def to_unconstrained(self, theta: np.ndarray) -> np.ndarray:
        """t(theta) for theta strictly inside the box (values on a bound map to the clipping limit)."""
        theta = np.asarray(theta, dtype=float)
        t = theta.copy()
        both, low_only, high_only = self._kinds()
        with np.errstate(divide="ignore", invalid="ignore"):
            x = 2.0 * (theta[both] - self.lower[both]) / (self.upper[both] - self.lower[both]) - 1.0
            t[both] = np.clip(np.arctanh(np.clip(x, -1.0, 1.0)), -_MAX_TANH, _MAX_TANH)
            t[low_only] = np.clip(np.log(theta[low_only] - self.lower[low_only]), -_MAX_EXP, _MAX_EXP)
            t[high_only] = -np.clip(np.log(self.upper[high_only] - theta[high_only]), -_MAX_EXP, _MAX_EXP)
        return t

    def jacobian(self, t: np.ndarray) -> np.ndarray:
        """d theta / d t (diagonal), for the delta method from optimizer to natural coordinates."""
        t = np.asarray(t, dtype=float)
        d = np.ones_like(t)
        both, low_only, high_only = self._kinds()
        th = np.tanh(np.clip(t, -_MAX_TANH, _MAX_TANH))
        d[both] = (self.upper[both] - self.lower[both]) * (1.0 - th[both] ** 2) / 2.0
        d[low_only] = np.exp(np.clip(t[low_only], -_MAX_EXP, _MAX_EXP))
        d[high_only] = np.exp(np.clip(-t[high_only], -_MAX_EXP, _MAX_EXP))
        return np.diag(d)

    def at_bound(self, theta: np.ndarray, tol: float) -> np.ndarray:
        """Which natural parameters lie within ``tol`` (relative to the box width, or absolute) of a bound."""
        theta = np.asarray(theta, dtype=float)
        width = np.where(np.isfinite(self.upper - self.lower), self.upper - self.lower, 1.0)
        return (theta - self.lower <= tol * width) | (self.upper - theta <= tol * width)


@runtime_checkable
class LikelihoodModel(Protocol):
    r"""A model with a per-observation log-likelihood :math:`\ell_i(\theta)`.

    Required: ``param_names``, ``nobs``, ``lower_bounds``/``upper_bounds`` (``-inf``/``inf`` where
    unbounded), ``start_values()`` and ``loglikeobs(params)`` in natural coordinates, and ``subset(rows)``.
    Optional: ``score_obs(params)`` (n x k analytic scores; numerical differences otherwise).

    Attributes
    ----------
    param_names
        Names of the parameters.
    nobs
        Number of observations.
    lower_bounds, upper_bounds
        Bounds of the parameters.

    Examples
    --------
    A probit of agreement (y = 1) on a standardized gain x, written only as a likelihood; :func:`fit_model`
    maximizes it and computes sandwich standard errors, which equal statsmodels' probit with HC0 errors:

    >>> from scipy.stats import norm
    >>> class Probit:
    ...     param_names = ("const", "slope")
    ...     lower_bounds, upper_bounds = np.full(2, -np.inf), np.full(2, np.inf)
    ...     def __init__(self, y, x):
    ...         self.y, self.x = y, x
    ...     nobs = property(lambda self: len(self.y))
    ...     def start_values(self):
    ...         return np.zeros(2)
    ...     def loglikeobs(self, params):
    ...         z = params[0] + params[1] * self.x
    ...         return np.where(self.y == 1, norm.logcdf(z), norm.logcdf(-z))
    ...     def subset(self, rows):
    ...         return Probit(self.y[rows], self.x[rows])
    ...
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=1000)
    >>> y = (0.5 + x + rng.normal(size=1000) > 0).astype(float)
    >>> isinstance(Probit(y, x), LikelihoodModel)
    True
    >>> res = fit_model(Probit(y, x))
    >>> res.params.round(4).tolist(), res.std_errors.round(4).tolist()
    ([0.4382, 0.9357], [0.0477, 0.0622])
    >>> import statsmodels.api as sm
    >>> check = sm.Probit(y, sm.add_constant(x)).fit(disp=0, cov_type="HC0")
    >>> check.params.round(4).tolist(), check.bse.round(4).tolist()
    ([0.4382, 0.9357], [0.0477, 0.0622])
    """

    @property
    def param_names(self) -> Sequence[str]: ...

    @property
    def nobs(self) -> int: ...

    @property
    def lower_bounds(self) -> np.ndarray: ...

    @property
    def upper_bounds(self) -> np.ndarray: ...

    def start_values(self) -> np.ndarray: ...

    def loglikeobs(self, params: np.ndarray) -> np.ndarray: ...

    def subset(self, rows: np.ndarray) -> LikelihoodModel: ...


@runtime_checkable
class MomentModel(Protocol):
    r"""A model with residuals :math:`u_i(\theta)`, their Jacobian and (optionally) instruments.

    The moment conditions are :math:`E[H_i u_i(\theta_0)] = 0`. ``instruments`` is ``None`` for nonlinear
    least squares (the residuals' own gradient plays the instrument). ``jacobian(params)`` is the
    analytic :math:`\partial u / \partial \theta'` (n x k); return ``None`` to let the engine difference.

    Attributes
    ----------
    param_names
        Names of the parameters.
    nobs
        Number of observations.
    instruments
        Instruments H (n x l), or ``None`` for nonlinear least squares.

    Examples
    --------
    The Nash price equation p = c + beta (v - c) + u on the bundled hospital-insurer agreements, by
    nonlinear least squares (no instruments; the Jacobian of u is -(v - c)). The estimate is the
    least-squares slope sum (v - c)(p - c) / sum (v - c)^2, and the data's true beta is 0.4:

    >>> class PriceSplit:
    ...     param_names = ("beta",)
    ...     instruments = None
    ...     def __init__(self, p, v, c):
    ...         self.p, self.v, self.c = p, v, c
    ...     nobs = property(lambda self: len(self.p))
    ...     def start_values(self):
    ...         return np.array([0.5])
    ...     def residuals(self, params):
    ...         return self.p - self.c - params[0] * (self.v - self.c)
    ...     def jacobian(self, params):
    ...         return -(self.v - self.c)[:, None]
    ...     def subset(self, rows):
    ...         return PriceSplit(self.p[rows], self.v[rows], self.c[rows])
    ...
    >>> df = load_example("hospital_insurer")
    >>> p, v, c = (df[k].to_numpy() for k in ("price", "buyer_value", "seller_cost"))
    >>> isinstance(PriceSplit(p, v, c), MomentModel)
    True
    >>> res = fit_model(PriceSplit(p, v, c))
    >>> round(float(res.params["beta"]), 4), round(float(res.std_errors["beta"]), 4)
    (0.3997, 0.0003)
    >>> round(float((v - c) @ (p - c) / ((v - c) @ (v - c))), 4)
    0.3997
    """

    @property
    def param_names(self) -> Sequence[str]: ...

    @property
    def nobs(self) -> int: ...

    @property
    def instruments(self) -> np.ndarray | None: ...

    def start_values(self) -> np.ndarray: ...

    def residuals(self, params: np.ndarray) -> np.ndarray: ...

    def jacobian(self, params: np.ndarray) -> np.ndarray | None: ...

    def subset(self, rows: np.ndarray) -> MomentModel: ...


@runtime_checkable
class MinimumDistanceModel(Protocol):
    r"""Cell (or other summary) moments matched by minimum distance.

    ``data_moments`` (m,) are the sample moments and ``influence`` (n x m) their influence functions,
    :math:`\hat m - m_0 = \sum_i \psi_i + o_p(n^{-1/2})`, so that :math:`\hat\Omega = \sum_i \psi_i\psi_i'`
    (or the sum over clusters of the within-cluster sums) estimates their covariance.
    ``model_moments(params)`` (m,) are the model's. ``recentered_influence(params)`` (optional) gives the
    influence functions centred at the model's moments, for two-step weighting.

    Attributes
    ----------
    param_names
        Names of the parameters.
    nobs
        Number of observations.
    data_moments
        Sample moments (m,).
    influence
        Their influence functions (n x m).

    Examples
    --------
    The seller's share of the gains, (p - c) / (v - c), averaged by insurer in the bundled hospital-insurer
    data: four cell means, each equal to beta under the model. With optimal weights the estimate is the
    inverse-variance weighted mean of the cell means, and the J statistic (3 degrees of freedom) tests
    that the four are equal. The influence function of a cell mean is (x_i - mean) / n_cell for the cell's
    rows and 0 elsewhere:

    >>> class CellShares:
    ...     param_names = ("beta",)
    ...     lower_bounds, upper_bounds = np.zeros(1), np.ones(1)
    ...     def __init__(self, share, cell):
    ...         self.share, self.cell = share, cell
    ...         self.cells = np.unique(cell)
    ...     nobs = property(lambda self: len(self.share))
    ...     @property
    ...     def data_moments(self):
    ...         return np.array([self.share[self.cell == k].mean() for k in self.cells])
    ...     @property
    ...     def influence(self):
    ...         return np.column_stack([
    ...             np.where(self.cell == k, self.share - m, 0.0) / np.sum(self.cell == k)
    ...             for k, m in zip(self.cells, self.data_moments)])
    ...     def start_values(self):
    ...         return np.array([0.5])
    ...     def model_moments(self, params):
    ...         return np.full(len(self.cells), params[0])
    ...     def subset(self, rows):
    ...         return CellShares(self.share[rows], self.cell[rows])
    ...
    >>> df = load_example("hospital_insurer")
    >>> share = ((df.price - df.seller_cost) / (df.buyer_value - df.seller_cost)).to_numpy()
    >>> model = CellShares(share, df.insurer.to_numpy())
    >>> isinstance(model, MinimumDistanceModel)
    True
    >>> res = fit_model(model)
    >>> round(float(res.params["beta"]), 4), round(res.diagnostics["J p-value"], 2)
    (0.3994, 0.75)
    >>> precision = 1 / (model.influence**2).sum(axis=0)
    >>> round(float(precision @ model.data_moments / precision.sum()), 4)
    0.3994
    """

    @property
    def param_names(self) -> Sequence[str]: ...

    @property
    def nobs(self) -> int: ...

    @property
    def lower_bounds(self) -> np.ndarray: ...

    @property
    def upper_bounds(self) -> np.ndarray: ...

    @property
    def data_moments(self) -> np.ndarray: ...

    @property
    def influence(self) -> np.ndarray: ...

    def start_values(self) -> np.ndarray: ...

    def model_moments(self, params: np.ndarray) -> np.ndarray: ...

    def subset(self, rows: np.ndarray) -> MinimumDistanceModel: ...


def moment_contributions(model: MomentModel, params: np.ndarray) -> np.ndarray:
    r"""Per-observation moment contributions :math:`g_i = H_i u_i(\theta)` (n x m) of a moment model.

    Without instruments, :math:`H_i = -\partial u_i / \partial \theta` (the least-squares normal equations).
    """
    u = np.asarray(model.residuals(params), dtype=float)
    h: Any = model.instruments
    if h is None:
        jac = model.jacobian(params)
        if jac is None:
            raise ValueError("a moment model without instruments needs an analytic jacobian")
        h = -np.asarray(jac, dtype=float)
    return np.asarray(h, dtype=float) * u[:, None]
