"""An agent's virtual type as a random variable: its law at given levels, for integrals over levels.

The quadrature grids that several agents share are grids of virtual-type levels y (or of virtual surplus,
for the one-buyer market with preferences): at each level every agent's virtual type is inverted once and the
result serves every integral. For that change of variables from types to levels an agent needs the density
of its virtual type, f(x) / Phi'(x) at x = Phi^{-1}(y) (buyers) and g(c) / Gamma'(c) at c = Gamma^{-1}(y)
(suppliers), which needs the slope of the virtual type in closed form and no ironing flats (a flat is an
atom of the virtual type). With s = 1 - a (a the weight ratio),

    Phi_a(v) = v - s (1 - F)/f,  Phi_a'(v) = 1 + s + s ((1 - F)/f) (log f)',
    Gamma_a(c) = c + s F/f,      Gamma_a'(c) = 1 + s - s (F/f) (log f)'.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bargaining.models.distributions.base import TypeDistribution
from bargaining.models.mechanism.types import _HUGE, AgentView, Shifted

__all__ = [
    "base_and_shift", "closed_form_law", "finite_level", "has_closed_form_slope", "level_terms", "power_at_end",
    "terms_at_types",
]

_FAMILIES = "bargaining.models.distributions.families"


def base_and_shift(dist: Any) -> tuple[Any, float]:
    """The distribution under any :class:`~bargaining.models.mechanism.types.Shifted` layers, and the total shift."""
    shift = 0.0
    while isinstance(dist, Shifted):
        shift += dist.shift
        dist = dist.base
    return dist, shift


def has_closed_form_slope(view: AgentView) -> bool:
    """Whether the agent's virtual type is unironed at its weight ratio and its law qualifies
    (:func:`closed_form_law`)."""
    return not view.flats and closed_form_law(base_and_shift(view.dist)[0])


def closed_form_law(dist: Any) -> bool:
    """Whether a law's virtual types are continuous with a closed-form slope: a package family (or a
    TypeDistribution with the built-in virtual types) whose d log f / dx is known and whose density has no
    interior breakpoints (a jump of the density makes the virtual type jump, and the levels it skips carry no
    mass, which the density f / slope at the clipped inverse would not say)."""
    if not isinstance(dist, TypeDistribution) or tuple(getattr(dist, "breakpoints", ())):
        return False
    if not (dist._builtin_raw() or type(dist).__module__ == _FAMILIES):  # the families' closed forms are the same
        return False
    if type(dist).virtual_cost is not TypeDistribution.virtual_cost or type(dist).virtual_value is not TypeDistribution.virtual_value:
        return False
    return dist._dlogpdf_in(np.array([0.5 * (dist.low + dist.high)])) is not None


def power_at_end(view: AgentView, end: str) -> float:
    """alpha with f(x) ~ t^alpha at distance t from the support end ``end`` ("low" or "high"), from
    t (log f)' at t = 1e-9 of the support (Beta(a, b): a - 1 at the bottom, b - 1 at the top); NaN if unknown."""
    base, _ = base_and_shift(view.dist)
    gap = 1e-9 * (base.high - base.low)
    x = np.array([base.low + gap if end == "low" else base.high - gap])
    dlog = base._dlogpdf_in(x)
    if dlog is None:
        return float("nan")
    return float(gap * dlog[0]) * (1.0 if end == "low" else -1.0)


def finite_level(view: AgentView, x: float) -> float | None:
    """The virtual type at x, or None where it is infinite (a density vanishing at an end of the support)."""
    level = float(view.virtual(np.array([x]))[0])
    return level if abs(level) < _HUGE else None


def level_terms(view: AgentView, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """At levels y of the agent's virtual type: the type x there (inverse, clipped to the support), the
    probability of being ahead at y (a buyer: P(Phi >= y) = 1 - F(x); a supplier: P(Gamma < y) = F(x)),
    the density of the virtual type at y, f(x) / slope, and that probability divided by the slope, the
    change of variables of the rent integrals (zero outside the support).
    """
    x = view.inverse(y)
    base, shift = base_and_shift(view.dist)
    prob, dens, rent = terms_at_types(base, view.is_buyer, x - shift, max(1.0 - view.a, 0.0))
    return x, prob, dens, rent


def terms_at_types(dist: TypeDistribution, is_buyer: bool, x: np.ndarray, s: Any) -> tuple[np.ndarray, ...]:
    """:func:`level_terms` from the types x (in the support of ``dist``) and s = 1 - a (a number or one per x):
    the probability ahead, the density of the virtual type and the probability over the slope."""
    cdf = np.asarray(dist.cdf(x), dtype=float)
    pdf = np.asarray(dist.pdf(x), dtype=float)
    prob = np.asarray(dist.sf(x), dtype=float) if is_buyer else cdf
    inside = (x > dist.low) & (x < dist.high) & (pdf > 0)
    dens = np.zeros_like(x)
    rent = np.zeros_like(x)
    if np.any(inside):
        s_in = np.broadcast_to(np.asarray(s, dtype=float), x.shape)[inside]
        dlog = np.asarray(dist._dlogpdf_in(x[inside]), dtype=float)
        ratio = prob[inside] / pdf[inside]  # (1 - F)/f for a buyer, F/f for a supplier
        slope = 1.0 + s_in + s_in * ratio * dlog if is_buyer else 1.0 + s_in - s_in * ratio * dlog
        good = np.isfinite(slope) & (slope > 0)
        inverse_slope = np.where(good, 1.0 / np.where(good, slope, 1.0), 0.0)
        dens[inside] = pdf[inside] * inverse_slope
        rent[inside] = prob[inside] * inverse_slope
    return prob, dens, rent
