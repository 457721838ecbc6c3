"""Numerical building blocks of the Loertscher-Marx solver: adaptive quadrature and count distributions.

* :func:`integrate` -- vectorized adaptive Gauss-Kronrod (7/15) quadrature of several integrands at once
  on an interval split at given breakpoints. Every round evaluates the integrand once, on all unfinished
  panels together (one numpy call), so the Python overhead does not grow with the number of panels.
  The error bound reported is the sum over panels of |K15 - G7|, the error estimate of the 7-point Gauss
  rule; the 15-point Kronrod value that is returned is far more accurate than that on smooth panels, so
  the bound is conservative.
* :func:`integrate_many` -- the same rule for several integrals over different intervals at once (one
  integrand call per round for all of them); each integral gets exactly the panels :func:`integrate`
  would give it alone, so the values agree to rounding.
* :func:`count_pmf` -- distribution of sum_l k_l B_l for independent Bernoulli(p_l) and integer unit
  counts k_l (a weighted Poisson-binomial law), computed by convolution, vectorized over many p-vectors.
* :func:`expected_overlap` -- E[clip(N - s, 0, k)] for independent counts N and s: the number of an
  agent's k units that trade when s units of its own side rank ahead of it and N units of the other side
  are willing to trade at its virtual type (Lemma 1 of Loertscher and Marx, 2022).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "IntegralResult", "count_pmf", "expected_overlap", "integrate", "integrate_many", "leave_one_out_pmfs", "mapped_edges",
    "survival",
]

# Gauss-Kronrod 15-point nodes on [-1, 1] (the 7-point Gauss nodes are the odd entries) and weights;
# standard constants (Piessens et al., QUADPACK, 1983).
_XK_HALF = np.array(
    [
        0.991455371120812639206854697526329,
        0.949107912342758524526189684047851,
        0.864864423359769072789712788640926,
        0.741531185599394439863864773280788,
        0.586087235467691130294144845693013,
        0.405845151377397166906606412076961,
        0.207784955007898467600689403773245,
        0.0,
    ]
)
_WK_HALF = np.array(
    [
        0.022935322010529224963732008058970,
        0.063092092629978553290700663189204,
        0.104790010322250183839876322541518,
        0.140653259715525918745189590510238,
        0.169004726639267902826583426598550,
        0.190350578064785409913256402421014,
        0.204432940075298892414161999234649,
        0.209482141084727828012999174891714,
    ]
)
_WG_HALF = np.array(
    [
        0.129484966168869693270611432679082,
        0.279705391489276667901467771423780,
        0.381830050505118944950369775488975,
        0.417959183673469387755102040816327,
    ]
)
_NODES = np.concatenate([-_XK_HALF[:-1], _XK_HALF[::-1]])  # 15 nodes, ascending
_WK = np.concatenate([_WK_HALF[:-1], _WK_HALF[::-1]])
_WG = np.zeros(15)
_gauss_positions = [1, 3, 5, 7, 9, 11, 13]  # nodes +-x1, +-x3, +-x5, 0 in the ascending order above
_WG[_gauss_positions] = np.concatenate([_WG_HALF[:-1], _WG_HALF[::-1]])


@dataclass(frozen=True)
class IntegralResult:
    """Values of several integrals over one interval, their error bounds, and whether the bounds were met."""

    value: np.ndarray
    error: np.ndarray
    converged: bool
    panels: int
    edges: np.ndarray | None = None
    """Edges of the accepted panels (only from :func:`integrate_many`): a start for a similar integral."""


def integrate(
    func: Callable[[np.ndarray], np.ndarray],
    points: Sequence[float],
    *,
    atol: float = 1e-13,
    rtol: float = 1e-11,
    max_panels: int = 20000,
) -> IntegralResult:
    """Integrate ``func`` over [min(points), max(points)], splitting at every point in ``points``.

    Parameters
    ----------
    func
        Maps a 1-D array of m abscissae to an array of shape (k, m): k integrands evaluated at once.
    points
        Interval ends and interior breakpoints (kinks or jumps of the integrands). Non-finite entries
        are ignored; duplicates are merged.
    atol, rtol
        A panel is accepted when, for every integrand q, its error estimate is at most
        max(atol, rtol * |I_q|) times the panel's share of the interval length.
    max_panels
        Safety limit; when reached the remaining panels are accepted as they are and ``converged`` is
        False (the error bound still covers them).
    """
    edges = np.unique(np.asarray([p for p in points if np.isfinite(p)], dtype=float))
    if edges.size < 2:
        probe = np.asarray(func(np.zeros(1)))
        k = probe.shape[0]
        return IntegralResult(np.zeros(k), np.zeros(k), True, 0)
    total_length = edges[-1] - edges[0]
    min_width = 1e-15 * max(total_length, np.max(np.abs(edges)))
    widths = np.diff(edges)
    keep = widths > min_width
    # A panel narrower than this is never split: its Gauss-Kronrod nodes would round onto its ends, where a
    # density unbounded at an end of the support (Beta(1, 0.99)) is infinite. It is accepted with its own
    # error estimate, which the returned error bound includes.
    min_split = 1e-11 * max(total_length, float(np.max(np.abs(edges))))
    lo, hi = edges[:-1][keep], edges[1:][keep]
    accepted_value: np.ndarray | None = None
    accepted_error: np.ndarray | None = None
    panels = 0
    converged = True
    while lo.size:
        mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
        x = mid[:, None] + half[:, None] * _NODES[None, :]
        fx = np.asarray(func(x.ravel()), dtype=float)
        fx = fx.reshape(fx.shape[0], lo.size, _NODES.size)
        kronrod = half[None, :] * (fx @ _WK)
        gauss = half[None, :] * (fx @ _WG)
        error = np.abs(kronrod - gauss)
        if accepted_value is None:
            accepted_value = np.zeros(fx.shape[0])
            accepted_error = np.zeros(fx.shape[0])
        assert accepted_error is not None
        if not np.all(np.isfinite(kronrod)):
            # a non-finite integrand value is a defect of the caller; never hide it
            raise FloatingPointError("non-finite integrand value in quadrature")
        estimate = accepted_value + kronrod.sum(axis=1)
        tolerance = np.maximum(atol, rtol * np.abs(estimate))
        share = (hi - lo) / total_length
        ok = np.all(error <= tolerance[:, None] * share[None, :], axis=0)
        ok |= (hi - lo) < 2.0 * min_split
        panels += lo.size
        if panels + 2 * int(np.sum(~ok)) > max_panels:
            ok[:] = True
            converged = False
        accepted_value = accepted_value + kronrod[:, ok].sum(axis=1)
        accepted_error = accepted_error + error[:, ok].sum(axis=1)
        split_lo, split_hi, split_mid = lo[~ok], hi[~ok], mid[~ok]
        lo = np.concatenate([split_lo, split_mid])
        hi = np.concatenate([split_mid, split_hi])
    assert accepted_value is not None and accepted_error is not None
    return IntegralResult(accepted_value, accepted_error, converged, panels)


def integrate_many(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    point_sets: Sequence[Sequence[float]],
    *,
    atol: float = 1e-13,
    rtol: float = 1e-11,
    max_panels: int = 20000,
    initial: Sequence[Sequence[float] | np.ndarray | None] | None = None,
    tested: int | None = None,
) -> list[IntegralResult]:
    """Several adaptive Gauss-Kronrod integrals at once, the g-th over [min(point_sets[g]), max(point_sets[g])].

    Parameters
    ----------
    func
        ``func(x, owner)`` maps abscissae x (1-D) and, for each, the index g of the integral it belongs to
        (same shape, integers) to an array of shape (k, len(x)): the k integrands of integral g at x. Every
        integral has the same number k of integrands.
    point_sets
        For each integral, its ends and interior breakpoints (as ``points`` of :func:`integrate`).
    atol, rtol, max_panels
        As in :func:`integrate`, applied to each integral separately.
    initial
        Optional extra starting edges per integral (e.g. the accepted panels of a neighbouring problem,
        ``IntegralResult.edges``): a warm start that saves the rounds of splitting. The acceptance test is
        unchanged, so the error bound holds whatever the start.
    tested
        Only the first ``tested`` integrands take part in the acceptance test (default: all). The others are
        integrated on the same panels, with their error estimates summed as usual but not held to the
        tolerance (e.g. an error estimate carried along, which is neither smooth nor needed to 1e-11).

    Returns
    -------
    list of IntegralResult
        One per integral. A panel is accepted or split by the test :func:`integrate` applies, with the
        integral's own running estimate, so each integral is computed on the panels it would get alone;
        only the integrand calls are shared (one per round for all unfinished panels of all integrals).
    """
    n = len(point_sets)
    # every integral's sorted distinct finite breakpoints (plus the warm-start edges strictly inside its range),
    # for all integrals at once: one sort of (integral, point) pairs instead of a sort per integral
    sizes = [len(pts) for pts in point_sets]
    values = np.concatenate([np.asarray(pts, dtype=float).ravel() for pts in point_sets]) if n else np.zeros(0)
    groups = np.repeat(np.arange(n), sizes)
    values, groups = _distinct_sorted(values, groups)
    ends = np.searchsorted(groups, np.arange(n + 1))
    count = np.diff(ends)
    has = count > 0
    first, last = np.full(n, np.nan), np.full(n, np.nan)
    first[has], last[has] = values[ends[:-1][has]], values[ends[1:][has] - 1]
    if initial is not None:
        extra_sizes = [0 if extra is None or count[g] < 2 else np.size(extra) for g, extra in enumerate(initial)]
        if sum(extra_sizes):
            more = np.concatenate([np.asarray(extra, dtype=float).ravel() for extra, m in zip(initial, extra_sizes) if m])
            more_groups = np.repeat(np.arange(n), extra_sizes)
            inside = np.isfinite(more) & (more > first[more_groups]) & (more < last[more_groups])
            values, groups = _distinct_sorted(np.concatenate([values, more[inside]]),
                                              np.concatenate([groups, more_groups[inside]]))
    usable = count >= 2
    total = np.where(usable, last - first, 0.0)
    biggest = np.where(usable, np.maximum(total, np.maximum(np.abs(first), np.abs(last))), 0.0)
    min_split = 1e-11 * biggest
    same = groups[:-1] == groups[1:]
    lo, hi, owner = values[:-1][same], values[1:][same], groups[:-1][same]
    keep = (hi - lo) > 1e-15 * biggest[owner]
    lo, hi, owner = lo[keep], hi[keep], owner[keep].astype(int)
    value: np.ndarray | None = None
    error_sum: np.ndarray | None = None
    panels = np.zeros(n, dtype=int)
    converged = np.ones(n, dtype=bool)
    accepted_lo: list[np.ndarray] = []
    accepted_owner: list[np.ndarray] = []
    safe_total = np.where(total > 0, total, 1.0)
    while lo.size:
        mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
        x = mid[:, None] + half[:, None] * _NODES[None, :]
        fx = np.asarray(func(x.ravel(), np.repeat(owner, _NODES.size)), dtype=float)
        fx = fx.reshape(fx.shape[0], lo.size, _NODES.size)
        kronrod = half[None, :] * (fx @ _WK)
        gauss = half[None, :] * (fx @ _WG)
        error = np.abs(kronrod - gauss)
        k = fx.shape[0]
        if value is None:
            value, error_sum = np.zeros((k, n)), np.zeros((k, n))
        assert error_sum is not None
        if not np.all(np.isfinite(kronrod)):
            raise FloatingPointError("non-finite integrand value in quadrature")
        round_sum = np.stack([np.bincount(owner, weights=kronrod[q], minlength=n) for q in range(k)])
        tolerance = np.maximum(atol, rtol * np.abs(value + round_sum))  # (k, n)
        share = (hi - lo) / safe_total[owner]
        ok = np.all(error[:tested] <= tolerance[:tested, owner] * share[None, :], axis=0)
        ok |= (hi - lo) < 2.0 * min_split[owner]
        panels += np.bincount(owner, minlength=n)
        over = panels + 2 * np.bincount(owner, weights=~ok, minlength=n).astype(int) > max_panels
        if np.any(over):
            ok |= over[owner]
            converged &= ~over
        value = value + np.stack([np.bincount(owner[ok], weights=kronrod[q, ok], minlength=n) for q in range(k)])
        error_sum = error_sum + np.stack([np.bincount(owner[ok], weights=error[q, ok], minlength=n) for q in range(k)])
        accepted_lo.append(lo[ok])
        accepted_owner.append(owner[ok])
        split = ~ok
        lo = np.concatenate([lo[split], mid[split]])
        hi = np.concatenate([mid[split], hi[split]])
        owner = np.concatenate([owner[split], owner[split]])
    if value is None or error_sum is None:
        probe = np.asarray(func(np.zeros(1), np.zeros(1, dtype=int)))
        value = error_sum = np.zeros((probe.shape[0], n))
    all_lo = np.concatenate(accepted_lo) if accepted_lo else np.zeros(0)
    all_owner = np.concatenate(accepted_owner) if accepted_owner else np.zeros(0, dtype=int)
    order = np.lexsort((all_lo, all_owner))
    all_lo, all_owner = all_lo[order], all_owner[order]
    cuts = np.searchsorted(all_owner, np.arange(n + 1))
    return [
        IntegralResult(
            value[:, g], error_sum[:, g], bool(converged[g]), int(panels[g]),
            np.append(all_lo[cuts[g]:cuts[g + 1]], last[g]) if usable[g] else None,
        )
        for g in range(n)
    ]


def _distinct_sorted(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The finite (group, value) pairs sorted by group then value, each pair once."""
    finite = np.isfinite(values)
    values, groups = values[finite], groups[finite]
    order = np.lexsort((values, groups))
    values, groups = values[order], groups[order]
    fresh = np.ones(values.size, dtype=bool)
    fresh[1:] = (values[1:] != values[:-1]) | (groups[1:] != groups[:-1])
    return values[fresh], groups[fresh]


def mapped_edges(previous: tuple[np.ndarray, np.ndarray] | None, breaks: np.ndarray) -> np.ndarray | None:
    """Panel edges found for one set of breakpoints, moved onto another with as many (piecewise linearly).

    ``previous`` is (breakpoints, accepted edges) of an earlier integral; None when there is none or the
    numbers of breakpoints differ (then no warm start).
    """
    if previous is None:
        return None
    old_breaks, old_edges = previous
    if old_breaks.size != breaks.size or breaks.size < 2 or np.any(np.diff(old_breaks) <= 0):
        return None
    return np.interp(old_edges, old_breaks, breaks)


def count_pmf(probs: np.ndarray, units: Sequence[int] | np.ndarray, cap: int) -> np.ndarray:
    """Probability mass of N = sum_l units[l] * B_l, B_l ~ Bernoulli(probs[l]) independent.

    ``probs`` has shape (n_agents, m) (m independent problems at once). Counts >= ``cap`` are lumped into
    the last entry. Returns shape (cap + 1, m).
    """
    probs = np.asarray(probs, dtype=float)
    m = probs.shape[1] if probs.ndim == 2 else 1
    pmf = np.zeros((cap + 1, m))
    pmf[0] = 1.0
    for p, k in zip(probs, units):
        pmf = _step(pmf, p, int(k), cap)
    return pmf


def _step(pmf: np.ndarray, p: np.ndarray, k: int, cap: int) -> np.ndarray:
    """One more independent agent with k units, present with probability p (counts >= cap lumped)."""
    shifted = np.zeros_like(pmf)
    if k >= cap:
        shifted[cap] = pmf.sum(axis=0)
    else:
        shifted[k:cap] = pmf[: cap - k]
        shifted[cap] = pmf[cap - k:].sum(axis=0)
    return (1.0 - p) * pmf + p * shifted


def leave_one_out_pmfs(p: np.ndarray, ks: np.ndarray, cap: int) -> np.ndarray:
    """pmf of the units ahead of each agent j from all the others (shape (n, cap + 1, m)), by prefix and suffix
    convolutions: no division by 1 - p_j, which may vanish."""
    n, m = p.shape
    unit = np.zeros((cap + 1, m))
    unit[0] = 1.0
    prefix = [unit]
    for l in range(n - 1):
        prefix.append(_step(prefix[-1], p[l], int(ks[l]), cap))
    suffix = [unit]
    for l in range(n - 1, 0, -1):
        suffix.append(_step(suffix[-1], p[l], int(ks[l]), cap))
    suffix.reverse()  # suffix[j]: agents j + 1 .. n - 1
    out = np.empty((n, cap + 1, m))
    for j in range(n):
        a, b = prefix[j], suffix[j]
        for s in range(cap):
            out[j, s] = np.sum(a[: s + 1] * b[s::-1], axis=0)
        out[j, cap] = np.clip(1.0 - np.sum(out[j, :cap], axis=0), 0.0, 1.0)
    return out


def survival(pmf: np.ndarray) -> np.ndarray:
    """S[x] = P(N >= x) for x = 0..cap from a (cap + 1, m) pmf (the last entry lumps counts >= cap)."""
    return np.cumsum(pmf[::-1], axis=0)[::-1]


def expected_overlap(pmf_ahead: np.ndarray, pmf_other: np.ndarray, k: int) -> np.ndarray:
    """E[clip(N - s, 0, k)] with s ~ ``pmf_ahead`` and N ~ ``pmf_other`` independent.

    ``pmf_other`` must not lump below max(s) + k (its cap must be at least that), so that P(N >= x) is
    exact for every x used.
    """
    surv = survival(pmf_other)  # (capN + 1, m)
    cum = np.concatenate([np.zeros((1, surv.shape[1])), np.cumsum(surv, axis=0)], axis=0)
    # C[b] = sum_{j=1..k} P(N >= b + j) = cum[b + k + 1] - cum[b + 1]
    n_s = pmf_ahead.shape[0]
    upper = cum[np.minimum(np.arange(n_s) + k + 1, cum.shape[0] - 1)]
    lower = cum[np.minimum(np.arange(n_s) + 1, cum.shape[0] - 1)]
    return np.sum(pmf_ahead * (upper - lower), axis=0)
