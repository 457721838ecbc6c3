"""Deterministic quadrature of the Loertscher-Marx allocation: interim allocations, rents, welfare, budget.

Everything the solver needs is an integral of an interim allocation q(type) = E[Q | own type]:

    E[Q_i]           = int q_i f_i            (expected units)
    E[v Q_i]         = int v q_i f_i          (gross value; welfare is sum E[v Q^B] - sum E[c Q^S])
    information rent = int q_i (1 - F_i)      (= E[(v - Phi(v)) Q_i], buyer)
                     = int q_j G_j            (= E[(Gamma(c) - c) Q_j], supplier)

and the expected budget surplus E[sum Phi(v) Q^B - sum Gamma(c) Q^S] = welfare - sum of rents. These
payoff-equivalence forms hold for any monotone interim allocation, need no density in a denominator, and
therefore do not depend on whether the raw virtual types are ironed (ironing changes Phi only on
intervals where q is constant, and there E[Phi q] = E[ironed Phi q]).

Interim allocations in closed form (:class:`SeparableEngine`). Let y be agent i's ironed weighted virtual
type. Sort buyers' units by virtual value and suppliers' units by virtual cost (ties on one side: lower
agent index first, a type-independent rule). The r-th unit trades iff the r-th highest virtual value is at
least the r-th lowest virtual cost, a condition that holds for a prefix r = 1..m. If s units of i's own
side rank ahead of i and N units of the other side have virtual types on the trading side of y, then i's
k_i units are positions s+1..s+k_i, and position r trades iff N >= r; so i trades clip(N - s, 0, k_i)
units. Given y, s and N are independent sums of Bernoulli variables over the other agents, so
q_i = E[clip(N - s, 0, k_i)] is exact and cheap, for any numbers of buyers and suppliers, unit
capacities and distributions. Each payoff is then a 1-D integral.

One buyer with preferences theta and size-dependent discounts (:class:`OneBuyerEngine`, appendix C.2-C.3):
supplier j's virtual surplus is Lambda_j = theta_j Phi(v) - Gamma_j(c_j) and the r-th unit bought has
marginal discount d_r = delta_r - delta_{r-1}. With non-decreasing d_r (decreasing marginal value) and
costs >= 0, the r-th best unit is bought iff Lambda_(r) >= d_r Phi(v), again a prefix. With a common theta
this stays 1-D. With different theta_j the ranking of suppliers depends on v, and supplier j's allocation is
integrated over (v, c_j): for fixed (v, c_j) another supplier l ranks ahead iff
Gamma_l(c_l) < (theta_l - theta_j) Phi(v) + Gamma_j(c_j), a 1-D cdf. The inner integral over v is split
where any of these conditions changes form, on its live part only; the outer integral over c_j is adaptive,
all suppliers at once (:mod:`~bargaining.models.mechanism.theta_suppliers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bargaining.models.mechanism.integrals import (
    count_pmf,
    expected_overlap,
    integrate,
    integrate_many,
    mapped_edges,
)
from bargaining.models.mechanism.level_grid import evaluate_on_levels, level_grid_applies
from bargaining.models.mechanism.protocol import Evaluation, MechanismEngine
from bargaining.models.mechanism.theta_suppliers import ThetaSuppliers
from bargaining.models.mechanism.theta_suppliers import points_from_levels as _points_from_levels
from bargaining.models.mechanism.types import AgentView, ahead_from, reach_from

__all__ = ["Evaluation", "OneBuyerEngine", "SeparableEngine"]

class SeparableEngine(MechanismEngine):
    """Closed-form interim allocations for a market without buyer preferences (any n^B x n^S, capacities).

    Parameters
    ----------
    buyers, suppliers
        Type distributions.
    buyer_units, supplier_units
        Integer capacities k^B_i, k^S_j.
    atol, rtol
        Quadrature tolerances.
    """

    method = "quadrature"
    level_grid: bool = True  # one grid of virtual-type levels for all agents where it applies (level_grid.py)

    def __init__(
        self,
        buyers: Sequence[Any],
        suppliers: Sequence[Any],
        buyer_units: Sequence[int] | np.ndarray,
        supplier_units: Sequence[int] | np.ndarray,
        *,
        atol: float,
        rtol: float,
        flats: Any,
    ) -> None:
        self.buyers, self.suppliers = list(buyers), list(suppliers)
        self.kb = np.asarray(buyer_units, dtype=int)
        self.ks = np.asarray(supplier_units, dtype=int)
        self.atol, self.rtol = atol, rtol
        self._flats = flats  # callable (side, index, a) -> flat intervals (cached by the market)
        # Warm starts: when a dict, each agent's accepted panels are kept (with the breakpoints they were found
        # for) and mapped onto the next evaluation's breakpoints as its starting panels. Set by
        # Market.frontier, where neighbouring problems differ little; None otherwise.
        self.warm: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] | None = None

    def views(self, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray) -> tuple[list[AgentView], list[AgentView]]:
        vb = [AgentView(d, True, a, self._flats("B", i, a)) for i, (d, a) in enumerate(zip(self.buyers, buyer_ratios))]
        vs = [
            AgentView(d, False, a, self._flats("S", j, a)) for j, (d, a) in enumerate(zip(self.suppliers, supplier_ratios))
        ]
        return vb, vs

    # interim allocation at a virtual-type level ----------------------------------------------------------
    def _interim_at_level(self, side: str, i: int, y: np.ndarray, vb: list[AgentView], vs: list[AgentView]) -> np.ndarray:
        own, other = (vb, vs) if side == "B" else (vs, vb)
        k_own, k_other = (self.kb, self.ks) if side == "B" else (self.ks, self.kb)
        cap = int(k_own.sum())
        others = [l for l in range(len(own)) if l != i]
        if others:
            p_ahead = np.stack([own[l].ahead(y, ties=l < i) for l in others])
            pmf_s = count_pmf(p_ahead, k_own[others], cap)
        else:
            pmf_s = np.zeros((1, y.size))
            pmf_s[0] = 1.0
        p_other = np.stack([v.reach(y) for v in other])
        pmf_n = count_pmf(p_other, k_other, cap)
        return expected_overlap(pmf_s, pmf_n, int(k_own[i]))

    def interim(self, side: str, i: int, types: np.ndarray, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray) -> np.ndarray:
        """Expected units traded by agent i of ``side`` ("B" or "S") at each of ``types``."""
        vb, vs = self.views(buyer_ratios, supplier_ratios)
        view = vb[i] if side == "B" else vs[i]
        x = np.asarray(types, dtype=float).ravel()
        return self._interim_at_level(side, i, view.virtual(x), vb, vs).reshape(np.shape(types))

    def _interim_batch(
        self, side: str, who: np.ndarray, rows: np.ndarray, probs: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]],
        vb: list[AgentView], vs: list[AgentView],
    ) -> np.ndarray:
        """Interim units of agents ``who[m]`` of ``side`` at levels given by column ``rows[m]`` of ``probs``.

        ``probs[(side, l)]`` holds (base, tie) of agent l (:meth:`AgentView.at_levels`) at every level of the
        round, so each agent's virtual type is inverted once per round however many agents ask about it. The
        arithmetic is that of :meth:`_interim_at_level`; agent i itself is given probability 0 in its own count
        of the agents ahead (a Bernoulli(0) adds nothing to the count).
        """
        own, other = (vb, vs) if side == "B" else (vs, vb)
        other_side = "S" if side == "B" else "B"
        k_own, k_other = (self.kb, self.ks) if side == "B" else (self.ks, self.kb)
        cap = int(k_own.sum())
        out = np.empty(who.size)
        # the count distributions have cap + 1 rows at every level: bound the memory of one block
        block = max(1, _BLOCK_ELEMENTS // (cap + 1))
        for start in range(0, who.size, block):
            ww, cols = who[start:start + block], rows[start:start + block]
            p_ahead = np.empty((len(own), ww.size))
            for l, view in enumerate(own):
                base, tie = probs[(side, l)]
                p_ahead[l] = ahead_from(view.is_buyer, base[cols], tie[cols], l < ww)
                p_ahead[l, ww == l] = 0.0
            pmf_s = count_pmf(p_ahead, k_own, cap)
            p_other = np.empty((len(other), ww.size))
            for l, view in enumerate(other):
                base, tie = probs[(other_side, l)]
                p_other[l] = reach_from(view.is_buyer, base[cols], tie[cols])
            pmf_n = count_pmf(p_other, k_other, cap)
            out[start:start + block] = _expected_overlap_each(pmf_s, pmf_n, k_own[ww])
        return out

    # expectations ------------------------------------------------------------------------------------------
    def evaluate(self, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray) -> Evaluation:
        vb, vs = self.views(buyer_ratios, supplier_ratios)
        if self.level_grid and level_grid_applies(vb, vs):
            return evaluate_on_levels(self, vb, vs)
        nb, ns = len(vb), len(vs)
        out = {k: np.zeros(n) for k, n in (("bt", nb), ("bg", nb), ("br", nb), ("st", ns), ("sc", ns), ("sr", ns))}
        everyone = [("B", i, v) for i, v in enumerate(vb)] + [("S", j, v) for j, v in enumerate(vs)]
        # One adaptive integral per agent, all computed together: identical agents without ironing flats (no
        # ties) have identical expectations, so one of them is integrated for all.
        first: dict[tuple[Any, ...], int] = {}
        levels_of = {id(view): view.levels() for _, _, view in everyone}
        copy_of: list[int] = []
        todo: list[tuple[str, int]] = []
        point_sets = []
        for side, i, view in everyone:
            units = self.kb if side == "B" else self.ks
            same = (side, id(view.dist), view.a, int(units[i]))
            if not view.flats and same in first:
                copy_of.append(first[same])
                continue
            if not view.flats:
                first[same] = len(todo)
            copy_of.append(len(todo))
            todo.append((side, i))
            levels = [lv for _, _, w in everyone if w is not view for lv in levels_of[id(w)]]
            point_sets.append(_points_from_levels(view, levels))
        sides = np.array([side for side, _ in todo])
        index = np.array([i for _, i in todo])

        def integrand(x: np.ndarray, g: np.ndarray) -> np.ndarray:
            y, dens, tail = np.empty(x.size), np.empty(x.size), np.empty(x.size)
            for pos, (side, i) in enumerate(todo):
                at = g == pos
                if not np.any(at):
                    continue
                view = vb[i] if side == "B" else vs[i]
                xi, dist = x[at], view.dist
                y[at] = view.virtual(xi)
                dens[at] = np.asarray(dist.pdf(xi), dtype=float)
                tail[at] = np.asarray(dist.sf(xi) if side == "B" else dist.cdf(xi), dtype=float)
            # every agent's probabilities at the levels of the round: one inversion per agent (not at the levels of
            # its own integral, where its count leaves it out)
            probs = {}
            for side, i, view in everyone:
                own = todo.index((side, i)) if (side, i) in todo else -1
                need = g != own
                base, tie = np.zeros(x.size), np.zeros(x.size)
                if np.any(need):
                    base[need], tie[need] = view.at_levels(y[need])
                probs[(side, i)] = (base, tie)
            q = np.empty(x.size)
            for side in ("B", "S"):
                mine = np.flatnonzero(sides[g] == side)
                if mine.size:
                    q[mine] = self._interim_batch(side, index[g[mine]], mine, probs, vb, vs)
            return np.stack([dens * q, x * dens * q, tail * q])

        initial: list[np.ndarray | None] | None = None
        breaks = [np.unique(np.asarray([p for p in pts if np.isfinite(p)], dtype=float)) for pts in point_sets]
        if self.warm is not None:
            initial = [mapped_edges(self.warm.get(agent), b) for agent, b in zip(todo, breaks)]
        results = integrate_many(integrand, point_sets, atol=self.atol, rtol=self.rtol, initial=initial)
        if self.warm is not None:
            for agent, b, res in zip(todo, breaks, results):
                if res.edges is not None:
                    self.warm[agent] = (b, res.edges)
        error = 0.0
        converged = True
        for (side, i, _), pos in zip(everyone, copy_of):
            res = results[pos]
            converged &= res.converged
            error += float(np.sum(res.error))
            if side == "B":
                out["bt"][i], out["bg"][i], out["br"][i] = res.value
            else:
                out["st"][i], out["sc"][i], out["sr"][i] = res.value
        # units bought and sold are equal in every state: their expectations differ only by quadrature error
        mismatch = abs(float(np.sum(out["bt"]) - np.sum(out["st"])))
        return Evaluation(
            out["bt"], out["bg"], out["br"], out["st"], out["sc"], out["sr"], error, converged,
            details={"units_mismatch": mismatch},
        )


_BLOCK_ELEMENTS = 4_000_000
"""Largest count-distribution array (rows x levels) built at once by the batched interim allocation."""


def _expected_overlap_each(pmf_ahead: np.ndarray, pmf_other: np.ndarray, k: np.ndarray) -> np.ndarray:
    """:func:`~bargaining.models.mechanism.integrals.expected_overlap` with a capacity k per column."""
    surv = np.cumsum(pmf_other[::-1], axis=0)[::-1]
    cum = np.concatenate([np.zeros((1, surv.shape[1])), np.cumsum(surv, axis=0)], axis=0)
    rows = np.arange(pmf_ahead.shape[0])[:, None]
    last = cum.shape[0] - 1
    upper = np.take_along_axis(cum, np.minimum(rows + k[None, :] + 1, last), axis=0)
    lower = np.take_along_axis(cum, np.minimum(np.broadcast_to(rows + 1, pmf_ahead.shape), last), axis=0)
    return np.sum(pmf_ahead * (upper - lower), axis=0)


class OneBuyerEngine(ThetaSuppliers, MechanismEngine):
    """One buyer (demand D units), suppliers with capacities, preferences theta_j and discounts delta_m.

    ``discounts`` are delta_1..delta_D with delta_1 = 0 and non-decreasing marginal discounts
    d_r = delta_r - delta_{r-1} (checked by the market); all zero without discounts.
    """

    method = "quadrature"

    def __init__(
        self,
        buyer: Any,
        suppliers: Sequence[Any],
        demand: int,
        supplier_units: Sequence[int] | np.ndarray,
        preferences: Sequence[float] | np.ndarray,
        discounts: Sequence[float] | np.ndarray,
        *,
        atol: float,
        rtol: float,
        flats: Any,
    ) -> None:
        self.buyer = buyer
        self.suppliers = list(suppliers)
        self.demand = int(demand)
        self.ks = np.asarray(supplier_units, dtype=int)
        self.theta = np.asarray(preferences, dtype=float)
        delta = np.asarray(discounts, dtype=float)
        self.d = np.diff(np.concatenate([[0.0], delta]))  # marginal discounts d_1..d_D (d_1 = 0)
        self.has_discounts = bool(np.any(delta != 0.0))
        self.common_theta = bool(np.all(self.theta == self.theta[0]))
        self.atol, self.rtol = atol, rtol
        self._flats = flats
        self.positions = min(self.demand, int(self.ks.sum()))
        self.inner_split = 1  # parts of each panel of the inner integral over v (different theta only)
        # Warm starts (different theta only): when a dict, each supplier's accepted outer panels are the next
        # evaluation's starting panels (set by the root search for rho, whose evaluations differ little).
        self.warm: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] | None = None
        self._outer_edges: dict[tuple[Any, ...], list[np.ndarray | None]] = {}

    def _key(self, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray) -> tuple[Any, ...]:
        """Identifies an evaluation (ratios, tolerances and inner rule) for :meth:`certify`."""
        return (tuple(np.asarray(buyer_ratios, dtype=float).tolist()),
                tuple(np.asarray(supplier_ratios, dtype=float).tolist()), self.atol, self.rtol, self.inner_split)

    def views(self, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray) -> tuple[AgentView, list[AgentView]]:
        vb = AgentView(self.buyer, True, float(buyer_ratios[0]), self._flats("B", 0, float(buyer_ratios[0])))
        vs = [
            AgentView(d, False, a, self._flats("S", j, a)) for j, (d, a) in enumerate(zip(self.suppliers, supplier_ratios))
        ]
        return vb, vs

    # --- buyer side: 1-D in v, for any theta -----------------------------------------------------------------
    def _buyer_positions(self, phi: np.ndarray, vs: list[AgentView]) -> np.ndarray:
        """P(m >= r | v) for r = 1..positions: the r-th unit is bought (shape (positions, len(phi)))."""
        out = np.zeros((self.positions, phi.size))
        for r in range(1, self.positions + 1):
            level_scale = self.theta - self.d[r - 1]  # slot value of supplier l's unit at position r
            p = np.stack([
                np.where(level_scale[l] > 0, v.reach(level_scale[l] * phi), 0.0) if self.has_discounts
                else v.reach(level_scale[l] * phi)
                for l, v in enumerate(vs)
            ])
            pmf = count_pmf(p, self.ks, r)
            prob = pmf[r]
            if self.has_discounts:
                prob = np.where(phi > 0, prob, 0.0)
            out[r - 1] = prob
        return out

    def _buyer_interim(self, phi: np.ndarray, vs: list[AgentView]) -> tuple[np.ndarray, np.ndarray]:
        """(expected units, expected theta_X - without the theta part if theta differs) given Phi(v)."""
        pos = self._buyer_positions(phi, vs)
        units = pos.sum(axis=0)
        return units, pos

    # --- supplier side, common theta: 1-D ---------------------------------------------------------------------
    def _supplier_interim_common(self, j: int, z: np.ndarray, vb: AgentView, vs: list[AgentView]) -> np.ndarray:
        t = self.theta[0]
        others = [l for l in range(len(vs)) if l != j]
        cap = self.positions
        if others:
            p_ahead = np.stack([vs[l].ahead(z, ties=l < j) for l in others])
            pmf_s = count_pmf(p_ahead, self.ks[others], cap)
        else:
            pmf_s = np.zeros((cap + 1, z.size))
            pmf_s[0] = 1.0
        # A_r = P_v((t - d_r) Phi(v) >= z): position r is bought at this virtual cost
        a = np.zeros((cap + 1, z.size))
        for r in range(1, cap + 1):
            s = t - self.d[r - 1]
            a[r] = vb.reach(z / s) if s > 0 else 0.0
        cum = np.cumsum(a, axis=0)
        kj = int(self.ks[j])
        b = np.arange(cap + 1)
        upper = cum[np.minimum(b + kj, cap)]
        lower = cum[np.minimum(b, cap)]
        return np.sum(pmf_s * (upper - lower), axis=0)

    # --- expectations ----------------------------------------------------------------------------------------
    def evaluate(self, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray,
                 initial: Sequence[np.ndarray | None] | None = None) -> Evaluation:
        """Expected quantities at the given weight ratios; ``initial`` optionally gives each supplier's starting
        outer panels (different theta only; by default the warm start, if any)."""
        vb, vs = self.views(buyer_ratios, supplier_ratios)
        ns = len(vs)
        st, sc, sr = np.zeros(ns), np.zeros(ns), np.zeros(ns)
        error = 0.0
        converged = True
        buyer = self.buyer
        # buyer: units and (with common theta) theta_X; with different theta only the discount part
        supplier_levels = [lv for v in vs for lv in v.levels()]
        scales = sorted({float(self.theta[l] - self.d[r]) for l in range(ns) for r in range(self.positions)})
        blevels = [lv / s for lv in supplier_levels for s in scales if s > 0]
        if self.has_discounts:
            blevels.append(0.0)
        bpoints = _points_from_levels(vb, blevels)

        def buyer_integrand(x: np.ndarray) -> np.ndarray:
            phi = vb.virtual(x)
            pos = self._buyer_positions(phi, vs)
            units = pos.sum(axis=0)
            disc = self.d[: self.positions] @ pos  # E[delta_m | v]
            dens = np.asarray(buyer.pdf(x), dtype=float)
            tail = np.asarray(buyer.sf(x), dtype=float)
            rows = [dens * units, x * dens * disc, tail * disc]
            if self.common_theta:
                rows += [x * dens * units * self.theta[0], tail * units * self.theta[0]]
            return np.stack(rows)

        res = integrate(buyer_integrand, bpoints, atol=self.atol, rtol=self.rtol)
        error += float(np.sum(res.error))
        converged &= res.converged
        bt = res.value[0]
        disc_gross, disc_rent = res.value[1], res.value[2]
        inner_error = 0.0
        if self.common_theta:
            bg, br = res.value[3] - disc_gross, res.value[4] - disc_rent
            done: dict[tuple[Any, ...], tuple[np.ndarray, float]] = {}
            for j, view in enumerate(vs):
                key = (id(view.dist), view.a, int(self.ks[j]))
                if not view.flats and key in done:
                    (st[j], sc[j], sr[j]), err = done[key]
                    error += err
                    continue
                levels = [s * lv for lv in vb.levels() for s in scales if s > 0]
                levels += [lv for l, w in enumerate(vs) if l != j for lv in w.levels()]
                points = _points_from_levels(view, levels)
                dist = view.dist

                def integrand(x: np.ndarray, j: int = j, view: AgentView = view, dist: Any = dist) -> np.ndarray:
                    q = self._supplier_interim_common(j, view.virtual(x), vb, vs)
                    dens = np.asarray(dist.pdf(x), dtype=float)
                    return np.stack([dens * q, x * dens * q, np.asarray(dist.cdf(x), dtype=float) * q])

                r = integrate(integrand, points, atol=self.atol, rtol=self.rtol)
                error += float(np.sum(r.error))
                converged &= r.converged
                st[j], sc[j], sr[j] = r.value
                if not view.flats:
                    done[key] = (r.value, float(np.sum(r.error)))
        else:
            bg, br = -disc_gross, -disc_rent
            values, outer, inner_error, ok = self._suppliers_2d(vb, vs, self._key(buyer_ratios, supplier_ratios),
                                                                initial)
            st, sc, sr = values[0], values[1], values[2]
            bg += float(np.sum(values[3]))
            br += float(np.sum(values[4]))
            converged &= ok
            error += outer + inner_error
        mismatch = abs(float(bt - np.sum(st)))
        return Evaluation(
            np.array([bt]), np.array([bg]), np.array([br]), st, sc, sr, error, converged,
            details={"units_mismatch": mismatch, "inner_error": inner_error},
        )

    def certify(self, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray, ev: Evaluation) -> Evaluation:
        """A tight error bound for the 2-D case (different theta_j): the evaluation redone with every inner panel
        halved, its values reported, and its error bound the outer quadrature's plus the change from ``ev``.
        The redone evaluation starts from the outer panels ``ev`` accepted (when they are still known), so it
        mostly evaluates those; the acceptance test is the usual one.

        The inner integral over v uses a fixed 15-point rule per panel, whose Gauss-Kronrod error estimate
        |K15 - G7| mostly measures the error of the 7-point rule and overstates that of K15 by orders of
        magnitude (1e-4 where the result is right to 1e-10). The change when every panel is halved estimates
        the error of the coarser rule, which bounds that of the finer one whose values are returned.
        Other cases (1-D integrals) are returned unchanged.
        """
        if self.common_theta:
            return ev
        initial = self._outer_edges.get(self._key(buyer_ratios, supplier_ratios))
        self.inner_split, warm = 2, self.warm
        self.warm = None  # the panels of the halved rule are no start for the next evaluation
        try:
            fine = self.evaluate(buyer_ratios, supplier_ratios, initial)
        finally:
            self.inner_split, self.warm = 1, warm
        change = sum(
            float(np.sum(np.abs(np.asarray(getattr(fine, name)) - np.asarray(getattr(ev, name)))))
            for name in ("buyer_trades", "buyer_gross", "buyer_rent", "supplier_trades", "supplier_cost", "supplier_rent")
        )
        outer = fine.error - float(fine.details.get("inner_error", 0.0))
        details = dict(fine.details)
        details["inner_error"] = change
        return Evaluation(
            fine.buyer_trades, fine.buyer_gross, fine.buyer_rent, fine.supplier_trades, fine.supplier_cost,
            fine.supplier_rent, outer + change, fine.converged and ev.converged, fine.method, details,
        )

    def interim(self, side: str, i: int, types: np.ndarray, buyer_ratios: np.ndarray, supplier_ratios: np.ndarray) -> np.ndarray:
        """Expected units traded by the buyer (side "B") or supplier i (side "S") at each of ``types``."""
        vb, vs = self.views(buyer_ratios, supplier_ratios)
        x = np.asarray(types, dtype=float).ravel()
        if side == "B":
            pos = self._buyer_positions(vb.virtual(x), vs)
            return pos.sum(axis=0).reshape(np.shape(types))
        if self.common_theta:
            return self._supplier_interim_common(i, vs[i].virtual(x), vb, vs).reshape(np.shape(types))
        lines = self._lines(i, vs)
        inner = self._inner_v(i, x, vb, vs, lines, vb.own_points())
        return inner[0].reshape(np.shape(types))
