"""Hospital-insurer Nash-in-Nash prices with logit demand: :class:`HospitalInsurerMarkets`.

The model (Ho and Lee 2017; Gowrisankaran, Nevo and Town 2015), for markets m = 1..M, each with the same
insurers i = 1..I and hospitals h = 1..H, every insurer contracting with every hospital of its market
(indices m and i are omitted below where a formula holds market by market and insurer by insurer).

Demand
    Insurer i has N_i enrollees who need a hospital; an enrollee's utility from hospital h is u_hi plus a
    type-I extreme value error, with an outside option of utility 0. With e_h = exp(u_hi) and G the insurer's
    network, the expected patients of h from i are q_hi(G) = N_i e_h / (1 + sum_{k in G} e_k); at the full
    network the share is s_h = e_h / (1 + sum_k e_k) and q_h = N_i s_h.

Willingness to pay
    The insurer values its network at the log-sum W_i(G) = kappa_i N_i log(1 + sum_{k in G} e_k) (kappa_i
    dollars per util). Dropping h lowers it by Delta W_hi = -kappa_i N_i log(1 - s_h); per patient of h,

        w_h = Delta W_hi / q_h = kappa_i (-log(1 - s_h)) / s_h.

Diversion
    When h leaves i's network its patients move to k with ratio D_hk = s_k / (1 - s_h) (k != h; D_hh = 0),
    so q_k(G minus h) = q_k(G) + D_hk q_h.

Profits
    Hospital h's marginal cost per patient is c_h = ``marginal_cost``. Hospitals of one system pool profits:
    when h's agreement with i fails the system keeps a share r (``recapture``) of the margins on the patients
    diverted to h's siblings. Insurer i pays p_k per patient of k and earns W_i.

Nash-in-Nash prices
    Each agreement (h, i) is bargained on its own, other agreements taken as formed (passive beliefs), with
    the hospital's weight beta_hi. Both gains from the agreement are affine in its own price with slopes +q_h
    and -q_h:

        gain_h(p) = q_h (p_h - C_h),   C_h = c_h + R_h,   R_h = r sum_{k sibling of h} (p_k - c_k) D_hk,
        gain_i(p) = q_h (V_h - p_h),   V_h = w_h + sum_{k != h} p_k D_hk,

    (without h the insurer pays the other hospitals for the diverted patients), and maximizing
    gain_h^beta gain_i^(1 - beta) gives p_h = C_h + beta_h (V_h - C_h). C and V are affine in the other prices
    of the same insurer, so for each market and insurer the prices solve the H x H linear system

        [I - diag(1 - beta) A - diag(beta) B] p = (1 - beta) (c - A c) + beta w,

    with A_hk = r D_hk [k sibling of h] and B_hk = D_hk. :meth:`HospitalInsurerMarkets.equilibrium` solves
    it exactly (``numpy.linalg.solve``); it is the fixed point that the general solver
    :class:`~bargaining.models.nash_in_nash.NashInNashPrices` (``joint=False``) finds by iteration.
    :meth:`HospitalInsurerMarkets.nash_in_nash_prices` hands the model to that solver with its profit
    functions and the same linear system (``linear_system``), which the solver then solves in one step.

Mergers of hospitals or insurers on this model: :class:`bargaining.models.merger.HospitalNetworkMarket` (a
subclass with ``simulate``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from bargaining.errors import GainsFromTradeError, InvalidParameterError, InvalidWeightError
from bargaining.models.nash_in_nash.network import Pair
from bargaining.models.nash_in_nash.newton import LinearThreatPoints
from bargaining.models.nash_in_nash.prices import NashInNashPrices

__all__ = ["HospitalInsurerEquilibrium", "HospitalInsurerMarkets"]


@dataclass(frozen=True)
class HospitalInsurerEquilibrium:
    """Nash-in-Nash per-patient prices of :class:`HospitalInsurerMarkets` and the terms of the price equation.

    Every array has shape (M, I, H): market, insurer, hospital. price = seller_cost + beta (buyer_value -
    seller_cost) holds exactly (up to rounding).

    Attributes
    ----------
    price
        p_hi, the Nash-in-Nash price per patient.
    seller_cost
        C_hi = marginal cost + recapture: the hospital side's threat point per patient.
    buyer_value
        V_hi = wtp_drop + the payments per diverted patient the insurer would make to the other hospitals.
    recapture
        R_hi = r sum_{k sibling of h} (p_ki - c_ki) D_hk: the margin per patient the system keeps at its other
        hospitals when the agreement fails (0 for independent hospitals).
    wtp_drop
        w_hi = Delta W_hi / q_hi, the insurer's willingness to pay lost per patient of h when h leaves.
    quantity
        q_hi, expected patients of h from i at the full network.
    share
        s_hi = q_hi / N_i.
    beta
        The hospital's bargaining weight per agreement.

    Examples
    --------
    One insurer (100 enrollees, 10 dollars per util) and two identical hospitals (u = 0, cost 1, beta =
    1/2). Each has share s = 1/3, the insurer loses w = 10 (-log(2/3)) / (1/3) = 12.16 per patient when
    one leaves, and half of its patients divert to the other hospital (D = 1/2), so V = w + p/2, C = 1 and
    p = C + (V - C)/2 gives p = (1/2 + w/2) / (3/4) = 8.776:

    >>> model = HospitalInsurerMarkets(utility=np.zeros((1, 1, 2)), enrollees=[[100.0]],
    ...                                wtp_per_util=[[10.0]], marginal_cost=np.ones((1, 1, 2)), beta=0.5)
    >>> eq = model.equilibrium()
    >>> eq.price.round(3), eq.wtp_drop.round(3), eq.buyer_value.round(3), eq.seller_cost.round(3)
    (array([[[8.776, 8.776]]]), array([[[12.164, 12.164]]]), array([[[16.552, 16.552]]]),
     array([[[1., 1.]]]))
    >>> eq.has_gains_from_trade, round(eq.smallest_gain, 3)
    (True, 15.552)

    When the two hospitals form one system, a failed agreement keeps half of the patients at the sibling
    (recapture R = (p - 1)/2), which raises the price to 1/2 + w = 12.664:

    >>> merged = HospitalInsurerMarkets(utility=np.zeros((1, 1, 2)), enrollees=[[100.0]],
    ...                                 wtp_per_util=[[10.0]], marginal_cost=np.ones((1, 1, 2)), beta=0.5,
    ...                                 systems=["s", "s"]).equilibrium()
    >>> merged.price.round(3), merged.recapture.round(3)
    (array([[[12.664, 12.664]]]), array([[[5.832, 5.832]]]))
    """

    price: np.ndarray
    seller_cost: np.ndarray
    buyer_value: np.ndarray
    recapture: np.ndarray
    wtp_drop: np.ndarray
    quantity: np.ndarray
    share: np.ndarray
    beta: np.ndarray

    @property
    def gains(self) -> np.ndarray:
        """V - C: the joint gain per patient from each agreement (Nash-in-Nash needs it > 0)."""
        return self.buyer_value - self.seller_cost

    @property
    def has_gains_from_trade(self) -> bool:
        """True when every price is finite and every agreement has V - C > 0."""
        return bool(np.all(np.isfinite(self.price)) and not np.any(self.gains <= 0))

    @property
    def smallest_gain(self) -> float:
        """min V - C over agreements (NaN-aware)."""
        return float(np.nanmin(self.gains))


class HospitalInsurerMarkets:
    """Hospitals and insurers bargaining over per-patient prices, with logit demand (model in the module doc).

    Parameters
    ----------
    utility
        u_mih, shape (M, I, H): the mean utility of hospital h to an enrollee of insurer i in market m (the
        outside option has utility 0).
    enrollees
        N_mi > 0, shape (M, I): enrollees of insurer i in market m.
    wtp_per_util
        kappa_mi >= 0, shape (M, I): dollars per util in the insurer's willingness to pay.
    marginal_cost
        c_mih, shape (M, I, H): the hospital's marginal cost per patient of the insurer.
    beta
        The hospital's (seller's) bargaining weight in [0, 1], broadcastable to (M, I, H): one number, one per
        insurer (shape (1, I, 1)) or one per agreement.
    systems
        ``None`` (every hospital independent) or one label per hospital (length H, the same in every market):
        hospitals with equal labels form a system that pools profits, e.g. ``["s1", "s1", "s2"]``.
    recapture
        r in [0, 1]: the share of its siblings' margins a system counts when one of its agreements fails (1:
        full pooling; 0: members bargain as if independent).

    Attributes
    ----------
    utility, enrollees, wtp_per_util, marginal_cost, beta, systems, recapture
        The primitives as float arrays (``beta`` broadcast to (M, I, H), ``systems`` as an integer code per
        hospital) and a float.
    shape
        (M, I, H).

    Examples
    --------
    >>> import numpy as np
    >>> model = HospitalInsurerMarkets(
    ...     utility=np.zeros((1, 1, 2)), enrollees=np.full((1, 1), 100.0), wtp_per_util=np.full((1, 1), 10.0),
    ...     marginal_cost=np.ones((1, 1, 2)), beta=0.5)
    >>> eq = model.equilibrium()
    >>> bool(np.allclose(eq.price, eq.seller_cost + 0.5 * (eq.buyer_value - eq.seller_cost)))
    True
    """

    def __init__(
        self,
        utility: Any,
        enrollees: Any,
        wtp_per_util: Any,
        marginal_cost: Any,
        beta: Any,
        *,
        systems: Sequence[Hashable] | np.ndarray | None = None,
        recapture: float = 1.0,
    ) -> None:
        self.utility = _array(utility, "utility", ndim=3)
        self.shape: tuple[int, int, int] = self.utility.shape
        markets, insurers, hospitals = self.shape
        self.enrollees = _array(enrollees, "enrollees", shape=(markets, insurers))
        if np.any(self.enrollees <= 0):
            raise InvalidParameterError("enrollees must be > 0.", hint="give each insurer a positive size.")
        self.wtp_per_util = _array(wtp_per_util, "wtp_per_util", shape=(markets, insurers))
        if np.any(self.wtp_per_util < 0):
            raise InvalidParameterError(
                "wtp_per_util must be >= 0.", hint="it is the insurer's dollars per util of hospital choice."
            )
        self.marginal_cost = _array(marginal_cost, "marginal_cost", shape=self.shape)
        self.beta = self._check_beta(beta)
        self.systems = self._check_systems(systems, hospitals)
        number = float(recapture)
        if not (math.isfinite(number) and 0 <= number <= 1):
            raise InvalidParameterError(
                f"recapture must be in [0, 1], got {recapture!r}.", hint="use 1 for full pooling."
            )
        self.recapture = number

    # -- validation
    def _check_beta(self, beta: Any) -> np.ndarray:
        values = np.asarray(beta, dtype=float)
        try:
            out = np.broadcast_to(values, self.shape)
        except ValueError:
            raise InvalidWeightError(
                f"beta of shape {values.shape} does not broadcast to (markets, insurers, hospitals) = "
                f"{self.shape}.",
                hint="give one number, one per insurer with shape (1, I, 1), or one per agreement.",
            ) from None
        if not np.all((out >= 0) & (out <= 1)):
            raise InvalidWeightError("beta must be in [0, 1].", hint="e.g. beta=0.5.")
        return out

    @staticmethod
    def _check_systems(systems: Sequence[Hashable] | np.ndarray | None, hospitals: int) -> np.ndarray:
        if systems is None:
            return np.arange(hospitals)
        labels = list(systems)
        if len(labels) != hospitals:
            raise InvalidParameterError(
                f"systems has {len(labels)} labels for {hospitals} hospitals.",
                hint="give one system label per hospital, e.g. ['s1', 's1', 's2'] for 3 hospitals.",
            )
        codes: dict[Hashable, int] = {}
        return np.array([codes.setdefault(label, len(codes)) for label in labels])

    # -- demand
    def shares(self) -> np.ndarray:
        """s_mih = e_h / (1 + sum_k e_k) at the full network, shape (M, I, H)."""
        expu = np.exp(self.utility)
        return expu / (1.0 + expu.sum(axis=2, keepdims=True))

    def quantities(self, network: Any = None) -> np.ndarray:
        """q_mih(G) = N_mi e_h [h in G] / (1 + sum_{k in G} e_k), shape (M, I, H).

        ``network``: boolean array broadcastable to (M, I, H), True where the agreement forms; ``None``: all.
        """
        if network is None:
            return self.enrollees[:, :, None] * self.shares()
        formed = np.broadcast_to(np.asarray(network, dtype=bool), self.shape)
        expu = np.where(formed, np.exp(self.utility), 0.0)
        return self.enrollees[:, :, None] * expu / (1.0 + expu.sum(axis=2, keepdims=True))

    def willingness_to_pay(self, network: Any = None) -> np.ndarray:
        """W_mi(G) = kappa_mi N_mi log(1 + sum_{k in G} e_k), shape (M, I); ``network`` as in
        :meth:`quantities`."""
        formed = np.ones(self.shape, dtype=bool) if network is None else np.asarray(network, dtype=bool)
        expu = np.where(np.broadcast_to(formed, self.shape), np.exp(self.utility), 0.0)
        return self.wtp_per_util * self.enrollees * np.log1p(expu.sum(axis=2))

    def wtp_drop(self, share: np.ndarray | None = None) -> np.ndarray:
        """w_mih = Delta W_hi / q_hi = kappa_mi (-log(1 - s_h)) / s_h, shape (M, I, H)."""
        share = self.shares() if share is None else share
        return self.wtp_per_util[:, :, None] * (-np.log1p(-share)) / share

    def diversion(self, share: np.ndarray | None = None) -> np.ndarray:
        """D[m, i, h, k] = s_k / (1 - s_h) for k != h and 0 on the diagonal, shape (M, I, H, H)."""
        share = self.shares() if share is None else share
        hospitals = self.shape[2]
        out = share[:, :, None, :] / (1.0 - share[:, :, :, None])
        out[:, :, np.arange(hospitals), np.arange(hospitals)] = 0.0
        return out

    def siblings(self) -> np.ndarray:
        """S[h, k] = True when h != k belong to the same system, shape (H, H)."""
        hospitals = self.shape[2]
        return (self.systems[:, None] == self.systems[None, :]) & ~np.eye(hospitals, dtype=bool)

    # -- equilibrium
    def equilibrium(self, *, check: bool = True) -> HospitalInsurerEquilibrium:
        """Solve for the Nash-in-Nash prices (the module doc's linear system) and the price equation's terms.

        Parameters
        ----------
        check
            Raise :class:`~bargaining.errors.GainsFromTradeError` when a price is not finite or an agreement
            has V - C <= 0 (Nash-in-Nash then does not describe it). With ``check=False`` the result is
            returned as computed; see :attr:`HospitalInsurerEquilibrium.has_gains_from_trade`.

        Returns
        -------
        HospitalInsurerEquilibrium
        """
        share = self.shares()
        quantity = self.enrollees[:, :, None] * share
        wtp_drop = self.wtp_drop(share)
        diversion = self.diversion(share)
        betas = self.beta
        mc = self.marginal_cost
        a = self.recapture * diversion * self.siblings()
        b = diversion
        eye = np.eye(self.shape[2])
        system_matrix = eye - (1.0 - betas)[..., None] * a - betas[..., None] * b
        rhs = (1.0 - betas) * (mc - np.einsum("mihk,mik->mih", a, mc)) + betas * wtp_drop
        prices = np.linalg.solve(system_matrix, rhs[..., None])[..., 0]
        recaptured = np.einsum("mihk,mik->mih", a, prices - mc)
        result = HospitalInsurerEquilibrium(
            price=prices,
            seller_cost=mc + recaptured,
            buyer_value=wtp_drop + np.einsum("mihk,mik->mih", b, prices),
            recapture=recaptured,
            wtp_drop=wtp_drop,
            quantity=quantity,
            share=share,
            beta=np.array(betas),
        )
        if check and not result.has_gains_from_trade:
            raise GainsFromTradeError(
                f"some agreements have no gains from trade at the equilibrium (smallest V - C = "
                f"{result.smallest_gain:.4g}).",
                hint="Nash-in-Nash needs V - C > 0 for every agreement: raise the willingness to pay "
                "(wtp_per_util) or lower the marginal costs.",
            )
        return result

    def prices(self) -> np.ndarray:
        """The Nash-in-Nash prices p_mih, shape (M, I, H) (see :meth:`equilibrium`)."""
        return self.equilibrium().price

    def nash_in_nash_prices(self) -> NashInNashPrices:
        """The same model as a :class:`~bargaining.models.nash_in_nash.NashInNashPrices` problem.

        Agents are market-specific: hospital ``h{h}@m{m}`` and insurer ``I{i}@m{m}`` (1-based), one
        agreement ``(h{h}@m{m}, I{i}@m{m})`` per hospital, insurer and market, bargained separately
        (``joint=False``). The profit object is callable, ``profit(agent, agreements, prices)`` with the
        profits of the module doc recomputed from logit demand on the formed network (a hospital counts
        ``recapture`` times its siblings' margins with the same insurer), and provides ``linear_system``, so
        ``solve()`` is one linear solve; pass ``model.nash_in_nash_prices()._profit`` wrapped in a plain
        function to solve it from the payoffs alone.

        Returns
        -------
        NashInNashPrices

        Raises
        ------
        InvalidWeightError
            When the hospital weights beta cannot be written as b_h / (b_h + b_i) with one weight per agent
            and market (the odds beta / (1 - beta) must factor into a hospital and an insurer term, as for
            one number, one beta per insurer, or one per hospital), or beta is 0 or 1 but not constant in a
            market.

        Examples
        --------
        >>> import numpy as np
        >>> model = HospitalInsurerMarkets(
        ...     utility=np.zeros((1, 2, 2)), enrollees=np.full((1, 2), 100.0),
        ...     wtp_per_util=np.full((1, 2), 10.0), marginal_cost=np.ones((1, 2, 2)), beta=0.5,
        ...     systems=["s", "s"])
        >>> result = model.nash_in_nash_prices().solve()
        >>> bool(np.allclose(result.prices["price"], model.prices()[0].ravel()))
        True
        """
        profit = _HospitalInsurerProfit(self)
        return NashInNashPrices(profit.pairs, profit, profit.weights(), joint=False)


class _HospitalInsurerProfit:
    """Profit functions of :class:`HospitalInsurerMarkets` (callable) with its linear Nash system."""

    def __init__(self, model: HospitalInsurerMarkets) -> None:
        self.model = model
        markets, insurers, hospitals = model.shape
        self.hospital_names = [[f"h{h + 1}@m{m + 1}" for h in range(hospitals)] for m in range(markets)]
        self.insurer_names = [[f"I{i + 1}@m{m + 1}" for i in range(insurers)] for m in range(markets)]
        self.pairs: list[Pair] = []
        self.index: dict[Pair, tuple[int, int, int]] = {}
        self.agent: dict[Hashable, tuple[str, int, int]] = {}
        for m in range(markets):
            for i in range(insurers):
                self.agent[self.insurer_names[m][i]] = ("insurer", m, i)
                for h in range(hospitals):
                    pair = (self.hospital_names[m][h], self.insurer_names[m][i])
                    self.pairs.append(pair)
                    self.index[pair] = (m, i, h)
            for h in range(hospitals):
                self.agent[self.hospital_names[m][h]] = ("hospital", m, h)
        self.keys = [
            [
                [(self.hospital_names[m][h], self.insurer_names[m][i]) for h in range(hospitals)]
                for i in range(insurers)
            ]
            for m in range(markets)
        ]
        self.expu = np.exp(model.utility).tolist()
        self._where: tuple[Sequence, np.ndarray] | None = None  # the last bundles' (m, i, h)
        self.cost = model.marginal_cost.tolist()
        sib = model.siblings()
        self.weight_of = [
            [1.0 if k == h else model.recapture if sib[h, k] else 0.0 for k in range(hospitals)]
            for h in range(hospitals)
        ]

    def weights(self) -> dict[Hashable, float]:
        """b_h and b_i per market with b_h / (b_h + b_i) = beta_mih."""
        beta = self.model.beta
        out: dict[Hashable, float] = {}
        for m in range(self.model.shape[0]):
            block = beta[m]
            if np.all(block == block.flat[0]) and block.flat[0] in (0.0, 1.0):
                hospital_weight, insurer_weight = float(block.flat[0]), 1.0 - float(block.flat[0])
                out.update({name: hospital_weight for name in self.hospital_names[m]})
                out.update({name: insurer_weight for name in self.insurer_names[m]})
                continue
            if np.any((block <= 0) | (block >= 1)):
                raise InvalidWeightError(
                    f"market {m + 1} has a beta of 0 or 1 next to other values; NashInNashPrices needs one "
                    "weight per agent.",
                    hint="use beta strictly between 0 and 1, or the same beta throughout the market.",
                )
            odds = np.log(block) - np.log1p(-block)  # log b_h - log b_i, shape (I, H)
            log_hospital = odds[0]
            log_insurer = log_hospital[None, :] - odds
            if not np.allclose(log_insurer, log_insurer[:, :1], rtol=0, atol=1e-12):
                raise InvalidWeightError(
                    f"in market {m + 1} the odds beta / (1 - beta) do not factor into a hospital and an "
                    "insurer weight.",
                    hint="give beta as one number, one per insurer, or one per hospital.",
                )
            out.update(
                {name: float(np.exp(v)) for name, v in zip(self.hospital_names[m], log_hospital, strict=True)}
            )
            out.update(
                {
                    name: float(np.exp(v))
                    for name, v in zip(self.insurer_names[m], log_insurer[:, 0], strict=True)
                }
            )
        return out

    def _network(self, m: int, i: int, agreements: frozenset) -> list[int]:
        keys = self.keys[m][i]
        return [h for h in range(len(keys)) if keys[h] in agreements]

    def __call__(self, agent: Hashable, agreements: frozenset, prices: Mapping[Pair, float]) -> float:
        model = self.model
        kind, m, which = self.agent[agent]
        if kind == "insurer":
            i = which
            network = self._network(m, i, agreements)
            expu = self.expu[m][i]
            inclusive = 1.0 + sum(expu[h] for h in network)
            size = model.enrollees[m, i]
            keys = self.keys[m][i]
            payments = sum(prices[keys[h]] * size * expu[h] / inclusive for h in network)
            return float(model.wtp_per_util[m, i] * size * math.log(inclusive) - payments)
        h = which
        total = 0.0
        for i in range(len(self.insurer_names[m])):
            network = self._network(m, i, agreements)
            expu = self.expu[m][i]
            inclusive = 1.0 + sum(expu[k] for k in network)
            size = model.enrollees[m, i]
            for k in network:
                weight = self.weight_of[h][k]
                if weight:
                    margin = prices[self.keys[m][i][k]] - self.cost[m][i][k]
                    total += weight * margin * size * expu[k] / inclusive
        return total

    def linear_system(self, bundles: Sequence[Sequence[Pair]]) -> LinearThreatPoints | None:
        """The threat points C(x), V(x) of the module doc as affine functions of the prices of ``bundles``;
        ``None`` unless every bundle is one agreement of the model and every agreement is a bundle."""
        if self._where is not None and bundles is self._where[0]:
            where = self._where[1]
        else:
            if len(bundles) != len(self.index) or any(len(b) != 1 or b[0] not in self.index for b in bundles):
                return None
            where = np.array([self.index[b[0]] for b in bundles])  # (n, 3): m, i, h
            self._where = (bundles, where)
        model = self.model
        hospitals = model.shape[2]
        position = np.empty(model.shape, dtype=int)
        position[where[:, 0], where[:, 1], where[:, 2]] = np.arange(len(bundles))
        share = model.shares()
        diversion = model.diversion(share)  # (M, I, H, H)
        m, i, h, k = np.nonzero(np.broadcast_to(~np.eye(hospitals, dtype=bool), diversion.shape))
        rows, cols = position[m, i, h], position[m, i, k]
        d = diversion[m, i, h, k]
        n = len(bundles)
        sib = model.siblings()[h, k]
        recaptured = sparse.coo_matrix((model.recapture * d[sib], (rows[sib], cols[sib])), shape=(n, n))
        moved = sparse.coo_matrix((d, (rows, cols)), shape=(n, n))
        cost = model.marginal_cost[where[:, 0], where[:, 1], where[:, 2]]
        quantity = (model.enrollees[:, :, None] * share)[where[:, 0], where[:, 1], where[:, 2]]
        return LinearThreatPoints(
            seller_cost=cost - recaptured @ cost,
            seller_cost_prices=recaptured,
            buyer_value=model.wtp_drop(share)[where[:, 0], where[:, 1], where[:, 2]],
            buyer_value_prices=moved,
            seller_slope=quantity,
            buyer_slope=-quantity,
        )


def _array(
    value: Any, name: str, *, ndim: int | None = None, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    try:
        out = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name} is not numeric.", hint=f"give {name} as a float array."
        ) from None
    if ndim is not None and out.ndim != ndim:
        raise InvalidParameterError(
            f"{name} must have {ndim} dimensions (markets, insurers, hospitals), got shape {out.shape}.",
            hint="for one market and one insurer use shape (1, 1, H).",
        )
    if shape is not None and out.shape != shape:
        raise InvalidParameterError(
            f"{name} must have shape {shape}, got {out.shape}.",
            hint="markets and insurers (and hospitals) must match the utility array.",
        )
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(f"{name} has non-finite values.", hint=f"give finite {name}.")
    return out
