"""Supplier allocations with different preferences theta_j on one grid of (v, Lambda) shared by all suppliers.

The second way of :class:`~bargaining.models.mechanism.theta_suppliers.ThetaSuppliers` to compute the 2-D
integrals of the one-buyer market with preferences (appendix C.2-C.3 of Loertscher and Marx), used when every
supplier's virtual cost is strictly increasing (no ironing), its slope is known in closed form, and its density
behaves at the support ends like a power the inner rule resolves (next to rough ends with geometrically graded
parts, :func:`grading_levels`).

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
_PLAIN_NODES, _PLAIN_WK, _PLAIN_WG = _T, 0.5 * _WK, 0.5 * _WG  # Gauss-Kronrod on [0, 1]
_WARM_KEY = ("S", -1)
_PARTS = 8
_GRADE = 0.25  # ratio of the geometric parts next to a rough support end
_GRADED_TO = 1e-14  # relative error left by the innermost geometric part
_MOST_GRADED = 40
_V_BLOCK = 256  # buyer values per block of the inner integrals


def shared_grid_applies(vs: Sequence[AgentView]) -> bool:
    """Whether every supplier's virtual cost is unironed with a closed-form slope, finite at the bottom of the
    support, and its density ends like a power the inner rule resolves (:func:`grading_levels`)."""
    for view in vs:
        if not has_closed_form_slope(view) or finite_level(view, view.low) is None:
            return False
        if any(grading_levels(power_at_end(view, end)) is None for end in _ends(view)):
            return False
    return True


def _ends(view: AgentView) -> list[str]:
    """The support ends whose virtual cost is finite: each is a line of the inner grid."""
    return ["low"] if finite_level(view, view.high) is None else ["low", "high"]


def _step_rule_error(alpha: float) -> float:
    """Relative error of the smootherstep rule on int_0^1 t^alpha dt."""
    return abs(float(np.sum(STEP_WK * STEP_NODES**alpha)) * (alpha + 1.0) - 1.0)


def grading_levels(alpha: float) -> int | None:
    """Geometric parts (ratio ``_GRADE`` = 1/4) the inner rule needs next to a support end where the density
    behaves like t^alpha (t the distance to the end): 0 when alpha is a non-negative integer or at least 2.5 (the
    smootherstep nodes alone give about 1e-13 relative), else enough parts that the innermost part's share of the
    integral, (1/4)^(parts (alpha + 1)), times the rule's error on t^alpha (alpha = 1.5: 2e-12, 0.5: 6e-10,
    -0.3: 1e-6, -0.5: 1e-4) falls below ``_GRADED_TO`` = 1e-14: 2, 6, 19 and 33 parts (Beta(a, b) has
    alpha = a - 1 at the bottom, b - 1 at the top). None where alpha is not finite or more than 40 parts would
    be needed (alpha below about -0.55): the per-supplier grids, whose outer rule is adaptive, are used then.
    (Ratio 1/8 with 1e-13 left Beta(0.7, b) suppliers at 4e-10.)
    """
    if not np.isfinite(alpha) or alpha <= -1.0:
        return None
    if alpha > 2.49 or (alpha > -0.5 and abs(alpha - round(alpha)) < 1e-6):
        return 0
    error = _step_rule_error(alpha)
    parts = max(1, int(np.ceil(np.log(max(error, _GRADED_TO) / _GRADED_TO) / ((alpha + 1.0) * -np.log(_GRADE)))))
    return parts if parts <= _MOST_GRADED else None


def _relative_edges(parts: int, left: int, right: int, split: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges in [0, 1] of a panel's parts and, per part, whether it takes plain Gauss-Kronrod nodes.

    ``parts`` equal parts, the first graded towards 0 by ``left`` and the last towards 1 by ``right`` geometric
    points (ratio ``_GRADE``), every part then cut in ``split`` equal pieces. Parts touching a panel end take the
    smootherstep nodes (they absorb the power at the end); the geometric parts away from the end are smooth
    but steep, where plain nodes are far more accurate (t^-0.3 on [1/4, 1]: 7e-15 against 1e-10).
    """
    if left or right:
        parts = max(parts, 2)  # a graded region never reaches the panel's other end
    edges = list(np.linspace(0.0, 1.0, parts + 1))
    edges += [_GRADE**i / parts for i in range(1, left + 1)]
    edges += [1.0 - _GRADE**i / parts for i in range(1, right + 1)]
    e = np.unique(np.asarray(edges))
    if split > 1:
        e = np.unique((e[:-1, None] + np.diff(e)[:, None] * (np.arange(split) / split)[None, :]).ravel().tolist()
                      + [1.0])
    lo, hi = e[:-1], e[1:]
    graded = ((left > 0) & (lo < 1.0 / parts)) | ((right > 0) & (hi > 1.0 - 1.0 / parts))
    return e, graded & (lo > 0) & (hi < 1.0)


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
        supplier's top line intercept Gamma_l(low) (its virtual surplus is at most theta_l phi - Gamma_l(low)).
        A supplier's lines are its support ends (the views of the shared grid have no breakpoints or flats)."""
        lines = [(float(self.theta[l]), float(view.virtual(np.array([getattr(view, end)]))[0]))
                 for l, view in enumerate(vs) for end in _ends(view)]
        lines += [(float(self.d[r]), 0.0) for r in range(self.positions)]
        bottoms = np.array([float(view.virtual(np.array([view.low]))[0]) for view in vs])
        return lines, bottoms

    def _line_grades(self, vs: list[AgentView]) -> np.ndarray:
        """Geometric parts next to each line of :meth:`_lambda_lines` (a supplier's density and cdf behave like
        powers of the distance to its support ends there)."""
        grades = [grading_levels(power_at_end(view, end)) or 0 for view in vs for end in _ends(view)]
        return np.array(grades + [0] * self.positions, dtype=int)

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
        times c_j, of q_j G_j / Gamma_j', and the inner rule's error estimate (shape (4, n, len(x))).

        Computed for blocks of ``_V_BLOCK`` values at a time, which bounds the memory of the (suppliers x levels)
        arrays when many parts are graded."""
        out = np.zeros((4, len(vs), x.size))
        for start in range(0, x.size, _V_BLOCK):
            out[:, :, start:start + _V_BLOCK] = self._inner_block(x[start:start + _V_BLOCK], vb, vs, lines, bottoms)
        return out

    def _inner_block(self, x: np.ndarray, vb: AgentView, vs: list[AgentView], lines: list[tuple[float, float]],
                     bottoms: np.ndarray) -> np.ndarray:
        """:meth:`_inner_lambda` for one block of buyer values."""
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
        edges = np.concatenate([lower[:, None], kinks, upper[:, None]], axis=1)
        order = np.argsort(edges, axis=1, kind="stable")
        edges = np.take_along_axis(edges, order, axis=1)
        edge_grades = np.concatenate([[0], self._line_grades(vs), [0]])[order]
        lo, hi = edges[:, :-1], edges[:, 1:]
        row, pan = np.nonzero(hi > lo)
        lo_f, hi_f, col = lo[row, pan], hi[row, pan], row
        left, right = edge_grades[row, pan], edge_grades[row, pan + 1]
        out = np.zeros((4, n, m))
        if col.size == 0:
            return out
        # A wide panel gets several parts: the smootherstep nodes are sparse in a panel's middle, where the
        # product of the others' probabilities can vary a lot (panels at most 1/PARTS of the range); next to a
        # support end where a density behaves like a rough power of the distance the end part is graded
        # geometrically (grading_levels); certify cuts every part in two (inner_split = 2).
        span = (upper - lower)[col]
        parts = np.maximum(np.ceil(_PARTS * (hi_f - lo_f) / np.where(span > 0, span, 1.0)).astype(int), 1)
        keys = np.stack([parts, left, right], axis=1)
        kinds, kind_of = np.unique(keys, axis=0, return_inverse=True)
        los, his, cols, plains = [], [], [], []
        for k, (p, gl, gr) in enumerate(kinds):
            at = np.flatnonzero(kind_of.ravel() == k)
            rel, plain = _relative_edges(int(p), int(gl), int(gr), self.inner_split)
            width = (hi_f[at] - lo_f[at])[:, None]
            los.append((lo_f[at][:, None] + width * rel[None, :-1]).ravel())
            his.append((lo_f[at][:, None] + width * rel[None, 1:]).ravel())
            cols.append(np.repeat(col[at], rel.size - 1))
            plains.append(np.tile(plain, at.size))
        lo_f, hi_f, col = np.concatenate(los), np.concatenate(his), np.concatenate(cols)
        plain_part = np.concatenate(plains)[:, None]
        nodes = np.where(plain_part, _PLAIN_NODES, STEP_NODES)
        lam = (lo_f[:, None] + (hi_f - lo_f)[:, None] * nodes).ravel()
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
        wk = (width * np.where(plain_part, _PLAIN_WK, STEP_WK)).ravel()
        wd = (width * np.where(plain_part, _PLAIN_WK - _PLAIN_WG, STEP_WK - STEP_WG)).ravel()
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
