"""Bilateral trade: Myerson-Satterthwaite, the k-double auction and posted prices.

One buyer with value v ~ F on [v_low, v_high] and one seller with cost c ~ G on [c_low, c_high], independent.

* :func:`myerson_satterthwaite` -- the first best (ex post efficient trade) and the expected deficit of the
  cheapest ex post efficient, incentive compatible, individually rational mechanism (Myerson and
  Satterthwaite, 1983), plus the second best (Loertscher-Marx with equal weights, Delta = 0).
* :func:`k_double_auction` -- the linear Bayes-Nash equilibrium of the k-double auction of Chatterjee and
  Samuelson (1983) for uniform [0, 1] types. The buyer bids b, the seller asks s, trade iff b >= s at the
  price ``k b + (1 - k) s``: k is the weight of the *buyer's bid*, so k = 1 is a take-it-or-leave-it offer
  by the buyer and k = 0 one by the seller.
* :func:`delta_from_k` (Loertscher-Marx appendix eq. 39), :func:`k_from_delta` (its inverse) and
  :func:`rho_from_delta` (eq. 38): the k-double auction is the Loertscher-Marx outcome at Delta_k.
* :func:`posted_price` and :func:`random_posted_price` -- trade iff c <= p <= v at a posted price p, or at a
  price drawn independently of the types.

Every expected quantity says how it was computed: closed forms (``accuracy`` 0 up to rounding) for the
k-double auction, adaptive quadrature (``accuracy`` = the summed absolute error estimates of
:func:`scipy.integrate.quad`) for general distributions.

Note: with uniform types the k = 1/2 double auction reaches gains from trade 9/64, more than any
randomization over posted prices (at most 1/8), so not every Pareto-undominated Bayesian mechanism is a
randomization over posted prices; the equivalence holds for dominant-strategy, ex post IR, ex post
budget-balanced mechanisms.

Modules, one idea each:

* :mod:`.double_auction`: :class:`KDoubleAuction`, :func:`k_double_auction`.
* :mod:`.delta_k`: :func:`delta_from_k`, :func:`k_from_delta`, :func:`rho_from_delta`.
* :mod:`.trade_region`: :func:`uniform_trade_threshold`, :func:`trade_boundary`.
* :mod:`.posted_prices`: :class:`PostedPrice`, :func:`posted_price`, :class:`RandomPostedPrice`,
  :func:`random_posted_price`.
* :mod:`.efficient_trade`: :class:`MyersonSatterthwaite`, :func:`myerson_satterthwaite`.
* :mod:`._common`: argument checks, default distributions and the adaptive quadrature shared by the others
  (``_check_types``, ``_default_distributions``, ``_breakpoints``, ``_quad``, re-exported here for callers of the
  old module).
"""

from __future__ import annotations

from bargaining.models.bilateral._common import (
    QUAD_EPSABS as QUAD_EPSABS,
)
from bargaining.models.bilateral._common import (
    QUAD_EPSREL as QUAD_EPSREL,
)
from bargaining.models.bilateral._common import (
    QUAD_LIMIT as QUAD_LIMIT,
)
from bargaining.models.bilateral._common import (
    _breakpoints as _breakpoints,
)
from bargaining.models.bilateral._common import (
    _check_types as _check_types,
)
from bargaining.models.bilateral._common import (
    _default_distributions as _default_distributions,
)
from bargaining.models.bilateral._common import (
    _quad as _quad,
)
from bargaining.models.bilateral.delta_k import delta_from_k, k_from_delta, rho_from_delta
from bargaining.models.bilateral.double_auction import KDoubleAuction, k_double_auction
from bargaining.models.bilateral.efficient_trade import MyersonSatterthwaite, myerson_satterthwaite
from bargaining.models.bilateral.posted_prices import (
    PostedPrice,
    RandomPostedPrice,
    posted_price,
    random_posted_price,
)
from bargaining.models.bilateral.posted_prices import (
    _check_price as _check_price,
)
from bargaining.models.bilateral.trade_region import trade_boundary, uniform_trade_threshold

__all__ = [
    "KDoubleAuction",
    "MyersonSatterthwaite",
    "PostedPrice",
    "RandomPostedPrice",
    "delta_from_k",
    "k_double_auction",
    "k_from_delta",
    "myerson_satterthwaite",
    "posted_price",
    "random_posted_price",
    "rho_from_delta",
    "trade_boundary",
    "uniform_trade_threshold",
]
