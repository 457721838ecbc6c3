"""Multinomial logit demand: :class:`LogitDemand`.

Utility u_ij = delta_j - alpha p_j + eps_ij with eps_ij i.i.d. type-I extreme value and alpha > 0. With the
utility index V_j = delta_j - alpha (p_j - p_0) relative to an outside good of utility 0 (``normalize=None``),
or V_j = delta_j - alpha p_j among the products alone (``normalize=REF``, delta_REF = 0),

    s_j = exp(V_j) / (1 [outside good] + sum_k exp(V_k)),
    ds_j/dp_k = -alpha s_j (1[j = k] - s_k),
    e_jj = -alpha p_j (1 - s_j),   e_jk = alpha p_k s_k  (k != j),
    D_jk = s_k / (1 - s_j)  (diversion from j to k),
    CS = (1/alpha) log(1 [outside good] + sum_k exp(V_k)),
    WTP(R) = CS - (1/alpha) log(1 [outside good] + sum_{k not in R} exp(V_k)) = -(1/alpha) log(1 - sum_{k in R} s_k).

Calibration (:meth:`LogitDemand.from_shares`) inverts shares exactly (Berry 1994):
delta_j = log(s_j / s_0) + alpha (p_j - p_0) with an outside good, delta_j = log(s_j / s_REF) + alpha (p_j - p_REF)
without one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from bargaining.models.demand._base import DiscreteChoiceDemand, _check_alpha, _logsumexp, _shares_input

__all__ = ["LogitDemand"]


class LogitDemand(DiscreteChoiceDemand):
    """Logit demand for one market, with an outside good or a normalized inside product.

    Parameters
    ----------
    alpha
        The price coefficient, > 0: utility is delta_j - alpha p_j (utils per unit of money).
    mean_utility
        delta_j, one per product: an array, or a Series whose index labels the products.
    outside_price
        p_0, the outside good's price (its mean utility is 0). Only p_j - p_0 matters for choices.
    normalize
        ``None`` (an outside good) or a product label: no outside good, consumers choose among the products;
        that product's mean utility must be 0 and its price is the reference in :meth:`from_shares`.
    products
        Product labels when ``mean_utility`` is a plain array (default 0..J-1).

    Notes
    -----
    Formulas are in the module docstring of :mod:`bargaining.models.demand.logit`; conventions shared with the
    other demands (consumer surplus, WTP) in :class:`~bargaining.models.demand.DiscreteChoiceDemand`.

    Examples
    --------
    >>> demand = LogitDemand(alpha=2.0, mean_utility=pd.Series([1.0, 0.5], index=["a", "b"]))
    >>> demand.shares([1.0, 1.0]).round(4).to_dict()
    {'a': 0.2312, 'b': 0.1402}
    >>> calibrated = LogitDemand.from_shares([1.0, 1.0], demand.shares([1.0, 1.0]), alpha=2.0)
    >>> bool(np.allclose(calibrated.mean_utility, demand.mean_utility))
    True
    """

    def __init__(
        self,
        alpha: float,
        mean_utility: Any,
        outside_price: float = 0.0,
        normalize: Hashable | None = None,
        *,
        products: Iterable[Hashable] | None = None,
    ) -> None:
        super().__init__(alpha, mean_utility, outside_price, normalize, products=products)

    def _shares(self, p: np.ndarray) -> np.ndarray:
        v = self._index_values(p)
        top = max(float(v.max()), 0.0) if self.has_outside_good else float(v.max())
        e = np.exp(v - top)
        denominator = e.sum() + (np.exp(-top) if self.has_outside_good else 0.0)
        out: np.ndarray = e / denominator
        return out

    def _derivatives(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        out: np.ndarray = -self.alpha * (np.diag(s) - np.outer(s, s))
        return out

    def _shares_available(self, p: np.ndarray, available: np.ndarray) -> np.ndarray:
        v = np.where(available, self._index_values(p), -np.inf)
        top = float(v[available].max())
        if self.has_outside_good:
            top = max(top, 0.0)
        e = np.exp(v - top)
        out: np.ndarray = e / (e.sum() + (np.exp(-top) if self.has_outside_good else 0.0))
        return out

    def _second_derivatives(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        # d s_j / dV_k = s_j A_jk with A_jk = 1[j = k] - s_k; dA_jk / dV_l = -s_k A_kl; dV/dp = -alpha
        a = np.eye(len(s)) - s[None, :]
        da = -(s[:, None] * a)[None, :, :]  # dA[j, k, l] = -s_k A_kl (the same for every j)
        out: np.ndarray = self.alpha**2 * s[:, None, None] * (a[:, :, None] * a[:, None, :] + da)
        return out

    def _restricted(self, keep: np.ndarray) -> LogitDemand:
        products = self.products[keep]
        return LogitDemand(self.alpha, pd.Series(self._delta[keep], index=products), self.outside_price,
                           self.normalize)

    def _log_inclusive(self, p: np.ndarray, available: np.ndarray) -> float:
        v = self._index_values(p)[available]
        if self.has_outside_good:
            v = np.append(v, 0.0)
        return _logsumexp(v)

    @classmethod
    def from_shares(
        cls,
        prices: Any,
        shares: Any,
        alpha: float,
        outside_price: float = 0.0,
        normalize: Hashable | None = None,
        *,
        products: Iterable[Hashable] | None = None,
    ) -> LogitDemand:
        """The logit demand that reproduces ``shares`` at ``prices`` exactly, for a given alpha.

        delta_j = log(s_j / s_0) + alpha (p_j - p_0) with an outside good (s_0 = 1 - sum_j s_j);
        delta_j = log(s_j / s_REF) + alpha (p_j - p_REF) with ``normalize=REF`` (shares must sum to 1).

        Parameters
        ----------
        prices, shares
            One per product (arrays, or Series indexed by product; labels come from ``shares``, else
            ``prices``, else ``products``). Shares are of the whole market, in (0, 1).
        alpha, outside_price, normalize, products
            As in :class:`LogitDemand`.
        """
        alpha = _check_alpha(alpha)
        index, p, s, reference = _shares_input(prices, shares, normalize, products)
        if reference is None:
            outside = 1.0 - float(s.sum())
            delta = np.log(s) - np.log(outside) + alpha * (p - float(outside_price))
        else:
            delta = np.log(s) - np.log(s[reference]) + alpha * (p - p[reference])
            delta[reference] = 0.0
        return cls(alpha, pd.Series(delta, index=index), outside_price, normalize)
