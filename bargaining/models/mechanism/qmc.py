"""Randomized quasi-Monte Carlo evaluation of the Loertscher-Marx allocation (fallback and cross-check).

Types are drawn as quantiles of scrambled Sobol points (``scipy.stats.qmc.Sobol``), in R independent
scrambles (replicates). The draws are fixed once per market, so the budget is a deterministic (step)
function of rho and the root search is well defined. Each expectation is the mean over all draws; its
error estimate is 3 standard errors of the R replicate means (replicates are independent and identically
distributed, so the spread between them measures the integration error honestly).

Rents are estimated as E[(1 - F(v))/f(v) theta_X] and E[G(c)/g(c) Q]; where a density vanishes at the
end of a support this estimator has a heavy tail, which the replicate spread reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from bargaining.models.mechanism.allocation import ExPostAllocation
from bargaining.models.mechanism.protocol import Evaluation, MechanismEngine

__all__ = ["QMCEngine"]


class QMCEngine(MechanismEngine):
    """Expectations of the allocation by randomized QMC.

    Parameters
    ----------
    buyers, suppliers
        Type distributions (with ``quantile``, ``pdf``, ``cdf``, ``sf``).
    allocate
        Callable (values (n, n_B), costs (n, n_S), buyer_ratios, supplier_ratios) -> ExPostAllocation.
    points
        Draws per replicate (rounded up to a power of 2).
    replicates
        Independent scrambles (>= 2 for an error estimate).
    seed
        Seed of the scrambles.
    """

    method = "qmc"

    def __init__(
        self,
        buyers: Sequence[Any],
        suppliers: Sequence[Any],
        allocate: Any,
        *,
        points: int,
        replicates: int,
        seed: Any,
    ) -> None:
        self.buyers, self.suppliers = list(buyers), list(suppliers)
        self._allocate = allocate
        nb, ns = len(self.buyers), len(self.suppliers)
        m = int(np.ceil(np.log2(max(int(points), 2))))
        rng = np.random.default_rng(seed)
        blocks = []
        for _ in range(int(replicates)):
            sobol = qmc.Sobol(d=nb + ns, scramble=True, seed=rng)
            blocks.append(sobol.random_base2(m))
        u = np.concatenate(blocks, axis=0)
        # keep u strictly inside (0, 1): quantiles at 0 or 1 are the support ends
        u = np.clip(u, 1e-15, 1.0 - 1e-15)
        self.replicates = int(replicates)
        self.per = 2**m
        self.values = np.column_stack([np.asarray(d.quantile(u[:, i]), dtype=float) for i, d in enumerate(self.buyers)])
        self.costs = np.column_stack(
            [np.asarray(d.quantile(u[:, nb + j]), dtype=float) for j, d in enumerate(self.suppliers)]
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            self.buyer_rent_factor = np.column_stack(
                [np.asarray(d.sf(self.values[:, i]), dtype=float) / np.asarray(d.pdf(self.values[:, i]), dtype=float)
                 for i, d in enumerate(self.buyers)]
            )
            self.supplier_rent_factor = np.column_stack(
                [np.asarray(d.cdf(self.costs[:, j]), dtype=float) / np.asarray(d.pdf(self.costs[:, j]), dtype=float)
                 for j, d in enumerate(self.suppliers)]
            )

    def _means(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean over all draws and 3 standard errors from the replicate means; x is (n, k)."""
        reps = x.reshape(self.replicates, self.per, -1).mean(axis=1)
        mean = reps.mean(axis=0)
        if self.replicates > 1:
            se = reps.std(axis=0, ddof=1) / np.sqrt(self.replicates)
        else:
            se = np.full_like(mean, np.inf)
        return mean, 3.0 * se

    def evaluate(self, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray) -> Evaluation:
        alloc: ExPostAllocation = self._allocate(self.values, self.costs, buyer_ratios, supplier_ratios)
        bq, sq, bv = alloc.buyer_units, alloc.supplier_units, alloc.buyer_value_units
        brent = np.where(bv != 0.0, self.buyer_rent_factor * bv, 0.0)
        srent = np.where(sq != 0.0, self.supplier_rent_factor * sq, 0.0)
        nb, ns = bq.shape[1], sq.shape[1]
        budget = (self.values * bv).sum(axis=1) - brent.sum(axis=1) - (self.costs * sq).sum(axis=1) - srent.sum(axis=1)
        welfare = (self.values * bv).sum(axis=1) - (self.costs * sq).sum(axis=1)
        stacked = np.column_stack([bq, self.values * bv, brent, sq, self.costs * sq, srent, budget, welfare])
        mean, err = self._means(stacked)
        parts = np.split(mean, np.cumsum([nb, nb, nb, ns, ns, ns, 1]))
        errs = np.split(err, np.cumsum([nb, nb, nb, ns, ns, ns, 1]))
        # the error of each aggregate is bounded by the sum of its parts' errors; report the largest
        error = float(max(errs[6][0], errs[7][0], np.sum(errs[2]) + np.sum(errs[5]), np.max(np.concatenate(errs))))
        return Evaluation(
            parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], error, True, method="qmc",
            details={"draws": self.values.shape[0], "replicates": self.replicates},
        )

    def interim(self, side: str, i: int, types: np.ndarray, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray,
                draws: int = 4096) -> np.ndarray:
        """Interim expected units of agent i at each type, averaging over the first ``draws`` QMC draws."""
        x = np.asarray(types, dtype=float).ravel()
        n = min(draws, self.values.shape[0])
        out = np.empty(x.size)
        for k, t in enumerate(x):
            values, costs = self.values[:n].copy(), self.costs[:n].copy()
            if side == "B":
                values[:, i] = t
            else:
                costs[:, i] = t
            alloc = self._allocate(values, costs, buyer_ratios, supplier_ratios)
            units = alloc.buyer_units if side == "B" else alloc.supplier_units
            out[k] = units[:, i].mean()
        return out.reshape(np.shape(types))
