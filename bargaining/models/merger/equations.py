r"""Nash-in-Nash per-unit price equations with logit demand, and their analytic Jacobians.

Notation
--------
Products j = 1..J with logit shares s_j(p) (an outside good, or a normalized inside product); alpha > 0 the
price coefficient, so ds_k/dp_l = -alpha s_k (1[k = l] - s_l). A firm f earns mu_{f,k} per unit of product k
(0 when it has nothing to do with k). When product j leaves the choice set the logit shares of the others
become s_k / (1 - s_j), so the share change is s_k - s_k^{-j} = -s_k s_j / (1 - s_j) for k != j and s_j for
k = j. Firm f's gain from product j being sold (its profit with j minus its profit without j, all prices
fixed: passive beliefs) is therefore

.. math::

    G_{f,j} = \sum_k (s_k - s_k^{-j}) \mu_{f,k} = \frac{s_j}{1 - s_j} T_{f,j},
    \qquad T_{f,j} = \mu_{f,j} - \sum_k s_k \mu_{f,k},

and the derivative of f's profit in p_j is :math:`\partial \pi_f / \partial p_j = s_j (1[\text{f is paid } p_j]
- \alpha T_{f,j})` when f sets or receives p_j. Multi-product firms recapture diverted sales through the sum.

(a) Sellers bargaining with consumers (Miller 2014; R antitrust ``bargaining.logit``)
    Seller f(j) and "the consumers" bargain over the per-unit price p_j of j; mu_{f,k} = p_k - c_k for the
    seller's products. The consumers' gain is the willingness to pay
    :math:`W_j = CS(p) - CS^{-j}(p) = -\log(1 - s_j) / \alpha`, with :math:`\partial W_j / \partial p_j = -s_j`
    (Roy's identity; CS without j does not depend on p_j). With the seller's weight beta_j, p_j maximizes
    :math:`G_{f,j}^{\beta_j} W_j^{1 - \beta_j}`:

    .. math::

        \beta_j W_j s_j (1 - \alpha T_{f,j}) - (1 - \beta_j) \frac{s_j}{1 - s_j} T_{f,j} s_j = 0
        \iff T_{f(j),j} = \tau_j(s_j) = \frac{\beta_j L_j}{\alpha (\beta_j L_j + (1 - \beta_j) r_j)},

    with :math:`L_j = -\log(1 - s_j)` and :math:`r_j = s_j / (1 - s_j)`. beta = 1 gives Bertrand
    (:math:`T = 1/\alpha`), beta = 0 prices a single-product seller at cost. In margins m = p - c and the
    ownership matrix O (O_jk = 1 when j and k have one seller) the conditions read
    :math:`(I - O \operatorname{diag}(s)) m = \tau(s)`. The solver uses
    :math:`G(p) = m - O (s \circ m) - \tau(s)` with the Jacobian
    :math:`I - O \operatorname{diag}(s) - (O \operatorname{diag}(m)) \, \partial s/\partial p
    - \operatorname{diag}(\tau'(s)) \, \partial s/\partial p`, where
    :math:`\tau'(s) = \beta (1 - \beta) (L' r - L r') / (\alpha D^2)`, :math:`D = \beta L + (1 - \beta) r`,
    :math:`L' = 1/(1 - s)`, :math:`r' = 1/(1 - s)^2`.

(b) Wholesalers bargaining with retailers that set retail prices by Bertrand (Sheu and Taragin 2021;
    R antitrust ``vertical.barg``)
    Product j = (u(j), d(j)): wholesaler u sells to retailer d at the per-unit wholesale price W_j and d sells
    to consumers at P_j. Firm f's per-unit margin on k is
    :math:`\mu_{f,k} = 1[d(k) = f](P_k - W_k - c^D_k) + 1[u(k) = f](W_k - c^U_k)`; a vertically integrated pair
    (u(j) = d(j)) earns P_j - c^U_j - c^D_j and its wholesale price is set at upstream cost, W_j = c^U_j
    (the transfer is internal). A firm that is both a wholesaler and a retailer internalizes both levels
    through mu. Retailers set P by Bertrand, taking W as given:

    .. math::

        \partial \pi_{d(j)} / \partial P_j = s_j (1 - \alpha T_{d(j),j}) = 0 \iff T_{d(j),j} = 1/\alpha.

    Each pair with u(j) != d(j) bargains over W_j with retail prices held at their equilibrium values; the
    transfer moves profit one for one (:math:`\partial G_u/\partial W_j = s_j = -\partial G_d/\partial W_j`),
    so maximizing :math:`G_u^{\beta_j} G_d^{1 - \beta_j}` gives :math:`\beta_j G_{d,j} = (1 - \beta_j) G_{u,j}`,
    i.e.

    .. math::

        \beta_j T_{d(j),j} - (1 - \beta_j) T_{u(j),j} = 0.

    Wholesale and retail prices solve the J + (number of bargained pairs) equations jointly. With A_f =
    sum_k s_k mu_{f,k}: dA_f/dP_l = sum_k mu_{f,k} ds_k/dP_l + 1[d(l) = f] s_l,
    dA_f/dW_l = (1[u(l) = f] - 1[d(l) = f]) s_l, and dT_{f,j} = d mu_{f,j} - dA_f.

Both systems are written in money per unit (residuals are errors in T, i.e. in prices), so the residual the
solver reports is in the units of the prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def logit_state(alpha: float, delta: np.ndarray, prices: np.ndarray, outside_price: float,
                outside: bool) -> tuple[np.ndarray, np.ndarray]:
    """Logit shares and ds/dp (J, J) at ``prices`` (V_j = delta_j - alpha (p_j - p_0), or without p_0)."""
    v = delta - alpha * (prices - (outside_price if outside else 0.0))
    top = max(float(v.max()), 0.0) if outside else float(v.max())
    e = np.exp(v - top)
    s = e / (e.sum() + (np.exp(-top) if outside else 0.0))
    dsdp = -alpha * (np.diag(s) - np.outer(s, s))
    return s, dsdp


def tau(s: np.ndarray, beta: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """tau_j(s_j) of case (a) and its derivative in s_j (see the module docstring)."""
    log_term = -np.log1p(-s)
    ratio = s / (1.0 - s)
    d_log = 1.0 / (1.0 - s)
    d_ratio = d_log**2
    denominator = beta * log_term + (1.0 - beta) * ratio
    value = beta * log_term / (alpha * denominator)
    slope = beta * (1.0 - beta) * (d_log * ratio - log_term * d_ratio) / (alpha * denominator**2)
    return value, slope


def same_owner(owner: np.ndarray) -> np.ndarray:
    """O_jk = 1 when products j and k have the same owner code."""
    return (owner[:, None] == owner[None, :]).astype(float)


def consumer_residual(prices: np.ndarray, *, alpha: float, delta: np.ndarray, outside_price: float,
                      outside: bool, cost: np.ndarray, ownership: np.ndarray, beta: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Case (a): G(p) = m - O (s m) - tau(s) and its Jacobian dG/dp."""
    s, dsdp = logit_state(alpha, delta, prices, outside_price, outside)
    m = prices - cost
    t_value, t_slope = tau(s, beta, alpha)
    residual = m - ownership @ (s * m) - t_value
    jac = np.eye(len(prices)) - ownership * s[None, :] - (ownership * m[None, :]) @ dsdp - t_slope[:, None] * dsdp
    return residual, jac


@dataclass(frozen=True)
class Chain:
    """The structure of a vertical chain: firm membership matrices and which pairs bargain.

    ``down[f, k] = 1`` when firm f retails product k, ``up[f, k] = 1`` when it supplies it; ``retailer`` and
    ``supplier`` are the firm index of each product; ``bargained`` the products whose pair is not integrated.
    """

    down: np.ndarray
    up: np.ndarray
    retailer: np.ndarray
    supplier: np.ndarray
    bargained: np.ndarray  # integer positions

    @classmethod
    def build(cls, supplier: np.ndarray, retailer: np.ndarray, n_firms: int) -> Chain:
        n = len(supplier)
        down = np.zeros((n_firms, n))
        up = np.zeros((n_firms, n))
        down[retailer, np.arange(n)] = 1.0
        up[supplier, np.arange(n)] = 1.0
        return cls(down, up, retailer, supplier, np.flatnonzero(supplier != retailer))


def chain_margins(chain: Chain, retail: np.ndarray, wholesale: np.ndarray, upstream_cost: np.ndarray,
                  downstream_cost: np.ndarray) -> np.ndarray:
    """mu (F, J): each firm's per-unit margin on each product (integrated pairs: P - c^U - c^D)."""
    w = wholesale.copy()
    integrated = chain.supplier == chain.retailer
    w[integrated] = upstream_cost[integrated]
    out: np.ndarray = chain.down * (retail - w - downstream_cost)[None, :] + chain.up * (w - upstream_cost)[None, :]
    return out


def chain_residual(x: np.ndarray, *, alpha: float, delta: np.ndarray, outside_price: float, outside: bool,
                   chain: Chain, upstream_cost: np.ndarray, downstream_cost: np.ndarray, beta: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Case (b): residuals [T_d - 1/alpha (J); beta T_d - (1 - beta) T_u (bargained)] and the Jacobian in
    x = [P (J); W of the bargained pairs]."""
    n = len(delta)
    b = chain.bargained
    retail = x[:n]
    wholesale = upstream_cost.copy()
    wholesale[b] = x[n:]
    s, dsdp = logit_state(alpha, delta, retail, outside_price, outside)
    mu = chain_margins(chain, retail, wholesale, upstream_cost, downstream_cost)
    a = mu @ s
    da_dp = mu @ dsdp + chain.down * s[None, :]
    shift = chain.up - chain.down
    da_dw = (shift * s[None, :])[:, b]
    rows = np.arange(n)

    def t_and_derivatives(firm: np.ndarray, products: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        value = mu[firm, products] - a[firm]
        d_p = -da_dp[firm]
        d_p[np.arange(len(products)), products] += chain.down[firm, products]
        d_w = -da_dw[firm]
        own = np.flatnonzero(np.isin(products, b))
        # d mu_{f,j} / d W_j = up - down for bargained j
        positions = np.searchsorted(b, products[own])
        d_w[own, positions] += shift[firm[own], products[own]]
        return value, d_p, d_w

    t_d, dtd_p, dtd_w = t_and_derivatives(chain.retailer, rows)
    t_db, dtdb_p, dtdb_w = t_d[b], dtd_p[b], dtd_w[b]
    t_u, dtu_p, dtu_w = t_and_derivatives(chain.supplier[b], b)
    beta_b = beta[b]
    residual = np.concatenate([t_d - 1.0 / alpha, beta_b * t_db - (1.0 - beta_b) * t_u])
    jac = np.block([
        [dtd_p, dtd_w],
        [beta_b[:, None] * dtdb_p - (1.0 - beta_b)[:, None] * dtu_p,
         beta_b[:, None] * dtdb_w - (1.0 - beta_b)[:, None] * dtu_w],
    ])
    return residual, jac


def consumer_margin_coefficients(s: np.ndarray, ownership: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Case (a) margins times alpha at shares s: solve (I - O diag(s)) m1 = alpha tau(s) (m = m1 / alpha)."""
    t_value, _ = tau(s, beta, 1.0)
    out: np.ndarray = np.linalg.solve(np.eye(len(s)) - ownership * s[None, :], t_value)
    return out


def chain_margin_coefficients(s: np.ndarray, chain: Chain, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Case (b) margins times alpha at shares s: (retail margins P - W - c^D (J), wholesale margins W - c^U (J),
    0 for integrated pairs), from the linear system T_d = 1, beta T_d - (1 - beta) T_u = 0 with alpha = 1.

    For an integrated pair the retail margin is the whole margin P - c^U - c^D.
    """
    n = len(s)
    b = chain.bargained
    centered = np.eye(n) - s[None, :]  # (delta_jk - s_k)

    def t_rows(firm: np.ndarray, products: np.ndarray) -> np.ndarray:
        on_down = chain.down[firm] * centered[products]
        on_up = (chain.up[firm] * centered[products])[:, b]
        return np.hstack([on_down, on_up])

    t_d = t_rows(chain.retailer, np.arange(n))
    t_u = t_rows(chain.supplier[b], b)
    beta_b = beta[b][:, None]
    matrix = np.vstack([t_d, beta_b * t_d[b] - (1.0 - beta_b) * t_u])
    rhs = np.concatenate([np.ones(n), np.zeros(len(b))])
    y = np.linalg.solve(matrix, rhs)
    wholesale = np.zeros(n)
    wholesale[b] = y[n:]
    return y[:n], wholesale
