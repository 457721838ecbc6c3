"""Supplier allocations with different preferences theta_j on one grid of (v, Lambda) shared by all suppliers.

The second way of :class:`~bargaining.models.mechanism.theta_suppliers.ThetaSuppliers` to compute the 2-D
integrals of the one-buyer market with preferences (appendix C.2-C.3 of Loertscher and Marx), used when every
supplier's virtual cost is strictly increasing (no ironing) and its slope is known in closed form.

Given the buyer's value v (virtual value phi = Phi(v)), supplier j's virtual surplus
Lambda_j = theta_j phi - Gamma_j(c_j) has the density g_j(c) / Gamma_j'(c) at lam, where
c = Gamma_j^{-1}(theta_j phi - lam), and supplier l ranks ahead of j iff Lambda_l > Lambda_j, with
probability p_l(lam) = G_l(Gamma_l^{-1}(theta_l phi - lam)). Changing variables from c_j to lam,

    E[h(v, c_j) Q_j] = int f(v) int h(v, c_j(lam)) q_j(phi, lam) g_j(c_j) / Gamma_j'(c_j) dlam dv,

where q_j depends on the other suppliers only through their p_l(lam). The inner grid in lam is the same for
every supplier: its panels end where some p_l or density has a kink (theta_l phi minus a level of Gamma_l)
and where position r starts to be bought (lam = d_r phi). Each node costs one inversion per supplier and
serves all of them, so with about n panels per v the work grows like n^2 (the per-supplier grids over
(v, c_j) need n - 1 inversions at each of about n^2 nodes). The count of other suppliers' units ahead of j
comes from prefix and suffix convolutions (leave-one-out without division).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bargaining.models.mechanism.integrals import (
    _NODES,
    _WG,
    _WK,
    integrate_many,
    leave_one_out_pmfs,
    mapped_edges,
)
from bargaining.models.mechanism.level_terms import (
    finite_level,
    has_closed_form_slope,
    level_terms,
    power_at_end,
)
from bargaining.models.mechanism.types import AgentView

__all__ = ["SharedGridSuppliers", "shared_grid_applies"]

_T = 0.5 * (_NODES + 1.0)
# "smootherstep" images of the Gauss-Kronrod nodes on [0, 1]: s(t) = 10t^3 - 15t^4 + 6t^5, s' = 30 t^2 (1-t)^2.
# Its vanishing derivative at both ends absorbs endpoint singularities of the integrands (powers of the
# distance to a support end) that plain Gauss-Kronrod integrates only to ~1e-5.
STEP_NODES = 10 * _T**3 - 15 * _T**4 + 6 * _T**5
STEP_WK = 0.5 * _WK * 30 * _T**2 * (1 - _T) ** 2
STEP_WG = 0.5 * _WG * 30 * _T**2 * (1 - _T) ** 2
_WARM_KEY = ("S", -1)
_PARTS = 8


def shared_grid_applies(vs: Sequence[AgentView]) -> bool:
    """Whether every supplier's virtual cost is unironed with a closed-form slope, finite at the bottom of the
    support, and its density ends like a power the fixed inner rule resolves (:func:`_smooth_end`)."""
    for view in vs:
        if not has_closed_form_slope(view) or finite_level(view, view.low) is None:
            return False
        ends = ["low"] if finite_level(view, view.high) is None else ["low", "high"]
        if not all(_smooth_end(power_at_end(view, end)) for end in ends):
            return False
    return True


def _smooth_end(alpha: float) -> bool:
    """Whether a density like t^alpha at a support end (t the distance to it) is resolved by the fixed inner
    rule: alpha a non-negative integer or at least 2.5, which the smootherstep nodes integrate to about 1e-13
    relative (alpha = 1.5: 2e-12, 0.5: 6e-10, -0.3: 1e-6). Other laws keep the per-supplier grids, whose
    adaptive outer rule handles them.
    """
    if not np.isfinite(alpha):
        return False
    return alpha > 2.49 or (alpha > -0.5 and abs(alpha - round(alpha)) < 1e-6)


class SharedGridSuppliers:
    """The (v, Lambda) computation of the suppliers' 2-D integrals (mixed into ThetaSuppliers)."""

    buyer: Any
    theta: np.ndarray
    d: np.ndarray
    ks: np.ndarray
    positions: int
    has_discounts: bool
    atol: float
    rtol: float
    inner_split: int
    warm: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] | None
    _outer_edges: dict[tuple[Any, ...], list[np.ndarray | None]]

    def _lambda_lines(self, vs: list[AgentView]) -> tuple[list[tuple[float, float]], np.ndarray]:
        """Lines lam = slope * phi - intercept where the inner integrand over lam has a kink or jump, and each
        supplier's top line intercept Gamma_l(low) (its virtual surplus is at most theta_l phi - Gamma_l(low))."""
        lines = [(float(self.theta[l]), float(level)) for l, view in enumerate(vs) for level in view.levels()]
        lines += [(float(self.d[r]), 0.0) for r in range(self.positions)]
        bottoms = np.array([float(view.virtual(np.array([view.low]))[0]) for view in vs])
        return lines, bottoms

    def _outer_breaks(self, vb: AgentView, lines: list[tuple[float, float]], bottoms: np.ndarray) -> list[float]:
        """Buyer's values where two lines cross inside the live region of lam (the inner integral changes form)."""
        phis: list[float] = [0.0] if self.has_discounts else []
        d = self.d[: self.positions]
        for p in range(len(lines)):
            for q in range(p + 1, len(lines)):
                (s1, i1), (s2, i2) = lines[p], lines[q]
                if s1 == s2:
                    continue
                phi = (i1 - i2) / (s1 - s2)
                lam = s1 * phi - i1
                if np.isfinite(phi) and np.min(d * phi) - 1e-12 <= lam <= np.max(self.theta * phi - bottoms) + 1e-12:
                    phis.append(float(phi))
        pts = vb.own_points()
        if phis:
            pts += [float(x) for x in vb.inverse(np.asarray(phis))]
        return pts

    def _inner_lambda(self, x: np.ndarray, vb: AgentView, vs: list[AgentView], lines: list[tuple[float, float]],
                      bottoms: np.ndarray) -> np.ndarray:
        """At buyer values x: for every supplier j, the integrals over lam of q_j times the density of Lambda_j,
        times c_j, of q_j G_j / Gamma_j', and the inner rule's error estimate (shape (4, n, len(x)))."""
        n, m, cap = len(vs), x.size, self.positions
        phi = vb.virtual(x)
        slopes = np.array([s for s, _ in lines])
        intercepts = np.array([i for _, i in lines])
        d = self.d[:cap]
        lower = np.min(d[:, None] * phi[None, :], axis=0)
        upper = np.max(self.theta[:, None] * phi[None, :] - bottoms[:, None], axis=0)
        if self.has_discounts:
            upper = np.where(phi > 0, upper, lower)
        upper = np.maximum(upper, lower)
        kinks = np.clip(slopes[None, :] * phi[:, None] - intercepts[None, :], lower[:, None], upper[:, None])
        edges = np.sort(np.concatenate([lower[:, None], kinks, upper[:, None]], axis=1), axis=1)
        lo, hi = edges[:, :-1], edges[:, 1:]
        row, pan = np.nonzero(hi > lo)
        lo_f, hi_f, col = lo[row, pan], hi[row, pan], row
        out = np.zeros((4, n, m))
        if col.size == 0:
            return out
        # A wide panel gets several parts: the smootherstep nodes are sparse in a panel's middle, where the
        # product of the others' probabilities can vary a lot (panels at most 1/PARTS of the range); certify
        # halves every part (inner_split = 2).
        span = (upper - lower)[col]
        parts = self.inner_split * np.ceil(_PARTS * (hi_f - lo_f) / np.where(span > 0, span, 1.0)).astype(int)
        parts = np.maximum(parts, 1)
        col = np.repeat(col, parts)
        first = np.cumsum(parts) - parts
        index = np.arange(col.size) - np.repeat(first, parts)  # part index within its panel
        step = np.repeat((hi_f - lo_f) / parts, parts)
        lo_f = np.repeat(lo_f, parts) + index * step
        hi_f = lo_f + step
        lam = (lo_f[:, None] + (hi_f - lo_f)[:, None] * STEP_NODES).ravel()
        node_phi = np.repeat(phi[col], STEP_NODES.size)
        terms = [level_terms(view, self.theta[l] * node_phi - lam) for l, view in enumerate(vs)]
        c = np.stack([t[0] for t in terms])
        ahead = np.stack([t[1] for t in terms])
        dens = np.stack([t[2] for t in terms])
        rent = np.stack([t[3] for t in terms])
        pmf = leave_one_out_pmfs(ahead, self.ks, cap)  # (n, cap + 1, nodes)
        bought = np.zeros((cap + 1, lam.size))
        for r in range(1, cap + 1):
            bought[r] = lam >= d[r - 1] * node_phi
        cum = np.cumsum(bought, axis=0)
        rows = np.arange(cap + 1)
        q = np.empty((n, lam.size))
        for j in range(n):  # j's units are positions s + 1 .. s + k_j when s units rank ahead of it
            q[j] = np.sum(pmf[j] * (cum[np.minimum(rows + int(self.ks[j]), cap)] - cum), axis=0)
        width = (hi_f - lo_f)[:, None]
        wk = (width * STEP_WK).ravel()
        wd = (width * (STEP_WK - STEP_WG)).ravel()
        panels = col.size
        traded = q * dens
        sums = [
            (traded * wk).reshape(n, panels, -1).sum(axis=2),
            (traded * c * wk).reshape(n, panels, -1).sum(axis=2),
            (q * rent * wk).reshape(n, panels, -1).sum(axis=2),
            np.abs((traded * wd).reshape(n, panels, -1).sum(axis=2)),
        ]
        for k, per_panel in enumerate(sums):
            for j in range(n):
                out[k, j] = np.bincount(col, weights=per_panel[j], minlength=m)
        return out

    def _suppliers_shared(self, vb: AgentView, vs: list[AgentView], key: tuple[Any, ...],
                          initial: Sequence[np.ndarray | None] | None = None) -> tuple[np.ndarray, float, float, bool]:
        """All suppliers' integrals on the shared grid: the same returns as ThetaSuppliers._suppliers_2d."""
        n = len(vs)
        lines, bottoms = self._lambda_lines(vs)
        points = self._outer_breaks(vb, lines, bottoms)
        breaks = np.unique(np.asarray([p for p in points if np.isfinite(p)], dtype=float))
        if initial is None and self.warm is not None:
            initial = [mapped_edges(self.warm.get(_WARM_KEY), breaks)]
        theta = self.theta[:, None]

        def integrand(x: np.ndarray, owner: np.ndarray) -> np.ndarray:
            inner = self._inner_lambda(x, vb, vs, lines, bottoms)
            dens = np.asarray(self.buyer.pdf(x), dtype=float)[None, :]
            tail = np.asarray(self.buyer.sf(x), dtype=float)[None, :]
            return np.concatenate([
                dens * inner[0],  # E[Q_j]
                dens * inner[1],  # E[c Q_j]
                dens * inner[2],  # E[G_j/g_j Q_j]
                theta * x[None, :] * dens * inner[0],  # E[theta_j v Q_j]
                theta * tail * inner[0],  # E[theta_j (1 - F)/f Q_j]
                dens * inner[3],  # error estimate of the inner rule, carried into the accuracy
            ])

        (res,) = integrate_many(integrand, [list(breaks)], atol=self.atol, rtol=self.rtol,
                                initial=initial, tested=5 * n)
        if self.warm is not None and res.edges is not None:
            self.warm[_WARM_KEY] = (breaks, res.edges)
        if len(self._outer_edges) >= 32:
            self._outer_edges.clear()
        self._outer_edges[key] = [res.edges]
        values = res.value[: 5 * n].reshape(5, n)
        outer = float(np.sum(res.error[: 5 * n]))
        reach = max(1.0, abs(self.buyer.high), abs(self.buyer.low), *(max(abs(v.low), abs(v.high)) for v in vs))
        estimate = res.value[5 * n:] + res.error[5 * n:]  # its own outer error added to be safe
        inner = float(np.sum(estimate * reach * np.maximum(self.theta, 1.0)))
        return values, outer, inner, res.converged
