"""Ex post allocation of the Loertscher-Marx mechanism for realized types (vectorized over draws).

Lemma 1 (Loertscher and Marx, 2022): every unit of capacity is a slot carrying its owner's ironed weighted
virtual type; buyers' slots are ranked by virtual value (highest first), suppliers' by virtual cost (lowest
first), and the r-th slots trade iff the r-th virtual value is at least the r-th virtual cost. Ties
between agents of one side (possible inside ironing intervals) go to the lower agent index; the rule does
not depend on types, so incentive compatibility is kept.

One buyer with preferences theta (Lemma 2) and size-dependent discounts delta (appendix C.3): supplier
units are ranked by Lambda_j = theta_j Phi(v) - Gamma_j(c_j) and the buyer takes the m best units,
m maximizing sum_{r <= m} Lambda_(r) - delta_m Phi(v) (the largest maximizer, so ties trade).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ExPostAllocation", "allocate_one_buyer", "allocate_slots"]


@dataclass(frozen=True)
class ExPostAllocation:
    """Units per draw and agent; ``buyer_value_units`` is theta_X (= units without preferences)."""

    buyer_units: np.ndarray  # (n, n_B)
    supplier_units: np.ndarray  # (n, n_S)
    buyer_value_units: np.ndarray  # (n, n_B)


def _owner_matrix(units: np.ndarray) -> np.ndarray:
    owners = np.repeat(np.arange(units.size), units)
    matrix = np.zeros((owners.size, units.size))
    matrix[np.arange(owners.size), owners] = 1.0
    return matrix


def allocate_slots(phi: np.ndarray, gamma: np.ndarray, buyer_units: np.ndarray, supplier_units: np.ndarray) -> ExPostAllocation:
    """Allocation from virtual values ``phi`` (n, n_B) and virtual costs ``gamma`` (n, n_S)."""
    kb, ks = np.asarray(buyer_units, dtype=int), np.asarray(supplier_units, dtype=int)
    bslots = np.repeat(phi, kb, axis=1)
    sslots = np.repeat(gamma, ks, axis=1)
    border = np.argsort(-bslots, axis=1, kind="stable")  # stable: equal values keep index order
    sorder = np.argsort(sslots, axis=1, kind="stable")
    bsorted = np.take_along_axis(bslots, border, axis=1)
    ssorted = np.take_along_axis(sslots, sorder, axis=1)
    k = min(bslots.shape[1], sslots.shape[1])
    # the r-th values are decreasing and the r-th costs increasing: the trading positions are a prefix
    m = np.sum(bsorted[:, :k] >= ssorted[:, :k], axis=1)
    btraded = np.zeros(bslots.shape)
    straded = np.zeros(sslots.shape)
    np.put_along_axis(btraded, border, (np.arange(bslots.shape[1])[None, :] < m[:, None]).astype(float), axis=1)
    np.put_along_axis(straded, sorder, (np.arange(sslots.shape[1])[None, :] < m[:, None]).astype(float), axis=1)
    bq = btraded @ _owner_matrix(kb)
    sq = straded @ _owner_matrix(ks)
    return ExPostAllocation(bq, sq, bq)


def allocate_one_buyer(
    phi: np.ndarray,
    gamma: np.ndarray,
    demand: int,
    supplier_units: np.ndarray,
    preferences: np.ndarray,
    discounts: np.ndarray,
) -> ExPostAllocation:
    """One buyer: ``phi`` (n,), ``gamma`` (n, n_S), theta (n_S,), delta_1..delta_D (D,)."""
    ks = np.asarray(supplier_units, dtype=int)
    theta = np.asarray(preferences, dtype=float)
    lam = theta[None, :] * phi[:, None] - gamma
    slots = np.repeat(lam, ks, axis=1)
    slot_theta = np.repeat(theta, ks)
    order = np.argsort(-slots, axis=1, kind="stable")
    ranked = np.take_along_axis(slots, order, axis=1)
    positions = min(int(demand), slots.shape[1])
    delta = np.concatenate([[0.0], np.asarray(discounts, dtype=float)[:positions]])
    gains = np.cumsum(ranked[:, :positions], axis=1) - delta[None, 1:] * phi[:, None]
    gains = np.concatenate([np.zeros((phi.size, 1)), gains], axis=1)  # m = 0: nothing bought
    best = np.max(gains, axis=1, keepdims=True)
    # the largest maximizer: weak inequalities trade, as in Lemma 2
    m = positions - np.argmax((gains >= best)[:, ::-1], axis=1)
    traded = np.zeros(slots.shape)
    np.put_along_axis(traded, order, (np.arange(slots.shape[1])[None, :] < m[:, None]).astype(float), axis=1)
    sq = traded @ _owner_matrix(ks)
    value_units = traded @ slot_theta - delta[m]
    return ExPostAllocation(m[:, None].astype(float), sq, value_units[:, None])
