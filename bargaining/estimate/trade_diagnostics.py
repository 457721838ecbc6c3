r"""Specification checks of the trade likelihood (:func:`bargaining.fit_incomplete`), as typed tests.

* Goodness of fit of the trade probabilities by cells of (v, c): the sample is cut into a grid of value and
  cost quantile bins; with :math:`O_g` trades and :math:`E_g = \sum_{i \in g} \hat p_i` expected trades in
  cell g, :math:`\sum_g (O_g - E_g)^2 / \sum_{i \in g} \hat p_i (1 - \hat p_i)` is compared with
  :math:`\chi^2(G - 2)` (two estimated parameters; Hosmer and Lemeshow's construction on cells of the
  observables instead of bins of the fitted probability). Cells with fewer than 10 negotiations are merged
  into their neighbour.
* The assumed type distributions against the observed values and costs: Kolmogorov-Smirnov tests of v
  against F and c against G (``scipy.stats.kstest``). With F and G estimated from the same data the
  p-values are conservative (Lilliefors); the note says so.
* Swapped columns: trade should become more likely as v - c grows; a negative correlation between trade and
  v - c (with most rows having v < c) is a warning that value and cost may be swapped.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats

from bargaining.errors import SpecificationWarning
from bargaining.estimate.hypotheses import InvalidTestStatistic, TestStatistic, chi2_test

__all__ = ["SMALL_SAMPLE", "distribution_tests", "fit_by_cells", "swapped_columns_warning"]

#: below this many negotiations the package's Monte Carlo shows normal intervals undercovering (0.83-0.89)
SMALL_SAMPLE = 500
_MIN_CELL = 10
_REJECT = 0.01


def fit_by_cells(
    traded: np.ndarray, probability: np.ndarray, value: np.ndarray, cost: np.ndarray, *, bins: int = 3
) -> TestStatistic:
    """Goodness-of-fit chi-square of the fitted trade probabilities on a bins x bins grid of (v, c)."""
    n = traded.size
    if n < 4 * _MIN_CELL:
        return InvalidTestStatistic(
            f"{n} negotiations are too few for cells of at least {_MIN_CELL}", name="fit by cells of (v, c)"
        )
    v_edges = np.quantile(value, np.linspace(0, 1, bins + 1)[1:-1])
    c_edges = np.quantile(cost, np.linspace(0, 1, bins + 1)[1:-1])
    cells = np.searchsorted(v_edges, value, side="right") * bins + np.searchsorted(c_edges, cost, side="right")
    # merge small cells into the next one (in cell order) so that every cell has enough negotiations
    order = np.unique(cells)
    mapping: dict[int, int] = {}
    current, count, group = None, 0, -1
    for cell in order:
        if current is None or count >= _MIN_CELL:
            group += 1
            current, count = cell, 0
        mapping[int(cell)] = group
        count += int(np.sum(cells == cell))
    codes = np.array([mapping[int(c)] for c in cells])
    if count < _MIN_CELL and group > 0:
        codes[codes == group] = group - 1
    n_cells = int(codes.max()) + 1
    observed = np.bincount(codes, weights=traded, minlength=n_cells)
    expected = np.bincount(codes, weights=probability, minlength=n_cells)
    variance = np.bincount(codes, weights=probability * (1 - probability), minlength=n_cells)
    df = n_cells - 2
    if df < 1 or np.any(variance <= 0):
        return InvalidTestStatistic(
            "too few cells with variation in the fitted probabilities", name="fit by cells of (v, c)"
        )
    statistic = float(np.sum((observed - expected) ** 2 / variance))
    return chi2_test(
        statistic, df, name="fit by cells of (v, c)", null="the fitted trade probabilities match trades in every cell"
    )


def distribution_tests(value: np.ndarray, cost: np.ndarray, value_dist: Any, cost_dist: Any) -> dict[str, TestStatistic]:
    """Kolmogorov-Smirnov tests of the values against F and the costs against G."""
    out: dict[str, TestStatistic] = {}
    for label, x, dist in (("F (values)", value, value_dist), ("G (costs)", cost, cost_dist)):
        def cdf(points: Any, d: Any = dist) -> Any:
            return np.asarray(d.cdf(points), dtype=float)

        result = stats.kstest(x, cdf)
        out[f"KS {label}"] = TestStatistic(
            f"Kolmogorov-Smirnov {label}",
            float(result.statistic),
            float(result.pvalue),
            distribution=f"KS({x.size})",
            df=None,
            null=f"the {'values' if label.startswith('F') else 'costs'} are drawn from the assumed distribution",
        )
    return out


def swapped_columns_warning(traded: np.ndarray, value: np.ndarray, cost: np.ndarray, *, stacklevel: int = 3) -> str | None:
    """Warn (and return the note) when trade falls as v - c rises and most rows have v < c."""
    gap = value - cost
    if np.ptp(gap) == 0 or np.ptp(traded) == 0:
        return None
    correlation = float(np.corrcoef(traded, gap)[0, 1])
    below = float(np.mean(gap < 0))
    if correlation < 0 and below > 0.5:
        message = (
            f"trade is less likely the larger value - cost is (correlation {correlation:.2f}) and "
            f"{below:.0%} of the rows have value below cost: are the value and cost columns swapped?"
        )
        warnings.warn(message, SpecificationWarning, stacklevel=stacklevel)
        return message[0].upper() + message[1:]
    return None


def rejection_notes(tests: dict[str, TestStatistic], *, stacklevel: int = 3) -> list[str]:
    """A warning and a note for every valid test that rejects at the 1% level."""
    notes = []
    for test in tests.values():
        if test.valid and test.pvalue < _REJECT:
            message = f"{test.name} rejects at the 1% level (p = {test.pvalue:.4f}): the model may be misspecified"
            warnings.warn(message, SpecificationWarning, stacklevel=stacklevel)
            notes.append(message[0].upper() + message[1:] + ".")
    return notes
