"""Discrete-choice demand for one market, as model objects: :class:`LogitDemand`, :class:`NestedLogitDemand`,
:class:`MixedLogitDemand` (random coefficients; from a solved pyblp problem with ``MixedLogitDemand.from_pyblp``).

Shares, analytic share derivatives, elasticities, diversion ratios, consumer surplus (log-sum) and the
willingness to pay for a product or a set of products, with an outside good or a normalized inside product;
``from_shares`` calibrates mean utilities exactly. Conventions (u_ij = delta_j - alpha p_j, alpha > 0; market size
1; CS measured from the outside good) are in :mod:`bargaining.models.demand._base`. The merger simulation
(``NashInNashMarket``, ``simulate_merger``) takes these objects as its demand.

This subpackage imports only numpy, scipy, pandas and :mod:`bargaining.errors` (pyblp only inside
``MixedLogitDemand.from_pyblp``, through the results object it is given).
"""

from __future__ import annotations

from bargaining.models.demand._base import DiscreteChoiceDemand
from bargaining.models.demand.logit import LogitDemand
from bargaining.models.demand.mixed_logit import MixedLogitDemand
from bargaining.models.demand.nested_logit import NestedLogitDemand

__all__ = ["DiscreteChoiceDemand", "LogitDemand", "MixedLogitDemand", "NestedLogitDemand"]
