r"""Wild cluster restricted bootstrap (WCR) for linear least-squares coefficients.

For a linear model :math:`y = X\beta + u` with G clusters and the hypothesis :math:`H_0: \beta_j = b_0`
(Cameron, Gelbach and Miller 2008; Roodman, MacKinnon, Nielsen and Webb 2019, "Fast and wild"):

1. Fit under the null: :math:`\tilde\beta` minimizes :math:`\|y - X\beta\|` subject to :math:`\beta_j = b_0`;
   restricted residuals :math:`\tilde u`.
2. For b = 1..B draw one weight :math:`v_{gb}` per cluster (Rademacher: +-1; Webb: six points
   +-sqrt(1/2), +-1, +-sqrt(3/2), better with fewer than about 12 clusters) and form
   :math:`y^*_b = X\tilde\beta + \tilde u \circ v_{g(i)b}`.
3. Refit by OLS and compute :math:`t^*_b = (\beta^*_{jb} - b_0)/se^*_{jb}` with the same small-sample
   clustered standard error as the data's t statistic.
4. The p-value is the share of :math:`|t^*_b| \ge |t|`; confidence intervals collect the :math:`b_0` that are
   not rejected (test inversion, by bisection on each side, with the same weights for every :math:`b_0`).

Everything is linear in the weights: with :math:`A = (X'X)^{-1}`, :math:`w = X A e_j` and
:math:`E = \tilde u \circ V` (n x B), :math:`\beta^*_j - b_0 = w'E` and the bootstrap residuals are
:math:`M_X E`, so all B statistics come from a few matrix products.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import optimize

from bargaining.errors import IdentificationError, InvalidParameterError
from bargaining.estimate.engines.covariance import cluster_small_sample_factor, cluster_sums

__all__ = ["WILD_WEIGHTS", "WildClusterBootstrap", "WildInference", "WildTest", "wild_weights"]

WILD_WEIGHTS = ("rademacher", "webb")


def wild_weights(kind: str, clusters: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """(clusters, reps) wild bootstrap weights: Rademacher (+-1) or Webb's six points, drawn by ``rng.choice``."""
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(clusters, reps))
    if kind == "webb":
        points = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
        return rng.choice(points, size=(clusters, reps))
    raise InvalidParameterError(f"unknown wild bootstrap weights {kind!r}", hint=f"use one of {WILD_WEIGHTS}")


@dataclass
class WildClusterBootstrap:
    """Wild cluster restricted bootstrap tests and intervals for the coefficients of y = X beta + u.

    Parameters
    ----------
    y, regressors
        Dependent variable (n,) and regressors X (n, k), full column rank.
    clusters
        Integer cluster codes 0..G-1.
    reps
        Bootstrap draws B.
    weights
        ``"webb"`` or ``"rademacher"``; default Webb below 12 clusters (Rademacher has only 2^G distinct
        draws there), Rademacher otherwise.
    seed
        Seed of the weights (the same weights serve every hypothesis, so intervals are well defined).
    """

    y: np.ndarray
    regressors: np.ndarray
    clusters: np.ndarray
    reps: int = 999
    weights: str | None = None
    seed: int | np.random.Generator | np.random.SeedSequence | None = None

    def __post_init__(self) -> None:
        self.y = np.asarray(self.y, dtype=float)
        self.regressors = np.asarray(self.regressors, dtype=float)
        self.clusters = np.asarray(self.clusters, dtype=np.int64)
        n, k = self.regressors.shape
        self.n_clusters = int(self.clusters.max()) + 1
        if self.n_clusters < 2:
            raise IdentificationError(
                "the wild cluster bootstrap needs at least 2 clusters", hint="use cov_type='robust'"
            )
        kind = self.weights or ("webb" if self.n_clusters < 12 else "rademacher")
        self.weight_kind = kind
        rng = np.random.default_rng(self.seed)
        self._v = wild_weights(kind, self.n_clusters, int(self.reps), rng)[self.clusters]  # (n, B)
        self._inverse = np.linalg.inv(self.regressors.T @ self.regressors)
        self._beta = self._inverse @ self.regressors.T @ self.y
        self._factor = cluster_small_sample_factor(n, k, self.n_clusters)

    def _se(self, w: np.ndarray, residuals: np.ndarray) -> np.ndarray:
        """Clustered standard error of w'(.) for each column of ``residuals`` (n, B) or a vector."""
        r = residuals if residuals.ndim == 2 else residuals[:, None]
        sums = cluster_sums(w[:, None] * r, self.clusters) if r.shape[1] > 0 else np.zeros((0, 0))
        return np.sqrt(self._factor * np.sum(sums**2, axis=0))

    def _t_data(self, j: int, b0: float) -> float:
        w = self.regressors @ self._inverse[:, j]
        residuals = self.y - self.regressors @ self._beta
        return float((self._beta[j] - b0) / self._se(w, residuals)[0])

    def pvalue(self, j: int, b0: float = 0.0) -> float:
        """Bootstrap p-value of H0: beta_j = b0 (symmetric, |t*| >= |t|)."""
        x = self.regressors
        others = [i for i in range(x.shape[1]) if i != j]
        target = self.y - b0 * x[:, j]
        if others:
            restricted = np.linalg.lstsq(x[:, others], target, rcond=None)[0]
            u_tilde = target - x[:, others] @ restricted
        else:
            u_tilde = target
        w = x @ self._inverse[:, j]
        e = u_tilde[:, None] * self._v  # (n, B)
        numerator = w @ e  # beta*_j - b0
        boot_resid = e - x @ (self._inverse @ (x.T @ e))
        t_star = numerator / self._se(w, boot_resid)
        t = self._t_data(j, b0)
        return float(np.mean(np.abs(t_star) >= abs(t)))

    def conf_int(self, j: int, level: float = 0.95) -> tuple[float, float]:
        """Interval of the b0 not rejected at 1 - level, by bisection on each side of the estimate."""
        alpha = 1.0 - level
        estimate = float(self._beta[j])
        w = self.regressors @ self._inverse[:, j]
        se = float(self._se(w, self.y - self.regressors @ self._beta)[0])
        if not se > 0:
            raise IdentificationError(
                "the clustered standard error is zero; no interval can be inverted",
                hint="the coefficient is fit exactly (no residual variation within clusters)",
            )

        # p(b0) is a step function of b0: bisect to a tolerance of 1e-4 standard errors
        return invert_test(lambda b0: self.pvalue(j, b0), estimate, se, alpha, xtol=1e-4 * se)


def invert_test(
    pvalue: Callable[[float], float], estimate: float, se: float, alpha: float, *, xtol: float
) -> tuple[float, float]:
    """The interval of b0 with pvalue(b0) > alpha: on each side of the estimate, steps of 2, 4, 8, ... standard
    errors until the test rejects, then bisection between the last accepted and the first rejected b0. An end
    not reached within 10^6 standard errors is infinite (e.g. the WRE with weak instruments)."""
    ends = []
    for direction in (-1.0, 1.0):
        inner, step = estimate, 2.0 * se
        while True:
            outer = estimate + direction * step
            if pvalue(outer) - alpha <= 0:
                ends.append(optimize.bisect(lambda b0: pvalue(b0) - alpha, inner, outer, xtol=xtol))
                break
            inner, step = outer, 2.0 * step
            if step > 1e6 * se:
                ends.append(direction * math.inf)
                break
    return (float(ends[0]), float(ends[1]))


class WildTest(Protocol):
    """A wild bootstrap test of H0: theta_j = b0 that inverts into intervals (WCR or the score bootstrap)."""

    weight_kind: str

    def pvalue(self, j: int, b0: float = 0.0) -> float: ...

    def conf_int(self, j: int, level: float = 0.95) -> tuple[float, float]: ...


@dataclass
class WildInference:
    """Wild-bootstrap p-values and intervals of named coefficients (for the results' ``resampled_inference``).

    ``columns`` maps a reported parameter name to its column in the regressors (or its position in the
    parameter vector of :class:`~bargaining.estimate.engines.wild_score.WildScoreBootstrap`); intervals are
    cached by level.
    """

    bootstrap: WildTest
    columns: dict[str, int]

    def __post_init__(self) -> None:
        self._intervals: dict[tuple[str, float], tuple[float, float]] = {}
        self._pvalues: dict[str, float] = {}

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def pvalue(self, name: str) -> float:
        if name not in self._pvalues:
            self._pvalues[name] = self.bootstrap.pvalue(self.columns[name], 0.0)
        return self._pvalues[name]

    def conf_int(self, name: str, level: float) -> tuple[float, float]:
        key = (name, round(float(level), 12))
        if key not in self._intervals:
            self._intervals[key] = self.bootstrap.conf_int(self.columns[name], level)
        return self._intervals[key]
