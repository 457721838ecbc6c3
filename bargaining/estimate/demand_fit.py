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

``fit_nested_logit_demand``: nested logit (Berry 1994, eq. 28). With products partitioned into nests g and the
within-nest share :math:`s_{j|g} = s_j / \sum_{k \in g} s_k`,

.. math::

    \log s_{jt} - \log s_{0t} = w_{jt}'b - \alpha\, p_{jt} + \sigma \log s_{j|g,t} + \xi_{jt},

one sigma for all nests. Convention: sigma is Berry's coefficient; the nesting (dissimilarity) parameter of
:class:`bargaining.models.demand.NestedLogitDemand` is :math:`\lambda = 1 - \sigma` (sigma = 0 is logit,
sigma -> 1 makes the products of a nest perfect substitutes). Both the price and :math:`\log s_{j|g}` respond
to xi, so both are instrumented (at least two excluded instruments: e.g. the number of products in the nest,
sums of rivals' characteristics in the nest and outside it, cost shifters). Utility maximization needs
:math:`0 \le \sigma < 1`; an estimate outside gets a :class:`~bargaining.errors.SpecificationWarning`
(and :func:`~bargaining.estimate.merger_estimation.fit_merger_model` refuses it).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bargaining.errors import DataValidationError, InvalidParameterError, SpecificationWarning
from bargaining.estimate.engines.linear import first_stage_partial_f, fit_linear
from bargaining.estimate.engines.options import read_data
from bargaining.estimate.formulas import formula_variables, model_matrix
from bargaining.estimate.results import EstimationResults

__all__ = ["LogitDemandArrays", "NestedLogitDemandArrays", "fit_logit_demand", "fit_nested_logit_demand",
           "logit_demand_arrays", "nested_logit_demand_arrays"]


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

    @property
    def endogenous(self) -> np.ndarray:
        """The instrumented regressors (n x 1): the price."""
        return self.price[:, None]

    def residuals(self, params: np.ndarray) -> np.ndarray:
        """xi = y - w'b + alpha p."""
        out: np.ndarray = self.y - self.regressors @ np.asarray(params, dtype=float)
        return out


@dataclass(frozen=True)
class NestedLogitDemandArrays(LogitDemandArrays):
    """The arrays of the Berry-inverted nested logit equation (module docstring): those of
    :class:`LogitDemandArrays` plus ``log_within`` = log s_{j|g}; parameters ``demand[TERM]``..., ``alpha``,
    ``sigma`` (lambda = 1 - sigma)."""

    log_within: np.ndarray

    @property
    def param_names(self) -> list[str]:
        return [*super().param_names, "sigma"]

    @property
    def regressors(self) -> np.ndarray:
        r"""X = (w, -p, log s_{j|g}): the residual is :math:`\xi = y - X (b, \alpha, \sigma)`."""
        return np.column_stack([self.exog, -self.price, self.log_within])

    @property
    def endogenous(self) -> np.ndarray:
        """The instrumented regressors (n x 2): the price and log s_{j|g}."""
        return np.column_stack([self.price, self.log_within])


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
    rows, arrays, dropped, n_input = _demand_rows(data, share=share, price=price, market=market, formula=formula,
                                                  instruments=instruments, cluster=cluster, nests=None)
    return _fit_berry(arrays, rows, dropped, n_input, cov_type=cov_type, cluster=cluster, share=share, price=price,
                      formula=formula, instruments=instruments, nests=None)


def _demand_rows(data: Any, *, share: str, price: str, market: str, formula: str, instruments: str,
                 cluster: str | None, nests: str | None
                 ) -> tuple[pd.DataFrame, LogitDemandArrays, pd.DataFrame, int]:
    """Read the data, keep the complete rows and build the Berry arrays (nested when ``nests`` is a column)."""
    from bargaining.estimate.merger_estimation import _check_columns

    frame = read_data(data)
    columns = {"share": share, "price": price, "market": market}
    if nests is not None:
        columns["nests"] = nests
    if cluster is not None:
        columns["cluster"] = cluster
    _check_columns(frame, columns)
    used = list(dict.fromkeys([*columns.values(), *formula_variables(formula, what="demand formula"),
                               *formula_variables(instruments, what="demand instruments")]))
    _check_columns(frame, {f"formula variable {c}": c for c in used})
    complete = frame[used].notna().all(axis=1).to_numpy()
    rows = frame.loc[complete]
    if nests is None:
        arrays: LogitDemandArrays = logit_demand_arrays(rows, share=share, price=price, market=market,
                                                        formula=formula, instruments=instruments)
    else:
        arrays = nested_logit_demand_arrays(rows, share=share, price=price, market=market, nests=nests,
                                            formula=formula, instruments=instruments)
    dropped = pd.DataFrame({"reason": ["missing value in a used column"], "count": [int((~complete).sum())]})
    return rows, arrays, dropped[dropped["count"] > 0], len(frame)


def _fit_berry(arrays: LogitDemandArrays, rows: pd.DataFrame, dropped: pd.DataFrame, n_input: int, *,
               cov_type: str, cluster: str | None, share: str, price: str, formula: str, instruments: str,
               nests: str | None) -> EstimationResults:
    """2SLS of the Berry equation through the linear engine; the price coefficient's sign flipped to alpha."""
    kind = str(cov_type).lower()
    if kind in ("clustered", "cluster") and cluster is None:
        raise InvalidParameterError("cov_type='clustered' needs a cluster column.", hint="pass cluster='market'.")
    if kind not in ("unadjusted", "robust", "clustered", "cluster", "homoskedastic", "heteroskedastic"):
        raise InvalidParameterError(f"unknown cov_type {cov_type!r}.",
                                    hint="use 'unadjusted', 'robust' or 'clustered'.")
    canonical = {"cluster": "clustered", "homoskedastic": "unadjusted", "heteroskedastic": "robust"}.get(kind, kind)
    clusters = None if cluster is None or canonical != "clustered" else pd.factorize(rows[cluster])[0]
    endog = arrays.endogenous
    fit = fit_linear(arrays.y, exog=arrays.exog, endog=endog, instruments=arrays.excluded,
                     cov_type=canonical, clusters=clusters)
    sign = np.ones(arrays.exog.shape[1] + endog.shape[1])
    sign[arrays.exog.shape[1]] = -1.0                 # the price coefficient is -alpha
    names = arrays.param_names
    params = pd.Series(fit.params * sign, index=names)
    cov = pd.DataFrame(fit.cov * np.outer(sign, sign), index=names, columns=names)
    partial_f = first_stage_partial_f(endog, arrays.exog, arrays.excluded)
    endog_names = [price] if nests is None else [price, "log within-nest share"]
    diagnostics: dict[str, float] = {}
    notes: list[str] = []
    if nests is None:
        notes.append("Berry inversion log(s/s_0) = w'b - alpha p + xi; 2SLS (linearmodels IV2SLS), price "
                     "instrumented.")
        diagnostics["first-stage partial F"] = float(partial_f.iloc[0])
    else:
        notes.append("Berry inversion log(s/s_0) = w'b - alpha p + sigma log s_(j|g) + xi; 2SLS (linearmodels "
                     "IV2SLS), price and log within-nest share instrumented; the nesting parameter of "
                     "NestedLogitDemand is lambda = 1 - sigma.")
        for name, value in zip(endog_names, partial_f.to_numpy(), strict=True):
            diagnostics[f"first-stage partial F ({name})"] = float(value)
        sigma = float(params["sigma"])
        diagnostics["nesting_parameter (lambda = 1 - sigma)"] = 1.0 - sigma
        if not 0.0 <= sigma < 1.0:
            message = (f"the estimated sigma = {sigma:.4g} is outside [0, 1): the nested logit is not consistent "
                       "with utility maximization (lambda = 1 - sigma outside (0, 1]).")
            warnings.warn(f"{message} Check the instruments of the within-nest share (instruments=) and the "
                          "nests.", SpecificationWarning, stacklevel=3)
            notes.append(message)
    for name, value in zip(endog_names, partial_f.to_numpy(), strict=True):
        if float(value) < 10:
            notes.append(f"weak instruments: first-stage partial F = {float(value):.2f} < 10"
                         + ("." if nests is None else f" ({name})."))
    model = "Logit demand (Berry inversion)" if nests is None else "Nested logit demand (Berry inversion)"
    specification = {"Dependent variable": f"log({share}) - log(outside share)", "Formula": formula,
                     "Endogenous": ", ".join(endog_names), "Instruments": instruments}
    if nests is not None:
        specification["Nests"] = nests
    return EstimationResults(
        params=params, cov=cov, nobs=int(arrays.y.size), cov_type=canonical, dropped=dropped,
        model=model, method="IV-2SLS", n_input=n_input, diagnostics=diagnostics, notes=notes,
        cluster_count=None if clusters is None else int(clusters.max() + 1), specification=specification,
    )


def nested_logit_demand_arrays(rows: pd.DataFrame, *, share: str, price: str, market: str, nests: str,
                               formula: str, instruments: str) -> NestedLogitDemandArrays:
    """The arrays of :func:`logit_demand_arrays` plus log s_{j|g} (nest shares within each market)."""
    base = logit_demand_arrays(rows, share=share, price=price, market=market, formula=formula,
                               instruments=instruments)
    if base.excluded.shape[1] < 2:
        raise InvalidParameterError(
            f"nested logit has two endogenous regressors (price, log within-nest share) but the demand "
            f"instruments have {base.excluded.shape[1]} excluded variable.",
            hint='pass instruments with at least two excluded variables, e.g. "~ z1 + n_in_nest + x_rivals_nest" '
                 "(cost shifters, the number of products in the nest, rivals' characteristics in the nest).")
    s = rows[share].to_numpy(dtype=float)
    keys = [rows[market].to_numpy(), rows[nests].to_numpy()]
    nest_share = pd.Series(s).groupby(keys).transform("sum").to_numpy()
    return NestedLogitDemandArrays(y=base.y, exog=base.exog, price=base.price, excluded=base.excluded,
                                   exog_names=base.exog_names, log_within=np.log(s / nest_share))


def fit_nested_logit_demand(
    data: Any,
    *,
    share: str,
    price: str,
    market: str,
    nests: str,
    formula: str = "~ 1",
    instruments: str,
    cov_type: str = "robust",
    cluster: str | None = None,
) -> EstimationResults:
    r"""Estimate nested logit demand from market shares: 2SLS of log(s_j / s_0) on w, the price and log s_{j|g}.

    :math:`\log s_{jt} - \log s_{0t} = w_{jt}'b - \alpha p_{jt} + \sigma \log s_{j|g,t} + \xi_{jt}`
    (Berry 1994; module docstring), with the price and the log within-nest share instrumented by
    ``instruments``; the outside share is one minus the sum of the market's shares, the within-nest share
    :math:`s_{j|g} = s_j / \sum_{k \in g} s_k` over the products of the same market and nest.

    Convention: ``sigma`` is Berry's coefficient of :math:`\log s_{j|g}`; the nesting parameter of
    :class:`~bargaining.models.demand.NestedLogitDemand` is :math:`\lambda = 1 - \sigma` (reported in the
    diagnostics). An estimate of sigma outside [0, 1) is not consistent with utility maximization: it is
    reported with a :class:`~bargaining.errors.SpecificationWarning`.

    Parameters
    ----------
    data
        One row per product and market: a DataFrame, or a CSV/Parquet path.
    share, price, market
        Columns: market share (of the whole market, outside good included), price, market label.
    nests
        Column with each product's nest (one sigma for all nests; the outside good is its own nest).
    formula
        Right-hand side of the mean utility (``"~ 1 + x"``): parameters ``demand[TERM]``.
    instruments
        Excluded instruments of the price and of log s_{j|g}, at least two (``"~ z1 + n_nest + x_rivals"``:
        cost shifters, the number of products in the nest, rivals' characteristics); an intercept is dropped.
    cov_type, cluster
        ``"unadjusted"``, ``"robust"`` or ``"clustered"`` (with ``cluster``, a column such as the market),
        linearmodels' definitions.

    Returns
    -------
    EstimationResults
        Parameters ``demand[TERM]``, ``alpha`` and ``sigma``; diagnostics include the first-stage partial F
        of each endogenous regressor and ``nesting_parameter (lambda = 1 - sigma)``.

    Examples
    --------
    Shares from a nested logit (alpha = 1, sigma = 0.5, i.e. lambda = 0.5) in 200 markets of four products
    in two nests, prices moved by a cost shifter z:

    >>> rng = np.random.default_rng(0)
    >>> rows = []
    >>> for t in range(200):
    ...     z = rng.uniform(0, 1, 4)
    ...     price = 1 + z + rng.normal(0, 0.1, 4)
    ...     demand = NestedLogitDemand(1.0, 1 + rng.normal(0, 0.2, 4), nests=["a", "a", "b", "b"],
    ...                                nesting_parameter=0.5)
    ...     share = demand.shares(price)
    ...     rows += [{"market": t, "nest": g, "price": p, "share": s, "z": zz, "z_nest": zn}
    ...              for g, p, s, zz, zn in zip("aabb", price, share, z, z[[1, 0, 3, 2]])]
    >>> res = fit_nested_logit_demand(pd.DataFrame(rows), share="share", price="price", market="market",
    ...                               nests="nest", instruments="~ z + z_nest")
    >>> list(res.params.index), bool(abs(res.params["sigma"] - 0.5) < 0.1)
    (['demand[Intercept]', 'alpha', 'sigma'], True)
    """
    rows, arrays, dropped, n_input = _demand_rows(data, share=share, price=price, market=market, formula=formula,
                                                  instruments=instruments, cluster=cluster, nests=nests)
    return _fit_berry(arrays, rows, dropped, n_input, cov_type=cov_type, cluster=cluster, share=share, price=price,
                      formula=formula, instruments=instruments, nests=nests)
