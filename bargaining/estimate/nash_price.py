r"""Fit the Nash (Nash-in-Nash) price equation p = C + beta (V - C) + u to agreement-level data.

:func:`fit_nash` estimates the seller's bargaining weight beta (constant, by group, or
beta_i = logistic(x_i'delta)) and, when the seller's cost is not observed, the cost parameters gamma of
C = r + z'gamma + omega. Linear variants go through ``linearmodels`` (OLS, IV-2SLS, IV-GMM); nonlinear ones
through nonlinear least squares / nonlinear 2SLS with an analytic Jacobian
(:mod:`bargaining.estimate.nash_logistic`). The residual equations live in
:mod:`bargaining.models.nash_moments`.

Identification: beta is separately identified from the cost only through variation in V - r that is not
collinear with the cost shifters z (changes in the network, entry, exclusion restrictions); the fit refuses
collinear designs with :class:`bargaining.errors.IdentificationError` and reports the scaled condition
number and, with instruments, the first-stage partial F.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from bargaining.errors import (
    DataValidationError,
    IdentificationError,
    IdentificationWarning,
    InvalidParameterError,
    MissingColumnError,
)
from bargaining.estimate.bootstrap import bootstrap_replicates
from bargaining.estimate.formulas import (
    check_full_rank,
    formula_variables,
    group_dummies,
    model_matrix,
)
from bargaining.estimate.nash_linear import (
    first_stage_partial_f,
    fit_linear,
    gamma_delta_method,
    solve_linear,
)
from bargaining.estimate.nash_logistic import nonlinear_least_squares, sandwich_cov
from bargaining.estimate.results import EstimationResults, empty_dropped, warn_not_converged
from bargaining.models.nash_moments import (
    Link,
    nash_price_jacobian,
    nash_price_residuals,
    nash_weights,
)

__all__ = ["NashResults", "demo_fit", "fit_nash"]

CovType = Literal["unadjusted", "robust", "clustered"]
COV_TYPES = ("unadjusted", "robust", "clustered")
WEAK_F = 10.0  # Staiger-Stock rule of thumb for the first-stage F

IDENTIFICATION_HINT = (
    "beta is identified only by variation in V - C (or V - r) across agreements that is not collinear with "
    "the cost shifters (e.g. network changes, entry, exclusion restrictions); drop collinear cost shifters, "
    "merge groups without variation, or use data with such variation"
)


@dataclass
class _Design:
    """Arrays of one estimation problem (rows already validated)."""

    index: pd.Index
    price: np.ndarray
    base: np.ndarray  # b: observed C, known recapture r, or 0
    y: np.ndarray  # p - b
    s: np.ndarray  # V - b
    weights: np.ndarray  # W
    weight_names: list[str]  # parameter names beta / beta[g] / delta[t]
    link: Link
    cost: np.ndarray | None  # Z
    cost_names: list[str]  # gamma[t]
    excluded: np.ndarray | None  # excluded instruments (before interaction with W)
    excluded_names: list[str]
    clusters: np.ndarray | None
    weight_spec: Any = None  # formulaic spec or group labels, for predict()
    cost_spec: Any = None
    groups: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return self.weight_names + self.cost_names

    @property
    def linear(self) -> bool:
        """Linear in parameters: identity link and (no cost shifters or a single constant beta)."""
        return self.link == "identity" and (self.cost is None or self.weights.shape[1] == 1)

    def instrument_matrix(self) -> np.ndarray | None:
        """Full instrument matrix H = [Z, excluded x W] (None without excluded instruments)."""
        interacted = self.excluded_interacted()
        if interacted is None or self.cost is None:
            return interacted
        return np.hstack([self.cost, interacted])

    def excluded_interacted(self) -> np.ndarray | None:
        """Excluded instruments times each weight-design column (the instruments of the endogenous s*W)."""
        if self.excluded is None:
            return None
        return (self.excluded[:, :, None] * self.weights[:, None, :]).reshape(len(self.y), -1)

    def instrument_names(self) -> list[str]:
        labels = [f"{e}*{w}" for e in self.excluded_names for w in self.weight_names]
        return self.cost_names + labels if self.cost is not None else labels

    def subset(self, rows: np.ndarray) -> _Design:
        return _Design(
            index=self.index[rows],
            price=self.price[rows],
            base=self.base[rows],
            y=self.y[rows],
            s=self.s[rows],
            weights=self.weights[rows],
            weight_names=self.weight_names,
            link=self.link,
            cost=None if self.cost is None else self.cost[rows],
            cost_names=self.cost_names,
            excluded=None if self.excluded is None else self.excluded[rows],
            excluded_names=self.excluded_names,
            clusters=None if self.clusters is None else self.clusters[rows],
        )


# ---------------------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------------------
class NashResults(EstimationResults):
    """Results of :func:`fit_nash`: estimates, inference, fitted prices and implied bargaining weights.

    Beyond :class:`EstimationResults`: ``fitted_values`` and ``residuals`` (prices), ``predict(data)``,
    ``implied_weights`` (beta_i per row), ``weights_frame()`` (beta_i with delta-method standard errors),
    ``observed_weights`` ((p - C)/(V - C) when C is observed), ``linear_params`` / ``linear_cov`` (the
    linear coefficients (beta, pi) when gamma was recovered from pi = (1 - beta) gamma), ``first_stage``
    (partial F per instrumented regressor), ``analytic_cov`` (the sandwich covariance, also when the
    reported one is a bootstrap), ``plot_fit()`` and ``plot_weights()``.
    """

    model_name = "Nash bargaining prices: p = C + beta (V - C) + u"

    def __init__(
        self,
        *,
        design: _Design,
        residuals: np.ndarray,
        spec: dict[str, Any],
        linear_params: pd.Series | None = None,
        linear_cov: pd.DataFrame | None = None,
        first_stage: pd.Series | None = None,
        analytic_cov: pd.DataFrame | None = None,
        linear_result: Any = None,
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
        self.linear_result = linear_result

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
        design = _build_design(data, **self._spec, _specs_from=self._design)
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
        out["specification"] = jsonable({k: v for k, v in self._spec.items() if v is not None})
        return out

    def plot_fit(self, ax: Any = None) -> Any:
        """Scatter of observed against fitted prices with the 45-degree line; returns the figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(5, 5))
        else:
            fig = ax.figure
        fitted, observed = self.fitted_values.to_numpy(), self.observed_prices.to_numpy()
        ax.scatter(fitted, observed, s=6, alpha=0.5, label="agreements")
        low, high = float(min(fitted.min(), observed.min())), float(max(fitted.max(), observed.max()))
        ax.plot([low, high], [low, high], color="k", lw=1, label="45-degree line")
        ax.set_xlabel("fitted price")
        ax.set_ylabel("observed price")
        ax.legend()
        return fig

    def plot_weights(self, ax: Any = None, *, bins: int = 30) -> Any:
        """Histogram of the implied beta_i (and of (p - C)/(V - C) when C is observed); returns the figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 4))
        else:
            fig = ax.figure
        observed = self.observed_weights
        if observed is not None:
            values = observed.dropna().to_numpy()
            low, high = np.quantile(values, [0.01, 0.99]) if values.size else (0.0, 1.0)
            ax.hist(values.clip(low, high), bins=bins, alpha=0.5, density=True, label="(p - C)/(V - C)")
        ax.hist(self.implied_weights.to_numpy(), bins=bins, alpha=0.7, density=True, label="model beta_i")
        ax.set_xlabel("seller's bargaining weight beta")
        ax.legend()
        return fig


# ---------------------------------------------------------------------------------------------------------
# data -> design
# ---------------------------------------------------------------------------------------------------------
def _require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    import difflib

    for column in columns:
        if column not in data.columns:
            close = difflib.get_close_matches(str(column), list(map(str, data.columns)), n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"available columns: {list(map(str, data.columns))}"
            )
            raise MissingColumnError(f"column {column!r} is not in the data", hint=hint, column=str(column))


def _numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataValidationError(
            f"column {column!r} has {int(bad.sum())} missing, non-numeric or infinite value(s)",
            hint="fix them or pass drop_invalid=True to drop and report those rows",
            column=column,
            rows=list(data.index[bad][:10]),
        )
    return values


def _build_design(
    data: pd.DataFrame,
    *,
    price: str,
    buyer_value: str,
    seller_cost: str | None,
    cost_formula: str | None,
    recapture: str | None,
    weight_by: str | None,
    weight_formula: str | None,
    instruments: str | None,
    cluster: str | None,
    _specs_from: _Design | None = None,
) -> _Design:
    """Arrays of the price equation from (validated) data. With ``_specs_from``, rebuild for prediction."""
    predicting = _specs_from is not None
    p = _numeric(data, price) if not predicting or price in data.columns else np.zeros(len(data))
    v = _numeric(data, buyer_value)
    if seller_cost is not None:
        base = _numeric(data, seller_cost)
    elif recapture is not None:
        base = _numeric(data, recapture)
    else:
        base = np.zeros(len(data))
    y, s = p - base, v - base

    groups: list[str] = []
    weight_spec = None
    if weight_formula is not None:
        if predicting:
            frame = _specs_from.weight_spec.get_model_matrix(data)
            weights, names = np.asarray(frame, dtype=float), [str(c) for c in frame.columns]
        else:
            weights, names, weight_spec = _matrix_with_spec(weight_formula, data, "weight formula")
        weight_names, link = [f"delta[{t}]" for t in names], "logistic"
    elif weight_by is not None:
        if predicting:
            groups = _specs_from.groups
            codes = pd.Categorical(data[weight_by].astype(str), categories=groups)
            if np.any(codes.codes < 0):
                raise DataValidationError(
                    f"column {weight_by!r} has groups that were not in the estimation sample",
                    hint=f"known groups: {groups}",
                    column=weight_by,
                )
            weights = np.zeros((len(data), len(groups)))
            weights[np.arange(len(data)), codes.codes] = 1.0
        else:
            weights, groups = group_dummies(data[weight_by].astype(str).rename(weight_by))
        weight_names, link = [f"beta[{g}]" for g in groups], "identity"
    else:
        weights, weight_names, link = np.ones((len(data), 1)), ["beta"], "identity"

    cost, cost_names, cost_spec = None, [], None
    if cost_formula is not None:
        if predicting:
            frame = _specs_from.cost_spec.get_model_matrix(data)
            cost, names = np.asarray(frame, dtype=float), [str(c) for c in frame.columns]
        else:
            cost, names, cost_spec = _matrix_with_spec(cost_formula, data, "cost formula")
        cost_names = [f"gamma[{t}]" for t in names]

    excluded, excluded_names = None, []
    if instruments is not None and not predicting:
        excluded, excluded_names, _ = _matrix_with_spec(instruments, data, "instrument formula")
        if cost is not None:  # exogenous cost shifters instrument themselves; drop exact repeats
            keep = [
                j
                for j in range(excluded.shape[1])
                if not any(np.array_equal(excluded[:, j], cost[:, k]) for k in range(cost.shape[1]))
            ]
            excluded, excluded_names = excluded[:, keep], [excluded_names[j] for j in keep]
            if not keep:
                raise IdentificationError(
                    f"the instruments {instruments!r} only repeat cost shifters",
                    hint="add excluded instruments",
                )

    clusters = None
    if cluster is not None and not predicting:
        codes, _ = pd.factorize(data[cluster])
        if np.any(codes < 0):
            raise DataValidationError(
                f"the cluster column {cluster!r} has missing values",
                hint="fill them or pass drop_invalid=True",
                column=cluster,
            )
        clusters = codes.astype(np.int64)

    return _Design(
        index=data.index,
        price=p,
        base=base,
        y=y,
        s=s,
        weights=weights,
        weight_names=weight_names,
        link=link,
        cost=cost,
        cost_names=cost_names,
        excluded=excluded,
        excluded_names=excluded_names,
        clusters=clusters,
        weight_spec=weight_spec,
        cost_spec=cost_spec,
        groups=groups,
    )


def _matrix_with_spec(formula: str, data: pd.DataFrame, what: str) -> tuple[np.ndarray, list[str], Any]:
    import formulaic

    values, names = model_matrix(formula, data, what=what)
    text = formula if "~" in formula else "~ " + formula
    spec = formulaic.model_matrix(text, data.iloc[:2], na_action="raise").model_spec
    return values, names, spec


def _validate(
    data: pd.DataFrame,
    *,
    columns: dict[str, str | None],
    covariates: list[str],
    instruments: list[str],
    drop_invalid: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Validate with :func:`bargaining.data.validate_agreements`; returns (rows used, dropped, n_input)."""
    from bargaining.data import validate_agreements

    validated = validate_agreements(
        data,
        price=columns["price"],
        buyer_value=columns["buyer_value"],
        seller_cost=columns["seller_cost"],
        covariates=tuple(covariates),
        instruments=tuple(instruments),
        drop_invalid=drop_invalid,
    )
    dropped = validated.dropped if validated.dropped is not None else empty_dropped()
    return validated.data, dropped, int(validated.n_input)


# ---------------------------------------------------------------------------------------------------------
# estimation
# ---------------------------------------------------------------------------------------------------------
def _check_identification(design: _Design) -> tuple[float, list[str]]:
    """Reject unidentified designs; return the scaled condition number and identification notes."""
    notes: list[str] = []
    surplus_name = "V - C" if design.cost is None else "V - r"
    if design.link == "identity" and design.weights.shape[1] > 1:
        for j, name in enumerate(design.weight_names):
            in_group = design.weights[:, j] > 0
            if not np.any(design.s[in_group] != 0):
                raise IdentificationError(
                    f"{name} is not identified: {surplus_name} is zero for every agreement of that group",
                    hint=IDENTIFICATION_HINT,
                )
            group_s = design.s[in_group]
            if design.cost is not None and np.ptp(group_s) <= 1e-9 * np.max(np.abs(group_s)):
                raise IdentificationError(
                    f"{name} is not identified: {surplus_name} does not vary within the group, so within it "
                    "beta cannot be told apart from the cost (only the assumption that gamma is the same in "
                    "every group would separate them)",
                    hint=IDENTIFICATION_HINT,
                )
    if design.link == "logistic":
        check_full_rank(
            design.weights,
            design.weight_names,
            what="the weight formula's design",
            hint="drop collinear covariates from the weight formula",
        )
    regressors = design.s[:, None] * design.weights
    names = [
        f"({surplus_name})*{n}" if design.weights.shape[1] > 1 else surplus_name for n in design.weight_names
    ]
    if design.cost is not None:
        regressors = np.hstack([regressors, design.cost])
        names += [n.replace("gamma[", "").rstrip("]") for n in design.cost_names]
    condition = check_full_rank(
        regressors, names, what="beta is not identified from the cost", hint=IDENTIFICATION_HINT
    )
    if condition > 1e6:
        notes.append(f"The design is ill-conditioned (scaled condition number {condition:.3g}).")
    return condition, notes


def _check_instruments(design: _Design) -> tuple[pd.Series | None, list[str]]:
    """Rank of the instruments, order condition, and first-stage partial F (with a weak-IV warning)."""
    if design.excluded is None:
        return None, []
    instruments = design.instrument_matrix()
    assert instruments is not None
    k = design.weights.shape[1] + (0 if design.cost is None else design.cost.shape[1])
    if instruments.shape[1] < k:
        raise IdentificationError(
            f"{instruments.shape[1]} instruments for {k} parameters", hint="add excluded instruments"
        )
    check_full_rank(
        instruments,
        design.instrument_names(),
        what="the instruments are collinear",
        hint="drop redundant instruments",
    )
    endog = design.s[:, None] * design.weights
    excluded = (design.excluded[:, :, None] * design.weights[:, None, :]).reshape(len(design.y), -1)
    partial_f = first_stage_partial_f(endog, design.cost, excluded)
    surplus = "V - C" if design.cost is None else "V - r"
    partial_f.index = [
        f"({surplus})*{n}" if design.weights.shape[1] > 1 else surplus for n in design.weight_names
    ]
    notes = []
    weakest = float(partial_f.min())
    if weakest < WEAK_F:
        message = (
            f"weak instruments: the smallest first-stage partial F is {weakest:.3g} < {WEAK_F:g}; "
            "estimates may be biased toward OLS and normal intervals may undercover"
        )
        warnings.warn(message, IdentificationWarning, stacklevel=3)
        notes.append(message[0].upper() + message[1:] + ".")
    return partial_f, notes


def _start_values(design: _Design) -> np.ndarray:
    """Starting values for the nonlinear fit from the constant-beta linear equation."""
    regressors = design.s[:, None] if design.cost is None else np.hstack([design.s[:, None], design.cost])
    coef = np.linalg.lstsq(regressors, design.y, rcond=None)[0]
    beta0 = float(np.clip(coef[0], 0.05, 0.95))
    if design.link == "logistic":
        delta0 = np.zeros(design.weights.shape[1])
        intercept = [i for i, n in enumerate(design.weight_names) if n == "delta[Intercept]"]
        if intercept:
            delta0[intercept[0]] = math.log(beta0 / (1 - beta0))
    else:
        delta0 = np.full(design.weights.shape[1], beta0)
    if design.cost is None:
        return delta0
    return np.concatenate([delta0, coef[1:] / (1 - beta0)])


def _nonlinear_problem(design: _Design) -> tuple[Any, Any]:
    kwargs = {
        "price_gap": design.y,
        "surplus": design.s,
        "weight_design": design.weights,
        "cost_design": design.cost,
        "link": design.link,
    }
    return (lambda theta: nash_price_residuals(theta, **kwargs)), (
        lambda theta: nash_price_jacobian(theta, **kwargs)
    )


def _fit_linear_design(
    design: _Design, *, cov_type: str, iv_method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """linearmodels fit of a linear design: (coefficients, covariance) with the weights first, residuals, result."""
    surplus = design.s[:, None] * design.weights
    has_iv = design.excluded is not None
    if has_iv:
        exog, endog = design.cost, surplus
    else:
        exog, endog = (surplus if design.cost is None else np.hstack([design.cost, surplus])), None
    fit = fit_linear(
        design.y,
        exog=exog,
        endog=endog,
        instruments=design.excluded_interacted() if has_iv else None,
        cov_type=cov_type,
        clusters=design.clusters,
        iv_method=iv_method,
    )
    k_cost = 0 if design.cost is None else design.cost.shape[1]
    # linearmodels orders exog before endog, and the cost shifters come first in exog: put beta first
    order = np.r_[np.arange(k_cost, len(fit.params)), np.arange(k_cost)]
    return fit.params[order], fit.cov[np.ix_(order, order)], fit.residuals, fit.result


def _point_estimate(
    design: _Design, *, start: np.ndarray | None = None, maxiter: int | None = None, iv_method: str = "2sls"
) -> np.ndarray:
    """theta-hat (final parameterization) only: used for bootstrap replicates."""
    instruments = design.instrument_matrix()
    if design.linear:
        if instruments is not None and iv_method == "gmm":
            # the efficient weighting matrix of each replicate is re-estimated (heteroskedasticity-robust)
            coef = _fit_linear_design(design, cov_type="robust", iv_method="gmm")[0]
        elif design.cost is None:
            return solve_linear(design.y, design.s[:, None] * design.weights, instruments)
        else:
            coef = solve_linear(design.y, np.hstack([design.s[:, None], design.cost]), instruments)
        if design.cost is None:
            return coef
        return np.concatenate([[coef[0]], coef[1:] / (1.0 - coef[0])])
    residual, jacobian = _nonlinear_problem(design)
    fit = nonlinear_least_squares(
        residual,
        jacobian,
        _start_values(design) if start is None else start,
        instruments=instruments,
        maxiter=maxiter,
    )
    if not fit.converged:
        raise ArithmeticError("bootstrap replicate did not converge")
    return fit.theta


def fit_nash(
    data: pd.DataFrame,
    *,
    price: str,
    buyer_value: str,
    seller_cost: str | None = None,
    cost_formula: str | None = None,
    recapture: str | None = None,
    weight_by: str | None = None,
    weight_formula: str | None = None,
    instruments: str | None = None,
    cov_type: CovType = "robust",
    cluster: str | None = None,
    bootstrap: int | None = None,
    bootstrap_kind: Literal["pairs", "cluster"] = "pairs",
    seed: int | np.random.Generator | None = None,
    drop_invalid: bool = False,
    progress: bool = False,
    iv_method: Literal["2sls", "gmm"] = "2sls",
    maxiter: int | None = None,
    n_jobs: int = 1,
) -> NashResults:
    r"""Estimate the seller's bargaining weight from agreement prices: p = C + beta (V - C) + u.

    Parameters
    ----------
    data
        One row per agreement.
    price, buyer_value
        Columns of the price p and the buyer's value V of the agreement.
    seller_cost
        Column of the seller's cost C (net of recapture), if observed. Then p - C = beta (V - C) + u is fitted
        without a constant.
    cost_formula
        Instead of ``seller_cost``: C = r + z'gamma + omega with z from this right-hand-side formula (e.g.
        ``"~ 1 + z"``); then p - r = beta (V - r) + (1 - beta) z'gamma + u. Parameters ``gamma[TERM]``.
    recapture
        Column of the known recapture r (default 0), only with ``cost_formula``.
    weight_by
        Column of groups: one beta per group, parameters ``beta[GROUP]``.
    weight_formula
        beta_i = logistic(x_i'delta) with x from this formula; parameters ``delta[TERM]``.
    instruments
        Formula of excluded instruments for the surplus V - b (b = C or r), which may be measured with error
        or correlated with omega. With an unobserved cost this is the rule, not the exception, in
        Nash-in-Nash data: V contains other agreements' prices (through recapture and network values), and
        those respond to this pair's cost shock omega through the equilibrium, so OLS overstates beta (the
        package's Monte Carlo study ``nash-constant-formula-ols`` records the bias; instrumenting with the
        buyer's willingness to pay for the hospital, e.g. ``"~ wtp_drop"``, removes it). formulaic adds an
        intercept unless the formula says ``0 +``; columns that repeat a cost shifter are dropped. With group
        or logistic weights they are interacted with the weight design.
    cov_type
        ``"unadjusted"``, ``"robust"`` (default) or ``"clustered"`` (needs ``cluster``), with linearmodels'
        conventions (no small-sample corrections).
    cluster
        Column of cluster ids (for ``cov_type="clustered"`` or ``bootstrap_kind="cluster"``).
    bootstrap, bootstrap_kind, seed, n_jobs, progress
        With ``bootstrap=R``, standard errors are the standard deviations of R bootstrap replicates (pairs:
        rows; cluster: whole clusters), intervals are percentile intervals and ``cov_type`` is
        ``"bootstrap"``; ``seed`` makes them reproducible for any ``n_jobs``.
    drop_invalid
        Drop rows with missing or invalid values (reported in ``results.dropped``) instead of raising.
    iv_method
        ``"2sls"`` or ``"gmm"`` (two-step efficient IV-GMM; linear variants only).
    maxiter
        Function-evaluation limit of the nonlinear optimizer (logistic weights; groups with a cost formula).

    Returns
    -------
    NashResults

    Raises
    ------
    MissingColumnError, DataValidationError
        Unknown column, invalid values (unless ``drop_invalid``).
    IdentificationError
        beta is not identified (V - b zero within a group, collinear with the cost shifters, too few or
        collinear instruments).
    InvalidParameterError
        Inconsistent options.
    """
    spec = {
        "price": price,
        "buyer_value": buyer_value,
        "seller_cost": seller_cost,
        "cost_formula": cost_formula,
        "recapture": recapture,
        "weight_by": weight_by,
        "weight_formula": weight_formula,
        "instruments": instruments,
        "cluster": cluster,
    }
    _check_options(
        spec, cov_type=cov_type, bootstrap=bootstrap, bootstrap_kind=bootstrap_kind, iv_method=iv_method
    )
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(
            "data must be a pandas DataFrame", hint="read files with read_table(path)"
        )
    formula_columns = [
        c
        for f, what in ((cost_formula, "cost formula"), (weight_formula, "weight formula"))
        for c in formula_variables(f, what=what)
    ]
    instrument_columns = formula_variables(instruments, what="instrument formula")
    extra = [c for c in (recapture, weight_by, cluster) if c is not None]
    required = [
        price,
        buyer_value,
        *([seller_cost] if seller_cost else []),
        *formula_columns,
        *instrument_columns,
        *extra,
    ]
    _require_columns(data, required)
    covariates = list(dict.fromkeys([*formula_columns, *extra]))
    used, dropped, n_input = _validate(
        data, columns=spec, covariates=covariates, instruments=instrument_columns, drop_invalid=drop_invalid
    )
    design = _build_design(used, **spec)
    condition, notes = _check_identification(design)
    first_stage, iv_notes = _check_instruments(design)
    notes += iv_notes
    diagnostics: dict[str, Any] = {"condition number": condition}
    if first_stage is not None:
        diagnostics["min first-stage F"] = float(first_stage.min())

    names = design.names
    instrument_matrix = design.instrument_matrix()
    linear_params = linear_cov = linear_result = None
    converged = True
    if design.linear:
        has_iv = instrument_matrix is not None
        coef, cov, residuals, linear_result = _fit_linear_design(
            design, cov_type=cov_type, iv_method=iv_method
        )
        if design.cost is None:
            theta, theta_cov = coef, cov
            method = "OLS" if not has_iv else ("IV-2SLS" if iv_method == "2sls" else "IV-GMM")
        else:
            pi_names = ["beta", *[f"(1-beta)*{n}" for n in design.cost_names]]
            linear_params = pd.Series(coef, index=pi_names)
            linear_cov = pd.DataFrame(cov, index=pi_names, columns=pi_names)
            theta, theta_cov = gamma_delta_method(float(coef[0]), coef[1:], cov)
            notes += _gamma_notes(float(coef[0]), float(np.sqrt(cov[0, 0])))
            method = (
                "OLS" if not has_iv else ("IV-2SLS" if iv_method == "2sls" else "IV-GMM")
            ) + " + delta method"
    else:
        residual, jacobian = _nonlinear_problem(design)
        fit_nl = nonlinear_least_squares(
            residual, jacobian, _start_values(design), instruments=instrument_matrix, maxiter=maxiter
        )
        converged = fit_nl.converged
        if not converged:
            warn_not_converged(
                f"the nonlinear least-squares fit of the Nash price equation ({fit_nl.message})"
            )
        regressors = -fit_nl.jacobian
        check_full_rank(
            regressors,
            names,
            what="the price equation is not locally identified at the estimate",
            hint=IDENTIFICATION_HINT,
        )
        theta = fit_nl.theta
        residuals = fit_nl.residuals
        theta_cov = sandwich_cov(
            regressors, residuals, instruments=instrument_matrix, cov_type=cov_type, clusters=design.clusters
        )
        diagnostics.update({"objective": fit_nl.objective, "function evaluations": fit_nl.nfev})
        method = "nonlinear " + ("2SLS" if instrument_matrix is not None else "least squares")

    params = pd.Series(theta, index=names)
    analytic_cov = pd.DataFrame(theta_cov, index=names, columns=names)
    beta_values, _ = nash_weights(params[design.weight_names].to_numpy(), design.weights, design.link)
    if design.link == "identity" and np.any((beta_values < 0) | (beta_values > 1)):
        notes.append("Some estimated beta lie outside [0, 1]; the Nash model requires 0 <= beta <= 1.")

    reported_cov, ci_method, draws, reported_type = analytic_cov, "normal", None, cov_type
    if bootstrap is not None:
        draws, failed = bootstrap_replicates(
            lambda rows: _point_estimate(
                design.subset(rows),
                start=theta if not design.linear else None,
                maxiter=maxiter,
                iv_method=iv_method,
            ),
            len(design.y),
            reps=int(bootstrap),
            names=names,
            seed=seed,
            kind=bootstrap_kind,
            clusters=design.clusters,
            n_jobs=n_jobs,
            progress=progress,
        )
        if len(draws) < 2:
            raise IdentificationError(
                f"only {len(draws)} of {bootstrap} bootstrap replicates could be estimated",
                hint="the model is barely identified in resamples; check groups with few agreements",
            )
        reported_cov = draws.cov()
        ci_method, reported_type = "percentile", "bootstrap"
        diagnostics["bootstrap failures"] = failed
        method += f", {bootstrap_kind} bootstrap"
        if failed:
            notes.append(f"{failed} of {bootstrap} bootstrap replicates failed and were left out.")

    n_clusters = int(design.clusters.max()) + 1 if design.clusters is not None else None
    return NashResults(
        design=design,
        residuals=residuals,
        spec=spec,
        linear_params=linear_params,
        linear_cov=linear_cov,
        first_stage=first_stage,
        analytic_cov=analytic_cov,
        linear_result=linear_result,
        params=params,
        cov=reported_cov,
        nobs=len(design.y),
        cov_type=reported_type,
        dropped=dropped,
        converged=converged,
        method=method,
        n_input=n_input,
        diagnostics=diagnostics,
        notes=notes,
        bootstrap_params=draws,
        ci_method=ci_method,
        cluster_count=n_clusters,
    )


def _gamma_notes(beta: float, se: float) -> list[str]:
    if abs(1.0 - beta) < 2.0 * se:
        message = (
            f"beta = {beta:.3g} is within two standard errors of 1, where gamma = pi / (1 - beta) is "
            "not identified; the gamma estimates and standard errors are unreliable"
        )
        warnings.warn(message, IdentificationWarning, stacklevel=3)
        return [message[0].upper() + message[1:] + "."]
    return []


def _check_options(
    spec: dict[str, Any], *, cov_type: str, bootstrap: int | None, bootstrap_kind: str, iv_method: str
) -> None:
    if (spec["seller_cost"] is None) == (spec["cost_formula"] is None):
        raise InvalidParameterError(
            "give exactly one of seller_cost (an observed cost column) and cost_formula",
            hint='e.g. seller_cost="cost", or cost_formula="~ 1 + z" when the cost is not observed',
        )
    if spec["recapture"] is not None and spec["seller_cost"] is not None:
        raise InvalidParameterError(
            "recapture is only used with cost_formula",
            hint="an observed seller_cost is already net of recapture",
        )
    if spec["weight_by"] is not None and spec["weight_formula"] is not None:
        raise InvalidParameterError(
            "give at most one of weight_by and weight_formula",
            hint="for groups and covariates use weight_formula='~ 0 + C(group) + x'",
        )
    if cov_type not in COV_TYPES:
        raise InvalidParameterError(f"unknown cov_type {cov_type!r}", hint=f"use one of {list(COV_TYPES)}")
    if cov_type == "clustered" and spec["cluster"] is None:
        raise InvalidParameterError("cov_type='clustered' needs a cluster column", hint="pass cluster=COLUMN")
    if bootstrap_kind not in ("pairs", "cluster"):
        raise InvalidParameterError(
            f"unknown bootstrap_kind {bootstrap_kind!r}", hint="use 'pairs' or 'cluster'"
        )
    if bootstrap_kind == "cluster" and spec["cluster"] is None:
        raise InvalidParameterError("a cluster bootstrap needs a cluster column", hint="pass cluster=COLUMN")
    if (
        spec["cluster"] is not None
        and cov_type != "clustered"
        and not (bootstrap and bootstrap_kind == "cluster")
    ):
        raise InvalidParameterError(
            "a cluster column was given but neither cov_type='clustered' nor a cluster bootstrap uses it",
            hint="pass cov_type='clustered' (or bootstrap_kind='cluster')",
        )
    if bootstrap is not None and int(bootstrap) < 2:
        raise InvalidParameterError(
            f"bootstrap={bootstrap} replicates is too few", hint="use e.g. bootstrap=499"
        )
    if iv_method not in ("2sls", "gmm"):
        raise InvalidParameterError(f"unknown iv_method {iv_method!r}", hint="use '2sls' or 'gmm'")
    if iv_method == "gmm" and (
        spec["weight_formula"] is not None
        or (spec["weight_by"] is not None and spec["cost_formula"] is not None)
    ):
        raise InvalidParameterError(
            "iv_method='gmm' is available for the linear variants only",
            hint="use iv_method='2sls' (nonlinear 2SLS) for this model",
        )


def demo_fit() -> NashResults:
    """Fit the bundled hospital-insurer example (constant beta, observed cost, robust standard errors)."""
    from bargaining.data import load_example

    frame = load_example("hospital_insurer")
    return fit_nash(frame, price="price", buyer_value="buyer_value", seller_cost="seller_cost")
