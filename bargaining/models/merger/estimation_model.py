r"""The Nash-in-Nash pricing first-order conditions of many markets as a :class:`~bargaining.models.protocols.MomentModel`.

Setting (case (a) of :mod:`bargaining.models.merger.equations`: sellers bargain over per-unit prices with the
consumers; logit demand with price coefficient alpha). In market t the first-order conditions are, with the
ownership matrix O_t (same seller), the shares s_t and the margins m_t = p_t - c_t,

.. math::

    (I - O_t \operatorname{diag}(s_t))\, m_t = \tau(s_t; \beta) , \qquad
    \tau_j = \frac{\beta_j L_j}{\alpha (\beta_j L_j + (1 - \beta_j) r_j)}, \quad
    L_j = -\log(1 - s_j), \; r_j = s_j / (1 - s_j),

so the margin implied by beta, alpha and the observed shares is

.. math::

    M_{jt}(\beta, \alpha) = \frac{1}{\alpha} \sum_k [A_t^{-1}]_{jk} \, \tau^{(1)}_k(s_{kt}; \beta_{g(k)}),
    \qquad A_t = I - O_t \operatorname{diag}(s_t),

where :math:`\tau^{(1)}` is tau at alpha = 1. A_t depends on the data only (shares and ownership), so it is
inverted once. With marginal cost :math:`c_{jt} = z_{jt}'\gamma + \omega_{jt}`, the residual of product j in
market t is the cost shock

.. math::

    u_{jt}(\theta) = (p_{jt} - z_{jt}'\gamma) - M_{jt}(\beta, \alpha) = \omega_{jt}, \qquad
    \theta = (\beta_1, \dots, \beta_G, \gamma),

the observed margin over the costs z'gamma minus the margin the model implies. Shares respond to omega
through the prices, so :math:`M` is endogenous: the moment conditions are :math:`E[h_{jt} u_{jt}] = 0` with
instruments h independent of omega (the cost shifters z and shifters of the shares that do not move costs:
observed demand shifters, rivals' cost and demand shifters).

Analytic Jacobian: :math:`\partial u / \partial \gamma' = -z'`, and
:math:`\partial u_{jt} / \partial \beta_g = -\frac{1}{\alpha} \sum_{k: g(k) = g} [A_t^{-1}]_{jk}
\partial \tau^{(1)}_k / \partial \beta` with :math:`\partial \tau^{(1)} / \partial \beta = L r / D^2`,
:math:`D = \beta L + (1 - \beta) r`. For the delta method in alpha:
:math:`\partial u / \partial \alpha = M / \alpha`.

Seller weights by covariates: :math:`\beta_{jt} = \Lambda(w_{jt}'\delta)` with the logistic function
:math:`\Lambda` and a weight design w (parameters ``delta[TERM]``, as in :func:`bargaining.fit_nash`); then
:math:`\partial u_{jt} / \partial \delta = -\frac{1}{\alpha} \sum_k [A_t^{-1}]_{jk}
\, \partial \tau^{(1)}_k / \partial \beta \; \beta_k (1 - \beta_k) \, w_k`. A design of group indicators
(``~ 0 + C(group)``) gives the group weights through the link, :math:`\beta_g = \Lambda(\delta_g)`.

Every row carries its market's row of :math:`A_t^{-1}` and its market mates' shares and weight groups or
weight-design rows (padded to the largest market), so ``subset(rows)`` is a plain row selection and the bootstrap may resample
rows or whole markets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from bargaining.errors import DataValidationError, InvalidParameterError
from bargaining.models.merger.equations import tau

__all__ = ["MergerPricingMoments", "tau_weight_derivative"]

_PAD_SHARE = 0.5  # share given to padding entries (their coefficient is 0), so that tau stays finite


def tau_weight_derivative(s: np.ndarray, beta: np.ndarray) -> np.ndarray:
    r"""d tau / d beta at alpha = 1: :math:`L r / (\beta L + (1 - \beta) r)^2`."""
    log_term = -np.log1p(-s)
    ratio = s / (1.0 - s)
    denominator = beta * log_term + (1.0 - beta) * ratio
    out: np.ndarray = log_term * ratio / denominator**2
    return out


def checked_inputs(price: Any, share: Any, market: Any, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(price, share, market codes) checked as every merger pricing-moment model needs them: alpha positive,
    shares strictly inside (0, 1), and an outside good in every market."""
    price = np.asarray(price, dtype=float)
    share = np.asarray(share, dtype=float)
    n = price.size
    if not (np.isfinite(alpha) and float(alpha) > 0):
        raise InvalidParameterError(f"alpha must be a positive number, got {alpha!r}.",
                                    hint="alpha is the price coefficient (utility falls by alpha per unit of "
                                    "price).")
    if share.shape != (n,) or np.any(~np.isfinite(share)) or np.any((share <= 0) | (share >= 1)):
        raise DataValidationError("shares must be finite and strictly between 0 and 1.",
                                  hint="drop products with zero shares, and markets without an outside good.")
    market_codes = pd.factorize(pd.Series(np.asarray(market, dtype=object)))[0]
    if np.any(pd.Series(share).groupby(market_codes).sum().to_numpy() >= 1):
        raise DataValidationError("in some markets the shares sum to 1 or more: there is no outside good.",
                                  hint="shares are of the whole market, outside good included.")
    return price, share, market_codes


def seller_weight_setup(n: int, weight_group: Any, group_names: Sequence[str] | None, weight_design: Any,
                        weight_design_names: Sequence[str] | None) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """(group code per row, weight parameter names, covariate design or None) for seller weights that are one
    number, one per group, or logistic in covariates."""
    if weight_design is not None:
        if weight_group is not None or weight_design_names is None:
            raise InvalidParameterError("pass weight_design with weight_design_names, and not with weight_group.",
                                        hint="seller weights are by group or by covariates, not both.")
        design = np.asarray(weight_design, dtype=float).reshape(n, -1)
        if design.shape[1] != len(weight_design_names) or not np.all(np.isfinite(design)):
            raise DataValidationError("weight_design must be finite with one name per column.",
                                      hint="check weight_design_names and missing values.")
        return np.zeros(n, dtype=np.int64), [f"delta[{t}]" for t in weight_design_names], design
    if weight_group is None:
        return np.zeros(n, dtype=np.int64), ["seller_weight"], None
    if group_names is None:
        raise InvalidParameterError("weight_group was given without group_names.",
                                    hint="pass the name of every group code.")
    return np.asarray(weight_group, dtype=np.int64), [f"seller_weight[{g}]" for g in group_names], None


class PricingMomentsNames:
    """The protocol's names and sizes shared by the merger pricing-moment models (logit and nested logit)."""

    weight_names: list[str]
    cost_names: list[str]
    price: np.ndarray
    _instruments: np.ndarray | None

    @property
    def param_names(self) -> list[str]:
        return [*self.weight_names, *self.cost_names]

    @property
    def n_weights(self) -> int:
        return len(self.weight_names)

    @property
    def nobs(self) -> int:
        return int(self.price.size)

    @property
    def instruments(self) -> np.ndarray | None:
        return self._instruments


class MergerPricingMoments(PricingMomentsNames):
    """Moment model of the Nash-in-Nash pricing conditions in many markets (module docstring).

    Parameters
    ----------
    price, share
        Observed consumer prices and market shares (one per product and market; shares of each market sum
        to less than 1: there is an outside good).
    market, seller
        Market and seller labels per row (a seller bargains for all its products in a market; its products
        recapture each other's sales).
    cost_design, cost_names
        Rows z_jt of the marginal-cost equation and the names of its terms (parameters ``gamma[TERM]``).
    alpha
        The logit price coefficient (> 0), treated as known.
    weight_group, group_names
        Integer code of the seller-weight group of each row (0..G-1) and the groups' names; None: one common
        weight, named ``seller_weight`` (otherwise ``seller_weight[GROUP]``).
    weight_design, weight_design_names
        Instead of groups: the n x K design w of logistic seller weights beta = Lambda(w'delta) and the names
        of its columns (parameters ``delta[TERM]``).
    instruments
        n x m instruments (m >= number of parameters), or None for nonlinear least squares (inconsistent
        when shares respond to cost shocks; for checks only).

    Examples
    --------
    >>> m = MergerPricingMoments([2.0, 2.5], [0.3, 0.2], [0, 0], ["A", "B"], [[1.0], [1.0]], ["Intercept"],
    ...                          alpha=1.0, weight_design=[[1.0], [1.0]], weight_design_names=["Intercept"])
    >>> m.param_names, [round(float(b), 3) for b in m.seller_weights([0.0, 1.0])]
    (['delta[Intercept]', 'gamma[Intercept]'], [0.5, 0.5])
    """

    def __init__(
        self,
        price: Any,
        share: Any,
        market: Any,
        seller: Any,
        cost_design: Any,
        cost_names: Sequence[str],
        *,
        alpha: float,
        weight_group: Any = None,
        group_names: Sequence[str] | None = None,
        weight_design: Any = None,
        weight_design_names: Sequence[str] | None = None,
        instruments: Any = None,
    ) -> None:
        price, share, market_codes = checked_inputs(price, share, market, alpha)
        n = price.size
        design = np.asarray(cost_design, dtype=float).reshape(n, -1)
        seller_labels = np.asarray(seller, dtype=object)
        groups, names, own_design = seller_weight_setup(n, weight_group, group_names, weight_design,
                                                        weight_design_names)
        sizes = np.bincount(market_codes)
        width = int(sizes.max())
        coef = np.zeros((n, width))
        mate_share = np.full((n, width), _PAD_SHARE)
        mate_group = np.zeros((n, width), dtype=np.int64)
        mate_design = None if own_design is None else np.zeros((n, width, own_design.shape[1]))
        order = np.argsort(market_codes, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)])
        for size in np.unique(sizes):
            members = np.flatnonzero(sizes == size)
            rows = np.stack([order[starts[t]:starts[t] + size] for t in members])  # (T_J, J)
            s = share[rows]
            owner = seller_labels[rows]
            same = (owner[:, :, None] == owner[:, None, :]).astype(float)
            a = np.eye(size)[None] - same * s[:, None, :]
            inverse = np.linalg.inv(a)
            flat = rows.ravel()
            coef[flat, :size] = inverse.reshape(-1, size)
            mate_share[flat, :size] = np.repeat(s, size, axis=0)
            mate_group[flat, :size] = np.repeat(groups[rows], size, axis=0)
            if mate_design is not None and own_design is not None:
                mate_design[flat, :size] = np.repeat(own_design[rows], size, axis=0)
        self._set(price, design, coef, mate_share, mate_group, float(alpha),
                  None if instruments is None else np.asarray(instruments, dtype=float).reshape(n, -1),
                  names, [f"gamma[{t}]" for t in cost_names], groups, own_design, mate_design)

    def _set(self, price: np.ndarray, design: np.ndarray, coef: np.ndarray, mate_share: np.ndarray,
             mate_group: np.ndarray, alpha: float, instruments: np.ndarray | None, weight_names: list[str],
             cost_names: list[str], own_group: np.ndarray, own_design: np.ndarray | None,
             mate_design: np.ndarray | None) -> None:
        self.price, self.cost_design, self.coef = price, design, coef
        self.mate_share, self.mate_group, self.alpha = mate_share, mate_group, alpha
        self._instruments = instruments
        self.weight_names, self.cost_names = weight_names, cost_names
        self.own_group, self.own_design, self.mate_design = own_group, own_design, mate_design

    # -- protocol (param_names, n_weights, nobs, instruments: PricingMomentsNames) -----------------------------

    def _split(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        params = np.asarray(params, dtype=float)
        return params[: self.n_weights], params[self.n_weights:]

    @property
    def logistic(self) -> bool:
        """Seller weights by covariates, beta = Lambda(w'delta)."""
        return self.mate_design is not None

    def _mate_weights(self, weights: np.ndarray) -> np.ndarray:
        """The seller weight of each row's market mates (n x width) at the weight parameters."""
        weights = np.asarray(weights, dtype=float)
        if self.mate_design is not None:
            out: np.ndarray = expit(self.mate_design @ weights)
            return out
        mates: np.ndarray = weights[self.mate_group]
        return mates

    def seller_weights(self, params: np.ndarray) -> np.ndarray:
        """Each row's own seller weight beta_jt (n,) at ``params`` (the implied weights)."""
        weights, _ = self._split(params)
        if self.own_design is not None:
            out: np.ndarray = expit(self.own_design @ weights)
            return out
        own: np.ndarray = weights[self.own_group]
        return own

    def margin_coefficients(self, weights: np.ndarray) -> np.ndarray:
        """alpha times the implied margins, :math:`\\alpha M_{jt}` (n,), at the weight parameters (the group
        weights, or delta)."""
        value, _ = tau(self.mate_share, self._mate_weights(weights), 1.0)
        out: np.ndarray = (self.coef * value).sum(axis=1)
        return out

    def implied_margins(self, params: np.ndarray) -> np.ndarray:
        """The margins p - c the first-order conditions imply at ``params`` and the observed shares."""
        weights, _ = self._split(params)
        return self.margin_coefficients(weights) / self.alpha

    def start_values(self) -> np.ndarray:
        """beta = 0.5 for every group (delta = 0 with covariates) and gamma by least squares of p - M(0.5) on z."""
        weights = np.zeros(self.n_weights) if self.logistic else np.full(self.n_weights, 0.5)
        target = self.price - self.margin_coefficients(weights) / self.alpha
        gamma = np.linalg.lstsq(self.cost_design, target, rcond=None)[0]
        return np.concatenate([weights, gamma])

    def residuals(self, params: np.ndarray) -> np.ndarray:
        weights, gamma = self._split(params)
        out: np.ndarray = self.price - self.cost_design @ gamma - self.margin_coefficients(weights) / self.alpha
        return out

    def jacobian(self, params: np.ndarray) -> np.ndarray:
        weights, _ = self._split(params)
        beta = self._mate_weights(weights)
        slope = tau_weight_derivative(self.mate_share, beta) * self.coef
        if self.mate_design is not None:
            d_weights = np.einsum("nw,nwk->nk", slope * beta * (1.0 - beta), self.mate_design)
        else:
            d_weights = np.zeros((self.nobs, self.n_weights))
            for g in range(self.n_weights):
                d_weights[:, g] = (slope * (self.mate_group == g)).sum(axis=1)
        return np.hstack([-d_weights / self.alpha, -self.cost_design])

    def alpha_derivative(self, params: np.ndarray) -> np.ndarray:
        """d u / d alpha (n,) = M / alpha, for the delta method in the demand parameter."""
        return self.implied_margins(params) / self.alpha

    def subset(self, rows: np.ndarray) -> MergerPricingMoments:
        rows = np.asarray(rows)
        out = MergerPricingMoments.__new__(MergerPricingMoments)
        out._set(self.price[rows], self.cost_design[rows], self.coef[rows], self.mate_share[rows],
                 self.mate_group[rows], self.alpha, None if self._instruments is None else self._instruments[rows],
                 self.weight_names, self.cost_names, self.own_group[rows],
                 None if self.own_design is None else self.own_design[rows],
                 None if self.mate_design is None else self.mate_design[rows])
        return out
