"""Nash-in-Nash bargaining in a network of bilateral agreements.

A finite set of agents; ``pairs`` is the set G of agreements that can form. Pair ``(i, j)`` is oriented: i is
the seller, who receives the payment p_ij, and j the buyer, who makes it. pi_k(A) is agent k's payoff when the
set A of agreements forms, before payments; externalities across agreements are allowed, from payments not.
With Delta pi_k(G, B) = pi_k(G) - pi_k(G minus B), the Nash-in-Nash solution forms every agreement and sets

    p_ij = (b_i Delta pi_j(G, ij) - b_j Delta pi_i(G, ij)) / (b_i + b_j),

the bilateral Nash split maximizing (Delta pi_i + p)^{b_i} (Delta pi_j - p)^{b_j} while every other agreement
is taken as formed ("passive beliefs"). It requires gains from trade: Delta pi_i + Delta pi_j > 0 for all ij.
In the package's price convention (``docs/nash_in_nash_csv.md``, design notes) the seller's cost is
C = -Delta pi_i, the buyer's value V = Delta pi_j and beta = b_i / (b_i + b_j), so p_ij = C + beta (V - C).

Modules, one idea each:

* :mod:`.network`: agreements and their notation (``"h1-i1;h2-i1"``), agents, systems, bundles, weights.
* :mod:`.transfers`: :class:`NashInNash`, lump-sum transfers; closed form.
* :mod:`.prices`: :class:`NashInNashPrices`, per-unit prices whose profits depend on the network and on every
  price, so each pair's threat point depends on the other prices and the equilibrium is a fixed point
  (:class:`NashInNashEquilibrium`).
* :mod:`.newton`: Newton's method on all Nash conditions, the default of :class:`NashInNashPrices`: one
  linear solve for profit objects that describe their threat points as affine in the prices
  (:class:`LinearThreatPoints`), Newton with the exact Jacobian for those that give their gains and its
  Jacobian (:class:`NashTerms`), otherwise a batched evaluation of the conditions with a sparse
  finite-difference Jacobian.
* :mod:`.hospital_insurer`: :class:`HospitalInsurerMarkets`, the hospital-insurer model with logit demand and
  log-sum willingness to pay, whose per-patient Nash-in-Nash prices solve a linear system per insurer
  (:class:`HospitalInsurerEquilibrium`); the ``hospital-insurer`` simulator drives it.

Both general models accept ``systems={"name": [members]}``: members (a merger, a hospital system, vertical
integration) pool their payoffs. With ``joint=True`` a system negotiates all its agreements with one
counterparty as one bundle, and disagreement drops the whole bundle; with ``joint=False`` each agreement is
negotiated on its own, but the system counts the profits it recaptures at its other members. Agreements
between two members of one system are internal: always formed, never negotiated.

Payoffs given as a table are read by :class:`bargaining.data.payoff_table.PayoffTable` (data layer);
:class:`NashInNash` accepts any payoff object of the :class:`TabulatedPayoffs` protocol.
"""

from bargaining.models.nash_in_nash.hospital_insurer import (
    HospitalInsurerEquilibrium,
    HospitalInsurerMarkets,
)
from bargaining.models.nash_in_nash.network import Bundle, Network, format_agreements, parse_agreements
from bargaining.models.nash_in_nash.newton import LinearThreatPoints, NashTerms
from bargaining.models.nash_in_nash.prices import NashInNashEquilibrium, NashInNashPrices
from bargaining.models.nash_in_nash.transfers import NashInNash, TabulatedPayoffs

__all__ = [
    "Bundle",
    "HospitalInsurerEquilibrium",
    "HospitalInsurerMarkets",
    "LinearThreatPoints",
    "NashInNash",
    "NashInNashEquilibrium",
    "NashInNashPrices",
    "NashTerms",
    "Network",
    "TabulatedPayoffs",
    "format_agreements",
    "parse_agreements",
]
