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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bargaining.errors import ConvergenceWarning, InvalidParameterError

__all__ = ["EstimationResults", "Summary", "empty_dropped", "jsonable", "warn_not_converged"]


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


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise InvalidParameterError(
            f"confidence level {level} is not strictly between 0 and 1", hint="use e.g. level=0.95"
        )
    return level


class Summary:
    """Printable summary of a fit: a header of (label, value) pairs, the parameter table and notes.

    ``str(summary)`` and :meth:`as_text` give a plain-text table, :meth:`as_latex` a LaTeX ``tabular``.
    """

    def __init__(
        self,
        *,
        title: str,
        header: Sequence[tuple[str, Any]],
        table: pd.DataFrame,
        notes: Sequence[str] = (),
        extra_tables: Mapping[str, pd.DataFrame] | None = None,
    ) -> None:
        self.title = title
        self.header = [(str(k), v) for k, v in header]
        self.table = table
        self.notes = list(notes)
        self.extra_tables = dict(extra_tables or {})

    @staticmethod
    def _fmt(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "nan" if not math.isfinite(float(value)) else f"{float(value):.6g}"
        return str(value)

    def as_text(self) -> str:
        """Plain-text summary."""
        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 160):
            body = self.table.to_string(float_format=lambda x: f"{x:.6g}")
        width = max(len(self.title), max((len(line) for line in body.splitlines()), default=0))
        half = (len(self.header) + 1) // 2
        keys = [f"{k}:" for k, _ in self.header]
        values = [self._fmt(v) for _, v in self.header]
        cells = []
        for column in (range(half), range(half, len(self.header))):
            key_width = max((len(keys[i]) for i in column), default=0) + 2
            value_width = max((len(values[i]) for i in column), default=0)
            cells.append([f"{keys[i]:<{key_width}}{values[i]:>{value_width}}" for i in column])
        left_width = max((len(c) for c in cells[0]), default=0)
        rows = [
            f"{left:<{left_width}}" + (f"    {cells[1][i]}" if i < len(cells[1]) else "")
            for i, left in enumerate(cells[0])
        ]
        width = max(width, max((len(r) for r in rows), default=0))
        lines = [self.title.center(width), "=" * width, *rows, "-" * width, body]
        for name, frame in self.extra_tables.items():
            with pd.option_context("display.max_rows", 500, "display.width", 160):
                lines += ["-" * width, name, frame.to_string(float_format=lambda x: f"{x:.6g}")]
        lines.append("=" * width)
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def as_latex(self) -> str:
        """LaTeX table (``tabular`` inside a ``table`` environment); needs only the standard packages."""

        def esc(text: str) -> str:
            for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#")):
                text = text.replace(a, b)
            return text

        columns = list(self.table.columns)
        lines = [
            r"\begin{table}[ht]",
            r"\centering",
            rf"\caption{{{esc(self.title)}}}",
            r"\begin{tabular}{l" + "r" * len(columns) + "}",
            r"\hline",
            " & ".join(["", *(esc(str(c)) for c in columns)]) + r" \\",
            r"\hline",
        ]
        for name, row in self.table.iterrows():
            lines.append(" & ".join([esc(str(name)), *(esc(self._fmt(v)) for v in row.to_numpy())]) + r" \\")
        lines.append(r"\hline")
        for key, value in self.header:
            lines.append(
                rf"\multicolumn{{{len(columns) + 1}}}{{l}}{{{esc(key)}: {esc(self._fmt(value))}}} \\"
            )
        lines += [r"\hline", r"\end{tabular}"]
        for note in self.notes:
            lines.append(rf"\par\footnotesize {esc(note)}")
        lines.append(r"\end{table}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()


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
        """Standard errors sqrt(diag V-hat)."""
        return pd.Series(
            np.sqrt(np.clip(np.diag(self._cov.to_numpy()), 0.0, None)),
            index=self._params.index,
            name="std_error",
        )

    @property
    def tvalues(self) -> pd.Series:
        """t statistics theta-hat / se for H0: theta = 0."""
        return (self._params / self.std_errors).rename("t")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p values of the t statistics (standard normal reference)."""
        return pd.Series(
            2.0 * stats.norm.sf(np.abs(self.tvalues.to_numpy())), index=self._params.index, name="p"
        )

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
        return notes

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
        z = stats.norm.ppf((1 + level) / 2)
        se = self.std_errors
        return pd.DataFrame({"lower": self._params - z * se, "upper": self._params + z * se})

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
        """Printable summary (``str()``, ``.as_text()``, ``.as_latex()``)."""
        return Summary(
            title=self._model,
            header=self._header(),
            table=self.to_frame(),
            notes=self.notes,
            extra_tables=self._extra_tables(),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``params``, ``std_errors``, ``conf_int``, ``tvalues``, ``pvalues``, ``cov``,
        ``nobs``, ``n_input``, ``dropped``, ``converged``, ``cov_type``, ``model``, ``method``,
        ``diagnostics``, ``notes`` (NaN and inf become ``None``)."""
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
            "diagnostics": self._diagnostics,
            "notes": self.notes,
        }
        if self._cluster_count is not None:
            out["clusters"] = self._cluster_count
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
