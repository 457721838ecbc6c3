r"""Cell moments of trades and prices under a declared price rule, as a minimum-distance model.

For every cell g (a group of negotiations) the data give the trade rate, and the mean, variance and third
central moment of the price among trades; the price rule (:mod:`bargaining.models.price_rules`, through
:meth:`~bargaining.models.price_rules.PriceRule.cell_moments`) gives the model's. :class:`PriceRuleMoments`
implements :class:`~bargaining.models.protocols.MinimumDistanceModel`.

Influence functions of the sample moments (cells are independent samples): for a cell with :math:`n_g`
negotiations and :math:`N_g` trades, trade rate :math:`(t_i - P)/n_g`; mean price :math:`t_i (p_i - \mu)/N_g`;
variance :math:`t_i((p_i - \mu)^2 - s^2)/N_g`; third moment :math:`t_i((p_i - \mu)^3 - k_3 - 3 s^2 (p_i -
\mu))/N_g`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from bargaining.models.price_rules import MOMENT_NAMES, MomentSetting, PriceRule

__all__ = ["PriceRuleMoments", "cell_moments"]


def cell_moments(
    traded: np.ndarray,
    price: np.ndarray,
    cells: np.ndarray,
    *,
    center: np.ndarray | None = None,
    n_cells: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample moments by cell and their influence functions.

    Parameters
    ----------
    traded, price
        0/1 outcomes and prices (prices are only read where ``traded`` is 1).
    cells
        Integer cell codes 0..C-1.
    center
        Optional (C, 4) moments at which to centre the influence functions (the two-step weighting);
        default the sample moments.
    n_cells
        Number of cells C (default: the largest code plus one).

    Returns
    -------
    moments
        (C, 4) array of (trade rate, mean price, price variance, third central moment); NaN where a cell
        has fewer than 2 trades (trade rate NaN for an empty cell).
    influence
        (n, C, 4) array psi_i with moments - truth ~ sum_i psi_i.
    counts
        (C, 2) negotiations and trades per cell.
    """
    n_cells = int(cells.max()) + 1 if n_cells is None else int(n_cells)
    n = len(traded)
    moments = np.full((n_cells, 4), np.nan)
    influence = np.zeros((n, n_cells, 4))
    counts = np.zeros((n_cells, 2), dtype=int)
    for g in range(n_cells):
        rows = np.flatnonzero(cells == g)
        if rows.size == 0:
            continue
        t = traded[rows]
        n_g, trades = len(rows), int(t.sum())
        counts[g] = (n_g, trades)
        p_rate = t.mean()
        moments[g, 0] = p_rate
        ref = moments[g] if center is None else center[g]
        influence[rows, g, 0] = (t - (p_rate if center is None else ref[0])) / n_g
        if trades < 2:
            continue
        p = price[rows][t == 1]
        mu = p.mean()
        dev = p - mu
        moments[g, 1:] = (mu, np.mean(dev**2), np.mean(dev**3))
        ref = moments[g] if center is None else center[g]
        d = p - ref[1]
        traded_rows = rows[t == 1]
        influence[traded_rows, g, 1] = d / trades
        influence[traded_rows, g, 2] = (d**2 - ref[2]) / trades
        influence[traded_rows, g, 3] = (d**3 - ref[3] - 3.0 * ref[2] * d) / trades
    return moments, influence, counts


class PriceRuleMoments:
    """Cell moments of a price rule (a :class:`~bargaining.models.protocols.MinimumDistanceModel`).

    Parameters
    ----------
    rule
        The price rule's class (from :func:`~bargaining.models.price_rules.price_rule_class`).
    traded, price
        0/1 outcomes and prices (NaN where there was no trade).
    cells
        Integer cell codes 0..C-1; ``cell_labels`` their names.
    moments
        Names of the moments to match (a subset of :data:`MOMENT_NAMES`; default the rule's).
    value_dist, cost_dist, fixed_delta, support
        Known distributions, a fixed Delta, and the support parameterization (see
        :class:`~bargaining.models.price_rules.MomentSetting`).
    """

    def __init__(
        self,
        rule: type[PriceRule],
        traded: np.ndarray,
        price: np.ndarray,
        cells: np.ndarray,
        *,
        cell_labels: Sequence[str],
        moments: Sequence[str] | None = None,
        value_dist: Any = None,
        cost_dist: Any = None,
        fixed_delta: float | None = None,
        support: str = "common",
        setting: MomentSetting | None = None,
    ) -> None:
        self.rule = rule
        self.traded = np.asarray(traded, dtype=float)
        self.price = np.asarray(price, dtype=float)
        self.cells = np.asarray(cells, dtype=int)
        self.cell_labels = list(cell_labels)
        self.wanted = list(moments) if moments is not None else list(rule.default_moments)
        self.all_moments, influence, self.counts = cell_moments(
            self.traded, self.price, self.cells, n_cells=len(self.cell_labels)
        )
        columns = [MOMENT_NAMES.index(m) for m in self.wanted]
        mask = np.zeros_like(self.all_moments, dtype=bool)
        mask[:, columns] = True
        mask &= np.isfinite(self.all_moments)
        self.used = np.flatnonzero(mask.ravel())
        self._influence = influence.reshape(len(self.traded), -1)[:, self.used]
        if setting is None:
            setting = MomentSetting(
                value_dist=value_dist,
                cost_dist=cost_dist,
                fixed_delta=fixed_delta,
                support=support,
                cell_labels=tuple(self.cell_labels),
                data_moments=self.all_moments,
            )
        rule.check_moment_setting(setting)
        self.setting = setting
        parameters = rule.moment_parameters(setting)
        self._names = [p.name for p in parameters]
        self._lower = np.array([p.lower for p in parameters], dtype=float)
        self._upper = np.array([p.upper for p in parameters], dtype=float)
        self._start = np.array([p.start for p in parameters], dtype=float)
        self._cache: dict[tuple[float, ...], np.ndarray] = {}

    # -- MinimumDistanceModel --------------------------------------------------------------------------
    @property
    def param_names(self) -> list[str]:
        return list(self._names)

    @property
    def nobs(self) -> int:
        return int(self.traded.size)

    @property
    def lower_bounds(self) -> np.ndarray:
        return self._lower

    @property
    def upper_bounds(self) -> np.ndarray:
        return self._upper

    @property
    def data_moments(self) -> np.ndarray:
        return self.all_moments.ravel()[self.used]

    @property
    def influence(self) -> np.ndarray:
        return self._influence

    def start_values(self) -> np.ndarray:
        return self._start.copy()

    def full_model_moments(self, params: np.ndarray) -> np.ndarray:
        """(C, 4) model moments in every cell (NaN where the rule has no model)."""
        key = tuple(np.round(np.asarray(params, dtype=float), 14))
        if key not in self._cache:
            values = dict(zip(self._names, np.asarray(params, dtype=float), strict=True))
            self._cache[key] = np.vstack(
                [
                    self.rule.cell_moments(
                        self.rule.cell_parameters(values, g, self.setting),
                        self.setting.value_dist,
                        self.setting.cost_dist,
                    )
                    for g in range(len(self.cell_labels))
                ]
            )
        return self._cache[key]

    def model_moments(self, params: np.ndarray) -> np.ndarray:
        return self.full_model_moments(params).ravel()[self.used]

    def recentered_influence(self, params: np.ndarray) -> np.ndarray:
        """Influence functions centred at the model's moments (data moments where the model has none)."""
        center = self.full_model_moments(params)
        center = np.where(np.isfinite(center), center, self.all_moments)
        _, influence, _ = cell_moments(
            self.traded, self.price, self.cells, center=center, n_cells=len(self.cell_labels)
        )
        return influence.reshape(len(self.traded), -1)[:, self.used]

    def subset(self, rows: np.ndarray) -> PriceRuleMoments:
        """The same model on rows ``rows`` (cells, parameters and starting values kept)."""
        rows = np.asarray(rows)
        return PriceRuleMoments(
            self.rule,
            self.traded[rows],
            self.price[rows],
            self.cells[rows],
            cell_labels=self.cell_labels,
            moments=self.wanted,
            setting=replace(self.setting),
        )

    def reported(self, params: np.ndarray, cov: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Parameters as reported to users (e.g. the support as low and high), with the delta method."""
        return self.rule.reported_parameters(self._names, np.asarray(params, dtype=float), cov)
