r"""The wild restricted efficient (WRE) cluster bootstrap of Davidson and MacKinnon (2010) for linear 2SLS.

Model :math:`y = X\beta + u` with :math:`X = [X_1, Y_2]` (exogenous :math:`X_1`, endogenous :math:`Y_2`) and
instruments :math:`Z = [X_1, Z_2]`; G clusters; :math:`H_0: \beta_j = b_0`.

1. Restricted 2SLS :math:`\tilde\beta` (:math:`\beta_j = b_0`), residuals :math:`\tilde u`.
2. The reduced form of the endogenous regressors estimated efficiently under the null: regress :math:`Y_2`
   on :math:`[Z, \tilde u]`; :math:`\tilde\Pi` are the coefficients on Z and :math:`\tilde V = Y_2 - Z\tilde\Pi`.
3. For each draw b, one weight :math:`v_{gb}` per cluster (Webb below 12 clusters, Rademacher above; the
   generator of :mod:`bargaining.estimate.engines.wild_bootstrap`) multiplies *both* residuals:
   :math:`Y_2^* = Z\tilde\Pi + \tilde V\circ v`, :math:`y^* = [X_1, Y_2^*]\tilde\beta + \tilde u\circ v`.
4. 2SLS on the bootstrap sample and its clustered Wald t (the package's CR1 small-sample factor), against the
   data's; the p-value is the share of :math:`|t^*_b| \ge |t|`. Intervals invert the test (bisection on each
   side of the estimate, the same weights for every b0).

Unlike the wild bootstrap that holds the endogenous regressors fixed (the score bootstrap of
:mod:`bargaining.estimate.engines.wild_score` for 2SLS), the WRE reproduces the correlation between the
structural and first-stage errors, which is what keeps it reliable with weak instruments (Davidson and
MacKinnon 2010). All B refits are computed at once from per-cluster cross products
(:math:`Z_g'Z_g`, :math:`Z_g'X_{1g}`, :math:`Z_g'\tilde u_g`, :math:`Z_g'\tilde V_g`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bargaining.errors import IdentificationError, InvalidParameterError
from bargaining.estimate.engines.covariance import cluster_small_sample_factor
from bargaining.estimate.engines.wild_bootstrap import invert_test, wild_weights

__all__ = ["WildRestrictedEfficient"]


def _per_cluster(left: np.ndarray, right: np.ndarray, clusters: np.ndarray, n_clusters: int) -> np.ndarray:
    """(G, p, q): sum over i in g of left_i right_i'."""
    out = np.zeros((n_clusters, left.shape[1], right.shape[1]))
    np.add.at(out, clusters, left[:, :, None] * right[:, None, :])
    return out


@dataclass
class WildRestrictedEfficient:
    """WRE bootstrap tests and intervals for the coefficients of a linear 2SLS regression (module docstring).

    Parameters
    ----------
    y
        Dependent variable (n,).
    exog
        Exogenous regressors X1 (n, k1), or None; they instrument themselves.
    endog
        Endogenous regressors Y2 (n, k2).
    excluded
        Excluded instruments Z2 (n, l2), l2 >= k2.
    clusters
        Integer cluster codes 0..G-1.
    reps, weights, seed
        Draws B, ``"webb"``/``"rademacher"`` (default Webb below 12 clusters) and the seed of the weights.

    Coefficients are ordered (exog..., endog...).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(10), 30)
    >>> z = rng.normal(size=(300, 2))
    >>> e = rng.normal(size=300)
    >>> x = z @ [1.0, 0.5] + e + rng.normal(size=300)
    >>> y = 1.0 + 0.5 * x + e + rng.normal(size=300)
    >>> wre = WildRestrictedEfficient(y, np.ones((300, 1)), x[:, None], z, g, reps=199, seed=1)
    >>> wre.pvalue(1, 0.5) > 0.05, wre.pvalue(1, 0.0) < 0.01
    (True, True)
    """

    y: np.ndarray
    exog: np.ndarray | None
    endog: np.ndarray
    excluded: np.ndarray
    clusters: np.ndarray
    reps: int = 999
    weights: str | None = None
    seed: int | np.random.Generator | np.random.SeedSequence | None = None

    def __post_init__(self) -> None:
        self.y = np.asarray(self.y, dtype=float)
        self.endog = np.asarray(self.endog, dtype=float)
        n = self.y.size
        exog = np.zeros((n, 0)) if self.exog is None else np.asarray(self.exog, dtype=float)
        self._x = np.hstack([exog, self.endog])
        self._z = np.hstack([exog, np.asarray(self.excluded, dtype=float)])
        self._k1 = exog.shape[1]
        k, l_ = self._x.shape[1], self._z.shape[1]
        if l_ < k:
            raise IdentificationError(f"{l_} instruments for {k} coefficients", hint="add excluded instruments")
        self.clusters = np.asarray(self.clusters).astype(np.int64)
        self.n_clusters = int(self.clusters.max()) + 1 if self.clusters.size else 0
        if self.n_clusters < 2:
            raise IdentificationError(
                f"the wild cluster bootstrap needs at least 2 clusters, got {self.n_clusters}",
                hint="pass cluster=COLUMN with several clusters, or use cov_type='robust'",
            )
        if isinstance(self.reps, bool) or int(self.reps) < 2:
            raise InvalidParameterError(f"reps={self.reps!r} is too few draws", hint="use e.g. bootstrap=999")
        self.weight_kind = self.weights or ("webb" if self.n_clusters < 12 else "rademacher")
        self._v = wild_weights(self.weight_kind, self.n_clusters, int(self.reps), np.random.default_rng(self.seed))
        self._factor = cluster_small_sample_factor(n, k, self.n_clusters)
        self._zz_inv = np.linalg.inv(self._z.T @ self._z)
        self._zz_g = _per_cluster(self._z, self._z, self.clusters, self.n_clusters)
        self._zx1_g = _per_cluster(self._z, exog, self.clusters, self.n_clusters)
        zx_g = _per_cluster(self._z, self._x, self.clusters, self.n_clusters)
        zy_g = _per_cluster(self._z, self.y[:, None], self.clusters, self.n_clusters)[:, :, 0]
        beta, se = self._tsls(zx_g[:, :, :, None], zy_g[:, :, None])
        self._beta, self._se_hat = beta[:, 0], se[:, 0]

    def _tsls(self, zx_g: np.ndarray, zy_g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """2SLS estimates (k, B) and clustered standard errors (k, B) from per-cluster cross products
        Z_g'X_g (G, l, k, B) and Z_g'y_g (G, l, B)."""
        zx = zx_g.sum(axis=0)  # (l, k, B)
        zy = zy_g.sum(axis=0)  # (l, B)
        pi = np.einsum("lm,mkb->lkb", self._zz_inv, zx)  # (Z'Z)^-1 Z'X
        bread = np.einsum("lkb,lqb->bkq", zx, pi)  # X'P_Z X, (B, k, k)
        rhs = np.einsum("lkb,lb->bk", pi, zy)  # X'P_Z y
        bread_inv = np.linalg.inv(bread)
        beta = np.einsum("bkq,bq->kb", bread_inv, rhs)
        # cluster sums of xhat_i u_i: Pi' (Z_g'y_g - Z_g'X_g beta)
        zu_g = zy_g - np.einsum("glkb,kb->glb", zx_g, beta)
        scores = np.einsum("lkb,glb->gkb", pi, zu_g)
        projected = np.einsum("bjk,gkb->gjb", bread_inv, scores)  # rows of (X'P_Z X)^-1 times the sums
        se = np.sqrt(self._factor * np.sum(projected**2, axis=0))  # (k, B)
        return beta, se

    def pvalue(self, j: int, b0: float = 0.0) -> float:
        """WRE bootstrap p-value of H0: beta_j = b0 (symmetric, |t*| >= |t|)."""
        x, z, y = self._x, self._z, self.y
        k = x.shape[1]
        others = [m for m in range(k) if m != j]
        beta_r = np.zeros(k)
        beta_r[j] = b0
        if others:
            xhat = z @ (self._zz_inv @ (z.T @ x[:, others]))
            beta_r[others] = np.linalg.solve(xhat.T @ x[:, others], xhat.T @ (y - b0 * x[:, j]))
        u_r = y - x @ beta_r
        # reduced form of the endogenous regressors on [Z, u~]; Pi~ the coefficients on Z
        coef = np.linalg.lstsq(np.hstack([z, u_r[:, None]]), self.endog, rcond=None)[0]
        pi_r = coef[: z.shape[1]]
        v_r = self.endog - z @ pi_r
        g = self.clusters
        zu_g = _per_cluster(z, u_r[:, None], g, self.n_clusters)[:, :, 0]  # (G, l)
        zv_g = _per_cluster(z, v_r, g, self.n_clusters)  # (G, l, k2)
        zzpi_g = np.einsum("glm,mk->glk", self._zz_g, pi_r)
        stars = []
        for start in range(0, self._v.shape[1], 256):  # draws in chunks: memory G x l x k x 256
            v = self._v[:, start : start + 256]
            # Z_g'X*_g = [Z_g'X1_g, Z_g'Z_g Pi~ + v_g Z_g'V~_g] and Z_g'y*_g = Z_g'X*_g beta~ + v_g Z_g'u~_g
            zy2_g = zzpi_g[:, :, :, None] + zv_g[:, :, :, None] * v[:, None, None, :]
            zx1_g = np.broadcast_to(self._zx1_g[:, :, :, None], (*self._zx1_g.shape, v.shape[1]))
            zx_g = np.concatenate([zx1_g, zy2_g], axis=2)  # (G, l, k, b)
            zy_g = np.einsum("glkb,k->glb", zx_g, beta_r) + zu_g[:, :, None] * v[:, None, :]
            beta, se = self._tsls(zx_g, zy_g)
            with np.errstate(divide="ignore", invalid="ignore"):
                stars.append(np.where(se[j] > 0, (beta[j] - b0) / se[j], 0.0))
        t = (self._beta[j] - b0) / self._se_hat[j]
        return float(np.mean(np.abs(np.concatenate(stars)) >= abs(t)))

    def conf_int(self, j: int, level: float = 0.95) -> tuple[float, float]:
        """Interval of the b0 not rejected at 1 - level, by bisection on each side of the estimate."""
        alpha = 1.0 - float(level)
        estimate, se = float(self._beta[j]), float(self._se_hat[j])
        if not se > 0:
            raise IdentificationError(
                "the clustered standard error is zero; no interval can be inverted",
                hint="the coefficient is fit exactly (no residual variation within clusters)",
            )

        # unbounded ends are kept: with weak instruments the WRE can leave an interval unbounded (as it should)
        return invert_test(lambda b0: self.pvalue(j, b0), estimate, se, alpha, xtol=1e-3 * se)
