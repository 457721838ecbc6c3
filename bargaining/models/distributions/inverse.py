"""Generalized inverses of the (ironed) weighted virtual types: a mixin of
:class:`~bargaining.models.distributions.base.TypeDistribution`.

The smallest type whose virtual type reaches a level is found from a table of the virtual type on the inverse
grid: a cubic interpolant of the inverse is used as it is where it checks to 1e-13 at the cell midpoints, and
otherwise starts a safeguarded Illinois search inside the table's bracket (with a step model for poles of the
virtual type at an end of the support).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from bargaining.errors import AccuracyWarning, InvalidParameterError
from bargaining.models.ironing import Flat

__all__ = ["VirtualTypeInverse"]

_FEW = 2
"""Largest number of levels inverted one at a time in scalar arithmetic (:meth:`VirtualTypeInverse._inverse_few`)."""
_TRUSTED = 1e-13
"""Error of a cell's cubic (the residual it implies in the virtual type, relative to the level, at least 1) below
which its guesses are used as they are: a hundredth of the residual at which :meth:`VirtualTypeInverse._illinois`
stops."""
_GOOD_START = 1e-9
"""Error of a cell's cubic below which it starts the root search (above it, the pole model of
:meth:`VirtualTypeInverse._pole_guess` does, where it applies): the Newton step from it is then within tolerance."""


class VirtualTypeInverse:
    """Tables, cubic guesses and the root finder behind ``virtual_value_inverse`` / ``virtual_cost_inverse``;
    the distribution provides the grid, the (ironed) virtual types, the flats and the caches."""

    low: float
    high: float
    _scale: float
    _table_cache: dict[tuple[str, float], np.ndarray]
    _ratio_cache: dict[tuple[str, str], np.ndarray]
    _cubic_cache: dict[tuple[str, float], tuple[np.ndarray, np.ndarray, np.ndarray]]
    _cell_error_cache: dict[tuple[str, float], np.ndarray]
    _inverse_grid_cache: np.ndarray | None

    def _inverse_grid(self) -> np.ndarray:
        raise NotImplementedError  # provided by TypeDistribution

    def _flats(self, side: str, a: float) -> list[Flat]:
        raise NotImplementedError  # provided by TypeDistribution

    def _ironed(self, side: str, a: float, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # provided by TypeDistribution

    def _hazard_ratio(self, x: np.ndarray, side: str) -> np.ndarray:
        raise NotImplementedError  # provided by TypeDistribution

    def _raw(self, side: str, a: float, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # provided by TypeDistribution

    def _builtin_raw(self) -> bool:
        """Whether the raw virtual type is TypeDistribution's x -+ (1 - a) * hazard ratio (not overridden)."""
        raise NotImplementedError  # provided by TypeDistribution

    def _table(self, side: str, a: float) -> np.ndarray:
        key = (side, a)
        if key not in self._table_cache:
            grid = self._inverse_grid()
            if self._builtin_raw() and not self._flats(side, a):
                # no ironing: the raw virtual type x -+ (1 - a) * ratio from the hazard ratio on the grid, kept
                # once per side (the same arithmetic as _raw, without re-evaluating the distribution at every a)
                rkey = (side, "ratio")
                if rkey not in self._ratio_cache:
                    self._ratio_cache[rkey] = self._hazard_ratio(grid, side)
                ratio = self._ratio_cache[rkey]
                if a >= 1:
                    values = grid.copy()
                else:
                    values = grid - (1.0 - a) * ratio if side == "value" else grid + (1.0 - a) * ratio
            else:
                values = self._ironed(side, a, grid)
            self._table_cache[key] = np.maximum.accumulate(np.where(np.isnan(values), -np.inf, values))
        return self._table_cache[key]

    def _inverse(self, side: str, a: float, y: Any) -> Any:
        levels = np.asarray(y, dtype=float)
        if np.any(np.isnan(levels)):
            raise InvalidParameterError("Virtual-type levels must not be NaN.", hint="Check the inputs for missing values.")
        grid = self._inverse_grid_cache if self._inverse_grid_cache is not None else self._inverse_grid()
        table = self._table(side, a)
        flat_y = levels.ravel()
        if flat_y.size <= _FEW and a < 1 and self._builtin_raw() and not self._flats(side, a):
            few = self._inverse_few(side, a, grid, table, flat_y)
            if few is not None:
                return few.reshape(levels.shape)[()] if levels.ndim == 0 else few.reshape(levels.shape)
        out = np.empty_like(flat_y)
        k = np.searchsorted(table, flat_y, side="left")
        below = k == 0
        above = k >= len(grid)
        out[below] = self.low
        out[above] = self.high
        todo = ~(below | above)
        tol = 1e-12 * self._scale
        for flat in self._flats(side, a):  # the smallest type on a flat is its left end
            on = todo & (np.abs(flat_y - flat.level) <= tol)
            out[on] = flat.low
            todo &= ~on
        exact = np.zeros_like(todo)
        exact[todo] = table[k[todo]] == flat_y[todo]
        out[exact] = grid[k[exact]]
        todo &= ~exact
        if np.any(todo):
            idx = k[todo]
            guess, error = self._guess_and_trust(side, a, grid, table, idx, flat_y[todo])
            if error is not None:
                take = (error <= _TRUSTED) & np.isfinite(guess) & (guess >= grid[idx - 1]) & (guess <= grid[idx])
                if np.any(take):
                    where = np.flatnonzero(todo)
                    out[where[take]] = guess[take]
                    todo[where[take]] = False
                    keep = ~take
                    idx, guess, error = idx[keep], guess[keep], error[keep]
        if np.any(todo):
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = (grid[idx] - grid[idx - 1]) / (table[idx] - table[idx - 1])  # dx/dy across the cell
            # where the cubic is poor (next to a pole of the virtual type), start from the pole model instead
            poor = np.ones(idx.size, dtype=bool) if error is None else ~(error <= _GOOD_START)
            if np.any(poor):
                pole_guess, pole_slope = self._pole_guess(side, a, grid, table, idx[poor], flat_y[todo][poor])
                use = np.isfinite(pole_guess) & (pole_guess >= grid[idx[poor] - 1]) & (pole_guess <= grid[idx[poor]])
                guess, slope = guess.copy(), slope.copy()
                guess[np.flatnonzero(poor)[use]] = pole_guess[use]
                slope[np.flatnonzero(poor)[use]] = pole_slope[use]
            out[todo] = self._illinois(
                side, a, flat_y[todo], grid[idx - 1], grid[idx], table[idx - 1], table[idx], guess=guess, slope=slope
            )
        out = np.minimum(np.maximum(out, self.low), self.high).reshape(levels.shape)
        return out[()] if out.ndim == 0 else out

    def _inverse_few(self, side: str, a: float, grid: np.ndarray, table: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """:meth:`_inverse` of a few levels (e.g. the breakpoints of a quadrature) in scalar arithmetic, or None.

        The same steps as the vectorized path for an unironed built-in virtual type, one level at a time: the
        table's bracket, the cubic guess through its four nodes, accepted as it is on a trusted cell (the test of
        :meth:`_guess_and_trust`) and otherwise when the virtual type there is within the tolerance at which
        :meth:`_illinois` stops (its first iterate). None when a level needs more (the caller then runs the
        vectorized path), so the results are those of that path.
        """
        n = len(grid)
        mid_ratio = self._ratio_cache.get((side, "mid ratio"))
        if mid_ratio is None:
            mid_ratio = self._ratio_cache[(side, "mid ratio")] = self._hazard_ratio(0.5 * (grid[1:] + grid[:-1]), side)
        out = np.empty(y.size)
        for q, level in enumerate(y.tolist()):
            k = int(np.searchsorted(table, level, side="left"))
            if k == 0 or k >= n:
                out[q] = self.low if k == 0 else self.high
                continue
            t_lo, t_hi = float(table[k - 1]), float(table[k])
            g_lo, g_hi = float(grid[k - 1]), float(grid[k])
            if t_hi == level:
                out[q] = g_hi
                continue
            f = min(max(k - 2, 0), n - 4)
            ys, xs = table[f:f + 4].tolist(), grid[f:f + 4].tolist()
            if not (all(math.isfinite(v) for v in ys) and ys[0] < ys[1] < ys[2] < ys[3]):
                return None
            guess = _lagrange4(xs, ys, level)
            if not (math.isfinite(guess) and g_lo <= guess <= g_hi):
                return None
            mid = 0.5 * (g_lo + g_hi)
            shift = (1.0 - a) * float(mid_ratio[k - 1])
            y_mid = mid - shift if side == "value" else mid + shift
            slope = (t_hi - t_lo) / (g_hi - g_lo)
            residual = abs(_lagrange4(xs, ys, y_mid) - mid) * slope
            if math.isfinite(residual) and math.isfinite(y_mid) and slope > 0 and \
                    residual <= 1e-13 * max(1.0, abs(y_mid)):
                out[q] = guess
                continue
            width = g_hi - g_lo
            trial = min(max(guess, g_lo + 1e-9 * width), g_hi - 1e-9 * width)
            dxdy = 1.0 / slope if 0.0 < slope < math.inf else 0.0
            found = self._few_steps(side, a, level, trial, dxdy, g_lo + 1e-9 * width, g_hi - 1e-9 * width)
            if found is None:
                return None
            out[q] = found
        return np.minimum(np.maximum(out, self.low), self.high)

    def _few_steps(self, side: str, a: float, level: float, trial: float, dxdy: float, lo: float,
                   hi: float) -> float | None:
        """The first iterates of :meth:`_illinois` from a guess, in scalar arithmetic: the guess, then a Newton step
        with the cell's slope dx/dy, then secant steps through the last two iterates, at most four evaluations,
        each kept inside [lo, hi]. Returns the first iterate where the virtual type is within the tolerance at
        which :meth:`_illinois` stops, or None."""
        ftol = 1e-11 * max(1.0, abs(level))
        x_prev = f_prev = math.nan
        x = trial
        for step in range(4):
            f = float(self._ironed(side, a, np.array([x]))[0]) - level
            if abs(f) <= ftol:
                return x
            if not math.isfinite(f):
                return None
            if step == 0:
                x_next = x - f * dxdy
            else:
                if f == f_prev:
                    return None
                x_next = x - f * (x - x_prev) / (f - f_prev)
            if not (lo <= x_next <= hi and math.isfinite(x_next)):
                return None
            x_prev, f_prev, x = x, f, x_next
        return None

    def _illinois(
        self,
        side: str,
        a: float | np.ndarray,
        y: np.ndarray,
        xl: np.ndarray,
        xr: np.ndarray,
        fl: np.ndarray,
        fr: np.ndarray,
        *,
        guess: np.ndarray | None = None,
        slope: np.ndarray | None = None,
    ) -> np.ndarray:
        """Solve ironed h(x) = y on brackets [xl, xr] with h(xl) < y <= h(xr) (Illinois regula falsi).

        The brackets are cells of the ironing grid, so the first secant step is already a linear interpolation
        of the tabulated type; convergence is superlinear and stops when the bracket is 1e-13 of the support
        length or the virtual type is within 1e-13 (relative) of y.
        """
        # Every level is solved by its own iterates; the arrays shrink to the levels still searched (most
        # converge in one or two steps), which does not change any level's iterates.
        out = np.empty(y.shape)
        idx = np.arange(y.size)
        xl, xr = xl.astype(float).copy(), xr.astype(float).copy()
        hl, hr = fl.astype(float), fr.astype(float)  # virtual types at the bracket ends (not halved)
        fl, fr = fl - y, fr - y
        last = np.zeros(y.shape, dtype=np.int8)  # which end moved last: -1 left, +1 right (Illinois)
        xtol = 1e-13 * self._scale
        ftol = 1e-11 * np.maximum(1.0, np.abs(y))
        yy = y
        # one weight ratio per level (the batched evaluations; unironed built-in families only) or one for all
        ratios = np.asarray(a, dtype=float)
        per_level = ratios.ndim > 0
        newton: np.ndarray | None = None
        usable: np.ndarray | None = None
        x_prev = f_prev = x_older = f_older = dxdy = exact = np.zeros(0)
        # the slope of the raw virtual type in closed form where the family has d log f / dx: Newton steps
        exact_slopes = self._builtin_raw() and (per_level or not self._flats(side, float(ratios)))
        for iteration in range(100):
            denom = fr - fl
            width = xr - xl
            # an infinite end value (a pole of the virtual type where a density vanishes): see _pole_step
            secant = np.isfinite(denom) & (denom > 0)
            if secant.all():
                step = xl - fl * width / denom
            else:
                step = self._pole_step(secant, xl, xr, fl, fr, hl, hr, yy, width, denom)
            if iteration == 0 and guess is not None:
                step = np.where(np.isfinite(guess), guess, step)
            elif iteration >= 1 and newton is not None:
                # From a close start, regula falsi against the far end of the cell is slow. Step instead by the
                # secant through the last two iterates (the first time: Newton with the cell's slope dx/dy),
                # whenever that stays inside the bracket: superlinear, and safeguarded by the bracket.
                with np.errstate(invalid="ignore", divide="ignore"):
                    if iteration == 1:
                        fast = x_prev - f_prev * dxdy
                    else:
                        fast = x_prev - f_prev * (x_prev - x_older) / (f_prev - f_older)
                    if exact.size:  # Newton with the exact slope at the last iterate, where it is known
                        fast = np.where(np.isfinite(exact), x_prev - f_prev * exact, fast)
                usable = newton & np.isfinite(fast) & (fast > xl) & (fast < xr)
                step = np.where(usable, fast, step)
            trial = np.minimum(np.maximum(step, xl + 1e-9 * width), xr - 1e-9 * width)
            if usable is not None:
                # a secant / Newton step from a close iterate is a tiny correction next to a bracket end: the
                # margin that keeps regula falsi off the ends would replace it by a step of 1e-9 of the bracket
                trial = np.where(usable, step, trial)
            h = self._raw_each(side, ratios, trial) if per_level else self._ironed(side, float(ratios), trial)
            f = h - yy
            if iteration == 0 and guess is not None and slope is not None:
                newton = np.isfinite(guess) & np.isfinite(slope) & (slope > 0) & np.isfinite(f)
                dxdy = np.where(np.isfinite(slope), slope, 0.0)
            if newton is not None:
                newton = newton & np.isfinite(f)
                x_older, f_older, x_prev, f_prev = x_prev, f_prev, trial, f
                if exact_slopes:
                    exact = self._exact_dxdy(side, ratios, trial, h)
            neg = f < 0
            pos = ~neg
            fr = np.where(neg & (last == -1), 0.5 * fr, fr)  # halve the stale end
            fl = np.where(pos & (last == 1), 0.5 * fl, fl)
            xl, fl, hl = np.where(neg, trial, xl), np.where(neg, f, fl), np.where(neg, h, hl)
            xr, fr, hr = np.where(pos, trial, xr), np.where(pos, f, fr), np.where(pos, h, hr)
            last = np.where(neg, -1, 1).astype(np.int8)
            done = (xr - xl <= xtol) | (np.abs(f) <= ftol)
            if newton is not None:
                # Next to a pole a step of one ulp in x can move the virtual type by more than ftol: such a level
                # is done once the Newton / secant correction is below a tenth of xtol (the bracket would
                # otherwise be shrunk to xtol by regula falsi steps, up to ten rounds)
                local = dxdy
                if iteration >= 1:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        secant_slope = np.abs((x_prev - x_older) / (f_prev - f_older))
                    local = np.where(np.isfinite(secant_slope), secant_slope, dxdy)
                if exact.size:
                    local = np.where(np.isfinite(exact), exact, local)
                with np.errstate(invalid="ignore"):  # inf * 0 at a pole: NaN compares False (not done)
                    done |= newton & (np.abs(f) * local <= 0.1 * xtol)
            out[idx[done]] = trial[done]
            keep = ~done
            if not keep.any():
                idx = idx[keep]
                break
            idx, xl, xr, fl, fr, hl, hr, last, ftol, yy = (
                idx[keep], xl[keep], xr[keep], fl[keep], fr[keep], hl[keep], hr[keep], last[keep], ftol[keep], yy[keep]
            )
            if per_level:
                ratios = ratios[keep]
            if newton is not None:
                newton, x_prev, f_prev, dxdy = newton[keep], x_prev[keep], f_prev[keep], dxdy[keep]
                if exact.size:
                    exact = exact[keep]
                if iteration >= 1:
                    x_older, f_older = x_older[keep], f_older[keep]
        if idx.size:
            warnings.warn(
                f"The inverse virtual type did not converge for {int(idx.size)} level(s); the bracket width is "
                f"{float(np.max(xr - xl)):.2g}.",
                AccuracyWarning,
                stacklevel=4,
            )
            out[idx] = 0.5 * (xl + xr)
        return out

    def _pole_guess(self, side: str, a: float, grid: np.ndarray, table: np.ndarray, idx: np.ndarray,
                    y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Guesses of the inverse at levels ``y`` (cells ``idx``) next to a pole of the virtual type, and the
        slope dx/dy there (NaN where the model does not apply).

        Where a density vanishes at an end of the support the virtual type has a pole there, roughly
        A / distance^k: the cubic in x against y through the table's four nodes is then poor (errors of 1e-2 of
        the distance to the pole), while the cubic in u = log(distance) against z = +-log(|virtual type|) is
        nearly linear (errors of 1e-6 to 1e-9 of the distance). Its derivative gives the slope for the root
        finder's Newton step: x = pole -+ e^u, dz/dy = 1/y, so dx/dy = -e^u (du/dz) / y on either side.
        Used in the quarter of the support next to the pole only.
        """
        n = len(grid)
        nan = np.full(y.shape, np.nan)
        if n < 6:
            return nan, nan
        if side == "cost":  # virtual cost -> +inf at the top of the support
            if not np.isposinf(table[-1]):
                return nan, nan
            pole, sign = self.high, 1.0
            first = np.clip(idx - 2, 0, n - 5)  # the stencil leaves out the pole's own node
        else:  # virtual value -> -inf at the bottom
            if not np.isneginf(table[0]):
                return nan, nan
            pole, sign = self.low, -1.0
            first = np.clip(idx - 2, 1, n - 4)
        near = np.abs(pole - grid[idx]) <= 0.25 * (self.high - self.low)
        nodes = first[:, None] + np.arange(4)
        step = 1e-4
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            u = np.log(np.abs(grid[nodes] - pole))
            z = sign * np.log(sign * table[nodes])  # increasing along the nodes on either side
            level = sign * np.log(sign * y)
            at, up, down = lagrange_rows(u, z, [level, level + step, level - step])
            x = pole - sign * np.exp(at)
            dxdy = -np.exp(at) * (up - down) / (2.0 * step) / y
            ok = near & np.isfinite(x) & np.isfinite(dxdy) & (dxdy > 0)
            ratios = self._ratio_cache.get((side, "ratio"))
            if ratios is not None and a < 1 and self._builtin_raw() and np.any(ok):
                # One step on the hazard ratio r = |y - x| / (1 - a) instead, whose log is nearly linear in
                # log(distance) even where the virtual type is not (a pole of order 1 and a weight near 1): the
                # guess's own error enters through dx/dr = distance / (k r), a factor of 1e-4 or less
                r_nodes = np.log(ratios[nodes])
                r_level = np.log(np.abs(y - x) / (1.0 - a))
                refined = pole - sign * np.exp(lagrange_rows(u, r_nodes if side == "cost" else -r_nodes,
                                                             [r_level if side == "cost" else -r_level])[0])
                x = np.where(np.isfinite(refined), refined, x)
        return np.where(ok, x, np.nan), np.where(ok, dxdy, np.nan)

    def _exact_dxdy(self, side: str, ratios: np.ndarray, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        """dx/dy of the raw weighted virtual type at x (whose values there are h), NaN where unknown; an empty
        array when the family has no closed-form d log f / dx.

        With s = 1 - a and r the hazard ratio, the virtual cost x + s F/f has slope 1 + s - s r (log f)' and the
        virtual value x - s (1 - F)/f slope 1 + s + s r (log f)'; s r is |h - x|, known from the evaluation.
        """
        dlog = self._dlogpdf_in(x)
        if dlog is None:
            return np.zeros(0)
        s = np.maximum(1.0 - ratios, 0.0)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            dydx = 1.0 + s - (h - x) * dlog if side == "cost" else 1.0 + s + (x - h) * dlog
            dxdy = 1.0 / dydx
        return np.where(np.isfinite(dxdy) & (dxdy > 0), dxdy, np.nan)

    def _dlogpdf_in(self, x: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError  # provided by TypeDistribution

    def _raw_each(self, side: str, ratios: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The unironed built-in virtual type x -+ (1 - a) r(x) with one ratio a per abscissa (the identity where
        a >= 1); r = (1 - F)/f for values, F/f for costs."""
        with np.errstate(invalid="ignore"):
            shift = np.where(ratios >= 1.0, 0.0, (1.0 - ratios) * self._hazard_ratio(x, side))
        return x - shift if side == "value" else x + shift

    def _guess_and_trust(self, side: str, a: float, grid: np.ndarray, table: np.ndarray, idx: np.ndarray,
                         y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Cubic guesses of the inverse at levels ``y`` (cells ``idx``) and the error of each cell's cubic (None
        when the check does not apply); a cell is trusted, i.e. needs no root finding, when it is at most
        ``_TRUSTED``.

        Only for the unironed virtual type of the built-in families (the table is then x -+ (1 - a) * ratio).
        The interpolant is checked where its error is largest, at the cell midpoint: the inverse interpolated at
        the virtual type of the midpoint is compared with the midpoint itself, and the error is that difference
        times the cell's slope dy/dx (the residual in the virtual type it implies) relative to the level (at
        least 1). Cells next to poles, at non-finite or non-increasing table values have an infinite error.
        Guesses and checks are one interpolation call.
        """
        if not self._builtin_raw() or self._flats(side, a) or a >= 1:
            return self._cubic_guess(side, a, grid, table, idx, y), None
        key = (side, a)
        if key in self._cell_error_cache or idx.size >= grid.size:
            # as many levels as cells: every cell's check once per ratio (kept for the ratio's later calls)
            if key not in self._cell_error_cache:
                cells = np.arange(1, grid.size)
                self._cell_error_cache[key] = self._cell_errors(side, a, grid, table, cells, None)[1]
            return self._cubic_guess(side, a, grid, table, idx, y), self._cell_error_cache[key][idx - 1]
        return self._cell_errors(side, a, grid, table, idx, y)

    def _cell_errors(self, side: str, a: float, grid: np.ndarray, table: np.ndarray, idx: np.ndarray,
                     y: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(cubic guesses at ``y``, or an empty array, and the check of each cell ``idx``) in one interpolation
        call (see :meth:`_guess_and_trust`)."""
        rkey = (side, "mid ratio")
        if rkey not in self._ratio_cache:
            self._ratio_cache[rkey] = self._hazard_ratio(0.5 * (grid[1:] + grid[:-1]), side)
        mid = 0.5 * (grid[idx - 1] + grid[idx])
        ratio = self._ratio_cache[rkey][idx - 1]
        y_mid = mid - (1.0 - a) * ratio if side == "value" else mid + (1.0 - a) * ratio
        if y is None:
            guess, x_mid = np.zeros(0), self._cubic_guess(side, a, grid, table, idx, y_mid)
        else:
            both = self._cubic_guess(side, a, grid, table, np.concatenate([idx, idx]), np.concatenate([y, y_mid]))
            guess, x_mid = both[: idx.size], both[idx.size:]
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            slope = (table[idx] - table[idx - 1]) / (grid[idx] - grid[idx - 1])
            error = np.abs(x_mid - mid) * slope / np.maximum(1.0, np.abs(y_mid))
            valid = np.isfinite(error) & np.isfinite(y_mid) & (slope > 0)
        return guess, np.where(valid, error, np.inf)

    def _cubic_guess(self, side: str, a: float, grid: np.ndarray, table: np.ndarray, idx: np.ndarray,
                     y: np.ndarray) -> np.ndarray:
        """:func:`_inverse_cubic_guess` with the Lagrange denominators of every stencil computed once per table.

        The stencil of cell k is the four table nodes from clip(k - 2, 0, n - 4); x(y) = sum_j c_j prod_{m != j}
        (y - y_m) with c_j = x_j / prod_{m != j} (y_j - y_m). NaN where the nodes are not finite and strictly
        increasing (the root finder then starts from its bracket).
        """
        key = (side, a)
        if key not in self._cubic_cache and idx.size < grid.size:
            # fewer levels than cells at a ratio not seen before: per level. The ratio changes with every
            # evaluation of a root search, so a table of every cell's coefficients is rarely used again (with up
            # to a quarter of the cells per level, as before, 1 x 8 markets rebuilt it in every call; valgrind:
            # 10% fewer instructions for the 1 x 8 market, 8% for 1 x 1, same guesses up to rounding)
            return _inverse_cubic_guess(grid, table, idx, y)
        if key not in self._cubic_cache:
            n = len(grid)
            first = np.arange(max(n - 3, 1))
            nodes = np.clip(first[:, None] + np.arange(4), 0, n - 1)
            ys, xs = table[nodes], grid[nodes]
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                ok = np.all(np.isfinite(ys), axis=1) & np.all(np.diff(ys, axis=1) > 0, axis=1)
                coef = np.empty_like(xs)
                for j in range(4):
                    denom = np.ones(len(first))
                    for m in range(4):
                        if m != j:
                            denom = denom * (ys[:, j] - ys[:, m])
                    coef[:, j] = xs[:, j] / denom
            self._cubic_cache[key] = (ok, np.where(ok[:, None], ys, 0.0), np.where(ok[:, None], coef, 0.0))
        ok_all, ys_all, coef_all = self._cubic_cache[key]
        first = np.clip(idx - 2, 0, len(grid) - 4)
        out = np.full(y.shape, np.nan)
        ok = ok_all[first]
        if not np.any(ok):
            return out
        f, t = first[ok], y[ok]
        d = t[:, None] - ys_all[f]
        c = coef_all[f]
        p01, p23 = d[:, 0] * d[:, 1], d[:, 2] * d[:, 3]
        out[ok] = c[:, 0] * d[:, 1] * p23 + c[:, 1] * d[:, 0] * p23 + c[:, 2] * p01 * d[:, 3] + c[:, 3] * p01 * d[:, 2]
        return out

    @staticmethod
    def _pole_step(
        secant: np.ndarray, xl: np.ndarray, xr: np.ndarray, fl: np.ndarray, fr: np.ndarray, hl: np.ndarray,
        hr: np.ndarray, y: np.ndarray, width: np.ndarray, denom: np.ndarray,
    ) -> np.ndarray:
        """Regula falsi where both end values are finite; elsewhere a step for an end at a pole, or bisection.

        An end value is infinite where a density vanishes at an end of the support: the virtual type has a
        pole there. Step to the root of the simple pole h(x) = h_finite * width / (distance to the pole) through
        the finite end (for a pole of higher order this lands between the root and the pole and gives a finite
        end), at least 1e-3 of the bracket away from the pole (a huge level, 1e30 for an infinite one, would
        otherwise put the step on the pole itself after rounding); bisect when that model does not apply.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            right_pole = np.isposinf(fr) & np.isfinite(fl) & (hl > 0) & (y > hl)
            left_pole = np.isneginf(fl) & np.isfinite(fr) & (hr < 0) & (y < hr)
            pole = np.where(right_pole, xr - width * np.maximum(hl / np.where(right_pole, y, 1.0), 1e-3),
                            xl + width * np.maximum(hr / np.where(left_pole, y, 1.0), 1e-3))
            fallback = np.where(right_pole | left_pole, pole, 0.5 * (xl + xr))
            return np.where(secant, xl - fl * width / np.where(secant, denom, 1.0), fallback)


def _lagrange4(xs: list[float], ys: list[float], y: float) -> float:
    """Cubic Lagrange interpolation x(y) through four points, in scalar arithmetic (as :func:`_inverse_cubic_guess`)."""
    y0, y1, y2, y3 = ys
    d0, d1, d2, d3 = y - y0, y - y1, y - y2, y - y3
    g01, g02, g03, g12, g13, g23 = y0 - y1, y0 - y2, y0 - y3, y1 - y2, y1 - y3, y2 - y3
    p01, p23 = d0 * d1, d2 * d3
    return (xs[0] * d1 * p23 / (g01 * g02 * g03) - xs[1] * d0 * p23 / (g01 * g12 * g13)
            + xs[2] * p01 * d3 / (g02 * g12 * g23) - xs[3] * p01 * d2 / (g03 * g13 * g23))


def _inverse_cubic_guess(grid: np.ndarray, table: np.ndarray, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cubic inverse interpolation x(y) through the four table nodes around each level (NaN where the nodes are
    not finite and strictly increasing): a start for the root finder that is usually already within 1e-11.

    Lagrange form x(y) = sum_j x_j prod_{m != j} (y - y_m) / (y_j - y_m), evaluated for all levels at once.
    """
    first = np.clip(idx - 2, 0, len(grid) - 4)
    nodes = first[:, None] + np.arange(4)[None, :]
    return lagrange_rows(grid[nodes], table[nodes], [np.asarray(y, dtype=float)])[0]


def lagrange_rows(xs: np.ndarray, ys: np.ndarray, levels: list[np.ndarray]) -> list[np.ndarray]:
    """Lagrange cubics x(y) through the four nodes (xs, ys) of each row, at each array of ``levels`` (NaN where
    the nodes are not finite and strictly increasing), with the six node differences written out."""
    # all level arrays in one pass (columns): on the short arrays of a root search each numpy call costs about
    # a microsecond whatever its length, so three arrays cost little more than one
    y0, y1, y2, y3 = ys[:, 0:1], ys[:, 1:2], ys[:, 2:3], ys[:, 3:4]
    y = np.column_stack(levels) if len(levels) > 1 else np.asarray(levels[0], dtype=float).reshape(-1, 1)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d01, d02, d03, d12, d13, d23 = y0 - y1, y0 - y2, y0 - y3, y1 - y2, y1 - y3, y2 - y3
        ok = np.isfinite(y0) & np.isfinite(y3) & (d01 < 0) & (d12 < 0) & (d23 < 0)
        c0 = xs[:, 0:1] / (d01 * d02 * d03)
        c1 = -xs[:, 1:2] / (d01 * d12 * d13)
        c2 = xs[:, 2:3] / (d02 * d12 * d23)
        c3 = -xs[:, 3:4] / (d03 * d13 * d23)
        e0, e1, e2, e3 = y - y0, y - y1, y - y2, y - y3
        out = np.where(ok, (c0 * e1 + c1 * e0) * (e2 * e3) + (c2 * e3 + c3 * e2) * (e0 * e1), np.nan)
    return [out[:, j] for j in range(out.shape[1])]
