"""From agreement data to the Nash price equation: columns, formulas, validation and identification checks.

:func:`build_equation` turns validated rows into a :class:`bargaining.models.nash_moments.NashPriceEquation`
(the model object the engines fit); :func:`check_identification` and :func:`check_instruments` refuse
unidentified designs with :class:`bargaining.errors.IdentificationError` and report the scaled condition
number and the first-stage partial F.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from bargaining.errors import (
    DataValidationError,
    IdentificationError,
    IdentificationWarning,
    MissingColumnError,
)
from bargaining.estimate.engines.linear import first_stage_partial_f
from bargaining.estimate.formulas import check_full_rank, group_dummies, model_matrix
from bargaining.estimate.results import empty_dropped
from bargaining.models.nash_moments import Link, NashPriceEquation

__all__ = [
    "IDENTIFICATION_HINT",
    "WEAK_F",
    "NashSpec",
    "build_equation",
    "check_identification",
    "check_instruments",
    "linear_regressors",
    "require_columns",
    "surplus_regressors",
    "validate_agreement_rows",
]

WEAK_F = 10.0  # Staiger-Stock rule of thumb for the first-stage F

IDENTIFICATION_HINT = (
    "beta is identified only by variation in V - C (or V - r) across agreements that is not collinear with "
    "the cost shifters (e.g. network changes, entry, exclusion restrictions); drop collinear cost shifters, "
    "merge groups without variation, or use data with such variation"
)


class NashSpec(TypedDict):
    """The column and formula arguments of :func:`bargaining.fit_nash` (keyword arguments of
    :func:`build_equation`)."""

    price: str
    buyer_value: str
    seller_cost: str | None
    cost_formula: str | None
    recapture: str | None
    weight_by: str | None
    weight_formula: str | None
    instruments: str | None
    cluster: str | None


def require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
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
    series = data[column]
    if series.dtype == np.float64:  # validated columns are float64: no conversion, no copy
        values = series.to_numpy()
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(values)
    if np.isfinite(total):  # a finite sum has only finite terms: one pass, no temporary array
        return values
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataValidationError(
            f"column {column!r} has {int(bad.sum())} missing, non-numeric or infinite value(s)",
            hint="fix them or pass drop_invalid=True to drop and report those rows",
            column=column,
            rows=list(data.index[bad][:10]),
        )
    return values


def build_equation(
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
    _specs_from: NashPriceEquation | None = None,
) -> NashPriceEquation:
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
    link: Link
    if weight_formula is not None:
        if _specs_from is not None:
            frame = _specs_from.weight_spec.get_model_matrix(data)
            weights, names = np.asarray(frame, dtype=float), [str(c) for c in frame.columns]
        else:
            weights, names, weight_spec = _matrix_with_spec(weight_formula, data, "weight formula")
        weight_names, link = [f"delta[{t}]" for t in names], "logistic"
    elif weight_by is not None:
        if _specs_from is not None:
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
        if _specs_from is not None:
            frame = _specs_from.cost_spec.get_model_matrix(data)
            cost, names = np.asarray(frame, dtype=float), [str(c) for c in frame.columns]
        else:
            cost, names, cost_spec = _matrix_with_spec(cost_formula, data, "cost formula")
        cost_names = [f"gamma[{t}]" for t in names]

    excluded: np.ndarray | None = None
    excluded_names: list[str] = []
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
        cluster_codes, _ = pd.factorize(data[cluster])
        if np.any(cluster_codes < 0):
            raise DataValidationError(
                f"the cluster column {cluster!r} has missing values",
                hint="fill them or pass drop_invalid=True",
                column=cluster,
            )
        clusters = cluster_codes.astype(np.int64)

    return NashPriceEquation(
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


def validate_agreement_rows(
    data: pd.DataFrame,
    *,
    columns: NashSpec,
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


def surplus_regressors(design: NashPriceEquation) -> np.ndarray:
    """s w: the surplus times the weight design; for one constant beta, s as an (n, 1) view (no copy)."""
    if design.weights.shape[1] == 1 and design.weight_names == ["beta"]:
        return design.s[:, None]
    return design.s[:, None] * design.weights


def linear_regressors(design: NashPriceEquation) -> np.ndarray:
    """The regressors (s w, z) of the price equation linear in (beta, pi = (1 - beta) gamma)."""
    surplus = surplus_regressors(design)
    return surplus if design.cost is None else np.hstack([surplus, design.cost])


def check_identification(
    design: NashPriceEquation, regressors: np.ndarray | None = None
) -> tuple[float, list[str]]:
    """Reject unidentified designs; return the scaled condition number and identification notes.

    ``regressors`` is :func:`linear_regressors` of the design when the caller has it already.
    """
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
    if regressors is None:
        regressors = linear_regressors(design)
    names = [
        f"({surplus_name})*{n}" if design.weights.shape[1] > 1 else surplus_name for n in design.weight_names
    ]
    if design.cost is not None:
        names += [n.replace("gamma[", "").rstrip("]") for n in design.cost_names]
    condition = check_full_rank(
        regressors, names, what="beta is not identified from the cost", hint=IDENTIFICATION_HINT
    )
    if condition > 1e6:
        notes.append(f"The design is ill-conditioned (scaled condition number {condition:.3g}).")
    return condition, notes


def check_instruments(design: NashPriceEquation) -> tuple[pd.Series | None, list[str]]:
    """Rank of the instruments, order condition, and first-stage partial F (with a weak-IV warning)."""
    if design.excluded is None:
        return None, []
    instruments = design.instruments
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
