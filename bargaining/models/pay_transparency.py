r"""Pay transparency: many sellers, one buyer who guards a reputation (after Valenzuela-Stookey, 2023).

The model
---------
:math:`N` sellers with zero cost each offer one unit to one buyer with additive unit demand: the buyer values
every unit at :math:`v \in \{h, l\}`, :math:`0 \le l < h`, with :math:`P(v = h) = \mu`; sellers do not know
:math:`v`. There are two periods and period 2 is discounted by :math:`\delta \in [0, 1]`.

1. Period 1. Sellers simultaneously post take-it-or-leave-it prices :math:`p_1, \dots, p_N`; the buyer sees
   them all and accepts a subset :math:`A`; it earns :math:`\sum_{i \in A} (v - p_i)` and seller :math:`i`
   earns :math:`p_i` if :math:`i \in A`.
2. Transparency. Each seller independently observes the period-1 outcome with probability :math:`\tau`.
   With ``recall=True`` a seller whose own price above :math:`l` was accepted also knows it.
3. Period 2 (the slides' rule, taken as given). A seller who knows that some price *strictly* above
   :math:`l` was accepted charges :math:`h`; every other seller charges :math:`l`. The buyer buys whenever
   the price is at most its value, so the high type gets :math:`h - l` from a seller charging :math:`l` and
   :math:`0` from one charging :math:`h`; the low type gets :math:`0` either way.

Call the buyer *revealed* when it accepts some price above :math:`l`. Seller :math:`j` then charges
:math:`h` with probability :math:`q_j = \tau + (1 - \tau)\,\mathbb{1}[\text{recall and } j\text{'s own price
above } l \text{ was accepted}]`. With :math:`D_v = \delta[(v - l)^+ - (v - h)^+]` (so :math:`D_h =
\delta (h - l)` and :math:`D_l = 0`), a type-:math:`v` buyer that accepts :math:`k \ge 1` prices above
:math:`l` loses, in period 2,

.. math::  L_v(k) = F_v + c_v k, \qquad F_v = N \tau D_v, \qquad c_v = \text{recall} \cdot (1 - \tau) D_v,

and nothing when :math:`k = 0`.

The buyer's problem (derived, then checked by enumeration in the tests)
-----------------------------------------------------------------------
Offers at or below :math:`l` reveal nothing, so type :math:`v` accepts them iff :math:`v - p_i \ge 0`.
For the offers above :math:`l` write the net gain :math:`n_i = v - p_i - c_v`. Accepting a nonempty set
:math:`S` of them is worth :math:`\sum_{i \in S} n_i - F_v`; the best nonempty set holds every offer with
:math:`n_i > 0` (and, being indifferent, those with :math:`n_i = 0`), and it beats accepting none iff
:math:`\sum_i (n_i)^+ \ge F_v`. Hence the high type either rejects *every* offer above :math:`l` or accepts
every one with :math:`p_i \le h - c_h`: the slides' remark that a buyer who turns down one offer above
:math:`l` turns them all down is this lemma (without recall it applies to every offer in :math:`(l, h]`).
The low type has :math:`F_l = c_l = 0` and accepts exactly the offers :math:`p_i \le l`.
**Selection:** among its optimal subsets the buyer takes the largest, i.e. it accepts when indifferent
(otherwise sellers' best responses do not exist); comparisons use the tolerance ``TOL`` relative to
:math:`h`.

*Passive beliefs* (the benchmark, as Nash-in-Nash would have it): the buyer judges each offer on its own, as
if it were the only one on the table: it accepts :math:`p_i > l` iff :math:`v - p_i - L_v(1) \ge 0`. The
period-2 consequences of what it accepts are the true ones.

Sellers (computed, then verified)
---------------------------------
Seller :math:`i`'s expected payoff is its period-1 revenue plus :math:`\delta` times its period-2 revenue
(:math:`l`, or :math:`h` with probability :math:`q_i` when the high type is revealed), averaged over the
buyer's type and over the other sellers' mixed offers. The code builds symmetric candidate profiles with
offers in :math:`\{l, p_H\}`: everyone at :math:`l`; everyone at :math:`p_H`, the largest common price the
high type accepts (found by bisection on the buyer's acceptance rule: :math:`h - c_h - F_h / N` under the
lemma, :math:`h - L_h(1)` under passive beliefs); and a mixture in which each seller offers :math:`p_H` with
the probability :math:`s` that makes it indifferent between :math:`p_H` and :math:`l` (a root of the
indifference function, by Brent's method). Each candidate is then checked: against it a seller's payoff as a
function of its own price is increasing between the prices at which an acceptance decision switches, so the
best deviation is :math:`l`, one of those switching prices (found by bisection for every number of rivals
offering :math:`p_H`), or a rejected price; optionally a grid is added. A candidate is an equilibrium iff no
deviation gains more than ``TOL``; the largest gain found is reported (``max_deviation_gain``).

What comes out (and is tested): with strategic beliefs the all-:math:`p_H` profile, :math:`p_H = h - c_h -
F_h/N` (:math:`= h - \delta\tau(h - l)` without recall), is an equilibrium iff :math:`\mu h \ge l`: the
price cut that compensates the buyer for its lost reputation is exactly repaid to sellers in period 2; the
all-:math:`l` profile is one iff :math:`\mu(h - (N - 1)\tau D_h) \le l` (or no price above :math:`l` would be
accepted), so a symmetric pure equilibrium always exists and both exist in between (where a two-point
mixture of :math:`l` and :math:`p_H` can be a third). Under passive beliefs the buyer charges the whole
:math:`L_h(1)` to every offer, so :math:`p_H = h - L_h(1)`, and a seller's gain from pricing high falls with
the share of rivals pricing high (their acceptances reveal the buyer anyway). The symmetric equilibrium is
then unique: without recall and for :math:`N \ge 2`, all-high iff :math:`\mu(h - N\tau D_h) \ge l`, all-low
iff :math:`\mu(h - (N - 1)\tau D_h) \le l`, and a mixture in between. At :math:`\tau = 0` (without recall)
the buyer's decisions separate and both models give the monopoly outcome: :math:`h` if :math:`\mu h \ge l`,
else :math:`l`.

**Equilibrium selection:** among the verified symmetric candidates the one with the highest seller payoff
(ties: fewer high offers). Asymmetric equilibria (e.g. different prices above :math:`l` whose net gains sum
to :math:`F_h`) exist and are not reported.

The period-2 rule is taken from the slides, not derived: ``period2_sequentially_rational`` says whether
charging :math:`l` is optimal at every information set where the rule prescribes it, given the posterior the
equilibrium implies (it fails, for instance, for a seller who saw nothing when :math:`\mu h > l`).

Reference: Q. Valenzuela-Stookey, "Pay transparency and discrimination", working paper, 2023.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import binom

from bargaining.errors import ConvergenceError, InvalidParameterError, NumericalAccuracyError
from bargaining.models._checks import check_finite, check_in_interval

__all__ = ["TOL", "PayTransparency", "TransparencyOutcome"]

TOL = 1e-12  # relative to h: ties in the buyer's comparisons and the seller's deviation check
CHECK_TOL = 1e-10  # relative to h: a seller's deviation gain up to this is numerical noise
MAX_SELLERS = 500
Beliefs = Literal["strategic", "passive"]
BELIEFS = ("strategic", "passive")


@dataclass(frozen=True)
class TransparencyOutcome:
    """A symmetric equilibrium of period 1 (or the passive-beliefs benchmark) and what it gives everyone.

    Attributes
    ----------
    beliefs            "strategic" (the buyer optimizes over subsets) or "passive" (offer by offer)
    regime             "low" (all offers l), "high" (all offers high_price) or "mixed"
    offers             the offer distribution of each seller: ((price, probability), ...)
    high_price         p_H when it is offered with positive probability, else NaN
    prob_high_offer    probability that a seller offers p_H
    acceptance         {"high"|"low" type: {"high_offer", "low_offer", "any_offer": probability accepted}}
                       (NaN for an offer that is never made)
    reveal_probability probability that the high type accepts some price above l
    payoff_high_type, payoff_low_type, buyer_payoff   expected discounted payoffs (buyer_payoff averages types)
    seller_payoff      expected discounted payoff of each seller
    welfare            buyer_payoff + N * seller_payoff;  first_best_welfare = N (1 + delta) E[v]
    max_deviation_gain largest seller gain from a deviation found by the check (<= TOL * h: equilibrium)
    accuracy           |indifference residual| of a mixed profile (0 for pure profiles)
    alternatives       regimes of the other symmetric equilibria found (not selected)
    period2_sequentially_rational  whether the slides' period-2 rule is optimal given equilibrium posteriors
    passive            the passive-beliefs benchmark (None inside the benchmark itself)

    Examples
    --------
    >>> model = PayTransparency(3, high=1.0, low=0.35, prob_high=0.5, discount=0.9, transparency=0.2)
    >>> eq = model.equilibrium()
    >>> eq.regime, round(eq.high_price, 3)   # h - tau delta (h - l)
    ('high', 0.883)
    """

    beliefs: str
    regime: str
    offers: tuple[tuple[float, float], ...]
    high_price: float
    prob_high_offer: float
    acceptance: Mapping[str, Mapping[str, float]]
    reveal_probability: float
    payoff_high_type: float
    payoff_low_type: float
    buyer_payoff: float
    seller_payoff: float
    welfare: float
    first_best_welfare: float
    max_deviation_gain: float
    accuracy: float
    alternatives: tuple[str, ...]
    period2_sequentially_rational: bool
    passive: TransparencyOutcome | None = field(default=None, repr=False)

    def passive_beliefs(self) -> TransparencyOutcome:
        """The passive-beliefs benchmark computed with the same parameters."""
        if self.passive is None:
            return self
        return self.passive

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping of the fields (the benchmark nested under ``passive``)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "passive"}
        if self.passive is not None:
            out["passive"] = self.passive.as_dict()
        return out

    def table(self) -> pd.DataFrame:
        """One column per beliefs model, one row per reported quantity."""
        rows = {
            "regime": "regime", "high price": "high_price", "P(offer high)": "prob_high_offer",
            "P(high type revealed)": "reveal_probability", "high type payoff": "payoff_high_type",
            "low type payoff": "payoff_low_type", "buyer payoff": "buyer_payoff",
            "seller payoff (each)": "seller_payoff", "welfare": "welfare", "first-best welfare": "first_best_welfare",
            "max deviation gain": "max_deviation_gain", "other equilibria": "alternatives",
            "period-2 rule rational": "period2_sequentially_rational",
        }
        outcomes = [self] + ([self.passive] if self.passive is not None else [])
        data = {o.beliefs: [_show(getattr(o, attr)) for attr in rows.values()] for o in outcomes}
        for t in ("high", "low"):
            for kind in ("high_offer", "low_offer"):
                for o in outcomes:
                    data[o.beliefs].append(o.acceptance[t][kind])
        index = list(rows) + [f"P({t} type accepts {k.replace('_', ' ')})" for t in ("high", "low")
                              for k in ("high_offer", "low_offer")]
        return pd.DataFrame(data, index=index)


def _show(value: Any) -> Any:
    if isinstance(value, tuple):
        return ", ".join(value) if value else "none"
    return value


class PayTransparency:
    """N sellers, one buyer of type h or l, two periods, period-1 outcome seen by each seller w.p. tau.

    Parameters
    ----------
    n_sellers     number of sellers N (1 to 500)
    high, low     the buyer's value per unit, 0 <= low < high
    prob_high     probability mu of the high type, in [0, 1]
    discount      delta in [0, 1], the weight of period 2
    transparency  tau in [0, 1], the probability that a seller observes the period-1 outcome
    recall        a seller whose own price above l was accepted knows it (default False: only tau informs)

    See the module docstring for the model, the derivation and the equilibrium selection.

    Examples
    --------
    >>> model = PayTransparency(3, high=1.0, low=0.35, prob_high=0.5, discount=0.9, transparency=0.2)
    >>> eq = model.equilibrium()
    >>> eq.regime, round(eq.high_price, 12), eq.passive_beliefs().regime
    ('high', 0.883, 'mixed')
    """

    def __init__(self, n_sellers: int, high: float, low: float, prob_high: float, discount: float,
                 transparency: float, *, recall: bool = False) -> None:
        if isinstance(n_sellers, bool) or not isinstance(n_sellers, (int, np.integer)) or not 1 <= n_sellers <= MAX_SELLERS:
            raise InvalidParameterError(f"n_sellers must be an integer in [1, {MAX_SELLERS}], got {n_sellers!r}.",
                                        hint="Pass the number of sellers, e.g. n_sellers=3.")
        self.n_sellers = int(n_sellers)
        self.high = check_finite(high, "high")
        self.low = check_finite(low, "low")
        if not 0.0 <= self.low < self.high:
            raise InvalidParameterError(f"Need 0 <= low < high, got low={self.low}, high={self.high}.",
                                        hint="The buyer's two values per unit: e.g. high=1, low=0.4.")
        self.prob_high = check_in_interval(prob_high, "prob_high", 0.0, 1.0, hint="mu = P(high type), e.g. 0.5.")
        self.discount = check_in_interval(discount, "discount", 0.0, 1.0, hint="delta, e.g. 0.9.")
        self.transparency = check_in_interval(transparency, "transparency", 0.0, 1.0,
                                              hint="tau = probability that a seller sees the period-1 outcome.")
        self.recall = bool(recall)
        self.tol = TOL * self.high

    def __repr__(self) -> str:
        return (f"PayTransparency(n_sellers={self.n_sellers}, high={self.high}, low={self.low}, prob_high="
                f"{self.prob_high}, discount={self.discount}, transparency={self.transparency}, recall={self.recall})")

    def replace(self, **changes: Any) -> PayTransparency:
        """A copy with some parameters changed."""
        params: dict[str, Any] = {
            "n_sellers": self.n_sellers, "high": self.high, "low": self.low, "prob_high": self.prob_high,
            "discount": self.discount, "transparency": self.transparency, "recall": self.recall}
        params.update(changes)
        return PayTransparency(**params)

    # ---- primitives -------------------------------------------------------------------------------------
    def _value(self, buyer_type: str) -> float:
        if buyer_type not in ("high", "low"):
            raise InvalidParameterError(f"buyer_type must be 'high' or 'low', got {buyer_type!r}.",
                                        hint="Pass buyer_type='high' or 'low'.")
        return self.high if buyer_type == "high" else self.low

    def reputation_loss(self, buyer_type: str) -> tuple[float, float]:
        """(F_v, c_v): a type-v buyer accepting k >= 1 prices above l loses F_v + c_v k in period 2."""
        v = self._value(buyer_type)
        d = self.discount * (max(v - self.low, 0.0) - max(v - self.high, 0.0))
        return self.n_sellers * self.transparency * d, (1.0 - self.transparency) * d * self.recall

    def _above(self, p: np.ndarray) -> np.ndarray:
        """Prices that count as "above l" (a price within the tolerance of l counts as l)."""
        return p > self.low + self.tol

    def _offers(self, offers: Sequence[float] | np.ndarray) -> np.ndarray:
        p = np.asarray(offers, dtype=float).reshape(-1)
        if p.size != self.n_sellers or not np.all(np.isfinite(p)):
            raise InvalidParameterError(f"Need {self.n_sellers} finite offers, got {p.size}.",
                                        hint="Pass one period-1 price per seller.")
        return p

    def acceptance(self, offers: Sequence[float] | np.ndarray, buyer_type: str = "high",
                   beliefs: Beliefs = "strategic") -> np.ndarray:
        """Which offers a buyer of ``buyer_type`` accepts (boolean array); the lemma of the module docstring."""
        p = self._offers(offers)
        v = self._value(buyer_type)
        fixed, per_offer = self.reputation_loss(buyer_type)
        above = self._above(p)
        out = ~above & (v - p >= -self.tol)
        if beliefs == "passive":
            return out | (above & (v - p - fixed - per_offer >= -self.tol))
        if beliefs != "strategic":
            raise InvalidParameterError(f"beliefs must be one of {BELIEFS}, got {beliefs!r}.", hint="Use 'strategic' or 'passive'.")
        net = v - p - per_offer
        candidates = above & (net >= -self.tol)
        if candidates.any() and np.clip(net[candidates], 0.0, None).sum() >= fixed - self.tol:
            out = out | candidates
        return out

    def _period2_high_prob(self, p: np.ndarray, accepted: np.ndarray) -> np.ndarray:
        """q_j: probability that seller j charges h in period 2, given the period-1 offers and acceptances."""
        if not np.any(accepted & self._above(p)):
            return np.zeros(p.size)
        own = (accepted & self._above(p)) if self.recall else np.zeros(p.size, dtype=bool)
        return np.where(own, 1.0, self.transparency)

    def buyer_payoff(self, offers: Sequence[float] | np.ndarray, accepted: Sequence[bool] | np.ndarray,
                     buyer_type: str) -> float:
        """Discounted payoff of a type-``buyer_type`` buyer that accepts ``accepted`` (any subset)."""
        p = self._offers(offers)
        a = np.asarray(accepted, dtype=bool).reshape(-1)
        v = self._value(buyer_type)
        q = self._period2_high_prob(p, a)
        period2 = np.sum(q * max(v - self.high, 0.0) + (1 - q) * max(v - self.low, 0.0))
        return float(np.sum((v - p)[a]) + self.discount * period2)

    def seller_payoffs(self, offers: Sequence[float] | np.ndarray, beliefs: Beliefs = "strategic") -> np.ndarray:
        """Each seller's expected discounted payoff (over the buyer's type and observation) at ``offers``."""
        p = self._offers(offers)
        total = np.zeros(p.size)
        for buyer_type, weight in (("high", self.prob_high), ("low", 1.0 - self.prob_high)):
            if weight == 0.0:
                continue
            v = self._value(buyer_type)
            a = self.acceptance(p, buyer_type, beliefs)
            q = self._period2_high_prob(p, a)
            period2 = q * (self.high if v >= self.high - self.tol else 0.0) + (1 - q) * self.low
            total += weight * (np.where(a, p, 0.0) + self.discount * period2)
        return total

    # ---- symmetric profiles -----------------------------------------------------------------------------
    def _profile_offers(self, own: float, n_high: int, high_price: float, n_others: int) -> np.ndarray:
        return np.array([own] + [high_price] * n_high + [self.low] * (n_others - n_high))

    def _seller_value(self, own: float, s: float, high_price: float, beliefs: Beliefs) -> float:
        """Seller 1's expected payoff at price ``own`` when each rival offers high_price w.p. s, else l."""
        n = self.n_sellers - 1
        weights = binom.pmf(np.arange(n + 1), n, s) if n else np.ones(1)
        return float(sum(w * self.seller_payoffs(self._profile_offers(own, m, high_price, n), beliefs)[0]
                         for m, w in enumerate(weights) if w > 0))

    def _largest_accepted(self, accepted: Any) -> float | None:
        """sup {p in (l, h]: accepted(p)} for a monotone rule, by bisection; None if nothing above l is."""
        lo, hi = self.low + 2 * self.tol, self.high
        if not accepted(lo):
            return None
        if accepted(hi):
            return hi
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            lo, hi = (mid, hi) if accepted(mid) else (lo, mid)
        return lo

    def _symmetric_high_price(self, beliefs: Beliefs) -> float | None:
        """Largest common price above l that the high type accepts from every seller, or None.

        Found by bisection on :meth:`acceptance`, then replaced by the lemma's closed form (h - c - F/N, or
        h - F - c under passive beliefs) when the two agree to the bisection's resolution, so that reported
        prices carry no bisection error; a disagreement is a bug and raises.
        """
        n = self.n_sellers
        found = self._largest_accepted(lambda p: bool(self.acceptance(np.full(n, p), "high", beliefs).all()))
        fixed, per_offer = self.reputation_loss("high")
        exact = self.high - per_offer - (fixed / n if beliefs == "strategic" else fixed)
        if found is None:
            if exact > self.low + 10 * self.tol:
                raise NumericalAccuracyError(f"Bisection found no accepted price above l but the lemma gives {exact}.",
                                             hint="Report this parameter set.")
            return None
        if abs(found - exact) > 10 * self.tol:
            raise NumericalAccuracyError(f"Bisection ({found}) and the lemma ({exact}) disagree on p_H.",
                                         hint="Report this parameter set.")
        return exact

    def _deviation_prices(self, s: float, high_price: float, beliefs: Beliefs, grid: int) -> list[float]:
        """Own prices at which the best deviation lies: l, every acceptance switch, a rejected price, a grid."""
        n = self.n_sellers - 1
        prices = [self.low, self.high + 1.0]
        counts = range(n + 1) if 0 < s < 1 else [round(s * n)]
        for m in counts:
            switch = self._largest_accepted(
                lambda p, m=m: bool(self.acceptance(self._profile_offers(p, m, high_price, n), "high", beliefs)[0]))
            if switch is not None:
                prices.append(switch)
        if grid:
            prices.extend(np.linspace(0.0, self.high, grid).tolist())
        return prices

    def _outcome(self, beliefs: Beliefs, s: float, high_price: float, grid: int, accuracy: float) -> TransparencyOutcome:
        n, mu = self.n_sellers, self.prob_high
        value = self._seller_value(self.low if s < 1 else high_price, s, high_price, beliefs)
        gain = max(self._seller_value(p, s, high_price, beliefs) - value
                   for p in self._deviation_prices(s, high_price, beliefs, grid))
        weights = binom.pmf(np.arange(n + 1), n, s)
        pay = {"high": 0.0, "low": 0.0}
        acc = {t: {"high_offer": 0.0, "low_offer": 0.0} for t in pay}
        reveal = 0.0
        for m, w in enumerate(weights):
            if w == 0:
                continue
            p = np.array([high_price] * m + [self.low] * (n - m))
            for t in pay:
                a = self.acceptance(p, t, beliefs)
                pay[t] += w * self.buyer_payoff(p, a, t)
                acc[t]["high_offer"] += w * a[:m].sum() / max(s * n, 1e-300)
                acc[t]["low_offer"] += w * a[m:].sum() / max((1 - s) * n, 1e-300)
                if t == "high":
                    reveal += w * bool(np.any(a & self._above(p)))
        acceptance: dict[str, dict[str, float]] = {}
        for t in pay:
            hi_o = acc[t]["high_offer"] if s > 0 else math.nan
            lo_o = acc[t]["low_offer"] if s < 1 else math.nan
            acceptance[t] = {"high_offer": hi_o, "low_offer": lo_o,
                             "any_offer": (s * hi_o if s > 0 else 0.0) + ((1 - s) * lo_o if s < 1 else 0.0)}
        buyer = mu * pay["high"] + (1 - mu) * pay["low"]
        mean_value = mu * self.high + (1 - mu) * self.low
        offers = tuple((float(pr), float(pb)) for pr, pb in ((self.low, 1 - s), (high_price, s)) if pb > 0)
        return TransparencyOutcome(
            beliefs=beliefs, regime="low" if s == 0 else "high" if s == 1 else "mixed", offers=offers,
            high_price=float(high_price) if s > 0 else math.nan, prob_high_offer=float(s), acceptance=acceptance,
            reveal_probability=float(reveal), payoff_high_type=pay["high"], payoff_low_type=pay["low"],
            buyer_payoff=buyer, seller_payoff=value, welfare=buyer + n * value,
            first_best_welfare=n * (1 + self.discount) * mean_value, max_deviation_gain=float(gain),
            accuracy=float(accuracy), alternatives=(),
            period2_sequentially_rational=self._period2_rational(s, high_price, beliefs))

    def _period2_rational(self, s: float, high_price: float, beliefs: Beliefs) -> bool:
        """Is charging l optimal wherever the rule prescribes it (posterior * h <= l at reached information sets)?"""
        n, tau, mu = self.n_sellers - 1, self.transparency, self.prob_high
        weights = binom.pmf(np.arange(n + 1), n, s) if n else np.ones(1)
        sets: dict[tuple[Any, ...], list[float]] = {}  # information set -> [P(set, h), P(set, l)]
        for own_high, p_own in ((True, s), (False, 1 - s)):
            own = high_price if own_high else self.low
            for m, w in enumerate(weights):
                if w * p_own == 0:
                    continue
                p = self._profile_offers(own, m, high_price, n)
                for k, t in enumerate(("high", "low")):
                    prior = mu if t == "high" else 1 - mu
                    a = self.acceptance(p, t, beliefs)
                    revealed = bool(np.any(a & self._above(p)))
                    own_known = self.recall and bool(a[0] and p[0] > self.low + self.tol)
                    own_info = (own_high, bool(a[0])) if self.recall else ()
                    for observed, p_obs in ((True, tau), (False, 1 - tau)):
                        if own_known or (observed and revealed) or prior * w * p_own * p_obs == 0:
                            continue  # the rule charges h here (posterior 1), or the set is not reached
                        key = (observed, *own_info)
                        sets.setdefault(key, [0.0, 0.0])[k] += prior * w * p_own * p_obs
        return all(ph * self.high <= (ph + pl) * self.low + self.tol for ph, pl in sets.values())

    def _solve(self, beliefs: Beliefs, grid: int) -> TransparencyOutcome:
        candidates: list[TransparencyOutcome] = [self._outcome(beliefs, 0.0, self.low, grid, 0.0)]
        high_price = self._symmetric_high_price(beliefs)
        if high_price is not None and high_price > self.low + self.tol:
            candidates.append(self._outcome(beliefs, 1.0, high_price, grid, 0.0))
            if self.n_sellers > 1:
                def gap(s: float) -> float:
                    return (self._seller_value(high_price, s, high_price, beliefs)
                            - self._seller_value(self.low, s, high_price, beliefs))
                g0, g1 = gap(0.0), gap(1.0)
                if g0 * g1 < 0 and min(abs(g0), abs(g1)) > self.tol:
                    s = float(brentq(gap, 0.0, 1.0, xtol=1e-15, rtol=4 * np.finfo(float).eps))
                    candidates.append(self._outcome(beliefs, s, high_price, grid, abs(gap(s))))
        found = [c for c in candidates if c.max_deviation_gain <= CHECK_TOL * self.high + c.accuracy]
        if not found:
            raise ConvergenceError(
                f"No symmetric equilibrium among the candidates for {self!r} ({beliefs} beliefs); smallest "
                f"deviation gain {min(c.max_deviation_gain for c in candidates):.3g}.",
                hint="Report this parameter set; asymmetric or continuously mixed equilibria are not searched.")
        best = max(found, key=lambda c: (c.seller_payoff - c.prob_high_offer * self.tol))
        others = tuple(c.regime for c in found if c is not best)
        return TransparencyOutcome(**{**{k: getattr(best, k) for k in best.__dataclass_fields__}, "alternatives": others})

    def equilibrium(self, *, grid: int = 101) -> TransparencyOutcome:
        """The selected symmetric perfect Bayesian equilibrium of period 1, with the passive benchmark.

        ``grid`` adds that many equally spaced prices in [0, h] to the deviations checked (0: only the
        switching prices, which suffice by the argument in the module docstring).
        """
        if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 0:
            raise InvalidParameterError(f"grid must be a non-negative integer, got {grid!r}.", hint="e.g. grid=101.")
        passive = self._solve("passive", int(grid))
        strategic = self._solve("strategic", int(grid))
        return TransparencyOutcome(**{**{k: getattr(strategic, k) for k in strategic.__dataclass_fields__},
                                      "passive": passive})

    def passive_beliefs(self, *, grid: int = 101) -> TransparencyOutcome:
        """The passive-beliefs benchmark alone."""
        return self._solve("passive", int(grid))

    def comparative_statics(self, transparency: Iterable[float] | None = None,
                            n_sellers: Iterable[int] | None = None, *, grid: int = 0) -> pd.DataFrame:
        """Equilibrium and passive benchmark over a grid of tau and N (all other parameters fixed)."""
        taus = [self.transparency] if transparency is None else list(np.atleast_1d(np.asarray(transparency, dtype=float)))
        ns = [self.n_sellers] if n_sellers is None else list(np.atleast_1d(np.asarray(n_sellers)))
        if not taus or not ns:
            raise InvalidParameterError("Empty grid.", hint="Give at least one value of transparency and of n_sellers.")
        cols = ("regime", "high_price", "prob_high_offer", "reveal_probability", "payoff_high_type",
                "payoff_low_type", "seller_payoff", "welfare", "max_deviation_gain")
        rows = []
        for n in ns:
            for tau in taus:
                if isinstance(n, (float, np.floating)) and float(n).is_integer():
                    n = int(n)
                eq = self.replace(n_sellers=int(n) if isinstance(n, np.integer) else n,
                                  transparency=float(tau)).equilibrium(grid=grid)
                row: dict[str, Any] = {"n_sellers": int(n), "transparency": float(tau)}
                row.update({c: getattr(eq, c) for c in cols})
                row.update({f"passive_{c}": getattr(eq.passive_beliefs(), c) for c in cols})
                rows.append(row)
        return pd.DataFrame(rows)
