"""Merger simulation with Nash-in-Nash bargaining over per-unit prices, logit or nested logit demand.

* :mod:`.equations`: the first-order conditions (sellers and consumers; wholesalers and Bertrand retailers),
  derived in the module docstring, with analytic Jacobians (logit closed forms).
* :mod:`.general`: the same conditions for any demand object (nested logit), from its shares, analytic first
  and second derivatives and the shares after a product leaves the choice set.
* :mod:`.market`: :class:`NashInNashMarket`, the supply side as a model object (equilibrium, counterfactuals).
* :mod:`.calibration`: :func:`calibrate_market`, demand, costs and the seller weights from one market.
* :mod:`.hospital`: :class:`HospitalNetworkMarket`, case (c): insurers paying hospitals for a network valued by
  willingness to pay (the hospital-insurer model of :mod:`bargaining.models.nash_in_nash`), merged.
* :mod:`.outputs`: producer surplus, the compensating marginal-cost reduction, upward pricing pressure.
* :mod:`.result`: :class:`MergerResult`.

The data-frame front end ``bargaining.simulate_merger`` lives in :mod:`bargaining.estimate.merger`. This
subpackage imports only numpy, scipy, pandas, :mod:`bargaining.errors`, :mod:`bargaining.models.demand` and
the hospital-insurer model of :mod:`bargaining.models.nash_in_nash`.
"""

from __future__ import annotations

from bargaining.models.merger.calibration import Calibration, calibrate_market
from bargaining.models.merger.hospital import HospitalNetworkMarket
from bargaining.models.merger.market import MarketSolution, NashInNashMarket
from bargaining.models.merger.result import MergerContext, MergerResult

__all__ = ["Calibration", "HospitalNetworkMarket", "MarketSolution", "MergerContext", "MergerResult",
           "NashInNashMarket", "calibrate_market"]
