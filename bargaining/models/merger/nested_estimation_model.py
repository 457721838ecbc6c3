r"""The Nash-in-Nash pricing conditions of many markets with nested logit demand, as a moment model.

Case (a) of :mod:`bargaining.models.merger.general` (sellers bargain over per-unit prices with the consumers)
with :class:`~bargaining.models.demand.NestedLogitDemand`: price coefficient alpha, one nesting parameter
:math:`\lambda = 1 - \sigma` for every nest (sigma is Berry's coefficient of log s_{j|g},
:func:`bargaining.fit_nested_logit_demand`), an outside good. At fixed shares the conditions are linear in
the margins m = p - c (:func:`bargaining.models.merger.general.consumer_margins`):

.. math::

    \sum_k O_{jk} \big[-\beta_j W_j S_{kj} + (1 - \beta_j) s_j (s_k - R_{jk})\big] m_k = \beta_j W_j s_j ,

with :math:`S_{kj} = \partial s_k / \partial p_j`, :math:`W_j` the consumers' willingness to pay for j and
:math:`R_{jk}` the share of k without j. In nested logit, with :math:`s_g` the nest share,
:math:`w_j = s_{j|g}` and :math:`\rho_j = 1 - s_g (1 - (1 - w_j)^\lambda)` (the factor by which the
denominator falls when j leaves), all of them are closed forms of the observed shares (module docstring of
:mod:`bargaining.models.demand.nested_logit`):

.. math::

    S_{jk} = -\alpha s_j \big(1[j = k]/\lambda - (1/\lambda - 1) 1[k \in g(j)] w_k - s_k\big), \quad
    W_j = -\log(\rho_j)/\alpha, \quad
    R_{jk} = \frac{s_k}{\rho_j} \; (k \notin g(j)), \quad
    R_{jk} = \frac{w_k}{1 - w_j} \frac{s_g (1 - w_j)^\lambda}{\rho_j} \; (k \in g(j), k \ne j).

S is alpha times its value at alpha = 1 and W is 1/alpha times its value, so the implied margins are
:math:`M_{jt} = M^{(1)}_{jt}(\beta, \lambda) / \alpha` (:math:`M^{(1)}`: alpha = 1). Writing the system as
:math:`A m^{(1)} = b`, the residual of product j in market t is the cost shock

.. math::

    u_{jt}(\theta) = p_{jt} - z_{jt}'\gamma - M^{(1)}_{jt}(\beta, \lambda) / \alpha = \omega_{jt},

as in :class:`~bargaining.models.merger.estimation_model.MergerPricingMoments` (same parameters, weights by
group or by covariates :math:`\beta = \Lambda(w'\delta)`, same instruments). Analytic derivatives: row j of
A and b depend on :math:`\beta_j` only, so
:math:`\partial m^{(1)} / \partial \beta_j = A^{-1} e_j c_j` with
:math:`c_j = W_j s_j - \sum_k O_{jk} [-W_j S_{kj} - s_j (s_k - R_{jk})] m^{(1)}_k` (at alpha = 1); and
:math:`\partial m^{(1)} / \partial \lambda = A^{-1} (\partial b / \partial \lambda - (\partial A /
\partial \lambda) m^{(1)})` from :math:`\partial S / \partial \lambda`,
:math:`\partial \rho_j / \partial \lambda = s_g (1 - w_j)^\lambda \log(1 - w_j)` and
:math:`\partial R_{jk} / \partial \lambda = R_{jk} (\log(1 - w_j) 1[k \in g(j)] - \partial_\lambda \rho_j /
\rho_j)`. For the delta method in the demand parameters:
:math:`\partial u / \partial \alpha = M / \alpha` and :math:`\partial u / \partial \lambda = -(\partial
M^{(1)} / \partial \lambda) / \alpha`.

Markets are grouped by their number of products and solved as stacks of small systems; ``subset(rows)``
keeps every market whole (the implied margins depend on the market mates) and selects the residual rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from bargaining.errors import InvalidParameterError
from bargaining.models.merger.estimation_model import PricingMomentsNames, checked_inputs, seller_weight_setup

__all__ = ["NestedMergerPricingMoments", "nested_logit_closed_forms"]


def nested_logit_closed_forms(share: np.ndarray, same_nest: np.ndarray, nesting_parameter: float
                              ) -> dict[str, np.ndarray]:
    r"""S, W, R at alpha = 1 and their derivatives in lambda, for stacks of markets (module docstring).

    Parameters
    ----------
    share
        (T, J) shares of T markets with J products each (outside good: 1 minus the sum).
    same_nest
        (T, J, J) booleans, True when j and k are in the same nest (True on the diagonal).
    nesting_parameter
        lambda in (0, 1].

    Returns
    -------
    dict
        ``S`` (T, J, J), ``S[t, j, k]`` = ds_j / dp_k; ``W`` (T, J); ``R`` (T, J, J), ``R[t, j, k]`` = share of k
        without j; ``dS``, ``dW``, ``dR`` their derivatives in lambda.

    Examples
    --------
    >>> out = nested_logit_closed_forms(np.array([[0.2, 0.3]]), np.ones((1, 2, 2), dtype=bool), 1.0)
    >>> bool(np.isclose(out["W"][0, 0], -np.log(1 - 0.2)))   # lambda = 1: logit, W = -log(1 - s)
    True
    """
    lam = float(nesting_parameter)
    same = same_nest.astype(float)
    s = share
    n = s.shape[1]
    eye = np.eye(n)[None]
    nest_share = np.einsum("tjk,tk->tj", same, s)
    w = s / nest_share
    big_s = -s[:, :, None] * (eye / lam - same * (1.0 / lam - 1.0) * w[:, None, :] - s[:, None, :])
    d_big_s = -s[:, :, None] * (-eye + same * w[:, None, :]) / lam**2
    left = np.clip(1.0 - w, 0.0, None)
    positive = left > 0
    log_left = np.log(np.where(positive, left, 1.0))
    kept = np.where(positive, left**lam, 0.0)
    d_kept = kept * log_left                                   # 0 where the nest has one product
    rho = 1.0 - nest_share * (1.0 - kept)
    d_rho = nest_share * d_kept
    wtp = -np.log(rho)
    d_wtp = -d_rho / rho
    inside = (np.where(positive, 1.0 / np.where(positive, left, 1.0), 0.0) * nest_share * kept)[:, :, None] \
        * w[:, None, :]
    removal = np.where(same_nest, inside, s[:, None, :]) / rho[:, :, None]
    d_removal = removal * (same * log_left[:, :, None] - (d_rho / rho)[:, :, None])
    removal = removal * (1.0 - eye)
    d_removal = d_removal * (1.0 - eye)
    return {"S": big_s, "W": wtp, "R": removal, "dS": d_big_s, "dW": d_wtp, "dR": d_removal}


@dataclass(frozen=True)
class _Block:
    """The markets with one number of products: row positions (T, J), shares, nests, ownership."""

    rows: np.ndarray
    share: np.ndarray
    same_nest: np.ndarray
    ownership: np.ndarray


class NestedMergerPricingMoments(PricingMomentsNames):
    """Moment model of the Nash-in-Nash pricing conditions with nested logit demand (module docstring).

    Parameters
    ----------
    price, share, market, seller
        As in :class:`~bargaining.models.merger.estimation_model.MergerPricingMoments`.
    nest
        Nest label per row (nests are within a market; the outside good is its own nest).
    cost_design, cost_names
        Rows z_jt of the marginal-cost equation and its term names (parameters ``gamma[TERM]``).
    alpha
        The price coefficient (> 0), treated as known.
    nesting_parameter
        lambda = 1 - sigma in (0, 1], one for every nest, treated as known.
    weight_group, group_names, weight_design, weight_design_names, instruments
        As in :class:`~bargaining.models.merger.estimation_model.MergerPricingMoments`.

    Examples
    --------
    One market, two single-product sellers in one nest, seller weight 1 (Bertrand) and lambda = 1 (logit):
    the implied margin is 1 / (alpha (1 - s)).

    >>> m = NestedMergerPricingMoments([2.0, 2.5], [0.3, 0.2], [0, 0], ["A", "B"], ["g", "g"], [[1.0], [1.0]],
    ...                                ["Intercept"], alpha=1.0, nesting_parameter=1.0)
    >>> [round(float(v), 6) for v in m.implied_margins([1.0, 0.0])]
    [1.428571, 1.25]
    """

    def __init__(
        self,
        price: Any,
        share: Any,
        market: Any,
        seller: Any,
        nest: Any,
        cost_design: Any,
        cost_names: Sequence[str],
        *,
        alpha: float,
        nesting_parameter: float,
        weight_group: Any = None,
        group_names: Sequence[str] | None = None,
        weight_design: Any = None,
        weight_design_names: Sequence[str] | None = None,
        instruments: Any = None,
    ) -> None:
        if not (np.isfinite(nesting_parameter) and 0 < float(nesting_parameter) <= 1):
            raise InvalidParameterError(
                f"nesting_parameter must be in (0, 1], got {nesting_parameter!r}.",
                hint="nesting_parameter is lambda = 1 - sigma (sigma: Berry's coefficient of log s_(j|g), in [0, 1)).")
        price, share, market_codes = checked_inputs(price, share, market, alpha)
        n = price.size
        seller_codes = pd.factorize(pd.Series(np.asarray(seller, dtype=object)))[0]
        nest_codes = pd.factorize(pd.Series(np.asarray(nest, dtype=object)))[0]
        groups, names, design_w = seller_weight_setup(n, weight_group, group_names, weight_design,
                                                      weight_design_names)
        sizes = np.bincount(market_codes)
        order = np.argsort(market_codes, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)])
        blocks = []
        for size in np.unique(sizes):
            members = np.flatnonzero(sizes == size)
            rows = np.stack([order[starts[t]:starts[t] + size] for t in members])
            blocks.append(_Block(rows=rows, share=share[rows],
                                 same_nest=nest_codes[rows][:, :, None] == nest_codes[rows][:, None, :],
                                 ownership=(seller_codes[rows][:, :, None]
                                            == seller_codes[rows][:, None, :]).astype(float)))
        self._blocks = blocks
        self._groups, self._weight_design = groups, design_w
        self._n_full = n
        self.alpha, self.nesting_parameter = float(alpha), float(nesting_parameter)
        self.weight_names, self.cost_names = names, [f"gamma[{t}]" for t in cost_names]
        self._forms = [nested_logit_closed_forms(b.share, b.same_nest, self.nesting_parameter) for b in blocks]
        self._select(np.arange(n), price, np.asarray(cost_design, dtype=float).reshape(n, -1),
                     None if instruments is None else np.asarray(instruments, dtype=float).reshape(n, -1))

    def _select(self, rows: np.ndarray, price: np.ndarray, design: np.ndarray, instruments: np.ndarray | None
                ) -> None:
        self._rows, self.price, self.cost_design, self._instruments = rows, price, design, instruments

    # -- protocol (param_names, n_weights, nobs, instruments: PricingMomentsNames) -----------------------------

    @property
    def logistic(self) -> bool:
        """Seller weights by covariates, beta = Lambda(w'delta)."""
        return self._weight_design is not None

    def _split(self, params: Any) -> tuple[np.ndarray, np.ndarray]:
        params = np.asarray(params, dtype=float)
        return params[: self.n_weights], params[self.n_weights:]

    def _full_weights(self, weights: np.ndarray) -> np.ndarray:
        """beta of every row of the full data."""
        if self._weight_design is not None:
            out: np.ndarray = expit(self._weight_design @ weights)
            return out
        own: np.ndarray = np.asarray(weights, dtype=float)[self._groups]
        return own

    def seller_weights(self, params: Any) -> np.ndarray:
        """Each row's own seller weight beta_jt (n,) at ``params``."""
        weights, _ = self._split(params)
        out: np.ndarray = self._full_weights(weights)[self._rows]
        return out

    def _solve(self, weights: np.ndarray, *, slopes: bool = False, nesting: bool = False
               ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """M^(1) (full rows), dM^(1)/d(weight parameters) (full rows x n_weights) and dM^(1)/dlambda."""
        beta_full = self._full_weights(weights)
        margins = np.empty(self._n_full)
        d_weights = np.zeros((self._n_full, self.n_weights)) if slopes else None
        d_lambda = np.empty(self._n_full) if nesting else None
        for block, form in zip(self._blocks, self._forms, strict=True):
            beta, s, own = beta_full[block.rows], block.share, block.ownership
            big_s, wtp, removal = form["S"], form["W"], form["R"]
            s_t = np.swapaxes(big_s, 1, 2)                       # [j, k] = dS_k / dp_j
            gap = s[:, None, :] - removal                        # s_k - R_jk
            matrix = own * (-(beta * wtp)[:, :, None] * s_t + ((1.0 - beta) * s)[:, :, None] * gap)
            rhs = beta * wtp * s
            inverse = np.linalg.inv(matrix)
            m1 = np.einsum("tjk,tk->tj", inverse, rhs)
            margins[block.rows] = m1
            if d_weights is not None:
                row_slope = own * (-wtp[:, :, None] * s_t - s[:, :, None] * gap)
                c = wtp * s - np.einsum("tjk,tk->tj", row_slope, m1)
                columns = inverse * c[:, None, :]                  # [t, a, j] = dm_a / dbeta_j
                if self._weight_design is not None:
                    link = beta * (1.0 - beta)
                    d_weights[block.rows] = np.einsum("taj,tjk->tak", columns * link[:, None, :],
                                                      self._weight_design[block.rows])
                else:
                    group = self._groups[block.rows]
                    for g in range(self.n_weights):
                        d_weights[block.rows, g] = (columns * (group == g)[:, None, :]).sum(axis=2)
            if d_lambda is not None:
                ds_t = np.swapaxes(form["dS"], 1, 2)
                d_matrix = own * (-(beta * form["dW"])[:, :, None] * s_t - (beta * wtp)[:, :, None] * ds_t
                                  - ((1.0 - beta) * s)[:, :, None] * form["dR"])
                d_rhs = beta * form["dW"] * s
                d_lambda[block.rows] = np.einsum("tjk,tk->tj", inverse,
                                                 d_rhs - np.einsum("tjk,tk->tj", d_matrix, m1))
        return margins, d_weights, d_lambda

    def margin_coefficients(self, weights: Any) -> np.ndarray:
        r"""alpha times the implied margins, :math:`\alpha M_{jt} = M^{(1)}_{jt}` (n,), at the weight parameters."""
        out: np.ndarray = self._solve(np.asarray(weights, dtype=float))[0][self._rows]
        return out

    def implied_margins(self, params: Any) -> np.ndarray:
        """The margins p - c the first-order conditions imply at ``params`` and the observed shares."""
        weights, _ = self._split(params)
        return self.margin_coefficients(weights) / self.alpha

    def start_values(self) -> np.ndarray:
        """beta = 0.5 for every group (delta = 0 with covariates) and gamma by least squares of p - M(0.5) on z."""
        weights = np.zeros(self.n_weights) if self.logistic else np.full(self.n_weights, 0.5)
        target = self.price - self.margin_coefficients(weights) / self.alpha
        gamma = np.linalg.lstsq(self.cost_design, target, rcond=None)[0]
        return np.concatenate([weights, gamma])

    def residuals(self, params: Any) -> np.ndarray:
        weights, gamma = self._split(params)
        out: np.ndarray = self.price - self.cost_design @ gamma - self.margin_coefficients(weights) / self.alpha
        return out

    def jacobian(self, params: Any) -> np.ndarray:
        weights, _ = self._split(params)
        _, d_weights, _ = self._solve(weights, slopes=True)
        assert d_weights is not None
        return np.hstack([-d_weights[self._rows] / self.alpha, -self.cost_design])

    def alpha_derivative(self, params: Any) -> np.ndarray:
        """d u / d alpha (n,) = M / alpha."""
        return self.implied_margins(params) / self.alpha

    def nesting_derivative(self, params: Any) -> np.ndarray:
        """d u / d lambda (n,) = -(d M^(1) / d lambda) / alpha (d u / d sigma is its negative)."""
        weights, _ = self._split(params)
        _, _, d_lambda = self._solve(weights, nesting=True)
        assert d_lambda is not None
        out: np.ndarray = -d_lambda[self._rows] / self.alpha
        return out

    def subset(self, rows: Any) -> NestedMergerPricingMoments:
        rows = np.asarray(rows)
        out = NestedMergerPricingMoments.__new__(NestedMergerPricingMoments)
        out.__dict__.update(self.__dict__)
        out._select(self._rows[rows], self.price[rows], self.cost_design[rows],
                    None if self._instruments is None else self._instruments[rows])
        return out
