"""Checks and normalization of the arguments of :class:`~bargaining.models.mechanism.market.Market`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bargaining.errors import InvalidParameterError, InvalidWeightError, SupportError
from bargaining.models._checks import check_weight

__all__ = ["agent_list", "capacities", "nonnegative_per_agent", "normalized_weights", "surplus_shares"]


def agent_list(x: Any, name: str) -> list[Any]:
    """Type distributions of one side as a list (one distribution alone is a list of one)."""
    if x is None:
        raise InvalidParameterError(f"{name} is missing.", hint=f"Pass a list of type distributions as {name}.")
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    if not items:
        raise InvalidParameterError(f"{name} is empty.", hint=f"Pass at least one type distribution as {name}.")
    needed = ("cdf", "pdf", "low", "high", "quantile", "virtual_value", "virtual_cost")
    for k, d in enumerate(items):
        missing = [a for a in needed if not hasattr(d, a)]
        if missing:
            raise InvalidParameterError(
                f"{name}[{k}] is not a type distribution (missing {', '.join(missing)}).",
                hint="Use bargaining.Uniform(low, high) or bargaining.TypeDistribution(scipy_dist, low, high).",
            )
        low, high = float(d.low), float(d.high)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise SupportError(f"{name}[{k}] has support [{low}, {high}].", hint="Supports must be finite with low < high.")
    return items


def capacities(units: Any, n: int, name: str) -> np.ndarray:
    """Integer capacities >= 1, one per agent (default 1; a scalar is used for all)."""
    if units is None:
        return np.ones(n, dtype=int)
    arr = np.atleast_1d(np.asarray(units, dtype=object))
    if arr.size == 1 and n > 1:
        arr = np.repeat(arr, n)
    if arr.size != n:
        raise InvalidParameterError(f"{name} has {arr.size} entries for {n} agents.", hint=f"Give one integer per agent in {name}.")
    out = []
    for u in arr:
        try:
            number = float(u)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(u, bool) or not number.is_integer() or number < 1:
            raise InvalidParameterError(f"{name} contains {u!r}.", hint="Capacities are integers >= 1.")
        out.append(int(number))
    if sum(out) > MAX_UNITS:
        # the allocation's count distributions have one row per unit at every quadrature node
        raise InvalidParameterError(
            f"{name} asks for {sum(out):,} units in all; at most {MAX_UNITS:,} are supported.",
            hint=f"Use capacities whose sum is at most {MAX_UNITS:,} (e.g. rescale the units).",
        )
    return np.asarray(out, dtype=int)


MAX_UNITS = 10_000
"""Largest total of ``buyer_units`` (or of ``supplier_units``): refused before anything is allocated."""


def nonnegative_per_agent(values: Any, n: int, name: str) -> np.ndarray:
    """Finite numbers >= 0, one per agent (default 0; a scalar is used for all)."""
    if values is None:
        return np.zeros(n)
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.size == 1 and n > 1:
        arr = np.repeat(arr, n)
    if arr.size != n or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidParameterError(f"{name} must be {n} finite numbers >= 0, got {values!r}.", hint=f"One value per agent in {name}.")
    return arr



def normalized_weights(buyer_weights: Any, supplier_weights: Any, nb: int, ns: int) -> tuple[np.ndarray, np.ndarray]:
    """One weight in [0, 1] per buyer and supplier (a scalar is used for all), divided by the largest."""
    out = []
    for w, n, name in ((buyer_weights, nb, "buyer_weights"), (supplier_weights, ns, "supplier_weights")):
        arr = np.atleast_1d(np.asarray(w, dtype=object))
        if arr.size == 1 and n > 1:
            arr = np.repeat(arr, n)
        if arr.size != n:
            raise InvalidWeightError(f"{name} has {arr.size} entries for {n} agents.", hint=f"Give one weight per agent in {name}.")
        out.append(np.array([check_weight(x, f"{name}[{k}]") for k, x in enumerate(arr)]))
    top = max(out[0].max(), out[1].max())
    if top <= 0.0:
        raise InvalidWeightError("All bargaining weights are zero.", hint="At least one weight must be positive.")
    return out[0] / top, out[1] / top

def surplus_shares(shares: Any, wb: np.ndarray, ws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shares eta of a slack budget surplus (default equal among the agents with weight 1), summing to 1."""
    top_b, top_s = wb == 1.0, ws == 1.0
    if shares is None:
        n = int(top_b.sum() + top_s.sum())
        return top_b / n, top_s / n
    nb, ns = wb.size, ws.size
    if isinstance(shares, (tuple, list)) and len(shares) == 2 and np.ndim(shares[0]) >= 1 and np.ndim(shares[1]) >= 1:
        sb, ss = np.atleast_1d(np.asarray(shares[0], dtype=float)), np.atleast_1d(np.asarray(shares[1], dtype=float))
    else:
        flat = np.atleast_1d(np.asarray(shares, dtype=float))
        if flat.size != nb + ns:
            raise InvalidParameterError(
                f"shares has {flat.size} entries for {nb} buyers and {ns} suppliers.",
                hint="Pass (buyer_shares, supplier_shares) or one flat list, buyers first.",
            )
        sb, ss = flat[:nb], flat[nb:]
    if sb.size != nb or ss.size != ns:
        raise InvalidParameterError("shares do not match the numbers of agents.", hint="One share per agent.")
    both = np.concatenate([sb, ss])
    if not np.all(np.isfinite(both)) or np.any(both < 0) or both.sum() <= 0:
        raise InvalidParameterError(f"shares must be non-negative and not all zero, got {shares!r}.", hint="e.g. shares=([1.0], [0.0]).")
    if np.any(sb[~top_b] > 0) or np.any(ss[~top_s] > 0):
        raise InvalidParameterError(
            "A positive share goes to an agent without the largest bargaining weight.",
            hint="The surplus pi is shared only among agents with the maximal weight (Proposition 2).",
        )
    total = both.sum()
    return sb / total, ss / total
