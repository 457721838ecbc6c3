"""Results objects shared by every estimator of :mod:`bargaining.estimate`.

:class:`EstimationResults` holds what any fitted model reports, in the style of ``linearmodels`` and
``statsmodels``: the estimates theta-hat (``params``), their covariance V-hat (``cov``), standard errors,
t statistics, p values and confidence intervals, the number of observations used and the rows dropped (with
reasons), whether the optimizer converged, and a printable :class:`Summary`. Estimators subclass it to add
model-specific pieces (fitted values, implied bargaining weights, plots).

Inference conventions
---------------------
* ``tvalues`` are theta-hat / se and ``pvalues`` two-sided from the standard normal (asymptotic inference,
  as ``linearmodels`` does with ``debiased=False``).
* ``conf_int(level)`` is theta-hat +- z_{(1+level)/2} se, or, when bootstrap replicates are stored and
  ``ci_method="percentile"``, the (1-level)/2 and (1+level)/2 quantiles of the bootstrap replicates.
* A result whose optimizer stopped early has ``converged=False``; its summary says so in its first note
  (estimators also emit :class:`bargaining.errors.ConvergenceWarning`, see :func:`warn_not_converged`).
* A negative or NaN variance on the diagonal of ``cov`` gives a NaN standard error (never 0), and so NaN
  t statistics, p values and normal intervals; a note names the parameters concerned.
* :meth:`EstimationResults.wald_test` tests linear restrictions R theta = q with ``cov``
  (chi-square, rank(R) degrees of freedom); tests computed by the estimator (over-identification,
  first-stage F, ...) are passed in as ``tests`` and listed under the summary's parameter table.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from bargaining.errors import ConvergenceWarning, InvalidParameterError
from bargaining.estimate.hypotheses import TestStatistic, check_tests, wald_test
from bargaining.estimate.results.summary import Summary


class ResampledInference(Protocol):
    """p-values (H0: parameter = 0) and intervals of some parameters from a resampling test."""

    @property
    def names(self) -> Sequence[str]: ...

    def pvalue(self, name: str) -> float: ...

    def conf_int(self, name: str, level: float) -> tuple[float, float]: ...


# a standard error at or below this (relative to max(|estimate|, 1)) is rounding noise, not information
_ZERO_SE = 1e-12

__all__ = ["EstimationResults", "empty_dropped", "jsonable", "warn_not_converged"]


def empty_dropped() -> pd.DataFrame:
    """The ``dropped`` table of a fit that lost no rows: columns ``reason`` and ``count``, no rows."""
    return pd.DataFrame({"reason": pd.Series([], dtype=object), "count": pd.Series([], dtype="int64")})


def warn_not_converged(what: str, *, stacklevel: int = 3) -> None:
    """Emit the package's :class:`ConvergenceWarning` for an optimizer that stopped early."""
    warnings.warn(
        f"{what} did not converge; the estimates are flagged converged=False and should not be trusted. "
        "Increase the iteration limit or check the starting values and the identification of the model.",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )


def jsonable(obj: Any) -> Any:
    """Convert numpy / pandas objects (recursively) into plain JSON types; NaN and inf become ``None``."""
    if isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj


def _specification(specification: Mapping[str, Any] | None) -> dict[str, str]:
    """Labels -> text; sequences joined with commas, None entries dropped."""
    out: dict[str, str] = {}
    for key, value in (specification or {}).items():
        if value is None:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str):
            value = ", ".join(str(v) for v in value)
        out[str(key)] = str(value)
    return out


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise InvalidParameterError(
            f"confidence level {level} is not strictly between 0 and 1", hint="use e.g. level=0.95"
        )
    return level


class EstimationResults:
    r"""Estimates theta-hat with their covariance and everything needed to report them.

    Parameters
    ----------
    params
        theta-hat, a Series indexed by parameter name (e.g. ``beta``, ``gamma[z]``).
    cov
        Estimated covariance of theta-hat (DataFrame indexed and columned by the parameter names). Its
        diagonal gives the standard errors.
    nobs
        Number of observations used in estimation.
    cov_type
        How ``cov`` was estimated: ``"unadjusted"``, ``"robust"``, ``"clustered"`` or ``"bootstrap"``.
    dropped
        Rows of the input not used, as a DataFrame with columns ``reason`` and ``count`` (empty if none).
    converged
        False if the optimizer stopped before meeting its convergence criterion.
    model, method
        Short descriptions used in the summary title and header (e.g. ``"Nash bargaining prices"``,
        ``"IV-2SLS"``).
    n_input
        Number of rows in the input before validation (default ``nobs`` plus the dropped counts).
    diagnostics
        Named scalars reported in the summary header and in :meth:`to_dict` (first-stage F, condition
        number, objective value, iterations, ...).
    notes
        Sentences printed under the summary table.
    bootstrap_params
        Bootstrap replicates of theta-hat (one row per replicate, columns = parameter names), if any.
    ci_method
        ``"normal"`` (default) or ``"percentile"`` (needs ``bootstrap_params``).
    cluster_count
        Number of clusters when ``cov_type="clustered"`` (or a cluster bootstrap).
    resampled_inference
        p-values and intervals by test inversion of a resampling test (the wild cluster bootstrap) for some
        parameters; the others keep the analytic ones.
    df_inference
        Degrees of freedom of the t distribution for p-values and normal-type intervals (G - 1 with
        clustered standard errors, as Stata does); None for the standard normal.
    tests
        Test statistics computed by the estimator, by name (:class:`~bargaining.estimate.hypotheses.
        TestStatistic`, or :class:`~bargaining.estimate.hypotheses.InvalidTestStatistic` for a test that does
        not apply); listed under the summary's parameter table and in :meth:`to_dict`.
    specification
        The model as estimated, by label (e.g. ``{"Dependent variable": "price", "Instruments": "wtp_drop",
        "Cost formula": "~ 1 + z"}``); a sequence of strings is joined with commas and None entries are left
        out. Shown at the top of the summary header and in :meth:`to_dict`.

    Examples
    --------
    >>> res = fit_nash(load_example("hospital_insurer"), price="price", buyer_value="buyer_value",
    ...                seller_cost="seller_cost")
    >>> isinstance(res, EstimationResults), list(res.params.index)
    (True, ['beta'])
    """

    model_name = "Estimation results"

    def __init__(
        self,
        *,
        params: pd.Series,
        cov: pd.DataFrame,
        nobs: int,
        cov_type: str,
        dropped: pd.DataFrame | None = None,
        converged: bool = True,
        model: str | None = None,
        method: str = "",
        n_input: int | None = None,
        diagnostics: Mapping[str, Any] | None = None,
        notes: Sequence[str] = (),
        bootstrap_params: pd.DataFrame | None = None,
        ci_method: str = "normal",
        cluster_count: int | None = None,
        tests: Mapping[str, TestStatistic] | None = None,
        specification: Mapping[str, str | Sequence[str] | None] | None = None,
        df_inference: int | None = None,
        resampled_inference: ResampledInference | None = None,
    ) -> None:
        params = pd.Series(params, dtype=float)
        names = list(params.index)
        cov = pd.DataFrame(cov, dtype=float)
        if list(cov.index) != names or list(cov.columns) != names:
            cov = cov.reindex(index=names, columns=names)
        if ci_method not in ("normal", "percentile"):
            raise InvalidParameterError(
                f"unknown ci_method {ci_method!r}", hint="use 'normal' or 'percentile'"
            )
        if ci_method == "percentile" and bootstrap_params is None:
            raise InvalidParameterError(
                "percentile confidence intervals need bootstrap replicates",
                hint="pass bootstrap_params or use ci_method='normal'",
            )
        self._params = params
        self._cov = cov
        self._nobs = int(nobs)
        self._cov_type = str(cov_type)
        self._dropped = empty_dropped() if dropped is None else dropped.reset_index(drop=True)
        self._converged = bool(converged)
        self._model = model or self.model_name
        self._method = method
        n_dropped = int(self._dropped["count"].sum()) if len(self._dropped) else 0
        self._n_input = int(n_input) if n_input is not None else self._nobs + n_dropped
        self._diagnostics = dict(diagnostics or {})
        self._notes = list(notes)
        self._bootstrap_params = bootstrap_params
        self._ci_method = ci_method
        self._cluster_count = cluster_count
        if df_inference is not None and int(df_inference) < 1:
            raise InvalidParameterError(
                f"df_inference={df_inference} must be at least 1", hint="pass None for normal inference"
            )
        self._df_inference = None if df_inference is None else int(df_inference)
        self._resampled = resampled_inference
        self._tests = check_tests(tests)
        self._specification = _specification(specification)

    # -- core quantities -----------------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Estimated parameters theta-hat."""
        return self._params.copy()

    @property
    def cov(self) -> pd.DataFrame:
        """Estimated covariance of theta-hat."""
        return self._cov.copy()

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors sqrt(diag V-hat); NaN where the variance is negative or NaN (see :attr:`notes`)."""
        variances = np.diag(self._cov.to_numpy())
        with np.errstate(invalid="ignore"):
            se = np.where(variances >= 0, np.sqrt(np.abs(variances)), np.nan)
        se = np.where(self._degenerate_se(se), np.nan, se)
        return pd.Series(se, index=self._params.index, name="std_error")

    def _degenerate_se(self, se: np.ndarray) -> np.ndarray:
        """Standard errors that are 0 up to rounding: no sampling variation left to estimate them from."""
        scale = np.maximum(np.abs(self._params.to_numpy(dtype=float)), 1.0)
        with np.errstate(invalid="ignore"):
            return np.asarray(se <= _ZERO_SE * scale)

    @property
    def tvalues(self) -> pd.Series:
        """t statistics theta-hat / se for H0: theta = 0."""
        return (self._params / self.std_errors).rename("t")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p values of the t statistics (t(df_inference), or the standard normal)."""
        reference = stats.norm if self._df_inference is None else stats.t(self._df_inference)
        out = pd.Series(
            2.0 * reference.sf(np.abs(self.tvalues.to_numpy())), index=self._params.index, name="p"
        )
        if self._resampled is not None:
            for name in self._resampled.names:
                out[name] = self._resampled.pvalue(name)
        return out

    @property
    def resampled_inference(self) -> ResampledInference | None:
        """The resampling test behind some p-values and intervals (the wild cluster bootstrap), or None."""
        return self._resampled

    @property
    def df_inference(self) -> int | None:
        """Degrees of freedom of the t reference distribution (None: standard normal)."""
        return self._df_inference

    @property
    def nobs(self) -> int:
        """Number of observations used."""
        return self._nobs

    @property
    def n_input(self) -> int:
        """Number of rows in the input, used or dropped."""
        return self._n_input

    @property
    def dropped(self) -> pd.DataFrame:
        """Rows not used: DataFrame with columns ``reason`` and ``count`` (empty if none)."""
        return self._dropped.copy()

    @property
    def converged(self) -> bool:
        """False if the optimizer stopped before converging."""
        return self._converged

    @property
    def method(self) -> str:
        """Short description of the estimation method (e.g. ``"IV-2SLS"``), empty if none was given."""
        return self._method

    @property
    def cov_type(self) -> str:
        """How the covariance was estimated."""
        return self._cov_type

    @property
    def diagnostics(self) -> dict[str, Any]:
        """Named diagnostics (identification, optimizer)."""
        return dict(self._diagnostics)

    @property
    def notes(self) -> list[str]:
        """Notes printed under the summary (convergence, identification, bootstrap)."""
        notes = list(self._notes)
        if not self._converged:
            notes.insert(
                0, "The optimizer did NOT converge; the estimates and standard errors are unreliable."
            )
        variances = pd.Series(np.diag(self._cov.to_numpy()), index=self._params.index)
        negative = [str(k) for k, v in variances.items() if v < 0]
        missing = [str(k) for k, v in variances.items() if np.isnan(v)]
        if negative:
            notes.append(
                f"The estimated variance of {', '.join(negative)} is negative; its standard error (and t, p, "
                "interval) is reported as NaN. The covariance estimate is not positive semi-definite."
            )
        if missing:
            notes.append(
                f"The estimated variance of {', '.join(missing)} is NaN; its standard error (and t, p, "
                "interval) is reported as NaN."
            )
        with np.errstate(invalid="ignore"):
            raw = np.sqrt(np.where(variances.to_numpy() >= 0, variances.to_numpy(), np.nan))
        zero = [str(k) for k, flag in zip(self._params.index, self._degenerate_se(raw), strict=True) if flag]
        if zero:
            notes.append(
                f"The estimated standard error of {', '.join(zero)} is 0 up to rounding: the data leave no "
                "sampling variation to estimate it from (e.g. as many observations as parameters, a group or "
                "cluster with a single observation, or noise-free data); it is reported as NaN, not 0."
            )
        return notes

    @property
    def tests(self) -> dict[str, TestStatistic]:
        """Test statistics computed by the estimator, by name (see :meth:`wald_test` for your own)."""
        return dict(self._tests)

    @property
    def specification(self) -> dict[str, str]:
        """The model as estimated (dependent variable, regressors, instruments, formulas), by label."""
        return dict(self._specification)

    def wald_test(
        self,
        restriction: Any,
        value: Any = None,
        *,
        name: str = "Wald",
        df_denom: float | None = None,
    ) -> TestStatistic:
        r"""Wald test of the linear restrictions H0: R theta = q, using :attr:`cov`.

        W = (R theta-hat - q)' (R V-hat R')^{-1} (R theta-hat - q), chi-square with rank(R) degrees of
        freedom under H0 (or W / rank(R) against F(rank(R), df_denom) when ``df_denom`` is given).

        Parameters
        ----------
        restriction
            R: an array with one row per restriction and one column per parameter (a vector for a single
            restriction; a DataFrame is aligned on the parameter names), or equations in the parameter
            names: ``"beta = 0.5"``, ``"beta[north] - beta[south] = 0"``, ``"a = 0; b = 0"`` or a list of
            such strings.
        value
            q (default zeros); not used with equations.
        name
            Name of the test in reports.
        df_denom
            Denominator degrees of freedom for the F version.

        Returns
        -------
        TestStatistic
            :class:`~bargaining.estimate.hypotheses.InvalidTestStatistic` (statistic and p-value NaN, with
            the reason) when the covariance is NaN or singular in a restricted direction.

        Examples
        --------
        The Nash weight fitted to the bundled hospital-insurer data (true beta 0.4), tested against 0.4
        and 0.5:

        >>> res = demo_fit()
        >>> test = res.wald_test("beta = 0.4")
        >>> round(test.statistic, 3), round(test.pvalue, 3), test.distribution
        (1.005, 0.316, 'chi2(1)')
        >>> res.wald_test("beta = 0.5").pvalue < 1e-12
        True

        The same test as a restriction matrix R beta = q (R = [[1.0]], q = 0.4):

        >>> round(res.wald_test([[1.0]], 0.4).statistic, 3)
        1.005
        """
        return wald_test(self._params, self._cov.to_numpy(), restriction, value, name=name, df_denom=df_denom)

    @property
    def bootstrap_params(self) -> pd.DataFrame | None:
        """Bootstrap replicates of theta-hat (rows = replicates), or None without a bootstrap."""
        return None if self._bootstrap_params is None else self._bootstrap_params.copy()

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals with columns ``lower`` and ``upper``.

        Normal intervals theta-hat +- z se, or bootstrap percentile intervals when the fit used a bootstrap.
        """
        level = _check_level(level)
        if self._ci_method == "percentile":
            assert self._bootstrap_params is not None
            draws = self._bootstrap_params[list(self._params.index)]
            lower = draws.quantile((1 - level) / 2)
            upper = draws.quantile((1 + level) / 2)
            return pd.DataFrame(
                {"lower": lower.to_numpy(), "upper": upper.to_numpy()}, index=self._params.index
            )
        reference = stats.norm if self._df_inference is None else stats.t(self._df_inference)
        z = reference.ppf((1 + level) / 2)
        se = self.std_errors
        out = pd.DataFrame({"lower": self._params - z * se, "upper": self._params + z * se})
        if self._resampled is not None:
            for name in self._resampled.names:
                out.loc[name, ["lower", "upper"]] = self._resampled.conf_int(name, level)
        return out

    # -- reporting -----------------------------------------------------------------------------------
    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Parameter table: ``estimate``, ``std_error``, ``t``, ``p``, ``lower``, ``upper``."""
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "estimate": self._params,
                "std_error": self.std_errors,
                "t": self.tvalues,
                "p": self.pvalues,
                "lower": ci["lower"],
                "upper": ci["upper"],
            }
        )

    def _header(self) -> list[tuple[str, Any]]:
        header: list[tuple[str, Any]] = [
            ("Method", self._method or "-"),
            ("Observations", self._nobs),
            ("Rows dropped", self._n_input - self._nobs),
            ("Cov. type", self._cov_type),
            ("Converged", "yes" if self._converged else "NO"),
        ]
        if self._cluster_count is not None:
            header.append(("Clusters", self._cluster_count))
        if self._df_inference is not None:
            header.append(("Inference", f"t({self._df_inference})"))
        if self._bootstrap_params is not None:
            header.append(("Bootstrap reps", len(self._bootstrap_params)))
        for key, value in self._diagnostics.items():
            if isinstance(value, (int, float, np.integer, np.floating, str, bool)):
                header.append((key, value))
        return header

    def _extra_tables(self) -> dict[str, pd.DataFrame]:
        tables: dict[str, pd.DataFrame] = {}
        if len(self._dropped):
            tables["Dropped rows"] = self._dropped.set_index("reason")
        return tables

    @property
    def summary(self) -> Summary:
        """Printable summary (``str()``, ``.as_text()``, ``.as_latex()``, ``.as_html()``, ``.as_csv()``)."""
        return Summary(
            title=self._model,
            header=self._header(),
            table=self.to_frame(),
            notes=self.notes,
            extra_tables=self._extra_tables(),
            specification=list(self._specification.items()),
            tests=self._tests,
        )

    def _repr_html_(self) -> str:
        return self.summary.as_html()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``params``, ``std_errors``, ``conf_int``, ``tvalues``, ``pvalues``, ``cov``,
        ``nobs``, ``n_input``, ``dropped``, ``converged``, ``cov_type``, ``model``, ``method``,
        ``specification``, ``diagnostics``, ``tests`` (each as :meth:`TestStatistic.to_dict`), ``notes``
        (NaN and inf become ``None``)."""
        ci = self.conf_int()
        out = {
            "model": self._model,
            "method": self._method,
            "params": self._params,
            "std_errors": self.std_errors,
            "conf_int": {name: [ci.at[name, "lower"], ci.at[name, "upper"]] for name in self._params.index},
            "tvalues": self.tvalues,
            "pvalues": self.pvalues,
            "cov": {row: self._cov.loc[row] for row in self._cov.index},
            "nobs": self._nobs,
            "n_input": self._n_input,
            "dropped": self._dropped,
            "converged": self._converged,
            "cov_type": self._cov_type,
            "specification": self._specification,
            "diagnostics": self._diagnostics,
            "tests": {key: test.to_dict() for key, test in self._tests.items()},
            "notes": self.notes,
        }
        if self._cluster_count is not None:
            out["clusters"] = self._cluster_count
        if self._df_inference is not None:
            out["df_inference"] = self._df_inference
        if self._bootstrap_params is not None:
            out["bootstrap_reps"] = len(self._bootstrap_params)
        return jsonable(out)

    # -- hooks for subclasses --------------------------------------------------------------------------
    @property
    def fitted_values(self) -> pd.Series:
        """Fitted values of the dependent variable (in its original units), if the model has them."""
        raise NotImplementedError(f"{type(self).__name__} has no fitted values")

    @property
    def residuals(self) -> pd.Series:
        """Observed minus fitted values, if the model has them."""
        raise NotImplementedError(f"{type(self).__name__} has no residuals")

    def predict(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Predictions for new data (default: the estimation sample)."""
        if data is None:
            return self.fitted_values
        raise NotImplementedError(f"{type(self).__name__} cannot predict for new data")

    def __str__(self) -> str:
        return self.summary.as_text()

    def __repr__(self) -> str:
        names = ", ".join(f"{k}={v:.4g}" for k, v in self._params.items())
        return f"<{type(self).__name__} nobs={self._nobs} cov_type={self._cov_type!r} {names}>"
