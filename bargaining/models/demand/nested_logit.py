"""Nested logit demand: :class:`NestedLogitDemand`.

Products are partitioned into nests g, each with a nesting parameter lambda_g in (0, 1] (McFadden's
dissimilarity parameter; lambda_g = 1 - sigma_g in Berry's 1994 notation). Utility is u_ij = delta_j - alpha p_j
+ (nested extreme value shock); with V_j the utility index as in logit (relative to an outside good of utility
0 that forms its own nest, or among the products alone with ``normalize=REF``),

    D_g = sum_{k in g} exp(V_k / lambda_g),        I_g = lambda_g log D_g  (inclusive value of nest g),
    s_{j|g} = exp(V_j / lambda_g) / D_g,           s_g = exp(I_g) / (1 [outside good] + sum_h exp(I_h)),
    s_j = s_{j|g} s_g,
    ds_j/dp_k = -alpha s_j (1[j = k] / lambda_g - (1/lambda_g - 1) 1[k in g] s_{k|g} - s_k)   (g the nest of j),
    CS = (1/alpha) log(1 [outside good] + sum_g exp(I_g)).

With every lambda_g = 1 this is logit. The shares follow from log s_j = V_j / lambda_g + (lambda_g - 1) log D_g
- log(1 [outside good] + sum_h exp(I_h)); differentiating in V_k gives the Jacobian above.

Calibration (:meth:`NestedLogitDemand.from_shares`) inverts shares exactly:
V_j = lambda_g log s_{j|g} + log s_g + log(denominator), so with an outside good (V_0 = 0, s_0 = 1 - sum s)
delta_j = log(s_j / s_0) - (1 - lambda_g) log s_{j|g} + alpha (p_j - p_0), and with ``normalize=REF`` the same
with s_0 replaced by the reference product's lambda log s_{REF|r} + log s_r term and p_0 by p_REF.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError
from bargaining.models.demand._base import (
    DiscreteChoiceDemand,
    _check_alpha,
    _logsumexp,
    _nest_parameter_map,
    _shares_input,
)

__all__ = ["NestedLogitDemand"]


def _nest_codes(nests: Any, products: pd.Index) -> tuple[list[Hashable], np.ndarray]:
    """Nest labels in order of first appearance and an integer code per product."""
    if isinstance(nests, pd.Series):
        if set(nests.index) != set(products) or not nests.index.is_unique:
            raise InvalidParameterError(
                "nests is labelled by products that do not match the demand's.",
                hint=f"index nests by the products {list(products)[:5]}, each once, or pass a plain sequence.",
            )
        nests = nests.reindex(products)
    labels = list(nests) if not isinstance(nests, str) else [nests]
    if len(labels) != len(products):
        raise InvalidParameterError(
            f"nests has {len(labels)} labels for {len(products)} products.",
            hint="give one nest label per product, e.g. nests=['cars', 'cars', 'trucks'].",
        )
    codes: dict[Hashable, int] = {}
    try:
        out = np.array([codes.setdefault(label, len(codes)) for label in labels], dtype=int)
    except TypeError:
        raise InvalidParameterError(
            "nest labels must be hashable.", hint="give nests as strings or numbers, one per product."
        ) from None
    return list(codes), out


class NestedLogitDemand(DiscreteChoiceDemand):
    """Nested logit demand for one market, with an outside good (its own nest) or a normalized inside product.

    Parameters
    ----------
    alpha
        The price coefficient, > 0: utility is delta_j - alpha p_j.
    mean_utility
        delta_j, one per product: an array, or a Series whose index labels the products.
    nests
        One nest label per product (a sequence in product order, or a Series indexed by product).
    nesting_parameter
        lambda_g in (0, 1]: one number for every nest, a mapping (or Series) nest -> lambda, or a sequence in
        the order in which nests first appear in ``nests``. lambda = 1 is logit; as lambda -> 0 the products of
        a nest become perfect substitutes.
    outside_price
        p_0, the outside good's price (mean utility 0, a nest of its own).
    normalize
        ``None`` (an outside good) or a product label: no outside good; that product's mean utility must be 0
        and its price is the reference in :meth:`from_shares`.
    products
        Product labels when ``mean_utility`` is a plain array (default 0..J-1).

    Attributes
    ----------
    nests
        The nest of each product (Series indexed by product).
    nesting_parameter
        lambda_g by nest (Series indexed by nest label, in order of first appearance).

    Notes
    -----
    Formulas are in the module docstring of :mod:`bargaining.models.demand.nested_logit`.

    Examples
    --------
    >>> demand = NestedLogitDemand(1.0, [1.0, 1.0, 0.0], nests=["x", "x", "y"], nesting_parameter=0.5)
    >>> s = demand.shares([1.0, 1.0, 1.0])
    >>> bool(abs(s.sum() + demand.outside_share([1.0, 1.0, 1.0]) - 1) < 1e-15)
    True
    """

    def __init__(
        self,
        alpha: float,
        mean_utility: Any,
        nests: Any,
        nesting_parameter: Any,
        outside_price: float = 0.0,
        normalize: Hashable | None = None,
        *,
        products: Iterable[Hashable] | None = None,
    ) -> None:
        super().__init__(alpha, mean_utility, outside_price, normalize, products=products)
        self._nest_labels, self._codes = _nest_codes(nests, self.products)
        by_nest = _nest_parameter_map(nesting_parameter, self._nest_labels)
        self._lambda_nest = np.array([by_nest[g] for g in self._nest_labels])
        self._lambda = self._lambda_nest[self._codes]  # per product
        self._same = self._codes[:, None] == self._codes[None, :]

    @property
    def nests(self) -> pd.Series:
        """The nest label of each product."""
        return pd.Series([self._nest_labels[c] for c in self._codes], index=self.products, name="nest")

    @property
    def nesting_parameter(self) -> pd.Series:
        """lambda_g by nest."""
        return pd.Series(self._lambda_nest.copy(), index=pd.Index(self._nest_labels), name="nesting_parameter")

    @property
    def params(self) -> pd.Series:
        """``alpha``, ``mean_utility[PRODUCT]`` and ``nesting_parameter[NEST]``."""
        extra = pd.Series({f"nesting_parameter[{g}]": float(lam)
                           for g, lam in zip(self._nest_labels, self._lambda_nest)}, dtype=float)
        return pd.concat([super().params, extra]).rename("params")

    def _within_nests(self, v: np.ndarray, available: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """s_{j|g} among the available products (0 elsewhere) and log D_g by nest (-inf for an empty nest).

        D_g = sum_{k in g, available} exp(V_k / lambda_g), computed with each nest's largest term factored out.
        """
        codes, scaled = self._codes[available], v[available] / self._lambda[available]
        top = np.full(len(self._nest_labels), -np.inf)
        np.maximum.at(top, codes, scaled)
        shift = np.where(np.isfinite(top), top, 0.0)
        terms = np.exp(scaled - shift[codes])
        sums = np.bincount(codes, weights=terms, minlength=len(self._nest_labels))
        within = np.zeros(self.n_products)
        within[available] = terms / sums[codes]
        with np.errstate(divide="ignore"):  # an empty nest has sum 0 and log D_g = -inf
            log_d: np.ndarray = shift + np.log(sums)
        return within, log_d

    def _log_denominator(self, log_d: np.ndarray) -> float:
        """log(1 [outside good] + sum_g exp(lambda_g log D_g)) over the nests with available products."""
        present = np.isfinite(log_d)
        inclusive = self._lambda_nest[present] * log_d[present]
        if self.has_outside_good:
            inclusive = np.append(inclusive, 0.0)
        return _logsumexp(inclusive)

    def _shares(self, p: np.ndarray) -> np.ndarray:
        # s_j = s_{j|g} s_g, each a normalized ratio, so that shares add up to 1 to rounding even for large V
        within, log_d = self._within_nests(self._index_values(p), np.ones(self.n_products, dtype=bool))
        inclusive = self._lambda_nest * log_d  # every nest has products here: all finite
        top = max(float(inclusive.max()), 0.0) if self.has_outside_good else float(inclusive.max())
        weight = np.exp(inclusive - top)
        nest_share = weight / (weight.sum() + (np.exp(-top) if self.has_outside_good else 0.0))
        out: np.ndarray = within * nest_share[self._codes]
        return out

    def _within_of(self, s: np.ndarray) -> np.ndarray:
        """s_{k|g(k)} = s_k / s_g from shares (0 in a nest with no share left, e.g. after a removal)."""
        nest_share = np.bincount(self._codes, weights=s, minlength=len(self._nest_labels))[self._codes]
        out: np.ndarray = np.divide(s, nest_share, out=np.zeros_like(s), where=nest_share > 0)
        return out

    def _shares_available(self, p: np.ndarray, available: np.ndarray) -> np.ndarray:
        within, log_d = self._within_nests(self._index_values(p), available)
        present = np.isfinite(log_d)
        inclusive = np.where(present, self._lambda_nest * np.where(present, log_d, 0.0), -np.inf)
        top = float(inclusive[present].max())
        if self.has_outside_good:
            top = max(top, 0.0)
        weight = np.exp(inclusive - top)
        nest_share = weight / (weight.sum() + (np.exp(-top) if self.has_outside_good else 0.0))
        out: np.ndarray = within * nest_share[self._codes]
        return out

    def _second_derivatives(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        # d s_j / dV_k = s_j A_jk, A_jk = 1[j = k] / lambda_j - (1 / lambda_j - 1) 1[same nest] w_k - s_k
        # (w_k = s_{k|g}); dA_jk / dV_l = -(1 / lambda_j - 1) 1[j, k same nest] dw_k / dV_l - s_k A_kl,
        # dw_k / dV_l = w_k (1[k = l] - w_l) 1[k, l same nest] / lambda_k; dV / dp = -alpha.
        within = self._within_of(s)
        inv = 1.0 / self._lambda
        same = self._same.astype(float)
        a = np.diag(inv) - same * (inv - 1.0)[:, None] * within[None, :] - s[None, :]
        dw = (within[:, None] * (np.eye(len(s)) - within[None, :]) * same) * inv[:, None]  # dw[k, l]
        da = (-(same * (inv - 1.0)[:, None])[:, :, None] * dw[None, :, :]
              - (s[:, None] * a)[None, :, :])
        out: np.ndarray = self.alpha**2 * s[:, None, None] * (a[:, :, None] * a[:, None, :] + da)
        return out

    def _removal_state(self, p: np.ndarray, s: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Closed forms (vectorized over the removed product j, nest g): D_g falls by the factor 1 - w_j
        # (w_j = s_{j|g}), so exp(I_g) falls by (1 - w_j)^lambda_g and the denominator by the factor
        # rho_j = 1 - s_g (1 - (1 - w_j)^lambda_g). Then R_jk = s_k / rho_j outside g,
        # R_jk = w_k / (1 - w_j) * s_g (1 - w_j)^lambda_g / rho_j inside g (k != j), and WTP_j = -log(rho_j)/alpha.
        s = self._shares(p) if s is None else s
        n = len(s)
        within = self._within_of(s)
        nest_share = s / np.where(within > 0, within, 1.0)
        lam = self._lambda
        left = np.clip(1.0 - within, 0.0, None)
        kept = left**lam
        rho = 1.0 - nest_share * (1.0 - kept)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.where(left[:, None] > 0, within[None, :] / left[:, None], 0.0) * (nest_share * kept)[:, None]
            removal = np.where(self._same, inside, s[None, :]) / rho[:, None]
            wtp = np.where(rho > 0, -np.log(np.where(rho > 0, rho, 1.0)), np.inf) / self.alpha
        removal[np.arange(n), np.arange(n)] = 0.0
        removal[~np.isfinite(removal)] = 0.0
        # derivatives of each demand without j: the formula of _derivatives with the shares R[j]
        sums = np.einsum("jk,kl->jl", removal, self._same.astype(float))  # nest share of l's nest, by j
        w_removed = np.divide(removal, sums, out=np.zeros_like(removal), where=sums > 0)
        inv = 1.0 / lam
        inner = (np.diag(inv)[None, :, :]
                 - (self._same * (inv - 1.0)[:, None])[None, :, :] * w_removed[:, None, :]
                 - removal[:, None, :])
        slopes: np.ndarray = -self.alpha * removal[:, :, None] * inner
        return removal, slopes, wtp

    def _restricted(self, keep: np.ndarray) -> NestedLogitDemand:
        products = self.products[keep]
        nests = [self._nest_labels[c] for c in self._codes[keep]]
        remaining = dict.fromkeys(nests)
        by_nest = {g: float(lam) for g, lam in zip(self._nest_labels, self._lambda_nest) if g in remaining}
        return NestedLogitDemand(self.alpha, pd.Series(self._delta[keep], index=products), nests, by_nest,
                                 self.outside_price, self.normalize)

    def _derivatives(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        within = self._within_of(s)  # s_{k|g(k)}
        inner = (
            np.diag(1.0 / self._lambda)
            - self._same * (1.0 / self._lambda - 1.0)[:, None] * within[None, :]
            - s[None, :]
        )
        out: np.ndarray = -self.alpha * s[:, None] * inner
        return out

    def _log_inclusive(self, p: np.ndarray, available: np.ndarray) -> float:
        return self._log_denominator(self._within_nests(self._index_values(p), available)[1])

    @classmethod
    def from_shares(
        cls,
        prices: Any,
        shares: Any,
        alpha: float,
        nests: Any,
        nesting_parameter: Any,
        outside_price: float = 0.0,
        normalize: Hashable | None = None,
        *,
        products: Iterable[Hashable] | None = None,
    ) -> NestedLogitDemand:
        """The nested logit demand that reproduces ``shares`` at ``prices`` exactly, for given alpha and lambda.

        With s_g the nest's share and s_{j|g} = s_j / s_g:
        delta_j = log(s_j / s_0) - (1 - lambda_g) log s_{j|g} + alpha (p_j - p_0) with an outside good;
        with ``normalize=REF`` (nest r), delta_j = [lambda_g log s_{j|g} + log s_g] - [lambda_r log s_{REF|r}
        + log s_r] + alpha (p_j - p_REF).

        Parameters
        ----------
        prices, shares
            One per product (arrays, or Series indexed by product). Shares are of the whole market, in (0, 1).
        alpha, nests, nesting_parameter, outside_price, normalize, products
            As in :class:`NestedLogitDemand`.
        """
        alpha = _check_alpha(alpha)
        index, p, s, reference = _shares_input(prices, shares, normalize, products)
        labels, codes = _nest_codes(nests, index)
        by_nest = _nest_parameter_map(nesting_parameter, labels)
        lam = np.array([by_nest[g] for g in labels])[codes]
        nest_share = np.bincount(codes, weights=s, minlength=len(labels))[codes]
        index_value = lam * np.log(s / nest_share) + np.log(nest_share)  # V_j - log(denominator)
        if reference is None:
            outside = 1.0 - float(s.sum())
            delta = index_value - np.log(outside) + alpha * (p - float(outside_price))
        else:
            delta = index_value - index_value[reference] + alpha * (p - p[reference])
            delta[reference] = 0.0
        nest_series = pd.Series([labels[c] for c in codes], index=index)
        return cls(alpha, pd.Series(delta, index=index), nest_series, by_nest, outside_price, normalize)
