r"""Case (c) of the merger package: insurers paying hospitals for a network valued by willingness to pay.

:class:`HospitalNetworkMarket` is :class:`~bargaining.models.nash_in_nash.HospitalInsurerMarkets` (the model,
notation and Nash-in-Nash price equation are in that module's docstring: Ho and Lee 2017; Gowrisankaran, Nevo
and Town 2015) with :meth:`HospitalNetworkMarket.simulate`, which solves it before and after a merger of
hospitals (``seller_post``: new system labels, so merged hospitals recapture each other's diverted patients) or
of insurers (``buyer_post``: new insurer labels), a change of bargaining weights or of hospital costs, and returns
a :class:`~bargaining.models.merger.MergerResult`.

Merged insurers
    Insurers that merge (within a market) negotiate one per-patient price p_h with each hospital for all their
    enrollees. The agreement's gains add over the members i: the hospital side gains
    :math:`\sum_i q_{hi} (p_h - C_{hi})` and the insurer :math:`\sum_i q_{hi} (V_{hi} - p_h)` (each slope
    :math:`\pm\sum_i q_{hi}`), so the Nash product with weight beta gives

    .. math::

        p_h = \sum_i \omega_{hi} [C_{hi} + \beta_h (V_{hi} - C_{hi})], \qquad
        \omega_{hi} = q_{hi} / \sum_{i'} q_{hi'},

    with :math:`C_{hi} = c_{hi} + r \sum_{k \text{ sibling of } h} D^i_{hk} (p_k - c_{ki})` and
    :math:`V_{hi} = w_{hi} + \sum_{k \ne h} D^i_{hk} p_k` written with the merged insurer's prices. For each
    market and (merged) insurer the prices solve the linear system
    :math:`[I - \sum_i \operatorname{diag}(\omega_i) ((1 - \beta) A^i + \beta B^i)] p =
    \sum_i \omega_i \circ ((1 - \beta)(c_i - A^i c_i) + \beta w_i)`, which for a single insurer is the system of
    :class:`~bargaining.models.nash_in_nash.HospitalInsurerMarkets`. The members of a merged insurer must share
    one weight per hospital (or ``seller_weight_post`` sets it).

Outputs
    ``pre`` and ``post`` are indexed by (market, insurer, hospital) with ``price``, ``share``, ``quantity``,
    ``margin`` ((p - c)/p), ``seller`` (hospital system) and ``buyer`` (insurer); ``post`` adds
    ``price_change``. Producer surplus by firm: hospital systems earn :math:`\sum q (p - c)`, insurers
    :math:`W_i - \sum_h q_{hi} p_{hi}`. HHI (0-10,000): at the level that changed, hospital systems' or
    insurers' shares of the market's patients, averaged over markets weighted by patients. Enrollees' hospital choices do
    not depend on negotiated prices here (premiums are not modelled), so ``consumer_surplus_change`` is 0 and
    shares do not move.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import GainsFromTradeError, InvalidParameterError, InvalidWeightError
from bargaining.models.merger.result import MergerResult, hhi, hhi_contribution
from bargaining.models.nash_in_nash.hospital_insurer import HospitalInsurerMarkets

__all__ = ["HospitalNetworkMarket"]

NO_CHOICE_NOTE = ("enrollees' hospital choices do not depend on negotiated prices in this model (premiums are not "
                  "modelled): shares do not move and consumer_surplus_change is 0.")


def _owner_labels(values: Any, n: int, name: str, what: str) -> np.ndarray:
    if isinstance(values, str) or np.ndim(values) != 1 or len(values) != n:
        raise InvalidParameterError(f"{name} must give one label per {what} ({n}), got {values!r}.",
                                    hint=f"pass {name} as a sequence of {n} labels, e.g. system or firm names.")
    return np.asarray(list(values), dtype=object)


class HospitalNetworkMarket(HospitalInsurerMarkets):
    """Hospital-insurer Nash-in-Nash prices as a merger-simulation market (case (c); see the module docstring).

    Parameters
    ----------
    utility, enrollees, wtp_per_util, marginal_cost, beta, systems, recapture
        As in :class:`~bargaining.models.nash_in_nash.HospitalInsurerMarkets` (``beta`` is the hospital's, i.e.
        the seller's, weight).
    hospitals, insurers
        Labels of the hospitals (length H) and insurers (length I); default 0..H-1 and 0..I-1.

    Examples
    --------
    Two independent hospitals and one insurer; the hospitals merge:

    >>> market = HospitalNetworkMarket(
    ...     utility=np.array([[[0.5, 0.2]]]), enrollees=np.array([[100.0]]), wtp_per_util=np.array([[8.0]]),
    ...     marginal_cost=np.ones((1, 1, 2)), beta=0.5, hospitals=["h1", "h2"])
    >>> res = market.simulate(seller_post=["sys", "sys"])
    >>> bool((res.post["price"] > res.pre["price"]).all()), res.converged
    (True, True)
    """

    def __init__(
        self,
        utility: Any,
        enrollees: Any,
        wtp_per_util: Any,
        marginal_cost: Any,
        beta: Any,
        *,
        systems: Any = None,
        recapture: float = 1.0,
        hospitals: Any = None,
        insurers: Any = None,
    ) -> None:
        super().__init__(utility, enrollees, wtp_per_util, marginal_cost, beta, systems=systems,
                         recapture=recapture)
        _, n_insurers, n_hospitals = self.shape
        self.hospitals = (np.arange(n_hospitals).astype(object) if hospitals is None
                          else _owner_labels(hospitals, n_hospitals, "hospitals", "hospital"))
        self.insurers = (np.arange(n_insurers).astype(object) if insurers is None
                         else _owner_labels(insurers, n_insurers, "insurers", "insurer"))
        self.system_labels = (self.hospitals.copy() if systems is None
                              else _owner_labels(systems, n_hospitals, "systems", "hospital"))

    # -- solving with merged insurers ------------------------------------------------------------------------
    def _solve(self, systems: np.ndarray, buyers: np.ndarray, beta: np.ndarray, cost: np.ndarray
               ) -> tuple[np.ndarray, float]:
        """Prices (M, I, H) when insurers with equal labels in ``buyers`` negotiate jointly, and the largest
        residual of the price equation p = sum_i omega_i (C_i + beta (V_i - C_i)) (money per patient)."""
        markets, _, n_h = self.shape
        share = self.shares()
        quantity = self.enrollees[:, :, None] * share
        wtp = self.wtp_drop(share)
        diversion = self.diversion(share)
        codes = pd.factorize(pd.Series(systems))[0]
        siblings = (codes[:, None] == codes[None, :]) & ~np.eye(n_h, dtype=bool)
        a = self.recapture * diversion * siblings
        groups = pd.factorize(pd.Series(buyers))[0]
        prices = np.empty(self.shape)
        residual = 0.0
        eye = np.eye(n_h)
        for m in range(markets):
            for g in np.unique(groups):
                members = np.flatnonzero(groups == g)
                b_g = beta[m, members]
                if np.any(np.ptp(b_g, axis=0) > 0):
                    raise InvalidWeightError(
                        "merged insurers have different bargaining weights with the same hospital.",
                        hint="pass seller_weight_post= (one weight for the merged insurer's agreements).")
                q = quantity[m, members]
                omega = q / q.sum(axis=0, keepdims=True)
                matrix = eye.copy()
                rhs = np.zeros(n_h)
                for row, i in enumerate(members):
                    w_i, bt = omega[row], beta[m, i]
                    matrix -= w_i[:, None] * ((1 - bt)[:, None] * a[m, i] + bt[:, None] * diversion[m, i])
                    rhs += w_i * ((1 - bt) * (cost[m, i] - a[m, i] @ cost[m, i]) + bt * wtp[m, i])
                p = np.linalg.solve(matrix, rhs)
                prices[m, members] = p
                check = np.zeros(n_h)
                for row, i in enumerate(members):
                    seller = cost[m, i] + a[m, i] @ (p - cost[m, i])
                    buyer = wtp[m, i] + diversion[m, i] @ p
                    check += omega[row] * (seller + beta[m, i] * (buyer - seller))
                    if np.any(buyer - seller <= 0):
                        raise GainsFromTradeError(
                            f"an agreement has no gains from trade (smallest V - C = {np.min(buyer - seller):.4g}).",
                            hint="Nash-in-Nash needs V - C > 0: raise wtp_per_util or lower marginal_cost.")
                residual = max(residual, float(np.max(np.abs(check - p))))
        return prices, residual

    def _frame(self, price: np.ndarray, systems: np.ndarray, buyers: np.ndarray, cost: np.ndarray) -> pd.DataFrame:
        markets, n_i, n_h = self.shape
        index = pd.MultiIndex.from_product([range(markets), list(self.insurers), list(self.hospitals)],
                                           names=["market", "insurer", "hospital"])
        share = self.shares()
        return pd.DataFrame({
            "price": price.ravel(),
            "share": share.ravel(),
            "quantity": (self.enrollees[:, :, None] * share).ravel(),
            "margin": ((price - cost) / price).ravel(),
            "seller": np.tile(systems, markets * n_i),
            "buyer": np.repeat(np.tile(buyers, markets), n_h),
        }, index=index)

    def _surplus(self, frame: pd.DataFrame, cost: np.ndarray) -> pd.Series:
        """Profit by hospital system and surplus by insurer (money, summed over markets)."""
        hospital = (frame["quantity"] * (frame["price"] - cost.ravel())).groupby(frame["seller"], sort=False).sum()
        value = self.willingness_to_pay()                             # (M, I)
        paid = (frame["quantity"] * frame["price"]).to_numpy().reshape(self.shape).sum(axis=2)
        insurer = pd.Series((value - paid).ravel(), index=frame["buyer"].to_numpy()[:: self.shape[2]])
        return pd.concat([hospital, insurer.groupby(level=0, sort=False).sum()])

    def _hhi(self, frame: pd.DataFrame, level: str, firms: list[Any] | None = None) -> float:
        """Patient-weighted mean over markets of the HHI of the ``level`` owners' shares of patients (or of the
        part due to ``firms``)."""
        values, weights = [], []
        for _, part in frame.groupby(level="market", sort=False):
            shares, owners = part["quantity"].to_numpy(), part[level].to_numpy()
            values.append(hhi(shares, owners) if firms is None else hhi_contribution(shares, owners, firms))
            weights.append(float(part["quantity"].sum()))
        return float(np.average(values, weights=weights))

    def simulate(
        self,
        seller_post: Any = None,
        buyer_post: Any = None,
        seller_weight_post: Any = None,
        cost_change: Any = None,
        cost_change_kind: str = "relative",
    ) -> MergerResult:
        """Negotiated prices before and after a merger of hospitals or insurers (or a change of weights/costs).

        Parameters
        ----------
        seller_post
            Post-merger hospital system per hospital (length H): hospitals with one label pool profits.
        buyer_post
            Post-merger insurer label per insurer (length I): insurers with one label negotiate jointly.
        seller_weight_post
            Post-merger hospital weights (broadcastable to (M, I, H)).
        cost_change, cost_change_kind
            Change in hospital marginal costs (broadcastable to (M, I, H)): relative (-0.05: 5% cheaper) or
            ``"level"``.

        Returns
        -------
        MergerResult
            ``pre``, ``post`` (indexed by market, insurer, hospital), ``hhi``, ``producer_surplus``,
            ``merging``; ``consumer_surplus_change`` is 0 (see the module docstring).
        """
        if cost_change_kind not in ("relative", "level"):
            raise InvalidParameterError(f"cost_change_kind must be 'relative' or 'level', got {cost_change_kind!r}.",
                                        hint="relative: -0.05 is 5% cheaper; level: -0.05 is 0.05 cheaper.")
        _, n_i, n_h = self.shape
        systems_post = (self.system_labels if seller_post is None
                        else _owner_labels(seller_post, n_h, "seller_post", "hospital"))
        buyers_post = (self.insurers if buyer_post is None
                       else _owner_labels(buyer_post, n_i, "buyer_post", "insurer"))
        beta_post = self.beta if seller_weight_post is None else self._check_beta(seller_weight_post)
        cost_post = self.marginal_cost
        if cost_change is not None:
            try:
                change = np.broadcast_to(np.asarray(cost_change, dtype=float), self.shape)
            except (TypeError, ValueError):
                raise InvalidParameterError("cost_change does not broadcast to (markets, insurers, hospitals).",
                                            hint="pass one number, or an array of shape (M, I, H).") from None
            cost_post = cost_post * (1 + change) if cost_change_kind == "relative" else cost_post + change
        pre_price, pre_residual = self._solve(self.system_labels, self.insurers, self.beta, self.marginal_cost)
        post_price, post_residual = self._solve(systems_post, buyers_post, beta_post, cost_post)
        pre = self._frame(pre_price, self.system_labels, self.insurers, self.marginal_cost)
        post = self._frame(post_price, systems_post, buyers_post, cost_post)
        post["price_change"] = post["price"] / pre["price"] - 1.0
        sellers_changed = not np.array_equal(systems_post, self.system_labels)
        buyers_changed = not np.array_equal(buyers_post, self.insurers)
        level = "buyer" if buyers_changed and not sellers_changed else "seller"
        values = (self._hhi(pre, level), self._hhi(post, level))
        surplus = pd.concat({"pre": self._surplus(pre, self.marginal_cost),
                             "post": self._surplus(post, cost_post)}, axis=1).fillna(0.0)
        surplus["change"] = surplus["post"] - surplus["pre"]
        surplus.index.name = "firm"
        merging = np.zeros(len(pre), dtype=bool)
        firms: dict[Any, None] = {}
        for name, changed in (("seller", sellers_changed), ("buyer", buyers_changed)):
            if not changed:
                continue
            before, after = pre[name].to_numpy(), post[name].to_numpy()
            mixes = np.array([len(set(before[after == x])) > 1 for x in after]) | (before != after)
            merging |= mixes
            firms.update(dict.fromkeys([*before[mixes], *after[mixes]]))
        params = {"recapture": self.recapture}
        params.update({f"seller_weight[{m},{i},{h}]": float(b) for (m, i, h), b in
                       zip(pre.index, self.beta.ravel())})
        residual = max(pre_residual, post_residual)
        scale = max(1.0, float(np.max(np.abs(post_price))))
        result = MergerResult(
            params=pd.Series(params, name="params", dtype=float),
            pre=pre,
            post=post,
            hhi=pd.Series({"pre": values[0], "post": values[1], "change": values[1] - values[0]}, name="hhi"),
            consumer_surplus_change=0.0,
            converged=bool(residual <= 1e-9 * scale),
            residual=residual,
            notes=[NO_CHOICE_NOTE],
            consumer_surplus=pd.Series({"pre": 0.0, "post": 0.0}, name="consumer_surplus"),
            model="Nash-in-Nash hospital-insurer prices, networks valued by willingness to pay",
        )
        parties = (self._hhi(pre, level, list(firms)), self._hhi(post, level, list(firms)))
        result._cache.update({
            "producer_surplus": surplus,
            "compensating_cost_reduction": pd.DataFrame(index=pre.index),
            "upward_pricing_pressure": pd.DataFrame(index=pre.index),
            "merging": pd.Series(merging, index=pre.index, name="merging"),
            "merging_firms": list(firms),
            "hhi_merging": pd.Series({"pre": parties[0], "post": parties[1], "change": parties[1] - parties[0]},
                                     name="hhi_merging"),
        })
        return result
