r"""``fit_logit_demand``: plain logit demand from market shares by the Berry inversion and 2SLS.

With logit demand and an outside good (price 0) the shares of market t satisfy (Berry 1994)

.. math::

    \log s_{jt} - \log s_{0t} = w_{jt}'b - \alpha\, p_{jt} + \xi_{jt},
    \qquad s_{0t} = 1 - \sum_k s_{kt},

a linear equation in the mean-utility coefficients b (``demand[TERM]``, the terms of ``formula``) and the price
coefficient alpha (utility falls by alpha per unit of price, so alpha > 0 for a downward-sloping demand). The
price responds to the demand shock xi, so it is instrumented: instruments are the exogenous terms w and the
excluded instruments E (cost shifters, rivals' characteristics, ...). The estimate is 2SLS through the
package's linear engine (:func:`bargaining.estimate.engines.linear.fit_linear`, i.e. ``linearmodels``'
``IV2SLS`` on the arrays ``y = log(s/s_0)``, exog ``w``, endog ``p``, instruments ``E``); the coefficient on
the price is ``-alpha``, so ``alpha``'s variance is that coefficient's and its covariances with ``b`` change
sign.

The rows and arrays are built by :func:`logit_demand_arrays`, which the joint demand-and-supply estimation of
:func:`bargaining.estimate.merger_estimation.fit_merger_model` (``demand=FORMULA``) reuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import DataValidationError, InvalidParameterError
from bargaining.estimate.engines.linear import first_stage_partial_f, fit_linear
from bargaining.estimate.engines.options import read_data
from bargaining.estimate.formulas import formula_variables, model_matrix
from bargaining.estimate.results import EstimationResults

__all__ = ["LogitDemandArrays", "fit_logit_demand", "logit_demand_arrays"]


@dataclass(frozen=True)
class LogitDemandArrays:
    """The arrays of the Berry-inverted logit equation (module docstring).

    ``y`` = log(s/s_0), ``exog`` = w (n x k_w, names ``exog_names``), ``price`` = p, ``excluded`` = E (n x l),
    ``param_names`` = ``demand[TERM]``... then ``alpha``.
    """

    y: np.ndarray
    exog: np.ndarray
    price: np.ndarray
    excluded: np.ndarray
    exog_names: list[str]

    @property
    def param_names(self) -> list[str]:
        return [*(f"demand[{t}]" for t in self.exog_names), "alpha"]

    @property
    def regressors(self) -> np.ndarray:
        r"""X = (w, -p): the residual is :math:`\xi = y - X (b, \alpha)`."""
        return np.column_stack([self.exog, -self.price])

    @property
    def instruments(self) -> np.ndarray:
        """H = (w, E)."""
        return np.column_stack([self.exog, self.excluded])

    def residuals(self, params: np.ndarray) -> np.ndarray:
        """xi = y - w'b + alpha p."""
        out: np.ndarray = self.y - self.regressors @ np.asarray(params, dtype=float)
        return out


def logit_demand_arrays(rows: pd.DataFrame, *, share: str, price: str, market: str, formula: str,
                        instruments: str) -> LogitDemandArrays:
    """Build y = log(s/s_0), w, p and E from complete rows (the outside share is 1 minus the market's sum)."""
    s = rows[share].to_numpy(dtype=float)
    if np.any(~np.isfinite(s)) or np.any((s <= 0) | (s >= 1)):
        raise DataValidationError("shares must be finite and strictly between 0 and 1.",
                                  hint=f"drop products with zero shares (column {share!r}).")
    outside = 1.0 - pd.Series(s).groupby(rows[market].to_numpy()).transform("sum").to_numpy()
    if np.any(outside <= 0):
        raise DataValidationError("in some markets the shares sum to 1 or more: there is no outside good.",
                                  hint=f"shares (column {share!r}) are of the whole market, outside good included.")
    exog, names = model_matrix(formula, rows, what="demand formula")
    excluded, excluded_names = model_matrix(instruments, rows, what="demand instruments")
    keep = [j for j, name in enumerate(excluded_names) if name != "Intercept"]
    if not keep:
        raise InvalidParameterError("the demand instruments have no excluded variable.",
                                    hint='pass demand_instruments="~ z1 + z2 + x_rivals" (cost shifters, rivals\' '
                                    'characteristics).')
    return LogitDemandArrays(y=np.log(s) - np.log(outside), exog=exog, price=rows[price].to_numpy(dtype=float),
                             excluded=excluded[:, keep], exog_names=names)


def fit_logit_demand(
    data: Any,
    *,
    share: str,
    price: str,
    market: str,
    formula: str = "~ 1",
    instruments: str,
    cov_type: str = "robust",
    cluster: str | None = None,
) -> EstimationResults:
    r"""Estimate plain logit demand from market shares: 2SLS of log(s_j / s_0) on w and the price.

    :math:`\log s_{jt} - \log s_{0t} = w_{jt}'b - \alpha p_{jt} + \xi_{jt}` (module docstring), the price
    instrumented by ``instruments``; the outside share is one minus the sum of the market's shares.

    Parameters
    ----------
    data
        One row per product and market: a DataFrame, or a CSV/Parquet path.
    share, price, market
        Columns: market share (of the whole market, outside good included), price, market label.
    formula
        Right-hand side of the mean utility (``"~ 1 + x"``): parameters ``demand[TERM]``.
    instruments
        Excluded instruments of the price (``"~ z1 + z2 + x_rivals"``); an intercept is dropped.
    cov_type, cluster
        ``"unadjusted"``, ``"robust"`` or ``"clustered"`` (with ``cluster``, a column such as the market),
        linearmodels' definitions.

    Returns
    -------
    EstimationResults
        Parameters ``demand[TERM]`` and ``alpha``; diagnostics include the first-stage partial F of the
        excluded instruments.

    Examples
    --------
    >>> sim = simulate("bargaining-markets", n=100, seed=1)
    >>> res = fit_logit_demand(sim.data, share="share", price="price", market="market", formula="~ 1 + x",
    ...                        instruments="~ z1 + z2 + z1_rivals + z2_rivals")
    >>> list(res.params.index), bool(abs(res.params["alpha"] - 1.0) < 0.3)
    (['demand[Intercept]', 'demand[x]', 'alpha'], True)
    """
    from bargaining.estimate.merger_estimation import _check_columns

    frame = read_data(data)
    columns = {"share": share, "price": price, "market": market}
    if cluster is not None:
        columns["cluster"] = cluster
    _check_columns(frame, columns)
    used = list(dict.fromkeys([*columns.values(), *formula_variables(formula, what="demand formula"),
                               *formula_variables(instruments, what="demand instruments")]))
    _check_columns(frame, {f"formula variable {c}": c for c in used})
    complete = frame[used].notna().all(axis=1).to_numpy()
    rows = frame.loc[complete]
    arrays = logit_demand_arrays(rows, share=share, price=price, market=market, formula=formula,
                                 instruments=instruments)
    kind = str(cov_type).lower()
    if kind in ("clustered", "cluster") and cluster is None:
        raise InvalidParameterError("cov_type='clustered' needs a cluster column.", hint="pass cluster='market'.")
    if kind not in ("unadjusted", "robust", "clustered", "cluster", "homoskedastic", "heteroskedastic"):
        raise InvalidParameterError(f"unknown cov_type {cov_type!r}.",
                                    hint="use 'unadjusted', 'robust' or 'clustered'.")
    canonical = {"cluster": "clustered", "homoskedastic": "unadjusted", "heteroskedastic": "robust"}.get(kind, kind)
    clusters = None if cluster is None or canonical != "clustered" else pd.factorize(rows[cluster])[0]
    fit = fit_linear(arrays.y, exog=arrays.exog, endog=arrays.price[:, None], instruments=arrays.excluded,
                     cov_type=canonical, clusters=clusters)
    sign = np.ones(arrays.exog.shape[1] + 1)
    sign[-1] = -1.0                                   # the price coefficient is -alpha
    names = arrays.param_names
    params = pd.Series(fit.params * sign, index=names)
    cov = pd.DataFrame(fit.cov * np.outer(sign, sign), index=names, columns=names)
    partial_f = first_stage_partial_f(arrays.price[:, None], arrays.exog, arrays.excluded)
    notes = ["Berry inversion log(s/s_0) = w'b - alpha p + xi; 2SLS (linearmodels IV2SLS), price instrumented."]
    if float(partial_f.iloc[0]) < 10:
        notes.append(f"weak instruments: first-stage partial F = {float(partial_f.iloc[0]):.2f} < 10.")
    dropped = pd.DataFrame({"reason": ["missing value in a used column"], "count": [int((~complete).sum())]})
    return EstimationResults(
        params=params, cov=cov, nobs=int(arrays.y.size), cov_type=canonical, dropped=dropped[dropped["count"] > 0],
        model="Logit demand (Berry inversion)", method="IV-2SLS", n_input=len(frame),
        diagnostics={"first-stage partial F": float(partial_f.iloc[0])}, notes=notes,
        cluster_count=None if clusters is None else int(clusters.max() + 1),
        specification={"Dependent variable": f"log({share}) - log(outside share)", "Formula": formula,
                       "Endogenous": price, "Instruments": instruments},
    )
