"""Where trade happens under the bilateral Loertscher-Marx outcome: the smallest buyer value that trades with a
given cost, in closed form for uniform [0, 1] types and by bisection for any market."""

from __future__ import annotations

from typing import Any

import numpy as np

from bargaining.models.bilateral._common import _as_output, _check_delta, _check_types
from bargaining.models.bilateral.delta_k import rho_from_delta


def uniform_trade_threshold(delta: float, c: Any) -> Any:
    """Smallest buyer value that trades with cost c under Loertscher-Marx at Delta, uniform [0, 1] types.

    With max weight 1, the weighted virtual types are Phi_a(v) = v - (1 - a)(1 - v) and
    Gamma_b(c) = c + (1 - b) c with a = w_B / rho, b = w_S / rho and rho from eq. (38); trade iff
    Phi_a(v) >= Gamma_b(c), i.e. v >= ((2 - b) c + 1 - a) / (2 - a). This is the closed form of the appendix's
    Q^Delta written through the weight ratios (used to check eq. 39 without the numerical solver).

    Parameters
    ----------
    delta
        Bargaining differential in [-1, 1].
    c
        Seller cost(s) in [0, 1].

    Examples
    --------
    >>> round(float(uniform_trade_threshold(0.0, 0.2)), 6)   # v - c >= 1/4 at Delta = 0
    0.45
    """
    d = float(_check_delta(delta))
    w_b, w_s = (1.0, 1.0 - d) if d >= 0 else (1.0 + d, 1.0)
    rho = float(rho_from_delta(d))
    a, b = w_b / rho, w_s / rho
    c_arr = _check_types(c, "cost", 0.0, 1.0)
    return _as_output(((2.0 - b) * c_arr + 1.0 - a) / (2.0 - a))


def trade_boundary(market: Any, outcome: Any, costs: Any, *, iterations: int = 60) -> np.ndarray:
    """Smallest buyer value that trades with each cost under a bilateral Loertscher-Marx ``outcome``.

    Bisection on ``market.allocate`` (the allocation is monotone in v): after ``iterations`` halvings of the
    value support the error is at most (v_high - v_low) / 2**iterations. Returns v_high where even the highest
    value does not trade.
    """
    buyers = getattr(market, "buyers", None)
    v_low = float(buyers[0].low) if buyers else 0.0
    v_high = float(buyers[0].high) if buyers else 1.0
    c = np.atleast_1d(np.asarray(costs, dtype=float))
    lo, hi = np.full_like(c, v_low), np.full_like(c, v_high)
    for _ in range(int(iterations)):
        mid = (lo + hi) / 2.0
        buyer_q, _ = market.allocate(mid[:, None], c[:, None], outcome)
        trades = np.asarray(buyer_q, dtype=float).ravel() > 0.5
        hi = np.where(trades, mid, hi)
        lo = np.where(trades, lo, mid)
    # the lowest value may already trade
    buyer_q, _ = market.allocate(np.full((c.size, 1), v_low), c[:, None], outcome)
    return np.where(np.asarray(buyer_q, dtype=float).ravel() > 0.5, v_low, hi)
