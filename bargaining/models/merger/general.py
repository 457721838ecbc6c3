r"""Nash-in-Nash per-unit price equations for any demand of :mod:`bargaining.models.demand` (nested logit).

The logit closed forms of :mod:`bargaining.models.merger.equations` use that, in logit, the shares after a
product leaves the choice set are :math:`s_k / (1 - s_j)` and the willingness to pay is
:math:`-\log(1 - s_j)/\alpha`. Here the same conditions are written with what any discrete-choice demand object
gives: the shares s(p), their Jacobian :math:`S_{kl} = \partial s_k / \partial p_l`, the second derivatives
:math:`H_{klm} = \partial^2 s_k / \partial p_l \partial p_m`, the shares without product j,
:math:`R_{jk} = s^{-j}_k(p)` (:math:`R_{jj} = 0`) with their Jacobian :math:`\partial R_{jk}/\partial p_l`,
and the willingness to pay :math:`W_j = CS(p) - CS^{-j}(p)` (Roy's identity:
:math:`\partial W_j / \partial p_l = -s_l + R_{jl}`). Everything is analytic, so the Jacobians are too.

Firm f's gain from product j being sold, prices fixed (passive beliefs), is
:math:`G_{f,j} = \sum_k (s_k - R_{jk}) \mu_{f,k}` with :math:`\mu_{f,k}` f's margin per unit of k.

(a) Sellers bargaining with consumers. Seller f(j) and the consumers maximize
    :math:`G_{f,j}^{\beta_j} W_j^{1 - \beta_j}` over p_j. Since R and CS without j do not depend on p_j,
    :math:`\partial G_{f,j}/\partial p_j = Q_j = s_j + \sum_k S_{kj} \mu_{f,k}` and
    :math:`\partial W_j / \partial p_j = -s_j`, so the condition is

    .. math::

        F_j = \beta_j W_j Q_j - (1 - \beta_j) s_j G_{f,j} = 0.

    The residual the solver uses is :math:`r_j = -F_j / N_j` with
    :math:`N_j = \beta_j W_j (-S_{jj}) + (1 - \beta_j) s_j^2`, the rate at which F_j falls as j's own margin
    rises at fixed shares: r is in money per unit and moves one for one with j's margin. With logit demand
    :math:`r_j = (T_j - \tau_j) / (1 - s_j)` (the logit residual of :mod:`.equations` over 1 - s_j), so both
    have the same roots.

(b) Wholesalers bargaining with retailers that set retail prices by Bertrand. Retailer d(j)'s condition
    :math:`s_j + \sum_k S_{kj} \mu_{d,k} = 0` is written :math:`r_j = (s_j + \sum_k S_{kj} \mu_{d,k}) / S_{jj}`;
    pair j's bargaining condition :math:`\beta_j G_{d,j} - (1 - \beta_j) G_{u,j} = 0` (the transfer moves
    the gains by :math:`\pm s_j` per unit of W_j) is written :math:`b_j = (\beta_j G_{d,j} -
    (1 - \beta_j) G_{u,j}) / s_j`. In logit these are the residuals of :mod:`.equations` over 1 - s_j.

At fixed prices (hence fixed shares) every condition is linear in the margins, which gives the calibration
and the compensating marginal-cost reduction (:func:`consumer_margins`, :func:`chain_margins_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bargaining.models.merger.equations import Chain, chain_margins

if TYPE_CHECKING:
    from bargaining.models.demand import DiscreteChoiceDemand

__all__ = ["DemandState", "chain_margins_at", "chain_residual", "consumer_margins", "consumer_residual",
           "demand_state"]


@dataclass(frozen=True)
class DemandState:
    """Shares, derivatives and removal quantities at one price vector (see the module docstring)."""

    s: np.ndarray        # (J,)
    ds: np.ndarray       # (J, J): ds_k / dp_l
    hessian: np.ndarray  # (J, J, J): d2 s_k / dp_l dp_m (None-free; zeros when not needed)
    removal: np.ndarray  # (J, J): R[j, k] = s_k without j
    d_removal: np.ndarray  # (J, J, J): dR[j, k] / dp_l
    wtp: np.ndarray      # (J,): W_j


def demand_state(demand: DiscreteChoiceDemand, prices: np.ndarray, *, second: bool = True) -> DemandState:
    """The :class:`DemandState` of ``demand`` at ``prices`` (``second=False`` skips the second derivatives)."""
    s = demand._shares(prices)
    ds = demand._derivatives(prices, s)
    n = len(s)
    hessian = demand._second_derivatives(prices, s) if second else np.zeros((n, n, n))
    removal, d_removal, wtp = demand._removal_state(prices, s)
    return DemandState(s, ds, hessian, removal, d_removal, wtp)


def consumer_residual(prices: np.ndarray, *, demand: DiscreteChoiceDemand, cost: np.ndarray,
                      ownership: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Case (a): r(p) = -F / N and its Jacobian dr/dp (module docstring)."""
    st = demand_state(demand, prices)
    s, ds, h, rem, drem, w = st.s, st.ds, st.hessian, st.removal, st.d_removal, st.wtp
    mu = ownership * (prices - cost)[None, :]  # mu[j, k]: the margin on k of j's seller
    gap = s[None, :] - rem                      # s_k - R[j, k]
    q = s + np.einsum("kj,jk->j", ds, mu)
    g = (gap * mu).sum(axis=1)
    f = beta * w * q - (1.0 - beta) * s * g
    own = -np.diag(ds)
    n_ = beta * w * own + (1.0 - beta) * s**2
    dw = -s[None, :] + rem
    dq = ds + np.einsum("kjl,jk->jl", h, mu) + ownership * ds.T
    dg = mu @ ds - np.einsum("jkl,jk->jl", drem, mu) + ownership * gap
    df = (beta[:, None] * (dw * q[:, None] + w[:, None] * dq)
          - (1.0 - beta)[:, None] * (ds * g[:, None] + s[:, None] * dg))
    d_own = -np.einsum("jjl->jl", h)
    dn = beta[:, None] * (dw * own[:, None] + w[:, None] * d_own) + (1.0 - beta)[:, None] * 2.0 * s[:, None] * ds
    residual = -f / n_
    jac = -(df * n_[:, None] - f[:, None] * dn) / n_[:, None] ** 2
    return residual, jac


def chain_residual(x: np.ndarray, *, demand: DiscreteChoiceDemand, chain: Chain, upstream_cost: np.ndarray,
                   downstream_cost: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Case (b): residuals [retail (J); bargaining (bargained pairs)] and the Jacobian in x = [P; W_bargained]."""
    n = len(upstream_cost)
    b = chain.bargained
    retail = x[:n]
    wholesale = upstream_cost.copy()
    wholesale[b] = x[n:]
    st = demand_state(demand, retail)
    s, ds, h, rem, drem = st.s, st.ds, st.hessian, st.removal, st.d_removal
    mu = chain_margins(chain, retail, wholesale, upstream_cost, downstream_cost)
    shift = chain.up - chain.down
    # retail: r_j = (s_j + sum_k S_kj mu_dk) / S_jj
    mu_d = mu[chain.retailer]
    num = s + np.einsum("kj,jk->j", ds, mu_d)
    den = np.diag(ds).copy()
    r = num / den
    dnum_p = ds + np.einsum("kjl,jk->jl", h, mu_d) + ds.T * chain.down[chain.retailer]
    dnum_w = (ds.T * shift[chain.retailer])[:, b]
    dden_p = np.einsum("jjl->jl", h)
    jr_p = (dnum_p - r[:, None] * dden_p) / den[:, None]
    jr_w = dnum_w / den[:, None]
    # bargaining: b_j = (beta G_d - (1 - beta) G_u) / s_j
    gap = s[None, :] - rem[b]

    def gain(firms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = mu[firms]
        value = (gap * m).sum(axis=1)
        d_p = m @ ds - np.einsum("jkl,jk->jl", drem[b], m) + gap * chain.down[firms]
        d_w = (gap * shift[firms])[:, b]
        return value, d_p, d_w

    g_d, gd_p, gd_w = gain(chain.retailer[b])
    g_u, gu_p, gu_w = gain(chain.supplier[b])
    beta_b = beta[b]
    top = beta_b * g_d - (1.0 - beta_b) * g_u
    sb = s[b]
    bar = top / sb
    jb_p = (beta_b[:, None] * gd_p - (1.0 - beta_b)[:, None] * gu_p - bar[:, None] * ds[b]) / sb[:, None]
    jb_w = (beta_b[:, None] * gd_w - (1.0 - beta_b)[:, None] * gu_w) / sb[:, None]
    residual = np.concatenate([r, bar])
    jac = np.block([[jr_p, jr_w], [jb_p, jb_w]])
    return residual, jac


def consumer_margins(state: DemandState, ownership: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Case (a): the margins p - c that satisfy F = 0 at the shares of ``state`` (a linear system):
    :math:`\\sum_k O_{jk} [-\\beta_j W_j S_{kj} + (1 - \\beta_j) s_j (s_k - R_{jk})] m_k = \\beta_j W_j s_j`."""
    s, ds, rem, w = state.s, state.ds, state.removal, state.wtp
    matrix = ownership * (-(beta * w)[:, None] * ds.T + ((1.0 - beta) * s)[:, None] * (s[None, :] - rem))
    out: np.ndarray = np.linalg.solve(matrix, beta * w * s)
    return out


def chain_margins_at(state: DemandState, chain: Chain, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Case (b): retail margins P - W - c^D (J; the whole margin for integrated pairs) and wholesale margins
    W - c^U (J, 0 for integrated pairs) that satisfy the conditions at the shares of ``state``."""
    s, ds, rem = state.s, state.ds, state.removal
    n = len(s)
    b = chain.bargained

    def margin_rows(firms: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Rows of sum_k weights[row, k] mu[firm(row), k] as coefficients on [m_down (J), m_up (bargained)]."""
        return np.hstack([weights * chain.down[firms], (weights * chain.up[firms])[:, b]])

    retail = margin_rows(chain.retailer, ds.T)
    gap = s[None, :] - rem[b]
    beta_b = beta[b][:, None]
    bargain = beta_b * margin_rows(chain.retailer[b], gap) - (1.0 - beta_b) * margin_rows(chain.supplier[b], gap)
    matrix = np.vstack([retail, bargain])
    rhs = np.concatenate([-s, np.zeros(len(b))])
    y = np.linalg.solve(matrix, rhs)
    wholesale = np.zeros(n)
    wholesale[b] = y[n:]
    return y[:n], wholesale
