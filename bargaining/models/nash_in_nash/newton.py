"""Newton's method on the Nash-in-Nash price conditions: the batched evaluation behind
:meth:`NashInNashPrices.solve` (``method="newton"``) and the analytic interfaces :class:`LinearThreatPoints`
and :class:`NashTerms`.

For bundle b (seller unit S, buyer unit B, own price x_b) the solver works with the Nash step

    t_b(x) = -(b_S g_B / d_B + b_B g_S / d_S) / (b_S + b_B),

g_U = pi_U(G, x) - pi_U(G minus b, x_{-b}) the gains, d_U their slopes in x_b; t(x) = 0 are the Nash
conditions of every bundle at once (module :mod:`.prices`). Three ways to get t and its Jacobian:

* **Linear**: the profit object defines ``linear_system(bundles)`` returning :class:`LinearThreatPoints`,
  the per-unit threat points affine in the prices, C(x) = c0 + C x and V(x) = v0 + V x. Then
  t(x) = C(x) + beta (V(x) - C(x)) - x and the equilibrium solves one linear system
  [I - diag(1 - beta) C - diag(beta) V] x = (1 - beta) c0 + beta v0 (Newton converges in one step).
* **Analytic gains**: the profit object defines ``nash_terms(bundles, prices)`` returning :class:`NashTerms`,
  the gains and own-price slopes with their Jacobians in the prices (Newton with the exact Jacobian).
* **Payoffs only as functions** (:class:`BatchedNashConditions`): one sweep of payoff calls evaluates t at
  all bundles (each unit's profit at G once; per bundle, each side at G minus b and at x_b +- h). The first
  sweep records which prices each unit's profit reads (the prices mapping passed to the function tracks its
  keys), which gives the sparsity of the Jacobian of t: row b depends on the prices read by S and B. Columns
  that share no row are perturbed together (greedy colouring, Curtis, Powell and Reid 1974), so the Jacobian
  by forward differences costs one residual evaluation per colour on the rows the colour touches, not one per
  price: on M markets of fixed size the colours do not grow with M and the cost is linear in the number of
  agreements (at the perturbed prices the own-price slopes are one-sided, corrected by the base point's
  central-minus-one-sided difference). Newton reuses a Jacobian while each step cuts max |t| at least
  tenfold, and backtracks along the Newton direction otherwise. The recorded sparsity only decides which
  differences are taken; the residual is always
  evaluated in full, so a profit function that reads prices it did not read at the start can slow Newton
  down but not change the answer.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse import linalg as sparse_linalg

from bargaining.errors import InvalidParameterError
from bargaining.models.nash_in_nash.network import Pair, finite

if TYPE_CHECKING:
    from bargaining.models.nash_in_nash.prices import NashInNashPrices

__all__ = ["AnalyticNashConditions", "BatchedNashConditions", "LinearThreatPoints", "NashTerms"]


@dataclass(frozen=True)
class LinearThreatPoints:
    """Per-unit threat points affine in the prices: what a profit object linear in prices tells the solver.

    For bundles b = 1..n (in the order the solver passes to ``linear_system(bundles)``), with x the vector
    of bundle prices, the seller side's gain from bundle b is ``seller_slope[b] (x_b - C_b(x))`` and the
    buyer side's ``buyer_slope[b] (x_b - V_b(x))`` (``seller_slope > 0 > buyer_slope``; for per-unit
    prices both are +-q_b, the units traded), where

        C(x) = seller_cost + seller_cost_prices @ x,    V(x) = buyer_value + buyer_value_prices @ x.

    C is the seller's cost per unit including the margins it recaptures elsewhere, V the buyer's value per
    unit including the payments that shift to other sellers; both matrices have a zero diagonal. With
    beta_b = b_S / (b_S + b_B) the Nash-in-Nash prices solve x = C(x) + beta (V(x) - C(x)):

        [I - diag(1 - beta) seller_cost_prices - diag(beta) buyer_value_prices] x
            = (1 - beta) seller_cost + beta buyer_value.

    Parameters
    ----------
    seller_cost, buyer_value, seller_slope, buyer_slope
        Arrays of shape (n,).
    seller_cost_prices, buyer_value_prices
        (n, n) arrays or scipy sparse matrices.

    Examples
    --------
    Two hospitals selling to one insurer; when one drops out half of its patients go to the other, so the
    insurer's value per patient of h1 is V = 5 + 0.5 p_2 (see the user guide's two-hospital example):

    >>> import numpy as np
    >>> terms = LinearThreatPoints(
    ...     seller_cost=np.array([2.0, 2.0]), seller_cost_prices=np.zeros((2, 2)),
    ...     buyer_value=np.array([5.0, 5.0]), buyer_value_prices=np.array([[0.0, 0.5], [0.5, 0.0]]),
    ...     seller_slope=np.array([100.0, 100.0]), buyer_slope=np.array([-100.0, -100.0]))
    >>> terms.solve(np.array([0.5, 0.5])).round(6).tolist()  # p = 14/3
    [4.666667, 4.666667]
    """

    seller_cost: np.ndarray
    seller_cost_prices: Any
    buyer_value: np.ndarray
    buyer_value_prices: Any
    seller_slope: np.ndarray
    buyer_slope: np.ndarray

    def __post_init__(self) -> None:
        n = np.shape(self.seller_cost)[0] if np.ndim(self.seller_cost) == 1 else -1
        for name in ("seller_cost", "buyer_value", "seller_slope", "buyer_slope"):
            value = np.asarray(getattr(self, name), dtype=float)
            if value.shape != (n,) or not np.all(np.isfinite(value)):
                raise InvalidParameterError(
                    f"LinearThreatPoints.{name} must be a finite array of shape (n,), got shape "
                    f"{value.shape}.",
                    hint="one entry per bundle, in the order of the bundles passed to linear_system.",
                )
            object.__setattr__(self, name, value)
        for name in ("seller_cost_prices", "buyer_value_prices"):
            value = getattr(self, name)
            if not sparse.issparse(value):
                value = np.asarray(value, dtype=float)
            if value.shape != (n, n):
                raise InvalidParameterError(
                    f"LinearThreatPoints.{name} must have shape ({n}, {n}), got {value.shape}.",
                    hint="one row and one column per bundle.",
                )
            object.__setattr__(self, name, value)

    def threat_points(self, prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """C(x) and V(x) at the bundle prices x."""
        return (
            self.seller_cost + self.seller_cost_prices @ prices,
            self.buyer_value + self.buyer_value_prices @ prices,
        )

    def steps(self, prices: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """The Nash step t(x) = C(x) + beta (V(x) - C(x)) - x."""
        cost, value = self.threat_points(prices)
        return cost + beta * (value - cost) - prices

    def solve(self, beta: np.ndarray) -> np.ndarray:
        """The prices solving t(x) = 0: one linear system, split into its independent blocks (for example
        markets), blocks of equal size solved together by one batched ``numpy.linalg.solve``."""
        beta = np.asarray(beta, dtype=float)
        n = beta.shape[0]
        rhs = (1.0 - beta) * self.seller_cost + beta * self.buyer_value
        cost = _coo(self.seller_cost_prices)
        value = _coo(self.buyer_value_prices)
        diagonal = np.arange(n)
        rows = np.concatenate([diagonal, cost.row, value.row])
        cols = np.concatenate([diagonal, cost.col, value.col])
        data = np.concatenate(
            [np.ones(n), -(1.0 - beta)[cost.row] * cost.data, -beta[value.row] * value.data]
        )
        keep = data != 0
        rows, cols, data = rows[keep], cols[keep], data[keep]
        count, component = _components(rows, cols, n)
        sizes = np.bincount(component, minlength=count)
        if sizes.max() > 2000:
            matrix = sparse.csc_matrix((data, (rows, cols)), shape=(n, n))
            return np.asarray(sparse_linalg.spsolve(matrix, rhs), dtype=float).reshape(n)
        order = np.argsort(component, kind="stable")
        start = np.concatenate([[0], np.cumsum(sizes)])
        local = np.empty(n, dtype=int)
        local[order] = np.arange(n) - start[component[order]]
        out = np.empty(n)
        for size in np.unique(sizes):
            blocks = np.flatnonzero(sizes == size)  # components of this size
            slot = np.full(count, -1)
            slot[blocks] = np.arange(blocks.shape[0])
            members = order[(start[blocks][:, None] + np.arange(size)[None, :]).ravel()].reshape(-1, size)
            matrices = np.zeros((blocks.shape[0], size, size))
            mine = slot[component[rows]] >= 0
            np.add.at(
                matrices, (slot[component[rows[mine]]], local[rows[mine]], local[cols[mine]]), data[mine]
            )
            out[members] = np.linalg.solve(matrices, rhs[members][..., None])[..., 0]
        return out


def _components(rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[int, np.ndarray]:
    """Connected components of the graph with edges rows[e] - cols[e]: smallest-label propagation (a few
    sweeps when the blocks are small and dense, as markets are), ``scipy.sparse.csgraph`` beyond 30 sweeps."""
    label = np.arange(n)
    for _ in range(30):
        before = label.copy()
        np.minimum.at(label, rows, label[cols])
        np.minimum.at(label, cols, label[rows])
        label = label[label]
        if np.array_equal(label, before):
            _, inverse = np.unique(label, return_inverse=True)
            return int(inverse.max()) + 1 if n else 0, np.asarray(inverse).reshape(n)
    pattern = sparse.csr_matrix((np.ones(rows.shape[0]), (rows, cols)), shape=(n, n))
    count, component = csgraph.connected_components(pattern, directed=True, connection="weak")
    return int(count), np.asarray(component)


def _coo(matrix: Any) -> sparse.coo_matrix:
    return matrix if isinstance(matrix, sparse.coo_matrix) else sparse.coo_matrix(matrix)


@dataclass(frozen=True)
class NashTerms:
    """Gains g and own-price slopes d of each side of every bundle at one price vector x, and optionally their
    Jacobians: what a profit object with analytic gains returns from ``nash_terms(bundles, prices)``.

    For bundle b (seller unit S, buyer unit B): ``gain_seller[b]`` = pi_S(G, x) - pi_S(G minus b, x_{-b}),
    ``gain_buyer[b]`` likewise, ``slope_seller[b]`` and ``slope_buyer[b]`` their derivatives in the bundle's
    own price x_b (> 0 and < 0). ``jacobian_gain_seller[b, c]`` = d gain_seller[b] / d x_c (shape (n, n),
    dense or scipy sparse), and so on; the slopes' Jacobians may be ``None`` (taken as 0: Newton then converges
    linearly where the slopes move with the prices, and the residual is still exact).

    Parameters
    ----------
    gain_seller, gain_buyer, slope_seller, slope_buyer
        Arrays of shape (n,).
    jacobian_gain_seller, jacobian_gain_buyer, jacobian_slope_seller, jacobian_slope_buyer
        (n, n) arrays or sparse matrices, or ``None``.

    Examples
    --------
    One seller and one buyer, quantity 10 - p, cost 2: g_S = (p - 2)(10 - p), g_B = (10 - p)^2 / 2.

    >>> import numpy as np
    >>> p = np.array([5.0])
    >>> terms = NashTerms(gain_seller=(p - 2) * (10 - p), gain_buyer=(10 - p) ** 2 / 2,
    ...                   slope_seller=12 - 2 * p, slope_buyer=-(10 - p))
    >>> # weights 2 (seller) and 1: the linearized Nash split moves p from 5 toward the answer 14/3
    >>> terms.steps(np.array([2.0]), np.array([1.0])).round(6).tolist()
    [-0.833333]
    """

    gain_seller: np.ndarray
    gain_buyer: np.ndarray
    slope_seller: np.ndarray
    slope_buyer: np.ndarray
    jacobian_gain_seller: Any = None
    jacobian_gain_buyer: Any = None
    jacobian_slope_seller: Any = None
    jacobian_slope_buyer: Any = None

    def jacobian(self, b_seller: np.ndarray, b_buyer: np.ndarray) -> sparse.csc_matrix:
        """dt/dx from the Jacobians of the gains and slopes (zero where a Jacobian is None):
        dt_b = -(b_S (dg_B / d_B - g_B dd_B / d_B^2) + b_B (dg_S / d_S - g_S dd_S / d_S^2)) / (b_S + b_B)."""
        n = self.gain_seller.shape[0]

        def part(matrix: Any, gain: np.ndarray, slope: np.ndarray, slope_matrix: Any) -> Any:
            out = sparse.csr_matrix((n, n)) if matrix is None else sparse.csr_matrix(matrix)
            out = sparse.diags(1.0 / slope) @ out
            if slope_matrix is not None:
                out = out - sparse.diags(gain / slope**2) @ sparse.csr_matrix(slope_matrix)
            return out

        total = sparse.diags(b_seller) @ part(
            self.jacobian_gain_buyer, self.gain_buyer, self.slope_buyer, self.jacobian_slope_buyer
        ) + sparse.diags(b_buyer) @ part(
            self.jacobian_gain_seller, self.gain_seller, self.slope_seller, self.jacobian_slope_seller
        )
        return sparse.csc_matrix(-(sparse.diags(1.0 / (b_seller + b_buyer)) @ total))

    def steps(self, b_seller: np.ndarray, b_buyer: np.ndarray) -> np.ndarray:
        """t = -(b_S g_B / d_B + b_B g_S / d_S) / (b_S + b_B)."""
        return -(
            b_seller * self.gain_buyer / self.slope_buyer + b_buyer * self.gain_seller / self.slope_seller
        ) / (b_seller + b_buyer)


class WrongSlopeError(InvalidParameterError):
    """A bundle's price does not raise the seller's profit and lower the buyer's at the prices evaluated."""


class _ReadTracker(dict):
    """A dict of prices that records the keys a profit function reads (``everything`` when it iterates)."""

    def __init__(self, data: dict) -> None:
        super().__init__(data)
        self._record: set = set()  # switched to the calling unit's set before each call

    def __getitem__(self, key: Any) -> Any:
        self._record.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._record.add(key)
        return super().get(key, default)

    def _all(self) -> None:
        self._record.add(_EVERYTHING)

    def __iter__(self) -> Iterator[Any]:
        self._all()
        return super().__iter__()

    def keys(self) -> Any:
        self._all()
        return super().keys()

    def values(self) -> Any:
        self._all()
        return super().values()

    def items(self) -> Any:
        self._all()
        return super().items()

    def copy(self) -> dict:
        self._all()
        return dict(super().items())


_EVERYTHING = object()


class BatchedNashConditions:
    """Evaluate the Nash steps t(x) of all bundles with one sweep of payoff calls, and their Jacobian by
    finite differences over groups of prices that share no bundle (see the module doc).

    Parameters
    ----------
    model
        The :class:`NashInNashPrices` whose profit function is called.
    step
        Relative step h = step * max(1, |x_b|) of the central differences for the own-price slopes.
    """

    def __init__(self, model: NashInNashPrices, step: float) -> None:
        self.model = model
        net = model.network
        self.step = step
        self.bundles = net.bundles
        self.n = len(net.bundles)
        self.sellers = [b.seller for b in net.bundles]
        self.buyers = [b.buyer for b in net.bundles]
        self.b_seller = np.array([net.weights[s] for s in self.sellers])
        self.b_buyer = np.array([net.weights[b] for b in self.buyers])
        self.index_of_pair: dict[Pair, int] = {p: k for k, b in enumerate(net.bundles) for p in b.pairs}
        self._without: dict[int, frozenset] = {}
        self.calls = 0
        self.reads: dict[Hashable, set] | None = None
        # the last full evaluation: prices, unit profits at G, profits at x + h e_b per side, central slopes
        self._record: tuple[np.ndarray, dict[Hashable, float], np.ndarray, np.ndarray] | None = None
        self._pattern: tuple[list[list[int]], list[list[int]], list[list[int]]] | None = None

    # -- payoff calls
    def _base(self, x: np.ndarray) -> dict[Pair, float]:
        """The prices at x as the dict the profit function receives (one per point, changed in place for
        the bundles' variations and restored; recording reads while the sparsity is learnt)."""
        prices = {pair: 0.0 for pair in self.model.network.internal}
        for value, bundle in zip(x.tolist(), self.bundles, strict=True):
            for pair in bundle.pairs:
                prices[pair] = value
        return prices if self.reads is None else _ReadTracker(prices)

    def _without_bundle(self, k: int) -> frozenset:
        """G minus bundle k; kept for up to 1,500 bundles (n sets of n pairs: about 100 MB at 1,500; beyond,
        each is rebuilt when needed, O(n) in C)."""
        if k in self._without:
            return self._without[k]
        agreements = self.model.network.full - frozenset(self.bundles[k].pairs)
        if self.n <= 1500:
            self._without[k] = agreements
        return agreements

    def _unit(self, unit: Hashable, agreements: frozenset, prices: dict[Pair, float]) -> float:
        net = self.model.network
        profit = self.model._profit
        total = 0.0
        if self.reads is not None and isinstance(prices, _ReadTracker):
            prices._record = self.reads.setdefault(unit, set())
        for member in net.members[unit]:
            total += finite(profit(member, agreements, prices), f"profit({member!r}, ...)")
            self.calls += 1
        return total

    def terms(
        self,
        x: np.ndarray,
        rows: Sequence[int] | None = None,
        steps: np.ndarray | None = None,
        check: bool = True,
    ) -> NashTerms:
        """Gains and own-price slopes of the bundles ``rows`` (default all) at prices x; ``steps`` fixes the
        central-difference steps (default step * max(1, |x_b|))."""
        record = rows is None and steps is None
        rows = range(self.n) if rows is None else rows
        net = self.model.network
        full = net.full
        base = self._base(x)
        at_full: dict[Hashable, float] = {}
        out = np.empty((4, len(rows)))
        ups = np.empty((2, len(rows)))
        for position, k in enumerate(rows):
            bundle = self.bundles[k]
            h = self.step * max(1.0, abs(float(x[k]))) if steps is None else float(steps[k])
            sides = (bundle.seller, bundle.buyer)
            for unit in sides:
                if unit not in at_full:
                    at_full[unit] = self._unit(unit, full, base)
            without = self._without_profits(k, sides, base)
            up = self._shifted_profits(k, sides, base, h)
            down = self._shifted_profits(k, sides, base, -h)
            for side, unit in enumerate(sides):
                out[side, position] = at_full[unit] - without[side]
                ups[side, position] = up[side]
                out[2 + side, position] = (up[side] - down[side]) / (2 * h)
            if check and not (out[2, position] > 0 and out[3, position] < 0):
                raise WrongSlopeError(
                    f"in {bundle.label} the price does not raise the seller's profit and lower the buyer's "
                    f"(slopes {out[2, position]:.6g} and {out[3, position]:.6g}).",
                    hint="check that each pair is (seller, buyer) and that its quantity is positive.",
                )
        if record:  # what the Jacobian's one-sided slopes are corrected with
            self._record = (x.copy(), at_full, ups, out[2:].copy())
        return NashTerms(out[0], out[1], out[2], out[3])

    def _moved_steps(self, x: np.ndarray, rows: list[int], h: np.ndarray) -> np.ndarray:
        """t at x (a perturbation of the recorded prices) for ``rows``, with each slope computed one-sided,
        (pi(x + h e_b) - pi(x)) / h, plus the recorded point's difference between its central and one-sided
        slopes: the central slope up to O(|x - recorded| h) at two payoff calls less per row and side."""
        if self._record is None:
            raise RuntimeError("no recorded evaluation")  # pragma: no cover - internal misuse
        _, recorded_full, recorded_up, recorded_slope = self._record
        full = self.model.network.full
        base = self._base(x)
        at_full: dict[Hashable, float] = {}
        out = np.empty((4, len(rows)))
        for position, k in enumerate(rows):
            bundle = self.bundles[k]
            sides = (bundle.seller, bundle.buyer)
            for unit in sides:
                if unit not in at_full:
                    at_full[unit] = self._unit(unit, full, base)
            without = self._without_profits(k, sides, base)
            up = self._shifted_profits(k, sides, base, float(h[k]))
            for side, unit in enumerate(sides):
                out[side, position] = at_full[unit] - without[side]
                forward = (up[side] - at_full[unit]) / h[k]
                recorded_forward = (recorded_up[side, k] - recorded_full[unit]) / h[k]
                out[2 + side, position] = forward + (recorded_slope[side, k] - recorded_forward)
        terms = NashTerms(out[0], out[1], out[2], out[3])
        return terms.steps(self.b_seller[rows], self.b_buyer[rows])

    def _without_profits(self, k: int, units: tuple, prices: dict[Pair, float]) -> list[float]:
        """The units' profits at G minus bundle k, its pairs taken out of ``prices`` and put back after (no
        copy of the n prices per bundle)."""
        saved = [(pair, prices.pop(pair)) for pair in self.bundles[k].pairs]
        try:
            agreements = self._without_bundle(k)
            return [self._unit(unit, agreements, prices) for unit in units]
        finally:
            prices.update(saved)

    def _shifted_profits(self, k: int, units: tuple, prices: dict[Pair, float], shift: float) -> list[float]:
        """The units' profits at G with bundle k's price moved by ``shift`` (in place, restored after)."""
        pairs = self.bundles[k].pairs
        saved = [prices[pair] for pair in pairs]
        try:
            for pair, value in zip(pairs, saved, strict=True):
                prices[pair] = value + shift
            return [self._unit(unit, self.model.network.full, prices) for unit in units]
        finally:
            for pair, value in zip(pairs, saved, strict=True):
                prices[pair] = value

    def unit_profits(self, x: np.ndarray) -> list[float]:
        """Each unit's profit at G and prices x."""
        base = self._base(x)
        return [self._unit(unit, self.model.network.full, base) for unit in self.model.network.units]

    def steps(
        self, x: np.ndarray, rows: Sequence[int] | None = None, steps: np.ndarray | None = None
    ) -> np.ndarray:
        rows_list = list(range(self.n)) if rows is None else list(rows)
        terms = self.terms(x, None if rows is None else rows_list, steps)
        return terms.steps(self.b_seller[rows_list], self.b_buyer[rows_list])

    # -- sparsity and Jacobian
    def learn_pattern(self, x: np.ndarray) -> np.ndarray:
        """Evaluate t(x) while recording the prices each unit reads; returns t(x)."""
        self.reads = {}
        try:
            t = self.steps(x)
        finally:
            reads, self.reads = self.reads, None
        everything = set(range(self.n))
        depends: dict[Hashable, set[int]] = {}
        for unit, keys in reads.items():
            if _EVERYTHING in keys:
                depends[unit] = everything
            else:
                depends[unit] = {self.index_of_pair[key] for key in keys if key in self.index_of_pair}
        row_cols = [
            sorted({k} | depends.get(self.sellers[k], set()) | depends.get(self.buyers[k], set()))
            for k in range(self.n)
        ]
        col_rows: list[list[int]] = [[] for _ in range(self.n)]
        for row, cols in enumerate(row_cols):
            for col in cols:
                col_rows[col].append(row)
        colour = [-1] * self.n
        row_colours: list[set[int]] = [set() for _ in range(self.n)]
        for col in sorted(range(self.n), key=lambda c: -len(col_rows[c])):
            taken: set[int] = set()
            for row in col_rows[col]:
                taken |= row_colours[row]
            chosen = 0
            while chosen in taken:
                chosen += 1
            colour[col] = chosen
            for row in col_rows[col]:
                row_colours[row].add(chosen)
        groups: list[list[int]] = [[] for _ in range(max(colour) + 1)]
        for col, chosen in enumerate(colour):
            groups[chosen].append(col)
        self._pattern = (row_cols, col_rows, groups)
        return t

    @property
    def colours(self) -> int:
        return 0 if self._pattern is None else len(self._pattern[2])

    def jacobian(self, x: np.ndarray, t: np.ndarray) -> sparse.csc_matrix:
        """dt/dx by forward differences (steps 1e-3 max(1, |x_c|): t itself holds central differences, whose
        rounding noise a smaller step would amplify), one evaluation per colour group on the rows it
        touches; a sparse matrix."""
        if self._pattern is None:
            raise RuntimeError("learn_pattern first")  # pragma: no cover - internal misuse
        _, col_rows, groups = self._pattern
        inner = self.step * np.maximum(1.0, np.abs(x))  # the steps t was evaluated with, held fixed
        all_rows: list[int] = []
        all_cols: list[int] = []
        values: list[float] = []
        for group in groups:
            delta = np.zeros(self.n)
            rows: list[int] = []
            cols: list[int] = []
            for col in group:
                delta[col] = 1e-3 * max(1.0, abs(float(x[col])))
                rows.extend(col_rows[col])
                cols.extend([col] * len(col_rows[col]))
            if self._record is not None and np.array_equal(self._record[0], x):
                moved = self._moved_steps(x + delta, rows, inner)
            else:
                moved = self.steps(x + delta, rows, steps=inner)
            all_rows.extend(rows)
            all_cols.extend(cols)
            values.extend(((moved - t[rows]) / delta[cols]).tolist())
        return sparse.csc_matrix((values, (all_rows, all_cols)), shape=(self.n, self.n))


class AnalyticNashConditions:
    """The Nash steps t(x) and their Jacobian from a profit object's ``nash_terms(bundles, prices)``."""

    def __init__(self, provider: Any, bundles: tuple, b_seller: np.ndarray, b_buyer: np.ndarray) -> None:
        self.provider = provider
        self.bundles = bundles
        self.b_seller = b_seller
        self.b_buyer = b_buyer
        self.n = len(bundles)

    def terms(self, x: np.ndarray, rows: Sequence[int] | None = None) -> NashTerms:
        terms = self.provider(self.bundles, np.array(x, dtype=float))
        if not isinstance(terms, NashTerms):
            raise InvalidParameterError(
                f"profit.nash_terms returned {type(terms).__name__}, not NashTerms.",
                hint="return NashTerms(gain_seller=..., gain_buyer=..., slope_seller=..., slope_buyer=..., "
                "jacobian_gain_seller=..., jacobian_gain_buyer=...).",
            )
        for name in ("gain_seller", "gain_buyer", "slope_seller", "slope_buyer"):
            if np.shape(getattr(terms, name)) != (self.n,):
                raise InvalidParameterError(
                    f"profit.nash_terms returned {name} of shape {np.shape(getattr(terms, name))} for "
                    f"{self.n} bundles.",
                    hint="one entry per bundle passed to nash_terms, in that order.",
                )
        if not (np.all(terms.slope_seller > 0) and np.all(terms.slope_buyer < 0)):
            raise WrongSlopeError(
                "profit.nash_terms has a bundle whose price does not raise the seller's profit and lower the "
                "buyer's.",
                hint="slope_seller must be > 0 and slope_buyer < 0.",
            )
        self._last = (np.array(x, dtype=float), terms)
        return terms

    def learn_pattern(self, x: np.ndarray) -> np.ndarray:
        return self.steps(x)

    def steps(self, x: np.ndarray) -> np.ndarray:
        return self.terms(x).steps(self.b_seller, self.b_buyer)

    def jacobian(self, x: np.ndarray, t: np.ndarray) -> sparse.csc_matrix:
        last_x, terms = self._last
        if not np.array_equal(last_x, x):
            terms = self.terms(x)
        if terms.jacobian_gain_seller is None or terms.jacobian_gain_buyer is None:
            raise InvalidParameterError(
                "profit.nash_terms returned no jacobian_gain_seller or jacobian_gain_buyer.",
                hint="give the Jacobians of the gains, or drop nash_terms to use finite differences.",
            )
        return terms.jacobian(self.b_seller, self.b_buyer)


def newton(
    conditions: BatchedNashConditions | AnalyticNashConditions,
    x: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    reuse_jacobian: bool = True,
) -> tuple[np.ndarray, np.ndarray, int, bool, str]:
    """Newton's method with backtracking on t(x) = 0; with ``reuse_jacobian`` the Jacobian is rebuilt only
    when the last step reduced max |t| by less than a factor 10 (chord steps otherwise).

    Returns x, t(x), iterations, converged, and a message.
    """
    t = conditions.learn_pattern(x)
    factor: Any = None
    iterations = 0
    last_ratio = 1.0

    def scale(prices: np.ndarray) -> float:
        return max(1.0, float(np.max(np.abs(prices))))

    while True:
        residual = float(np.max(np.abs(t)))
        if not math.isfinite(residual):
            return x, t, iterations, False, "the Nash conditions are not finite"
        if residual <= tol * scale(x):
            return x, t, iterations, True, "converged"
        if iterations >= max_iter:
            return x, t, iterations, False, f"{max_iter} Newton iterations reached"
        iterations += 1
        if factor is None or last_ratio > 0.1 or not reuse_jacobian:
            jac = conditions.jacobian(x, t)
            if not np.all(np.isfinite(jac.data)):
                return x, t, iterations, False, "the Jacobian of the Nash conditions is not finite"
            try:
                factor = sparse_linalg.splu(jac)
            except RuntimeError:
                return x, t, iterations, False, "the Jacobian of the Nash conditions is singular"
            fresh = True
        else:
            fresh = False
        direction = -factor.solve(t)
        accepted = False
        for halving in range(30):
            trial = x + 0.5**halving * direction
            try:
                trial_t = conditions.steps(trial)
            except WrongSlopeError:  # the full step left the region where the Nash problem is defined
                trial_residual = math.inf
                continue
            trial_residual = float(np.max(np.abs(trial_t)))
            if math.isfinite(trial_residual) and trial_residual < (1 - 1e-4 * 0.5**halving) * residual:
                accepted = True
                break
            if not fresh:
                break
        if not accepted:
            if not fresh:
                factor = None  # chord step failed: retry with a fresh Jacobian
                last_ratio = 1.0
                continue
            return x, t, iterations, False, "no step along the Newton direction reduces the Nash conditions"
        last_ratio = trial_residual / residual
        x, t = trial, trial_t
