"""What every discrete-choice demand of :mod:`bargaining.models.demand` shares: :class:`DiscreteChoiceDemand`.

Conventions (the same for every model of the subpackage)
    Consumer i's utility from product j is u_ij = delta_j - alpha p_j + (taste shock), with alpha > 0 the
    price coefficient (utils per unit of money) and delta_j the mean utility. Market size is 1: shares are
    quantities per consumer and consumer surplus is in money per consumer.

    Outside good (``normalize=None``): a good 0 with mean utility 0 and the given price p_0
    (``outside_price``), so its utility is -alpha p_0. Only p_j - p_0 matters for choices.

    Normalized product (``normalize=REF``, no outside good): the consumer buys one of the J products;
    delta_REF = 0 and the reference product's price is the one against which the others' are measured when
    mean utilities are calibrated (:meth:`from_shares`): delta_j = (utility index of j) - (that of REF) +
    alpha (p_j - p_REF). Shares sum to 1.

Consumer surplus
    CS(p) = (1/alpha) log(sum over the choice set of exp(V_j)), with V_j the utility index relative to the
    outside good (V_0 = 0): CS is the expected maximum utility in money, measured from consuming the outside
    good, so removing every inside product gives CS = 0. Without an outside good the level of CS has no
    anchor; it is computed with V_j = delta_j - alpha p_j and only its differences are meaningful (prices,
    choice sets). Roy's identity holds: dCS/dp_j = -s_j.

Willingness to pay (Gowrisankaran, Nevo and Town 2015)
    The WTP for a set of products R (a hospital network, say) is the drop in consumer surplus when R leaves
    the choice set: WTP(R) = CS(p; all) - CS(p; all but R), in money per consumer.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import InvalidParameterError, UnknownNameError

__all__ = ["DiscreteChoiceDemand"]

#: the largest |sum of shares - 1| accepted as "shares sum to 1" without an outside good
SHARE_SUM_TOLERANCE = 1e-8


def _logsumexp(values: np.ndarray) -> float:
    """log(sum(exp(values))) without overflow; -inf for an empty vector (scipy's version is slow on short ones)."""
    if values.size == 0:
        return -math.inf
    top = float(values.max())
    if not math.isfinite(top):
        return top
    return top + math.log(float(np.exp(values - top).sum()))


def _products_of(values: Any, products: Any, name: str) -> pd.Index:
    """The product labels: ``products`` if given, else the index of a Series ``values``, else 0..J-1."""
    if products is not None:
        index = pd.Index(products)
    elif isinstance(values, pd.Series):
        index = values.index
    else:
        index = pd.RangeIndex(len(np.atleast_1d(np.asarray(values))))
    if not index.is_unique:
        duplicated = list(index[index.duplicated()].unique())[:3]
        raise InvalidParameterError(
            f"product labels must be unique; repeated: {duplicated}.",
            hint=f"label each product once (the index of {name} or products=).",
        )
    if len(index) == 0:
        raise InvalidParameterError("there are no products.", hint=f"give at least one product in {name}.")
    return index


def _vector(values: Any, name: str, products: pd.Index) -> np.ndarray:
    """``values`` as a finite float vector in the order of ``products`` (a Series is aligned by label)."""
    if isinstance(values, pd.Series):
        if not values.index.is_unique or set(values.index) != set(products):
            missing = [p for p in products if p not in set(values.index)][:3]
            extra = [p for p in values.index if p not in set(products)][:3]
            raise InvalidParameterError(
                f"{name} is labelled by products that do not match the demand's"
                f" (missing {missing}, unknown {extra}).",
                hint=f"index {name} by the products {list(products)[:5]}, each once, or pass a plain array.",
            )
        values = values.reindex(products)
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name} must be numbers, got {values!r}.", hint=f"pass {name} as one number per product."
        ) from None
    if out.ndim != 1 or out.shape[0] != len(products):
        raise InvalidParameterError(
            f"{name} has shape {out.shape}, expected ({len(products)},): one value per product.",
            hint=f"pass {name} as a vector of length {len(products)} in the order {list(products)[:5]}.",
        )
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(f"{name} must be finite.", hint=f"remove NaN or infinite values from {name}.")
    return out


def _check_alpha(alpha: Any) -> float:
    try:
        out = float(alpha)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"alpha must be a number, got {alpha!r}.", hint="pass alpha > 0, the price coefficient."
        ) from None
    if not (math.isfinite(out) and out > 0):
        raise InvalidParameterError(
            f"alpha must be a finite number > 0, got {out}.",
            hint="pass alpha > 0: utility is delta_j - alpha p_j, so demand falls with price.",
        )
    return out


def _check_outside_price(outside_price: Any, normalize: Hashable | None) -> float:
    try:
        out = float(outside_price)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"outside_price must be a number, got {outside_price!r}.", hint="pass outside_price=0.0 (default)."
        ) from None
    if not math.isfinite(out):
        raise InvalidParameterError(f"outside_price must be finite, got {out}.", hint="pass a finite outside_price.")
    if normalize is not None and out != 0.0:
        raise InvalidParameterError(
            f"outside_price={out} was given with normalize={normalize!r}, but there is no outside good.",
            hint="drop outside_price (there is no outside good) or drop normalize (keep the outside good).",
        )
    return out


def _reference_position(normalize: Hashable | None, products: pd.Index) -> int | None:
    if normalize is None:
        return None
    if normalize not in products:
        raise UnknownNameError(
            f"normalize={normalize!r} is not a product.",
            hint=f"pass normalize= one of the products {list(products)[:10]}.",
        )
    position = products.get_loc(normalize)
    assert isinstance(position, int)  # labels are unique
    return position


class DiscreteChoiceDemand:
    """Base class: labels, argument handling and the methods that follow from shares and their derivatives.

    Subclasses (:class:`~bargaining.models.demand.LogitDemand`,
    :class:`~bargaining.models.demand.NestedLogitDemand`) implement three array-level hooks:
    ``_shares(p)``, ``_derivatives(p, s)`` and ``_log_inclusive(p, available)`` (log of the sum of exp(V_j)
    over the outside good, if any, and the available products, with V_0 = 0). Conventions are in the module
    docstring of :mod:`bargaining.models.demand._base`.

    Attributes
    ----------
    alpha
        The price coefficient, > 0.
    products
        The product labels (a pandas Index); every labelled output is indexed by them.
    mean_utility
        delta_j as a Series indexed by product.
    outside_price
        p_0 (0.0 without an outside good).
    normalize
        The reference product's label, or None when there is an outside good.
    has_outside_good
        ``normalize is None``.
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
        self.alpha = _check_alpha(alpha)
        self.products: pd.Index = _products_of(mean_utility, products, "mean_utility")
        self._delta = _vector(mean_utility, "mean_utility", self.products)
        self.normalize = normalize
        self.outside_price = _check_outside_price(outside_price, normalize)
        self._reference = _reference_position(normalize, self.products)
        if self._reference is not None and self._delta[self._reference] != 0.0:
            raise InvalidParameterError(
                f"the reference product {normalize!r} must have mean utility 0, got "
                f"{self._delta[self._reference]!r}.",
                hint="subtract the reference product's value from every mean_utility (shares do not change), "
                "or calibrate with from_shares(..., normalize=...).",
            )

    # -- hooks for subclasses -------------------------------------------------------------------------------
    def _shares(self, p: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _derivatives(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _log_inclusive(self, p: np.ndarray, available: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _shares_available(self, p: np.ndarray, available: np.ndarray) -> np.ndarray:  # pragma: no cover
        """Shares when only the ``available`` products can be chosen (0 for the others)."""
        raise NotImplementedError

    def _second_derivatives(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """H[k, l, m] = d^2 s_k / dp_l dp_m (J, J, J) at shares ``s``."""
        raise NotImplementedError

    def _restricted(self, keep: np.ndarray) -> DiscreteChoiceDemand:  # pragma: no cover - abstract
        """The same demand with only the products ``keep`` (a boolean mask); the others keep their mean
        utilities."""
        raise NotImplementedError

    def _removal_state(self, p: np.ndarray, s: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What each product's removal does, at prices ``p`` (arrays, for the bargaining supply side).

        Returns ``(R, dR, W)``: R[j, k] the share of k when j has left the choice set (R[j, j] = 0);
        dR[j, k, l] = dR[j, k] / dp_l (the derivatives of the demand without j; dR[j, :, j] = 0); and
        W[j] = WTP(j) = CS(p) - CS without j (money per consumer; inf for a lone product without an outside
        good). ``s``: the shares at ``p`` when already computed (subclasses with closed forms use them).
        """
        n = self.n_products
        everything = np.ones(n, dtype=bool)
        full = self._log_inclusive(p, everything)
        removal = np.zeros((n, n))
        slopes = np.zeros((n, n, n))
        wtp = np.empty(n)
        for j in range(n):
            available = everything.copy()
            available[j] = False
            if not available.any():
                wtp[j] = np.inf
                continue
            removal[j] = self._shares_available(p, available)
            slopes[j] = self._derivatives(p, removal[j])
            wtp[j] = (full - self._log_inclusive(p, available)) / self.alpha
        return removal, slopes, wtp

    # -- attributes ------------------------------------------------------------------------------------------
    @property
    def has_outside_good(self) -> bool:
        """True when consumers may buy none of the products (``normalize is None``)."""
        return self._reference is None

    @property
    def mean_utility(self) -> pd.Series:
        """delta_j by product."""
        return pd.Series(self._delta.copy(), index=self.products, name="mean_utility")

    @property
    def n_products(self) -> int:
        """J, the number of products."""
        return len(self.products)

    def _index_values(self, p: np.ndarray) -> np.ndarray:
        """V_j: delta_j - alpha (p_j - p_0) with an outside good, delta_j - alpha p_j without."""
        return self._delta - self.alpha * (p - self.outside_price)

    def _prices(self, prices: Any) -> np.ndarray:
        return _vector(prices, "prices", self.products)

    # -- array level ----------------------------------------------------------------------------------------
    def shares_and_derivatives(self, prices: Any) -> tuple[np.ndarray, np.ndarray]:
        """Shares s (J,) and the Jacobian ds_j/dp_k (J, J) as plain arrays, in the order of :attr:`products`.

        The fast path for equilibrium solvers; the labelled versions are :meth:`shares` and
        :meth:`share_derivatives`.
        """
        p = self._prices(prices)
        s = self._shares(p)
        return s, self._derivatives(p, s)

    # -- labelled outputs -----------------------------------------------------------------------------------
    def shares(self, prices: Any) -> pd.Series:
        """Market shares s_j(p) by product (per unit of market size).

        Parameters
        ----------
        prices
            One price per product: an array in the order of :attr:`products`, or a Series indexed by them.
        """
        return pd.Series(self._shares(self._prices(prices)), index=self.products, name="share")

    def outside_share(self, prices: Any) -> float:
        """s_0 = 1 - sum_j s_j, the outside good's share (0.0 without an outside good)."""
        if not self.has_outside_good:
            return 0.0
        p = self._prices(prices)
        return float(np.exp(-self._log_inclusive(p, np.ones(self.n_products, dtype=bool))))

    def share_derivatives(self, prices: Any) -> pd.DataFrame:
        """The Jacobian of shares: row j, column k holds ds_j/dp_k (analytic)."""
        _, dsdp = self.shares_and_derivatives(prices)
        return pd.DataFrame(dsdp, index=self.products, columns=self.products)

    def elasticities(self, prices: Any) -> pd.DataFrame:
        """Price elasticities: row j, column k holds e_jk = (ds_j/dp_k) p_k / s_j.

        The diagonal holds the own-price elasticities; for logit e_jj = -alpha p_j (1 - s_j) and
        e_jk = alpha p_k s_k (k != j).
        """
        p = self._prices(prices)
        s = self._shares(p)
        return pd.DataFrame(self._derivatives(p, s) * p[None, :] / s[:, None], index=self.products,
                            columns=self.products)

    def diversion_ratios(self, prices: Any) -> pd.DataFrame:
        """Diversion ratios: row j, column k holds D_jk = -(ds_k/dp_j) / (ds_j/dp_j), the share of the
        sales j loses to a small increase of its price that go to k; D_jj = 0.

        1 - sum_k D_jk is the diversion from j to the outside good (0 without one). For logit with an
        outside good D_jk = s_k / (1 - s_j).
        """
        _, dsdp = self.shares_and_derivatives(prices)
        own = np.diag(dsdp)
        out = -dsdp.T / own[:, None]
        np.fill_diagonal(out, 0.0)
        return pd.DataFrame(out, index=self.products, columns=self.products)

    def consumer_surplus(self, prices: Any) -> float:
        """Expected consumer surplus per consumer, in money: CS = (1/alpha) log sum_j exp(V_j).

        With an outside good the sum includes it (V_0 = 0) and CS is measured from consuming the outside
        good (CS = 0 with no inside product). Without one, only differences in CS are meaningful. Roy's
        identity dCS/dp_j = -s_j holds, so CS(p1) - CS(p0) = -integral of s(p) . dp along any price path.
        """
        p = self._prices(prices)
        return self._log_inclusive(p, np.ones(self.n_products, dtype=bool)) / self.alpha

    def _removed_mask(self, removed: Any) -> np.ndarray:
        """True for each product in ``removed`` (one label, or an iterable of labels)."""
        if isinstance(removed, Hashable) and removed in self.products:
            labels: list[Hashable] = [removed]
        elif isinstance(removed, str | bytes) or not isinstance(removed, Iterable):
            raise UnknownNameError(
                f"removed={removed!r} is not a product.",
                hint=f"pass removed= a product or a list of products among {list(self.products)[:10]}.",
            )
        else:
            labels = list(removed)
            unknown = [label for label in labels if label not in self.products]
            if unknown:
                raise UnknownNameError(
                    f"removed names products that do not exist: {unknown[:5]}.",
                    hint=f"pass removed= products among {list(self.products)[:10]}.",
                )
        mask: np.ndarray = self.products.isin(labels)
        return mask

    def willingness_to_pay(self, prices: Any, removed: Any) -> float:
        """The drop in consumer surplus when ``removed`` leaves the choice set (money per consumer).

        WTP(R) = CS(p; all products) - CS(p; all but R): the willingness to pay for the products R, e.g. a
        hospital (or a hospital system, or a network) in Gowrisankaran, Nevo and Town (2015). For logit with an
        outside good and one product, WTP(j) = -log(1 - s_j) / alpha.

        Parameters
        ----------
        prices
            One price per product.
        removed
            One product label, or an iterable of labels (a set of products).

        Returns
        -------
        float
            WTP(R) >= 0. Without an outside good, removing every product is an error (the surplus would fall to
            minus infinity).
        """
        p = self._prices(prices)
        mask = self._removed_mask(removed)
        if not self.has_outside_good and mask.all():
            raise InvalidParameterError(
                "removed names every product, and without an outside good consumers would have no choice left.",
                hint="keep at least one product out of removed, or use a demand with an outside good.",
            )
        full = self._log_inclusive(p, np.ones(self.n_products, dtype=bool))
        return (full - self._log_inclusive(p, ~mask)) / self.alpha

    def willingness_to_pay_each(self, prices: Any) -> pd.Series:
        """WTP(j) for each product removed alone (see :meth:`willingness_to_pay`), by product.

        ``inf`` for a lone product without an outside good (removing it leaves no choice).
        """
        p = self._prices(prices)
        everything = np.ones(self.n_products, dtype=bool)
        full = self._log_inclusive(p, everything)
        out = np.empty(self.n_products)
        for j in range(self.n_products):
            available = everything.copy()
            available[j] = False
            out[j] = (full - self._log_inclusive(p, available)) / self.alpha if available.any() else np.inf
        return pd.Series(out, index=self.products, name="willingness_to_pay")

    # -- parameters -----------------------------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """The parameters as one Series: ``alpha`` and ``mean_utility[PRODUCT]`` (subclasses add theirs)."""
        values: dict[str, float] = {"alpha": self.alpha}
        values.update({f"mean_utility[{label}]": float(d) for label, d in zip(self.products, self._delta)})
        return pd.Series(values, name="params", dtype=float)

    def _describe_choice(self) -> str:
        if self.has_outside_good:
            return f"outside_price={self.outside_price:g}"
        return f"normalize={self.normalize!r}"

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(alpha={self.alpha:g}, products={list(self.products)[:6]}"
                f"{'...' if self.n_products > 6 else ''}, {self._describe_choice()})")


def _shares_input(
    prices: Any, shares: Any, normalize: Hashable | None, products: Iterable[Hashable] | None
) -> tuple[pd.Index, np.ndarray, np.ndarray, int | None]:
    """Labels, prices, shares and the reference position for ``from_shares``, validated."""
    index = _products_of(shares if isinstance(shares, pd.Series) else prices, products, "shares")
    s = _vector(shares, "shares", index)
    p = _vector(prices, "prices", index)
    if np.any(s <= 0) or np.any(s >= 1):
        raise InvalidParameterError(
            "shares must be strictly between 0 and 1 to be inverted.",
            hint="drop products with zero sales from shares and prices (logit shares are never 0).",
        )
    reference = _reference_position(normalize, index)
    total = float(s.sum())
    if reference is None and total >= 1:
        raise InvalidParameterError(
            f"shares sum to {total:.12g}, which leaves nothing for the outside good.",
            hint="pass shares of the whole market (including non-buyers), or pass normalize=PRODUCT when "
            "there is no outside good.",
        )
    if reference is not None and abs(total - 1) > SHARE_SUM_TOLERANCE:
        raise InvalidParameterError(
            f"shares sum to {total:.12g}, but without an outside good (normalize=) they must sum to 1.",
            hint="pass shares among the products only, or drop normalize= to keep an outside good.",
        )
    return index, p, s, reference


def _nest_parameter_map(
    nesting_parameter: Any, nest_labels: list[Hashable]
) -> dict[Hashable, float]:
    """One nesting parameter per nest, from a number, a mapping / Series by nest, or a sequence in order."""
    if isinstance(nesting_parameter, Mapping | pd.Series):
        given = dict(nesting_parameter.items())
        missing = [g for g in nest_labels if g not in given]
        extra = [g for g in given if g not in nest_labels]
        if missing or extra:
            raise InvalidParameterError(
                f"nesting_parameter is labelled by nests that do not match nests (missing {missing[:5]}, unknown "
                f"{extra[:5]}).",
                hint=f"give nesting_parameter one value per nest: {nest_labels[:10]}.",
            )
        raw = [given[g] for g in nest_labels]
    elif np.ndim(nesting_parameter) == 0:
        raw = [nesting_parameter] * len(nest_labels)
    else:
        raw = list(nesting_parameter)
        if len(raw) != len(nest_labels):
            raise InvalidParameterError(
                f"nesting_parameter has {len(raw)} values for {len(nest_labels)} nests.",
                hint=f"give one number, or one per nest in the order of first appearance: {nest_labels[:10]}.",
            )
    out: dict[Hashable, float] = {}
    for label, value in zip(nest_labels, raw):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and 0 < number <= 1):
            raise InvalidParameterError(
                f"nesting_parameter of nest {label!r} must be in (0, 1], got {value!r}.",
                hint="pass nesting_parameter lambda in (0, 1]: 1 is plain logit, near 0 the products of a nest are "
                "near-perfect substitutes (lambda = 1 - sigma in Berry's notation).",
            )
        out[label] = number
    return out
