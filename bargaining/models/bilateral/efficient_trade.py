"""Myerson-Satterthwaite: the first best of bilateral trade, the deficit of the cheapest ex post efficient
mechanism, and the second best (the Loertscher-Marx outcome at Delta = 0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bargaining.errors import SupportError
from bargaining.models.bilateral._common import _breakpoints, _default_distributions, _quad


@dataclass(frozen=True)
class MyersonSatterthwaite:
    """First best and second best of bilateral trade with value distribution F and cost distribution G.

    Attributes
    ----------
    first_best_gains
        E[(v - c)^+] = int G(x) (1 - F(x)) dx (since (v - c)^+ = int 1{c <= x < v} dx).
    first_best_trade_probability
        P(v >= c) = int G(v) dF(v).
    deficit
        Expected deficit of the ex post efficient mechanism in which, when v >= c, the buyer pays
        max(c, v_low) and the seller receives min(v, c_high) (dominant-strategy IC, worst-off types get 0):
        E[(min(v, c_high) - max(c, v_low)) 1{v >= c}] = int_{max(v_low, c_low)}^{min(c_high, v_high)} G(x)(1 - F(x)) dx.
        By payoff equivalence every ex post efficient, BIC, interim IR mechanism runs at least this deficit;
        it is 0 exactly when v_low >= c_high. 1/6 for uniform [0, 1] types.
    accuracy
        Absolute error bound of the three quadratures.

    The second best (maximal expected gains subject to BIC, interim IR and no deficit) is the
    Loertscher-Marx outcome with equal weights: :meth:`second_best` delegates to
    :class:`bargaining.models.mechanism.Market` (uniform [0, 1]: trade iff v - c >= 1/4, gains 9/64).

    Examples
    --------
    >>> round(myerson_satterthwaite().deficit, 10)
    0.1666666667
    """

    value_dist: Any
    cost_dist: Any
    first_best_gains: float
    first_best_trade_probability: float
    deficit: float
    accuracy: float

    @property
    def first_best_budget_surplus(self) -> float:
        """Expected budget surplus of the efficient mechanism (= -deficit)."""
        return -self.deficit

    def second_best(self) -> Any:
        """Loertscher-Marx outcome at Delta = 0 (equal weights): a ``BargainingOutcome``."""
        from bargaining.models.mechanism import Market

        return Market([self.value_dist], [self.cost_dist]).bargain_delta(0.0)


def myerson_satterthwaite(value_dist: Any = None, cost_dist: Any = None) -> MyersonSatterthwaite:
    """First-best gains, trade probability and Myerson-Satterthwaite deficit (uniform [0, 1] by default).

    Parameters
    ----------
    value_dist, cost_dist
        The buyer's value and the seller's cost distributions (default uniform on [0, 1]).

    Examples
    --------
    >>> ms = myerson_satterthwaite()
    >>> round(ms.first_best_gains, 10), round(ms.deficit, 10)   # 1/6 and 1/6
    (0.1666666667, 0.1666666667)
    """
    f_dist, g_dist = _default_distributions(value_dist, cost_dist)
    if g_dist.low >= f_dist.high:
        raise SupportError(
            "The lowest cost is at least the highest value: there are never gains from trade.",
            hint="Check the supports of value_dist and cost_dist.",
        )
    both = [f_dist, g_dist]
    # G(x)(1 - F(x)) is positive exactly on (c_low, v_high)
    lo, hi = g_dist.low, f_dist.high
    gains, err_g = _quad(lambda x: g_dist.cdf(x) * (1.0 - f_dist.cdf(x)), lo, hi, _breakpoints(both, lo, hi))
    trade_prob, err_p = _quad(
        lambda x: g_dist.cdf(x) * f_dist.pdf(x),
        f_dist.low,
        f_dist.high,
        _breakpoints(both, f_dist.low, f_dist.high),
    )
    d_lo, d_hi = max(f_dist.low, g_dist.low), min(g_dist.high, f_dist.high)
    deficit, err_d = _quad(
        lambda x: g_dist.cdf(x) * (1.0 - f_dist.cdf(x)), d_lo, d_hi, _breakpoints(both, d_lo, d_hi)
    )
    return MyersonSatterthwaite(
        value_dist=f_dist,
        cost_dist=g_dist,
        first_best_gains=gains,
        first_best_trade_probability=trade_prob,
        deficit=deficit,
        accuracy=err_g + err_p + err_d,
    )
