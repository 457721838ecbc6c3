"""Supplier allocations of the one-buyer market with different preferences theta_j: 2-D integrals over (v, c_j).

A mixin of :class:`~bargaining.models.mechanism.engines.OneBuyerEngine` (appendix C.2-C.3 of Loertscher and
Marx). Supplier j's virtual surplus is Lambda_j = theta_j Phi(v) - Gamma_j(c_j); for fixed (v, c_j) another
supplier l ranks ahead iff Gamma_l(c_l) < (theta_l - theta_j) Phi(v) + Gamma_j(c_j), a 1-D cdf, and the r-th
best unit is bought iff Lambda_(r) >= d_r Phi(v). Every expectation of supplier j is

    E[h(v, c_j) Q_j] = int g_j(c) int f(v) h(v, c) q_j(v, c) dv dc,

the inner integral a fixed rule on panels, the outer one adaptive (Gauss-Kronrod 7/15).

Inner integral (over v, for each c). The integrand changes form where Phi(v) crosses a line
phi = alpha + beta Gamma_j(c) (:meth:`ThetaSuppliers._lines`). Only panels of positive width above the
first of them, v_0(c) = Phi^{-1}(Gamma_j(c) / theta_j), are integrated: below v_0, Lambda_j < 0 and
q_j = 0 exactly (the first unit needs Lambda_(1) >= d_1 Phi = 0; with discounts also Phi > 0). Lines that
do not cross the live part of the support therefore cost nothing; the panels kept are gathered into one
flat list over all costs c (a ragged array) and evaluated in one call.

Outer integral (over c_j). All suppliers' outer integrals run together (:func:`integrate_many`, one
integrand call per round). The sixth integrand, the inner rule's own error estimate |K15 - G7| (large and
not smooth in c), is carried along but does not take part in the acceptance test: it only enters the
error bound of an uncertified evaluation, and :meth:`OneBuyerEngine.certify` replaces it. Accepted panels
are kept as a start for the next evaluation (``warm``, as in the separable engine) and for the
certification of the same evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bargaining.models.mechanism.integrals import count_pmf, integrate_many, mapped_edges
from bargaining.models.mechanism.theta_shared import STEP_NODES as _STEP_NODES
from bargaining.models.mechanism.theta_shared import STEP_WG as _STEP_WG
from bargaining.models.mechanism.theta_shared import STEP_WK as _STEP_WK
from bargaining.models.mechanism.theta_shared import SharedGridSuppliers, shared_grid_applies
from bargaining.models.mechanism.types import AgentView, ahead_from

__all__ = ["ThetaSuppliers", "points_from_levels"]

_OUTER_ROWS = 6
_TESTED_ROWS = 5  # the sixth outer integrand (the inner error estimate) is not held to the tolerance
_KEPT_EDGES = 32  # evaluations whose accepted outer panels are kept for certify


def points_from_levels(view: AgentView, levels: Sequence[float]) -> list[float]:
    """Types at which an agent's virtual type crosses each level (plus its own breakpoints)."""
    pts = view.own_points()
    lv = np.asarray([x for x in levels if np.isfinite(x)], dtype=float)
    if lv.size:
        pts += [float(x) for x in view.inverse(lv)]
    return pts


class ThetaSuppliers(SharedGridSuppliers):
    """Supplier side of :class:`~bargaining.models.mechanism.engines.OneBuyerEngine` with different theta_j.

    When every supplier's virtual cost is unironed with a closed-form slope (and its density ends like a power
    the fixed inner rule resolves), the integrals are computed on one (v, Lambda) grid shared by all suppliers
    (:mod:`~bargaining.models.mechanism.theta_shared`, work growing like n^2); otherwise on each supplier's own
    (v, c_j) grid described here (like n^3).
    """

    shared_grid: bool = True  # False forces the per-supplier grids (tests compare the two)
    suppliers: list[Any]  # the other attributes are declared by SharedGridSuppliers

    def _lines(self, j: int, vs: list[AgentView]) -> list[tuple[float, float]]:
        """Lines phi = alpha + beta z in the (Gamma_j, Phi) plane where the integrand over v changes form.

        The first is phi = z / theta_j (Lambda_j = 0) whenever theta_j > 0: :meth:`_inner_all` relies on it.
        """
        lines: list[tuple[float, float]] = []
        for r in range(self.positions):
            s = self.theta[j] - self.d[r]
            if s > 0:
                lines.append((0.0, 1.0 / s))
        for l, view in enumerate(vs):
            if l == j:
                continue
            diff = self.theta[l] - self.theta[j]
            if diff != 0.0:
                for level in view.levels():
                    lines.append((level / diff, -1.0 / diff))
        if self.has_discounts:
            lines.append((0.0, 0.0))
        return lines

    def _given_v_all(self, owner: np.ndarray, phi: np.ndarray, z: np.ndarray, vs: list[AgentView]) -> np.ndarray:
        """E[units of supplier owner[k] | Phi(v) = phi[k], Gamma_owner(c) = z[k]] for every k at once.

        With lam = theta_j phi - z, supplier l ranks ahead of j iff Gamma_l(c_l) < theta_l phi - lam (ties: lower
        index first); the units ahead are a weighted Poisson-binomial count s, position r is bought iff
        lam >= d_r phi (and phi > 0 with discounts), and j's k_j units are positions s+1..s+k_j. Each other
        supplier l is asked about all nodes of all owners in one call (its virtual cost inverted once per
        round); an owner's own row gets probability 0 (a Bernoulli(0) adds nothing to the count).
        """
        cap = self.positions
        lam = self.theta[owner] * phi - z
        p_ahead = np.zeros((len(vs), phi.size))
        for l, view in enumerate(vs):
            need = owner != l
            if np.any(need):
                base, tie = view.at_levels(self.theta[l] * phi[need] - lam[need])
                p_ahead[l, need] = ahead_from(False, base, tie, l < owner[need])
        pmf_s = count_pmf(p_ahead, self.ks, cap)
        a = np.zeros((cap + 1, phi.size))
        for r in range(1, cap + 1):
            a[r] = lam >= self.d[r - 1] * phi
            if self.has_discounts:
                a[r] = np.where(phi > 0, a[r], 0.0)
        cum = np.cumsum(a, axis=0)
        rows = np.arange(cap + 1)[:, None]
        upper = np.take_along_axis(cum, np.minimum(rows + self.ks[owner][None, :], cap), axis=0)
        return np.sum(pmf_s * (upper - cum), axis=0)

    def _inner_v(self, j: int, c: np.ndarray, vb: AgentView, vs: list[AgentView], lines: list[tuple[float, float]],
                 buyer_points: list[float]) -> np.ndarray:
        """For each c: integrals over v of [f, v f, (1 - F)] times E[units of j | v, c], and the inner rule's
        error estimate (shape (4, len(c))); :meth:`_inner_all` for one supplier."""
        c = np.asarray(c, dtype=float).ravel()
        all_lines = [lines if l == j else [] for l in range(len(vs))]
        return self._inner_all(c, np.full(c.size, j), vb, vs, all_lines, buyer_points)

    def _inner_all(self, c: np.ndarray, owner: np.ndarray, vb: AgentView, vs: list[AgentView],
                   lines: list[list[tuple[float, float]]], buyer_points: list[float]) -> np.ndarray:
        """The inner integrals of supplier owner[k] at cost c[k], for every k at once (shape (4, len(c))):
        over v, [f, v f, (1 - F)] times E[units | v, c], and the inner rule's error estimate.

        For each cost, panels run between the buyer's own points and the v where Phi(v) crosses each of the
        owner's lines; only those of positive width above v_0(c) (where Lambda_j = 0, the owner's first line)
        are evaluated, since the integrand vanishes below it. Each panel uses Kronrod nodes pushed towards
        the panel ends by the smootherstep s(t) (see ``_STEP_NODES``), whose derivative vanishes there: it
        absorbs endpoint singularities of the density (Beta(1, 1.5) has sqrt(1 - v)) that plain Gauss-Kronrod
        integrates only to ~1e-5. Gauss-7 on the same nodes gives the (pessimistic) error estimate.
        """
        m = c.size
        z = np.empty(m)
        groups = []
        for j in np.unique(owner):
            at = np.flatnonzero(owner == j)
            z[at] = vs[j].virtual(c[at])
            lj = lines[j]
            phis = np.stack([alpha + beta * z[at] for alpha, beta in lj]) if lj else np.zeros((0, at.size))
            groups.append((int(j), at, phis))
        # every crossing of every owner's lines in one inversion of the buyer's virtual value
        flat = np.concatenate([phis.ravel() for _, _, phis in groups])
        crossings = vb.inverse(flat) if flat.size else flat
        fixed = np.asarray(buyer_points, dtype=float)[:, None]
        los, his, cols = [], [], []
        start = 0
        for j, at, phis in groups:
            vpts = crossings[start:start + phis.size].reshape(phis.shape)
            start += phis.size
            edges = np.sort(np.concatenate([np.repeat(fixed, at.size, axis=1), vpts], axis=0), axis=0)
            lo, hi = edges[:-1], edges[1:]
            live = hi > lo
            if lines[j] and self.theta[j] - self.d[0] > 0:
                live &= hi > vpts[0][None, :]  # above v_0(c): Lambda_j >= 0 (lines[j][0] is phi = z / theta_j)
            pan, col = np.nonzero(live)
            los.append(lo[pan, col])
            his.append(hi[pan, col])
            cols.append(at[col])
        lo_f, hi_f, col = np.concatenate(los), np.concatenate(his), np.concatenate(cols)
        if self.inner_split > 1:  # each panel in equal parts (the refined rule of certify)
            parts = np.arange(self.inner_split + 1) / self.inner_split
            cuts = lo_f[:, None] + (hi_f - lo_f)[:, None] * parts[None, :]
            lo_f, hi_f = cuts[:, :-1].ravel(), cuts[:, 1:].ravel()
            col = np.repeat(col, self.inner_split)
        out = np.zeros((4, m))
        if col.size == 0:
            return out
        x = lo_f[:, None] + (hi_f - lo_f)[:, None] * _STEP_NODES  # (panels, 15)
        flat_x = x.ravel()
        node_col = np.repeat(col, _STEP_NODES.size)
        q = self._given_v_all(owner[node_col], vb.virtual(flat_x), z[node_col], vs).reshape(x.shape)
        dens = np.asarray(self.buyer.pdf(flat_x), dtype=float).reshape(x.shape)
        tail = np.asarray(self.buyer.sf(flat_x), dtype=float).reshape(x.shape)
        width = (hi_f - lo_f)[:, None]
        wk, wg = width * _STEP_WK, width * _STEP_WG
        fq = dens * q
        out[0] = np.bincount(col, weights=np.sum(wk * fq, axis=1), minlength=m)
        out[1] = np.bincount(col, weights=np.sum(wk * x * fq, axis=1), minlength=m)
        out[2] = np.bincount(col, weights=np.sum(wk * tail * q, axis=1), minlength=m)
        out[3] = np.bincount(col, weights=np.abs(np.sum((wk - wg) * fq, axis=1)), minlength=m)
        return out

    def _outer_points(self, j: int, vb: AgentView, vs: list[AgentView], lines: list[tuple[float, float]]) -> list[float]:
        """Costs c_j where two lines cross or a line meets a buyer level (the inner integral has a kink)."""
        blevels = [lv for lv in vb.levels() if np.isfinite(lv)]
        zs: list[float] = []
        horizontal = [(lv, 0.0) for lv in blevels]
        allines = lines + horizontal
        for p in range(len(allines)):
            for q in range(p + 1, len(allines)):
                (a1, b1), (a2, b2) = allines[p], allines[q]
                if b1 != b2:
                    zs.append((a2 - a1) / (b1 - b2))
        for l, view in enumerate(vs):
            if l != j and self.theta[l] == self.theta[j]:
                zs += view.levels()
        zs = [z for z in zs if np.isfinite(z)]
        return points_from_levels(vs[j], zs)

    def _suppliers_2d(self, vb: AgentView, vs: list[AgentView], key: tuple[Any, ...],
                      initial: Sequence[np.ndarray | None] | None = None) -> tuple[np.ndarray, float, float, bool]:
        """All suppliers' 2-D integrals at once.

        Returns (values, outer error, inner error, converged): values has shape (5, n_S), rows E[Q_j],
        E[c Q_j], E[G_j/g_j Q_j], E[theta_j v Q_j], E[theta_j (1 - F)/f Q_j]; the outer error is the sum of
        the outer rule's bounds of the five, the inner one the inner rule's estimate |K15 - G7| carried
        through (scaled to the largest |v| for the gross value). The accepted outer panels are kept under
        ``key`` for :meth:`OneBuyerEngine.certify`; ``initial`` gives starting panels (else the warm start).
        """
        if self.shared_grid and shared_grid_applies(vs):
            return self._suppliers_shared(vb, vs, key, initial)
        ns = len(vs)
        buyer_points = vb.own_points()
        lines = [self._lines(j, vs) for j in range(ns)]
        point_sets = [self._outer_points(j, vb, vs, lines[j]) for j in range(ns)]
        breaks = [np.unique(np.asarray([p for p in pts if np.isfinite(p)], dtype=float)) for pts in point_sets]
        if initial is None and self.warm is not None:
            initial = [mapped_edges(self.warm.get(("S", j)), b) for j, b in enumerate(breaks)]

        def integrand(x: np.ndarray, owner: np.ndarray) -> np.ndarray:
            inner = self._inner_all(x, owner, vb, vs, lines, buyer_points)  # f, v f, 1 - F, error
            g, big_g = np.empty(x.size), np.empty(x.size)
            for j in np.unique(owner):
                at = owner == j
                g[at] = np.asarray(vs[j].dist.pdf(x[at]), dtype=float)
                big_g[at] = np.asarray(vs[j].dist.cdf(x[at]), dtype=float)
            th = self.theta[owner]
            return np.stack([
                g * inner[0],  # E[Q_j]
                x * g * inner[0],  # E[c Q_j]
                big_g * inner[0],  # supplier rent
                th * g * inner[1],  # E[theta_j v Q_j]
                th * g * inner[2],  # E[theta_j (1 - F)/f Q_j]
                g * inner[3],  # error estimate of the inner rule, carried into the accuracy
            ])

        results = integrate_many(integrand, point_sets, atol=self.atol, rtol=self.rtol, initial=initial,
                                 tested=_TESTED_ROWS)
        if self.warm is not None:
            for j, (b, res) in enumerate(zip(breaks, results)):
                if res.edges is not None:
                    self.warm[("S", j)] = (b, res.edges)
        if len(self._outer_edges) >= _KEPT_EDGES:
            self._outer_edges.clear()
        self._outer_edges[key] = [res.edges for res in results]
        values = np.stack([res.value[:_TESTED_ROWS] for res in results], axis=1)
        outer = float(sum(np.sum(res.error[:_TESTED_ROWS]) for res in results))
        reach = max(1.0, abs(self.buyer.high), abs(self.buyer.low))
        inner = float(sum(res.value[5] * reach * self.theta[j] for j, res in enumerate(results)))
        # the sixth row's own outer error (it is not held to the tolerance) is added to be safe
        inner += float(sum(res.error[5] * reach * self.theta[j] for j, res in enumerate(results)))
        return values, outer, inner, all(res.converged for res in results)
