"""Loertscher-Marx (2022) incomplete-information bargaining in a market.

The subpackage is laid out along the solver's layers, each module depending only on those listed after it:

* :mod:`~bargaining.models.mechanism.market`: :class:`Market` (inputs, the rho search, payoffs, frontier).
* :mod:`~bargaining.models.mechanism.outcome`: :class:`BargainingOutcome`, what a solve returns.
* :mod:`~bargaining.models.mechanism.inputs`: argument checks of :class:`Market`.
* :mod:`~bargaining.models.mechanism.engines`: the quadrature engines (closed-form interim allocations,
  1-D and, for one buyer with different preferences, 2-D integrals).
* :mod:`~bargaining.models.mechanism.qmc`: the randomized quasi-Monte Carlo engine (fallback, cross-check).
* :mod:`~bargaining.models.mechanism.protocol`: :class:`MechanismEngine`, the contract every engine
  implements, and :class:`Evaluation`, what an engine returns.
* :mod:`~bargaining.models.mechanism.allocation`: the ex post allocation rule (Lemma 1 / Lemma 2).
* :mod:`~bargaining.models.mechanism.types`: weighted virtual types of one agent, outside-option shifts.
* :mod:`~bargaining.models.mechanism.integrals`: adaptive Gauss-Kronrod quadrature and count distributions.

The Delta-to-weights convention (:func:`weights_from_delta`, :func:`delta_from_weights`) lives in
:mod:`bargaining.models.conventions` and is re-exported here.
"""

from __future__ import annotations

from bargaining.models.conventions import delta_from_weights, weights_from_delta
from bargaining.models.mechanism.market import Market
from bargaining.models.mechanism.outcome import BargainingOutcome

__all__ = ["BargainingOutcome", "Market", "delta_from_weights", "weights_from_delta"]
