"""Results of :func:`bargaining.fit_nash`: estimates, inference, fitted prices and implied bargaining weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bargaining.estimate.nash_design import NashSpec, build_equation
from bargaining.estimate.results import EstimationResults
from bargaining.models.nash_moments import NashPriceEquation, nash_price_residuals, nash_weights

__all__ = ["NashResults"]


class NashResults(EstimationResults):
    """Results of :func:`fit_nash`: estimates, inference, fitted prices and implied bargaining weights.

    Beyond :class:`EstimationResults`: ``fitted_values`` and ``residuals`` (prices), ``predict(data)``,
    ``implied_weights`` (beta_i per row), ``weights_frame()`` (beta_i with delta-method standard errors),
    ``observed_weights`` ((p - C)/(V - C) when C is observed), ``linear_params`` / ``linear_cov`` (the
    linear coefficients (beta, pi) when gamma was recovered from pi = (1 - beta) gamma), ``first_stage``
    (partial F per instrumented regressor, also as typed tests in ``tests``), ``analytic_cov`` (the
    sandwich covariance, also when the reported one is a bootstrap). Plots: :func:`bargaining.plots.plot_nash_fit`
    and :func:`bargaining.plots.plot_nash_weights`.

    Attributes
    ----------
    params, std_errors, cov
        Estimates, standard errors and covariance (see :class:`EstimationResults`).
    implied_weights
        beta_i per row.
    fitted_values, residuals
        Fitted prices and price residuals.

    Examples
    --------
    >>> from bargaining import fit_nash, load_example
    >>> res = fit_nash(load_example("hospital_insurer"), price="price", buyer_value="buyer_value",
    ...                seller_cost="seller_cost")
    >>> round(float(res.params["beta"]), 2)
    0.4
    """

    model_name = "Nash bargaining prices: p = C + beta (V - C) + u"

    def __init__(
        self,
        *,
        design: NashPriceEquation,
        residuals: np.ndarray,
        spec: NashSpec,
        linear_params: pd.Series | None = None,
        linear_cov: pd.DataFrame | None = None,
        first_stage: pd.Series | None = None,
        analytic_cov: pd.DataFrame | None = None,
        linear_result: Any = None,  # the object, or a zero-argument function building it
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._design = design
        self._resid = np.asarray(residuals, dtype=float)
        self._spec = spec
        self._linear_params = linear_params
        self._linear_cov = linear_cov
        self._first_stage = first_stage
        self._analytic_cov = analytic_cov if analytic_cov is not None else self.cov
        self._linear_result = linear_result

    @property
    def linear_result(self) -> Any:
        """``linearmodels``' results object of a linear fit (None for nonlinear ones).

        The package computes OLS and 2SLS directly; this object (the same numbers, up to rounding) is built on
        first access, which copies the data into ``linearmodels``' pandas wrappers.
        """
        if callable(self._linear_result):
            self._linear_result = self._linear_result()
        return self._linear_result

    # -- fitted values -------------------------------------------------------------------------------
    @property
    def residuals(self) -> pd.Series:
        """u-hat = p - p-hat, indexed like the rows used."""
        return pd.Series(self._resid, index=self._design.index, name="residual")

    @property
    def fitted_values(self) -> pd.Series:
        """Fitted prices p-hat = b + beta_i (V - b) + (1 - beta_i) z'gamma (in the price's units)."""
        return pd.Series(self._design.price - self._resid, index=self._design.index, name="fitted_price")

    @property
    def observed_prices(self) -> pd.Series:
        """The prices used in estimation."""
        return pd.Series(self._design.price, index=self._design.index, name="price")

    def _delta(self) -> np.ndarray:
        return self.params[self._design.weight_names].to_numpy()

    @property
    def implied_weights(self) -> pd.Series:
        """The model's seller bargaining weight beta_i for every row used."""
        beta, _ = nash_weights(self._delta(), self._design.weights, self._design.link)
        return pd.Series(beta, index=self._design.index, name="beta")

    def weights_frame(self, level: float = 0.95) -> pd.DataFrame:
        """beta_i per row with its delta-method standard error and normal confidence interval."""
        from scipy import stats

        names = self._design.weight_names
        beta, dbeta = nash_weights(self._delta(), self._design.weights, self._design.link)
        grad = dbeta[:, None] * self._design.weights
        cov = self.cov.loc[names, names].to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", grad, cov, grad))
        z = stats.norm.ppf((1 + level) / 2)
        return pd.DataFrame(
            {"beta": beta, "std_error": se, "lower": beta - z * se, "upper": beta + z * se},
            index=self._design.index,
        )

    @property
    def observed_weights(self) -> pd.Series | None:
        """(p - C) / (V - C) row by row when the seller's cost is observed (NaN where V = C), else None."""
        if self._spec.get("seller_cost") is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(self._design.s != 0, self._design.y / self._design.s, np.nan)
        return pd.Series(ratio, index=self._design.index, name="observed_beta")

    @property
    def linear_params(self) -> pd.Series | None:
        """(beta, pi) of the linear equation p - r = beta (V - r) + z'pi + u when gamma was recovered."""
        return None if self._linear_params is None else self._linear_params.copy()

    @property
    def linear_cov(self) -> pd.DataFrame | None:
        """Covariance of :attr:`linear_params`."""
        return None if self._linear_cov is None else self._linear_cov.copy()

    @property
    def first_stage(self) -> pd.Series | None:
        """Homoskedastic first-stage partial F per instrumented regressor (None without instruments)."""
        return None if self._first_stage is None else self._first_stage.copy()

    @property
    def analytic_cov(self) -> pd.DataFrame:
        """The sandwich (or linearmodels) covariance, whatever ``cov_type`` is reported."""
        return self._analytic_cov.copy()

    def predict(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Predicted prices b + beta_i (V - b) + (1 - beta_i) z'gamma for ``data`` (default: the sample)."""
        if data is None:
            return self.fitted_values
        design = build_equation(data, **self._spec, _specs_from=self._design)
        theta = self.params[design.names].to_numpy()
        u = nash_price_residuals(
            theta,
            price_gap=np.zeros_like(design.s),
            surplus=design.s,
            weight_design=design.weights,
            cost_design=design.cost,
            link=design.link,
        )
        return pd.Series(design.base - u, index=design.index, name="predicted_price")

    # -- reporting -----------------------------------------------------------------------------------
    def _extra_tables(self) -> dict[str, pd.DataFrame]:
        tables = super()._extra_tables()
        if self._linear_params is not None and self._linear_cov is not None:
            se = np.sqrt(np.diag(self._linear_cov.to_numpy()))
            tables["Linear coefficients (pi = (1 - beta) gamma)"] = pd.DataFrame(
                {"estimate": self._linear_params, "std_error": se}
            )
        if self._first_stage is not None:
            tables["First stage (partial F, homoskedastic)"] = self._first_stage.to_frame("partial F")
        return tables

    def to_dict(self) -> dict[str, Any]:
        from bargaining.estimate.results import jsonable

        out = super().to_dict()
        if self._linear_params is not None and self._linear_cov is not None:
            out["linear_params"] = jsonable(self._linear_params)
            out["linear_std_errors"] = jsonable(
                pd.Series(np.sqrt(np.diag(self._linear_cov.to_numpy())), index=self._linear_params.index)
            )
        if self._first_stage is not None:
            out["first_stage_partial_f"] = jsonable(self._first_stage)
        out["columns"] = jsonable({k: v for k, v in self._spec.items() if v is not None})
        return out
