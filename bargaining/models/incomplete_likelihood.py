"""Likelihood and cell moments of Loertscher-Marx bargaining with one buyer and one seller.

Model side of the incomplete-information estimators (:mod:`bargaining.estimate.incomplete`,
:mod:`bargaining.estimate.min_distance`): plain functions of the parameters and of data arrays.

Trade with observed types
-------------------------
With bargaining differential Delta (weights w_B, w_S, max w = 1) and the Loertscher-Marx multiplier
rho(Delta; F, G), trade happens iff the weighted virtual surplus is non-negative,

.. math:: \\Phi_{a}(v) - \\Gamma_{b}(c) \\ge 0, \\qquad a = w_B / \\rho, \\; b = w_S / \\rho,

with Phi_a(v) = v - (1 - a)(1 - F(v))/f(v) and Gamma_b(c) = c + (1 - b) G(c)/g(c) (ironed when F or G is
not regular). The econometric model adds logistic noise of scale sigma to the virtual surplus:

.. math:: P(\\text{trade} \\mid v, c) = \\Lambda\\big((\\Phi_a(v) - \\Gamma_b(c)) / \\sigma\\big),

which tends to the Loertscher-Marx trade rule as sigma -> 0.

The map Delta -> (a, b) is :class:`WeightRatioCurve`: the closed form of eq. (38) of the Loertscher-Marx
online appendix when F and G are uniform on the same interval (rho is invariant to a common affine change of
units), otherwise the Loertscher-Marx solver (:class:`bargaining.models.mechanism.Market`) evaluated on an
adaptively refined grid of Delta and interpolated (quintic splines on each side of Delta = 0, where the
weights have a kink, in a variable graded towards Delta = -1 and +1: :mod:`bargaining.models._curve_spline`)
with a measured accuracy.

Cell moments for minimum distance
---------------------------------
:func:`price_rule_moments` gives (P(trade), E[price | trade], Var[price | trade]) under a declared price rule
(:mod:`bargaining.models.price_rules`) as a function of the parameters.
"""

from __future__ import annotations

import itertools
import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit, log_expit

from bargaining.errors import AccuracyWarning, DistributionError, InvalidParameterError, UnknownNameError
from bargaining.models._curve_nodes import newton_nodes
from bargaining.models._curve_spline import SplitSpline as _SplitSpline
from bargaining.models._curve_spline import flat_map_grid
from bargaining.models.bilateral import rho_from_delta
from bargaining.models.conventions import weights_from_delta
from bargaining.models.price_rules import MOMENT_NAMES, kda_unit_moments

__all__ = [
    "MOMENT_NAMES",
    "TradeLikelihood",
    "TypeData",
    "WeightRatioCurve",
    "clear_curve_cache",
    "kda_unit_moments",
    "price_rule_moments",
    "trade_index",
    "trade_log_likelihood",
    "trade_probability",
    "uniform_support",
    "uniform_weight_ratios",
]


# Largest |index / sigma| fed to the logistic; beyond it the probabilities are 0 or 1 in double precision
# and log-likelihoods stay finite (a trade at an index of -700 sigma costs 700 log points).
_INDEX_CLIP = 700.0

# rho(Delta) curves built by the solver: default interpolation tolerance, and how many are kept in the cache
_CURVE_TOL = 1e-6
CURVE_CACHE_SIZE = 32


# ----------------------------------------------------------------------------------------- weights, rho
def _check_delta(delta: Any) -> float:
    try:
        value = float(delta)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"Delta must be a number, got {delta!r}.", hint="Pass a bargaining differential in [-1, 1]."
        ) from None
    if not (math.isfinite(value) and -1.0 <= value <= 1.0):
        raise InvalidParameterError(
            f"Delta = {value!r} is outside [-1, 1].",
            hint="Delta = (w_B - w_S) / max(w_B, w_S) lies in [-1, 1].",
        )
    return value


def uniform_weight_ratios(delta: float) -> tuple[float, float]:
    """(w_B/rho, w_S/rho) for one buyer and one seller with uniform types on a common interval (eq. 38).

    rho is invariant to a common affine change of units of v and c, so eq. (38), derived on [0, 1], holds on
    any common interval [l, h].
    """
    d = _check_delta(delta)
    rho = float(rho_from_delta(d))
    w_b, w_s = weights_from_delta(d)
    return w_b / rho, w_s / rho


def uniform_support(dist: Any, *, atol: float = 1e-10) -> tuple[float, float] | None:
    """(low, high) if ``dist`` is uniform on [low, high] (its cdf is linear on a grid), otherwise None."""
    try:
        low, high = float(dist.low), float(dist.high)
        grid = np.linspace(low, high, 17)
        cdf = np.asarray(dist.cdf(grid), dtype=float)
    except Exception:  # noqa: BLE001 - anything that is not a type distribution is simply not uniform
        return None
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        return None
    return (low, high) if np.allclose(cdf, (grid - low) / (high - low), atol=atol) else None


@dataclass
class WeightRatioCurve:
    """Delta -> (a, b) = (w_B/rho, w_S/rho) for one buyer with values F and one seller with costs G.

    Build with :meth:`for_distributions` (chooses the closed form when it applies), :meth:`closed_form` or
    :meth:`from_solver`. Calling the curve with a scalar Delta returns (a, b).

    Attributes
    ----------
    method
        "closed form (eq. 38)" or "solver + quintic spline".
    accuracy
        Largest absolute interpolation error of a or b observed at the midpoints of the final grid's
        predecessor (0 for the closed form). The final grid has those midpoints as nodes, so this is a
        conservative estimate of the error of the returned ratios.
    grid
        Delta nodes (solver path).
    """

    method: str
    accuracy: float = 0.0
    grid: np.ndarray = field(default_factory=lambda: np.empty(0))
    _interp_a: Callable[[Any], Any] | None = None
    _interp_b: Callable[[Any], Any] | None = None

    def __call__(self, delta: float) -> tuple[float, float]:
        d = _check_delta(delta)
        if self._interp_a is None or self._interp_b is None:
            return uniform_weight_ratios(d)
        a = float(np.clip(self._interp_a(d), 0.0, 1.0))
        b = float(np.clip(self._interp_b(d), 0.0, 1.0))
        return a, b

    def slopes(self, delta: float) -> tuple[float, float]:
        """(da/dDelta, db/dDelta) at Delta: the splines' derivatives, or central differences of the closed form
        (one-sided at the ends and at the kink Delta = 0, where the left piece is used); 0 where (a, b) is clipped
        to [0, 1]."""
        d = _check_delta(delta)
        a, b = self(d)
        if self._interp_a is not None and self._interp_b is not None and isinstance(self._interp_a, _SplitSpline) \
                and isinstance(self._interp_b, _SplitSpline):
            da, db = self._interp_a.slope(d), self._interp_b.slope(d)
        else:
            h = 1e-6
            lo, hi = max(d - h, -1.0), min(d + h, 1.0)
            if d == 0.0:
                lo, hi = -h, 0.0
            (a_lo, b_lo), (a_hi, b_hi) = uniform_weight_ratios(lo), uniform_weight_ratios(hi)
            da, db = (a_hi - a_lo) / (hi - lo), (b_hi - b_lo) / (hi - lo)
        raw_a = self._interp_a(d) if self._interp_a is not None else a
        raw_b = self._interp_b(d) if self._interp_b is not None else b
        # clipped: beyond rounding (the splines reproduce a = 0 at Delta = -1 only to ~1e-20)
        inside_a, inside_b = -1e-12 <= raw_a <= 1.0 + 1e-12, -1e-12 <= raw_b <= 1.0 + 1e-12
        return (da if inside_a else 0.0, db if inside_b else 0.0)

    @classmethod
    def closed_form(cls) -> WeightRatioCurve:
        """Eq. (38): uniform types on a common interval."""
        return cls(method="closed form (eq. 38)")

    @classmethod
    def from_solver(
        cls,
        value_dist: Any,
        cost_dist: Any,
        *,
        tol: float = _CURVE_TOL,
        initial_points: int = 21,
        max_points: int = 513,
    ) -> WeightRatioCurve:
        """Tabulate the Loertscher-Marx solver over Delta and interpolate.

        The grid starts with ``initial_points`` nodes in [-1, 1], evenly spaced in the mapped variable x of
        each half (Delta = 0, where the weights have a kink, is always a node; the map of
        :mod:`bargaining.models._curve_spline` grades the nodes towards -1 and +1, where rho tends to 1 and the
        curve is singular), and is refined locally: the midpoint in x of each interval is solved (from one
        engine evaluation where a Newton step from the splines' guess is certified to 1e-2 ``tol``, see
        :mod:`bargaining.models._curve_nodes`; otherwise by the solver) and compared with the spline through the
        current nodes, and only intervals where they differ by more
        than ``tol`` are halved again, until every interval passes or the next round would exceed
        ``max_points`` nodes (then an :class:`~bargaining.errors.AccuracyWarning` reports the accuracy
        reached). ``accuracy`` is the largest of the intervals' last midpoint errors.
        """
        from bargaining.models.mechanism import Market

        market = Market([value_dist], [cost_dist])

        def solve(d: float) -> tuple[float, float, float]:
            outcome = market.bargain_delta(float(d))
            return (
                float(np.ravel(outcome.buyer_weight_ratios)[0]),
                float(np.ravel(outcome.supplier_weight_ratios)[0]),
                float(outcome.rho),
            )

        def exact(deltas: np.ndarray, hints: list[tuple[float, float] | None] | None = None,
                  newton: list[tuple[float, float, float] | None] | None = None) -> np.ndarray:
            """(a, b, slope of the budget in t) at each Delta: from one evaluation where the Newton step from the
            hint (t, slope, slope error) in ``newton`` is certified to ``node_tol`` (:mod:`._curve_nodes`), else
            by one sweep in increasing Delta, each point started from its hint (t, slope) when given, else from
            the points before it; every point is still solved to the solver's tolerance."""
            deltas = np.asarray(deltas, dtype=float)
            out = np.empty((len(deltas), 3))
            left = np.ones(len(deltas), dtype=bool)
            if newton is not None:
                for i, node in enumerate(newton_nodes(market, deltas, newton, node_tol)):
                    if node is not None:
                        out[i], left[i] = node, False
            rest = np.flatnonzero(left)
            order = rest[np.argsort(deltas[rest])]
            if order.size == 0:
                return out
            # nodes to a hundredth of the curve's tolerance: far below the interpolation error it is built to
            outcomes = market._sweep(deltas[order],
                                     None if hints is None else [hints[i] for i in order], step_tol=node_tol)
            for position, outcome in zip(order, outcomes, strict=True):
                out[position] = (float(np.ravel(outcome.buyer_weight_ratios)[0]),
                                 float(np.ravel(outcome.supplier_weight_ratios)[0]),
                                 float(outcome.details.get("budget_slope", math.nan)) if outcome.binding else math.nan)
            return out

        def hints_at(deltas: np.ndarray, grid: np.ndarray,
                     values: np.ndarray) -> tuple[list[tuple[float, float] | None], list[tuple[float, float, float] | None]]:
            """t = max(a, b) (the largest weight is 1) from the splines through the nodes, the slope linearly (for
            the solver) and by the splines through the binding nodes, with their difference as its error bound
            (for :func:`newton_nodes`)."""
            t_guess = np.maximum(_SplitSpline(grid, values[:, 0], knots, flats)(deltas),
                                 _SplitSpline(grid, values[:, 1], knots, flats)(deltas))
            finite = np.isfinite(values[:, 2])  # slack nodes (rho = 1) have no slope: use the nearest binding ones
            nan = np.full(len(deltas), np.nan)
            slopes = np.interp(deltas, grid[finite], values[finite, 2]) if finite.any() else nan
            smooth = _SplitSpline(grid[finite], values[finite, 2], knots, flats)(deltas) if finite.sum() >= 6 else nan
            solver = [(float(t_), float(s_)) if np.isfinite(s_) and 0.0 < t_ < 1.0 else None
                      for t_, s_ in zip(t_guess, slopes, strict=True)]
            newton = [(float(t_), float(q_), abs(float(q_) - float(s_))) if np.isfinite(q_) and 0.0 < t_ < 1.0
                      else None for t_, s_, q_ in zip(t_guess, slopes, smooth, strict=True)]
            return solver, newton

        def slack(d: float) -> bool:
            return solve(d)[2] <= 1.0 + 1e-12

        node_tol = max(1e-10, 1e-2 * tol)  # last secant step in t accepted for a node (sweeps)
        n = max(3, initial_points | 1)  # odd, so that 0 is a node
        # evenly spaced in the mapped variable of each half (graded towards -1 and +1, see _curve_spline)
        knots: list[float] = [0.0]
        flats = [(True, False), (False, True)]
        grid = flat_map_grid(n // 2, knots, flats)
        solved = np.array([
            (float(np.ravel(o.buyer_weight_ratios)[0]), float(np.ravel(o.supplier_weight_ratios)[0]), float(o.rho),
             float(o.details.get("budget_slope", math.nan)) if o.binding else math.nan)
            for o in market._sweep(grid, None, step_tol=node_tol)
        ])
        values = solved[:, [0, 1, 3]]  # a, b and the budget's slope in t (for warm starts)
        # where the budget constraint stops binding (rho = max w), rho(Delta) has a kink: make it a knot
        status = list(solved[:, 2] <= 1.0 + 1e-12)
        for lo, hi, s_lo, s_hi in zip(grid[:-1], grid[1:], status[:-1], status[1:], strict=True):
            if s_lo == s_hi:
                continue
            kink = _kink(market, float(lo), float(hi), s_lo, slack)
            if 1e-8 < abs(kink) < 1.0 - 1e-8:
                knots.append(kink)
        if len(knots) > 1:
            extra = np.asarray(knots[1:])
            grid, order = np.unique(np.concatenate([grid, extra]), return_index=True)
            values = np.concatenate([values, exact(extra)])[order]
        # a piece's mapped variable is flat at Delta = -1 or +1 when the constraint binds next to it (rho tends to 1
        # there with a u^2 log u term); not at the budget switches, where the binding side was found smooth
        # (uniform laws: mapping them cost half as many nodes again)
        edges = sorted({-1.0, 1.0, *knots})
        binding = np.isfinite(values[:, 2])
        flats = []
        for lo, hi in itertools.pairwise(edges):
            inside = (grid > lo) & (grid < hi)
            bind = bool(inside.any() and binding[inside].any())
            flats.append((bind and lo == -1.0, bind and hi == 1.0))
        # local refinement: the midpoint of every interval is solved and compared with the spline through the
        # current nodes; intervals that miss ``tol`` are halved again, the others keep their error estimate
        pending = np.ones(len(grid) - 1, dtype=bool)
        interval_error = np.full(len(grid) - 1, math.inf)
        while True:
            lows, highs = grid[:-1][pending], grid[1:][pending]
            pa, pb = _SplitSpline(grid, values[:, 0], knots, flats), _SplitSpline(grid, values[:, 1], knots, flats)
            mids = pa.midpoints(lows, highs)
            mid_values = exact(mids, *hints_at(mids, grid, values))
            errors = np.maximum(np.abs(pa(mids) - mid_values[:, 0]), np.abs(pb(mids) - mid_values[:, 1]))
            # new intervals: each checked interval splits in two, both inheriting its midpoint error
            new_grid = np.concatenate([grid, mids])
            new_values = np.concatenate([values, mid_values])
            order = np.argsort(new_grid, kind="stable")
            inherited = interval_error.copy()
            inherited[pending] = errors
            split = np.repeat(inherited, np.where(pending, 2, 1))
            was_pending = np.repeat(pending, np.where(pending, 2, 1))
            grid, values = new_grid[order], new_values[order]
            interval_error = split
            pending = was_pending & (split > tol)
            accuracy = float(np.max(interval_error))
            if not pending.any() or len(grid) + int(pending.sum()) > max_points:
                break
        if accuracy > tol:
            warnings.warn(
                f"rho(Delta) interpolated to {accuracy:.1e}, not {tol:.0e}, with {len(grid)} solver points.",
                AccuracyWarning,
                stacklevel=2,
            )
        return cls(
            method="solver + quintic spline",
            accuracy=accuracy,
            grid=grid,
            _interp_a=_SplitSpline(grid, values[:, 0], knots, flats),
            _interp_b=_SplitSpline(grid, values[:, 1], knots, flats),
        )

    @classmethod
    def for_distributions(cls, value_dist: Any, cost_dist: Any, *, method: str = "auto") -> WeightRatioCurve:
        """Closed form when F and G are uniform on the same interval (``method="auto"``), else the solver.

        A solver-built curve is cached (least recently used, at most :data:`CURVE_CACHE_SIZE` curves) under
        the laws' ``cache_key`` (class and parameters of a known family or mixture), so further fits,
        bootstrap replicates and Monte Carlo replications with the same F and G reuse it; the cached object
        is returned as is. Laws without a key (generic scipy laws, kernel densities) are rebuilt every time.
        """
        if method not in ("auto", "closed form", "solver"):
            raise InvalidParameterError(
                f"rho method {method!r} is not known.", hint="Use 'auto', 'closed form' or 'solver'."
            )
        if method != "solver":
            f_support, g_support = uniform_support(value_dist), uniform_support(cost_dist)
            same = (
                f_support is not None
                and g_support is not None
                and np.allclose(f_support, g_support, rtol=0, atol=1e-12 * max(1.0, abs(f_support[1])))
            )
            if same:
                return cls.closed_form()
            if method == "closed form":
                raise InvalidParameterError(
                    "The closed form of rho (eq. 38) needs uniform values and costs on the same interval.",
                    hint="Use rho method 'auto' or 'solver'.",
                )
        key = _curve_key(value_dist, cost_dist)
        if key is None:
            return cls.from_solver(value_dist, cost_dist)
        with _CURVE_LOCK:
            cached = _CURVE_CACHE.get(key)
            if cached is not None:
                _CURVE_CACHE.move_to_end(key)
        if cached is not None:
            if cached.accuracy > _CURVE_TOL:  # the build warned; say it again for this fit
                warnings.warn(
                    f"rho(Delta) interpolated to {cached.accuracy:.1e}, not {_CURVE_TOL:.0e}, with "
                    f"{len(cached.grid)} solver points.",
                    AccuracyWarning,
                    stacklevel=2,
                )
            return cached
        curve = cls.from_solver(value_dist, cost_dist)
        with _CURVE_LOCK:
            _CURVE_CACHE[key] = curve
            _CURVE_CACHE.move_to_end(key)
            while len(_CURVE_CACHE) > CURVE_CACHE_SIZE:
                _CURVE_CACHE.popitem(last=False)
        return curve


# Cache of solver-built curves, keyed by the laws' ``cache_key`` (known laws only: a distribution without a key,
# such as a kernel density estimated from data, is never cached; estimated parametric laws have new parameters
# in every sample and simply miss). Least recently used entries are evicted beyond CURVE_CACHE_SIZE.
_CURVE_CACHE: OrderedDict[tuple[Any, Any], WeightRatioCurve] = OrderedDict()
_CURVE_LOCK = threading.Lock()


def _kink(market: Any, lo: float, hi: float, slack_lo: bool, slack: Callable[[float], bool]) -> float:
    """The Delta in (lo, hi) where the budget constraint switches between slack and binding, to 1e-10.

    The budget surplus at rho = max weight (``Market._slack_at_delta``) is smooth in Delta and negative exactly
    where the constraint binds, so the switch is its root: Brent's method, one engine evaluation a step. When
    its signs at the ends do not bracket a root (the surplus within the quadrature error of 0 at an end), the
    switch is bisected with full solves instead.
    """
    from scipy.optimize import brentq

    # at Delta = -1 or +1 the budget surplus at rho = 1 is 0 (the constraint binds only just): when it already
    # binds (by the slack test of _slack_at_delta) 1e-8 inside, the switch is within 1e-8 of the end and no knot
    # (one evaluation instead of a search)
    for end, inner, slack_end in ((lo, lo + 1e-8, slack_lo), (hi, hi - 1e-8, not slack_lo)):
        if abs(end) == 1.0 and slack_end:
            g_in, tol_in = market._slack_at_delta(inner)
            if g_in < -tol_in:
                return end
    (g_lo, tol_lo), (g_hi, tol_hi) = market._slack_at_delta(lo), market._slack_at_delta(hi)
    # slack means g >= -tol: shift by the slack end's tolerance so that the ends have opposite signs even when
    # the slack end is slack only within that tolerance (at Delta = +-1 the surplus is 0 up to rounding)
    shift = tol_lo if slack_lo else tol_hi
    f_lo, f_hi = g_lo + shift, g_hi + shift
    if f_lo * f_hi < 0.0:
        return float(brentq(lambda d: market._slack_at_delta(d)[0] + shift, lo, hi, xtol=1e-11, rtol=1e-14))
    a_, b_ = lo, hi
    while b_ - a_ > 1e-10:
        mid = 0.5 * (a_ + b_)
        a_, b_ = (mid, b_) if slack(mid) == slack_lo else (a_, mid)
    return 0.5 * (a_ + b_)


def _law_key(dist: Any) -> Any:
    key = getattr(dist, "cache_key", None)
    if key is None:
        return None
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _curve_key(value_dist: Any, cost_dist: Any) -> tuple[Any, Any] | None:
    f_key, g_key = _law_key(value_dist), _law_key(cost_dist)
    if f_key is None or g_key is None:
        return None
    return (f_key, g_key)


def clear_curve_cache() -> None:
    """Forget every cached rho(Delta) curve (see :meth:`WeightRatioCurve.for_distributions`)."""
    with _CURVE_LOCK:
        _CURVE_CACHE.clear()


# ------------------------------------------------------------------------------------------ virtual types
@dataclass
class TypeData:
    """Observed values and costs with what the virtual types need, computed once.

    For regular distributions Phi_a(v) = v - (1 - a) h_F(v) with h_F = (1 - F)/f, and
    Gamma_b(c) = c + (1 - b) h_G(c) with h_G = G/g, so the hazard terms are evaluated once per data set and
    every trial (a, b) costs two multiplications. Otherwise the ironed virtual types of the distributions are
    called for every trial weight (ironing depends on the weight and must be redone).
    """

    value: np.ndarray
    cost: np.ndarray
    value_dist: Any
    cost_dist: Any
    value_hazard: np.ndarray | None = None
    cost_hazard: np.ndarray | None = None

    @classmethod
    def build(cls, value: Any, cost: Any, value_dist: Any, cost_dist: Any) -> TypeData:
        v = np.asarray(value, dtype=float)
        c = np.asarray(cost, dtype=float)
        if v.shape != c.shape or v.ndim != 1:
            raise InvalidParameterError(
                "value and cost must be 1-d arrays of the same length.",
                hint="Pass one value and cost per row.",
            )
        for name, x, dist in (("value", v, value_dist), ("cost", c, cost_dist)):
            if not np.all(np.isfinite(x)):
                raise InvalidParameterError(
                    f"{name} contains NaN or inf.", hint=f"Drop rows with missing {name}."
                )
            slack = 1e-12 * max(1.0, abs(float(dist.high) - float(dist.low)))
            if np.any(x < float(dist.low) - slack) or np.any(x > float(dist.high) + slack):
                raise DistributionError(
                    f"Some {name}s lie outside the support [{dist.low}, {dist.high}] of their distribution.",
                    hint=f"Widen the {name} distribution's support or drop those rows.",
                )
        data = cls(v, c, value_dist, cost_dist)
        if _is_regular(value_dist):
            with np.errstate(divide="ignore", invalid="ignore"):
                data.value_hazard = (1.0 - np.asarray(value_dist.cdf(v), float)) / np.asarray(
                    value_dist.pdf(v), float
                )
            data.value_hazard = np.where(np.isnan(data.value_hazard), 0.0, data.value_hazard)
        if _is_regular(cost_dist):
            with np.errstate(divide="ignore", invalid="ignore"):
                data.cost_hazard = np.asarray(cost_dist.cdf(c), float) / np.asarray(cost_dist.pdf(c), float)
            data.cost_hazard = np.where(np.isnan(data.cost_hazard), 0.0, data.cost_hazard)
        return data

    def virtual_value(self, a: float) -> np.ndarray:
        if self.value_hazard is not None:
            return self.value - (1.0 - a) * self.value_hazard
        return np.asarray(self.value_dist.virtual_value(self.value, weight=a), dtype=float)

    def virtual_cost(self, b: float) -> np.ndarray:
        if self.cost_hazard is not None:
            return self.cost + (1.0 - b) * self.cost_hazard
        return np.asarray(self.cost_dist.virtual_cost(self.cost, weight=b), dtype=float)


def _is_regular(dist: Any) -> bool:
    if uniform_support(dist) is not None:
        return True
    check = getattr(dist, "is_regular", None)
    if check is None:
        return False
    try:
        return bool(check(weight=0.0))
    except TypeError:
        return bool(check())


def trade_index(delta: float, types: TypeData, curve: WeightRatioCurve) -> np.ndarray:
    """Weighted virtual surplus Phi_{w_B/rho}(v) - Gamma_{w_S/rho}(c) of every observation."""
    a, b = curve(delta)
    return types.virtual_value(a) - types.virtual_cost(b)


def _scaled_index(delta: float, sigma: float, types: TypeData, curve: WeightRatioCurve) -> np.ndarray:
    if not (math.isfinite(sigma) and sigma > 0):
        raise InvalidParameterError(f"sigma = {sigma!r} must be positive.", hint="Pass sigma > 0.")
    with np.errstate(over="ignore", invalid="ignore"):
        z = trade_index(delta, types, curve) / sigma
    return np.clip(
        np.nan_to_num(z, nan=0.0, posinf=_INDEX_CLIP, neginf=-_INDEX_CLIP), -_INDEX_CLIP, _INDEX_CLIP
    )


def trade_probability(delta: float, sigma: float, types: TypeData, curve: WeightRatioCurve) -> np.ndarray:
    """P(trade | v, c) = Lambda((Phi_a(v) - Gamma_b(c)) / sigma) for every observation."""
    return expit(_scaled_index(delta, sigma, types, curve))


def trade_log_likelihood(
    delta: float, sigma: float, traded: np.ndarray, types: TypeData, curve: WeightRatioCurve
) -> np.ndarray:
    """Per-observation log-likelihood of the 0/1 outcomes ``traded``.

    log Lambda(z) for a trade and log Lambda(-z) for no trade, with z = index / sigma, computed with
    :func:`scipy.special.log_expit` (no cancellation in the tails).
    """
    z = _scaled_index(delta, sigma, types, curve)
    t = np.asarray(traded, dtype=float)
    return t * log_expit(z) + (1.0 - t) * log_expit(-z)


# ----------------------------------------------------------------------------------- price-rule moments
def price_rule_moments(
    rule: str,
    params: dict[str, float],
    *,
    value_dist: Any = None,
    cost_dist: Any = None,
) -> np.ndarray:
    """Model moments of a price rule at ``params``, in the order of :data:`MOMENT_NAMES`.

    (P(trade), E[price | trade], Var[price | trade], E[(price - mean)^3 | trade]); NaN where a rule has no
    model for a moment. Dispatches to the rule's class in the one registry of price rules
    (:meth:`bargaining.models.price_rules.PriceRule.cell_moments`): ``"k-double-auction"`` (params
    ``Delta``, ``low``, ``high``), ``"intermediary"`` (``Delta``), ``"posted-price"`` (``price``).
    """
    from bargaining.models.price_rules import price_rule_class

    try:
        rule_class = price_rule_class(rule)
    except UnknownNameError:
        raise InvalidParameterError(
            f"No moment model for price rule {rule!r}.",
            hint="Use 'k-double-auction', 'intermediary' or 'posted-price'.",
        ) from None
    return rule_class.cell_moments(params, value_dist, cost_dist)


# ------------------------------------------------------------------------------------ likelihood model
class TradeLikelihood:
    r"""The Loertscher-Marx trade likelihood as a :class:`~bargaining.models.protocols.LikelihoodModel`.

    Parameters (natural units) ``Delta`` in [-1, 1] and ``sigma`` > 0;
    :math:`\ell_i = t_i \log\Lambda(z_i) + (1 - t_i)\log\Lambda(-z_i)` with
    :math:`z_i = (\Phi_{w_B/\rho}(v_i) - \Gamma_{w_S/\rho}(c_i))/\sigma`.

    Parameters
    ----------
    traded
        0/1 outcomes.
    types
        Values, costs and their distributions (:class:`TypeData`).
    curve
        Delta -> (w_B/rho, w_S/rho) (:class:`WeightRatioCurve`).
    """

    param_names = ("Delta", "sigma")
    lower_bounds = np.array([-1.0, 0.0])
    upper_bounds = np.array([1.0, np.inf])

    def __init__(self, traded: np.ndarray, types: TypeData, curve: WeightRatioCurve) -> None:
        self.traded = np.asarray(traded, dtype=float)
        self.types, self.curve = types, curve

    @property
    def nobs(self) -> int:
        return int(self.traded.size)

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        return trade_log_likelihood(float(params[0]), float(params[1]), self.traded, self.types, self.curve)

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        r"""Per-observation scores d l_i / d(Delta, sigma), n x 2.

        With z = I / sigma, I = Phi_a(v) - Gamma_b(c) and (a, b) = curve(Delta), d l / d z = y - Lambda(z),
        d z / d sigma = -z / sigma and d z / d Delta = (h_F(v) a'(Delta) + h_G(c) b'(Delta)) / sigma for regular
        laws (Phi_a = v - (1 - a) h_F, Gamma_b = c + (1 - b) h_G; a', b' from :meth:`WeightRatioCurve.slopes`).
        Zero where z is clipped. Laws without precomputed hazards (ironed virtual types): central differences
        of :meth:`loglikeobs`.
        """
        delta, sigma = float(params[0]), float(params[1])
        types = self.types
        if types.value_hazard is None or types.cost_hazard is None:
            out = np.empty((self.nobs, 2))
            for j, h in enumerate((1e-6, 1e-6 * max(abs(sigma), 1e-3))):
                up, down = np.array(params, dtype=float), np.array(params, dtype=float)
                up[j] += h
                down[j] -= h
                if j == 0:
                    up[0], down[0] = min(up[0], 1.0), max(down[0], -1.0)
                out[:, j] = (self.loglikeobs(up) - self.loglikeobs(down)) / (up[j] - down[j])
            return out
        with np.errstate(over="ignore", invalid="ignore"):
            raw = trade_index(delta, types, self.curve) / sigma
        z = _scaled_index(delta, sigma, types, self.curve)
        inside = np.isfinite(raw) & (np.abs(raw) < _INDEX_CLIP)
        dl_dz = np.where(inside, self.traded - expit(z), 0.0)
        da, db = self.curve.slopes(delta)
        with np.errstate(invalid="ignore", over="ignore"):
            dz_ddelta = np.where(inside, (types.value_hazard * da + types.cost_hazard * db) / sigma, 0.0)
        return np.column_stack([dl_dz * dz_ddelta, dl_dz * (-z / sigma)])

    def start_values(self) -> np.ndarray:
        """Best point of a coarse grid: Delta in {-0.9, ..., 0.9}, sigma over three decades of the type scale."""
        scale = float(np.std(self.types.value) + np.std(self.types.cost)) or 1.0
        best, best_ll = np.array([0.0, scale]), -math.inf
        for delta in np.linspace(-0.9, 0.9, 7):
            for sigma in scale * np.geomspace(1e-3, 1.0, 10):
                ll = float(np.sum(trade_log_likelihood(delta, sigma, self.traded, self.types, self.curve)))
                if ll > best_ll:
                    best, best_ll = np.array([delta, sigma]), ll
        return best

    def subset(self, rows: np.ndarray) -> TradeLikelihood:
        """The model on rows ``rows`` with the same distributions and rho curve."""
        types = TypeData.build(self.types.value[rows], self.types.cost[rows], self.types.value_dist, self.types.cost_dist)
        return TradeLikelihood(self.traded[rows], types, self.curve)

    def probabilities(self, params: np.ndarray) -> np.ndarray:
        """P(trade | v, c) of every observation."""
        return trade_probability(float(params[0]), float(params[1]), self.types, self.curve)

    def separated(self, params: np.ndarray) -> bool:
        """Whether the trade rule at Delta separates trades from failures perfectly (no MLE of sigma)."""
        index = trade_index(float(params[0]), self.types, self.curve)
        return bool(np.all((index >= 0) == (self.traded == 1)))
